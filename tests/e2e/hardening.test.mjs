// Issue 9.9: the smaller defects. A broken log cannot stop the cron sweep, and the sweep gets
// to every waiting log in turn; a completed pass leaves no lease high-water mark behind; the
// bench routes never write into a real customer's log; webhook endpoints cannot point the
// Worker at its own network; a body without Content-Length stops being read at the cap; and a
// malformed retired key stops the deployment at start-up instead of failing every verification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, ADMIN_TOKEN } from './harness.mjs';
import { TEST_KEY } from './keys.mjs';
import { createTenant, admin, api, emit, d1, sql, assertError, assertOk, assertNothingWritten, subjectReference } from './fixtures.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const cron = (w) => w.scheduled();
const status = async (w, key, id) => (await api(w.baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`)).body.data.status;

async function withWorker(options, fn) {
  const w = await startWorker(options);
  try {
    return await fn(w);
  } finally {
    await w.stop();
  }
}

test('one log with an unparsable head does not abort the sweep; the sweep rotates so every waiting log gets its turn', async () => {
  await withWorker({ vars: { SEQUENCE_AFTER_RESPONSE: 'false' } }, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Sweep', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    // 56 customers; the one whose log id sorts last stays sound, the other 55 get a broken head.
    const customers = Array.from({ length: 56 }, (_, i) => `s${i}`)
      .map((c) => ({ c, ref: subjectReference('customer', t.id, 'sandbox', c).reference }))
      .sort((a, b) => (a.ref < b.ref ? -1 : 1));
    const ids = {};
    for (const { c } of customers) ids[c] = assertOk(await emit(w.baseUrl, key, { customerId: c, delta: 1, reason: 'r' }), 201).recordId;
    const good = customers.at(-1).c;
    const broken = customers.slice(0, -1).map((x) => sql(x.ref)).join(', ');
    await d1(w.persistDir, `UPDATE logs SET balance = 'not a number' WHERE id IN (${broken})`);
    // The sweep takes 50 logs a minute: the first run gets 50 broken ones, the next the rest.
    await cron(w);
    await cron(w);
    assert.equal(await status(w, key, ids[good]), 'VERIFIED', 'the sound log was sequenced despite 55 broken ones before it');
    assert.equal(await status(w, key, ids[customers[0].c]), 'QUEUED', 'a broken log waits, its records kept');
    // A drain of several logs (one request's) isolates them too.
    const mixed = [customers[0].c, 'fresh-1', 'fresh-2'];
    const b = assertOk(await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', { deltas: mixed.map((c) => ({ customerId: c, delta: 2, reason: 'r' })) }), 201);
    // Two more turns of 50 cover all 58 waiting logs wherever the new ones sort.
    await cron(w);
    await cron(w);
    assert.deepEqual(await Promise.all(b.results.map((r) => status(w, key, r.recordId))), ['QUEUED', 'VERIFIED', 'VERIFIED']);
  });
});

test('a completed pass resets the lease high-water mark even if the lease is never released (the dead CASE branch)', async () => {
  await withWorker({ vars: { FAULTS: '1' } }, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Lease' });
    const r = assertOk(await emit(w.baseUrl, t.keys.sandbox, { customerId: 'l1', delta: 1, reason: 'r' }, { 'x-vericord-fault': 'skip-release' }), 201);
    for (let i = 0; i < 100 && (await status(w, t.keys.sandbox, r.recordId)) !== 'VERIFIED'; i++) await sleep(100);
    const [log] = await d1(w.persistDir, `SELECT lease_until_ms, lease_upto FROM logs WHERE subject_id = 'l1'`);
    assert.deepEqual(log, { lease_until_ms: 0, lease_upto: 0 });
  });
});

test('bench routes refuse real customers: they write under ~bench~ names only, and build a synthetic log once', async () => {
  await withWorker({ vars: { BENCH_ROUTES: '1' } }, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Bench', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    for (const d of [1, 2]) assertOk(await emit(w.baseUrl, key, { customerId: 'real1', delta: d, reason: 'r' }), 201);
    await sleep(500);
    const before = assertOk(await api(w.baseUrl, key, 'GET', '/api/v1/balance/customers/real1'), 200);
    const s = assertOk(await api(w.baseUrl, key, 'POST', '/bench/synthetic-log', { customerId: 'real1', size: 300 }), 201);
    assert.equal(s.customerId, '~bench~real1');
    assertOk(await api(w.baseUrl, key, 'POST', '/bench/raw-insert', { deltas: [{ customerId: 'real1', delta: 5, reason: 'x' }] }), 201);
    const after = assertOk(await api(w.baseUrl, key, 'GET', '/api/v1/balance/customers/real1'), 200);
    assert.deepEqual([after.totalDeltas, after.verifiedDeltas, after.computedBalance], [before.totalDeltas, before.verifiedDeltas, before.computedBalance]);
    assertError(await api(w.baseUrl, key, 'POST', '/bench/synthetic-log', { customerId: 'real1', size: 10 }), 409, 'SYNTHETIC_LOG_EXISTS');
    // A real customer id cannot name a bench log.
    assertError(await emit(w.baseUrl, key, { customerId: '~bench~real1', delta: 1, reason: 'r' }), 400, 'VALIDATION_ERROR', 'customerId');
  });
});

test('webhook endpoint URLs must be https to a public host unless the dev flag allows local receivers', async () => {
  await withWorker({ vars: { ALLOW_INSECURE_WEBHOOKS: '0' } }, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Hooks' });
    const create = (url) => api(w.baseUrl, undefined, 'POST', `/admin/tenants/${t.id}/webhooks`, { url, environment: 'sandbox' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    await assertNothingWritten(w, async () => {
      for (const url of ['http://hooks.example.com/h', 'https://127.0.0.1/h', 'https://localhost:8443/h', 'https://10.0.0.5/h', 'https://192.168.0.1/h',
        'https://169.254.169.254/latest/meta-data', 'https://metadata.google.internal/x', 'https://[::1]/h', 'https://[fe80::1]/h', 'https://2130706433/h']) {
        assertError(await create(url), 400, 'WEBHOOK_URL_NOT_ALLOWED', 'url', url);
      }
    });
    assertOk(await create('https://hooks.example.com/h'), 201);
  });
  // The tests' own workers allow their loopback receivers.
  await withWorker({}, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Dev hooks' });
    await admin(w.baseUrl, 'POST', `/admin/tenants/${t.id}/webhooks`, { url: 'http://127.0.0.1:9/h', environment: 'sandbox' });
  });
});

test('a body without Content-Length stops being read at the 1 MiB cap', async () => {
  await withWorker({}, async (w) => {
    const t = await createTenant(w.baseUrl, { name: 'Stream' });
    const total = 64 << 20;
    let pulled = 0;
    const chunk = new Uint8Array(64 << 10).fill(0x20);
    const body = new ReadableStream({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${w.baseUrl}/api/v1/balance/delta`, {
      method: 'POST', body, duplex: 'half', headers: { 'x-api-key': t.keys.sandbox, 'content-type': 'application/json' },
    });
    const text = await res.text();
    assert.equal(res.status, 413, text.slice(0, 200));
    // The dev proxy may drop the body of an answer given before the upload finished; the JSON
    // 413 itself is checked with a Content-Length in limits.test.mjs.
    if (text) assert.equal(JSON.parse(text).error.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(pulled < total / 2, `the Worker read ${pulled} of ${total} bytes before answering`);
  });
});

test('a malformed CHECKPOINT_RETIRED_KEYS entry stops the Worker at start-up with a clear message', async () => {
  const vars = { CHECKPOINT_RETIRED_KEYS: `${TEST_KEY.verifierKey}, not+a+key` };
  await withWorker({ vars, ready: (res) => res.status === 503 }, async (w) => {
    const health = await api(w.baseUrl, undefined, 'GET', '/health');
    assertError(health, 503, 'CONFIG_INVALID');
    assert.match(health.body.error.message, /CHECKPOINT_RETIRED_KEYS entry 2 \("not\+a\+key"\)/);
    assertError(await api(w.baseUrl, undefined, 'GET', '/.well-known/vericord/keys'), 503, 'CONFIG_INVALID');
  });
  // A well-formed list (the current key repeated among retired ones is fine) starts.
  await withWorker({ vars: { CHECKPOINT_RETIRED_KEYS: TEST_KEY.verifierKey } }, async (w) => {
    assertOk(await api(w.baseUrl, undefined, 'GET', '/health'), 200);
  });
});
