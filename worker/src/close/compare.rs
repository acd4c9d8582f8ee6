//! A compare result (docs/SPEC.md §13): the entries between two checkpoints of one log with
//! the proof they are exactly those — the frontier at the earlier size, which folds to its
//! root, and the consistency proof to the later — and the differences in totals.

use serde_json::{json, Value};
use vericord_core::close_package::COMPARE_FORMAT;
use vericord_core::merkle::{consistency_plan, range_nodes, ProofPlan};
use vericord_core::Amount;

use super::identity::Recorder;
use super::pages::{Pager, Sums};
use crate::api::ApiError;
use crate::proofs::{hex, TreeReader};
use crate::signing::Keys;
use crate::store::{CheckpointRow, LogRow, Store};

/// Most entries a compare lists; a wider span is a close package per period.
pub const MAX_ENTRIES: u64 = 10_000;

fn amount(text: &str) -> Result<Amount, ApiError> {
    Amount::parse(text).map_err(|e| ApiError::internal("stored amount", e))
}

fn diff(a: &str, b: &str) -> Result<String, ApiError> {
    amount(b)?
        .checked_sub(amount(a)?)
        .map(|d| d.to_string())
        .ok_or_else(|| ApiError::internal("compare", "overflow"))
}

pub async fn compare(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    recorder: &Recorder,
    from: &CheckpointRow,
    to: &CheckpointRow,
) -> Result<Value, ApiError> {
    if from.size > to.size {
        return Err(ApiError::invalid(
            "COMPARE_ORDER",
            Some("from".into()),
            format!(
                "from ({} entries) must not be later than to ({} entries)",
                from.size, to.size
            ),
        ));
    }
    let entries = to.size - from.size;
    if entries > MAX_ENTRIES {
        return Err(ApiError::invalid(
            "COMPARE_TOO_WIDE",
            Some("to".into()),
            format!("{entries} entries lie between them; a compare lists at most {MAX_ENTRIES} (use a close package per period)"),
        ));
    }
    let plan_err = |e| ApiError::internal("compare plan", e);
    let cons_p = consistency_plan(from.size, to.size).map_err(plan_err)?;
    let front_p = ProofPlan::of_nodes(range_nodes(0, from.size));
    let tree = TreeReader::load(store, log, &[&cons_p, &front_p]).await?;
    let mut pager = Pager::new(&log.id, from.size, to.size);
    let mut records = Vec::with_capacity(entries as usize);
    let mut sums = Sums::default();
    while let Some(rows) = pager.next_page(store).await? {
        for r in rows {
            sums.add(&r.amount)?;
            let item: Value =
                serde_json::from_str(&r.item).map_err(|e| ApiError::internal("stored item", e))?;
            records.push(json!({"seq": r.seq, "item": item, "itemHash": r.item_hash, "balanceAfter": r.balance_after, "entryHash": r.entry_hash}));
        }
    }
    let count_diff = i128::from(to.count) - i128::from(from.count);
    Ok(json!({
        "format": COMPARE_FORMAT,
        "environment": log.environment,
        "customer": {"customerId": log.subject_id, "customerReference": log.id},
        "recordedBy": recorder.recorded_by(),
        "tenant": recorder.tenant(),
        "verifierKeys": keys.trusted(),
        "from": {"checkpointId": from.id, "note": from.note},
        "to": {"checkpointId": to.id, "note": to.note},
        "consistencyProof": hex(&tree.assemble(&cons_p)?),
        "range": {"start": from.size, "frontier": hex(&tree.assemble(&front_p)?)},
        "records": records,
        "differences": {
            "entries": entries,
            "balance": diff(&from.closing, &to.closing)?,
            "credits": sums.credits.to_string(),
            "debits": sums.debits.to_string(),
            "recordCount": i64::try_from(count_diff).unwrap_or(0),
            "opening": diff(&from.opening, &to.opening)?,
            "closing": diff(&from.closing, &to.closing)?,
        },
    }))
}
