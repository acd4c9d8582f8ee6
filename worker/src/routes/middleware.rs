//! `/api/v1/middleware/*` (source doc 000): a billing middleware's headless verified-record
//! resources for its vendor accounts' customers — closed periods, one period, the close
//! package, compare, exports, and the vendor-scoped record. Direct tenants get a 403. Every
//! buyer-facing payload names the vendor account, never the middleware parent tenant.

use serde_json::json;
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::{authenticate, caller, Caller};
use crate::body::{read, Fields};
use crate::checkpointing::checkpoint_json;
use crate::close::identity::Recorder;
use crate::close::package::PackageWriter;
use crate::close::serve::{Links, Subject};
use crate::ingest::MAX_ID_CHARS;
use crate::lookup::{find_customer_log, middleware_customer_log, require_middleware};
use crate::query::{self, Query};
use crate::routes::checkpoints::base_url;
use crate::signing;
use crate::store::{LogRow, Store};
use crate::{clock, ingest, AppState};

/// A middleware caller and the customer log its request names (`vendorAccountId` in the query).
/// The dashboard serves these answers too, to direct vendors as well (`/dashboard/customers/…`).
pub async fn named(
    req: &Request,
    ctx: &RouteContext<AppState>,
) -> Result<(Caller, Subject), ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(ctx)?;
    let caller = caller(req, ctx, &store, now_ms).await?;
    if !caller.is_dashboard() {
        require_middleware(&caller)?;
    }
    let query = Query::of(req)?;
    let customer_id = query::param(ctx, "customerId");
    let vendor = query.get("vendorAccountId");
    let log = middleware_customer_log(&store, &caller, &customer_id, vendor).await?;
    let subject = subject(store, log, query, now_ms, req, ctx).await?;
    Ok((caller, subject))
}

pub async fn subject(
    store: Store,
    log: LogRow,
    query: Query,
    now_ms: u64,
    req: &Request,
    ctx: &RouteContext<AppState>,
) -> Result<Subject, ApiError> {
    let recorder = Recorder::of(&store, &log).await?;
    let keys = signing::keys(&ctx.env)?;
    let base = base_url(req).unwrap_or_default();
    let links = if req.path().starts_with("/dashboard/") {
        Links::Dashboard { base }
    } else {
        Links::Middleware { base }
    };
    Ok(Subject {
        store,
        log,
        recorder,
        keys,
        query,
        now_ms,
        links,
    })
}

/// `GET /api/v1/middleware/customers/:customerId/periods?limit&before`.
pub async fn list_periods(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    named(&req, &ctx).await?.1.periods().await
}

/// `GET /api/v1/middleware/customers/:customerId/periods/:checkpointId?limit&offset`.
pub async fn period(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let id = query::param(&ctx, "checkpointId");
    named(&req, &ctx).await?.1.period(&id).await
}

/// `GET /api/v1/middleware/customers/:customerId/close-package?period=|checkpointId=`.
pub async fn close_package(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    named(&req, &ctx).await?.1.export(&ctx, "json").await
}

/// `GET /api/v1/middleware/customers/:customerId/export?format=json|csv|pdf|bundle&period=…`.
pub async fn export(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (_, s) = named(&req, &ctx).await?;
    let format = s.query.get("format").unwrap_or("json").to_string();
    s.export(&ctx, &format).await
}

/// The close package a request names, ready to write (for the bench route that measures
/// what streaming saves against building it whole).
pub async fn package_writer(
    req: &Request,
    ctx: &RouteContext<AppState>,
) -> Result<(Store, PackageWriter), ApiError> {
    named(req, ctx).await?.1.package_writer().await
}

/// `POST /api/v1/middleware/customers/:customerId/compare {from, to, vendorAccountId?}`.
pub async fn compare(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    require_middleware(&caller)?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let from = f.required_string("from", 128)?;
    let to = f.required_string("to", 128)?;
    let vendor = f.string("vendorAccountId", MAX_ID_CHARS)?;
    f.finish()?;
    let customer_id = query::param(&ctx, "customerId");
    let log = middleware_customer_log(&store, &caller, &customer_id, vendor.as_deref()).await?;
    let s = subject(store, log, Query::of(&req)?, now_ms, &req, &ctx).await?;
    s.compare(&ctx, &from, &to).await
}

/// `GET /api/v1/middleware/vendors/:vendorId/customers/:externalCustomerId/record`.
pub async fn vendor_record(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    require_middleware(&caller)?;
    let vendor = query::param(&ctx, "vendorId");
    let customer_id = query::param(&ctx, "externalCustomerId");
    if store
        .vendor_account(&caller.tenant_id, &vendor)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(
            "VENDOR_ACCOUNT_NOT_FOUND",
            "no such vendor account for this tenant",
        ));
    }
    ingest::check_id(&customer_id, "externalCustomerId").map_err(|_| {
        ApiError::not_found(
            "CUSTOMER_NOT_FOUND",
            format!("no customer {customer_id:?} in this environment"),
        )
    })?;
    let log = find_customer_log(&store, &caller, &customer_id, Some(&vendor)).await?;
    let n = subject(store, log, Query::of(&req)?, now_ms, &req, &ctx).await?;
    let base = n.base().to_string();
    let latest = n.store.latest_checkpoint(&n.log.id).await?;
    let (recent, _) = n.closed_periods(None, 3).await?;
    ok(
        &json!({
            "customer": n.customer_json(), "recordedBy": n.recorder.recorded_by(), "tenant": n.recorder.tenant(),
            "environment": caller.env(),
            "balance": crate::api::amount_json(&n.log.balance),
            "balanceText": n.log.balance,
            "counts": {"records": n.log.records_total, "verified": n.log.size, "failed": n.log.records_failed, "pending": n.log.pending()},
            "latestCheckpoint": latest.as_ref().map(|c| checkpoint_json(c, &n.log, &n.keys, Some(&base))),
            "periods": recent,
            "links": {
                "periods": n.link("periods"),
                "closePackage": n.link("close-package?period=YYYY-MM"),
                "export": n.link("export?format=bundle&period=YYYY-MM"),
                "compare": n.link("compare"),
            },
        }),
        200,
    )
}
