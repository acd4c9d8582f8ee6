// The package's shape as a consumer sees it: exports, types, error codes on
// bad input, BigInt sizes, and no trap (panic) whatever the input.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as api from 'vericord';

const FUNCTIONS = [
  'canonicalize',
  'closePackageInclusionProof',
  'customerReference',
  'entryHash',
  'isVericordError',
  'itemHash',
  'keccak256',
  'parseAmount',
  'parseDelta',
  'verifyCheckpoint',
  'verifyClosePackage',
  'verifyCompare',
  'verifyConsistency',
  'verifyInclusion',
  'verifyReceipt',
  'verifyVerificationPackage',
];

const pkgDir = fileURLToPath(new URL('.', import.meta.resolve('vericord')));
const trees = JSON.parse(readFileSync(join(process.env.VERICORD_VECTORS, 'trees.json'), 'utf8'));
const tree = trees.trees.find((t) => t.size === 5);
const { index, proof } = tree.inclusion[3];
const leaf = tree.leaves[index];
const ZERO = `0x${'00'.repeat(32)}`;
const packages = JSON.parse(readFileSync(join(process.env.VERICORD_VECTORS, 'close-packages.json'), 'utf8'));
const { package: pkg, trusted } = packages.valid[0];
const compares = JSON.parse(readFileSync(join(process.env.VERICORD_VECTORS, 'compares.json'), 'utf8'));
const samples = JSON.parse(readFileSync(join(process.env.VERICORD_VECTORS, 'verification-packages.json'), 'utf8'));

function code(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, 'throws an Error');
    assert.equal(e.name, 'VericordError');
    assert.ok(api.isVericordError(e));
    assert.ok(e.message.length > 0);
    return e.code;
  }
  assert.fail('did not throw');
}

test('exports exactly the documented functions', () => {
  assert.deepEqual(Object.keys(api).sort(), FUNCTIONS);
  for (const name of FUNCTIONS) assert.equal(typeof api[name], 'function', name);
});

test('Node resolves the node entry; package.json points at files that exist', () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'vericord');
  assert.equal(pkg.type, 'module');
  assert.ok(import.meta.resolve('vericord').endsWith('/node_modules/vericord/node.js'));
  const entry = pkg.exports['.'];
  for (const file of [pkg.types, entry.types, entry.node, entry.browser, entry.default]) {
    assert.ok(existsSync(join(pkgDir, file)), file);
  }
  assert.ok(existsSync(join(pkgDir, 'vericord_wasm_bg.wasm')));
});

