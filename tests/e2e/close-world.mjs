// A billing middleware with two vendor accounts whose buyers have records in the two months
// before this one, so that those periods are closed. Records are made by a Worker whose clock
// is set back (CLOCK_OFFSET_MS, a test-only var) into each month in turn; then the Worker
// restarts on the same D1 with the real clock. Shared by the close-package suites.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, migratedD1 } from './harness.mjs';
import { createTenant, admin, api, assertOk } from './fixtures.mjs';

/** The parent middleware tenant's name: no buyer-facing byte may contain it. */
export const PARENT_NAME = 'Zebulon Parent Middleware Holdings';

const DAY = 86_400_000;
/** `YYYY-MM` of the month `back` months before the one of `ms`. */
export function monthBack(ms, back) {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
}
/** Noon UTC on the 15th of that month. */
const midMonth = (label) => Date.parse(`${label}-15T12:00:00.000Z`);

/** Emits and waits until every one of `ids` is VERIFIED. */
async function settle(w, key, ids) {
  for (let i = 0; i < 200; i++) {
    const states = await Promise.all(ids.map(async (id) => (await api(w.baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`)).body.data.status));
    if (states.every((s) => s === 'VERIFIED')) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('records stayed unverified');
}

/**
 * Builds the world and returns a running Worker on real time plus what was recorded.
 * `vars` go to the final Worker.
 */
export async function closeWorld({ vars = {} } = {}) {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-close-'));
  await migratedD1(persistDir);
  const now = Date.now();
  const months = [monthBack(now, 2), monthBack(now, 1)];
  const recorded = { [months[0]]: [], [months[1]]: [] };
  let world;
  const deltas = {
    // [vendor index, customer, delta text, reason, referenceId?, metadata?]
    [months[0]]: [[0, 'buyer-1', '100', 'prepaid top-up', 'inv-100'], [0, 'buyer-1', '-12.5', 'gpu hours'], [0, 'buyer-1', '-0.000000001', 'rounding'],
      [1, 'buyer-1', '40', 'other vendor top-up'], [0, 'buyer-2', '5', 'trial credit']],
    [months[1]]: [[0, 'buyer-1', '-30.25', 'tokens, "large" model; batch 7', 'inv-7', { note: 'Café — São Paulo 中文' }], [0, 'buyer-1', '7.75', 'refund'],
      [0, 'buyer-1', '-1', '=SUM(A1:A9) injection test'], [1, 'buyer-1', '-4', 'other vendor usage']],
  };
  for (const month of months) {
    const offset = midMonth(month) - Date.now();
    const w = await startWorker({ persistDir, vars: { CLOCK_OFFSET_MS: String(offset) } });
    try {
      if (!world) {
        const mw = await createTenant(w.baseUrl, { name: PARENT_NAME, kind: 'middleware', rateLimitPerMinute: 1_000_000 });
        const vendors = [
          await admin(w.baseUrl, 'POST', `/admin/tenants/${mw.id}/vendor-accounts`, { displayName: 'Acme Inference' }),
          await admin(w.baseUrl, 'POST', `/admin/tenants/${mw.id}/vendor-accounts`, { displayName: 'Beta Vendor GmbH' }),
        ];
        const direct = await createTenant(w.baseUrl, { name: 'Direct Vendor', rateLimitPerMinute: 1_000_000 });
        const otherMw = await createTenant(w.baseUrl, { name: 'Other Middleware', kind: 'middleware', vendors: 1, rateLimitPerMinute: 1_000_000 });
        world = { mw, vendors, direct, otherMw, months };
      }
      const ids = [];
      for (const [v, customerId, delta, reason, referenceId, metadata] of deltas[month]) {
        const body = `{"customerId":"${customerId}","delta":${delta},"reason":${JSON.stringify(reason)},"vendorAccountId":"${world.vendors[v].id}"`
          + `${referenceId ? `,"referenceId":"${referenceId}"` : ''}${metadata ? `,"metadata":${JSON.stringify(metadata)}` : ''}}`;
        const r = assertOk(await api(w.baseUrl, world.mw.keys.sandbox, 'POST', '/api/v1/balance/delta', body), 201);
        ids.push(r.recordId);
        recorded[month].push({ vendor: v, customerId, delta, reason, referenceId, recordId: r.recordId });
      }
      // The direct tenant records too, for the 403s and isolation.
      ids.push(assertOk(await api(w.baseUrl, world.direct.keys.sandbox, 'POST', '/api/v1/balance/delta', { customerId: 'buyer-1', delta: 1, reason: 'direct' }), 201).recordId);
      await settle(w, world.mw.keys.sandbox, ids.slice(0, -1));
    } finally {
      await w.stop();
    }
  }
  const worker = await startWorker({ persistDir, vars });
  const stop = async () => {
    await worker.stop();
    rmSync(persistDir, { recursive: true, force: true });
  };
  assert.ok(world);
  // stopOnly: stops the Worker and keeps the D1 (to restart it with other vars).
  return { ...world, worker: { ...worker, stop, stopOnly: worker.stop }, recorded, key: world.mw.keys.sandbox };
}
