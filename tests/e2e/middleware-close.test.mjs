// Issue 10: the billing-middleware routes end to end on a real Worker. Closed periods and one
// period; the close package streamed by the Worker and verified by the npm package and the
// CLI, and refused by both when altered in transit; compare, verified; the vendor-scoped
// record; 403 for direct tenants; isolation between vendor accounts, tenants and
// environments; bad input (4xx JSON); webhooks once per event; and the parent tenant's name
// in no response or webhook.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import * as V from '../../crates/wasm/pkg/node.js';
import { admin, api, assertError, assertOk, assertNothingWritten } from './fixtures.mjs';
import { startReceiver } from './receiver.mjs';
import { closeWorld, PARENT_NAME } from './close-world.mjs';
import { run as runTool, vericordCli } from './tools.mjs';

let w;
let rx;
let keys;
const seen = []; // every buyer-facing body, scanned for the parent's name at the end
let cli;

before(async () => {
  cli = await vericordCli(); // before any request, so no pooled connection waits on the build
  rx = await startReceiver();
  w = await closeWorld();
  await admin(w.worker.baseUrl, 'POST', `/admin/tenants/${w.mw.id}/webhooks`, { url: rx.url('/hooks'), environment: 'sandbox' });
  keys = (await api(w.worker.baseUrl, undefined, 'GET', '/.well-known/vericord/keys')).body.data.keys.map((k) => k.verifierKey);
});

after(async () => {
  await w?.worker.stop();
  await rx?.stop();
});

const vendor = (i) => w.vendors[i].id;
const base = (customer = 'buyer-1') => `/api/v1/middleware/customers/${customer}`;
async function get(path, key = w.key) {
  const res = await api(w.worker.baseUrl, key, 'GET', path);
  seen.push([path, typeof res.body === 'string' ? res.body : JSON.stringify(res.body)]);
  return res;
}
async function getRaw(path, key = w.key) {
  const res = await fetch(`${w.worker.baseUrl}${path}`, { headers: { 'x-api-key': key } });
  const bytes = Buffer.from(await res.arrayBuffer());
  seen.push([path, bytes.toString('latin1')]);
  return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
}
const failed = (report) => report.checks.filter((c) => !c.ok).map((c) => c.name);

test('direct tenants get 403 MIDDLEWARE_ONLY on every middleware route', async () => {
  const dk = w.direct.keys.sandbox;
  for (const path of [`${base()}/periods`, `${base()}/periods/chk_x`, `${base()}/close-package?period=${w.months[1]}`,
    `${base()}/export?format=csv&period=${w.months[1]}`, `/api/v1/middleware/vendors/${vendor(0)}/customers/buyer-1/record`]) {
    assertError(await get(path, dk), 403, 'MIDDLEWARE_ONLY', undefined, path);
  }
  assertError(await api(w.worker.baseUrl, dk, 'POST', `${base()}/compare`, { from: w.months[0], to: w.months[1] }), 403, 'MIDDLEWARE_ONLY');
});

test('a customer id under two vendor accounts needs vendorAccountId; each names its own log', async () => {
  assertError(await get(`${base()}/periods`), 400, 'VENDOR_ACCOUNT_REQUIRED', 'vendorAccountId');
  const a = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`), 200);
  const b = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(1)}`), 200);
  assert.notEqual(a.customer.customerReference, b.customer.customerReference);
  assert.deepEqual(a.recordedBy, { type: 'middleware_vendor_account', id: vendor(0), displayName: 'Acme Inference' });
  assert.deepEqual(b.tenant, { name: 'Beta Vendor GmbH' });
  // buyer-2 exists under one vendor account only: no vendorAccountId needed.
  assertOk(await get(`${base('buyer-2')}/periods`), 200);
  assertError(await get(`${base()}/periods?vendorAccountId=${w.otherMw.vendorAccounts[0].id}`), 400, 'VENDOR_ACCOUNT_NOT_FOUND', 'vendorAccountId');
});

