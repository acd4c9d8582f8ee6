// Dashboard webhooks (/dashboard/webhooks) and API keys (/dashboard/api-keys), end to end on a
// real `wrangler dev` Worker and local D1, with a local webhook receiver: shapes, secrets shown
// once, viewer tokens refused (nothing written), tenant and environment isolation (404 as for
// a nonexistent id), validation 400s writing nothing, delivery counters raised by the
// dispatcher, rotation overlap (two signatures), deletion stopping deliveries, and keys that
// work, rotate and are revoked for good.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startWorker, freePort, ADMIN_TOKEN } from './harness.mjs';
import { admin, api, createTenant, dashboardToken, dash, d1, sql, assertError, assertOk, assertNothingWritten, get } from './fixtures.mjs';
import { startReceiver } from './receiver.mjs';

const BASE_MS = 300;
const MAX_ATTEMPTS = 3;
const TIMEOUT_MS = 1500;

let worker;
let rx;
before(async () => {
  rx = await startReceiver();
  worker = await startWorker({
    vars: { WEBHOOK_BACKOFF_BASE_MS: String(BASE_MS), WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
});
after(async () => {
  await worker?.stop();
  await rx?.stop();
});

async function waitFor(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const hmac = (secret, ts, body) => `v1=${createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex')}`;

/** A tenant with an admin and a viewer dashboard token. */
async function tenantWithTokens(name) {
  const tenant = await createTenant(worker.baseUrl, { name });
  return {
    ...tenant,
    adminToken: await dashboardToken(worker.baseUrl, tenant.id, { role: 'admin' }),
    viewerToken: await dashboardToken(worker.baseUrl, tenant.id, { role: 'viewer', userId: 'viewer_1' }),
  };
}

const d = (token, method, path, body, environment = 'sandbox') => dash(worker.baseUrl, token, method, path, body, { environment });

async function emit(key, customerId = 'cust_1') {
  const res = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', { customerId, delta: 1.5, reason: 'usage' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data;
}

async function endpointRow(id) {
  const [row] = await d1(worker.persistDir, `SELECT * FROM webhook_endpoints WHERE id = ${sql(id)}`);
  return row;
}

async function keyRow(publicId) {
  const [row] = await d1(worker.persistDir, `SELECT * FROM api_keys WHERE public_id = ${sql(publicId)}`);
  return row;
}

const WEBHOOK_FIELDS = ['createdAt', 'description', 'enabled', 'environment', 'failureCount', 'id', 'lastStatus', 'lastTriggered', 'previousSecretValidUntil', 'successCount', 'url'];
const KEY_FIELDS = ['createdAt', 'enabled', 'environment', 'name', 'publicKey', 'rateLimitPerMinute', 'revoked', 'revokedAt', 'rotatedAt'];

// ---------------------------------------------------------------------------------------------
// Webhooks

test('webhooks: create shows the secret once; list and get show counters, never the secret', async () => {
  const t = await tenantWithTokens('Dash Webhooks');
  const created = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-basic'), description: 'billing hook' }), 201);
  assert.match(created.id, /^webhook_[0-9a-f]+$/);
  assert.match(created.secret, /^whsec_[0-9A-Za-z_-]{20,}$/);
  assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'description', 'enabled', 'environment', 'id', 'message', 'secret', 'url']);
  assert.deepEqual([created.url, created.description, created.environment, created.enabled], [rx.url('/dw-basic'), 'billing hook', 'sandbox', true]);
  assert.ok(Date.parse(created.createdAt) > 0 && created.createdAt.endsWith('Z'));
  assert.equal(typeof created.message, 'string');
  // Stored in the caller's tenant and X-Environment, with the secret as issued.
  const row = await endpointRow(created.id);
  assert.deepEqual([row.tenant_id, row.environment, row.secret, row.enabled, row.deleted_at], [t.id, 'sandbox', created.secret, 1, null]);

  // Without a description; X-Environment production makes a production endpoint.
  const prod = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-prod') }, 'production'), 201);
  assert.deepEqual([prod.environment, prod.description], ['production', null]);

  const got = assertOk(await d(t.adminToken, 'GET', `/dashboard/webhooks/${created.id}`), 200);
  assert.deepEqual(Object.keys(got).sort(), WEBHOOK_FIELDS);
  assert.deepEqual(got, {
    id: created.id, url: created.url, description: 'billing hook', environment: 'sandbox', enabled: true,
    successCount: 0, failureCount: 0, lastTriggered: null, lastStatus: null, createdAt: created.createdAt, previousSecretValidUntil: null,
  });
  // A viewer reads too.
  assert.deepEqual(assertOk(await d(t.viewerToken, 'GET', `/dashboard/webhooks/${created.id}`), 200), got);

  const list = assertOk(await d(t.viewerToken, 'GET', '/dashboard/webhooks'), 200);
  assert.deepEqual(list.pagination, { limit: 25, offset: 0, total: 1 }, 'only the sandbox endpoint');
  assert.deepEqual(list.webhooks, [got]);
  const prodList = assertOk(await d(t.adminToken, 'GET', '/dashboard/webhooks', undefined, 'production'), 200);
  assert.deepEqual(prodList.webhooks.map((w) => w.id), [prod.id]);
  for (const text of [JSON.stringify(list), JSON.stringify(got), JSON.stringify(prodList)]) {
    assert.ok(!text.includes('whsec_'), 'no secret in list or get');
    assert.ok(!text.includes(created.secret) && !text.includes(prod.secret));
  }

  // Pagination: newest first, limit and offset, total of all.
  const more = [];
  for (let i = 0; i < 3; i++) more.push(assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url(`/dw-page-${i}`) }), 201));
  const all = assertOk(await d(t.adminToken, 'GET', '/dashboard/webhooks?limit=100'), 200);
  assert.equal(all.pagination.total, 4);
  assert.deepEqual(new Set(all.webhooks.map((w) => w.id)), new Set([created.id, ...more.map((m) => m.id)]));
  const page = assertOk(await d(t.adminToken, 'GET', '/dashboard/webhooks?limit=2&offset=1'), 200);
  assert.deepEqual(page.pagination, { limit: 2, offset: 1, total: 4 });
  assert.deepEqual(page.webhooks.map((w) => w.id), all.webhooks.slice(1, 3).map((w) => w.id));
  await assertNothingWritten(worker, async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=x', 'offset=-1']) {
      assertError(await d(t.adminToken, 'GET', `/dashboard/webhooks?${q}`), 400, 'VALIDATION_ERROR', q.split('=')[0], q);
    }
  });
});

