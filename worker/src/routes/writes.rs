//! `POST /api/v1/writes`: items recorded into per-account logs; all-or-nothing validation.

use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::api::{json_response, ApiError};
use crate::auth::authenticate;
use crate::body::{read, Fields};
use crate::idempotency::{self, Outcome};
use crate::ingest::{self, MAX_BATCH};
use crate::routes::accept::{accept_submission, Submission};
use crate::store::Store;
use crate::{clock, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WriteRecord {
    index: usize,
    key: String,
    account_id: String,
    record_id: String,
    item_hash: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WriteData {
    request_id: String,
    item_count: usize,
    status: &'static str,
    message: &'static str,
    receipt_id: String,
    items_root: String,
    item_hashes: Vec<String>,
    received_at: String,
    records: Vec<WriteRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    success: bool,
    status_code: u16,
    data: &'a WriteData,
}

pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let key = idempotency::key(&req)?;
    let body = read(&mut req).await?;
    let mut fields = Fields::parse(&body, "")?;
    let raw_items = fields.array("items")?;
    fields.finish()?;
    if raw_items.is_empty() || raw_items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("items".into()),
            format!("'items' must be a non-empty array of at most {MAX_BATCH} items"),
        ));
    }
    let mut inputs = Vec::with_capacity(raw_items.len());
    for (i, raw) in raw_items.iter().enumerate() {
        let prefix = format!("items[{i}].");
        let mut f = Fields::from_raw(raw, &prefix)?;
        let input = ingest::write_input(&mut f, &prefix)?;
        f.finish()?;
        if let Some(first) = inputs
            .iter()
            .position(|w: &ingest::WriteInput| w.key == input.key)
        {
            return Err(ApiError::new(
                409,
                "DUPLICATE_KEY",
                format!("key repeats items[{first}].key"),
            )
            .with_field(format!("{prefix}key")));
        }
        inputs.push(input);
    }
    let key = match idempotency::claim(
        &store,
        &caller,
        key,
        "writes",
        &body,
        now_ms,
        idempotency::lease_ms(&ctx.env),
    )
    .await?
    {
        Outcome::Respond(resp) => return Ok(resp),
        Outcome::Proceed(key) => key,
    };
    // Checked after the claim: a retry of an accepted request is replayed, not refused.
    let keys: Vec<&str> = inputs.iter().map(|w| w.key.as_str()).collect();
    let keys_json = serde_json::to_string(&keys).map_err(|e| ApiError::internal("keys", e))?;
    let taken = store
        .existing_write_keys(&caller.tenant_id, caller.env(), &keys_json)
        .await?;
    if let Some(i) = inputs.iter().position(|w| taken.contains(&w.key)) {
        if let Some(claim) = &key {
            store.idem_release(claim).await?;
        }
        return Err(
            ApiError::new(409, "DUPLICATE_KEY", "a write with this key already exists")
                .with_field(format!("items[{i}].key")),
        );
    }
    let sub = Submission::writes(&caller, &inputs, now_ms)?;
    let root = sub.built.items_root.to_hex();
    let data = WriteData {
        request_id: sub.id.clone(),
        item_count: inputs.len(),
        status: "queued",
        message: "Write accepted. Items are queued for verification.",
        receipt_id: root.clone(),
        items_root: root,
        item_hashes: sub
            .built
            .records
            .iter()
            .map(|r| r.item_hash.clone())
            .collect(),
        received_at: sub.received_at.clone(),
        records: inputs
            .iter()
            .zip(&sub.built.records)
            .enumerate()
            .map(|(index, (w, r))| WriteRecord {
                index,
                key: w.key.clone(),
                account_id: w.account_id.clone(),
                record_id: r.id.clone(),
                item_hash: r.item_hash.clone(),
            })
            .collect(),
    };
    let text = serde_json::to_string(&Envelope {
        success: true,
        status_code: 202,
        data: &data,
    })
    .map_err(|e| ApiError::internal("serialize", e))?;
    if let Some(resp) =
        accept_submission(&store, &caller, &sub, "write", key.as_ref(), 202, &text).await?
    {
        return Ok(resp);
    }
    sub.built.logs.iter().for_each(|l| ctx.data.kick(&l.id));
    json_response(202, text)
}
