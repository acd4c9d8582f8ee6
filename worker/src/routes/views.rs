//! How stored records are shown: status derivation and the record JSON.

use serde_json::{json, Value};

use crate::api::amount_json;
use crate::store::RecordRow;

/// QUEUED → PROCESSING → VERIFIED | FAILED, derived from the row and its log's lease.
pub fn status_of(row: &RecordRow, now_ms: u64) -> &'static str {
    if row.failed_reason.is_some() {
        "FAILED"
    } else if row.seq.is_some() {
        "VERIFIED"
    } else if row.lease_until_ms > now_ms && row.log_pos.is_some_and(|p| p < row.lease_upto) {
        "PROCESSING"
    } else {
        "QUEUED"
    }
}

/// One status for a submission: FAILED if any failed, else the least advanced.
pub fn submission_status(statuses: &[&str]) -> &'static str {
    for s in ["FAILED", "QUEUED", "PROCESSING"] {
        if statuses.contains(&s) {
            return s;
        }
    }
    "VERIFIED"
}

/// The public view of a delta record. `item` is the exact hashed content, so
/// anyone can recompute `itemHash` from it.
pub fn record_view(row: &RecordRow, now_ms: u64) -> Value {
    let item: Value = serde_json::from_str(&row.item).unwrap_or(Value::Null);
    json!({
        "recordId": row.id,
        "anchorId": row.submission_id,
        "customerId": row.subject_id,
        "customerReference": row.log_id,
        "vendorAccountId": row.vendor_account_id,
        "delta": amount_json(&row.amount),
        "reason": row.reason,
        "referenceId": row.reference_id,
        "metadata": item.get("metadata"),
        "adjusts": item.get("adjusts"),
        "status": status_of(row, now_ms),
        "receiptId": row.items_root,
        "itemsRoot": row.items_root,
        "itemHash": row.item_hash,
        "itemIndex": row.idx,
        "receivedAt": row.received_at,
        "sequenceNumber": row.seq.map(|s| s.to_string()),
        "entryHash": row.entry_hash,
        "balanceAfter": row.balance_after.as_deref().map(amount_json),
        "verifiedAt": row.verified_at,
        // The sequencing stamp decides the record's period (docs/SPEC.md §11).
        "sequencedAt": row.stamp_ms.map(crate::clock::rfc3339),
        "failedReason": row.failed_reason,
        "txHash": null,
        "item": item,
    })
}
