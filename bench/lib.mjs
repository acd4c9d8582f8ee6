// Shared by the benchmarks: a real local Worker (workerd, scripts/serve.mjs) on a fresh local D1.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, applyMigrations } from '../tests/e2e/harness.mjs';
import { createTenant, api } from '../tests/e2e/fixtures.mjs';

export { startWorker, createTenant, api };

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, local workerd via Miniflare + SQLite D1`;
}

/** A 100-delta batch body over `customers` customers, as exact JSON text. */
export function batchBody(customers, seed, { references = true } = {}) {
  const deltas = [];
  for (let i = 0; i < 100; i++) {
    const cents = ((seed * 100 + i) % 9_999) - 4_999 || 1;
    const ref = references ? `,"referenceId":"r${seed}_${i}"` : '';
    deltas.push(`{"customerId":"cust_${(seed + i) % customers}","delta":${(cents / 100).toFixed(2)},"reason":"usage"${ref},"metadata":{"model":"m-1","tokens":${i * 37}}}`);
  }
  return `{"deltas":[${deltas.join(',')}]}`;
}

/** Runs `requests` POSTs of `body(n)` from `clients` concurrent clients; returns seconds. */
export async function load(baseUrl, key, path, { clients, requests, body }) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < requests) {
        const n = next++;
        const r = await api(baseUrl, key, 'POST', path, body(n));
        if (r.status !== 201) throw new Error(`${path} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Records `size` deltas for customer `c<size>` under `vendor` through the batch API (8 clients,
 * 100 per request) and waits until every one is VERIFIED (kicking the cron meanwhile). */
export async function recordPeriod(w, key, vendor, size) {
  const { baseUrl } = w;
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < Math.ceil(size / 100)) {
      const n = next++;
      const count = Math.min(100, size - n * 100);
      const deltas = Array.from({ length: count }, (_, i) => `{"customerId":"c${size}","delta":${(((n * 100 + i) % 997) - 498 || 1) / 100},"reason":"usage ${n}-${i}","referenceId":"r${n}-${i}","vendorAccountId":"${vendor}"}`);
      const r = await api(baseUrl, key, 'POST', '/api/v1/balance/delta/batch', `{"deltas":[${deltas.join(',')}]}`);
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    }
  }));
  for (;;) {
    const c = (await api(baseUrl, key, 'GET', `/api/v1/balance/customers/c${size}`)).body.data;
    if (c.verifiedDeltas === size) break;
    await w.scheduled();
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

/**
 * A local D1 holding, for each of `sizes`, one middleware customer `c<size>` with that many
 * records in last month (recorded on a Worker whose clock is set there), so the month is a
 * closed period on the real clock. With `keep` (BENCH_D1) the D1 stays there and a later run
 * reuses it, through `<keep>/<stateName>`. Resolves to {persistDir, key, vendor, month}.
 */
export async function recordedMonth({ keep, stateName, sizes, tenantName, log }) {
  const persistDir = keep ?? mkdtempSync(join(tmpdir(), 'vericord-bench-'));
  const stateFile = keep && join(keep, stateName);
  const d = new Date();
  const month = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  // Also on a kept D1: it may predate the newest migrations (only pending ones are applied).
  await applyMigrations(persistDir);
  if (keep && existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    if ((saved.month && saved.month !== month) || (saved.sizes && sizes.some((s) => !saved.sizes.includes(s)))) {
      throw new Error(`${keep} holds ${saved.sizes} in ${saved.month}; remove it to record again`);
    }
    return { persistDir, key: saved.key, vendor: saved.vendor, month };
  }
  const offset = Date.parse(`${month}-15T12:00:00.000Z`) - Date.now();
  const w = await startWorker({ persistDir, vars: { CLOCK_OFFSET_MS: String(offset) } });
  let key;
  let vendor;
  try {
    const t = await createTenant(w.baseUrl, { name: tenantName, kind: 'middleware', vendors: 1, rateLimitPerMinute: 1_000_000 });
    key = t.keys.sandbox;
    vendor = t.vendorAccounts[0].id;
    for (const size of sizes) {
      const started = performance.now();
      await recordPeriod(w, key, vendor, size);
      log(`recorded ${size} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await w.stop();
  }
  if (keep) writeFileSync(stateFile, JSON.stringify({ key, vendor, month, sizes }));
  return { persistDir, key, vendor, month };
}
