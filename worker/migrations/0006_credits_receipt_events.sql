-- Running sums of credits (positive deltas) along each log, kept as integer units and nanos
-- like the balance (0005): a period's credits and debits are then the difference of two
-- entries', as its net is of two balances, in two rows however long the period. And the
-- time a checkpoint's first receipt was generated, so `receipt.generated` is sent once per
-- checkpoint, not once per read.
ALTER TABLE logs ADD COLUMN credits_units INTEGER NOT NULL DEFAULT 0;
ALTER TABLE logs ADD COLUMN credits_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN credits_units INTEGER;   -- credits up to and including this entry
ALTER TABLE records ADD COLUMN credits_nanos INTEGER;
ALTER TABLE checkpoints ADD COLUMN receipt_event_id TEXT; -- the receipt.generated event, once

UPDATE records SET credits_units = w.cu, credits_nanos = w.cn
FROM (
  SELECT seqno,
         SUM(CASE WHEN units > 0 OR nanos > 0 THEN units ELSE 0 END) OVER (PARTITION BY log_id ORDER BY seq) AS cu,
         SUM(CASE WHEN units > 0 OR nanos > 0 THEN nanos ELSE 0 END) OVER (PARTITION BY log_id ORDER BY seq) AS cn
  FROM (
    SELECT seqno, log_id, seq,
      (CASE WHEN substr(amount, 1, 1) = '-' THEN -1 ELSE 1 END) *
        CAST(CASE WHEN instr(amount, '.') > 0 THEN substr(ltrim(amount, '-'), 1, instr(ltrim(amount, '-'), '.') - 1)
                  ELSE ltrim(amount, '-') END AS INTEGER) AS units,
      (CASE WHEN substr(amount, 1, 1) = '-' THEN -1 ELSE 1 END) *
        CAST(CASE WHEN instr(amount, '.') > 0 THEN substr(substr(amount, instr(amount, '.') + 1) || '000000000', 1, 9)
                  ELSE '0' END AS INTEGER) AS nanos
    FROM records WHERE seq IS NOT NULL
  )
) AS w
WHERE records.seqno = w.seqno;

UPDATE logs SET
  credits_units = COALESCE((SELECT r.credits_units FROM records r WHERE r.log_id = logs.id AND r.seq = logs.size - 1), 0),
  credits_nanos = COALESCE((SELECT r.credits_nanos FROM records r WHERE r.log_id = logs.id AND r.seq = logs.size - 1), 0);

UPDATE meta SET value = '6' WHERE key = 'schema_version';
