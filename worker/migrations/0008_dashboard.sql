-- The dashboard (source doc 001): manual customers, webhook endpoint counters, key
-- revocation, and verification packages (their parameters; the package is rebuilt from
-- them, being a function of the signed checkpoint).

-- A customer made by hand before its first record (POST /dashboard/customers): its log
-- exists with no records. Integration-made logs keep NULL here.
ALTER TABLE logs ADD COLUMN display_name TEXT;
ALTER TABLE logs ADD COLUMN profile TEXT;                  -- JSON {sharingStateHint, eventCadence, unitLabel} or NULL
ALTER TABLE logs ADD COLUMN created_by TEXT NOT NULL DEFAULT 'integration';  -- 'integration' | 'manual'

-- Delivery outcomes per endpoint, raised by the dispatcher with each attempt's outcome, so
-- the dashboard reads them in one row however many deliveries there were.
ALTER TABLE webhook_endpoints ADD COLUMN success_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN last_triggered_at TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN last_status TEXT;        -- 'success' | 'failure'
ALTER TABLE webhook_endpoints ADD COLUMN deleted_at TEXT;         -- deleted endpoints stop receiving and are not listed

-- A revoked key never authenticates again (enabled = 0 can be undone; revoked cannot).
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
ALTER TABLE api_keys ADD COLUMN rotated_at TEXT;

CREATE TABLE verification_packages (
  id                 TEXT PRIMARY KEY,            -- vpk_… (128 random bits: the share capability)
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  log_id             TEXT NOT NULL,
  checkpoint_id      TEXT NOT NULL,
  requested          INTEGER NOT NULL,
  created_by         TEXT,                        -- the dashboard user (sub)
  created_at         TEXT NOT NULL,
  UNIQUE (log_id, checkpoint_id, requested)
) STRICT;

UPDATE meta SET value = '8' WHERE key = 'schema_version';
