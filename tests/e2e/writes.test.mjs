// POST /api/v1/writes: 202 with the submission tree; keys unique per tenant and
// environment (409); all-or-nothing validation that names the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, raw, writes, get, used, assertError, assertNothingWritten, rowCounts,
  itemHash, merkleRoot, subjectReference, uid, mutations,
} from './fixtures.mjs';

let worker;
let tenant;
let other;
let key;
before(async () => {
  worker = await startWorker();
  tenant = await createTenant(worker.baseUrl, { name: 'Writes', rateLimitPerMinute: 1_000_000 });
  other = await createTenant(worker.baseUrl, { name: 'Writes Other', rateLimitPerMinute: 1_000_000 });
  key = tenant.keys.sandbox;
});
after(async () => { await worker?.stop(); });

const post = (body, headers) => writes(worker.baseUrl, key, body, headers);
const item = (over = {}) => ({ key: uid('k'), accountId: 'acct-1', bits: 1, ...over });

/** The write item as docs/SPEC.md §5 defines it, rebuilt from the request and the response. */
function writeItem(data, i, input, env = 'sandbox', tenantId = tenant.id) {
  return {
    type: 'write', recordId: data.records[i].recordId, index: i, count: data.itemCount, receivedAt: data.receivedAt,
    accountReference: subjectReference('account', tenantId, env, input.accountId).reference,
    accountId: input.accountId, key: input.key, bits: String(input.bits),
    ...(input.metadata && { metadata: input.metadata }),
  };
}

test('a write is 202 with requestId, items root and per-item hashes that recompute', async () => {
  const input = [
    item({ key: 'order-12345', accountId: 'customer-001', bits: 1, metadata: { amount: 250.0, currency: 'USD', description: 'Monthly subscription' } }),
    item({ key: 'order-12346', accountId: 'customer-002', bits: 3, metadata: { amount: 750, currency: 'USD' } }),
    item({ key: 'order-12347', accountId: 'customer-001', bits: -9007199254740991 }),
  ];
  const before = await rowCounts(worker.persistDir);
  const res = await post({ items: input });
  assert.equal(res.status, 202);
  assert.equal(res.body.success, true);
  assert.equal(res.body.statusCode, 202);
  const data = res.body.data;
  assert.match(data.requestId, /^req_[0-9a-f]{24}$/);
  assert.equal(data.itemCount, 3);
  assert.equal(data.status, 'queued');
  assert.equal(typeof data.message, 'string');
  assert.equal(data.receiptId, data.itemsRoot);
  assert.equal(data.receiptId, merkleRoot(data.itemHashes));
  assert.deepEqual(data.records.map((r) => [r.index, r.key, r.accountId]), input.map((w, i) => [i, w.key, w.accountId]));
  data.records.forEach((r, i) => {
    assert.match(r.recordId, /^rec_/);
    assert.equal(r.itemHash, data.itemHashes[i]);
    assert.equal(itemHash(writeItem(data, i, input[i])), r.itemHash, `item ${i}: H("vericord:item:v1", JCS(write item))`);
  });
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records, before.records + 3);
  assert.equal(after.submissions, before.submissions + 1);
  assert.equal(after.logs, before.logs + 2, 'one account log per accountId');
  assert.equal(after.used_sum, before.used_sum + 3);
  // Writes are not deltas: not visible through the delta or customer routes.
  assertError(await get(worker.baseUrl, key, `/api/v1/balance/delta/${data.requestId}`), 404, 'DELTA_NOT_FOUND');
  assertError(await get(worker.baseUrl, key, `/api/v1/balance/delta/${data.records[0].recordId}`), 404, 'DELTA_NOT_FOUND');
  assertError(await get(worker.baseUrl, key, '/api/v1/balance/customers/customer-001'), 404, 'CUSTOMER_NOT_FOUND');
});

