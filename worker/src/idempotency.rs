//! `Idempotency-Key`: same key and body → the original response; in flight →
//! 202 `IDEMPOTENCY_PENDING`; another body → 409. Claims are leased, so a
//! request that crashed mid-way never blocks its key forever.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Request, Response};

use crate::api::{json_response, ApiError};
use crate::auth::Caller;
use crate::store::{IdemScope, Store};

/// How long a claim protects an in-flight request before a retry may take it over.
const LEASE_MS: u64 = 30_000;
const MAX_KEY_CHARS: usize = 255;

pub enum Outcome {
    /// Go ahead; complete the claim (if any) in the request's own write batch.
    Proceed(Option<String>),
    /// Answer with this (a replay, or 202 pending).
    Respond(Response),
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

pub fn scope<'a>(caller: &'a Caller, key: &'a str) -> IdemScope<'a> {
    IdemScope {
        tenant_id: &caller.tenant_id,
        environment: caller.env(),
        key,
    }
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

fn replay(status: u16, body: &str) -> Result<Response, ApiError> {
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
    now: &str,
) -> Result<Outcome, ApiError> {
    let Some(key) = key else {
        return Ok(Outcome::Proceed(None));
    };
    let s = scope(caller, &key);
    let digest = request_digest(route, body);
    if store
        .idem_claim(&s, route, &digest, now_ms + LEASE_MS, now)
        .await?
    {
        return Ok(Outcome::Proceed(Some(key)));
    }
    let Some(row) = store.idem_row(&s).await? else {
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
        let status = row.response_status.unwrap_or(200);
        return replay(status, row.response_body.as_deref().unwrap_or("{}")).map(Outcome::Respond);
    }
    if row.lease_until_ms <= now_ms
        && store
            .idem_take_over(&s, row.lease_until_ms, now_ms + LEASE_MS)
            .await?
    {
        return Ok(Outcome::Proceed(Some(key)));
    }
    pending().map(Outcome::Respond)
}
