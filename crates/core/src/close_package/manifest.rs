//! `manifest.fields`: the manifest note signs exactly the package's members (§12; §15 builds
//! its manifest from the same members).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde_json::{Map, Value};

use super::model::{Customer, Package, Period, RecordedBy, Summary, Tenant, Text};
use super::{manifest_text, FORMAT};
use crate::checkpoint::Checkpoint;
use crate::jcs;

/// A JSON object of `pairs`, in any order (JCS sorts them).
pub(crate) fn object(pairs: &[(&str, Value)]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(String::from(*k), v.clone());
    }
    Value::Object(map)
}

fn s(t: &str) -> Value {
    Value::String(String::from(t))
}

/// `{checkpointId, size, root}` of a verified checkpoint.
pub(crate) fn head(id: &str, c: &Checkpoint) -> Value {
    object(&[
        ("checkpointId", s(id)),
        ("size", Value::from(c.size)),
        ("root", Value::String(c.root.to_hex())),
    ])
}

/// The members every signed package shares (§12, §15): format, environment, customer,
/// recordedBy, tenant, period, verifierKeys.
pub(crate) fn common_members<'m>(
    format: &str,
    environment: &str,
    customer: &Customer<'_>,
    by: &RecordedBy<'_>,
    tenant: &Tenant<'_>,
    period: &Period<'_>,
    keys: &[Text<'_>],
) -> Vec<(&'m str, Value)> {
    vec![
        ("format", s(format)),
        ("environment", s(environment)),
        (
            "customer",
            object(&[
                ("customerId", s(&customer.customer_id)),
                ("customerReference", s(&customer.customer_reference)),
            ]),
        ),
        (
            "recordedBy",
            object(&[
                ("type", s(&by.kind)),
                ("id", s(&by.id)),
                ("displayName", s(&by.display_name)),
            ]),
        ),
        ("tenant", object(&[("name", s(&tenant.name))])),
        (
            "period",
            object(&[
                ("label", s(&period.label)),
                ("start", s(&period.start)),
                ("end", s(&period.end)),
            ]),
        ),
        (
            "verifierKeys",
            Value::Array(keys.iter().map(|k| s(k)).collect()),
        ),
    ]
}

/// The object the manifest signs (§12), from the package's members and the verified notes.
fn manifest_value(pkg: &Package<'_>, cp: &Checkpoint, prev: Option<&Checkpoint>) -> Value {
    let previous = match (&pkg.previous, prev) {
        (Some(p), Some(c)) => head(&p.checkpoint_id, c),
        _ => Value::Null,
    };
    let Summary {
        opening,
        credits,
        debits,
        net,
        closing,
        record_count,
    } = &pkg.summary;
    let mut members = common_members(
        &pkg.format,
        &pkg.environment,
        &pkg.customer,
        &pkg.recorded_by,
        &pkg.tenant,
        &pkg.period,
        &pkg.verifier_keys.0,
    );
    members.extend([
        (
            "summary",
            object(&[
                ("opening", s(opening)),
                ("credits", s(credits)),
                ("debits", s(debits)),
                ("net", s(net)),
                ("closing", s(closing)),
                ("recordCount", Value::from(*record_count)),
            ]),
        ),
        ("checkpoint", head(&pkg.checkpoint.checkpoint_id, cp)),
        ("previous", previous),
    ]);
    object(&members)
}

/// `manifest.fields`: the signed text is exactly the manifest of this package.
pub(crate) fn manifest_fields(
    pkg: &Package<'_>,
    cp: &Checkpoint,
    prev: Option<&Checkpoint>,
    signed: &str,
) -> Result<String, String> {
    let expected = manifest_value(pkg, cp, prev);
    let text = manifest_text(&expected).map_err(|e| format!("the package's members {e}"))?;
    signs_exactly(FORMAT, &expected, &text, signed, "close-package")
}

/// `manifest.fields` of any package: the signed text is `text`, the manifest of `expected`
/// (whose first line is `format`); when it is not, the detail names the first member that
/// differs. `kind` names the package in details.
pub(crate) fn signs_exactly(
    format: &str,
    expected: &Value,
    text: &str,
    signed: &str,
    kind: &str,
) -> Result<String, String> {
    if text == signed {
        return Ok(String::from(
            "the signed manifest is exactly the package's members",
        ));
    }
    // Name the first member that differs, for the report.
    let body = signed
        .strip_prefix(format)
        .and_then(|t| t.strip_prefix('\n'))
        .and_then(|t| t.strip_suffix('\n'));
    let parsed = body.and_then(|b| jcs::parse_strict(b).ok());
    let (Some(Value::Object(got)), Value::Object(want)) = (parsed, expected) else {
        return Err(format!("the signed text is not a {kind} manifest"));
    };
    let differs = want
        .iter()
        .find(|(k, v)| got.get(k.as_str()) != Some(v))
        .map(|(k, _)| k);
    let extra = got.keys().find(|k| !want.contains_key(k.as_str()));
    Err(match (differs, extra) {
        (Some(k), _) => format!("{k} differs from the signed manifest"),
        (None, Some(k)) => format!("the signed manifest has a member {k} the package has not"),
        (None, None) => String::from("the signed manifest is not canonical JSON"),
    })
}
