// Middleware tenants: vendorAccountId required / forbidden / unknown / one per
// batch, records owned by the vendor account (its own customer logs and references).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, emit, batch, writes, get, assertError, assertOk, assertNothingWritten, itemHash, merkleRoot, subjectReference,
} from './fixtures.mjs';

let worker;
let mw;
let mw2;
let direct;
let key;
let v1;
let v2;
before(async () => {
  worker = await startWorker();
  mw = await createTenant(worker.baseUrl, { name: 'Middleware', kind: 'middleware', vendors: 2, rateLimitPerMinute: 1_000_000 });
  mw2 = await createTenant(worker.baseUrl, { name: 'Middleware Two', kind: 'middleware', vendors: 1, rateLimitPerMinute: 1_000_000 });
  direct = await createTenant(worker.baseUrl, { name: 'Direct', rateLimitPerMinute: 1_000_000 });
  key = mw.keys.sandbox;
  [v1, v2] = mw.vendorAccounts.map((v) => v.id);
});
after(async () => { await worker?.stop(); });

const delta = (over = {}) => ({ customerId: 'mw-c', delta: 2, reason: 'r', ...over });

test('a middleware emit names its vendor account; the customer log and reference belong to the vendor', async () => {
  assert.match(v1, /^cmw_[0-9a-f]{24}$/);
  const d = assertOk(await emit(worker.baseUrl, key, delta({ vendorAccountId: v1, referenceId: 'mw-ref-1' })), 201);
  assert.equal(d.vendorAccountId, v1);
  assert.equal(d.customerReference, subjectReference('customer', v1, 'sandbox', 'mw-c').reference, 'owner = vendor account');
  assert.notEqual(d.customerReference, subjectReference('customer', mw.id, 'sandbox', 'mw-c').reference);
  const s = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${d.recordId}`), 200);
  assert.equal(s.vendorAccountId, v1);
  assert.equal(s.item.vendorAccountId, v1);
  assert.equal(itemHash(s.item), d.itemHash);
});

test('vendorAccountId: required for middleware, forbidden for direct, unknown or foreign refused — 400, nothing written', async () => {
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta()), 400, 'VENDOR_ACCOUNT_REQUIRED', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: null })), 400, 'VENDOR_ACCOUNT_REQUIRED', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: '' })), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: 'cmw_000000000000000000000000' })), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: mw2.vendorAccounts[0].id })), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: v1.toUpperCase() })), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, key, delta({ vendorAccountId: 5 })), 400, 'VALIDATION_ERROR', 'vendorAccountId');
    assertError(await emit(worker.baseUrl, direct.keys.sandbox, delta({ vendorAccountId: v1 })), 400, 'VENDOR_ACCOUNT_FORBIDDEN', 'vendorAccountId');
    assertError(await batch(worker.baseUrl, direct.keys.sandbox, { vendorAccountId: v1, deltas: [delta()] }), 400, 'VENDOR_ACCOUNT_FORBIDDEN', 'vendorAccountId');
    // Batch: one vendor account per submission.
    assertError(await batch(worker.baseUrl, key, { deltas: [delta({ vendorAccountId: v1 }), delta({ vendorAccountId: v2 })] }), 400, 'VENDOR_ACCOUNT_MIXED', 'deltas');
    assertError(await batch(worker.baseUrl, key, { vendorAccountId: v1, deltas: [delta(), delta({ vendorAccountId: v2 })] }), 400, 'VENDOR_ACCOUNT_MIXED', 'deltas');
    // An unknown vendor account anywhere refuses the whole batch.
    assertError(await batch(worker.baseUrl, key, { vendorAccountId: 'cmw_nope', deltas: [delta()] }), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'deltas[0].vendorAccountId');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta({ vendorAccountId: mw2.vendorAccounts[0].id })] }), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'deltas[0].vendorAccountId');
    // No vendor at all: every item fails in-band, so the request is a 400.
    const none = await batch(worker.baseUrl, key, { deltas: [delta(), delta()] });
    assertError(none, 400, 'VALIDATION_ERROR', 'deltas');
    assert.deepEqual(none.body.error.results.map((r) => [r.code, r.field]), [['VENDOR_ACCOUNT_REQUIRED', 'deltas[0].vendorAccountId'], ['VENDOR_ACCOUNT_REQUIRED', 'deltas[1].vendorAccountId']]);
  });
});

test('batch: a top-level vendorAccountId applies to every item; an item without one fails in-band', async () => {
  const all = assertOk(await batch(worker.baseUrl, key, { vendorAccountId: v2, deltas: [delta({ customerId: 'mwb-1' }), delta({ customerId: 'mwb-2', vendorAccountId: v2 })] }), 201);
  assert.equal(all.totalQueued, 2);
  assert.equal(all.receiptId, merkleRoot(all.itemHashes));
  const sub = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${all.anchorId}`), 200);
  for (const x of sub.deltas) {
    assert.equal(x.item.vendorAccountId, v2);
    assert.equal(x.item.customerReference, subjectReference('customer', v2, 'sandbox', x.customerId).reference);
    assert.equal(itemHash(x.item), x.itemHash);
  }
  const part = assertOk(await batch(worker.baseUrl, key, { deltas: [delta({ vendorAccountId: v1 }), delta({ customerId: 'mwb-3' })] }), 201);
  assert.deepEqual(part.results.map((r) => r.status), ['QUEUED', 'FAILED']);
  assert.deepEqual([part.results[1].error, part.results[1].field], ['VENDOR_ACCOUNT_REQUIRED', 'deltas[1].vendorAccountId']);
});

