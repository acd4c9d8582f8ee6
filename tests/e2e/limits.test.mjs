// Monthly allowance (402, nothing written), per-key rate limit (429 with
// Retry-After), and API-key authentication (401 for disabled, wrong or malformed keys).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import {
  createTenant, admin, api, emit, batch, writes, get, used, assertError, assertOk, assertNothingWritten, uid,
} from './fixtures.mjs';

let worker;
before(async () => { worker = await startWorker(); });
after(async () => { await worker?.stop(); });

const delta = (over = {}) => ({ customerId: 'lim-c', delta: 1, reason: 'r', ...over });
const publicId = (fullKey) => fullKey.split('.')[0];

test('monthly allowance: a submission that would exceed it is 402 PLAN_LIMIT_EXCEEDED and writes nothing', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Allowance', rateLimitPerMinute: 1_000_000 });
  const key = t.keys.sandbox;
  const patched = await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: 3 });
  assert.equal(patched.monthlyAllowance, 3);
  assertOk(await emit(worker.baseUrl, key, delta()), 201);
  assertOk(await emit(worker.baseUrl, key, delta()), 201);
  await assertNothingWritten(worker, async () => {
    // Two more would make 4 > 3: the whole batch is refused, not cut.
    assertError(await batch(worker.baseUrl, key, { deltas: [delta(), delta()] }), 402, 'PLAN_LIMIT_EXCEEDED');
    assertError(await writes(worker.baseUrl, key, { items: [{ key: uid('k'), accountId: 'a', bits: 1 }, { key: uid('k'), accountId: 'a', bits: 1 }] }), 402, 'PLAN_LIMIT_EXCEEDED');
  });
  // A batch whose invalid items are in-band failures only counts its accepted items.
  const fit = assertOk(await batch(worker.baseUrl, key, { deltas: [delta(), delta({ delta: 0 })] }), 201);
  assert.equal(fit.totalQueued, 1);
  const usage = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/usage'), 200);
  assert.deepEqual({ used: usage.used, allowance: usage.allowance, remaining: usage.remaining, allowed: usage.allowed }, { used: 3, allowance: 3, remaining: 0, allowed: false });
  assert.equal(assertOk(await get(worker.baseUrl, key, '/api/v1/balance/limits'), 200).monthlyAllowance, 3);
  await assertNothingWritten(worker, async () => {
    const res = await emit(worker.baseUrl, key, delta());
    assertError(res, 402, 'PLAN_LIMIT_EXCEEDED');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta()] }), 402, 'PLAN_LIMIT_EXCEEDED');
    assertError(await writes(worker.baseUrl, key, { items: [{ key: uid('k'), accountId: 'a', bits: 1 }] }), 402, 'PLAN_LIMIT_EXCEEDED');
    // Validation still comes first.
    assertError(await emit(worker.baseUrl, key, delta({ delta: 0 })), 400, 'AMOUNT_ZERO', 'delta');
  });
  // Reads are not limited.
  assert.equal((await get(worker.baseUrl, key, '/api/v1/balance/customers')).status, 200);
  // The allowance counts per environment: production has its own 3.
  for (let i = 0; i < 3; i++) assertOk(await emit(worker.baseUrl, t.keys.production, delta()), 201);
  assertError(await emit(worker.baseUrl, t.keys.production, delta()), 402, 'PLAN_LIMIT_EXCEEDED');
  // Another tenant is not affected.
  const o = await createTenant(worker.baseUrl, { name: 'Unlimited' });
  assertOk(await emit(worker.baseUrl, o.keys.sandbox, delta()), 201);
  // Raising the allowance, then removing it, lets writes through again.
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: 4 });
  assertOk(await emit(worker.baseUrl, key, delta()), 201);
  assertError(await emit(worker.baseUrl, key, delta()), 402, 'PLAN_LIMIT_EXCEEDED');
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: null });
  assertOk(await batch(worker.baseUrl, key, { deltas: [delta(), delta()] }), 201);
  assert.equal(await used(worker.baseUrl, key), 6);
  // Lowering it below what is used blocks the next write.
  await admin(worker.baseUrl, 'PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: 1 });
  assertError(await emit(worker.baseUrl, key, delta()), 402, 'PLAN_LIMIT_EXCEEDED');
  assert.deepEqual((await get(worker.baseUrl, key, '/api/v1/balance/usage')).body.data.remaining, 0);
});

