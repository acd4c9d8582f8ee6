-- Webhook endpoints. The secret signs deliveries (HMAC), so it is stored as is:
-- it is a signing key the server must use, not a credential it verifies.
CREATE TABLE webhook_endpoints (
  id                     TEXT PRIMARY KEY,        -- webhook_…
  tenant_id              TEXT NOT NULL REFERENCES tenants(id),
  environment            TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
  url                    TEXT NOT NULL,
  description            TEXT,
  secret                 TEXT NOT NULL,           -- whsec_…
  previous_secret        TEXT,                    -- still signed with until previous_until_ms (rotation overlap)
  previous_until_ms      INTEGER NOT NULL DEFAULT 0,
  enabled                INTEGER NOT NULL DEFAULT 1,
  created_at             TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, environment);

UPDATE meta SET value = '3' WHERE key = 'schema_version';
