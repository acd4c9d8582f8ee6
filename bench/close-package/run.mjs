// bench/close-package: (1) serving a close package from local D1 — time, D1 rows read per
// record and the workerd process's peak memory — for a 10,000- and a 100,000-record period;
// (2) verifying those packages with the npm package in Node and in headless Chromium, beside
// the same records checked one inclusion proof at a time with OpenZeppelin's
// SimpleMerkleTree.verify; (3) the native CLI on the same packages.
//   node bench/close-package/run.mjs            (SIZES=10000,100000 ROUNDS=3)
// Needs the Worker built (scripts/lib.sh build_worker), the npm package (scripts/build-npm)
// and cargo. Takes a few minutes: it records every entry through the real API first.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { chromium } from 'playwright-core';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker, api, median, machine, recordedMonth } from '../lib.mjs';
import { serve } from '../../tests/npm/lib/server.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const SIZES = (process.env.SIZES ?? '10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const OUT = join(ROOT, 'target/bench');
mkdirSync(OUT, { recursive: true });
const log = (...a) => console.log(...a);

/** Peak resident memory (VmHWM, kB) of the workerd processes in process group `pgid`, and
 * their resident anonymous and file-backed memory now (RssAnon, RssFile: the SQLite file
 * pages D1 maps count as file-backed). */
function workerdMemory(pgid) {
  const out = { peakKb: 0, anonKb: 0, fileKb: 0 };
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || !stat.includes('(workerd)')) continue;
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
      out.peakKb += kb('VmHWM');
      out.anonKb += kb('RssAnon');
      out.fileKb += kb('RssFile');
    } catch { /* gone */ }
  }
  return out;
}

// The Worker's own console.log lines (the package's D1 rows and wasm memory) are at 'log' level.
process.env.VERICORD_WORKER_LOG ??= 'info';

// --- 1. Record the periods: each customer's records in last month, through the API. -----
// BENCH_D1=<dir> keeps the recorded D1 there (and reuses it when it holds a finished run).
const keep = process.env.BENCH_D1;
const { persistDir, key, vendor, month: lastMonth } = await recordedMonth({ keep, stateName: 'bench.json', sizes: SIZES, tenantName: 'Bench Close', log });

// --- 2. Serve each package from a fresh Worker on the real clock. -------------------------
const served = {};
for (const size of SIZES) {
  const w = await startWorker({ persistDir, vars: { BENCH_ROUTES: '1' } });
  try {
    const idle = workerdMemory(w.pid).peakKb;
    const query = `period=${lastMonth}`;
    await api(w.baseUrl, key, 'GET', `/api/v1/balance/customers/c${size}`); // warm the isolate
    const get = async (path) => {
      const started = performance.now();
      const res = await fetch(`${w.baseUrl}${path}`, { headers: { 'x-api-key': key } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(text.slice(0, 300));
      return { ms: performance.now() - started, text };
    };
    const times = [];
    let text;
    for (let r = 0; r < ROUNDS; r++) ({ ms: times[r], text } = await get(`/api/v1/middleware/customers/c${size}/close-package?${query}`));
    const memory = workerdMemory(w.pid);
    // The alternative, same process after: the same package built whole, then sent.
    const buffered = await get(`/bench/close-package/c${size}?${query}`);
    if (buffered.text !== text) throw new Error('the buffered package differs from the streamed one');
    await new Promise((ok) => setTimeout(ok, 300));
    const line = (what) => [...w.log().matchAll(new RegExp(`close package ${what}: D1 rows read (\\d+).* wasm memory (\\d+)`, 'g'))].at(-1);
    const streamed = line('streamed');
    const whole = line('buffered');
    served[size] = {
      ms: median(times), bufferedMs: buffered.ms, bytes: text.length, rowsPerRecord: Number(streamed[1]) / size,
      wasmBytes: Number(streamed[2]), bufferedWasmBytes: Number(whole[2]), idleKb: idle, ...memory,
    };
    writeFileSync(join(OUT, `close-${size}.json`), text);
  } finally {
    await w.stop();
  }
}
if (!keep) rmSync(persistDir, { recursive: true, force: true });

// --- 3. Verify: npm package in Node and Chromium; OpenZeppelin one proof at a time. ------
const keysOf = (pkg) => pkg.verifierKeys;
/** RFC 9162 inclusion proofs of every leaf of a first period (start 0: the leaves are the records). */
function allProofs(leaves) {
  const node = (a, b) => {
    const [x, y] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
    return Buffer.from(keccak256(Buffer.concat([x, y])));
  };
  const proofs = leaves.map(() => []);
  // Recursive MTH with the siblings pushed to every leaf below: O(n log n) hashes.
  const mth = (lo, hi) => {
    if (hi - lo === 1) return leaves[lo];
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    const left = mth(lo, lo + k);
    const right = mth(lo + k, hi);
    for (let i = lo; i < lo + k; i++) proofs[i].push(right);
    for (let i = lo + k; i < hi; i++) proofs[i].push(left);
    return node(left, right);
  };
  const root = mth(0, leaves.length);
  return { root, proofs };
}

const verified = {};
for (const size of SIZES) {
  const text = readFileSync(join(OUT, `close-${size}.json`), 'utf8');
  const pkg = JSON.parse(text);
  const keys = keysOf(pkg);
  const ours = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    const report = V.verifyClosePackage(text, keys);
    ours.push(performance.now() - started);
    if (!report.verified) throw new Error(`package of ${size} does not verify`);
  }
  if (pkg.range.start !== 0) throw new Error('the OpenZeppelin comparison needs a first period');
  const leaves = pkg.records.map((r) => Buffer.from(r.entryHash.slice(2), 'hex'));
  const { root, proofs } = allProofs(leaves);
  const rootHex = `0x${root.toString('hex')}`;
  const hexProofs = proofs.map((p) => p.map((h) => `0x${h.toString('hex')}`));
  const oz = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    for (let i = 0; i < leaves.length; i++) {
      if (!SimpleMerkleTree.verify(rootHex, pkg.records[i].entryHash, hexProofs[i])) throw new Error(`OZ rejects ${i}`);
    }
    oz.push(performance.now() - started);
  }
  verified[size] = { nodeMs: median(ours), ozMs: median(oz) };
}

