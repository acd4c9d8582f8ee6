//! The sequencer's commit: the passes over any number of logs in one atomic batch of a fixed
//! number of statements.
//!
//! D1 has no interactive transactions. The first statement moves each log's head only if it
//! still carries this sequencer's nonce and the size it read (`RETURNING` names the logs
//! won); every other statement joins its rows to the head it just wrote, so a pass that lost
//! its log (the lease expired and another sequencer took over) writes nothing while the
//! others commit. Each statement takes all logs' rows as one JSON array (`json_each`): a
//! statement costs about as much again as the rows it writes, so a pass over 50 logs with 2
//! records each is 6 statements, not 200 (docs/ARCHITECTURE.md, "Rows written per record").

use serde::Deserialize;
use serde_json::{json, Value};

pub use super::passes::RecordContent;
use super::{written, Arg, Store, WriteError};
use crate::api::ApiError;

/// A verified record's entry, kept in its pass's row with the record as accepted.
pub struct Verified {
    pub record: RecordContent,
    /// The record's position in its log (acceptance order).
    pub pos: u64,
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
    /// The log positions the pass took, `[first_pos, end_pos)`.
    pub first_pos: u64,
    pub end_pos: u64,
    pub verified: &'a [Verified],
    pub failed: &'a [(String, String)],
    pub failed_months: &'a [FailedMonth],
    pub tiles: &'a [(u8, u64, Vec<u8>)],
    pub events: &'a [NewEvent],
    pub now: &'a str,
    pub now_ms: u64,
}

/// Which passes won their log, and what the batch cost.
pub struct Commit {
    /// One per append, in order.
    pub won: Vec<bool>,
    pub rows_written: u64,
    /// Rows of the heads and of new full tiles: what storing the trees costs.
    pub tree_rows_written: u64,
}

#[derive(Deserialize)]
struct WonRow {
    log_id: String,
}

/// The head a row belongs to, as the JSON elements of every dependent statement start:
/// `[log id, nonce, new size, …]`; joined to `logs` it keeps only the rows of passes that won.
macro_rules! won {
    ($j:literal) => {
        concat!(
            " JOIN logs l ON l.id = ",
            $j,
            ".value ->> 0 AND l.head_token = ",
            $j,
            ".value ->> 1 AND l.size = ",
            $j,
            ".value ->> 2"
        )
    };
}

/// What a statement writes for each append: its rows, each prefixed with the head to join.
fn rows<'a, T: 'a>(
    appends: &'a [Append<'a>],
    items: impl Fn(&'a Append<'a>) -> &'a [T],
    row: impl Fn(&'a Append<'a>, &'a T) -> Vec<Value>,
) -> Option<String> {
    let mut out = Vec::new();
    for a in appends {
        for item in items(a) {
            let mut r = vec![json!(a.log_id), json!(a.nonce), json!(a.new_size)];
            r.extend(row(a, item));
            out.push(Value::Array(r));
        }
    }
    (!out.is_empty()).then(|| Value::Array(out).to_string())
}

