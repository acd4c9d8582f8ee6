-- Claim tokens for idempotency keys; sequencing stamps that decide which period an entry
-- belongs to; counters kept where records are written, so no read counts a log; the checkpoint
-- label as a column of its own; roots handed out without a stored checkpoint.

-- Idempotency: each claim (and each take-over of an expired one) carries its own token; the
-- accept batch, completion and release only act for the token that holds the claim.
ALTER TABLE idempotency ADD COLUMN claim_token TEXT NOT NULL DEFAULT '';
-- Pruned by the cron once the lease is older than the retention (ARCHITECTURE.md, Retention).
CREATE INDEX idempotency_lease ON idempotency (lease_until_ms);

-- Logs: the sequencing stamp floor and the counters of what was written to them.
-- stamp_ms: the largest stamp given to an entry, or the end of the latest checkpoint's scope if
-- later; a pass stamps its entries with MAX(stamp_ms, now), so stamps never decrease along seq.
ALTER TABLE logs ADD COLUMN stamp_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE logs ADD COLUMN records_total INTEGER NOT NULL DEFAULT 0;   -- records accepted (next log_pos)
ALTER TABLE logs ADD COLUMN records_failed INTEGER NOT NULL DEFAULT 0;  -- of which FAILED
ALTER TABLE logs ADD COLUMN last_received_at TEXT;
-- The balance split for exact sums in SQL: balance = units * 10^9 + nanos, both with its sign.
ALTER TABLE logs ADD COLUMN balance_units INTEGER NOT NULL DEFAULT 0;
ALTER TABLE logs ADD COLUMN balance_nanos INTEGER NOT NULL DEFAULT 0;

-- Records: the stamp (period membership), and dense acceptance positions for paging without OFFSET.
ALTER TABLE records ADD COLUMN stamp_ms INTEGER;   -- set with seq
ALTER TABLE records ADD COLUMN log_pos INTEGER;    -- 0-based position among the log's records, acceptance order
ALTER TABLE records ADD COLUMN month_pos INTEGER;  -- the same among the log's records received that UTC month
CREATE INDEX records_log_stamp ON records (log_id, stamp_ms, seq) WHERE seq IS NOT NULL;
CREATE INDEX records_log_pos ON records (log_id, log_pos);
CREATE INDEX records_log_month ON records (log_id, substr(received_at, 1, 7), month_pos);
-- Replaced by the counters (records_failed) and records_log_pos.
DROP INDEX records_failed;
DROP INDEX records_log;

-- Per log and UTC month of receipt: what was accepted and what of it failed, amounts split as above.
CREATE TABLE log_months (
  log_id             TEXT NOT NULL,
  period             TEXT NOT NULL,              -- YYYY-MM of received_at
  accepted           INTEGER NOT NULL DEFAULT 0, -- next month_pos
  accepted_units     INTEGER NOT NULL DEFAULT 0,
  accepted_nanos     INTEGER NOT NULL DEFAULT 0,
  failed             INTEGER NOT NULL DEFAULT 0,
  failed_units       INTEGER NOT NULL DEFAULT 0,
  failed_nanos       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (log_id, period)
) STRICT, WITHOUT ROWID;

-- Backfill what earlier versions wrote.
UPDATE records SET
  stamp_ms = w.stamp, log_pos = w.log_pos, month_pos = w.month_pos
FROM (
  SELECT seqno,
         CASE WHEN seq IS NULL THEN NULL ELSE
           MAX(CAST(strftime('%s', verified_at) AS INTEGER) * 1000 + CAST(substr(verified_at, 21, 3) AS INTEGER))
             OVER (PARTITION BY log_id ORDER BY seq) END AS stamp,
         ROW_NUMBER() OVER (PARTITION BY log_id ORDER BY seqno) - 1 AS log_pos,
         ROW_NUMBER() OVER (PARTITION BY log_id, substr(received_at, 1, 7) ORDER BY seqno) - 1 AS month_pos
  FROM records
) AS w
WHERE records.seqno = w.seqno;

UPDATE logs SET
  records_total = (SELECT COUNT(*) FROM records r WHERE r.log_id = logs.id),
  records_failed = (SELECT COUNT(*) FROM records r WHERE r.log_id = logs.id AND r.failed_reason IS NOT NULL),
  last_received_at = (SELECT MAX(received_at) FROM records r WHERE r.log_id = logs.id),
  stamp_ms = COALESCE((SELECT MAX(stamp_ms) FROM records r WHERE r.log_id = logs.id), 0),
  balance_units = (CASE WHEN substr(balance, 1, 1) = '-' THEN -1 ELSE 1 END) *
    CAST(CASE WHEN instr(balance, '.') > 0 THEN substr(ltrim(balance, '-'), 1, instr(ltrim(balance, '-'), '.') - 1)
              ELSE ltrim(balance, '-') END AS INTEGER),
  balance_nanos = (CASE WHEN substr(balance, 1, 1) = '-' THEN -1 ELSE 1 END) *
    CAST(CASE WHEN instr(balance, '.') > 0 THEN substr(substr(balance, instr(balance, '.') + 1) || '000000000', 1, 9)
              ELSE '0' END AS INTEGER);