test('webhooks: validation 400s name the field and write nothing', async () => {
  const t = await tenantWithTokens('Dash Webhook Validation');
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of [
      [{}, 'VALIDATION_ERROR', 'url'],
      [{ url: 42 }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'not a url' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'ftp://example.com/h' }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'https://user:pw@example.com/h' }, 'VALIDATION_ERROR', 'url'],
      [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'VALIDATION_ERROR', 'url'],
      [{ url: 'https://example.com/h', description: 'x'.repeat(501) }, 'VALIDATION_ERROR', 'description'],
      [{ url: 'https://example.com/h', description: 5 }, 'VALIDATION_ERROR', 'description'],
      // The old dashboard's `events` (every endpoint gets the whole catalogue) and the admin
      // route's `environment` (X-Environment decides) are unknown fields here.
      [{ url: 'https://example.com/h', events: ['delta.verified'] }, 'UNKNOWN_FIELD', 'events'],
      [{ url: 'https://example.com/h', environment: 'production' }, 'UNKNOWN_FIELD', 'environment'],
    ]) {
      assertError(await d(t.adminToken, 'POST', '/dashboard/webhooks', body), 400, code, field, JSON.stringify(body));
    }
    assertError(await d(t.adminToken, 'POST', '/dashboard/webhooks', '{"url":'), 400, 'INVALID_JSON');
    assertError(await d(t.adminToken, 'POST', '/dashboard/webhooks', '[]'), 400, 'VALIDATION_ERROR', null);
    assertError(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/x') }, 'staging'), 400, 'INVALID_ENVIRONMENT', 'X-Environment');
    assertError(await d(undefined, 'POST', '/dashboard/webhooks', { url: rx.url('/x') }), 401, 'TOKEN_MISSING');
  });
  // Without the dev flag a local or plain-http URL is refused (the Worker here has it set, so
  // check the refusal on a Worker without it).
  const strict = await startWorker({ vars: { ALLOW_INSECURE_WEBHOOKS: '0' } });
  try {
    const s = await createTenant(strict.baseUrl, { name: 'Strict' });
    const token = await dashboardToken(strict.baseUrl, s.id);
    await assertNothingWritten(strict, async () => {
      for (const url of ['http://hooks.example.com/h', 'https://127.0.0.1/h', 'https://localhost/h', 'https://169.254.169.254/latest']) {
        assertError(await dash(strict.baseUrl, token, 'POST', '/dashboard/webhooks', { url }), 400, 'WEBHOOK_URL_NOT_ALLOWED', 'url', url);
      }
    });
    assertOk(await dash(strict.baseUrl, token, 'POST', '/dashboard/webhooks', { url: 'https://hooks.example.com/h' }), 201);
  } finally {
    await strict.stop();
  }
});

test('webhooks: a viewer token is refused every write (403 ROLE_FORBIDDEN) and nothing is written', async () => {
  const t = await tenantWithTokens('Dash Webhook Viewer');
  const w = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-viewer') }), 201);
  const before = await endpointRow(w.id);
  await assertNothingWritten(worker, async () => {
    for (const [method, path, body] of [
      ['POST', '/dashboard/webhooks', { url: rx.url('/dw-viewer-2') }],
      ['DELETE', `/dashboard/webhooks/${w.id}`],
      ['POST', `/dashboard/webhooks/${w.id}/rotate-secret`, {}],
      ['POST', `/dashboard/webhooks/${w.id}/rotate-secret`, { overlapSeconds: 0 }],
      // Refused before the body or the id is looked at.
      ['POST', '/dashboard/webhooks', { nope: 1 }],
      ['DELETE', '/dashboard/webhooks/webhook_nope'],
    ]) {
      assertError(await d(t.viewerToken, method, path, body), 403, 'ROLE_FORBIDDEN', undefined, `${method} ${path}`);
    }
  });
  assert.deepEqual(await endpointRow(w.id), before, 'the endpoint is unchanged (secret, enabled, deleted_at)');
  assert.equal(assertOk(await d(t.viewerToken, 'GET', `/dashboard/webhooks/${w.id}`), 200).enabled, true);
});

