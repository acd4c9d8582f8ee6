//! Shared Record links (docs/ACCESS.md): one per customer log, `<PUBLIC_URL>/c/{handle}`.
//! [`manage`] creates, rotates, revokes and reissues them; [`gate`] admits a public request
//! by its handle, policy and session; [`step_up`] checks an access code under the lockout;
//! [`readiness`] reports what a middleware needs before it invoices.

pub mod gate;
pub mod manage;
pub mod readiness;
pub mod step_up;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use vericord_core::AccessKey;
use worker::{Env, Request};

use crate::api::ApiError;
use crate::clock;
use crate::signing::text;
use crate::store::{AccessLinkRow, Store};

/// How long a step-up session lasts.
pub const SESSION_MS: u64 = 30 * 60_000;
/// A viewing session: views closer together than this are one.
pub const VIEW_SESSION_MS: u64 = 30 * 60_000;
/// The cookie that carries a step-up session.
pub const COOKIE: &str = "vericord_access";

/// What a link's policy opens without the access code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Policy {
    Open,
    TwoTier,
    Gated,
}

impl Policy {
    pub fn parse(text: &str) -> Option<Policy> {
        match text {
            "OPEN" => Some(Policy::Open),
            "TWO_TIER" => Some(Policy::TwoTier),
            "GATED" => Some(Policy::Gated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Open => "OPEN",
            Policy::TwoTier => "TWO_TIER",
            Policy::Gated => "GATED",
        }
    }

    /// A policy from a request body field.
    pub fn field(text: Option<String>, default: Policy) -> Result<Policy, ApiError> {
        match text {
            None => Ok(default),
            Some(t) => Policy::parse(&t).ok_or_else(|| {
                ApiError::invalid(
                    "VALIDATION_ERROR",
                    Some("policy".into()),
                    "must be OPEN, TWO_TIER or GATED",
                )
            }),
        }
    }

    /// What the receipt's `accessHint` says: the code itself is shown once and never stored.
    pub fn hint(self) -> &'static str {
        match self {
            Policy::Open => "No access code is needed to open this record.",
            Policy::TwoTier => "The summary is open; the records need the 6-character access code sent with your invoice.",
            Policy::Gated => "The 6-character access code sent with your invoice opens this record.",
        }
    }
}

/// The deployment's access-link key: `ACCESS_CODE_KEY`, or, when unset, one derived from the
/// checkpoint signing key (also a deployment secret that no database holds).
pub fn access_key(env: &Env) -> Result<AccessKey, ApiError> {
    let secret = match text(env, "ACCESS_CODE_KEY") {
        Some(s) => s.trim().as_bytes().to_vec(),
        None => {
            let signing = text(env, "CHECKPOINT_SIGNING_KEY").ok_or_else(|| {
                ApiError::new(
                    503,
                    "ACCESS_KEY_MISSING",
                    "this deployment has no ACCESS_CODE_KEY (or CHECKPOINT_SIGNING_KEY)",
                )
            })?;
            Sha256::new()
                .chain_update(b"vericord access-code key from the checkpoint signing key\0")
                .chain_update(signing.trim().as_bytes())
                .finalize()
                .to_vec()
        }
    };
    AccessKey::new(&secret)
        .map_err(|e| ApiError::new(503, "ACCESS_KEY_INVALID", format!("ACCESS_CODE_KEY: {e}")))
}

/// Where links point: the `PUBLIC_URL` var, else the origin the request came to.
pub fn public_url(env: &Env, req: &Request) -> String {
    text(env, "PUBLIC_URL")
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .or_else(|| crate::routes::checkpoints::base_url(req))
        .unwrap_or_default()
}

pub fn link_url(public_url: &str, handle: &str) -> String {
    format!("{public_url}/c/{handle}")
}

pub fn host(public_url: &str) -> Option<String> {
    worker::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
}

/// A link's state, as the middleware sees it (docs/ACCESS.md).
pub fn state_json(l: &AccessLinkRow, public_url: &str, now_ms: u64) -> Value {
    let locked = l.state == "active" && l.locked_until_ms > now_ms;
    let opt_time = |ms: u64| (ms > 0).then(|| clock::rfc3339(ms));
    json!({
        "handle": l.handle,
        "url": link_url(public_url, &l.handle),
        "host": host(public_url),
        "policy": l.policy,
        "state": l.state,
        "accessCode": {"set": !l.code_mac.is_empty(), "setAt": l.code_set_at, "ready": l.state == "active" && !l.code_mac.is_empty()},
        "createdAt": l.created_at,
        "revokedAt": l.revoked_at,
        "replacedBy": l.replaced_by,
        "replaces": l.replaces,
        "lastViewedAt": opt_time(l.last_viewed_ms),
        "views": l.views,
        "stepUp": {"succeeded": l.step_up_ok, "failed": l.step_up_failed, "locked": locked,
                   "lockedUntil": locked.then(|| clock::rfc3339(l.locked_until_ms))},
    })
}

/// The receipt fields of a log's link (`customerLinkUrl`, `customerLinkHost`, `accessHint`),
/// all null until an active link exists.
pub async fn receipt_fields(
    store: &Store,
    env: &Env,
    req: &Request,
    log_id: &str,
) -> Result<(Value, Value, Value), ApiError> {
    let Some(l) = store.active_access_link(log_id).await? else {
        return Ok((Value::Null, Value::Null, Value::Null));
    };
    let base = public_url(env, req);
    let hint = Policy::parse(&l.policy).map_or(Value::Null, |p| p.hint().into());
    Ok((
        link_url(&base, &l.handle).into(),
        host(&base).map_or(Value::Null, Value::from),
        hint,
    ))
}