test('monthly allowance 0 refuses the first write', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Zero', monthlyAllowance: 0 });
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, t.keys.sandbox, delta()), 402, 'PLAN_LIMIT_EXCEEDED');
  });
  const u = assertOk(await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage'), 200);
  assert.deepEqual([u.used, u.allowance, u.remaining, u.allowed], [0, 0, 0, false]);
});

test('parallel submissions never exceed the allowance', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Allowance Race', monthlyAllowance: 10, rateLimitPerMinute: 1_000_000 });
  const key = t.keys.sandbox;
  assertOk(await emit(worker.baseUrl, key, delta()), 201);
  const results = await Promise.all([
    ...Array.from({ length: 12 }, (_, i) => emit(worker.baseUrl, key, delta({ customerId: `race-${i % 4}` }))),
    ...Array.from({ length: 4 }, () => batch(worker.baseUrl, key, { deltas: [delta(), delta({ customerId: 'race-b' })] })),
  ]);
  for (const r of results) {
    if (r.status === 402) assertError(r, 402, 'PLAN_LIMIT_EXCEEDED');
    else assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const accepted = results.filter((r) => r.status === 201).reduce((n, r) => n + (r.body.data.totalQueued ?? 1), 0);
  const u = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/usage'), 200);
  assert.equal(u.used, 1 + accepted);
  assert.ok(u.used <= 10 && u.used >= 9, `used ${u.used}`);
  const c = assertOk(await get(worker.baseUrl, key, '/api/v1/balance/customers/summary'), 200);
  assert.equal(c.totalDeltas, u.used, 'every counted record exists and no more');
});

/** Waits until a fresh minute has at least `seconds` left, so a burst stays in one rate window. */
async function roomInMinute(seconds) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((ok) => setTimeout(ok, left + 250));
}

test('per-key rate limit: over the limit is 429 RATE_LIMITED with an integer Retry-After and retryAfterSeconds', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Rate' });
  const key = t.keys.sandbox;
  const patched = await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId(key)}`, { rateLimitPerMinute: 3 });
  assert.deepEqual(patched, { publicKey: publicId(key), environment: 'sandbox', enabled: true, rateLimitPerMinute: 3 });
  await roomInMinute(20);
  for (let i = 0; i < 3; i++) assert.equal((await get(worker.baseUrl, key, '/api/v1/balance/limits')).status, 200);
  const limited = await get(worker.baseUrl, key, '/api/v1/balance/usage');
  assertError(limited, 429, 'RATE_LIMITED');
  const header = limited.headers.get('retry-after');
  assert.match(header, /^[1-9][0-9]?$/, 'Retry-After is an integer number of seconds');
  assert.ok(Number(header) >= 1 && Number(header) <= 60);
  assert.equal(limited.body.error.retryAfterSeconds, Number(header));
  // Every route of the key is limited, and a limited write writes nothing.
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta()), 429, 'RATE_LIMITED');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta()] }), 429, 'RATE_LIMITED');
    assertError(await writes(worker.baseUrl, key, { items: [{ key: 'k', accountId: 'a', bits: 1 }] }), 429, 'RATE_LIMITED');
    assertError(await get(worker.baseUrl, key, '/api/v1/balance/customers'), 429, 'RATE_LIMITED');
  });
  // The limit is per key: the tenant's production key is not limited.
  assert.equal((await get(worker.baseUrl, t.keys.production, '/api/v1/balance/usage')).status, 200);
  // Raising the limit lets the key through again within the same minute.
  await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId(key)}`, { rateLimitPerMinute: 1000 });
  assert.equal((await get(worker.baseUrl, key, '/api/v1/balance/usage')).status, 200);
  assert.equal(assertOk(await get(worker.baseUrl, key, '/api/v1/balance/limits'), 200).rateLimitPerMinute, 1000);
});

