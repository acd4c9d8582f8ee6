// Known-answer checks, one per vector, shared by the Node tests and the
// Chromium page so both environments run exactly the same assertions.
// Plain ES module: no Node APIs. Each check takes the package's API and one
// parsed vector file and returns {passed, failures}; `expectedCount` says how
// many vectors a file holds, counted independently of the checks.

const utf8 = new TextEncoder();

class Report {
  passed = 0;
  failures = [];

  // `fn` throws (or returns a string) to fail; anything else passes.
  check(label, fn) {
    try {
      const problem = fn();
      if (typeof problem === 'string') this.failures.push(`${label}: ${problem}`);
      else this.passed++;
    } catch (e) {
      this.failures.push(`${label}: threw ${e?.code ?? ''} ${e?.message ?? e}`);
    }
  }

  // `fn` must throw a VericordError with exactly `code`.
  rejects(label, code, fn) {
    let result;
    try {
      result = fn();
    } catch (e) {
      if (e instanceof Error && e.name === 'VericordError' && e.code === code) this.passed++;
      else this.failures.push(`${label}: want ${code}, threw ${e?.name} ${e?.code} ${e?.message ?? e}`);
      return;
    }
    this.failures.push(`${label}: want ${code}, returned ${JSON.stringify(result)}`);
  }
}

const same = (got, want, what = 'value') =>
  got === want ? undefined : `${what} ${JSON.stringify(got)} != ${JSON.stringify(want)}`;

// Key order does not matter; values and the set of keys do.
const sorted = (o) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

const tagged = (api, tag, text) => api.keccak256(utf8.encode(`${tag}\0${text}`));

// Integer nano-units of canonical amount text, without any float.
function nanosOf(canonical) {
  const negative = canonical.startsWith('-');
  const [int, frac = ''] = canonical.replace('-', '').split('.');
  const n = BigInt(int) * 1_000_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  return String(negative ? -n : n);
}

export function checkAmounts(api, v) {
  const r = new Report();
  for (const { input, canonical, nanos } of v.valid) {
    r.check(`amount ${input}`, () => same(api.parseAmount(input), canonical) ?? same(nanosOf(canonical), nanos, 'nanos'));
  }
  for (const { input, error } of v.invalid) r.rejects(`amount ${JSON.stringify(input)}`, error, () => api.parseAmount(input));
  for (const { input, canonical } of v.deltas.valid) r.check(`delta ${input}`, () => same(api.parseDelta(input), canonical));
  for (const { input, error } of v.deltas.invalid) r.rejects(`delta ${JSON.stringify(input)}`, error, () => api.parseDelta(input));
  return r;
}

export function checkJcs(api, v) {
  const r = new Report();
  for (const { input, canonical } of v.valid) {
    // Canonical text is a fixed point.
    r.check(`jcs ${input}`, () => same(api.canonicalize(input), canonical) ?? same(api.canonicalize(canonical), canonical));
  }
  for (const { input, error } of v.invalid) r.rejects(`jcs ${JSON.stringify(input)}`, error, () => api.canonicalize(input));
  return r;
}

export function checkItems(api, v) {
  const r = new Report();
  v.items.forEach(({ item, canonical, itemHash }, i) => {
    r.check(`item ${i}`, () =>
      same(api.itemHash(item), itemHash, 'itemHash(object)') ??
      same(api.itemHash(canonical), itemHash, 'itemHash(text)') ??
      same(api.canonicalize(JSON.stringify(item)), canonical, 'canonical') ??
      same(tagged(api, 'vericord:item:v1', canonical), itemHash, 'keccak256 of preimage'),
    );
  });
  for (const { seq, itemHash, balanceAfter, canonical, entryHash } of v.entries) {
    r.check(`entry ${seq}`, () =>
      same(api.entryHash({ seq, itemHash, balanceAfter }), entryHash, 'entryHash') ??
      same(api.entryHash({ seq: BigInt(seq), itemHash, balanceAfter }), entryHash, 'entryHash(BigInt seq)') ??
      same(api.canonicalize(JSON.stringify({ seq, itemHash, balanceAfter })), canonical, 'canonical') ??
      same(tagged(api, 'vericord:entry:v1', canonical), entryHash, 'keccak256 of preimage'),
    );
  }
  return r;
}

