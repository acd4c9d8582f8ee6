-- A pass element also names the record's submission, its index there and its kind, so every
-- read of a sequenced record (statuses, receipts, pages) can come from its pass, as close
-- packages' do since 0015 (docs/ARCHITECTURE.md, "Rows written per record"). Layout
-- (worker/src/store/passes.rs): [seq, entryHash, balanceAfter, creditsUnits, creditsNanos, id,
-- item, itemHash, receivedAt, amount, reason, referenceId, submissionId, idx, kind] (+ stampMs,
-- verifiedAt where they differ from the pass's, which 0015 put at 12 and 13), null for FAILED.
UPDATE log_passes SET entries = (
  SELECT json_group_array(CASE
      WHEN e.type <> 'array' THEN NULL
      WHEN e.value ->> 12 IS NULL THEN json_array(
        e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 5,
        e.value ->> 6, e.value ->> 7, e.value ->> 8, e.value ->> 9, e.value ->> 10, e.value ->> 11,
        r.submission_id, r.idx, r.kind)
      ELSE json_array(
        e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 5,
        e.value ->> 6, e.value ->> 7, e.value ->> 8, e.value ->> 9, e.value ->> 10, e.value ->> 11,
        r.submission_id, r.idx, r.kind, e.value ->> 12, e.value ->> 13)
    END ORDER BY e.key)
  FROM json_each(log_passes.entries) e
  LEFT JOIN records r ON r.log_id = log_passes.log_id AND r.log_pos = log_passes.first_pos + e.key);

UPDATE meta SET value = '16' WHERE key = 'schema_version';