test('webhooks: another tenant\'s and the other environment\'s endpoints are 404, like nonexistent ones', async () => {
  const a = await tenantWithTokens('Dash Webhook A');
  const b = await tenantWithTokens('Dash Webhook B');
  const wa = assertOk(await d(a.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-iso-a') }), 201);
  const waProd = assertOk(await d(a.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-iso-a-prod') }, 'production'), 201);
  const rowBefore = await endpointRow(wa.id);
  await assertNothingWritten(worker, async () => {
    for (const [token, id, env, who] of [
      [b.adminToken, wa.id, 'sandbox', 'tenant B'],
      [b.adminToken, waProd.id, 'production', 'tenant B prod'],
      [a.adminToken, wa.id, 'production', 'A sandbox endpoint with X-Environment production'],
      [a.adminToken, waProd.id, 'sandbox', 'A production endpoint with X-Environment sandbox'],
      [a.adminToken, 'webhook_0000000000000000', 'sandbox', 'nonexistent'],
    ]) {
      assertError(await d(token, 'GET', `/dashboard/webhooks/${id}`, undefined, env), 404, 'WEBHOOK_NOT_FOUND', undefined, `GET ${who}`);
      assertError(await d(token, 'DELETE', `/dashboard/webhooks/${id}`, undefined, env), 404, 'WEBHOOK_NOT_FOUND', undefined, `DELETE ${who}`);
      assertError(await d(token, 'POST', `/dashboard/webhooks/${id}/rotate-secret`, {}, env), 404, 'WEBHOOK_NOT_FOUND', undefined, `rotate ${who}`);
    }
    // Lists are scoped the same way.
    assert.equal(assertOk(await d(b.adminToken, 'GET', '/dashboard/webhooks'), 200).pagination.total, 0);
    assert.equal(assertOk(await d(b.adminToken, 'GET', '/dashboard/webhooks', undefined, 'production'), 200).pagination.total, 0);
    assert.deepEqual(assertOk(await d(a.adminToken, 'GET', '/dashboard/webhooks', undefined, 'production'), 200).webhooks.map((w) => w.id), [waProd.id]);
  });
  assert.deepEqual(await endpointRow(wa.id), rowBefore, 'untouched by the refused requests');
  // A's own requests in the right environment still work.
  assertOk(await d(a.adminToken, 'GET', `/dashboard/webhooks/${wa.id}`), 200);
});

test('webhooks: successCount, failureCount, lastTriggered and lastStatus follow each attempt', async () => {
  const t = await tenantWithTokens('Dash Webhook Counts');
  const w = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-count') }), 201);
  const one = (token = t.adminToken) => d(token, 'GET', `/dashboard/webhooks/${w.id}`).then((r) => assertOk(r, 200));

  // A delivered event: one success.
  const t0 = Date.now();
  await emit(t.keys.sandbox);
  const afterOk = await waitFor('successCount 1', async () => { const x = await one(); return x.successCount === 1 && x; });
  assert.equal(rx.at('/dw-count').length, 1);
  assert.deepEqual([afterOk.failureCount, afterOk.lastStatus], [0, 'success']);
  assert.ok(Date.parse(afterOk.lastTriggered) >= t0 - 1000 && Date.parse(afterOk.lastTriggered) <= Date.now());

  // The receiver fails twice then accepts: two failures, then a success.
  rx.plan('/dw-count', { fail: 2 });
  await emit(t.keys.sandbox);
  const afterRetry = await waitFor('two failures and a second success', async () => { const x = await one(); return x.successCount === 2 && x; });
  assert.deepEqual([afterRetry.failureCount, afterRetry.lastStatus], [2, 'success']);
  assert.ok(Date.parse(afterRetry.lastTriggered) > Date.parse(afterOk.lastTriggered));
  assert.deepEqual(rx.at('/dw-count').slice(1).map((r) => r.answer), [500, 500, 200]);

  // Failing for good: every attempt counts, and the last status is a failure.
  rx.plan('/dw-count', { fail: 100 });
  await emit(t.keys.sandbox);
  const afterFail = await waitFor('failed for good', async () => { const x = await one(); return x.failureCount === 2 + MAX_ATTEMPTS && x; });
  assert.deepEqual([afterFail.successCount, afterFail.lastStatus], [2, 'failure']);
  await sleep(BASE_MS * 4);
  assert.equal((await one(t.viewerToken)).failureCount, 2 + MAX_ATTEMPTS, 'no attempt after the last one');
  rx.plan('/dw-count', { fail: 0 });

  // The list shows the same counters; the stored columns match.
  const listed = assertOk(await d(t.viewerToken, 'GET', '/dashboard/webhooks'), 200).webhooks.find((x) => x.id === w.id);
  assert.deepEqual(listed, await one());
  const row = await endpointRow(w.id);
  assert.deepEqual([row.success_count, row.failure_count, row.last_status, row.last_triggered_at], [2, 2 + MAX_ATTEMPTS, 'failure', listed.lastTriggered]);
  // Each count is the endpoint's attempts by outcome.
  const [attempts] = await d1(worker.persistDir, `SELECT SUM(status_code BETWEEN 200 AND 299) AS ok, SUM(status_code IS NULL OR status_code NOT BETWEEN 200 AND 299) AS bad FROM delivery_attempts WHERE endpoint_id = ${sql(w.id)}`);
  assert.deepEqual([attempts.ok, attempts.bad], [2, 2 + MAX_ATTEMPTS]);
});

test('webhooks: a refusing receiver (nothing listening) raises failureCount', async () => {
  const t = await tenantWithTokens('Dash Webhook Refused');
  const port = await freePort(); // closed right away: connections are refused
  const w = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: `http://127.0.0.1:${port}/hook` }), 201);
  await emit(t.keys.sandbox);
  const done = await waitFor('every attempt failed', async () => {
    const x = assertOk(await d(t.adminToken, 'GET', `/dashboard/webhooks/${w.id}`), 200);
    return x.failureCount === MAX_ATTEMPTS && x;
  }, 60_000);
  assert.deepEqual([done.successCount, done.lastStatus], [0, 'failure']);
  assert.ok(Date.parse(done.lastTriggered) > 0);
  const list = await api(worker.baseUrl, t.keys.sandbox, 'GET', '/api/v1/balance/webhooks');
  assert.equal(list.body.data.deliveries[0].status, 'failed');
  assert.equal(list.body.data.deliveries[0].lastStatusCode, null);
  assert.equal(typeof list.body.data.deliveries[0].lastError, 'string');
});

test('webhooks: rotate-secret signs with both secrets during the overlap, current first', async () => {
  const t = await tenantWithTokens('Dash Webhook Rotate');
  const w = assertOk(await d(t.adminToken, 'POST', '/dashboard/webhooks', { url: rx.url('/dw-rotate') }), 201);

  // Validation first: nothing written, the secret unchanged.
  const before = await endpointRow(w.id);
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field] of [
      [{ overlapSeconds: 7 * 86_400 + 1 }, 'VALIDATION_ERROR', 'overlapSeconds'],
      [{ overlapSeconds: -1 }, 'VALIDATION_ERROR', 'overlapSeconds'],
      [{ overlapSeconds: 'soon' }, 'VALIDATION_ERROR', 'overlapSeconds'],
      [{ overlapSeconds: 1.5 }, 'VALIDATION_ERROR', 'overlapSeconds'],
      [{ nope: true }, 'UNKNOWN_FIELD', 'nope'],
    ]) {
      assertError(await d(t.adminToken, 'POST', `/dashboard/webhooks/${w.id}/rotate-secret`, body), 400, code, field, JSON.stringify(body));
    }
  });
  assert.deepEqual(await endpointRow(w.id), before);

  // Default overlap: one day. The body may be empty.
  const t0 = Date.now();
  const res = await fetch(`${worker.baseUrl}/dashboard/webhooks/${w.id}/rotate-secret`, { method: 'POST', headers: { authorization: `Bearer ${t.adminToken}`, 'x-environment': 'sandbox' } });
  const rotated = assertOk({ status: res.status, body: await res.json() }, 200);
  assert.deepEqual(Object.keys(rotated).sort(), ['id', 'previousSecretValidUntil', 'secret']);
  assert.equal(rotated.id, w.id);
  assert.match(rotated.secret, /^whsec_/);
  assert.notEqual(rotated.secret, w.secret);
  const until = Date.parse(rotated.previousSecretValidUntil);
  assert.ok(Math.abs(until - (t0 + 86_400_000)) < 10_000, rotated.previousSecretValidUntil);
  const got = assertOk(await d(t.adminToken, 'GET', `/dashboard/webhooks/${w.id}`), 200);
  assert.equal(got.previousSecretValidUntil, rotated.previousSecretValidUntil);
  assert.ok(!JSON.stringify(got).includes('whsec_'));

  await emit(t.keys.sandbox);
  const [r] = await waitFor('a delivery during the overlap', () => rx.at('/dw-rotate').length && rx.at('/dw-rotate'));
  const ts = r.headers['x-pacspace-timestamp'];
  const values = r.headers['x-pacspace-signature'].split(',');
  assert.equal(values.length, 2, 'two v1= values');
  assert.ok(values.every((v) => v.startsWith('v1=')));
  assert.equal(values[0], hmac(rotated.secret, ts, r.body), 'current secret first');
  assert.equal(values[1], hmac(w.secret, ts, r.body), 'then the previous one');

  // overlapSeconds 0: the old secret stops at once; one signature, the new secret's.
  const hard = assertOk(await d(t.adminToken, 'POST', `/dashboard/webhooks/${w.id}/rotate-secret`, { overlapSeconds: 0 }), 200);
  assert.ok(Date.parse(hard.previousSecretValidUntil) <= Date.now());
  assert.equal(assertOk(await d(t.adminToken, 'GET', `/dashboard/webhooks/${w.id}`), 200).previousSecretValidUntil, null);
  await emit(t.keys.sandbox);
  const second = await waitFor('a delivery after a hard rotation', () => rx.at('/dw-rotate')[1]);
  const ts2 = second.headers['x-pacspace-timestamp'];
  assert.equal(second.headers['x-pacspace-signature'], hmac(hard.secret, ts2, second.body));

  // A short explicit overlap reports its end.
  const short = assertOk(await d(t.adminToken, 'POST', `/dashboard/webhooks/${w.id}/rotate-secret`, { overlapSeconds: 3600 }), 200);
  assert.ok(Math.abs(Date.parse(short.previousSecretValidUntil) - (Date.now() + 3_600_000)) < 10_000);
  const row = await endpointRow(w.id);
  assert.deepEqual([row.secret, row.previous_secret], [short.secret, hard.secret]);
});

