// Hostile input on the read and proof routes: every query parameter any route
// reads, with values that are empty, huge, negative, non-numeric, out of range,
// percent-encoded control bytes or unicode, and hostile path parameters, on a
// tenant with real data (so the deep code paths run). Never a 5xx; every
// non-2xx is the JSON error envelope with a code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { createTenant, api } from './fixtures.mjs';

let worker;
let key;
let ids;

const PARAMS = [
  'limit', 'offset', 'page', 'deltaPage', 'deltaLimit', 'period', 'timePreset', 'startDate', 'endDate',
  'startingBalance', 'startingCheckpoint', 'startingCheckpointType', 'status', 'search', 'customerId',
  'vendorAccountId', 'fromSequence', 'source', 'granularity',
];
const VALUES = [
  '', '-1', '0', '1e309', 'NaN', '99999999999999999999999', '1.5', '2024-13-01', '2024-02-30T25:61:00Z',
  '0000-01', '9999-12', 'custom', 'proofRoot', '%00', '%FF%FE', '%E2%80%AE', 'x'.repeat(2_000), "' OR 1=1 --",
  '0x' + 'f'.repeat(64), 'chk_' + '0'.repeat(24), '[]', '{"a":1}',
];
const PATH_VALUES = ['%00', '%FF', '..%2F..', 'x'.repeat(3_000), '0x' + 'g'.repeat(64), '0x' + '0'.repeat(64), 'rec_', 'anc_zz', '%E2%80%AE', ' '];

