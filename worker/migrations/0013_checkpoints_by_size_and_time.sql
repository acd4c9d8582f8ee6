-- "The latest checkpoint of a log (at or below a size)" orders by size, then created_at. With
-- the index on (log_id, size) alone, SQLite sorted every checkpoint of the top size (one per
-- label and scope) and read one more to close the group: reads varied with how many scopes
-- had checkpointed at that size. With created_at in the index the answer is its first row.
DROP INDEX checkpoints_log;
CREATE INDEX checkpoints_log ON checkpoints (log_id, size, created_at);

UPDATE meta SET value = '13' WHERE key = 'schema_version';
