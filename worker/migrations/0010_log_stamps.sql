-- Period membership by pass, not by record. A pass stamps all its entries alike (the log's
-- stamp floor or the commit time, whichever is later) and stamps never decrease along seq,
-- so a log's stamps are a few runs: one row per pass that appended entries, (stamp, the log's
-- size after it), replaces the per-record index records_log_stamp, which cost an index row
-- per sequenced record. The records keep their stamp_ms column (a record's sequencedAt).
CREATE TABLE log_stamps (
  log_id             TEXT NOT NULL,
  stamp_ms           INTEGER NOT NULL,            -- the stamp of the pass's entries
  size               INTEGER NOT NULL,            -- the log's size after them
  PRIMARY KEY (log_id, stamp_ms, size)
) STRICT, WITHOUT ROWID;

-- Existing entries: one row per log and stamp (a run of equal stamps ends at its last seq).
INSERT INTO log_stamps (log_id, stamp_ms, size)
  SELECT log_id, stamp_ms, MAX(seq) + 1 FROM records WHERE seq IS NOT NULL AND stamp_ms IS NOT NULL
  GROUP BY log_id, stamp_ms;

DROP INDEX records_log_stamp;

UPDATE meta SET value = '10' WHERE key = 'schema_version';
