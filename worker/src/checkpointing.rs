//! Period boundaries and signed heads.
//!
//! A scope `[start, end)` of a log is the entries `start_size .. size`, where
//! each size is one past the last verified record received before that time.
//! Opening and closing balances are the `balanceAfter` of the entries just
//! before each boundary, so a verifier can check them with two inclusion proofs.

use serde_json::{json, Value};
use vericord_core::merkle::{consistency_plan, root_plan};
use vericord_core::{Amount, Checkpoint};

use crate::api::{number, ApiError};
use crate::proofs::{hex, TreeReader};
use crate::scope::Scope;
use crate::signing::Keys;
use crate::store::{CheckpointRow, LogRow, Store, WriteError};
use crate::{clock, ids};

/// The entries a scope covers and the balances around them.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub start_size: u64,
    pub size: u64,
    pub opening: Amount,
    pub closing: Amount,
}

impl Bounds {
    pub fn count(&self) -> u64 {
        self.size - self.start_size
    }
}

/// Balance after the first `size` entries.
pub async fn balance_at(store: &Store, log_id: &str, size: u64) -> Result<Amount, ApiError> {
    if size == 0 {
        return Ok(Amount::ZERO);
    }
    let entry = store
        .entry(log_id, size - 1)
        .await?
        .ok_or_else(|| ApiError::internal("entry", "missing below the head"))?;
    let text = entry.balance_after.unwrap_or_default();
    Amount::parse(&text).map_err(|e| ApiError::internal("stored balance", e))
}

pub async fn bounds(store: &Store, log_id: &str, scope: &Scope) -> Result<Bounds, ApiError> {
    let start_size = store.size_at(log_id, &scope.start()).await?;
    let size = store.size_at(log_id, &scope.end()).await?.max(start_size);
    Ok(Bounds {
        start_size,
        size,
        opening: balance_at(store, log_id, start_size).await?,
        closing: balance_at(store, log_id, size).await?,
    })
}

/// The checkpoint text for a scope of a log, signed.
pub fn sign(
    keys: &Keys,
    log: &LogRow,
    label: &str,
    b: &Bounds,
    root: vericord_core::Hash,
) -> Result<(Checkpoint, String), ApiError> {
    let checkpoint = Checkpoint {
        origin: keys.origin(&log.environment, &log.id),
        size: b.size,
        root,
        period: label.to_string(),
        opening: b.opening,
        closing: b.closing,
        count: b.count(),
    };
    let note = checkpoint
        .sign(&keys.signer)
        .map_err(|e| ApiError::internal("sign checkpoint", e))?;
    Ok((checkpoint, note))
}

/// Creates (or finds, for the same resolved scope and size) the checkpoint of a scope.
/// Returns the row and whether it is new.
pub async fn create(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    scope: &Scope,
) -> Result<(CheckpointRow, bool), ApiError> {
    if store.pending_before(&log.id, &scope.end()).await? > 0 {
        return Err(ApiError::new(
            409,
            "CHECKPOINT_PENDING",
            "records in this scope are still being sequenced; retry shortly",
        )
        .with_extra("retryAfterSeconds", 1.into())
        .with_header("Retry-After", "1".into()));
    }
    let b = bounds(store, &log.id, scope).await?;
    let scope_key = format!("{}#{}", scope.label, b.size);
    if let Some(existing) = store.checkpoint_by_scope(&log.id, &scope_key).await? {
        return Ok((existing, false));
    }
    let previous = store.checkpoint_before(&log.id, b.size).await?;
    let prev_size = previous.as_ref().map_or(0, |p| p.size);
    let root_p = root_plan(b.size);
    let cons_p = consistency_plan(prev_size, b.size)
        .map_err(|e| ApiError::internal("consistency plan", e))?;
    let tree = TreeReader::load(store, log, &[&root_p, &cons_p]).await?;
    let root = tree.root(b.size)?;
    let proof = tree.assemble(&cons_p)?;
    let (_, note) = sign(keys, log, &scope.label, &b, root)?;
    let now = clock::rfc3339(clock::now_ms());
    let row = CheckpointRow {
        id: ids::new_id("chk_")?,
        log_id: log.id.clone(),
        tenant_id: log.tenant_id.clone(),
        environment: log.environment.clone(),
        scope: scope_key.clone(),
        start_size: b.start_size,
        size: b.size,
        root: root.to_hex(),
        opening: b.opening.to_string(),
        closing: b.closing.to_string(),
        count: b.count(),
        note,
        key_id: format!("{:08x}", keys.signer.key_id()),
        previous_size: prev_size,
        previous_root: previous
            .as_ref()
            .map_or(vericord_core::Hash::ZERO.to_hex(), |p| p.root.clone()),
        previous_id: previous.map(|p| p.id),
        consistency_proof: serde_json::to_string(&hex(&proof))
            .map_err(|e| ApiError::internal("proof", e))?,
        created_at: now.clone(),
    };
    let event_id = ids::new_id("evt_")?;
    let body = json!({
        "id": event_id, "event": "checkpoint.verified", "timestamp": now, "createdAt": now, "tenantId": log.tenant_id,
        "data": checkpoint_json(&row, log, keys, None),
    })
    .to_string();
    let webhooks = store.has_webhooks(&log.tenant_id, &log.environment).await?;
    let event = webhooks.then_some((event_id.as_str(), "checkpoint.verified", body.as_str()));
    match store.insert_checkpoint(&row, event).await {
        Ok(true) => Ok((row, true)),
        Ok(false) => store
            .checkpoint_by_scope(&log.id, &scope_key)
            .await?
            .map(|c| (c, false))
            .ok_or_else(|| ApiError::internal("checkpoint", "vanished")),
        Err(WriteError::Other(e)) => Err(e),
        Err(_) => Err(ApiError::internal("checkpoint", "constraint")),
    }
}

fn amount(text: &str) -> Value {
    Amount::parse(text)
        .ok()
        .and_then(|a| serde_json::to_value(number(a)).ok())
        .unwrap_or(Value::Null)
}

/// The public view of a checkpoint. `base_url` adds the verify links.
pub fn checkpoint_json(
    c: &CheckpointRow,
    log: &LogRow,
    keys: &Keys,
    base_url: Option<&str>,
) -> Value {
    let label = c
        .scope
        .rsplit_once('#')
        .map_or(c.scope.as_str(), |(l, _)| l);
    let proof: Value = serde_json::from_str(&c.consistency_proof).unwrap_or(Value::Null);
    json!({
        "checkpointId": c.id,
        "status": "VERIFIED",
        "customerId": log.subject_id,
        "customerReference": log.id,
        "vendorAccountId": log.vendor_account_id,
        "period": label,
        "proofRoot": c.root,
        "merkleRoot": c.root,
        "treeSize": c.size,
        "startSize": c.start_size,
        "recordCount": c.count,
        "openingBalance": amount(&c.opening),
        "closingBalance": amount(&c.closing),
        "note": c.note,
        "origin": keys.origin(&c.environment, &c.log_id),
        "keyId": c.key_id,
        "previousCheckpointId": c.previous_id,
        "consistencyProof": {"fromSize": c.previous_size, "fromRoot": c.previous_root, "toSize": c.size, "proof": proof},
        "createdAt": c.created_at,
        "verifyUrl": base_url.map(|b| format!("{b}/verify/{}", c.root)),
        "verificationApiUrl": base_url.map(|b| format!("{b}/api/v1/verify/{}", c.root)),
    })
}
