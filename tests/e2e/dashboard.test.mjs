// The dashboard API (source doc 001): dashboard tokens (HS256 and EdDSA) and every way one can
// be wrong, X-Environment, viewer vs admin, and every customer route with its filters, sorts
// and aliases, isolated per tenant and per environment; the close package from the dashboard
// verified by the npm package and the CLI; the exports read by Python's csv module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as V from '../../crates/wasm/pkg/node.js';
import { api, assertError, assertOk, assertNothingWritten, createTenant, dash, dashboardToken, d1, sql } from './fixtures.mjs';
import { closeWorld } from './close-world.mjs';
import { output, run as runTool, vericordCli } from './tools.mjs';

const SECRET = 'e2e-dashboard-jwt-secret-0123456789abcdef';
const ed = generateKeyPairSync('ed25519');
const edPublicHex = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex');

let w;
let base;
let keys;
let admin; // the direct tenant's admin token
let viewer;
let other; // another tenant's admin token
let cli;
before(async () => {
  w = await closeWorld({ vars: { DASHBOARD_JWT_SECRET: SECRET, DASHBOARD_JWT_PUBLIC_KEY: edPublicHex, SEQUENCE_AFTER_RESPONSE: 'false', BENCH_ROUTES: '1' } });
  base = w.worker.baseUrl;
  keys = (await api(base, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
  admin = await dashboardToken(base, w.direct.id);
  viewer = await dashboardToken(base, w.direct.id, { role: 'viewer', userId: 'viewer_1' });
  const otherTenant = await createTenant(base, { name: 'Other Direct' });
  other = await dashboardToken(base, otherTenant.id);
  cli = await vericordCli();
});
after(async () => { await w?.worker.stop(); });

const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);
const claims = (over = {}) => ({ iss: 'vericord', aud: 'vericord-dashboard', sub: 'user_x', tenant: w.direct.id, role: 'admin', iat: nowS(), nbf: nowS(), exp: nowS() + 600, ...over });
function hs256(body, secret = SECRET, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${typeof header === 'string' ? b64u(header) : b64u(header)}.${b64u(body)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
function eddsa(body, privateKey = ed.privateKey) {
  const input = `${b64u({ alg: 'EdDSA', typ: 'JWT' })}.${b64u(body)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}
const D = (token, method, path, body, opts) => dash(base, token, method, path, body, opts);

test('a dashboard token minted by the admin route, an HS256 token and an EdDSA token are accepted', async () => {
  for (const token of [admin, hs256(claims()), eddsa(claims()), hs256(claims({ exp: nowS() - 10 }))]) {
    assertOk(await D(token, 'GET', '/dashboard/customers'), 200);
  }
  // The minted token's claims, decoded: HS256, exp/nbf/iat, iss/aud, tenant, role.
  const [h, c] = admin.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url')));
  assert.equal(h.alg, 'HS256');
  assert.equal(c.tenant, w.direct.id);
  assert.equal(c.role, 'admin');
  assert.ok(c.exp > nowS() && c.nbf <= nowS() + 1 && c.iss === 'vericord' && c.aud === 'vericord-dashboard');
  assertError(await api(base, undefined, 'POST', `/admin/tenants/${w.direct.id}/dashboard-tokens`, { role: 'owner' }, { authorization: 'Bearer e2e-admin-token-0123456789abcdef' }), 400, 'VALIDATION_ERROR', 'role');
});

test('expired, not-yet-valid, forged, none, RS256, HS/EdDSA confusion, wrong-tenant and malformed tokens: 401/403 with distinct codes, nothing written', async () => {
  const otherEd = generateKeyPairSync('ed25519');
  const rawEdKey = Buffer.from(edPublicHex, 'hex');
  const noneToken = `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u(claims())}.`;
  const rsToken = `${b64u({ alg: 'RS256', typ: 'JWT' })}.${b64u(claims())}.${randomBytes(256).toString('base64url')}`;
  const dupAlg = hs256(claims(), SECRET, '{"alg":"HS256","alg":"none","typ":"JWT"}');
  const { exp, ...noExp } = claims();
  const cases = [
    [null, 401, 'TOKEN_MISSING'],
    ['abc', 401, 'TOKEN_MALFORMED'],
    ['a.b', 401, 'TOKEN_MALFORMED'],
    [noneToken, 401, 'TOKEN_ALGORITHM_NOT_ALLOWED'],
    [rsToken, 401, 'TOKEN_ALGORITHM_NOT_ALLOWED'],
    [hs256(claims(), 'not-the-secret-0123456789abcdef0123456789'), 401, 'TOKEN_SIGNATURE_INVALID'],
    // HS256 "signed" with the EdDSA public key as the HMAC secret: the key family is fixed by code.
    [hs256(claims(), rawEdKey), 401, 'TOKEN_SIGNATURE_INVALID'],
    [hs256(claims(), edPublicHex), 401, 'TOKEN_SIGNATURE_INVALID'],
    [eddsa(claims(), otherEd.privateKey), 401, 'TOKEN_SIGNATURE_INVALID'],
    [hs256(claims({ exp: nowS() - 120 })), 401, 'TOKEN_EXPIRED'],
    [hs256(claims({ nbf: nowS() + 120 })), 401, 'TOKEN_NOT_YET_VALID'],
    [hs256(noExp), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ exp: String(nowS() + 600) })), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ iss: 'someone-else' })), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ aud: 'vericord-records' })), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ role: 'owner' })), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ sub: '' })), 401, 'TOKEN_CLAIMS_INVALID'],
    [hs256(claims({ tenant: 'ten_000000000000000000000000' })), 403, 'TOKEN_TENANT_UNKNOWN'],
  ];
  const routes = [
    ['GET', '/dashboard/customers'],
    ['POST', '/dashboard/customers', { displayName: 'Nope' }],
    ['GET', '/dashboard/customers/buyer-1'],
    ['POST', '/dashboard/customers/buyer-1/checkpoint', { period: w.months[1] }],
    ['POST', '/dashboard/customers/buyer-1/access-link', {}],
  ];
  await assertNothingWritten(w.worker, async () => {
    for (const [method, path, body] of routes) {
      for (const [token, status, code] of cases) {
        assertError(await D(token, method, path, body), status, code, undefined, `${method} ${path} ${token?.slice(0, 40)}`);
      }
      const dup = await D(dupAlg, method, path, body);
      assert.equal(dup.status, 401, `duplicate alg: ${JSON.stringify(dup.body)}`);
      // The scheme is "Bearer "; an API key is not a dashboard credential.
      assertError(await api(base, undefined, method, path, body, { authorization: `bearer ${admin}`, 'x-environment': 'sandbox' }), 401, 'TOKEN_MISSING');
      assertError(await api(base, w.direct.keys.sandbox, method, path, body), 401, 'TOKEN_MISSING');
      // X-Environment: sandbox or production, nothing else.
      for (const bad of ['staging', 'Sandbox ', 'live', 'test']) {
        if (bad.trim() === 'Sandbox') continue;
        assertError(await D(admin, method, path, body, { environment: bad }), 400, 'INVALID_ENVIRONMENT', 'X-Environment');
      }
    }
  });
});

test('the official SDK call: POST /dashboard/customers creates a manual customer, 409 on a duplicate or an id made by records', async () => {
  const made = assertOk(await D(admin, 'POST', '/dashboard/customers', { displayName: 'Globex Corp', customerId: 'globex', eventCadence: 'PER_EVENT', sharingStateHint: 'INHERIT', unitLabel: 'credits' }), 201);
  assert.equal(made.customerId, 'globex');
  assert.equal(made.source, 'manual');
  assert.equal(made.environment, 'sandbox');
  assert.match(made.customerReference, /^0x[0-9a-fA-F]{40}$/);
  const generated = assertOk(await D(admin, 'POST', '/dashboard/customers', { displayName: 'No id given' }), 201);
  assert.match(generated.customerId, /^cust_[0-9a-f]{24}$/);
  await assertNothingWritten(w.worker, async () => {
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: 'Again', customerId: 'globex' }), 409, 'CUSTOMER_EXISTS', 'customerId');
    // buyer-1 exists because records were made for it (the integration).
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: 'Buyer', customerId: 'buyer-1' }), 409, 'CUSTOMER_EXISTS', 'customerId');
    assertError(await D(admin, 'POST', '/dashboard/customers', {}), 400, 'VALIDATION_ERROR', 'displayName');
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: '  ' }), 400, 'VALIDATION_ERROR', 'displayName');
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: 'x', eventCadence: 'per event' }), 400, 'VALIDATION_ERROR', 'eventCadence');
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: 'x', extra: 1 }), 400, 'UNKNOWN_FIELD', 'extra');
    assertError(await D(admin, 'POST', '/dashboard/customers', { displayName: 'x', customerId: '' }), 400, 'VALIDATION_ERROR', 'customerId');
    assertError(await D(viewer, 'POST', '/dashboard/customers', { displayName: 'Viewer' }), 403, 'ROLE_FORBIDDEN');
  });
  // Same id in production is another customer; a middleware tenant must name its vendor account.
  assertOk(await D(admin, 'POST', '/dashboard/customers', { displayName: 'Globex Prod', customerId: 'globex' }, { environment: 'production' }), 201);
  const mw = await dashboardToken(base, w.mw.id);
  assertError(await D(mw, 'POST', '/dashboard/customers', { displayName: 'x' }), 400, 'VENDOR_ACCOUNT_REQUIRED', 'vendorAccountId');
  assertOk(await D(mw, 'POST', '/dashboard/customers', { displayName: 'x', customerId: 'mw-manual', vendorAccountId: w.vendors[0].id }), 201);
  // The first record for a manual customer goes into its log; it keeps its name.
  assertOk(await api(base, w.direct.keys.sandbox, 'POST', '/api/v1/balance/delta', { customerId: 'globex', delta: 3, reason: 'first' }), 201);
  const d = assertOk(await D(admin, 'GET', '/dashboard/customers/globex'), 200);
  assert.equal(d.displayName, 'Globex Corp');
  assert.equal(d.totalDeltas, 1);
  assert.equal(d.customerReference, made.customerReference);
});

/** Records of `shop-1` this month: reasons, references and amounts to filter and sort by. */
async function shop() {
  const key = w.direct.keys.sandbox;
  const rows = [['10', 'top-up', 'inv-1'], ['-2.5', 'gpu', 'job-1'], ['-0.000000001', 'rounding', null], ['-7', 'gpu', 'job-2'], ['4', 'refund', 'inv-2']];
  const ids = [];
  for (const [delta, reason, referenceId] of rows) {
    const body = `{"customerId":"shop-1","delta":${delta},"reason":"${reason}"${referenceId ? `,"referenceId":"${referenceId}"` : ''}}`;
    ids.push(assertOk(await api(base, key, 'POST', '/api/v1/balance/delta', body), 201).recordId);
  }
  // One record fails verification: its stored amount no longer matches its item.
  await d1(w.worker.persistDir, `UPDATE records SET amount = '4.5' WHERE id = ${sql(ids[4])}`);
  assertOk(await api(base, key, 'POST', '/bench/drain/shop-1', {}), 200);
  const states = await Promise.all(ids.map(async (id) => (await api(base, key, 'GET', `/api/v1/balance/delta/${id}`)).body.data.status));
  assert.deepEqual(states, ['VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED', 'FAILED']);
  // And one stays pending: sequencing runs only on explicit drains here.
  ids.push(assertOk(await api(base, key, 'POST', '/api/v1/balance/delta', { customerId: 'shop-1', delta: 1, reason: 'late' }), 201).recordId);
  return ids;
}

test('customer detail: every filter, sort and page; invalid values are a 400 naming the parameter', async () => {
  const ids = await shop();
  const detail = async (q) => assertOk(await D(viewer, 'GET', `/dashboard/customers/shop-1?${q}`), 200).recentActivity;
  const plain = await detail('');
  assert.equal(plain.pagination.total, 6);
  assert.deepEqual(plain.items.map((i) => i.recordId), [...ids].reverse());
  const by = async (q) => (await detail(q)).items.map((i) => i.recordId);
  assert.deepEqual(await by('status=verified&sortOrder=asc'), ids.slice(0, 4));
  assert.deepEqual(await by('status=failed'), [ids[4]]);
  assert.deepEqual(await by('status=pending'), [ids[5]]);
  assert.deepEqual(await by('status=QUEUED'), [ids[5]]);
  assert.deepEqual(await by('reason=gpu&sortOrder=asc'), [ids[1], ids[3]]);
  assert.deepEqual(await by('search=inv-'), [ids[4], ids[0]]);
  assert.deepEqual(await by(`search=${ids[2]}`), [ids[2]]);
  assert.deepEqual(await by('sortBy=amount&sortOrder=asc'), [ids[3], ids[1], ids[2], ids[5], ids[4], ids[0]]);
  assert.deepEqual(await by('sortBy=amount&sortOrder=desc&status=verified'), [ids[0], ids[2], ids[1], ids[3]]);
  assert.deepEqual((await detail('sortBy=status&sortOrder=desc')).items[0].recordId, ids[4]);
  // Ties (two "gpu") come newest first.
  assert.deepEqual(await by('sortBy=reason&sortOrder=asc&status=verified'), [ids[3], ids[1], ids[2], ids[0]]);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await by(`startDate=${today}&endDate=${today}`)).length, 6);
  assert.equal((await by(`endDate=${today}T00:00:00.000Z`)).length, 0);
  assert.equal((await by('startDate=2099-01-01')).length, 0);
  const page = await detail('status=verified&deltaLimit=3&sortOrder=asc');
  assert.equal(page.pagination.hasMore, true);
  assert.equal(page.pagination.total, null);
  const page2 = await detail('status=verified&deltaLimit=3&deltaPage=2&sortOrder=asc');
  assert.deepEqual(page2.items.map((i) => i.recordId), [ids[3]]);
  assert.equal(page2.pagination.hasMore, false);
  await assertNothingWritten(w.worker, async () => {
    for (const [q, field] of [['status=done', 'status'], ['sortBy=size', 'sortBy'], ['sortOrder=up', 'sortOrder'], ['startDate=yesterday', 'startDate'],
      ['endDate=2026-13-01', 'endDate'], ['startDate=2026-05-02&endDate=2026-05-01', 'endDate'], ['deltaLimit=0', 'deltaLimit'], ['deltaPage=x', 'deltaPage'],
      [`reason=${'r'.repeat(201)}`, 'reason'], [`period=${w.months[1]}&status=verified`, 'period']]) {
      assertError(await D(viewer, 'GET', `/dashboard/customers/shop-1?${q}`), 400, 'VALIDATION_ERROR', field, q);
    }
  });
});

test('customer list and summary: search, filters, sorts, pages; isolated per environment and tenant', async () => {
  const list = async (q, token = viewer, opts) => assertOk(await D(token, 'GET', `/dashboard/customers?${q}`, undefined, opts), 200);
  const all = await list('limit=100');
  const ids = all.customers.map((c) => c.customerId);
  assert.ok(['buyer-1', 'globex', 'shop-1'].every((c) => ids.includes(c)), ids.join());
  assert.deepEqual(ids, [...ids].sort());
  assert.deepEqual((await list('search=glob')).customers.map((c) => c.customerId), ['globex']);
  assert.deepEqual((await list('search=Globex%20Corp')).customers.map((c) => c.customerId), ['globex']);
  assert.ok((await list('source=manual')).customers.every((c) => c.source === 'manual'));
  assert.deepEqual((await list('health=failed')).customers.map((c) => c.customerId), ['shop-1']);
  assert.ok((await list('health=healthy')).customers.every((c) => c.failedDeltas === 0));
  const bal = (await list('sortBy=balance&sortOrder=desc&limit=100')).customers.map((c) => c.computedBalance);
  assert.deepEqual(bal, [...bal].sort((a, b) => b - a));
  const tot = (await list('sortBy=totalDeltas&sortOrder=desc&limit=100')).customers.map((c) => c.totalDeltas);
  assert.deepEqual(tot, [...tot].sort((a, b) => b - a));
  const p1 = await list('limit=1&page=1');
  const p2 = await list('limit=1&page=2');
  assert.equal(p1.pagination.total, all.total);
  assert.notEqual(p1.customers[0].customerId, p2.customers[0].customerId);
  for (const [q, field] of [['sortBy=name', 'sortBy'], ['sortOrder=sideways', 'sortOrder'], ['health=ok', 'health'], ['source=api', 'source'], ['limit=101', 'limit']]) {
    assertError(await D(viewer, 'GET', `/dashboard/customers?${q}`), 400, 'VALIDATION_ERROR', field);
  }
  // Production sees its own customers only; another tenant sees none of these.
  assert.deepEqual((await list('limit=100', viewer, { environment: 'production' })).customers.map((c) => c.customerId), ['globex']);
  assert.equal((await list('limit=100', other)).total, 0);
  const s = assertOk(await D(viewer, 'GET', '/dashboard/customers/summary'), 200);
  assert.equal(s.totalCustomers, all.total);
  assert.equal(s.environment, 'sandbox');
  assert.ok(s.failedDeltas >= 1 && s.pendingDeltas >= 1);
  assert.equal(assertOk(await D(other, 'GET', '/dashboard/customers/summary'), 200).totalCustomers, 0);
  // Without X-Environment the dashboard reads production.
  assert.equal(assertOk(await D(viewer, 'GET', '/dashboard/customers/summary', undefined, { environment: null }), 200).environment, 'production');
});

/** Python's csv module reads the file; returns its rows as objects. */
async function csvRows(text) {
  const dir = mkdtempSync(join(tmpdir(), 'vericord-dash-csv-'));
  const file = join(dir, 'x.csv');
  writeFileSync(file, text);
  return JSON.parse(await output('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))))', file]));
}

async function rawGet(token, path, environment = 'sandbox') {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-environment': environment } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test('the activity export is CSV with the close-package columns plus status, filtered by status, read by Python\'s csv module', async () => {
  const res = await rawGet(viewer, '/dashboard/customers/shop-1/export');
  assert.equal(res.status, 200, res.text.slice(0, 300));
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  assert.match(res.headers.get('content-disposition'), /filename="activity-shop-1\.csv"/);
  const rows = await csvRows(res.text);
  assert.equal(rows.length, 6);
  assert.deepEqual(Object.keys(rows[0]).slice(0, 3), ['BillingAccountId', 'InvoiceIssuerName', 'ProviderName']);
  assert.deepEqual(rows.map((r) => r.x_Status), ['VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED', 'FAILED', 'QUEUED']);
  assert.deepEqual(rows.map((r) => r.x_Delta), ['10', '-2.5', '-0.000000001', '-7', '4.5', '1']);
  assert.equal(rows[1].BilledCost, '2.5');
  assert.equal(rows[0].x_Seq, '0');
  assert.equal(rows[5].x_Seq, '');
  assert.match(rows[4].x_FailedReason, /amount/);
  const verified = await csvRows((await rawGet(viewer, '/dashboard/customers/shop-1/export?status=verified')).text);
  assert.equal(verified.length, 4);
  assertError(await D(viewer, 'GET', '/dashboard/customers/shop-1/export?status=nope'), 400, 'VALIDATION_ERROR', 'status');
  assertError(await D(other, 'GET', '/dashboard/customers/shop-1/export'), 404, 'CUSTOMER_NOT_FOUND');
});

test('receipt and its deprecated alias invoice-proof, checkpoints (viewer refused), list and fingerprint candidates with both aliases', async () => {
  const period = w.months[1];
  const r = assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/receipt?period=${period}`), 200);
  const alias = assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/invoice-proof?period=${period}`), 200);
  assert.equal(r.proofRoot, alias.proofRoot);
  await assertNothingWritten(w.worker, async () => {
    assertError(await D(viewer, 'POST', '/dashboard/customers/buyer-1/checkpoint', { period }), 403, 'ROLE_FORBIDDEN');
    assertError(await D(admin, 'POST', '/dashboard/customers/buyer-1/checkpoint', { period, customerId: 'buyer-1' }), 400, 'VALIDATION_ERROR', 'customerId');
  });
  const cp = assertOk(await D(admin, 'POST', '/dashboard/customers/buyer-1/checkpoint', { period }), 201);
  assert.equal(cp.customerId, 'buyer-1');
  assert.equal(cp.period, period);
  const list = assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/checkpoints?period=${period}&limit=50`), 200);
  assert.ok(list.checkpoints.some((c) => c.checkpointId === cp.checkpointId));
  assert.ok(list.checkpoints.every((c) => c.customerId === 'buyer-1' && c.period.startsWith(period)));
  const f = assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/checkpoint-fingerprints?period=${period}`), 200);
  for (const path of ['checkpoints/fingerprints', 'fingerprints']) {
    assert.deepEqual(assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/${path}?period=${period}`), 200), f);
  }
  assert.equal(f.closingCheckpointId, cp.checkpointId);
  const c = f.candidates.find((x) => x.closesPeriod);
  assert.equal(c.checkpointId, cp.checkpointId);
  assert.equal(c.proofRoot, cp.proofRoot);
  assert.equal(c.verifierKey, keys[0]);
  assert.match(c.keyFingerprint, /^SHA256:[0-9a-f]{64}$/);
  assert.equal(V.verifyCheckpoint(cp.note, [c.verifierKey]).root, cp.proofRoot);
  assertError(await D(viewer, 'GET', '/dashboard/customers/buyer-1/fingerprints'), 400, 'VALIDATION_ERROR', 'period');
  for (const t of [other]) {
    for (const path of [`receipt?period=${period}`, `invoice-proof?period=${period}`, `checkpoints?period=${period}`, `checkpoint-fingerprints?period=${period}`, `close-package?period=${period}`, 'access-link', 'live', '']) {
      assertError(await D(t, 'GET', `/dashboard/customers/buyer-1${path ? `/${path}` : ''}`), 404, 'CUSTOMER_NOT_FOUND', undefined, path);
      assertError(await D(viewer, 'GET', `/dashboard/customers/buyer-1${path ? `/${path}` : ''}`, undefined, { environment: 'production' }), 404, 'CUSTOMER_NOT_FOUND', undefined, path);
    }
  }
});

