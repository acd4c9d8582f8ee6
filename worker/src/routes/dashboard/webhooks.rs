//! `/dashboard/webhooks`: the tenant's webhook endpoints in the `X-Environment` environment.
//! Creation and rotation are the admin routes' ([`admin::insert_webhook`],
//! [`admin::rotate_webhook`]); the secret is shown by those two answers only. Another
//! tenant's or the other environment's endpoint, and a deleted one, are not found.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use super::{caller_of, page};
use crate::api::{ok, ApiError};
use crate::auth::Caller;
use crate::body::{read, Fields};
use crate::dispatcher::destination::check_url;
use crate::query::{self, Query};
use crate::routes::admin;
use crate::store::{Store, WebhookEndpointRow};
use crate::{clock, AppState};

/// The caller's endpoint named by `:webhookId`.
async fn endpoint_or_404(
    store: &Store,
    caller: &Caller,
    ctx: &RouteContext<AppState>,
) -> Result<WebhookEndpointRow, ApiError> {
    let id = query::param(ctx, "webhookId");
    store
        .tenant_webhook_endpoint(&caller.tenant_id, caller.env(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("WEBHOOK_NOT_FOUND", "no such webhook endpoint"))
}

/// An endpoint as the list and the detail show it: never its secret.
fn endpoint_json(w: &WebhookEndpointRow, now_ms: u64) -> Value {
    let overlap = (w.previous_secret.is_some() && w.previous_until_ms > now_ms)
        .then(|| clock::rfc3339(w.previous_until_ms));
    json!({
        "id": w.id,
        "url": w.url,
        "description": w.description,
        "environment": w.environment,
        "enabled": w.enabled == 1,
        "successCount": w.success_count,
        "failureCount": w.failure_count,
        "lastTriggered": w.last_triggered_at,
        "lastStatus": w.last_status,
        "createdAt": w.created_at,
        "previousSecretValidUntil": overlap,
    })
}

/// An optional body that must be empty or an object without members.
fn empty_body(body: &str) -> Result<(), ApiError> {
    Fields::parse(if body.trim().is_empty() { "{}" } else { body }, "")?.finish()
}

/// `POST /dashboard/webhooks {url, description?}` → 201 with the secret (shown once).
pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let url = f.required_string("url", 2048)?;
    check_url(&url, &ctx.env)?;
    let description = f.string("description", 500)?;
    f.finish()?;
    let created = admin::insert_webhook(
        &store,
        caller.tenant_id.clone(),
        caller.env().into(),
        url,
        description,
    )
    .await?;
    ok(&created, 201)
}

/// `GET /dashboard/webhooks?limit&offset` → `{webhooks, pagination: {limit, offset, total}}`.
pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    let (limit, offset) = page(&Query::of(&req)?)?;
    let (rows, total) = store
        .tenant_webhook_endpoints(&caller.tenant_id, caller.env(), limit as u32, offset)
        .await?;
    let now_ms = clock::now_ms();
    let webhooks: Vec<Value> = rows.iter().map(|w| endpoint_json(w, now_ms)).collect();
    ok(
        &json!({"webhooks": webhooks, "pagination": {"limit": limit, "offset": offset, "total": total}}),
        200,
    )
}

/// `GET /dashboard/webhooks/:webhookId`.
pub async fn get(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    let w = endpoint_or_404(&store, &caller, &ctx).await?;
    ok(&endpoint_json(&w, clock::now_ms()), 200)
}

/// `DELETE /dashboard/webhooks/:webhookId` → `{id, deleted: true}`; no delivery is made to it
/// after, and it is not found after.
pub async fn delete(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let w = endpoint_or_404(&store, &caller, &ctx).await?;
    empty_body(&body)?;
    if !store
        .delete_webhook_endpoint(&w.id, &clock::rfc3339(clock::now_ms()))
        .await?
    {
        // Deleted by a concurrent request: as if it never was.
        return Err(ApiError::not_found(
            "WEBHOOK_NOT_FOUND",
            "no such webhook endpoint",
        ));
    }
    ok(&json!({"id": w.id, "deleted": true}), 200)
}

/// `POST /dashboard/webhooks/:webhookId/rotate-secret {overlapSeconds?}` →
/// `{id, secret, previousSecretValidUntil}`.
pub async fn rotate_secret(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, caller) = caller_of(&req, &ctx).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let w = endpoint_or_404(&store, &caller, &ctx).await?;
    ok(&admin::rotate_webhook(&store, &w.id, &body).await?, 200)
}
