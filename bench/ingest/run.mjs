// bench/ingest: deltas/s accepted with 100-delta batches from concurrent
// clients, next to a bare route that inserts the same rows into D1 with none
// of the work (validation, canonical JSON, hashing, idempotency), same run.
// Sequencing is deferred (SEQUENCE_AFTER_RESPONSE=false) so only acceptance is timed.
import { startWorker, createTenant, load, batchBody, median, machine } from '../lib.mjs';

const CLIENTS = Number(process.env.CLIENTS ?? 8);
const REQUESTS = Number(process.env.REQUESTS ?? 40);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const worker = await startWorker({ vars: { BENCH_ROUTES: '1', SEQUENCE_AFTER_RESPONSE: 'false' } });
try {
  const t = await createTenant(worker.baseUrl, { name: 'Bench', rateLimitPerMinute: 1_000_000 });
  const key = t.keys.sandbox;
  let seed = 0;
  const run = (path) => load(worker.baseUrl, key, path, { clients: CLIENTS, requests: REQUESTS, body: () => batchBody(1000, seed++) });
  await run('/api/v1/balance/delta/batch'); // warm-up
  await run('/bench/raw-insert');
  const api = [];
  const raw = [];
  for (let r = 0; r < ROUNDS; r++) {
    api.push((REQUESTS * 100) / (await run('/api/v1/balance/delta/batch')));
    raw.push((REQUESTS * 100) / (await run('/bench/raw-insert')));
  }
  const a = median(api);
  const b = median(raw);
  console.log(`machine: ${machine()}`);
  console.log(`${CLIENTS} clients × ${REQUESTS} requests × 100 deltas, median of ${ROUNDS} rounds`);
  console.log(`POST /api/v1/balance/delta/batch : ${a.toFixed(0)} deltas/s  (rounds: ${api.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`bare insert of the same rows     : ${b.toFixed(0)} deltas/s  (rounds: ${raw.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`ratio (API / bare insert)        : ${(a / b).toFixed(2)}`);
} finally {
  await worker.stop();
}
