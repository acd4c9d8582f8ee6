//! `close-packages.json`: close packages (§12) of logs of several shapes, and tampered ones,
//! each failing exactly the checks it lists (`check` is the first of them in report order).
//! The sample logs here also serve `compares.json`.

use crate::package::{d, sign_manifest, Delta, Log, Month, Recorder};
use crate::util::{envelope, flip};
use serde_json::{json, Value};
use vericord_core::close_package::{
    close_package_inclusion_proof, verify_close_package, VerifyReport, PACKAGE_CHECKS,
};
use vericord_core::hash::tagged_hash;
use vericord_core::{item_hash, Amount, Checkpoint, CheckpointSigner, Entry, Environment, Hash};

const NAME: &str = crate::package::DEPLOYMENT;
pub const TENANT_ID: &str = "ten_01HZX3V8K9QJ4M2N7P5R6S8T0V";
const VENDOR_ACCOUNT: &str = "cmw_01J0A2B3C4D5E6F7G8H9J0K1M2";

pub fn signer(label: &str) -> CheckpointSigner {
    let seed = tagged_hash("vericord:vector-seed:v1", label.as_bytes()).0;
    CheckpointSigner::from_seed(NAME, &seed).expect("valid signer")
}

fn deltas(list: &[&str]) -> Vec<Delta> {
    list.iter().map(|t| d(t)).collect()
}

/// The direct tenant's log: a first month, a month whose range starts at 11 and ends at 23, an
/// empty month, a month with a carried-over record ending at 32, and an ordinary month.
pub fn tenant_log(customer_id: &str, edit: impl Fn(usize, &mut Vec<Delta>)) -> Log {
    let mut months = vec![
        (
            "2026-07",
            deltas(&[
                "100",
                "-12.5",
                "0.000000001",
                "7",
                "-3",
                "1000000000",
                "-0.5",
                "42",
                "-999999999.999999999",
                "3.25",
                "-1",
            ]),
        ),
        (
            "2026-08",
            deltas(&[
                "5",
                "-2",
                "19.99",
                "-0.01",
                "8",
                "-8",
                "1",
                "2",
                "3",
                "-4.5",
                "60",
                "-0.000000001",
            ]),
        ),
        ("2026-09", vec![]),
        (
            "2026-10",
            deltas(&["12", "-1.5", "2", "2", "-7", "0.5", "30", "-0.25", "1"]),
        ),
        (
            "2026-11",
            deltas(&[
                "9.5", "-3", "14", "-2.75", "6", "-1", "0.1", "0.2", "-20", "4",
            ]),
        ),
    ];
    months[3].1[0].carried_over = true;
    for (m, (_, records)) in months.iter_mut().enumerate() {
        edit(m, records);
    }
    let months = months
        .into_iter()
        .map(|(label, records)| Month { label, records })
        .collect();
    Log::build(
        Environment::Production,
        Recorder::tenant(TENANT_ID, "Acme Inference"),
        customer_id,
        months,
    )
}

pub fn middleware_log() -> Log {
    let months = vec![
        Month {
            label: "2026-10",
            records: deltas(&["50", "-7.5", "-0.125", "3"]),
        },
        Month {
            label: "2026-11",
            records: deltas(&["10", "-2", "-3.333333333", "1", "4", "-0.5", "25"]),
        },
    ];
    let recorder = Recorder::middleware(VENDOR_ACCOUNT, "Globex Vendor");
    Log::build(Environment::Sandbox, recorder, "cust_77", months)
}

pub(crate) fn failing(r: &VerifyReport) -> Vec<&'static str> {
    r.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
}

