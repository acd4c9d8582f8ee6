// Issue 9.7 and 9.8: reads stay cheap and never grow the database. Every read route is
// measured by D1's own accounting (X-D1-Rows-Read, the sum of meta.rows_read) on a 2,000-
// and a 20,000-record log: the rows read must not grow with the log. Repeated reads store
// nothing new, and what expires is pruned by the cron.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { createTenant, admin, api, d1, sql, assertOk, uid, dashboardToken } from './fixtures.mjs';

const MEDIUM = 2_000;
const BIG = 20_000;
let worker; // the MEDIUM log's, where the other tests run
const workers = {}; // size → its own Worker and D1
const logs = {}; // size → { tenant, key, customerId, sample, worker }
const month = () => new Date().toISOString().slice(0, 7);

// Each log lives alone in its own D1: a range scan reads one row past its end when the next
// row exists, so with both logs in one database the counts depended on how their random ids
// sorted, not on the log's length.
before(async () => {
  for (const size of [MEDIUM, BIG]) {
    const w = (workers[size] = await startWorker({ vars: { BENCH_ROUTES: '1' } }));
    const tenant = await createTenant(w.baseUrl, { name: `Costs ${size}`, rateLimitPerMinute: 1_000_000 });
    const key = tenant.keys.sandbox;
    const made = assertOk(await api(w.baseUrl, key, 'POST', '/bench/synthetic-log', { customerId: 'log', size, samples: [7, size - 2], records: true }), 201);
    // An OPEN Shared Record link on the log (as the link routes make it), for the public routes.
    const [log] = await d1(w.persistDir, `SELECT id FROM logs WHERE tenant_id = ${sql(tenant.id)} AND subject_id = ${sql(made.customerId)}`);
    const handle = `cus_${String(size).padStart(32, 'a').replace(/[^a-z2-7]/g, 'a')}`;
    await d1(w.persistDir, `INSERT INTO access_links (handle, log_id, tenant_id, environment, policy, code_mac, code_set_at, state, created_at)
      VALUES (${sql(handle)}, ${sql(log.id)}, ${sql(tenant.id)}, 'sandbox', 'OPEN', '${'0'.repeat(64)}', '2026-01-01T00:00:00.000Z', 'active', '2026-01-01T00:00:00.000Z')`);
    const dash = { authorization: `Bearer ${await dashboardToken(w.baseUrl, tenant.id, { role: 'viewer' })}`, 'x-environment': 'sandbox' };
    logs[size] = { tenant, key, customerId: made.customerId, sample: made.samples[0].recordId, handle, size, dash, worker: w };
  }
  worker = workers[MEDIUM];
});
after(async () => { await Promise.all(Object.values(workers).map((w) => w.stop())); });

/** Rows D1 read for one request, from the response header every route carries. `auth` is
 * an API key, or the headers of a dashboard token. */
