// Idempotency-Key on emit, batch, writes and checkpoint: replay, 409 on another body, 202
// while in flight, exactly one record under parallel retries, scope per tenant
// and environment, and a failed request never consumes its key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, admin, raw, emit, batch, writes, get, used, d1, sql, requestDigest,
  assertError, assertOk, assertNothingWritten, rowCounts, uid,
} from './fixtures.mjs';

let worker;
let tenant;
let other;
let key;
before(async () => {
  worker = await startWorker();
  tenant = await createTenant(worker.baseUrl, { name: 'Idem', rateLimitPerMinute: 1_000_000 });
  other = await createTenant(worker.baseUrl, { name: 'Idem Other', rateLimitPerMinute: 1_000_000 });
  key = tenant.keys.sandbox;
});
after(async () => { await worker?.stop(); });

const idem = (k) => ({ 'idempotency-key': k });
const delta = (over = {}) => ({ customerId: 'idem-c', delta: -1.5, reason: 'charge', ...over });

test('emit: same key and body replays the original response with Idempotent-Replayed: true', async () => {
  const k = uid('emit');
  const before = await rowCounts(worker.persistDir);
  const first = await emit(worker.baseUrl, key, delta(), idem(k));
  assertOk(first, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const again = await emit(worker.baseUrl, key, delta(), idem(k));
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body, first.body);
  const third = await emit(worker.baseUrl, key, delta(), idem(k));
  assert.deepEqual(third.body, first.body);
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.records, before.records + 1);
  assert.equal(after.submissions, before.submissions + 1);
  assert.equal(after.used_sum, before.used_sum + 1);
  assert.equal(after.idempotency, before.idempotency + 1);
  const [row] = await d1(worker.persistDir, `SELECT state, route, response_status FROM idempotency WHERE key = ${sql(k)}`);
  assert.deepEqual(row, { state: 'done', route: 'delta', response_status: 201 });
});

test('a different body, or the same body on another route, is 409 IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
  const k = uid('reuse');
  const first = assertOk(await emit(worker.baseUrl, key, delta(), idem(k)), 201);
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta({ delta: -2 }), idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
    assertError(await emit(worker.baseUrl, key, delta({ reason: 'other' }), idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
    // Byte-different JSON of the same value is another body.
    assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', JSON.stringify(delta(), null, 1), idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta()] }, idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
    assertError(await writes(worker.baseUrl, key, { items: [{ key: 'w', accountId: 'a', bits: 1 }] }, idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
  });
  // The original is still replayed afterwards.
  assert.equal((await emit(worker.baseUrl, key, delta(), idem(k))).body.data.recordId, first.recordId);
});

test('batch: the replay marks every result idempotent: true, failed items included', async () => {
  const k = uid('batch');
  const body = { deltas: [delta({ customerId: 'ib-1' }), delta({ customerId: 'ib-2', delta: 0 }), delta({ customerId: 'ib-3' })] };
  const first = await batch(worker.baseUrl, key, body, idem(k));
  const data = assertOk(first, 201);
  assert.ok(data.results.every((r) => r.idempotent === undefined));
  const usedAfterFirst = await used(worker.baseUrl, key);
  const again = await batch(worker.baseUrl, key, body, idem(k));
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body.data.results.map((r) => r.idempotent), [true, true, true]);
  assert.deepEqual(again.body.data.results.map(({ idempotent, ...r }) => r), data.results);
  assert.deepEqual({ ...again.body.data, results: undefined }, { ...data, results: undefined });
  assert.equal(await used(worker.baseUrl, key), usedAfterFirst);
});

test('writes: a retry with the same key is replayed (202), not refused as a duplicate write key', async () => {
  const k = uid('writes');
  const body = { items: [{ key: uid('wk'), accountId: 'iw', bits: 4 }] };
  const first = await writes(worker.baseUrl, key, body, idem(k));
  assert.equal(first.status, 202);
  const before = await rowCounts(worker.persistDir);
  const again = await writes(worker.baseUrl, key, body, idem(k));
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body, first.body);
  assert.deepEqual(await rowCounts(worker.persistDir), before);
  // Without the key the same write key is a conflict.
  assertError(await writes(worker.baseUrl, key, body), 409, 'DUPLICATE_KEY', 'items[0].key');
  // With a new Idempotency-Key too, and that key is not consumed by the 409.
  const k2 = uid('writes2');
  assertError(await writes(worker.baseUrl, key, body, idem(k2)), 409, 'DUPLICATE_KEY', 'items[0].key');
  const fresh = { items: [{ key: uid('wk'), accountId: 'iw', bits: 4 }] };
  assert.equal((await writes(worker.baseUrl, key, fresh, idem(k2))).status, 202);
});