test('periods: the two closed months, newest first, with exact totals that tile the log', async () => {
  const p = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`), 200);
  assert.deepEqual(p.periods.map((x) => x.period), [w.months[1], w.months[0]]);
  const [last, old] = p.periods;
  assert.deepEqual(old.totals, { opening: '0', credits: '100', debits: '12.500000001', net: '87.499999999', closing: '87.499999999', recordCount: 3 });
  assert.deepEqual(last.totals, { opening: '87.499999999', credits: '7.75', debits: '31.25', net: '-23.5', closing: '63.999999999', recordCount: 3 });
  assert.equal(old.startSize, 0);
  assert.equal(last.startSize, old.treeSize, 'each period starts where the one before ended');
  assert.equal(old.status, 'closed');
  // Paging: one at a time.
  const one = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}&limit=1`), 200);
  assert.equal(one.periods.length, 1);
  assert.equal(one.pagination.nextBefore, w.months[1]);
  const two = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}&limit=1&before=${one.pagination.nextBefore}`), 200);
  assert.deepEqual(two.periods.map((x) => x.period), [w.months[0]]);
  assert.equal(two.pagination.nextBefore, null);
  // Listing again closes nothing new: the same checkpoints.
  const again = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`), 200);
  assert.deepEqual(again.periods.map((x) => x.checkpointId), p.periods.map((x) => x.checkpointId));
});

