//! The sequencer: QUEUED → PROCESSING → VERIFIED (or FAILED with a reason).
//!
//! A pass claims a log's lease (records up to the lease's high-water mark
//! show PROCESSING), appends up to [`PASS`] pending records with the core's
//! [`LogHead::append`], and commits everything — entries, head, new full
//! tiles, outbox events — in one guarded batch ([`Store::commit_append`]).
//! It runs after each accepted request (`waitUntil`), on status polls of a
//! stranded record, and from the cron sweep, so nothing accepted stays
//! queued across crashes: the rows in D1 are the queue.

use serde_json::{json, Value};
use vericord_core::log::{LogHead, Outcome, Pending};
use vericord_core::merkle::tiles::Frontier;
use vericord_core::Amount;

use crate::api::{amount_json, number, ApiError};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::scope::parse_time;
use crate::store::{
    split, Append, FailedMonth, LogRow, NewEvent, PendingRow, RecordContent, Store, Verified,
    WriteError,
};
use crate::{clock, ids};

/// How long a pass may hold a log before another sequencer may take it over.
pub const LEASE_MS: u64 = 30_000;

/// What a drain did.
#[derive(Default, Debug)]
pub struct Report {
    pub appended: u64,
    pub failed: u64,
    pub passes: u64,
    pub rows_written: u64,
    pub tree_rows_written: u64,
    /// Outbox events written (webhooks to deliver).
    pub events: u64,
}

fn head_of(row: &LogRow) -> Result<LogHead, ApiError> {
    let balance =
        Amount::parse(&row.balance).map_err(|e| ApiError::internal("stored balance", e))?;
    let frontier = Frontier::from_bytes(row.size, &row.frontier)
        .map_err(|e| ApiError::internal("stored frontier", e))?;
    Ok(LogHead { balance, frontier })
}

fn envelope(id: &str, kind: &str, tenant_id: &str, now: &str, data: Value) -> String {
    json!({"id": id, "event": kind, "timestamp": now, "createdAt": now, "tenantId": tenant_id, "data": data}).to_string()
}

fn delta_event(
    log: &LogRow,
    p: &PendingRow,
    outcome: &Outcome,
    now: &str,
) -> Result<NewEvent, ApiError> {
    let id = ids::new_id("evt_")?;
    let (kind, data) = match outcome {
        Outcome::Appended(entry, hash) => (
            if p.kind == "delta" {
                "delta.verified"
            } else {
                "verification.completed"
            },
            json!({
                "recordId": p.id, "anchorId": p.submission_id, "receiptId": p.items_root, "itemsRoot": p.items_root,
                "itemHash": p.item_hash, "customerId": log.subject_id, "customerReference": log.id,
                "vendorAccountId": log.vendor_account_id, "delta": amount_json(&p.amount), "referenceId": p.reference_id,
                "sequenceNumber": entry.seq.to_string(), "entryHash": hash.to_hex(), "verificationReference": hash.to_hex(),
                "balanceAfter": number(entry.balance_after), "status": "verified", "verifiedAt": now, "blockTimestamp": now,
            }),
        ),
        Outcome::Failed(reason) => (
            if p.kind == "delta" {
                "delta.failed"
            } else {
                "verification.failed"
            },
            json!({
                "recordId": p.id, "anchorId": p.submission_id, "customerId": log.subject_id, "customerReference": log.id,
                "delta": amount_json(&p.amount), "error": reason, "status": "failed", "failedAt": now,
            }),
        ),
    };
    Ok(NewEvent {
        body: envelope(&id, kind, &log.tenant_id, now, data),
        id,
        kind: kind.into(),
    })
}

/// Records per commit, across all logs of a drain (one D1 batch); a pass's span is at most
/// this, which the reads of its entries rely on (`store::passes`).
const PASS_RECORDS: u32 = crate::store::MAX_PASS_SPAN;
/// Claim rounds per drain: later arrivals are left to the next trigger.
const MAX_ROUNDS: usize = 20;

/// Sequences everything pending in one log.
pub async fn drain(store: &Store, log_id: &str) -> Result<Report, ApiError> {
    drain_many(store, &[log_id.to_string()]).await
}

