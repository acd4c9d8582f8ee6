// Issue 11: the buyer's Shared Record page (/c/:handle, www/c.html) in headless Chromium
// against a real Worker. The real link, opened and stepped up with its code, verifies every
// check in the browser (latest checkpoint, the witness, the period's close package, a
// compare); anything altered in transit — a record of the close package, the latest signed
// note, a consistency proof, a compare — is named as the check that fails; a second visit
// that is served a rewritten history (a forged note signed with the test key, an older genuine
// note, a fork at the same size) fails the browser's witness check and offers an evidence file,
// which the npm package checks offline; GATED, lockout and revoke read plainly; and no byte the
// page receives or shows names the middleware parent tenant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './browser.mjs';
import * as V from '../../crates/wasm/pkg/node.js';
import { api, assertOk } from './fixtures.mjs';
import { closeWorld, PARENT_NAME } from './close-world.mjs';
import { TEST_KEY, noteKey } from './keys.mjs';

const ARTIFACTS = resolve(import.meta.dirname, '../../target/e2e-artifacts/shared-page');
const VERDICT = ['verified', 'failed', 'code-required', 'locked', 'revoked', 'not-found', 'error'].map((s) => `#status[data-status="${s}"]`).join(', ');
const WAIT = { timeout: 120_000 };

let w;
let browser;
let link; // {handle, url, code} of buyer-1 under vendor 0 (TWO_TIER)
const received = []; // [url, body text] of every text response any page got, for the parent-name scan
const shown = []; // every page's final HTML

const vendor = (i) => w.vendors[i].id;
const mwPath = (customer, rest, v = 0) => `/api/v1/middleware/customers/${customer}/${rest}${rest.includes('?') ? '&' : '?'}vendorAccountId=${vendor(v)}`;
const manage = (method, customer, rest, body, v = 0) => api(w.worker.baseUrl, w.key, method, mwPath(customer, rest, v), body);

async function makeLink(customer, v = 0, policy) {
  const made = assertOk(await manage('POST', customer, 'access-link', policy ? { policy } : {}, v), 201);
  return { handle: made.link.handle, url: made.link.url, code: made.accessCode };
}

before(async () => {
  w = await closeWorld();
  // Nothing has asked for a period yet: the link's first summary closes the newest month.
  link = await makeLink('buyer-1');
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await w?.worker.stop();
});

/** A browser profile of its own (its own localStorage: one witness) that records what it gets. */
async function newBuyer() {
  const context = await browser.newContext({ acceptDownloads: true });
  const problems = [];
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  // The close package's body goes to the page's verifier worker as a stream, out of reach of
  // the response event; read it here on its way through.
  await context.route('**/close-package?*', async (route) => {
    const res = await route.fetch();
    const body = await res.text();
    received.push([route.request().url(), body]);
    await route.fulfill({ response: res, body });
  });
  context.on('response', async (r) => {
    if (r.url().includes('/close-package?')) return;
    const type = r.headers()['content-type'] ?? '';
    if (!/json|text|javascript/.test(type)) return;
    try {
      received.push([r.url(), await r.text()]);
    } catch { /* a body the browser no longer holds (navigated away) */ }
  });
  const open = async (url, { route } = {}) => {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(String(e)));
    // (A 401 or 429 answer is logged by the browser itself as a failed resource load.)
    page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && problems.push(m.text()));
    if (route) await route(page);
    await page.goto(url);
    await page.waitForSelector(VERDICT, WAIT);
    return page;
  };
  return { context, open, problems, requests };
}

