// POST /api/v1/balance/delta: the success shape and values, every validation
// rule (each 400 names its field and writes nothing). Hostile bodies: balance-hostile.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, api, raw, emit, get, used, assertError, assertOk, assertNothingWritten, rowCounts,
  itemHash, merkleRoot, subjectReference, uid,
} from './fixtures.mjs';

let worker;
let tenant;
let key;
before(async () => {
  // Sequencing is deferred here so the accepted (QUEUED) state can be asserted exactly;
  // sequencer.test.mjs covers QUEUED → VERIFIED.
  worker = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } });
  tenant = await createTenant(worker.baseUrl, { name: 'Emit', rateLimitPerMinute: 1_000_000 });
  key = tenant.keys.sandbox;
});
after(async () => { await worker?.stop(); });

const post = (body, headers) => emit(worker.baseUrl, key, body, headers);
const postRaw = (body, headers) => raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body, headers);
const valid = (over = {}) => ({ customerId: 'cust_1', delta: -42.5, reason: 'usage', ...over });

test('a delta is accepted with the documented shape, and GET /delta/:id returns the hashed item', async () => {
  const before = await rowCounts(worker.persistDir);
  const res = await post({ customerId: 'cust_emit.1:a-b', delta: -42.50, reason: 'Monthly subscription charge', referenceId: 'inv_98765', metadata: { plan: 'growth', n: 1 } });
  const d = assertOk(res, 201);
  assert.match(d.recordId, /^rec_[0-9a-f]{24}$/);
  assert.match(d.anchorId, /^anc_[0-9a-f]{24}$/);
  assert.equal(d.customerId, 'cust_emit.1:a-b');
  assert.equal(d.customerReference, subjectReference('customer', tenant.id, 'sandbox', 'cust_emit.1:a-b').reference);
  assert.equal(d.vendorAccountId, undefined);
  assert.equal(d.delta, -42.5);
  assert.equal(d.reason, 'Monthly subscription charge');
  assert.equal(d.referenceId, 'inv_98765');
  assert.equal(d.status, 'QUEUED');
  assert.match(d.receiptId, /^0x[0-9a-f]{64}$/);
  assert.equal(d.itemsRoot, d.receiptId);
  assert.deepEqual(d.itemHashes, [d.itemHash]);
  assert.equal(d.receiptId, merkleRoot(d.itemHashes), 'a one-item tree has the leaf as root');
  assert.equal(d.estimatedVerifiedDeltas, 1);
  assert.match(d.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(d.receivedAt) - Date.now()) < 60_000);
  assert.equal(typeof d.message, 'string');

  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records, before.records + 1);
  assert.equal(after.submissions, before.submissions + 1);
  assert.equal(after.logs, before.logs + 1);
  assert.equal(after.used_sum, before.used_sum + 1);
  assert.equal(after.idempotency, before.idempotency, 'no Idempotency-Key, no row');

  const s = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${d.recordId}`), 200);
  assert.equal(s.recordId, d.recordId);
  assert.equal(s.anchorId, d.anchorId);
  assert.equal(s.status, 'QUEUED');
  assert.equal(s.itemHash, d.itemHash);
  assert.equal(s.receiptId, d.receiptId);
  assert.deepEqual(s.metadata, { plan: 'growth', n: 1 });
  assert.deepEqual(s.item, {
    type: 'delta', recordId: d.recordId, index: 0, count: 1, receivedAt: d.receivedAt,
    customerReference: d.customerReference, customerId: 'cust_emit.1:a-b', delta: '-42.5',
    reason: 'Monthly subscription charge', referenceId: 'inv_98765', metadata: { n: 1, plan: 'growth' },
  });
  assert.equal(itemHash(s.item), d.itemHash, 'itemHash = keccak256("vericord:item:v1" ‖ 0x00 ‖ JCS(item))');
});

test('delta is echoed as its canonical number and hashed as canonical text', async () => {
  const cases = [
    ['-42.50', '-42.5'],
    ['1E+9', '1000000000'],
    ['-1000000000', '-1000000000'],
    ['1.5e-3', '0.0015'],
    ['0.000000001', '0.000000001'],
    ['123456789.123456789', '123456789.123456789'],
    ['100e-2', '1'],
    ['-0.10', '-0.1'],
    ['1.5000000000', '1.5'],
    ['0.00000000100e0', '0.000000001'],
  ];
  for (const [text, canonical] of cases) {
    const res = await postRaw(`{"customerId":"canon","delta":${text},"reason":"r"}`);
    assert.equal(res.status, 201, `${text}: ${res.text}`);
    assert.match(res.text, new RegExp(`"delta":${canonical.replace('.', '\\.')}[,}]`), `${text} → ${canonical}`);
    const s = (await get(worker.baseUrl, key, `/api/v1/balance/delta/${res.body.data.recordId}`)).body.data;
    assert.equal(s.item.delta, canonical, `${text} hashed as ${canonical}`);
    assert.equal(itemHash(s.item), res.body.data.itemHash);
  }
});

test('metadata numbers and strings are hashed as JCS, and the item stays recomputable', async () => {
  const body = '{"customerId":"jcs","delta":1,"reason":"r","metadata":{"z":9007199254740993,"big":1e21,"neg0":-0,"u":"\\u2028é😀","nested":{"b":[1.0,2.50],"a":null}}}';
  const d = assertOk(await postRaw(body), 201);
  const s = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${d.recordId}`), 200);
  assert.deepEqual(s.item.metadata, { z: 9007199254740992, big: 1e21, neg0: 0, u: '\u2028é😀', nested: { b: [1, 2.5], a: null } });
  assert.equal(itemHash(s.item), d.itemHash);
});

