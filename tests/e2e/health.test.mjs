import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startWorker } from './harness.mjs';

// Each migration bumps schema_version, so it equals the number of migration files.
const MIGRATIONS = readdirSync(new URL('../../worker/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).length;

let worker;
before(async () => { worker = await startWorker(); });
after(async () => { await worker?.stop(); });

test('GET /health reports the version and the schema version read from D1', async () => {
  const res = await fetch(`${worker.baseUrl}/health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.success, true);
  assert.match(body.data.version, /^\d+\.\d+\.\d+$/);
  assert.equal(body.data.schemaVersion, MIGRATIONS);
});

test('unknown routes and methods get JSON errors, not 5xx', async () => {
  const missing = await fetch(`${worker.baseUrl}/no/such/route`);
  assert.equal(missing.status, 404);
  assert.deepEqual((await missing.json()).error.code, 'NOT_FOUND');
  const wrongMethod = await fetch(`${worker.baseUrl}/health`, { method: 'DELETE' });
  assert.equal(wrongMethod.status, 405);
  assert.equal((await wrongMethod.json()).success, false);
});
