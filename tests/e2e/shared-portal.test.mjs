// Issue 11 §3: a buyer portal on another origin imports the npm package and reads the public
// routes from its own origin, in headless Chromium: keys and a checkpoint with no credentials
// (any origin), the step-up session with credentials (only from an allow-listed origin), and
// the Shared Record page framed by the allow-listed origin and refused to any other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';
import { admin, api, assertOk } from './fixtures.mjs';
import { closeWorld } from './close-world.mjs';
import { serve } from '../npm/lib/server.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
let w;
let browser;
let allowed;
let stranger;
let link;

// The portal's script: what a buyer portal does with the npm package.
const portalScript = (worker, handle, code) => `
import * as V from '/pkg/browser.js';
const out = {};
try {
  const keys = (await (await fetch('${worker}/.well-known/vericord/keys')).json()).data.keys.map((k) => k.verifierKey);
  out.keys = keys.length;
  const summary = (await (await fetch('${worker}/api/v1/c/${handle}')).json()).data;
  out.checkpoint = V.verifyCheckpoint(summary.latestCheckpoint.note, keys).size;
  const verify = await fetch('${worker}/api/v1/c/${handle}/access/verify', {
    method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ factor: 'ACCESS_HINT', value: '${code}' }),
  });
  out.stepUp = verify.status;
  const history = await fetch('${worker}/api/v1/c/${handle}/history', { credentials: 'include' });
  out.history = history.status;
  out.entries = history.ok ? (await history.json()).data.entries.length : null;
} catch (e) {
  out.error = String(e);
}
window.result = out;
`;

before(async () => {
  w = await closeWorld();
  const made = assertOk(await api(w.worker.baseUrl, w.key, 'POST', `/api/v1/middleware/customers/buyer-1/access-link?vendorAccountId=${w.vendors[0].id}`, { policy: 'TWO_TIER' }), 201);
  link = { handle: made.link.handle, code: made.accessCode };
  const pages = () => ({
    '/portal.html': '<!doctype html><meta charset="utf-8"><title>portal</title><script type="module" src="/portal.mjs"></script>',
    '/portal.mjs': portalScript(w.worker.baseUrl, link.handle, link.code),
    '/frame.html': `<!doctype html><meta charset="utf-8"><title>frame</title><iframe id="f" title="Shared Record" src="${w.worker.baseUrl}/c/${link.handle}"></iframe>`,
  });
  allowed = await serve({ '/pkg/': join(ROOT, 'crates/wasm/pkg') }, pages());
  stranger = await serve({ '/pkg/': join(ROOT, 'crates/wasm/pkg') }, pages());
  await admin(w.worker.baseUrl, 'PATCH', `/admin/tenants/${w.mw.id}`, { embedOrigins: [allowed.url] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  allowed?.close();
  stranger?.close();
  await w?.worker.stop();
});

async function runPortal(origin) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/portal.html`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
  const result = await page.evaluate(() => window.result);
  await page.close();
  return { ...result, errors };
}

test('an allow-listed portal verifies a checkpoint and, with the step-up cookie, reads the records', async () => {
  const r = await runPortal(allowed.url);
  assert.deepEqual(r.errors, []);
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.keys >= 1);
  assert.equal(r.checkpoint, 6);
  assert.equal(r.stepUp, 200);
  assert.equal(r.history, 200);
  assert.equal(r.entries, 6);
});

test('any other origin reads keys and checkpoints, but its credentialed requests are refused by the browser', async () => {
  const r = await runPortal(stranger.url);
  assert.ok(r.keys >= 1, JSON.stringify(r));
  assert.equal(r.checkpoint, 6, 'open data needs no credentials');
  assert.equal(r.stepUp, undefined);
  assert.match(r.error, /Failed to fetch/, 'a credentialed response without the origin echoed is unreadable');
});

test('the Shared Record page may be framed by the allow-listed origin only', async () => {
  const load = async (origin) => {
    const page = await browser.newPage();
    const blocked = [];
    page.on('console', (m) => { if (/frame-ancestors/.test(m.text())) blocked.push(m.text()); });
    await page.goto(`${origin}/frame.html`);
    const frame = await (await page.waitForSelector('#f')).contentFrame();
    await frame.waitForLoadState('load').catch(() => {});
    const url = frame.url();
    const title = await frame.title().catch(() => '');
    await page.close();
    return { url, title, blocked };
  };
  const ok = await load(allowed.url);
  assert.ok(ok.url.startsWith(`${w.worker.baseUrl}/c/`), ok.url);
  assert.deepEqual(ok.blocked, []);
  const refused = await load(stranger.url);
  assert.ok(!refused.url.startsWith(`${w.worker.baseUrl}/c/`) || refused.blocked.length > 0, JSON.stringify(refused));
});
