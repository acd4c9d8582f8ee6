//! The sequencer's reads and leases (its commit is in `append.rs`).

use serde::{Deserialize, Deserializer};

use super::{Arg, Store, WriteError};
use crate::api::ApiError;

/// A log head, as a sequencer claims it.
#[derive(Deserialize)]
pub struct LogRow {
    pub id: String,
    pub tenant_id: String,
    pub environment: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub size: u64,
    pub balance: String,
    #[serde(deserialize_with = "bytes")]
    pub frontier: Vec<u8>,
    /// Records accepted into the log, and how many of them FAILED (counters kept where written).
    pub records_total: u64,
    pub records_failed: u64,
    /// Running sum of credits (positive deltas) to the head, [`split`](super::split), unnormalized.
    pub credits_units: i64,
    pub credits_nanos: i64,
}

impl LogRow {
    /// Records accepted but neither sequenced nor failed yet.
    pub fn pending(&self) -> u64 {
        self.records_total
            .saturating_sub(self.size)
            .saturating_sub(self.records_failed)
    }
}

/// A record waiting for its sequence number.
#[derive(Deserialize)]
pub struct PendingRow {
    pub log_id: String,
    pub id: String,
    pub submission_id: String,
    pub idx: u32,
    pub kind: String,
    pub amount: String,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    pub received_at: String,
    pub item: String,
    pub item_hash: String,
    pub items_root: String,
    /// Position among the log's records in acceptance order.
    pub log_pos: u64,
}

/// D1 returns BLOBs as byte arrays or as lists of numbers depending on the path; accept both.
pub fn bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a blob")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<u8>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<u8>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

#[derive(Deserialize)]
struct IdRow {
    log_id: String,
}

#[derive(Deserialize)]
struct Flag {
    n: u64,
}

impl Store {
    /// Takes the leases of those `log_ids` that are free (or already ours) and
    /// returns their heads. One statement for any number of logs.
    pub async fn claim_logs(
        &self,
        log_ids: &str,
        nonce: &str,
        now_ms: u64,
        lease_until_ms: u64,
    ) -> Result<Vec<LogRow>, ApiError> {
        self.all(
            "UPDATE logs SET lease_until_ms = ?3, head_token = ?4, \
               lease_upto = records_total \
             WHERE id IN (SELECT value FROM json_each(?1)) AND (lease_until_ms <= ?2 OR head_token = ?4) \
             RETURNING id, tenant_id, environment, subject_id, vendor_account_id, size, balance, frontier, \
               records_total, records_failed, credits_units, credits_nanos",
            &[log_ids.into(), Arg::Big(now_ms), Arg::Big(lease_until_ms), nonce.into()],
        )
        .await
    }

    /// Gives back the leases still held under `nonce`. A pass that finished its log gave the
    /// lease back in its commit; rewriting that row would cost a row written per log per drain.
    pub async fn release_logs(&self, log_ids: &str, nonce: &str) -> Result<(), ApiError> {
        self.run(
            "UPDATE logs SET lease_until_ms = 0, lease_upto = 0 WHERE id IN (SELECT value FROM json_each(?1)) AND head_token = ?2 \
               AND (lease_until_ms <> 0 OR lease_upto <> 0)",
            &[log_ids.into(), nonce.into()],
        )
        .await
        .map(drop)
    }

