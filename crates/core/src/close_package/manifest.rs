//! `manifest.fields`: the manifest note signs exactly the package's members (§12).

use alloc::format;
use alloc::string::String;
use serde_json::{Map, Value};

use super::model::{Package, Summary};
use super::{manifest_text, FORMAT};
use crate::checkpoint::Checkpoint;
use crate::jcs;

/// The object the manifest signs (§12), from the package's members and the verified notes.
fn manifest_value(pkg: &Package<'_>, cp: &Checkpoint, prev: Option<&Checkpoint>) -> Value {
    let obj = |pairs: &[(&str, Value)]| {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (String::from(*k), v.clone()))
                .collect::<Map<_, _>>(),
        )
    };
    let s = |t: &str| Value::String(String::from(t));
    let head = |id: &str, c: &Checkpoint| {
        obj(&[
            ("checkpointId", s(id)),
            ("size", Value::from(c.size)),
            ("root", Value::String(c.root.to_hex())),
        ])
    };
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
    obj(&[
        ("format", s(&pkg.format)),
        ("environment", s(&pkg.environment)),
        (
            "customer",
            obj(&[
                ("customerId", s(&pkg.customer.customer_id)),
                ("customerReference", s(&pkg.customer.customer_reference)),
            ]),
        ),
        (
            "recordedBy",
            obj(&[
                ("type", s(&pkg.recorded_by.kind)),
                ("id", s(&pkg.recorded_by.id)),
                ("displayName", s(&pkg.recorded_by.display_name)),
            ]),
        ),
        ("tenant", obj(&[("name", s(&pkg.tenant.name))])),
        (
            "period",
            obj(&[
                ("label", s(&pkg.period.label)),
                ("start", s(&pkg.period.start)),
                ("end", s(&pkg.period.end)),
            ]),
        ),
        (
            "verifierKeys",
            Value::Array(pkg.verifier_keys.0.iter().map(|k| s(k)).collect()),
        ),
        (
            "summary",
            obj(&[
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
    ])
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
    if text == signed {
        return Ok(String::from(
            "the signed manifest is exactly the package's members",
        ));
    }
    // Name the first member that differs, for the report.
    let body = signed
        .strip_prefix(FORMAT)
        .and_then(|t| t.strip_prefix('\n'))
        .and_then(|t| t.strip_suffix('\n'));
    let parsed = body.and_then(|b| jcs::parse_strict(b).ok());
    let (Some(Value::Object(got)), Value::Object(want)) = (parsed, &expected) else {
        return Err(String::from(
            "the signed text is not a close-package manifest",
        ));
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
