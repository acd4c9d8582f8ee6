// Runs command-line tools without blocking the event loop. A synchronous child (execFileSync,
// spawnSync) freezes the test client's timers: a pooled keep-alive socket the server closed
// meanwhile stays in the pool and the next request on it fails with "fetch failed" (seen in
// CI after a 22 s `cargo build` of the CLI inside a test).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs `cmd args`; resolves to {status, stdout, stderr} (stdout as text unless `binary`). */
export function run(cmd, args, { cwd = ROOT, input, env } = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', fail);
    child.on('close', (status) => ok({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input);
  });
}

/** Like `run`, but rejects unless the tool exits 0; resolves to its stdout. */
export async function output(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return r.stdout;
}

let built;
/** The `vericord` CLI binary (a debug build), built once per test file. */
export function vericordCli() {
  built ??= output('cargo', ['build', '-q', '-p', 'vericord-cli']).then(() => join(ROOT, 'target/debug/vericord'));
  return built;
}
