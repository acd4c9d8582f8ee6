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
import { createTenant, batch, emit, get, d1, sql } from './fixtures.mjs';

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

/** An OPEN Shared Record link on customer m0's log (as the link routes make it), by SQL. */
async function openLink(persistDir, tenantId) {
  const handle = `cus_${'m'.repeat(32)}`;
  await d1(persistDir, `INSERT INTO access_links (handle, log_id, tenant_id, environment, policy, code_mac, code_set_at, state, created_at)
    SELECT ${sql(handle)}, id, tenant_id, environment, 'OPEN', '${'0'.repeat(64)}', '2026-01-01T00:00:00.000Z', 'active', '2026-01-01T00:00:00.000Z'
    FROM logs WHERE tenant_id = ${sql(tenantId)} AND subject_id = 'm0'`);
  return handle;
}

/** Every page (of 4) of the link's history: the entries as close packages read them. */
async function history(w, handle) {
  const pages = [];
  for (let after; ;) {
    const r = await get(w.baseUrl, undefined, `/api/v1/c/${handle}/history?limit=4${after === undefined ? '' : `&after=${after}`}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    pages.push(r.body.data.entries);
    if (r.body.data.pagination.nextAfter == null) return pages;
    after = r.body.data.pagination.nextAfter;
    assert.ok(pages.length < 50);
  }
}

/** Customer m0's receipt: its entries as the receipt routes read them (from their passes). */
async function customerReceipt(w, key) {
  const r = await get(w.baseUrl, key, '/api/v1/balance/receipt/m0');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const { deltas, deltasCount, finalBalance, itemsRoot } = r.body.data;
  assert.ok(deltas.length > 0);
  return { deltas, deltasCount, finalBalance, itemsRoot };
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

test('0014 log passes: entries sequenced before it (in their record rows) read the same after it, beside new passes', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-migrate-'));
  await migratedD1(persistDir);
  let w = await startWorker({ persistDir });
  const anchors = [];
  let key;
  let before;
  let handle;
  const receipts = async (ids) => {
    const out = [];
    for (const id of ids) {
      const r = await get(w.baseUrl, key, `/api/v1/balance/receipts/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const { checkpoint, ...rest } = r.body.data;
      out.push(rest);
    }
    return out;
  };
  try {
    const t = await createTenant(w.baseUrl, { name: 'Migrations 0014', rateLimitPerMinute: 100_000 });
    key = t.keys.sandbox;
    for (const n of [5, 7, 4]) {
      const r = await batch(w.baseUrl, key, deltas(2, n, `p${anchors.length}`));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      anchors.push(r.body.data.anchorId);
    }
    before = await statuses(w, key, anchors);
    before.months = await monthPages(w, key);
    before.receipts = await receipts(before.flatMap((a) => a.deltas.map((d) => d.recordId)));
    handle = await openLink(persistDir, t.id);
    before.history = await history(w, handle);
    before.receipt = await customerReceipt(w, key);
  } finally {
    await w.stop();
  }
  assert.equal(before.history.flat().length, 9, 'm0 has 3 + 4 + 2 entries');
  const [passes] = await d1(persistDir, `SELECT COUNT(*) AS n, SUM(json_array_length(entries)) AS entries FROM log_passes`);
  assert.ok(passes.n >= 2 && passes.entries === 16, JSON.stringify(passes));
  const [own] = await d1(persistDir, `SELECT COUNT(*) AS n FROM records WHERE seq IS NOT NULL`);
  assert.equal(own.n, 0, 'sequencing wrote no record row');

  // Back to schema 13: every entry in its record row, as older code wrote it (0015 gives
  // those records passes of their own, with their content).
  await d1(persistDir, `
    UPDATE records SET seq = p.entries -> (records.log_pos - p.first_pos) ->> 0,
      entry_hash = p.entries -> (records.log_pos - p.first_pos) ->> 1,
      balance_after = p.entries -> (records.log_pos - p.first_pos) ->> 2,
      credits_units = p.entries -> (records.log_pos - p.first_pos) ->> 3,
      credits_nanos = p.entries -> (records.log_pos - p.first_pos) ->> 4,
      verified_at = p.verified_at, stamp_ms = p.stamp_ms
    FROM log_passes p WHERE p.log_id = records.log_id AND records.log_pos >= p.first_pos AND records.log_pos < p.end_pos;
    DROP TABLE log_passes;
    DELETE FROM d1_migrations WHERE name IN ('0014_log_passes.sql', '0015_pass_content.sql', '0016_pass_submissions.sql');
    UPDATE meta SET value = '13' WHERE key = 'schema_version';`);
  await applyMigrations(persistDir);
  w = await startWorker({ persistDir });
  try {
    const after = await statuses(w, key, anchors);
    after.months = await monthPages(w, key);
    after.receipts = await receipts(after.flatMap((a) => a.deltas.map((d) => d.recordId)));
    after.history = await history(w, handle);
    after.receipt = await customerReceipt(w, key);
    assert.deepEqual(after, before);
    // New passes go on where the record rows left off: sequence numbers and balances continue.
    const r = await batch(w.baseUrl, key, deltas(2, 6, 'after'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const [added] = await statuses(w, key, [r.body.data.anchorId]);
    const m0 = before.flatMap((a) => a.deltas).filter((d) => d.customerId === 'm0');
    const new0 = added.deltas.filter((d) => d.customerId === 'm0');
    assert.deepEqual(new0.map((d) => d.sequenceNumber), [m0.length, m0.length + 1, m0.length + 2].map(String));
    assert.equal(new0[0].balanceAfter, m0.reduce((t, d) => t + d.delta, 0) + new0[0].delta);
    const [fresh] = await receipts([new0[2].recordId]);
    assert.equal(fresh.sequenceNumber, m0.length + 2);
    // Both kinds of entry in one page, newest first.
    const page = (await get(w.baseUrl, key, '/api/v1/balance/customers/m0?deltaLimit=5')).body.data.recentActivity.items;
    assert.deepEqual(page.map((d) => d.sequenceNumber), [m0.length + 2, m0.length + 1, m0.length, m0.length - 1, m0.length - 2].map(String));
    const [rows] = await d1(persistDir, `SELECT (SELECT COUNT(*) FROM records WHERE seq IS NOT NULL) AS own,
      (SELECT SUM(json_array_length(entries)) FROM log_passes) AS passed`);
    assert.deepEqual(rows, { own: 16, passed: 16 + 6 });
    // The history reads old and new entries alike, from passes alone.
    const all = (await history(w, handle)).flat();
    assert.deepEqual(all.map((e) => e.seq), Array.from({ length: m0.length + 3 }, (_, i) => i));
    assert.deepEqual(all.slice(0, m0.length), before.history.flat());
  } finally {
    await w.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
});

test('0015 and 0016 pass content: passes written before them read the same entries after them, from passes alone', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-migrate-'));
  await migratedD1(persistDir);
  let w = await startWorker({ persistDir });
  let key;
  let handle;
  let before;
  try {
    const t = await createTenant(w.baseUrl, { name: 'Migrations 0015', rateLimitPerMinute: 100_000 });
    key = t.keys.sandbox;
    const anchors = [];
    for (const n of [6, 3, 9]) {
      const r = await batch(w.baseUrl, key, deltas(3, n, `q${anchors.length}`));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      anchors.push(r.body.data.anchorId);
    }
    await statuses(w, key, anchors);
    handle = await openLink(persistDir, t.id);
    before = { history: await history(w, handle), receipt: await customerReceipt(w, key) };
  } finally {
    await w.stop();
  }
  assert.equal(before.history.flat().length, 6, 'm0 has 2 + 1 + 3 entries');
  // Back to schema 14: passes hold only what sequencing computed.
  await d1(persistDir, `
    UPDATE log_passes SET entries = (SELECT json_group_array(CASE WHEN e.type = 'array' THEN
      json_array(e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4) END ORDER BY e.key)
      FROM json_each(log_passes.entries) e);
    DELETE FROM d1_migrations WHERE name IN ('0015_pass_content.sql', '0016_pass_submissions.sql');
    UPDATE meta SET value = '14' WHERE key = 'schema_version';`);
  const [stripped] = await d1(persistDir, `SELECT MAX(json_array_length(entries -> 0)) AS n FROM log_passes`);
  assert.equal(stripped.n, 5);
  await applyMigrations(persistDir);
  w = await startWorker({ persistDir });
  try {
    assert.deepEqual({ history: await history(w, handle), receipt: await customerReceipt(w, key) }, before);
    const [rows] = await d1(persistDir, `SELECT MIN(json_array_length(entries -> 0)) AS n, MAX(json_array_length(entries -> 0)) AS m,
      (SELECT COUNT(*) FROM records WHERE seq IS NOT NULL) AS own FROM log_passes`);
    assert.deepEqual(rows, { n: 15, m: 15, own: 0 });
  } finally {
    await w.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
});
