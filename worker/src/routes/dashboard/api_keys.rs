//! `/dashboard/api-keys`: the tenant's API keys in the `X-Environment` environment. Keys are
//! made as the admin route makes them ([`admin::issue_key`]); a secret is shown by the create
//! and rotate answers only, and stored only as its digest. Another tenant's or the other
//! environment's key is not found. A revoked key never authenticates again (`auth`).

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use super::{caller_of, page};
use crate::api::{ok, ApiError};
use crate::auth::{secret_digest, Caller};
use crate::body::{read, Fields};
use crate::query::{self, Query};
use crate::routes::admin;
use crate::store::{KeyInfo, Store};
use crate::{clock, ids, AppState};

/// The caller's key named by `:publicId`.
async fn key_or_404(
    store: &Store,
    caller: &Caller,
    ctx: &RouteContext<AppState>,
) -> Result<KeyInfo, ApiError> {
    let id = query::param(ctx, "publicId");
    store
        .tenant_key(&caller.tenant_id, caller.env(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("API_KEY_NOT_FOUND", "no such API key"))
}

/// A key as the list and the detail show it: never its secret or digest.
fn key_json(k: &KeyInfo) -> Value {
    json!({
        "publicKey": k.public_id,
        "name": k.name,
        "environment": k.environment,
        "enabled": k.enabled == 1 && k.revoked_at.is_none(),
        "revoked": k.revoked_at.is_some(),
        "createdAt": k.created_at,
        "rotatedAt": k.rotated_at,
        "revokedAt": k.revoked_at,
        "rateLimitPerMinute": k.rate_limit_per_minute,
    })
}

/// An optional body that must be empty or an object without members.
fn empty_body(body: &str) -> Result<(), ApiError> {
    Fields::parse(if body.trim().is_empty() { "{}" } else { body }, "")?.finish()
}

/// `POST /dashboard/api-keys {name, environment?}` → 201 with the secret (shown once). The
/// key's environment is the caller's `X-Environment` one; naming another is a 400.
pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let name = f.required_string("name", 200)?;
    if name.trim().is_empty() {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("name".into()),
            "must not be blank",
        ));
    }
    let environment = match f.string("environment", 20)? {
        None => caller.env(),
        Some(text) => admin::key_environment(&text)?,
    };
    f.finish()?;
    if environment != caller.env() {
        return Err(ApiError::invalid(
            "ENVIRONMENT_MISMATCH",
            Some("environment".into()),
            format!(
                "this request acts in {} (X-Environment): a {environment} key is made with X-Environment: {environment}",
                caller.env()
            ),
        ));
    }
    let limit = admin::default_rate_limit(&ctx.env);
    let created =
        admin::issue_key(&store, caller.tenant_id.clone(), environment, name, limit).await?;
    ok(&created, 201)
}

/// `GET /dashboard/api-keys?limit&offset` → `{apiKeys, pagination: {limit, offset, total}}`.
pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    let (limit, offset) = page(&Query::of(&req)?)?;
    let (keys, total) = store
        .tenant_keys(&caller.tenant_id, caller.env(), limit as u32, offset)
        .await?;
    let api_keys: Vec<Value> = keys.iter().map(key_json).collect();
    ok(
        &json!({"apiKeys": api_keys, "pagination": {"limit": limit, "offset": offset, "total": total}}),
        200,
    )
}

/// `GET /dashboard/api-keys/:publicId`.
pub async fn get(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    ok(&key_json(&key_or_404(&store, &caller, &ctx).await?), 200)
}

fn revoked_conflict() -> ApiError {
    ApiError::new(
        409,
        "API_KEY_REVOKED",
        "this API key was revoked and cannot be rotated",
    )
    .with_field("publicId".into())
}

/// `POST /dashboard/api-keys/:publicId/rotate` → a new secret for the same public id; the
/// old secret stops working at once. A revoked key is a 409.
pub async fn rotate(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let key = key_or_404(&store, &caller, &ctx).await?;
    empty_body(&body)?;
    if key.revoked_at.is_some() {
        return Err(revoked_conflict());
    }
    let secret = ids::new_secret()?;
    let at = clock::rfc3339(clock::now_ms());
    if !store
        .rotate_key(&key.public_id, &secret_digest(&secret), &at)
        .await?
    {
        return Err(revoked_conflict());
    }
    let public_id = key.public_id;
    ok(
        &json!({
            "publicKey": public_id,
            "secretKey": secret,
            "fullKey": format!("{public_id}.{secret}"),
            "rotatedAt": at,
            "message": "Store the secret now: it is not shown again. The previous secret no longer works.",
        }),
        200,
    )
}

/// `DELETE /dashboard/api-keys/:publicId` and `POST …/:publicId/revoke` → the key, revoked for
/// good (revoking again changes nothing).
pub async fn revoke(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let key = key_or_404(&store, &caller, &ctx).await?;
    empty_body(&body)?;
    store
        .revoke_key(&key.public_id, &clock::rfc3339(clock::now_ms()))
        .await?;
    let key = key_or_404(&store, &caller, &ctx).await?;
    ok(&key_json(&key), 200)
}
