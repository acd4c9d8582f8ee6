//! `POST /api/v1/balance/delta`, `POST /api/v1/balance/delta/batch`, `GET /api/v1/balance/delta/:id`.

use serde::Serialize;
use serde_json::value::RawValue;
use vericord_core::record::Adjusts;
use worker::{Request, Response, RouteContext};

use crate::api::{json_response, number, ok, ok_text, ApiError};
use crate::auth::{authenticate, Caller};
use crate::body::{read, Fields};
use crate::idempotency::{self, Outcome};
use crate::ingest::{self, DeltaInput, MAX_BATCH};
use crate::routes::accept::{accept_submission, Submission};
use crate::routes::views::{record_view, status_of, submission_status};
use crate::store::Store;
use crate::{clock, query, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmitData {
    record_id: String,
    anchor_id: String,
    customer_id: String,
    customer_reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_account_id: Option<String>,
    delta: Box<RawValue>,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_id: Option<String>,
    status: &'static str,
    receipt_id: String,
    items_root: String,
    item_hash: String,
    item_hashes: Vec<String>,
    estimated_verified_deltas: usize,
    received_at: String,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchResult {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_id: Option<String>,
    status: &'static str,
    /// The error code of a FAILED item, a plain string as the SDK expects
    /// (it reports `str(result["error"])`); `message` and `field` say more.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Efficiency {
    unique_customers: usize,
    total_deltas: usize,
    estimated_slots: usize,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchData {
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    items_root: Option<String>,
    item_hashes: Vec<String>,
    received_at: String,
    total_queued: usize,
    total_failed: usize,
    results: Vec<BatchResult>,
    #[serde(rename = "_efficiency")]
    efficiency: Efficiency,
}

/// Checks what needs storage: the vendor account exists, and `adjusts` names an earlier delta of the same customer.
async fn resolve(
    store: &Store,
    caller: &Caller,
    input: &DeltaInput,
    prefix: &str,
) -> Result<(), ApiError> {
    if let Some(vendor) = &input.vendor_account_id {
        if store
            .vendor_account(&caller.tenant_id, vendor)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(
                "VENDOR_ACCOUNT_NOT_FOUND",
                Some(format!("{prefix}vendorAccountId")),
                "no such vendor account for this tenant",
            ));
        }
    }
    if let Some(adjusts) = &input.adjusts {
        let log = ingest::new_customer_log(
            &caller.tenant_id,
            caller.environment,
            &input.customer_id,
            input.vendor_account_id.as_deref(),
        );
        let (by_record, by_reference) = match adjusts {
            Adjusts::RecordId(r) => (Some(r.as_str()), None),
            Adjusts::ReferenceId(r) => (None, Some(r.as_str())),
        };
        if store
            .adjusted_record(
                &caller.tenant_id,
                caller.env(),
                &log.id,
                by_record,
                by_reference,
            )
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(
                "ADJUSTS_NOT_FOUND",
                Some(format!("{prefix}adjusts")),
                "names no earlier delta of this customer",
            ));
        }
    }
    Ok(())
}

