// Starts a Worker on a fresh local D1 with two tenants (direct, middleware) and
// prints one JSON line {baseUrl, adminToken, persistDir, tenants}; stops when
// stdin closes. For test suites in other languages (tests/sdk).
import { startWorker, ADMIN_TOKEN } from './harness.mjs';
import { createTenant } from './fixtures.mjs';

const vars = JSON.parse(process.env.VERICORD_VARS ?? '{}');
const worker = await startWorker({ vars });
const direct = await createTenant(worker.baseUrl, { name: 'SDK Direct', kind: 'direct' });
const other = await createTenant(worker.baseUrl, { name: 'SDK Other', kind: 'direct' });
const middleware = await createTenant(worker.baseUrl, { name: 'SDK Middleware', kind: 'middleware', vendors: 1 });
process.stdout.write(JSON.stringify({ baseUrl: worker.baseUrl, adminToken: ADMIN_TOKEN, persistDir: worker.persistDir, tenants: { direct, other, middleware } }) + '\n');
process.stdin.resume();
const stop = async () => { await worker.stop(); process.exit(0); };
process.stdin.on('end', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
