// Issue 13 §2: a battery of hostile requests across every route that takes a body (Balance,
// writes, middleware, Shared Record, admin, dashboard) and across headers and paths: garbage,
// non-objects, unknown and duplicate fields, huge and deeply nested bodies, invalid UTF-8,
// unicode edge cases, numbers like 1e309, -0, 1e-10, 1E400, bad and duplicated headers, odd
// percent-encoding. Every answer is a 4xx JSON error with a code, and D1's row counts are
// unchanged after each route's share of the battery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, ADMIN_TOKEN } from './harness.mjs';
import { api, createTenant, dashboardToken, emit, assertOk, assertNothingWritten } from './fixtures.mjs';

let worker;
let direct;
let mw;
let vendor;
let handle;
let dashAuth;
let sent = 0;
before(async () => {
  worker = await startWorker();
  direct = await createTenant(worker.baseUrl, { name: 'Battery', rateLimitPerMinute: 1_000_000 });
  mw = await createTenant(worker.baseUrl, { name: 'Battery MW', kind: 'middleware', vendors: 1, rateLimitPerMinute: 1_000_000 });
  vendor = mw.vendorAccounts[0].id;
  assertOk(await emit(worker.baseUrl, direct.keys.sandbox, { customerId: 'c1', delta: 1, reason: 'r' }), 201);
  assertOk(await emit(worker.baseUrl, mw.keys.sandbox, { customerId: 'b1', delta: 1, reason: 'r', vendorAccountId: vendor }), 201);
  handle = assertOk(await api(worker.baseUrl, mw.keys.sandbox, 'POST', `/api/v1/middleware/customers/b1/access-link?vendorAccountId=${vendor}`, {}), 201).link.handle;
  dashAuth = { authorization: `Bearer ${await dashboardToken(worker.baseUrl, direct.id)}`, 'x-environment': 'sandbox' };
});
after(async () => {
  await worker?.stop();
  console.log(`# hostile requests sent: ${sent}`);
});