test('webhooks: DELETE stops deliveries, pending ones included, and the endpoint is gone', async () => {
  // A backoff long enough that the endpoint is surely deleted between two attempts; the
  // dispatcher's run waits for the retry (within its budget), so the retry would be sent.
  const RETRY_MS = 4000;
  const w2 = await startWorker({ vars: { WEBHOOK_BACKOFF_BASE_MS: String(RETRY_MS), WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) } });
  try {
    const t = await createTenant(w2.baseUrl, { name: 'Dash Webhook Delete' });
    const token = await dashboardToken(w2.baseUrl, t.id);
    const dd = (method, path, body) => dash(w2.baseUrl, token, method, path, body);
    const w = assertOk(await dd('POST', '/dashboard/webhooks', { url: rx.url('/dw-delete') }), 201);
    const keep = assertOk(await dd('POST', '/dashboard/webhooks', { url: rx.url('/dw-keep') }), 201);

    // A delivery that keeps failing: delete the endpoint after its first attempt.
    rx.plan('/dw-delete', { fail: 100 });
    const first = await api(w2.baseUrl, t.keys.sandbox, 'POST', '/api/v1/balance/delta', { customerId: 'cust_1', delta: 1, reason: 'usage' });
    assert.equal(first.status, 201);
    await waitFor('the first failed attempt', () => rx.at('/dw-delete').length >= 1);
    const deleted = assertOk(await dd('DELETE', `/dashboard/webhooks/${w.id}`), 200);
    assert.deepEqual(deleted, { id: w.id, deleted: true });
    assert.equal(rx.at('/dw-delete').length, 1, 'deleted before the retry');
    const [pending] = await d1(w2.persistDir, `SELECT state, last_error FROM deliveries WHERE endpoint_id = ${sql(w.id)}`);
    assert.deepEqual(pending, { state: 'failed', last_error: 'endpoint deleted' }, 'the pending delivery stopped');

    await assertNothingWritten(w2, async () => {
      assertError(await dd('GET', `/dashboard/webhooks/${w.id}`), 404, 'WEBHOOK_NOT_FOUND');
      assertError(await dd('DELETE', `/dashboard/webhooks/${w.id}`), 404, 'WEBHOOK_NOT_FOUND');
      assertError(await dd('POST', `/dashboard/webhooks/${w.id}/rotate-secret`, {}), 404, 'WEBHOOK_NOT_FOUND');
      // The admin rotate route does not find it either.
      const res = await api(w2.baseUrl, undefined, 'POST', `/admin/webhooks/${w.id}/rotate-secret`, {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
      assertError(res, 404, 'WEBHOOK_NOT_FOUND');
    });
    const list = assertOk(await dd('GET', '/dashboard/webhooks'), 200);
    assert.deepEqual([list.webhooks.map((x) => x.id), list.pagination.total], [[keep.id], 1]);
    const [row] = await d1(w2.persistDir, `SELECT enabled, deleted_at FROM webhook_endpoints WHERE id = ${sql(w.id)}`);
    assert.equal(row.enabled, 0);
    assert.ok(Date.parse(row.deleted_at) > 0);

    // No retry comes (past its time, and after a cron run), and a new event reaches only the
    // kept endpoint: the deleted one gets no delivery at all.
    const second = await api(w2.baseUrl, t.keys.sandbox, 'POST', '/api/v1/balance/delta', { customerId: 'cust_2', delta: 1, reason: 'usage' });
    assert.equal(second.status, 201);
    await waitFor('the kept endpoint got both events', () => rx.at('/dw-keep').length >= 2);
    await sleep(RETRY_MS * 1.2 + 1000);
    assert.equal(await w2.scheduled(), 'ok');
    await sleep(1000);
    assert.equal(rx.at('/dw-delete').length, 1, 'nothing more sent to a deleted endpoint');
    const deliveries = await d1(w2.persistDir, `SELECT state FROM deliveries WHERE endpoint_id = ${sql(w.id)}`);
    assert.deepEqual(deliveries.map((x) => x.state), ['failed'], 'only the first event\'s delivery, stopped');
    // The attempt made before the deletion was counted; the stopped retry was not an attempt.
    const [counts] = await d1(w2.persistDir, `SELECT success_count, failure_count FROM webhook_endpoints WHERE id = ${sql(w.id)}`);
    assert.deepEqual(counts, { success_count: 0, failure_count: 1 });
  } finally {
    rx.plan('/dw-delete', { fail: 0 });
    await w2.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// API keys

test('api-keys: create shows the secret once; the key works on the Balance API; list and get never show a secret', async () => {
  const t = await tenantWithTokens('Dash Keys');
  const created = assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'ci key' }), 201);
  assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'enabled', 'environment', 'fullKey', 'message', 'name', 'publicKey', 'rateLimitPerMinute', 'secretKey']);
  assert.match(created.publicKey, /^pk_test_[0-9a-f]{16}$/);
  assert.equal(created.fullKey, `${created.publicKey}.${created.secretKey}`);
  assert.deepEqual([created.environment, created.name, created.enabled, created.rateLimitPerMinute], ['sandbox', 'ci key', true, 1200]);
  // Stored as a digest only, in the caller's tenant.
  const row = await keyRow(created.publicKey);
  assert.equal(row.tenant_id, t.id);
  assert.equal(row.secret_sha256.length, 64);
  assert.ok(!JSON.stringify(row).includes(created.secretKey));
  assert.deepEqual([row.revoked_at, row.rotated_at], [null, null]);

  const usage = await get(worker.baseUrl, created.fullKey, '/api/v1/balance/usage');
  assert.equal(usage.status, 200, JSON.stringify(usage.body));
  await emit(created.fullKey);

  // Aliases name the same environment; production with X-Environment production.
  assert.equal(assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'b', environment: 'test' }), 201).environment, 'sandbox');
  assert.equal(assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'c', environment: 'sandbox' }), 201).environment, 'sandbox');
  const live = assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'live', environment: 'live' }, 'production'), 201);
  assert.match(live.publicKey, /^pk_live_[0-9a-f]{16}$/);
  assert.equal(live.environment, 'production');
  assert.equal(assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'p' }, 'production'), 201).environment, 'production');
  assert.equal((await get(worker.baseUrl, live.fullKey, '/api/v1/balance/usage')).status, 200);

  const got = assertOk(await d(t.viewerToken, 'GET', `/dashboard/api-keys/${created.publicKey}`), 200);
  assert.deepEqual(Object.keys(got).sort(), KEY_FIELDS);
  assert.deepEqual(got, {
    publicKey: created.publicKey, name: 'ci key', environment: 'sandbox', enabled: true, revoked: false,
    createdAt: created.createdAt, rotatedAt: null, revokedAt: null, rateLimitPerMinute: 1200,
  });
  const list = assertOk(await d(t.viewerToken, 'GET', '/dashboard/api-keys'), 200);
  // createTenant made one key per environment; this test three more in sandbox.
  assert.deepEqual(list.pagination, { limit: 25, offset: 0, total: 4 });
  assert.ok(list.apiKeys.every((k) => k.environment === 'sandbox' && Object.keys(k).sort().join() === KEY_FIELDS.join()));
  assert.deepEqual(list.apiKeys.find((k) => k.publicKey === created.publicKey), got);
  assert.ok(list.apiKeys.some((k) => k.publicKey === t.keys.sandbox.split('.')[0]), 'the admin-made key is listed too');
  const prodList = assertOk(await d(t.viewerToken, 'GET', '/dashboard/api-keys', undefined, 'production'), 200);
  assert.deepEqual(prodList.pagination.total, 3);
  assert.ok(prodList.apiKeys.every((k) => k.publicKey.startsWith('pk_live_')));
  const page = assertOk(await d(t.viewerToken, 'GET', '/dashboard/api-keys?limit=2&offset=2'), 200);
  assert.deepEqual(page.pagination, { limit: 2, offset: 2, total: 4 });
  assert.deepEqual(page.apiKeys.map((k) => k.publicKey), list.apiKeys.slice(2, 4).map((k) => k.publicKey));
  for (const text of [JSON.stringify(list), JSON.stringify(got), JSON.stringify(prodList)]) {
    assert.ok(!text.includes(created.secretKey) && !text.includes(live.secretKey), 'no secret');
    assert.ok(!text.includes(row.secret_sha256) && !/secret|sha256|digest/i.test(text), 'no digest');
  }
});

