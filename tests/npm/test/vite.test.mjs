// The package in a Vite-built page: Vite (a root dev dependency, VERICORD_VITE) bundles
// vite/main.js, which imports the installed package by its bare name, into static files; the
// page is served from them alone and run in headless Chromium on the known-answer vectors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectedCount } from '../lib/checks.mjs';
import { openPage } from '../lib/chromium.mjs';
import { serve } from '../lib/server.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json', 'close-packages.json', 'compares.json', 'verification-packages.json'];
const vectorsDir = process.env.VERICORD_VECTORS;

test('a Vite build of a page importing the package runs every known-answer vector in Chromium', { timeout: 180_000 }, async (t) => {
  assert.ok(process.env.VERICORD_VITE, 'set VERICORD_VITE to vite’s Node entry');
  const { build } = await import(pathToFileURL(process.env.VERICORD_VITE).href);
  const { chromium } = await import(pathToFileURL(process.env.VERICORD_PLAYWRIGHT).href);
  const root = fileURLToPath(new URL('../vite', import.meta.url));
  const outDir = mkdtempSync(join(tmpdir(), 'vericord-vite-'));
  const profile = mkdtempSync(join(tmpdir(), 'vericord-chromium-'));
  let server;
  let context;
  t.after(async () => {
    try {
      await context?.close();
    } finally {
      server?.close();
      rmSync(outDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
  // The browser entry awaits the .wasm at the top level: a build target with top-level await.
  await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
  const assets = readdirSync(join(outDir, 'assets'));
  assert.ok(assets.some((f) => /^vericord_wasm_bg-[\w-]+\.wasm$/.test(f)), `Vite emitted the .wasm: ${assets}`);
  const js = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(outDir, 'assets', f), 'utf8')).join('\n');
  assert.ok(!js.includes('node:fs'), 'the Node entry was not bundled');

  server = await serve({ '/vectors/': vectorsDir, '/': outDir });
  let page;
  let errors;
  ({ context, page, errors } = await openPage(chromium, profile));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(`${server.url}/index.html`, { timeout: 30_000 });
  await page.waitForFunction(() => window.vericordResults !== undefined, null, { timeout: 120_000 });
  const results = await page.evaluate(() => window.vericordResults);
  assert.deepEqual(errors, []);
  assert.equal(results.error, undefined, results.error);
  for (const file of FILES) {
    const vectors = JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'));
    assert.deepEqual(results.files[file].failures, [], file);
    assert.equal(results.files[file].passed, expectedCount(file, vectors), file);
    t.diagnostic(`${file}: ${results.files[file].passed} vectors passed in the Vite build`);
  }
});