-- Amount text -> (units, nanos), signs kept.
INSERT INTO log_months (log_id, period, accepted, accepted_units, accepted_nanos, failed, failed_units, failed_nanos)
  SELECT log_id, m, COUNT(*), SUM(units), SUM(nanos), SUM(failed), SUM(failed * units), SUM(failed * nanos)
  FROM (
    SELECT log_id, substr(received_at, 1, 7) AS m, (failed_reason IS NOT NULL) AS failed,
      (CASE WHEN substr(amount, 1, 1) = '-' THEN -1 ELSE 1 END) *
        CAST(CASE WHEN instr(amount, '.') > 0 THEN substr(ltrim(amount, '-'), 1, instr(ltrim(amount, '-'), '.') - 1)
                  ELSE ltrim(amount, '-') END AS INTEGER) AS units,
      (CASE WHEN substr(amount, 1, 1) = '-' THEN -1 ELSE 1 END) *
        CAST(CASE WHEN instr(amount, '.') > 0 THEN substr(substr(amount, instr(amount, '.') + 1) || '000000000', 1, 9)
                  ELSE '0' END AS INTEGER) AS nanos
    FROM records
  )
  GROUP BY log_id, m;

-- Checkpoints: the label, the resolved scope [start_ms, end_ms) and whether it closes its
-- period are columns; one checkpoint per log, label and size.
CREATE TABLE checkpoints_v5 (
  id                 TEXT PRIMARY KEY,            -- chk_…
  log_id             TEXT NOT NULL REFERENCES logs(id),
  tenant_id          TEXT NOT NULL,
  environment        TEXT NOT NULL,
  label              TEXT NOT NULL,               -- the period label: YYYY-MM or start/end
  start_ms           INTEGER NOT NULL,            -- the resolved scope [start_ms, end_ms)
  end_ms             INTEGER NOT NULL,
  closed             INTEGER NOT NULL,            -- 1: a month label whose month had ended (a closed period)
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
  UNIQUE (log_id, label, size)
) STRICT;

-- Backfill: the label is the scope text before '#<size>'; month bounds from the label; a month
-- checkpoint closed its period if it was made after the month ended; ends are clamped to the
-- creation time, as they were when resolved.
INSERT INTO checkpoints_v5 (id, log_id, tenant_id, environment, label, start_ms, end_ms, closed, start_size, size,
                            root, opening, closing, count, note, key_id, previous_id, previous_size, previous_root,
                            consistency_proof, created_at)
  SELECT id, log_id, tenant_id, environment, substr(scope, 1, length(scope) - length(CAST(size AS TEXT)) - 1),
         0, 0, 0, start_size, size, root, opening, closing, count, note, key_id, previous_id, previous_size,
         previous_root, consistency_proof, created_at
  FROM checkpoints;
UPDATE checkpoints_v5 SET
  start_ms = CAST(strftime('%s', label || '-01') AS INTEGER) * 1000,
  end_ms = CAST(strftime('%s', date(label || '-01', '+1 month')) AS INTEGER) * 1000
WHERE length(label) = 7;
UPDATE checkpoints_v5 SET
  start_ms = CAST(strftime('%s', substr(label, 1, 24)) AS INTEGER) * 1000 + CAST(substr(label, 21, 3) AS INTEGER),
  end_ms = CAST(strftime('%s', substr(label, 26, 24)) AS INTEGER) * 1000 + CAST(substr(label, 45, 3) AS INTEGER)
WHERE length(label) <> 7;
UPDATE checkpoints_v5 SET
  closed = (length(label) = 7 AND end_ms <= CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER)),
  end_ms = MIN(end_ms, CAST(strftime('%s', created_at) AS INTEGER) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER));

DROP TABLE checkpoints;
ALTER TABLE checkpoints_v5 RENAME TO checkpoints;
CREATE INDEX checkpoints_log ON checkpoints (log_id, size);
CREATE INDEX checkpoints_tenant ON checkpoints (tenant_id, environment, created_at);
CREATE INDEX checkpoints_root ON checkpoints (root);
CREATE INDEX checkpoints_closed ON checkpoints (log_id, closed, end_ms) WHERE closed = 1;

-- Roots handed out by a receipt over a custom range, which stores no checkpoint: enough for the
-- public verify route to resolve them (one row per log size, however many reads ask).
CREATE TABLE tree_heads (
  root               TEXT PRIMARY KEY,
  log_id             TEXT NOT NULL REFERENCES logs(id),
  size               INTEGER NOT NULL,
  created_at         TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Webhook outbox retention: finished deliveries are pruned by age.
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE state <> 'pending';
CREATE INDEX events_created ON events (created_at);

UPDATE meta SET value = '5' WHERE key = 'schema_version';
