// Tenant and environment isolation on every route: one key never sees, changes
// or collides with another tenant's or environment's data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, admin, emit, batch, writes, get, assertError, assertOk, assertNothingWritten, subjectReference,
} from './fixtures.mjs';

let worker;
let a;
let b;
/** What tenant A wrote in sandbox. */
const seen = {};
/** The three keys that must not see it: A production, B sandbox, B production. */
let outsiders;

before(async () => {
  worker = await startWorker();
  a = await createTenant(worker.baseUrl, { name: 'Tenant A', rateLimitPerMinute: 1_000_000 });
  b = await createTenant(worker.baseUrl, { name: 'Tenant B', rateLimitPerMinute: 1_000_000 });
  const k = a.keys.sandbox;
  seen.emit = assertOk(await emit(worker.baseUrl, k, { customerId: 'iso-shared', delta: 100, reason: 'a', referenceId: 'iso-ref' }, { 'idempotency-key': 'iso-idem' }), 201);
  seen.batch = assertOk(await batch(worker.baseUrl, k, { deltas: [{ customerId: 'iso-shared', delta: -1, reason: 'a' }, { customerId: 'iso-only-a', delta: 5, reason: 'a' }] }), 201);
  seen.write = (await writes(worker.baseUrl, k, { items: [{ key: 'iso-key', accountId: 'iso-acct', bits: 1 }] })).body.data;
  outsiders = [['A production', a.keys.production], ['B sandbox', b.keys.sandbox], ['B production', b.keys.production]];
});
after(async () => { await worker?.stop(); });

test('GET /delta/:id: no other tenant or environment sees A\'s records or submissions', async () => {
  const ids = [seen.emit.recordId, seen.emit.anchorId, seen.batch.anchorId, ...seen.batch.results.map((r) => r.recordId)];
  for (const [who, key] of outsiders) {
    for (const id of ids) assertError(await get(worker.baseUrl, key, `/api/v1/balance/delta/${id}`), 404, 'DELTA_NOT_FOUND', undefined, who);
  }
  for (const id of ids) assert.equal((await get(worker.baseUrl, a.keys.sandbox, `/api/v1/balance/delta/${id}`)).status, 200);
});

test('customers, summary and detail are per tenant and environment, even for the same customer id', async () => {
  // B sandbox records the same customer id; A production too.
  const bd = assertOk(await emit(worker.baseUrl, b.keys.sandbox, { customerId: 'iso-shared', delta: 7, reason: 'b' }), 201);
  const ap = assertOk(await emit(worker.baseUrl, a.keys.production, { customerId: 'iso-shared', delta: 9, reason: 'a-prod' }), 201);
  const refs = new Set([
    seen.emit.customerReference, bd.customerReference, ap.customerReference,
  ]);
  assert.equal(refs.size, 3, 'one customer id, three references');
  assert.equal(bd.customerReference, subjectReference('customer', b.id, 'sandbox', 'iso-shared').reference);
  assert.equal(ap.customerReference, subjectReference('customer', a.id, 'production', 'iso-shared').reference);

  const aList = assertOk(await get(worker.baseUrl, a.keys.sandbox, '/api/v1/balance/customers'), 200);
  assert.deepEqual(aList.customers.map((c) => [c.customerId, c.totalDeltas]), [['iso-only-a', 1], ['iso-shared', 2]]);
  for (const [key, expected] of [[a.keys.production, [['iso-shared', 1]]], [b.keys.sandbox, [['iso-shared', 1]]], [b.keys.production, []]]) {
    const list = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers'), 200);
    assert.deepEqual(list.customers.map((c) => [c.customerId, c.totalDeltas]), expected);
    assert.equal(list.total, expected.length);
    assert.equal(assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers?search=only-a'), 200).total, 0);
    assertError(await get(worker.baseUrl, key, '/api/v1/balance/customers/iso-only-a'), 404, 'CUSTOMER_NOT_FOUND');
  }
  const aShared = assertOk(await get(worker.baseUrl, a.keys.sandbox, '/api/v1/balance/customers/iso-shared'), 200);
  assert.deepEqual(aShared.recentActivity.items.map((i) => i.reason), ['a', 'a']);
  assert.equal(aShared.customerReference, seen.emit.customerReference);
  const bShared = assertOk(await get(worker.baseUrl, b.keys.sandbox, '/api/v1/balance/customers/iso-shared'), 200);
  assert.deepEqual(bShared.recentActivity.items.map((i) => i.recordId), [bd.recordId]);
  const apShared = assertOk(await get(worker.baseUrl, a.keys.production, '/api/v1/balance/customers/iso-shared'), 200);
  assert.deepEqual(apShared.recentActivity.items.map((i) => i.recordId), [ap.recordId]);
  assertError(await get(worker.baseUrl, b.keys.production, '/api/v1/balance/customers/iso-shared'), 404, 'CUSTOMER_NOT_FOUND');

  const sum = async (key) => {
    const s = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers/summary'), 200);
    return [s.totalCustomers, s.totalDeltas, s.environment];
  };
  assert.deepEqual(await sum(a.keys.sandbox), [2, 3, 'sandbox']);
  assert.deepEqual(await sum(a.keys.production), [1, 1, 'production']);
  assert.deepEqual(await sum(b.keys.sandbox), [1, 1, 'sandbox']);
  assert.deepEqual(await sum(b.keys.production), [0, 0, 'production']);
});

test('usage and limits are per tenant and environment', async () => {
  const u = async (key) => assertOk(await get(worker.baseUrl, key, '/api/v1/balance/usage'), 200);
  const ua = await u(a.keys.sandbox);
  // A sandbox: 1 emit + 2 batch + 1 write (the other keys' own records are counted apart).
  assert.deepEqual([ua.used, ua.environment], [4, 'sandbox']);
  const up = await u(a.keys.production);
  assert.deepEqual([up.used, up.environment], [1, 'production']);
  assert.equal((await u(b.keys.sandbox)).used, 1);
  assert.equal((await u(b.keys.production)).used, 0);
  // A's allowance and key limits are A's alone.
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${a.id}`, { monthlyAllowance: 1000 });
  await admin(worker.baseUrl, 'PATCH', `/admin/keys/${a.keys.production.split('.')[0]}`, { rateLimitPerMinute: 999_999 });
  const l = async (key) => {
    const x = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/limits'), 200);
    return [x.monthlyAllowance, x.rateLimitPerMinute];
  };
  assert.deepEqual(await l(a.keys.sandbox), [1000, 1_000_000]);
  assert.deepEqual(await l(a.keys.production), [1000, 999_999]);
  assert.deepEqual(await l(b.keys.sandbox), [null, 1_000_000]);
  assert.deepEqual(await l(b.keys.production), [null, 1_000_000]);
  assert.deepEqual([(await u(a.keys.sandbox)).allowance, (await u(a.keys.sandbox)).remaining], [1000, 996]);
  assert.deepEqual([(await u(b.keys.sandbox)).allowance, (await u(b.keys.sandbox)).remaining], [null, null]);
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${a.id}`, { monthlyAllowance: null });
});

