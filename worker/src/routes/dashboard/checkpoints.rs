//! `GET /dashboard/customers/:id/checkpoint-fingerprints?period` (and its aliases
//! `…/checkpoints/fingerprints`, `…/fingerprints`): the checkpoints that could close a period,
//! with the key that signed each; `GET /dashboard/customers/batch-checkpoints/export?period&
//! format=csv|json`: every customer's closing checkpoint of a period, streamed.

use std::borrow::Cow;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, with_rows, ApiError};
use crate::auth::{caller, Caller};
use crate::close::csv::{guard, write};
use crate::close::{periods, stream, Chunks};
use crate::lookup::find_customer_log;
use crate::query::{self, Query};
use crate::signing::{self, Keys};
use crate::store::{BatchRow, CheckpointRow, Store};
use crate::{clock, AppState};

/// The verifier key (of this deployment's current and retired keys) with this key id.
fn verifier_key<'a>(keys: &'a Keys, key_id: &str) -> Option<&'a str> {
    keys.trusted()
        .into_iter()
        .find(|k| k.split('+').nth(1) == Some(key_id))
}

/// `SHA256:` and the hex SHA-256 of a verifier key's text: one line to compare with a pinned key.
fn fingerprint(verifier_key: &str) -> String {
    format!(
        "SHA256:{}",
        hex::encode(Sha256::digest(verifier_key.as_bytes()))
    )
}

fn candidate(c: &CheckpointRow, keys: &Keys, closing: Option<&str>) -> Value {
    let vk = verifier_key(keys, &c.key_id);
    json!({
        "checkpointId": c.id,
        "period": c.label,
        "proofRoot": c.root,
        "treeSize": c.size,
        "startSize": c.start_size,
        "recordCount": c.count,
        "closed": c.closed == 1,
        "closesPeriod": closing == Some(c.id.as_str()),
        "createdAt": c.created_at,
        "keyId": c.key_id,
        "keyName": vk.and_then(|k| k.split('+').next()),
        "verifierKey": vk,
        "keyFingerprint": vk.map(fingerprint),
    })
}

/// The store, the dashboard caller, the query and its required `period`.
async fn setup(
    req: &Request,
    ctx: &RouteContext<AppState>,
    now_ms: u64,
) -> Result<(Store, Caller, Query, String), ApiError> {
    let store = Store::of(ctx)?;
    let caller = caller(req, ctx, &store, now_ms).await?;
    let q = Query::of(req)?;
    let period = q.period("period")?.ok_or_else(|| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("period".into()),
            "is required (YYYY-MM)",
        )
    })?;
    Ok((store, caller, q, period))
}

pub async fn fingerprints(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let (store, caller, q, period) = setup(&req, &ctx, now_ms).await?;
    let customer_id = query::param(&ctx, "customerId");
    let log = find_customer_log(&store, &caller, &customer_id, q.get("vendorAccountId")).await?;
    let keys = signing::keys(&ctx.env)?;
    // A period that has ended is closed on first use, as every closed-period route does.
    let closing = match periods::closed(&store, &keys, &log, &period, now_ms).await {
        Ok(c) => Some(c.id),
        Err(e) if matches!(e.code, "PERIOD_NOT_CLOSED" | "CHECKPOINT_PENDING") => None,
        Err(e) => return Err(e),
    };
    let rows = store.label_checkpoints(&log.id, &period, 50).await?;
    let candidates: Vec<Value> = rows
        .iter()
        .map(|c| candidate(c, &keys, closing.as_deref()))
        .collect();
    ok(
        &json!({"customerId": log.subject_id, "customerReference": log.id, "vendorAccountId": log.vendor_account_id,
                "period": period, "closingCheckpointId": closing, "candidates": candidates,
                "currentKey": {"verifierKey": keys.current, "keyFingerprint": fingerprint(&keys.current)}}),
        200,
    )
}

const BATCH_PAGE: u32 = 200;
const BATCH_COLUMNS: [&str; 15] = [
    "customerId",
    "vendorAccountId",
    "customerReference",
    "period",
    "status",
    "checkpointId",
    "proofRoot",
    "treeSize",
    "startSize",
    "recordCount",
    "openingBalance",
    "closingBalance",
    "keyId",
    "createdAt",
    "verifyUrl",
];

/// The batch export, a page of customers at a time.
struct Batch {
    tenant_id: String,
    environment: String,
    period: String,
    /// The period has ended (else every customer's status is `open`).
    ended: bool,
    csv: bool,
    base: String,
    after: String,
    state: u8,
}