test('keys are unique per tenant and environment: reuse is 409 DUPLICATE_KEY and writes nothing', async () => {
  const k = uid('dup');
  assert.equal((await post({ items: [item({ key: k })] })).status, 202);
  await assertNothingWritten(worker, async () => {
    assertError(await post({ items: [item({ key: k })] }), 409, 'DUPLICATE_KEY', 'items[0].key');
    assertError(await post({ items: [item({ key: k, accountId: 'another', bits: 99 })] }), 409, 'DUPLICATE_KEY', 'items[0].key');
    // A new key beside a taken one: the whole request is refused.
    assertError(await post({ items: [item(), item({ key: k })] }), 409, 'DUPLICATE_KEY', 'items[1].key');
    // Repeated within one request.
    const twice = uid('twice');
    assertError(await post({ items: [item({ key: twice }), item(), item({ key: twice, bits: 2 })] }), 409, 'DUPLICATE_KEY', 'items[2].key');
  });
  // Keys are exact (case-sensitive, no trimming of inner text).
  assert.equal((await post({ items: [item({ key: k.toUpperCase() })] })).status, 202);
  // The same key in the other environment and in another tenant is free.
  assert.equal((await writes(worker.baseUrl, tenant.keys.production, { items: [item({ key: k })] })).status, 202);
  assert.equal((await writes(worker.baseUrl, other.keys.sandbox, { items: [item({ key: k })] })).status, 202);
  assertError(await writes(worker.baseUrl, other.keys.sandbox, { items: [item({ key: k })] }), 409, 'DUPLICATE_KEY', 'items[0].key');
});

test('the same key sent in parallel is accepted exactly once, the others are 409', async () => {
  const k = uid('race');
  const before = await rowCounts(worker.persistDir);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post({ items: [item({ key: k, bits: i })] })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [202, ...Array(9).fill(409)], JSON.stringify(results.map((r) => r.body)));
  for (const r of results.filter((x) => x.status === 409)) assertError(r, 409, 'DUPLICATE_KEY');
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records, before.records + 1);
  assert.equal(after.used_sum, before.used_sum + 1);
});

test('every item rule: 400 naming items[i].field, and one bad item refuses the whole request', async () => {
  const cases = [
    [{}, 'VALIDATION_ERROR', 'items'],
    [{ items: null }, 'VALIDATION_ERROR', 'items'],
    [{ items: [] }, 'VALIDATION_ERROR', 'items'],
    [{ items: {} }, 'VALIDATION_ERROR', 'items'],
    [{ items: 'x' }, 'VALIDATION_ERROR', 'items'],
    [{ items: Array.from({ length: 101 }, () => item()) }, 'VALIDATION_ERROR', 'items'],
    [{ items: [item()], extra: 1 }, 'UNKNOWN_FIELD', 'extra'],
    [{ items: [5] }, 'VALIDATION_ERROR', 'items[0]'],
    [{ items: [item(), null] }, 'VALIDATION_ERROR', 'items[1]'],
    [{ items: [item({ key: undefined })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ key: '' })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ key: '   ' })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ key: 5 })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ key: 'k'.repeat(257) })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ key: 'a\nb' })] }, 'VALIDATION_ERROR', 'items[0].key'],
    [{ items: [item({ accountId: undefined })] }, 'VALIDATION_ERROR', 'items[0].accountId'],
    [{ items: [item({ accountId: 'a b' })] }, 'VALIDATION_ERROR', 'items[0].accountId'],
    [{ items: [item({ accountId: 'x'.repeat(129) })] }, 'VALIDATION_ERROR', 'items[0].accountId'],
    [{ items: [item({ accountId: 7 })] }, 'VALIDATION_ERROR', 'items[0].accountId'],
    [{ items: [item({ bits: undefined })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ bits: 1.5 })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ bits: '3' })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ bits: true })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ bits: 9007199254740992 })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ bits: -9007199254740992 })] }, 'VALIDATION_ERROR', 'items[0].bits'],
    [{ items: [item({ metadata: [1] })] }, 'VALIDATION_ERROR', 'items[0].metadata'],
    [{ items: [item({ metadata: { a: 'x'.repeat(16 * 1024) } })] }, 'VALIDATION_ERROR', 'items[0].metadata'],
    [{ items: [item(), item({ extra: 1 })] }, 'UNKNOWN_FIELD', 'items[1].extra'],
    [{ items: [item(), item(), item({ bits: 0.5 })] }, 'VALIDATION_ERROR', 'items[2].bits'],
  ];
  const textCases = [
    ['{"items":[{"key":"k","accountId":"a","bits":1e3}]}', 'VALIDATION_ERROR', 'items[0].bits'],
    ['{"items":[{"key":"k","accountId":"a","bits":1.0}]}', 'VALIDATION_ERROR', 'items[0].bits'],
    ['{"items":[{"key":"k","accountId":"a","bits":1e400}]}', 'VALIDATION_ERROR', 'items[0].bits'],
    ['{"items":[{"key":"k","accountId":"a","bits":99999999999999999999999}]}', 'VALIDATION_ERROR', 'items[0].bits'],
    ['{"items":[{"key":"k","key":"j","accountId":"a","bits":1}]}', 'DUPLICATE_FIELD', 'items[0].key'],
    ['{"items":[],"items":[{"key":"k","accountId":"a","bits":1}]}', 'DUPLICATE_FIELD', 'items'],
    ['{"items":[{"key":"k","accountId":"a","bits":1,"metadata":{"a":1,"a":1}}]}', 'JSON_DUPLICATE_NAME', 'items[0].metadata'],
    ['{"items":[{"key":"k","accountId":"a","bits":1}', 'INVALID_JSON', null],
    ['', 'INVALID_JSON', null],
    ['[]', 'VALIDATION_ERROR', null],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of cases) assertError(await post(body), 400, code, field);
    for (const [text, code, field] of textCases) assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/writes', text), 400, code, field);
    assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/writes', Buffer.from([0x7b, 0xff, 0x7d])), 400, 'INVALID_JSON', null);
    assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/writes', JSON.stringify({ items: [item({ metadata: { a: 'x'.repeat(1 << 20) } })] })), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await writes(worker.baseUrl, undefined, { items: [item()] }), 401, 'INVALID_API_KEY');
  });
});

