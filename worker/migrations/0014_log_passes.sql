-- Sequencing writes a row per pass, not per record (docs/ARCHITECTURE.md, "Rows written per
-- record"). A pass takes a log's pending records in acceptance order, so it covers the log
-- positions [first_pos, end_pos); what it computed for them (sequence number, entryHash,
-- balance and running credits after, or null for a FAILED one) is one JSON array, indexed by
-- log_pos - first_pos. A record's entry is then found in the first pass ending after its
-- position: one primary-key seek. Records sequenced before this migration keep their own
-- columns (records.seq and the rest, which new passes leave NULL), so nothing is backfilled;
-- FAILED records keep their one UPDATE (failed_reason), which is rare.
CREATE TABLE log_passes (
  log_id             TEXT NOT NULL,
  end_pos            INTEGER NOT NULL,            -- one past the pass's last log position
  first_pos          INTEGER NOT NULL,
  verified_at        TEXT NOT NULL,
  stamp_ms           INTEGER NOT NULL,            -- the pass's stamp, as in log_stamps
  entries            TEXT NOT NULL,               -- [[seq, entryHash, balanceAfter, creditsUnits, creditsNanos] | null, …]
  PRIMARY KEY (log_id, end_pos)
) STRICT, WITHOUT ROWID;

UPDATE meta SET value = '14' WHERE key = 'schema_version';
