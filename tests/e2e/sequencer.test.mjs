// The sequencer end to end: concurrent writers, checkpoints and their
// consistency proofs, proofs checked by the npm package and by OpenZeppelin,
// and recovery after the server is SIGKILLed mid-load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker, migratedD1 } from './harness.mjs';
import { createTenant, api, admin, d1, sql } from './fixtures.mjs';

const CUSTOMERS = ['c0', 'c1', 'c2', 'c3'];
let worker;
let tenant;
let vkeys;
const acked = new Map(); // recordId → { customer, cents }

/** A non-zero amount in cents, as exact JSON number text. */
function randomCents() {
  const c = Math.floor(Math.random() * 10_000) - 5_000;
  return c === 0 ? 1 : c;
}
const text = (cents) => (cents / 100).toFixed(2);
const cents = (n) => Math.round(n * 100);

async function waitVerified(baseUrl, key, ids, timeoutMs = 90_000) {
  const left = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  while (left.size > 0) {
    assert.ok(Date.now() < deadline, `${left.size} records not VERIFIED in time`);
    for (const id of [...left]) {
      const r = await api(baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`);
      assert.equal(r.status, 200);
      assert.notEqual(r.body.data.status, 'FAILED', `${id} failed: ${r.body.data.failedReason}`);
      if (r.body.data.status === 'VERIFIED') left.delete(id);
    }
    if (left.size > 0) await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** Every entry of a customer's current-month log, with proofs, in one receipt. A 409
 *  CHECKPOINT_PENDING (records still being sequenced, e.g. under a dead instance's lease
 *  after a crash) is retried after its Retry-After, as a client should. */
async function receipt(baseUrl, key, customer, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(baseUrl, key, 'GET', `/api/v1/balance/receipt/${customer}?limit=1000`);
    if (r.status === 409 && r.body.error?.code === 'CHECKPOINT_PENDING' && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 1_000 * Number(r.headers.get('retry-after'))));
      continue;
    }
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.data;
  }
}

/** The deployment's checkpoint verifier keys, as published. */
async function verifierKeys(baseUrl) {
  return (await api(baseUrl, null, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
}

before(async () => {
  worker = await startWorker();
  tenant = await createTenant(worker.baseUrl, { name: 'Concurrency', rateLimitPerMinute: 100_000 });
  vkeys = await verifierKeys(worker.baseUrl);
});
after(async () => { await worker?.stop(); });

test('16 concurrent writers: no gap, no duplicate, exact balances, consistent checkpoints', async () => {
  const key = tenant.keys.sandbox;
  const writer = async (w) => {
    for (let op = 0; op < 8; op++) {
      if (op % 2 === 0) {
        const c = CUSTOMERS[(w + op) % CUSTOMERS.length];
        const v = randomCents();
        const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"${c}","delta":${text(v)},"reason":"w${w}"}`);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        acked.set(r.body.data.recordId, { customer: c, cents: v });
      } else {
        const items = Array.from({ length: 5 }, (_, i) => ({ c: CUSTOMERS[(w + i) % CUSTOMERS.length], v: randomCents() }));
        const body = `{"deltas":[${items.map((x) => `{"customerId":"${x.c}","delta":${text(x.v)},"reason":"b${w}"}`).join(',')}]}`;
        const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', body);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        r.body.data.results.forEach((res, i) => acked.set(res.recordId, { customer: items[i].c, cents: items[i].v }));
      }
      if (op === 4 && w % 4 === 0) {
        // Checkpoints taken while other writers append.
        const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: CUSTOMERS[w % CUSTOMERS.length] });
        assert.ok([201, 409].includes(r.status), JSON.stringify(r.body));
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
  assert.equal(acked.size, 16 * (4 + 4 * 5));
  await waitVerified(worker.baseUrl, key, [...acked.keys()]);

  for (const customer of CUSTOMERS) {
    const mine = [...acked].filter(([, r]) => r.customer === customer);
    const expected = mine.reduce((s, [, r]) => s + r.cents, 0);
    const cp = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: customer });
    assert.equal(cp.status, 201, JSON.stringify(cp.body));

    const data = await receipt(worker.baseUrl, key, customer);
    const seqs = data.deltas.map((d) => d.sequenceNumber);
    assert.deepEqual(seqs, [...seqs.keys()], 'sequence numbers are 0..n-1 with no gap');
    assert.deepEqual(new Set(data.deltas.map((d) => d.recordId)), new Set(mine.map(([id]) => id)), 'each acknowledged record exactly once');
    assert.equal(data.deltas.length, mine.length);
    assert.equal(cents(data.finalBalance), expected);
    let running = 0;
    for (const d of data.deltas) {
      running += cents(d.delta);
      assert.equal(cents(d.balanceAfter), running, 'running balance');
    }

    const derive = await api(worker.baseUrl, key, 'GET', `/api/v1/balance/derive/${customer}`);
    assert.equal(cents(derive.body.data.computedBalance), expected);
    assert.equal(derive.body.data.deltasCount, mine.length);
    const gaps = await api(worker.baseUrl, key, 'GET', `/api/v1/balance/gaps/${customer}`);
    assert.equal(gaps.body.data.hasGaps, false);
    assert.equal(gaps.body.data.present, mine.length);

    // Every checkpoint: note signed by the published key, and consistent with the one before it.
    const list = await api(worker.baseUrl, key, 'GET', `/api/v1/balance/checkpoints?customerId=${customer}&limit=100`);
    const cps = list.body.data.checkpoints.sort((a, b) => a.treeSize - b.treeSize);
    assert.ok(cps.length >= 1);
    const roots = new Map([[0, '0x' + '0'.repeat(64)], ...cps.map((c) => [c.treeSize, c.proofRoot])]);
    for (const c of cps) {
      const note = V.verifyCheckpoint(c.note, vkeys);
      assert.equal(note.root, c.proofRoot);
      assert.equal(note.size, c.treeSize);
      assert.equal(note.count, c.recordCount);
      const { fromSize, fromRoot, toSize, proof } = c.consistencyProof;
      assert.equal(roots.get(fromSize), fromRoot, 'previous checkpoint is one of this log');
      assert.equal(V.verifyConsistency(fromSize, fromRoot, toSize, c.proofRoot, proof), true);
    }
  }
});

