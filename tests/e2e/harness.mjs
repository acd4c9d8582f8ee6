// Starts the built Worker on workerd (scripts/serve.mjs: Miniflare's Node API, the bindings of
// wrangler.toml, no dev proxy) on a fresh local D1 and a loopback port workerd picks itself, and
// stops it (the whole process group) afterwards.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { TEST_KEY } from './keys.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const SERVE = join(ROOT, 'scripts/serve.mjs');
const ENV = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

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

// wrangler's own `d1 migrations apply` takes ~4 s; it runs once per set of migrations into a
// template (shared by every test process, named by the migrations' hash), and each fresh D1 is a
// copy of it.
const MIGRATIONS = join(ROOT, 'worker/migrations');
async function migratedTemplate() {
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS).sort()) hash.update(`${f}\0`).update(readFileSync(join(MIGRATIONS, f)));
  const dir = join(tmpdir(), `vericord-d1-template-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const building = mkdtempSync(`${dir}-`);
  await applyMigrations(building);
  writeFileSync(join(building, '.complete'), '');
  try { renameSync(building, dir); } catch { rmSync(building, { recursive: true, force: true }); /* another process made it */ }
  return dir;
}

/** Fills `persistDir` with a local D1 on which every migration is applied. */
export async function migratedD1(persistDir) {
  cpSync(await migratedTemplate(), persistDir, { recursive: true, filter: (src) => !src.endsWith('.complete') });
}

/**
 * Starts a Worker. `persistDir` reuses a D1 (for restart tests); `vars` become `--var K:V`;
 * `ready(res)` says when the /health answer means it is up (a 200 unless told otherwise).
 * `ADMIN_TOKEN` defaults to the exported test token.
 * Returns { baseUrl, persistDir, stop(signal), scheduled(cron), log(), pid } (pid: the process
 * group's leader).
 */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export async function startWorker({ persistDir, vars = {}, timeoutMs = 30_000, ready = (res) => res.ok, direct = false } = {}) {
  // The tests' webhook receivers listen on loopback over plain http: allowed only with this flag.
  vars = { ADMIN_TOKEN, CHECKPOINT_SIGNING_KEY: TEST_KEY.privateKey, ALLOW_INSECURE_WEBHOOKS: '1', ...vars };
  const fresh = !persistDir;
  persistDir ??= mkdtempSync(join(tmpdir(), 'vericord-d1-'));
  if (fresh) await migratedD1(persistDir);
  // --port 0: workerd binds a free port itself and serve.mjs prints it, so no two servers can
  // race for a port chosen beforehand.
  const args = [SERVE, '--port', '0', '--ip', '127.0.0.1', '--persist-to', persistDir, '--log-level', process.env.VERICORD_WORKER_LOG ?? 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  if (direct) args.push('--direct'); // workerd's own socket, no front (the keep-alive experiment)
  const child = spawn(process.execPath, args, { cwd: ROOT, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  // With VERICORD_E2E_LOGS set (scripts/test does), the Worker's own output also goes to a file
  // there, so a failure in CI can be read against what the runtime printed.
  const logDir = process.env.VERICORD_E2E_LOGS;
  let logFile;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    logFile = createWriteStream(join(logDir, `${basename(process.argv[1] ?? 'worker')}-${child.pid}.log`));
  }
  let announced;
  const origin = new Promise((ok) => { announced = ok; });
  const onOutput = (d) => {
    output += d;
    logFile?.write(d);
    const m = /^ready (http:\/\/\S+)$/m.exec(output);
    if (m) announced(m[1]);
  };
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
  // The IPC channel must not keep this process alive on its own.
  child.channel?.unref();
  const pending = new Map();
  let nextId = 0;
  child.on('message', ({ id, outcome, error }) => {
    const p = pending.get(id);
    pending.delete(id);
    if (error) p?.fail(new Error(error)); else p?.ok(outcome);
  });
  void exited.then(() => {
    logFile?.end();
    process.removeListener('exit', orphanGuard);
    for (const p of pending.values()) p.fail(new Error('the Worker exited'));
    pending.clear();
  });

  const stop = async (signal = 'SIGTERM') => {
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5_000))]);
    if (fresh && signal !== 'SIGKILL') rmSync(persistDir, { recursive: true, force: true });
  };
  // Runs the Worker's cron handler once, as Cloudflare's scheduler would; resolves to its
  // outcome ('ok' or 'exception').
  const scheduled = (cron = '* * * * *') => new Promise((ok, fail) => {
    const id = nextId++;
    pending.set(id, { ok, fail });
    try { child.send({ id, scheduled: cron }); } catch (e) { pending.delete(id); fail(e); }
  });

  const failed = (why) => new Error(`the Worker ${why}:\n${output}`);
  const deadline = Date.now() + timeoutMs;
  const timer = (ms) => new Promise((ok) => setTimeout(ok, ms).unref());
  const baseUrl = await Promise.race([origin, exited.then(() => null), timer(timeoutMs).then(() => undefined)]);
  if (baseUrl === null) throw failed('exited early');
  if (baseUrl === undefined) {
    await stop('SIGKILL');
    throw failed(`did not start in ${timeoutMs} ms`);
  }
  for (;;) {
    if (child.exitCode !== null) throw failed('exited early');
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (ready(res)) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw failed(`was not ready after ${timeoutMs} ms`);
    }
    await timer(100);
  }
  return { baseUrl, persistDir, stop, scheduled, log: () => output, pid: child.pid };
}
