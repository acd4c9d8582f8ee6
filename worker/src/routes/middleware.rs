//! `/api/v1/middleware/*` (source doc 000): a billing middleware's headless verified-record
//! resources for its vendor accounts' customers — closed periods, one period, the close
//! package, compare, exports, and the vendor-scoped record. Direct tenants get a 403. Every
//! buyer-facing payload names the vendor account, never the middleware parent tenant.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, with_rows, ApiError};
use crate::auth::{authenticate, Caller};
use crate::body::{read, Fields};
use crate::checkpointing::checkpoint_json;
use crate::close::bundle::{BundleWriter, VERIFIER_WASM, VERIFY_TEMPLATE};
use crate::close::export::{self, CsvWriter};
use crate::close::identity::Recorder;
use crate::close::package::{file_name, Head, PackageWriter};
use crate::close::{compare, events, periods, stream};
use crate::ingest::MAX_ID_CHARS;
use crate::lookup::{find_customer_log, middleware_customer_log, require_middleware};
use crate::query::{self, Query};
use crate::routes::checkpoints::base_url;
use crate::signing::{self, Keys};
use crate::store::{LogRow, Store};
use crate::{clock, ingest, AppState};

/// A middleware caller and the customer log its request names.
struct Named {
    store: Store,
    caller: Caller,
    log: LogRow,
    recorder: Recorder,
    keys: Keys,
    query: Query,
    now_ms: u64,
}

async fn named(req: &Request, ctx: &RouteContext<AppState>) -> Result<Named, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(ctx)?;
    let caller = authenticate(req, &store, now_ms).await?;
    require_middleware(&caller)?;
    let query = Query::of(req)?;
    let customer_id = query::param(ctx, "customerId");
    let log = middleware_customer_log(&store, &caller, &customer_id, query.get("vendorAccountId"))
        .await?;
    let recorder = Recorder::of(&store, &log).await?;
    let keys = signing::keys(&ctx.env)?;
    Ok(Named {
        store,
        caller,
        log,
        recorder,
        keys,
        query,
        now_ms,
    })
}

fn customer_json(log: &LogRow) -> Value {
    json!({"customerId": log.subject_id, "customerReference": log.id})
}

/// `…/customers/:id/<rest>` with the vendor account that selects the log.
fn link(base: &str, log: &LogRow, rest: &str) -> String {
    let vendor = log.vendor_account_id.as_deref().unwrap_or_default();
    let id =
        percent_encoding::utf8_percent_encode(&log.subject_id, percent_encoding::NON_ALPHANUMERIC);
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!("{base}/api/v1/middleware/customers/{id}/{rest}{sep}vendorAccountId={vendor}")
}

fn period_json(
    n: &Named,
    cp: &crate::store::CheckpointRow,
    totals: &periods::Totals,
    base: &str,
) -> Value {
    json!({
        "period": cp.label,
        "start": clock::rfc3339(cp.start_ms),
        "end": clock::rfc3339(cp.end_ms),
        "status": "closed",
        "checkpointId": cp.id,
        "proofRoot": cp.root,
        "startSize": cp.start_size,
        "treeSize": cp.size,
        "totals": totals.json(),
        "links": {
            "detail": link(base, &n.log, &format!("periods/{}", cp.id)),
            "closePackage": link(base, &n.log, &format!("close-package?period={}", cp.label)),
            "export": link(base, &n.log, &format!("export?format=bundle&period={}", cp.label)),
            "verifyUrl": format!("{base}/verify/{}", cp.root),
        },
    })
}

/// Up to `limit` closed periods, newest first, each closed on first use; one whose records
/// are still being sequenced is listed as `closing`.
async fn closed_periods(
    n: &Named,
    before: Option<&str>,
    limit: usize,
    base: &str,
) -> Result<(Vec<Value>, bool), ApiError> {
    let Some(first) = periods::first_month(&n.store, &n.log).await? else {
        return Ok((Vec::new(), false));
    };
    let mut months = periods::closed_months(&first, n.now_ms, before, limit + 1);
    let more = months.len() > limit;
    months.truncate(limit);
    let mut out = Vec::with_capacity(months.len());
    for label in months {
        match periods::closed(&n.store, &n.keys, &n.log, &label, n.now_ms).await {
            Ok(cp) => {
                let totals = periods::totals(&n.store, &cp).await?;
                out.push(period_json(n, &cp, &totals, base));
            }
            Err(e) if e.code == "CHECKPOINT_PENDING" => {
                out.push(json!({"period": label, "status": "closing"}))
            }
            Err(e) => return Err(e),
        }
    }
    Ok((out, more))
}

