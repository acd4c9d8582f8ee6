#!/usr/bin/env node
// The keep-alive experiment (issue 13 §4): one client sends a request every 4.95–5.05 s — where
// the 5 s idle timers of pooled connections run out — alternating a read and a write (each write
// with its own Idempotency-Key, never retried). A request is *lost* when it gets no answer or a
// 5xx, *parked* when no answer comes within 15 s. At the end every acknowledged write must be in
// the log exactly once.
//
//   node tests/keepalive/run.mjs [--seconds 300] [--runtime serve|direct|wrangler]… [--client fetch|raw]…
//
// Runtimes: serve (the default) is the local Worker of scripts/dev and the tests
// (scripts/serve.mjs); direct is the same workerd with clients on its own socket
// (serve.mjs --direct), wrangler is `wrangler dev`, both measured beside it for comparison.
// Clients: fetch (the default) is Node's fetch with its default connection pool (idle sockets
// dropped after 4 s); raw keeps one socket and reuses it for as long as it is open, as a client
// that ignores idle timeouts would (Python's urllib3, under the SDK, keeps idle connections
// until the server closes them). Exits 1 when serve lost or parked anything with either
// client; the other runtimes are reported, not enforced (wrangler's proxy is the known defect;
// workerd's socket closes idle connections at 5 s unannounced, under a raw client's request).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Agent } from 'undici';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startWorker, migratedD1, freePort, ADMIN_TOKEN } from '../e2e/harness.mjs';
import { createTenant } from '../e2e/fixtures.mjs';
import { TEST_KEY } from '../e2e/keys.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    runtime: { type: 'string', multiple: true, default: ['serve'] },
    client: { type: 'string', multiple: true, default: ['fetch'] },
  },
});
const seconds = Number(opts.seconds);
const PARKED_MS = 15_000;
// fetch's default pool, spelled out: each experiment measures what a plain client meets.
const defaultPool = new Agent();
process.once('SIGTERM', () => process.exit(143)); // runs the harness's exit hook: no orphan Worker

/** fetch through Node's default pool: resolves to {status, text}. */
async function viaFetch(url, init) {
  const res = await fetch(url, { ...init, dispatcher: defaultPool, signal: AbortSignal.timeout(PARKED_MS) });
  return { status: res.status, text: await res.text() };
}

/** A client on one socket, reused while it is open (HTTP/1.1, Content-Length or chunked answers). */
function rawClient(baseUrl) {
  const { hostname, port } = new URL(baseUrl);
  let sock;
  return async (url, { method = 'GET', headers = {}, body = '' } = {}) => {
    if (!sock || sock.destroyed || sock.readyState !== 'open') {
      sock = connect(Number(port), hostname);
      sock.on('error', () => {});
      await new Promise((ok, fail) => { sock.once('connect', ok); sock.once('close', () => fail(new Error('connect failed'))); });
    }
    const s = sock;
    const { pathname, search } = new URL(url);
    const head = [`${method} ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, `Content-Length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return new Promise((ok, fail) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => { done(); s.destroy(); fail(Object.assign(new Error('parked'), { name: 'TimeoutError' })); }, PARKED_MS);
      const done = () => { clearTimeout(timer); s.off('data', onData); s.off('close', onClose); };
      const onClose = () => { done(); fail(Object.assign(new Error('connection closed before an answer'), { cause: { code: 'ECONNRESET' } })); };
      const onData = (d) => {
        buf = Buffer.concat([buf, d]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const header = buf.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length: *(\d+)/i.exec(header);
        const rest = buf.subarray(end + 4);
        const complete = length ? rest.length >= Number(length[1]) : rest.includes('0\r\n\r\n');
        if (!complete) return;
        done();
        ok({ status: Number(header.split(' ')[1]), text: rest.toString('utf8') });
      };
      s.on('data', onData);
      s.on('close', onClose);
      s.write(`${head.join('\r\n')}\r\n\r\n${body}`);
    });
  };
}