test('one period: summary, checkpoint, previous checkpoint, the consistency proof and paged records', async () => {
  const p = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`), 200);
  const d = assertOk(await get(`${base()}/periods/${p.periods[0].checkpointId}?vendorAccountId=${vendor(0)}&limit=2`), 200);
  assert.equal(d.period.period, w.months[1]);
  assert.deepEqual(d.summary, p.periods[0].totals);
  assert.equal(d.previousCheckpoint.checkpointId, p.periods[1].checkpointId);
  const cp = V.verifyCheckpoint(d.checkpoint.note, keys);
  const prev = V.verifyCheckpoint(d.previousCheckpoint.note, keys);
  assert.equal(d.consistencyProof.fromSize, prev.size);
  assert.equal(V.verifyConsistency(prev.size, prev.root, cp.size, cp.root, d.consistencyProof.proof), true);
  assert.deepEqual(d.records.map((r) => r.delta), ['-30.25', '7.75']);
  assert.deepEqual(d.pagination, { limit: 2, offset: 0, total: 3 });
  const next = assertOk(await get(`${base()}/periods/${p.periods[0].checkpointId}?vendorAccountId=${vendor(0)}&limit=2&offset=2`), 200);
  assert.deepEqual(next.records.map((r) => r.reason), ['=SUM(A1:A9) injection test']);
  assertError(await get(`${base()}/periods/chk_000000000000000000000000?vendorAccountId=${vendor(0)}`), 404, 'CHECKPOINT_NOT_FOUND');
});

test('the close package served by the Worker verifies in the npm package and the CLI; altered in transit it is refused by both', async () => {
  const res = await getRaw(`${base()}/close-package?period=${w.months[1]}&vendorAccountId=${vendor(0)}`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.match(res.headers.get('content-disposition'), /attachment; filename="close-package-buyer-1-\d{4}-\d{2}\.json"/);
  const pkg = JSON.parse(res.text);
  assert.equal(pkg.format, 'vericord.close-package/v1');
  assert.deepEqual(pkg.recordedBy, { type: 'middleware_vendor_account', id: vendor(0), displayName: 'Acme Inference' });
  assert.deepEqual(pkg.tenant, { name: 'Acme Inference' });
  assert.equal(pkg.records.length, 3);
  const report = V.verifyClosePackage(res.text, keys);
  assert.equal(report.verified, true, JSON.stringify(failed(report)));
  assert.equal(report.keysPinned, true);
  // Without pinned keys it still verifies, with the package's own keys, and says so.
  assert.equal(V.verifyClosePackage(res.text, []).keysPinned, false);
  // Any record's inclusion proof, derived from the package, verifies in OpenZeppelin too.
  const ip = V.closePackageInclusionProof(res.text, pkg.records[1].seq);
  assert.equal(SimpleMerkleTree.verify(ip.root, ip.leaf, ip.proof), true);
  // Altered in transit: an amount, a dropped record, a summary figure.
  const alter = (f) => { const c = structuredClone(pkg); f(c); return JSON.stringify(c); };
  const altered = [
    alter((c) => { c.records[0].item.delta = '-30.26'; }),
    alter((c) => { c.records.splice(1, 1); }),
    alter((c) => { c.summary.credits = '8'; }),
    alter((c) => { c.tenant.name = 'Someone Else'; }),
  ];
  for (const text of altered) assert.equal(V.verifyClosePackage(text, keys).verified, false);
  // The CLI: exit 0 verified, 1 a check failed, 2 unreadable.
  const dir = mkdtempSync(join(tmpdir(), 'vericord-pkg-'));
  writeFileSync(join(dir, 'ok.json'), res.text);
  writeFileSync(join(dir, 'bad.json'), altered[0]);
  writeFileSync(join(dir, 'junk.json'), '{not json');
  const run = (file, ...args) => runTool(cli, ['verify', join(dir, file), ...args.flatMap((k) => ['--key', k])]);
  assert.equal((await run('ok.json', ...keys)).status, 0);
  assert.equal((await run('bad.json', ...keys)).status, 1);
  assert.equal((await run('junk.json')).status, 2);
  const json = JSON.parse((await runTool(cli, ['verify', join(dir, 'ok.json'), '--json'])).stdout);
  assert.equal(json.verified, true);
});

test('close package: the first period has no previous checkpoint; by checkpointId too; open and interim periods are refused', async () => {
  const res = await getRaw(`${base()}/close-package?period=${w.months[0]}&vendorAccountId=${vendor(0)}`);
  const pkg = JSON.parse(res.text);
  assert.equal(pkg.previous, null);
  assert.equal(pkg.opening, null);
  assert.equal(pkg.range.start, 0);
  assert.equal(V.verifyClosePackage(res.text, keys).verified, true);
  const byId = await getRaw(`${base()}/close-package?checkpointId=${pkg.checkpoint.checkpointId}&vendorAccountId=${vendor(0)}`);
  assert.equal(byId.text, res.text, 'the same package, byte for byte');
  const thisMonth = new Date().toISOString().slice(0, 7);
  await assertNothingWritten(w.worker, async () => {
    assertError(await get(`${base()}/close-package?period=${thisMonth}&vendorAccountId=${vendor(0)}`), 400, 'PERIOD_NOT_CLOSED', 'period');
    assertError(await get(`${base()}/close-package?vendorAccountId=${vendor(0)}`), 400, 'VALIDATION_ERROR', 'period');
    assertError(await get(`${base()}/close-package?period=2026-13&vendorAccountId=${vendor(0)}`), 400, 'VALIDATION_ERROR', 'period');
    assertError(await get(`${base()}/close-package?period=${w.months[0]}&checkpointId=chk_x&vendorAccountId=${vendor(0)}`), 400, 'INVALID_SCOPE_COMBINATION');
    assertError(await get(`${base()}/export?format=xml&period=${w.months[0]}&vendorAccountId=${vendor(0)}`), 400, 'VALIDATION_ERROR', 'format');
    assertError(await get(`${base('nobody')}/close-package?period=${w.months[0]}`), 404, 'CUSTOMER_NOT_FOUND');
  });
  // An interim checkpoint (this month's) is not a period.
  const interim = assertOk(await api(w.worker.baseUrl, w.key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'buyer-1', vendorAccountId: vendor(0) }), 201);
  assertError(await get(`${base()}/close-package?checkpointId=${interim.checkpointId}&vendorAccountId=${vendor(0)}`), 400, 'NOT_A_CLOSED_PERIOD', 'checkpointId');
});

test('compare: the records between two periods with the consistency proof, verified by the npm package', async () => {
  const c = await api(w.worker.baseUrl, w.key, 'POST', `${base()}/compare`, { from: w.months[0], to: w.months[1], vendorAccountId: vendor(0) });
  seen.push(['compare', JSON.stringify(c.body)]);
  const r = assertOk(c, 200);
  assert.equal(r.format, 'vericord.compare/v1');
  assert.deepEqual(r.differences, { entries: 3, balance: '-23.5', credits: '7.75', debits: '31.25', recordCount: 0, opening: '87.499999999', closing: '-23.5' });
  const report = V.verifyCompare(JSON.stringify(r), keys);
  assert.equal(report.verified, true, JSON.stringify(failed(report)));
  const tampered = structuredClone(r);
  tampered.records[2].balanceAfter = '0';
  assert.equal(V.verifyCompare(JSON.stringify(tampered), keys).verified, false);
  // By checkpoint ids too; the wrong order and junk are 400s that write nothing.
  const p = assertOk(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`), 200);
  const byIds = assertOk(await api(w.worker.baseUrl, w.key, 'POST', `${base()}/compare`, { from: p.periods[1].checkpointId, to: p.periods[0].checkpointId, vendorAccountId: vendor(0) }), 200);
  assert.deepEqual(byIds.differences, r.differences);
  await assertNothingWritten(w.worker, async () => {
    const post = (body) => api(w.worker.baseUrl, w.key, 'POST', `${base()}/compare`, body);
    assertError(await post({ from: w.months[1], to: w.months[0], vendorAccountId: vendor(0) }), 400, 'COMPARE_ORDER', 'from');
    assertError(await post({ to: w.months[0], vendorAccountId: vendor(0) }), 400, 'VALIDATION_ERROR', 'from');
    assertError(await post({ from: 'chk_nope', to: w.months[0], vendorAccountId: vendor(0) }), 400, 'CHECKPOINT_NOT_FOUND', 'from');
    assertError(await post({ from: w.months[0], to: w.months[1], vendorAccountId: vendor(0), extra: 1 }), 400, 'UNKNOWN_FIELD', 'extra');
  });
});