/// `GET /api/v1/middleware/customers/:customerId/periods?limit&before`.
pub async fn list_periods(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let n = named(&req, &ctx).await?;
    let limit = n.query.int("limit", 12, 1, 24)? as usize;
    let before = n.query.period("before")?;
    let base = base_url(&req).unwrap_or_default();
    let (list, more) = closed_periods(&n, before.as_deref(), limit, &base).await?;
    let next = more
        .then(|| {
            list.last()
                .and_then(|p| p["period"].as_str().map(String::from))
        })
        .flatten();
    ok(
        &json!({"customer": customer_json(&n.log), "recordedBy": n.recorder.recorded_by(), "tenant": n.recorder.tenant(),
                "periods": list, "pagination": {"limit": limit, "before": before, "nextBefore": next}}),
        200,
    )
}

/// `GET /api/v1/middleware/customers/:customerId/periods/:checkpointId?limit&offset`.
pub async fn period(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let n = named(&req, &ctx).await?;
    let id = query::param(&ctx, "checkpointId");
    let cp = periods::named(&n.store, &n.keys, &n.log, None, Some(&id), n.now_ms).await?;
    let previous = periods::previous(&n.store, &n.keys, &n.log, &cp, n.now_ms).await?;
    let limit = n.query.int("limit", 100, 1, 1000)?;
    let offset = n.query.int("offset", 0, 0, u64::from(u32::MAX))?;
    let from = cp.start_size.saturating_add(offset).min(cp.size);
    let to = from.saturating_add(limit).min(cp.size);
    let start = clock::rfc3339(cp.start_ms);
    let mut records = Vec::new();
    for e in n
        .store
        .package_entries(&n.log.id, from, to, limit as u32)
        .await?
    {
        let r = export::statement_record(&e, &start)?;
        let item: Value = serde_json::from_str(&e.item).unwrap_or(Value::Null);
        records.push(json!({
            "seq": r.seq, "recordId": r.record_id, "receivedAt": r.received_at, "delta": r.delta.to_string(),
            "reason": r.reason, "referenceId": r.reference_id, "balanceAfter": r.balance_after.to_string(),
            "itemHash": r.item_hash, "entryHash": r.entry_hash, "receivedBeforePeriod": r.received_before_period, "item": item,
        }));
    }
    let totals = periods::totals(&n.store, &cp).await?;
    let base = base_url(&req).unwrap_or_default();
    let proof: Value = serde_json::from_str(&cp.consistency_proof).unwrap_or(Value::Null);
    let consistency = match &previous {
        // The stored proof runs from the latest checkpoint at or below at creation; the
        // period's own is from the previous period's close.
        Some(p) if cp.previous_size != p.size => {
            let plan = vericord_core::merkle::consistency_plan(p.size, cp.size)
                .map_err(|e| ApiError::internal("plan", e))?;
            let tree = crate::proofs::TreeReader::load(&n.store, &n.log, &[&plan]).await?;
            json!({"fromSize": p.size, "fromRoot": p.root, "toSize": cp.size, "proof": crate::proofs::hex(&tree.assemble(&plan)?)})
        }
        _ => {
            json!({"fromSize": cp.previous_size, "fromRoot": cp.previous_root, "toSize": cp.size, "proof": proof})
        }
    };
    ok(
        &json!({
            "customer": customer_json(&n.log), "recordedBy": n.recorder.recorded_by(), "tenant": n.recorder.tenant(),
            "period": period_json(&n, &cp, &totals, &base),
            "summary": totals.json(),
            "checkpoint": checkpoint_json(&cp, &n.log, &n.keys, Some(&base)),
            "previousCheckpoint": previous.as_ref().map(|p| checkpoint_json(p, &n.log, &n.keys, Some(&base))),
            "consistencyProof": consistency,
            "records": records,
            "pagination": {"limit": limit, "offset": offset, "total": cp.count},
        }),
        200,
    )
}

