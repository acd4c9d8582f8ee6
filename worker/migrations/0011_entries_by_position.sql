-- Entries found by position, not by an index of their own. Passes sequence a log's records in
-- acceptance order, so an entry's seq is its log_pos less the FAILED records before it: seq ≤
-- log_pos ≤ seq + records_failed. A lookup by seq is then a short range of records_log_pos
-- (exact for a log without failures), and sequencing a record no longer writes an index row
-- (records_log_seq took one per record): it updates the record's own row and nothing else.
DROP INDEX records_log_seq;

UPDATE meta SET value = '11' WHERE key = 'schema_version';
