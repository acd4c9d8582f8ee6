// Issue 9.4 and 9.5: the public GET /api/v1/verify/:root reveals nothing beyond what its root
// grants. The empty tree's root is every log's before its first entry, so it names no one;
// a submission's root covers records of several customers, so its public answer proves the
// root and lists no record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { createTenant, api, batch, emit, assertError, assertOk, merkleRoot, uid } from './fixtures.mjs';

const ZERO = `0x${'00'.repeat(32)}`;
let worker;
let tenant;
before(async () => {
  worker = await startWorker();
  tenant = await createTenant(worker.baseUrl, { name: 'Secret Vendor Name', rateLimitPerMinute: 1_000_000 });
});
after(async () => { await worker?.stop(); });

const verify = (root) => api(worker.baseUrl, undefined, 'GET', `/api/v1/verify/${root}`);

test('public verify of the empty root 0x00…00 shows no tenant\'s metadata', async () => {
  const customer = uid('empty');
  assertOk(await emit(worker.baseUrl, tenant.keys.sandbox, { customerId: customer, delta: 3, reason: 'r' }), 201);
  // A receipt for a month before the customer's first record: a size-0 checkpoint, root 0x00…00.
  const old = assertOk(await api(worker.baseUrl, tenant.keys.sandbox, 'GET', `/api/v1/balance/receipt/${customer}?period=2020-01`), 200);
  assert.equal(old.proofRoot, ZERO);
  assert.equal(old.deltaCount, 0);
  assert.equal(old.verifyUrl, null, 'no link to a root that names no one');
  assert.equal(old.checkpoint.checkpointId, null, 'a read stores no empty checkpoint');
  // An explicit checkpoint of such a period is stored, yet the root still resolves to no one.
  assertOk(await api(worker.baseUrl, tenant.keys.sandbox, 'POST', '/api/v1/balance/checkpoint', { customerId: customer, period: '2020-02' }), 201);
  for (const root of [ZERO, ZERO.toUpperCase().replace('0X', '0x')]) {
    const res = await verify(root);
    assertError(res, 404, 'PROOF_ROOT_NOT_FOUND');
    const text = JSON.stringify(res.body);
    for (const secret of [tenant.name, customer, '2020-01', '2020-02', 'customerReference']) assert.ok(!text.includes(secret), `${secret} leaked`);
  }
});

test('public verify of a submission root proves the root and lists no customer\'s records', async () => {
  const refs = [uid('ref-a'), uid('ref-b')];
  const body = {
    deltas: [
      { customerId: uid('alice'), delta: -12.5, reason: 'secret reason alice', referenceId: refs[0], metadata: { note: 'private-a' } },
      { customerId: uid('bob'), delta: 777.125, reason: 'secret reason bob', referenceId: refs[1] },
    ],
  };
  const b = assertOk(await batch(worker.baseUrl, tenant.keys.sandbox, body), 201);
  const res = await verify(b.receiptId);
  const v = assertOk(res, 200);
  assert.equal(v.verified, true);
  assert.equal(v.kind, 'submission');
  assert.equal(v.proofRoot, b.receiptId);
  assert.deepEqual(v.verification.itemHashes, b.itemHashes);
  assert.equal(merkleRoot(v.verification.itemHashes), b.receiptId, 'the item hashes fold to the root');
  assert.equal(v.records, undefined);
  const text = JSON.stringify(res.body);
  for (const d of body.deltas) {
    for (const secret of [d.customerId, d.reason, d.referenceId, String(d.delta), 'private-a', tenant.name]) {
      assert.ok(!text.includes(secret), `${secret} leaked in ${text.slice(0, 400)}`);
    }
  }
  // The tenant's own key still sees the submission's records.
  const own = assertOk(await api(worker.baseUrl, tenant.keys.sandbox, 'GET', `/api/v1/balance/receipts/${b.receiptId}`), 200);
  assert.deepEqual(own.items.map((i) => i.referenceId), refs);
  // Another tenant's key does not.
  const other = await createTenant(worker.baseUrl, { name: 'Other' });
  assertError(await api(worker.baseUrl, other.keys.sandbox, 'GET', `/api/v1/balance/receipts/${b.receiptId}`), 404, 'RECEIPT_NOT_FOUND');
});

test('a custom-range receipt stores no checkpoint, and its root still resolves publicly, once per log size', async () => {
  const customer = uid('custom');
  for (const d of [1, 2, 3]) assertOk(await emit(worker.baseUrl, tenant.keys.sandbox, { customerId: customer, delta: d, reason: 'r' }), 201);
  const start = new Date(Date.now() - 3_600_000);
  const roots = new Set();
  for (let i = 0; i < 5; i++) {
    const end = new Date(Date.now() + 3_600_000 + i); // labels that differ by a millisecond
    const r = assertOk(await api(worker.baseUrl, tenant.keys.sandbox, 'GET', `/api/v1/balance/receipt/${customer}?startDate=${start.toISOString()}&endDate=${end.toISOString()}`), 200);
    assert.equal(r.checkpoint.checkpointId, null);
    assert.equal(r.checkpoint.stored, false);
    roots.add(r.proofRoot);
  }
  assert.equal(roots.size, 1);
  const [root] = roots;
  const v = assertOk(await verify(root), 200);
  assert.equal(v.verified, true);
  assert.equal(v.kind, 'checkpoint');
  assert.equal(v.verification.treeSize, 3);
});