/// The closed period a close-package or export request names, with the package's head.
async fn package_head(n: &Named) -> Result<Head, ApiError> {
    let cp = periods::named(
        &n.store,
        &n.keys,
        &n.log,
        n.query.get("period"),
        n.query.get("checkpointId"),
        n.now_ms,
    )
    .await?;
    let previous = periods::previous(&n.store, &n.keys, &n.log, &cp, n.now_ms).await?;
    Ok(Head::new(&n.log, &n.recorder, &n.keys, cp, previous))
}

fn attachment(mut resp: Response, content_type: &str, file: &str) -> Result<Response, ApiError> {
    let h = resp.headers_mut();
    let set = |h: &mut worker::Headers, k: &str, v: &str| {
        h.set(k, v).map_err(|e| ApiError::internal("header", e))
    };
    set(h, "Content-Type", content_type)?;
    set(
        h,
        "Content-Disposition",
        &format!("attachment; filename=\"{file}\""),
    )?;
    set(h, "Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET /api/v1/middleware/customers/:customerId/close-package?period=|checkpointId=`.
pub async fn close_package(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    export_as(req, ctx, Some("json")).await
}

/// `GET /api/v1/middleware/customers/:customerId/export?format=json|csv|pdf|bundle&period=…`.
pub async fn export(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    export_as(req, ctx, None).await
}

async fn export_as(
    req: Request,
    ctx: RouteContext<AppState>,
    fixed: Option<&str>,
) -> Result<Response, ApiError> {
    let n = named(&req, &ctx).await?;
    let format = match fixed {
        Some(f) => f.to_string(),
        None => n.query.get("format").unwrap_or("json").to_string(),
    };
    if !matches!(format.as_str(), "json" | "csv" | "pdf" | "bundle") {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("format".into()),
            "must be json, csv, pdf or bundle",
        ));
    }
    let head = package_head(&n).await?;
    let base = base_url(&req).unwrap_or_default();
    let cp = head.checkpoint.clone();
    events::record(
        &n.store,
        &n.log,
        &n.recorder,
        "customer.export_downloaded",
        json!({"period": cp.label, "checkpointId": cp.id, "format": format}),
    )
    .await?;
    ctx.data.dispatch_after();
    let rows = n.store.rows();
    let resp = match format.as_str() {
        "json" => {
            let writer = PackageWriter::prepare(&n.store, head, &n.log, n.keys).await?;
            let resp = Response::from_stream(stream(n.store, "close package", writer))
                .map_err(|e| ApiError::internal("stream", e))?;
            attachment(
                resp,
                "application/json",
                &file_name(&n.log, &cp.label, "json"),
            )?
        }
        "csv" => {
            let totals = periods::totals(&n.store, &cp).await?;
            let st = export::statement(&head, &totals, &n.keys, &base);
            let writer = CsvWriter::new(st, &n.log.id, cp.start_size, cp.size);
            let resp = Response::from_stream(stream(n.store, "csv export", writer))
                .map_err(|e| ApiError::internal("stream", e))?;
            attachment(
                resp,
                "text/csv; charset=utf-8; header=present",
                &file_name(&n.log, &cp.label, "csv"),
            )?
        }
        "pdf" => {
            let totals = periods::totals(&n.store, &cp).await?;
            let st = export::statement(&head, &totals, &n.keys, &base);
            let pdf = export::pdf(&n.store, &st, &n.log.id, cp.start_size, cp.size).await?;
            let resp = Response::from_bytes(pdf).map_err(|e| ApiError::internal("pdf", e))?;
            attachment(
                resp,
                "application/pdf",
                &file_name(&n.log, &cp.label, "pdf"),
            )?
        }
        _ => {
            let totals = periods::totals(&n.store, &cp).await?;
            let st = export::statement(&head, &totals, &n.keys, &base);
            let (template, wasm) = verifier_assets(&ctx).await?;
            let keys2 = signing::keys(&ctx.env)?;
            let embedded_head = Head::new(
                &n.log,
                &n.recorder,
                &keys2,
                head.checkpoint.clone(),
                head.previous.clone(),
            );
            let package = PackageWriter::prepare(&n.store, head, &n.log, n.keys).await?;
            let embedded = PackageWriter::prepare(&n.store, embedded_head, &n.log, keys2).await?;
            let csv = CsvWriter::new(st.clone(), &n.log.id, cp.start_size, cp.size);
            let writer = BundleWriter::new(
                package,
                embedded,
                csv,
                st,
                &n.log.id,
                (cp.start_size, cp.size),
                &template,
                &wasm,
            )?;
            let resp = Response::from_stream(stream(n.store, "bundle export", writer))
                .map_err(|e| ApiError::internal("stream", e))?;
            attachment(
                resp,
                "application/zip",
                &file_name(&n.log, &cp.label, "zip"),
            )?
        }
    };
    Ok(with_rows(resp, rows))
}

