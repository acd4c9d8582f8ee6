// POST /api/v1/balance/delta/batch: ≤100 deltas, one submission tree, per-item
// FAILED results in-band; request-level errors write nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, raw, batch, emit, get, used, assertError, assertOk, assertNothingWritten, rowCounts,
  itemHash, merkleRoot, subjectReference, mutations,
} from './fixtures.mjs';

let worker;
let tenant;
let key;
before(async () => {
  // Sequencing is deferred here so the accepted (QUEUED) state can be asserted exactly;
  // sequencer.test.mjs covers QUEUED → VERIFIED.
  worker = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } });
  tenant = await createTenant(worker.baseUrl, { name: 'Batch', rateLimitPerMinute: 1_000_000 });
  key = tenant.keys.sandbox;
});
after(async () => { await worker?.stop(); });

const post = (body, headers) => batch(worker.baseUrl, key, body, headers);
const d = (customerId, delta, over = {}) => ({ customerId, delta, reason: 'usage_charge', ...over });

/** Checks every accepted result against the submission: shared anchor and root, recomputed hashes. */
async function checkSubmission(data, expected) {
  const queued = data.results.filter((r) => r.status === 'QUEUED');
  assert.equal(queued.length, expected.length);
  assert.equal(data.itemHashes.length, expected.length);
  assert.equal(data.receiptId, data.itemsRoot);
  assert.equal(data.receiptId, merkleRoot(data.itemHashes), 'receiptId = RFC 9162 sorted-pair keccak root of itemHashes');
  const sub = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${data.anchorId}`), 200);
  assert.equal(sub.anchorId, data.anchorId);
  assert.equal(sub.receiptId, data.receiptId);
  assert.equal(sub.itemsRoot, data.receiptId);
  assert.equal(sub.deltaCount, expected.length);
  assert.equal(sub.status, 'QUEUED');
  assert.equal(sub.receivedAt, data.receivedAt);
  assert.equal(sub.deltas.length, expected.length);
  queued.forEach((r, i) => {
    assert.equal(r.anchorId, data.anchorId);
    assert.equal(r.receiptId, data.receiptId);
    assert.equal(r.itemHash, data.itemHashes[i]);
    assert.equal(r.customerId, expected[i].customerId);
    assert.equal(r.error, undefined);
    assert.equal(r.field, undefined);
    const s = sub.deltas[i];
    assert.equal(s.recordId, r.recordId);
    assert.equal(s.itemIndex, i);
    assert.equal(s.itemHash, r.itemHash);
    assert.equal(s.item.index, i);
    assert.equal(s.item.count, expected.length);
    assert.equal(s.item.recordId, r.recordId);
    assert.equal(s.item.customerId, expected[i].customerId);
    assert.equal(s.item.customerReference, subjectReference('customer', tenant.id, 'sandbox', expected[i].customerId).reference);
    assert.equal(s.item.receivedAt, data.receivedAt);
    assert.equal(itemHash(s.item), r.itemHash, `item ${i} hash`);
  });
  return sub;
}

test('a batch is one submission: shared anchorId and receiptId, per-item itemHash, index order kept', async () => {
  const input = [d('b-1', -100), d('b-2', -200, { referenceId: 'b2-ref', metadata: { k: 'v' } }), d('b-1', 0.5)];
  const before = await rowCounts(worker.persistDir);
  const res = await post({ deltas: input });
  const data = assertOk(res, 201);
  assert.equal(data.totalQueued, 3);
  assert.equal(data.totalFailed, 0);
  assert.match(data.anchorId, /^anc_/);
  assert.deepEqual(data.results.map((r) => r.index), [0, 1, 2]);
  assert.deepEqual(data.results.map((r) => r.delta), [-100, -200, 0.5]);
  assert.deepEqual(data.results.map((r) => r.status), ['QUEUED', 'QUEUED', 'QUEUED']);
  assert.equal(new Set(data.results.map((r) => r.recordId)).size, 3);
  assert.deepEqual(data._efficiency, { uniqueCustomers: 2, totalDeltas: 3, estimatedSlots: 2, message: '3 delta(s) packed into 2 verified operation(s)' });
  const sub = await checkSubmission(data, input);
  assert.equal(sub.deltas[1].referenceId, 'b2-ref');
  assert.deepEqual(sub.deltas[1].item.metadata, { k: 'v' });
  assert.equal(sub.deltas[2].item.delta, '0.5');
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records, before.records + 3);
  assert.equal(after.submissions, before.submissions + 1);
  assert.equal(after.logs, before.logs + 2);
  assert.equal(after.used_sum, before.used_sum + 3);
  // Each record is also addressable by its recordId.
  const one = assertOk(await get(worker.baseUrl, key, `/api/v1/balance/delta/${data.results[1].recordId}`), 200);
  assert.equal(one.anchorId, data.anchorId);
  assert.equal(one.itemIndex, 1);
  assert.equal(one.customerId, 'b-2');
});

test('trees of 1, 2, 5, 7 and 100 items have the documented root', async () => {
  for (const n of [1, 2, 5, 7, 100]) {
    const input = Array.from({ length: n }, (_, i) => d(`tree-${n}-${i % 9}`, i + 1));
    const data = assertOk(await post({ deltas: input }), 201);
    assert.equal(data.totalQueued, n);
    await checkSubmission(data, input);
  }
});

test('invalid items fail in-band (status FAILED, error with field) while the rest are accepted', async () => {
  const input = [
    d('mix-1', 1),
    d('mix-2', 0),
    d('mix-3', 2),
    5,
    d('bad id', 1),
    { customerId: 'mix-6', delta: 1, reason: 'r', extra: true },
    d('mix-7', '3'),
    d('mix-8', 1, { adjusts: { referenceId: 'nope' } }),
    d('mix-9', 0.1234567891),
    d('mix-10', 1, { vendorAccountId: 'cmw_x' }),
  ];
  const usedBefore = await used(worker.baseUrl, key);
  const data = assertOk(await post({ deltas: input }), 201);
  assert.equal(data.totalQueued, 2);
  assert.equal(data.totalFailed, 8);
  assert.deepEqual(data.results.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const failed = Object.fromEntries(data.results.filter((r) => r.status === 'FAILED').map((r) => [r.index, r]));
  const expectFail = {
    1: ['AMOUNT_ZERO', 'deltas[1].delta', 'mix-2'],
    3: ['VALIDATION_ERROR', 'deltas[3]', undefined],
    4: ['VALIDATION_ERROR', 'deltas[4].customerId', 'bad id'],
    5: ['UNKNOWN_FIELD', 'deltas[5].extra', 'mix-6'],
    6: ['VALIDATION_ERROR', 'deltas[6].delta', 'mix-7'],
    7: ['ADJUSTS_NOT_FOUND', 'deltas[7].adjusts', 'mix-8'],
    8: ['AMOUNT_TOO_PRECISE', 'deltas[8].delta', 'mix-9'],
    9: ['VENDOR_ACCOUNT_FORBIDDEN', 'deltas[9].vendorAccountId', 'mix-10'],
  };
  assert.deepEqual(Object.keys(failed).map(Number), Object.keys(expectFail).map(Number));
  for (const [i, [code, field, customerId]] of Object.entries(expectFail)) {
    const r = failed[i];
    // `error` is the code as a plain string (the SDK reports str(result.error)); message and field beside it.
    assert.equal(r.error, code, `item ${i}`);
    assert.equal(r.field, field, `item ${i}`);
    assert.equal(typeof r.message, 'string');
    assert.equal(r.customerId, customerId, `item ${i} customerId hint`);
    for (const absent of ['recordId', 'anchorId', 'itemHash', 'receiptId', 'delta']) assert.equal(r[absent], undefined, `${absent} on a failed item`);
  }
  // Accepted items are numbered within the submission (0, 1), not by their input index.
  await checkSubmission(data, [input[0], input[2]]);
  assert.equal(await used(worker.baseUrl, key), usedBefore + 2);
  // The failed customers were not created.
  for (const c of ['mix-2', 'mix-6', 'mix-7', 'mix-8']) {
    assertError(await get(worker.baseUrl, key, `/api/v1/balance/customers/${c}`), 404, 'CUSTOMER_NOT_FOUND');
  }
});

test('adjusts in a batch: an earlier committed delta of the same customer, never one of this batch', async () => {
  const first = assertOk(await emit(worker.baseUrl, key, d('adj-batch', 10, { referenceId: 'ab-1' })), 201);
  const data = assertOk(await post({ deltas: [
    d('adj-batch', -1, { adjusts: { referenceId: 'ab-1' } }),
    d('adj-batch', -1, { adjusts: { recordId: first.recordId }, referenceId: 'ab-2' }),
    d('adj-batch', -1, { adjusts: { referenceId: 'ab-2' } }),
    d('adj-other', -1, { adjusts: { recordId: first.recordId } }),
  ] }), 201);
  assert.deepEqual(data.results.map((r) => r.status), ['QUEUED', 'QUEUED', 'FAILED', 'FAILED']);
  assert.deepEqual(data.results.slice(2).map((r) => [r.error, r.field]), [['ADJUSTS_NOT_FOUND', 'deltas[2].adjusts'], ['ADJUSTS_NOT_FOUND', 'deltas[3].adjusts']]);
});

test('request-level errors are 400 (or 413) and write nothing', async () => {
  const many = (n) => Array.from({ length: n }, (_, i) => d(`many-${i}`, 1));
  const cases = [
    [{}, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: null }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: [] }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: many(101) }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: many(1000) }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: d('x', 1) }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: 'x' }, 'VALIDATION_ERROR', 'deltas'],
    [{ deltas: [d('x', 1)], extra: 1 }, 'UNKNOWN_FIELD', 'extra'],
    [{ deltas: [d('x', 1)], vendorAccountId: 'cmw_1' }, 'VENDOR_ACCOUNT_FORBIDDEN', 'vendorAccountId'],
    [{ deltas: [d('x', 1)], vendorAccountId: 5 }, 'VALIDATION_ERROR', 'vendorAccountId'],
    [[d('x', 1)], 'VALIDATION_ERROR', null],
    // every item invalid: nothing to accept
    [{ deltas: [d('x', 0), d('y', '1'), 7] }, 'VALIDATION_ERROR', 'deltas'],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of cases) assertError(await post(body), 400, code, field);
    const all = await post({ deltas: [d('x', 0), 'y', d('z', 1, { adjusts: { recordId: 'rec_nope' } })] });
    assertError(all, 400, 'VALIDATION_ERROR', 'deltas');
    assert.deepEqual(all.body.error.results.map((r) => [r.code, r.field]), [['AMOUNT_ZERO', 'deltas[0].delta'], ['VALIDATION_ERROR', 'deltas[1]'], ['ADJUSTS_NOT_FOUND', 'deltas[2].adjusts']]);
    for (const text of ['', 'garbage', '{"deltas":[', '{"deltas":[],"deltas":[]}', 'null', '{"deltas":[{"customerId":"a","customerId":"b","delta":1,"reason":"r"}]}']) {
      const res = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', text);
      assert.equal(res.status, 400, `${text}: ${res.text}`);
    }
    assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', JSON.stringify({ deltas: [d('x', 1, { metadata: { a: 'x'.repeat(1 << 20) } })] })), 413, 'PAYLOAD_TOO_LARGE');
    const deep = `{"deltas":[{"customerId":"c","delta":1,"reason":"r","metadata":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`;
    const deepRes = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', deep);
    assertError(deepRes, 400, 'VALIDATION_ERROR', 'deltas');
    assert.equal(deepRes.body.error.results[0].code, 'JSON_INVALID');
    assertError(await batch(worker.baseUrl, undefined, { deltas: [d('x', 1)] }), 401, 'INVALID_API_KEY');
  });
});

test('100 deltas is the limit and is accepted whole; a duplicate-key item is an in-band failure', async () => {
  const input = Array.from({ length: 100 }, (_, i) => d(`hundred-${i}`, i + 1, { metadata: { i } }));
  const data = assertOk(await post({ deltas: input }), 201);
  assert.equal(data.totalQueued, 100);
  assert.equal(data._efficiency.uniqueCustomers, 100);
  assert.equal(data.receiptId, merkleRoot(data.itemHashes));
  const dup = assertOk(await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch',
    '{"deltas":[{"customerId":"dup-ok","delta":1,"reason":"r"},{"customerId":"a","delta":1,"delta":2,"reason":"r"}]}'), 201);
  assert.equal(dup.totalQueued, 1);
  assert.deepEqual([dup.results[1].status, dup.results[1].error, dup.results[1].field], ['FAILED', 'DUPLICATE_FIELD', 'deltas[1].delta']);
});

test('fuzz: truncations and mutations of a batch body never produce a 5xx', async () => {
  const base = JSON.stringify({ deltas: [d('fz-1', -1.5, { referenceId: 'r1', metadata: { a: [1, { b: null }] } }), d('fz-2', 2, { adjusts: { referenceId: 'r0' } })] });
  const before = await rowCounts(worker.persistDir);
  let accepted = 0;
  for (const body of mutations(base, 250, 0x1234567)) {
    const res = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', body);
    assert.ok([201, 400].includes(res.status), `${res.status} for ${JSON.stringify(body)}: ${res.text}`);
    if (res.status === 201) accepted += res.body.data.totalQueued;
  }
  assert.equal((await rowCounts(worker.persistDir)).records - before.records, accepted);
});
