// Hostile bodies on the write routes: garbage, invalid UTF-8, deep nesting,
// duplicate and 10^5 members, > 1 MiB, fuzzed bytes — always a 4xx, never a
// 5xx, and nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { createTenant, raw, rowCounts, assertError, assertNothingWritten, mutations } from './fixtures.mjs';

let worker;
let key;
before(async () => {
  worker = await startWorker();
  key = (await createTenant(worker.baseUrl, { name: 'Hostile', rateLimitPerMinute: 1_000_000 })).keys.sandbox;
});
after(async () => { await worker?.stop(); });

const postRaw = (body, headers) => raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body, headers);
const valid = (over = {}) => ({ customerId: 'cust_1', delta: -42.5, reason: 'usage', ...over });

test('hostile bodies: garbage, empty, non-objects, duplicates, invalid UTF-8, deep nesting → 4xx, nothing written', async () => {
  const deepArrays = '['.repeat(100_000) + ']'.repeat(100_000);
  const deepObjects = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
  const deepMeta = `{"customerId":"c","delta":1,"reason":"r","metadata":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
  const deepMeta65 = `{"customerId":"c","delta":1,"reason":"r","metadata":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}`;
  const cases = [
    ['garbage', 'INVALID_JSON', null],
    ['', 'INVALID_JSON', null],
    ['{', 'INVALID_JSON', null],
    ['{"customerId":"c","delta":1,"reason":"r"} trailing', 'INVALID_JSON', null],
    ['{"customerId":"c","delta":1,"reason":"r"}{}', 'INVALID_JSON', null],
    ['{"customerId":"c","delta":1,"reason":"r",}', 'INVALID_JSON', null],
    ["{'customerId':'c'}", 'INVALID_JSON', null],
    ['\uFEFF{"customerId":"c","delta":1,"reason":"r"}', 'INVALID_JSON', null],
    ['{"customerId":"c\\ud800","delta":1,"reason":"r"}', 'VALIDATION_ERROR', 'customerId'],
    ['{"customerId":"c","delta":1,"reason":"\\udc00"}', 'VALIDATION_ERROR', 'reason'],
    ['null', 'VALIDATION_ERROR', null],
    ['[]', 'VALIDATION_ERROR', null],
    ['[{"customerId":"c","delta":1,"reason":"r"}]', 'VALIDATION_ERROR', null],
    ['42', 'VALIDATION_ERROR', null],
    ['"s"', 'VALIDATION_ERROR', null],
    ['true', 'VALIDATION_ERROR', null],
    ['{"customerId":"c","delta":1,"reason":"r","customerId":"d"}', 'DUPLICATE_FIELD', 'customerId'],
    ['{"customerId":"c","delta":1,"delta":2,"reason":"r"}', 'DUPLICATE_FIELD', 'delta'],
    ['{"customerId":"c","customer\\u0049d":"d","delta":1,"reason":"r"}', 'DUPLICATE_FIELD', 'customerId'],
    ['{"customerId":"c","delta":null,"delta":1,"reason":"r"}', 'DUPLICATE_FIELD', 'delta'],
    ['{"customerId":"c","delta":1,"reason":"r","metadata":{"a":1,"a":2}}', 'JSON_DUPLICATE_NAME', 'metadata'],
    ['{"customerId":"c","delta":1,"reason":"r","metadata":{"x":{"a":1,"\\u0061":2}}}', 'JSON_DUPLICATE_NAME', 'metadata'],
    ['{"customerId":"c","delta":1,"reason":"r","metadata":{"x":1e400}}', 'JSON_INVALID', 'metadata'],
    ['{"customerId":"c","delta":1,"reason":"r","metadata":{"x":"\\ud800"}}', 'JSON_INVALID', 'metadata'],
    ['{"customerId":"c","delta":1,"reason":"r","adjusts":{"referenceId":"a","referenceId":"b"}}', 'DUPLICATE_FIELD', 'adjusts.referenceId'],
    [deepArrays, 'VALIDATION_ERROR', null],
    [deepObjects, 'VALIDATION_ERROR', 'customerId'],
    [deepMeta, 'JSON_INVALID', 'metadata'],
    [deepMeta65, 'JSON_INVALID', 'metadata'],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of cases) assertError(await postRaw(body), 400, code, field);
    // Invalid UTF-8 (in a string, and a lone continuation byte).
    for (const bytes of [
      Buffer.concat([Buffer.from('{"customerId":"c'), Buffer.from([0xff, 0xfe]), Buffer.from('","delta":1,"reason":"r"}')]),
      Buffer.concat([Buffer.from('{"customerId":"c","delta":1,"reason":"'), Buffer.from([0x80]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"customerId":"c","delta":1,"reason":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    ]) assertError(await postRaw(bytes), 400, 'INVALID_JSON', null);
  });
  // Deep nesting up to the limit is fine.
  const ok = `{"customerId":"c","delta":1,"reason":"r","metadata":${'{"a":'.repeat(63)}1${'}'.repeat(63)}}`;
  assert.equal((await postRaw(ok)).status, 201);
});

test('a 1 MiB object with 10^5 members is refused in linear time (no CPU-bound 5xx)', async () => {
  const A = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const names = [...A, ...[...A].flatMap((a) => [...A].map((b) => a + b)), ...[...A].flatMap((a) => [...A].flatMap((b) => [...A].map((c) => a + b + c)))];
  const wide = (limit) => {
    let out = '';
    for (let i = 0; out.length < limit; i++) out += `"_${names[i]}":0,`;
    return out;
  };
  const members = wide((1 << 20) - 300);
  assert.ok(members.split(',').length > 100_000);
  const cases = [
    ['/api/v1/balance/delta', `{${members}"customerId":"c","delta":1,"reason":"r"}`, 'UNKNOWN_FIELD', '_a'],
    ['/api/v1/balance/delta', `{${members}"_a":1}`, 'DUPLICATE_FIELD', '_a'],
    ['/api/v1/balance/delta/batch', `{"deltas":[{${members}"customerId":"c","delta":1,"reason":"r"}]}`, 'VALIDATION_ERROR', 'deltas'],
    ['/api/v1/writes', `{"items":[{${members}"key":"k","accountId":"a","bits":1}]}`, 'UNKNOWN_FIELD', 'items[0]._a'],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [path, body, code, field] of cases) {
      const started = Date.now();
      const res = await raw(worker.baseUrl, key, 'POST', path, body);
      assertError(res, 400, code, field, path);
      // Quadratic duplicate detection took over a minute here; linear takes well under a second.
      assert.ok(Date.now() - started < 15_000, `${path} took ${Date.now() - started} ms`);
    }
  });
});

test('bodies over 1 MiB are 413, with or without Content-Length, and write nothing', async () => {
  const big = JSON.stringify(valid({ metadata: { a: 'x'.repeat(1 << 20) } }));
  await assertNothingWritten(worker, async () => {
    assertError(await postRaw(big), 413, 'PAYLOAD_TOO_LARGE', null);
    // Streamed (chunked, no Content-Length).
    const stream = new ReadableStream({
      start(c) { for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode(i === 0 ? '{"customerId":"c","delta":1,"reason":"r","metadata":{"a":"' : 'x'.repeat(64 * 1024))); c.close(); },
    });
    const res = await fetch(`${worker.baseUrl}/api/v1/balance/delta`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: stream, duplex: 'half' });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, 'PAYLOAD_TOO_LARGE');
    // Exactly the limit + 1.
    const pad = (1 << 20) + 1 - JSON.stringify(valid({ metadata: { a: '' } })).length;
    assertError(await postRaw(JSON.stringify(valid({ metadata: { a: 'x'.repeat(pad) } }))), 413, 'PAYLOAD_TOO_LARGE', null);
  });
  // Just under 1 MiB the body is read and the metadata cap applies instead.
  assertError(await postRaw(JSON.stringify(valid({ metadata: { a: 'x'.repeat((1 << 20) - 200) } }))), 400, 'VALIDATION_ERROR', 'metadata');
});

test('fuzz: truncations and byte mutations of a valid body never produce a 5xx', async () => {
  const base = JSON.stringify(valid({ customerId: 'fuzz', referenceId: 'fz', metadata: { a: [1, 2.5, 'x'], b: { c: null } }, adjusts: undefined }));
  const bodies = mutations(base);
  const before = await rowCounts(worker.persistDir);
  let accepted = 0;
  for (const body of bodies) {
    const res = await postRaw(body);
    assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(body)}: ${res.text}`);
    assert.ok([201, 400].includes(res.status), `${res.status} for ${JSON.stringify(body)}`);
    if (res.status === 201) accepted++;
    else assert.equal(res.body.success, false);
  }
  // Every truncation is invalid; only accepted mutations may write, one record each.
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records - before.records, accepted);
  assert.equal(after.submissions - before.submissions, accepted);
});
