//! `GET /api/v1/balance/customers`, `/customers/summary`, `/customers/:customerId`.

use serde_json::{json, Value};
use vericord_core::Amount;
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::auth::{authenticate, Caller};
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::scope::parse_time;
use crate::store::{join, CustomerRow, Page, Store};
use crate::{checkpointing, clock, AppState};

fn balance(text: &str) -> Result<Amount, ApiError> {
    Amount::parse(text).map_err(|e| ApiError::internal("stored balance", e))
}

fn customer_json(c: &CustomerRow) -> Result<Value, ApiError> {
    Ok(json!({
        "customerId": c.subject_id,
        "customerReference": c.id,
        "customerPartition": c.partition,
        "vendorAccountId": c.vendor_account_id,
        "totalDeltas": c.records_total,
        "verifiedDeltas": c.size,
        "failedDeltas": c.records_failed,
        "computedBalance": number(balance(&c.balance)?),
        "firstActivityAt": c.created_at,
        "lastActivityAt": c.last_received_at,
    }))
}

fn pagination(page: u64, limit: u64, total: u64) -> Value {
    json!({"page": page, "limit": limit, "total": total, "totalPages": total.div_ceil(limit.max(1))})
}

pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
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
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, clock::now_ms()).await?;
    let t = store
        .customer_summary(&caller.tenant_id, caller.env())
        .await?;
    ok(
        &json!({
            "totalCustomers": t.customers,
            "totalDeltas": t.records,
            "verifiedDeltas": t.verified,
            "failedDeltas": t.failed,
            "pendingDeltas": t.records.saturating_sub(t.verified + t.failed),
            "totalBalance": number(join(t.balance_units, t.balance_nanos)),
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
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = query::param(&ctx, "customerId");
    let c = find(&store, &caller, &customer_id, &q).await?;
    let page = q.int("deltaPage", 1, 1, 1_000_000)?;
    let limit = q.int("deltaLimit", 20, 1, 100)?;
    let period = q.period("period")?;
    let at = Page {
        limit,
        offset: (page - 1) * limit,
    };
    let (rows, total) = match &period {
        Some(p) => {
            let total = store.month(&c.id, p).await?.accepted;
            (store.month_activity(&c.id, p, total, &at).await?, total)
        }
        None => (
            store.activity(&c.id, c.records_total, &at).await?,
            c.records_total,
        ),
    };
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
    if let Some(p) = &period {
        data["period"] = month_view(&store, &c, p, now_ms).await?;
    }
    data["latestCheckpoint"] = match store.latest_checkpoint(&c.id).await? {
        Some(cp) => json!({
            "checkpointId": cp.id,
            "period": cp.label,
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

/// A month-pinned view: what was received in the month (and of it failed) from the month's
/// counters, and what was verified in the month's period from its two boundaries — exact
/// sums in a constant number of rows.
async fn month_view(
    store: &Store,
    c: &CustomerRow,
    period: &str,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let m = store.month(&c.id, period).await?;
    let accepted = join(m.accepted_units, m.accepted_nanos);
    let failed = join(m.failed_units, m.failed_nanos);
    let recorded = accepted
        .checked_sub(failed)
        .ok_or_else(|| ApiError::internal("month view", "overflow"))?;
    let (start, end) =
        clock::month_range(period).ok_or_else(|| ApiError::internal("month view", "period"))?;
    let (start_ms, end_ms) = (parse_time(&start, "period")?, parse_time(&end, "period")?);
    let from = store.size_before(&c.id, start_ms).await?.min(c.size);
    let to = store
        .size_before(&c.id, end_ms.min(now_ms.saturating_add(1)))
        .await?
        .clamp(from, c.size);
    let verified = checkpointing::balance_at(store, &c.id, to)
        .await?
        .checked_sub(checkpointing::balance_at(store, &c.id, from).await?)
        .ok_or_else(|| ApiError::internal("month view", "overflow"))?;
    Ok(json!({
        "period": period,
        "recordsAccepted": m.accepted.saturating_sub(m.failed),
        "recordsFailed": m.failed,
        "amountRecorded": number(recorded),
        "recordsVerified": to - from,
        "amountVerified": number(verified),
    }))
}