pub async fn emit(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let key = idempotency::key(&req)?;
    let body = read(&mut req).await?;
    let mut fields = Fields::parse(&body, "")?;
    let input = ingest::delta_input(&mut fields, "", caller.middleware, None)?;
    fields.finish()?;
    resolve(&store, &caller, &input, "").await?;
    let key = match idempotency::claim(
        &store,
        &caller,
        key,
        "delta",
        &body,
        now_ms,
        idempotency::lease_ms(&ctx.env),
    )
    .await?
    {
        Outcome::Respond(resp) => return Ok(resp),
        Outcome::Proceed(key) => key,
    };
    let inputs = [input];
    let sub = Submission::deltas(&caller, &inputs, now_ms)?;
    let record = &sub.built.records[0];
    let data = EmitData {
        record_id: record.id.clone(),
        anchor_id: sub.id.clone(),
        customer_id: inputs[0].customer_id.clone(),
        customer_reference: record.log_id.clone(),
        vendor_account_id: inputs[0].vendor_account_id.clone(),
        delta: number(inputs[0].delta),
        reason: inputs[0].reason.clone(),
        reference_id: inputs[0].reference_id.clone(),
        status: "QUEUED",
        receipt_id: sub.built.items_root.to_hex(),
        items_root: sub.built.items_root.to_hex(),
        item_hash: record.item_hash.clone(),
        item_hashes: vec![record.item_hash.clone()],
        estimated_verified_deltas: 1,
        received_at: sub.received_at.clone(),
        message: "Delta queued for verification. Store receiptId for later proof generation.",
    };
    let text = ok_text(&data)?;
    if let Some(resp) =
        accept_submission(&store, &caller, &sub, "delta", key.as_ref(), 201, &text).await?
    {
        return Ok(resp);
    }
    sub.built.logs.iter().for_each(|l| ctx.data.kick(&l.id));
    json_response(201, text)
}

fn customer_hint(item: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(item).ok()?;
    v.get("customerId")?.as_str().map(String::from)
}

pub async fn batch(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let key = idempotency::key(&req)?;
    let body = read(&mut req).await?;
    let mut fields = Fields::parse(&body, "")?;
    let batch_vendor = fields.string("vendorAccountId", ingest::MAX_ID_CHARS)?;
    if batch_vendor.is_some() && !caller.middleware {
        return Err(ApiError::invalid(
            "VENDOR_ACCOUNT_FORBIDDEN",
            Some("vendorAccountId".into()),
            "is only accepted from middleware tenants",
        ));
    }
    let raw_items = fields.array("deltas")?;
    fields.finish()?;
    if raw_items.is_empty() || raw_items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("deltas".into()),
            format!(
                "must hold 1 to {MAX_BATCH} deltas (got {})",
                raw_items.len()
            ),
        ));
    }

    // Per-item validation: failures are reported in-band, the rest are accepted.
    let mut parsed: Vec<(usize, Result<DeltaInput, ApiError>)> =
        Vec::with_capacity(raw_items.len());
    for (i, raw) in raw_items.iter().enumerate() {
        let prefix = format!("deltas[{i}].");
        let result = Fields::from_raw(raw, &prefix).and_then(|mut f| {
            let d =
                ingest::delta_input(&mut f, &prefix, caller.middleware, batch_vendor.as_deref())?;
            f.finish()?;
            Ok(d)
        });
        parsed.push((i, result));
    }
    // One vendor account per submission group.
    let mut vendors: Vec<&str> = parsed
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok()?.vendor_account_id.as_deref())
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    if vendors.len() > 1 {
        return Err(ApiError::invalid(
            "VENDOR_ACCOUNT_MIXED",
            Some("deltas".into()),
            "a batch must name a single vendorAccountId",
        ));
    }
    for (i, result) in parsed.iter_mut() {
        if let Ok(input) = result {
            if let Err(e) = resolve(&store, &caller, input, &format!("deltas[{i}].")).await {
                if e.code == "VENDOR_ACCOUNT_NOT_FOUND" || e.status != 400 {
                    return Err(e);
                }
                *result = Err(e);
            }
        }
    }

    let failures: Vec<BatchResult> = parsed
        .iter()
        .filter_map(|(i, r)| {
            r.as_ref().err().map(|e| BatchResult {
                index: *i,
                // The customer id a failed item names, parsed only for the failures.
                customer_id: raw_items.get(*i).and_then(|raw| customer_hint(raw.get())),
                delta: None,
                record_id: None,
                anchor_id: None,
                item_hash: None,
                receipt_id: None,
                status: "FAILED",
                error: Some(e.code),
                message: Some(e.message.clone()),
                field: e.field.clone(),
            })
        })
        .collect();
    let (positions, inputs): (Vec<usize>, Vec<DeltaInput>) = parsed
        .into_iter()
        .filter_map(|(i, r)| Some((i, r.ok()?)))
        .unzip();
    if inputs.is_empty() {
        let details: Vec<serde_json::Value> = failures
            .iter()
            .map(|f| serde_json::json!({"code": f.error, "message": f.message, "field": f.field}))
            .collect();
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("deltas".into()),
            "no delta in the batch is valid",
        )
        .with_extra("results", details.into()));
    }

    let key = match idempotency::claim(
        &store,
        &caller,
        key,
        "batch",
        &body,
        now_ms,
        idempotency::lease_ms(&ctx.env),
    )
    .await?
    {
        Outcome::Respond(resp) => return Ok(resp),
        Outcome::Proceed(key) => key,
    };
    let sub = Submission::deltas(&caller, &inputs, now_ms)?;
    let root = sub.built.items_root.to_hex();
    let mut results: Vec<BatchResult> = positions
        .iter()
        .zip(&inputs)
        .zip(&sub.built.records)
        .map(|((&index, input), record)| BatchResult {
            index,
            customer_id: Some(input.customer_id.clone()),
            delta: Some(number(input.delta)),
            record_id: Some(record.id.clone()),
            anchor_id: Some(sub.id.clone()),
            item_hash: Some(record.item_hash.clone()),
            receipt_id: Some(root.clone()),
            status: "QUEUED",
            error: None,
            message: None,
            field: None,
        })
        .collect();
    let total_failed = failures.len();
    results.extend(failures);
    results.sort_by_key(|r| r.index);
    let unique_customers = sub.built.logs.len();
    let data = BatchData {
        anchor_id: Some(sub.id.clone()),
        receipt_id: Some(root.clone()),
        items_root: Some(root),
        item_hashes: sub
            .built
            .records
            .iter()
            .map(|r| r.item_hash.clone())
            .collect(),
        received_at: sub.received_at.clone(),
        total_queued: inputs.len(),
        total_failed,
        results,
        efficiency: Efficiency {
            unique_customers,
            total_deltas: inputs.len(),
            estimated_slots: unique_customers,
            message: format!(
                "{} delta(s) packed into {} verified operation(s)",
                inputs.len(),
                unique_customers
            ),
        },
    };
    let text = ok_text(&data)?;
    if let Some(resp) =
        accept_submission(&store, &caller, &sub, "batch", key.as_ref(), 201, &text).await?
    {
        return Ok(resp);
    }
    sub.built.logs.iter().for_each(|l| ctx.data.kick(&l.id));
    json_response(201, text)
}