/** `wrangler dev` on a migrated D1, the way the tests ran before scripts/serve.mjs. */
async function startWranglerDev() {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-keepalive-'));
  await migratedD1(persistDir);
  const port = await freePort();
  const vars = { ADMIN_TOKEN, CHECKPOINT_SIGNING_KEY: TEST_KEY.privateKey };
  // An inspector port of its own: experiments run side by side.
  const args = ['dev', '--port', String(port), '--inspector-port', String(await freePort()), '--ip', '127.0.0.1', '--persist-to', persistDir, '--log-level', 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT, detached: true, stdio: 'ignore', env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${baseUrl}/health`)).ok) break; } catch { /* not up */ }
    if (i > 300) throw new Error('wrangler dev did not start');
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const stop = async () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((ok) => setTimeout(ok, 1000));
    rmSync(persistDir, { recursive: true, force: true });
  };
  return { baseUrl, stop };
}

async function experiment(runtime, client) {
  const w = runtime === 'wrangler' ? await startWranglerDev() : await startWorker({ direct: runtime === 'direct' });
  try {
    const tenant = await createTenant(w.baseUrl, { name: 'Keep-alive', rateLimitPerMinute: 100_000 });
    const key = tenant.keys.sandbox;
    const customer = `keepalive-${Date.now()}`;
    const send = client === 'raw' ? rawClient(w.baseUrl) : viaFetch;
    const result = { runtime, client, seconds, sent: 0, answered: 0, lost: 0, parked: 0, writesAcknowledged: 0, recordsInLog: 0, failures: [] };
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      await new Promise((ok) => setTimeout(ok, 4950 + Math.random() * 100));
      const write = result.sent % 2 === 1;
      const n = result.sent++;
      const init = write
        ? { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'idempotency-key': `ka-${n}` }, body: JSON.stringify({ customerId: customer, delta: 1, reason: 'keepalive', referenceId: `ka-${n}` }) }
        : { headers: { 'x-api-key': key } };
      const path = write ? '/api/v1/balance/delta' : `/api/v1/balance/customers?limit=1`;
      const started = Date.now();
      try {
        const res = await send(`${w.baseUrl}${path}`, init);
        const { text } = res;
        if (res.status >= 500) {
          result.lost++;
          result.failures.push(`#${n} ${path} → ${res.status} ${text.slice(0, 80)}`);
        } else {
          result.answered++;
          if (write && res.status < 300) result.writesAcknowledged++;
          else if (res.status >= 300) result.failures.push(`#${n} ${path} → ${res.status} ${text.slice(0, 120)} (the experiment's own error)`);
        }
      } catch (e) {
        const parked = e.name === 'TimeoutError';
        if (parked) result.parked++; else result.lost++;
        result.failures.push(`#${n} ${path} → ${parked ? `no answer in ${PARKED_MS} ms` : `${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`} after ${Date.now() - started} ms`);
      }
    }
    const res = await fetch(`${w.baseUrl}/api/v1/balance/customers/${customer}`, { headers: { 'x-api-key': key } });
    result.recordsInLog = res.ok ? (await res.json()).data.totalDeltas : 0;
    return result;
  } finally {
    await w.stop();
  }
}

// Every runtime × client at once, each on its own Worker and D1: a request per 5 s each is no
// load, and the experiment takes its --seconds once, not once per pair.
const pairs = opts.runtime.flatMap((runtime) => opts.client.map((client) => [runtime, client]));
const results = await Promise.all(pairs.map(([runtime, client]) => experiment(runtime, client)));
let failed = false;
for (const r of results) {
  console.log(JSON.stringify(r));
  const wrote = r.sent >= 2 && r.writesAcknowledged === Math.floor(r.sent / 2);
  if (r.runtime === 'serve' && (r.lost || r.parked || !wrote || r.recordsInLog !== r.writesAcknowledged)) failed = true;
}
process.exit(failed ? 1 : 0);
