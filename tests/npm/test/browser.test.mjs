// The browser entry in headless Chromium: a page imports the installed
// package by its bare name (an import map resolves it through the package's
// "browser" export) and runs the tree, consistency, checkpoint, receipt,
// close-package, compare and verification-package vectors, and every 7th mutation of the
// tamper battery.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as api from 'vericord';
import { expectedCount } from '../lib/checks.mjs';
import { openPage } from '../lib/chromium.mjs';
import { serve } from '../lib/server.mjs';
import { batteries, mutations } from '../lib/tamper.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json', 'close-packages.json', 'compares.json', 'verification-packages.json'];
const TAMPER_EVERY = 7;
const vectorsDir = process.env.VERICORD_VECTORS;
const playwright = process.env.VERICORD_PLAYWRIGHT;

test('headless Chromium runs the tree, checkpoint, receipt, close-package, compare and verification-package vectors and a sample of the tamper battery', { timeout: 150_000 }, async (t) => {
  assert.ok(playwright, 'set VERICORD_PLAYWRIGHT to playwright-core’s index.mjs');
  const { chromium } = await import(pathToFileURL(playwright).href);
  const pkgDir = fileURLToPath(new URL('.', import.meta.resolve('vericord')));
  const here = fileURLToPath(new URL('..', import.meta.url));
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const importMap = JSON.stringify({ imports: { vericord: `/pkg/${pkg.exports['.'].browser.replace('./', '')}` } });
  const html = readFileSync(join(here, 'browser/index.html'), 'utf8').replace('__IMPORT_MAP__', importMap);
  const server = await serve(
    { '/pkg/': pkgDir, '/vectors/': vectorsDir, '/lib/': join(here, 'lib'), '/': join(here, 'browser') },
    { '/index.html': html },
  );
  const profile = mkdtempSync(join(tmpdir(), 'vericord-chromium-'));

  let context;
  // One hook, in order: the browser exits before its profile is removed (after-hooks run in
  // the order they were added, so two hooks would remove the profile under a live browser).
  t.after(async () => {
    try {
      await context?.close();
    } finally {
      server.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
  let page;
  let errors;
  ({ context, page, errors } = await openPage(chromium, profile));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

  await page.goto(`${server.url}/index.html`, { timeout: 30_000 });
  await page.waitForFunction(() => window.vericordResults !== undefined, null, { timeout: 120_000 });
  const results = await page.evaluate(() => window.vericordResults);
  assert.deepEqual(errors, []);
  assert.equal(results.error, undefined, results.error);
  assert.equal(results.entry, 'browser.js', 'the page loaded the browser entry');

  for (const file of FILES) {
    const vectors = JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'));
    const got = results.files[file];
    assert.deepEqual(got.failures, [], file);
    assert.equal(got.passed, expectedCount(file, vectors), file);
    t.diagnostic(`${file}: ${got.passed} vectors passed in Chromium`);
  }

  // The same sample, drawn in Node, says how many mutations Chromium must have refused.
  const load = (file) => JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'));
  let total = 0;
  for (const b of batteries(load('close-packages.json'), load('compares.json'), load('verification-packages.json'))) {
    const got = results.tamper[b.label];
    assert.ok(got, b.label);
    assert.deepEqual(got.failures, [], b.label);
    let want = 0;
    for (const m of mutations(api, b.doc)) if (!b.exempt(m)) want++;
    assert.equal(got.count, Math.ceil(want / TAMPER_EVERY), b.label);
    total += got.count;
  }
  t.diagnostic(`tamper battery: ${total} mutations (every ${TAMPER_EVERY}th) refused in Chromium`);
  assert.ok(total > 500, String(total));
});