test('index.d.ts declares every export and the VericordError shape', () => {
  const dts = readFileSync(join(pkgDir, 'index.d.ts'), 'utf8');
  for (const name of FUNCTIONS) assert.match(dts, new RegExp(`export function ${name}\\(`), name);
  assert.match(dts, /export interface VericordError extends Error \{\s*name: 'VericordError';\s*code: ErrorCode;/);
  // Every code the vectors expect is part of the declared ErrorCode union.
  const codes = new Set(['INVALID_ARGUMENT', 'HASH_INVALID']);
  for (const file of readdirSync(process.env.VERICORD_VECTORS).filter((f) => f.endsWith('.json'))) {
    JSON.stringify(JSON.parse(readFileSync(join(process.env.VERICORD_VECTORS, file), 'utf8')), (key, value) => {
      if (key === 'error' && typeof value === 'string') codes.add(value);
      return value;
    });
  }
  for (const c of ['CLOSE_PACKAGE_MALFORMED', 'CLOSE_PACKAGE_RANGE_MISMATCH', 'SEQ_OUT_OF_RANGE', 'VERIFIER_KEY_INVALID']) codes.add(c);
  const union = dts.slice(dts.indexOf('export type ErrorCode'), dts.indexOf(';', dts.indexOf('export type ErrorCode')));
  for (const c of codes) assert.match(union, new RegExp(`'${c}'`), c);
  for (const type of ['ClosePackage', 'CompareResult', 'VerificationPackage', 'VerifyReport', 'Check', 'InclusionProofResult', 'CheckpointFacts', 'SampleFacts']) {
    assert.match(dts, new RegExp(`export interface ${type}\\b`), type);
  }
  // The declared check names are the vectors' (and so the core's), in report order.
  const names = (type) => [...dts.slice(dts.indexOf(`export type ${type} =`)).split(';')[0].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(names('ClosePackageCheckName'), packages.checks);
  assert.deepEqual(names('CompareCheckName'), compares.checks);
  assert.deepEqual(names('VerificationPackageCheckName'), samples.checks);
});

test('close packages: the report is plain data; failing packages are reports, bad arguments throw', () => {
  const report = api.verifyClosePackage(pkg, trusted);
  assert.equal(report.verified, true);
  assert.equal(report.keysPinned, true);
  assert.deepEqual(report.keys, trusted);
  assert.equal(report.key, trusted[0]);
  // Plain objects and arrays all the way down (no Map, no undefined): JSON round-trips it.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  assert.equal(Object.getPrototypeOf(report.summary), Object.prototype);
  assert.equal(report.summary.closing, pkg.summary.closing, 'amounts stay exact text');
  assert.equal(report.differences, null);
  // The same package as text, and as the object JSON.parse gives.
  assert.deepEqual(api.verifyClosePackage(JSON.stringify(pkg), trusted), report);
  assert.deepEqual(api.verifyClosePackage(JSON.parse(JSON.stringify(pkg)), trusted), report);
  // No keys: the package's own, and the report says so.
  const own = api.verifyClosePackage(pkg, []);
  assert.equal(own.verified, true);
  assert.equal(own.keysPinned, false);
  assert.deepEqual(own.keys, pkg.verifierKeys);
  // A package that fails is a report, not a throw.
  const wrong = api.verifyClosePackage(pkg, [pkg.verifierKeys.find((k) => !trusted.includes(k))]);
  assert.equal(wrong.verified, false);
  assert.equal(wrong.checks.find((c) => !c.ok).name, 'checkpoint.signature');
  for (const junk of ['', '{', '[]', 'null', '{}', {}, [], { format: 'vericord.close-package/v1' }, new Uint8Array(3)]) {
    const r = api.verifyClosePackage(junk, trusted);
    assert.equal(r.verified, false, JSON.stringify(junk));
    assert.equal(r.checks[0].name, 'format');
    assert.equal(r.checks[0].ok, false);
    assert.equal(r.checks.length, packages.checks.length);
    assert.ok(r.checks.slice(1).every((c) => !c.ok && c.detail.startsWith('not checked:')));
  }
  const compare = compares.valid[0];
  const cr = api.verifyCompare(compare.compare, compare.trusted);
  assert.equal(cr.verified, true);
  assert.equal(cr.summary, null);
  assert.equal(cr.differences.balance, compare.compare.differences.balance);
  assert.equal(api.verifyCompare(pkg, trusted).checks[0].ok, false, 'a close package is not a compare');
  assert.equal(api.verifyClosePackage(compare.compare, compare.trusted).checks[0].ok, false, 'nor the reverse');
});

test('verification packages: the report is plain data with the sample; failing packages are reports', () => {
  const { package: vp, trusted: pinned } = samples.valid[0];
  const report = api.verifyVerificationPackage(vp, pinned);
  assert.equal(report.verified, true);
  assert.equal(report.format, 'vericord.verification-package/v1');
  assert.equal(report.keysPinned, true);
  assert.equal(report.key, pinned[0]);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  assert.equal(Object.getPrototypeOf(report.sample), Object.prototype);
  assert.deepEqual(report.sample, { ...vp.sample, indices: vp.records.map((r) => r.seq) });
  assert.equal(report.recordCount, vp.records.length);
  assert.equal(report.summary, null);
  assert.equal(report.differences, null);
  assert.equal(report.previous, null);
  assert.equal(report.checkpoint.checkpointId, vp.checkpoint.checkpointId);
  // Text, bytes and the parsed object give one report.
  const text = JSON.stringify(vp);
  assert.deepEqual(api.verifyVerificationPackage(text, pinned), report);
  assert.deepEqual(api.verifyVerificationPackage(Buffer.from(text), pinned), report);
  assert.deepEqual(api.verifyVerificationPackage(JSON.parse(text), pinned), report);
  const own = api.verifyVerificationPackage(vp, []);
  assert.equal(own.verified, true);
  assert.equal(own.keysPinned, false);
  assert.deepEqual(own.keys, vp.verifierKeys);
  // A sample the seed does not draw is a report naming the check, with no sample shown.
  const swapped = samples.invalid.find((c) => c.name === 'record-swapped');
  const bad = api.verifyVerificationPackage(swapped.package, swapped.trusted);
  assert.equal(bad.verified, false);
  assert.equal(bad.checks.find((c) => !c.ok).name, 'sample.indices');
  assert.equal(bad.sample, null);
  for (const junk of ['', '{', '[]', 'null', '{}', {}, [], { format: 'vericord.verification-package/v1' }, new Uint8Array(3)]) {
    const r = api.verifyVerificationPackage(junk, pinned);
    assert.equal(r.verified, false, JSON.stringify(junk));
    assert.equal(r.checks[0].name, 'format');
    assert.equal(r.checks.length, samples.checks.length);
    assert.ok(r.checks.slice(1).every((c) => !c.ok && c.detail.startsWith('not checked:')));
  }
  // One kind is not the other.
  assert.equal(api.verifyVerificationPackage(pkg, trusted).checks[0].ok, false, 'a close package is not a verification package');
  assert.equal(api.verifyClosePackage(vp, pinned).checks[0].ok, false, 'nor the reverse');
  assert.equal(api.verifyClosePackage(pkg, trusted).sample, null, 'close package reports have no sample');
  for (const [want, fn] of [
    ['VERIFIER_KEY_INVALID', () => api.verifyVerificationPackage(vp, ['nope'])],
    ['INVALID_ARGUMENT', () => api.verifyVerificationPackage(vp, null)],
    ['INVALID_ARGUMENT', () => api.verifyVerificationPackage(42, [])],
    ['INVALID_ARGUMENT', () => api.verifyVerificationPackage(new Uint8Array([0xc3]), [])],
  ]) {
    assert.equal(code(fn), want, fn.toString());
  }
});

test('closePackageInclusionProof: numbers, BigInt seq, coded errors', () => {
  const seq = pkg.range.start + 2;
  const p = api.closePackageInclusionProof(pkg, seq);
  assert.deepEqual(Object.keys(p).sort(), ['index', 'leaf', 'proof', 'root', 'size']);
  assert.equal(typeof p.size, 'number');
  assert.equal(p.index, seq);
  assert.equal(api.verifyInclusion(p.root, p.size, p.index, p.leaf, p.proof), true);
  assert.deepEqual(api.closePackageInclusionProof(JSON.stringify(pkg), BigInt(seq)), p);
  const badFrontier = structuredClone(pkg);
  badFrontier.range.frontier[0] = ZERO;
  const cases = [
    ['SEQ_OUT_OF_RANGE', () => api.closePackageInclusionProof(pkg, pkg.range.start - 1)],
    ['SEQ_OUT_OF_RANGE', () => api.closePackageInclusionProof(pkg, p.size)],
    ['CLOSE_PACKAGE_RANGE_MISMATCH', () => api.closePackageInclusionProof(badFrontier, seq)],
    ['CLOSE_PACKAGE_MALFORMED', () => api.closePackageInclusionProof('{', seq)],
    ['CLOSE_PACKAGE_MALFORMED', () => api.closePackageInclusionProof({}, seq)],
    ['INVALID_ARGUMENT', () => api.closePackageInclusionProof(pkg, -1)],
    ['INVALID_ARGUMENT', () => api.closePackageInclusionProof(pkg, '3')],
    ['INVALID_ARGUMENT', () => api.closePackageInclusionProof(42, seq)],
  ];
  for (const [want, fn] of cases) assert.equal(code(fn), want, fn.toString());
});

test('documents as UTF-8 bytes: a Uint8Array or Buffer gives what the text gives', () => {
  const text = JSON.stringify(pkg);
  const report = api.verifyClosePackage(text, trusted);
  assert.equal(report.verified, true);
  assert.deepEqual(api.verifyClosePackage(new TextEncoder().encode(text), trusted), report);
  assert.deepEqual(api.verifyClosePackage(Buffer.from(text), trusted), report, 'a Buffer is a Uint8Array');
  // A view into a larger buffer is read from its own offset.
  const framed = Buffer.from(`xx${text}yy`);
  assert.deepEqual(api.verifyClosePackage(framed.subarray(2, framed.length - 2), trusted), report);
  const seq = pkg.range.start + 1;
  assert.deepEqual(api.closePackageInclusionProof(Buffer.from(text), seq), api.closePackageInclusionProof(text, seq));
  const compare = compares.valid[0];
  const bytes = Buffer.from(JSON.stringify(compare.compare));
  assert.deepEqual(api.verifyCompare(bytes, compare.trusted), api.verifyCompare(compare.compare, compare.trusted));
  // Bytes that are not JSON are a failed check; bytes that are not UTF-8 are not text at all.
  assert.equal(api.verifyClosePackage(Buffer.from(text.slice(1)), trusted).checks[0].ok, false);
  const notUtf8 = Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xff]), Buffer.from(text.slice(20))]);
  assert.equal(code(() => api.verifyClosePackage(notUtf8, trusted)), 'INVALID_ARGUMENT');
  assert.equal(code(() => api.verifyCompare(new Uint8Array([0xc3]), trusted)), 'INVALID_ARGUMENT');
});