/// A valid case, after checking it verifies; with every record's derived inclusion proof.
fn valid(name: &str, description: &str, pkg: Value, trusted: &[&str]) -> Value {
    let text = pkg.to_string();
    let r = verify_close_package(&text, trusted);
    assert!(r.verified, "{name}: {:?}", r.first_failure());
    assert_eq!(r.checks.len(), PACKAGE_CHECKS.len());
    let summary = r.summary.as_ref().expect("verified summary");
    let cp = r.checkpoint.as_ref().expect("verified checkpoint");
    let inclusion: Vec<Value> = pkg["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|rec| {
            let seq = rec["seq"].as_u64().expect("seq");
            let p = close_package_inclusion_proof(&text, seq).expect("derives");
            vericord_core::RootHash::new(p.root, p.size)
                .verify_inclusion(&p.leaf, p.index, &p.proof)
                .expect("verifies");
            json!({"seq": seq, "leaf": p.leaf, "proof": p.proof})
        })
        .collect();
    json!({
        "name": name,
        "description": description,
        "trusted": trusted,
        "package": pkg,
        "expected": {
            "keysPinned": r.keys_pinned,
            "recordCount": r.record_count,
            "checkpoint": {"size": cp.size, "root": cp.root},
            "period": r.period,
            "summary": summary,
        },
        "inclusion": {"root": cp.root, "size": cp.size, "proofs": inclusion},
    })
}

/// An invalid case, after checking it fails `check` first.
fn invalid(name: &str, description: &str, pkg: Value, trusted: &[&str], check: &str) -> Value {
    let r = verify_close_package(&pkg.to_string(), trusted);
    assert!(!r.verified, "{name} verified");
    let failing = failing(&r);
    assert_eq!(
        failing.first().copied(),
        Some(check),
        "{name}: {:?}",
        r.checks
    );
    json!({"name": name, "description": description, "trusted": trusted, "package": pkg,
           "check": check, "failing": failing})
}

pub(crate) fn edit(base: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base.clone();
    f(&mut v);
    v
}

pub(crate) fn set_amount(v: &mut Value, delta: &str) {
    v["delta"] = json!(delta);
}

pub(crate) fn rehash_item(rec: &mut Value) {
    rec["itemHash"] = json!(item_hash(&rec["item"]).expect("item").to_hex());
}

pub(crate) fn rehash_entry(rec: &mut Value) {
    let entry = Entry {
        seq: rec["seq"].as_u64().expect("seq"),
        item_hash: rec["itemHash"]
            .as_str()
            .expect("hash")
            .parse()
            .expect("hash"),
        balance_after: Amount::parse(rec["balanceAfter"].as_str().expect("balance"))
            .expect("amount"),
    };
    rec["entryHash"] = json!(entry.entry_hash().expect("seq").to_hex());
}

pub(crate) fn flipped(v: &Value) -> Value {
    let h: Hash = v.as_str().expect("hash").parse().expect("hash");
    json!(flip(&h, 7).to_hex())
}

