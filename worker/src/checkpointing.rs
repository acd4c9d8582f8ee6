//! Period boundaries and signed heads.
//!
//! A scope `[start, end)` of a log is the entries stamped in it: `size_before(start) ..
//! size_before(end)`. Stamps are given under the sequencer's lease and never decrease along
//! `seq`, so every scope is a contiguous range of sequence numbers and consecutive periods
//! tile the log. A stored checkpoint first raises the log's stamp floor to its end, so nothing
//! sequenced later can land before it (docs/SPEC.md §11). Opening and closing balances are
//! the `balanceAfter` of the entries just before each boundary, so a verifier can check them
//! with two inclusion proofs.

use vericord_core::merkle::{consistency_plan, root_plan};
use vericord_core::{Amount, Checkpoint, Hash};

use crate::api::{self, ApiError};
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

/// How the checkpoint of a scope is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Stored, one per log, label and size (an explicit checkpoint commit).
    Store,
    /// Stored unless the log has no entry by the scope's end (a month receipt): the empty
    /// tree's root names no log, so there is nothing worth resolving.
    StoreUnlessEmpty,
    /// Signed for this response only (a read over a custom range, whose labels are endless):
    /// only its root is registered, once per log size, for the public verify route.
    Sign,
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

/// The bounds of a scope in `head`. Sizes are clamped to the head as it was read: a pass that
/// commits in between adds entries the head (and so the tree reader) does not have yet.
pub async fn bounds(store: &Store, head: &LogRow, scope: &Scope) -> Result<Bounds, ApiError> {
    store.faults().stall("after-head").await;
    let start_size = store
        .size_before(&head.id, scope.start_ms)
        .await?
        .min(head.size);
    let size = store
        .size_before(&head.id, scope.end_ms)
        .await?
        .clamp(start_size, head.size);
    Ok(Bounds {
        start_size,
        size,
        opening: balance_at(store, &head.id, start_size).await?,
        closing: balance_at(store, &head.id, size).await?,
    })
}

