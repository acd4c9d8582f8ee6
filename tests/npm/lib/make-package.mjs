// Builds a close package from docs/SPEC.md §12 alone, in JS (Node): a log's first period of
// `n` records, signed with an Ed25519 seed as a C2SP signed note. The hashing comes from the
// package under test (itemHash, entryHash, canonicalize, keccak256, customerReference, each
// pinned by its own vectors); the tree, the notes, the manifest and the sums are built here,
// so a package that verifies is also a check that the format is implementable from the spec.
// Used for packages larger than the vectors' (the verify page's record table cap).
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';

const NANO = 1_000_000_000n;

/** Canonical decimal text of integer nano-units. */
function amountText(nanos) {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const frac = String(abs % NANO).padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / NANO}${frac ? `.${frac}` : ''}`;
}

const hexBytes = (hash) => Buffer.from(hash.slice(2), 'hex');

/** An RFC 9162 tree head over `leaves` with the sorted-pair Keccak node (SPEC §7). */
function treeRoot(api, leaves) {
  if (leaves.length === 0) return `0x${'00'.repeat(32)}`;
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const [a, b] = [treeRoot(api, leaves.slice(0, k)), treeRoot(api, leaves.slice(k))].map(hexBytes);
  const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  return api.keccak256(new Uint8Array(Buffer.concat([lo, hi])));
}

/** A signer from a signed-note key name and a 32-byte Ed25519 seed (hex). */
export function noteSigner(name, seedHex) {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), pub])).digest().subarray(0, 4);
  return {
    verifierKey: `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`,
    /** C2SP signed note: the text, a blank line, one signature line. */
    sign: (text) => `${text}\n\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(text), key)]).toString('base64')}\n`,
  };
}

/** A first-period close package of `n` records by a direct tenant, signed by `signer`. */
export function makePackage(api, signer, n) {
  const environment = 'production';
  const recordedBy = { type: 'tenant', id: 'ten_js_builder', displayName: 'JS Builder Inc' };
  const customerId = 'cust_js';
  const customerReference = api.customerReference(recordedBy.id, environment, customerId);
  const period = { label: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' };
  let balance = 0n;
  let credits = 0n;
  let debits = 0n;
  const records = [];
  for (let seq = 0; seq < n; seq++) {
    const nanos = (BigInt((seq * 37) % 11) + 1n) * 250_000_000n * (seq % 3 === 0 ? -1n : 1n);
    if (nanos > 0n) credits += nanos;
    else debits -= nanos;
    balance += nanos;
    const item = {
      type: 'delta',
      recordId: `rec_js_${seq}`,
      index: 0,
      count: 1,
      receivedAt: new Date(Date.parse(period.start) + (seq + 1) * 1000).toISOString(),
      customerReference,
      customerId,
      delta: amountText(nanos),
      reason: `usage ${seq}`,
    };
    const itemHash = api.itemHash(item);
    const balanceAfter = amountText(balance);
    records.push({ seq, item, itemHash, balanceAfter, entryHash: api.entryHash({ seq, itemHash, balanceAfter }), receivedBeforePeriod: false });
  }
  const root = treeRoot(api, records.map((r) => r.entryHash));
  const closing = amountText(balance);
  const origin = `vericord.js/${environment}/${customerReference}`;
  const body = `${origin}\n${n}\n${hexBytes(root).toString('base64')}\nperiod ${period.label}\nopening 0\nclosing ${closing}\ncount ${n}\n`;
  const summary = { opening: '0', credits: amountText(credits), debits: amountText(debits), net: closing, closing, recordCount: n };
  const pkg = {
    format: 'vericord.close-package/v1',
    environment,
    customer: { customerId, customerReference },
    recordedBy,
    tenant: { name: recordedBy.displayName },
    period,
    verifierKeys: [signer.verifierKey],
    checkpoint: { checkpointId: 'chk_js_1', note: signer.sign(body) },
    previous: null,
    consistencyProof: [],
    range: { start: 0, frontier: [] },
    opening: null,
    records,
    summary,
  };
  const manifest = {
    format: pkg.format,
    environment,
    customer: pkg.customer,
    recordedBy,
    tenant: pkg.tenant,
    period,
    verifierKeys: pkg.verifierKeys,
    summary,
    checkpoint: { checkpointId: pkg.checkpoint.checkpointId, size: n, root },
    previous: null,
  };
  pkg.manifest = signer.sign(`${pkg.format}\n${api.canonicalize(JSON.stringify(manifest))}\n`);
  return pkg;
}
