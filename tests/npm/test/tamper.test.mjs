// The tamper battery in Node, whole: every single-field mutation of every valid close
// package, compare result and verification package is refused (lib/tamper.mjs; the Rust
// batteries' mirror).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as api from 'vericord';
import { batteries, runBattery } from '../lib/tamper.mjs';

const dir = process.env.VERICORD_VECTORS;
const load = (file) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const list = batteries(load('close-packages.json'), load('compares.json'), load('verification-packages.json'));
const totals = { verifyClosePackage: 0, verifyCompare: 0, verifyVerificationPackage: 0 };

for (const b of list) {
  test(`every single-field mutation is refused: ${b.label}`, (t) => {
    const { count, failures } = runBattery(api, b);
    assert.deepEqual(failures, []);
    // A verification package of a period with no records is small: no records, no proofs.
    const least = b.fn === 'verifyVerificationPackage' && b.doc.records.length === 0 ? 50 : 100;
    assert.ok(count > least, `${count} mutations`);
    totals[b.fn] += count;
    t.diagnostic(`${count} mutations refused`);
  });
}

// crates/core/tests/close_packages.rs refuses 3,972 and 1,772 on the same vectors (2026-12-01),
// verification_packages.rs 2,321 (2026-12-02).
test('the battery is as large as the Rust one', (t) => {
  t.diagnostic(
    `close packages: ${totals.verifyClosePackage} mutations, compares: ${totals.verifyCompare}, verification packages: ${totals.verifyVerificationPackage}`,
  );
  assert.ok(totals.verifyClosePackage > 3000, String(totals.verifyClosePackage));
  assert.ok(totals.verifyCompare > 1000, String(totals.verifyCompare));
  assert.ok(totals.verifyVerificationPackage > 1500, String(totals.verifyVerificationPackage));
});
