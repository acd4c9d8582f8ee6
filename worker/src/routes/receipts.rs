//! Receipts: a customer's records in a scope, each with its inclusion proof
//! under the signed checkpoint of that scope (`/receipt/:customerId`, and the
//! deprecated alias `/invoice-proof/:customerId` the SDK calls with a period);
//! one record's receipt and a submission's receipt (`/receipts/:id`).

use serde_json::{json, Value};
use vericord_core::merkle::{inclusion_plan, root_plan, MemoryTree, ProofPlan};
use vericord_core::{Amount, Hash};
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::auth::authenticate;
use crate::checkpointing::{self, checkpoint_json};
use crate::proofs::{hex, TreeReader};
use crate::query::{self, Query};
use crate::routes::checkpoints::{base_url, customer_log};
use crate::routes::views::status_of;
use crate::scope::{self, Resolved, ScopeInput};
use crate::signing;
use crate::store::{RecordRow, Store};
use crate::{clock, ids, sequencer, AppState};

fn amount(text: Option<&str>) -> Value {
    text.and_then(|t| Amount::parse(t).ok())
        .and_then(|a| serde_json::to_value(number(a)).ok())
        .unwrap_or(Value::Null)
}

fn entry_json(r: &RecordRow, proof: &[Hash], now_ms: u64) -> Value {
    json!({
        "recordId": r.id,
        "anchorId": r.submission_id,
        "sequenceNumber": r.seq,
        "status": status_of(r, now_ms),
        "delta": amount(Some(&r.amount)),
        "reason": r.reason,
        "referenceId": r.reference_id,
        "receivedAt": r.received_at,
        "item": serde_json::from_str::<Value>(&r.item).unwrap_or(Value::Null),
        "itemHash": r.item_hash,
        "entryHash": r.entry_hash,
        "balanceAfter": amount(r.balance_after.as_deref()),
        "proof": hex(proof),
    })
}

