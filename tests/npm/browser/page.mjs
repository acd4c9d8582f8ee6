// Loads the package by its bare name and runs the shared checks on the tree, consistency,
// checkpoint, receipt, close-package, compare and verification-package vectors (inclusion
// proofs also through OpenZeppelin, bundled for the browser by run.sh), then every 7th
// mutation of the tamper battery; the test reads window.vericordResults.
import { suites } from '/lib/checks.mjs';
import { batteries, runBattery } from '/lib/tamper.mjs';
import { SimpleMerkleTree } from '/oz.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json', 'close-packages.json', 'compares.json', 'verification-packages.json'];
const TAMPER_EVERY = 7;

async function run() {
  const api = await import('vericord');
  const results = { entry: new URL(import.meta.resolve('vericord')).pathname.split('/').pop(), files: {}, tamper: {} };
  const merkleVerify = (root, leaf, proof) => SimpleMerkleTree.verify(root, leaf, proof);
  const loaded = {};
  for (const file of FILES) {
    const vectors = (loaded[file] = await (await fetch(`/vectors/${file}`)).json());
    const { passed, failures } = suites[file][0](api, vectors, { merkleVerify });
    results.files[file] = { passed, failures: failures.slice(0, 20) };
  }
  for (const b of batteries(loaded['close-packages.json'], loaded['compares.json'], loaded['verification-packages.json'])) {
    results.tamper[b.label] = runBattery(api, b, TAMPER_EVERY);
  }
  return results;
}

run().then(
  (results) => (window.vericordResults = results),
  (e) => (window.vericordResults = { error: String(e?.stack ?? e) }),
);
