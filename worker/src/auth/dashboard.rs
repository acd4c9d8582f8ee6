//! Dashboard callers: `Authorization: Bearer <JWT>` and `X-Environment` (source doc 001).
//!
//! Tokens are HS256 with the deployment's `DASHBOARD_JWT_SECRET` or, when the
//! `DASHBOARD_JWT_PUBLIC_KEY` var names an Ed25519 key, EdDSA by whoever holds its private
//! half (an identity provider). The algorithm is chosen by code from what is configured —
//! the header's `alg` must equal it — so `none`, RS256 and HS/EdDSA confusion are refused
//! before any signature is checked. Parsing and signatures are jwt-compact's.

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Ed25519, Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken, ValidationError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vericord_core::Environment;
use worker::{Env, Request};

use super::{Caller, Role};
use crate::api::ApiError;
use crate::signing::text;
use crate::store::Store;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: i64 = 30;
/// The longest a minted token may live.
pub const MAX_TTL_SECONDS: u64 = 30 * 86_400;
/// `iss` and `aud` of our tokens: a token minted for something else is not a dashboard token.
pub const ISSUER: &str = "vericord";
pub const AUDIENCE: &str = "vericord-dashboard";

/// The claims of a dashboard token besides `exp`, `nbf` and `iat`.
#[derive(Serialize, Deserialize)]
pub struct DashboardClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: String,
    /// The tenant the user acts for.
    pub tenant: String,
    /// `admin` or `viewer`.
    pub role: String,
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(401, code, message)
}

/// The HS256 key: `DASHBOARD_JWT_SECRET` (at least 32 bytes), or, when unset, one derived
/// from the checkpoint signing key, so a local deployment works with no extra secret.
pub fn hs256_key(env: &Env) -> Result<Hs256Key, ApiError> {
    if let Some(secret) = text(env, "DASHBOARD_JWT_SECRET") {
        let secret = secret.trim();
        if secret.len() < 32 {
            return Err(ApiError::new(
                503,
                "CONFIG_INVALID",
                "DASHBOARD_JWT_SECRET must be at least 32 bytes",
            ));
        }
        return Ok(Hs256Key::new(secret.as_bytes()));
    }
    let signing = text(env, "CHECKPOINT_SIGNING_KEY").ok_or_else(|| {
        ApiError::new(
            503,
            "DASHBOARD_AUTH_DISABLED",
            "this deployment has no DASHBOARD_JWT_SECRET (or CHECKPOINT_SIGNING_KEY)",
        )
    })?;
    let derived = Sha256::new()
        .chain_update(b"vericord dashboard JWT key from the checkpoint signing key\0")
        .chain_update(signing.trim().as_bytes())
        .finalize();
    Ok(Hs256Key::new(derived))
}

/// The optional EdDSA verifying key (`DASHBOARD_JWT_PUBLIC_KEY`: 64 hex digits).
fn ed25519_key(env: &Env) -> Result<Option<ed25519_dalek::VerifyingKey>, ApiError> {
    let Some(hex_key) = text(env, "DASHBOARD_JWT_PUBLIC_KEY") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            503,
            "CONFIG_INVALID",
            "DASHBOARD_JWT_PUBLIC_KEY must be an Ed25519 public key as 64 hex digits",
        )
    };
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map(Some)
        .map_err(|_| bad())
}

fn time_options(now_ms: u64) -> TimeOptions<impl Fn() -> DateTime<Utc>> {
    let now = DateTime::from_timestamp_millis(now_ms as i64).unwrap_or_default();
    TimeOptions::new(Duration::seconds(LEEWAY_SECONDS), move || now)
}

/// Mints a token (the admin route and `scripts/dashboard-token`).
pub fn mint(
    key: &Hs256Key,
    claims: DashboardClaims,
    now_ms: u64,
    ttl_seconds: u64,
) -> Result<(String, u64), ApiError> {
    let options = time_options(now_ms);
    let now = DateTime::from_timestamp_millis(now_ms as i64).unwrap_or_default();
    let claims = Claims::new(claims)
        .set_duration_and_issuance(&options, Duration::seconds(ttl_seconds as i64))
        .set_not_before(now);
    let token = Hs256
        .token(&Header::empty().with_token_type("JWT"), &claims, key)
        .map_err(|e| ApiError::internal("mint token", e))?;
    Ok((token, now_ms + ttl_seconds * 1000))
}

