//! The closed-period answers that the middleware routes (`/api/v1/middleware/customers/…`)
//! and the Shared Record routes (`/api/v1/c/:handle/…`) share: one implementation, two ways
//! in. A [`Subject`] is a customer log as one of them named it, with where its links point.

use serde_json::{json, Value};
use worker::{Response, RouteContext};

use super::bundle::{BundleWriter, VERIFIER_WASM, VERIFY_TEMPLATE};
use super::export::{self, CsvWriter};
use super::identity::Recorder;
use super::package::{file_name, Head, PackageWriter};
use super::{compare, events, periods, stream};
use crate::api::{ok, with_rows, ApiError};
use crate::checkpointing::checkpoint_json;
use crate::query::Query;
use crate::signing::{self, Keys};
use crate::store::{CheckpointRow, LogRow, Store};
use crate::{clock, AppState};

/// Where a subject's links point.
pub enum Links {
    /// `{base}/api/v1/middleware/customers/{id}/{rest}?vendorAccountId=…`.
    Middleware { base: String },
    /// `{base}/api/v1/c/{handle}/{rest}`.
    Shared { base: String, handle: String },
    /// `{base}/dashboard/customers/{id}/{rest}` (`?vendorAccountId=…` for middleware).
    Dashboard { base: String },
}

/// A customer log as a request named it.
pub struct Subject {
    pub store: Store,
    pub log: LogRow,
    pub recorder: Recorder,
    pub keys: Keys,
    pub query: Query,
    pub now_ms: u64,
    pub links: Links,
}

impl Subject {
    pub fn base(&self) -> &str {
        match &self.links {
            Links::Middleware { base } | Links::Shared { base, .. } | Links::Dashboard { base } => {
                base
            }
        }
    }

