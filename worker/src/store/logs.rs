//! The sequencer's reads and its one conditional append batch per pass.
//!
//! D1 has no interactive transactions. An append is one atomic `batch()`
//! whose first statement moves the log head only if it still carries this
//! sequencer's nonce and the size it read; every other statement is guarded by
//! `EXISTS` on the head it just wrote, so a sequencer that lost the log (its
//! lease expired and another took over) writes nothing at all.

use serde::{Deserialize, Deserializer};

use worker::{D1PreparedStatement, D1Result};

use super::{changes, Arg, Store, WriteError};
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
    pub kind: String,
    pub amount: String,
    pub reference_id: Option<String>,
    pub received_at: String,
    pub item: String,
    pub item_hash: String,
    pub items_root: String,
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

/// A verified record's new columns.
pub struct Verified {
    pub id: String,
    pub seq: u64,
    pub entry_hash: String,
    pub balance_after: String,
    /// Credits up to and including this entry (units, nanos).
    pub credits: (i64, i64),
}

/// An event to put in the outbox with the append.
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub body: String,
}

/// Failed records of one UTC month of receipt, for the month's counters.
pub struct FailedMonth {
    pub period: String,
    pub count: u64,
    pub units: i64,
    pub nanos: i64,
}

/// Everything one sequencer pass writes.
pub struct Append<'a> {
    pub log_id: &'a str,
    pub tenant_id: &'a str,
    pub environment: &'a str,
    pub nonce: &'a str,
    pub old_size: u64,
    pub new_size: u64,
    pub root: String,
    pub balance: String,
    /// The balance [`split`](super::split) for exact sums in SQL.
    pub balance_split: (i64, i64),
    /// The running credits after the pass (units, nanos).
    pub credits: (i64, i64),
    pub frontier: Vec<u8>,
    pub lease_until_ms: u64,
    pub verified: &'a [Verified],
    pub failed: &'a [(String, String)],
    pub failed_months: &'a [FailedMonth],
    pub tiles: &'a [(u8, u64, Vec<u8>)],
    pub events: &'a [NewEvent],
    pub now: &'a str,
    pub now_ms: u64,
}

/// Whether this pass won the log, and what it cost.
pub struct Committed {
    pub won: bool,
    pub rows_written: u64,
    /// Rows of the head and of new full tiles: what storing the tree costs.
    pub tree_rows_written: u64,
}

#[derive(Deserialize)]
struct IdRow {
    log_id: String,
}

#[derive(Deserialize)]
struct Flag {
    n: u64,
}