test('an all-customers checkpoint over more customers than one call takes: calling again continues until complete', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Many customers', rateLimitPerMinute: 100_000 });
  const key = t.keys.sandbox;
  const names = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const batch = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch',
    { deltas: names.map((c, i) => ({ customerId: c, delta: i + 1, reason: 'seat' })) });
  assert.equal(batch.status, 201, JSON.stringify(batch.body));
  await waitVerified(worker.baseUrl, key, batch.body.data.results.map((r) => r.recordId));

  const call = async () => {
    const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.data;
  };
  const first = await call();
  assert.equal(first.checkpoints.length, 25);
  assert.ok(first.checkpoints.every((c) => c.created === true));
  assert.deepEqual([first.truncated, first.complete], [true, false]);
  const second = await call();
  const created = second.checkpoints.filter((c) => c.created).map((c) => c.customerId);
  assert.deepEqual(created, names.slice(25), 'the second call checkpoints the customers the first left');
  assert.deepEqual([second.truncated, second.complete], [true, true]);
  const third = await call();
  assert.ok(third.checkpoints.every((c) => c.idempotent === true), 'nothing new once complete');
  assert.equal(third.complete, true);

  const list = await api(worker.baseUrl, key, 'GET', '/api/v1/balance/checkpoints?limit=100');
  const byCustomer = new Map(list.body.data.checkpoints.map((c) => [c.customerId, c]));
  assert.deepEqual([...byCustomer.keys()].sort(), names);
  names.forEach((c, i) => assert.equal(byCustomer.get(c).closingBalance, i + 1));
  for (const c of byCustomer.values()) assert.equal(V.verifyCheckpoint(c.note, vkeys).count, 1);
});

