// Seeds one demo tenant of each kind through the admin routes, once per local
// D1, and writes .vericord/dev.json: {baseUrl, adminToken, tenants: [...]}.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const { BASE_URL: baseUrl, DEV_JSON: devJson } = process.env;
const adminToken = readFileSync('.dev.vars', 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();

async function call(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  return { ok: res.ok, data: json.data };
}

async function seeded() {
  if (!existsSync(devJson)) return null;
  const saved = JSON.parse(readFileSync(devJson, 'utf8'));
  for (const t of saved.tenants ?? []) if (!(await call('GET', `/admin/tenants/${t.id}`)).ok) return null;
  return saved.adminToken === adminToken ? saved : null;
}

async function tenant(name, kind, vendors) {
  const t = (await call('POST', '/admin/tenants', { name, kind })).data;
  const keys = {};
  for (const environment of ['sandbox', 'production']) {
    keys[environment] = (await call('POST', `/admin/tenants/${t.id}/keys`, { environment, name: 'demo' })).data.fullKey;
  }
  const vendorAccounts = [];
  for (const displayName of vendors) {
    const v = (await call('POST', `/admin/tenants/${t.id}/vendor-accounts`, { displayName })).data;
    vendorAccounts.push({ id: v.id, displayName: v.displayName });
  }
  return { id: t.id, name, kind, keys, vendorAccounts };
}

/** Demo records for the middleware's first vendor account's cust_1 (and the direct vendor's). */
async function records(dev) {
  const [direct, mw] = dev.tenants;
  const emit = (key, body) => fetch(`${baseUrl}/api/v1/balance/delta`, {
    method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then((r) => r.ok || Promise.reject(new Error(`demo emit: ${r.status}`)));
  const vendorAccountId = mw.vendorAccounts[0].id;
  for (const [delta, reason] of [[500, 'prepaid top-up'], [-42.5, 'inference: 1.2M tokens'], [-17.25, 'inference: 480k tokens'], [20, 'goodwill credit'], [-3.125, 'embeddings']]) {
    await emit(mw.keys.sandbox, { customerId: 'cust_1', delta, reason, vendorAccountId });
    await emit(direct.keys.sandbox, { customerId: 'cust_1', delta, reason });
  }
}

let dev = await seeded();
if (!dev) {
  dev = {
    baseUrl,
    adminToken,
    tenants: [await tenant('Demo Vendor', 'direct', []), await tenant('Demo Billing Middleware', 'middleware', ['Acme Inference', 'Globex AI'])],
  };
  // scripts/dev seeds on a Worker whose clock is in last month, so that month is closed now.
  if (process.env.SEED_RECORDS === '1') {
    await records(dev);
    dev.closedPeriod = process.env.SEED_PERIOD;
  }
}
dev.baseUrl = baseUrl;
writeFileSync(devJson, JSON.stringify(dev, null, 2) + '\n');
console.log(`\nadmin token: ${dev.adminToken}`);
for (const t of dev.tenants) {
  console.log(`\n${t.name} (${t.kind}, ${t.id})\n  sandbox:    ${t.keys.sandbox}\n  production: ${t.keys.production}`);
  for (const v of t.vendorAccounts) console.log(`  vendor account: ${v.id} (${v.displayName})`);
}
if (dev.closedPeriod) {
  const [, mw] = dev.tenants;
  console.log(`\ndemo records of cust_1 in ${dev.closedPeriod} (closed): the bundle of Acme Inference's cust_1 is`);
  console.log(`  curl -H "X-Api-Key: ${mw.keys.sandbox}" -o bundle.zip \\\n    "${baseUrl}/api/v1/middleware/customers/cust_1/export?format=bundle&period=${dev.closedPeriod}&vendorAccountId=${mw.vendorAccounts[0].id}"`);
}
console.log(`\nwritten to ${devJson}\n`);