/// The checkpoint text for a scope of a log, signed.
pub fn sign(
    keys: &Keys,
    log: &LogRow,
    label: &str,
    b: &Bounds,
    root: Hash,
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

/// A checkpoint of a scope, and whether this call stored it.
pub struct Signed {
    pub row: CheckpointRow,
    pub created: bool,
}

fn pending_error() -> ApiError {
    ApiError::new(
        409,
        "CHECKPOINT_PENDING",
        "records in this scope are still being sequenced; retry shortly",
    )
    .with_extra("retryAfterSeconds", 1.into())
    .with_header("Retry-After", "1".into())
}

/// Creates (or finds, for the same label and size) the checkpoint of a scope, kept as `keep`
/// says. Refuses (409, retryable) while records received before the scope's end wait.
pub async fn create(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    scope: &Scope,
    keep: Keep,
) -> Result<Signed, ApiError> {
    // A scope that runs to "now" runs to now as of this point, after any drain before it.
    let scope = &scope.as_of(clock::now_ms());
    if store.pending_before(&log.id, &scope.end()).await? > 0 {
        return Err(pending_error());
    }
    if keep != Keep::Sign {
        store.raise_stamp_floor(&log.id, scope.end_ms).await?;
    }
    let head = store
        .log_head(&log.tenant_id, &log.environment, &log.id)
        .await?
        .ok_or_else(|| ApiError::internal("checkpoint", "log head"))?;
    let b = bounds(store, &head, scope).await?;
    let stored = match keep {
        Keep::Store => true,
        Keep::StoreUnlessEmpty => b.size > 0,
        Keep::Sign => false,
    };
    if stored {
        if let Some(existing) = store
            .checkpoint_by_label(&head.id, &scope.label, b.size)
            .await?
        {
            return Ok(Signed {
                row: existing,
                created: false,
            });
        }
    }
    let row = build(store, keys, &head, scope, &b, stored).await?;
    if !stored {
        if row.size > 0 {
            store
                .insert_tree_head(&row.root, &row.log_id, row.size, &row.created_at)
                .await?;
        }
        return Ok(Signed {
            row,
            created: false,
        });
    }
    let (event_id, now) = (ids::new_id("evt_")?, &row.created_at);
    let body = serde_json::json!({
        "id": event_id, "event": "checkpoint.verified", "timestamp": now, "createdAt": now, "tenantId": head.tenant_id,
        "data": checkpoint_json(&row, &head, keys, None),
    })
    .to_string();
    let webhooks = store
        .has_webhooks(&head.tenant_id, &head.environment)
        .await?;
    let event = webhooks.then_some((event_id.as_str(), "checkpoint.verified", body.as_str()));
    match store.insert_checkpoint(&row, event).await {
        Ok(true) => Ok(Signed { row, created: true }),
        Ok(false) => store
            .checkpoint_by_label(&head.id, &scope.label, b.size)
            .await?
            .map(|row| Signed {
                row,
                created: false,
            })
            .ok_or_else(|| ApiError::internal("checkpoint", "vanished")),
        Err(WriteError::Other(e)) => Err(e),
        Err(_) => Err(ApiError::internal("checkpoint", "constraint")),
    }
}

/// The signed checkpoint of `head` for `scope` at `b`, with the consistency proof from the
/// log's latest stored checkpoint at or below it; `stored` gives it an id.
async fn build(
    store: &Store,
    keys: &Keys,
    head: &LogRow,
    scope: &Scope,
    b: &Bounds,
    stored: bool,
) -> Result<CheckpointRow, ApiError> {
    let previous = store.checkpoint_before(&head.id, b.size).await?;
    let prev_size = previous.as_ref().map_or(0, |p| p.size);
    let root_p = root_plan(b.size);
    let cons_p = consistency_plan(prev_size, b.size)
        .map_err(|e| ApiError::internal("consistency plan", e))?;
    let tree = TreeReader::load(store, head, &[&root_p, &cons_p]).await?;
    let root = tree.root(b.size)?;
    let proof = tree.assemble(&cons_p)?;
    let (_, note) = sign(keys, head, &scope.label, b, root)?;
    Ok(CheckpointRow {
        id: if stored {
            ids::new_id("chk_")?
        } else {
            String::new()
        },
        log_id: head.id.clone(),
        tenant_id: head.tenant_id.clone(),
        environment: head.environment.clone(),
        label: scope.label.clone(),
        start_ms: scope.start_ms,
        end_ms: scope.end_ms,
        closed: u8::from(scope.closes_period()),
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
            .map_or(Hash::ZERO.to_hex(), |p| p.root.clone()),
        previous_id: previous.map(|p| p.id),
        consistency_proof: serde_json::to_string(&hex(&proof))
            .map_err(|e| ApiError::internal("proof", e))?,
        created_at: clock::rfc3339(clock::now_ms()),
    })
}

/// A checkpoint signed for a response only, of `scope` ending at exactly `size` entries
/// (`size` ≤ the head's): what the public verify route shows for a registered tree head.
pub async fn transient(
    store: &Store,
    keys: &Keys,
    head: &LogRow,
    scope: &Scope,
    size: u64,
) -> Result<CheckpointRow, ApiError> {
    let size = size.min(head.size);
    let start_size = store.size_before(&head.id, scope.start_ms).await?.min(size);
    let b = Bounds {
        start_size,
        size,
        opening: balance_at(store, &head.id, start_size).await?,
        closing: balance_at(store, &head.id, size).await?,
    };
    build(store, keys, head, scope, &b, false).await
}

/// The public view of a checkpoint. `base_url` adds the verify links.
pub fn checkpoint_json(
    c: &CheckpointRow,
    log: &LogRow,
    keys: &Keys,
    base_url: Option<&str>,
) -> serde_json::Value {
    let proof: serde_json::Value =
        serde_json::from_str(&c.consistency_proof).unwrap_or(serde_json::Value::Null);
    // The empty tree's root names no log: nothing to link to.
    let link = |path: &str| {
        base_url
            .filter(|_| c.size > 0)
            .map(|b| format!("{b}{path}{}", c.root))
    };
    serde_json::json!({
        "checkpointId": (!c.id.is_empty()).then_some(&c.id),
        "stored": !c.id.is_empty(),
        "status": "VERIFIED",
        "customerId": log.subject_id,
        "customerReference": log.id,
        "vendorAccountId": log.vendor_account_id,
        "period": c.label,
        "periodStart": clock::rfc3339(c.start_ms),
        "periodEnd": clock::rfc3339(c.end_ms),
        "closed": c.closed == 1,
        "proofRoot": c.root,
        "merkleRoot": c.root,
        "treeSize": c.size,
        "startSize": c.start_size,
        "recordCount": c.count,
        "openingBalance": api::amount_json(&c.opening),
        "closingBalance": api::amount_json(&c.closing),
        "note": c.note,
        "origin": keys.origin(&c.environment, &c.log_id),
        "keyId": c.key_id,
        "previousCheckpointId": c.previous_id,
        "consistencyProof": {"fromSize": c.previous_size, "fromRoot": c.previous_root, "toSize": c.size, "proof": proof},
        "createdAt": c.created_at,
        "verifyUrl": link("/verify/"),
        "verificationApiUrl": link("/api/v1/verify/"),
    })
}