test('the close package from the dashboard verifies in the npm package and the CLI, for a direct vendor and a middleware vendor account', async () => {
  const period = w.months[1];
  const mw = await dashboardToken(base, w.mw.id, { role: 'viewer' });
  for (const [token, path, recordedBy] of [[viewer, `/dashboard/customers/buyer-1/close-package?period=${period}`, 'tenant'],
    [mw, `/dashboard/customers/buyer-1/close-package?period=${period}&vendorAccountId=${w.vendors[0].id}`, 'middleware_vendor_account']]) {
    const res = await rawGet(token, path);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const pkg = JSON.parse(res.text);
    assert.equal(pkg.recordedBy.type, recordedBy);
    const report = V.verifyClosePackage(res.text, keys);
    assert.equal(report.verified, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
    const dir = mkdtempSync(join(tmpdir(), 'vericord-dash-pkg-'));
    writeFileSync(join(dir, 'p.json'), res.text);
    const out = await runTool(cli, ['verify', join(dir, 'p.json'), '--key', keys[0]]);
    assert.equal(out.status, 0, out.stdout + out.stderr);
  }
});

test('the batch checkpoint export: every customer with its closing checkpoint, as CSV (Python csv) and JSON', async () => {
  const period = w.months[1];
  const res = await rawGet(viewer, `/dashboard/customers/batch-checkpoints/export?period=${period}&format=csv`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const rows = await csvRows(res.text);
  const all = assertOk(await D(viewer, 'GET', '/dashboard/customers?limit=100'), 200);
  assert.equal(rows.length, all.total);
  const b1 = rows.find((r) => r.customerId === 'buyer-1');
  assert.equal(b1.status, 'closed');
  assert.match(b1.proofRoot, /^0x[0-9a-f]{64}$/);
  assert.equal(rows.find((r) => r.customerId === 'shop-1').status, 'not_yet_closed');
  const json = JSON.parse((await rawGet(viewer, `/dashboard/customers/batch-checkpoints/export?period=${period}&format=json`)).text);
  assert.equal(json.period, period);
  assert.equal(json.checkpoints.length, rows.length);
  assert.equal(json.checkpoints.find((c) => c.customerId === 'buyer-1').proofRoot, b1.proofRoot);
  const open = await csvRows((await rawGet(viewer, `/dashboard/customers/batch-checkpoints/export?period=${new Date().toISOString().slice(0, 7)}`)).text);
  assert.ok(open.every((r) => r.status === 'open' || r.status === 'closed'));
  assertError(await D(viewer, 'GET', '/dashboard/customers/batch-checkpoints/export?period=2026-13'), 400, 'VALIDATION_ERROR', 'period');
  assertError(await D(viewer, 'GET', `/dashboard/customers/batch-checkpoints/export?period=${period}&format=xml`), 400, 'VALIDATION_ERROR', 'format');
  // Another tenant's export has none of these customers; production has only its own.
  assert.equal((await csvRows((await rawGet(other, `/dashboard/customers/batch-checkpoints/export?period=${period}`)).text)).length, 0);
  assert.deepEqual((await csvRows((await rawGet(viewer, `/dashboard/customers/batch-checkpoints/export?period=${period}`, 'production')).text)).map((r) => r.customerId), ['globex']);
});

test('Shared Record links for a direct vendor\'s customer through the dashboard: create, read, rotate, revoke, reissue; a viewer reads only', async () => {
  const p = '/dashboard/customers/buyer-1/access-link';
  await assertNothingWritten(w.worker, async () => {
    for (const [method, path, body] of [['POST', p, {}], ['PATCH', p, { policy: 'OPEN' }], ['POST', `${p}/rotate-code`, {}], ['POST', `${p}/revoke`, {}], ['POST', `${p}/reissue`, {}]]) {
      assertError(await D(viewer, method, path, body), 403, 'ROLE_FORBIDDEN', undefined, path);
    }
  });
  const made = assertOk(await D(admin, 'POST', p, { policy: 'TWO_TIER' }), 201);
  assert.match(made.accessCode, /^[2-9A-HJ-NP-Z]{6}$/);
  assert.equal(made.recordedBy.type, 'tenant');
  const read = assertOk(await D(viewer, 'GET', p), 200);
  assert.equal(read.link.handle, made.link.handle);
  assert.equal(read.accessCode, undefined);
  // The buyer's side: the code opens the record.
  const open = await api(base, undefined, 'POST', `/api/v1/c/${made.link.handle}/access/verify`, { factor: 'ACCESS_HINT', value: made.accessCode });
  assert.equal(open.status, 200, JSON.stringify(open.body));
  const rotated = assertOk(await D(admin, 'POST', `${p}/rotate-code`, {}), 200);
  assert.notEqual(rotated.accessCode, made.accessCode);
  assertOk(await D(admin, 'PATCH', p, { policy: 'OPEN' }), 200);
  assert.equal(assertOk(await D(viewer, 'GET', '/dashboard/customers/buyer-1/live'), 200).link.policy, 'OPEN');
  assertOk(await D(admin, 'POST', `${p}/revoke`, {}), 200);
  assert.equal((await api(base, undefined, 'GET', `/api/v1/c/${made.link.handle}`)).status, 410);
  // Reissue needs an active link; create a new one, then reissue it.
  const again = assertOk(await D(admin, 'POST', p, {}), 201);
  const re = assertOk(await D(admin, 'POST', `${p}/reissue`, {}), 201);
  assert.notEqual(re.link.handle, again.link.handle);
  // The receipt now names the link.
  const receipt = assertOk(await D(viewer, 'GET', `/dashboard/customers/buyer-1/invoice-proof?period=${w.months[1]}`), 200);
  assert.equal(receipt.customerLinkUrl, re.link.url);
  // Isolation: another tenant and the other environment cannot see or touch it.
  assertError(await D(other, 'POST', `${p}/revoke`, {}), 404, 'CUSTOMER_NOT_FOUND');
  assertError(await D(admin, 'GET', p, undefined, { environment: 'production' }), 404, 'CUSTOMER_NOT_FOUND');
});

test('a verification package: a reproducible sample with proofs, verified by the npm package and the CLI, shared by its link', async () => {
  const period = w.months[0];
  const mw = await dashboardToken(base, w.mw.id, { role: 'viewer' });
  const path = `/dashboard/customers/buyer-1/verification-package?vendorAccountId=${w.vendors[0].id}`;
  const made = assertOk(await D(mw, 'POST', path, { period, sampleSize: 2 }), 201);
  assert.match(made.packageId, /^vpk_[0-9a-f]{24}$/);
  const pkg = made.package;
  assert.equal(pkg.format, 'vericord.verification-package/v1');
  assert.equal(pkg.records.length, 2);
  assert.equal(pkg.sample.population, 3);
  const text = JSON.stringify(pkg);
  const report = V.verifyVerificationPackage(text, keys);
  assert.equal(report.verified, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
  // The same request: the same package and link. A larger sample contains the smaller one.
  const again = assertOk(await D(mw, 'POST', path, { period, sampleSize: 2 }), 201);
  assert.equal(again.packageId, made.packageId);
  assert.deepEqual(again.package.records, pkg.records);
  const all = assertOk(await D(mw, 'POST', path, { period, sampleSize: 100 }), 201).package;
  assert.equal(all.records.length, 3);
  assert.ok(pkg.records.every((r) => all.records.some((a) => a.seq === r.seq)));
  // Altered, it fails; the CLI agrees.
  const altered = JSON.parse(text);
  altered.records[0].item.delta = altered.records[0].item.delta === '100' ? '101' : '100';
  assert.equal(V.verifyVerificationPackage(JSON.stringify(altered), keys).verified, false);
  const dir = mkdtempSync(join(tmpdir(), 'vericord-dash-vpk-'));
  writeFileSync(join(dir, 'ok.json'), text);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(altered));
  assert.equal((await runTool(cli, ['verify', join(dir, 'ok.json'), '--key', keys[0]])).status, 0);
  assert.equal((await runTool(cli, ['verify', join(dir, 'bad.json'), '--key', keys[0]])).status, 1);
  // The share link needs no credentials and answers the same package; a wrong id is a 404.
  const shared = await api(base, undefined, 'GET', new URL(made.shareUrl).pathname);
  assert.equal(shared.status, 200);
  assert.deepEqual(shared.body.data, pkg);
  assertError(await api(base, undefined, 'GET', '/api/v1/verification-packages/vpk_000000000000000000000000'), 404, 'PACKAGE_NOT_FOUND');
  // Validation, an open period, isolation.
  await assertNothingWritten(w.worker, async () => {
    for (const sampleSize of [0, 101, 'ten', 1.5]) {
      assertError(await D(mw, 'POST', path, { period, sampleSize }), 400, 'VALIDATION_ERROR', 'sampleSize');
    }
    assertError(await D(mw, 'POST', path, { sampleSize: 2 }), 400, 'VALIDATION_ERROR', 'period');
    assertError(await D(mw, 'POST', path, { period: new Date().toISOString().slice(0, 7) }), 400, 'PERIOD_NOT_CLOSED', 'period');
    assertError(await D(other, 'POST', '/dashboard/customers/buyer-1/verification-package', { period }), 404, 'CUSTOMER_NOT_FOUND');
    assertError(await D(mw, 'POST', path, { period }, { environment: 'production' }), 404, 'CUSTOMER_NOT_FOUND');
  });
});

test('dashboard requests are rate-limited per user: 429 with Retry-After past the limit, other users unaffected', async () => {
  const { startWorker } = await import('./harness.mjs');
  const small = await startWorker({ vars: { DASHBOARD_RATE_LIMIT_PER_MINUTE: '5' } });
  try {
    const t = await createTenant(small.baseUrl, { name: 'Limited' });
    const alice = await dashboardToken(small.baseUrl, t.id, { userId: 'alice' });
    const bob = await dashboardToken(small.baseUrl, t.id, { userId: 'bob' });
    const get = (token) => dash(small.baseUrl, token, 'GET', '/dashboard/customers/summary');
    // Five in one minute pass, the sixth is refused (retried once if the minute turned meanwhile).
    for (let attempt = 0; attempt < 2; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await get(alice));
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429]);
      assertError(answers[5], 429, 'RATE_LIMITED');
      assert.ok(Number(answers[5].headers.get('retry-after')) > 0);
      assert.equal((await get(bob)).status, 200);
      return;
    }
    assert.fail('the minute turned twice during the test');
  } finally {
    await small.stop();
  }
});