impl Batch {
    fn status(&self, r: &BatchRow) -> &'static str {
        match (&r.checkpoint_id, self.ended) {
            (Some(_), _) => "closed",
            (None, true) => "not_yet_closed",
            (None, false) => "open",
        }
    }

    fn cells(&self, r: &BatchRow) -> [String; 15] {
        let n = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let verify = r
            .root
            .as_ref()
            .filter(|_| r.size.unwrap_or(0) > 0)
            .map(|root| format!("{}/verify/{root}", self.base));
        [
            r.subject_id.clone(),
            s(&r.vendor_account_id),
            r.log_id.clone(),
            self.period.clone(),
            self.status(r).into(),
            s(&r.checkpoint_id),
            s(&r.root),
            n(r.size),
            n(r.start_size),
            n(r.count),
            s(&r.opening),
            s(&r.closing),
            s(&r.key_id),
            s(&r.created_at),
            verify.unwrap_or_default(),
        ]
    }

    fn json(&self, r: &BatchRow) -> Value {
        let cells = self.cells(r);
        let mut o = serde_json::Map::new();
        for (k, v) in BATCH_COLUMNS.iter().zip(cells) {
            let numeric = matches!(*k, "treeSize" | "startSize" | "recordCount");
            let value = match (v.is_empty(), numeric) {
                (true, _) => Value::Null,
                (false, true) => v.parse::<u64>().map_or(Value::Null, Value::from),
                (false, false) => Value::String(v),
            };
            o.insert((*k).to_string(), value);
        }
        Value::Object(o)
    }
}

impl Chunks for Batch {
    async fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<u8>>, ApiError> {
        match self.state {
            0 => {
                self.state = 1;
                return Ok(Some(if self.csv {
                    write(core::iter::once(BATCH_COLUMNS.map(Cow::Borrowed)))
                } else {
                    format!("{{\"period\":{},\"checkpoints\":[", json!(self.period)).into_bytes()
                }));
            }
            2 => return Ok(None),
            _ => {}
        }
        let page = store
            .batch_checkpoints(
                &self.tenant_id,
                &self.environment,
                &self.period,
                &self.after,
                BATCH_PAGE,
            )
            .await?;
        let first = self.after.is_empty();
        let last = (page.len() as u32) < BATCH_PAGE;
        if let Some(r) = page.last() {
            self.after = r.log_id.clone();
        }
        let mut out = if self.csv {
            let rows: Vec<[String; 15]> = page.iter().map(|r| self.cells(r)).collect();
            write(rows.iter().map(|r| r.each_ref().map(|c| guard(c))))
        } else {
            let mut text = String::new();
            for (i, r) in page.iter().enumerate() {
                if !(first && i == 0) {
                    text.push(',');
                }
                text.push_str(&self.json(r).to_string());
            }
            text.into_bytes()
        };
        if last {
            self.state = 2;
            if !self.csv {
                out.extend_from_slice(b"]}");
            }
        }
        Ok(Some(out))
    }
}

pub async fn batch_export(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let (store, caller, q, period) = setup(&req, &ctx, now_ms).await?;
    let csv = q.one_of("format", &["csv", "json"])?.unwrap_or("csv") == "csv";
    let ended = periods::month_bounds(&period).is_some_and(|(_, end)| end <= now_ms);
    let batch = Batch {
        tenant_id: caller.tenant_id.clone(),
        environment: caller.env().into(),
        period: period.clone(),
        ended,
        csv,
        base: crate::routes::checkpoints::base_url(&req).unwrap_or_default(),
        after: String::new(),
        state: 0,
    };
    let rows = store.rows();
    let mut resp = Response::from_stream(stream(store, "batch checkpoint export", batch))
        .map_err(|e| ApiError::internal("stream", e))?;
    let (kind, ext) = if csv {
        ("text/csv; charset=utf-8; header=present", "csv")
    } else {
        ("application/json", "json")
    };
    let disposition = format!("attachment; filename=\"checkpoints-{period}.{ext}\"");
    let h = resp.headers_mut();
    for (k, v) in [
        ("Content-Type", kind),
        ("Content-Disposition", disposition.as_str()),
        ("Cache-Control", "no-store"),
    ] {
        h.set(k, v).map_err(|e| ApiError::internal("header", e))?;
    }
    Ok(with_rows(resp, rows))
}