test('a checkpoint asked for while records wait sequences them first and signs the head after them', async () => {
  const w = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Deferred' });
    const key = t.keys.sandbox;
    for (const customer of ['q1', 'q2']) {
      for (const d of ['4.5', '-1']) {
        const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"${customer}","delta":${d},"reason":"x"}`);
        assert.equal(r.status, 201);
        assert.equal(r.body.data.status, 'QUEUED');
      }
    }
    const one = await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'q1' });
    assert.equal(one.status, 201, JSON.stringify(one.body));
    const all = await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', {});
    assert.equal(all.status, 201, JSON.stringify(all.body));
    const keys = await verifierKeys(w.baseUrl);
    for (const c of [one.body.data, ...all.body.data.checkpoints]) {
      const note = V.verifyCheckpoint(c.note, keys);
      assert.deepEqual([note.size, note.count, note.closing], [2, 2, '3.5'], c.customerId);
      assert.equal(note.root, c.proofRoot);
    }
  } finally {
    await w.stop();
  }
});

test('a record that cannot be verified ends FAILED with its reason, a delta.failed event, and the log goes on without it; gaps finds a lost entry', async () => {
  const w = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Failing' });
    const key = t.keys.sandbox;
    // Deliveries to a closed port fail; the outbox row is what is checked here.
    await admin(w.baseUrl, 'POST', `/admin/tenants/${t.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', environment: 'sandbox' });
    const ids = [];
    for (const d of ['5', '2', '3', '4']) {
      const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"f1","delta":${d},"reason":"x"}`);
      assert.equal(r.status, 201);
      ids.push(r.body.data.recordId);
    }
    // Storage corrupted while the records wait: one item no longer hashes to its
    // itemHash, another's amount column no longer matches its item.
    await d1(w.persistDir, `UPDATE records SET item = replace(item, '"2"', '"20"') WHERE id = ${sql(ids[1])}`);
    await d1(w.persistDir, `UPDATE records SET amount = '7' WHERE id = ${sql(ids[3])}`);
    const c = await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'f1' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const keys = await verifierKeys(w.baseUrl);
    const note = V.verifyCheckpoint(c.body.data.note, keys);
    assert.deepEqual([note.size, note.count, note.closing], [2, 2, '8']);

    const status = async (id) => (await api(w.baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`)).body.data;
    const [a, b, d3, e] = await Promise.all(ids.map(status));
    assert.deepEqual([a.status, a.sequenceNumber, d3.status, d3.sequenceNumber], ['VERIFIED', '0', 'VERIFIED', '1']);
    assert.deepEqual([b.status, b.failedReason], ['FAILED', 'stored item does not hash to its itemHash']);
    assert.deepEqual([e.status, e.failedReason], ['FAILED', 'stored amount differs from the item\'s']);
    assert.equal(b.sequenceNumber ?? null, null);

    // One event per outcome, each queued for delivery to the endpoint.
    const hooks = (await api(w.baseUrl, key, 'GET', '/api/v1/balance/webhooks?limit=100')).body.data.deliveries;
    assert.deepEqual(hooks.map((h) => h.event).sort(), ['checkpoint.verified', 'delta.failed', 'delta.failed', 'delta.verified', 'delta.verified']);
    const events = await d1(w.persistDir, `SELECT body FROM events WHERE tenant_id = ${sql(t.id)} AND type = 'delta.failed'`);
    const data = events.map((row) => JSON.parse(row.body).data);
    assert.deepEqual(Object.fromEntries(data.map((x) => [x.recordId, x.error])), { [ids[1]]: b.failedReason, [ids[3]]: e.failedReason });
    assert.ok(data.every((x) => x.status === 'failed' && x.customerId === 'f1'));

    // The log goes on: a later delta is sequence 2 on top of the verified balance.
    const next = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', '{"customerId":"f1","delta":1,"reason":"x"}');
    await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'f1' });
    const n = await status(next.body.data.recordId);
    assert.deepEqual([n.status, n.sequenceNumber, n.balanceAfter], ['VERIFIED', '2', 9]);

    // gaps reports the FAILED records as failed, not as gaps; an entry lost from storage is a gap.
    const whole = (await api(w.baseUrl, key, 'GET', '/api/v1/balance/gaps/f1')).body.data;
    assert.deepEqual([whole.size, whole.present, whole.hasGaps, whole.failedRecords], [3, 3, false, 2]);
    // Entries are read from their passes (0015), so losing one means losing it there.
    await d1(w.persistDir, `UPDATE log_passes SET entries = json_replace(entries, '$[' || (r.log_pos - log_passes.first_pos) || ']', json('null'))
      FROM records r WHERE r.id = ${sql(ids[2])} AND log_passes.log_id = r.log_id AND r.log_pos >= log_passes.first_pos AND r.log_pos < log_passes.end_pos`);
    const holed = (await api(w.baseUrl, key, 'GET', '/api/v1/balance/gaps/f1')).body.data;
    assert.deepEqual([holed.expected, holed.present, holed.hasGaps, holed.gaps], [3, 2, true, [{ from: 1, to: 1 }]]);
  } finally {
    await w.stop();
  }
});