/// Why a token's signature or claims were refused, as a distinct code.
fn refusal(e: ValidationError) -> ApiError {
    match e {
        ValidationError::Expired => {
            unauthorized("TOKEN_EXPIRED", "the dashboard token has expired")
        }
        ValidationError::NotMature => unauthorized(
            "TOKEN_NOT_YET_VALID",
            "the dashboard token is not valid yet (nbf)",
        ),
        ValidationError::NoClaim(_) | ValidationError::MalformedClaims(_) => unauthorized(
            "TOKEN_CLAIMS_INVALID",
            "the dashboard token lacks exp, iss, aud, sub, tenant or role",
        ),
        ValidationError::AlgorithmMismatch { .. } => unauthorized(
            "TOKEN_ALGORITHM_NOT_ALLOWED",
            "the dashboard token's algorithm is not one this deployment accepts",
        ),
        _ => unauthorized(
            "TOKEN_SIGNATURE_INVALID",
            "the dashboard token's signature does not verify",
        ),
    }
}

/// The keys a token may be signed with: the HS256 key, and the EdDSA one when configured.
pub struct TokenKeys {
    pub hs256: Hs256Key,
    pub ed25519: Option<ed25519_dalek::VerifyingKey>,
}

impl TokenKeys {
    pub fn of(env: &Env) -> Result<TokenKeys, ApiError> {
        Ok(TokenKeys {
            hs256: hs256_key(env)?,
            ed25519: ed25519_key(env)?,
        })
    }
}

/// Verifies a bearer token's algorithm, signature and time claims; returns its claims.
pub fn verify(keys: &TokenKeys, token: &str, now_ms: u64) -> Result<DashboardClaims, ApiError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| {
        unauthorized(
            "TOKEN_MALFORMED",
            "the bearer token is not a JWT (header.claims.signature)",
        )
    })?;
    let claims: Claims<DashboardClaims> = match untrusted.algorithm() {
        "HS256" => {
            Hs256
                .validator(&keys.hs256)
                .validate(&untrusted)
                .map_err(refusal)?
                .into_parts()
                .1
        }
        "EdDSA" => match &keys.ed25519 {
            Some(key) => {
                Ed25519
                    .validator(key)
                    .validate(&untrusted)
                    .map_err(refusal)?
                    .into_parts()
                    .1
            }
            None => {
                return Err(refusal(ValidationError::AlgorithmMismatch {
                    expected: "HS256".into(),
                    actual: "EdDSA".into(),
                }))
            }
        },
        other => {
            return Err(refusal(ValidationError::AlgorithmMismatch {
                expected: "HS256".into(),
                actual: other.into(),
            }))
        }
    };
    let options = time_options(now_ms);
    claims.validate_expiration(&options).map_err(refusal)?;
    if claims.not_before.is_some() {
        claims.validate_maturity(&options).map_err(refusal)?;
    }
    let c = claims.custom;
    if c.iss != ISSUER || c.aud != AUDIENCE {
        return Err(unauthorized(
            "TOKEN_CLAIMS_INVALID",
            "the token was not issued for the vericord dashboard (iss, aud)",
        ));
    }
    if c.sub.is_empty() || c.sub.len() > 200 || role_of(&c.role).is_none() {
        return Err(unauthorized(
            "TOKEN_CLAIMS_INVALID",
            "the token's sub must be a user id and role one of admin, viewer",
        ));
    }
    Ok(c)
}

pub fn role_of(name: &str) -> Option<Role> {
    match name {
        "admin" => Some(Role::Admin),
        "viewer" => Some(Role::Viewer),
        _ => None,
    }
}

/// Requests per dashboard user and minute: `DASHBOARD_RATE_LIMIT_PER_MINUTE`, else 1200.
fn rate_limit(env: &Env) -> u32 {
    text(env, "DASHBOARD_RATE_LIMIT_PER_MINUTE")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1200)
}

/// `X-Environment: sandbox|production` (default production); anything else is a 400.
pub fn environment(req: &Request) -> Result<Environment, ApiError> {
    let header = req.headers().get("X-Environment").ok().flatten();
    match header.as_deref().map(str::trim) {
        None | Some("production") => Ok(Environment::Production),
        Some("sandbox") => Ok(Environment::Sandbox),
        Some(_) => Err(ApiError::invalid(
            "INVALID_ENVIRONMENT",
            Some("X-Environment".into()),
            "X-Environment must be sandbox or production",
        )),
    }
}

