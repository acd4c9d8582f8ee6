// Issue 13 §3: the local runtime SIGKILLed while deltas are accepted and sequenced and while
// checkpoints are being signed, then restarted on the same local D1. Clients retry what got no
// answer with the same Idempotency-Key, as the contract tells them to. Afterwards every
// acknowledged delta is in its log exactly once and VERIFIED, and every checkpoint handed out
// before or after the kill is consistent with the log: its note verifies, and the chain of
// consistency proofs the log keeps links it to every other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker, migratedD1 } from './harness.mjs';
import { createTenant, api, dashboardToken } from './fixtures.mjs';

const CUSTOMERS = ['f0', 'f1', 'f2'];

async function statuses(baseUrl, key, ids) {
  return Promise.all(ids.map(async (id) => (await api(baseUrl, key, 'GET', `/api/v1/balance/delta/${id}`)).body.data?.status));
}

/** A client's retry after no answer: the same body and Idempotency-Key, again after
 * `retryAfterSeconds` while the key's claim (left by the killed request) is still leased. */
async function retry(baseUrl, key, s) {
  for (let i = 0; ; i++) {
    const r = await api(baseUrl, key, 'POST', '/api/v1/balance/delta', s.body, { 'idempotency-key': s.idem });
    if (r.status !== 202 || r.body.error?.code !== 'IDEMPOTENCY_PENDING' || i > 60) return r;
    await new Promise((ok) => setTimeout(ok, (r.body.error.retryAfterSeconds ?? 1) * 1000));
  }
}

