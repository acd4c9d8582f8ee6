// Webhook delivery end to end: a real `wrangler dev` Worker POSTs to a local
// receiver. Checks the envelope, headers and signature (recomputed here), retries
// with backoff, timeouts, the attempt log in GET /api/v1/balance/webhooks, the
// retry route, secret rotation, tenant/environment isolation, and the writes events
// (verification.completed / verification.failed).
//
// Every delivery received (headers + raw body + the secrets valid for it) is
// written to $VERICORD_WEBHOOK_CAPTURE when set, for tests/sdk/test_webhook_signatures.py
// to verify with the official SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { startWorker } from './harness.mjs';
import { admin, api, createTenant, d1, sql } from './fixtures.mjs';
import { startReceiver } from './receiver.mjs';

// Short enough that a full retry schedule takes seconds (see WEBHOOK_* vars in the dispatcher).
const BASE_MS = 300;
const MAX_ATTEMPTS = 4;
const TIMEOUT_MS = 1500;

async function waitFor(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const hmac = (secret, ts, body) => `v1=${createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex')}`;

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
  const file = process.env.VERICORD_WEBHOOK_CAPTURE;
  if (file && rx) {
    const deliveries = rx.requests.map(({ path, headers, body, receivedAtMs, answer, secrets }) => ({ path, headers, body, receivedAtMs, answer, secrets }));
    writeFileSync(file, JSON.stringify({ capturedAtMs: Date.now(), deliveries }, null, 1));
  }
});

/** A tenant with one sandbox endpoint at `path`; returns { tenant, endpoint }. */
async function tenantWithEndpoint(name, path, w = worker) {
  const tenant = await createTenant(w.baseUrl, { name });
  const endpoint = await admin(w.baseUrl, 'POST', `/admin/tenants/${tenant.id}/webhooks`, { url: rx.url(path), environment: 'sandbox' });
  assert.match(endpoint.secret, /^whsec_/);
  rx.secrets(path, [endpoint.secret]);
  return { tenant, endpoint };
}

async function emit(key, w = worker) {
  const res = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', { customerId: 'cust_1', delta: 12.5, reason: 'usage' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data;
}