test('rate limit 0 refuses every request of the key', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Rate Zero', rateLimitPerMinute: 0 });
  assertError(await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage'), 429, 'RATE_LIMITED');
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, t.keys.production, delta()), 429, 'RATE_LIMITED');
  });
});

test('a disabled key is 401 API_KEY_DISABLED on every route and writes nothing; re-enabled it works', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Disabled' });
  const key = t.keys.sandbox;
  assertOk(await emit(worker.baseUrl, key, delta({ customerId: 'dis-c' })), 201);
  const off = await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId(key)}`, { enabled: false });
  assert.equal(off.enabled, false);
  await assertNothingWritten(worker, async () => {
    assertError(await emit(worker.baseUrl, key, delta()), 401, 'API_KEY_DISABLED');
    assertError(await batch(worker.baseUrl, key, { deltas: [delta()] }), 401, 'API_KEY_DISABLED');
    assertError(await writes(worker.baseUrl, key, { items: [{ key: 'k', accountId: 'a', bits: 1 }] }), 401, 'API_KEY_DISABLED');
    for (const path of ['/api/v1/balance/delta/x', '/api/v1/balance/customers', '/api/v1/balance/customers/summary', '/api/v1/balance/customers/dis-c', '/api/v1/balance/usage', '/api/v1/balance/limits']) {
      assertError(await get(worker.baseUrl, key, path), 401, 'API_KEY_DISABLED');
    }
  });
  // The other key of the tenant is still enabled.
  assert.equal((await get(worker.baseUrl, t.keys.production, '/api/v1/balance/usage')).status, 200);
  // A wrong secret on a disabled key does not reveal that the key is disabled.
  assertError(await get(worker.baseUrl, `${publicId(key)}.wrongsecret`, '/api/v1/balance/usage'), 401, 'INVALID_API_KEY');
  await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId(key)}`, { enabled: true });
  assertOk(await emit(worker.baseUrl, key, delta()), 201);
});

test('wrong, missing and malformed keys are 401 INVALID_API_KEY', async () => {
  const t = await createTenant(worker.baseUrl, { name: 'Auth' });
  const [pub, secret] = t.keys.sandbox.split('.');
  const [livePub, liveSecret] = t.keys.production.split('.');
  const bad = [
    `${pub}.${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`,
    `${pub}.${secret}x`,
    `${pub}.${liveSecret}`,
    `${livePub}.${secret}`,
    `pk_live_${pub.slice('pk_test_'.length)}.${secret}`,
    `pk_test_${livePub.slice('pk_live_'.length)}.${liveSecret}`,
    `pk_test_0000000000000000.${secret}`,
    pub,
    `${pub}.`,
    `.${secret}`,
    `sk_test_${pub.slice(8)}.${secret}`,
    'pk_test_.x',
    `${pub}.${secret}.extra`,
    `${pub} .${secret}`,
    'garbage',
    'x'.repeat(4000),
    `${pub}.${'s'.repeat(129)}`,
    `${pub}.${secret}\u00e9`,
  ];
  await assertNothingWritten(worker, async () => {
    for (const k of bad) {
      assertError(await emit(worker.baseUrl, k, delta()), 401, 'INVALID_API_KEY');
      assertError(await get(worker.baseUrl, k, '/api/v1/balance/usage'), 401, 'INVALID_API_KEY');
    }
    assertError(await emit(worker.baseUrl, undefined, delta()), 401, 'INVALID_API_KEY');
    assertError(await emit(worker.baseUrl, '   ', delta()), 401, 'INVALID_API_KEY');
    // Only X-Api-Key authenticates.
    assertError(await api(worker.baseUrl, undefined, 'POST', '/api/v1/balance/delta', delta(), { authorization: `Bearer ${t.keys.sandbox}` }), 401, 'INVALID_API_KEY');
  });
  // Surrounding whitespace is tolerated; the right key works.
  assert.equal((await get(worker.baseUrl, ` ${t.keys.sandbox} `, '/api/v1/balance/usage')).status, 200);
});