    /// Pending records of the logs leased under `nonce`, up to each lease's
    /// high-water mark, in log then acceptance order. The log's records before position
    /// `size + records_failed` are all sequenced or failed (passes take them in order), so
    /// the pending ones are a range of `records_log_pos`.
    pub async fn pending_records(
        &self,
        log_ids: &str,
        nonce: &str,
        now_ms: u64,
        limit: u32,
    ) -> Result<Vec<PendingRow>, ApiError> {
        self.all(
            "SELECT r.log_id, r.id, r.submission_id, r.idx, r.kind, r.amount, r.reason, r.reference_id, r.received_at, r.item, r.item_hash, s.items_root, r.log_pos \
             FROM logs l JOIN records r INDEXED BY records_log_pos \
               ON r.log_id = l.id AND r.log_pos >= l.size + l.records_failed AND r.log_pos < l.lease_upto \
             JOIN submissions s ON s.id = r.submission_id \
             WHERE l.id IN (SELECT value FROM json_each(?1)) AND l.head_token = ?2 AND l.lease_until_ms > ?3 \
               AND r.seq IS NULL AND r.failed_reason IS NULL \
             ORDER BY l.id, r.log_pos LIMIT ?4",
            &[log_ids.into(), nonce.into(), Arg::Big(now_ms), Arg::Big(limit.into())],
        )
        .await
    }

