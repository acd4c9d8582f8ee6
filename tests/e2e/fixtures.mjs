// Tenants, keys and vendor accounts created through the real admin routes, and
// shared helpers for the end-to-end suites (row counts, error assertions, hashes).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ADMIN_TOKEN } from './harness.mjs';

/** A request that hangs fails the test in a minute instead of stalling the whole file. */
const REQUEST_TIMEOUT_MS = 60_000;

/** fetch, but a failure names the request and the socket's own error (undici hides it in `cause`). */
async function send(url, init) {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = e.cause ? ` (${e.cause.code ?? e.cause.name}: ${e.cause.message})` : '';
    throw new Error(`${init.method ?? 'GET'} ${url}: ${e.message}${cause}`, { cause: e });
  }
}

export async function admin(baseUrl, method, path, body) {
  const res = await send(`${baseUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** A tenant with one key per environment (and vendor accounts for middleware tenants). */
export async function createTenant(baseUrl, { name = 'Test Tenant', kind = 'direct', monthlyAllowance, rateLimitPerMinute, vendors = 0 } = {}) {
  const tenant = await admin(baseUrl, 'POST', '/admin/tenants', { name, kind, ...(monthlyAllowance !== undefined && { monthlyAllowance }) });
  const keyBody = (environment) => ({ environment, ...(rateLimitPerMinute !== undefined && { rateLimitPerMinute }) });
  const sandbox = await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/keys`, keyBody('sandbox'));
  const production = await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/keys`, keyBody('production'));
  const vendorAccounts = [];
  for (let i = 0; i < vendors; i++) {
    vendorAccounts.push(await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/vendor-accounts`, { displayName: `Vendor ${i + 1}` }));
  }
  return { id: tenant.id, name, kind, keys: { sandbox: sandbox.fullKey, production: production.fullKey }, vendorAccounts };
}

/** fetch with an API key; returns { status, headers, body }. */
export async function api(baseUrl, key, method, path, body, headers = {}) {
  const res = await send(`${baseUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { ...(key && { 'x-api-key': key }), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json };
}

/** A dashboard token for a user of a tenant, minted by the admin route. */
export async function dashboardToken(baseUrl, tenantId, { role = 'admin', userId = 'user_1', ttlSeconds } = {}) {
  const data = await admin(baseUrl, 'POST', `/admin/tenants/${tenantId}/dashboard-tokens`, { role, userId, ...(ttlSeconds !== undefined && { ttlSeconds }) });
  return data.token;
}

/** A dashboard request (Bearer token, X-Environment, default sandbox); returns { status, headers, body }. */
export function dash(baseUrl, token, method, path, body, { environment = 'sandbox', headers = {} } = {}) {
  return api(baseUrl, undefined, method, path, body, {
    ...(token && { authorization: `Bearer ${token}` }),
    ...(environment && { 'x-environment': environment }),
    ...headers,
  });
}

// ---------------------------------------------------------------------------
// Shared helpers for the end-to-end suites.

const ROOT = resolve(import.meta.dirname, '../..');
const execFileP = promisify(execFile);
const D1_ENV = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/**
 * Runs SQL on the Worker's local D1 while it runs (`wrangler d1 execute --local`),
 * returning the rows of the last statement. Reads see what the Worker committed.
 */
export async function d1(persistDir, sql) {
  // The running workerd holds the same SQLite file, and this second process opens it with no
  // busy timeout: while the Worker is mid-write (a sequencer pass in waitUntil, the cron) the
  // statement fails with SQLITE_BUSY before doing anything, so it is safe to run again.
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await execFileP(
        `${ROOT}/node_modules/.bin/wrangler`,
        ['d1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--json', '--command', sql],
        { cwd: ROOT, env: D1_ENV, timeout: 60_000, maxBuffer: 16 << 20 },
      );
      const out = JSON.parse(stdout);
      return out[out.length - 1].results;
    } catch (e) {
      if (attempt >= 10 || !/SQLITE_BUSY|database is locked/.test(`${e.stderr ?? ''}${e.message ?? ''}`)) throw e;
      await new Promise((ok) => setTimeout(ok, 200 * attempt));
    }
  }
}

/** The tables a request could write to (rate_windows excluded: every authenticated request counts there). */
export const DATA_TABLES = ['tenants', 'api_keys', 'vendor_accounts', 'usage', 'idempotency', 'logs', 'tiles', 'submissions', 'records', 'webhook_endpoints', 'access_links', 'link_signals', 'verification_packages'];

/** Row counts of every data table, plus the sum of usage.used, in one wrangler call. */
export async function rowCounts(persistDir) {
  const cols = DATA_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(', ');
  const [row] = await d1(persistDir, `SELECT ${cols}, (SELECT COALESCE(SUM(used), 0) FROM usage) AS used_sum`);
  return row;
}

/** Runs `fn` and asserts no data table changed (the "a 4xx writes nothing" rule). */
export async function assertNothingWritten(worker, fn) {
  const before = await rowCounts(worker.persistDir);
  const result = await fn();
  const after = await rowCounts(worker.persistDir);
  assert.deepEqual(after, before, 'row counts changed');
  return result;
}

/** Asserts an error envelope: status, error.code and (when given, `null` = absent) error.field. */
export function assertError(res, status, code, field, context = '') {
  const where = `${context}${context && ': '}${status} ${code} ${field ?? ''} ← ${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body).slice(0, 400)}`;
  assert.equal(res.status, status, where);
  assert.equal(typeof res.body, 'object', where);
  assert.equal(res.body.success, false, where);
  assert.equal(res.body.statusCode, status, where);
  assert.equal(res.body.error?.code, code, where);
  assert.equal(typeof res.body.error.message, 'string', where);
  if (field === null) assert.equal(res.body.error.field, undefined, where);
  else if (field !== undefined) assert.equal(res.body.error.field, field, where);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, where);
}

/** Asserts `{success: true, data}` with `status` and returns data. */
export function assertOk(res, status) {
  assert.equal(res.status, status, `${status} ← ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  assert.equal(res.body.success, true);
  assert.ok(res.body.data && typeof res.body.data === 'object');
  return res.body.data;
}

