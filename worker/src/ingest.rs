//! The write side's rules, independent of HTTP and D1: what a valid delta or
//! write item is, and how accepted input becomes items, hashes and rows.

use serde_json::{Map, Value};
use vericord_core::merkle::MemoryTree;
use vericord_core::record::{item_hash_canonical, Adjusts, DeltaItem, Position, WriteItem};
use vericord_core::{
    account_reference, customer_partition, customer_reference, Amount, Environment, Hash,
};

use crate::api::ApiError;
use crate::body::Fields;
use crate::store::{NewLog, NewRecord};

pub const MAX_ID_CHARS: usize = 128;
pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_REFERENCE_CHARS: usize = 256;
pub const MAX_KEY_CHARS: usize = 256;
/// Metadata cap, measured as its canonical (JCS) UTF-8 bytes.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
pub const MAX_BATCH: usize = 100;

/// A validated delta, before ids and time are assigned.
pub struct DeltaInput {
    pub customer_id: String,
    pub delta: Amount,
    pub reason: String,
    pub reference_id: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub adjusts: Option<Adjusts>,
    pub vendor_account_id: Option<String>,
}

/// A validated write item.
pub struct WriteInput {
    pub key: String,
    pub account_id: String,
    pub bits: i64,
    pub metadata: Option<Map<String, Value>>,
}

fn err(code: &'static str, field: String, message: impl Into<String>) -> ApiError {
    ApiError::invalid(code, Some(field), message)
}

