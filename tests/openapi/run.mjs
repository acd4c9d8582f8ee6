// schemathesis against a local Worker, from the API description it serves (/openapi.json):
// a direct, a middleware and a victim tenant with keys, a dashboard token, records in a closed
// month and in the current one, Shared Record links, a webhook endpoint with an event, a
// verification package — then every described operation is tested with the ids that exist,
// bounded in examples and time. Fails on a 5xx, a status the description does not list, a
// content type it does not list, or a body its schema refuses.
//
// Run by tests/openapi/run.sh (which builds nothing: the Worker must be built, and installs
// schemathesis). SCHEMATHESIS (the CLI), OPENAPI_MAX_TIME (seconds of testing, default 150),
// OPENAPI_MAX_EXAMPLES (per operation, default 20), OPENAPI_SEED, OPENAPI_WORKERS (default 1),
// OPENAPI_ARGS (more schemathesis options, e.g. `--include-path-regex ^/admin/ --report har`),
// OPENAPI_OFFLINE_WEBHOOKS=1 (set by run.sh when outbound traffic cannot be ruled out: the
// operations that add webhook endpoints are then left out, so deliveries only go to loopback).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_TOKEN, migratedD1, startWorker } from '../e2e/harness.mjs';
import { admin, api, createTenant, dash, dashboardToken } from '../e2e/fixtures.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMATHESIS = process.env.SCHEMATHESIS ?? 'schemathesis';
const MAX_TIME = Number(process.env.OPENAPI_MAX_TIME ?? 150);
const MAX_EXAMPLES = Number(process.env.OPENAPI_MAX_EXAMPLES ?? 20);
// One worker: schemathesis's threads can trip CPython 3.11's parser ("AST constructor recursion
// depth mismatch") when hypothesis describes a strategy, a runtime error that is not the API's.
const WORKERS = process.env.OPENAPI_WORKERS ?? '1';
const OFFLINE_WEBHOOKS = process.env.OPENAPI_OFFLINE_WEBHOOKS === '1';
const LIMIT = 1_000_000; // requests per minute: the fuzzer must not meet the rate limits
const say = (s) => console.error(`== ${s}`);

