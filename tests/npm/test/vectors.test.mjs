// Every known-answer vector, positive and negative, through the installed package.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as api from 'vericord';
import { expectedCount, suites } from '../lib/checks.mjs';

const dir = process.env.VERICORD_VECTORS;
assert.ok(dir, 'set VERICORD_VECTORS to the absolute path of tests/vectors');

for (const [file, [check]] of Object.entries(suites)) {
  test(file, (t) => {
    const vectors = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    assert.equal(vectors.version, 1);
    const { passed, failures } = check(api, vectors);
    assert.deepEqual(failures, []);
    const want = expectedCount(file, vectors);
    assert.ok(want > 0, 'the file holds vectors');
    assert.equal(passed, want);
    t.diagnostic(`${passed} vectors`);
  });
}
