// Known-answer checks, one per vector, shared by the Node tests and the
// Chromium page so both environments run exactly the same assertions.
// Plain ES module: no Node APIs. Each check takes the package's API, one
// parsed vector file and (close and verification packages) `{merkleVerify}`, OpenZeppelin's
// verifier, and returns {passed, failures}; `expectedCount` says how many
// vectors a file holds, counted independently of the checks.

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

// `want`'s members, recursively, equal `got`'s (the vectors list the facts they pin).
function subset(got, want, at = '') {
  for (const [k, w] of Object.entries(want)) {
    const g = got?.[k];
    const problem = w !== null && typeof w === 'object' ? subset(g, w, `${at}${k}.`) : same(g, w, `${at}${k}`);
    if (problem) return problem;
  }
  return undefined;
}

const json = (got, want, what) => same(JSON.stringify(got), JSON.stringify(want), what);
const failingOf = (report) => report.checks.filter((c) => !c.ok).map((c) => c.name);

// A report of `verify` over `doc` (object and JSON text alike) against the vector's verdict.
function verdict(verify, doc, trusted, names, want) {
  const got = verify(doc, trusted);
  const text = verify(JSON.stringify(doc), trusted);
  return (
    json(text, got, 'report of the JSON text') ??
    json(got.checks.map((c) => c.name), names, 'check names') ??
    same(got.checks.every((c) => typeof c.detail === 'string' && c.detail.length > 0), true, 'every check has a detail') ??
    same(Object.getPrototypeOf(got), Object.prototype, 'a plain object') ??
    (want.failing
      ? same(got.verified, false, 'verified') ?? json(failingOf(got), want.failing, 'failing') ?? same(failingOf(got)[0], want.check, 'first failing')
      : same(got.verified, true, 'verified') ?? json(failingOf(got), [], 'failing') ?? subset(got, want.expected))
  );
}

/**
 * Close packages: every valid one verifies with its facts and every record's derived
 * inclusion proof verifies with `verifyInclusion` and OpenZeppelin's `SimpleMerkleTree.verify`
 * (`merkleVerify(root, leaf, proof)`, required); every invalid one fails exactly its checks.
 */
export function checkClosePackages(api, v, { merkleVerify } = {}) {
  const r = new Report();
  for (const c of v.valid) {
    r.check(`close package ${c.name}`, () =>
      verdict(api.verifyClosePackage, c.package, c.trusted, v.checks, c) ??
      same(api.verifyClosePackage(c.package, c.trusted).keysPinned, c.trusted.length > 0, 'keysPinned'),
    );
    const { root, size, proofs } = c.inclusion;
    r.check(`inclusion ${c.name}: a proof for every record`, () =>
      json(proofs.map((p) => p.seq), c.package.records.map((x) => x.seq), 'seqs'),
    );
    for (const p of proofs) {
      r.check(`inclusion ${c.name} seq ${p.seq}`, () => {
        if (typeof merkleVerify !== 'function') return 'no OpenZeppelin verifier given';
        const got = api.closePackageInclusionProof(c.package, p.seq);
        const leaf = c.package.records.find((x) => x.seq === p.seq).entryHash;
        return (
          json(Object.keys(got).sort(), ['index', 'leaf', 'proof', 'root', 'size'], 'members') ??
          same(got.root, root, 'root') ??
          same(got.size, size, 'size') ??
          same(got.index, p.seq, 'index') ??
          same(got.leaf, leaf, 'leaf (the record’s entryHash)') ??
          same(p.leaf, leaf, 'vector leaf') ??
          json(got.proof, p.proof, 'proof') ??
          same(api.verifyInclusion(got.root, got.size, got.index, got.leaf, got.proof), true, 'verifyInclusion') ??
          same(merkleVerify(got.root, got.leaf, got.proof), true, 'SimpleMerkleTree.verify') ??
          json(api.closePackageInclusionProof(JSON.stringify(c.package), BigInt(p.seq)), got, 'from JSON text, BigInt seq')
        );
      });
    }
    r.rejects(`inclusion ${c.name}: seq ${size} is past the records`, 'SEQ_OUT_OF_RANGE', () =>
      api.closePackageInclusionProof(c.package, size),
    );
    if (c.package.range.start > 0) {
      r.rejects(`inclusion ${c.name}: seq ${c.package.range.start - 1} is before the records`, 'SEQ_OUT_OF_RANGE', () =>
        api.closePackageInclusionProof(c.package, c.package.range.start - 1),
      );
    }
  }
  for (const c of v.invalid) {
    r.check(`invalid close package ${c.name}`, () => verdict(api.verifyClosePackage, c.package, c.trusted, v.checks, c));
  }
  return r;
}

