// Issue 11 §5: `scripts/dev`, the user's first command, from an empty state: it seeds the demo
// tenants, two closed months and a live one, makes the demo Shared Record link and prints it
// with its access code; the printed link opened in Chromium with the printed code shows every
// check passed. A second start reuses the state and prints the same link.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';
import { freePort } from './harness.mjs';
import { output } from './tools.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const state = mkdtempSync(join(tmpdir(), 'vericord-dev-'));
let running;
after(async () => {
  await running?.stop();
  rmSync(state, { recursive: true, force: true });
});

/** Runs scripts/dev until it says it serves; resolves to {out (all it printed so far), stop}. */
async function dev(port) {
  const child = spawn(join(ROOT, 'scripts/dev'), [], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), VERICORD_STATE: state },
  });
  let out = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { out += b; });
  const exited = new Promise((ok) => child.on('exit', ok));
  const stop = async () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    await exited;
  };
  for (let i = 0; i < 3000 && !/vericord on http/.test(out); i++) {
    if (child.exitCode !== null) throw new Error(`scripts/dev exited ${child.exitCode}:\n${out.slice(-3000)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.match(out, /vericord on http/, out.slice(-3000));
  return { get out() { return out; }, stop };
}

test('scripts/dev from nothing: the printed link and code open a Shared Record whose every check passes', async () => {
  const port = await freePort();
  running = await dev(port);
  const link = /(http:\/\/127\.0\.0\.1:\d+\/c\/cus_[a-z2-7]{32})/.exec(running.out)?.[1];
  const code = /access code: ([23456789A-HJKMNP-Z]{6})/.exec(running.out)?.[1];
  assert.ok(link && code, running.out.slice(-2000));
  assert.ok(link.startsWith(`http://127.0.0.1:${port}/c/`));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(link);
    await page.waitForSelector('#code', { state: 'visible', timeout: 60_000 });
    await page.fill('#code', code);
    await page.click('#code-submit');
    await page.waitForSelector('#status[data-status="verified"]', { timeout: 120_000 });
    const failed = await page.$$eval('[data-check][data-ok="false"]', (els) => els.map((e) => e.dataset.check));
    assert.deepEqual(failed, []);
    const passed = await page.$$eval('[data-check][data-ok="true"]', (els) => els.length);
    assert.ok(passed > 10, `${passed} checks shown as passed`);
    const text = await page.evaluate(() => document.body.innerText);
    assert.ok(text.includes('Acme Inference'), text.slice(0, 500));
    assert.ok(!text.includes('Demo Billing Middleware'), 'the parent tenant is never named');
  } finally {
    await browser.close();
  }
  await running.stop();
  // Again: the same state, the same link and code, nothing seeded twice.
  running = await dev(port);
  assert.ok(running.out.includes(link) && running.out.includes(`access code: ${code}`), running.out.slice(-2000));
  assert.ok(!running.out.includes('seeding demo records'));
  // The printed dashboard token reads the demo vendor's customers; scripts/dashboard-token mints more.
  const token = /Demo Vendor: (eyJ[\w-]+\.[\w-]+\.[\w-]+)/.exec(running.out)?.[1];
  assert.ok(token, running.out.slice(-2000));
  const list = async (t) => {
    const res = await fetch(`http://127.0.0.1:${port}/dashboard/customers`, { headers: { authorization: `Bearer ${t}`, 'x-environment': 'sandbox' } });
    assert.equal(res.status, 200);
    return (await res.json()).data.customers.map((c) => c.customerId);
  };
  assert.deepEqual(await list(token), ['cust_1']);
  const tenant = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).tenant;
  const viewer = (await output(join(ROOT, 'scripts/dashboard-token'), [tenant, '--role', 'viewer'], { env: { ...process.env, VERICORD_STATE: state } })).trim();
  assert.deepEqual(await list(viewer), ['cust_1']);
  assert.equal(JSON.parse(Buffer.from(viewer.split('.')[1], 'base64url')).role, 'viewer');
  // The local server runs the cron every minute; SIGUSR2 runs it at once (the README says how).
  process.kill(Number(readFileSync(join(state, 'serve.pid'), 'utf8')), 'SIGUSR2');
  for (let i = 0; i < 200 && !running.out.includes('# scheduled: ok'); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(running.out.includes('# scheduled: ok'), running.out.slice(-2000));
});
