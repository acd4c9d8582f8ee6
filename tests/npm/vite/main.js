// A page as a buyer portal would write it: `import … from 'vericord'`, bundled by Vite (the
// package's "browser" entry, its .wasm emitted as an asset through `new URL(…, import.meta.url)`),
// then the shared known-answer checks on the vectors, fetched at run time (as the Chromium page
// of browser.test.mjs runs them).
import * as api from 'vericord';
import { suites } from '../lib/checks.mjs';
// OpenZeppelin's verifier, bundled for the browser by run.sh, checks the packages' proofs too.
import { SimpleMerkleTree } from '../browser/oz.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json', 'close-packages.json', 'compares.json', 'verification-packages.json'];

async function run() {
  const results = { files: {} };
  const merkleVerify = (root, leaf, proof) => SimpleMerkleTree.verify(root, leaf, proof);
  for (const file of FILES) {
    const vectors = await (await fetch(`/vectors/${file}`)).json();
    const { passed, failures } = suites[file][0](api, vectors, { merkleVerify });
    results.files[file] = { passed, failures: failures.slice(0, 20) };
  }
  return results;
}

run().then(
  (results) => { window.vericordResults = results; document.getElementById('status').textContent = 'done'; },
  (e) => { window.vericordResults = { error: String(e?.stack ?? e) }; },
);