/// Sequences what waits in `log` before a read builds on it, and says whether anything did
/// wait; a log with nothing waiting (its counters say) costs no lease write at all.
pub async fn drain_waiting(store: &Store, log: &LogRow) -> Result<bool, ApiError> {
    if log.pending() == 0 {
        return Ok(false);
    }
    drain(store, &log.id).await.map(|_| true)
}

fn ids_json(ids: &[String]) -> Result<String, ApiError> {
    serde_json::to_string(ids).map_err(|e| ApiError::internal("log ids", e))
}

/// Sequences everything pending in many logs with a few round trips whatever
/// their number: one claim, then per pass one read and one commit for all of
/// them, one release, one look for late arrivals. Logs another sequencer
/// holds are left to it. A log that cannot be sequenced (a corrupt head, a
/// batch D1 refuses) is logged and left out, never holding up the others.
pub async fn drain_many(store: &Store, log_ids: &[String]) -> Result<Report, ApiError> {
    let mut report = Report::default();
    let nonce = ids::new_id("seq_")?;
    let mut webhooks: HashMap<(String, String), bool> = HashMap::new();
    let mut todo: Vec<String> = log_ids.to_vec();
    todo.sort();
    todo.dedup();
    let mut broken: Vec<String> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        todo.retain(|id| !broken.contains(id));
        if todo.is_empty() {
            break;
        }
        let now_ms = clock::now_ms();
        let claimed = store
            .claim_logs(&ids_json(&todo)?, &nonce, now_ms, now_ms + LEASE_MS)
            .await?;
        if claimed.is_empty() {
            break; // all busy: their holders finish them
        }
        let claimed_json = ids_json(&claimed.iter().map(|l| l.id.clone()).collect::<Vec<_>>())?;
        let mut heads: HashMap<String, (LogRow, LogHead)> = HashMap::new();
        for row in claimed {
            match head_of(&row) {
                Ok(head) => {
                    let key = (row.tenant_id.clone(), row.environment.clone());
                    if let Entry::Vacant(v) = webhooks.entry(key) {
                        v.insert(store.has_webhooks(&row.tenant_id, &row.environment).await?);
                    }
                    heads.insert(row.id.clone(), (row, head));
                }
                Err(e) => skip(&mut broken, &row.id, &e),
            }
        }
        loop {
            if heads.is_empty() {
                break;
            }
            let active = ids_json(&heads.keys().cloned().collect::<Vec<_>>())?;
            let now_ms = clock::now_ms();
            let pending = store
                .pending_records(&active, &nonce, now_ms, PASS_RECORDS)
                .await?;
            if pending.is_empty() {
                break;
            }
            // Never stamp an entry before it was received (another instance's clock may be
            // ahead): a record's period then never ends before its receivedAt.
            let now_ms = pending
                .iter()
                .filter_map(|p| parse_time(&p.received_at, "receivedAt").ok())
                .fold(now_ms, u64::max);
            // A full page may have cut the last log short: it keeps its lease for the next pass.
            let cut = (pending.len() as u32 == PASS_RECORDS)
                .then(|| pending.last().map(|p| p.log_id.clone()))
                .flatten();
            let now = clock::rfc3339(now_ms);
            let mut passes = Vec::new();
            for group in pending.chunk_by(|a, b| a.log_id == b.log_id) {
                let Some((row, head)) = heads.get(&group[0].log_id) else {
                    continue;
                };
                let complete = cut.as_deref() != Some(row.id.as_str());
                let hooks = webhooks
                    .get(&(row.tenant_id.clone(), row.environment.clone()))
                    .copied()
                    .unwrap_or(false);
                match pass(row, head, group, &now, now_ms, complete, hooks) {
                    Ok(p) => passes.push(p),
                    Err(e) => skip(&mut broken, &row.id, &e),
                }
            }
            heads.retain(|id, _| !broken.contains(id));
            store.faults().stall("before-commit").await;
            let (won, rows, tree) =
                commit(store, &passes, &nonce, &now, now_ms, &mut broken).await?;
            report.passes += 1;
            report.rows_written += rows;
            report.tree_rows_written += tree;
            for (p, won) in passes.into_iter().zip(won) {
                match won {
                    Some(true) => {
                        report.appended += p.verified.len() as u64;
                        report.failed += p.failed.len() as u64;
                        report.events += p.events.len() as u64;
                        if let Some(entry) = heads.get_mut(&p.log_id) {
                            entry.1 = p.next;
                        }
                    }
                    // D1 refused its batch (logged, left for later), or another sequencer
                    // won the log (it carries on).
                    Some(false) | None => {
                        heads.remove(&p.log_id);
                    }
                }
            }
            if cut.is_none() {
                break;
            }
        }
        // Tests leave a lease unreleased to see what a crash right here leaves behind.
        if !store.faults().has("skip-release") {
            store.release_logs(&claimed_json, &nonce).await?;
        }
        // Records accepted while we held the leases may have found their log busy: look once more.
        todo = store.logs_with_pending(&claimed_json).await?;
    }
    Ok(report)
}