test('api-keys: validation 400s (ENVIRONMENT_MISMATCH among them) name the field and write nothing', async () => {
  const t = await tenantWithTokens('Dash Key Validation');
  await assertNothingWritten(worker, async () => {
    for (const [body, code, field, env = 'sandbox'] of [
      [{}, 'VALIDATION_ERROR', 'name'],
      [{ name: '' }, 'VALIDATION_ERROR', 'name'],
      [{ name: '   ' }, 'VALIDATION_ERROR', 'name'],
      [{ name: 7 }, 'VALIDATION_ERROR', 'name'],
      [{ name: 'x'.repeat(201) }, 'VALIDATION_ERROR', 'name'],
      [{ name: 'k', environment: 'staging' }, 'VALIDATION_ERROR', 'environment'],
      [{ name: 'k', environment: 1 }, 'VALIDATION_ERROR', 'environment'],
      [{ name: 'k', environment: 'live' }, 'ENVIRONMENT_MISMATCH', 'environment'],
      [{ name: 'k', environment: 'production' }, 'ENVIRONMENT_MISMATCH', 'environment'],
      [{ name: 'k', environment: 'test' }, 'ENVIRONMENT_MISMATCH', 'environment', 'production'],
      [{ name: 'k', environment: 'sandbox' }, 'ENVIRONMENT_MISMATCH', 'environment', 'production'],
    ]) {
      assertError(await d(t.adminToken, 'POST', '/dashboard/api-keys', body, env), 400, code, field, `${JSON.stringify(body)} ${env}`);
    }
    assertError(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'k', rateLimitPerMinute: 5 }), 400, 'UNKNOWN_FIELD', 'rateLimitPerMinute');
    assertError(await d(t.adminToken, 'POST', '/dashboard/api-keys', '{"name":'), 400, 'INVALID_JSON');
    for (const q of ['limit=0', 'limit=101', 'offset=x']) {
      assertError(await d(t.adminToken, 'GET', `/dashboard/api-keys?${q}`), 400, 'VALIDATION_ERROR', q.split('=')[0]);
    }
    const key = t.keys.sandbox.split('.')[0];
    for (const path of [`/dashboard/api-keys/${key}/rotate`, `/dashboard/api-keys/${key}/revoke`]) {
      assertError(await d(t.adminToken, 'POST', path, { force: true }), 400, 'UNKNOWN_FIELD', 'force', path);
    }
  });
  assert.equal((await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage')).status, 200, 'the refused rotate/revoke changed nothing');
});

