// The buyer's pages in headless Chromium against the real Worker, and the npm package on a
// receipt the Worker served. `/verify/:root` (every `verifyUrl`) verifies the signed checkpoint
// in the browser, so a tampered note, a key the buyer did not pin, or a root the server does not
// know all fail there even though the server answers as usual; `/check` verifies a pasted
// receipt whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker } from './harness.mjs';
import { createTenant, api } from './fixtures.mjs';
import { TEST_KEY, noteKey } from './keys.mjs';

let worker;
let context;
let profile;
let receipt;
let tenantKey;
const key = () => tenantKey;

before(async () => {
  worker = await startWorker();
  const tenant = await createTenant(worker.baseUrl, { name: 'Pages Vendor' });
  tenantKey = tenant.keys.sandbox;
  const key = tenantKey;
  for (const delta of ['100', '-12.5', '0.000000001']) {
    const r = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"buyer-1","delta":${delta},"reason":"usage ${delta}"}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const r = await api(worker.baseUrl, key, 'GET', '/api/v1/balance/receipt/buyer-1');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  receipt = r.body.data;
  profile = mkdtempSync(join(tmpdir(), 'vericord-pages-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.VERICORD_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await worker?.stop();
});

/** Opens `url`, waits for the page's verdict; returns it with the facts shown and what went wrong on the page. */
async function open(url, { tamper } = {}) {
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('request', (r) => requests.push(r.url()));
  if (tamper) {
    await page.route('**/api/v1/verify/**', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: tamper(await res.json()) });
    });
  }
  try {
    const res = await page.goto(url, { timeout: 30_000 });
    await page.waitForSelector('#result[data-status]', { timeout: 60_000 });
    const shown = await page.evaluate(() => {
      const text = (id) => document.getElementById(id).textContent;
      const box = document.getElementById('result');
      return {
        status: box.dataset.status, code: box.dataset.code, headline: text('headline'), detail: text('detail'),
        factsShown: !document.getElementById('verified-facts').hidden,
        facts: Object.fromEntries(['period', 'opening', 'closing', 'count', 'size', 'origin', 'recorder', 'key'].map((id) => [id, text(id)])),
        rows: [...document.querySelectorAll('#records tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
        // Which section each thing is shown in: what the signature covers, or the server's claim.
        verifiedSection: document.getElementById('verified-facts').innerText,
        claimsSection: document.getElementById('claims').hidden ? null : document.getElementById('claims').innerText,
        recorderIn: document.getElementById('recorder').closest('section')?.id,
        recordsIn: document.getElementById('records').closest('section')?.id,
      };
    });
    return { ...shown, headers: res.headers(), problems, requests };
  } finally {
    await page.close();
  }
}

test('verify page shows the unsigned recordedBy and records as the server\'s claim, apart from what was verified', async () => {
  const v = await open(receipt.verifyUrl);
  assert.equal(v.status, 'verified', `${v.code}: ${v.detail}`);
  // Who recorded it and the record list are not in the signed note: never under "Verified".
  assert.equal(v.recorderIn, 'claims');
  assert.equal(v.recordsIn, 'claims');
  assert.match(v.claimsSection, /server's claim/i);
  assert.match(v.claimsSection, /not covered by the signature/i);
  assert.doesNotMatch(v.verifiedSection, /Pages Vendor/);
  assert.doesNotMatch(v.verifiedSection, /usage 100/);
});

test('the verifyUrl of a receipt opens a page that verifies the signed checkpoint in the browser', async () => {
  assert.equal(receipt.verifyUrl, `${worker.baseUrl}/verify/${receipt.proofRoot}`);
  const v = await open(receipt.verifyUrl);
  assert.deepEqual(v.problems, []);
  assert.equal(v.status, 'verified', `${v.code}: ${v.detail}`);
  assert.equal(v.factsShown, true);
  // What is shown comes from the signed note: exact decimal texts, not the server's JSON numbers.
  assert.equal(v.facts.opening, '0');
  assert.equal(v.facts.closing, '87.500000001');
  assert.equal(v.facts.count, '3');
  assert.equal(v.facts.size, '3');
  assert.equal(v.facts.period, receipt.period);
  assert.ok(v.facts.origin.endsWith(`/sandbox/${receipt.customerReference}`), v.facts.origin);
  assert.equal(v.facts.recorder, 'Pages Vendor');
  assert.ok(v.facts.key.includes(TEST_KEY.verifierKey), v.facts.key);
  assert.deepEqual(v.rows.map((r) => r[3]), ['usage 100', 'usage -12.5', 'usage 0.000000001']);

  // The page's own code and the wasm come from this origin only, under a strict CSP.
  assert.ok(v.requests.every((u) => u.startsWith(worker.baseUrl)), v.requests.join('\n'));
  assert.ok(v.requests.some((u) => u.endsWith('/vendor/vericord/vericord_wasm_bg.wasm')), 'the wasm verifier ran');
  assert.match(v.headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(v.headers['content-type'], 'text/html; charset=utf-8');
});

test('the static files carry the same policy when fetched directly', async () => {
  const page = await fetch(`${worker.baseUrl}/verify.html`);
  assert.equal(page.status, 200);
  const routed = await fetch(receipt.verifyUrl);
  assert.equal(page.headers.get('content-security-policy'), routed.headers.get('content-security-policy'));
  assert.match(page.headers.get('content-security-policy'), /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval'/);
  const wasm = await fetch(`${worker.baseUrl}/vendor/vericord/vericord_wasm_bg.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('x-content-type-options'), 'nosniff');
});

test('a key pinned in the link is what counts: the right one verifies, another one does not', async () => {
  const right = await open(`${receipt.verifyUrl}?key=${encodeURIComponent(TEST_KEY.verifierKey)}`);
  assert.equal(right.status, 'verified', `${right.code}: ${right.detail}`);
  assert.ok(right.facts.key.startsWith('pinned in this link'), right.facts.key);
  // A key pasted into the link by hand, its `+` signs unescaped, is the same key.
  const raw = await open(`${receipt.verifyUrl}?key=${TEST_KEY.verifierKey}`);
  assert.equal(raw.status, 'verified', `${raw.code}: ${raw.detail}`);
  const other = noteKey('vericord.test', Buffer.alloc(32, 0x33)).verifierKey;
  const wrong = await open(`${receipt.verifyUrl}?key=${encodeURIComponent(other)}`);
  assert.equal(wrong.status, 'failed');
  assert.equal(wrong.code, 'CHECKPOINT_UNTRUSTED');
  assert.equal(wrong.factsShown, false);
});

test('a note altered on its way to the browser is caught there, though the server said verified', async () => {
  const closing = await open(receipt.verifyUrl, {
    tamper: (body) => {
      assert.equal(body.data.verified, true);
      body.data.verification.note = body.data.verification.note.replace('\nclosing 87.500000001\n', '\nclosing 187.500000001\n');
      return body;
    },
  });
  assert.equal(closing.status, 'failed');
  assert.equal(closing.code, 'CHECKPOINT_SIGNATURE_INVALID');
  assert.equal(closing.factsShown, false);
  // A validly signed note for another root is not a proof of this one.
  const swapped = await open(`${worker.baseUrl}/verify/0x${'ab'.repeat(32)}`, {
    tamper: () => ({ success: true, data: { kind: 'checkpoint', verified: true, verification: { note: receipt.checkpoint.note } } }),
  });
  assert.equal(swapped.status, 'failed');
  assert.equal(swapped.code, 'ROOT_MISMATCH');
});

test('an unknown or malformed root is an error on the page, never a verdict', async () => {
  const unknown = await open(`${worker.baseUrl}/verify/0x${'cd'.repeat(32)}`);
  assert.equal(unknown.status, 'error');
  assert.equal(unknown.code, 'PROOF_ROOT_NOT_FOUND');
  const malformed = await open(`${worker.baseUrl}/verify/not-a-root`);
  assert.equal(malformed.status, 'error');
  assert.equal(malformed.code, 'VALIDATION_ERROR');
});

test('the npm package verifies a receipt served by the Worker whole, and refuses it altered or partial', async () => {
  const keys = [TEST_KEY.verifierKey];
  const cp = V.verifyReceipt(receipt, keys);
  assert.deepEqual(
    { root: cp.root, size: cp.size, count: cp.count, opening: cp.opening, closing: cp.closing, period: cp.period },
    { root: receipt.proofRoot, size: 3, count: 3, opening: '0', closing: '87.500000001', period: receipt.period },
  );
  const code = (r) => {
    try {
      V.verifyReceipt(r, keys);
    } catch (e) {
      assert.ok(V.isVericordError(e), String(e));
      return e.code;
    }
    return 'accepted';
  };
  const altered = structuredClone(receipt);
  altered.deltas[1].item.reason = 'something else';
  assert.equal(code(altered), 'ITEM_HASH_MISMATCH');
  const reordered = structuredClone(receipt);
  reordered.deltas.reverse();
  assert.equal(code(reordered), 'RECEIPT_SEQUENCE_MISMATCH');
  const page = await api(worker.baseUrl, key(), 'GET', '/api/v1/balance/receipt/buyer-1?limit=2');
  assert.equal(page.status, 200, JSON.stringify(page.body));
  assert.equal(code(page.body.data), 'RECEIPT_INCOMPLETE');
  assert.equal(code(receipt), 'accepted');
});

/** Pastes `text` into the /check page (and a pinned key, if any), submits, returns the verdict. */
async function checkReceipt(text, pinnedKey = '') {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  try {
    const res = await page.goto(`${worker.baseUrl}/check`, { timeout: 30_000 });
    assert.match(res.headers()['content-security-policy'], /connect-src 'self'/);
    await page.fill('#receipt', text);
    await page.fill('#key', pinnedKey);
    await page.click('#check');
    await page.waitForSelector('#result[data-status]', { timeout: 60_000 });
    const shown = await page.evaluate(() => ({
      status: document.getElementById('result').dataset.status,
      code: document.getElementById('result').dataset.code,
      detail: document.getElementById('detail').textContent,
      closing: document.getElementById('closing').textContent,
      factsShown: !document.getElementById('facts').hidden,
      rows: [...document.querySelectorAll('#records tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
    }));
    return { ...shown, problems };
  } finally {
    await page.close();
  }
}

test('the /check page verifies a pasted receipt whole in the browser and lists its records exactly', async () => {
  const ok = await checkReceipt(JSON.stringify(receipt));
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.status, 'verified', `${ok.code}: ${ok.detail}`);
  assert.equal(ok.closing, '87.500000001');
  assert.deepEqual(ok.rows.map((r) => [r[0], r[2], r[3]]), [['0', '100', 'usage 100'], ['1', '-12.5', 'usage -12.5'], ['2', '0.000000001', 'usage 0.000000001']]);
  const pinned = await checkReceipt(JSON.stringify(receipt), TEST_KEY.verifierKey);
  assert.equal(pinned.status, 'verified', `${pinned.code}: ${pinned.detail}`);

  const altered = structuredClone(receipt);
  altered.deltas[2].item.delta = '0.00000001';
  const bad = await checkReceipt(JSON.stringify(altered));
  assert.equal(bad.status, 'failed');
  assert.equal(bad.code, 'ITEM_HASH_MISMATCH');
  assert.match(bad.detail, /deltas\[2\]/);
  assert.equal(bad.factsShown, false);
  const untrusted = await checkReceipt(JSON.stringify(receipt), noteKey('vericord.test', Buffer.alloc(32, 0x44)).verifierKey);
  assert.equal(untrusted.code, 'CHECKPOINT_UNTRUSTED');
  const junk = await checkReceipt('{"not": "a receipt"');
  assert.equal(junk.status, 'failed');
  assert.equal(junk.code, 'RECEIPT_MALFORMED');
});