test('writes: the same key is free in every other tenant and environment', async () => {
  const body = { items: [{ key: 'iso-key', accountId: 'iso-acct', bits: 1 }] };
  for (const [, key] of outsiders) assert.equal((await writes(worker.baseUrl, key, body)).status, 202);
  for (const [, key] of [['A sandbox', a.keys.sandbox], ...outsiders]) {
    assertError(await writes(worker.baseUrl, key, body), 409, 'DUPLICATE_KEY', 'items[0].key');
  }
});

test('adjusts cannot name another tenant\'s or environment\'s delta', async () => {
  await assertNothingWritten(worker, async () => {
    for (const [, key] of outsiders) {
      assertError(await emit(worker.baseUrl, key, { customerId: 'iso-shared', delta: -1, reason: 'x', adjusts: { referenceId: 'iso-ref' } }), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
      assertError(await emit(worker.baseUrl, key, { customerId: 'iso-shared', delta: -1, reason: 'x', adjusts: { recordId: seen.emit.recordId } }), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    }
  });
  assertOk(await emit(worker.baseUrl, a.keys.sandbox, { customerId: 'iso-shared', delta: -1, reason: 'x', adjusts: { referenceId: 'iso-ref' } }), 201);
});

test('Idempotency-Key: another tenant or environment using the same key gets its own fresh result', async () => {
  const body = { customerId: 'iso-shared', delta: 100, reason: 'a', referenceId: 'iso-ref' };
  for (const [who, key] of outsiders) {
    const res = await emit(worker.baseUrl, key, body, { 'idempotency-key': 'iso-idem' });
    assertOk(res, 201);
    assert.equal(res.headers.get('idempotent-replayed'), null, who);
    assert.notEqual(res.body.data.recordId, seen.emit.recordId, who);
  }
  const replay = await emit(worker.baseUrl, a.keys.sandbox, body, { 'idempotency-key': 'iso-idem' });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.body.data.recordId, seen.emit.recordId);
});

test('vendor accounts belong to their middleware tenant', async () => {
  const m1 = await createTenant(worker.baseUrl, { name: 'MW 1', kind: 'middleware', vendors: 1 });
  const m2 = await createTenant(worker.baseUrl, { name: 'MW 2', kind: 'middleware', vendors: 1 });
  const v1 = m1.vendorAccounts[0].id;
  assertOk(await emit(worker.baseUrl, m1.keys.sandbox, { customerId: 'iso-mw', delta: 1, reason: 'r', vendorAccountId: v1 }), 201);
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, m2.keys.sandbox, { customerId: 'iso-mw', delta: 1, reason: 'r', vendorAccountId: v1 }), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
    assertError(await batch(worker.baseUrl, m2.keys.sandbox, { vendorAccountId: v1, deltas: [{ customerId: 'iso-mw', delta: 1, reason: 'r' }] }), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'deltas[0].vendorAccountId');
  });
  assertError(await get(worker.baseUrl, m2.keys.sandbox, `/api/v1/balance/customers/iso-mw?vendorAccountId=${v1}`), 404, 'CUSTOMER_NOT_FOUND');
  assertError(await get(worker.baseUrl, m1.keys.production, '/api/v1/balance/customers/iso-mw'), 404, 'CUSTOMER_NOT_FOUND');
  // The vendor's sandbox customer is not in production, even for the same vendor account.
  const prod = assertOk(await emit(worker.baseUrl, m1.keys.production, { customerId: 'iso-mw', delta: 1, reason: 'r', vendorAccountId: v1 }), 201);
  assert.equal(prod.customerReference, subjectReference('customer', v1, 'production', 'iso-mw').reference);
  assert.equal(assertOk(await get(worker.baseUrl, m1.keys.production, '/api/v1/balance/customers/iso-mw'), 200).totalDeltas, 1);
});

test('API keys cannot use admin routes, and the admin token is not an API key', async () => {
  for (const key of [a.keys.sandbox, a.keys.production]) {
    const res = await fetch(`${worker.baseUrl}/admin/tenants/${a.id}`, { headers: { 'x-api-key': key, authorization: `Bearer ${key}` } });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'INVALID_ADMIN_TOKEN');
  }
});
