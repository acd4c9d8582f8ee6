// Every known-answer vector, positive and negative, through the installed package; close
// package inclusion proofs also through OpenZeppelin's SimpleMerkleTree.verify.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as api from 'vericord';
import { expectedCount, suites } from '../lib/checks.mjs';

const dir = process.env.VERICORD_VECTORS;
assert.ok(dir, 'set VERICORD_VECTORS to the absolute path of tests/vectors');
assert.ok(process.env.VERICORD_OZ, 'set VERICORD_OZ to @openzeppelin/merkle-tree’s entry file');
const { SimpleMerkleTree } = await import(pathToFileURL(process.env.VERICORD_OZ).href);
const merkleVerify = (root, leaf, proof) => SimpleMerkleTree.verify(root, leaf, proof);

for (const [file, [check]] of Object.entries(suites)) {
  test(file, (t) => {
    const vectors = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    assert.equal(vectors.version, 1);
    const { passed, failures } = check(api, vectors, { merkleVerify });
    assert.deepEqual(failures, []);
    const want = expectedCount(file, vectors);
    assert.ok(want > 0, 'the file holds vectors');
    assert.equal(passed, want);
    t.diagnostic(`${passed} vectors`);
  });
}