// Chromium: the browser build, the package fetched from a local server, timed in the page.
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vericord-bench-chromium-')), {
  executablePath: process.env.VERICORD_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const server = await serve({ '/pkg/': join(ROOT, 'crates/wasm/pkg'), '/data/': OUT }, { '/index.html': '<!doctype html><title>bench</title>' });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/index.html`);
  for (const size of SIZES) {
    verified[size].chromiumMs = await page.evaluate(async ({ size, rounds }) => {
      const V = await import('/pkg/browser.js');
      const text = await (await fetch(`/data/close-${size}.json`)).text();
      const keys = JSON.parse(text).verifierKeys;
      const times = [];
      for (let r = 0; r < rounds; r++) {
        const t = performance.now();
        if (!V.verifyClosePackage(text, keys).verified) throw new Error('not verified');
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    }, { size, rounds: ROUNDS });
  }
} finally {
  server.close();
  await browser.close();
}

// --- 4. The CLI, speed profile (`cargo install --path crates/cli --profile cli`). ----------
execFileSync('cargo', ['build', '-q', '--profile', 'cli', '-p', 'vericord-cli'], { cwd: ROOT, stdio: 'inherit' });
for (const size of SIZES) {
  const file = join(OUT, `close-${size}.json`);
  const key = JSON.parse(readFileSync(file, 'utf8')).verifierKeys[0];
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    const run = spawnSync(join(ROOT, 'target/cli/vericord'), ['verify', file, '--key', key]);
    times.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`CLI exit ${run.status}: ${run.stderr}`);
  }
  verified[size].cliMs = median(times);
}

log(`\nmachine: ${machine()}; median of ${ROUNDS} rounds`);
log('\nserving GET …/close-package from local D1 (a fresh workerd per size):');
log('records   package bytes   time streamed / whole (ms)   D1 rows read/record   Worker wasm memory streamed / whole (MiB)   workerd peak RSS idle → after 3 streamed (MiB), now anon / file');
const mib = (kb) => (kb / 1024).toFixed(1);
const mb = (b) => (b / 2 ** 20).toFixed(1);
for (const size of SIZES) {
  const s = served[size];
  log(`${String(size).padStart(7)}   ${String(s.bytes).padStart(13)}   ${`${s.ms.toFixed(0)} / ${s.bufferedMs.toFixed(0)}`.padStart(26)}   ${s.rowsPerRecord.toFixed(4).padStart(19)}   ${`${mb(s.wasmBytes)} / ${mb(s.bufferedWasmBytes)}`.padStart(41)}   ${mib(s.idleKb)} → ${mib(s.peakKb)}, ${mib(s.anonKb)} / ${mib(s.fileKb)}`);
}
log('\nverifying the whole package vs one OpenZeppelin inclusion proof per record:');
log('records   verifyClosePackage Node (ms)   Chromium (ms)   CLI (ms)   OZ SimpleMerkleTree.verify × n (ms)   OZ / Node');
for (const size of SIZES) {
  const v = verified[size];
  log(`${String(size).padStart(7)}   ${v.nodeMs.toFixed(0).padStart(28)}   ${v.chromiumMs.toFixed(0).padStart(13)}   ${v.cliMs.toFixed(0).padStart(8)}   ${v.ozMs.toFixed(0).padStart(35)}   ${(v.ozMs / v.nodeMs).toFixed(1).padStart(9)}`);
}
