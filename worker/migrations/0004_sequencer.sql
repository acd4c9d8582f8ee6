-- Sequencer lease detail, checkpoints, and the webhook outbox.

-- Records with seqno <= lease_upto are being sequenced while the lease holds (PROCESSING).
ALTER TABLE logs ADD COLUMN lease_upto INTEGER NOT NULL DEFAULT 0;

CREATE TABLE checkpoints (
  id                 TEXT PRIMARY KEY,            -- chk_…
  log_id             TEXT NOT NULL REFERENCES logs(id),
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  scope              TEXT NOT NULL,               -- the period label: YYYY-MM or start/end
  start_size         INTEGER NOT NULL,            -- entries before the period
  size               INTEGER NOT NULL,            -- tree size at the checkpoint
  root               TEXT NOT NULL,
  opening            TEXT NOT NULL,
  closing            TEXT NOT NULL,
  count              INTEGER NOT NULL,
  note               TEXT NOT NULL,               -- the signed note
  key_id             TEXT NOT NULL,
  previous_id        TEXT,                        -- the log's checkpoint before this one
  previous_size      INTEGER NOT NULL,            -- its size (0 when none)
  previous_root      TEXT NOT NULL,               -- its root (the zero hash when none)
  consistency_proof  TEXT NOT NULL,               -- JSON array of hashes from previous_id's size
  created_at         TEXT NOT NULL,
  UNIQUE (log_id, scope)
) STRICT;
CREATE INDEX checkpoints_log ON checkpoints (log_id, size);
CREATE INDEX checkpoints_tenant ON checkpoints (tenant_id, environment, created_at);
CREATE INDEX checkpoints_root ON checkpoints (root);

-- Outbox: an event is written in the same batch as the state change it reports.
CREATE TABLE events (
  id                 TEXT PRIMARY KEY,            -- evt_…
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  type               TEXT NOT NULL,
  body               TEXT NOT NULL,               -- the exact JSON delivered
  created_at         TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
  event_id           TEXT NOT NULL REFERENCES events(id),
  endpoint_id        TEXT NOT NULL REFERENCES webhook_endpoints(id),
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms    INTEGER NOT NULL,
  lease_until_ms     INTEGER NOT NULL DEFAULT 0,
  last_status        INTEGER,
  last_error         TEXT,
  delivered_at       TEXT,
  created_at         TEXT NOT NULL,
  PRIMARY KEY (event_id, endpoint_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, environment, created_at);

CREATE TABLE delivery_attempts (
  event_id           TEXT NOT NULL,
  endpoint_id        TEXT NOT NULL,
  attempt            INTEGER NOT NULL,
  at                 TEXT NOT NULL,
  status_code        INTEGER,
  error              TEXT,
  duration_ms        INTEGER NOT NULL,
  PRIMARY KEY (event_id, endpoint_id, attempt)
) STRICT, WITHOUT ROWID;

UPDATE meta SET value = '4' WHERE key = 'schema_version';
