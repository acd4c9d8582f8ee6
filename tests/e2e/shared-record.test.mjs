// Issue 11: Shared Record links end to end on a real Worker. The middleware's link routes
// (create, read, policy, rotate, revoke, reissue), live and readiness; the public JSON behind
// a link under every policy (a policy × route matrix: open, code required, locked, revoked);
// the step-up as the official SDK sends it, its cookie scoped to the link, the lockout across
// requests and its webhook once; receipts naming the link; CORS and preflights of the public
// routes; isolation between vendor accounts, tenants and environments; and the parent
// tenant's name in no buyer-facing byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as V from '../../crates/wasm/pkg/node.js';
import { admin, api, assertError, assertOk, assertNothingWritten, d1, sql } from './fixtures.mjs';
import { startWorker, ADMIN_TOKEN } from './harness.mjs';
import { startReceiver } from './receiver.mjs';
import { closeWorld, PARENT_NAME } from './close-world.mjs';

let w;
let rx;
const seen = []; // every buyer-facing body, scanned for the parent's name at the end
const ALPHABET = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/;

before(async () => {
  rx = await startReceiver();
  w = await closeWorld();
  await admin(w.worker.baseUrl, 'POST', `/admin/tenants/${w.mw.id}/webhooks`, { url: rx.url('/hooks'), environment: 'sandbox' });
});
after(async () => {
  await w?.worker.stop();
  await rx?.stop();
});

const vendor = (i) => w.vendors[i].id;
const mw = (customer, rest = '', v = 0) => `/api/v1/middleware/customers/${customer}/${rest}${rest.includes('?') ? '&' : '?'}vendorAccountId=${vendor(v)}`;
const manage = (method, customer, rest, body, key = w.key, v = 0) => api(w.worker.baseUrl, key, method, mw(customer, rest, v), body);

/** A public request: no API key; `session` a cookie header value or a token. */
async function pub(method, path, { body, cookie, token, origin, headers = {} } = {}) {
  const res = await api(w.worker.baseUrl, undefined, method, path, body, {
    ...(cookie && { cookie }), ...(token && { 'x-access-session': token }), ...(origin && { origin }), ...headers,
  });
  seen.push([path, typeof res.body === 'string' ? res.body : JSON.stringify(res.body)]);
  return res;
}
const step = (handle, value, opts = {}) => pub('POST', `/api/v1/c/${handle}/access/verify`, { body: { factor: 'ACCESS_HINT', value }, ...opts });
const cookieOf = (res) => (res.headers.get('set-cookie') ?? '').split(';')[0];

/** A fresh link for `customer` (under vendor `v`) with `policy`; returns {handle, code, url}. */
async function link(customer, policy, v = 0) {
  const got = assertOk(await manage('GET', customer, 'access-link', undefined, w.key, v), 200);
  const path = got.link?.state === 'active' ? 'access-link/reissue' : 'access-link';
  const made = assertOk(await manage('POST', customer, path, { policy }, w.key, v), 201);
  return { handle: made.link.handle, code: made.accessCode, url: made.link.url, state: made };
}

