//! Public, keyless: `GET /api/v1/verify/:proofRoot` (the root is the
//! capability) and `GET /.well-known/vericord/keys` (what buyers pin).

use serde_json::{json, Value};
use vericord_core::merkle::{root_plan, MemoryTree};
use vericord_core::{Amount, Checkpoint, Hash};
use worker::{Request, Response, RouteContext};

use crate::api::{amount_json, number, ok, ApiError};
use crate::checkpointing;
use crate::proofs::TreeReader;
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::scope::Scope;
use crate::signing;
use crate::signing::Keys;
use crate::store::{CheckpointRow, RecordRow, Store, SubmissionRow};
use crate::{clock, AppState};

/// Most records listed by the public verify route.
const MAX_LISTED: u32 = 100;

fn record_json(r: &RecordRow, now_ms: u64) -> Value {
    json!({"amount": amount_json(&r.amount), "reason": r.reason, "referenceId": r.reference_id, "status": status_of(r, now_ms).to_ascii_lowercase(),
           "time": r.received_at, "recordId": r.id, "itemHash": r.item_hash, "sequenceNumber": r.seq})
}

/// Buyer-facing identity: the vendor account for middleware records, never the parent tenant.
async fn recorded_by(
    store: &Store,
    tenant_id: &str,
    vendor: Option<&str>,
) -> Result<Value, ApiError> {
    Ok(match vendor {
        Some(v) => match store.vendor_account(tenant_id, v).await? {
            Some(a) => {
                json!({"tenant": {"name": a.display_name}, "recordedBy": {"type": "middleware_vendor_account", "id": a.id, "displayName": a.display_name}})
            }
            None => Value::Null,
        },
        None => match store.tenant(tenant_id).await? {
            Some(t) => {
                json!({"tenant": {"name": t.name}, "recordedBy": {"type": "tenant", "displayName": t.name}})
            }
            None => Value::Null,
        },
    })
}

pub async fn verify(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let q = Query::of(&req)?;
    let raw = &query::param(&ctx, "proofRoot");
    let root: Hash = raw.parse().map_err(|_| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("proofRoot".into()),
            "must be 0x followed by 64 hex digits",
        )
    })?;
    let root_hex = root.to_hex();
    match q.get("source").unwrap_or("db") {
        "db" => {}
        "chain" | "both" => {
            return ok(
                &json!({"verified": false, "proofRoot": root_hex, "source": q.get("source"),
                              "message": "this deployment does not anchor roots on a chain; use source=db"}),
                200,
            )
        }
        _ => {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("source".into()),
                "must be db, chain or both",
            ))
        }
    }
    // The empty tree's root is every log's before its first entry: it names no one.
    if root == Hash::ZERO {
        return Err(not_found());
    }
    let store = Store::of(&ctx)?;
    let keys = signing::keys(&ctx.env)?;
    let checkpoint = match store.checkpoint_by_root(&root_hex).await? {
        Some(c) => Some(c),
        None => match store.tree_head(&root_hex).await? {
            Some(h) => head_checkpoint(&store, &keys, &h.log_id, h.size).await?,
            None => None,
        },
    };
    if let Some(c) = checkpoint {
        return checkpoint_answer(&store, &keys, c, now_ms).await;
    }
    if let Some(sub) = store.submission_by_root_any(&root_hex).await? {
        return submission_answer(&store, &sub, root).await;
    }
    Err(not_found())
}

fn not_found() -> ApiError {
    ApiError::not_found(
        "PROOF_ROOT_NOT_FOUND",
        "no checkpoint or receipt has this root",
    )
}

/// A root handed out by a receipt over a custom range (no stored checkpoint): the signed
/// checkpoint of the month its last entry was sequenced in, at that size.
async fn head_checkpoint(
    store: &Store,
    keys: &Keys,
    log_id: &str,
    size: u64,
) -> Result<Option<CheckpointRow>, ApiError> {
    let Some(log) = store.log_head_any(log_id).await? else {
        return Ok(None);
    };
    let Some(last) = store.entry(log_id, size - 1).await? else {
        return Ok(None);
    };
    let label = clock::month(last.stamp_ms.unwrap_or(0));
    let (start, _) =
        clock::month_range(&label).ok_or_else(|| ApiError::internal("verify", "month"))?;
    let start_ms = crate::scope::parse_time(&start, "period")?;
    let end_ms = last.stamp_ms.unwrap_or(0) + 1;
    let scope = Scope {
        label,
        start_ms,
        end_ms,
        until_ms: end_ms,
    };
    checkpointing::transient(store, keys, &log, &scope, size)
        .await
        .map(Some)
}