test('SIGKILL during ingest, sequencing and checkpointing; idempotent retries after restart: every delta once, VERIFIED, every checkpoint consistent', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-faults-'));
  await migratedD1(persistDir);
  // A claim the kill leaves behind is leased 3 s (not 30), so the retries below wait little.
  let w = await startWorker({ persistDir, vars: { IDEMPOTENCY_LEASE_MS: '3000' } });
  const t = await createTenant(w.baseUrl, { name: 'Faults', rateLimitPerMinute: 1_000_000 });
  const key = t.keys.sandbox;
  const sent = []; // { idem, customer, body, recordId? }
  const handedOut = []; // checkpoints a client received
  let running = true;
  let n = 0;
  const emitter = async (i) => {
    while (running) {
      const customer = CUSTOMERS[(i + n) % CUSTOMERS.length];
      const req = { idem: `idem-${i}-${n++}`, customer, body: `{"customerId":"${customer}","delta":${(n % 7) + 1},"reason":"fault load","referenceId":"ref-${i}-${n}"}` };
      sent.push(req);
      try {
        const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', req.body, { 'idempotency-key': req.idem });
        if (r.status === 201 || r.status === 200) req.recordId = r.body.data.recordId;
      } catch { /* the runtime died under this request */ }
    }
  };
  const checkpointer = async () => {
    while (running) {
      for (const customerId of CUSTOMERS) {
        try {
          const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId });
          if (r.status === 201) handedOut.push({ customerId, id: r.body.data.checkpointId, size: r.body.data.treeSize, root: r.body.data.proofRoot, note: r.body.data.note });
        } catch { /* died */ }
      }
    }
  };
  const clients = [...Array.from({ length: 6 }, (_, i) => emitter(i)), checkpointer(), checkpointer()];
  // Kill once the load is under way (acknowledged deltas and handed-out checkpoints), however
  // fast this machine is today.
  for (let i = 0; i < 600 && !(sent.filter((s) => s.recordId).length >= 25 && handedOut.length >= 1); i++) {
    await new Promise((ok) => setTimeout(ok, 100));
  }
  await w.stop('SIGKILL');
  running = false;
  await Promise.all(clients);
  const before = sent.filter((s) => s.recordId).length;
  assert.ok(before > 20, `only ${before} deltas acknowledged before the kill`);

  w = await startWorker({ persistDir });
  try {
    // The retries: every request without an answer, again with its key; answered ones once more too.
    for (const s of sent) {
      const r = await retry(w.baseUrl, key, s);
      assert.ok(r.status === 200 || r.status === 201, `${s.idem}: ${r.status} ${JSON.stringify(r.body)}`);
      if (s.recordId) assert.equal(r.body.data.recordId, s.recordId, `${s.idem} answered another record on retry`);
      s.recordId = r.body.data.recordId;
    }
    const ids = sent.map((s) => s.recordId);
    assert.equal(new Set(ids).size, sent.length, 'one record per idempotency key');
    for (let i = 0; i < 300; i++) {
      const st = await statuses(w.baseUrl, key, ids);
      if (st.every((s) => s === 'VERIFIED')) break;
      assert.ok(st.every((s) => s !== 'FAILED'), 'a record FAILED');
      if (i === 299) assert.fail(`not all VERIFIED: ${st.filter((s) => s !== 'VERIFIED').length} left`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
    await assertLogs(w, key, CUSTOMERS, sent, handedOut);
    console.log(`# acknowledged before the kill: ${before}; sent: ${sent.length}; checkpoints handed out: ${handedOut.length}`);
  } finally {
    await w.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
});

/**
 * Each customer's log holds, this month, exactly the `sent` records (once each, consecutively
 * sequenced), every
 * stored checkpoint links to an earlier one by a verified consistency proof, and every
 * checkpoint in `handedOut` is in that chain, unchanged, with the head extending it.
 */
async function assertLogs(w, key, customers, sent, handedOut) {
  const keys = (await api(w.baseUrl, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
  for (const customer of customers) {
    // Exactly the acknowledged records, once each, in a dense log.
    const receipt = (await api(w.baseUrl, key, 'GET', `/api/v1/balance/receipt/${customer}?limit=1000`)).body.data;
    const logIds = receipt.deltas.map((d) => d.recordId);
    const mine = sent.filter((s) => s.customer === customer).map((s) => s.recordId);
    assert.deepEqual([...logIds].sort(), [...mine].sort(), `${customer}: the log holds exactly the acknowledged records`);
    const seqs = receipt.deltas.map((d) => d.sequenceNumber);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), `${customer}: the month's records are consecutive in the log`);
    // Every stored checkpoint links to an earlier one (or the empty tree) by a verified proof.
    const list = (await api(w.baseUrl, key, 'GET', `/api/v1/balance/checkpoints?customerId=${customer}&limit=100`)).body.data.checkpoints;
    const roots = new Map([[0, '0x' + '0'.repeat(64)]]);
    for (const c of [...list].sort((a, b) => a.treeSize - b.treeSize)) {
      const cp = V.verifyCheckpoint(c.note, keys);
      assert.equal(cp.root, c.proofRoot);
      const p = c.consistencyProof;
      if (p.fromSize > 0) {
        assert.equal(roots.get(p.fromSize), p.fromRoot, `${c.checkpointId}: consistent from a root the log never had`);
        assert.equal(V.verifyConsistency(p.fromSize, p.fromRoot, c.treeSize, c.proofRoot, p.proof), true);
      }
      if (roots.has(c.treeSize)) assert.equal(roots.get(c.treeSize), c.proofRoot, 'two roots for one size');
      roots.set(c.treeSize, c.proofRoot);
    }
    // Every checkpoint a client was handed is one of them, unchanged, and the final head extends it.
    const head = V.verifyCheckpoint(receipt.checkpoint.note, keys);
    for (const h of handedOut.filter((x) => x.customerId === customer)) {
      assert.equal(roots.get(h.size), h.root, `handed-out checkpoint ${h.id} is not in the log's chain`);
      assert.equal(V.verifyCheckpoint(h.note, keys).root, h.root);
      assert.ok(h.size <= head.size);
    }
  }
  return keys;
}

/** A receiver whose behaviour the test switches: refuse (reset the connection), hang, slow, ok. */
async function switchableReceiver() {
  const { createServer } = await import('node:http');
  const seen = []; // { eventId, answer }
  let mode = 'refuse';
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const eventId = req.headers['x-event-id'];
      const now = mode;
      seen.push({ eventId, answer: now });
      if (now === 'refuse') return req.socket.destroy();
      if (now === 'hang') return; // never answers
      const answer = () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); };
      if (now === 'slow') setTimeout(answer, 700); else answer();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    seen,
    set: (m) => { mode = m; },
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