impl Store {
    /// Commits the passes of several logs in one atomic batch.
    pub async fn commit_appends(&self, appends: &[Append<'_>]) -> Result<Commit, WriteError> {
        let other = WriteError::Other;
        let heads = Value::Array(appends.iter().map(head).collect()).to_string();
        // The stamp is MAX(floor, now) *at commit*: a checkpoint that raised the floor to its
        // scope's end before this commit pushes these entries after that end (docs/SPEC.md §11).
        let mut batch = vec![self
            .stmt(
                "UPDATE logs SET size = h.value ->> 1, root = h.value ->> 2, balance = h.value ->> 3, \
                   frontier = COALESCE(unhex(h.value ->> 4), x''), lease_until_ms = h.value ->> 5, \
                   lease_upto = CASE WHEN h.value ->> 5 = 0 THEN 0 ELSE lease_upto END, \
                   stamp_ms = MAX(stamp_ms, h.value ->> 8), records_failed = records_failed + (h.value ->> 9), \
                   balance_units = h.value ->> 10, balance_nanos = h.value ->> 11, \
                   credits_units = h.value ->> 12, credits_nanos = h.value ->> 13 \
                 FROM json_each(?1) h \
                 WHERE logs.id = h.value ->> 0 AND logs.head_token = h.value ->> 6 AND logs.size = h.value ->> 7 \
                 RETURNING logs.id AS log_id",
                &[heads.as_str().into()],
            )
            .map_err(other)?];
        // Each statement below is left out when it has no rows; `tiles_at` finds the tiles'.
        let grown: Vec<&Append<'_>> = appends.iter().filter(|a| a.new_size > a.old_size).collect();
        let stamps = Value::Array(
            grown
                .iter()
                .map(|a| json!([a.log_id, a.nonce, a.new_size]))
                .collect(),
        );
        // A pass row per log that appended: its entries by position, FAILED ones null.
        let passed: Vec<&Append<'_>> = appends.iter().filter(|a| !a.verified.is_empty()).collect();
        let passes = Value::Array(
            passed
                .iter()
                .map(|a| {
                    Ok(json!([
                        a.log_id,
                        a.nonce,
                        a.new_size,
                        a.end_pos,
                        a.first_pos,
                        entries(a)?.to_string()
                    ]))
                })
                .collect::<Result<_, WriteError>>()?,
        );
        let failed = rows(
            appends,
            |a| a.failed,
            |_, (id, reason)| vec![json!(id), json!(reason)],
        );
        let months = rows(
            appends,
            |a| a.failed_months,
            |_, m| {
                vec![
                    json!(m.period),
                    json!(m.count),
                    json!(m.units),
                    json!(m.nanos),
                ]
            },
        );
        let tiles = rows(
            appends,
            |a| a.tiles,
            |_, (level, idx, hashes)| vec![json!(level), json!(idx), json!(hex::encode(hashes))],
        );
        let events = rows(
            appends,
            |a| a.events,
            |a, e| {
                vec![
                    json!(e.id),
                    json!(a.tenant_id),
                    json!(a.environment),
                    json!(e.kind),
                    json!(e.body),
                ]
            },
        );
        let now = appends.first().map_or("", |a| a.now);
        let now_ms = appends.first().map_or(0, |a| a.now_ms);
        let mut push = |sql: &str, args: &[Arg<'_>]| -> Result<(), WriteError> {
            batch.push(self.stmt(sql, args).map_err(other)?);
            Ok(())
        };
        // The pass's stamp, once for all its entries (see `size_before`).
        if !grown.is_empty() {
            push(
                concat!(
                    "INSERT INTO log_stamps (log_id, stamp_ms, size) SELECT l.id, l.stamp_ms, l.size FROM json_each(?1) s",
                    won!("s"),
                    " WHERE true ON CONFLICT DO NOTHING"
                ),
                &[stamps.to_string().as_str().into()],
            )?;
        }
        if !passed.is_empty() {
            push(
                concat!(
                    "INSERT INTO log_passes (log_id, end_pos, first_pos, verified_at, stamp_ms, entries) \
                     SELECT l.id, p.value ->> 3, p.value ->> 4, ?2, l.stamp_ms, p.value ->> 5 FROM json_each(?1) p",
                    won!("p"),
                    " WHERE true ON CONFLICT DO NOTHING"
                ),
                &[passes.to_string().as_str().into(), now.into()],
            )?;
        }
        if let Some(f) = &failed {
            push(
                concat!(
                    "UPDATE records SET failed_reason = v.reason, failed_at = ?2 \
                     FROM (SELECT r.value ->> 3 AS id, r.value ->> 4 AS reason FROM json_each(?1) r",
                    won!("r"),
                    ") AS v WHERE records.id = v.id AND records.seq IS NULL"
                ),
                &[f.as_str().into(), now.into()],
            )?;
        }
        if let Some(m) = &months {
            push(
                concat!(
                    "UPDATE log_months SET failed = failed + v.n, failed_units = failed_units + v.u, \
                       failed_nanos = failed_nanos + v.ns \
                     FROM (SELECT l.id, r.value ->> 3 AS period, r.value ->> 4 AS n, r.value ->> 5 AS u, \
                             r.value ->> 6 AS ns FROM json_each(?1) r",
                    won!("r"),
                    ") AS v WHERE log_months.log_id = v.id AND log_months.period = v.period"
                ),
                &[m.as_str().into()],
            )?;
        }
        if let Some(t) = &tiles {
            push(
                concat!(
                    "INSERT INTO tiles (log_id, level, idx, hashes) \
                     SELECT l.id, t.value ->> 3, t.value ->> 4, unhex(t.value ->> 5) FROM json_each(?1) t",
                    won!("t"),
                    " WHERE true ON CONFLICT DO NOTHING"
                ),
                &[t.as_str().into()],
            )?;
        }
        if let Some(e) = &events {
            push(
                concat!(
                    "INSERT INTO events (id, tenant_id, environment, type, body, created_at) \
                     SELECT e.value ->> 3, e.value ->> 4, e.value ->> 5, e.value ->> 6, e.value ->> 7, ?2 FROM json_each(?1) e",
                    won!("e"),
                    " WHERE true ON CONFLICT DO NOTHING"
                ),
                &[e.as_str().into(), now.into()],
            )?;
            push(
                concat!(
                    "INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, next_attempt_ms, created_at) \
                     SELECT e.value ->> 3, w.id, w.tenant_id, w.environment, 'pending', CAST(?3 AS INTEGER), ?2 \
                     FROM json_each(?1) e",
                    won!("e"),
                    " JOIN webhook_endpoints w ON w.tenant_id = e.value ->> 4 AND w.environment = e.value ->> 5 \
                       AND w.enabled = 1 \
                     WHERE true ON CONFLICT DO NOTHING"
                ),
                &[e.as_str().into(), now.into(), Arg::Big(now_ms)],
            )?;
        }
        // Statements before the tiles': the heads, and those of the above that had rows.
        let tiles_at = 1
            + usize::from(!grown.is_empty())
            + usize::from(!passed.is_empty())
            + [&failed, &months].iter().filter(|s| s.is_some()).count();
        let results = self.batch("append", batch).await?;
        let won: Vec<WonRow> = results
            .first()
            .ok_or_else(|| WriteError::Other(ApiError::internal("append", "no result")))?
            .results()
            .map_err(|e| WriteError::Other(ApiError::internal("append", e)))?;
        let tree = written(&results[0])
            + results
                .get(tiles_at)
                .filter(|_| tiles.is_some())
                .map_or(0, written);
        Ok(Commit {
            won: appends
                .iter()
                .map(|a| won.iter().any(|w| w.log_id == a.log_id))
                .collect(),
            rows_written: results.iter().map(written).sum(),
            tree_rows_written: tree,
        })
    }
}

/// A pass's elements by log position from `first_pos` (laid out in `store::passes`), null
/// where the record FAILED.
fn entries(a: &Append<'_>) -> Result<Value, WriteError> {
    let n = a.end_pos.saturating_sub(a.first_pos);
    let mut out = vec![Value::Null; usize::try_from(n).unwrap_or(0)];
    for v in a.verified {
        // An entry outside its pass would be lost to every read: refuse the commit instead.
        let slot = usize::try_from(v.pos.wrapping_sub(a.first_pos))
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| {
                WriteError::Other(ApiError::internal("append", "entry outside its pass"))
            })?;
        let r = &v.record;
        *slot = json!([
            v.seq,
            v.entry_hash,
            v.balance_after,
            v.credits.0,
            v.credits.1,
            r.id,
            r.item,
            r.item_hash,
            r.received_at,
            r.amount,
            r.reason,
            r.reference_id,
            r.submission_id,
            r.idx,
            r.kind
        ]);
    }
    Ok(Value::Array(out))
}

/// A head's element of the first statement's array (its `->> n` indexes).
fn head(a: &Append<'_>) -> Value {
    json!([
        a.log_id,
        a.new_size,
        a.root,
        a.balance,
        hex::encode(&a.frontier),
        a.lease_until_ms,
        a.nonce,
        a.old_size,
        a.now_ms,
        a.failed.len(),
        a.balance_split.0,
        a.balance_split.1,
        a.credits.0,
        a.credits.1,
    ])
}