pub async fn customer_receipt(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::from_env(&ctx.env)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = &query::param(&ctx, "customerId");
    let input = ScopeInput {
        period: q.get("period").map(String::from),
        time_preset: q.get("timePreset").map(String::from),
        start_date: q.get("startDate").map(String::from),
        end_date: q.get("endDate").map(String::from),
        starting_checkpoint: None,
    };
    let Resolved::Time(scope) = scope::resolve(&input, now_ms)? else {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            None,
            "a receipt needs a time scope",
        ));
    };
    let limit = q.int("limit", 100, 1, 1000)?;
    let offset = q.int("offset", 0, 0, u64::from(u32::MAX))?;
    let keys = signing::keys(&ctx.env)?;
    let log = customer_log(&store, &caller, customer_id, q.get("vendorAccountId")).await?;
    sequencer::drain(&store, &log.id).await?;
    let log = customer_log(&store, &caller, customer_id, q.get("vendorAccountId")).await?;
    let (checkpoint, _) = checkpointing::create(&store, &keys, &log, &scope).await?;
    let (start, size) = (checkpoint.start_size, checkpoint.size);
    let records = store
        .entries(&log.id, start + offset, size, limit as u32, 0)
        .await?;
    // Boundary entries prove the opening and closing balances.
    let opening = if start > 0 {
        store.entry(&log.id, start - 1).await?
    } else {
        None
    };
    let closing = if size > 0 {
        store.entry(&log.id, size - 1).await?
    } else {
        None
    };
    let seqs: Vec<u64> = records
        .iter()
        .chain(&opening)
        .chain(&closing)
        .filter_map(|r| r.seq)
        .collect();
    let plans: Vec<ProofPlan> = seqs
        .iter()
        .map(|&s| inclusion_plan(s, size))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::internal("plan", e))?;
    let mut refs: Vec<&ProofPlan> = plans.iter().collect();
    let root_p = root_plan(size);
    refs.push(&root_p);
    let tree = TreeReader::load(&store, &log, &refs).await?;
    if tree.root(size)?.to_hex() != checkpoint.root {
        return Err(ApiError::internal(
            "receipt",
            "tree root differs from the checkpoint",
        ));
    }
    let mut proofs = plans.iter().map(|p| tree.assemble(p));
    let mut rows = Vec::with_capacity(records.len());
    for r in &records {
        rows.push(entry_json(
            r,
            &proofs.next().transpose()?.unwrap_or_default(),
            now_ms,
        ));
    }
    let boundary = |r: &Option<RecordRow>,
                    proofs: &mut dyn Iterator<Item = Result<Vec<Hash>, ApiError>>|
     -> Result<Value, ApiError> {
        Ok(match r {
            Some(r) => entry_json(r, &proofs.next().transpose()?.unwrap_or_default(), now_ms),
            None => Value::Null,
        })
    };
    let opening_json = boundary(&opening, &mut proofs)?;
    let closing_json = boundary(&closing, &mut proofs)?;
    let base = base_url(&req);
    let view = checkpoint_json(&checkpoint, &log, &keys, base.as_deref());
    let (pending, failed) = store.unsequenced(&log.id).await?;
    let net = Amount::parse(&checkpoint.closing)
        .ok()
        .zip(Amount::parse(&checkpoint.opening).ok())
        .and_then(|(c, o)| c.checked_sub(o));
    let data = json!({
            "customerId": log.subject_id,
            "customerReference": log.id,
            "vendorAccountId": log.vendor_account_id,
            "period": view["period"],
            "scope": {"label": scope.label, "startDate": scope.start(), "endDate": scope.end()},
            "generatedAt": clock::rfc3339(now_ms),
            "receiptId": checkpoint.root,
            "proofRoot": checkpoint.root,
            "itemsRoot": checkpoint.root,
            "checkpointId": checkpoint.id,
            "deltaCount": checkpoint.count,
            "deltasCount": checkpoint.count,
            "startingBalance": view["openingBalance"],
            "finalBalance": view["closingBalance"],
            "netChange": net.map(number),
            "checkpoint": view,
            "deltas": rows,
            "boundaries": {"opening": opening_json, "closing": closing_json},
            "pagination": {"limit": limit, "offset": offset, "total": checkpoint.count},
            "pendingRecords": pending,
            "failedRecords": failed,
            "verification": {"verifierKeys": keys.trusted(), "treeSize": size, "algorithm": "RFC 9162 tree, keccak256 sorted-pair nodes (docs/SPEC.md)"},
            "verifyUrl": view["verifyUrl"],
            "verificationApiUrl": view["verificationApiUrl"],
            "accessHint": null,
            "customerLinkUrl": null,
            "customerLinkHost": null,
    });
    // receipt.generated: an outbox event when the tenant has webhooks.
    if store.has_webhooks(&log.tenant_id, &log.environment).await? {
        let id = ids::new_id("evt_")?;
        let now = clock::rfc3339(now_ms);
        let summary = json!({"customerId": data["customerId"], "customerReference": data["customerReference"], "period": data["period"],
            "receiptId": data["receiptId"], "checkpointId": data["checkpointId"], "deltaCount": data["deltaCount"],
            "startingBalance": data["startingBalance"], "finalBalance": data["finalBalance"], "verifyUrl": data["verifyUrl"]});
        let body = json!({"id": id, "event": "receipt.generated", "timestamp": now, "createdAt": now, "tenantId": log.tenant_id, "data": summary});
        store
            .insert_event(
                &log.tenant_id,
                &log.environment,
                &id,
                "receipt.generated",
                &body.to_string(),
                &now,
            )
            .await?;
        ctx.data.dispatch_after();
    }
    ok(&data, 200)
}

/// `GET /api/v1/balance/receipts/:id`: a record (`rec_…`) or a submission (its `receiptId`/`itemsRoot`).
pub async fn receipt(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::from_env(&ctx.env)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let id = &query::param(&ctx, "id");
    if id.starts_with("rec_") {
        return record_receipt(&req, &ctx, &store, &caller, id, now_ms).await;
    }
    let root: Hash = id
        .parse()
        .map_err(|_| ApiError::not_found("RECEIPT_NOT_FOUND", "no receipt with this id"))?;
    let Some(sub) = store
        .submission_by_root(&caller.tenant_id, caller.env(), &root.to_hex())
        .await?
    else {
        return Err(ApiError::not_found(
            "RECEIPT_NOT_FOUND",
            "no receipt with this id",
        ));
    };
    let rows = store.submission_records(&sub.id).await?;
    let leaves: Vec<Hash> = rows
        .iter()
        .filter_map(|r| r.item_hash.parse().ok())
        .collect();
    let tree = MemoryTree::new(leaves);
    let items: Vec<Value> = rows
        .iter()
        .zip(0u64..)
        .map(|(r, i)| {
            let proof = tree.inclusion_proof(i, tree.len()).unwrap_or_default();
            let mut v = entry_json(r, &proof, now_ms);
            v["itemIndex"] = i.into();
            v
        })
        .collect();
    ok(
        &json!({
            "receiptId": sub.items_root,
            "itemsRoot": sub.items_root,
            "anchorId": sub.id,
            "kind": sub.kind,
            "itemCount": sub.item_count,
            "verified": tree.root().root.to_hex() == sub.items_root,
            "receivedAt": sub.received_at,
            "items": items,
        }),
        200,
    )
}