/// The dashboard caller of a request: a valid token of a tenant that exists.
pub async fn authenticate(
    req: &Request,
    env: &Env,
    store: &Store,
    now_ms: u64,
) -> Result<Caller, ApiError> {
    let header = req.headers().get("Authorization").ok().flatten();
    let token = header
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "TOKEN_MISSING",
                "dashboard routes need Authorization: Bearer <token>",
            )
        })?;
    let claims = verify(&TokenKeys::of(env)?, token, now_ms)?;
    let environment = environment(req)?;
    let tenant = store.tenant(&claims.tenant).await?.ok_or_else(|| {
        ApiError::new(
            403,
            "TOKEN_TENANT_UNKNOWN",
            "the token names a tenant this deployment does not have",
        )
    })?;
    // A user's requests share one window with the API keys' (rate_windows, pruned by the cron).
    let limit = rate_limit(env);
    let window = format!("dash:{}:{}", tenant.id, claims.sub);
    super::check_rate(store, &window, limit, now_ms).await?;
    Ok(Caller {
        tenant_id: tenant.id,
        middleware: tenant.kind == "middleware",
        environment,
        rate_limit_per_minute: limit,
        role: role_of(&claims.role).unwrap_or(Role::Viewer),
        user: Some(claims.sub),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_780_000_000_000;

    fn keys() -> TokenKeys {
        TokenKeys {
            hs256: Hs256Key::new(b"unit-test-dashboard-secret-0123456789"),
            ed25519: None,
        }
    }

    fn claims(role: &str) -> DashboardClaims {
        DashboardClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "u".into(),
            tenant: "ten_1".into(),
            role: role.into(),
        }
    }

    fn code(r: Result<DashboardClaims, ApiError>) -> &'static str {
        r.err().map_or("OK", |e| e.code)
    }

    #[test]
    fn minted_tokens_verify_until_they_expire() {
        let (token, expires) = mint(&keys().hs256, claims("viewer"), NOW, 60).unwrap();
        assert_eq!(expires, NOW + 60_000);
        assert_eq!(verify(&keys(), &token, NOW).unwrap().role, "viewer");
        // 30 s of leeway either side.
        assert_eq!(code(verify(&keys(), &token, NOW + 89_000)), "OK");
        assert_eq!(code(verify(&keys(), &token, NOW + 91_000)), "TOKEN_EXPIRED");
        assert_eq!(code(verify(&keys(), &token, NOW - 29_000)), "OK");
        assert_eq!(
            code(verify(&keys(), &token, NOW - 31_000)),
            "TOKEN_NOT_YET_VALID"
        );
    }

    #[test]
    fn wrong_keys_algorithms_and_claims_are_refused() {
        let (token, _) = mint(&keys().hs256, claims("admin"), NOW, 60).unwrap();
        let other = TokenKeys {
            hs256: Hs256Key::new(b"another-secret-0123456789abcdef0123"),
            ed25519: None,
        };
        assert_eq!(code(verify(&other, &token, NOW)), "TOKEN_SIGNATURE_INVALID");
        let (header, rest) = token.split_once('.').unwrap();
        assert_ne!(header, "");
        // alg "none" and EdDSA without a configured key: refused before any signature check.
        for alg in ["none", "EdDSA", "RS256", "HS512"] {
            let h = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"),
            );
            assert_eq!(
                code(verify(&keys(), &format!("{h}.{rest}"), NOW)),
                "TOKEN_ALGORITHM_NOT_ALLOWED",
                "{alg}"
            );
        }
        for bad in ["", "a", "a.b", "a.b.c", "..."] {
            assert_eq!(
                code(verify(&keys(), bad, NOW)),
                "TOKEN_MALFORMED",
                "{bad:?}"
            );
        }
        let (owner, _) = mint(&keys().hs256, claims("owner"), NOW, 60).unwrap();
        assert_eq!(code(verify(&keys(), &owner, NOW)), "TOKEN_CLAIMS_INVALID");
        let mut foreign = claims("admin");
        foreign.aud = "someone-else".into();
        let (foreign, _) = mint(&keys().hs256, foreign, NOW, 60).unwrap();
        assert_eq!(code(verify(&keys(), &foreign, NOW)), "TOKEN_CLAIMS_INVALID");
    }
}
