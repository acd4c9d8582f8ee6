// Differential replay (not coverage-guided): every input of the `inclusion` fuzz target's
// corpus, decoded by `vericord-fuzz-replay inclusion` to (root, size, index, leaf, proof) and
// our verdict, one JSON line each on stdin, is checked with OpenZeppelin's own code:
// `SimpleMerkleTree.verify(root, leaf, proof)` and `processProof(leaf, proof)`.
//
// Sorted-pair proofs carry no position and no length, so OZ sees less than we do: where we
// refuse for INDEX_OUT_OF_RANGE or PROOF_LENGTH, OZ may accept (counted, not a failure). Any
// other difference fails: we accept and OZ refuses, or we say ROOT_MISMATCH and OZ accepts,
// or processProof's root disagrees with OZ's own verify.
import { createInterface } from 'node:readline';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import core from '@openzeppelin/merkle-tree/dist/core.js';

const counts = { cases: 0, bothAccept: 0, bothRefuse: 0, ozOnlyPositional: 0 };
const failures = [];
for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue;
  const c = JSON.parse(line);
  counts.cases++;
  const oz = SimpleMerkleTree.verify(c.root, c.leaf, c.proof);
  const folded = core.processProof(c.leaf, c.proof);
  if ((folded === c.root) !== oz) failures.push(`${c.file}: processProof and verify disagree`);
  if (c.ours === 'OK' && oz) counts.bothAccept++;
  else if (c.ours !== 'OK' && !oz) counts.bothRefuse++;
  else if (oz && (c.ours === 'INDEX_OUT_OF_RANGE' || c.ours === 'PROOF_LENGTH')) counts.ozOnlyPositional++;
  else failures.push(`${c.file}: ours ${c.ours}, OpenZeppelin ${oz ? 'accepts' : 'refuses'}`);
}
for (const f of failures.slice(0, 20)) console.error(`FAIL ${f}`);
console.log(
  `oz-replay: ${counts.cases} inclusion inputs; both accept ${counts.bothAccept}, both refuse ` +
    `${counts.bothRefuse}, OZ alone accepts (index/length it cannot see) ${counts.ozOnlyPositional}; ` +
    `disagreements: ${failures.length}`,
);
process.exit(failures.length || !counts.cases ? 1 : 0);