export function checkReferences(api, v) {
  const r = new Report();
  for (const { tenantId, environment, customerId, customerReference } of v.references) {
    r.check(`reference ${tenantId}/${environment}/${customerId}`, () =>
      same(api.customerReference(tenantId, environment, customerId), customerReference),
    );
  }
  return r;
}

export function checkTrees(api, v) {
  const r = new Report();
  for (const { size, leaves, root, inclusion } of v.trees) {
    for (const { index, proof } of inclusion) {
      r.check(`inclusion ${index}/${size}`, () =>
        same(tagged(api, 'vericord:vector-leaf:v1', String(index)), leaves[index], 'leaf') ??
        same(api.verifyInclusion(root, size, index, leaves[index], proof), true) ??
        same(api.verifyInclusion(root, BigInt(size), BigInt(index), leaves[index], proof), true, 'BigInt'),
      );
    }
  }
  v.invalid.forEach(({ size, root, index, leaf, proof, error }, i) => {
    r.rejects(`invalid inclusion #${i} (${index}/${size})`, error, () => api.verifyInclusion(root, size, index, leaf, proof));
  });
  return r;
}

export function checkConsistency(api, v) {
  const r = new Report();
  for (const { old, new: size, oldRoot, newRoot, proof } of v.proofs) {
    r.check(`consistency ${old}->${size}`, () =>
      same(api.verifyConsistency(old, oldRoot, size, newRoot, proof), true) ??
      same(api.verifyConsistency(BigInt(old), oldRoot, BigInt(size), newRoot, proof), true, 'BigInt'),
    );
  }
  v.invalid.forEach(({ old, new: size, oldRoot, newRoot, proof, error }, i) => {
    r.rejects(`invalid consistency #${i} (${old}->${size})`, error, () =>
      api.verifyConsistency(old, oldRoot, size, newRoot, proof),
    );
  });
  return r;
}

export function checkCheckpoints(api, v) {
  const r = new Report();
  v.valid.forEach(({ checkpoint, body, note, trusted }, i) => {
    r.check(`checkpoint #${i}`, () => {
      const got = api.verifyCheckpoint(note, trusted ?? [v.signer.verifierKey]);
      return (
        same(sorted(got), sorted(checkpoint), 'checkpoint') ??
        same(note.startsWith(`${body}\n`), true, 'note starts with body')
      );
    });
  });
  v.invalid.forEach(({ note, trusted, error }, i) => {
    r.rejects(`invalid checkpoint #${i}`, error, () => api.verifyCheckpoint(note, trusted));
  });
  return r;
}

export function checkReceipts(api, v) {
  const r = new Report();
  v.valid.forEach(({ description, receipt, checkpoint }) => {
    r.check(`receipt: ${description}`, () =>
      same(sorted(api.verifyReceipt(receipt, v.trusted)), sorted(checkpoint), 'checkpoint') ??
      same(sorted(api.verifyReceipt(JSON.stringify(receipt), v.trusted)), sorted(checkpoint), 'as JSON text'),
    );
  });
  v.invalid.forEach(({ description, receipt, error }) => {
    r.rejects(`invalid receipt: ${description}`, error, () => api.verifyReceipt(receipt, v.trusted));
  });
  return r;
}

/** file name → [check, number of vectors it holds]. */
export const suites = {
  'amounts.json': [checkAmounts, (v) => v.valid.length + v.invalid.length + v.deltas.valid.length + v.deltas.invalid.length],
  'jcs.json': [checkJcs, (v) => v.valid.length + v.invalid.length],
  'items.json': [checkItems, (v) => v.items.length + v.entries.length],
  'references.json': [checkReferences, (v) => v.references.length],
  'trees.json': [checkTrees, (v) => v.trees.reduce((n, t) => n + t.inclusion.length, 0) + v.invalid.length],
  'consistency.json': [checkConsistency, (v) => v.proofs.length + v.invalid.length],
  'checkpoints.json': [checkCheckpoints, (v) => v.valid.length + v.invalid.length],
  'receipts.json': [checkReceipts, (v) => v.valid.length + v.invalid.length],
};

export function expectedCount(file, v) {
  return suites[file][1](v);
}
