-- A submission's records and a month's records found by position, not by indexes of their own
-- (each cost an index row per record at accept).
--
-- An accept batch inserts all of a submission's records in one transaction, so they hold
-- consecutive seqnos: the submission keeps the first (the batch now sets record idx at
-- seqno first_seqno + idx), and its records are a rowid range. Replaces records_submission.
ALTER TABLE submissions ADD COLUMN first_seqno INTEGER;
UPDATE submissions SET first_seqno = (SELECT MIN(seqno) FROM records r WHERE r.submission_id = submissions.id);
DROP INDEX records_submission;

-- A log's records of one month of receipt lie between the month's first and last log
-- position, in month_pos order (both counters follow acceptance); the few of another month
-- committed in between (a request received before midnight, committed after one received
-- after) are the span less the month's count. A page of a month is then a range of
-- records_log_pos. Replaces records_log_month.
ALTER TABLE log_months ADD COLUMN first_pos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE log_months ADD COLUMN last_pos INTEGER NOT NULL DEFAULT -1;
UPDATE log_months SET
  first_pos = COALESCE((SELECT MIN(r.log_pos) FROM records r
    WHERE r.log_id = log_months.log_id AND substr(r.received_at, 1, 7) = log_months.period), 0),
  last_pos = COALESCE((SELECT MAX(r.log_pos) FROM records r
    WHERE r.log_id = log_months.log_id AND substr(r.received_at, 1, 7) = log_months.period), -1);
DROP INDEX records_log_month;

UPDATE meta SET value = '12' WHERE key = 'schema_version';