test('a webhook receiver that refuses, times out, answers slowly and then recovers gets every event, none again after a 2xx, every attempt recorded', async () => {
  const rx = await switchableReceiver();
  const w = await startWorker({ vars: { WEBHOOK_BACKOFF_BASE_MS: '100', WEBHOOK_MAX_ATTEMPTS: '30', WEBHOOK_TIMEOUT_MS: '1500' } });
  try {
    const t = await createTenant(w.baseUrl, { name: 'Outage', rateLimitPerMinute: 1_000_000 });
    const key = t.keys.sandbox;
    const { admin } = await import('./fixtures.mjs');
    await admin(w.baseUrl, 'POST', `/admin/tenants/${t.id}/webhooks`, { url: rx.url, environment: 'sandbox' });
    const ids = [];
    const cron = () => w.scheduled().catch(() => {});
    // Each phase gets new events as well as the retries of the earlier ones.
    for (const [mode, ms] of [['refuse', 2500], ['hang', 3500], ['slow', 3000], ['ok', 0]]) {
      rx.set(mode);
      for (let i = 0; i < 2; i++) {
        ids.push((await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', { customerId: `o${i}`, delta: ids.length + 1, reason: mode })).body.data.recordId);
      }
      const until = Date.now() + ms;
      while (Date.now() < until) { await cron(); await new Promise((ok) => setTimeout(ok, 300)); }
    }
    const deliveriesOf = async () => (await api(w.baseUrl, key, 'GET', '/api/v1/balance/webhooks?limit=100')).body.data.deliveries;
    let list;
    for (let i = 0; i < 150; i++) {
      await cron();
      list = await deliveriesOf();
      if (list.length >= ids.length && list.every((d) => d.status === 'delivered')) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.ok(list.every((d) => d.status === 'delivered'), JSON.stringify(list.map((d) => [d.event, d.status, d.attempts])));
    // Every delta.verified event arrived with a 2xx at least once, and never again after it.
    const events = new Set(list.map((d) => d.eventId));
    assert.ok(list.filter((d) => d.event === 'delta.verified').length >= ids.length);
    for (const id of events) {
      const got = rx.seen.filter((s) => s.eventId === id);
      const ok = got.findIndex((s) => s.answer === 'ok' || s.answer === 'slow');
      assert.ok(ok >= 0, `${id} never answered with a 2xx`);
      assert.equal(got.length, ok + 1, `${id} was sent again after a 2xx: ${got.map((s) => s.answer)}`);
    }
    // The outage is in the record: each delivery's attempts and their outcomes.
    const failedFirst = list.filter((d) => d.attempts > 1);
    assert.ok(failedFirst.length > 0, 'no delivery needed a retry');
    for (const d of list) {
      assert.equal(d.attemptHistory.length, d.attempts);
      assert.equal(d.attemptHistory.at(-1).statusCode, 200);
      for (const a of d.attemptHistory.slice(0, -1)) assert.ok(a.statusCode === null && a.error, JSON.stringify(a));
    }
    const modes = new Set(rx.seen.map((s) => s.answer));
    for (const m of ['refuse', 'hang', 'slow', 'ok']) assert.ok(modes.has(m), `the receiver never answered "${m}": ${[...modes]}`);
    console.log(`# deliveries: ${list.length}; requests the receiver saw: ${rx.seen.length} (${[...modes].join(', ')})`);
  } finally {
    await w.stop();
    await rx.stop();
  }
});

test('SIGKILL while a close package streams, with deltas arriving: the cut package never verifies; after restart every delta once, VERIFIED, the package whole and the logs consistent', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-faults-stream-'));
  await migratedD1(persistDir);
  const now = Date.now();
  const month = new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() - 1, 15, 12)).getTime();
  // Last month, 1,200 records for one customer: three pages of the package's stream.
  let w = await startWorker({ persistDir, vars: { CLOCK_OFFSET_MS: String(month - now) } });
  const t = await createTenant(w.baseUrl, { name: 'Faults Stream', rateLimitPerMinute: 1_000_000 });
  const key = t.keys.sandbox;
  const sent = [];
  try {
    for (let b = 0; b < 12; b++) {
      const deltas = Array.from({ length: 100 }, (_, i) => `{"customerId":"big","delta":${(i % 9) + 1},"reason":"closed month ${b}-${i}"}`);
      const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta/batch', `{"deltas":[${deltas.join(',')}]}`);
      assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 300));
      r.body.data.results.forEach((d, i) => sent.push({ customer: 'big', recordId: d.recordId, reason: `closed month ${b}-${i}` }));
    }
    for (let i = 0; i < 300; i++) {
      if ((await api(w.baseUrl, key, 'GET', '/api/v1/balance/customers/big')).body.data.verifiedDeltas === 1200) break;
      await w.scheduled();
      await new Promise((ok) => setTimeout(ok, 200));
    }
  } finally {
    await w.stop();
  }

  w = await startWorker({ persistDir, vars: { FAULTS: '1', IDEMPOTENCY_LEASE_MS: '3000' } });
  const token = await dashboardToken(w.baseUrl, t.id);
  const dashGet = (base, path, headers = {}) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-environment': 'sandbox', ...headers } });
  const periods = await (await dashGet(w.baseUrl, '/dashboard/customers/big/periods')).json();
  const period = periods.data.periods.find((p) => p.recordCount === 1200 || p.entries === 1200) ?? periods.data.periods[0];
  assert.ok(period, JSON.stringify(periods).slice(0, 500));
  const closing = await (await dashGet(w.baseUrl, `/dashboard/customers/big/periods/${period.checkpointId}?limit=1`)).json();
  const cp = closing.data.checkpoint;
  const handedOut = [{ customerId: 'big', id: cp.checkpointId, size: cp.treeSize, root: cp.proofRoot, note: cp.note }];
  // Deltas keep arriving (this month) while the package streams, each with its Idempotency-Key.
  let running = true;
  let n = 0;
  const live = [];
  const emitter = async () => {
    while (running) {
      const req = { idem: `stream-${n}`, customer: n % 2 ? 'big' : 'small', body: `{"customerId":"${n % 2 ? 'big' : 'small'}","delta":1,"reason":"live ${n}"}` };
      n++;
      live.push(req);
      try {
        const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', req.body, { 'idempotency-key': req.idem });
        if (r.status === 201) req.recordId = r.body.data.recordId;
      } catch { /* killed under it */ }
    }
  };
  const emitters = [emitter(), emitter(), emitter()];
  // The stream stalls 1.5 s between pages; the runtime dies after its first page arrived.
  const res = await dashGet(w.baseUrl, `/dashboard/customers/big/close-package?checkpointId=${period.checkpointId}`, { 'x-vericord-fault': 'between-pages=1500' });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const chunks = [];
  let received = 0;
  let cut = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (received > 100_000 && !cut) {
        // Mid-stream (the next page is 1.5 s away): let some deltas land, then kill.
        for (let i = 0; i < 10 && live.filter((x) => x.recordId).length < 10; i++) await new Promise((ok) => setTimeout(ok, 100));
        cut = true;
        await w.stop('SIGKILL');
      }
    }
  } catch { /* the connection died with the runtime */ }
  running = false;
  await Promise.all(emitters);
  assert.ok(cut, `the package ended before a first page arrived (${received} bytes)`);
  const partial = Buffer.concat(chunks).toString('utf8');
  let partialVerified;
  try { partialVerified = V.verifyClosePackage(partial, []).verified; } catch { partialVerified = false; }
  assert.equal(partialVerified, false, 'a package cut by the kill must not verify');

  w = await startWorker({ persistDir });
  try {
    for (const s of live) {
      const r = await retry(w.baseUrl, key, s);
      assert.equal(r.status, 201, `${s.idem}: ${r.status} ${JSON.stringify(r.body)}`);
      if (s.recordId) assert.equal(r.body.data.recordId, s.recordId, `${s.idem} answered another record on retry`);
      s.recordId = r.body.data.recordId;
    }
    for (let i = 0; i < 300; i++) {
      const st = await statuses(w.baseUrl, key, live.map((s) => s.recordId));
      if (st.every((x) => x === 'VERIFIED')) break;
      assert.ok(st.every((x) => x !== 'FAILED'), 'a record FAILED');
      if (i === 299) assert.fail('live deltas not all VERIFIED');
      await new Promise((ok) => setTimeout(ok, 200));
    }
    const whole = await (await dashGet(w.baseUrl, `/dashboard/customers/big/close-package?checkpointId=${period.checkpointId}`)).text();
    assert.ok(whole.length > partial.length && whole.startsWith(partial.slice(0, 1000)));
    // This month: exactly the live deltas; last month: exactly the 1,200, in the package.
    const keys = await assertLogs(w, key, ['big', 'small'], live, handedOut);
    const report = V.verifyClosePackage(whole, keys);
    assert.equal(report.verified, true, JSON.stringify(report.checks?.filter?.((c) => !c.ok)));
    assert.deepEqual(JSON.parse(whole).records.map((r) => r.item.reason).sort(), sent.map((x) => x.reason).sort());
    assert.equal(JSON.parse(whole).checkpoint.proofRoot ?? V.verifyCheckpoint(JSON.parse(whole).checkpoint.note, keys).root, cp.proofRoot);
    console.log(`# stream cut after ${received} of ${whole.length} bytes; ${live.filter((s) => s.recordId).length} live deltas, all once and VERIFIED`);
  } finally {
    await w.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
});
