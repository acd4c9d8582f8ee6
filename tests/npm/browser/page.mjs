// Loads the package by its bare name and runs the shared checks on the tree,
// consistency and checkpoint vectors; the test reads window.vericordResults.
import { suites } from '/lib/checks.mjs';

const FILES = ['trees.json', 'consistency.json', 'checkpoints.json', 'receipts.json'];

async function run() {
  const api = await import('vericord');
  const results = { entry: new URL(import.meta.resolve('vericord')).pathname.split('/').pop(), files: {} };
  for (const file of FILES) {
    const vectors = await (await fetch(`/vectors/${file}`)).json();
    const { passed, failures } = suites[file][0](api, vectors);
    results.files[file] = { passed, failures: failures.slice(0, 20) };
  }
  return results;
}

run().then(
  (results) => (window.vericordResults = results),
  (e) => (window.vericordResults = { error: String(e?.stack ?? e) }),
);