async fn checkpoint_answer(
    store: &Store,
    keys: &Keys,
    c: CheckpointRow,
    now_ms: u64,
) -> Result<Response, ApiError> {
    let log = store
        .log_head(&c.tenant_id, &c.environment, &c.log_id)
        .await?
        .ok_or_else(|| ApiError::internal("verify", "log"))?;
    // Re-check everything the checkpoint claims: signature, root from the stored tree, boundaries.
    let note_ok = Checkpoint::verify(&c.note, &keys.trusted());
    let plan = root_plan(c.size);
    let tree = TreeReader::load(store, &log, &[&plan]).await?;
    let tree_ok = tree.root(c.size)?.to_hex() == c.root;
    let records = store
        .entries(&log.id, c.start_size, c.size, MAX_LISTED, 0)
        .await?;
    let last = if c.count > 0 {
        store.entry(&log.id, c.size - 1).await?
    } else {
        None
    };
    let signed = note_ok
        .as_ref()
        .map(|cp| cp.root.to_hex() == c.root && cp.size == c.size)
        .unwrap_or(false);
    let mut data = json!({
        "verified": signed && tree_ok,
        "proofRoot": c.root,
        "kind": "checkpoint",
        "checkpointId": (!c.id.is_empty()).then_some(&c.id),
        "customerReference": log.id,
        "period": c.label,
        "recordedAt": c.created_at,
        "summary": {
            "recordCount": c.count,
            "netChange": Amount::parse(&c.closing).ok().zip(Amount::parse(&c.opening).ok()).and_then(|(a, b)| a.checked_sub(b)).map(number),
            "startingBalance": amount_json(&c.opening),
            "endingBalance": amount_json(&c.closing),
            "firstRecordAt": records.first().map(|r| r.received_at.clone()),
            "lastRecordAt": last.map(|r| r.received_at),
        },
        "records": records.iter().map(|r| record_json(r, now_ms)).collect::<Vec<_>>(),
        "verification": {
            "reference": c.root, "verificationReference": c.root, "note": c.note, "treeSize": c.size,
            "signature": note_ok.as_ref().map(|_| "valid").unwrap_or_else(|e| e.code()), "treeRootMatches": tree_ok,
            "verifierKeys": keys.trusted(), "publicLedgerUrl": null, "verificationExplorerUrl": null,
        },
        // Only the signed note is evidence; these are the server's word (docs/SPEC.md §8).
        "unsigned": ["records", "summary.firstRecordAt", "summary.lastRecordAt", "tenant", "recordedBy"],
    });
    if let Value::Object(extra) =
        recorded_by(store, &log.tenant_id, log.vendor_account_id.as_deref()).await?
    {
        data.as_object_mut()
            .into_iter()
            .for_each(|d| d.extend(extra.clone()));
    }
    ok(&data, 200)
}

/// A submission's root (a receipt id) covers records of several customers: its public answer
/// proves the root from the item hashes and says nothing of any record (the item hashes bind
/// random record ids, so they disclose nothing). Its content is for the tenant's API key
/// (`GET /api/v1/balance/receipts/:receiptId`).
async fn submission_answer(
    store: &Store,
    sub: &SubmissionRow,
    root: Hash,
) -> Result<Response, ApiError> {
    let rows = store.submission_records(&sub.id).await?;
    let items_ok = rows
        .iter()
        .all(|r| vericord_core::record::item_hash_canonical(&r.item).to_hex() == r.item_hash);
    let hashes: Vec<Hash> = rows
        .iter()
        .filter_map(|r| r.item_hash.parse().ok())
        .collect();
    let tree = MemoryTree::new(hashes);
    ok(
        &json!({
            "verified": items_ok && tree.root().root == root && rows.len() as u64 == u64::from(sub.item_count),
            "proofRoot": root.to_hex(),
            "kind": "submission",
            "anchorId": sub.id,
            "recordedAt": sub.received_at,
            "summary": {"recordCount": rows.len()},
            "verification": {"reference": root.to_hex(), "itemHashes": rows.iter().map(|r| r.item_hash.clone()).collect::<Vec<_>>()},
            "message": "a submission may span several customers; its records are shown to the tenant's API key at /api/v1/balance/receipts/<receiptId>",
        }),
        200,
    )
}

pub async fn keys(_req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let keys = signing::keys(&ctx.env)?;
    let entry = |vkey: &str, status: &str| {
        let mut parts = vkey.splitn(3, '+');
        let (name, id, key) = (parts.next(), parts.next(), parts.next());
        json!({"name": name, "keyId": id, "algorithm": "ed25519", "verifierKey": vkey, "encodedKey": key, "status": status})
    };
    let mut list = vec![entry(&keys.current, "current")];
    list.extend(keys.retired.iter().map(|k| entry(k, "retired")));
    ok(
        &json!({"name": keys.name, "format": "c2sp.org/signed-note verifier keys", "keys": list}),
        200,
    )
}