test('a middleware creates a link: 160-bit handle, the code once, its state without the code; 409 for a second', async () => {
  const made = assertOk(await manage('POST', 'buyer-2', 'access-link', {}), 201);
  assert.match(made.link.handle, /^cus_[a-z2-7]{32}$/);
  assert.match(made.accessCode, ALPHABET);
  assert.equal(made.link.policy, 'TWO_TIER', 'the default policy');
  assert.equal(made.link.url, `${w.worker.baseUrl}/c/${made.link.handle}`);
  assert.equal(made.link.host, '127.0.0.1');
  assert.deepEqual(made.recordedBy, { type: 'middleware_vendor_account', id: vendor(0), displayName: 'Acme Inference' });
  const got = assertOk(await manage('GET', 'buyer-2', 'access-link'), 200);
  assert.equal(got.link.handle, made.link.handle);
  assert.equal(got.accessCode, undefined, 'the code is shown once');
  assert.ok(!JSON.stringify(got).includes(made.accessCode));
  assert.deepEqual(got.link.accessCode.ready, true);
  assert.deepEqual(got.link.stepUp, { succeeded: 0, failed: 0, locked: false, lockedUntil: null });
  // The database holds no code: only its keyed hash.
  const [row] = await d1(w.worker.persistDir, `SELECT * FROM access_links WHERE handle = ${sql(made.link.handle)}`);
  assert.ok(!JSON.stringify(row).includes(made.accessCode));
  assert.match(row.code_mac, /^[0-9a-f]{64}$/);
  await assertNothingWritten(w.worker, async () => {
    assertError(await manage('POST', 'buyer-2', 'access-link', {}), 409, 'LINK_EXISTS');
    assertError(await manage('POST', 'buyer-2', 'access-link', { policy: 'SOMETIMES' }), 400, 'VALIDATION_ERROR', 'policy');
    assertError(await manage('PATCH', 'buyer-2', 'access-link', {}), 400, 'VALIDATION_ERROR', 'policy');
    assertError(await manage('PATCH', 'buyer-2', 'access-link', { policy: 'OPEN', extra: 1 }), 400, 'UNKNOWN_FIELD', 'extra');
    assertError(await manage('POST', 'buyer-2', 'access-link/rotate-code', { policy: 'OPEN' }), 400, 'UNKNOWN_FIELD', 'policy');
    assertError(await manage('POST', 'buyer-2', 'access-link', '{"policy":'), 400, 'INVALID_JSON');
    assertError(await manage('GET', 'nobody', 'access-link'), 404, 'CUSTOMER_NOT_FOUND');
    assertError(await manage('POST', 'nobody', 'access-link/revoke', {}), 404, 'CUSTOMER_NOT_FOUND');
    assertError(await manage('POST', 'buyer-1', 'access-link/rotate-code', {}, w.key, 1), 404, 'LINK_NOT_FOUND');
  });
});

test('direct tenants get 403 on every middleware link route; other tenants and environments see nothing', async () => {
  const dk = w.direct.keys.sandbox;
  for (const [method, rest] of [['GET', 'access-link'], ['POST', 'access-link'], ['PATCH', 'access-link'], ['POST', 'access-link/rotate-code'],
    ['POST', 'access-link/revoke'], ['POST', 'access-link/reissue'], ['GET', 'live']]) {
    assertError(await api(w.worker.baseUrl, dk, method, `/api/v1/middleware/customers/buyer-1/${rest}`, method === 'GET' ? undefined : {}), 403, 'MIDDLEWARE_ONLY', undefined, rest);
  }
  assertError(await api(w.worker.baseUrl, dk, 'GET', '/api/v1/middleware/readiness'), 403, 'MIDDLEWARE_ONLY');
  // Another middleware tenant, and the same tenant's production key: no such customer.
  const other = w.otherMw.keys.sandbox;
  assertError(await api(w.worker.baseUrl, other, 'GET', '/api/v1/middleware/customers/buyer-2/access-link'), 404, 'CUSTOMER_NOT_FOUND');
  assertError(await api(w.worker.baseUrl, w.mw.keys.production, 'GET', '/api/v1/middleware/customers/buyer-2/access-link'), 404, 'CUSTOMER_NOT_FOUND');
  assertError(await api(w.worker.baseUrl, w.mw.keys.production, 'POST', '/api/v1/middleware/customers/buyer-2/access-link', {}), 404, 'CUSTOMER_NOT_FOUND');
});

// The policy × route matrix. `code` routes need a session under TWO_TIER; everything does under GATED.
const ROUTES = [
  ['GET', '', 'summary'], ['GET', '/summary', 'summary'], ['GET', '/consistency?from=1', 'proofs'],
  ['GET', '/history', 'details'], ['GET', '/periods', 'details'], ['GET', '/periods/CHK', 'details'],
  ['GET', '/close-package?period=M1', 'details'], ['POST', '/compare', 'details'],
  ['GET', '/export?format=csv&period=M1', 'details'], ['GET', '/disclosure', 'summary'],
];
const needsCode = (policy, kind) => policy === 'GATED' || (policy === 'TWO_TIER' && kind === 'details');