/// The verifier page template and the verifier's wasm, from the Worker's static assets (the
/// npm package's browser build: scripts/lib.sh build_www).
async fn verifier_assets(ctx: &RouteContext<AppState>) -> Result<(String, Vec<u8>), ApiError> {
    let assets = ctx
        .env
        .assets("ASSETS")
        .map_err(|e| ApiError::internal("ASSETS binding", e))?;
    let get = |path: &'static str| {
        let assets = &assets;
        async move {
            let mut res = assets
                .fetch(format!("https://assets.local{path}"), None)
                .await
                .map_err(|e| ApiError::internal("asset", e))?;
            if res.status_code() != 200 {
                return Err(ApiError::internal(
                    "asset",
                    format!("{path}: {}", res.status_code()),
                ));
            }
            res.bytes()
                .await
                .map_err(|e| ApiError::internal("asset", e))
        }
    };
    let template = String::from_utf8(get(VERIFY_TEMPLATE).await?)
        .map_err(|e| ApiError::internal("asset", e))?;
    Ok((template, get(VERIFIER_WASM).await?))
}

/// The close package a request names, ready to write (for the bench route that measures
/// what streaming saves against building it whole).
pub async fn package_writer(
    req: &Request,
    ctx: &RouteContext<AppState>,
) -> Result<(Store, PackageWriter), ApiError> {
    let n = named(req, ctx).await?;
    let head = package_head(&n).await?;
    let writer = PackageWriter::prepare(&n.store, head, &n.log, n.keys).await?;
    Ok((n.store, writer))
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
    let recorder = Recorder::of(&store, &log).await?;
    let keys = signing::keys(&ctx.env)?;
    let a = periods::compare_side(&store, &keys, &log, &from, "from", now_ms).await?;
    let b = periods::compare_side(&store, &keys, &log, &to, "to", now_ms).await?;
    let result = compare::compare(&store, &keys, &log, &recorder, &a, &b).await?;
    events::record(&store, &log, &recorder, "customer.compare_run",
        json!({"from": {"checkpointId": a.id, "period": a.label}, "to": {"checkpointId": b.id, "period": b.label},
               "entries": result["differences"]["entries"]})).await?;
    ctx.data.dispatch_after();
    ok(&result, 200)
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
    let recorder = Recorder::of(&store, &log).await?;
    let keys = signing::keys(&ctx.env)?;
    let base = base_url(&req).unwrap_or_default();
    let n = Named {
        store,
        caller,
        log,
        recorder,
        keys,
        query: Query::of(&req)?,
        now_ms,
    };
    let latest = n.store.latest_checkpoint(&n.log.id).await?;
    let (recent, _) = closed_periods(&n, None, 3, &base).await?;
    ok(
        &json!({
            "customer": customer_json(&n.log), "recordedBy": n.recorder.recorded_by(), "tenant": n.recorder.tenant(),
            "environment": n.caller.env(),
            "balance": crate::api::amount_json(&n.log.balance),
            "balanceText": n.log.balance,
            "counts": {"records": n.log.records_total, "verified": n.log.size, "failed": n.log.records_failed, "pending": n.log.pending()},
            "latestCheckpoint": latest.as_ref().map(|c| checkpoint_json(c, &n.log, &n.keys, Some(&base))),
            "periods": recent,
            "links": {
                "periods": link(&base, &n.log, "periods"),
                "closePackage": link(&base, &n.log, "close-package?period=YYYY-MM"),
                "export": link(&base, &n.log, "export?format=bundle&period=YYYY-MM"),
                "compare": link(&base, &n.log, "compare"),
            },
        }),
        200,
    )
}
