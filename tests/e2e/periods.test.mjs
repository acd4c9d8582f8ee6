// Issue 9.2 and 9.6: periods tile the log, and reads that race the sequencer never fail.
// A record belongs to the period its sequencing stamp falls in; stamps never decrease along
// seq, and a stored checkpoint raises the log's stamp floor to its end first, so consecutive
// periods are consecutive ranges of sequence numbers whatever the interleaving (docs/SPEC.md
// §11). The Worker runs with FAULTS=1 so requests can stall where the races happen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker } from './harness.mjs';
import { createTenant, api, emit, assertOk, uid } from './fixtures.mjs';

let worker;
let key;
let keys;
before(async () => {
  worker = await startWorker({ vars: { FAULTS: '1' } });
  const t = await createTenant(worker.baseUrl, { name: 'Periods', rateLimitPerMinute: 1_000_000 });
  key = t.keys.sandbox;
  keys = (await api(worker.baseUrl, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
});
after(async () => { await worker?.stop(); });

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const iso = (ms) => new Date(ms).toISOString();
const fault = (f) => ({ 'x-vericord-fault': f });

/** POST /checkpoint for a custom range, retrying while records of the range still wait. */
async function checkpoint(customerId, startMs, endMs) {
  for (let i = 0; i < 120; i++) {
    const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId, startDate: iso(startMs), endDate: iso(endMs) });
    if (r.status !== 409) return assertOk(r, 201);
    await sleep(250);
  }
  throw new Error('checkpoint stayed pending');
}

async function allVerified(customerId) {
  for (let i = 0; i < 240; i++) {
    const c = (await api(worker.baseUrl, key, 'GET', `/api/v1/balance/customers/${customerId}`)).body.data;
    if (c.verifiedDeltas + c.failedDeltas === c.totalDeltas) return c;
    await sleep(250);
  }
  throw new Error('records stayed unsequenced');
}