/// Leaves a log out of this drain, saying why; its lease lapses and a later drain retries it.
fn skip(broken: &mut Vec<String>, log_id: &str, e: &ApiError) {
    worker::console_error!("sequence log {log_id}: {}", e.message);
    broken.push(log_id.to_string());
}

/// Commits the passes in one batch; if D1 refuses it, each pass alone, so one log's
/// failure costs only that log (`None`, and it is left out of the drain). Returns per pass
/// whether it won its log, and the rows written (all, and the trees').
async fn commit(
    store: &Store,
    passes: &[Pass],
    nonce: &str,
    now: &str,
    now_ms: u64,
    broken: &mut Vec<String>,
) -> Result<(Vec<Option<bool>>, u64, u64), ApiError> {
    let appends: Vec<Append<'_>> = passes
        .iter()
        .map(|p| p.append(nonce, now, now_ms))
        .collect();
    let failure = match store.commit_appends(&appends).await {
        Ok(c) => {
            let won = c.won.into_iter().map(Some).collect();
            return Ok((won, c.rows_written, c.tree_rows_written));
        }
        Err(e) => append_error(e),
    };
    if appends.len() == 1 {
        skip(broken, appends[0].log_id, &failure);
        return Ok((vec![None], 0, 0));
    }
    let (mut out, mut rows, mut tree) = (Vec::with_capacity(appends.len()), 0, 0);
    for a in &appends {
        match store.commit_appends(std::slice::from_ref(a)).await {
            Ok(c) => {
                out.push(c.won.first().copied());
                rows += c.rows_written;
                tree += c.tree_rows_written;
            }
            Err(e) => {
                skip(broken, a.log_id, &append_error(e));
                out.push(None);
            }
        }
    }
    Ok((out, rows, tree))
}

/// A refused commit as the drain logs it.
fn append_error(e: WriteError) -> ApiError {
    match e {
        WriteError::Other(e) => e,
        WriteError::Check | WriteError::Unique(_) => ApiError::internal("append", "constraint"),
    }
}

/// One log's pass, computed; turned into an [`Append`] for the commit batch.
struct Pass {
    log_id: String,
    tenant_id: String,
    environment: String,
    old_size: u64,
    next: LogHead,
    lease_until_ms: u64,
    first_pos: u64,
    end_pos: u64,
    verified: Vec<Verified>,
    failed: Vec<(String, String)>,
    failed_months: Vec<FailedMonth>,
    credits: (i64, i64),
    tiles: Vec<(u8, u64, Vec<u8>)>,
    events: Vec<NewEvent>,
}