test('policy × route matrix: open, code required, with a session, locked, revoked — every cell', async () => {
  const cp = assertOk(await manage('GET', 'buyer-1', 'periods'), 200).periods[0];
  const cells = [];
  for (const policy of ['OPEN', 'TWO_TIER', 'GATED']) {
    const l = await link('buyer-1', policy);
    const stepped = await step(l.handle, l.code);
    assertOk(stepped, 200);
    const session = cookieOf(stepped);
    const call = (method, rest, opts) => {
      const path = `/api/v1/c/${l.handle}${rest.replace('CHK', cp.checkpointId).replace('M1', cp.period)}`;
      return pub(method, path, { ...opts, body: method === 'POST' ? { from: w.months[0], to: w.months[1] } : undefined });
    };
    const expectOpen = (res, rest, state) => {
      const where = `${policy} ${rest} ${state}`;
      if (rest === '/disclosure') return assertError(res, 404, 'NO_DISCLOSURE', undefined, where);
      assert.equal(res.status, 200, `${where}: ${JSON.stringify(res.body).slice(0, 300)}`);
    };
    for (const [method, rest, kind] of ROUTES) {
      const anon = await call(method, rest);
      if (needsCode(policy, kind)) assertError(anon, 401, 'ACCESS_CODE_REQUIRED', undefined, `${policy} ${rest} anonymous`);
      else expectOpen(anon, rest, 'anonymous');
      expectOpen(await call(method, rest, { cookie: session }), rest, 'session');
      cells.push(policy + rest);
    }
    // Locked: five wrong codes. Open routes stay open, code routes stay shut, the session still works.
    for (let i = 0; i < 5; i++) await step(l.handle, 'ZZZZZZ');
    for (const [method, rest, kind] of ROUTES) {
      const anon = await call(method, rest);
      if (needsCode(policy, kind)) {
        assertError(anon, 401, 'ACCESS_CODE_REQUIRED', undefined, `${policy} ${rest} locked`);
        assert.equal(anon.body.error.locked, true);
      } else expectOpen(anon, rest, 'locked');
      expectOpen(await call(method, rest, { cookie: session }), rest, 'locked with a session');
    }
    assertError(await step(l.handle, l.code), 429, 'ACCESS_LOCKED', undefined, 'the right code while locked');
    // Revoked: every route, with or without a session, forever.
    assertOk(await manage('POST', 'buyer-1', 'access-link/revoke', {}), 200);
    for (const [method, rest] of ROUTES) {
      assertError(await call(method, rest), 410, 'LINK_REVOKED', undefined, `${policy} ${rest} revoked`);
      assertError(await call(method, rest, { cookie: session }), 410, 'LINK_REVOKED', undefined, `${policy} ${rest} revoked, session`);
    }
    assertError(await step(l.handle, l.code), 410, 'LINK_REVOKED');
  }
  assert.equal(cells.length, 30);
  // Unknown and malformed handles: 404 on every route.
  for (const h of ['cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'cus_abc123', 'x%00y']) {
    for (const [method, rest] of ROUTES) assertError(await pub(method, `/api/v1/c/${h}${rest}`, { body: method === 'POST' ? {} : undefined }), 404, 'LINK_NOT_FOUND', undefined, `${h}${rest}`);
    assertError(await step(h, 'K7M2PQ'), 404, 'LINK_NOT_FOUND');
  }
});

test('the summary, history and periods a buyer reads; every record verifies against the signed checkpoint', async () => {
  const l = await link('buyer-1', 'TWO_TIER');
  const summary = assertOk(await pub('GET', `/api/v1/c/${l.handle}`), 200);
  assert.equal(summary.format, 'vericord.shared-record/v1');
  assert.deepEqual(summary.tenant, { name: 'Acme Inference' });
  assert.deepEqual(summary.link, { url: l.url, host: '127.0.0.1', policy: 'TWO_TIER' });
  assert.deepEqual(summary.access, { required: true, granted: false, locked: false, sessionExpiresAt: null });
  const keys = (await api(w.worker.baseUrl, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
  const cp = V.verifyCheckpoint(summary.latestCheckpoint.note, keys);
  assert.equal(cp.size, summary.latestCheckpoint.treeSize);
  assert.equal(cp.root, summary.latestCheckpoint.proofRoot);
  // SDK shape: Content-Type JSON, then the first part of Set-Cookie, X-Record-Entries: all.
  const ok = await step(l.handle, l.code.toLowerCase().replace(/^(...)/, '$1-'));
  const granted = assertOk(ok, 200);
  assert.equal(granted.verified, true);
  const setCookie = ok.headers.get('set-cookie');
  for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', `Path=/api/v1/c/${l.handle}`, 'Max-Age=1800']) assert.ok(setCookie.includes(attr), `${attr} in ${setCookie}`);
  const cookie = cookieOf(ok);
  const hist = assertOk(await pub('GET', `/api/v1/c/${l.handle}/history`, { cookie, headers: { 'X-Record-Entries': 'all', accept: 'application/json' } }), 200);
  assert.equal(hist.entries.length, 6, 'vendor 0\'s buyer-1: three records in each month');
  assert.deepEqual(hist.entries.map((e) => e.seq), [0, 1, 2, 3, 4, 5]);
  for (const e of hist.entries) assert.equal(V.itemHash(e.item), e.itemHash);
  const page = assertOk(await pub('GET', `/api/v1/c/${l.handle}/history?after=1&limit=2`, { cookie }), 200);
  assert.deepEqual(page.entries.map((e) => e.seq), [2, 3]);
  assert.equal(page.pagination.nextAfter, 3);
  // The token as a header works too; periods and a close package verify.
  const periods = assertOk(await pub('GET', `/api/v1/c/${l.handle}/periods`, { token: granted.session.token }), 200);
  assert.equal(periods.periods.length, 2);
  assert.ok(periods.periods[0].links.closePackage.startsWith(`${w.worker.baseUrl}/api/v1/c/${l.handle}/close-package`));
  const pkg = await fetch(periods.periods[0].links.closePackage, { headers: { cookie } });
  const report = V.verifyClosePackage(await pkg.text(), keys);
  assert.equal(report.verified, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
  // The witness's consistency proof verifies between two checkpoints.
  const c = assertOk(await pub('GET', `/api/v1/c/${l.handle}/consistency?from=${periods.periods[1].treeSize}&to=${periods.periods[0].treeSize}`), 200);
  assert.equal(V.verifyConsistency(c.fromSize, c.fromRoot, c.toSize, c.toRoot, c.proof), true);
  assert.equal(c.fromRoot, periods.periods[1].proofRoot);
  assert.equal(c.toRoot, periods.periods[0].proofRoot);
  await assertNothingWritten(w.worker, async () => {
    assertError(await pub('GET', `/api/v1/c/${l.handle}/consistency?from=9&to=2`), 400, 'VALIDATION_ERROR', 'from');
    assertError(await pub('GET', `/api/v1/c/${l.handle}/consistency?to=999`), 400, 'VALIDATION_ERROR', 'to');
    assertError(await pub('GET', `/api/v1/c/${l.handle}/history?limit=0`, { cookie }), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await pub('POST', `/api/v1/c/${l.handle}/compare`, { cookie, body: { from: 'x' } }), 400, 'VALIDATION_ERROR', 'to');
    assertError(await step(l.handle, undefined), 400, 'VALIDATION_ERROR', 'value');
    assertError(await pub('POST', `/api/v1/c/${l.handle}/access/verify`, { body: { factor: 'SMS', value: 'x' } }), 400, 'UNSUPPORTED_FACTOR', 'factor');
  });
});

test('sessions are scoped to their link and end when the code is rotated', async () => {
  const a = await link('buyer-1', 'GATED');
  const b = await link('buyer-1', 'GATED', 1);
  const sa = cookieOf(await step(a.handle, a.code));
  const ta = assertOk(await step(a.handle, a.code), 200).session.token;
  assert.equal((await pub('GET', `/api/v1/c/${a.handle}/history`, { cookie: sa })).status, 200);
  assertError(await pub('GET', `/api/v1/c/${b.handle}/history`, { cookie: sa }), 401, 'ACCESS_CODE_REQUIRED');
  assertError(await pub('GET', `/api/v1/c/${b.handle}/history`, { token: ta }), 401, 'ACCESS_CODE_REQUIRED');
  assertError(await pub('GET', `/api/v1/c/${a.handle}/history`, { token: ta.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }), 401, 'ACCESS_CODE_REQUIRED');
  assertError(await pub('GET', `/api/v1/c/${a.handle}/history`, { token: ta.replace(/v1\.\d+/, 'v1.99999999999999') }), 401, 'ACCESS_CODE_REQUIRED');
  const rotated = assertOk(await manage('POST', 'buyer-1', 'access-link/rotate-code', {}), 200);
  assert.match(rotated.accessCode, ALPHABET);
  assertError(await pub('GET', `/api/v1/c/${a.handle}/history`, { cookie: sa }), 401, 'ACCESS_CODE_REQUIRED', undefined, 'a session of the old code');
  assertError(await step(a.handle, a.code), 401, 'ACCESS_CODE_INVALID', 'value');
  assert.equal((await step(a.handle, rotated.accessCode)).status, 200);
  // Policy changes apply at once.
  assertOk(await manage('PATCH', 'buyer-1', 'access-link', { policy: 'OPEN' }), 200);
  assert.equal((await pub('GET', `/api/v1/c/${a.handle}/history`)).status, 200);
});

test('brute force is stopped: five failures lock the link across requests, back-off doubles, the webhook fires once per lock', async () => {
  const l = await link('buyer-2', 'GATED');
  const before = rx.at('/hooks').length;
  for (let i = 0; i < 4; i++) {
    const r = await step(l.handle, 'ZZZZZ2');
    assertError(r, 401, 'ACCESS_CODE_INVALID', 'value');
    assert.equal(r.body.error.attemptsRemaining, 4 - i);
  }
  // Twenty concurrent guesses: only the one that reaches five counts; the rest are refused.
  const burst = await Promise.all(Array.from({ length: 20 }, () => step(l.handle, 'ZZZZZ3')));
  const statuses = burst.map((r) => r.status).sort();
  assert.deepEqual([...new Set(statuses)], [429]);
  for (const r of burst) {
    assert.equal(r.body.error.code, 'ACCESS_LOCKED');
    assert.ok(Number(r.headers.get('retry-after')) > 0 && Number(r.headers.get('retry-after')) <= 60);
  }
  const state = assertOk(await manage('GET', 'buyer-2', 'access-link'), 200).link;
  assert.equal(state.stepUp.failed, 5, 'the burst added exactly one counted failure');
  assert.equal(state.stepUp.locked, true);
  const lockedFor = Date.parse(state.stepUp.lockedUntil) - Date.now();
  assert.ok(lockedFor > 30_000 && lockedFor <= 60_000, `first lock ~60 s, got ${lockedFor}`);
  assertError(await step(l.handle, l.code), 429, 'ACCESS_LOCKED', undefined, 'the right code is refused too');
  // Wait for the webhook (delivered after the response).
  for (let i = 0; i < 100 && rx.at('/hooks').slice(before).filter((r) => r.body.includes('step_up_failed_repeatedly')).length === 0; i++) await new Promise((ok) => setTimeout(ok, 100));
  const alerts = rx.at('/hooks').slice(before).map((r) => JSON.parse(r.body)).filter((e) => e.event === 'customer.step_up_failed_repeatedly');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].data.handle, l.handle);
  assert.equal(alerts[0].data.customerId, 'buyer-2');
  assert.ok(!JSON.stringify(alerts[0]).includes(PARENT_NAME));
  // 61 s later (the Worker's clock moved on): five more failures lock it for 2 minutes.
  const worker = await restart({ CLOCK_OFFSET_MS: '61000' });
  for (let i = 0; i < 4; i++) assertError(await api(worker.baseUrl, undefined, 'POST', `/api/v1/c/${l.handle}/access/verify`, { factor: 'ACCESS_HINT', value: 'ZZZZZ4' }), 401, 'ACCESS_CODE_INVALID');
  const fifth = await api(worker.baseUrl, undefined, 'POST', `/api/v1/c/${l.handle}/access/verify`, { factor: 'ACCESS_HINT', value: 'ZZZZZ4' });
  assertError(fifth, 429, 'ACCESS_LOCKED');
  assert.ok(fifth.body.error.retryAfterSeconds > 100 && fifth.body.error.retryAfterSeconds <= 120, `second lock ~120 s: ${fifth.body.error.retryAfterSeconds}`);
  await restart({});
});

/** Restarts the Worker on the same D1 with `vars`. */
async function restart(vars) {
  const persistDir = w.worker.persistDir;
  await w.worker.stopOnly();
  const worker = await startWorker({ persistDir, vars });
  const stop = async () => {
    await worker.stop();
    rmSync(persistDir, { recursive: true, force: true });
  };
  w.worker = { ...worker, stop, stopOnly: worker.stop };
  return worker;
}

test('revoke is forever and reissue makes a new handle and code; the state says so', async () => {
  const l = await link('buyer-2', 'TWO_TIER');
  const re = assertOk(await manage('POST', 'buyer-2', 'access-link/reissue', {}), 201);
  assert.notEqual(re.link.handle, l.handle);
  assert.equal(re.link.replaces, l.handle);
  assert.equal(re.link.policy, 'TWO_TIER', 'the policy carries over');
  assertError(await pub('GET', `/api/v1/c/${l.handle}`), 410, 'LINK_REVOKED');
  assert.equal((await pub('GET', `/api/v1/c/${re.link.handle}`)).status, 200);
  assert.equal((await step(re.link.handle, re.accessCode)).status, 200);
  assertError(await step(re.link.handle, l.code), 401, 'ACCESS_CODE_INVALID', undefined, 'the old code is not the new link\'s');
  const [old] = await d1(w.worker.persistDir, `SELECT state, replaced_by FROM access_links WHERE handle = ${sql(l.handle)}`);
  assert.deepEqual(old, { state: 'revoked', replaced_by: re.link.handle });
  const revoked = assertOk(await manage('POST', 'buyer-2', 'access-link/revoke', {}), 200);
  assert.equal(revoked.link.state, 'revoked');
  assertError(await manage('POST', 'buyer-2', 'access-link/revoke', {}), 404, 'LINK_NOT_FOUND');
  assertError(await pub('GET', `/api/v1/c/${re.link.handle}/summary`), 410, 'LINK_REVOKED');
  // A new link can be made after a revoke.
  assert.match(assertOk(await manage('POST', 'buyer-2', 'access-link', {}), 201).accessCode, ALPHABET);
});

test('receipts and invoice proofs name the link (url, host, a hint, never the code); live shows the state', async () => {
  const l = await link('buyer-1', 'TWO_TIER');
  for (const path of [`/api/v1/balance/receipt/buyer-1?vendorAccountId=${vendor(0)}`, `/api/v1/balance/invoice-proof/buyer-1?period=${w.months[1]}&vendorAccountId=${vendor(0)}`]) {
    const r = assertOk(await api(w.worker.baseUrl, w.key, 'GET', path), 200);
    assert.equal(r.customerLinkUrl, l.url, path);
    assert.equal(r.customerLinkHost, '127.0.0.1');
    assert.match(r.accessHint, /access code/);
    assert.ok(!JSON.stringify(r).includes(l.code));
  }
  // A customer without a link: nulls.
  const other = assertOk(await manage('GET', 'buyer-1', 'access-link', undefined, w.key, 1), 200).link;
  if (other?.state === 'active') assertOk(await manage('POST', 'buyer-1', 'access-link/revoke', {}, w.key, 1), 200);
  const none = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/balance/receipt/buyer-1?vendorAccountId=${vendor(1)}`), 200);
  assert.deepEqual([none.customerLinkUrl, none.customerLinkHost, none.accessHint], [null, null, null]);
  const live = assertOk(await manage('GET', 'buyer-1', 'live'), 200);
  assert.equal(live.counts.verified, 6);
  assert.equal(live.link.handle, l.handle);
  assert.equal(typeof live.sinceLastCheckpoint.records, 'number');
  assert.equal(live.latestCheckpoint.treeSize, 6);
});

test('viewing sessions: many requests, one customer.shared_record_viewed, the views counted once', async () => {
  const l = await link('buyer-2', 'OPEN');
  const before = rx.at('/hooks').length;
  for (let i = 0; i < 5; i++) assertOk(await pub('GET', `/api/v1/c/${l.handle}`), 200);
  await pub('GET', `/api/v1/c/${l.handle}/history`);
  for (let i = 0; i < 100 && !rx.at('/hooks').slice(before).some((r) => r.body.includes('shared_record_viewed')); i++) await new Promise((ok) => setTimeout(ok, 100));
  await new Promise((ok) => setTimeout(ok, 500));
  const views = rx.at('/hooks').slice(before).map((r) => JSON.parse(r.body)).filter((e) => e.event === 'customer.shared_record_viewed');
  assert.equal(views.length, 1);
  assert.equal(views[0].data.handle, l.handle);
  assert.deepEqual(views[0].data.recordedBy, { type: 'middleware_vendor_account', id: vendor(0), displayName: 'Acme Inference' });
  const state = assertOk(await manage('GET', 'buyer-2', 'access-link'), 200).link;
  assert.equal(state.views, 1);
  assert.ok(state.lastViewedAt);
});

test('readiness: a row per customer and period with coverage, link and code readiness, signals and blockers; filters and pages', async () => {
  const period = w.months[1];
  const all = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/readiness?period=${period}`), 200);
  assert.equal(all.period, period);
  assert.ok(all.rows.length >= 3, 'buyer-1 (two vendor accounts) and buyer-2');
  for (const r of all.rows) {
    assert.ok(r.proofCoverage.verified <= r.proofCoverage.total);
    for (const b of r.blockers) assert.ok(b.code && b.message && b.fix, JSON.stringify(b));
    assert.equal(r.ready, r.blockers.length === 0);
  }
  const one = all.rows.find((r) => r.customer.customerId === 'buyer-1' && r.vendorAccountId === vendor(0));
  assert.deepEqual(one.proofCoverage, { verified: 3, total: 3 });
  assert.equal(one.link.state, 'active');
  assert.equal(one.accessCode.ready, true);
  // The blocker filter: only rows with that blocker (vendor 1's buyer-1 link was revoked above).
  const revoked = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/readiness?period=${period}&blocker=LINK_REVOKED`), 200);
  assert.ok(revoked.rows.length >= 1);
  for (const r of revoked.rows) assert.ok(r.blockers.some((b) => b.code === 'LINK_REVOKED') && !r.ready, JSON.stringify(r));
  assert.ok(revoked.rows.every((r) => r.signals.linkRevokedOrReissued));
  const byVendor = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/readiness?period=${period}&vendorAccountId=${vendor(1)}`), 200);
  assert.ok(byVendor.rows.every((r) => r.vendorAccountId === vendor(1)));
  const paged = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/readiness?period=${period}&limit=1`), 200);
  assert.equal(paged.rows.length, 1);
  assert.equal(typeof paged.pagination.nextCursor, 'number');
  const next = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/readiness?period=${period}&limit=1&cursor=${paged.pagination.nextCursor}`), 200);
  assert.equal(next.rows.length, 1);
  assert.notDeepEqual([next.rows[0].customer, next.rows[0].vendorAccountId], [paged.rows[0].customer, paged.rows[0].vendorAccountId]);
  await assertNothingWritten(w.worker, async () => {
    assertError(await api(w.worker.baseUrl, w.key, 'GET', '/api/v1/middleware/readiness?period=2026-13'), 400, 'VALIDATION_ERROR', 'period');
    assertError(await api(w.worker.baseUrl, w.key, 'GET', '/api/v1/middleware/readiness?blocker=NOPE'), 400, 'VALIDATION_ERROR', 'blocker');
    assertError(await api(w.worker.baseUrl, w.key, 'GET', '/api/v1/middleware/readiness?limit=500'), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await api(w.worker.baseUrl, w.key, 'GET', '/api/v1/middleware/readiness?vendorAccountId=cmw_nope'), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
  });
  const missing = assertOk(await api(w.worker.baseUrl, w.otherMw.keys.sandbox, 'GET', `/api/v1/middleware/readiness?period=${period}`), 200);
  assert.deepEqual(missing.rows, [], 'another tenant sees none of these customers');
});

