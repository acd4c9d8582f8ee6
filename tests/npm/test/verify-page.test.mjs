// The self-verifying page (a bundle's verify.html): the template scripts/build-npm builds,
// filled as the Worker fills it (lib/fill-verify.mjs) with the installed package's wasm and a
// vector package, opened from file:// in headless Chromium with every network request
// aborted: it must verify the embedded package by itself, name the failing check of a
// tampered one, and re-verify against a pasted key.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as api from 'vericord';
import { fillVerifyTemplate, PACKAGE_MARK, WASM_MARK } from '../lib/fill-verify.mjs';
import { makePackage, noteSigner } from '../lib/make-package.mjs';
import { openPage } from '../lib/chromium.mjs';

const vectorsDir = process.env.VERICORD_VECTORS;
const templatePath = process.env.VERICORD_VERIFY_TEMPLATE;
const playwright = process.env.VERICORD_PLAYWRIGHT;
assert.ok(templatePath, 'set VERICORD_VERIFY_TEMPLATE to crates/wasm/pkg/close-package-verify.html');

const template = readFileSync(templatePath, 'utf8');
const pkgDir = fileURLToPath(new URL('.', import.meta.resolve('vericord')));
const wasm = readFileSync(join(pkgDir, 'vericord_wasm_bg.wasm'));
const packages = JSON.parse(readFileSync(join(vectorsDir, 'close-packages.json'), 'utf8'));
const good = packages.valid.find((c) => c.name === 'direct-tenant');
const signer = JSON.parse(readFileSync(join(vectorsDir, 'checkpoints.json'), 'utf8')).signer;
const count = (text, what) => text.split(what).length - 1;
const inlineScript = () => template.slice(template.lastIndexOf('<script type="module">'), template.lastIndexOf('</script>'));

test('the template: each marker once, in its element; everything inline; a CSP that allows nothing else', () => {
  assert.equal(count(template, WASM_MARK), 1);
  assert.equal(count(template, PACKAGE_MARK), 1);
  assert.ok(template.includes(`<script id="vericord-wasm" type="application/octet-stream">${WASM_MARK}</script>`));
  assert.ok(template.includes(`<script id="vericord-package" type="application/json">${PACKAGE_MARK}</script>`));
  assert.ok(template.indexOf(WASM_MARK) < template.indexOf(PACKAGE_MARK), 'the Worker splits at the package marker');
  assert.doesNotMatch(template, /<script[^>]*\ssrc=|<link[^>]*stylesheet|@import|https?:\/\/(?!www\.w3\.org)/i);
  assert.match(template, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' 'wasm-unsafe-eval'; style-src 'sha256-/);
  const script = inlineScript();
  assert.ok(script.length > 5_000, 'the bundled glue and page script are inline');
  // (The glue keeps its fetch path for URL inputs; the page passes bytes, and the CSP forbids it.)
  assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  assert.match(script, /initSync|module_or_path/, 'the web glue is bundled in');
});

test('fill: markers replaced as the Worker does, every < of the package escaped', () => {
  const html = fillVerifyTemplate(template, wasm, '{"a":"</script><b>"}');
  assert.equal(count(html, WASM_MARK) + count(html, PACKAGE_MARK), 0);
  assert.ok(html.includes(`>${wasm.toString('base64')}</script>`));
  assert.ok(html.includes('<script id="vericord-package" type="application/json">{"a":"\\u003c/script>\\u003cb>"}</script>'));
  assert.equal(JSON.parse('{"a":"\\u003c/script>\\u003cb>"}').a, '</script><b>', 'the escape means the same JSON');
});

test('a package of 1,200 records built in JS from SPEC §12 verifies (and the table cap has something to cap)', () => {
  const key = noteSigner(signer.name, signer.seedHex);
  assert.equal(key.verifierKey, signer.verifierKey, 'the signed-note key id and encoding');
  const big = makePackage(api, key, 1200);
  const report = api.verifyClosePackage(big, [signer.verifierKey]);
  assert.deepEqual(report.checks.filter((c) => !c.ok), []);
  assert.equal(report.verified, true);
  assert.equal(report.summary.recordCount, 1200);
});

