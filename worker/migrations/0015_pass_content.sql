-- A pass row carries its records as close packages, exports and Shared Record histories show
-- them, so reading a log's entries reads its passes alone: a row per pass, not two per record
-- (docs/ARCHITECTURE.md, "Rows written per record"). It is also the first step of records
-- that are never a row of their own. Element layout (worker/src/store/passes.rs):
-- [seq, entryHash, balanceAfter, creditsUnits, creditsNanos, id, item, itemHash, receivedAt,
--  amount, reason, referenceId] (+ stampMs, verifiedAt where they differ from the pass's),
-- null for a FAILED record.

-- 1. The passes 0014 wrote get their records' content, position by position.
UPDATE log_passes SET entries = (
  SELECT json_group_array(CASE WHEN e.type = 'array' THEN json_array(
      e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
      r.id, r.item, r.item_hash, r.received_at, r.amount, r.reason, r.reference_id) END ORDER BY e.key)
  FROM json_each(log_passes.entries) e
  LEFT JOIN records r ON r.log_id = log_passes.log_id AND r.log_pos = log_passes.first_pos + e.key);

-- 2. Records sequenced before 0014 (their entry in their own columns) get passes too, at most
-- 200 positions each (MAX_PASS_SPAN): they are a prefix of their log, below its first 0014
-- pass, and each element keeps its own stamp and verification time.
INSERT INTO log_passes (log_id, end_pos, first_pos, verified_at, stamp_ms, entries)
SELECT r.log_id, MAX(r.log_pos) + 1, MIN(r.log_pos), COALESCE(MAX(r.verified_at), ''), COALESCE(MAX(r.stamp_ms), 0),
  json_group_array(CASE WHEN r.seq IS NOT NULL THEN json_array(
      r.seq, r.entry_hash, r.balance_after, r.credits_units, r.credits_nanos,
      r.id, r.item, r.item_hash, r.received_at, r.amount, r.reason, r.reference_id, r.stamp_ms, r.verified_at) END
    ORDER BY r.log_pos)
FROM records r JOIN logs l ON l.id = r.log_id
WHERE r.log_pos < COALESCE((SELECT MIN(p.first_pos) FROM log_passes p WHERE p.log_id = r.log_id), l.size + l.records_failed)
GROUP BY r.log_id, r.log_pos / 200;

UPDATE meta SET value = '15' WHERE key = 'schema_version';
