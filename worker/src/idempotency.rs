//! `Idempotency-Key`: same key and body → the original response; in flight →
//! 202 `IDEMPOTENCY_PENDING`; another body → 409. Claims are leased, so a
//! request that crashed mid-way never blocks its key forever; each claim has its
//! own token, so the request whose lease a retry took over can no longer write.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Env, Request, Response};

use crate::api::{json_response, ApiError};
use crate::auth::Caller;
use crate::store::{Claim, IdemRow, Store};
use crate::{clock, ids};

/// How long a claim protects an in-flight request before a retry may take it over
/// (`IDEMPOTENCY_LEASE_MS` overrides it, for tests).
const LEASE_MS: u64 = 30_000;
/// How long a finished key replays its response; then it is pruned and may be used afresh.
pub const RETENTION_MS: u64 = 24 * 3_600_000;
const MAX_KEY_CHARS: usize = 255;

pub enum Outcome {
    /// Go ahead; complete the claim (if any) in the request's own write batch.
    Proceed(Option<Claim>),
    /// Answer with this (a replay, or 202 pending).
    Respond(Response),
}

/// The lease of a claim in milliseconds.
pub fn lease_ms(env: &Env) -> u64 {
    env.var("IDEMPOTENCY_LEASE_MS")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(LEASE_MS)
}

/// The key header, validated.
pub fn key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(key) = req.headers().get("Idempotency-Key").ok().flatten() else {
        return Ok(None);
    };
    let key = key.trim().to_string();
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("Idempotency-Key".into()),
            format!("must be 1 to {MAX_KEY_CHARS} printable characters"),
        ));
    }
    Ok(Some(key))
}

fn request_digest(route: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

fn pending() -> Result<Response, ApiError> {
    let message = "a request with this Idempotency-Key is still being processed; retry shortly";
    let body = json!({
        "success": false,
        "statusCode": 202,
        "code": "IDEMPOTENCY_PENDING",
        "retryAfterSeconds": 1,
        "message": message,
        "error": {"code": "IDEMPOTENCY_PENDING", "message": message, "retryAfterSeconds": 1},
    });
    let mut resp = json_response(202, body.to_string())?;
    resp.headers_mut()
        .set("Retry-After", "1")
        .map_err(|e| ApiError::internal("header", e))?;
    Ok(resp)
}

fn replay(row: &IdemRow) -> Result<Response, ApiError> {
    let status = row.response_status.unwrap_or(200);
    let body = row.response_body.as_deref().unwrap_or("{}");
    // Batch results report replayed items as `idempotent: true` (the SDK counts them).
    let mut value: Value =
        serde_json::from_str(body).map_err(|e| ApiError::internal("stored response", e))?;
    if let Some(results) = value
        .pointer_mut("/data/results")
        .and_then(Value::as_array_mut)
    {
        for r in results {
            if let Some(obj) = r.as_object_mut() {
                obj.insert("idempotent".into(), true.into());
            }
        }
    }
    let mut resp = json_response(status, value.to_string())?;
    resp.headers_mut()
        .set("Idempotent-Replayed", "true")
        .map_err(|e| ApiError::internal("header", e))?;
    Ok(resp)
}

/// Claims `key` for this request, or says how to answer instead.
pub async fn claim(
    store: &Store,
    caller: &Caller,
    key: Option<String>,
    route: &str,
    body: &str,
    now_ms: u64,
    lease_ms: u64,
) -> Result<Outcome, ApiError> {
    let Some(key) = key else {
        return Ok(Outcome::Proceed(None));
    };
    let claim = Claim {
        tenant_id: caller.tenant_id.clone(),
        environment: caller.env(),
        key,
        token: ids::new_id("idm_")?,
    };
    let digest = request_digest(route, body);
    let now = clock::rfc3339(now_ms);
    if store
        .idem_claim(&claim, route, &digest, now_ms + lease_ms, &now)
        .await?
    {
        return Ok(Outcome::Proceed(Some(claim)));
    }
    let Some(row) = store.idem_row(&claim).await? else {
        // Released between our insert and read: the earlier request failed; ask for a retry.
        return pending().map(Outcome::Respond);
    };
    if row.route != route || row.request_sha256 != digest {
        return Err(ApiError::new(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request body",
        ));
    }
    if row.state == "done" {
        return replay(&row).map(Outcome::Respond);
    }
    if row.lease_until_ms <= now_ms
        && store
            .idem_take_over(&claim, &row, now_ms + lease_ms)
            .await?
    {
        return Ok(Outcome::Proceed(Some(claim)));
    }
    pending().map(Outcome::Respond)
}

/// The answer of a request whose claim a retry took over before it could commit: the
/// response that did commit under the key, or 202 while the retry is still at work.
pub async fn superseded(store: &Store, claim: &Claim) -> Result<Response, ApiError> {
    match store.idem_row(claim).await? {
        Some(row) if row.state == "done" => replay(&row),
        _ => pending(),
    }
}
