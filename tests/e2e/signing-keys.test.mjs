// Checkpoint key rotation end to end: a deployment restarted with a new signing
// key and the old one listed in CHECKPOINT_RETIRED_KEYS keeps publishing the old
// key, so checkpoints signed before the rotation still verify; new ones are
// signed with the new key and extend the old ones consistently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as V from '../../crates/wasm/pkg/node.js';
import { startWorker, migratedD1 } from './harness.mjs';
import { createTenant, api } from './fixtures.mjs';
import { TEST_KEY, noteKey } from './keys.mjs';

const NEW_KEY = noteKey('vericord.test', Buffer.alloc(32, 0x22));

async function emitVerified(w, key, customer, amounts) {
  for (const a of amounts) {
    const r = await api(w.baseUrl, key, 'POST', '/api/v1/balance/delta', `{"customerId":"${customer}","delta":${a},"reason":"usage"}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    for (let i = 0; ; i++) {
      const s = await api(w.baseUrl, key, 'GET', `/api/v1/balance/delta/${r.body.data.recordId}`);
      if (s.body.data.status === 'VERIFIED') break;
      assert.ok(i < 200, 'not VERIFIED in time');
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }
}

async function checkpoints(w, key, customer) {
  const list = await api(w.baseUrl, key, 'GET', `/api/v1/balance/checkpoints?customerId=${customer}&limit=100`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  return list.body.data.checkpoints.sort((a, b) => a.treeSize - b.treeSize);
}

async function published(w) {
  const r = await api(w.baseUrl, null, 'GET', '/.well-known/vericord/keys');
  assert.equal(r.status, 200);
  return r.body.data.keys;
}

test('after a key rotation old checkpoints still verify and new ones are signed with the new key', async () => {
  const persistDir = mkdtempSync(join(tmpdir(), 'vericord-rotate-'));
  await migratedD1(persistDir);
  try {
    let w = await startWorker({ persistDir });
    let tenant;
    let old;
    try {
      tenant = await createTenant(w.baseUrl, { name: 'Rotation' });
      await emitVerified(w, tenant.keys.sandbox, 'c', ['10', '-2.5']);
      const cp = await api(w.baseUrl, tenant.keys.sandbox, 'POST', '/api/v1/balance/checkpoint', { customerId: 'c' });
      assert.equal(cp.status, 201, JSON.stringify(cp.body));
      [old] = await checkpoints(w, tenant.keys.sandbox, 'c');
      assert.deepEqual((await published(w)).map((k) => [k.verifierKey, k.status]), [[TEST_KEY.verifierKey, 'current']]);
    } finally {
      await w.stop();
    }

    w = await startWorker({
      persistDir,
      vars: { CHECKPOINT_SIGNING_KEY: NEW_KEY.privateKey, CHECKPOINT_RETIRED_KEYS: TEST_KEY.verifierKey },
    });
    try {
      const key = tenant.keys.sandbox;
      const keys = await published(w);
      assert.deepEqual(keys.map((k) => [k.verifierKey, k.status]), [[NEW_KEY.verifierKey, 'current'], [TEST_KEY.verifierKey, 'retired']]);
      const trusted = keys.map((k) => k.verifierKey);

      // The old checkpoint: signed by the retired key only, still verifies against what is published.
      const before = (await checkpoints(w, key, 'c'))[0];
      assert.equal(before.note, old.note);
      assert.equal(V.verifyCheckpoint(old.note, trusted).root, old.proofRoot);
      assert.throws(() => V.verifyCheckpoint(old.note, [NEW_KEY.verifierKey]), (e) => typeof e.code === 'string');
      const pub = await api(w.baseUrl, null, 'GET', `/api/v1/verify/${old.proofRoot}`);
      assert.equal(pub.body.data.verified, true, JSON.stringify(pub.body));

      // A new checkpoint: signed by the new key, consistent with the old one.
      await emitVerified(w, key, 'c', ['1.25']);
      const cp = await api(w.baseUrl, key, 'POST', '/api/v1/balance/checkpoint', { customerId: 'c' });
      assert.equal(cp.status, 201, JSON.stringify(cp.body));
      const latest = (await checkpoints(w, key, 'c')).at(-1);
      assert.equal(latest.treeSize, 3);
      assert.equal(V.verifyCheckpoint(latest.note, [NEW_KEY.verifierKey]).closing, '8.75');
      assert.throws(() => V.verifyCheckpoint(latest.note, [TEST_KEY.verifierKey]), (e) => typeof e.code === 'string');
      const { fromSize, fromRoot, toSize, proof } = latest.consistencyProof;
      assert.deepEqual([fromSize, fromRoot, toSize], [old.treeSize, old.proofRoot, latest.treeSize]);
      assert.equal(V.verifyConsistency(fromSize, fromRoot, toSize, latest.proofRoot, proof), true);
    } finally {
      await w.stop();
    }

    // Without the retired key listed, the old key is no longer published: the old checkpoint
    // no longer verifies against what this deployment publishes (retiring means listing).
    w = await startWorker({ persistDir, vars: { CHECKPOINT_SIGNING_KEY: NEW_KEY.privateKey } });
    try {
      const trusted = (await published(w)).map((k) => k.verifierKey);
      assert.deepEqual(trusted, [NEW_KEY.verifierKey]);
      assert.throws(() => V.verifyCheckpoint(old.note, trusted));
      const pub = await api(w.baseUrl, null, 'GET', `/api/v1/verify/${old.proofRoot}`);
      assert.equal(pub.body.data.verified, false);
    } finally {
      await w.stop();
    }
  } finally {
    rmSync(persistDir, { recursive: true, force: true });
  }
});