/** The verdict, every check (by list) and a few facts the page shows. */
function read(page) {
  return page.evaluate(() => {
    const box = document.getElementById('status');
    const checks = {};
    for (const li of document.querySelectorAll('[data-check]')) {
      (checks[li.closest('ul').id] ??= []).push({ name: li.dataset.check, ok: li.dataset.ok === 'true', skipped: li.dataset.skipped === 'true', text: li.innerText });
    }
    const text = (id) => document.getElementById(id)?.textContent ?? '';
    return {
      status: box.dataset.status, code: box.dataset.code, headline: text('headline'), detail: text('detail'), checks,
      package: document.getElementById('package').dataset.status,
      rows: [...document.querySelectorAll('#records tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
      factsShown: !document.getElementById('package-facts').hidden,
      recordsShown: !document.getElementById('records-block').hidden,
      evidenceShown: !document.getElementById('evidence').hidden,
      keyInfo: text('key-info'),
      vendor: text('vendor'),
      balance: text('balance'),
    };
  });
}

async function keep(page, name) {
  shown.push(await page.content());
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Types the code into the labelled field and submits with the keyboard; waits for the verdict after. */
async function unlock(page, code = link.code) {
  const field = page.getByLabel('Access code (6 characters)', { exact: true });
  await field.fill(code);
  const before = Number((await page.getAttribute('#access-form', 'data-answered')) ?? 0);
  const answered = page.waitForResponse((r) => r.url().endsWith('/access/verify'));
  await field.press('Enter');
  const res = await answered;
  await page.waitForSelector(`#access-form[data-answered="${before + 1}"]`, { ...WAIT, state: 'attached' });
  if (res.ok()) {
    await page.waitForSelector('#package[data-status="verified"], #package[data-status="failed"], #package[data-status="error"], #status[data-status="failed"], #status[data-status="error"]', WAIT);
  }
  return res;
}

/** Visible text whose contrast with its background is under WCAG AA's 4.5:1. */
function lowContrast(page) {
  return page.evaluate(() => {
    const rgba = (s) => { const m = s.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m[3] ?? 1]; };
    const lum = ([r, g, b]) => {
      const f = (c) => { const x = c / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) return c;
      }
      return [255, 255, 255, 1];
    };
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el.checkVisibility() || el.closest('button:disabled, option')) continue;
      const [a, b] = [lum(rgba(getComputedStyle(el).color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`${ratio.toFixed(2)}: <${el.tagName.toLowerCase()} id=${el.id} class=${el.className}> ${n.textContent.trim().slice(0, 40)}`);
    }
    return bad;
  });
}

const failing = (list = []) => list.filter((c) => !c.ok && !c.skipped);
const CLOSE_CHECKS = ['format', 'checkpoint.signature', 'previous.signature', 'manifest.signature', 'manifest.fields', 'checkpoint.origin', 'period', 'identity',
  'consistency', 'range.start', 'range.frontier', 'opening', 'records.count', 'records.seq', 'records.itemHash', 'records.identity', 'records.amount',
  'records.balance', 'records.entryHash', 'records.period', 'range.root', 'closing', 'summary'];

/** A checkpoint note signed with the test key (Go signed-note, docs/SPEC.md §8). */
function signedNote({ origin, size, root, period, opening, closing, count }) {
  const body = `${origin}\n${size}\n${Buffer.from(root.slice(2), 'hex').toString('base64')}\nperiod ${period}\nopening ${opening}\nclosing ${closing}\ncount ${count}\n`;
  const seed = Buffer.from(TEST_KEY.privateKey.split('+').pop(), 'base64').subarray(1);
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const [name, id] = TEST_KEY.verifierKey.split('+');
  const sig = sign(null, Buffer.from(body), key);
  return `${body}\n— ${name} ${Buffer.concat([Buffer.from(id, 'hex'), sig]).toString('base64')}\n`;
}

/** Serves `note` as the summary's latest checkpoint (and its JSON fields to match). */
const serveLatest = (note, extra = async () => {}) => async (page) => {
  const cp = V.verifyCheckpoint(note, [TEST_KEY.verifierKey]);
  await page.route(/\/api\/v1\/c\/[^/]+(\/summary)?$/, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    Object.assign(body.data.latestCheckpoint, { note, treeSize: cp.size, proofRoot: cp.root, merkleRoot: cp.root });
    await route.fulfill({ response: res, json: body });
  });
  await extra(page);
};

/** Saves the page's evidence download and parses it. */
async function evidenceOf(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#evidence-link')]);
  const file = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(file);
  return JSON.parse(readFileSync(file, 'utf8'));
}