const ok = (res, status, what) => {
  assert.equal(res.status, status, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.data;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function verified(baseUrl, key, recordIds) {
  for (const id of recordIds) {
    await until(`${id} VERIFIED`, async () => {
      const res = await api(baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`);
      return res.body?.data?.status === 'VERIFIED';
    });
  }
}

async function emit(baseUrl, key, deltas) {
  const ids = [];
  for (const d of deltas) ids.push(ok(await api(baseUrl, key, 'POST', '/api/v1/balance/delta', d), 201, 'emit').recordId);
  return ids;
}

const month = (ms) => new Date(ms).toISOString().slice(0, 7);
const now = Date.now();
const t = new Date(now);
// Noon on the 15th of the previous UTC month: the records made then are in a closed period.
const past = Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - 1, 15, 12);
const closedMonth = month(past);

const persistDir = mkdtempSync(join(tmpdir(), 'vericord-openapi-d1-'));
let worker;
const cleanup = async () => {
  await worker?.stop();
  rmSync(persistDir, { recursive: true, force: true });
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

let code = 1;
try {
  await migratedD1(persistDir);

  // -- The closed month: the Worker's clock set back into it. --------------------------------
  say(`seeding ${closedMonth} (a closed month)`);
  worker = await startWorker({ persistDir, vars: { CLOCK_OFFSET_MS: String(past - Date.now()) } });
  let base = worker.baseUrl;
  const direct = await createTenant(base, { name: 'Direct Vendor', kind: 'direct', rateLimitPerMinute: LIMIT });
  const mw = await createTenant(base, { name: 'Billing Middleware', kind: 'middleware', vendors: 2, rateLimitPerMinute: LIMIT });
  const vendor = mw.vendorAccounts[0].id;
  const D = direct.keys.sandbox;
  const M = mw.keys.sandbox;
  const records = [];
  records.push(...await emit(base, D, [
    { customerId: 'cust_1', delta: 100, reason: 'top-up', referenceId: 'ref-1', metadata: { plan: 'pro', seats: 3 } },
    { customerId: 'cust_1', delta: -12.5, reason: 'usage' },
    { customerId: 'cust_1', delta: -0.000000001, reason: 'usage', adjusts: { referenceId: 'ref-1' } },
    { customerId: 'cust_links', delta: 5, reason: 'top-up' },
    { customerId: 'cust_revoke', delta: 5, reason: 'top-up' },
  ]));
  await verified(base, D, records);
  const production = await emit(base, direct.keys.production, [{ customerId: 'cust_1', delta: 7, reason: 'top-up' }]);
  await verified(base, direct.keys.production, production);
  const mwRecords = await emit(base, M, [
    { customerId: 'cust_1', delta: 50, reason: 'top-up', vendorAccountId: vendor },
    { customerId: 'cust_1', delta: -3.25, reason: 'usage', vendorAccountId: vendor },
    { customerId: 'cust_links', delta: 1, reason: 'top-up', vendorAccountId: vendor },
    { customerId: 'cust_revoke', delta: 1, reason: 'top-up', vendorAccountId: vendor },
  ]);
  await verified(base, M, mwRecords);
  await worker.stop();

  // -- Now. ----------------------------------------------------------------------------------
  say('seeding the current month');
  worker = await startWorker({ persistDir, vars: { DASHBOARD_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  base = worker.baseUrl;
  const batch = ok(await api(base, D, 'POST', '/api/v1/balance/delta/batch', {
    deltas: [{ customerId: 'cust_1', delta: 2, reason: 'usage' }, { customerId: 'cust_2', delta: -1, reason: 'usage' }],
  }), 201, 'batch');
  records.push(...batch.results.map((r) => r.recordId));
  await emit(base, M, [{ customerId: 'cust_1', delta: 4, reason: 'usage', vendorAccountId: vendor }]);
  ok(await api(base, D, 'POST', '/api/v1/writes', { items: [{ key: 'seed-1', accountId: 'acct_1', bits: 5 }] }), 202, 'writes');

  const victim = await createTenant(base, { name: 'Victim Middleware', kind: 'middleware', vendors: 1 });
  const victimKey = victim.keys.sandbox.split('.')[0];
  const token = await dashboardToken(base, direct.id, { role: 'admin', userId: 'fuzzer', ttlSeconds: 86_400 });
  const newKey = async (name) => (await admin(base, 'POST', `/admin/tenants/${direct.id}/keys`, { environment: 'sandbox', name })).publicKey;
  const doomedKey = await newKey('doomed'); // revoked by the fuzzer
  const rotatedKey = await newKey('rotated'); // rotated by the fuzzer
  const webhook = await admin(base, 'POST', `/admin/tenants/${direct.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', environment: 'sandbox' });
  // An event with a delivery (to a closed loopback port: it fails, as it should).
  records.push(...await emit(base, D, [{ customerId: 'cust_1', delta: 1, reason: 'usage' }]));
  await verified(base, D, records.slice(-1));
  const eventId = await until('a webhook delivery', async () => {
    const res = await api(base, D, 'GET', '/api/v1/balance/webhooks');
    return res.body?.data?.deliveries?.[0]?.eventId;
  });

  // Shared Record links: the one the public routes read (middleware cust_1, TWO_TIER, with a
  // session) and the ones the management routes change: cust_links's are rotated and changed,
  // cust_revoke's revoked and reissued.
  const link = ok(await api(base, M, 'POST', '/api/v1/middleware/customers/cust_1/access-link', { policy: 'TWO_TIER' }), 201, 'link');
  const handle = link.link.handle;
  const session = ok(await api(base, undefined, 'POST', `/api/v1/c/${handle}/access/verify`, { factor: 'ACCESS_HINT', value: link.accessCode }), 200, 'step-up').session.token;
  ok(await api(base, M, 'POST', '/api/v1/middleware/customers/cust_links/access-link', {}), 201, 'link');
  ok(await dash(base, token, 'POST', '/dashboard/customers/cust_links/access-link', {}), 201, 'link');
  ok(await api(base, M, 'POST', '/api/v1/middleware/customers/cust_revoke/access-link', {}), 201, 'link');
  ok(await dash(base, token, 'POST', '/dashboard/customers/cust_revoke/access-link', {}), 201, 'link');

  // Closed periods (closed on first use) and what names them.
  const dashPeriods = ok(await dash(base, token, 'GET', '/dashboard/customers/cust_1/periods'), 200, 'periods').periods;
  const prodPeriods = ok(await dash(base, token, 'GET', '/dashboard/customers/cust_1/periods', undefined, { environment: 'production' }), 200, 'periods').periods;
  const mwPeriods = ok(await api(base, M, 'GET', '/api/v1/middleware/customers/cust_1/periods'), 200, 'periods').periods;
  const closed = (list) => list.filter((p) => p.status === 'closed' && p.period === closedMonth);
  assert.equal(closed(dashPeriods).length, 1, JSON.stringify(dashPeriods));
  assert.equal(closed(mwPeriods).length, 1, JSON.stringify(mwPeriods));
  const pkg = ok(await dash(base, token, 'POST', '/dashboard/customers/cust_1/verification-package', { period: closedMonth, sampleSize: 2 }), 201, 'package');
  const roots = [...closed(dashPeriods), ...closed(prodPeriods), ...closed(mwPeriods)].map((p) => p.proofRoot);
  roots.push(batch.receiptId);

  // -- schemathesis. -------------------------------------------------------------------------
  const dir = mkdtempSync(join(tmpdir(), 'vericord-openapi-'));
  const q = JSON.stringify; // TOML basic strings take JSON's escapes
  const list = (values) => `[${values.map(q).join(', ')}]`;
  const dictionaries = {
    customers: ['cust_1'],
    linkCustomers: ['cust_links'],
    revokeCustomers: ['cust_revoke'],
    anyLinkCustomers: ['cust_links', 'cust_revoke'],
    handles: [handle],
    roots,
    records: [...records, batch.anchorId, batch.receiptId],
    mwCheckpoints: closed(mwPeriods).map((p) => p.checkpointId),
    dashCheckpoints: [...closed(dashPeriods), ...closed(prodPeriods)].map((p) => p.checkpointId),
    packages: [pkg.packageId],
    vendors: [vendor],
    events: [eventId],
    webhooks: [webhook.id],
    doomedKeys: [doomedKey],
    rotatedKeys: [rotatedKey],
    adminKeys: [victimKey],
    tenants: [victim.id],
    months: [closedMonth],
    sandbox: ['sandbox'],
    blank: [''],
    refs: ['ref-1'],
    maybeMonth: ['', closedMonth],
    maybeVendor: ['', vendor],
    maybeCheckpoint: ['', '', ...[...closed(dashPeriods), ...closed(prodPeriods)].map((p) => p.checkpointId)],
    mwSides: [closedMonth, ...closed(mwPeriods).map((p) => p.checkpointId)],
  };
  // Real ids most of the time, the fuzzer's own the rest. An operation that a block of
  // [[operations]] matches takes that block's parameters instead of the global ones, so each
  // block repeats them, and the blocks' path patterns never overlap.
  const bind = ([dictionary, p = 0.9]) => `{ dictionary = ${q(dictionary)}, probability = ${p} }`;
  const globals = {
    'path.customerId': ['customers'],
    'path.handle': ['handles'],
    'path.proofRoot': ['roots'],
    'path.packageId': ['packages'],
    'path.vendorId': ['vendors'],
    'path.externalCustomerId': ['customers'],
    'path.eventId': ['events'],
    'path.webhookId': ['webhooks'],
    // Optional filters left out (blank is absent) more often than the fuzzer would: most
    // combinations of them are refused, and the routes' answers are what is tested.
    'query.vendorAccountId': ['blank'],
    'query.startDate': ['blank', 0.7],
    'query.endDate': ['blank', 0.7],
    'query.startingCheckpoint': ['maybeCheckpoint', 0.8],
    'query.period': ['maybeMonth', 0.7],
    'query.checkpointId': ['blank', 0.7],
  };
  const table = (bindings) => `{ ${Object.entries(bindings).map(([k, v]) => `${q(k)} = ${bind(v)}`).join(', ')} }`;
  const middleware = {
    'path.checkpointId': ['mwCheckpoints'], 'query.vendorAccountId': ['maybeVendor', 0.8],
    'body.from': ['mwSides', 0.7], 'body.to': ['mwSides', 0.7], 'body.vendorAccountId': ['vendors', 0.7],
  };
  const dashboard = {
    'header.X-Environment': ['sandbox', 0.8],
    'path.checkpointId': ['dashCheckpoints'], 'body.period': ['months', 0.5],
  };
  // [path pattern, methods (all when absent), parameters]
  const special = '(?!.*(/access-link|/live$))(?!api-keys/\\{)';
  const operations = [
    ['^/api/v1/middleware/customers/\\{customerId\\}/(access-link/rotate-code|live)$', null, { ...middleware, 'path.customerId': ['linkCustomers'] }],
    ['^/api/v1/middleware/customers/\\{customerId\\}/access-link/(revoke|reissue)$', null, { ...middleware, 'path.customerId': ['revokeCustomers'] }],
    ['^/api/v1/middleware/customers/\\{customerId\\}/access-link$', null, { ...middleware, 'path.customerId': ['anyLinkCustomers'] }],
    ['^/api/v1/middleware/(?!.*(/access-link|/live$))', null, middleware],
    ['^/dashboard/customers/\\{customerId\\}/(access-link/rotate-code|live)$', null, { ...dashboard, 'path.customerId': ['linkCustomers'] }],
    ['^/dashboard/customers/\\{customerId\\}/access-link/(revoke|reissue)$', null, { ...dashboard, 'path.customerId': ['revokeCustomers'] }],
    ['^/dashboard/customers/\\{customerId\\}/access-link$', null, { ...dashboard, 'path.customerId': ['anyLinkCustomers'] }],
    ['^/dashboard/api-keys/\\{publicId\\}(/rotate)?$', ['GET', 'POST'], { ...dashboard, 'path.publicId': ['rotatedKeys'] }],
    ['^/dashboard/api-keys/\\{publicId\\}(/revoke)?$', ['DELETE', 'POST'], { ...dashboard, 'path.publicId': ['doomedKeys'] }],
    [`^/dashboard/${special}`, null, dashboard],
    ['^/api/v1/c/', null, { 'path.checkpointId': ['mwCheckpoints'], 'body.from': ['mwSides', 0.7], 'body.to': ['mwSides', 0.7] }],
    ['^/admin/', null, { 'path.id': ['tenants'], 'path.publicId': ['adminKeys'] }],
    ['^/api/v1/balance/', null, {
      'path.id': ['records'], 'body.customerId': ['customers', 0.7], 'body.period': ['maybeMonth', 0.3],
      'body.startingCheckpoint': ['dashCheckpoints', 0.3], 'body.adjusts.referenceId': ['refs', 0.8], 'body.adjusts.recordId': ['records', 0.8],
      'body.deltas[*].customerId': ['customers', 0.5],
    }],
  ];
  const config = [
    ...Object.entries(dictionaries).map(([name, values]) => `[dictionaries.${name}]\nvalues = ${list(values)}\n`),
    '[parameters]',
    ...Object.entries(globals).map(([k, v]) => `${q(k)} = ${bind(v)}`),
    '',
    // The ids above, not ones read from earlier responses (which name other tenants' and
    // customers' objects as often as not).
    ...['examples', 'coverage', 'fuzzing'].map((phase) => `[phases.${phase}.extra-data-sources]\nresponses = false\n`),
    '[phases.examples]', 'fill-missing = true', '',
    '[auth.openapi.ApiKey]', `api_key = ${q(D)}`,
    '[auth.openapi.MiddlewareApiKey]', `api_key = ${q(M)}`,
    '[auth.openapi.DashboardToken]', `bearer = ${q(token)}`,
    '[auth.openapi.AdminToken]', `bearer = ${q(ADMIN_TOKEN)}`,
    '[auth.openapi.AccessSession]', `api_key = ${q(session)}`,
    '',
    ...operations.map(([re, methods, own]) => [
      '[[operations]]',
      `include-path-regex = ${q(re)}`,
      ...(methods ? [`include-method = ${list(methods)}`] : []),
      `parameters = ${table({ ...globals, ...own })}`,
      '',
    ].join('\n')),
  ].join('\n');
  // The document as the Worker serves it (a static asset): the same bytes as www/openapi.json,
  // as JSON, readable from any origin. Its examples' months become the closed one seeded here.
  const served = await fetch(`${base}/openapi.json`);
  assert.equal(served.status, 200, 'GET /openapi.json');
  assert.match(served.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(served.headers.get('access-control-allow-origin'), '*');
  const text = await served.text();
  assert.equal(text, readFileSync(join(ROOT, 'www/openapi.json'), 'utf8'), '/openapi.json is www/openapi.json');
  const doc = JSON.parse(text, (_, v) => (typeof v === 'string' && /^[0-9]{4}-[0-9]{2}$/.test(v) ? closedMonth : v));
  // Each path parameter's (and X-Environment's) example is the first id its binding names, so
  // the examples phase calls every operation once on objects that exist.
  const bindingsFor = (route, method) => {
    const hit = operations.find(([re, methods]) => new RegExp(re).test(route) && (!methods || methods.includes(method)));
    return { ...globals, ...(hit?.[2] ?? {}) };
  };
  for (const [route, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const bound = bindingsFor(route, method.toUpperCase());
      operation.parameters = operation.parameters?.map((p) => {
        const param = p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p;
        const binding = bound[`${param.in}.${param.name}`];
        return ['path', 'header'].includes(param.in) && binding ? { ...param, example: dictionaries[binding[0]][0] } : p;
      });
    }
  }
  // The step-up with the right code (a session more), before the fuzzer locks the link.
  doc.paths['/api/v1/c/{handle}/access/verify'].post.requestBody.content['application/json'].example = { factor: 'ACCESS_HINT', value: link.accessCode };
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));

  writeFileSync(join(dir, 'schemathesis.toml'), config);
  if (process.env.OPENAPI_SHOW_CONFIG) console.error(config);

  const checks = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
  const args = [
    '--config-file', join(dir, 'schemathesis.toml'),
    'run', join(dir, 'openapi.json'),
    '--url', base,
    '--checks', checks.join(','),
    '--phases', 'examples,coverage,fuzzing',
    '--max-examples', String(MAX_EXAMPLES),
    '--max-time', String(MAX_TIME),
    '--workers', WORKERS,
    '--request-timeout', '30',
    '--generation-database', 'none',
    '--suppress-health-check', 'all',
    '--report', 'junit',
    '--report-dir', join(ROOT, 'target/openapi'),
    ...(process.env.OPENAPI_SEED ? ['--seed', process.env.OPENAPI_SEED] : []),
    ...(OFFLINE_WEBHOOKS ? ['--exclude-operation-id', 'dashboardCreateWebhook', '--exclude-operation-id', 'adminCreateWebhook'] : []),
    '--no-color',
    ...(process.env.OPENAPI_ARGS ?? '').split(' ').filter(Boolean),
  ];
  say(`schemathesis (${checks.join(', ')}; at most ${MAX_EXAMPLES} examples an operation, ${MAX_TIME} s)`);
  const started = Date.now();
  code = await new Promise((done) => {
    const child = spawn(SCHEMATHESIS, args, { cwd: dir, stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_HOOKS: '' } });
    child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
    child.on('error', (e) => { console.error(e); done(1); });
  });
  say(`schemathesis exited ${code} after ${Math.round((Date.now() - started) / 1000)} s`);
  rmSync(dir, { recursive: true, force: true });
} catch (e) {
  console.error(e);
  if (worker) console.error(worker.log().slice(-4000));
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