/** Sends raw bytes with the given headers; returns {status, body}. */
async function send(method, path, body, headers) {
  sent++;
  const res = await fetch(`${worker.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? new TextEncoder().encode(body) : body,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, body: json, text };
}

/** A 4xx JSON error with a code. */
function refused(res, what) {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.body?.success, false, `${what}: not a JSON error: ${res.text.slice(0, 300)}`);
  assert.ok(typeof res.body.error?.code === 'string' && res.body.error.code.length > 0, `${what}: no code`);
}

const key = () => ({ 'x-api-key': direct.keys.sandbox });
const mkey = () => ({ 'x-api-key': mw.keys.sandbox });
const adm = () => ({ authorization: `Bearer ${ADMIN_TOKEN}` });
const dsh = () => dashAuth;

/** Every route that takes a body, with its credentials. */
const bodyRoutes = () => {
  const link = `/api/v1/middleware/customers/b1/access-link`;
  const q = `?vendorAccountId=${vendor}`;
  const d = '/dashboard/customers/c1';
  return [
    ['POST', '/api/v1/balance/delta', key()],
    ['POST', '/api/v1/balance/delta/batch', key()],
    ['POST', '/api/v1/balance/checkpoint', key()],
    ['POST', '/api/v1/balance/compare', key()],
    ['POST', `/api/v1/balance/webhooks/evt_${'0'.repeat(24)}/retry`, key()],
    ['POST', '/api/v1/writes', key()],
    ['POST', `/api/v1/middleware/customers/b1/compare${q}`, mkey()],
    ['POST', `${link}${q}`, mkey()],
    ['PATCH', `${link}${q}`, mkey()],
    ['POST', `${link}/rotate-code${q}`, mkey()],
    ['POST', `${link}/revoke${q}`, mkey()],
    ['POST', `${link}/reissue${q}`, mkey()],
    ['POST', `/api/v1/c/${handle}/access/verify`, {}],
    ['POST', `/api/v1/c/${handle}/compare`, {}],
    ['POST', '/admin/tenants', adm()],
    ['PATCH', `/admin/tenants/${direct.id}`, adm()],
    ['POST', `/admin/tenants/${direct.id}/keys`, adm()],
    ['PATCH', `/admin/keys/${direct.keys.sandbox.split('.')[0]}`, adm()],
    ['POST', `/admin/tenants/${mw.id}/vendor-accounts`, adm()],
    ['POST', `/admin/tenants/${direct.id}/webhooks`, adm()],
    ['POST', '/admin/webhooks/webhook_x/rotate-secret', adm()],
    ['POST', `/admin/tenants/${direct.id}/dashboard-tokens`, adm()],
    ['POST', '/dashboard/customers', dsh()],
    ['POST', `${d}/checkpoint`, dsh()],
    ['POST', `${d}/verification-package`, dsh()],
    ['POST', `${d}/access-link`, dsh()],
    ['PATCH', `${d}/access-link`, dsh()],
    ['POST', `${d}/access-link/rotate-code`, dsh()],
    ['POST', `${d}/access-link/revoke`, dsh()],
    ['POST', `${d}/access-link/reissue`, dsh()],
    ['POST', '/dashboard/webhooks', dsh()],
    ['POST', '/dashboard/webhooks/webhook_x/rotate-secret', dsh()],
    ['POST', '/dashboard/api-keys', dsh()],
    ['POST', '/dashboard/api-keys/pk_test_0000000000000000/rotate', dsh()],
  ];
};

/** Bodies no route accepts. */
const HOSTILE = [
  'garbage', '{', '{"zz":1', '}', '[]', '[{}]', 'null', '42', '-0', '"s"', 'true',
  '{"zz":1}', '{"zz":1,"zz":2}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{}}}',
  '\uFEFF{}', '{}{}', '{} trailing', '{"zz":1e309}', '{"zz":-0}', '{"zz":1E400}', '{"zz":1e-10}',
  '{"\\ud800":1}', '{"zz":"\\udc00"}', '{"\\u0000":1}', '{"zz":"\u202e\u0000"}',
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"zz":'.repeat(20_000) + '1' + '}'.repeat(20_000),
  Buffer.concat([Buffer.from('{"zz":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
  Buffer.concat([Buffer.from('{"'), Buffer.from([0xc0, 0xaf]), Buffer.from('":1}')]),
  Buffer.concat([Buffer.from('{"zz":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
  `{"zz":"${'a'.repeat(1_100_000)}"}`,
];

test('every body route refuses every hostile body with a 4xx JSON error, writing nothing', async () => {
  for (const [method, path, auth] of bodyRoutes()) {
    await assertNothingWritten(worker, async () => {
      for (const body of HOSTILE) {
        const label = typeof body === 'string' ? body.slice(0, 30) : `bytes ${body.slice(0, 12).toString('hex')}`;
        refused(await send(method, path, body, auth), `${method} ${path} ${label}`);
      }
    });
  }
});

/** Numbers and wrong types in the numeric fields of each route. */
const NUMBERS = ['1e309', '-0', '1e-10', '1E400', '0.0000000001', '"1"', 'true', 'null', '[1]', '{}', '1e', '01', '+1', 'NaN', 'Infinity', '0x10'];

test('numeric fields: 1e309, -0, 1e-10, 1E400 and wrong types are 400s naming the field, writing nothing', async () => {
  const cases = [
    ['POST', '/api/v1/balance/delta', key(), (v) => `{"customerId":"c1","delta":${v},"reason":"r"}`, 'delta'],
    ['POST', '/api/v1/balance/delta/batch', key(), (v) => `{"deltas":[{"customerId":"c1","delta":${v},"reason":"r"}]}`, null],
    ['POST', '/api/v1/writes', key(), (v) => `{"items":[{"key":"k1","accountId":"a1","bits":${v}}]}`, null],
    ['POST', '/api/v1/balance/compare', key(), (v) => `{"customerId":"c1","yourBalance":${v},"theirBalance":1}`, 'yourBalance'],
    // (null is "unlimited" / "the default" for these two, a valid value: not sent.)
    ['POST', '/admin/tenants', adm(), (v) => `{"name":"n","monthlyAllowance":${v}}`, 'monthlyAllowance', ['null']],
    ['POST', `/admin/tenants/${direct.id}/dashboard-tokens`, adm(), (v) => `{"ttlSeconds":${v}}`, 'ttlSeconds', ['null']],
    ['POST', '/admin/webhooks/webhook_x/rotate-secret', adm(), (v) => `{"overlapSeconds":${v}}`, null],
    ['POST', '/dashboard/customers/c1/verification-package', dsh(), (v) => `{"period":"2026-01","sampleSize":${v}}`, 'sampleSize'],
  ];
  for (const [method, path, auth, body, field, valid = []] of cases) {
    await assertNothingWritten(worker, async () => {
      for (const v of NUMBERS.filter((n) => !valid.includes(n))) {
        // A batch or write answers 200/202 with the item failed in-band; every other route refuses.
        const res = await send(method, path, body(v), auth);
        if (path.endsWith('/batch') || path === '/api/v1/writes') {
          assert.ok(res.status < 500, `${path} ${v}: ${res.status}`);
          if (res.status < 300) assert.equal(res.body.data.totalQueued ?? res.body.data.itemCount ?? 0, 0, `${path} ${v}`);
          else refused(res, `${path} ${v}`);
          continue;
        }
        // A balance of -0 is the balance 0 (Python's json writes -0.0): compare reads, it answers.
        if (path.endsWith('/compare') && v === '-0' && res.status === 200) continue;
        refused(res, `${method} ${path} ${v}`);
        if (field && res.status === 400 && !['INVALID_JSON', 'UNKNOWN_FIELD'].includes(res.body.error.code)) {
          assert.equal(res.body.error.field, field, `${path} ${v}: ${JSON.stringify(res.body.error)}`);
        }
      }
    });
  }
});

test('bad and duplicated headers: 4xx JSON errors, nothing written', async () => {
  const body = '{"customerId":"c1","delta":1,"reason":"r"}';
  const k = direct.keys.sandbox;
  const token = dashAuth.authorization;
  const cases = [
    ['POST', '/api/v1/balance/delta', { 'x-api-key': `${k}, ${k}` }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': `${k}\u0000`.replace('\u0000', '') + 'x' }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': 'pk_test_' + 'a'.repeat(5000) + '.s' }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': k, 'content-type': 'application/json, text/plain' }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': k, 'content-type': 'application/json; charset=latin1' }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': k, 'idempotency-key': 'i'.repeat(10_000) }],
    ['POST', '/api/v1/balance/delta', { 'x-api-key': k, 'idempotency-key': '' }],
    ['GET', '/dashboard/customers', { authorization: `${token}, ${token}`, 'x-environment': 'sandbox' }],
    ['GET', '/dashboard/customers', { authorization: token, 'x-environment': 'sandbox, production' }],
    ['GET', '/dashboard/customers', { authorization: 'Bearer ' + 'e'.repeat(20_000), 'x-environment': 'sandbox' }],
    ['GET', '/dashboard/customers', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['GET', '/dashboard/customers', { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' }],
    ['GET', '/admin/tenants/ten_x', { authorization: `Bearer ${ADMIN_TOKEN}, Bearer ${ADMIN_TOKEN}` }],
    ['GET', `/api/v1/c/${handle}/history`, { 'x-access-session': 'v1.1.' + 'f'.repeat(64) }],
    ['GET', `/api/v1/c/${handle}/history`, { 'x-access-session': 'x'.repeat(10_000) }],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [method, path, headers] of cases) {
      const res = await send(method, path, method === 'GET' ? undefined : body, headers);
      // The Shared Record's OPEN-or-not history: a bad session is a refusal or the open view.
      if (path.includes('/history') && res.status === 200) continue;
      refused(res, `${method} ${path} ${JSON.stringify({ ...headers, "x-api-key": headers["x-api-key"]?.slice(-12) }).slice(0, 160)}`);
    }
  });
});

test('odd percent-encoding in paths: 4xx JSON errors on every kind of route, nothing written', async () => {
  const segments = ['%ZZ', '%00', '%C0%AF', '%2e%2e%2f', '..%2F..%2Fadmin', '%FF%FE', '%E2%80%AE', '%', '%%', 'a'.repeat(3000), '%F0%9F%98%80', '%ED%A0%80'];
  const routes = [
    [(s) => `/api/v1/balance/customers/${s}`, key()],
    [(s) => `/api/v1/balance/delta/${s}`, key()],
    [(s) => `/api/v1/balance/receipts/${s}`, key()],
    [(s) => `/api/v1/balance/derive/${s}`, key()],
    [(s) => `/api/v1/verify/${s}`, {}],
    [(s) => `/api/v1/c/${s}`, {}],
    [(s) => `/api/v1/c/${s}/history`, {}],
    [(s) => `/api/v1/middleware/customers/${s}/periods`, mkey()],
    [(s) => `/admin/tenants/${s}`, adm()],
    [(s) => `/dashboard/customers/${s}`, dsh()],
    [(s) => `/dashboard/customers/${s}/export`, dsh()],
    [(s) => `/dashboard/webhooks/${s}`, dsh()],
    [(s) => `/api/v1/verification-packages/${s}`, {}],
  ];
  await assertNothingWritten(worker, async () => {
    for (const [path, auth] of routes) {
      for (const s of segments) {
        const res = await send('GET', path(s), undefined, auth);
        refused(res, `GET ${path(s).slice(0, 80)}`);
      }
    }
  });
  assert.ok(sent >= 300, `${sent} hostile requests`);
});