    /// The URL of `rest` (a path below the customer, maybe with a query).
    pub fn link(&self, rest: &str) -> String {
        match &self.links {
            Links::Middleware { base } | Links::Dashboard { base } => {
                let id = percent_encoding::utf8_percent_encode(
                    &self.log.subject_id,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                let prefix = match &self.links {
                    Links::Dashboard { .. } => "dashboard/customers",
                    _ => "api/v1/middleware/customers",
                };
                let url = format!("{base}/{prefix}/{id}/{rest}");
                match self.log.vendor_account_id.as_deref() {
                    Some(vendor) => {
                        let sep = if rest.contains('?') { '&' } else { '?' };
                        format!("{url}{sep}vendorAccountId={vendor}")
                    }
                    None => url,
                }
            }
            Links::Shared { base, handle } => format!("{base}/api/v1/c/{handle}/{rest}"),
        }
    }

    pub fn customer_json(&self) -> Value {
        json!({"customerId": self.log.subject_id, "customerReference": self.log.id})
    }

    /// `customer`, `recordedBy` and `tenant`: who the buyer sees.
    pub fn identity(&self) -> Value {
        json!({"customer": self.customer_json(), "recordedBy": self.recorder.recorded_by(), "tenant": self.recorder.tenant()})
    }

    fn period_json(&self, cp: &CheckpointRow, totals: &periods::Totals) -> Value {
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
                "detail": self.link(&format!("periods/{}", cp.id)),
                "closePackage": self.link(&format!("close-package?period={}", cp.label)),
                "export": self.link(&format!("export?format=bundle&period={}", cp.label)),
                "verifyUrl": format!("{}/verify/{}", self.base(), cp.root),
            },
        })
    }

    /// Up to `limit` closed periods, newest first, each closed on first use; one whose
    /// records are still being sequenced is listed as `closing`.
    pub async fn closed_periods(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Value>, bool), ApiError> {
        let Some(first) = periods::first_month(&self.store, &self.log).await? else {
            return Ok((Vec::new(), false));
        };
        let mut months = periods::closed_months(&first, self.now_ms, before, limit + 1);
        let more = months.len() > limit;
        months.truncate(limit);
        let mut out = Vec::with_capacity(months.len());
        for label in months {
            match periods::closed(&self.store, &self.keys, &self.log, &label, self.now_ms).await {
                Ok(cp) => {
                    let totals = periods::totals(&self.store, &cp).await?;
                    out.push(self.period_json(&cp, &totals));
                }
                Err(e) if e.code == "CHECKPOINT_PENDING" => {
                    out.push(json!({"period": label, "status": "closing"}))
                }
                Err(e) => return Err(e),
            }
        }
        Ok((out, more))
    }

    /// The periods list (`?limit&before`).
    pub async fn periods(&self) -> Result<Response, ApiError> {
        let limit = self.query.int("limit", 12, 1, 24)? as usize;
        let before = self.query.period("before")?;
        let (list, more) = self.closed_periods(before.as_deref(), limit).await?;
        let next = more
            .then(|| {
                list.last()
                    .and_then(|p| p["period"].as_str().map(String::from))
            })
            .flatten();
        let mut data = self.identity();
        data["periods"] = Value::Array(list);
        data["pagination"] = json!({"limit": limit, "before": before, "nextBefore": next});
        ok(&data, 200)
    }

    /// One closed period with its records paged (`?limit&offset`).
    pub async fn period(&self, checkpoint_id: &str) -> Result<Response, ApiError> {
        let (store, keys, log) = (&self.store, &self.keys, &self.log);
        let cp = periods::named(store, keys, log, None, Some(checkpoint_id), self.now_ms).await?;
        let previous = periods::previous(store, keys, log, &cp, self.now_ms).await?;
        let limit = self.query.int("limit", 100, 1, 1000)?;
        let offset = self.query.int("offset", 0, 0, u64::from(u32::MAX))?;
        let from = cp.start_size.saturating_add(offset).min(cp.size);
        let to = from.saturating_add(limit).min(cp.size);
        let start = clock::rfc3339(cp.start_ms);
        let mut records = Vec::new();
        for e in store
            .package_entries(&log.id, from, to, limit as u32)
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
        let totals = periods::totals(store, &cp).await?;
        let base = self.base();
        let proof: Value = serde_json::from_str(&cp.consistency_proof).unwrap_or(Value::Null);
        let consistency = match &previous {
            // The stored proof runs from the latest checkpoint at or below at creation; the
            // period's own is from the previous period's close.
            Some(p) if cp.previous_size != p.size => {
                let proof = crate::proofs::consistency(store, log, p.size, cp.size).await?;
                json!({"fromSize": p.size, "fromRoot": p.root, "toSize": cp.size, "proof": proof})
            }
            _ => {
                json!({"fromSize": cp.previous_size, "fromRoot": cp.previous_root, "toSize": cp.size, "proof": proof})
            }
        };
        let mut data = self.identity();
        data["period"] = self.period_json(&cp, &totals);
        data["summary"] = totals.json();
        data["checkpoint"] = checkpoint_json(&cp, log, keys, Some(base));
        data["previousCheckpoint"] = previous
            .as_ref()
            .map_or(Value::Null, |p| checkpoint_json(p, log, keys, Some(base)));
        data["consistencyProof"] = consistency;
        data["records"] = Value::Array(records);
        data["pagination"] = json!({"limit": limit, "offset": offset, "total": cp.count});
        ok(&data, 200)
    }

    /// The closed period a close-package or export request names, with the package's head.
    async fn package_head(&self) -> Result<Head, ApiError> {
        let (store, keys, log) = (&self.store, &self.keys, &self.log);
        let cp = periods::named(
            store,
            keys,
            log,
            self.query.get("period"),
            self.query.get("checkpointId"),
            self.now_ms,
        )
        .await?;
        let previous = periods::previous(store, keys, log, &cp, self.now_ms).await?;
        Ok(Head::new(log, &self.recorder, keys, cp, previous))
    }

    /// The close package, ready to write (the bench route builds it whole to compare).
    pub async fn package_writer(self) -> Result<(Store, PackageWriter), ApiError> {
        let head = self.package_head().await?;
        let writer = PackageWriter::prepare(&self.store, head, &self.log, self.keys).await?;
        Ok((self.store, writer))
    }

    /// An export (`json`, the close package, streamed; `csv`; `pdf`; `bundle`).
    pub async fn export(
        self,
        ctx: &RouteContext<AppState>,
        format: &str,
    ) -> Result<Response, ApiError> {
        if !matches!(format, "json" | "csv" | "pdf" | "bundle") {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("format".into()),
                "must be json, csv, pdf or bundle",
            ));
        }
        let head = self.package_head().await?;
        let cp = head.checkpoint.clone();
        events::record(
            &self.store,
            &self.log,
            &self.recorder,
            "customer.export_downloaded",
            json!({"period": cp.label, "checkpointId": cp.id, "format": format}),
        )
        .await?;
        self.store
            .add_signal(&self.log.id, &cp.label, "export_downloaded", self.now_ms)
            .await?;
        ctx.data.dispatch_after();
        let Subject {
            store,
            log,
            keys,
            recorder,
            links,
            ..
        } = self;
        let base = match links {
            Links::Middleware { base } | Links::Shared { base, .. } | Links::Dashboard { base } => {
                base
            }
        };
        let rows = store.rows();
        if format == "json" {
            let writer = PackageWriter::prepare(&store, head, &log, keys).await?;
            let resp = Response::from_stream(stream(store, "close package", writer))
                .map_err(|e| ApiError::internal("stream", e))?;
            let file = file_name(&log, &cp.label, "json");
            return Ok(with_rows(
                attachment(resp, "application/json", &file)?,
                rows,
            ));
        }
        let totals = periods::totals(&store, &cp).await?;
        let st = export::statement(&head, &totals, &keys, &base);
        let resp = match format {
            "csv" => {
                let writer = CsvWriter::new(st, &log.id, cp.start_size, cp.size);
                let resp = Response::from_stream(stream(store, "csv export", writer))
                    .map_err(|e| ApiError::internal("stream", e))?;
                attachment(
                    resp,
                    "text/csv; charset=utf-8; header=present",
                    &file_name(&log, &cp.label, "csv"),
                )?
            }
            "pdf" => {
                let pdf = export::pdf(&store, &st, &log.id, cp.start_size, cp.size).await?;
                let resp = Response::from_bytes(pdf).map_err(|e| ApiError::internal("pdf", e))?;
                attachment(resp, "application/pdf", &file_name(&log, &cp.label, "pdf"))?
            }
            _ => {
                let (template, wasm) = verifier_assets(ctx).await?;
                let keys2 = signing::keys(&ctx.env)?;
                let embedded_head = Head::new(
                    &log,
                    &recorder,
                    &keys2,
                    head.checkpoint.clone(),
                    head.previous.clone(),
                );
                let package = PackageWriter::prepare(&store, head, &log, keys).await?;
                let embedded = PackageWriter::prepare(&store, embedded_head, &log, keys2).await?;
                let csv = CsvWriter::new(st.clone(), &log.id, cp.start_size, cp.size);
                let writer = BundleWriter::new(
                    package,
                    embedded,
                    csv,
                    st,
                    &log.id,
                    (cp.start_size, cp.size),
                    &template,
                    &wasm,
                )?;
                let resp = Response::from_stream(stream(store, "bundle export", writer))
                    .map_err(|e| ApiError::internal("stream", e))?;
                attachment(resp, "application/zip", &file_name(&log, &cp.label, "zip"))?
            }
        };
        Ok(with_rows(resp, rows))
    }

    /// Compares two periods or checkpoints (`from`, `to`: labels or checkpoint ids).
    pub async fn compare(
        &self,
        ctx: &RouteContext<AppState>,
        from: &str,
        to: &str,
    ) -> Result<Response, ApiError> {
        let (store, keys, log) = (&self.store, &self.keys, &self.log);
        let a = periods::compare_side(store, keys, log, from, "from", self.now_ms).await?;
        let b = periods::compare_side(store, keys, log, to, "to", self.now_ms).await?;
        let result = compare::compare(store, keys, log, &self.recorder, &a, &b).await?;
        events::record(store, log, &self.recorder, "customer.compare_run",
            json!({"from": {"checkpointId": a.id, "period": a.label}, "to": {"checkpointId": b.id, "period": b.label},
                   "entries": result["differences"]["entries"]})).await?;
        store
            .add_signal(&log.id, &b.label, "compare_run", self.now_ms)
            .await?;
        ctx.data.dispatch_after();
        ok(&result, 200)
    }
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
