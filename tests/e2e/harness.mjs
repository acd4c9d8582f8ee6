// Starts the built Worker under a real `wrangler dev` on a fresh local D1 and a
// free loopback port, and stops it (the whole process group) afterwards.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_KEY } from './keys.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
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

export function applyMigrations(persistDir) {
  execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
    cwd: ROOT, env: ENV, stdio: 'pipe', timeout: 60_000,
  });
}

/**
 * Starts a Worker. `persistDir` reuses a D1 (for restart tests); `vars` become `--var K:V`.
 * `ADMIN_TOKEN` defaults to the exported test token.
 * Returns { baseUrl, persistDir, stop(signal), log() }.
 */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export async function startWorker({ persistDir, vars = {}, timeoutMs = 30_000 } = {}) {
  vars = { ADMIN_TOKEN, CHECKPOINT_SIGNING_KEY: TEST_KEY.privateKey, ...vars };
  const fresh = !persistDir;
  persistDir ??= mkdtempSync(join(tmpdir(), 'vericord-d1-'));
  if (fresh) applyMigrations(persistDir);
  const port = await freePort();
  const args = ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', persistDir, '--log-level', process.env.VERICORD_WRANGLER_LOG ?? 'warn'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((ok) => child.once('exit', ok));
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
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`wrangler dev not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { baseUrl, persistDir, stop, log: () => output };
}
