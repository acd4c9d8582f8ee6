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

use crate::api::{number, ApiError};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::store::{Append, LogRow, NewEvent, PendingRow, Store, Verified, WriteError};
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

fn amount_json(text: &str) -> Value {
    Amount::parse(text)
        .ok()
        .and_then(|a| serde_json::to_value(number(a)).ok())
        .unwrap_or(Value::Null)
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

/// Records per commit, across all logs of a drain (one D1 batch).
const PASS_RECORDS: u32 = 200;
/// Claim rounds per drain: later arrivals are left to the next trigger.
const MAX_ROUNDS: usize = 20;

/// Sequences everything pending in one log.
pub async fn drain(store: &Store, log_id: &str) -> Result<Report, ApiError> {
    drain_many(store, &[log_id.to_string()]).await
}

fn ids_json(ids: &[String]) -> Result<String, ApiError> {
    serde_json::to_string(ids).map_err(|e| ApiError::internal("log ids", e))
}

/// Sequences everything pending in many logs with a few round trips whatever
/// their number: one claim, then per pass one read and one commit for all of
/// them, one release, one look for late arrivals. Logs another sequencer
/// holds are left to it.
pub async fn drain_many(store: &Store, log_ids: &[String]) -> Result<Report, ApiError> {
    let mut report = Report::default();
    let nonce = ids::new_id("seq_")?;
    let mut webhooks: HashMap<(String, String), bool> = HashMap::new();
    let mut todo: Vec<String> = log_ids.to_vec();
    todo.sort();
    todo.dedup();
    for _ in 0..MAX_ROUNDS {
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
        let claimed_ids: Vec<String> = claimed.iter().map(|l| l.id.clone()).collect();
        let claimed_json = ids_json(&claimed_ids)?;
        let mut heads: HashMap<String, (LogRow, LogHead)> = HashMap::new();
        for row in claimed {
            let head = head_of(&row)?;
            let key = (row.tenant_id.clone(), row.environment.clone());
            if let Entry::Vacant(v) = webhooks.entry(key) {
                v.insert(store.has_webhooks(&row.tenant_id, &row.environment).await?);
            }
            heads.insert(row.id.clone(), (row, head));
        }
        loop {
            let now_ms = clock::now_ms();
            let pending = store
                .pending_records(&claimed_json, &nonce, now_ms, PASS_RECORDS)
                .await?;
            if pending.is_empty() {
                break;
            }
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
                passes.push(pass(row, head, group, &now, now_ms, complete, hooks)?);
            }
            let appends: Vec<Append<'_>> = passes
                .iter()
                .map(|p| p.append(&nonce, &now, now_ms))
                .collect();
            let committed = match store.commit_appends(&appends).await {
                Ok(c) => c,
                Err(WriteError::Other(e)) => return Err(e),
                Err(WriteError::Check | WriteError::Unique(_)) => {
                    return Err(ApiError::internal("append", "constraint"))
                }
            };
            report.passes += 1;
            let mut next_heads = Vec::new();
            for (p, c) in passes.into_iter().zip(committed) {
                report.rows_written += c.rows_written;
                report.tree_rows_written += c.tree_rows_written;
                if c.won {
                    report.appended += p.verified.len() as u64;
                    report.failed += p.failed.len() as u64;
                    report.events += p.events.len() as u64;
                    next_heads.push((p.log_id, p.next));
                } else {
                    heads.remove(&p.log_id); // lost to another sequencer: it carries on
                }
            }
            for (id, next) in next_heads {
                if let Some(entry) = heads.get_mut(&id) {
                    entry.1 = next;
                }
            }
            if cut.is_none() {
                break;
            }
        }
        store.release_logs(&claimed_json, &nonce).await?;
        // Records accepted while we held the leases may have found their log busy: look once more.
        todo = store.logs_with_pending(&claimed_json).await?;
    }
    Ok(report)
}

/// One log's pass, computed; turned into an [`Append`] for the commit batch.
struct Pass {
    log_id: String,
    tenant_id: String,
    environment: String,
    old_size: u64,
    next: LogHead,
    lease_until_ms: u64,
    verified: Vec<Verified>,
    failed: Vec<(String, String)>,
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
            frontier: self.next.frontier.to_bytes(),
            lease_until_ms: self.lease_until_ms,
            verified: &self.verified,
            failed: &self.failed,
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
        verified: Vec::new(),
        failed: Vec::new(),
        tiles: tiles
            .iter()
            .map(|t| (t.id.level, t.id.index, t.to_bytes()))
            .collect(),
        events: Vec::new(),
        next,
    };
    for (p, outcome) in pending.iter().zip(&outcomes) {
        match outcome {
            Outcome::Appended(entry, hash) => out.verified.push(Verified {
                id: p.id.clone(),
                seq: entry.seq,
                entry_hash: hash.to_hex(),
                balance_after: entry.balance_after.to_string(),
            }),
            Outcome::Failed(reason) => out.failed.push((p.id.clone(), reason.clone())),
        }
        if webhooks {
            out.events.push(delta_event(row, p, outcome, now)?);
        }
    }
    Ok(out)
}

/// Drains every log that has waiting records and a free lease (the cron sweep).
pub async fn sweep(store: &Store, max_logs: u32) -> Result<Report, ApiError> {
    let logs = store.logs_needing_work(clock::now_ms(), max_logs).await?;
    drain_many(store, &logs).await
}
