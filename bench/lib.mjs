// Shared by the benchmarks: a real `wrangler dev` Worker on a fresh local D1.
import { cpus } from 'node:os';
import { startWorker } from '../tests/e2e/harness.mjs';
import { createTenant, api } from '../tests/e2e/fixtures.mjs';

export { startWorker, createTenant, api };

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, wrangler dev (local workerd + SQLite D1)`;
}

/** A 100-delta batch body over `customers` customers, as exact JSON text. */
export function batchBody(customers, seed) {
  const deltas = [];
  for (let i = 0; i < 100; i++) {
    const cents = ((seed * 100 + i) % 9_999) - 4_999 || 1;
    deltas.push(`{"customerId":"cust_${(seed + i) % customers}","delta":${(cents / 100).toFixed(2)},"reason":"usage","referenceId":"r${seed}_${i}","metadata":{"model":"m-1","tokens":${i * 37}}}`);
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
export async function recordPeriod(baseUrl, key, vendor, size) {
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
    await fetch(`${baseUrl}/__scheduled`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}
