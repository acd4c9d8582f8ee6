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

const DEMO = {
  // The older closed month, the last closed month, and this month (live).
  0: [[500, 'prepaid top-up'], [-42.5, 'inference: 1.2M tokens'], [-17.25, 'inference: 480k tokens'], [20, 'goodwill credit'], [-3.125, 'embeddings']],
  1: [[-61.75, 'inference: 1.7M tokens'], [250, 'prepaid top-up'], [-8.5, 'fine-tuning job'], [-0.375, 'embeddings']],
  live: [[-12.25, 'inference: 340k tokens'], [-4, 'image generation']],
};

/** Demo records for the middleware's first vendor account's cust_1 (and the direct vendor's). */
async function records(dev, set) {
  const [direct, mw] = dev.tenants;
  const emit = (key, body) => fetch(`${baseUrl}/api/v1/balance/delta`, {
    method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then((r) => r.ok || Promise.reject(new Error(`demo emit: ${r.status}`)));
  const vendorAccountId = mw.vendorAccounts[0].id;
  for (const [delta, reason] of DEMO[set]) {
    await emit(mw.keys.sandbox, { customerId: 'cust_1', delta, reason, vendorAccountId });
    await emit(direct.keys.sandbox, { customerId: 'cust_1', delta, reason });
  }
}

/** The Shared Record link of the middleware's cust_1, made once; its code is kept in dev.json
 * (a local file) because the service shows a code only once. */
async function link(dev) {
  const [, mw] = dev.tenants;
  const res = await fetch(`${baseUrl}/api/v1/middleware/customers/cust_1/access-link?vendorAccountId=${mw.vendorAccounts[0].id}`, {
    method: 'POST', headers: { 'x-api-key': mw.keys.sandbox, 'content-type': 'application/json' }, body: JSON.stringify({ policy: 'TWO_TIER' }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`demo link: ${res.status} ${JSON.stringify(json)}`);
  return { url: json.data.link.url, handle: json.data.link.handle, accessCode: json.data.accessCode, policy: json.data.link.policy };
}

let dev = await seeded();
if (!dev) {
  dev = {
    baseUrl,
    adminToken,
    tenants: [await tenant('Demo Vendor', 'direct', []), await tenant('Demo Billing Middleware', 'middleware', ['Acme Inference', 'Globex AI'])],
    closedPeriods: [],
  };
}
// scripts/dev seeds on a Worker whose clock is in each of the two months before this one
// (SEED_PERIOD, SEED_SET 0 and 1), so those months are closed periods now; then, on the real
// clock, a live record set and the link.
if (process.env.SEED_PERIOD && !dev.closedPeriods?.includes(process.env.SEED_PERIOD)) {
  await records(dev, process.env.SEED_SET);
  dev.closedPeriods = [...(dev.closedPeriods ?? []), process.env.SEED_PERIOD];
  dev.closedPeriod = process.env.SEED_PERIOD;
} else if (!dev.link && (dev.closedPeriods?.length || dev.closedPeriod)) {
  await records(dev, 'live');
  dev.link = await link(dev);
}
dev.baseUrl = baseUrl;
if (dev.link) dev.link.url = `${baseUrl}/c/${dev.link.handle}`;
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
if (dev.link) {
  console.log(`\nthe Shared Record of Acme Inference's cust_1 (${dev.link.policy}; two closed months and a live one):`);
  console.log(`  ${dev.link.url}\n  access code: ${dev.link.accessCode}`);
}
// Dashboard tokens expire, so each start mints fresh ones (scripts/dashboard-token mints more).
console.log('\ndashboard tokens (Authorization: Bearer …, X-Environment: sandbox|production; 7 days):');
for (const t of dev.tenants) {
  const minted = await call('POST', `/admin/tenants/${t.id}/dashboard-tokens`, { role: 'admin', userId: 'demo-admin', ttlSeconds: 7 * 86_400 });
  if (!minted.ok) throw new Error('demo dashboard token');
  console.log(`  ${t.name}: ${minted.data.token}`);
}
console.log(`  e.g. curl -H "Authorization: Bearer <token>" -H "X-Environment: sandbox" ${baseUrl}/dashboard/customers`);
console.log(`\nwritten to ${devJson}\n`);
