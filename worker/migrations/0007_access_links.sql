-- Shared Record links (docs/ACCESS.md): one active link per customer log, its policy and access
-- code (stored only as a keyed hash), the step-up counters and lockout, what the buyer did
-- with it (for the middleware's readiness rows), and the origins a tenant lets embed its pages.
CREATE TABLE access_links (
  handle             TEXT PRIMARY KEY,            -- cus_… (160 random bits, base32)
  log_id             TEXT NOT NULL REFERENCES logs(id),
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  policy             TEXT NOT NULL CHECK (policy IN ('OPEN', 'TWO_TIER', 'GATED')),
  code_mac           TEXT NOT NULL,               -- HMAC-SHA256 of handle and code (core access_link)
  code_epoch         INTEGER NOT NULL DEFAULT 0,  -- bumped by every rotation: ends the sessions
  code_set_at        TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
  replaces           TEXT,                        -- the handle this one was reissued from
  replaced_by        TEXT,                        -- the handle a reissue made
  failures           INTEGER NOT NULL DEFAULT 0,  -- consecutive failed step-ups
  locks              INTEGER NOT NULL DEFAULT 0,  -- lockouts since the last success (the back-off doubles)
  locked_until_ms    INTEGER NOT NULL DEFAULT 0,
  step_up_ok         INTEGER NOT NULL DEFAULT 0,
  step_up_failed     INTEGER NOT NULL DEFAULT 0,
  views              INTEGER NOT NULL DEFAULT 0,  -- viewing sessions
  last_viewed_ms     INTEGER NOT NULL DEFAULT 0,  -- last request of the current viewing session
  created_at         TEXT NOT NULL,
  revoked_at         TEXT
) STRICT;
CREATE UNIQUE INDEX access_links_active ON access_links (log_id) WHERE state = 'active';
CREATE INDEX access_links_log ON access_links (log_id, created_at);

-- What happened to a log's record in a period, once per kind (upserted: bounded by periods,
-- not by requests): viewing sessions by the month they started in, exports and compares by
-- the period they were of.
CREATE TABLE link_signals (
  log_id             TEXT NOT NULL,
  period             TEXT NOT NULL,
  signal             TEXT NOT NULL CHECK (signal IN ('viewed', 'export_downloaded', 'compare_run')),
  count              INTEGER NOT NULL,
  first_ms           INTEGER NOT NULL,
  last_ms            INTEGER NOT NULL,
  PRIMARY KEY (log_id, period, signal)
) STRICT, WITHOUT ROWID;

ALTER TABLE tenants ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '[]';  -- JSON array of origins

UPDATE meta SET value = '7' WHERE key = 'schema_version';