async function deliveries(key, query = '', w = worker) {
  const res = await api(w.baseUrl, key, 'GET', `/api/v1/balance/webhooks${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.success, true);
  return res.body.data;
}

/** Polls the list until `pred(list)` holds (the attempt is recorded just after the receiver answers). */
const listUntil = (key, query, pred, what, w = worker) => waitFor(what, async () => {
  const list = await deliveries(key, query, w);
  return pred(list) ? list : null;
});

function assertSigned(r, secret) {
  const ts = r.headers['x-pacspace-timestamp'];
  assert.match(ts, /^\d{10}$/, 'Unix seconds');
  assert.ok(Math.abs(Number(ts) - r.receivedAtMs / 1000) < 5, 'timestamp is the send time');
  assert.equal(r.headers['x-pacspace-signature'], hmac(secret, ts, r.body));
}

test('a verified delta is delivered once, with the envelope, headers and signature the SDK expects', async () => {
  const { tenant, endpoint } = await tenantWithEndpoint('Deliver', '/basic');
  const emitted = await emit(tenant.keys.sandbox);
  const [r] = await waitFor('the delivery', () => rx.at('/basic').length && rx.at('/basic'));
  assert.equal(r.method, 'POST');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-webhook-event'], 'delta.verified');
  assert.match(r.headers['x-event-id'], /^evt_[0-9a-f]{24}$/);
  assert.match(r.headers['user-agent'], /^vericord-webhooks\/\d+\.\d+\.\d+$/);
  assertSigned(r, endpoint.secret);

  const body = JSON.parse(r.body);
  for (const k of ['id', 'event', 'timestamp', 'createdAt', 'tenantId', 'data']) assert.ok(k in body, `envelope has ${k}`);
  assert.equal(body.id, r.headers['x-event-id']);
  assert.equal(body.event, 'delta.verified');
  assert.equal(body.tenantId, tenant.id);
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)) && body.createdAt === body.timestamp);
  assert.equal(body.data.recordId, emitted.recordId);
  assert.equal(body.data.customerId, 'cust_1');
  assert.equal(body.data.delta, 12.5);
  assert.equal(body.data.receiptId, emitted.receiptId);
  assert.equal(body.data.status, 'verified');
  assert.equal(body.data.sequenceNumber, '0');

  const list = await listUntil(tenant.keys.sandbox, '', (l) => l.deliveries[0]?.status === 'delivered', 'delivered in the list');
  assert.equal(list.total, 1);
  assert.equal(list.limit, 25);
  assert.equal(list.offset, 0);
  const d = list.deliveries[0];
  assert.equal(d.eventId, body.id);
  assert.equal(d.event, 'delta.verified');
  assert.equal(d.deliveryStatus, 'delivered');
  assert.equal(d.attempts, 1);
  assert.equal(d.lastStatusCode, 200);
  assert.equal(d.lastError, null);
  assert.equal(d.nextAttemptAt, null);
  assert.ok(Date.parse(d.deliveredAt) >= Date.parse(d.createdAt));
  assert.equal(d.endpointId, endpoint.id);
  assert.equal(d.url, rx.url('/basic'));
  assert.equal(d.attemptHistory.length, 1);
  assert.equal(d.attemptHistory[0].attempt, 1);
  assert.equal(d.attemptHistory[0].statusCode, 200);
  assert.equal(typeof d.attemptHistory[0].durationMs, 'number');

  // The key's environment scopes the list: production has no deliveries.
  assert.equal((await deliveries(tenant.keys.production)).total, 0);
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(rx.at('/basic').length, 1, 'delivered exactly once');
});

test('writes: a verified item is delivered as verification.completed, one that cannot be verified as verification.failed', async () => {
  // Sequencing waits for the cron here, so one stored item can be corrupted first.
  const w = await startWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false', WEBHOOK_BACKOFF_BASE_MS: String(BASE_MS) } });
  try {
    const { tenant, endpoint } = await tenantWithEndpoint('Writes', '/writes', w);
    const [good, bad] = [`wk-${Date.now()}-a`, `wk-${Date.now()}-b`];
    const res = await api(w.baseUrl, tenant.keys.sandbox, 'POST', '/api/v1/writes', { items: [{ key: good, accountId: 'acc-1', bits: 3 }, { key: bad, accountId: 'acc-1', bits: 5 }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const ids = Object.fromEntries((await d1(w.persistDir, `SELECT write_key, id FROM records WHERE write_key IN (${sql(good)}, ${sql(bad)})`)).map((r) => [r.write_key, r.id]));
    await d1(w.persistDir, `UPDATE records SET amount = '9' WHERE id = ${sql(ids[bad])}`);
    assert.equal(await w.scheduled(), 'ok');

    const got = await waitFor('both deliveries', () => rx.at('/writes').length >= 2 && rx.at('/writes'));
    const by = Object.fromEntries(got.map((r) => [r.headers['x-webhook-event'], r]));
    assert.deepEqual(Object.keys(by).sort(), ['verification.completed', 'verification.failed']);
    for (const r of got) assertSigned(r, endpoint.secret);
    const done = JSON.parse(by['verification.completed'].body);
    assert.deepEqual([done.event, done.tenantId, done.data.recordId, done.data.status, done.data.sequenceNumber, done.data.balanceAfter], ['verification.completed', tenant.id, ids[good], 'verified', '0', 3]);
    assert.equal(done.data.anchorId, res.body.data.requestId);
    const failed = JSON.parse(by['verification.failed'].body);
    assert.deepEqual([failed.event, failed.data.recordId, failed.data.status, failed.data.error], ['verification.failed', ids[bad], 'failed', "stored amount differs from the item's"]);
  } finally {
    await w.stop();
  }
});

test('failed attempts are retried with exponential backoff, same event, re-signed', async () => {
  const { tenant, endpoint } = await tenantWithEndpoint('Retry', '/flaky');
  rx.plan('/flaky', { fail: 2 });
  await emit(tenant.keys.sandbox);
  const got = await waitFor('three attempts', () => rx.at('/flaky').length >= 3 && rx.at('/flaky'));
  assert.deepEqual(got.map((r) => r.answer), [500, 500, 200]);
  assert.equal(new Set(got.map((r) => r.body)).size, 1, 'the same bytes every time');
  assert.equal(new Set(got.map((r) => r.headers['x-event-id'])).size, 1);
  got.forEach((r) => assertSigned(r, endpoint.secret));
  const gaps = [got[1].receivedAtMs - got[0].receivedAtMs, got[2].receivedAtMs - got[1].receivedAtMs];
  assert.ok(gaps[0] >= BASE_MS - 20, `first retry after ≥ ${BASE_MS} ms, was ${gaps[0]}`);
  assert.ok(gaps[1] >= 2 * BASE_MS - 20, `second retry after ≥ ${2 * BASE_MS} ms, was ${gaps[1]}`);

  const list = await listUntil(tenant.keys.sandbox, '?status=delivered', (l) => l.total === 1, 'delivered after retries');
  const d = list.deliveries[0];
  assert.equal(d.attempts, 3);
  assert.equal(d.lastStatusCode, 200);
  assert.deepEqual(d.attemptHistory.map((a) => [a.attempt, a.statusCode, a.error]), [[1, 500, null], [2, 500, null], [3, 200, null]]);
  d.attemptHistory.forEach((a) => assert.ok(!Number.isNaN(Date.parse(a.at))));
});

test('a receiver that does not answer is timed out and retried', async () => {
  const { tenant } = await tenantWithEndpoint('Timeout', '/slow');
  rx.plan('/slow', { hang: 1 });
  await emit(tenant.keys.sandbox);
  const list = await listUntil(tenant.keys.sandbox, '', (l) => l.deliveries[0]?.status === 'delivered', 'delivered after a timeout');
  const [first, second] = list.deliveries[0].attemptHistory;
  assert.equal(first.statusCode, null);
  assert.match(first.error, /timeout/);
  assert.ok(first.durationMs >= TIMEOUT_MS - 100, `gave up after ~${TIMEOUT_MS} ms, took ${first.durationMs}`);
  assert.ok(first.durationMs < TIMEOUT_MS + 3000);
  assert.equal(second.statusCode, 200);
  assert.deepEqual(rx.at('/slow').map((r) => r.answer), ['hang', 200]);
});

test('after the last attempt the delivery is failed; the retry route sends it again', async () => {
  const { tenant, endpoint } = await tenantWithEndpoint('Exhaust', '/down');
  rx.plan('/down', { fail: 100 });
  await emit(tenant.keys.sandbox);
  const failed = await listUntil(tenant.keys.sandbox, '?status=FAILED', (l) => l.total === 1, 'failed after max attempts');
  const d = failed.deliveries[0];
  assert.equal(d.status, 'failed');
  assert.equal(d.attempts, MAX_ATTEMPTS);
  assert.equal(d.lastStatusCode, 500);
  assert.equal(d.nextAttemptAt, null);
  assert.equal(d.deliveredAt, null);
  assert.equal(rx.at('/down').length, MAX_ATTEMPTS);
  for (const s of ['pending', 'delivered', 'Delivered']) assert.equal((await deliveries(tenant.keys.sandbox, `?status=${s}`)).total, 0, s);

  rx.plan('/down', { fail: 0 });
  const retried = await api(worker.baseUrl, tenant.keys.sandbox, 'POST', `/api/v1/balance/webhooks/${d.eventId}/retry`, {});
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.data.eventId, d.eventId);
  assert.equal(retried.body.data.event, 'delta.verified');
  const [now] = retried.body.data.deliveries;
  assert.equal(now.status, 'delivered', 'delivered before the route answered');
  assert.equal(now.attempts, MAX_ATTEMPTS + 1);
  assert.equal(now.endpointId, endpoint.id);
  assert.equal(now.attemptHistory.at(-1).statusCode, 200);
  const sent = rx.at('/down');
  assert.equal(sent.length, MAX_ATTEMPTS + 1);
  assert.equal(sent.at(-1).body, sent[0].body);
  assertSigned(sent.at(-1), endpoint.secret);

  // An empty body is accepted too (the SDK sends {}); a delivered event is sent again.
  const again = await api(worker.baseUrl, tenant.keys.sandbox, 'POST', `/api/v1/balance/webhooks/${d.eventId}/retry`, '');
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.data.deliveries[0].attempts, MAX_ATTEMPTS + 2);
  assert.equal(rx.at('/down').length, MAX_ATTEMPTS + 2);
  const unknownField = await api(worker.baseUrl, tenant.keys.sandbox, 'POST', `/api/v1/balance/webhooks/${d.eventId}/retry`, { force: true });
  assert.equal(unknownField.status, 400);
  assert.equal(unknownField.body.error.field, 'force');
});

test('a rotated secret signs alongside the old one during the overlap, current first', async () => {
  const { tenant, endpoint } = await tenantWithEndpoint('Rotate', '/rotate');
  const rotated = await admin(worker.baseUrl, 'POST', `/admin/webhooks/${endpoint.id}/rotate-secret`, {});
  assert.notEqual(rotated.secret, endpoint.secret);
  rx.secrets('/rotate', [rotated.secret, endpoint.secret]);
  await emit(tenant.keys.sandbox);
  const [r] = await waitFor('a delivery after rotation', () => rx.at('/rotate').length && rx.at('/rotate'));
  const ts = r.headers['x-pacspace-timestamp'];
  assert.equal(r.headers['x-pacspace-signature'], `${hmac(rotated.secret, ts, r.body)},${hmac(endpoint.secret, ts, r.body)}`);

  // No overlap: only the newest secret signs.
  const hard = await admin(worker.baseUrl, 'POST', `/admin/webhooks/${endpoint.id}/rotate-secret`, { overlapSeconds: 0 });
  rx.secrets('/rotate', [hard.secret]);
  await emit(tenant.keys.sandbox);
  const second = await waitFor('a delivery after a hard rotation', () => rx.at('/rotate')[1]);
  assertSigned(second, hard.secret);
});

test('every enabled endpoint of the tenant and environment gets the event, and only those', async () => {
  const { tenant, endpoint } = await tenantWithEndpoint('Fanout', '/fan1');
  const second = await admin(worker.baseUrl, 'POST', `/admin/tenants/${tenant.id}/webhooks`, { url: rx.url('/fan2'), environment: 'sandbox' });
  rx.secrets('/fan2', [second.secret]);
  const prod = await admin(worker.baseUrl, 'POST', `/admin/tenants/${tenant.id}/webhooks`, { url: rx.url('/fanprod'), environment: 'production' });
  rx.secrets('/fanprod', [prod.secret]);
  await emit(tenant.keys.sandbox);
  const [a] = await waitFor('endpoint 1', () => rx.at('/fan1').length && rx.at('/fan1'));
  const [b] = await waitFor('endpoint 2', () => rx.at('/fan2').length && rx.at('/fan2'));
  assert.equal(a.headers['x-event-id'], b.headers['x-event-id']);
  assert.equal(a.body, b.body);
  assertSigned(a, endpoint.secret);
  assertSigned(b, second.secret);
  const list = await listUntil(tenant.keys.sandbox, '?status=delivered', (l) => l.total === 2, 'two deliveries');
  assert.deepEqual(new Set(list.deliveries.map((d) => d.endpointId)), new Set([endpoint.id, second.id]));
  // Pagination: one per page, same total.
  const p0 = await deliveries(tenant.keys.sandbox, '?limit=1&offset=0');
  const p1 = await deliveries(tenant.keys.sandbox, '?limit=1&offset=1');
  assert.equal(p0.total, 2);
  assert.equal(p1.total, 2);
  assert.equal(p0.limit, 1);
  assert.equal(p1.offset, 1);
  assert.notEqual(p0.deliveries[0].endpointId, p1.deliveries[0].endpointId);
  assert.equal((await deliveries(tenant.keys.sandbox, '?limit=1&offset=2')).deliveries.length, 0);

  assert.equal(rx.at('/fanprod').length, 0, 'the production endpoint gets no sandbox events');
  await emit(tenant.keys.production);
  const [p] = await waitFor('the production endpoint', () => rx.at('/fanprod').length && rx.at('/fanprod'));
  assertSigned(p, prod.secret);
  assert.equal(rx.at('/fan1').length, 1, 'sandbox endpoints get no production events');
  assert.equal((await deliveries(tenant.keys.production)).total, 1);
});

test('the list and retry routes are scoped to the key’s tenant and environment, and validate input', async () => {
  const { tenant } = await tenantWithEndpoint('Owner', '/owner');
  const other = await createTenant(worker.baseUrl, { name: 'Other' });
  await emit(tenant.keys.sandbox);
  const list = await listUntil(tenant.keys.sandbox, '', (l) => l.deliveries[0]?.status === 'delivered', 'owner delivery');
  const eventId = list.deliveries[0].eventId;

  const theirs = await deliveries(other.keys.sandbox);
  assert.deepEqual([theirs.total, theirs.deliveries], [0, []]);
  for (const key of [other.keys.sandbox, other.keys.production, tenant.keys.production]) {
    const res = await api(worker.baseUrl, key, 'POST', `/api/v1/balance/webhooks/${eventId}/retry`, {});
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'WEBHOOK_EVENT_NOT_FOUND');
  }
  const unknown = await api(worker.baseUrl, tenant.keys.sandbox, 'POST', '/api/v1/balance/webhooks/evt_000000000000000000000000/retry', {});
  assert.equal(unknown.status, 404);
  assert.equal(rx.at('/owner').length, 1, 'refused retries sent nothing');

  assert.equal((await api(worker.baseUrl, undefined, 'GET', '/api/v1/balance/webhooks')).status, 401);
  assert.equal((await api(worker.baseUrl, undefined, 'POST', `/api/v1/balance/webhooks/${eventId}/retry`, {})).status, 401);
  for (const [q, field] of [['?status=sent', 'status'], ['?limit=0', 'limit'], ['?limit=101', 'limit'], ['?offset=-1', 'offset'], ['?limit=x', 'limit']]) {
    const res = await api(worker.baseUrl, tenant.keys.sandbox, 'GET', `/api/v1/balance/webhooks${q}`);
    assert.equal(res.status, 400, q);
    assert.equal(res.body.error.field, field, q);
  }
  assert.equal((await deliveries(tenant.keys.sandbox, '?limit=100&status=DELIVERED')).total, 1);
});

test('a retry due beyond a run’s budget is sent by the cron', async () => {
  // 1 s backoff but a 30 s attempt timeout: a run never waits for a retry whose attempt could
  // outlast its 20 s budget, so after the first failure only the scheduled handler sends it.
  const cron = await startWorker({ vars: { WEBHOOK_BACKOFF_BASE_MS: '1000', WEBHOOK_TIMEOUT_MS: '30000' } });
  try {
    const { tenant, endpoint } = await tenantWithEndpoint('Cron', '/cron', cron);
    rx.plan('/cron', { fail: 1 });
    await emit(tenant.keys.sandbox, cron);
    const pending = await listUntil(tenant.keys.sandbox, '?status=pending', (l) => l.deliveries[0]?.attempts === 1, 'first attempt failed', cron);
    const next = Date.parse(pending.deliveries[0].nextAttemptAt);
    assert.ok(next >= Date.parse(pending.deliveries[0].attemptHistory[0].at) + 1000, 'next attempt after the backoff');
    await new Promise((ok) => setTimeout(ok, Math.max(0, next - Date.now()) + 500));
    assert.equal(rx.at('/cron').length, 1, 'nothing sends it before the cron');
    assert.equal(await cron.scheduled(), 'ok');
    const list = await listUntil(tenant.keys.sandbox, '?status=delivered', (l) => l.total === 1, 'delivered by the cron', cron);
    assert.equal(list.deliveries[0].attempts, 2);
    assert.deepEqual(rx.at('/cron').map((r) => r.answer), [500, 200]);
    assertSigned(rx.at('/cron')[1], endpoint.secret);
  } finally {
    await cron.stop();
  }
});
