// Tenants, keys and vendor accounts created through the real admin routes.
import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from './harness.mjs';

export async function admin(baseUrl, method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** A tenant with one key per environment (and vendor accounts for middleware tenants). */
export async function createTenant(baseUrl, { name = 'Test Tenant', kind = 'direct', monthlyAllowance, rateLimitPerMinute, vendors = 0 } = {}) {
  const tenant = await admin(baseUrl, 'POST', '/admin/tenants', { name, kind, ...(monthlyAllowance !== undefined && { monthlyAllowance }) });
  const keyBody = (environment) => ({ environment, ...(rateLimitPerMinute !== undefined && { rateLimitPerMinute }) });
  const sandbox = await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/keys`, keyBody('sandbox'));
  const production = await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/keys`, keyBody('production'));
  const vendorAccounts = [];
  for (let i = 0; i < vendors; i++) {
    vendorAccounts.push(await admin(baseUrl, 'POST', `/admin/tenants/${tenant.id}/vendor-accounts`, { displayName: `Vendor ${i + 1}` }));
  }
  return { id: tenant.id, name, kind, keys: { sandbox: sandbox.fullKey, production: production.fullKey }, vendorAccounts };
}

/** fetch with an API key; returns { status, headers, body }. */
export async function api(baseUrl, key, method, path, body, headers = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(key && { 'x-api-key': key }), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json };
}