    /// Which of `log_ids` have records waiting.
    pub async fn logs_with_pending(&self, log_ids: &str) -> Result<Vec<String>, ApiError> {
        let rows: Vec<IdRow> = self
            .all(
                "SELECT id AS log_id FROM logs \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND records_total > size + records_failed",
                &[log_ids.into()],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.log_id).collect())
    }

    /// Logs with waiting records whose lease is free, in id order after `after`: what a
    /// sweep should drain.
    pub async fn logs_needing_work(
        &self,
        now_ms: u64,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>, ApiError> {
        let rows: Vec<IdRow> = self
            .all(
                "SELECT id AS log_id FROM logs INDEXED BY logs_waiting \
                 WHERE records_total > size + records_failed AND id > ?2 AND lease_until_ms <= ?1 \
                 ORDER BY id LIMIT ?3",
                &[Arg::Big(now_ms), after.into(), Arg::Big(limit.into())],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.log_id).collect())
    }

    /// The last log the previous sweep took ("" at first).
    pub async fn sweep_cursor(&self) -> Result<String, ApiError> {
        let row: Option<super::MetaRow> = self
            .first("SELECT value FROM meta WHERE key = 'sweep_cursor'", &[])
            .await?;
        Ok(row.map(|r| r.value).unwrap_or_default())
    }

    pub async fn set_sweep_cursor(&self, log_id: &str) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO meta (key, value) VALUES ('sweep_cursor', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[log_id.into()],
        )
        .await
        .map(drop)
    }

    /// True if the tenant has an enabled webhook endpoint in this environment (else no outbox rows are written).
    pub async fn has_webhooks(&self, tenant_id: &str, environment: &str) -> Result<bool, ApiError> {
        let row: Option<Flag> = self
            .first(
                "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE tenant_id = ?1 AND environment = ?2 AND enabled = 1) AS n",
                &[tenant_id.into(), environment.into()],
            )
            .await?;
        Ok(row.is_some_and(|f| f.n == 1))
    }

    /// Puts the samples of a synthetic log (`samples`, their sequence numbers; `entries`, as
    /// `[seq, entryHash, balanceAfter, creditsUnits, creditsNanos, recordId]`, real records)
    /// at `log_pos = month_pos = seq`, where lookups by sequence number find them, each with
    /// a pass of its own holding its entry, with counters to match; with `stand_ins`, also a stand-in record row for every other entry
    /// (benchmarks and the rows-read tests only).
    #[allow(clippy::too_many_arguments)]
    pub async fn synthetic_records(
        &self,
        log_id: &str,
        submission_id: &str,
        size: u64,
        samples: &str,
        entries: &str,
        now_ms: u64,
        period: &str,
        stand_ins: bool,
    ) -> Result<(), ApiError> {
        let now = crate::clock::rfc3339(now_ms);
        let prefix = format!("rec_syn{}_", &submission_id[4..]);
        let rows = [
            self.stmt(
                "INSERT INTO records (id, tenant_id, environment, log_id, submission_id, idx, kind, amount, reason, item, \
                   item_hash, received_at, seq, balance_after, verified_at, stamp_ms, log_pos, month_pos, credits_units, credits_nanos, entry_hash) \
                 WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < CAST(?3 AS INTEGER)) \
                 SELECT ?7 || i, l.tenant_id, l.environment, l.id, ?2, 0, 'delta', '1', 'synthetic', '{}', '0x', ?5, i, \
                   CAST(i + 1 AS TEXT), ?5, CAST(?6 AS INTEGER), i, i, i + 1, 0, '0x' \
                 FROM n JOIN logs l ON l.id = ?1 WHERE i NOT IN (SELECT value FROM json_each(?4))",
                &[log_id.into(), submission_id.into(), Arg::Big(size), samples.into(), (&now).into(), Arg::Big(now_ms), (&prefix).into()],
            )?,
            // The samples carry their entries in their own columns, as records sequenced
            // before 0014 do, and passes are built from the rows as 0015 built those: a pass
            // per sample when there are no stand-ins (positions between them are empty).
            self.stmt(
                "UPDATE records SET log_pos = e.value ->> 0, month_pos = e.value ->> 0, seq = e.value ->> 0, \
                   entry_hash = e.value ->> 1, balance_after = e.value ->> 2, credits_units = e.value ->> 3, \
                   credits_nanos = e.value ->> 4, verified_at = ?3, stamp_ms = CAST(?4 AS INTEGER) \
                 FROM json_each(?2) e WHERE records.log_id = ?1 AND records.id = e.value ->> 5",
                &[log_id.into(), entries.into(), (&now).into(), Arg::Big(now_ms)],
            )?,
            self.stmt(
                "INSERT INTO log_passes (log_id, end_pos, first_pos, verified_at, stamp_ms, entries) \
                 SELECT r.log_id, MAX(r.log_pos) + 1, MIN(r.log_pos), MAX(r.verified_at), MAX(r.stamp_ms), \
                   json_group_array(json_array(r.seq, r.entry_hash, r.balance_after, r.credits_units, r.credits_nanos, \
                     r.id, r.item, r.item_hash, r.received_at, r.amount, r.reason, r.reference_id, r.submission_id, r.idx, r.kind) \
                   ORDER BY r.log_pos) \
                 FROM records r WHERE r.log_id = ?1 GROUP BY r.log_pos / CAST(?2 AS INTEGER)",
                &[log_id.into(), Arg::Big(if stand_ins { super::MAX_PASS_SPAN.into() } else { 1 })],
            )?,
            self.stmt(
                "UPDATE logs SET records_total = CAST(?2 AS INTEGER) WHERE id = ?1",
                &[log_id.into(), Arg::Big(size)],
            )?,
            self.stmt(
                "UPDATE log_months SET accepted = CAST(?3 AS INTEGER), accepted_units = CAST(?3 AS INTEGER), accepted_nanos = 0, \
                   first_pos = 0, last_pos = CAST(?3 AS INTEGER) - 1 \
                 WHERE log_id = ?1 AND period = ?2",
                &[log_id.into(), period.into(), Arg::Big(size)],
            )?,
        ];
        // The stand-ins' INSERT is the first statement.
        let rows = rows.into_iter().skip(usize::from(!stand_ins)).collect();
        self.batch("synthetic records", rows)
            .await
            .map(drop)
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("synthetic records", "constraint"),
            })
    }

    /// Writes full tiles outside a pass (synthetic logs for benchmarks only).
    pub async fn insert_tiles(
        &self,
        log_id: &str,
        tiles: &[(u8, u64, Vec<u8>)],
    ) -> Result<(), ApiError> {
        let mut batch = Vec::with_capacity(tiles.len());
        for (level, idx, hashes) in tiles {
            batch.push(self.stmt(
                "INSERT INTO tiles (log_id, level, idx, hashes) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                &[log_id.into(), Arg::Int(i32::from(*level)), Arg::Big(*idx), Arg::Blob(hashes)],
            )?);
        }
        self.batch("tiles", batch)
            .await
            .map(drop)
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("tiles", "constraint"),
            })
    }
}