test('limits that are accepted: 100 items, bits 0 and ±(2^53−1), 256-character keys', async () => {
  const input = Array.from({ length: 100 }, (_, i) => item({ accountId: `bulk-${i % 7}`, bits: i - 50 }));
  const usedBefore = await used(worker.baseUrl, key);
  const data = (await post({ items: input })).body.data;
  assert.equal(data.itemCount, 100);
  assert.equal(data.receiptId, merkleRoot(data.itemHashes));
  data.records.forEach((r, i) => assert.equal(itemHash(writeItem(data, i, input[i])), r.itemHash));
  assert.equal(await used(worker.baseUrl, key), usedBefore + 100);
  const edge = [item({ bits: 0 }), item({ bits: 9007199254740991 }), item({ key: 'k'.repeat(256) }), item({ key: 'ключ 🔑 with spaces' })];
  const e = (await post({ items: edge })).body.data;
  assert.equal(e.itemCount, 4);
  e.records.forEach((r, i) => assert.equal(itemHash(writeItem(e, i, edge[i])), r.itemHash));
});

test('production writes hash the production account reference', async () => {
  const input = [item({ accountId: 'prod-acct' })];
  const res = await writes(worker.baseUrl, tenant.keys.production, { items: input });
  assert.equal(res.status, 202);
  assert.equal(itemHash(writeItem(res.body.data, 0, input[0], 'production')), res.body.data.itemHashes[0]);
  assert.notEqual(itemHash(writeItem(res.body.data, 0, input[0], 'sandbox')), res.body.data.itemHashes[0]);
});

test('fuzz: truncations and mutations of a writes body never produce a 5xx', async () => {
  const base = JSON.stringify({ items: [{ key: 'fuzz-k1', accountId: 'fz', bits: -12, metadata: { a: [1, 'x'] } }, { key: 'fuzz-k2', accountId: 'fz', bits: 3 }] });
  const before = await rowCounts(worker.persistDir);
  let accepted = 0;
  for (const body of mutations(base, 250, 0x7654321)) {
    const res = await raw(worker.baseUrl, key, 'POST', '/api/v1/writes', body);
    assert.ok([202, 400, 409].includes(res.status), `${res.status} for ${JSON.stringify(body)}: ${res.text}`);
    if (res.status === 202) accepted += res.body.data.itemCount;
  }
  assert.equal((await rowCounts(worker.persistDir)).records - before.records, accepted);
});