test('served inclusion proofs verify in the npm package and in OpenZeppelin; tampered ones in neither', async () => {
  const data = await receipt(worker.baseUrl, tenant.keys.sandbox, 'c0');
  const { proofRoot: root, checkpoint } = data;
  const size = checkpoint.treeSize;
  assert.ok(data.deltas.length > 0);
  for (const d of [...data.deltas, data.boundaries.closing]) {
    assert.equal(V.itemHash(d.item), d.itemHash);
    assert.equal(V.entryHash({ seq: d.sequenceNumber, itemHash: d.itemHash, balanceAfter: String(d.balanceAfter) }), d.entryHash);
    assert.equal(V.verifyInclusion(root, size, d.sequenceNumber, d.entryHash, d.proof), true);
    assert.equal(SimpleMerkleTree.verify(root, d.entryHash, d.proof), true);

    const flip = (h) => h.slice(0, -1) + (h.at(-1) === '0' ? '1' : '0');
    if (d.proof.length > 0) {
      const bad = [flip(d.proof[0]), ...d.proof.slice(1)];
      assert.equal(SimpleMerkleTree.verify(root, d.entryHash, bad), false);
      assert.throws(() => V.verifyInclusion(root, size, d.sequenceNumber, d.entryHash, bad), { code: 'ROOT_MISMATCH' });
    }
    assert.equal(SimpleMerkleTree.verify(root, flip(d.entryHash), d.proof), false);
    assert.throws(() => V.verifyInclusion(root, size, d.sequenceNumber, flip(d.entryHash), d.proof), { code: 'ROOT_MISMATCH' });
  }
  // A per-record receipt proves the record under a stored, publicly verifiable checkpoint.
  const one = await api(worker.baseUrl, tenant.keys.sandbox, 'GET', `/api/v1/balance/receipts/${data.deltas[0].recordId}`);
  assert.equal(one.status, 200);
  const r = one.body.data;
  assert.equal(V.verifyInclusion(r.checkpoint.proofRoot, r.treeSize, r.sequenceNumber, r.entryHash, r.proof), true);
  const pub = await api(worker.baseUrl, null, 'GET', `/api/v1/verify/${r.checkpoint.proofRoot}`);
  assert.equal(pub.status, 200);
  assert.equal(pub.body.data.verified, true);
});

