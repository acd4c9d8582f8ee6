// Issue 9.1: an Idempotency-Key claim that a retry takes over (its request stalled past the
// lease) is no longer the stalled request's. Its accept batch writes nothing, its response is
// the one that committed, and its failure cannot free the retry's claim. The stalls are real:
// the Worker runs with FAULTS=1 and a 1 s lease, and each request says where to wait
// (X-Vericord-Fault, worker/src/faults.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { createTenant, emit, d1, sql, assertOk, uid } from './fixtures.mjs';

const LEASE_MS = 1_000;
let worker;
let tenant;
before(async () => {
  worker = await startWorker({ vars: { FAULTS: '1', IDEMPOTENCY_LEASE_MS: String(LEASE_MS) } });
  tenant = await createTenant(worker.baseUrl, { name: 'Takeover', rateLimitPerMinute: 1_000_000 });
});
after(async () => { await worker?.stop(); });

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const headers = (key, fault) => ({ 'idempotency-key': key, ...(fault && { 'x-vericord-fault': fault }) });

async function recordsOf(customer) {
  return d1(worker.persistDir, `SELECT r.id FROM records r JOIN logs l ON l.id = r.log_id WHERE l.subject_id = ${sql(customer)} AND l.tenant_id = ${sql(tenant.id)}`);
}

test('idempotency takeover: a request held past its lease while a retry takes over records exactly one set, and answers with the one that committed', async () => {
  const k = uid('takeover');
  const customer = uid('tk');
  const body = { customerId: customer, delta: -2.5, reason: 'charge' };
  // A claims the key, then stalls before its accept batch, past its lease.
  const a = emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k, 'before-accept=3000'));
  await sleep(LEASE_MS + 400);
  // B, a retry with the same key and body, finds the lease expired, takes the claim over, commits.
  const b = await emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k));
  const bData = assertOk(b, 201);
  assert.equal(b.headers.get('idempotent-replayed'), null);
  // A wakes up: its batch is guarded by a claim it no longer holds, so it writes nothing and
  // answers with B's response, replayed.
  const aRes = await a;
  assert.equal(aRes.status, 201);
  assert.equal(aRes.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(aRes.body, b.body);
  const rows = await recordsOf(customer);
  assert.deepEqual(rows.map((r) => r.id), [bData.recordId], 'exactly one record, B\'s');
  const [idem] = await d1(worker.persistDir, `SELECT state, response_body FROM idempotency WHERE key = ${sql(k)}`);
  assert.equal(idem.state, 'done');
  assert.equal(JSON.parse(idem.response_body).data.recordId, bData.recordId);
  const [usage] = await d1(worker.persistDir, `SELECT used FROM usage WHERE tenant_id = ${sql(tenant.id)} AND environment = 'sandbox'`);
  const [count] = await d1(worker.persistDir, `SELECT COUNT(*) AS n FROM records WHERE tenant_id = ${sql(tenant.id)} AND environment = 'sandbox'`);
  assert.equal(usage.used, count.n, 'the usage counter counted one record, not two');
  // A later retry is replayed too.
  const again = await emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k));
  assert.deepEqual(again.body, b.body);
});

test('idempotency takeover: a stalled request that then fails cannot release the claim a retry took over', async () => {
  const k = uid('release');
  const customer = uid('rl');
  const body = { customerId: customer, delta: 7, reason: 'topup' };
  // A claims and stalls, then fails (an injected storage failure) and releases "its" claim.
  const a = emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k, 'before-accept=2500,fail-accept'));
  await sleep(LEASE_MS + 300);
  // B takes the claim over and stalls too, past A's failure.
  const b = emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k, 'before-accept=3500'));
  const aRes = await a;
  assert.equal(aRes.status, 500);
  // A's release must not have deleted B's claim: the key is still B's (pending), not free.
  const [row] = await d1(worker.persistDir, `SELECT state FROM idempotency WHERE key = ${sql(k)}`);
  assert.equal(row?.state, 'pending', 'B\'s claim survives A\'s release');
  // C, a third retry after B's lease ran out too, takes over from B and commits; B then
  // finds its claim gone and writes nothing.
  await sleep(300);
  const c = await emit(worker.baseUrl, tenant.keys.sandbox, body, headers(k));
  const cData = assertOk(c, 201);
  const bRes = await b;
  assert.equal(bRes.status, 201);
  assert.deepEqual(bRes.body, c.body);
  assert.deepEqual((await recordsOf(customer)).map((r) => r.id), [cData.recordId], 'exactly one record');
});

test('idempotency takeover: a request whose claim is intact commits normally under a short lease', async () => {
  const k = uid('plain');
  const customer = uid('pl');
  const r = assertOk(await emit(worker.baseUrl, tenant.keys.sandbox, { customerId: customer, delta: 1, reason: 'r' }, headers(k, 'before-accept=200')), 201);
  assert.deepEqual((await recordsOf(customer)).map((x) => x.id), [r.recordId]);
});