test('one customer id under two vendor accounts is two customers; detail needs vendorAccountId to choose', async () => {
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'shared', vendorAccountId: v1, delta: 1 })), 201);
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'shared', vendorAccountId: v2, delta: 5 })), 201);
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'shared', vendorAccountId: v2, delta: 6 })), 201);
  const list = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers?search=shared'), 200);
  assert.equal(list.total, 2);
  assert.deepEqual(list.customers.map((c) => [c.vendorAccountId, c.customerReference, c.totalDeltas]).sort(), [
    [v1, subjectReference('customer', v1, 'sandbox', 'shared').reference, 1],
    [v2, subjectReference('customer', v2, 'sandbox', 'shared').reference, 2],
  ].sort());
  assertError(await get(worker.baseUrl, key, '/api/v1/balance/customers/shared'), 400, 'VENDOR_ACCOUNT_REQUIRED', 'vendorAccountId');
  const c2 = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/customers/shared?vendorAccountId=${v2}`), 200);
  assert.equal(c2.vendorAccountId, v2);
  assert.equal(c2.totalDeltas, 2);
  assert.deepEqual(c2.recentActivity.items.map((i) => i.delta), [6, 5]);
  assert.equal(assertOk(await get(worker.baseUrl, key, `/api/v1/balance/customers/shared?vendorAccountId=${v1}`), 200).totalDeltas, 1);
  assertError(await get(worker.baseUrl, key, `/api/v1/balance/customers/shared?vendorAccountId=${mw2.vendorAccounts[0].id}`), 404, 'CUSTOMER_NOT_FOUND');
  // A customer of a single vendor account needs no vendorAccountId.
  assert.equal(assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers/mwb-1'), 200).vendorAccountId, v2);
});

test('adjusts stays within the vendor account', async () => {
  const orig = assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'mw-adj', vendorAccountId: v1, referenceId: 'mw-adj-ref' })), 201);
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta({ customerId: 'mw-adj', vendorAccountId: v2, adjusts: { referenceId: 'mw-adj-ref' } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await emit(worker.baseUrl, key, delta({ customerId: 'mw-adj', vendorAccountId: v2, adjusts: { recordId: orig.recordId } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
  });
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'mw-adj', vendorAccountId: v1, delta: -1, adjusts: { recordId: orig.recordId } })), 201);
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'mw-adj', vendorAccountId: v1, delta: -1, adjusts: { referenceId: 'mw-adj-ref' } })), 201);
});

test('writes from a middleware tenant need no vendor account (and refuse one)', async () => {
  assert.equal((await writes(worker.baseUrl, key, { items: [{ key: 'mw-w', accountId: 'a', bits: 1 }] })).status, 202);
  await assertNothingWritten(worker, async () => {
    assertError(await writes(worker.baseUrl, key, { items: [{ key: 'mw-w2', accountId: 'a', bits: 1, vendorAccountId: v1 }] }), 400, 'UNKNOWN_FIELD', 'items[0].vendorAccountId');
  });
});