pub fn build() -> Value {
    let current = signer("close-packages");
    let retired = signer("close-packages-retired");
    let other = signer("close-packages-other");
    let key = current.verifier_key();
    let keys = vec![key.clone(), retired.verifier_key()];
    let pinned = [key.as_str()];
    let log = tenant_log("cust_1001", |_, _| {});
    let mw = middleware_log();

    let base = log.package(&current, &keys, 4);
    let mut cases = vec![
        valid("direct-tenant", "a direct vendor's month: previous checkpoint, opening entry, the range starting at a power of two (one frontier hash)", base.clone(), &pinned),
        valid("middleware", "a billing middleware's vendor account: recordedBy.type middleware_vendor_account, every item names vendorAccountId", mw.package(&current, &keys, 1), &pinned),
        valid("first-period", "the log's first month: previous null, range.start 0, empty frontier, opening null (opening 0)", log.package(&current, &keys, 0), &pinned),
        valid("unaligned-range", "a month from entry 11 (not a power of two: three frontier hashes) to entry 23 (odd)", log.package(&current, &keys, 1), &pinned),
        valid("empty-period", "a month with no records: size equals previous's, an empty consistency proof, four frontier hashes", log.package(&current, &keys, 2), &pinned),
        valid("carried-over", "a month whose first record was received before it started (receivedBeforePeriod true), ending at entry 32", log.package(&current, &keys, 3), &pinned),
        valid("own-keys-not-pinned", "signed by a key the package lists itself, verified without pinning (keysPinned false): integrity, not authorship", log.package(&other, &[other.verifier_key()], 4), &[]),
    ];
    let valid_cases = std::mem::take(&mut cases);

    let resigned = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        sign_manifest(&mut v, &current);
        v
    };
    let another = tenant_log("cust_1002", |_, _| {});
    let another_prev = another.package(&current, &keys, 4)["previous"].clone();
    let stray = tenant_log("cust_1001", |m, r| {
        if m == 4 {
            r[2].customer_id = Some("cust_1002".into());
        }
    });
    let late = tenant_log("cust_1001", |m, r| {
        if m == 4 {
            r[9].received_at = Some("2026-12-01T00:00:00.000Z".into());
        }
    });
    let cp: Checkpoint = log.checkpoint(4);
    let one = Amount::parse("1").expect("amount");
    let mut unreached = base.clone();
    unreached["checkpoint"]["note"] = json!(Checkpoint {
        closing: cp.closing.checked_add(one).expect("sum"),
        ..cp.clone()
    }
    .sign(&current)
    .expect("signs"));
    unreached["summary"]["closing"] = json!(cp.closing.checked_add(one).expect("sum").to_string());
    sign_manifest(&mut unreached, &current);
    let note = base["checkpoint"]["note"]
        .as_str()
        .expect("note")
        .to_string();
    let prev_note = base["previous"]["note"].as_str().expect("note").to_string();
    let manifest = base["manifest"].as_str().expect("manifest").to_string();
    let p = &pinned;
    cases.extend([
        invalid("unknown-member", "a member the format does not define rides along", edit(&base, |v| v["invoice"] = json!("INV-1")), p, "format"),
        invalid("wrong-format", "another format version", edit(&base, |v| v["format"] = json!("vericord.close-package/v2")), p, "format"),
        invalid("proof-too-long", "an opening proof of 65 hashes, refused before hashing", edit(&base, |v| v["opening"]["proof"] = json!(vec![Hash::ZERO.to_hex(); 65])), p, "format"),
        invalid("wrong-key", "a whole package signed by a key that is not the pinned one", log.package(&other, &keys, 4), p, "checkpoint.signature"),
        invalid("note-line-changed", "the checkpoint's closing line edited", edit(&base, |v| v["checkpoint"]["note"] = json!(note.replace("\nclosing ", "\nclosing 1"))), p, "checkpoint.signature"),
        invalid("previous-note-changed", "the previous checkpoint's count line edited", edit(&base, |v| v["previous"]["note"] = json!(prev_note.replace("\ncount ", "\ncount 1"))), p, "previous.signature"),
        invalid("manifest-text-changed", "the manifest note's text edited", edit(&base, |v| v["manifest"] = json!(manifest.replace("Acme", "Acne"))), p, "manifest.signature"),
        invalid("summary-changed", "summary.credits changed, the manifest not re-signed", edit(&base, |v| v["summary"]["credits"] = json!("1000")), p, "manifest.fields"),
        invalid("checkpoint-id-changed", "checkpoint.checkpointId changed", edit(&base, |v| v["checkpoint"]["checkpointId"] = json!("chk_other")), p, "manifest.fields"),
        invalid("previous-from-another-log", "previous swapped for another customer's checkpoint of the same shape, manifest re-signed over it", resigned(&|v| v["previous"] = another_prev.clone()), p, "checkpoint.origin"),
        invalid("period-bounds-changed", "period.end a day later, manifest re-signed", resigned(&|v| v["period"]["end"] = json!("2026-12-02T00:00:00.000Z")), p, "period"),
        invalid("recorder-changed", "recordedBy.id of another tenant, manifest re-signed: the reference no longer recomputes", resigned(&|v| v["recordedBy"]["id"] = json!("ten_other")), p, "identity"),
        invalid("consistency-proof-wrong", "a consistency proof hash changed", edit(&base, |v| v["consistencyProof"][0] = flipped(&v["consistencyProof"][0])), p, "consistency"),
        invalid("range-start-changed", "range.start one later", edit(&base, |v| v["range"]["start"] = json!(33)), p, "range.start"),
        invalid("frontier-forged", "the frontier hash replaced", edit(&base, |v| v["range"]["frontier"][0] = flipped(&v["range"]["frontier"][0])), p, "range.frontier"),
        invalid("opening-balance-changed", "opening.balanceAfter not the signed opening", edit(&base, |v| v["opening"]["balanceAfter"] = json!("0")), p, "opening"),
        invalid("opening-dropped", "opening null although entries precede the period", edit(&base, |v| v["opening"] = Value::Null), p, "opening"),
        invalid("record-dropped", "a record left out", edit(&base, |v| { v["records"].as_array_mut().expect("records").remove(3); }), p, "records.count"),
        invalid("records-reordered", "two adjacent records swapped", edit(&base, |v| v["records"].as_array_mut().expect("records").swap(2, 3)), p, "records.seq"),
        invalid("amount-altered", "an item's delta changed", edit(&base, |v| set_amount(&mut v["records"][4]["item"], "60")), p, "records.itemHash"),
        invalid("record-of-another-customer", "a validly logged record naming another customerId", stray.package(&current, &keys, 4), p, "records.identity"),
        invalid("amount-not-canonical", "a delta as 6.0, its itemHash recomputed", edit(&base, |v| { set_amount(&mut v["records"][4]["item"], "6.0"); rehash_item(&mut v["records"][4]); }), p, "records.amount"),
        invalid("amount-altered-rehashed", "a delta changed with its itemHash recomputed: the running balance no longer matches", edit(&base, |v| { set_amount(&mut v["records"][4]["item"], "60"); rehash_item(&mut v["records"][4]); }), p, "records.balance"),
        invalid("entry-hash-changed", "an entryHash changed", edit(&base, |v| v["records"][5]["entryHash"] = flipped(&v["records"][5]["entryHash"])), p, "records.entryHash"),
        invalid("received-after-period", "a validly logged record received at period.end", late.package(&current, &keys, 4), p, "records.period"),
        invalid("carried-over-mark-flipped", "receivedBeforePeriod true for a record received in the period", edit(&base, |v| v["records"][1]["receivedBeforePeriod"] = json!(true)), p, "records.period"),
        invalid("record-rewritten-consistently", "a record's reason rewritten with its itemHash and entryHash recomputed: only the tree catches it", edit(&base, |v| { v["records"][6]["item"]["reason"] = json!("refund"); rehash_item(&mut v["records"][6]); rehash_entry(&mut v["records"][6]); }), p, "range.root"),
        invalid("closing-not-reached", "a validly signed checkpoint whose closing the records do not reach, summary re-signed to match", unreached, p, "closing"),
        invalid("summary-changed-and-signed", "summary.credits changed and the manifest re-signed over it", resigned(&|v| v["summary"]["credits"] = json!("1000")), p, "summary"),
    ]);
    envelope(
        "Close packages (docs/SPEC.md §12): verifyClosePackage(package, trusted) verifies every valid one (trusted [] means the package's own verifierKeys) with the expected facts, and fails every invalid one on exactly the checks in failing (check is the first, in report order). inclusion holds each record's proof derived by closePackageInclusionProof, which verifies under (root, size) with RootHash::verify_inclusion and OpenZeppelin's SimpleMerkleTree.verify(root, leaf, proof).",
        vec![
            ("checks", json!(PACKAGE_CHECKS)),
            ("valid", Value::from(valid_cases)),
            ("invalid", Value::from(cases)),
        ],
    )
}
