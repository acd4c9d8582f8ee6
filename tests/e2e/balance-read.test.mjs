// The read side: GET /delta/:id, /customers (page, limit, search), /customers/summary,
// /customers/:customerId (deltaPage, deltaLimit, period), /usage, /limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, api, emit, batch, writes, get, assertError, assertOk, assertNothingWritten,
  itemHash, subjectReference,
} from './fixtures.mjs';

let worker;
let tenant;
let key;
const made = {};
before(async () => {
  // Sequencing is deferred here so the accepted (QUEUED) state can be asserted exactly;
  // sequencer.test.mjs covers QUEUED → VERIFIED.
  worker = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } });
  tenant = await createTenant(worker.baseUrl, { name: 'Read', rateLimitPerMinute: 1_000_000 });
  key = tenant.keys.sandbox;
  // r-alpha: 3 deltas (one emit, two in a batch with r-beta), r-beta: 1, r-gamma:x: 1; plus a write.
  made.e1 = assertOk(await emit(worker.baseUrl, key, { customerId: 'r-alpha', delta: 10.25, reason: 'topup', referenceId: 'ra-1' }), 201);
  made.b = assertOk(await batch(worker.baseUrl, key, { deltas: [
    { customerId: 'r-alpha', delta: -3, reason: 'use', referenceId: 'ra-2' },
    { customerId: 'r-beta', delta: 7, reason: 'topup' },
    { customerId: 'r-alpha', delta: -0.25, reason: 'use', metadata: { unit: 'call' } },
  ] }), 201);
  made.g = assertOk(await emit(worker.baseUrl, key, { customerId: 'r-gamma:x', delta: 1, reason: 'r' }), 201);
  made.w = (await writes(worker.baseUrl, key, { items: [{ key: 'read-w1', accountId: 'r-alpha', bits: 5 }] })).body.data;
});
after(async () => { await worker?.stop(); });

const g = (path) => get(worker.baseUrl, key, path);
const month = () => made.e1.receivedAt.slice(0, 7);

test('GET /delta/:recordId returns one delta with status, hashes and the hashed item', async () => {
  const s = assertOk(await g(`/api/v1/balance/delta/${made.e1.recordId}`), 200);
  assert.deepEqual(
    { ...s, item: undefined },
    {
      recordId: made.e1.recordId, anchorId: made.e1.anchorId, customerId: 'r-alpha', customerReference: made.e1.customerReference,
      vendorAccountId: null, delta: 10.25, reason: 'topup', referenceId: 'ra-1', metadata: null, adjusts: null,
      status: 'QUEUED', receiptId: made.e1.receiptId, itemsRoot: made.e1.receiptId, itemHash: made.e1.itemHash, itemIndex: 0,
      receivedAt: made.e1.receivedAt, sequenceNumber: null, entryHash: null, balanceAfter: null, verifiedAt: null, sequencedAt: null,
      failedReason: null, txHash: null, item: undefined,
    },
  );
  assert.equal(itemHash(s.item), made.e1.itemHash);
});

test('GET /delta/:anchorId returns the submission with deltaCount and deltas[]; a single emit is a submission of one', async () => {
  const sub = assertOk(await g(`/api/v1/balance/delta/${made.b.anchorId}`), 200);
  assert.deepEqual(Object.keys(sub).sort(), ['anchorId', 'deltaCount', 'deltas', 'itemsRoot', 'receiptId', 'receivedAt', 'status', 'txHash']);
  assert.equal(sub.deltaCount, 3);
  assert.equal(sub.status, 'QUEUED');
  assert.equal(sub.txHash, null);
  assert.deepEqual(sub.deltas.map((x) => x.recordId), made.b.results.map((r) => r.recordId));
  assert.deepEqual(sub.deltas.map((x) => x.delta), [-3, 7, -0.25]);
  for (const x of sub.deltas) assert.equal(itemHash(x.item), x.itemHash);
  const one = assertOk(await g(`/api/v1/balance/delta/${made.e1.anchorId}`), 200);
  assert.equal(one.deltaCount, 1);
  assert.equal(one.deltas[0].recordId, made.e1.recordId);
  assert.equal(one.receiptId, made.e1.receiptId);
});