test('known answers', () => {
  const utf8 = new TextEncoder();
  assert.equal(api.keccak256(new Uint8Array()), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  assert.equal(api.keccak256(utf8.encode('abc')), '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  assert.equal(api.keccak256(Buffer.from('abc')), api.keccak256(utf8.encode('abc')), 'a Buffer is a Uint8Array');
  assert.equal(api.parseAmount('-42.50'), '-42.5');
  assert.equal(api.parseDelta('1e3'), '1000');
  assert.equal(api.itemHash({ b: 1, a: 2 }), api.itemHash('{"a":2,"b":1}'));
  assert.equal(api.verifyInclusion(tree.root, tree.size, index, leaf, proof), true);
});

test('long amounts with huge exponents parse exactly', () => {
  // 10^-1_000_000 × 10^1_000_001 is exactly 10, however long the text.
  assert.equal(api.parseAmount(`0.${'0'.repeat(999_999)}1e1000001`), '10');
  assert.equal(api.parseAmount(`1${'0'.repeat(1_000_005)}e-1000005`), '1');
  assert.equal(api.parseDelta(`-25${'0'.repeat(2_000_000)}e-2000001`), '-2.5');
  // 1111111111 × 10^-1_000_000: a million fractional digits, not 1111111111.
  assert.equal(code(() => api.parseAmount(`${'1'.repeat(10)}${'0'.repeat(1_000_000)}e-2000000`)), 'AMOUNT_TOO_PRECISE');
});

test('sizes and indices: safe integers or BigInts', () => {
  assert.equal(api.verifyInclusion(tree.root, BigInt(tree.size), BigInt(index), leaf, proof), true);
  assert.equal(api.verifyInclusion(tree.root, BigInt(tree.size), index, leaf, proof), true);
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, '5', null, undefined, -1n, 2n ** 64n]) {
    assert.equal(code(() => api.verifyInclusion(tree.root, bad, index, leaf, proof)), 'INVALID_ARGUMENT', String(bad));
  }
  // Beyond 2^53 only a BigInt says it exactly; the core then judges the proof.
  assert.equal(code(() => api.verifyInclusion(tree.root, 2n ** 63n, 0, leaf, proof)), 'PROOF_LENGTH');
  assert.equal(code(() => api.verifyInclusion(tree.root, 2n ** 64n - 1n, 2n ** 64n - 1n, leaf, proof)), 'INDEX_OUT_OF_RANGE');
  assert.equal(api.entryHash({ seq: 3n, itemHash: leaf, balanceAfter: '1' }), api.entryHash({ seq: 3, itemHash: leaf, balanceAfter: '1' }));
  assert.equal(code(() => api.entryHash({ seq: 2n ** 53n, itemHash: leaf, balanceAfter: '1' })), 'SEQ_OUT_OF_RANGE');
  assert.ok(api.entryHash({ seq: 2 ** 53 - 1, itemHash: leaf, balanceAfter: '1' }));
});

