//! Who is calling: API keys (`X-Api-Key: pk_{test|live}_{public}.{secret}`) on `/api/v1`,
//! dashboard tokens on `/dashboard` ([`dashboard`]), and the admin bearer token. Secrets are
//! compared as SHA-256 digests in constant time; the stored side is only ever a digest.

pub mod dashboard;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use vericord_core::Environment;
use worker::{Env, Request, RouteContext};

use crate::api::ApiError;
use crate::store::Store;
use crate::AppState;

/// What a caller may do. API keys are the integration: everything their routes offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ApiKey,
    /// A dashboard user who may also create checkpoints, keys, webhooks, customers and links.
    Admin,
    /// A dashboard user who reads.
    Viewer,
}

/// An authenticated API-key caller. The key's environment scopes every read and write.
pub struct Caller {
    pub tenant_id: String,
    pub middleware: bool,
    pub environment: Environment,
    pub rate_limit_per_minute: u32,
    pub role: Role,
    /// The dashboard user (`sub`); `None` for an API key.
    pub user: Option<String>,
}

impl Caller {
    pub fn env(&self) -> &'static str {
        self.environment.as_str()
    }

    /// Refuses a dashboard viewer a route that changes something.
    pub fn require_write(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Viewer => Err(ApiError::new(
                403,
                "ROLE_FORBIDDEN",
                "a viewer cannot do this; it needs an admin dashboard token",
            )),
            Role::ApiKey | Role::Admin => Ok(()),
        }
    }

    pub fn is_dashboard(&self) -> bool {
        self.role != Role::ApiKey
    }
}

/// The caller of a route that both surfaces serve with one handler: `/dashboard/…` is
/// authenticated by a dashboard token, everything else by an API key.
pub async fn caller(
    req: &Request,
    ctx: &RouteContext<AppState>,
    store: &Store,
    now_ms: u64,
) -> Result<Caller, ApiError> {
    if req.path().starts_with("/dashboard/") {
        dashboard::authenticate(req, &ctx.env, store, now_ms).await
    } else {
        authenticate(req, store, now_ms).await
    }
}

/// Hex SHA-256 of a secret, as stored.
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn digests_equal(a: &str, b: &str) -> bool {
    // Equal-length digests compared without early exit.
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Splits `pk_test_…` / `pk_live_…` into (public id, environment, secret).
pub fn parse_key(full: &str) -> Option<(&str, Environment, &str)> {
    let (public, secret) = full.split_once('.')?;
    let env = if public.starts_with("pk_test_") {
        Environment::Sandbox
    } else if public.starts_with("pk_live_") {
        Environment::Production
    } else {
        return None;
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (valid(public) && valid(secret) && public.len() > 8).then_some((public, env, secret))
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(401, code, message)
}

/// Authenticates `X-Api-Key` and counts the request against the key's rate limit.
pub async fn authenticate(req: &Request, store: &Store, now_ms: u64) -> Result<Caller, ApiError> {
    let header = req.headers().get("X-Api-Key").ok().flatten();
    let Some(full) = header.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(unauthorized("INVALID_API_KEY", "missing X-Api-Key header"));
    };
    let (public_id, environment, secret) =
        parse_key(full).ok_or_else(|| unauthorized("INVALID_API_KEY", "malformed API key"))?;
    let row = store.key_for_auth(public_id).await?;
    // Hash even when the key is unknown so timing does not reveal which public ids exist.
    let presented = secret_digest(secret);
    let Some(row) = row else {
        return Err(unauthorized("INVALID_API_KEY", "invalid API key"));
    };
    if !digests_equal(&presented, &row.secret_sha256) || row.environment != environment.as_str() {
        return Err(unauthorized("INVALID_API_KEY", "invalid API key"));
    }
    // Revoked outranks disabled: no PATCH can bring a revoked key back.
    if row.revoked_at.is_some() {
        return Err(unauthorized("API_KEY_REVOKED", "this API key was revoked"));
    }
    if row.enabled == 0 {
        return Err(unauthorized("API_KEY_DISABLED", "this API key is disabled"));
    }
    check_rate(store, &row.public_id, row.rate_limit_per_minute, now_ms).await?;
    Ok(Caller {
        tenant_id: row.tenant_id,
        middleware: row.tenant_kind == "middleware",
        environment,
        rate_limit_per_minute: row.rate_limit_per_minute,
        role: Role::ApiKey,
        user: None,
    })
}

/// Counts one request in `key`'s one-minute window; over `limit` is a 429 with `Retry-After`.
pub async fn check_rate(store: &Store, key: &str, limit: u32, now_ms: u64) -> Result<(), ApiError> {
    let minute = now_ms / 60_000;
    let count = store.rate_hit(key, minute).await?;
    if count > u64::from(limit) {
        let retry = 60 - (now_ms / 1000) % 60;
        return Err(ApiError::new(
            429,
            "RATE_LIMITED",
            format!("rate limit of {limit} requests per minute exceeded"),
        )
        .with_extra("retryAfterSeconds", retry.into())
        .with_header("Retry-After", retry.to_string()));
    }
    Ok(())
}

/// Checks `Authorization: Bearer <ADMIN_TOKEN>`; admin routes are off when no token is configured.
pub fn authenticate_admin(req: &Request, env: &Env) -> Result<(), ApiError> {
    let configured = env
        .secret("ADMIN_TOKEN")
        .map(|s| s.to_string())
        .or_else(|_| env.var("ADMIN_TOKEN").map(|v| v.to_string()));
    let Ok(token) = configured.map(|t| t.trim().to_string()) else {
        return Err(ApiError::new(
            403,
            "ADMIN_DISABLED",
            "admin routes are disabled: set the ADMIN_TOKEN secret",
        ));
    };
    if token.len() < 16 {
        return Err(ApiError::new(
            403,
            "ADMIN_DISABLED",
            "ADMIN_TOKEN must be at least 16 characters",
        ));
    }
    let presented = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let presented = presented.strip_prefix("Bearer ").unwrap_or("").trim();
    if digests_equal(&secret_digest(presented), &secret_digest(&token)) {
        Ok(())
    } else {
        Err(unauthorized(
            "INVALID_ADMIN_TOKEN",
            "missing or invalid admin bearer token",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_by_prefix() {
        assert_eq!(
            parse_key("pk_test_abc.s3cr3t"),
            Some(("pk_test_abc", Environment::Sandbox, "s3cr3t"))
        );
        assert_eq!(
            parse_key("pk_live_abc.x"),
            Some(("pk_live_abc", Environment::Production, "x"))
        );
        for bad in [
            "pk_test_abc",
            "sk_test_abc.x",
            "pk_test_.x",
            "pk_test_a b.x",
            "pk_test_abc.",
            "pk_prod_abc.x",
        ] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn digests_compare() {
        assert!(digests_equal(&secret_digest("a"), &secret_digest("a")));
        assert!(!digests_equal(&secret_digest("a"), &secret_digest("b")));
        assert!(!digests_equal("ab", "abc"));
    }
}