test('periods tile the log: concurrent writers across two boundaries, with a checkpoint mid-stream, leave every entry in exactly one period', async () => {
  const customer = uid('tile');
  const t0 = Date.now() - 2_000;
  let stop = false;
  let paused = false;
  let sent = 0;
  // Four writers; every fourth request stalls after its received time is stamped, so commit
  // order and received order disagree all the time.
  const writer = async (w) => {
    for (let i = 0; !stop; i++) {
      if (paused) {
        await sleep(20);
        continue;
      }
      const r = await emit(worker.baseUrl, key, { customerId: customer, delta: 1, reason: `w${w}-${i}` }, i % 4 === 0 ? fault('before-accept=400') : {});
      assert.equal(r.status, 201, JSON.stringify(r.body));
      sent++;
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  await sleep(800);
  // A straddler: the last record received before the first boundary, committed well after
  // that period closed and after records received later.
  paused = true;
  await sleep(700);
  const straddlerAt = Date.now();
  const straddler = emit(worker.baseUrl, key, { customerId: customer, delta: 1, reason: 'straddler' }, fault('before-accept=2500'));
  const t1 = straddlerAt + 150;
  await sleep(t1 - Date.now() + 100);
  paused = false;
  await sleep(200);
  const p1 = await checkpoint(customer, t0, t1);
  // Mid-stream: a checkpoint of the open range after t1 while the writers write.
  const mid = await checkpoint(customer, t1, Date.now() + 60_000);
  const s = assertOk(await straddler, 201);
  assert.ok(s.receivedAt < iso(t1), `straddler received ${s.receivedAt}, before ${iso(t1)}`);
  await sleep(600);
  const t2 = Date.now();
  await sleep(300);
  stop = true;
  await Promise.all(writers);
  const c = await allVerified(customer);
  assert.equal(c.failedDeltas, 0);
  assert.equal(c.totalDeltas, sent + 1);
  const p2 = await checkpoint(customer, t1, t2);
  const p3 = await checkpoint(customer, t2, Date.now() + 60_000);

  // Contiguous and complete: each period starts where the one before ended, from 0 to the head.
  assert.equal(p1.startSize, 0);
  assert.equal(mid.startSize, p1.treeSize, 'the mid-stream checkpoint starts where the first period ended');
  assert.equal(p2.startSize, p1.treeSize, 'the second period starts where the first ended');
  assert.equal(p3.startSize, p2.treeSize, 'the third period starts where the second ended');
  assert.equal(p3.treeSize, c.verifiedDeltas, 'the last period ends at the head');
  assert.equal(p1.recordCount + p2.recordCount + p3.recordCount, c.totalDeltas, 'every entry is in exactly one period');
  for (const p of [p1, mid, p2, p3]) {
    const note = V.verifyCheckpoint(p.note, keys);
    assert.deepEqual([note.size, note.count], [p.treeSize, p.recordCount]);
  }
  // The straddler was sequenced after the first period was closed: it is in the second
  // period, marked as received before it.
  const status = assertOk(await api(worker.baseUrl, key, 'GET', `/api/v1/balance/delta/${s.recordId}`), 200);
  const seq = Number(status.sequenceNumber);
  assert.ok(seq >= p2.startSize && seq < p2.treeSize, `straddler seq ${seq} in [${p2.startSize}, ${p2.treeSize})`);
  assert.ok(status.sequencedAt >= iso(t1), `sequenced ${status.sequencedAt}`);
  const receipt = assertOk(await api(worker.baseUrl, key, 'GET', `/api/v1/balance/receipt/${customer}?startDate=${iso(t1)}&endDate=${iso(t2)}&limit=1000`), 200);
  const entry = receipt.deltas.find((d) => d.recordId === s.recordId);
  assert.equal(entry.receivedBeforePeriod, true);
  assert.equal(receipt.deltas.filter((d) => d.receivedBeforePeriod).every((d) => d.receivedAt < iso(t1)), true);
  V.verifyReceipt(receipt, keys);
});

test('a checkpoint or receipt racing the sequencer answers 2xx with a receipt that verifies (no MISSING_NODE)', async () => {
  const customer = uid('race');
  const start = Date.now() - 60_000;
  assertOk(await emit(worker.baseUrl, key, { customerId: customer, delta: 5, reason: 'first' }), 201);
  await allVerified(customer);
  for (let round = 0; round < 3; round++) {
    // A record received now commits and is sequenced while the read below has read the log
    // head and waits before reading the period's boundaries.
    const late = emit(worker.baseUrl, key, { customerId: customer, delta: 1, reason: `late ${round}` }, fault('before-accept=500'));
    await sleep(100);
    const path = `/api/v1/balance/receipt/${customer}?startDate=${iso(start)}&endDate=${iso(Date.now() + 3_600_000)}`;
    const [receipt, cp] = await Promise.all([
      api(worker.baseUrl, key, 'GET', path, undefined, fault('after-head=1500')),
      api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: customer }, fault('after-head=1500')),
    ]);
    assertOk(await late, 201);
    assert.ok(receipt.status === 200 || receipt.status === 409, `receipt: ${receipt.status} ${JSON.stringify(receipt.body).slice(0, 300)}`);
    assert.ok(cp.status === 201 || cp.status === 409, `checkpoint: ${cp.status} ${JSON.stringify(cp.body).slice(0, 300)}`);
    if (receipt.status === 200) V.verifyReceipt(receipt.body.data, keys);
    if (cp.status === 201) V.verifyCheckpoint(cp.body.data.note, keys);
    await allVerified(customer);
  }
  // And a derive racing a pass that stalls between taking its stamp and committing.
  const stalled = emit(worker.baseUrl, key, { customerId: customer, delta: 2, reason: 'stalled pass' }, fault('before-commit=1200'));
  await sleep(150);
  const d = await api(worker.baseUrl, key, 'GET', `/api/v1/balance/derive/${customer}`, undefined, fault('after-head=1500'));
  assertOk(d, 200);
  assert.ok(d.body.data.deltasCount >= 4 && d.body.data.deltasCount <= 5, JSON.stringify(d.body.data));
  assertOk(await stalled, 201);
});
