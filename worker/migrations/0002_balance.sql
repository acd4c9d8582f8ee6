-- Tenants, keys, customers, submissions, records, idempotency, usage and rate windows.
-- Amounts are canonical decimal TEXT. Integers that may pass 2^31 (sizes, seq,
-- epoch milliseconds) are INTEGER columns bound as decimal text, which STRICT
-- tables coerce losslessly: workers-rs binds only 32-bit integers. Times are
-- RFC 3339 ms UTC text (sortable) unless named *_ms.

CREATE TABLE tenants (
  id                 TEXT PRIMARY KEY,            -- ten_…
  name               TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('direct', 'middleware')),
  monthly_allowance  INTEGER,                     -- records per UTC month and environment; NULL = unlimited
  created_at         TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
  public_id          TEXT PRIMARY KEY,            -- pk_test_… / pk_live_… (the part before the dot)
  tenant_id          TEXT NOT NULL REFERENCES tenants(id),
  environment        TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
  secret_sha256      TEXT NOT NULL,               -- hex SHA-256 of the secret; the secret itself is never stored
  name               TEXT NOT NULL,
  enabled            INTEGER NOT NULL DEFAULT 1,
  rate_limit_per_minute INTEGER NOT NULL,
  created_at         TEXT NOT NULL
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE vendor_accounts (
  id                 TEXT PRIMARY KEY,            -- cmw_…
  tenant_id          TEXT NOT NULL REFERENCES tenants(id),
  display_name       TEXT NOT NULL,
  created_at         TEXT NOT NULL
) STRICT;
CREATE INDEX vendor_accounts_tenant ON vendor_accounts (tenant_id);

-- Fixed one-minute windows per key; old windows are pruned by the scheduled handler.
CREATE TABLE rate_windows (
  key_id             TEXT NOT NULL,
  window_start       INTEGER NOT NULL,            -- unix minute
  count              INTEGER NOT NULL,
  PRIMARY KEY (key_id, window_start)
) STRICT, WITHOUT ROWID;

-- Accepted records per tenant, environment and UTC month. The CHECK makes the
-- allowance atomic: the batch that would exceed it fails as a whole (402).
CREATE TABLE usage (
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  period             TEXT NOT NULL,               -- YYYY-MM
  used               INTEGER NOT NULL,
  allowance          INTEGER,
  PRIMARY KEY (tenant_id, environment, period),
  CHECK (allowance IS NULL OR used <= allowance)
) STRICT, WITHOUT ROWID;

-- One row per Idempotency-Key. 'pending' rows older than a lease are taken over,
-- so a crash mid-request never blocks the key forever.
CREATE TABLE idempotency (
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  key                TEXT NOT NULL,
  route              TEXT NOT NULL,
  request_sha256     TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  lease_until_ms     INTEGER NOT NULL,
  response_status    INTEGER,
  response_body      TEXT,
  created_at         TEXT NOT NULL,
  PRIMARY KEY (tenant_id, environment, key)
) STRICT, WITHOUT ROWID;

-- A log: one per customer (deltas) or account (writes) and owner; owner is the
-- tenant, or for middleware tenants the vendor account the records are made for.
CREATE TABLE logs (
  id                 TEXT PRIMARY KEY,            -- the subject reference (customerReference)
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('customer', 'account')),
  owner_id           TEXT NOT NULL,               -- tenant id or vendor account id
  subject_id         TEXT NOT NULL,               -- customerId / accountId
  vendor_account_id  TEXT,
  partition          TEXT NOT NULL,               -- customerPartition, decimal
  size               INTEGER NOT NULL DEFAULT 0,   -- verified entries
  root               TEXT NOT NULL DEFAULT '0x0000000000000000000000000000000000000000000000000000000000000000',
  balance            TEXT NOT NULL DEFAULT '0',   -- balance after the last verified entry
  frontier           BLOB NOT NULL DEFAULT x'',   -- partial tiles, see docs/SPEC.md §7
  head_token         TEXT NOT NULL DEFAULT '',    -- nonce of the last append (optimistic concurrency)
  lease_until_ms     INTEGER NOT NULL DEFAULT 0,   -- a sequencer is working on this log until then
  created_at         TEXT NOT NULL,               -- first record; last activity is MAX(records.received_at)
  UNIQUE (tenant_id, environment, kind, owner_id, subject_id)
) STRICT;
CREATE INDEX logs_listing ON logs (tenant_id, environment, kind, subject_id);

-- Full tiles of a log's tree: 256 hashes of one level, written once.
CREATE TABLE tiles (
  log_id             TEXT NOT NULL,
  level              INTEGER NOT NULL,
  idx                INTEGER NOT NULL,
  hashes             BLOB NOT NULL,
  PRIMARY KEY (log_id, level, idx)
) STRICT, WITHOUT ROWID;

-- One accepted request (emit, batch or write): the submission tree.
CREATE TABLE submissions (
  id                 TEXT PRIMARY KEY,            -- anc_… (anchorId) / req_… (writes requestId)
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('delta', 'batch', 'write')),
  items_root         TEXT NOT NULL,               -- receiptId
  item_count         INTEGER NOT NULL,
  received_at        TEXT NOT NULL
) STRICT;
CREATE INDEX submissions_root ON submissions (items_root);

-- Every accepted record. rowid is acceptance order, which the sequencer follows.
CREATE TABLE records (
  seqno              INTEGER PRIMARY KEY,         -- acceptance order (rowid)
  id                 TEXT NOT NULL UNIQUE,        -- rec_…
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  log_id             TEXT NOT NULL REFERENCES logs(id),
  submission_id      TEXT NOT NULL REFERENCES submissions(id),
  idx                INTEGER NOT NULL,            -- position in the submission
  kind               TEXT NOT NULL CHECK (kind IN ('delta', 'write')),
  amount             TEXT NOT NULL,               -- canonical delta / bits
  reason             TEXT,
  reference_id       TEXT,
  write_key          TEXT,
  item               TEXT NOT NULL,               -- JCS text of the item (docs/SPEC.md §5)
  item_hash          TEXT NOT NULL,
  received_at        TEXT NOT NULL,
  seq                INTEGER,                      -- position in the log once VERIFIED
  entry_hash         TEXT,
  balance_after      TEXT,
  verified_at        TEXT,
  failed_reason      TEXT,
  failed_at          TEXT
) STRICT;
CREATE INDEX records_log_pending ON records (log_id, seqno) WHERE seq IS NULL AND failed_reason IS NULL;
CREATE INDEX records_log_seq ON records (log_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX records_submission ON records (submission_id, idx);
CREATE INDEX records_reference ON records (tenant_id, environment, reference_id) WHERE reference_id IS NOT NULL;
CREATE UNIQUE INDEX records_write_key ON records (tenant_id, environment, write_key) WHERE write_key IS NOT NULL;
CREATE INDEX records_log ON records (log_id, received_at, seqno);
CREATE INDEX records_failed ON records (tenant_id, environment) WHERE failed_reason IS NOT NULL;

UPDATE meta SET value = '2' WHERE key = 'schema_version';