async function rowsRead(auth, method, path, body, w = worker) {
  const res = typeof auth === 'object'
    ? await api(w.baseUrl, undefined, method, path, body, auth)
    : await api(w.baseUrl, auth, method, path, body);
  assert.ok(res.status < 300, `${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  const n = Number(res.headers.get('x-d1-rows-read'));
  assert.ok(Number.isInteger(n) && n > 0, `${path}: X-D1-Rows-Read ${res.headers.get('x-d1-rows-read')}`);
  return { n, data: res.body.data };
}

test('reads stay cheap: every read route reads as many D1 rows on a 20,000-record log as on a 2,000-record one', async () => {
  const routes = (l) => [
    ['GET', `/api/v1/balance/customers?search=${encodeURIComponent(l.customerId)}`],
    ['GET', '/api/v1/balance/customers/summary'],
    ['GET', `/api/v1/balance/customers/${l.customerId}`],
    ['GET', `/api/v1/balance/customers/${l.customerId}?period=${month()}`],
    ['GET', `/api/v1/balance/customers/${l.customerId}?deltaPage=15&deltaLimit=100`],
    ['GET', `/api/v1/balance/customers/${l.customerId}?period=${month()}&deltaPage=15&deltaLimit=100`],
    ['GET', `/api/v1/balance/receipt/${l.customerId}`],
    ['GET', `/api/v1/balance/invoice-proof/${l.customerId}?period=${month()}`],
    ['GET', `/api/v1/balance/receipts/${l.sample}`],
    ['GET', `/api/v1/balance/delta/${l.sample}`],
    ['GET', `/api/v1/balance/derive/${l.customerId}`],
    ['GET', `/api/v1/balance/gaps/${l.customerId}`],
    ['GET', `/api/v1/balance/checkpoints?customerId=${encodeURIComponent(l.customerId)}`],
    ['POST', '/api/v1/balance/compare', { customerId: l.customerId, yourBalance: 1, theirBalance: 2 }],
    // The Shared Record behind a link (public): summary, the first and a late page of the
    // history, the witness's consistency proof, the periods.
    ['GET', `/api/v1/c/${l.handle}`, undefined, true],
    ['GET', `/api/v1/c/${l.handle}/history?limit=100`, undefined, true],
    ['GET', `/api/v1/c/${l.handle}/history?after=${l.size - 101}&limit=100`, undefined, true],
    ['GET', `/api/v1/c/${l.handle}/consistency?from=7`, undefined, true],
    ['GET', `/api/v1/c/${l.handle}/periods`, undefined, true],
    // The dashboard (a viewer token): the same handlers, and its own reads.
    ['GET', '/dashboard/customers', undefined, 'dash'],
    ['GET', '/dashboard/customers/summary', undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}`, undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}?deltaPage=15&deltaLimit=100`, undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}/invoice-proof?period=${month()}`, undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}/checkpoints?period=${month()}`, undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}/fingerprints?period=${month()}`, undefined, 'dash'],
    ['GET', `/dashboard/customers/${l.customerId}/live`, undefined, 'dash'],
    ['GET', '/dashboard/webhooks', undefined, 'dash'],
    ['GET', '/dashboard/api-keys', undefined, 'dash'],
  ];
  const measured = {};
  for (const size of [MEDIUM, BIG]) {
    const l = logs[size];
    // The first receipt of a month stores its checkpoint; measure the steady state after it.
    await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}`, undefined, l.worker);
    const verifyRoot = (await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}`, undefined, l.worker)).data.proofRoot;
    measured[size] = [];
    for (const [method, path, body, open] of routes(l)) measured[size].push([path, (await rowsRead(open === 'dash' ? l.dash : open ? undefined : l.key, method, path, body, l.worker)).n]);
    measured[size].push(['/api/v1/verify/:root', (await rowsRead(undefined, 'GET', `/api/v1/verify/${verifyRoot}`, undefined, l.worker)).n]);
  }
  const table = measured[MEDIUM].map(([path, n], i) => `${String(n).padStart(6)} ${String(measured[BIG][i][1]).padStart(6)}  ${path.replace(logs[MEDIUM].customerId, ':c').replace(logs[MEDIUM].handle, ':handle')}`);
  console.log(`# rows read: ${MEDIUM} records vs ${BIG} records\n# ${table.join('\n# ')}`);
  measured[MEDIUM].forEach(([path, n], i) => {
    const big = measured[BIG][i][1];
    // Proofs read at most one more tile per 8 tree levels; nothing else may grow.
    assert.ok(big <= n + 2, `${path}: ${n} rows at ${MEDIUM} records, ${big} at ${BIG}`);
  });
});

async function tableCounts() {
  const tables = ['checkpoints', 'tree_heads', 'events', 'deliveries', 'idempotency', 'records', 'logs', 'access_links', 'link_signals'];
  const [row] = await d1(worker.persistDir, `SELECT ${tables.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return row;
}

test('reads write without bound no more: repeated and millisecond-apart receipts store nothing new, and webhook events come once', async () => {
  const l = logs[MEDIUM];
  // With an endpoint, receipt.generated events go to the outbox: once per stored checkpoint.
  await admin(worker.baseUrl, 'POST', `/admin/tenants/${l.tenant.id}/webhooks`, { url: 'http://127.0.0.1:9/hook', environment: 'sandbox' });
  await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}?period=${month()}`);
  const start = new Date(Date.now() - 86_400_000).toISOString();
  await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}?startDate=${start}&endDate=${new Date(Date.now() + 3_600_000).toISOString()}`);
  const before = await tableCounts();
  for (let i = 0; i < 10; i++) {
    await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}?period=${month()}`);
    await rowsRead(l.key, 'GET', `/api/v1/balance/receipt/${l.customerId}?startDate=${start}&endDate=${new Date(Date.now() + 7_200_000 + i).toISOString()}`);
    await rowsRead(l.key, 'GET', `/api/v1/balance/receipts/${l.sample}`);
    await rowsRead(l.key, 'GET', `/api/v1/balance/derive/${l.customerId}`);
    await rowsRead(undefined, 'GET', `/api/v1/c/${l.handle}`);
    await rowsRead(undefined, 'GET', `/api/v1/c/${l.handle}/history?after=${i}`);
  }
  assert.deepEqual(await tableCounts(), before, 'sixty reads later, no table has a row more');
});

