//! Public, keyless: `GET /api/v1/verify/:proofRoot` (the root is the
//! capability) and `GET /.well-known/vericord/keys` (what buyers pin).

use serde_json::{json, Value};
use vericord_core::merkle::{root_plan, MemoryTree};
use vericord_core::{Amount, Checkpoint, Hash};
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::proofs::TreeReader;
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::signing;
use crate::store::{RecordRow, Store};
use crate::{clock, AppState};

/// Most records listed by the public verify route.
const MAX_LISTED: u32 = 100;

fn amount(text: &str) -> Value {
    Amount::parse(text)
        .ok()
        .map(|a| serde_json::to_value(number(a)).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}

fn record_json(r: &RecordRow, now_ms: u64) -> Value {
    json!({"amount": amount(&r.amount), "reason": r.reason, "referenceId": r.reference_id, "status": status_of(r, now_ms).to_ascii_lowercase(),
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
    let store = Store::from_env(&ctx.env)?;
    if let Some(c) = store.checkpoint_by_root(&root_hex).await? {
        let keys = signing::keys(&ctx.env)?;
        let log = store
            .log_head(&c.tenant_id, &c.environment, &c.log_id)
            .await?
            .ok_or_else(|| ApiError::internal("verify", "log"))?;
        // Re-check everything the checkpoint claims: signature, root from the stored tree, boundaries.
        let note_ok = Checkpoint::verify(&c.note, &keys.trusted());
        let plan = root_plan(c.size);
        let tree = TreeReader::load(&store, &log, &[&plan]).await?;
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
            "proofRoot": root_hex,
            "kind": "checkpoint",
            "checkpointId": c.id,
            "customerReference": log.id,
            "period": c.scope.rsplit_once('#').map_or(c.scope.as_str(), |(l, _)| l),
            "recordedAt": c.created_at,
            "summary": {
                "recordCount": c.count,
                "netChange": Amount::parse(&c.closing).ok().zip(Amount::parse(&c.opening).ok()).and_then(|(a, b)| a.checked_sub(b)).map(number),
                "startingBalance": amount(&c.opening),
                "endingBalance": amount(&c.closing),
                "firstRecordAt": records.first().map(|r| r.received_at.clone()),
                "lastRecordAt": last.map(|r| r.received_at),
            },
            "records": records.iter().map(|r| record_json(r, now_ms)).collect::<Vec<_>>(),
            "verification": {
                "reference": c.root, "verificationReference": c.root, "note": c.note, "treeSize": c.size,
                "signature": note_ok.as_ref().map(|_| "valid").unwrap_or_else(|e| e.code()), "treeRootMatches": tree_ok,
                "verifierKeys": keys.trusted(), "publicLedgerUrl": null, "verificationExplorerUrl": null,
            },
        });
        if let Value::Object(extra) =
            recorded_by(&store, &log.tenant_id, log.vendor_account_id.as_deref()).await?
        {
            data.as_object_mut()
                .into_iter()
                .for_each(|d| d.extend(extra.clone()));
        }
        return ok(&data, 200);
    }
    if let Some(sub) = store.submission_by_root_any(&root_hex).await? {
        let rows = store.submission_records(&sub.id).await?;
        let items_ok = rows
            .iter()
            .all(|r| vericord_core::record::item_hash_canonical(&r.item).to_hex() == r.item_hash);
        let tree = MemoryTree::new(
            rows.iter()
                .filter_map(|r| r.item_hash.parse().ok())
                .collect(),
        );
        let mut net = Amount::ZERO;
        rows.iter()
            .filter_map(|r| Amount::parse(&r.amount).ok())
            .for_each(|a| net = net.checked_add(a).unwrap_or(net));
        return ok(
            &json!({
                "verified": items_ok && tree.root().root == root && rows.len() as u64 == u64::from(sub.item_count),
                "proofRoot": root_hex,
                "kind": "submission",
                "anchorId": sub.id,
                "recordedAt": sub.received_at,
                "summary": {"recordCount": rows.len(), "netChange": number(net), "firstRecordAt": sub.received_at, "lastRecordAt": sub.received_at},
                "records": rows.iter().take(MAX_LISTED as usize).map(|r| record_json(r, now_ms)).collect::<Vec<_>>(),
                "verification": {"reference": root_hex, "itemHashes": rows.iter().map(|r| r.item_hash.clone()).collect::<Vec<_>>()},
            }),
            200,
        );
    }
    Err(ApiError::not_found(
        "PROOF_ROOT_NOT_FOUND",
        "no checkpoint or receipt has this root",
    ))
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