test('CORS: every public route answers preflights and any origin; allow-listed origins get credentials and may frame the page', async () => {
  const l = await link('buyer-1', 'TWO_TIER');
  const portal = 'http://127.0.0.1:9';
  for (const path of ['/.well-known/vericord/keys', `/api/v1/verify/${'0x' + '1'.repeat(64)}`, `/api/v1/c/${l.handle}`, `/api/v1/c/${l.handle}/access/verify`]) {
    const pre = await fetch(`${w.worker.baseUrl}${path}`, { method: 'OPTIONS', headers: { origin: portal, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.status, 204, path);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/i);
    const res = await fetch(`${w.worker.baseUrl}${path}`, { headers: { origin: portal } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
    await res.body?.cancel();
  }
  const page = await fetch(`${w.worker.baseUrl}/c/${l.handle}`);
  assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  await page.body?.cancel();
  const tenant = await admin(w.worker.baseUrl, 'PATCH', `/admin/tenants/${w.mw.id}`, { embedOrigins: [portal] });
  assert.deepEqual(tenant.embedOrigins, [portal]);
  const res = await fetch(`${w.worker.baseUrl}/api/v1/c/${l.handle}`, { headers: { origin: portal } });
  assert.equal(res.headers.get('access-control-allow-origin'), portal);
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  await res.body?.cancel();
  const framed = await fetch(`${w.worker.baseUrl}/c/${l.handle}`);
  assert.match(framed.headers.get('content-security-policy') ?? '', new RegExp(`frame-ancestors 'self' ${portal.replaceAll('.', '\\.')}`));
  await framed.body?.cancel();
  // Another origin is not echoed; a bad allow-list is refused.
  const stranger = await fetch(`${w.worker.baseUrl}/api/v1/c/${l.handle}`, { headers: { origin: 'https://evil.example' } });
  assert.equal(stranger.headers.get('access-control-allow-origin'), '*');
  assert.equal(stranger.headers.get('access-control-allow-credentials'), null);
  await stranger.body?.cancel();
  const bad = await fetch(`${w.worker.baseUrl}/admin/tenants/${w.mw.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ embedOrigins: ['https://x.example/path'] }) });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.field, 'embedOrigins[0]');
  await admin(w.worker.baseUrl, 'PATCH', `/admin/tenants/${w.mw.id}`, { embedOrigins: null });
});

test('no public answer names the middleware parent tenant', () => {
  assert.ok(seen.length > 100);
  for (const [path, body] of seen) assert.ok(!body.includes(PARENT_NAME), `${path} names the parent tenant`);
});