/// Guard appended to every dependent statement: the head this pass just wrote.
/// It takes `?1..?3`; the statement's own parameters start at `?4`.
macro_rules! guard {
    () => {
        " EXISTS (SELECT 1 FROM logs WHERE id = ?1 AND head_token = ?2 AND size = ?3)"
    };
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

    /// Gives back the leases still held under `nonce`.
    pub async fn release_logs(&self, log_ids: &str, nonce: &str) -> Result<(), ApiError> {
        self.run(
            "UPDATE logs SET lease_until_ms = 0, lease_upto = 0 WHERE id IN (SELECT value FROM json_each(?1)) AND head_token = ?2",
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
            "SELECT r.log_id, r.id, r.submission_id, r.kind, r.amount, r.reference_id, r.received_at, r.item, r.item_hash, s.items_root \
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

    /// Puts the `samples` of a synthetic log (a JSON array of sequence numbers, real records)
    /// at `log_pos = month_pos = seq`, where lookups by sequence number find them, with
    /// counters to match; with `stand_ins`, also a stand-in record row for every other entry
    /// (benchmarks and the rows-read tests only).
    #[allow(clippy::too_many_arguments)]
    pub async fn synthetic_records(
        &self,
        log_id: &str,
        submission_id: &str,
        size: u64,
        samples: &str,
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
            self.stmt(
                "UPDATE records SET log_pos = seq, month_pos = seq WHERE log_id = ?1 AND seq IN (SELECT value FROM json_each(?2))",
                &[log_id.into(), samples.into()],
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

    /// One log's statements of a pass: head first (see the module comment).
    fn append_statements<'a>(
        &self,
        a: &'a Append<'a>,
        batch: &mut Vec<D1PreparedStatement>,
    ) -> Result<(), WriteError> {
        let g = |args: Vec<Arg<'a>>| -> Vec<Arg<'a>> {
            let mut all: Vec<Arg<'a>> = vec![a.log_id.into(), a.nonce.into(), Arg::Big(a.new_size)];
            all.extend(args);
            all
        };
        let mut push =
            |st: Result<_, ApiError>| st.map(|st| batch.push(st)).map_err(WriteError::Other);
        // The stamp is MAX(floor, now) *at commit*: a checkpoint that raised the floor to its
        // scope's end before this commit pushes these entries after that end (docs/SPEC.md §11).
        push(self.stmt(
            "UPDATE logs SET size = ?2, root = ?3, balance = ?4, frontier = ?5, lease_until_ms = CAST(?6 AS INTEGER), \
               lease_upto = CASE WHEN CAST(?6 AS INTEGER) = 0 THEN 0 ELSE lease_upto END, \
               stamp_ms = MAX(stamp_ms, CAST(?9 AS INTEGER)), records_failed = records_failed + ?10, \
               balance_units = CAST(?11 AS INTEGER), balance_nanos = CAST(?12 AS INTEGER), \
               credits_units = CAST(?13 AS INTEGER), credits_nanos = CAST(?14 AS INTEGER) \
             WHERE id = ?1 AND head_token = ?7 AND size = ?8",
            &[
                a.log_id.into(),
                Arg::Big(a.new_size),
                (&a.root).into(),
                (&a.balance).into(),
                Arg::Blob(&a.frontier),
                Arg::Big(a.lease_until_ms),
                a.nonce.into(),
                Arg::Big(a.old_size),
                Arg::Big(a.now_ms),
                Arg::Big(a.failed.len() as u64),
                Arg::Signed(a.balance_split.0),
                Arg::Signed(a.balance_split.1),
                Arg::Signed(a.credits.0),
                Arg::Signed(a.credits.1),
            ],
        ))?;
        // The pass's stamp, once for all its entries (see `size_before`).
        if a.new_size > a.old_size {
            push(self.stmt(
                concat!(
                    "INSERT INTO log_stamps (log_id, stamp_ms, size) SELECT ?1, l.stamp_ms, ?3 FROM logs l WHERE l.id = ?1 AND",
                    guard!(),
                    " ON CONFLICT DO NOTHING"
                ),
                &g(vec![]),
            ))?;
        }
        for v in a.verified {
            push(self.stmt(
                concat!(
                    "UPDATE records SET seq = ?5, entry_hash = ?6, balance_after = ?7, verified_at = ?8, \
                     stamp_ms = (SELECT stamp_ms FROM logs WHERE id = ?1), \
                     credits_units = CAST(?9 AS INTEGER), credits_nanos = CAST(?10 AS INTEGER) \
                     WHERE id = ?4 AND seq IS NULL AND failed_reason IS NULL AND",
                    guard!()
                ),
                &g(vec![(&v.id).into(), Arg::Big(v.seq), (&v.entry_hash).into(), (&v.balance_after).into(), a.now.into(),
                        Arg::Signed(v.credits.0), Arg::Signed(v.credits.1)]),
            ))?;
        }
        for (id, reason) in a.failed {
            push(self.stmt(
                concat!("UPDATE records SET failed_reason = ?5, failed_at = ?6 WHERE id = ?4 AND seq IS NULL AND", guard!()),
                &g(vec![id.into(), reason.into(), a.now.into()]),
            ))?;
        }
        for m in a.failed_months {
            push(self.stmt(
                concat!(
                    "UPDATE log_months SET failed = failed + ?5, failed_units = failed_units + CAST(?6 AS INTEGER), \
                     failed_nanos = failed_nanos + CAST(?7 AS INTEGER) WHERE log_id = ?1 AND period = ?4 AND",
                    guard!()
                ),
                &g(vec![(&m.period).into(), Arg::Big(m.count), Arg::Signed(m.units), Arg::Signed(m.nanos)]),
            ))?;
        }
        for (level, idx, hashes) in a.tiles {
            push(self.stmt(
                concat!(
                    "INSERT INTO tiles (log_id, level, idx, hashes) SELECT ?1, ?4, ?5, ?6 WHERE",
                    guard!(),
                    " ON CONFLICT DO NOTHING"
                ),
                &g(vec![
                    Arg::Int(i32::from(*level)),
                    Arg::Big(*idx),
                    Arg::Blob(hashes),
                ]),
            ))?;
        }
        for e in a.events {
            push(self.stmt(
                concat!(
                    "INSERT INTO events (id, tenant_id, environment, type, body, created_at) SELECT ?4, ?5, ?6, ?7, ?8, ?9 WHERE",
                    guard!(),
                    " ON CONFLICT DO NOTHING"
                ),
                &g(vec![(&e.id).into(), a.tenant_id.into(), a.environment.into(), (&e.kind).into(), (&e.body).into(), a.now.into()]),
            ))?;
            push(self.stmt(
                concat!(
                    "INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, next_attempt_ms, created_at) \
                     SELECT ?4, w.id, w.tenant_id, w.environment, 'pending', ?7, ?8 FROM webhook_endpoints w \
                     WHERE w.tenant_id = ?5 AND w.environment = ?6 AND w.enabled = 1 AND",
                    guard!(),
                    " ON CONFLICT DO NOTHING"
                ),
                &g(vec![(&e.id).into(), a.tenant_id.into(), a.environment.into(), Arg::Big(a.now_ms), a.now.into()]),
            ))?;
        }
        Ok(())
    }

    /// Commits the passes of several logs in one atomic batch. Each log's
    /// statements are guarded by its own head, so a log lost to another
    /// sequencer writes nothing while the others commit.
    pub async fn commit_appends(
        &self,
        appends: &[Append<'_>],
    ) -> Result<Vec<Committed>, WriteError> {
        let mut batch = Vec::new();
        let mut starts = Vec::with_capacity(appends.len());
        for a in appends {
            starts.push(batch.len());
            self.append_statements(a, &mut batch)?;
        }
        let results = self.batch("append", batch).await?;
        let written = |r: &D1Result| {
            r.meta()
                .ok()
                .flatten()
                .and_then(|m| m.rows_written)
                .unwrap_or(0) as u64
        };
        Ok(appends
            .iter()
            .zip(&starts)
            .map(|(a, &start)| {
                // Statement order per log: head, stamp (if any entry), record updates, month
                // counters, tiles, events.
                let stamp = usize::from(a.new_size > a.old_size);
                let records = stamp + a.verified.len() + a.failed.len() + a.failed_months.len();
                let statements = 1 + records + a.tiles.len() + 2 * a.events.len();
                let own =
                    &results[start.min(results.len())..(start + statements).min(results.len())];
                let tree = own.first().map_or(0, written)
                    + own
                        .iter()
                        .skip(1 + records)
                        .take(a.tiles.len())
                        .map(written)
                        .sum::<u64>();
                Committed {
                    won: own.first().is_some_and(|r| changes(r) == 1),
                    rows_written: own.iter().map(written).sum(),
                    tree_rows_written: tree,
                }
            })
            .collect())
    }
}
