// Inclusion-proof verification speed: vericord (wasm) vs OpenZeppelin's
// SimpleMerkleTree.verify vs merkletreejs, all on the same 20-hash proofs in
// one Node process. Run from the repo root:  node bench/verify/bench.mjs [--enforce]
//
// --enforce (issue 13 §5): exits 1 unless verifyInclusion is at least 20x OpenZeppelin's
// SimpleMerkleTree.verify and at least 50 % of the keccak-f ceiling, both measured in this run:
// each ratio is taken within a round (ours and the other measured back to back) and the median
// of those per-round ratios is enforced, so a slow spell during one round cannot tip it.
//
// Proofs are synthetic: a random leaf and 20 random siblings, the root folded
// with sorted pairs (keccak256(min ‖ max)). That is exactly what a leaf of a
// 2^20-leaf tree verifies against, without building the tree.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { MerkleTree } from 'merkletreejs';
import SHA3 from 'crypto-js/sha3.js';
import Hex from 'crypto-js/enc-hex.js';
import { keccak256 as nobleKeccak } from 'ethereum-cryptography/keccak.js';

const pkgEntry = process.env.VERICORD_PKG ?? fileURLToPath(new URL('../../crates/wasm/pkg/node.js', import.meta.url));
const vericord = await import(pathToFileURL(pkgEntry).href);
// The generated glue itself (the same module instance the entry initialized): its
// verifyInclusion is the old path, every hash a string crossing into wasm on its own.
const glue = await import(new URL('vericord_wasm.js', pathToFileURL(pkgEntry)).href);
const ENFORCE = process.argv.includes('--enforce');
const TARGET_OZ_RATIO = 20;
const TARGET_CEILING_SHARE = 0.5;

const DEPTH = 20;
const SIZE = 2 ** DEPTH;
const PROOFS = 256;
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 500);

// Deterministic "random" bytes, so every run measures the same proofs.
let counter = 0;
const random32 = () => createHash('sha256').update(`vericord-bench:${counter++}`).digest();
const hex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;

// Root by sorted-pair folding, computed with noble's keccak (not ours).
function foldRoot(leaf, siblings) {
  return siblings.reduce((acc, s) => nobleKeccak(Buffer.concat(Buffer.compare(acc, s) <= 0 ? [acc, s] : [s, acc])), leaf);
}

const cases = Array.from({ length: PROOFS }, () => {
  const leaf = random32();
  const siblings = Array.from({ length: DEPTH }, random32);
  const index = random32().readUInt32BE(0) % SIZE;
  return { root: hex(foldRoot(leaf, siblings)), leaf: hex(leaf), proof: siblings.map(hex), index };
});

// merkletreejs: its hash function gets and returns Buffers. Keccak-256 from
// crypto-js (merkletreejs's own dependency; its SHA3 is original Keccak).
const cryptoJsKeccak = (buf) => Buffer.from(SHA3(Hex.parse(buf.toString('hex')), { outputLength: 256 }).toString(Hex), 'hex');
const mtCryptoJs = new MerkleTree([], cryptoJsKeccak, { sortPairs: true });
const mtNoble = new MerkleTree([], (buf) => Buffer.from(nobleKeccak(buf)), { sortPairs: true });

const contenders = {
  'vericord verifyInclusion (wasm)': (c) => vericord.verifyInclusion(c.root, SIZE, c.index, c.leaf, c.proof),
  'vericord, old path (a string per hash)': (c) => glue.verifyInclusion(c.root, SIZE, c.index, c.leaf, c.proof),
  '@openzeppelin/merkle-tree SimpleMerkleTree.verify': (c) => SimpleMerkleTree.verify(c.root, c.leaf, c.proof),
  'merkletreejs verify (crypto-js keccak)': (c) => mtCryptoJs.verify(c.proof, c.leaf, c.root),
  'merkletreejs verify (noble keccak)': (c) => mtNoble.verify(c.proof, c.leaf, c.root),
};

// Everyone accepts every proof and rejects a tampered one, or the timing is meaningless.
const tampered = { ...cases[0], leaf: cases[1].leaf };
for (const [name, verify] of Object.entries(contenders)) {
  if (!cases.every((c) => verify(c) === true)) throw new Error(`${name} rejects a valid proof`);
  let rejected;
  try {
    rejected = verify(tampered) === false;
  } catch (e) {
    rejected = e.code === 'ROOT_MISMATCH';
  }
  if (!rejected) throw new Error(`${name} accepts a tampered proof`);
}

