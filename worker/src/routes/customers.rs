//! `GET /api/v1/balance/customers`, `/customers/summary`, `/customers/:customerId`.

use serde_json::{json, Value};
use vericord_core::Amount;
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::auth::{authenticate, Caller};
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::store::{CustomerRow, Store, TimeRange};
use crate::{clock, AppState};

fn balance(text: &str) -> Result<Amount, ApiError> {
    Amount::parse(text).map_err(|e| ApiError::internal("stored balance", e))
}

fn customer_json(c: &CustomerRow) -> Result<Value, ApiError> {
    Ok(json!({
        "customerId": c.subject_id,
        "customerReference": c.id,
        "customerPartition": c.partition,
        "vendorAccountId": c.vendor_account_id,
        "totalDeltas": c.total_records,
        "verifiedDeltas": c.size,
        "computedBalance": number(balance(&c.balance)?),
        "firstActivityAt": c.created_at,
        "lastActivityAt": c.last_activity_at,
    }))
}

fn pagination(page: u64, limit: u64, total: u64) -> Value {
    json!({"page": page, "limit": limit, "total": total, "totalPages": total.div_ceil(limit.max(1))})
}

pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::from_env(&ctx.env)?;
    let caller = authenticate(&req, &store, clock::now_ms()).await?;
    let q = Query::of(&req)?;
    let page = q.int("page", 1, 1, 1_000_000)?;
    let limit = q.int("limit", 25, 1, 100)?;
    let (rows, total) = store
        .customers(
            &caller.tenant_id,
            caller.env(),
            q.get("search"),
            limit as u32,
            (page - 1) * limit,
        )
        .await?;
    let customers = rows
        .iter()
        .map(customer_json)
        .collect::<Result<Vec<_>, _>>()?;
    ok(
        &json!({"customers": customers, "total": total, "page": page, "limit": limit, "pagination": pagination(page, limit, total)}),
        200,
    )
}

pub async fn summary(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::from_env(&ctx.env)?;
    let caller = authenticate(&req, &store, clock::now_ms()).await?;
    let logs = store
        .customer_balances(&caller.tenant_id, caller.env())
        .await?;
    let (total, failed) = store
        .customer_record_counts(&caller.tenant_id, caller.env())
        .await?;
    let mut sum = Amount::ZERO;
    let mut verified = 0u64;
    for l in &logs {
        sum = sum
            .checked_add(balance(&l.balance)?)
            .ok_or_else(|| ApiError::internal("summary", "overflow"))?;
        verified += l.size;
    }
    ok(
        &json!({
            "totalCustomers": logs.len(),
            "totalDeltas": total,
            "verifiedDeltas": verified,
            "failedDeltas": failed,
            "pendingDeltas": total.saturating_sub(verified + failed),
            "totalBalance": number(sum),
            "environment": caller.env(),
        }),
        200,
    )
}

/// The one log a customer id names for this caller (middleware tenants may need `vendorAccountId`).
async fn find(
    store: &Store,
    caller: &Caller,
    customer_id: &str,
    q: &Query,
) -> Result<CustomerRow, ApiError> {
    let mut rows = store
        .customer(&caller.tenant_id, caller.env(), customer_id)
        .await?;
    if let Some(vendor) = q.get("vendorAccountId") {
        rows.retain(|r| r.vendor_account_id.as_deref() == Some(vendor));
    }
    match rows.len() {
        0 => Err(ApiError::not_found(
            "CUSTOMER_NOT_FOUND",
            format!("no customer {customer_id:?} in this environment"),
        )),
        1 => Ok(rows.remove(0)),
        _ => Err(ApiError::invalid(
            "VENDOR_ACCOUNT_REQUIRED",
            Some("vendorAccountId".into()),
            "this customer id exists under several vendor accounts; name one",
        )),
    }
}

pub async fn detail(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::from_env(&ctx.env)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = query::param(&ctx, "customerId");
    let c = find(&store, &caller, &customer_id, &q).await?;
    let page = q.int("deltaPage", 1, 1, 1_000_000)?;
    let limit = q.int("deltaLimit", 20, 1, 100)?;
    let period = q.period("period")?;
    let bounds = period.as_deref().and_then(clock::month_range);
    let range = bounds.as_ref().map(|(from, to)| TimeRange { from, to });
    let (rows, total) = store
        .activity(&c.id, range.as_ref(), limit as u32, (page - 1) * limit)
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "recordId": r.id,
                "anchorId": r.submission_id,
                "delta": Amount::parse(&r.amount).ok().map(number),
                "reason": r.reason,
                "referenceId": r.reference_id,
                "status": status_of(r, now_ms).to_ascii_lowercase(),
                "time": r.received_at,
                "sequenceNumber": r.seq.map(|s| s.to_string()),
                "itemHash": r.item_hash,
                "verificationReference": r.entry_hash,
            })
        })
        .collect();
    let mut data = customer_json(&c)?;
    if let (Some(p), Some(range)) = (&period, &range) {
        data["period"] = month_view(&store, &c.id, p, range).await?;
    }
    data["latestCheckpoint"] = match store.latest_checkpoint(&c.id).await? {
        Some(cp) => json!({
            "checkpointId": cp.id,
            "period": cp.scope.rsplit_once('#').map_or(cp.scope.as_str(), |(l, _)| l),
            "proofRoot": cp.root,
            "treeSize": cp.size,
            "closingBalance": Amount::parse(&cp.closing).ok().map(number),
            "createdAt": cp.created_at,
        }),
        None => Value::Null,
    };
    data["recentActivity"] = json!({"items": items, "pagination": pagination(page, limit, total)});
    ok(&data, 200)
}

/// A month-pinned view: what was accepted and what was verified in the month, summed exactly.
async fn month_view(
    store: &Store,
    log_id: &str,
    period: &str,
    range: &TimeRange<'_>,
) -> Result<Value, ApiError> {
    let rows = store.amounts(log_id, range).await?;
    let (mut accepted, mut verified) = (Amount::ZERO, Amount::ZERO);
    let mut verified_count = 0u64;
    let mut accepted_count = 0u64;
    for r in rows.iter().filter(|r| r.failed_reason.is_none()) {
        accepted_count += 1;
        let a = balance(&r.amount)?;
        accepted = accepted.checked_add(a).unwrap_or(accepted);
        if r.seq.is_some() {
            verified = verified.checked_add(a).unwrap_or(verified);
            verified_count += 1;
        }
    }
    Ok(json!({
        "period": period,
        "recordsAccepted": accepted_count,
        "recordsFailed": rows.len() as u64 - accepted_count,
        "amountRecorded": number(accepted),
        "recordsVerified": verified_count,
        "amountVerified": number(verified),
    }))
}