test('api-keys: a viewer token is refused every write (403 ROLE_FORBIDDEN) and nothing is written', async () => {
  const t = await tenantWithTokens('Dash Key Viewer');
  const publicId = t.keys.sandbox.split('.')[0];
  const before = await keyRow(publicId);
  await assertNothingWritten(worker, async () => {
    for (const [method, path, body] of [
      ['POST', '/dashboard/api-keys', { name: 'v' }],
      ['POST', `/dashboard/api-keys/${publicId}/rotate`, {}],
      ['POST', `/dashboard/api-keys/${publicId}/revoke`, {}],
      ['DELETE', `/dashboard/api-keys/${publicId}`],
      ['POST', '/dashboard/api-keys', { bad: 1 }],
      ['DELETE', '/dashboard/api-keys/pk_test_0000000000000000'],
    ]) {
      assertError(await d(t.viewerToken, method, path, body), 403, 'ROLE_FORBIDDEN', undefined, `${method} ${path}`);
    }
  });
  assert.deepEqual(await keyRow(publicId), before, 'the key is unchanged');
  assert.equal((await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage')).status, 200);
});

test('api-keys: another tenant\'s and the other environment\'s keys are 404, like nonexistent ones', async () => {
  const a = await tenantWithTokens('Dash Key A');
  const b = await tenantWithTokens('Dash Key B');
  const aSandbox = a.keys.sandbox.split('.')[0];
  const aProd = a.keys.production.split('.')[0];
  const rows = [await keyRow(aSandbox), await keyRow(aProd)];
  await assertNothingWritten(worker, async () => {
    for (const [token, id, env, who] of [
      [b.adminToken, aSandbox, 'sandbox', 'tenant B'],
      [b.adminToken, aProd, 'production', 'tenant B prod'],
      [a.adminToken, aSandbox, 'production', 'A sandbox key with X-Environment production'],
      [a.adminToken, aProd, 'sandbox', 'A production key with X-Environment sandbox'],
      [a.adminToken, 'pk_test_0000000000000000', 'sandbox', 'nonexistent'],
      [a.adminToken, a.keys.sandbox, 'sandbox', 'the full key as an id'],
    ]) {
      assertError(await d(token, 'GET', `/dashboard/api-keys/${encodeURIComponent(id)}`, undefined, env), 404, 'API_KEY_NOT_FOUND', undefined, `GET ${who}`);
      assertError(await d(token, 'POST', `/dashboard/api-keys/${encodeURIComponent(id)}/rotate`, {}, env), 404, 'API_KEY_NOT_FOUND', undefined, `rotate ${who}`);
      assertError(await d(token, 'POST', `/dashboard/api-keys/${encodeURIComponent(id)}/revoke`, {}, env), 404, 'API_KEY_NOT_FOUND', undefined, `revoke ${who}`);
      assertError(await d(token, 'DELETE', `/dashboard/api-keys/${encodeURIComponent(id)}`, undefined, env), 404, 'API_KEY_NOT_FOUND', undefined, `DELETE ${who}`);
    }
    const bList = assertOk(await d(b.adminToken, 'GET', '/dashboard/api-keys'), 200);
    assert.deepEqual(bList.apiKeys.map((k) => k.publicKey), [b.keys.sandbox.split('.')[0]]);
    const aProdList = assertOk(await d(a.adminToken, 'GET', '/dashboard/api-keys', undefined, 'production'), 200);
    assert.deepEqual(aProdList.apiKeys.map((k) => k.publicKey), [aProd]);
  });
  assert.deepEqual([await keyRow(aSandbox), await keyRow(aProd)], rows, 'untouched');
  for (const key of [a.keys.sandbox, a.keys.production]) assert.equal((await get(worker.baseUrl, key, '/api/v1/balance/usage')).status, 200);
});

test('api-keys: rotate gives the same public id a new secret; the old one fails at once', async () => {
  const t = await tenantWithTokens('Dash Key Rotate');
  const k = assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: 'rot' }), 201);
  assert.equal((await get(worker.baseUrl, k.fullKey, '/api/v1/balance/usage')).status, 200);
  const t0 = Date.now();
  const res = await fetch(`${worker.baseUrl}/dashboard/api-keys/${k.publicKey}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${t.adminToken}`, 'x-environment': 'sandbox' } });
  const rotated = assertOk({ status: res.status, body: await res.json() }, 200);
  assert.deepEqual(Object.keys(rotated).sort(), ['fullKey', 'message', 'publicKey', 'rotatedAt', 'secretKey']);
  assert.equal(rotated.publicKey, k.publicKey);
  assert.notEqual(rotated.secretKey, k.secretKey);
  assert.equal(rotated.fullKey, `${k.publicKey}.${rotated.secretKey}`);
  assert.ok(Date.parse(rotated.rotatedAt) >= t0 - 1000);

  assertError(await get(worker.baseUrl, k.fullKey, '/api/v1/balance/usage'), 401, 'INVALID_API_KEY');
  assert.equal((await get(worker.baseUrl, rotated.fullKey, '/api/v1/balance/usage')).status, 200);
  const got = assertOk(await d(t.adminToken, 'GET', `/dashboard/api-keys/${k.publicKey}`), 200);
  assert.deepEqual([got.rotatedAt, got.enabled, got.revoked], [rotated.rotatedAt, true, false]);
  assert.ok(!JSON.stringify(got).includes(rotated.secretKey));
  // Rotating again: the second secret fails, the third works.
  const again = assertOk(await d(t.adminToken, 'POST', `/dashboard/api-keys/${k.publicKey}/rotate`, {}), 200);
  assertError(await get(worker.baseUrl, rotated.fullKey, '/api/v1/balance/usage'), 401, 'INVALID_API_KEY');
  assert.equal((await get(worker.baseUrl, again.fullKey, '/api/v1/balance/usage')).status, 200);
  // An admin-made key rotates the same way.
  const adminMade = t.keys.sandbox.split('.')[0];
  const r2 = assertOk(await d(t.adminToken, 'POST', `/dashboard/api-keys/${adminMade}/rotate`), 200);
  assertError(await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage'), 401, 'INVALID_API_KEY');
  assert.equal((await get(worker.baseUrl, r2.fullKey, '/api/v1/balance/usage')).status, 200);
});