/** fetch with an API key and a raw (string / Buffer) body; returns { status, headers, body, text }. */
export async function raw(baseUrl, key, method, path, body, headers = {}) {
  const res = await send(`${baseUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { ...(key && { 'x-api-key': key }), 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json, text };
}

// --- hashing, as docs/SPEC.md specifies it -------------------------------------------------

export const hex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');
export const unhex = (h) => Buffer.from(h.replace(/^0x/, ''), 'hex');
const enc = new TextEncoder();

/** RFC 8785 JCS of a JSON value parsed by JSON.parse (ECMAScript number formatting, UTF-16 key order). */
export function jcs(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${jcs(value[k])}`).join(',')}}`;
}

/** keccak256(tag ‖ 0x00 ‖ payload). */
export function taggedHash(tag, payload) {
  const p = typeof payload === 'string' ? enc.encode(payload) : payload;
  return hex(keccak256(Buffer.concat([Buffer.from(tag, 'ascii'), Buffer.from([0]), Buffer.from(p)])));
}

/** itemHash = H("vericord:item:v1", JCS(item)). */
export const itemHash = (item) => taggedHash('vericord:item:v1', jcs(item));

/** RFC 9162 tree shape with sorted-pair keccak256 nodes; leaves are not re-hashed; empty = 32 zero bytes. */
export function merkleRoot(leaves) {
  const node = (a, b) => {
    const [x, y] = Buffer.compare(unhex(a), unhex(b)) <= 0 ? [a, b] : [b, a];
    return hex(keccak256(Buffer.concat([unhex(x), unhex(y)])));
  };
  const mth = (d) => {
    if (d.length === 0) return '0x' + '00'.repeat(32);
    if (d.length === 1) return d[0].toLowerCase();
    let k = 1;
    while (k * 2 < d.length) k *= 2;
    return node(mth(d.slice(0, k)), mth(d.slice(k)));
  };
  return mth(leaves);
}

function eip55(addrHex) {
  const lower = addrHex.toLowerCase();
  const h = Buffer.from(keccak256(enc.encode(lower))).toString('hex');
  return '0x' + [...lower].map((c, i) => (/[a-f]/.test(c) && parseInt(h[i], 16) >= 8 ? c.toUpperCase() : c)).join('');
}

/** customerReference / accountReference and customerPartition (docs/SPEC.md §4). */
export function subjectReference(kind, ownerId, environment, id) {
  const digest = unhex(taggedHash(`vericord:${kind}:v1`, Buffer.concat([enc.encode(ownerId), Buffer.from([0]), enc.encode(environment), Buffer.from([0]), enc.encode(id)])));
  return { reference: eip55(digest.subarray(12).toString('hex')), partition: String(digest.readUInt32BE(0)) };
}

/** The request digest the Worker stores for an Idempotency-Key: sha256(route ‖ 0x00 ‖ body). */
export const requestDigest = (route, body) => createHash('sha256').update(route).update(Buffer.from([0])).update(body).digest('hex');

/** SQL string literal. */
export const sql = (s) => `'${String(s).replaceAll("'", "''")}'`;

// --- API shortcuts ------------------------------------------------------------------------

export const emit = (baseUrl, key, body, headers) => api(baseUrl, key, 'POST', '/api/v1/balance/delta', body, headers);
export const batch = (baseUrl, key, body, headers) => api(baseUrl, key, 'POST', '/api/v1/balance/delta/batch', body, headers);
export const writes = (baseUrl, key, body, headers) => api(baseUrl, key, 'POST', '/api/v1/writes', body, headers);
export const get = (baseUrl, key, path) => api(baseUrl, key, 'GET', path);

/** usage.used for a key's tenant and environment (the API-visible record count). */
export async function used(baseUrl, key) {
  const res = await get(baseUrl, key, '/api/v1/balance/usage');
  assert.equal(res.status, 200);
  return res.body.data.used;
}

/** A unique id suffix. */
let seq = 0;
export const uid = (prefix = 'x') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

/** Every truncation of `base` and `n` seeded random byte-level mutations of it, for "never a 5xx" checks. */
export function mutations(base, n = 300, seed = 0x9e3779b9) {
  let rng = seed >>> 0;
  const rand = (k) => { rng ^= rng << 13; rng >>>= 0; rng ^= rng >>> 17; rng ^= rng << 5; rng >>>= 0; return rng % k; };
  const alphabet = ['{', '}', '[', ']', '"', ':', ',', '\\', '0', '-', 'e', '.', 'n', ' ', '\u0000', '\uffff', '😀', '1e999', '"a"', 'null', '\\u0000', '\\ud800'];
  const out = [];
  for (let i = 0; i < base.length; i++) out.push(base.slice(0, i));
  for (let i = 0; i < n; i++) {
    const at = rand(base.length);
    const piece = alphabet[rand(alphabet.length)];
    const op = rand(3);
    out.push(op === 0 ? base.slice(0, at) + piece + base.slice(at) : op === 1 ? base.slice(0, at) + base.slice(at + 1) : base.slice(0, at) + piece + base.slice(at + 1));
  }
  return out;
}