/// Customer and account ids: letters, digits, `_ - . :`, 1..=128 characters.
pub fn check_id(value: &str, field: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > MAX_ID_CHARS {
        return Err(err(
            "VALIDATION_ERROR",
            field.into(),
            format!("must be 1 to {MAX_ID_CHARS} characters"),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
    {
        return Err(err(
            "VALIDATION_ERROR",
            field.into(),
            format!("may contain only letters, digits, '_', '-', '.' and ':' (found {bad:?})"),
        ));
    }
    Ok(())
}

fn metadata(fields: &mut Fields<'_>, prefix: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(meta) = fields.object("metadata")? else {
        return Ok(None);
    };
    let size = vericord_core::jcs::canonicalize(&Value::Object(meta.clone()))
        .map_err(|e| err(e.code(), format!("{prefix}metadata"), e.to_string()))?
        .len();
    if size > MAX_METADATA_BYTES {
        return Err(err(
            "VALIDATION_ERROR",
            format!("{prefix}metadata"),
            format!("is {size} bytes as canonical JSON; at most {MAX_METADATA_BYTES} are allowed"),
        ));
    }
    Ok(Some(meta))
}

/// Reads one delta object. `middleware` decides whether `vendorAccountId` is
/// required or forbidden; `default_vendor` is a batch-level `vendorAccountId`.
pub fn delta_input(
    fields: &mut Fields<'_>,
    prefix: &str,
    middleware: bool,
    default_vendor: Option<&str>,
) -> Result<DeltaInput, ApiError> {
    let f = |name: &str| format!("{prefix}{name}");
    let customer_id = fields.required_string("customerId", MAX_ID_CHARS)?;
    check_id(&customer_id, &f("customerId"))?;
    let delta_text = fields.number_text("delta")?;
    let delta =
        Amount::parse_delta(delta_text).map_err(|e| err(e.code(), f("delta"), e.to_string()))?;
    let reason = fields.required_string("reason", MAX_REASON_CHARS)?;
    let reference_id = fields.string("referenceId", MAX_REFERENCE_CHARS)?;
    if reference_id.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(err(
            "VALIDATION_ERROR",
            f("referenceId"),
            "must not be blank",
        ));
    }
    let metadata = metadata(fields, prefix)?;
    let adjusts = match fields.nested("adjusts")? {
        None => None,
        Some(mut a) => {
            let by_reference = a.string("referenceId", MAX_REFERENCE_CHARS)?;
            let by_record = a.string("recordId", MAX_REFERENCE_CHARS)?;
            a.finish()?;
            match (by_reference, by_record) {
                (Some(r), None) if !r.trim().is_empty() => Some(Adjusts::ReferenceId(r)),
                (None, Some(r)) if !r.trim().is_empty() => Some(Adjusts::RecordId(r)),
                _ => {
                    return Err(err(
                        "VALIDATION_ERROR",
                        f("adjusts"),
                        "must name exactly one earlier delta: {\"referenceId\": …} or {\"recordId\": …}",
                    ))
                }
            }
        }
    };
    let vendor_account_id = fields
        .string("vendorAccountId", MAX_ID_CHARS)?
        .or(default_vendor.map(String::from));
    match (&vendor_account_id, middleware) {
        (None, true) => {
            return Err(err(
                "VENDOR_ACCOUNT_REQUIRED",
                f("vendorAccountId"),
                "is required for middleware tenants",
            ))
        }
        (Some(_), false) => {
            return Err(err(
                "VENDOR_ACCOUNT_FORBIDDEN",
                f("vendorAccountId"),
                "is only accepted from middleware tenants",
            ))
        }
        _ => {}
    }
    Ok(DeltaInput {
        customer_id,
        delta,
        reason,
        reference_id,
        metadata,
        adjusts,
        vendor_account_id,
    })
}

/// Reads one write item.
pub fn write_input(fields: &mut Fields<'_>, prefix: &str) -> Result<WriteInput, ApiError> {
    let key = fields.required_string("key", MAX_KEY_CHARS)?;
    let account_id = fields.required_string("accountId", MAX_ID_CHARS)?;
    check_id(&account_id, &format!("{prefix}accountId"))?;
    let text = fields.number_text("bits")?;
    let bits = parse_integer(text).ok_or_else(|| {
        err(
            "VALIDATION_ERROR",
            format!("{prefix}bits"),
            "must be an integer between -9007199254740991 and 9007199254740991",
        )
    })?;
    let metadata = metadata(fields, prefix)?;
    Ok(WriteInput {
        key,
        account_id,
        bits,
        metadata,
    })
}

/// A JSON integer token within ±(2^53 − 1): plain digits, no fraction or exponent, and no
/// `-0` (the same value as `0` written another way: a hashed item has one spelling).
fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = text == "0" || (!digits.starts_with('0') && !digits.is_empty());
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 16 {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    (value.unsigned_abs() < (1 << 53)).then_some(value)
}

/// Who a record is made for: the tenant, or for middleware tenants the vendor account.
pub fn owner<'a>(tenant_id: &'a str, vendor_account_id: Option<&'a str>) -> &'a str {
    vendor_account_id.unwrap_or(tenant_id)
}

/// The customer log a delta goes to.
pub fn new_customer_log(
    tenant_id: &str,
    env: Environment,
    customer_id: &str,
    vendor_account_id: Option<&str>,
) -> NewLog {
    let owner = owner(tenant_id, vendor_account_id);
    NewLog {
        id: customer_reference(owner, env, customer_id),
        kind: "customer",
        owner_id: owner.into(),
        subject_id: customer_id.into(),
        vendor_account_id: vendor_account_id.map(String::from),
        partition: customer_partition(owner, env, customer_id),
    }
}

/// The account log a write goes to.
pub fn account_log(tenant_id: &str, env: Environment, account_id: &str) -> NewLog {
    NewLog {
        id: account_reference(tenant_id, env, account_id),
        kind: "account",
        owner_id: tenant_id.into(),
        subject_id: account_id.into(),
        vendor_account_id: None,
        partition: customer_partition(tenant_id, env, account_id),
    }
}

/// Everything derived when a submission is accepted.
pub struct Built {
    pub records: Vec<NewRecord>,
    pub logs: Vec<NewLog>,
    pub items_root: Hash,
}

fn finish(records: Vec<NewRecord>, mut logs: Vec<NewLog>) -> Built {
    let tree = MemoryTree::new(
        records
            .iter()
            .filter_map(|r| r.item_hash.parse().ok())
            .collect(),
    );
    logs.sort_by(|a, b| a.id.cmp(&b.id));
    logs.dedup_by(|a, b| a.id == b.id);
    Built {
        records,
        logs,
        items_root: tree.root().root,
    }
}

/// Items, hashes and rows for accepted deltas. `ids` are the new record ids, in order.
pub fn build_deltas(
    tenant_id: &str,
    env: Environment,
    inputs: &[DeltaInput],
    ids: Vec<String>,
    received_at: &str,
) -> Result<Built, ApiError> {
    let count = u32::try_from(inputs.len()).map_err(|e| ApiError::internal("count", e))?;
    let mut records = Vec::with_capacity(inputs.len());
    let mut logs = Vec::new();
    for ((index, input), id) in (0u32..).zip(inputs).zip(ids) {
        let log = new_customer_log(
            tenant_id,
            env,
            &input.customer_id,
            input.vendor_account_id.as_deref(),
        );
        let item = DeltaItem {
            record_id: id.clone(),
            position: Position { index, count },
            received_at: received_at.into(),
            customer_reference: log.id.clone(),
            customer_id: input.customer_id.clone(),
            delta: input.delta,
            reason: input.reason.clone(),
            reference_id: input.reference_id.clone(),
            metadata: input.metadata.clone(),
            adjusts: input.adjusts.clone(),
            vendor_account_id: input.vendor_account_id.clone(),
        };
        let canonical = item
            .canonical()
            .map_err(|e| ApiError::internal("canonicalize item", e))?;
        records.push(NewRecord {
            id,
            log_id: log.id.clone(),
            idx: index,
            kind: "delta",
            amount: input.delta.to_string(),
            reason: Some(input.reason.clone()),
            reference_id: input.reference_id.clone(),
            write_key: None,
            item_hash: item_hash_canonical(&canonical).to_hex(),
            item: canonical,
        });
        logs.push(log);
    }
    Ok(finish(records, logs))
}

/// Items, hashes and rows for accepted write items.
pub fn build_writes(
    tenant_id: &str,
    env: Environment,
    inputs: &[WriteInput],
    ids: Vec<String>,
    received_at: &str,
) -> Result<Built, ApiError> {
    let count = u32::try_from(inputs.len()).map_err(|e| ApiError::internal("count", e))?;
    let mut records = Vec::with_capacity(inputs.len());
    let mut logs = Vec::new();
    for ((index, input), id) in (0u32..).zip(inputs).zip(ids) {
        let log = account_log(tenant_id, env, &input.account_id);
        let item = WriteItem {
            record_id: id.clone(),
            position: Position { index, count },
            received_at: received_at.into(),
            account_reference: log.id.clone(),
            account_id: input.account_id.clone(),
            key: input.key.clone(),
            bits: input.bits,
            metadata: input.metadata.clone(),
        };
        let canonical = item
            .canonical()
            .map_err(|e| ApiError::internal("canonicalize item", e))?;
        records.push(NewRecord {
            id,
            log_id: log.id.clone(),
            idx: index,
            kind: "write",
            amount: input.bits.to_string(),
            reason: None,
            reference_id: None,
            write_key: Some(input.key.clone()),
            item_hash: item_hash_canonical(&canonical).to_hex(),
            item: canonical,
        });
        logs.push(log);
    }
    Ok(finish(records, logs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(json: &str, middleware: bool) -> Result<DeltaInput, ApiError> {
        let mut f = Fields::parse(json, "").unwrap();
        let d = delta_input(&mut f, "", middleware, None)?;
        f.finish()?;
        Ok(d)
    }

    fn rejects(json: &str, code: &str, field: &str) {
        let e = delta(json, false)
            .err()
            .unwrap_or_else(|| panic!("accepted {json}"));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (code, Some(field)),
            "{json}: {}",
            e.message
        );
    }

    #[test]
    fn every_delta_rule() {
        let ok = delta(r#"{"customerId":"c.1:x-y_z","delta":-42.50,"reason":"usage","referenceId":"inv_1","metadata":{"a":1}}"#, false).unwrap();
        assert_eq!(ok.delta.to_string(), "-42.5");
        rejects(
            r#"{"delta":1,"reason":"r"}"#,
            "VALIDATION_ERROR",
            "customerId",
        );
        rejects(
            r#"{"customerId":"a b","delta":1,"reason":"r"}"#,
            "VALIDATION_ERROR",
            "customerId",
        );
        rejects(
            &format!(
                r#"{{"customerId":"{}","delta":1,"reason":"r"}}"#,
                "x".repeat(129)
            ),
            "VALIDATION_ERROR",
            "customerId",
        );
        rejects(
            r#"{"customerId":"c","reason":"r"}"#,
            "VALIDATION_ERROR",
            "delta",
        );
        rejects(
            r#"{"customerId":"c","delta":"1","reason":"r"}"#,
            "VALIDATION_ERROR",
            "delta",
        );
        rejects(
            r#"{"customerId":"c","delta":0,"reason":"r"}"#,
            "AMOUNT_ZERO",
            "delta",
        );
        rejects(
            r#"{"customerId":"c","delta":1e10,"reason":"r"}"#,
            "AMOUNT_OUT_OF_RANGE",
            "delta",
        );
        rejects(
            r#"{"customerId":"c","delta":0.1234567891,"reason":"r"}"#,
            "AMOUNT_TOO_PRECISE",
            "delta",
        );
        rejects(
            r#"{"customerId":"c","delta":1}"#,
            "VALIDATION_ERROR",
            "reason",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"  "}"#,
            "VALIDATION_ERROR",
            "reason",
        );
        rejects(
            &format!(
                r#"{{"customerId":"c","delta":1,"reason":"{}"}}"#,
                "r".repeat(501)
            ),
            "VALIDATION_ERROR",
            "reason",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","referenceId":5}"#,
            "VALIDATION_ERROR",
            "referenceId",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","metadata":[1]}"#,
            "VALIDATION_ERROR",
            "metadata",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","metadata":{"a":1,"a":2}}"#,
            "JSON_DUPLICATE_NAME",
            "metadata",
        );
        rejects(
            &format!(
                r#"{{"customerId":"c","delta":1,"reason":"r","metadata":{{"a":"{}"}}}}"#,
                "x".repeat(MAX_METADATA_BYTES)
            ),
            "VALIDATION_ERROR",
            "metadata",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","adjusts":{}}"#,
            "VALIDATION_ERROR",
            "adjusts",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","adjusts":{"referenceId":"a","recordId":"b"}}"#,
            "VALIDATION_ERROR",
            "adjusts",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","adjusts":{"other":"a"}}"#,
            "UNKNOWN_FIELD",
            "adjusts.other",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","vendorAccountId":"cmw_1"}"#,
            "VENDOR_ACCOUNT_FORBIDDEN",
            "vendorAccountId",
        );
        rejects(
            r#"{"customerId":"c","delta":1,"reason":"r","extra":1}"#,
            "UNKNOWN_FIELD",
            "extra",
        );
        let e = delta(r#"{"customerId":"c","delta":1,"reason":"r"}"#, true)
            .err()
            .unwrap();
        assert_eq!(e.code, "VENDOR_ACCOUNT_REQUIRED");
    }

    #[test]
    fn integers_for_bits() {
        assert_eq!(parse_integer("0"), Some(0));
        assert_eq!(parse_integer("-9007199254740991"), Some(-9007199254740991));
        for bad in ["1.0", "1e3", "01", "9007199254740992", "-", "", "-0", "-00"] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
    }

    #[test]
    fn built_items_hash_to_the_submission_root() {
        let inputs = vec![
            delta(r#"{"customerId":"a","delta":1,"reason":"r"}"#, false).unwrap(),
            delta(r#"{"customerId":"b","delta":2,"reason":"r"}"#, false).unwrap(),
        ];
        let built = build_deltas(
            "ten_1",
            Environment::Sandbox,
            &inputs,
            vec!["rec_1".into(), "rec_2".into()],
            "2026-04-01T00:00:00.000Z",
        )
        .unwrap();
        let leaves: Vec<Hash> = built
            .records
            .iter()
            .map(|r| vericord_core::record::item_hash_canonical(&r.item))
            .collect();
        assert_eq!(MemoryTree::new(leaves).root().root, built.items_root);
        assert_eq!(built.logs.len(), 2);
        assert!(
            built.records[1].item.contains(r#""count":2"#)
                && built.records[1].item.contains(r#""index":1"#)
        );
    }
}