pub async fn status(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let id = query::param(&ctx, "id");
    if id.starts_with("rec_") {
        if let Some(row) = store.record(&caller.tenant_id, caller.env(), &id).await? {
            if row.kind == "delta" {
                if status_of(&row, now_ms) == "QUEUED" {
                    ctx.data.kick(&row.log_id); // stranded by a crash: sequence it now
                }
                return ok(&record_view(&row, now_ms), 200);
            }
        }
    } else if let Some(sub) = store
        .submission(&caller.tenant_id, caller.env(), &id)
        .await?
    {
        if sub.kind != "write" {
            let rows = store.submission_records(&sub.id).await?;
            let deltas: Vec<_> = rows.iter().map(|r| record_view(r, now_ms)).collect();
            let statuses: Vec<&str> = rows.iter().map(|r| status_of(r, now_ms)).collect();
            rows.iter()
                .filter(|r| status_of(r, now_ms) == "QUEUED")
                .for_each(|r| ctx.data.kick(&r.log_id));
            let data = serde_json::json!({
                "anchorId": sub.id,
                "status": submission_status(&statuses),
                "receiptId": sub.items_root,
                "itemsRoot": sub.items_root,
                "deltaCount": sub.item_count,
                "receivedAt": sub.received_at,
                "txHash": null,
                "deltas": deltas,
            });
            return ok(&data, 200);
        }
    }
    Err(ApiError::not_found(
        "DELTA_NOT_FOUND",
        "no delta or submission with this id",
    ))
}
