// Admin routes under /admin (bearer ADMIN_TOKEN): tenants, keys, vendor accounts,
// webhook endpoints; auth, validation (400s write nothing) and 404s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startWorker, ADMIN_TOKEN } from './harness.mjs';
import { api, emit, get, d1, sql, assertError, assertOk, assertNothingWritten, rowCounts } from './fixtures.mjs';

let worker;
before(async () => { worker = await startWorker(); });
after(async () => { await worker?.stop(); });

/** An admin request with an optional token override; returns { status, headers, body }. */
const adm = (method, path, body, token = ADMIN_TOKEN) => api(worker.baseUrl, undefined, method, path, body, token === null ? {} : { authorization: `Bearer ${token}` });
const rawAdm = async (method, path, text) => {
  const res = await fetch(`${worker.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: text });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

test('every admin route needs the bearer token', async () => {
  const t = assertOk(await adm('POST', '/admin/tenants', { name: 'Auth' }), 201);
  const routes = [
    ['POST', '/admin/tenants', { name: 'x' }],
    ['GET', `/admin/tenants/${t.id}`],
    ['PATCH', `/admin/tenants/${t.id}`, { name: 'y' }],
    ['POST', `/admin/tenants/${t.id}/keys`, { environment: 'sandbox' }],
    ['PATCH', '/admin/keys/pk_test_0000000000000000', { enabled: false }],
    ['POST', `/admin/tenants/${t.id}/vendor-accounts`, { displayName: 'v' }],
    ['POST', `/admin/tenants/${t.id}/webhooks`, { url: 'https://example.com/h', environment: 'sandbox' }],
    ['POST', '/admin/webhooks/webhook_x/rotate-secret', {}],
    ['POST', `/admin/tenants/${t.id}/dashboard-tokens`, { role: 'viewer' }],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [method, path, body] of routes) {
      for (const token of [null, 'wrong-token-0123456789abcdef', `${ADMIN_TOKEN}x`, '', ADMIN_TOKEN.slice(0, -1)]) {
        assertError(await adm(method, path, body, token), 401, 'INVALID_ADMIN_TOKEN', undefined, `${method} ${path} ${token}`);
      }
      // Scheme is case-sensitive "Bearer ", and X-Api-Key is not accepted.
      assertError(await api(worker.baseUrl, undefined, method, path, body, { authorization: `bearer ${ADMIN_TOKEN}` }), 401, 'INVALID_ADMIN_TOKEN');
      assertError(await api(worker.baseUrl, ADMIN_TOKEN, method, path, body), 401, 'INVALID_ADMIN_TOKEN');
    }
  });
});

test('tenants: create, read, update; validation names the field; unknown ids are 404', async () => {
  const t = assertOk(await adm('POST', '/admin/tenants', { name: 'Acme', kind: 'middleware', monthlyAllowance: 1000 }), 201);
  assert.match(t.id, /^ten_[0-9a-f]{24}$/);
  assert.deepEqual({ ...t, id: undefined, createdAt: undefined }, { id: undefined, name: 'Acme', kind: 'middleware', monthlyAllowance: 1000, embedOrigins: [], createdAt: undefined });
  assert.match(t.createdAt, /Z$/);
  const d = assertOk(await adm('POST', '/admin/tenants', { name: 'Direct Default' }), 201);
  assert.deepEqual([d.kind, d.monthlyAllowance], ['direct', null]);

  const got = assertOk(await adm('GET', `/admin/tenants/${t.id}`), 200);
  assert.deepEqual(got, { ...t, vendorAccounts: [] });
  const up = assertOk(await adm('PATCH', `/admin/tenants/${t.id}`, { name: 'Acme 2' }), 200);
  assert.deepEqual([up.name, up.monthlyAllowance], ['Acme 2', 1000], 'absent fields are unchanged');
  const up2 = assertOk(await adm('PATCH', `/admin/tenants/${t.id}`, { monthlyAllowance: null }), 200);
  assert.deepEqual([up2.name, up2.monthlyAllowance], ['Acme 2', null], 'null = unlimited');
  assert.equal(assertOk(await adm('PATCH', `/admin/tenants/${t.id}`, {}), 200).name, 'Acme 2');
  assert.equal(assertOk(await adm('GET', `/admin/tenants/${t.id}`), 200).name, 'Acme 2');
  // embedOrigins: exact origins, https (http only on loopback), kept as sent; null clears.
  const origins = ['https://portal.example', 'http://127.0.0.1:3000'];
  assert.deepEqual(assertOk(await adm('PATCH', `/admin/tenants/${t.id}`, { embedOrigins: origins }), 200).embedOrigins, origins);
  for (const [bad, field] of [[['http://portal.example'], 'embedOrigins[0]'], [[origins[0], 'https://x.example/'], 'embedOrigins[1]'], ['https://x.example', 'embedOrigins'], [[7], 'embedOrigins[0]']]) {
    const r = await adm('PATCH', `/admin/tenants/${t.id}`, { embedOrigins: bad });
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(r.body.error.field, field);
  }
  assert.deepEqual(assertOk(await adm('GET', `/admin/tenants/${t.id}`), 200).embedOrigins, origins, 'refused updates changed nothing');
  assert.deepEqual(assertOk(await adm('PATCH', `/admin/tenants/${t.id}`, { embedOrigins: null }), 200).embedOrigins, []);

  const create = [
    [{}, 'VALIDATION_ERROR', 'name'],
    [{ name: '' }, 'VALIDATION_ERROR', 'name'],
    [{ name: 5 }, 'VALIDATION_ERROR', 'name'],
    [{ name: 'n'.repeat(201) }, 'VALIDATION_ERROR', 'name'],
    [{ name: 'x', kind: 'other' }, 'VALIDATION_ERROR', 'kind'],
    [{ name: 'x', kind: 5 }, 'VALIDATION_ERROR', 'kind'],
    [{ name: 'x', monthlyAllowance: -1 }, 'VALIDATION_ERROR', 'monthlyAllowance'],
    [{ name: 'x', monthlyAllowance: 1.5 }, 'VALIDATION_ERROR', 'monthlyAllowance'],
    [{ name: 'x', monthlyAllowance: '5' }, 'VALIDATION_ERROR', 'monthlyAllowance'],
    [{ name: 'x', monthlyAllowance: 2 ** 41 }, 'VALIDATION_ERROR', 'monthlyAllowance'],
    [{ name: 'x', monthlyAllowance: true }, 'VALIDATION_ERROR', 'monthlyAllowance'],
    [{ name: 'x', extra: 1 }, 'UNKNOWN_FIELD', 'extra'],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of create) assertError(await adm('POST', '/admin/tenants', body), 400, code, field);
    for (const [body, code, field] of [[{ name: '' }, 'VALIDATION_ERROR', 'name'], [{ name: '  ' }, 'VALIDATION_ERROR', 'name'], [{ name: 'ok', monthlyAllowance: -5 }, 'VALIDATION_ERROR', 'monthlyAllowance'], [{ kind: 'direct' }, 'UNKNOWN_FIELD', 'kind']]) {
      assertError(await adm('PATCH', `/admin/tenants/${t.id}`, body), 400, code, field);
    }
    for (const text of ['', 'garbage', '[]', '{"name":"a","name":"b"}']) {
      assert.equal((await rawAdm('POST', '/admin/tenants', text)).status, 400, text);
      assert.equal((await rawAdm('PATCH', `/admin/tenants/${t.id}`, text)).status, 400, text);
    }
    // A refused PATCH changes nothing (row counts cannot see an UPDATE, so read it back).
    const unchanged = assertOk(await adm('GET', `/admin/tenants/${t.id}`), 200);
    assert.deepEqual([unchanged.name, unchanged.monthlyAllowance, unchanged.kind], ['Acme 2', null, 'middleware']);
    assertError(await adm('GET', '/admin/tenants/ten_000000000000000000000000'), 404, 'TENANT_NOT_FOUND');
    assertError(await adm('PATCH', '/admin/tenants/ten_000000000000000000000000', { name: 'x' }), 404, 'TENANT_NOT_FOUND');
    assertError(await adm('POST', '/admin/tenants/ten_000000000000000000000000/keys', { environment: 'sandbox' }), 404, 'TENANT_NOT_FOUND');
    assertError(await adm('POST', '/admin/tenants/ten_000000000000000000000000/vendor-accounts', { displayName: 'v' }), 404, 'TENANT_NOT_FOUND');
    assertError(await adm('POST', '/admin/tenants/ten_000000000000000000000000/webhooks', { url: 'https://e.com', environment: 'sandbox' }), 404, 'TENANT_NOT_FOUND');
  });
});

test('keys: created per environment, secret once, usable at once; PATCH enables, disables and limits', async () => {
  const t = assertOk(await adm('POST', '/admin/tenants', { name: 'Keys' }), 201);
  const before = await rowCounts(worker.persistDir);
  const sandbox = assertOk(await adm('POST', `/admin/tenants/${t.id}/keys`, { environment: 'sandbox', name: 'ci', rateLimitPerMinute: 50 }), 201);
  assert.match(sandbox.publicKey, /^pk_test_[0-9a-f]{16}$/);
  assert.match(sandbox.secretKey, /^[0-9a-f]{64}$/);
  assert.equal(sandbox.fullKey, `${sandbox.publicKey}.${sandbox.secretKey}`);
  assert.deepEqual([sandbox.environment, sandbox.name, sandbox.rateLimitPerMinute, sandbox.enabled], ['sandbox', 'ci', 50, true]);
  const live = assertOk(await adm('POST', `/admin/tenants/${t.id}/keys`, { environment: 'live' }), 201);
  assert.match(live.publicKey, /^pk_live_/);
  assert.deepEqual([live.environment, live.name, live.rateLimitPerMinute], ['production', 'default', 1200]);
  assert.match(assertOk(await adm('POST', `/admin/tenants/${t.id}/keys`, { environment: 'test' }), 201).publicKey, /^pk_test_/);
  assert.match(assertOk(await adm('POST', `/admin/tenants/${t.id}/keys`, { environment: 'production' }), 201).publicKey, /^pk_live_/);
  const after = await rowCounts(worker.persistDir);
  assert.equal(after.api_keys, before.api_keys + 4);
  // The secret itself is not stored: only a digest.
  const [row] = await d1(worker.persistDir, `SELECT secret_sha256 FROM api_keys WHERE public_id = ${sql(sandbox.publicKey)}`);
  assert.equal(row.secret_sha256, createHash('sha256').update(sandbox.secretKey).digest('hex'));

  assert.equal((await get(worker.baseUrl, sandbox.fullKey, '/api/v1/balance/usage')).body.data.environment, 'sandbox');
  assert.equal((await get(worker.baseUrl, live.fullKey, '/api/v1/balance/usage')).body.data.environment, 'production');
  assert.equal((await get(worker.baseUrl, sandbox.fullKey, '/api/v1/balance/limits')).body.data.rateLimitPerMinute, 50);

  const off = assertOk(await adm('PATCH', `/admin/keys/${sandbox.publicKey}`, { enabled: false }), 200);
  assert.deepEqual(off, { publicKey: sandbox.publicKey, environment: 'sandbox', enabled: false, rateLimitPerMinute: 50 });
  assertError(await get(worker.baseUrl, sandbox.fullKey, '/api/v1/balance/usage'), 401, 'API_KEY_DISABLED');
  const on = assertOk(await adm('PATCH', `/admin/keys/${sandbox.publicKey}`, { enabled: true, rateLimitPerMinute: 7 }), 200);
  assert.deepEqual([on.enabled, on.rateLimitPerMinute], [true, 7]);
  assert.equal((await get(worker.baseUrl, sandbox.fullKey, '/api/v1/balance/limits')).body.data.rateLimitPerMinute, 7);

  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of [
      [{}, 'VALIDATION_ERROR', 'environment'],
      [{ environment: 'staging' }, 'VALIDATION_ERROR', 'environment'],
      [{ environment: 'Sandbox' }, 'VALIDATION_ERROR', 'environment'],
      [{ environment: 'sandbox', rateLimitPerMinute: -1 }, 'VALIDATION_ERROR', 'rateLimitPerMinute'],
      [{ environment: 'sandbox', rateLimitPerMinute: 1_000_001 }, 'VALIDATION_ERROR', 'rateLimitPerMinute'],
      [{ environment: 'sandbox', name: 7 }, 'VALIDATION_ERROR', 'name'],
      [{ environment: 'sandbox', secret: 'mine' }, 'UNKNOWN_FIELD', 'secret'],
    ]) assertError(await adm('POST', `/admin/tenants/${t.id}/keys`, body), 400, code, field);
    for (const [body, code, field] of [
      [{ enabled: 'no' }, 'VALIDATION_ERROR', 'enabled'],
      [{ enabled: 0 }, 'VALIDATION_ERROR', 'enabled'],
      [{ rateLimitPerMinute: 2.5 }, 'VALIDATION_ERROR', 'rateLimitPerMinute'],
      [{ enabled: false, rateLimitPerMinute: -1 }, 'VALIDATION_ERROR', 'rateLimitPerMinute'],
      [{ environment: 'production' }, 'UNKNOWN_FIELD', 'environment'],
    ]) assertError(await adm('PATCH', `/admin/keys/${sandbox.publicKey}`, body), 400, code, field);
    assertError(await adm('PATCH', '/admin/keys/pk_test_0000000000000000', { enabled: true }), 404, 'API_KEY_NOT_FOUND');
    assertError(await adm('PATCH', `/admin/keys/${sandbox.fullKey}`, { enabled: true }), 404, 'API_KEY_NOT_FOUND');
    // The refused PATCHes changed nothing: the key is still enabled with its limit.
    assert.equal(assertOk(await get(worker.baseUrl, sandbox.fullKey, '/api/v1/balance/limits'), 200).rateLimitPerMinute, 7);
  });
});

test('vendor accounts: only for middleware tenants, listed on the tenant', async () => {
  const m = assertOk(await adm('POST', '/admin/tenants', { name: 'MW', kind: 'middleware' }), 201);
  const d = assertOk(await adm('POST', '/admin/tenants', { name: 'Direct' }), 201);
  const v = assertOk(await adm('POST', `/admin/tenants/${m.id}/vendor-accounts`, { displayName: 'Vendor One' }), 201);
  assert.match(v.id, /^cmw_[0-9a-f]{24}$/);
  assert.equal(v.displayName, 'Vendor One');
  assert.deepEqual(assertOk(await adm('GET', `/admin/tenants/${m.id}`), 200).vendorAccounts, [{ id: v.id, displayName: 'Vendor One' }]);
  await assertNothingWritten(worker, async () => {
    assertError(await adm('POST', `/admin/tenants/${d.id}/vendor-accounts`, { displayName: 'x' }), 400, 'TENANT_NOT_MIDDLEWARE', null);
    assertError(await adm('POST', `/admin/tenants/${m.id}/vendor-accounts`, {}), 400, 'VALIDATION_ERROR', 'displayName');
    assertError(await adm('POST', `/admin/tenants/${m.id}/vendor-accounts`, { displayName: ' ' }), 400, 'VALIDATION_ERROR', 'displayName');
    assertError(await adm('POST', `/admin/tenants/${m.id}/vendor-accounts`, { displayName: 'x', id: 'cmw_mine' }), 400, 'UNKNOWN_FIELD', 'id');
  });
});

test('webhook endpoints: create returns the secret once; rotate replaces it; bad URLs and environments are refused', async () => {
  const t = assertOk(await adm('POST', '/admin/tenants', { name: 'Hooks' }), 201);
  const w = assertOk(await adm('POST', `/admin/tenants/${t.id}/webhooks`, { url: 'https://example.com/hook', environment: 'production', description: 'main' }), 201);
  assert.match(w.id, /^webhook_[0-9a-f]{24}$/);
  assert.match(w.secret, /^whsec_[0-9a-f]{64}$/);
  assert.deepEqual([w.url, w.environment, w.description, w.enabled], ['https://example.com/hook', 'production', 'main', true]);
  const r = assertOk(await adm('POST', `/admin/webhooks/${w.id}/rotate-secret`, { overlapSeconds: 60 }), 200);
  assert.equal(r.id, w.id);
  assert.match(r.secret, /^whsec_[0-9a-f]{64}$/);
  assert.notEqual(r.secret, w.secret);
  assert.ok(Math.abs(Date.parse(r.previousSecretValidUntil) - (Date.now() + 60_000)) < 30_000);
  // An empty body rotates with the default overlap (24 h).
  const r2 = await fetch(`${worker.baseUrl}/admin/webhooks/${w.id}/rotate-secret`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(r2.status, 200);
  const r2d = (await r2.json()).data;
  assert.ok(Math.abs(Date.parse(r2d.previousSecretValidUntil) - (Date.now() + 86_400_000)) < 30_000);
  assert.match(assertOk(await adm('POST', `/admin/tenants/${t.id}/webhooks`, { url: 'http://localhost:8787/x', environment: 'sandbox' }), 201).id, /^webhook_/);

  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of [
      [{ environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'not a url', environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: '/relative', environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'ftp://example.com/x', environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'javascript:alert(1)', environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'https://user:pass@example.com/', environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: `https://example.com/${'a'.repeat(2100)}`, environment: 'sandbox' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'https://example.com/', environment: 'live' }, 'VALIDATION_ERROR', 'environment'],
      [{ url: 'https://example.com/' }, 'VALIDATION_ERROR', 'environment'],
      [{ url: 'https://example.com/', environment: 'sandbox', events: ['delta.verified'] }, 'UNKNOWN_FIELD', 'events'],
    ]) assertError(await adm('POST', `/admin/tenants/${t.id}/webhooks`, body), 400, code, field);
    assertError(await adm('POST', `/admin/webhooks/${w.id}/rotate-secret`, { overlapSeconds: 7 * 86_400 + 1 }), 400, 'VALIDATION_ERROR', 'overlapSeconds');
    assertError(await adm('POST', `/admin/webhooks/${w.id}/rotate-secret`, { overlapSeconds: -1 }), 400, 'VALIDATION_ERROR', 'overlapSeconds');
    assertError(await adm('POST', '/admin/webhooks/webhook_000000000000000000000000/rotate-secret', {}), 404, 'WEBHOOK_NOT_FOUND');
  });
});

