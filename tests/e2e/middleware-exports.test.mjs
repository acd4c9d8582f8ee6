// Issue 10: the exports of a closed period, opened by real tools. The CSV read by Python's
// csv module with totals matching the summary; the PDF rendered by pdftoppm and its numbers
// found by pdftotext; the bundle listed and extracted by unzip, verified by the CLI (the zip
// itself too) and by its own verify.html opened from file:// in headless Chromium with every
// request blocked — and the same bundle altered, refused by each. No member names the parent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './browser.mjs';
import * as V from '../../crates/wasm/pkg/node.js';
import { api, assertOk } from './fixtures.mjs';
import { closeWorld, PARENT_NAME } from './close-world.mjs';
import { output, run, vericordCli } from './tools.mjs';

const PY = process.env.VERICORD_PY ?? 'python3';
let w;
let dir;
let keys;
let cli;
let summary;
let browser;

before(async () => {
  cli = await vericordCli(); // before any request, so no pooled connection waits on the build
  w = await closeWorld();
  dir = mkdtempSync(join(tmpdir(), 'vericord-exports-'));
  keys = (await api(w.worker.baseUrl, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
  const p = assertOk(await api(w.worker.baseUrl, w.key, 'GET', `/api/v1/middleware/customers/buyer-1/periods?vendorAccountId=${w.vendors[0].id}`), 200);
  summary = p.periods[0].totals;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await w?.worker.stop();
});

async function download(format) {
  const res = await fetch(`${w.worker.baseUrl}/api/v1/middleware/customers/buyer-1/export?format=${format}&period=${w.months[1]}&vendorAccountId=${w.vendors[0].id}`, { headers: { 'x-api-key': w.key } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, bytes.toString('utf8', 0, 300));
  const file = join(dir, /filename="([^"]+)"/.exec(res.headers.get('content-disposition'))[1]);
  writeFileSync(file, bytes);
  return { file, bytes, type: res.headers.get('content-type') };
}

test('the CSV is RFC 4180 that Python\'s csv module reads, one row per record, totals matching the summary', async () => {
  const { file, type, bytes } = await download('csv');
  assert.match(type, /^text\/csv/);
  assert.ok(!bytes.toString('latin1').includes(PARENT_NAME));
  const out = await output(PY, ['-c', `
import csv, json, sys
from decimal import Decimal
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
exact = lambda d: format(d.normalize(), 'f')
print(json.dumps({
  "n": len(rows), "columns": list(rows[0].keys()),
  "credits": exact(sum((Decimal(r["x_Delta"]) for r in rows if Decimal(r["x_Delta"]) > 0), Decimal(0))),
  "debits": exact(sum((-Decimal(r["x_Delta"]) for r in rows if Decimal(r["x_Delta"]) < 0), Decimal(0))),
  "billed": exact(sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))),
  "last": rows[-1]["x_BalanceAfter"], "reasons": [r["ChargeDescription"] for r in rows],
  "categories": [r["ChargeCategory"] for r in rows], "vendor": rows[0]["InvoiceIssuerName"],
}))`, file]);
  const csv = JSON.parse(out);
  assert.equal(csv.n, summary.recordCount);
  for (const c of ['BillingAccountId', 'ChargePeriodStart', 'ChargePeriodEnd', 'ChargeCategory', 'BilledCost', 'InvoiceIssuerName', 'x_RecordId', 'x_Seq', 'x_ItemHash', 'x_EntryHash', 'x_BalanceAfter', 'x_CheckpointRoot']) {
    assert.ok(csv.columns.includes(c), c);
  }
  assert.equal(csv.credits, summary.credits);
  assert.equal(csv.debits, summary.debits);
  // BilledCost is −delta per row, so it sums to −net, exactly.
  assert.equal(csv.billed, summary.net.startsWith('-') ? summary.net.slice(1) : `-${summary.net}`);
  assert.equal(csv.last, summary.closing);
  assert.deepEqual(csv.categories, ['Usage', 'Credit', 'Usage']);
  assert.equal(csv.reasons[0], 'tokens, "large" model; batch 7');
  assert.equal(csv.reasons[2], "'=SUM(A1:A9) injection test", 'a formula-like text cell is defused');
  assert.equal(csv.vendor, 'Acme Inference');
});

test('the PDF statement renders (pdftoppm) and pdftotext finds the vendor, customer, period and every total', async () => {
  const { file, type } = await download('pdf');
  assert.equal(type, 'application/pdf');
  const text = await output('pdftotext', ['-layout', file, '-']);
  for (const s of ['Acme Inference', 'buyer-1', w.months[1], summary.opening, summary.credits, summary.debits, summary.net, summary.closing, 'vericord verify', 'verify.html', 'refund']) {
    assert.ok(text.includes(s), `pdftotext lacks ${s}`);
  }
  assert.ok(!text.includes(PARENT_NAME));
  await output('pdftoppm', ['-r', '40', '-png', file, join(dir, 'page')]);
  const pages = readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
  assert.ok(pages.length >= 1);
  assert.ok(statSync(join(dir, pages[0])).size > 2_000, 'the first page rendered to a real image');
});

test('the bundle: unzip lists and extracts it; the CLI verifies the package and the zip; verify.html verifies itself offline in Chromium', async () => {
  const { file, type } = await download('bundle');
  assert.equal(type, 'application/zip');
  const listing = await output('unzip', ['-l', file]);
  for (const m of ['close-package.json', 'records.csv', 'statement.pdf', 'verify.html', 'VERIFY.txt']) assert.ok(listing.includes(m), m);
  const out = join(dir, 'unzipped');
  await output('unzip', ['-q', '-o', file, '-d', out]);
  for (const m of readdirSync(out)) {
    const body = m.endsWith('.pdf') ? await output('pdftotext', [join(out, m), '-']) : readFileSync(join(out, m), 'utf8');
    assert.ok(!body.includes(PARENT_NAME), `${m} names the parent tenant`);
  }
  const pkgText = readFileSync(join(out, 'close-package.json'), 'utf8');
  assert.equal(V.verifyClosePackage(pkgText, keys).verified, true);
  assert.equal((await run(cli, ['verify', join(out, 'close-package.json'), ...keys.flatMap((k) => ['--key', k])])).status, 0);
  assert.equal((await run(cli, ['verify', file])).status, 0, 'the CLI reads the zip itself');
  assert.match(readFileSync(join(out, 'VERIFY.txt'), 'utf8'), /vericord verify close-package\.json --key /);

  // verify.html from file://, network off: verified.
  const open = async (html) => {
    const page = await browser.newPage();
    const requests = [];
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    await page.goto(`file://${html}`);
    await page.waitForSelector('#result[data-status]', { timeout: 60_000 });
    const status = await page.$eval('#result', (e) => e.dataset.status);
    const text = await page.evaluate(() => document.body.innerText);
    await page.close();
    return { status, text, requests };
  };
  const good = await open(join(out, 'verify.html'));
  assert.equal(good.status, 'verified', good.text.slice(0, 500));
  assert.deepEqual(good.requests.filter((u) => !u.startsWith('file:')), [], 'no network request');
  assert.ok(good.text.includes('Acme Inference') && good.text.includes(summary.closing));
  // The same page with one amount of the embedded package altered: refused, on the page too.
  const html = readFileSync(join(out, 'verify.html'), 'utf8');
  const tampered = html.replace('"delta":"7.75"', '"delta":"7.76"');
  assert.notEqual(tampered, html);
  writeFileSync(join(dir, 'tampered.html'), tampered);
  const bad = await open(join(dir, 'tampered.html'));
  assert.equal(bad.status, 'failed');
  // And the altered package is refused by the CLI and the npm package.
  const altered = pkgText.replace('"delta":"7.75"', '"delta":"7.76"');
  writeFileSync(join(dir, 'altered.json'), altered);
  assert.equal((await run(cli, ['verify', join(dir, 'altered.json'), ...keys.flatMap((k) => ['--key', k])])).status, 1);
  assert.equal(V.verifyClosePackage(altered, keys).verified, false);
});

test('the same period exports the same bytes twice (deterministic), except the bundle members that are equal too', async () => {
  const a = await download('csv');
  const b = await download('csv');
  assert.deepEqual(a.bytes, b.bytes);
  const p1 = await download('pdf');
  const p2 = await download('pdf');
  assert.deepEqual(p1.bytes, p2.bytes);
});