test('verify.html from file:// with no network: verifies, shows every check, the facts and the records; pinning works', { timeout: 150_000 }, async (t) => {
  const { chromium } = await import(pathToFileURL(playwright).href);
  const dir = mkdtempSync(join(tmpdir(), 'vericord-verify-page-'));
  const profile = join(dir, 'profile');
  let context;
  // Close the browser first, then remove its profile (it writes there until it exits).
  t.after(async () => {
    try {
      await context?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
  let page;
  let errors;
  ({ context, page, errors } = await openPage(chromium, profile));
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const routed = [];
  await page.route('**/*', (r) => {
    routed.push(r.request().url());
    return r.request().url().startsWith('file:') ? r.continue() : r.abort();
  });

  let n = 0;
  /** Writes `html` to a file, opens it, waits for the verdict; what the page shows. */
  const open = async (html) => {
    const file = join(dir, `verify-${n++}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    requests.length = 0;
    routed.length = 0;
    await page.goto(url);
    await page.waitForSelector('#result[data-status]', { timeout: 60_000 });
    const state = await read();
    // Nothing but the file itself was requested (or reached the router).
    assert.deepEqual([...requests, ...routed].filter((u) => u !== url), [], 'no request but the page itself');
    return state;
  };
  const read = () =>
    page.evaluate(() => {
      const $ = (id) => document.getElementById(id);
      const visible = (id) => !$(id).hidden && $(id).closest('[hidden]') === null;
      return {
        status: $('result').dataset.status,
        code: $('result').dataset.code,
        keys: $('result').dataset.keys,
        headline: $('headline').textContent,
        detail: $('detail').textContent,
        checks: [...document.querySelectorAll('#checks li')].map((li) => ({
          name: li.dataset.check,
          ok: li.dataset.ok === 'true',
          mark: li.querySelector('.mark').textContent,
          text: li.textContent,
        })),
        checksShown: visible('checks'),
        facts: visible('facts') ? $('facts').innerText : null,
        keysNote: visible('keys-note'),
        rows: visible('records') ? [...$('records').tBodies[0].rows].map((tr) => [...tr.cells].map((td) => td.textContent)) : null,
        text: document.body.innerText,
      };
    });
  // The page verifies synchronously in the submit handler, so the click's return sees it.
  const pin = async (key) => {
    await page.fill('#pin-key', key);
    await page.click('#pin button[type="submit"]');
    return read();
  };

  // A valid package, verified against its own keys.
  const ok = await open(fillVerifyTemplate(template, wasm, JSON.stringify(good.package)));
  assert.deepEqual(errors, []);
  assert.equal(ok.status, 'verified', `${ok.headline} ${ok.detail}`);
  assert.equal(ok.keys, 'own');
  assert.ok(ok.keysNote, 'the page says the keys are not pinned');
  assert.ok(ok.checksShown);
  assert.deepEqual(ok.checks.map((c) => c.name), packages.checks);
  assert.ok(ok.checks.every((c) => c.ok && c.mark === '✓' && c.text.length > c.name.length + 2), 'every check with ✓ and its detail');
  const { summary, period, customer, recordedBy } = good.package;
  for (const s of [summary.opening, summary.credits, summary.debits, summary.net, summary.closing, period.label, customer.customerId, recordedBy.displayName, good.expected.checkpoint.root, good.trusted[0]]) {
    assert.ok(ok.facts.includes(s), `the facts show ${s}`);
  }
  assert.deepEqual(
    ok.rows,
    good.package.records.map((r) => [String(r.seq), r.item.receivedAt, r.item.delta, r.item.reason, r.balanceAfter]),
    'the record table, amounts as exact text',
  );

  // Pin the right key: verified, pinned. A wrong (valid) key: failed at the signature. A
  // malformed key: nothing verified. Empty: the package's own keys again.
  let s = await pin(good.trusted[0]);
  assert.equal(s.status, 'verified');
  assert.equal(s.keys, 'pinned');
  assert.equal(s.keysNote, false);
  s = await pin(good.package.verifierKeys.find((k) => !good.trusted.includes(k)));
  assert.equal(s.status, 'failed');
  assert.equal(s.code, 'checkpoint.signature');
  assert.equal(s.keys, 'pinned');
  assert.equal(s.facts, null, 'no facts from a package that failed');
  assert.equal(s.rows, null, 'no records from a package that failed');
  assert.ok(s.checks.find((c) => c.name === 'checkpoint.signature').mark === '✗');
  s = await pin('not a key');
  assert.equal(s.status, 'error');
  assert.equal(s.code, 'VERIFIER_KEY_INVALID');
  s = await pin('');
  assert.equal(s.status, 'verified');
  assert.equal(s.keys, 'own');

  // The filled page edited the way a tamperer would (one amount in the embedded JSON).
  const filled = fillVerifyTemplate(template, wasm, JSON.stringify(good.package));
  const delta = good.package.records[0].item.delta;
  const edited = filled.replace(`"delta":"${delta}"`, `"delta":"${delta}1"`);
  assert.notEqual(edited, filled);
  const bad = await open(edited);
  assert.equal(bad.status, 'failed');
  assert.equal(bad.code, 'records.itemHash');
  assert.ok(bad.headline.includes('records.itemHash'), 'the failing check is named');
  assert.ok(bad.checksShown);
  assert.ok(bad.checks.some((c) => c.name === 'records.itemHash' && !c.ok && c.mark === '✗'));

  // Markup in package data stays data: a reason that tries to close the script element.
  const hostile = structuredClone(good.package);
  hostile.records[0].item.reason = '</script><script>window.pwned = 1</script><b id="injected">x</b><img src="https://example.com/x.png">';
  const h = await open(fillVerifyTemplate(template, wasm, JSON.stringify(hostile)));
  assert.equal(h.status, 'failed');
  assert.equal(h.code, 'records.itemHash');
  assert.deepEqual(await page.evaluate(() => [window.pwned, document.getElementById('injected'), document.images.length]), [undefined, null, 0]);

  // 1,200 records: every one verified, the first 1,000 shown, and the page says so.
  const big = makePackage(api, noteSigner(signer.name, signer.seedHex), 1200);
  const b = await open(fillVerifyTemplate(template, wasm, JSON.stringify(big)));
  assert.equal(b.status, 'verified', b.detail);
  assert.equal(b.rows.length, 1000);
  assert.deepEqual(b.rows[999], [String(big.records[999].seq), big.records[999].item.receivedAt, big.records[999].item.delta, big.records[999].item.reason, big.records[999].balanceAfter]);
  assert.match(b.text, /Showing the first 1,000 of 1,200 records; the checks above cover all of them\./);
  assert.ok(b.facts.includes(big.summary.closing));

  // Every invalid vector: the page says what the package says in Node against the package's
  // own keys, and, with the vector's key pinned, fails on the vector's first failing check.
  for (const c of packages.invalid) {
    const own = api.verifyClosePackage(c.package, []);
    const first = own.checks.find((x) => !x.ok)?.name ?? '';
    let got = await open(fillVerifyTemplate(template, wasm, JSON.stringify(c.package)));
    assert.equal(got.status, own.verified ? 'verified' : 'failed', c.name);
    assert.equal(got.code, first, c.name);
    if (!own.verified) assert.ok(got.headline.includes(first), c.name);
    got = await pin(c.trusted[0]);
    assert.equal(got.status, 'failed', c.name);
    assert.equal(got.code, c.check, c.name);
    assert.ok(got.headline.includes(c.check), `${c.name}: the failing check is named`);
    assert.deepEqual(got.checks.filter((x) => !x.ok).map((x) => x.name), c.failing, c.name);
  }
  assert.deepEqual(errors, []);
});