test('admin bodies over 1 MiB are 413; hostile bodies never 5xx', async () => {
  await assertNothingWritten(worker, async () => {
    assertError(await adm('POST', '/admin/tenants', { name: 'x'.repeat(1 << 20) }), 413, 'PAYLOAD_TOO_LARGE');
    for (const text of ['{"name":"' + '\\ud800' + '"}', '{"name":"a\u0000"}', `{"name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, '{"name":"ok","monthlyAllowance":1e400}', '{"name":"ok","monthlyAllowance":-0}']) {
      const res = await rawAdm('POST', '/admin/tenants', text);
      assert.equal(res.status, 400, `${text.slice(0, 60)} → ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  // The 404/405 of unknown admin paths and methods are JSON too.
  assertError(await adm('GET', '/admin/tenants'), 405, 'METHOD_NOT_ALLOWED');
  assertError(await adm('DELETE', '/admin/keys/pk_test_x'), 405, 'METHOD_NOT_ALLOWED');
  assertError(await adm('GET', '/admin/nope'), 404, 'NOT_FOUND');
  // The whole flow an operator follows works end to end.
  const t = assertOk(await adm('POST', '/admin/tenants', { name: 'Flow' }), 201);
  const k = assertOk(await adm('POST', `/admin/tenants/${t.id}/keys`, { environment: 'sandbox' }), 201);
  assert.equal((await emit(worker.baseUrl, k.fullKey, { customerId: 'flow', delta: 1, reason: 'r' })).status, 201);
});

test('with a short ADMIN_TOKEN the admin routes are disabled (403), never open', async () => {
  const w = await startWorker({ vars: { ADMIN_TOKEN: 'too-short' } });
  try {
    for (const token of ['too-short', null, ADMIN_TOKEN]) {
      const res = await api(w.baseUrl, undefined, 'POST', '/admin/tenants', { name: 'x' }, token === null ? {} : { authorization: `Bearer ${token}` });
      assertError(res, 403, 'ADMIN_DISABLED');
    }
    assertError(await api(w.baseUrl, undefined, 'GET', '/admin/tenants/ten_x', undefined, { authorization: 'Bearer too-short' }), 403, 'ADMIN_DISABLED');
  } finally {
    await w.stop();
  }
});