impl Pass {
    fn append<'a>(&'a self, nonce: &'a str, now: &'a str, now_ms: u64) -> Append<'a> {
        Append {
            log_id: &self.log_id,
            tenant_id: &self.tenant_id,
            environment: &self.environment,
            nonce,
            old_size: self.old_size,
            new_size: self.next.size(),
            root: self.next.root().to_hex(),
            balance: self.next.balance.to_string(),
            balance_split: split(self.next.balance.nanos()),
            credits: self.credits,
            frontier: self.next.frontier.to_bytes(),
            lease_until_ms: self.lease_until_ms,
            first_pos: self.first_pos,
            end_pos: self.end_pos,
            verified: &self.verified,
            failed: &self.failed,
            failed_months: &self.failed_months,
            tiles: &self.tiles,
            events: &self.events,
            now,
            now_ms,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pass(
    row: &LogRow,
    head: &LogHead,
    pending: &[PendingRow],
    now: &str,
    now_ms: u64,
    complete: bool,
    webhooks: bool,
) -> Result<Pass, ApiError> {
    let mut next = head.clone();
    let inputs: Vec<Pending<'_>> = pending
        .iter()
        .map(|p| Pending {
            item: &p.item,
            item_hash: &p.item_hash,
            amount: &p.amount,
        })
        .collect();
    let (outcomes, tiles) = next.append(&inputs);
    let mut out = Pass {
        log_id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        environment: row.environment.clone(),
        old_size: head.size(),
        lease_until_ms: if complete { 0 } else { now_ms + LEASE_MS },
        // Pending rows come in acceptance order, a prefix of the log's pending positions.
        first_pos: pending.first().map_or(0, |p| p.log_pos),
        end_pos: pending.last().map_or(0, |p| p.log_pos + 1),
        verified: Vec::new(),
        failed: Vec::new(),
        failed_months: Vec::new(),
        credits: (row.credits_units, row.credits_nanos),
        tiles: tiles
            .iter()
            .map(|t| (t.id.level, t.id.index, t.to_bytes()))
            .collect(),
        events: Vec::new(),
        next,
    };
    for (p, outcome) in pending.iter().zip(&outcomes) {
        match outcome {
            Outcome::Appended(entry, hash) => {
                // The core checked the item carries this amount before appending it.
                let delta = Amount::parse(&p.amount).map_or(0, Amount::nanos);
                if delta > 0 {
                    let (units, nanos) = split(delta);
                    out.credits = (out.credits.0 + units, out.credits.1 + nanos);
                }
                out.verified.push(Verified {
                    record: RecordContent {
                        id: p.id.clone(),
                        item: p.item.clone(),
                        item_hash: p.item_hash.clone(),
                        received_at: p.received_at.clone(),
                        amount: p.amount.clone(),
                        reason: p.reason.clone(),
                        reference_id: p.reference_id.clone(),
                        submission_id: p.submission_id.clone(),
                        idx: p.idx,
                        kind: p.kind.clone(),
                    },
                    pos: p.log_pos,
                    seq: entry.seq,
                    entry_hash: hash.to_hex(),
                    balance_after: entry.balance_after.to_string(),
                    credits: out.credits,
                })
            }
            Outcome::Failed(reason) => {
                out.failed.push((p.id.clone(), reason.clone()));
                count_failed(&mut out.failed_months, p);
            }
        }
        if webhooks {
            out.events.push(delta_event(row, p, outcome, now)?);
        }
    }
    Ok(out)
}

/// Adds a failed record to the counters of its month of receipt.
fn count_failed(months: &mut Vec<FailedMonth>, p: &PendingRow) {
    let period = p.received_at.get(..7).unwrap_or_default();
    let (units, nanos) = split(Amount::parse(&p.amount).map_or(0, Amount::nanos));
    match months.iter_mut().find(|m| m.period == period) {
        Some(m) => {
            m.count += 1;
            m.units += units;
            m.nanos += nanos;
        }
        None => months.push(FailedMonth {
            period: period.to_string(),
            count: 1,
            units,
            nanos,
        }),
    }
}

/// Drains up to `max_logs` logs that have waiting records and a free lease (the cron sweep).
/// Each sweep starts after the last log the previous one took, wrapping around, so every
/// waiting log gets its turn however many there are.
pub async fn sweep(store: &Store, max_logs: u32) -> Result<Report, ApiError> {
    let now_ms = clock::now_ms();
    let after = store.sweep_cursor().await?;
    let mut logs = store.logs_needing_work(now_ms, &after, max_logs).await?;
    if (logs.len() as u32) < max_logs && !after.is_empty() {
        let rest = max_logs - logs.len() as u32;
        let wrapped = store.logs_needing_work(now_ms, "", rest).await?;
        logs.extend(wrapped.into_iter().filter(|l| l.as_str() <= after.as_str()));
    }
    store
        .set_sweep_cursor(logs.last().map_or("", String::as_str))
        .await?;
    drain_many(store, &logs).await
}