test('optional fields at their limits are accepted; null counts as absent', async () => {
  const d = assertOk(await post(valid({ customerId: 'c'.repeat(128), reason: 'r'.repeat(500), referenceId: 'f'.repeat(256), metadata: { a: 'x'.repeat(16 * 1024 - 8) } })), 201);
  assert.equal(d.customerId.length, 128);
  const n = assertOk(await post(valid({ referenceId: null, metadata: null, adjusts: null, vendorAccountId: null })), 201);
  assert.equal(n.referenceId, undefined);
  const s = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${n.recordId}`), 200);
  assert.deepEqual(Object.keys(s.item).sort(), ['count', 'customerId', 'customerReference', 'delta', 'index', 'reason', 'receivedAt', 'recordId', 'type']);
  assert.equal(itemHash(s.item), n.itemHash);
  // A charset parameter is fine; a body labelled as a form is not JSON (415, tests/e2e/media-types).
  assert.equal((await postRaw(JSON.stringify(valid()), { 'content-type': 'application/json; charset=utf-8' })).status, 201);
});

test('every field rule: 400 with the code and field named, nothing written', async () => {
  const cases = [
    // customerId
    [{ delta: 1, reason: 'r' }, 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: null }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 5 }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: ['a'] }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: '' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: '   ' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 'a b' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 'a/b' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 'cüst' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 'a\nb' }), 'VALIDATION_ERROR', 'customerId'],
    [valid({ customerId: 'c'.repeat(129) }), 'VALIDATION_ERROR', 'customerId'],
    // delta
    [{ customerId: 'c', reason: 'r' }, 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: null }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: '5' }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: '-42.50' }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: true }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: [1] }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: { v: 1 } }), 'VALIDATION_ERROR', 'delta'],
    [valid({ delta: 0 }), 'AMOUNT_ZERO', 'delta'],
    [valid({ delta: 1e10 }), 'AMOUNT_OUT_OF_RANGE', 'delta'],
    [valid({ delta: -1000000001 }), 'AMOUNT_OUT_OF_RANGE', 'delta'],
    [valid({ delta: 0.0000000001 }), 'AMOUNT_TOO_PRECISE', 'delta'],
    // reason
    [{ customerId: 'c', delta: 1 }, 'VALIDATION_ERROR', 'reason'],
    [valid({ reason: '' }), 'VALIDATION_ERROR', 'reason'],
    [valid({ reason: '  \t ' }), 'VALIDATION_ERROR', 'reason'],
    [valid({ reason: 5 }), 'VALIDATION_ERROR', 'reason'],
    [valid({ reason: 'r'.repeat(501) }), 'VALIDATION_ERROR', 'reason'],
    [valid({ reason: 'bell\u0007' }), 'VALIDATION_ERROR', 'reason'],
    // referenceId
    [valid({ referenceId: 5 }), 'VALIDATION_ERROR', 'referenceId'],
    [valid({ referenceId: '' }), 'VALIDATION_ERROR', 'referenceId'],
    [valid({ referenceId: '  ' }), 'VALIDATION_ERROR', 'referenceId'],
    [valid({ referenceId: 'f'.repeat(257) }), 'VALIDATION_ERROR', 'referenceId'],
    [valid({ referenceId: 'a\u0000b' }), 'VALIDATION_ERROR', 'referenceId'],
    // metadata
    [valid({ metadata: [1] }), 'VALIDATION_ERROR', 'metadata'],
    [valid({ metadata: 'x' }), 'VALIDATION_ERROR', 'metadata'],
    [valid({ metadata: 5 }), 'VALIDATION_ERROR', 'metadata'],
    [valid({ metadata: { a: 'x'.repeat(16 * 1024) } }), 'VALIDATION_ERROR', 'metadata'],
    // adjusts (shape; existence is tested below)
    [valid({ adjusts: 'rec_1' }), 'VALIDATION_ERROR', 'adjusts'],
    [valid({ adjusts: [] }), 'VALIDATION_ERROR', 'adjusts'],
    [valid({ adjusts: {} }), 'VALIDATION_ERROR', 'adjusts'],
    [valid({ adjusts: { referenceId: 'a', recordId: 'b' } }), 'VALIDATION_ERROR', 'adjusts'],
    [valid({ adjusts: { referenceId: '' } }), 'VALIDATION_ERROR', 'adjusts'],
    [valid({ adjusts: { referenceId: 5 } }), 'VALIDATION_ERROR', 'adjusts.referenceId'],
    [valid({ adjusts: { other: 'a' } }), 'UNKNOWN_FIELD', 'adjusts.other'],
    [valid({ adjusts: { referenceId: 'no-such-ref' } }), 'ADJUSTS_NOT_FOUND', 'adjusts'],
    [valid({ adjusts: { recordId: 'rec_000000000000000000000000' } }), 'ADJUSTS_NOT_FOUND', 'adjusts'],
    // a direct tenant may not name a vendor account
    [valid({ vendorAccountId: 'cmw_1' }), 'VENDOR_ACCOUNT_FORBIDDEN', 'vendorAccountId'],
    // unknown members are refused, not dropped
    [valid({ amount: 1 }), 'UNKNOWN_FIELD', 'amount'],
    [valid({ CustomerId: 'c' }), 'UNKNOWN_FIELD', 'CustomerId'],
  ];
  const usedBefore = await used(worker.baseUrl, key);
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of cases) assertError(await post(body), 400, code, field);
  });
  assert.equal(await used(worker.baseUrl, key), usedBefore);
});

test('number edge cases on the wire: 1e400, -0, 0.1234567891, strings, NaN; none is rounded', async () => {
  const cases = [
    ['1e400', 400, 'AMOUNT_OUT_OF_RANGE'],
    ['-1e400', 400, 'AMOUNT_OUT_OF_RANGE'],
    ['1e-400', 400, 'AMOUNT_TOO_PRECISE'],
    ['1e999999999999999999999', 400, 'AMOUNT_OUT_OF_RANGE'],
    ['1e-999999999999999999999', 400, 'AMOUNT_TOO_PRECISE'],
    ['-0', 400, 'AMOUNT_ZERO'],
    ['0.0', 400, 'AMOUNT_ZERO'],
    ['0e10', 400, 'AMOUNT_ZERO'],
    ['-0.000', 400, 'AMOUNT_ZERO'],
    ['0.1234567891', 400, 'AMOUNT_TOO_PRECISE'],
    ['0.30000000000000004', 400, 'AMOUNT_TOO_PRECISE'],
    ['1000000000.000000001', 400, 'AMOUNT_OUT_OF_RANGE'],
    ['"5"', 400, 'VALIDATION_ERROR'],
    ['"1e3"', 400, 'VALIDATION_ERROR'],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [text, status, code] of cases) {
      assertError(await postRaw(`{"customerId":"n","delta":${text},"reason":"r"}`), status, code, 'delta');
    }
    // Not JSON at all: rejected by the parser.
    for (const text of ['NaN', 'Infinity', '-Infinity', '+1', '.5', '5.', '01', '0x10', '1_000', '--1']) {
      assertError(await postRaw(`{"customerId":"n","delta":${text},"reason":"r"}`), 400, 'INVALID_JSON', null);
    }
  });
});

test('adjusts must name an existing delta of the same customer, by referenceId or recordId', async () => {
  const original = assertOk(await post(valid({ customerId: 'adj-a', delta: 10, referenceId: 'adj-ref-1' })), 201);
  const other = assertOk(await post(valid({ customerId: 'adj-b', delta: 5, referenceId: 'adj-ref-b' })), 201);
  const w = await api(worker.baseUrl, key, 'POST', '/api/v1/writes', { items: [{ key: uid('adjw'), accountId: 'adj-a', bits: 1 }] });
  assert.equal(w.status, 202);

  const byRef = assertOk(await post(valid({ customerId: 'adj-a', delta: -2, adjusts: { referenceId: 'adj-ref-1' } })), 201);
  const byRec = assertOk(await post(valid({ customerId: 'adj-a', delta: -3, adjusts: { recordId: original.recordId } })), 201);
  for (const [d, adjusts] of [[byRef, { referenceId: 'adj-ref-1' }], [byRec, { recordId: original.recordId }]]) {
    const s = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${d.recordId}`), 200);
    assert.deepEqual(s.adjusts, adjusts);
    assert.deepEqual(s.item.adjusts, adjusts);
    assert.equal(itemHash(s.item), d.itemHash);
  }
  // An adjustment can itself be adjusted.
  assert.equal((await post(valid({ customerId: 'adj-a', delta: 1, adjusts: { recordId: byRef.recordId } }))).status, 201);

  await assertNothingWritten(worker, async () => {
    // Another customer's delta, by either name.
    assertError(await post(valid({ customerId: 'adj-b', delta: -1, adjusts: { referenceId: 'adj-ref-1' } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await post(valid({ customerId: 'adj-b', delta: -1, adjusts: { recordId: original.recordId } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await post(valid({ customerId: 'adj-a', delta: -1, adjusts: { recordId: other.recordId } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    // A write record, a submission id, a customer that does not exist yet.
    assertError(await post(valid({ customerId: 'adj-a', delta: -1, adjusts: { recordId: w.body.data.records[0].recordId } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await post(valid({ customerId: 'adj-a', delta: -1, adjusts: { recordId: original.anchorId } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await post(valid({ customerId: 'adj-new', delta: -1, adjusts: { referenceId: 'adj-ref-1' } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    // References are exact, not prefixes or case-insensitive.
    assertError(await post(valid({ customerId: 'adj-a', delta: -1, adjusts: { referenceId: 'ADJ-REF-1' } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
    assertError(await post(valid({ customerId: 'adj-a', delta: -1, adjusts: { referenceId: 'adj-ref' } })), 400, 'ADJUSTS_NOT_FOUND', 'adjusts');
  });
});

test('parallel emits to one new customer create its log once and every record', async () => {
  const before = await rowCounts(worker.persistDir);
  const results = await Promise.all(Array.from({ length: 15 }, (_, i) => post(valid({ customerId: 'race-new', delta: i + 1 }))));
  assert.deepEqual(results.map((r) => r.status), Array(15).fill(201));
  assert.equal(new Set(results.map((r) => r.body.data.recordId)).size, 15);
  assert.equal(new Set(results.map((r) => r.body.data.customerReference)).size, 1);
  const after = await rowCounts(worker.persistDir);
  assert.deepEqual([after.records - before.records, after.logs - before.logs, after.submissions - before.submissions], [15, 1, 15]);
  const c = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers/race-new?deltaLimit=100'), 200);
  assert.equal(c.totalDeltas, 15);
  assert.deepEqual(c.recentActivity.items.map((i) => i.delta).sort((x, y) => x - y), Array.from({ length: 15 }, (_, i) => i + 1));
});

test('authentication comes first: no key or a bad key is 401 whatever the body', async () => {
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, undefined, valid()), 401, 'INVALID_API_KEY');
    assertError(await emit(worker.baseUrl, 'garbage', 'garbage'), 401, 'INVALID_API_KEY');
    assertError(await raw(worker.baseUrl, undefined, 'POST', '/api/v1/balance/delta', 'x'.repeat(2 << 20)), 401, 'INVALID_API_KEY');
  });
});

test('wrong methods on the write routes are 405 JSON errors', async () => {
  for (const [method, path] of [['GET', '/api/v1/balance/delta'], ['PUT', '/api/v1/balance/delta'], ['DELETE', '/api/v1/balance/delta'], ['GET', '/api/v1/writes'], ['PATCH', '/api/v1/writes']]) {
    const res = await api(worker.baseUrl, key, method, path, method === 'GET' ? undefined : valid());
    assertError(res, 405, 'METHOD_NOT_ALLOWED');
  }
});
