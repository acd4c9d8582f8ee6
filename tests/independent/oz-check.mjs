// Checks tests/vectors/trees.json with OpenZeppelin's own verifier, nothing of ours:
// every inclusion proof must pass SimpleMerkleTree.verify(root, leaf, proof), and every
// tampered proof must fail unless the tamper is one sorted pairs cannot see.
//
// Sorted-pair proofs carry no position, so two kinds of negative case pass OZ by design
// and are only counted: a valid (leaf, proof) under a wrong or out-of-range index, and a
// valid path from an interior node (caught by our proof-length check, which the leaf's
// committed position makes sound). Run from anywhere: node tests/independent/oz-check.mjs
import { readFileSync } from 'node:fs';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';

const file = new URL('../vectors/trees.json', import.meta.url);
const { trees, invalid } = JSON.parse(readFileSync(file, 'utf8'));

const failures = [];
const bySize = new Map(trees.map((t) => [t.size, t]));
const sameList = (a, b) => a.length === b.length && a.every((h, i) => h === b[i]);

let valid = 0;
for (const t of trees) {
  for (const { index, proof } of t.inclusion) {
    if (SimpleMerkleTree.verify(t.root, t.leaves[index], proof)) valid++;
    else failures.push(`valid proof rejected: size ${t.size} index ${index}`);
  }
}

// What OZ can see is (root, leaf, proof). Classify each tamper by what it changed.
function kind(c) {
  const t = bySize.get(c.size);
  if (!t || t.root !== c.root) return 'detectable';
  const ks = t.inclusion.map((_, k) => k);
  if (ks.some((k) => t.leaves[k] === c.leaf && sameList(t.inclusion[k].proof, c.proof))) return 'positionOnly';
  const suffixOf = (p) => c.proof.length < p.length && sameList(p.slice(p.length - c.proof.length), c.proof);
  if (!t.leaves.includes(c.leaf) && ks.some((k) => suffixOf(t.inclusion[k].proof))) return 'lengthOnly';
  return 'detectable';
}

const counts = { detectable: 0, positionOnly: 0, lengthOnly: 0 };
const passedOz = { positionOnly: 0, lengthOnly: 0 };
let rejected = 0;
for (const c of invalid) {
  const k = kind(c);
  counts[k]++;
  const accepted = SimpleMerkleTree.verify(c.root, c.leaf, c.proof);
  if (k === 'detectable' && !accepted) {
    rejected++;
  } else if (k === 'detectable') {
    failures.push(`tampered proof accepted: size ${c.size} index ${c.index} (${c.error})`);
  } else if (k !== 'detectable' && accepted) {
    passedOz[k]++;
  }
}

// OZ builds a complete binary tree over sorted leaves, not RFC 9162's shape: report only.
let sameRootSorted = 0;
let sameRootUnsorted = 0;
for (const t of trees) {
  if (SimpleMerkleTree.of(t.leaves).root === t.root) sameRootSorted++;
  if (SimpleMerkleTree.of(t.leaves, { sortLeaves: false }).root === t.root) sameRootUnsorted++;
}

for (const f of failures.slice(0, 20)) console.error(`FAIL ${f}`);
console.log(
  `oz-check: ${valid} valid proofs verified; ${rejected} tampered proofs rejected of ` +
    `${counts.detectable} detectable; expected to pass OZ (no position in sorted pairs): ` +
    `${passedOz.positionOnly}/${counts.positionOnly} index-only, ${passedOz.lengthOnly}/${counts.lengthOnly} ` +
    `interior-node; SimpleMerkleTree.of root equals ours for ${sameRootSorted}/${trees.length} sizes ` +
    `(sortLeaves:false: ${sameRootUnsorted}/${trees.length}); failures: ${failures.length}`,
);
process.exit(failures.length ? 1 : 0);
