//! The sequencer's reads and its one conditional append batch per pass.
//!
//! D1 has no interactive transactions. An append is one atomic `batch()`
//! whose first statement moves the log head only if it still carries this
//! sequencer's nonce and the size it read; every other statement is guarded by
//! `EXISTS` on the head it just wrote, so a sequencer that lost the log (its
//! lease expired and another took over) writes nothing at all.

use serde::{Deserialize, Deserializer};

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
    pub lease_upto: u64,
}

/// A record waiting for its sequence number.
#[derive(Deserialize)]
pub struct PendingRow {
    pub id: String,
    pub submission_id: String,
    pub kind: String,
    pub amount: String,
    pub reference_id: Option<String>,
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
}

/// An event to put in the outbox with the append.
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub body: String,
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
    pub frontier: Vec<u8>,
    pub lease_until_ms: u64,
    pub verified: Vec<Verified>,
    pub failed: Vec<(String, String)>,
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
    pub events: Vec<NewEvent>,
    pub now: &'a str,
    pub now_ms: u64,
}

/// Whether this pass won the log, and what it cost.
pub struct Committed {
    pub won: bool,
    pub rows_written: u64,
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
    /// Takes the log's lease (if free or already ours) and returns its head.
    pub async fn claim_log(
        &self,
        log_id: &str,
        nonce: &str,
        now_ms: u64,
        lease_until_ms: u64,
    ) -> Result<Option<LogRow>, ApiError> {
        self.first(
            "UPDATE logs SET lease_until_ms = ?3, head_token = ?4, \
               lease_upto = (SELECT COALESCE(MAX(seqno), 0) FROM records WHERE log_id = ?1 AND seq IS NULL AND failed_reason IS NULL) \
             WHERE id = ?1 AND (lease_until_ms <= ?2 OR head_token = ?4) \
             RETURNING id, tenant_id, environment, subject_id, vendor_account_id, size, balance, frontier, lease_upto",
            &[log_id.into(), Arg::Big(now_ms), Arg::Big(lease_until_ms), nonce.into()],
        )
        .await
    }

    /// Gives the lease back (only if still ours).
    pub async fn release_log(&self, log_id: &str, nonce: &str) -> Result<(), ApiError> {
        self.run(
            "UPDATE logs SET lease_until_ms = 0, lease_upto = 0 WHERE id = ?1 AND head_token = ?2",
            &[log_id.into(), nonce.into()],
        )
        .await
        .map(drop)
    }

    pub async fn pending_records(
        &self,
        log_id: &str,
        upto: u64,
        limit: u32,
    ) -> Result<Vec<PendingRow>, ApiError> {
        self.all(
            "SELECT r.id, r.submission_id, r.kind, r.amount, r.reference_id, r.item, r.item_hash, s.items_root \
             FROM records r JOIN submissions s ON s.id = r.submission_id \
             WHERE r.log_id = ?1 AND r.seq IS NULL AND r.failed_reason IS NULL AND r.seqno <= ?2 ORDER BY r.seqno LIMIT ?3",
            &[log_id.into(), Arg::Big(upto), Arg::Big(limit.into())],
        )
        .await
    }

    /// True if the log has records waiting.
    pub async fn has_pending(&self, log_id: &str) -> Result<bool, ApiError> {
        let row: Option<Flag> = self
            .first(
                "SELECT EXISTS (SELECT 1 FROM records WHERE log_id = ?1 AND seq IS NULL AND failed_reason IS NULL) AS n",
                &[log_id.into()],
            )
            .await?;
        Ok(row.is_some_and(|f| f.n == 1))
    }

    /// Logs with waiting records whose lease is free: what a sweep should drain.
    pub async fn logs_needing_work(
        &self,
        now_ms: u64,
        limit: u32,
    ) -> Result<Vec<String>, ApiError> {
        let rows: Vec<IdRow> = self
            .all(
                "SELECT DISTINCT r.log_id FROM records r JOIN logs l ON l.id = r.log_id \
                 WHERE r.seq IS NULL AND r.failed_reason IS NULL AND l.lease_until_ms <= ?1 LIMIT ?2",
                &[Arg::Big(now_ms), Arg::Big(limit.into())],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.log_id).collect())
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

    /// The pass's atomic batch (see the module comment).
    pub async fn commit_append<'a>(&self, a: &'a Append<'a>) -> Result<Committed, WriteError> {
        let g = |args: Vec<Arg<'a>>| -> Vec<Arg<'a>> {
            let mut all: Vec<Arg<'a>> = vec![a.log_id.into(), a.nonce.into(), Arg::Big(a.new_size)];
            all.extend(args);
            all
        };
        let mut batch = Vec::with_capacity(
            a.verified.len() + a.failed.len() + a.tiles.len() + 2 * a.events.len() + 1,
        );
        let mut push =
            |st: Result<_, ApiError>| st.map(|st| batch.push(st)).map_err(WriteError::Other);
        push(self.stmt(
            "UPDATE logs SET size = ?2, root = ?3, balance = ?4, frontier = ?5, lease_until_ms = ?6 \
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
            ],
        ))?;
        for v in &a.verified {
            push(self.stmt(
                concat!(
                    "UPDATE records SET seq = ?5, entry_hash = ?6, balance_after = ?7, verified_at = ?8 \
                     WHERE id = ?4 AND seq IS NULL AND failed_reason IS NULL AND",
                    guard!()
                ),
                &g(vec![(&v.id).into(), Arg::Big(v.seq), (&v.entry_hash).into(), (&v.balance_after).into(), a.now.into()]),
            ))?;
        }
        for (id, reason) in &a.failed {
            push(self.stmt(
                concat!("UPDATE records SET failed_reason = ?5, failed_at = ?6 WHERE id = ?4 AND seq IS NULL AND", guard!()),
                &g(vec![id.into(), reason.into(), a.now.into()]),
            ))?;
        }
        for (level, idx, hashes) in &a.tiles {
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
        for e in &a.events {
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
        let results = self.batch("append", batch).await?;
        let rows_written = results
            .iter()
            .filter_map(|r| r.meta().ok().flatten()?.rows_written)
            .sum::<usize>() as u64;
        Ok(Committed {
            won: results.first().is_some_and(|r| changes(r) == 1),
            rows_written,
        })
    }
}
