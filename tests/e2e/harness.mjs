// Starts the built Worker under a real `wrangler dev` on a fresh local D1 and a
// free loopback port, and stops it (the whole process group) afterwards.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { TEST_KEY } from './keys.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const ENV = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

// wrangler dev's proxy → Worker hop can lose a request written on a pooled connection at the
// moment both ends' 5 s keep-alive timers close it (cloudflare/workers-sdk#14641, a dev-server
// defect; the Worker never sees the request). The proxy then answers a non-GET with this 503, and
// parks a GET until the proxy's next request arrives, so a lone client waits forever. The test
// client (every e2e file and bench imports this module) replays such a 503 once, saying so on
// stderr, and pokes /health every 2 s while a request is pending, which releases a parked GET.
const DEV_PROXY_DROP = 'Your worker restarted mid-request.';
const devFetch = globalThis.fetch;
const replayable = (init) => init?.body === undefined || typeof init.body === 'string' || init.body instanceof Uint8Array;
const poke = (origin) => devFetch(`${origin}/health`).then((r) => r.body?.cancel(), () => {});
globalThis.fetch = async (input, init) => {
  const { origin } = new URL(input instanceof Request ? input.url : String(input));
  const poker = setInterval(() => poke(origin), 2_000);
  try {
    const res = await devFetch(input, init);
    if (res.status !== 503 || !replayable(init)) return res;
    const text = await res.clone().text();
    if (!text.startsWith(DEV_PROXY_DROP)) return res;
    console.error(`# replaying ${init?.method ?? 'GET'} ${input}: the dev proxy dropped it`);
    return await devFetch(input, init);
  } finally {
    clearInterval(poker);
  }
};

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// Async, like every child of a test client: a synchronous one freezes the keep-alive timers of
// the pooled sockets (see tests/e2e/tools.mjs).
export async function applyMigrations(persistDir) {
  await promisify(execFile)(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
    cwd: ROOT, env: ENV, timeout: 60_000,
  });
}

/**
 * Starts a Worker. `persistDir` reuses a D1 (for restart tests); `vars` become `--var K:V`;
 * `ready(res)` says when the /health answer means it is up (a 200 unless told otherwise).
 * `ADMIN_TOKEN` defaults to the exported test token.
 * Returns { baseUrl, persistDir, stop(signal), log(), pid } (pid: the process group's leader).
 */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export async function startWorker({ persistDir, vars = {}, timeoutMs = 30_000, ready = (res) => res.ok } = {}) {
  // The tests' webhook receivers listen on loopback over plain http: allowed only with this flag.
  vars = { ADMIN_TOKEN, CHECKPOINT_SIGNING_KEY: TEST_KEY.privateKey, ALLOW_INSECURE_WEBHOOKS: '1', ...vars };
  const fresh = !persistDir;
  persistDir ??= mkdtempSync(join(tmpdir(), 'vericord-d1-'));
  if (fresh) await applyMigrations(persistDir);
  const port = await freePort();
  // --test-scheduled: GET /__scheduled runs the Worker's cron handler. (Miniflare's own
  // /cdn-cgi/handler/scheduled reaches the static-assets router instead, which has none.)
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', persistDir, '--test-scheduled', '--log-level', process.env.VERICORD_WRANGLER_LOG ?? 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // With VERICORD_E2E_LOGS set (scripts/test does), the Worker's own output also goes to a file
  // there, so a failure in CI can be read against what the runtime printed.
  const logDir = process.env.VERICORD_E2E_LOGS;
  let logFile;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    logFile = createWriteStream(join(logDir, `${basename(process.argv[1] ?? 'worker')}-${port}.log`));
  }
  const onOutput = (d) => { output += d; logFile?.write(d); };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const exited = new Promise((ok) => child.once('exit', ok));
  // The group is detached so that stop() can kill it whole; if this process ends without
  // stop() (a test file that throws or times out), take the group down too rather than leave
  // a workerd running.
  const orphanGuard = () => {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  process.once('exit', orphanGuard);
  void exited.then(() => {
    logFile?.end();
    process.removeListener('exit', orphanGuard);
  });
  const baseUrl = `http://127.0.0.1:${port}`;

  const stop = async (signal = 'SIGTERM') => {
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5_000))]);
    if (fresh && signal !== 'SIGKILL') rmSync(persistDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (ready(res)) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`wrangler dev not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { baseUrl, persistDir, stop, log: () => output, pid: child.pid };
}
