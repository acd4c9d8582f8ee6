//! `compares.json`: compare results (§13) between checkpoints of the sample logs, and tampered
//! ones, each failing exactly the checks it lists (`check` is the first, in report order).

use crate::close_packages::{edit, failing, flipped, middleware_log, signer, tenant_log};
use crate::util::envelope;
use serde_json::{json, Value};
use vericord_core::close_package::{verify_compare, COMPARE_CHECKS};

fn valid_compare(name: &str, description: &str, doc: Value, trusted: &[&str]) -> Value {
    let r = verify_compare(&doc.to_string(), trusted);
    assert!(r.verified, "{name}: {:?}", r.first_failure());
    json!({"name": name, "description": description, "trusted": trusted, "compare": doc,
           "expected": {"keysPinned": r.keys_pinned, "recordCount": r.record_count, "differences": r.differences}})
}

fn invalid_compare(
    name: &str,
    description: &str,
    doc: Value,
    trusted: &[&str],
    check: &str,
) -> Value {
    let r = verify_compare(&doc.to_string(), trusted);
    let failing = failing(&r);
    assert_eq!(
        failing.first().copied(),
        Some(check),
        "{name}: {:?}",
        r.checks
    );
    json!({"name": name, "description": description, "trusted": trusted, "compare": doc,
           "check": check, "failing": failing})
}

pub fn build() -> Value {
    let current = signer("close-packages");
    let other = signer("close-packages-other");
    let key = current.verifier_key();
    let keys = vec![key.clone()];
    let p = &[key.as_str()][..];
    let log = tenant_log("cust_1001", |_, _| {});
    let base = log.compare(&current, &keys, 1, 4);
    let another = tenant_log("cust_1002", |_, _| {}).compare(&current, &keys, 1, 4);
    let valid = vec![
        valid_compare("across-periods", "from the close of 2026-08 (size 23) to the close of 2026-11 (size 42): 19 records over three periods", base.clone(), p),
        valid_compare("one-period", "from the close of 2026-09 (size 23: four frontier hashes) to the close of 2026-10 (size 32)", log.compare(&current, &keys, 2, 3), p),
        valid_compare("same-checkpoint", "from and to the same checkpoint: no records, zero differences", log.compare(&current, &keys, 4, 4), p),
        valid_compare("middleware", "a middleware vendor account's log", middleware_log().compare(&current, &keys, 0, 1), p),
    ];
    let invalid = vec![
        invalid_compare(
            "unknown-member",
            "a receivedBeforePeriod member on a record",
            edit(&base, |v| {
                v["records"][0]["receivedBeforePeriod"] = json!(false)
            }),
            p,
            "format",
        ),
        invalid_compare(
            "to-wrong-key",
            "to signed by a key that is not pinned",
            edit(&base, |v| {
                v["to"] = log.compare(&other, &keys, 1, 4)["to"].clone()
            }),
            p,
            "to.signature",
        ),
        invalid_compare(
            "from-of-another-log",
            "from swapped for another customer's checkpoint",
            edit(&base, |v| v["from"] = another["from"].clone()),
            p,
            "checkpoint.origin",
        ),
        invalid_compare(
            "from-to-swapped",
            "from and to exchanged",
            edit(&base, |v| {
                let f = v["from"].clone();
                v["from"] = v["to"].clone();
                v["to"] = f;
            }),
            p,
            "consistency",
        ),
        invalid_compare(
            "frontier-forged",
            "a frontier hash replaced",
            edit(&base, |v| {
                v["range"]["frontier"][1] = flipped(&v["range"]["frontier"][1])
            }),
            p,
            "range.frontier",
        ),
        invalid_compare(
            "record-dropped",
            "a record left out",
            edit(&base, |v| {
                v["records"].as_array_mut().expect("records").remove(0);
            }),
            p,
            "records.count",
        ),
        invalid_compare(
            "balance-changed",
            "a balanceAfter changed",
            edit(&base, |v| v["records"][3]["balanceAfter"] = json!("1")),
            p,
            "records.balance",
        ),
        invalid_compare(
            "differences-changed",
            "differences.credits changed",
            edit(&base, |v| v["differences"]["credits"] = json!("1")),
            p,
            "differences",
        ),
    ];
    envelope(
        "Compare results (docs/SPEC.md §13): verifyCompare(compare, trusted) verifies every valid one with the expected facts and fails every invalid one on exactly the checks in failing (check is the first).",
        vec![("checks", json!(COMPARE_CHECKS)), ("valid", Value::from(valid)), ("invalid", Value::from(invalid))],
    )
}