test('bad input throws a VericordError with a stable code', () => {
  const cases = [
    ['INVALID_ARGUMENT', () => api.parseAmount(0.1)], // money is never a JS number
    ['INVALID_ARGUMENT', () => api.parseDelta(5)],
    ['AMOUNT_INVALID', () => api.parseAmount('1,5')],
    ['AMOUNT_ZERO', () => api.parseDelta('0')],
    ['INVALID_ARGUMENT', () => api.canonicalize({ a: 1 })],
    ['JSON_INVALID', () => api.canonicalize('{')],
    ['JSON_INVALID', () => api.itemHash('{')],
    ['JSON_DUPLICATE_NAME', () => api.canonicalize('{"a":1,"a":2}')],
    ['JSON_DUPLICATE_NAME', () => api.itemHash('{"a":1,"a":2}')],
    ['JSON_INVALID', () => api.itemHash({ amount: 1n })],
    ['INVALID_ARGUMENT', () => api.itemHash(42)],
    ['INVALID_ARGUMENT', () => api.itemHash(undefined)],
    ['INVALID_ARGUMENT', () => api.keccak256('abc')],
    ['INVALID_ARGUMENT', () => api.keccak256([1, 2])],
    ['INVALID_ARGUMENT', () => api.customerReference('t', 'staging', 'c')],
    ['INVALID_ARGUMENT', () => api.customerReference('t', 'sandbox', 7)],
    ['INVALID_ARGUMENT', () => api.entryHash(null)],
    ['INVALID_ARGUMENT', () => api.entryHash({ seq: 1, itemHash: leaf, balanceAfter: 1.5 })],
    ['HASH_INVALID', () => api.entryHash({ seq: 1, itemHash: '0x12', balanceAfter: '1' })],
    ['AMOUNT_TOO_PRECISE', () => api.entryHash({ seq: 1, itemHash: leaf, balanceAfter: '0.0000000001' })],
    ['HASH_INVALID', () => api.verifyInclusion('0x12', 5, 3, leaf, proof)],
    ['HASH_INVALID', () => api.verifyInclusion(tree.root.slice(2), 5, 3, leaf, proof)],
    ['HASH_INVALID', () => api.verifyInclusion(tree.root, 5, 3, leaf, [...proof.slice(1), 'zz'])],
    ['INVALID_ARGUMENT', () => api.verifyInclusion(tree.root, 5, 3, leaf, proof[0])],
    ['INVALID_ARGUMENT', () => api.verifyInclusion(tree.root, 5, 3, leaf, [1, 2, 3])],
    ['ROOT_MISMATCH', () => api.verifyInclusion(ZERO, 5, 3, leaf, proof)],
    ['SIZES_OUT_OF_ORDER', () => api.verifyConsistency(2, ZERO, 1, ZERO, [])],
    ['INVALID_ARGUMENT', () => api.verifyConsistency(0, ZERO, 1, ZERO)],
    ['CHECKPOINT_MALFORMED', () => api.verifyCheckpoint('garbage', [])],
    ['INVALID_ARGUMENT', () => api.verifyCheckpoint('garbage', 'key')],
    ['INVALID_ARGUMENT', () => api.verifyCheckpoint(null, [])],
    ['INVALID_ARGUMENT', () => api.verifyReceipt(42, [])],
    ['INVALID_ARGUMENT', () => api.verifyReceipt({}, 'key')],
    ['RECEIPT_MALFORMED', () => api.verifyReceipt('{', [])],
    ['RECEIPT_MALFORMED', () => api.verifyReceipt({ checkpoint: {} }, [])],
    ['CHECKPOINT_MALFORMED', () => api.verifyReceipt({ checkpoint: { note: 'garbage' } }, [])],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage(42, [])],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage(null, [])],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage(undefined, [])],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage({ n: 1n }, [])],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage(pkg, 'key')],
    ['INVALID_ARGUMENT', () => api.verifyClosePackage(pkg, [42])],
    ['VERIFIER_KEY_INVALID', () => api.verifyClosePackage(pkg, ['not a key'])],
    ['VERIFIER_KEY_INVALID', () => api.verifyClosePackage(pkg, [...trusted, `${trusted[0]}x`])],
    ['INVALID_ARGUMENT', () => api.verifyCompare(true, [])],
    ['INVALID_ARGUMENT', () => api.verifyCompare({}, null)],
    ['VERIFIER_KEY_INVALID', () => api.verifyCompare({}, [''])],
  ];
  for (const [want, fn] of cases) assert.equal(code(fn), want, fn.toString());
});