test('(a) the real link: the summary and latest checkpoint verify, the code unlocks the period, every check passes; compare and exports', async () => {
  const buyer = await newBuyer();
  const page = await buyer.open(link.url);
  let v = await read(page);
  assert.equal(v.status, 'code-required', `${v.headline} ${v.detail}`);
  assert.equal(v.vendor, 'Acme Inference');
  assert.deepEqual(v.checks['log-checks'].map((c) => [c.name, c.ok]), [['latest.signature', true], ['latest.origin', true], ['witness', true]]);
  assert.match(v.checks['log-checks'][2].text, /first visit from this browser/);
  assert.match(v.keyInfo, /^Not pinned: .*vericord\.test\+[0-9a-f]{8}/);
  assert.equal(v.package, 'idle', 'nothing of a period before the code');
  assert.deepEqual(await lowContrast(page), []);
  await keep(page, '01-code-required');

  // Keyboard only: from the top, the skip link, then the code field; a wrong code typed and
  // sent with Enter is said so at the field, and nothing unlocks.
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.className);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'skip');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'code');
  const wrong = link.code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
  const answer = page.waitForResponse((r) => r.url().endsWith('/access/verify'));
  await page.keyboard.type(wrong);
  await page.keyboard.press('Enter');
  assert.equal((await answer).status(), 401);
  await page.waitForSelector('#access-form[data-answered="1"]', { ...WAIT, state: 'attached' });
  assert.equal(await focused(), 'code', 'focus stays on the field that needs fixing');
  // The form's controls have accessible names.
  assert.equal(await page.getByRole('textbox', { name: 'Access code (6 characters)' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Unlock' }).count(), 1);
  assert.equal(await page.getAttribute('#code', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#code-error'), /not this link's access code.*4 more wrong codes/);
  // A code the alphabet cannot hold is refused in the page, without spending an attempt.
  await page.getByLabel('Access code (6 characters)', { exact: true }).fill('0O1IL0');
  await page.getByRole('button', { name: 'Unlock' }).click();
  assert.match(await page.textContent('#code-error'), /digits 2 to 9/);

  // The right code, typed in lower case with a dash, submitted from the keyboard.
  const res = await unlock(page, `${link.code.slice(0, 3).toLowerCase()}-${link.code.slice(3)}`);
  assert.equal(res.status(), 200);
  await page.waitForSelector('#records tbody tr', WAIT);
  v = await read(page);
  assert.equal(v.status, 'verified', `${v.headline} ${v.detail}`);
  assert.equal(v.package, 'verified');
  const pkgChecks = v.checks['package-checks'];
  assert.deepEqual(pkgChecks.map((c) => c.name), [...CLOSE_CHECKS, 'package.request', 'package.history']);
  assert.deepEqual(failing(pkgChecks), []);
  assert.ok(pkgChecks.every((c) => c.text.startsWith('✓') && /Passed:/.test(c.text)), 'pass in plain words');
  assert.deepEqual(v.rows.map((r) => r[3]), ['tokens, "large" model; batch 7', 'refund', '=SUM(A1:A9) injection test']);
  assert.deepEqual(v.rows.map((r) => r[2]), ['-30.25', '7.75', '-1']);
  assert.equal(await page.textContent('#page-info'), 'Records 1–3 of 3');
  assert.equal(await page.isDisabled('#next'), true);
  assert.equal(await page.textContent('#pk-closing'), '63.999999999');
  assert.match(v.balance, /^63\.999999999 — the closing balance of the latest signed checkpoint \(verified\)$/);
  assert.deepEqual(await lowContrast(page), []);
  for (const [role, name] of [['combobox', 'Period'], ['combobox', 'From the end of'], ['combobox', 'to the end of'], ['button', 'Compare'], ['button', 'Next page'], ['link', 'Records (CSV)']]) {
    assert.equal(await page.getByRole(role, { name, exact: true }).count(), 1, `${role} ${name}`);
  }
  await keep(page, '02-verified');

  // The older period, picked from the list: verified too.
  await page.selectOption('#period', { label: `${w.months[0]} (3 records)` });
  await page.waitForSelector('#package[data-status="verified"] #records tbody tr', WAIT);
  assert.deepEqual((await read(page)).rows.map((r) => r[2]), ['100', '-12.5', '-0.000000001']);

  // Compare the two months: the consistency and the records between them, verified.
  await page.selectOption('#compare-from', w.months[0]);
  await page.selectOption('#compare-to', w.months[1]);
  await page.click('#compare-run');
  await page.waitForSelector('#compare-result:is([data-status="verified"], [data-status="failed"], [data-status="error"])', WAIT);
  v = await read(page);
  assert.equal(await page.getAttribute('#compare-result', 'data-status'), 'verified', await page.textContent('#compare-status'));
  assert.deepEqual(failing(v.checks['compare-checks']), []);
  assert.ok(v.checks['compare-checks'].some((c) => c.name === 'consistency'));
  assert.equal(await page.textContent('#cmp-balance'), '-23.5');
  assert.equal(await page.textContent('#cmp-entries'), '3');
  assert.equal(v.status, 'verified');
  await keep(page, '03-compare');

  // The exports of the selected period, with the session cookie of this browser.
  for (const [format, type] of [['csv', /^text\/csv/], ['pdf', /^application\/pdf/], ['bundle', /^application\/zip/]]) {
    const href = await page.getAttribute(`#dl-${format}`, 'href');
    assert.equal(href, `/api/v1/c/${link.handle}/export?format=${format}&period=${w.months[0]}`);
    const got = await page.request.get(new URL(href, link.url).href);
    assert.equal(got.status(), 200, format);
    assert.match(got.headers()['content-type'], type);
    if (format === 'csv') assert.ok(!(await got.text()).includes(PARENT_NAME));
  }
  // Clicked, the CSV link downloads (the session cookie rides along on the navigation).
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
  assert.equal(await csv.failure(), null);
  const csvFile = join(ARTIFACTS, csv.suggestedFilename());
  await csv.saveAs(csvFile);
  assert.match(readFileSync(csvFile, 'utf8'), /^BillingAccountId,|x_Seq/);
  // The package the page verified, offered as it was: the npm package verifies it too.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-verified')]);
  const saved = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(saved);
  assert.equal(V.verifyClosePackage(readFileSync(saved), [TEST_KEY.verifierKey]).verified, true);

  // Same origin only, and nothing went wrong on the page.
  assert.deepEqual(buyer.requests.filter((u) => !u.startsWith(w.worker.baseUrl) && !/^(blob|data):/.test(u)), []);
  assert.ok(buyer.requests.some((u) => u.endsWith('/vendor/vericord/vericord_wasm_bg.wasm')), 'the wasm verifier ran');
  assert.deepEqual(buyer.problems, []);

  // A second visit of the same browser: the same checkpoint, and the session still holds.
  const again = await buyer.open(link.url);
  await again.waitForSelector('#package[data-status="verified"]', WAIT);
  v = await read(again);
  assert.equal(v.status, 'verified');
  assert.match(v.checks['log-checks'].find((c) => c.name === 'witness').text, /the same checkpoint this browser verified/);
  await buyer.context.close();
});

test('the page is served under the strict CSP at /c/:handle; a pinned key is used alone, a wrong one fails', async () => {
  const res = await fetch(link.url);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.equal(res.status, 200);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(await res.text(), /<script type="module" src="\/c\.mjs"><\/script>/);

  const buyer = await newBuyer();
  let page = await buyer.open(`${link.url}#key=${TEST_KEY.verifierKey}`);
  let v = await read(page);
  assert.equal(v.status, 'code-required');
  assert.match(v.keyInfo, /^Pinned in this link: vericord\.test\+/);
  await unlock(page);
  v = await read(page);
  assert.equal(v.status, 'verified', `${v.headline} ${v.detail}`);

  const other = noteKey('vericord.test', Buffer.alloc(32, 0x22)).verifierKey;
  const fresh = await newBuyer();
  page = await fresh.open(`${link.url}#key=${other}`);
  v = await read(page);
  assert.equal(v.status, 'failed');
  assert.deepEqual(failing(v.checks['log-checks']).map((c) => c.name), ['latest.signature']);
  assert.match(v.headline, /latest checkpoint/);
  await buyer.context.close();
  await fresh.context.close();
});

test('(b) a record of the close package altered in transit: the page names the failing check and the record', async () => {
  const buyer = await newBuyer();
  const page = await buyer.open(link.url, {
    route: (p) => p.route('**/close-package?*', async (route) => {
      const res = await route.fetch();
      const text = await res.text();
      const altered = text.replace('"delta":"7.75"', '"delta":"7.76"');
      assert.notEqual(altered, text);
      await route.fulfill({ response: res, body: altered });
    }),
  });
  await unlock(page);
  const v = await read(page);
  assert.equal(v.status, 'failed');
  assert.equal(v.package, 'failed');
  const bad = failing(v.checks['package-checks']);
  assert.ok(bad.some((c) => c.name === 'records.itemHash'), JSON.stringify(bad));
  const seq = (await (await fetch(`${w.worker.baseUrl}${mwPath('buyer-1', `close-package?period=${w.months[1]}`)}`, { headers: { 'x-api-key': w.key } })).json())
    .records.find((r) => r.item.delta === '7.75').seq;
  assert.match(bad.find((c) => c.name === 'records.itemHash').text, new RegExp(`\\(seq ${seq}\\)`));
  assert.match(v.headline, new RegExp(`Not verified: the close package of ${w.months[1]}`));
  assert.match(v.detail, /Every record's content matches its hash — failed: records\[\d\] \(seq \d+\)/);
  assert.equal(v.factsShown, false, 'no totals shown from a package that failed');
  assert.equal(v.recordsShown, false, 'no records shown from a package that failed');
  await keep(page, '04-tampered-record');
  await buyer.context.close();
});

test('(b) the latest checkpoint\'s signed note altered in transit: the signature check fails, nothing is verified', async () => {
  const buyer = await newBuyer();
  const page = await buyer.open(link.url, {
    route: (p) => p.route(/\/api\/v1\/c\/[^/]+$/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      const note = body.data.latestCheckpoint.note;
      body.data.latestCheckpoint.note = note.replace(/\nclosing (\S+)\n/, '\nclosing 1000000\n');
      assert.notEqual(body.data.latestCheckpoint.note, note);
      await route.fulfill({ response: res, json: body });
    }),
  });
  const v = await read(page);
  assert.equal(v.status, 'failed');
  assert.deepEqual(failing(v.checks['log-checks']).map((c) => c.name), ['latest.signature']);
  assert.match(v.detail, /signature does not verify/);
  assert.equal(await page.isHidden('#log-facts'), true);
  assert.equal(await page.isHidden('#access'), true, 'no code asked for on a record that failed');
  await keep(page, '05-tampered-note');
  await buyer.context.close();
});

test('(b) a compare altered in transit fails its check', async () => {
  const buyer = await newBuyer();
  const page = await buyer.open(link.url, {
    route: (p) => p.route('**/compare', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.data.records[1].balanceAfter = '0';
      await route.fulfill({ response: res, json: body });
    }),
  });
  await unlock(page);
  await page.click('#compare-run');
  await page.waitForSelector('#compare-result:is([data-status="verified"], [data-status="failed"], [data-status="error"])', WAIT);
  const v = await read(page);
  assert.equal(await page.getAttribute('#compare-result', 'data-status'), 'failed');
  const bad = failing(v.checks['compare-checks']).map((c) => c.name);
  assert.ok(bad.includes('records.balance') || bad.includes('records.entryHash'), bad.join());
  assert.equal(v.status, 'failed');
  await buyer.context.close();
});

test('(b) the log grows: the witness checks the consistency proof; altered in transit it fails with evidence, genuine it passes', async () => {
  const buyer = await newBuyer();
  let page = await buyer.open(link.url);
  const first = await read(page);
  assert.match(first.checks['log-checks'].find((c) => c.name === 'witness').text, /first visit/);
  const seenSize = Number(await page.textContent('#cp-size'));
  await page.close();

  // The vendor records more and signs an interim checkpoint of this month.
  assertOk(await api(w.worker.baseUrl, w.key, 'POST', '/api/v1/balance/delta', { customerId: 'buyer-1', delta: -2.5, reason: 'this month', vendorAccountId: vendor(0) }), 201);
  const interim = assertOk(await api(w.worker.baseUrl, w.key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'buyer-1', vendorAccountId: vendor(0) }), 201);
  assert.equal(interim.treeSize, seenSize + 1);

  page = await buyer.open(link.url, {
    route: (p) => p.route('**/consistency?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      assert.ok(body.data.proof.length > 0);
      body.data.proof[0] = `0x${'ab'.repeat(32)}`;
      await route.fulfill({ response: res, json: body });
    }),
  });
  let v = await read(page);
  assert.equal(v.status, 'failed');
  assert.deepEqual(failing(v.checks['log-checks']).map((c) => c.name), ['witness']);
  assert.match(v.detail, /does not extend what this browser saw/);
  assert.equal(v.evidenceShown, true);
  const evidence = await evidenceOf(page);
  assert.equal(evidence.seen.treeSize, seenSize);
  assert.equal(evidence.served.treeSize, seenSize + 1);
  assert.equal(evidence.consistencyProof.proof[0], `0x${'ab'.repeat(32)}`);
  await keep(page, '06-tampered-consistency');
  await page.close();

  // The same browser again, nothing altered: the genuine proof extends what it saw.
  page = await buyer.open(link.url);
  v = await read(page);
  assert.equal(v.status, 'code-required', `${v.headline} ${v.detail}`);
  assert.match(v.checks['log-checks'].find((c) => c.name === 'witness').text, new RegExp(`grew from ${seenSize} to ${seenSize + 1} entries`));
  await unlock(page);
  v = await read(page);
  assert.equal(v.status, 'verified', `${v.headline} ${v.detail}`);
  // The newest closed period is now a prefix of the latest checkpoint, proven by consistency.
  assert.match(v.checks['package-checks'].find((c) => c.name === 'package.history').text, new RegExp(`provably extends it \\(${seenSize} entries\\)`));
  await buyer.context.close();
});