test('api-keys: a revoked key is 401 API_KEY_REVOKED for good; the admin PATCH cannot bring it back', async () => {
  const t = await tenantWithTokens('Dash Key Revoke');
  for (const how of ['POST revoke', 'DELETE']) {
    const k = assertOk(await d(t.adminToken, 'POST', '/dashboard/api-keys', { name: how }), 201);
    assert.equal((await get(worker.baseUrl, k.fullKey, '/api/v1/balance/usage')).status, 200);
    const t0 = Date.now();
    const res = how === 'DELETE'
      ? await d(t.adminToken, 'DELETE', `/dashboard/api-keys/${k.publicKey}`)
      : await d(t.adminToken, 'POST', `/dashboard/api-keys/${k.publicKey}/revoke`, {});
    const revoked = assertOk(res, 200);
    assert.deepEqual(Object.keys(revoked).sort(), KEY_FIELDS, how);
    assert.deepEqual([revoked.publicKey, revoked.enabled, revoked.revoked], [k.publicKey, false, true], how);
    assert.ok(Date.parse(revoked.revokedAt) >= t0 - 1000, how);

    await assertNothingWritten(worker, async () => {
      assertError(await get(worker.baseUrl, k.fullKey, '/api/v1/balance/usage'), 401, 'API_KEY_REVOKED', undefined, how);
      assertError(await api(worker.baseUrl, k.fullKey, 'POST', '/api/v1/balance/delta', { customerId: 'c', delta: 1, reason: 'usage' }), 401, 'API_KEY_REVOKED', undefined, how);
    });
    // The admin PATCH answers but the key stays revoked and disabled.
    const patched = await admin(worker.baseUrl, 'PATCH', `/admin/keys/${k.publicKey}`, { enabled: true });
    assert.equal(patched.enabled, false, 'a revoked key is not enabled again');
    assertError(await get(worker.baseUrl, k.fullKey, '/api/v1/balance/usage'), 401, 'API_KEY_REVOKED', undefined, `${how} after PATCH`);
    const row = await keyRow(k.publicKey);
    assert.deepEqual([row.enabled, row.revoked_at], [0, revoked.revokedAt]);

    // Still listed and gettable as revoked; revoking again changes nothing; rotating is a 409.
    const got = assertOk(await d(t.viewerToken, 'GET', `/dashboard/api-keys/${k.publicKey}`), 200);
    assert.deepEqual(got, revoked);
    const listed = assertOk(await d(t.viewerToken, 'GET', '/dashboard/api-keys?limit=100'), 200).apiKeys.find((x) => x.publicKey === k.publicKey);
    assert.deepEqual(listed, revoked);
    assert.deepEqual(assertOk(await d(t.adminToken, 'POST', `/dashboard/api-keys/${k.publicKey}/revoke`), 200), revoked);
    assert.deepEqual(assertOk(await d(t.adminToken, 'DELETE', `/dashboard/api-keys/${k.publicKey}`), 200), revoked);
    await assertNothingWritten(worker, async () => {
      assertError(await d(t.adminToken, 'POST', `/dashboard/api-keys/${k.publicKey}/rotate`, {}), 409, 'API_KEY_REVOKED');
    });
    assert.deepEqual(await keyRow(k.publicKey), row, 'the refused rotation changed nothing');
  }
  // The tenant's other keys are unaffected.
  assert.equal((await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage')).status, 200);
  assert.equal((await get(worker.baseUrl, t.keys.production, '/api/v1/balance/usage')).status, 200);
});

test('disabling is still undone by the admin PATCH (revocation is what is final)', async () => {
  const t = await tenantWithTokens('Dash Key Disable');
  const publicId = t.keys.sandbox.split('.')[0];
  assert.equal((await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId}`, { enabled: false })).enabled, false);
  assertError(await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage'), 401, 'API_KEY_DISABLED');
  const got = assertOk(await d(t.adminToken, 'GET', `/dashboard/api-keys/${publicId}`), 200);
  assert.deepEqual([got.enabled, got.revoked], [false, false]);
  assert.equal((await admin(worker.baseUrl, 'PATCH', `/admin/keys/${publicId}`, { enabled: true })).enabled, true);
  assert.equal((await get(worker.baseUrl, t.keys.sandbox, '/api/v1/balance/usage')).status, 200);
});
