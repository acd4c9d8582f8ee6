//! `POST /dashboard/customers` (a customer made by hand before its first record; the call the
//! official SDK's `customers.create` makes) and `GET /dashboard/customers/:id/export` (the
//! customer's activity as CSV).

use serde_json::json;
use worker::{Request, Response, RouteContext};

use crate::api::{ok, with_rows, ApiError};
use crate::auth::caller;
use crate::body::{read, Fields};
use crate::close::activity::ActivityCsv;
use crate::close::package::safe_id;
use crate::close::{events, identity::Recorder, stream};
use crate::ingest::{self, MAX_ID_CHARS};
use crate::lookup::{find_customer_log, vendor_for};
use crate::query::{self, Query};
use crate::store::{ManualCustomer, Store, RECORD_STATUSES};
use crate::{clock, ids, AppState};

/// An optional hint: an upper-case word such as `INHERIT` or `PER_EVENT`.
fn hint(f: &mut Fields<'_>, name: &str) -> Result<Option<String>, ApiError> {
    let value = f.string(name, 40)?;
    if let Some(v) = &value {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some(name.into()),
                "must be an upper-case word such as INHERIT or PER_EVENT",
            ));
        }
    }
    Ok(value)
}

/// `POST /dashboard/customers {displayName, customerId?, sharingStateHint?, eventCadence?,
/// unitLabel?, vendorAccountId?}`: 201, or 409 when the id exists (by hand or by records).
pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    caller.require_write()?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let display_name = f.required_string("displayName", 200)?;
    if display_name.trim().is_empty() {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("displayName".into()),
            "must not be blank",
        ));
    }
    let customer_id = f.string("customerId", MAX_ID_CHARS)?;
    if let Some(c) = &customer_id {
        ingest::check_id(c, "customerId")?;
    }
    let sharing = hint(&mut f, "sharingStateHint")?;
    let cadence = hint(&mut f, "eventCadence")?;
    let unit = f.string("unitLabel", 40)?;
    let vendor = f.string("vendorAccountId", MAX_ID_CHARS)?;
    f.finish()?;
    let vendor = vendor_for(&store, &caller, vendor).await?;
    let customer_id = match customer_id {
        Some(c) => c,
        None => ids::new_id("cust_")?,
    };
    let log = ingest::new_customer_log(
        &caller.tenant_id,
        caller.environment,
        &customer_id,
        vendor.as_deref(),
    );
    let profile = json!({"sharingStateHint": sharing, "eventCadence": cadence, "unitLabel": unit});
    let profile_text = profile.to_string();
    let created_at = clock::rfc3339(now_ms);
    let created = store
        .insert_manual_customer(&ManualCustomer {
            tenant_id: &caller.tenant_id,
            environment: caller.env(),
            log: &log,
            display_name: &display_name,
            profile: Some(&profile_text),
            created_at: &created_at,
        })
        .await?;
    if !created {
        return Err(ApiError::new(
            409,
            "CUSTOMER_EXISTS",
            format!("customer {customer_id:?} exists in this environment already"),
        )
        .with_field("customerId".into()));
    }
    let head = store
        .log_head(&caller.tenant_id, caller.env(), &log.id)
        .await?
        .ok_or_else(|| ApiError::internal("customer", "vanished"))?;
    let recorder = Recorder::of(&store, &head).await?;
    let details = json!({"displayName": display_name, "source": "manual"});
    if events::record(&store, &head, &recorder, "customer.created", details).await? {
        ctx.data.dispatch_after();
    }
    ok(
        &json!({
            "customerId": customer_id,
            "customerReference": log.id,
            "customerPartition": log.partition,
            "vendorAccountId": vendor,
            "displayName": display_name,
            "source": "manual",
            "sharingStateHint": profile["sharingStateHint"],
            "eventCadence": profile["eventCadence"],
            "unitLabel": profile["unitLabel"],
            "environment": caller.env(),
            "createdAt": created_at,
        }),
        201,
    )
}

/// `GET /dashboard/customers/:customerId/export?status=&vendorAccountId=`: CSV, streamed.
pub async fn export(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let status = q.one_of("status", RECORD_STATUSES)?;
    let customer_id = query::param(&ctx, "customerId");
    let log = find_customer_log(&store, &caller, &customer_id, q.get("vendorAccountId")).await?;
    let recorder = Recorder::of(&store, &log).await?;
    events::record(
        &store,
        &log,
        &recorder,
        "customer.export_downloaded",
        json!({"format": "csv", "scope": "activity", "status": status}),
    )
    .await?;
    ctx.data.dispatch_after();
    let rows = store.rows();
    let disposition = format!("attachment; filename=\"activity-{}.csv\"", safe_id(&log));
    let writer = ActivityCsv::new(log, recorder, status, now_ms);
    let mut resp = Response::from_stream(stream(store, "activity export", writer))
        .map_err(|e| ApiError::internal("stream", e))?;
    let h = resp.headers_mut();
    for (k, v) in [
        ("Content-Type", "text/csv; charset=utf-8; header=present"),
        ("Content-Disposition", disposition.as_str()),
        ("Cache-Control", "no-store"),
    ] {
        h.set(k, v).map_err(|e| ApiError::internal("header", e))?;
    }
    Ok(with_rows(resp, rows))
}
