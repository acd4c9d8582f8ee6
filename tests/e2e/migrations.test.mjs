// Migrations change a populated D1 in place: records written before a migration read the
// same after it, and writing goes on. Each case rolls the newest schema step back by SQL on a
// D1 the Worker filled (restoring what the step replaced, in the order older code wrote it),
// applies the migrations again with wrangler, and reads everything back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, applyMigrations, migratedD1 } from './harness.mjs';
import { createTenant, batch, emit, get, d1 } from './fixtures.mjs';

const deltas = (customers, n, tag) =>
  `{"deltas":[${Array.from({ length: n }, (_, i) => `{"customerId":"m${i % customers}","delta":${i + 1}.25,"reason":"${tag} ${i}"}`).join(',')}]}`;

/** Every page (of 3) of customer m0's records received this month, and the month's view. */
async function monthPages(w, key) {
  const period = new Date().toISOString().slice(0, 7);
  const pages = [];
  for (let page = 1; ; page++) {
    const r = await get(w.baseUrl, key, `/api/v1/balance/customers/m0?period=${period}&deltaLimit=3&deltaPage=${page}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { items, pagination } = r.body.data.recentActivity;
    pages.push(items);
    if (!pagination.hasMore) return { pages, month: r.body.data.period };
    assert.ok(page < 50);
  }
}

/** Each anchor's status once every record in it is VERIFIED. */
async function statuses(w, key, anchors) {
  const out = [];
  for (const a of anchors) {
    for (let tries = 0; ; tries++) {
      const r = await get(w.baseUrl, key, `/api/v1/balance/delta/${a}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.data.status === 'VERIFIED') {
        out.push(r.body.data);
        break;
      }
      assert.ok(tries < 100, `${a} still ${r.body.data.status}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return out;
}

test('0012 ranges by position: submissions and months written before it list the same records after it', async () => {
  // A D1 of our own: a Worker started on a fresh one removes it when it stops.
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-migrate-'));
  await migratedD1(persistDir);
  let w = await startWorker({ persistDir });
  const anchors = [];
  let key;
  let before;
  try {
    const t = await createTenant(w.baseUrl, { name: 'Migrations', rateLimitPerMinute: 100_000 });
    key = t.keys.sandbox;
    for (const [customers, n] of [[3, 7], [1, 4], [5, 12]]) {
      const r = await batch(w.baseUrl, key, deltas(customers, n, `b${anchors.length}`));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.data.totalFailed, 0);
      anchors.push(r.body.data.anchorId);
    }
    const one = await emit(w.baseUrl, key, '{"customerId":"m0","delta":2,"reason":"single"}');
    assert.equal(one.status, 201, JSON.stringify(one.body));
    anchors.push(one.body.data.anchorId);
    before = await statuses(w, key, anchors);
    before.months = await monthPages(w, key);
  } finally {
    await w.stop();
  }

  // Back to schema 11: no first_seqno, the index restored, and each submission's records in
  // reverse seqno order (older code numbered them grouped by log, not by idx).
  await d1(persistDir, `
    CREATE TABLE _bounds AS SELECT submission_id, MIN(seqno) + MAX(seqno) AS s FROM records GROUP BY submission_id;
    UPDATE records SET seqno = -seqno;
    UPDATE records SET seqno = (SELECT s FROM _bounds b WHERE b.submission_id = records.submission_id) + seqno;
    DROP TABLE _bounds;
    ALTER TABLE submissions DROP COLUMN first_seqno;
    CREATE INDEX records_submission ON records (submission_id, idx);
    ALTER TABLE log_months DROP COLUMN first_pos;
    ALTER TABLE log_months DROP COLUMN last_pos;
    CREATE INDEX records_log_month ON records (log_id, substr(received_at, 1, 7), month_pos);
    DELETE FROM d1_migrations WHERE name = '0012_ranges_by_position.sql';
    UPDATE meta SET value = '11' WHERE key = 'schema_version';`);
  const [reversed] = await d1(persistDir, `SELECT COUNT(*) AS n FROM records r JOIN records q
    ON q.submission_id = r.submission_id AND q.idx = r.idx + 1 WHERE q.seqno < r.seqno`);
  assert.ok(reversed.n > 0, 'the rollback left every submission in idx order');

  await applyMigrations(persistDir);
  const [missing] = await d1(persistDir, `SELECT (SELECT COUNT(*) FROM submissions WHERE first_seqno IS NULL) AS subs,
    (SELECT COUNT(*) FROM log_months m JOIN logs l ON l.id = m.log_id WHERE m.last_pos <> l.records_total - 1 OR m.first_pos <> 0) AS months`);
  assert.deepEqual(missing, { subs: 0, months: 0 });
  w = await startWorker({ persistDir });
  try {
    const after = await statuses(w, key, anchors);
    after.months = await monthPages(w, key);
    assert.deepEqual(after, before);
    // m0 got 3 + 4 + 3 + 1 records, newest first, 3 a page.
    assert.deepEqual(before.months.pages.map((p) => p.length), [3, 3, 3, 2]);
    assert.equal(new Set(before.months.pages.flat().map((d) => d.recordId)).size, 11);
    // Writing goes on past the migrated seqnos, and the new submission reads back whole.
    const r = await batch(w.baseUrl, key, deltas(4, 9, 'after'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const [added] = await statuses(w, key, [r.body.data.anchorId]);
    assert.deepEqual(added.deltas.map((d) => d.recordId), r.body.data.results.map((x) => x.recordId));
    assert.deepEqual(added.deltas.map((d) => d.reason), Array.from({ length: 9 }, (_, i) => `after ${i}`));
  } finally {
    await w.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
});
