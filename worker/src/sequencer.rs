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
use crate::store::{Append, LogRow, NewEvent, PendingRow, Store, Verified, WriteError};
use crate::{clock, ids};

/// How long a pass may hold a log before another sequencer may take it over.
pub const LEASE_MS: u64 = 30_000;
/// Records per pass (one D1 batch).
const PASS: u32 = 100;

/// What a drain did.
#[derive(Default, Debug)]
pub struct Report {
    pub appended: u64,
    pub failed: u64,
    pub passes: u64,
    pub rows_written: u64,
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

/// Sequences everything pending in one log, pass after pass, until none is left
/// or another sequencer holds the log.
pub async fn drain(store: &Store, log_id: &str) -> Result<Report, ApiError> {
    let mut report = Report::default();
    let nonce = ids::new_id("seq_")?;
    'claims: loop {
        let now_ms = clock::now_ms();
        let Some(row) = store
            .claim_log(log_id, &nonce, now_ms, now_ms + LEASE_MS)
            .await?
        else {
            return Ok(report); // someone else is working on it
        };
        let mut head = head_of(&row)?;
        let webhooks = store.has_webhooks(&row.tenant_id, &row.environment).await?;
        loop {
            let pending = store.pending_records(log_id, row.lease_upto, PASS).await?;
            if pending.is_empty() {
                break;
            }
            let old_size = head.size();
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
            let now_ms = clock::now_ms();
            let now = clock::rfc3339(now_ms);
            let mut append = Append {
                log_id,
                tenant_id: &row.tenant_id,
                environment: &row.environment,
                nonce: &nonce,
                old_size,
                new_size: next.size(),
                root: next.root().to_hex(),
                balance: next.balance.to_string(),
                frontier: next.frontier.to_bytes(),
                lease_until_ms: now_ms + LEASE_MS,
                verified: Vec::new(),
                failed: Vec::new(),
                tiles: tiles
                    .iter()
                    .map(|t| (t.id.level, t.id.index, t.to_bytes()))
                    .collect(),
                events: Vec::new(),
                now: &now,
                now_ms,
            };
            for (p, outcome) in pending.iter().zip(&outcomes) {
                match outcome {
                    Outcome::Appended(entry, hash) => append.verified.push(Verified {
                        id: p.id.clone(),
                        seq: entry.seq,
                        entry_hash: hash.to_hex(),
                        balance_after: entry.balance_after.to_string(),
                    }),
                    Outcome::Failed(reason) => append.failed.push((p.id.clone(), reason.clone())),
                }
                if webhooks {
                    append.events.push(delta_event(&row, p, outcome, &now)?);
                }
            }
            let committed = match store.commit_append(&append).await {
                Ok(c) => c,
                Err(WriteError::Other(e)) => return Err(e),
                Err(WriteError::Check | WriteError::Unique(_)) => {
                    return Err(ApiError::internal("append", "constraint"))
                }
            };
            report.passes += 1;
            report.rows_written += committed.rows_written;
            if !committed.won {
                return Ok(report); // lost the log to another sequencer: it carries on
            }
            report.appended += append.verified.len() as u64;
            report.failed += append.failed.len() as u64;
            head = next;
        }
        store.release_log(log_id, &nonce).await?;
        // A record accepted while we held the lease may have found the log busy: look once more.
        if !store.has_pending(log_id).await? {
            break 'claims;
        }
    }
    Ok(report)
}

/// Drains every log that has waiting records and a free lease (the cron sweep).
pub async fn sweep(store: &Store, max_logs: u32) -> Result<Report, ApiError> {
    let mut total = Report::default();
    for log_id in store.logs_needing_work(clock::now_ms(), max_logs).await? {
        let r = drain(store, &log_id).await?;
        total.appended += r.appended;
        total.failed += r.failed;
        total.passes += r.passes;
        total.rows_written += r.rows_written;
    }
    Ok(total)
}