async fn record_receipt(
    req: &Request,
    ctx: &RouteContext<AppState>,
    store: &Store,
    caller: &crate::auth::Caller,
    id: &str,
    now_ms: u64,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("RECORD_NOT_FOUND", "no record with this id");
    let (auth_read, _) = store.rows();
    let mut row = store
        .record(&caller.tenant_id, caller.env(), id)
        .await?
        .ok_or_else(not_found)?;
    if row.seq.is_none() && row.failed_reason.is_none() {
        sequencer::drain(store, &row.log_id).await?;
        row = store
            .record(&caller.tenant_id, caller.env(), id)
            .await?
            .ok_or_else(not_found)?;
    }
    let status = status_of(&row, now_ms);
    let Some(seq) = row.seq else {
        return ok(
            &json!({"recordId": row.id, "status": status, "failedReason": row.failed_reason, "proof": null}),
            200,
        );
    };
    let keys = signing::keys(&ctx.env)?;
    let log = store
        .log_head(&caller.tenant_id, caller.env(), &row.log_id)
        .await?
        .ok_or_else(not_found)?;
    // Proven under the first checkpoint that contains it, else under a new one for its month.
    let checkpoint = match store.checkpoint_covering(&log.id, seq).await? {
        Some(c) => c,
        None => {
            let month = row.received_at.get(..7).unwrap_or_default().to_string();
            let input = ScopeInput {
                period: Some(month),
                ..ScopeInput::default()
            };
            let Resolved::Time(scope) = scope::resolve(&input, now_ms)? else {
                return Err(ApiError::internal("receipt", "scope"));
            };
            checkpointing::create(store, &keys, &log, &scope).await?.0
        }
    };
    let plan = inclusion_plan(seq, checkpoint.size).map_err(|e| ApiError::internal("plan", e))?;
    let (before_proof, _) = store.rows();
    let tree = TreeReader::load(store, &log, &[&plan]).await?;
    let (after_proof, _) = store.rows();
    let proof = tree.assemble(&plan)?;
    let base = base_url(req);
    let mut data = entry_json(&row, &proof, now_ms);
    data["customerId"] = row.subject_id.clone().into();
    data["customerReference"] = row.log_id.clone().into();
    data["receiptId"] = row.items_root.clone().into();
    data["treeSize"] = checkpoint.size.into();
    data["checkpoint"] = checkpoint_json(&checkpoint, &log, &keys, base.as_deref());
    data["verifierKeys"] = keys.trusted().into();
    let mut resp = ok(&data, 200)?;
    // D1's own accounting of this request, for benchmarks and operators.
    let (read, written) = store.rows();
    resp.headers_mut()
        .set("X-D1-Rows-Read", &read.to_string())
        .map_err(|e| ApiError::internal("header", e))?;
    resp.headers_mut()
        .set("X-D1-Rows-Written", &written.to_string())
        .map_err(|e| ApiError::internal("header", e))?;
    // The receipt itself, without authenticating the key: record, log head, checkpoint, tiles.
    resp.headers_mut()
        .set("X-D1-Rows-Read-Receipt", &(read - auth_read).to_string())
        .map_err(|e| ApiError::internal("header", e))?;
    // The inclusion proof alone: the tiles it needs (the partial ones come with the head).
    resp.headers_mut()
        .set(
            "X-D1-Rows-Read-Proof",
            &(after_proof - before_proof).to_string(),
        )
        .map_err(|e| ApiError::internal("header", e))?;
    Ok(resp)
}