test('verifyInclusion: plain hex text (its fast path) and any other input answer alike', () => {
  const said = (fn) => {
    try {
      return String(fn());
    } catch (e) {
      assert.ok(api.isVericordError(e), String(e));
      return `${e.code}: ${e.message}`;
    }
  };
  const upper = (h) => `0x${h.slice(2).toUpperCase()}`;
  assert.equal(api.verifyInclusion(upper(tree.root), tree.size, index, upper(leaf), proof.map(upper)), true);
  const notHash = [
    `0X${leaf.slice(2)}`,
    `0x${leaf.slice(2, 65)}g`,
    `0x${leaf.slice(2, 65)}ü`, // 66 UTF-16 units, 67 bytes
    `0x${leaf.slice(2, 65)}\ud800`, // a lone surrogate
    `0x${leaf.slice(2, 64)}\u{1F600}`, // 66 units, 68 bytes
    leaf.slice(0, 65),
    `${leaf}0`,
    `${leaf.slice(0, 65)}${'\u0660'}`, // an Arabic-Indic digit
  ];
  for (const bad of notHash) {
    assert.equal(said(() => api.verifyInclusion(bad, tree.size, index, leaf, proof)), 'HASH_INVALID: root must be 0x followed by 64 hex digits');
    assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, bad, proof)), 'HASH_INVALID: leaf must be 0x followed by 64 hex digits');
    const tampered = proof.with(proof.length - 1, bad);
    assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, leaf, tampered)), `HASH_INVALID: proof[${proof.length - 1}] must be 0x followed by 64 hex digits`);
  }
  for (const bad of [42, null, undefined, {}, Symbol('s')]) {
    assert.equal(said(() => api.verifyInclusion(bad, tree.size, index, leaf, proof)), 'INVALID_ARGUMENT: root must be a string');
    assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, leaf, [bad, ...proof])), 'INVALID_ARGUMENT: proof[0] must be a string');
  }
  assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, leaf, proof.join(''))), 'INVALID_ARGUMENT: proof must be an array');
  // A bad hash is reported before a bad size, as the arguments come; then size, then index.
  assert.equal(said(() => api.verifyInclusion('0x12', 1.5, -1, leaf, proof)), 'HASH_INVALID: root must be 0x followed by 64 hex digits');
  const sizeError = 'must be a non-negative safe integer or a BigInt below 2^64';
  assert.equal(said(() => api.verifyInclusion(tree.root, 1.5, -1, leaf, proof)), `INVALID_ARGUMENT: size ${sizeError}`);
  assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, -1, leaf, proof)), `INVALID_ARGUMENT: index ${sizeError}`);
  assert.equal(said(() => api.verifyInclusion(ZERO, tree.size, index, leaf, proof)), 'ROOT_MISMATCH: inclusion proof: proof does not lead to the root');
  assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, tree.size, leaf, proof)), 'INDEX_OUT_OF_RANGE: inclusion proof: leaf index is not below the tree size');
  // A proof longer than any before (its buffer grows), then the short one again.
  const long = Array.from({ length: 70 }, () => ZERO);
  assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, leaf, long)), `PROOF_LENGTH: inclusion proof: proof has 70 hashes; this index and size need ${proof.length}`);
  assert.equal(said(() => api.verifyInclusion(tree.root, tree.size, index, leaf, [])), `PROOF_LENGTH: inclusion proof: proof has 0 hashes; this index and size need ${proof.length}`);
  assert.equal(api.verifyInclusion(tree.root, tree.size, index, leaf, proof), true);
  // Every single-hash input a leaf of a one-leaf tree: the proof is empty, the leaf the root.
  assert.equal(api.verifyInclusion(leaf, 1, 0, upper(leaf), []), true);
});

test('never traps: junk in every argument gives a result or a VericordError', () => {
  const junk = [undefined, null, true, 0, -0, 1e308, NaN, 2n ** 70n, '', '0x', 'x'.repeat(10_000), '\ud800', [], [null], {}, { seq: {} }, new Uint8Array(3), Symbol('s'), () => 1];
  let calls = 0;
  for (const name of FUNCTIONS.filter((f) => f !== 'isVericordError')) {
    for (const a of junk) {
      for (const b of [a, junk[calls % junk.length]]) {
        try {
          api[name](a, b, a, b, a);
        } catch (e) {
          assert.ok(api.isVericordError(e), `${name}(${String(a)}): ${e}`);
        }
        calls++;
      }
    }
  }
  // The instance is still healthy afterwards.
  assert.equal(api.verifyInclusion(tree.root, tree.size, index, leaf, proof), true);
  assert.ok(calls > 300);
});
