//! Receipts: a customer's records in a scope, each with its inclusion proof
//! under the signed checkpoint of that scope (`/receipt/:customerId`, and the
//! deprecated alias `/invoice-proof/:customerId` the SDK calls with a period);
//! one record's receipt and a submission's receipt (`/receipts/:id`).

use serde_json::{json, Value};
use vericord_core::merkle::{inclusion_plan, root_plan, MemoryTree, ProofPlan};
use vericord_core::{Amount, Hash};
use worker::{Request, Response, RouteContext};

use crate::api::{amount_json, number, ok, ApiError};
use crate::auth::caller;
use crate::checkpointing::{self, checkpoint_json, Keep};
use crate::lookup::find_customer_log;
use crate::proofs::{hex, TreeReader};
use crate::query::{self, Query};
use crate::routes::checkpoints::base_url;
use crate::routes::views::status_of;
use crate::scope::{self, Resolved, ScopeInput};
use crate::signing;
use crate::store::{RecordRow, Store};
use crate::{clock, ids, sequencer, AppState};

fn entry_json(r: &RecordRow, proof: &[Hash], now_ms: u64) -> Value {
    json!({
        "recordId": r.id,
        "anchorId": r.submission_id,
        "sequenceNumber": r.seq,
        "status": status_of(r, now_ms),
        "delta": amount_json(&r.amount),
        "reason": r.reason,
        "referenceId": r.reference_id,
        "receivedAt": r.received_at,
        "sequencedAt": r.stamp_ms.map(clock::rfc3339),
        "item": serde_json::from_str::<Value>(&r.item).unwrap_or(Value::Null),
        "itemHash": r.item_hash,
        "entryHash": r.entry_hash,
        "balanceAfter": r.balance_after.as_deref().map_or(Value::Null, amount_json),
        "proof": hex(proof),
    })
}

pub async fn customer_receipt(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = &query::param(&ctx, "customerId");
    let input = ScopeInput {
        starting_checkpoint: None,
        ..ScopeInput::from_query(&q)
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
    let log = find_customer_log(&store, &caller, customer_id, q.get("vendorAccountId")).await?;
    sequencer::drain_waiting(&store, &log).await?;
    // A month's checkpoint is stored (once per size: a read cannot grow the database faster
    // than records arrive); a custom range, whose labels are endless, is signed for this
    // response only.
    let keep = if clock::month_range(&scope.label).is_some() {
        Keep::StoreUnlessEmpty
    } else {
        Keep::Sign
    };
    let signed = checkpointing::create(&store, &keys, &log, &scope, keep).await?;
    let checkpoint = signed.row;
    let log = find_customer_log(&store, &caller, customer_id, q.get("vendorAccountId")).await?;
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
    let period_start = clock::rfc3339(checkpoint.start_ms);
    for r in &records {
        let mut v = entry_json(r, &proofs.next().transpose()?.unwrap_or_default(), now_ms);
        // Received before the period began but sequenced in it (docs/SPEC.md §11).
        v["receivedBeforePeriod"] = (r.received_at < period_start).into();
        rows.push(v);
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
    let (link_url, link_host, link_hint) =
        crate::links::receipt_fields(&store, &ctx.env, &req, &log.id).await?;
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
            "pendingRecords": log.pending(),
            "failedRecords": log.records_failed,
            "verification": {"verifierKeys": keys.trusted(), "treeSize": size, "algorithm": "RFC 9162 tree, keccak256 sorted-pair nodes (docs/SPEC.md)"},
            "verifyUrl": view["verifyUrl"],
            "verificationApiUrl": view["verificationApiUrl"],
            "accessHint": link_hint,
            "customerLinkUrl": link_url,
            "customerLinkHost": link_host,
    });
    // receipt.generated: an outbox event when the tenant has webhooks, once per stored
    // checkpoint (a repeated read generates nothing new; a custom range stores none).
    if !checkpoint.id.is_empty() && store.has_webhooks(&log.tenant_id, &log.environment).await? {
        let id = ids::new_id("evt_")?;
        let now = clock::rfc3339(now_ms);
        let summary = json!({"customerId": data["customerId"], "customerReference": data["customerReference"], "period": data["period"],
            "receiptId": data["receiptId"], "checkpointId": data["checkpointId"], "deltaCount": data["deltaCount"],
            "startingBalance": data["startingBalance"], "finalBalance": data["finalBalance"], "verifyUrl": data["verifyUrl"]});
        let body = json!({"id": id, "event": "receipt.generated", "timestamp": now, "createdAt": now, "tenantId": log.tenant_id, "data": summary});
        if store
            .insert_receipt_event(&checkpoint, &id, &body.to_string(), &now)
            .await?
        {
            ctx.data.dispatch_after();
        }
    }
    ok(&data, 200)
}

/// `GET /api/v1/balance/receipts/:id`: a record (`rec_…`) or a submission (its `receiptId`/`itemsRoot`).
pub async fn receipt(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
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
    // Proven under the first checkpoint that contains it, else under a new one for the month
    // of its period (the month its sequencing stamp falls in).
    let checkpoint = match store.checkpoint_covering(&log.id, seq).await? {
        Some(c) => c,
        None => {
            let month = clock::month(row.stamp_ms.unwrap_or(now_ms));
            let input = ScopeInput {
                period: Some(month),
                ..ScopeInput::default()
            };
            let Resolved::Time(scope) = scope::resolve(&input, now_ms)? else {
                return Err(ApiError::internal("receipt", "scope"));
            };
            checkpointing::create(store, &keys, &log, &scope, Keep::Store)
                .await?
                .row
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
    // Beside the request's own X-D1-Rows-Read (set for every response):
    let (read, _) = store.rows();
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