test('GET /delta/:id for unknown ids, write records and write requests is 404 DELTA_NOT_FOUND', async () => {
  for (const id of ['rec_000000000000000000000000', 'anc_000000000000000000000000', 'nope', made.w.requestId, made.w.records[0].recordId,
    made.e1.receiptId, made.e1.recordId.toUpperCase(), `${made.e1.recordId}x`, '%ff%fe', 'rec_%00', 'a'.repeat(5000)]) {
    assertError(await g(`/api/v1/balance/delta/${id}`), 404, 'DELTA_NOT_FOUND');
  }
});

test('GET /customers lists customers in id order with page, limit and search', async () => {
  const all = assertOk(await g('/api/v1/balance/customers'), 200);
  assert.equal(all.total, 3);
  assert.equal(all.page, 1);
  assert.equal(all.limit, 25);
  assert.deepEqual(all.pagination, { page: 1, limit: 25, total: 3, totalPages: 1 });
  assert.deepEqual(all.customers.map((c) => c.customerId), ['r-alpha', 'r-beta', 'r-gamma:x']);
  const alpha = all.customers[0];
  const ref = subjectReference('customer', tenant.id, 'sandbox', 'r-alpha');
  assert.deepEqual(alpha, {
    customerId: 'r-alpha', customerReference: ref.reference, customerPartition: ref.partition, vendorAccountId: null,
    totalDeltas: 3, verifiedDeltas: 0, failedDeltas: 0, computedBalance: 0, firstActivityAt: made.e1.receivedAt, lastActivityAt: made.b.receivedAt,
    // Made by its records, not by hand (POST /dashboard/customers): no display name or profile.
    displayName: null, source: 'integration', profile: null,
  });
  assert.equal(all.customers[1].totalDeltas, 1);

  const p2 = assertOk(await g('/api/v1/balance/customers?page=2&limit=2'), 200);
  assert.deepEqual(p2.customers.map((c) => c.customerId), ['r-gamma:x']);
  assert.deepEqual(p2.pagination, { page: 2, limit: 2, total: 3, totalPages: 2 });
  const p9 = assertOk(await g('/api/v1/balance/customers?page=9&limit=2'), 200);
  assert.deepEqual(p9.customers, []);
  assert.equal(p9.total, 3);

  const s = assertOk(await g('/api/v1/balance/customers?search=gamma'), 200);
  assert.deepEqual(s.customers.map((c) => c.customerId), ['r-gamma:x']);
  assert.equal(s.total, 1);
  assert.equal(assertOk(await g('/api/v1/balance/customers?search=r-'), 200).total, 3);
  assert.equal(assertOk(await g('/api/v1/balance/customers?search=%25'), 200).total, 0, 'search is literal, not a LIKE pattern');
  assert.equal(assertOk(await g('/api/v1/balance/customers?search=_'), 200).total, 0);
  assert.equal(assertOk(await g('/api/v1/balance/customers?search=nobody'), 200).total, 0);
  assert.equal(assertOk(await g('/api/v1/balance/customers?search='), 200).total, 3, 'empty search = no filter');
  // Write accounts are not customers.
  assert.ok(!all.customers.some((c) => c.customerReference === subjectReference('account', tenant.id, 'sandbox', 'r-alpha').reference));
});

