//! The middleware's webhook events about what its buyers' records were used for:
//! `customer.export_downloaded` and `customer.compare_run` (source doc 000), one per event,
//! signed and delivered like every other. Written only when the tenant has an endpoint; their
//! payloads name the vendor account, never the parent tenant.

use serde_json::{json, Value};

use super::identity::Recorder;
use crate::api::ApiError;
use crate::store::{LogRow, Store};
use crate::{clock, ids};

/// Puts one event in the outbox if the tenant has an enabled endpoint; true if it did.
pub async fn record(
    store: &Store,
    log: &LogRow,
    recorder: &Recorder,
    kind: &str,
    details: Value,
) -> Result<bool, ApiError> {
    if !store.has_webhooks(&log.tenant_id, &log.environment).await? {
        return Ok(false);
    }
    let id = ids::new_id("evt_")?;
    let now = clock::rfc3339(clock::now_ms());
    let mut data = json!({
        "customerId": log.subject_id,
        "customerReference": log.id,
        "vendorAccountId": log.vendor_account_id,
        "recordedBy": recorder.recorded_by(),
        "at": now,
    });
    if let (Some(d), Value::Object(extra)) = (data.as_object_mut(), details) {
        d.extend(extra);
    }
    let body = json!({"id": id, "event": kind, "timestamp": now, "createdAt": now, "tenantId": log.tenant_id, "data": data});
    store
        .insert_event(
            &log.tenant_id,
            &log.environment,
            &id,
            kind,
            &body.to_string(),
            &now,
        )
        .await?;
    Ok(true)
}
