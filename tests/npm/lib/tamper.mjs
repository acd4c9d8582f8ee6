// The tamper battery, mirroring crates/core/tests/close_packages.rs and
// verification_packages.rs: every single-field mutation of a valid close package, compare
// result or verification package — every leaf changed (numbers +1, strings with a char
// appended, a hex digit or an amount's digit changed, booleans flipped, null to 0), every
// member removed, every array element dropped, duplicated or swapped with
// the next, every line of every signed note changed or removed — must be refused:
// `verified === false` with at least one failing check, every check named once.
// Plain ES module, no Node APIs: the Node test runs it whole, the Chromium page a sample.

const pointer = (path) => path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

const get = (doc, path) => path.reduce((v, k) => v[k], doc);

/** A copy of `doc` with `change(parent, key)` applied at `path` (non-empty). */
function edit(doc, path, change) {
  const copy = structuredClone(doc);
  change(get(copy, path.slice(0, -1)), path.at(-1));
  return copy;
}

/** `text` with its last hex digit changed, if it is a `0x` + 64 hex hash. */
function otherHex(text) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) return undefined;
  return `${text.slice(0, -1)}${text.endsWith('0') ? '1' : '0'}`;
}

/** `text` with its first digit changed, if it is canonical amount text. */
function otherAmount(api, text) {
  try {
    if (api.parseAmount(text) !== text) return undefined;
  } catch {
    return undefined;
  }
  const at = text.search(/[0-9]/);
  return `${text.slice(0, at)}${(Number(text[at]) + 1) % 10}${text.slice(at + 1)}`;
}

/** +1, or ×2 where +1 is lost to float precision (as serde_json's f64 does). */
const bump = (n) => (n + 1 !== n ? n + 1 : n * 2);

