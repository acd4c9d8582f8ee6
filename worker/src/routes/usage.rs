//! `GET /api/v1/balance/usage` and `GET /api/v1/balance/limits`.

use serde_json::json;
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::authenticate;
use crate::ingest::{
    MAX_BATCH, MAX_ID_CHARS, MAX_METADATA_BYTES, MAX_REASON_CHARS, MAX_REFERENCE_CHARS,
};
use crate::store::Store;
use crate::{clock, AppState};

pub async fn usage(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let period = clock::month(now_ms);
    let used = store
        .usage(&caller.tenant_id, caller.env(), &period)
        .await?;
    let allowance = store
        .tenant(&caller.tenant_id)
        .await?
        .and_then(|t| t.monthly_allowance);
    let remaining = allowance.map(|a| a.saturating_sub(used));
    ok(
        &json!({
            "period": period,
            "environment": caller.env(),
            "used": used,
            "allowance": allowance,
            "remaining": remaining,
            "allowed": remaining != Some(0),
        }),
        200,
    )
}

pub async fn limits(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, clock::now_ms()).await?;
    let allowance = store
        .tenant(&caller.tenant_id)
        .await?
        .and_then(|t| t.monthly_allowance);
    ok(
        &json!({
            "maxBatchSize": MAX_BATCH,
            "maxWriteItems": MAX_BATCH,
            "maxCustomerIdLength": MAX_ID_CHARS,
            "maxReasonLength": MAX_REASON_CHARS,
            "maxReferenceIdLength": MAX_REFERENCE_CHARS,
            "maxMetadataBytes": MAX_METADATA_BYTES,
            "maxBodyBytes": crate::body::MAX_BODY_BYTES,
            "rateLimitPerMinute": caller.rate_limit_per_minute,
            "monthlyAllowance": allowance,
            "maxScopeMonths": 12,
            "maxLastNDays": 366,
            "maxRetentionDays": null,
        }),
        200,
    )
}