for (const [route, path, send, body, okStatus] of [
  ['delta', '/api/v1/balance/delta', emit, () => delta({ customerId: uid('par') }), 201],
  ['batch', '/api/v1/balance/delta/batch', batch, () => ({ deltas: [delta({ customerId: uid('parb') }), delta({ customerId: uid('parb') })] }), 201],
  ['writes', '/api/v1/writes', writes, () => ({ items: [{ key: uid('parw'), accountId: 'pw', bits: 1 }, { key: uid('parw'), accountId: 'pw', bits: 2 }] }), 202],
]) {
  test(`${route}: identical requests with one Idempotency-Key sent in parallel create exactly one submission`, async () => {
    const k = uid(`par-${route}`);
    const b = body();
    const n = 12;
    const before = await rowCounts(worker.persistDir);
    const results = await Promise.all(Array.from({ length: n }, () => send(worker.baseUrl, key, b, idem(k))));
    const after = await rowCounts(worker.persistDir);
    const items = route === 'delta' ? 1 : 2;
    assert.equal(after.submissions, before.submissions + 1, path);
    assert.equal(after.records, before.records + items);
    assert.equal(after.used_sum, before.used_sum + items);
    assert.equal(after.idempotency, before.idempotency + 1);
    // On /writes success is also 202, so a pending answer is told apart by its code.
    const pending = (r) => r.status === 202 && r.body.code === 'IDEMPOTENCY_PENDING';
    const original = results.filter((r) => r.status === okStatus && !pending(r) && r.headers.get('idempotent-replayed') === null);
    assert.equal(original.length, 1, `exactly one original: ${results.map((r) => r.status)}`);
    const id = (r) => r.body.data.recordId ?? r.body.data.anchorId ?? r.body.data.requestId;
    for (const r of results) {
      if (pending(r)) continue;
      assert.equal(r.status, okStatus, JSON.stringify(r.body));
      assert.equal(id(r), id(original[0]));
    }
    // Once settled, every retry is the replay.
    const late = await send(worker.baseUrl, key, b, idem(k));
    assert.equal(late.status, okStatus);
    assert.equal(late.headers.get('idempotent-replayed'), 'true');
    assert.equal(id(late), id(original[0]));
  });
}

test('checkpoint: the same key replays the first checkpoint after the log has grown; another body is 409; a failure frees the key', async () => {
  const c = uid('ck');
  const post = (body, k) => raw(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', JSON.stringify(body), k ? idem(k) : {});
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: c, delta: 4 })), 201);
  const k = uid('ckk');
  const first = await post({ customerId: c }, k);
  assertOk(first, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  assert.deepEqual([first.body.data.treeSize, first.body.data.closingBalance], [1, 4]);

  assertOk(await emit(worker.baseUrl, key, delta({ customerId: c, delta: 1 })), 201);
  const again = await post({ customerId: c }, k);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body, first.body);
  // Without the key the same request closes the grown log: a new checkpoint.
  const fresh = assertOk(await post({ customerId: c }), 201);
  assert.notEqual(fresh.checkpointId, first.body.data.checkpointId);
  assert.deepEqual([fresh.treeSize, fresh.closingBalance, fresh.previousCheckpointId], [2, 5, first.body.data.checkpointId]);

  assertError(await post({ customerId: c, period: first.body.data.period }, k), 409, 'IDEMPOTENCY_KEY_REUSED');
  assertError(await emit(worker.baseUrl, key, delta({ customerId: c }), idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');

  // A refused request (400 before the claim, 404 after it) leaves the key free.
  const k2 = uid('ckk2');
  assertError(await post({ customerId: c, period: '2020-13' }, k2), 400, 'VALIDATION_ERROR', 'period');
  assertError(await post({ customerId: uid('nobody') }, k2), 404, 'CUSTOMER_NOT_FOUND');
  const later = await post({ customerId: c }, k2);
  assertOk(later, 201);
  assert.equal(later.headers.get('idempotent-replayed'), null);
  assert.equal(later.body.data.checkpointId, fresh.checkpointId); // idempotent per resolved scope
});

