// bench/shared-record: the buyer's Shared Record page (/c/:handle) in headless Chromium, for a
// closed period of 1,000, 10,000 and 100,000 records. For each: the time from navigation until
// the page says "verified" (the latest checkpoint, the witness, and the period's whole close
// package checked in the browser's verifier worker), the part of it spent until the close
// package had arrived, the bytes the page and its worker received (Resource Timing: on the
// wire and decoded, the wasm included),
// the longest task on the page's main thread meanwhile (what "the page does not freeze"
// means), and the time to show the next page of 100 records.
//   node bench/shared-record/run.mjs          (SIZES=1000,10000,100000 ROUNDS=3)
// Needs the Worker built (source scripts/lib.sh && build_worker). Records every entry through
// the real API first (with the Worker's clock in last month, CLOCK_OFFSET_MS), which takes a
// few minutes; BENCH_D1=<dir> keeps that D1 and reuses it on the next run.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWorker, api, median, machine, recordedMonth } from '../lib.mjs';

const SIZES = (process.env.SIZES ?? '1000,10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const log = (...a) => console.log(...a);

// --- 1. Record each customer's period in last month, through the API. ---------------------
const keep = process.env.BENCH_D1;
const { persistDir, key, vendor, month: lastMonth } = await recordedMonth({ keep, stateName: 'bench-shared.json', sizes: SIZES, tenantName: 'Bench Shared Parent', log });

// --- 2. On the real clock: close the month, make a link per customer. --------------------
const w = await startWorker({ persistDir });
const links = {};
const mw = (size, rest) => `/api/v1/middleware/customers/c${size}/${rest}${rest.includes('?') ? '&' : '?'}vendorAccountId=${vendor}`;
try {
  for (const size of SIZES) {
    const p = await api(w.baseUrl, key, 'GET', mw(size, 'periods'));
    if (p.status !== 200 || p.body.data.periods[0]?.totals?.recordCount !== size) throw new Error(`periods of c${size}: ${JSON.stringify(p.body).slice(0, 300)}`);
    const existing = await api(w.baseUrl, key, 'GET', mw(size, 'access-link'));
    const path = existing.body.data?.link?.state === 'active' ? 'access-link/reissue' : 'access-link';
    const made = await api(w.baseUrl, key, 'POST', mw(size, path), {});
    if (made.status !== 201) throw new Error(`link of c${size}: ${JSON.stringify(made.body).slice(0, 300)}`);
    links[size] = { url: made.body.data.link.url, handle: made.body.data.link.handle, code: made.body.data.accessCode };
  }

  // --- 3. The page in Chromium: a fresh browser profile per round (a first visit). --------
  const browser = await chromium.launch({
    executablePath: process.env.VERICORD_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const results = {};
  try {
    for (const size of SIZES) {
      const l = links[size];
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) {
        const context = await browser.newContext();
        // The session first (as after typing the code), so the round times the record itself.
        const step = await context.request.post(`${w.baseUrl}/api/v1/c/${l.handle}/access/verify`, { data: { factor: 'ACCESS_HINT', value: l.code } });
        if (!step.ok()) throw new Error(`step-up: ${step.status()} ${await step.text()}`);
        // Main-thread tasks over 50 ms, as the browser reports them (Long Tasks API).
        await context.addInitScript(() => {
          window.__longTasks = [];
          new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
        });
        const page = await context.newPage();
        await page.goto(l.url);
        await page.waitForSelector('#status[data-status="verified"], #status[data-status="failed"], #status[data-status="error"]', { timeout: 600_000 });
        const verdict = await page.getAttribute('#status', 'data-status');
        if (verdict !== 'verified') throw new Error(`c${size}: ${verdict}: ${await page.textContent('#status')}`);
        await page.waitForSelector('#records tbody tr', { timeout: 600_000 });
        const marks = await page.evaluate(() => ({
          verified: performance.getEntriesByName('vericord:verified')[0]?.startTime,
          received: performance.getEntriesByName('vericord:close-package-received')[0]?.startTime,
          bytes: performance.getEntriesByName('vericord:close-package-received')[0]?.detail?.bytes,
          longest: window.__longTasks ? Math.max(0, ...window.__longTasks) : null,
        }));
        if (marks.longest === null) throw new Error('the Long Tasks observer did not run');
        // The next page of records, from the worker's parsed package.
        let nextMs = null;
        if (size > 100) {
          const t = performance.now();
          await page.click('#next');
          await page.waitForFunction(() => document.getElementById('page-info').textContent.startsWith('Records 101–'), null, { timeout: 60_000 });
          nextMs = performance.now() - t;
        }
        // What the page and its verifier worker received, from their own Resource Timing
        // entries: bytes on the wire (workerd gzips; headers included) and decoded bodies.
        const entries = () => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
          .map((e) => ({ wire: e.transferSize, body: e.decodedBodySize }));
        const got = [...await page.evaluate(entries), ...(await Promise.all(page.workers().map((wk) => wk.evaluate(entries)))).flat()];
        if (page.workers().length !== 1) throw new Error(`${page.workers().length} workers`);
        await page.close();
        const transfer = got.reduce((a, b) => a + b.wire, 0);
        const decoded = got.reduce((a, b) => a + b.body, 0);
        rounds.push({ ...marks, transfer, decoded, nextMs });
        await context.close();
      }
      results[size] = {
        verifiedMs: median(rounds.map((x) => x.verified)),
        receivedMs: median(rounds.map((x) => x.received)),
        packageBytes: rounds[0].bytes,
        transfer: median(rounds.map((x) => x.transfer)),
        decoded: median(rounds.map((x) => x.decoded)),
        longestMs: Math.max(...rounds.map((x) => x.longest)),
        nextMs: size > 100 ? median(rounds.map((x) => x.nextMs)) : null,
      };
      log(`c${size}: ${JSON.stringify(rounds.map((x) => Math.round(x.verified)))} ms to verified`);
    }
  } finally {
    await browser.close();
  }

  log(`\nmachine: ${machine()}, Chromium headless; median of ${ROUNDS} first visits (fresh profile, session cookie set)`);
  log('records   time to "verified" (ms)   close package arrived at (ms)   package (MB)   page received: on the wire (gzip) / decoded (MB)   longest main-thread task (ms)   next 100 records (ms)');
  for (const size of SIZES) {
    const x = results[size];
    const mb = (b) => (b / 1e6).toFixed(2);
    log(`${String(size).padStart(7)}   ${x.verifiedMs.toFixed(0).padStart(23)}   ${x.receivedMs.toFixed(0).padStart(29)}   ${mb(x.packageBytes).padStart(12)}   ${`${mb(x.transfer)} / ${mb(x.decoded)}`.padStart(48)}   ${x.longestMs.toFixed(0).padStart(29)}   ${x.nextMs === null ? '—'.padStart(21) : x.nextMs.toFixed(0).padStart(21)}`);
  }
} finally {
  await w.stop();
  if (!keep) rmSync(persistDir, { recursive: true, force: true });
}