test('the vendor-scoped record: identity, balance, counts, latest checkpoint, periods and links', async () => {
  const r = assertOk(await get(`/api/v1/middleware/vendors/${vendor(0)}/customers/buyer-1/record`), 200);
  assert.deepEqual(r.recordedBy, { type: 'middleware_vendor_account', id: vendor(0), displayName: 'Acme Inference' });
  assert.equal(r.balanceText, '63.999999999');
  assert.deepEqual(r.counts, { records: 6, verified: 6, failed: 0, pending: 0 });
  assert.deepEqual(r.periods.map((p) => p.period), [w.months[1], w.months[0]]);
  assert.ok(r.links.periods.includes(`vendorAccountId=${vendor(0)}`));
  const other = assertOk(await get(`/api/v1/middleware/vendors/${vendor(1)}/customers/buyer-1/record`), 200);
  assert.equal(other.balanceText, '36');
  assertError(await get(`/api/v1/middleware/vendors/${w.otherMw.vendorAccounts[0].id}/customers/buyer-1/record`), 404, 'VENDOR_ACCOUNT_NOT_FOUND');
  assertError(await get(`/api/v1/middleware/vendors/${vendor(0)}/customers/nobody/record`), 404, 'CUSTOMER_NOT_FOUND');
});

test('isolation: another middleware tenant and the production environment see none of it', async () => {
  const other = w.otherMw.keys.sandbox;
  const prod = w.mw.keys.production;
  for (const key of [other, prod]) {
    assertError(await get(`${base()}/periods?vendorAccountId=${vendor(0)}`, key), key === other ? 400 : 404, key === other ? 'VENDOR_ACCOUNT_NOT_FOUND' : 'CUSTOMER_NOT_FOUND');
    assertError(await get(`${base('buyer-2')}/close-package?period=${w.months[0]}`, key), 404, 'CUSTOMER_NOT_FOUND');
  }
  assertError(await get(`/api/v1/middleware/vendors/${vendor(0)}/customers/buyer-1/record`, other), 404, 'VENDOR_ACCOUNT_NOT_FOUND');
});

test('webhooks: customer.export_downloaded and customer.compare_run, once per event, signed, naming the vendor account', async () => {
  const before = rx.at('/hooks').length;
  await getRaw(`${base()}/export?format=csv&period=${w.months[0]}&vendorAccountId=${vendor(0)}`);
  await api(w.worker.baseUrl, w.key, 'POST', `${base()}/compare`, { from: w.months[0], to: w.months[1], vendorAccountId: vendor(0) });
  await w.worker.scheduled();
  for (let i = 0; i < 100; i++) {
    const got = rx.at('/hooks').slice(before).map((r) => r.headers['x-webhook-event']);
    if (got.includes('customer.export_downloaded') && got.includes('customer.compare_run')) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const mine = rx.at('/hooks').slice(before).filter((r) => r.headers['x-webhook-event'].startsWith('customer.'));
  const kinds = mine.map((r) => r.headers['x-webhook-event']).sort();
  assert.deepEqual(kinds, ['customer.compare_run', 'customer.export_downloaded']);
  for (const r of mine) {
    const body = JSON.parse(r.body);
    assert.equal(body.data.recordedBy.displayName, 'Acme Inference');
    assert.equal(body.data.vendorAccountId, vendor(0));
    assert.match(r.headers['x-pacspace-signature'], /^v1=[0-9a-f]{64}$/);
    seen.push([`webhook ${r.headers['x-webhook-event']}`, r.body]);
  }
});

test('the parent tenant\'s name appears in no middleware response, package or webhook', () => {
  assert.ok(seen.length > 20);
  for (const [where, text] of seen) assert.ok(!text.includes(PARENT_NAME), `${where} names the parent tenant`);
});