test('in flight: a pending claim answers 202 IDEMPOTENCY_PENDING, another body 409; an expired claim is taken over', async () => {
  const k = uid('pending');
  const body = JSON.stringify(delta({ customerId: 'pending-c' }));
  const now = Date.now();
  await d1(worker.persistDir, `INSERT INTO idempotency (tenant_id, environment, key, route, request_sha256, state, lease_until_ms, created_at)
    VALUES (${sql(tenant.id)}, 'sandbox', ${sql(k)}, 'delta', ${sql(requestDigest('delta', body))}, 'pending', ${now + 600_000}, ${sql(new Date(now).toISOString())})`);
  await assertNothingWritten(worker, async () => {
    const res = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body, idem(k));
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(res.body.code, 'IDEMPOTENCY_PENDING');
    assert.equal(res.body.retryAfterSeconds, 1);
    assert.equal(res.body.statusCode, 202);
    assert.equal(res.body.error.code, 'IDEMPOTENCY_PENDING');
    assert.equal(res.body.error.retryAfterSeconds, 1);
    assert.equal(res.body.data, undefined);
    assertError(await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body.replace('-1.5', '-2.5'), idem(k)), 409, 'IDEMPOTENCY_KEY_REUSED');
  });
  // The same key in the other environment is another key.
  assert.equal((await raw(worker.baseUrl, tenant.keys.production, 'POST', '/api/v1/balance/delta', body, idem(k))).status, 201);
  // The lease runs out (the first request died): the next retry takes the claim over and runs.
  await d1(worker.persistDir, `UPDATE idempotency SET lease_until_ms = ${now - 1} WHERE tenant_id = ${sql(tenant.id)} AND key = ${sql(k)}`);
  const taken = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body, idem(k));
  assertOk(taken, 201);
  assert.equal(taken.headers.get('idempotent-replayed'), null);
  const replay = await raw(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', body, idem(k));
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.body.data.recordId, taken.body.data.recordId);
});

test('keys are scoped to tenant and environment', async () => {
  const k = uid('scope');
  const a = assertOk(await emit(worker.baseUrl, key, delta(), idem(k)), 201);
  const prod = await emit(worker.baseUrl, tenant.keys.production, delta(), idem(k));
  assertOk(prod, 201);
  assert.equal(prod.headers.get('idempotent-replayed'), null);
  assert.notEqual(prod.body.data.recordId, a.recordId);
  const b = await emit(worker.baseUrl, other.keys.sandbox, delta(), idem(k));
  assertOk(b, 201);
  assert.equal(b.headers.get('idempotent-replayed'), null);
  assert.notEqual(b.body.data.recordId, a.recordId);
  // And another tenant's different body under the same key is not a conflict.
  assertOk(await emit(worker.baseUrl, other.keys.production, delta({ delta: 99 }), idem(k)), 201);
  // The record each replay names belongs to the caller.
  assertError(await get(worker.baseUrl, other.keys.sandbox, `/api/v1/balance/delta/${a.recordId}`), 404, 'DELTA_NOT_FOUND');
});

test('a request that fails (400, 402, 429) does not consume its key', async () => {
  const k = uid('fail');
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta({ delta: 0 }), idem(k)), 400, 'AMOUNT_ZERO', 'delta');
  });
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'after-400' }), idem(k)), 201);

  const t = await createTenant(worker.baseUrl, { name: 'Idem 402', monthlyAllowance: 0, rateLimitPerMinute: 1_000_000 });
  const k2 = uid('fail402');
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, t.keys.sandbox, delta(), idem(k2)), 402, 'PLAN_LIMIT_EXCEEDED');
    assertError(await batch(worker.baseUrl, t.keys.sandbox, { deltas: [delta()] }, idem(`${k2}b`)), 402, 'PLAN_LIMIT_EXCEEDED');
    assertError(await writes(worker.baseUrl, t.keys.sandbox, { items: [{ key: 'x', accountId: 'a', bits: 1 }] }, idem(`${k2}w`)), 402, 'PLAN_LIMIT_EXCEEDED');
  });
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: null });
  const retried = await emit(worker.baseUrl, t.keys.sandbox, delta(), idem(k2));
  assertOk(retried, 201);
  assert.equal(retried.headers.get('idempotent-replayed'), null);
});

test('the Idempotency-Key header itself is validated', async () => {
  await assertNothingWritten(worker, async () => {
    for (const bad of ['k'.repeat(256), '   ', 'é'.repeat(256)]) {
      assertError(await emit(worker.baseUrl, key, delta(), idem(bad)), 400, 'VALIDATION_ERROR', 'Idempotency-Key');
    }
    assertError(await writes(worker.baseUrl, key, { items: [{ key: 'v', accountId: 'a', bits: 1 }] }, idem('k'.repeat(300))), 400, 'VALIDATION_ERROR', 'Idempotency-Key');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta()] }, idem(' ')), 400, 'VALIDATION_ERROR', 'Idempotency-Key');
  });
  assertOk(await emit(worker.baseUrl, key, delta(), idem('k'.repeat(255))), 201);
  // Surrounding whitespace is not part of the key.
  const k = uid('trim');
  const a = assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'trim' }), idem(k)), 201);
  const b = await emit(worker.baseUrl, key, delta({ customerId: 'trim' }), idem(`  ${k}  `));
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  assert.equal(b.body.data.recordId, a.recordId);
});