test('one commit for many logs: a log taken over by another sequencer mid-pass gets nothing of that commit, the others all of theirs', async () => {
  const w = await startWorker({ vars: { FAULTS: '1' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Takeover', rateLimitPerMinute: 100_000 });
    const key = t.keys.sandbox;
    const deltas = ['lost', 'kept', 'also'].flatMap((c) => [1, 2, 3].map((i) => ({ customerId: c, delta: i, reason: `${c} ${i}` })));
    // The drain after this response claims the three logs, computes their passes and waits 8 s
    // before its one commit.
    const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', { deltas }, { 'x-vericord-fault': 'before-commit=8000' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const ids = r.body.data.results.map((x) => x.recordId);
    const logId = async (c) => (await d1(w.persistDir, `SELECT id FROM logs WHERE tenant_id = ${sql(t.id)} AND subject_id = ${sql(c)}`))[0].id;
    const lost = await logId('lost');
    // Meanwhile another sequencer takes `lost` over (its lease, as if ours had lapsed).
    await d1(w.persistDir, `UPDATE logs SET head_token = 'another-sequencer' WHERE id = ${sql(lost)}`);
    await waitVerified(w.baseUrl, key, ids.slice(3), 30_000);
    const state = async () => (await d1(w.persistDir, `SELECT l.size,
        (SELECT COALESCE(SUM(json_array_length(p.entries)), 0) FROM log_passes p WHERE p.log_id = l.id) AS sequenced,
        (SELECT COUNT(*) FROM records r WHERE r.log_id = l.id AND r.seq IS NOT NULL) AS rewritten,
        (SELECT COUNT(*) FROM tiles t WHERE t.log_id = l.id) AS tiles,
        (SELECT COUNT(*) FROM log_stamps s WHERE s.log_id = l.id) AS stamps
      FROM logs l WHERE l.id = ${sql(lost)}`))[0];
    assert.deepEqual(await state(), { size: 0, sequenced: 0, rewritten: 0, tiles: 0, stamps: 0 }, 'the lost log got nothing');
    for (const c of ['kept', 'also']) {
      const d = (await api(w.baseUrl, key, 'GET', `/api/v1/balance/customers/${c}`)).body.data;
      assert.equal(d.verifiedDeltas, 3, `${c}: ${JSON.stringify(d)}`);
    }
    // The other sequencer goes away; the sweep sequences `lost` once, in order.
    await d1(w.persistDir, `UPDATE logs SET head_token = '', lease_until_ms = 0 WHERE id = ${sql(lost)}`);
    assert.equal(await w.scheduled(), 'ok');
    await waitVerified(w.baseUrl, key, ids.slice(0, 3), 30_000);
    // Each entry sits in its pass's row by position (0014); the record rows stay as accepted.
    const seqs = await d1(w.persistDir, `SELECT p.entries -> (r.log_pos - p.first_pos) ->> 0 AS seq,
        p.entries -> (r.log_pos - p.first_pos) ->> 2 AS balance_after
      FROM records r JOIN log_passes p ON p.log_id = r.log_id AND r.log_pos >= p.first_pos AND r.log_pos < p.end_pos
      WHERE r.log_id = ${sql(lost)} ORDER BY r.log_pos`);
    assert.deepEqual(seqs.map((s) => [s.seq, s.balance_after]), [[0, '1'], [1, '3'], [2, '6']]);
    assert.deepEqual(await state(), { size: 3, sequenced: 3, rewritten: 0, tiles: 0, stamps: 1 });
  } finally {
    await w.stop();
  }
});

test('SIGKILL mid-load, restart on the same D1: every acknowledged delta ends VERIFIED', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-kill-'));
  await migratedD1(persistDir);
  let w = await startWorker({ persistDir });
  const t = await createTenant(w.baseUrl, { name: 'Crash', rateLimitPerMinute: 100_000 });
  const key = t.keys.sandbox;
  const ackedHere = new Map();
  let running = true;
  const client = async (i) => {
    let n = 0;
    while (running) {
      const v = randomCents();
      const c = `k${(i + n++) % 3}`;
      try {
        const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"${c}","delta":${text(v)},"reason":"load"}`);
        if (r.status === 201) ackedHere.set(r.body.data.recordId, { customer: c, cents: v });
      } catch { /* the server died under this request: not acknowledged */ }
    }
  };
  const clients = Array.from({ length: 8 }, (_, i) => client(i));
  await new Promise((ok) => setTimeout(ok, 2_500));
  await w.stop('SIGKILL');
  running = false;
  await Promise.all(clients);
  assert.ok(ackedHere.size > 20, `load produced only ${ackedHere.size} acknowledged deltas`);

  w = await startWorker({ persistDir });
  try {
    await waitVerified(w.baseUrl, key, [...ackedHere.keys()]);
    for (const c of ['k0', 'k1', 'k2']) {
      const data = await receipt(w.baseUrl, key, c);
      const ids = new Set(data.deltas.map((d) => d.recordId));
      for (const [id, r] of ackedHere) if (r.customer === c) assert.ok(ids.has(id), `${id} missing from ${c}'s log`);
      assert.deepEqual(data.deltas.map((d) => d.sequenceNumber), [...data.deltas.keys()]);
      // The log may also hold records committed just before the kill whose response was lost.
      assert.equal(cents(data.finalBalance), data.deltas.reduce((s, d) => s + cents(d.delta), 0));
    }
  } finally {
    await w.stop();
  }
});

test('a drain writes nothing beyond its commit but the claim: the commit gives the lease back, so the release has nothing left to write', async () => {
  const w = await startWorker({ vars: { BENCH_ROUTES: '1', SEQUENCE_AFTER_RESPONSE: 'false' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Drain rows', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    for (const n of [1, 3]) {
      const deltas = Array.from({ length: n }, (_, i) => ({ customerId: 'drained', delta: 1, reason: `r${n}-${i}` }));
      assert.equal((await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', { deltas })).status, 201);
      const d = await api(w.baseUrl, key, 'POST', '/bench/drain/drained');
      assert.equal(d.status, 200);
      assert.equal(d.body.data.appended, n);
      // Every row the request wrote (the header) is the commit's, the claim's one, and the
      // rate-limit window's upsert (measured alone: a drain of a log with nothing waiting).
      const idle = await api(w.baseUrl, key, 'POST', '/bench/drain/nobody');
      const beside = Number(idle.headers.get('x-d1-rows-written'));
      assert.equal(Number(d.headers.get('x-d1-rows-written')) - d.body.data.rowsWritten, beside + 1, `drain of ${n}`);
    }
  } finally {
    await w.stop();
  }
});