// Units per second of one timed round: whole passes for >= ROUND_MS of this process's CPU time
// (user + system, all its threads). On an idle machine that is the wall-clock time; on a busy
// one it leaves out the time spent waiting for a CPU, which other builds on a shared machine
// would otherwise hand out unevenly between rounds.
function round(pass) {
  let units = 0;
  const start = process.cpuUsage();
  let elapsed = 0;
  do {
    units += pass();
    const used = process.cpuUsage(start);
    elapsed = used.user + used.system;
  } while (elapsed < ROUND_MS * 1000);
  return units / (elapsed / 1e6);
}

const OURS = 'vericord verifyInclusion (wasm)';
const KECCAK_CALL = 'vericord keccak256(64 bytes) per JS call';
const KECCAK_BULK = 'vericord keccak-f permutations, 1 MiB input';
const input64 = new Uint8Array(64).fill(7);
const input1M = new Uint8Array(1 << 20).fill(7);
// Keccak-256 absorbs 136-byte blocks (padding adds at least one byte).
const permutationsPer1M = Math.ceil((input1M.length + 1) / 136);
const verifyPass = (verify) => () => {
  for (const c of cases) verify(c);
  return cases.length;
};
// Ours first and the ceiling right after it, so the enforced share compares neighbours.
const passes = {
  [OURS]: verifyPass(contenders[OURS]),
  [KECCAK_BULK]: () => (vericord.keccak256(input1M), permutationsPer1M),
  ...Object.fromEntries(Object.entries(contenders).map(([name, verify]) => [name, verifyPass(verify)])),
  [KECCAK_CALL]: () => {
    for (let i = 0; i < PROOFS; i++) vericord.keccak256(input64);
    return PROOFS;
  },
};

// Warm-up (JIT, wasm tier-up), then rounds interleaved so drift hits everyone alike; the
// keccak ceiling is measured right after ours within each round.
for (const pass of Object.values(passes)) round(pass);
const samples = Object.fromEntries(Object.keys(passes).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, pass] of Object.entries(passes)) samples[name].push(round(pass));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));

const wasm = readFileSync(new URL('vericord_wasm_bg.wasm', pathToFileURL(pkgEntry)));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const line = (name, unit, extra = '') => console.log(`${name.padEnd(52)} ${fmt(rate[name]).padStart(10)} ${unit}${extra}`);
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`wasm: ${wasm.length} bytes raw, ${gzipSync(wasm, { level: 9 }).length} bytes gzip (zlib level 9)`);
console.log(`${PROOFS} proofs of ${DEPTH} hashes; median of ${ROUNDS} rounds of >= ${ROUND_MS} ms of CPU time after a warm-up round\n`);
for (const name of Object.keys(contenders)) {
  line(name, 'verifications/s', name === OURS ? '' : `   ours / this = ${(rate[OURS] / rate[name]).toFixed(1)}x`);
}
line(KECCAK_CALL, 'hashes/s');
line(KECCAK_BULK, 'permutations/s');
// A 20-hash proof costs 20 permutations; the rest of our time is the JS boundary.
const ceiling = rate[KECCAK_BULK] / DEPTH;
// The enforced ratios: medians of per-round ratios (each round measures everyone back to back).
const perRound = (other, scale = 1) => median(samples[OURS].map((ours, r) => ours / (samples[other][r] * scale)));
const share = perRound(KECCAK_BULK, 1 / DEPTH);
console.log(`\nceiling (permutations/s / ${DEPTH}): ${fmt(ceiling)} verifications/s; ours reaches ${(100 * share).toFixed(0)} % (median of per-round shares)`);

const OZ = '@openzeppelin/merkle-tree SimpleMerkleTree.verify';
const ozRatio = perRound(OZ);
const verdicts = [
  [`verifyInclusion / SimpleMerkleTree.verify = ${ozRatio.toFixed(1)}x (target >= ${TARGET_OZ_RATIO}x)`, ozRatio >= TARGET_OZ_RATIO],
  [`verifyInclusion / ceiling = ${(100 * share).toFixed(0)} % (target >= ${100 * TARGET_CEILING_SHARE} %)`, share >= TARGET_CEILING_SHARE],
];
if (ENFORCE) {
  console.log('');
  for (const [what, ok] of verdicts) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!verdicts.every(([, ok]) => ok)) process.exit(1);
}