function expectSane(r, what) {
  assert.ok(r.status < 500, `${what} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.equal(typeof r.body, 'object', `${what}: not JSON`);
  if (r.status >= 400) {
    assert.equal(r.body.success, false, what);
    assert.equal(typeof r.body.error?.code, 'string', what);
    assert.equal(typeof r.body.error?.message, 'string', what);
  } else {
    assert.equal(r.body.success, true, what);
  }
}

before(async () => {
  worker = await startWorker();
  const t = await createTenant(worker.baseUrl, { name: 'Hostile reads', rateLimitPerMinute: 1_000_000 });
  key = t.keys.sandbox;
  const batch = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/delta/batch',
    '{"deltas":[{"customerId":"c","delta":5,"reason":"a"},{"customerId":"c","delta":-1.25,"reason":"b"},{"customerId":"d","delta":2,"reason":"c"}]}');
  assert.equal(batch.status, 201, JSON.stringify(batch.body));
  const recordId = batch.body.data.results[0].recordId;
  for (let i = 0; ; i++) {
    const s = await api(worker.baseUrl, key, 'GET', `/api/v1/balance/delta/${recordId}`);
    if (s.body.data.status === 'VERIFIED') break;
    assert.ok(i < 200);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const cp = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'c' });
  assert.equal(cp.status, 201, JSON.stringify(cp.body));
  const list = await api(worker.baseUrl, key, 'GET', '/api/v1/balance/checkpoints');
  ids = { recordId, anchorId: batch.body.data.anchorId, root: list.body.data.checkpoints[0].proofRoot };
});
after(async () => { await worker?.stop(); });

const routes = () => [
  ['/api/v1/balance/customers', null],
  ['/api/v1/balance/customers/summary', null],
  ['/api/v1/balance/customers/c', 'customerId'],
  ['/api/v1/balance/usage', null],
  ['/api/v1/balance/limits', null],
  ['/api/v1/balance/webhooks', null],
  ['/api/v1/balance/checkpoints', null],
  ['/api/v1/balance/receipt/c', 'customerId'],
  ['/api/v1/balance/invoice-proof/c', 'customerId'],
  [`/api/v1/balance/receipts/${ids.recordId}`, 'id'],
  [`/api/v1/balance/receipts/${ids.root}`, 'id'],
  ['/api/v1/balance/derive/c', 'customerId'],
  ['/api/v1/balance/gaps/c', 'customerId'],
  [`/api/v1/balance/delta/${ids.anchorId}`, 'id'],
  [`/api/v1/verify/${ids.root}`, 'proofRoot'],
];

test('every query parameter with hostile values on every read route: never a 5xx', async () => {
  // Each (route, parameter) pair gets 4 of the values, rotating, so every value meets every
  // parameter across the routes without sending the whole product.
  const seen = new Set();
  const all = routes();
  for (const [r, [path]] of all.entries()) {
    for (const [i, p] of PARAMS.entries()) {
      for (let k = 0; k < 4; k++) {
        const v = VALUES[(r * 6 + i + k) % VALUES.length];
        seen.add(`${p}=${v}`);
        const url = `${path}?${p}=${v.startsWith('%') ? v : encodeURIComponent(v)}`;
        expectSane(await api(worker.baseUrl, key, 'GET', url), `GET ${url.slice(0, 120)}`);
      }
    }
  }
  assert.equal(seen.size, PARAMS.length * VALUES.length);
});

test('random combinations of parameters: never a 5xx', async () => {
  let seed = 7;
  const rnd = (k) => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % k; };
  const all = routes();
  for (let i = 0; i < 300; i++) {
    const [path] = all[rnd(all.length)];
    const q = Array.from({ length: 1 + rnd(4) }, () => {
      const v = VALUES[rnd(VALUES.length)];
      return `${PARAMS[rnd(PARAMS.length)]}=${v.startsWith('%') ? v : encodeURIComponent(v)}`;
    });
    expectSane(await api(worker.baseUrl, key, 'GET', `${path}?${q.join('&')}`), `GET ${path}?${q.join('&').slice(0, 200)}`);
  }
});

test('hostile path parameters: never a 5xx, unknown ids are 404', async () => {
  const templates = [
    '/api/v1/balance/customers/:x', '/api/v1/balance/receipt/:x', '/api/v1/balance/invoice-proof/:x',
    '/api/v1/balance/receipts/:x', '/api/v1/balance/derive/:x', '/api/v1/balance/gaps/:x',
    '/api/v1/balance/delta/:x', '/api/v1/verify/:x',
  ];
  for (const t of templates) {
    for (const v of PATH_VALUES) {
      const url = t.replace(':x', v.startsWith('%') || v.includes('%') ? v : encodeURIComponent(v));
      const r = await api(worker.baseUrl, key, 'GET', url);
      expectSane(r, `GET ${url.slice(0, 120)}`);
    }
  }
  const retry = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/webhooks/%00/retry', '{}');
  expectSane(retry, 'retry %00');
  assert.equal(retry.status, 404);
});

test('hostile compare and checkpoint bodies: never a 5xx, nothing signed', async () => {
  const bodies = [
    '', 'null', '[]', '{"customerId":"c"}', '{"customerId":"c","yourBalance":"1"}',
    '{"customerId":"c","yourBalance":1e309,"theirBalance":1}', '{"customerId":"c","yourBalance":1,"theirBalance":-0}',
    '{"customerId":"c","yourBalance":0.0000000001,"theirBalance":1}', '{"customerId":"' + 'x'.repeat(5_000) + '"}',
    '{"customerId":"c","period":"2024-13"}', '{"customerId":"c","timePreset":"custom","startDate":"x"}',
    '{"customerId":"c","startingCheckpoint":"chk_000000000000000000000000","yourBalance":1,"theirBalance":1}',
    '{"customerId":null}', '{"customerId":"c","customerId":"d"}', '{"customerId":"nobody"}',
  ];
  const before = await api(worker.baseUrl, key, 'GET', '/api/v1/balance/checkpoints?limit=100');
  const created = [];
  for (const b of bodies) {
    expectSane(await api(worker.baseUrl, key, 'POST', '/api/v1/balance/compare', b), `compare ${b.slice(0, 80)}`);
    const cp = await api(worker.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', b);
    expectSane(cp, `checkpoint ${b.slice(0, 80)}`);
    if (cp.status === 201) created.push(b);
  }
  // The valid bodies: {"customerId":"c"} finds c's existing checkpoint; no body and a null
  // customerId mean "every active customer", which signs d's first one, once.
  assert.deepEqual(created, ['', '{"customerId":"c"}', '{"customerId":null}']);
  const afterList = await api(worker.baseUrl, key, 'GET', '/api/v1/balance/checkpoints?limit=100');
  const fresh = afterList.body.data.checkpoints.filter((c) => !before.body.data.checkpoints.some((b) => b.checkpointId === c.checkpointId));
  assert.deepEqual(fresh.map((c) => [c.customerId, c.treeSize]), [['d', 1]]);
});