test('(c) a second visit served a rewritten history: forged note, rewind, fork — the witness fails and the evidence verifies offline', async () => {
  const key = [TEST_KEY.verifierKey];
  const buyer = await newBuyer();
  let page = await buyer.open(link.url);
  const seenNote = await page.evaluate((h) => JSON.parse(localStorage.getItem(`vericord.witness.v1:${h}`)).note, link.handle);
  const seen = V.verifyCheckpoint(seenNote, key);
  await page.close();

  // 1. A forged checkpoint two entries on, with a root of the server's choosing, signed with the
  // deployment's (test) key, and a consistency proof that cannot verify.
  const forged = signedNote({ ...seen, size: seen.size + 2, root: `0x${randomBytes(32).toString('hex')}`, closing: '12345', count: seen.count + 2 });
  const junkProof = [`0x${randomBytes(32).toString('hex')}`, `0x${randomBytes(32).toString('hex')}`];
  page = await buyer.open(link.url, {
    route: serveLatest(forged, (p) => p.route('**/consistency?*', (route) => route.fulfill({
      json: { success: true, data: { fromSize: seen.size, toSize: seen.size + 2, fromRoot: seen.root, toRoot: V.verifyCheckpoint(forged, key).root, proof: junkProof } },
    }))),
  });
  let v = await read(page);
  assert.equal(v.status, 'failed');
  assert.equal(v.code, 'HISTORY_REWRITTEN');
  assert.deepEqual(failing(v.checks['log-checks']).map((c) => c.name), ['witness']);
  assert.match(v.detail, /The server served a history that does not extend what this browser saw/);
  assert.equal(await page.isVisible('#evidence-link'), true);
  assert.equal(await page.isHidden('#log-facts'), true, 'nothing of the served checkpoint shown as verified');
  assert.equal(await page.isHidden('#periods'), true);
  assert.deepEqual(await lowContrast(page), []);
  await keep(page, '07-rewritten-history');
  const evidence = await evidenceOf(page);
  assert.equal(evidence.format, 'vericord.equivocation-evidence/v1');
  assert.equal(evidence.handle, link.handle);
  assert.deepEqual(evidence.seen, { treeSize: seen.size, proofRoot: seen.root, note: seenNote });
  assert.equal(evidence.served.note, forged);
  assert.deepEqual(evidence.consistencyProof.proof, junkProof);
  assert.ok(evidence.verifierKeys.includes(TEST_KEY.verifierKey));
  assert.match(evidence.reason, /does not extend/);
  // Anyone can check it: both notes are signed by the key, and the served tree does not extend the seen one.
  const a = V.verifyCheckpoint(evidence.seen.note, key);
  const b = V.verifyCheckpoint(evidence.served.note, key);
  assert.equal(a.root, evidence.seen.proofRoot);
  assert.equal(b.size, evidence.served.treeSize);
  assert.throws(() => V.verifyConsistency(a.size, a.root, b.size, b.root, evidence.consistencyProof.proof), (e) => V.isVericordError(e));
  await page.close();

  // 2. A genuine but older checkpoint (the first month's close) served as the latest: a rewind.
  const older = (await (await fetch(`${w.worker.baseUrl}${mwPath('buyer-1', `close-package?period=${w.months[1]}`)}`, { headers: { 'x-api-key': w.key } })).json()).previous.note;
  page = await buyer.open(link.url, { route: serveLatest(older) });
  v = await read(page);
  assert.equal(v.status, 'failed');
  assert.match(v.checks['log-checks'].find((c) => c.name === 'witness').text, /the log shrank/);
  const rewind = await evidenceOf(page);
  assert.equal(rewind.consistencyProof, null);
  assert.ok(V.verifyCheckpoint(rewind.served.note, key).size < V.verifyCheckpoint(rewind.seen.note, key).size);
  await page.close();

  // 3. A fork: the same size, another root.
  const fork = signedNote({ ...seen, root: `0x${randomBytes(32).toString('hex')}` });
  page = await buyer.open(link.url, { route: serveLatest(fork) });
  v = await read(page);
  assert.equal(v.status, 'failed');
  assert.match(v.checks['log-checks'].find((c) => c.name === 'witness').text, /two different logs of \d+ entries/);
  await page.close();

  // What the browser remembers is still what it verified: the genuine log verifies as before.
  page = await buyer.open(link.url);
  v = await read(page);
  assert.equal(v.status, 'code-required');
  assert.match(v.checks['log-checks'].find((c) => c.name === 'witness').text, /the same checkpoint/);
  await buyer.context.close();
});

