// The package inside workerd, as a Cloudflare Worker would use it: esbuild (VERICORD_ESBUILD)
// bundles workerd/worker.mjs with the Workers conditions, keeping the .wasm a module of its own,
// and Miniflare (VERICORD_MINIFLARE) runs it on workerd; each vector file is sent to the Worker,
// which runs the shared checks.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectedCount } from '../lib/checks.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json', 'close-packages.json', 'compares.json', 'verification-packages.json'];
const vectorsDir = process.env.VERICORD_VECTORS;

test('inside workerd, a Worker importing the package runs every known-answer vector', { timeout: 180_000 }, async (t) => {
  assert.ok(process.env.VERICORD_ESBUILD && process.env.VERICORD_MINIFLARE, 'set VERICORD_ESBUILD and VERICORD_MINIFLARE');
  const esbuildModule = await import(pathToFileURL(process.env.VERICORD_ESBUILD).href);
  const esbuild = esbuildModule.build ? esbuildModule : esbuildModule.default;
  const { Miniflare } = await import(pathToFileURL(process.env.VERICORD_MINIFLARE).href);
  const out = mkdtempSync(join(tmpdir(), 'vericord-workerd-'));
  let mf;
  t.after(async () => {
    await mf?.dispose();
    rmSync(out, { recursive: true, force: true });
  });
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('../workerd/worker.mjs', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['*.wasm'],
    outfile: join(out, 'worker.js'),
    logLevel: 'warning',
  });
  const bundle = readFileSync(join(out, 'worker.js'), 'utf8');
  assert.match(bundle, /from\s*"\.\/vericord_wasm_bg\.wasm"/, 'the workerd entry imports the .wasm as a module');
  assert.ok(!bundle.includes('node:fs'), 'not the Node entry');
  copyFileSync(fileURLToPath(new URL('vericord_wasm_bg.wasm', import.meta.resolve('vericord'))), join(out, 'vericord_wasm_bg.wasm'));
  mf = new Miniflare({
    modulesRoot: out,
    modules: [
      { type: 'ESModule', path: join(out, 'worker.js') },
      { type: 'CompiledWasm', path: join(out, 'vericord_wasm_bg.wasm') },
    ],
    compatibilityDate: '2026-04-20',
    cf: false,
  });
  for (const file of FILES) {
    const vectors = JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'));
    const res = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify({ file, vectors }) });
    assert.equal(res.status, 200, await res.clone().text());
    const got = await res.json();
    assert.deepEqual(got.failures, [], file);
    assert.equal(got.passed, expectedCount(file, vectors), file);
    t.diagnostic(`${file}: ${got.passed} vectors passed in workerd`);
  }
});