/** Every single-field mutation of `doc`: yields {path, what, doc}. */
export function* mutations(api, doc) {
  const original = JSON.stringify(doc);
  const paths = [];
  (function walk(v, at) {
    paths.push(at);
    if (Array.isArray(v)) v.forEach((child, i) => walk(child, [...at, i]));
    else if (v !== null && typeof v === 'object') for (const [k, child] of Object.entries(v)) walk(child, [...at, k]);
  })(doc, []);

  for (const path of paths) {
    const node = get(doc, path);
    const out = [];
    const replace = (what, value) => {
      if (path.length === 0) return;
      out.push({ what, doc: edit(doc, path, (parent, key) => (parent[key] = value)) });
    };
    if (node === null) replace('null to 0', 0);
    else if (typeof node === 'boolean') replace('flip', !node);
    else if (typeof node === 'number') replace('+1', bump(node));
    else if (typeof node === 'string') {
      replace('append a char', `${node}x`);
      const hex = otherHex(node);
      if (hex !== undefined) replace('change a hex digit', hex);
      const amount = otherAmount(api, node);
      if (amount !== undefined) replace('change a digit', amount);
      if (node.includes('\n\n\u2014 ')) {
        const lines = node.split('\n');
        lines.forEach((line, i) => {
          replace('change a note line', lines.map((l, j) => (j === i ? `${l}x` : l)).join('\n'));
          replace('remove a note line', lines.filter((_, j) => j !== i).join('\n'));
        });
      }
    } else if (Array.isArray(node)) {
      node.forEach((element, i) => {
        replace('drop an element', node.filter((_, j) => j !== i));
        replace('duplicate an element', [...node.slice(0, i), element, ...node.slice(i)]);
        if (i + 1 < node.length) {
          const swapped = [...node];
          [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
          replace('swap two elements', swapped);
        }
      });
    }
    if (path.length > 0 && !Array.isArray(get(doc, path.slice(0, -1)))) {
      out.push({ what: 'remove the member', doc: edit(doc, path, (parent, key) => delete parent[key]) });
    }
    for (const m of out) {
      if (JSON.stringify(m.doc) !== original) yield { path: pointer(path), what: m.what, doc: m.doc };
    }
  }
}

/**
 * Sorted pairs commute: `node(a, b) = node(b, a)`, so the last two hashes of a right-edge
 * fold can trade places unseen, unless leaves are appended after them. In a period with no
 * records none are, and that swap changes nothing the package proves (same tree, same root).
 */
export function commutes(m, original) {
  const n = original.range?.frontier?.length ?? 0;
  return (
    m.path === '/range/frontier' &&
    m.what === 'swap two elements' &&
    Array.isArray(original.records) &&
    original.records.length === 0 &&
    m.doc.range.frontier[n - 2] === original.range.frontier[n - 1]
  );
}

/**
 * The documents the battery mutates, as the Rust battery does: every valid package with its
 * pinned keys, the first again with its own keys (a mutated key list must break the
 * signatures or the manifest), every valid compare, and every valid verification package
 * (the first again with its own keys). A compare has no manifest (§13): its
 * checkpoint ids and key list are not signed and the report never presents them as
 * verified, so changing them is exempt (removing them is not: the format requires them).
 */
export function batteries(packages, compares, verificationPackages) {
  // Removing such a member (not an element of the key list) still fails `format`: not exempt.
  const unsigned = (m) =>
    (m.path.endsWith('/checkpointId') || m.path.startsWith('/verifierKeys')) &&
    !(m.what === 'remove the member' && !m.path.startsWith('/verifierKeys/'));
  const list = packages.valid.map((c) => ({
    label: `close package ${c.name}`,
    fn: 'verifyClosePackage',
    names: packages.checks,
    doc: c.package,
    trusted: c.trusted,
    exempt: (m) => commutes(m, c.package),
  }));
  const first = packages.valid[0];
  list.push({
    label: `close package ${first.name}, own keys`,
    fn: 'verifyClosePackage',
    names: packages.checks,
    doc: first.package,
    trusted: [],
    exempt: () => false,
  });
  for (const c of compares.valid) {
    list.push({
      label: `compare ${c.name}`,
      fn: 'verifyCompare',
      names: compares.checks,
      doc: c.compare,
      trusted: c.trusted,
      exempt: (m) => unsigned(m) || commutes(m, c.compare),
    });
  }
  // Verification packages: every member is signed (records through the tree, the rest through
  // the manifest), so nothing is exempt.
  for (const c of verificationPackages?.valid ?? []) {
    list.push({
      label: `verification package ${c.name}`,
      fn: 'verifyVerificationPackage',
      names: verificationPackages.checks,
      doc: c.package,
      trusted: c.trusted,
      exempt: () => false,
    });
  }
  const sampled = verificationPackages?.valid?.[0];
  if (sampled) {
    list.push({
      label: `verification package ${sampled.name}, own keys`,
      fn: 'verifyVerificationPackage',
      names: verificationPackages.checks,
      doc: sampled.package,
      trusted: [],
      exempt: () => false,
    });
  }
  return list;
}

/**
 * Runs one battery: the unmutated document must verify, then each non-exempt mutation (every
 * `every`th of them) must be refused. Returns {count, failures} (at most 20 failures kept).
 */
export function runBattery(api, b, every = 1) {
  const failures = [];
  const fail = (why) => failures.length < 20 && failures.push(`${b.label}: ${why}`);
  const verify = api[b.fn];
  if (!verify(b.doc, b.trusted).verified) fail('the unmutated document does not verify');
  let seen = 0;
  let count = 0;
  for (const m of mutations(api, b.doc)) {
    if (b.exempt(m)) continue;
    if (seen++ % every !== 0) continue;
    count++;
    let report;
    try {
      report = verify(m.doc, b.trusted);
    } catch (e) {
      fail(`${m.what} at ${m.path} threw ${e?.code} ${e?.message}`);
      continue;
    }
    const names = report.checks.map((c) => c.name);
    if (report.verified !== false) fail(`${m.what} at ${m.path} was accepted`);
    else if (!report.checks.some((c) => !c.ok)) fail(`${m.what} at ${m.path}: no failing check`);
    else if (JSON.stringify(names) !== JSON.stringify(b.names)) fail(`${m.what} at ${m.path}: checks ${names}`);
  }
  return { count, failures };
}
