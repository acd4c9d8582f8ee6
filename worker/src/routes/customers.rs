//! `GET /api/v1/balance/customers`, `/customers/summary`, `/customers/:customerId` — also the
//! dashboard's `/dashboard/customers…` (same handlers, a dashboard token in front).

use serde_json::{json, Value};
use vericord_core::Amount;
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::auth::{caller, Caller};
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::scope::parse_time;
use crate::store::{
    join, CustomerFilter, CustomerRow, Page, RecordFilter, Store, CUSTOMER_SORTS, RECORD_SORTS,
    RECORD_STATUSES,
};
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
        "displayName": c.display_name,
        "source": c.created_by,
        "profile": c.profile.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()),
    }))
}

fn pagination(page: u64, limit: u64, total: u64) -> Value {
    json!({"page": page, "limit": limit, "total": total, "totalPages": total.div_ceil(limit.max(1))})
}

pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, clock::now_ms()).await?;
    let q = Query::of(&req)?;
    let page = q.int("page", 1, 1, 1_000_000)?;
    let limit = q.int("limit", 25, 1, 100)?;
    let filter = CustomerFilter {
        search: q.text("search", 200)?,
        vendor: q.text("vendorAccountId", 64)?,
        source: q.one_of("source", &["manual", "integration"])?,
        health: q.one_of("health", &["healthy", "pending", "failed"])?,
        sort: q.one_of("sortBy", CUSTOMER_SORTS)?.unwrap_or("customerId"),
        order: q.one_of("sortOrder", &["asc", "desc"])?.unwrap_or("asc"),
    };
    let (rows, total) = store
        .customers(
            &caller.tenant_id,
            caller.env(),
            &filter,
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
    let caller = caller(&req, &ctx, &store, clock::now_ms()).await?;
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
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = query::param(&ctx, "customerId");
    let c = find(&store, &caller, &customer_id, &q).await?;
    let page = q.int("deltaPage", 1, 1, 1_000_000)?;
    let limit = q.int("deltaLimit", 20, 1, 100)?;
    let period = q.period("period")?;
    let filter = record_filter(&q)?;
    let at = Page {
        limit,
        offset: (page - 1) * limit,
    };
    let (rows, total, more) = if !filter.is_plain() {
        if period.is_some() {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("period".into()),
                "cannot be combined with filters or sorting; use startDate and endDate",
            ));
        }
        // Filtered: one row past the page says whether there is a next one.
        let mut rows = store
            .filtered_activity(&c.id, &filter, limit + 1, at.offset)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        (rows, None, more)
    } else if let Some(p) = &period {
        let month = store.month(&c.id, p).await?;
        let rows = store.month_activity(&c.id, p, &month, &at).await?;
        (rows, Some(month.accepted), page * limit < month.accepted)
    } else {
        (
            store.activity(&c.id, c.records_total, &at).await?,
            Some(c.records_total),
            page * limit < c.records_total,
        )
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
    let mut paging = match total {
        Some(total) => pagination(page, limit, total),
        None => json!({"page": page, "limit": limit, "total": null, "totalPages": null}),
    };
    paging["hasMore"] = more.into();
    data["recentActivity"] = json!({"items": items, "pagination": paging});
    ok(&data, 200)
}

/// The detail's record filters: `status, reason, startDate, endDate, search, sortBy, sortOrder`.
fn record_filter(q: &Query) -> Result<RecordFilter<'_>, ApiError> {
    let time = |name: &str| -> Result<Option<u64>, ApiError> {
        q.get(name).map(|t| parse_time(t, name)).transpose()
    };
    let (start, end) = (time("startDate")?, time("endDate")?);
    // A date alone as endDate means through that day.
    let end = end.map(|ms| match q.get("endDate") {
        Some(t) if t.len() == 10 => ms + 86_400_000,
        _ => ms,
    });
    if let (Some(s), Some(e)) = (start, end) {
        if s >= e {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("endDate".into()),
                "must be after startDate",
            ));
        }
    }
    Ok(RecordFilter {
        status: q.one_of("status", RECORD_STATUSES)?,
        reason: q.text("reason", 200)?,
        from: start.map(clock::rfc3339),
        to: end.map(clock::rfc3339),
        search: q.text("search", 200)?,
        sort: q.one_of("sortBy", RECORD_SORTS)?.unwrap_or("time"),
        order: q.one_of("sortOrder", &["asc", "desc"])?.unwrap_or("desc"),
    })
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
