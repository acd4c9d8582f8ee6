// bench/sequencer: (1) deltas/s from emit to VERIFIED under load; (2) D1 rows
// written per record by the sequencer, at 1 and at 100 records per pass;
// (3) record-receipt latency and D1 rows read in logs of 1,000 and 1,000,000 entries.
import { startWorker, createTenant, api, load, batchBody, median, machine } from '../lib.mjs';

const SIZES = (process.env.SIZES ?? '1000,1000000').split(',').map(Number);
const out = [];
const say = (s) => { out.push(s); console.log(s); };

async function throughput() {
  const w = await startWorker({ vars: { BENCH_ROUTES: '1' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Throughput', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    let seed = 0;
    const requests = Number(process.env.REQUESTS ?? 50);
    const isolateRows = async () => (await api(w.baseUrl, key, 'GET', '/bench/rows')).body.data.rowsWritten;
    const rowsBefore = await isolateRows();
    let pollRows = 0;
    const started = performance.now();
    await load(w.baseUrl, key, '/api/v1/balance/delta/batch', {
      clients: 8,
      requests,
      body: () => batchBody(50, seed++),
    });
    const accepted = (performance.now() - started) / 1000;
    // Every anchor of this tenant: poll the customers until all entries are verified.
    for (;;) {
      const s = await api(w.baseUrl, key, 'GET', '/api/v1/balance/customers/summary');
      pollRows += Number(s.headers.get('x-d1-rows-written') ?? 0);
      if (s.body.data.verifiedDeltas === requests * 100) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const done = (performance.now() - started) / 1000;
    say(`emit → VERIFIED: ${requests * 100} deltas (8 clients, 100-delta batches, 50 customers) accepted in ${accepted.toFixed(2)} s, all VERIFIED after ${done.toFixed(2)} s → ${(requests * 100 / done).toFixed(0)} deltas/s end to end`);
    // Everything D1 wrote meanwhile (accepts, the sequencing after them, their claims and
    // releases), less the polls' own rows; a moment first for the last drain's release.
    await new Promise((ok) => setTimeout(ok, 500));
    const written = (await isolateRows()) - rowsBefore - pollRows;
    say(`rows written per verified record, everything counted (accept, sequencing, leases; D1's rows_written summed in the isolate): ${(written / (requests * 100)).toFixed(2)}`);
    // The same bodies into the bare-insert bench route (the rows, none of the work), same run.
    const bare = await load(w.baseUrl, key, '/bench/raw-insert', { clients: 8, requests, body: () => batchBody(50, seed++) });
    say(`bare insert of the same rows: ${(requests * 100 / bare).toFixed(0)} deltas/s → emit → VERIFIED at ${(bare / done).toFixed(2)}× the bare-insert rate`);
  } finally {
    await w.stop();
  }
}

async function rowsPerRecord() {
  const w = await startWorker({ vars: { BENCH_ROUTES: '1', SEQUENCE_AFTER_RESPONSE: 'false' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Rows', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    for (const [perPass, passes] of [[1, 300], [10, 50], [100, 20]]) {
      const total = { appended: 0, rows: 0, tree: 0 };
      for (let p = 0; p < passes; p++) {
        const deltas = Array.from({ length: perPass }, (_, i) => `{"customerId":"rows_${perPass}","delta":1,"reason":"r${p}_${i}"}`);
        const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', `{"deltas":[${deltas.join(',')}]}`);
        if (r.status !== 201) throw new Error(JSON.stringify(r.body));
        const d = await api(w.baseUrl, key, 'POST', `/bench/drain/rows_${perPass}`);
        total.appended += d.body.data.appended;
        total.rows += d.body.data.rowsWritten;
        total.tree += d.body.data.treeRowsWritten;
      }
      say(`${perPass} record(s) per pass, ${total.appended} records: ${(total.rows / total.appended).toFixed(3)} D1 rows written per record in all (incl. index rows), ${(total.tree / total.appended).toFixed(3)} for tree storage (head + tiles)`);
    }
  } finally {
    await w.stop();
  }
}

// Rows written per record, counting everything: accepting 100-delta batches over 50 customers
// with an Idempotency-Key (X-D1-Rows-Written of each response), then sequencing them with one
// drain per customer (the bench drain route's rowsWritten). Then the same for the other mixes
// (MIXES=customers:references,…; default 50:1,100:1,50:0,100:0 — 100 customers a batch is what
// the SDK's summary coordinator sends, one delta per customer and window, each with a referenceId).
async function acceptAndSequence() {
  const mixes = (process.env.MIXES ?? '50:1,100:1,50:0,100:0').split(',').map((m) => m.split(':').map(Number));
  for (const [customers, references] of mixes) await acceptMix(customers, references === 1);
}

async function acceptMix(customers, references) {
  const w = await startWorker({ vars: { BENCH_ROUTES: '1', SEQUENCE_AFTER_RESPONSE: 'false' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Accept', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    const batches = Number(process.env.BATCHES ?? 20);
    let accepted = 0;
    let acceptRows = 0;
    for (let b = 0; b < batches; b++) {
      const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', batchBody(customers, b * 100, { references }), { 'idempotency-key': `accept-${b}` });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      accepted += 100;
      acceptRows += Number(r.headers.get('x-d1-rows-written'));
    }
    let appended = 0;
    let seqRows = 0;
    for (let c = 0; c < customers; c++) {
      const d = await api(w.baseUrl, key, 'POST', `/bench/drain/cust_${c}`);
      appended += d.body.data.appended;
      seqRows += d.body.data.rowsWritten;
    }
    if (appended !== accepted) throw new Error(`${appended} of ${accepted} sequenced`);
    say(`rows written per record: accept ${(acceptRows / accepted).toFixed(2)} (${batches} batches of 100 deltas over ${customers} customers, ${references ? 'each with' : 'none with'} a referenceId, with an Idempotency-Key), sequencing ${(seqRows / appended).toFixed(2)} (one drain per customer, ${accepted / customers} records each) → ${((acceptRows + seqRows) / accepted).toFixed(2)} in all`);
  } finally {
    await w.stop();
  }
}

async function receipts() {
  const w = await startWorker({ vars: { BENCH_ROUTES: '1' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Receipts', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    for (const size of SIZES) {
      const samples = Array.from({ length: 8 }, (_, i) => Math.floor((size * i) / 8) + 3).filter((s) => s < size);
      const built = performance.now();
      const r = await api(w.baseUrl, key, 'POST', '/bench/synthetic-log', { customerId: `log_${size}`, size, samples });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      const buildSecs = (performance.now() - built) / 1000;
      const ms = [];
      const rowsRead = [];
      const receiptRows = [];
      const proofRows = [];
      for (const s of r.body.data.samples) {
        await api(w.baseUrl, key, 'GET', `/api/v1/balance/receipts/${s.recordId}`); // first call may create the checkpoint
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          const res = await api(w.baseUrl, key, 'GET', `/api/v1/balance/receipts/${s.recordId}`);
          ms.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(JSON.stringify(res.body));
          rowsRead.push(Number(res.headers.get('x-d1-rows-read')));
          receiptRows.push(Number(res.headers.get('x-d1-rows-read-receipt')));
          proofRows.push(Number(res.headers.get('x-d1-rows-read-proof')));
        }
      }
      say(`log of ${size.toLocaleString('en')} entries (${r.body.data.tiles} tiles, built in ${buildSecs.toFixed(1)} s): record receipt median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms; D1 rows read for the inclusion proof (tiles) median ${median(proofRows)}, max ${Math.max(...proofRows)}; for the whole receipt median ${median(receiptRows)}, max ${Math.max(...receiptRows)} (record, head, checkpoint, tiles); ${median(rowsRead)} with key authentication`);
    }
  } finally {
    await w.stop();
  }
}

// PARTS=throughput,accept,rows,receipts (default all) runs a subset.
const PARTS = (process.env.PARTS ?? 'throughput,accept,rows,receipts').split(',');
say(`machine: ${machine()}`);
if (PARTS.includes('throughput')) await throughput();
if (PARTS.includes('accept')) await acceptAndSequence();
if (PARTS.includes('rows')) await rowsPerRecord();
if (PARTS.includes('receipts')) await receipts();