test('GET /customers rejects bad page and limit with the parameter named', async () => {
  await assertNothingWritten(worker, async () => {
    for (const [q, field] of [['page=0', 'page'], ['page=-1', 'page'], ['page=abc', 'page'], ['page=1.5', 'page'], ['page=1000001', 'page'],
      ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=1e2', 'limit'], ['limit=99999999999999999999999', 'limit']]) {
      assertError(await g(`/api/v1/balance/customers?${q}`), 400, 'VALIDATION_ERROR', field);
    }
  });
  assert.equal(assertOk(await g('/api/v1/balance/customers?limit=100&page=1000000'), 200).customers.length, 0);
});

test('GET /customers/summary aggregates this tenant and environment', async () => {
  const s = assertOk(await g('/api/v1/balance/customers/summary'), 200);
  assert.deepEqual(s, { totalCustomers: 3, totalDeltas: 5, verifiedDeltas: 0, failedDeltas: 0, pendingDeltas: 5, totalBalance: 0, environment: 'sandbox' });
});

test('GET /customers/:customerId returns the customer and its activity, newest first, paged', async () => {
  const c = assertOk(await g('/api/v1/balance/customers/r-alpha'), 200);
  const ref = subjectReference('customer', tenant.id, 'sandbox', 'r-alpha');
  assert.equal(c.customerId, 'r-alpha');
  assert.equal(c.customerReference, ref.reference);
  assert.equal(c.customerPartition, ref.partition);
  assert.equal(c.totalDeltas, 3);
  assert.equal(c.computedBalance, 0);
  assert.equal(c.latestCheckpoint, null);
  assert.equal(c.period, undefined);
  assert.deepEqual(c.recentActivity.pagination, { page: 1, limit: 20, total: 3, totalPages: 1, hasMore: false });
  const [r0] = made.b.results;
  const r2 = made.b.results[2];
  assert.deepEqual(c.recentActivity.items.map((i) => i.recordId), [r2.recordId, r0.recordId, made.e1.recordId]);
  assert.deepEqual(c.recentActivity.items[1], {
    recordId: r0.recordId, anchorId: made.b.anchorId, delta: -3, reason: 'use', referenceId: 'ra-2', status: 'queued',
    time: made.b.receivedAt, sequenceNumber: null, itemHash: r0.itemHash, verificationReference: null,
  });

  const p = assertOk(await g('/api/v1/balance/customers/r-alpha?deltaPage=2&deltaLimit=2'), 200);
  assert.deepEqual(p.recentActivity.items.map((i) => i.recordId), [made.e1.recordId]);
  assert.deepEqual(p.recentActivity.pagination, { page: 2, limit: 2, total: 3, totalPages: 2, hasMore: false });
  assert.equal(p.totalDeltas, 3, 'paging does not change the totals');
  const far = assertOk(await g('/api/v1/balance/customers/r-alpha?deltaPage=50'), 200);
  assert.deepEqual(far.recentActivity.items, []);
  assert.equal(far.recentActivity.pagination.total, 3);
});

test('GET /customers/:customerId?period=YYYY-MM pins activity and a month view to that UTC month', async () => {
  const cur = assertOk(await g(`/api/v1/balance/customers/r-alpha?period=${month()}`), 200);
  assert.deepEqual(cur.period, { period: month(), recordsAccepted: 3, recordsFailed: 0, amountRecorded: 7, recordsVerified: 0, amountVerified: 0 });
  assert.equal(cur.recentActivity.pagination.total, 3);
  const old = assertOk(await g('/api/v1/balance/customers/r-alpha?period=2020-01'), 200);
  assert.deepEqual(old.period, { period: '2020-01', recordsAccepted: 0, recordsFailed: 0, amountRecorded: 0, recordsVerified: 0, amountVerified: 0 });
  assert.deepEqual(old.recentActivity.items, []);
  assert.equal(old.recentActivity.pagination.total, 0);
  assert.equal(old.totalDeltas, 3, 'the customer totals are not period-pinned');
});

test('GET /customers/:customerId rejects bad deltaPage, deltaLimit and period; unknown customers are 404', async () => {
  await assertNothingWritten(worker, async () => {
    for (const [q, field] of [['deltaPage=0', 'deltaPage'], ['deltaPage=x', 'deltaPage'], ['deltaLimit=0', 'deltaLimit'], ['deltaLimit=101', 'deltaLimit'],
      ['deltaLimit=-5', 'deltaLimit'], ['period=2026-13', 'period'], ['period=2026-00', 'period'], ['period=2026-1', 'period'],
      ['period=26-01', 'period'], ['period=2026%2F01', 'period'], ['period=abcd-ef', 'period'], ['period=2026-01-01', 'period']]) {
      assertError(await g(`/api/v1/balance/customers/r-alpha?${q}`), 400, 'VALIDATION_ERROR', field);
    }
    for (const id of ['nobody', 'R-ALPHA', 'r-alph', 'read-w1', 'r-alpha.', '%ff']) {
      assertError(await g(`/api/v1/balance/customers/${id}`), 404, 'CUSTOMER_NOT_FOUND');
    }
  });
});

test('percent-encoded customer ids in the path are decoded', async () => {
  // Clients encode path segments (encodeURIComponent('r-gamma:x') = 'r-gamma%3Ax').
  const c = assertOk(await g(`/api/v1/balance/customers/${encodeURIComponent('r-gamma:x')}`), 200);
  assert.equal(c.customerId, 'r-gamma:x');
  assert.equal(assertOk(await g('/api/v1/balance/customers/r-gamma:x'), 200).customerId, 'r-gamma:x');
  assert.equal(assertOk(await g('/api/v1/balance/customers/r%2Dalpha'), 200).customerId, 'r-alpha');
  assert.equal(assertOk(await g(`/api/v1/balance/delta/${made.e1.recordId.replace('_', '%5F')}`), 200).recordId, made.e1.recordId);
});

test('GET /usage counts every accepted record of the month (deltas and writes)', async () => {
  const u = assertOk(await g('/api/v1/balance/usage'), 200);
  assert.deepEqual(u, { period: month(), environment: 'sandbox', used: 6, allowance: null, remaining: null, allowed: true });
  const p = assertOk(await get(worker.baseUrl, tenant.keys.production, '/api/v1/balance/usage'), 200);
  assert.deepEqual(p, { period: month(), environment: 'production', used: 0, allowance: null, remaining: null, allowed: true });
});

test('GET /limits reports the enforced limits', async () => {
  const l = assertOk(await g('/api/v1/balance/limits'), 200);
  assert.deepEqual(l, {
    maxBatchSize: 100, maxWriteItems: 100, maxCustomerIdLength: 128, maxReasonLength: 500, maxReferenceIdLength: 256,
    maxMetadataBytes: 16384, maxBodyBytes: 1048576, rateLimitPerMinute: 1_000_000, monthlyAllowance: null,
    maxScopeMonths: 12, maxLastNDays: 366, maxRetentionDays: null,
  });
});

test('every read route needs a valid key', async () => {
  for (const path of ['/api/v1/balance/delta/x', '/api/v1/balance/customers', '/api/v1/balance/customers/summary',
    '/api/v1/balance/customers/r-alpha', '/api/v1/balance/usage', '/api/v1/balance/limits']) {
    assertError(await get(worker.baseUrl, undefined, path), 401, 'INVALID_API_KEY');
    assertError(await get(worker.baseUrl, `${key}x`, path), 401, 'INVALID_API_KEY');
    assertError(await api(worker.baseUrl, undefined, 'GET', path, undefined, { authorization: `Bearer ${key}` }), 401, 'INVALID_API_KEY');
  }
});

test('odd query strings never produce a 5xx', async () => {
  const values = ['', '0', '-0', '1e3', '%00', '%ff', '%', '%%', '1%00', 'ﬀ', '9'.repeat(400), '2026-02', '9999-12', '0000-01', '+1', ' 1', '1 '];
  for (const path of ['/api/v1/balance/customers', '/api/v1/balance/customers/r-alpha', '/api/v1/balance/customers/summary', '/api/v1/balance/usage', '/api/v1/balance/limits', `/api/v1/balance/delta/${made.e1.recordId}`]) {
    for (const name of ['page', 'limit', 'search', 'deltaPage', 'deltaLimit', 'period', 'vendorAccountId', 'x']) {
      for (const v of values) {
        const res = await g(`${path}?${name}=${v}&${name}=${v}`);
        assert.ok([200, 400, 404].includes(res.status), `${path}?${name}=${v} → ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body, 'object');
      }
    }
  }
});
