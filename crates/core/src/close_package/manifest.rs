//! `manifest.fields`: the manifest note signs exactly the package's members (§12; §15 builds
//! its manifest from the same members).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::model::{Customer, Package, Period, RecordedBy, Summary, Tenant, Text};
use super::{manifest_text_of, FORMAT};
use crate::checkpoint::Checkpoint;
use crate::jcs::{self, Num, Tree};

fn s(t: &str) -> Tree {
    Tree::String(String::from(t))
}

/// `{checkpointId, size, root}` of a verified checkpoint.
pub(crate) fn head(id: &str, c: &Checkpoint) -> Tree {
    Tree::object(vec![
        ("checkpointId", s(id)),
        ("size", Tree::Number(Num::PosInt(c.size))),
        ("root", Tree::String(c.root.to_hex())),
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
) -> Vec<(&'m str, Tree)> {
    vec![
        ("format", s(format)),
        ("environment", s(environment)),
        (
            "customer",
            Tree::object(vec![
                ("customerId", s(&customer.customer_id)),
                ("customerReference", s(&customer.customer_reference)),
            ]),
        ),
        (
            "recordedBy",
            Tree::object(vec![
                ("type", s(&by.kind)),
                ("id", s(&by.id)),
                ("displayName", s(&by.display_name)),
            ]),
        ),
        ("tenant", Tree::object(vec![("name", s(&tenant.name))])),
        (
            "period",
            Tree::object(vec![
                ("label", s(&period.label)),
                ("start", s(&period.start)),
                ("end", s(&period.end)),
            ]),
        ),
        (
            "verifierKeys",
            Tree::Array(keys.iter().map(|k| s(k)).collect()),
        ),
    ]
}

/// The object the manifest signs (§12), from the package's members and the verified notes.
fn manifest_value(pkg: &Package<'_>, cp: &Checkpoint, prev: Option<&Checkpoint>) -> Tree {
    let previous = match (&pkg.previous, prev) {
        (Some(p), Some(c)) => head(&p.checkpoint_id, c),
        _ => Tree::Null,
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
            Tree::object(vec![
                ("opening", s(opening)),
                ("credits", s(credits)),
                ("debits", s(debits)),
                ("net", s(net)),
                ("closing", s(closing)),
                ("recordCount", Tree::Number(Num::PosInt(*record_count))),
            ]),
        ),
        ("checkpoint", head(&pkg.checkpoint.checkpoint_id, cp)),
        ("previous", previous),
    ]);
    Tree::object(members)
}

/// `manifest.fields`: the signed text is exactly the manifest of this package.
pub(crate) fn manifest_fields(
    pkg: &Package<'_>,
    cp: &Checkpoint,
    prev: Option<&Checkpoint>,
    signed: &str,
) -> Result<String, String> {
    let expected = manifest_value(pkg, cp, prev);
    let text = manifest_text_of(&expected).map_err(|e| format!("the package's members {e}"))?;
    signs_exactly(FORMAT, &expected, &text, signed, "close-package")
}

/// `manifest.fields` of any package: the signed text is `text`, the manifest of `expected`
/// (whose first line is `format`); when it is not, the detail names the first member that
/// differs. `kind` names the package in details.
pub(crate) fn signs_exactly(
    format: &str,
    expected: &Tree,
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
    let parsed = body.and_then(|b| jcs::tree_strict(b).ok());
    let (Some(Tree::Object(got)), Tree::Object(want)) = (parsed, expected) else {
        return Err(format!("the signed text is not a {kind} manifest"));
    };
    // Both in name order, as their `BTreeMap`s were iterated before.
    let differs = jcs::by_name(want)
        .into_iter()
        .find(|(k, v)| jcs::member(&got, k) != Some(v))
        .map(|(k, _)| k);
    let extra = jcs::by_name(&got)
        .into_iter()
        .map(|(k, _)| k)
        .find(|k| jcs::member(want, k).is_none());
    Err(match (differs, extra) {
        (Some(k), _) => format!("{k} differs from the signed manifest"),
        (None, Some(k)) => format!("the signed manifest has a member {k} the package has not"),
        (None, None) => String::from("the signed manifest is not canonical JSON"),
    })
}