/** Compare results: every valid one verifies with its facts, every invalid one fails exactly its checks. */
export function checkCompares(api, v) {
  const r = new Report();
  for (const c of v.valid) r.check(`compare ${c.name}`, () => verdict(api.verifyCompare, c.compare, c.trusted, v.checks, c));
  for (const c of v.invalid) r.check(`invalid compare ${c.name}`, () => verdict(api.verifyCompare, c.compare, c.trusted, v.checks, c));
  return r;
}

const hexBytes = (hex) => Uint8Array.from(hex.slice(2).match(/../g), (b) => parseInt(b, 16));

/**
 * The sample draw of SPEC §15, written here from the spec with the package's keccak256 only:
 * draw j = 0, 1, … takes the first 8 bytes of keccak256(seed ‖ uint64_be(j)) as x, rejects
 * x ≥ 2^64 − (2^64 mod count), and takes entry start + x mod count unless already drawn, until
 * min(requested, count) entries are drawn; ascending.
 */
export function drawSample(api, seedHex, start, count, requested) {
  const k = Math.min(requested, count);
  const [n, first] = [BigInt(count), BigInt(start)];
  const zone = n === 0n ? 0n : (1n << 64n) - ((1n << 64n) % n);
  const drawn = new Set();
  const preimage = new Uint8Array(40);
  preimage.set(hexBytes(seedHex));
  const view = new DataView(preimage.buffer);
  for (let j = 0n; drawn.size < k; j++) {
    view.setBigUint64(32, j);
    const x = BigInt(api.keccak256(preimage).slice(0, 18));
    if (x < zone) drawn.add(first + (x % n));
  }
  return [...drawn].sort((a, b) => (a < b ? -1 : 1)).map(Number);
}

/** The seed of SPEC §15: keccak256("vericord:sample:v1\n" ‖ the signed note's UTF-8 bytes). */
export const sampleSeed = (api, note) => api.keccak256(utf8.encode(`vericord:sample:v1\n${note}`));

/**
 * Verification packages: every sampling case is the draw computed above; every valid package
 * verifies with its facts, its seed is its note's, its records are the draw, and each record's
 * proof verifies with `verifyInclusion` and OpenZeppelin's `SimpleMerkleTree.verify`
 * (`merkleVerify`, required); every invalid one fails exactly its checks.
 */
export function checkVerificationPackages(api, v, { merkleVerify } = {}) {
  const r = new Report();
  for (const c of v.sampling) {
    r.check(`sample of ${c.requested} from ${c.count} at ${c.start}`, () =>
      json(drawSample(api, c.seed, c.start, c.count, c.requested), c.indices, 'indices'),
    );
  }
  for (const c of v.valid) {
    const pkg = c.package;
    r.check(`verification package ${c.name}`, () =>
      verdict(api.verifyVerificationPackage, pkg, c.trusted, v.checks, c) ??
      same(api.verifyVerificationPackage(pkg, c.trusted).keysPinned, c.trusted.length > 0, 'keysPinned'),
    );
    r.check(`verification package ${c.name}: the seed is the note's and the records its draw`, () => {
      const { seed, requested, population, start } = pkg.sample;
      return (
        same(sampleSeed(api, pkg.checkpoint.note), seed, 'seed') ??
        same(c.expected.sample.seed, seed, 'expected seed') ??
        json(pkg.records.map((x) => x.seq), drawSample(api, seed, start, population, requested), 'seqs') ??
        json(c.expected.sample.indices, pkg.records.map((x) => x.seq), 'expected indices')
      );
    });
    r.check(`verification package ${c.name}: every proof verifies alone`, () => {
      if (typeof merkleVerify !== 'function') return 'no OpenZeppelin verifier given';
      const { root, size } = c.expected.checkpoint;
      for (const x of pkg.records) {
        const problem =
          same(api.verifyInclusion(root, size, x.seq, x.entryHash, x.proof), true, `verifyInclusion seq ${x.seq}`) ??
          same(merkleVerify(root, x.entryHash, x.proof), true, `SimpleMerkleTree.verify seq ${x.seq}`);
        if (problem) return problem;
      }
      return undefined;
    });
  }
  for (const c of v.invalid) {
    r.check(`invalid verification package ${c.name}`, () => verdict(api.verifyVerificationPackage, c.package, c.trusted, v.checks, c));
  }
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
  // Per valid package: the report, "a proof for every record", each record's proof, and the
  // out-of-range seqs (past the end; before the start when there are entries before).
  'close-packages.json': [
    checkClosePackages,
    (v) =>
      v.valid.reduce((n, c) => n + 3 + c.inclusion.proofs.length + (c.package.range.start > 0 ? 1 : 0), 0) + v.invalid.length,
  ],
  'compares.json': [checkCompares, (v) => v.valid.length + v.invalid.length],
  // Per sampling case one check; per valid package the report, the draw, and the proofs.
  'verification-packages.json': [checkVerificationPackages, (v) => v.sampling.length + 3 * v.valid.length + v.invalid.length],
};

export function expectedCount(file, v) {
  return suites[file][1](v);
}
