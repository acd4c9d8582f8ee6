-- Pending records found by position, not by an index of their own. A pass takes a log's
-- records in acceptance order (log_pos) and commits each one VERIFIED or FAILED together with
-- the head, so the records already sequenced or failed are exactly those with
-- log_pos < size + records_failed, and the pending ones the rest: a range of records_log_pos.
-- records_log_pending cost an index row at accept and another at sequencing, per record.
DROP INDEX records_log_pending;

-- The lease's high-water mark becomes a log position: records with log_pos < lease_upto are
-- PROCESSING while the lease holds (it was a seqno). A lease held across this migration
-- covers every record of its log until it lapses or its pass completes.
UPDATE logs SET lease_upto = records_total WHERE lease_upto <> 0;

-- Logs with records waiting (the cron sweep's list): a log enters on accept and leaves when a
-- pass catches up, one index row per batch and per pass, not per record.
CREATE INDEX logs_waiting ON logs (id) WHERE records_total > size + records_failed;

UPDATE meta SET value = '9' WHERE key = 'schema_version';
