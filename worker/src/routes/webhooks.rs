//! `GET /api/v1/balance/webhooks` (delivery list) and
//! `POST /api/v1/balance/webhooks/:eventId/retry`, scoped to the key's tenant and environment.
//!
//! The official SDK rewrites every `status` it sees outside QUEUED/PROCESSING/VERIFIED/FAILED
//! to QUEUED, so a delivery's state is also sent as `deliveryStatus`, which it leaves alone.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::authenticate;
use crate::body::{read, Fields};
use crate::dispatcher::{self, Config};
use crate::query::{self, Query};
use crate::store::{DeliveryRow, Store};
use crate::{clock, AppState};

fn delivery_json(d: &DeliveryRow) -> Value {
    let mut history: Vec<Value> = serde_json::from_str(&d.history).unwrap_or_default();
    // json_group_array keeps the subquery's order in practice; do not rely on it.
    history.sort_by_key(|a| a["attempt"].as_u64());
    json!({
        "eventId": d.event_id,
        "event": d.event_type,
        "status": d.state,
        "deliveryStatus": d.state,
        "attempts": d.attempts,
        "lastStatusCode": d.last_status,
        "lastError": d.last_error,
        "nextAttemptAt": (d.state == "pending").then(|| clock::rfc3339(d.next_attempt_ms)),
        "deliveredAt": d.delivered_at,
        "endpointId": d.endpoint_id,
        "url": d.url,
        "createdAt": d.created_at,
        "attemptHistory": history,
    })
}

/// `pending|delivered|failed`, any case.
fn status_filter(q: &Query) -> Result<Option<&'static str>, ApiError> {
    let Some(text) = q.get("status") else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "pending" => Ok(Some("pending")),
        "delivered" => Ok(Some("delivered")),
        "failed" => Ok(Some("failed")),
        _ => Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("status".into()),
            "must be one of pending, delivered, failed",
        )),
    }
}

pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, clock::now_ms()).await?;
    let q = Query::of(&req)?;
    let status = status_filter(&q)?;
    let limit = q.int("limit", 25, 1, 100)?;
    let offset = q.int("offset", 0, 0, 1_000_000_000)?;
    let (rows, total) = store
        .deliveries(
            &caller.tenant_id,
            caller.env(),
            status,
            limit as u32,
            offset,
        )
        .await?;
    let deliveries: Vec<Value> = rows.iter().map(delivery_json).collect();
    ok(
        &json!({"deliveries": deliveries, "total": total, "limit": limit, "offset": offset}),
        200,
    )
}

/// Makes the event's deliveries due now and attempts them before answering, so the
/// response shows their new state; later retries continue after the response.
pub async fn retry(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let body = read(&mut req).await?;
    // The SDK sends `{}`; an empty body is as good.
    Fields::parse(if body.trim().is_empty() { "{}" } else { &body }, "")?.finish()?;
    let event_id = &query::param(&ctx, "eventId");
    let reset = store
        .reset_deliveries(&caller.tenant_id, caller.env(), event_id, now_ms)
        .await?;
    if reset == 0 {
        return Err(ApiError::not_found(
            "WEBHOOK_EVENT_NOT_FOUND",
            "no webhook event with this id",
        ));
    }
    dispatcher::deliver_event(&store, &Config::from_env(&ctx.env), event_id).await?;
    ctx.data.dispatch_after();
    let rows = store
        .event_deliveries(&caller.tenant_id, caller.env(), event_id)
        .await?;
    let event = rows.first().map(|d| d.event_type.clone());
    let deliveries: Vec<Value> = rows.iter().map(delivery_json).collect();
    ok(
        &json!({"eventId": event_id, "event": event, "retried": reset, "deliveries": deliveries}),
        200,
    )
}