test('expired idempotency keys and finished webhook deliveries are pruned by the cron; pending ones are kept', async () => {
  const l = logs[MEDIUM];
  const tid = sql(l.tenant.id);
  const old = Date.now() - 2 * 86_400_000;
  const longAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
  const fresh = uid('fresh');
  await d1(worker.persistDir, `INSERT INTO idempotency (tenant_id, environment, key, route, request_sha256, state, lease_until_ms, created_at, claim_token)
    VALUES (${tid}, 'sandbox', 'expired-key', 'delta', 'x', 'done', ${old}, '2020-01-01T00:00:00.000Z', 't'),
           (${tid}, 'sandbox', ${sql(fresh)}, 'delta', 'x', 'done', ${Date.now()}, '2020-01-01T00:00:00.000Z', 't')`);
  const [endpoint] = await d1(worker.persistDir, `SELECT id FROM webhook_endpoints WHERE tenant_id = ${tid}`);
  const eid = sql(endpoint.id);
  await d1(worker.persistDir, `INSERT INTO events (id, tenant_id, environment, type, body, created_at) VALUES
      ('evt_old_delivered', ${tid}, 'sandbox', 't', '{}', ${sql(longAgo)}), ('evt_old_pending', ${tid}, 'sandbox', 't', '{}', ${sql(longAgo)});
    INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, attempts, next_attempt_ms, created_at) VALUES
      ('evt_old_delivered', ${eid}, ${tid}, 'sandbox', 'delivered', 1, 0, ${sql(longAgo)}),
      ('evt_old_pending', ${eid}, ${tid}, 'sandbox', 'pending', 9, 9999999999999, ${sql(longAgo)});
    INSERT INTO delivery_attempts (event_id, endpoint_id, attempt, at, status_code, duration_ms) VALUES ('evt_old_delivered', ${eid}, 1, ${sql(longAgo)}, 200, 5)`);
  assert.equal(await worker.scheduled(), 'ok');
  const keys = (await d1(worker.persistDir, `SELECT key FROM idempotency WHERE tenant_id = ${tid}`)).map((r) => r.key);
  assert.ok(!keys.includes('expired-key'), 'an idempotency key past its 24 h retention is pruned');
  assert.ok(keys.includes(fresh), 'a live one is kept');
  const events = (await d1(worker.persistDir, `SELECT id FROM events WHERE id LIKE 'evt_old_%'`)).map((r) => r.id);
  assert.deepEqual(events, ['evt_old_pending'], 'a delivered event past its 30 days is pruned; a pending one is kept');
  assert.deepEqual(await d1(worker.persistDir, `SELECT * FROM delivery_attempts WHERE event_id = 'evt_old_delivered'`), []);
});

test('a synthetic log without stand-in records (the receipt benchmark) still answers receipts of its samples', async () => {
  const tenant = await createTenant(worker.baseUrl, { name: 'Sparse synthetic', rateLimitPerMinute: 1_000_000 });
  const key = tenant.keys.sandbox;
  const made = assertOk(await api(worker.baseUrl, key, 'POST', '/bench/synthetic-log', { customerId: 'sparse', size: 1000, samples: [3, 500] }), 201);
  for (const s of made.samples) {
    const r = assertOk(await api(worker.baseUrl, key, 'GET', `/api/v1/balance/receipts/${s.recordId}`), 200);
    assert.equal(r.sequenceNumber, s.seq);
  }
});