test('GATED: the summary itself needs the code; after it, everything verifies', async () => {
  const gated = await makeLink('buyer-1', 1, 'GATED');
  const buyer = await newBuyer();
  const page = await buyer.open(gated.url);
  let v = await read(page);
  assert.equal(v.status, 'code-required');
  assert.equal(await page.isHidden('#account'), true, 'nothing of the record before the code');
  await unlock(page, gated.code);
  v = await read(page);
  assert.equal(v.status, 'verified', `${v.headline} ${v.detail}`);
  assert.equal(v.vendor, 'Beta Vendor GmbH');
  await buyer.context.close();
});

test('lockout and revoke in plain words: 429 ACCESS_LOCKED with its Retry-After, 410 LINK_REVOKED', async () => {
  const other = await makeLink('buyer-2');
  const buyer = await newBuyer();
  const page = await buyer.open(other.url);
  const wrong = other.code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
  for (let i = 0; i < 6 && (await read(page)).status !== 'locked'; i++) await unlock(page, wrong);
  const v = await read(page);
  assert.equal(v.status, 'locked');
  assert.match(v.detail, /Too many wrong access codes were entered\. Try again in (\d+ seconds|1 minute)/);
  assert.equal(await page.isDisabled('#code-submit'), true);
  await keep(page, '08-locked');

  assertOk(await manage('POST', 'buyer-2', 'access-link/revoke', {}), 200);
  const gone = await buyer.open(other.url);
  const r = await read(gone);
  assert.equal(r.status, 'revoked');
  assert.match(r.headline, /This link was revoked/);
  assert.equal(await gone.isHidden('#account'), true);
  await keep(gone, '09-revoked');

  const unknown = await buyer.open(`${w.worker.baseUrl}/c/cus_${'a'.repeat(32)}`);
  assert.equal((await read(unknown)).status, 'not-found');
  await buyer.context.close();
});

test('(d) no byte the pages received or showed names the middleware parent tenant', () => {
  assert.ok(received.length > 20, `${received.length} responses`);
  assert.ok(received.some(([u]) => /\/close-package\?/.test(u)) && received.some(([u]) => /\/api\/v1\/c\/[^/]+$/.test(u)));
  for (const [url, body] of received) assert.ok(!body.includes(PARENT_NAME), `${url} names the parent tenant`);
  assert.ok(shown.length >= 5);
  for (const html of shown) assert.ok(!html.includes(PARENT_NAME), 'a page shows the parent tenant');
});
