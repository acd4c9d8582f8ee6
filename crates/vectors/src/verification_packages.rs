//! `verification-packages.json`: the sample draw (§15) on its own, verification packages of the
//! close packages' sample logs, and tampered ones, each failing exactly the checks it lists
//! (`check` is the first of them in report order).

use crate::close_packages::{
    edit, failing, flipped, middleware_log, rehash_entry, rehash_item, set_amount, signer,
    tenant_log,
};
use crate::package::{sign_verification_manifest, Log};
use crate::util::envelope;
use serde_json::{json, Value};
use vericord_core::hash::tagged_hash;
use vericord_core::verification_package::{
    sample_indices, sample_seed, verify_verification_package, CHECKS, MAX_SAMPLE,
};
use vericord_core::{Hash, RootHash};

/// `(seed label, start, count, requested)`: starts above 0, a population of one, samples as
/// large as the population and larger, powers of two and one past, a million records, none.
const SAMPLING: &[(&str, u64, u64, u64)] = &[
    ("a", 0, 10, 1),
    ("a", 0, 10, 4),
    ("a", 0, 10, 10),
    ("a", 0, 10, 11),
    ("b", 17, 42, 5),
    ("b", 17, 42, 10),
    ("b", 17, 42, 100),
    ("c", 5, 1, 1),
    ("c", 5, 1, 100),
    ("d", 3, 2, 1),
    ("d", 3, 2, 2),
    ("e", 1000, 3, 2),
    ("f", 0, 64, 8),
    ("f", 0, 65, 8),
    ("g", 123_456, 1_000_000, 10),
    ("g", 123_456, 1_000_000, 100),
    ("h", 1 << 40, 1 << 52, 5),
    ("i", 9, 0, 5),
    ("i", 9, 7, 0),
];

fn sampling() -> Value {
    let cases: Vec<Value> = SAMPLING
        .iter()
        .map(|&(label, start, count, requested)| {
            let seed = tagged_hash("vericord:vector-sample:v1", label.as_bytes());
            let indices = sample_indices(&seed, start, count, requested);
            json!({"seed": seed, "start": start, "count": count, "requested": requested, "indices": indices})
        })
        .collect();
    json!(cases)
}

/// A valid case, after checking it verifies.
fn valid(name: &str, description: &str, pkg: Value, trusted: &[&str]) -> Value {
    let r = verify_verification_package(&pkg.to_string(), trusted);
    assert!(r.verified, "{name}: {:?}", r.first_failure());
    assert_eq!(r.checks.len(), CHECKS.len());
    let cp = r.checkpoint.as_ref().expect("verified checkpoint");
    let sample = r.sample.as_ref().expect("verified sample");
    assert_eq!(
        sample.seed,
        sample_seed(pkg["checkpoint"]["note"].as_str().expect("note"))
    );
    json!({
        "name": name,
        "description": description,
        "trusted": trusted,
        "package": pkg,
        "expected": {
            "keysPinned": r.keys_pinned,
            "recordCount": r.record_count,
            "checkpoint": {"size": cp.size, "root": cp.root, "count": cp.count},
            "period": r.period,
            "sample": sample,
        },
    })
}

/// An invalid case, after checking it fails `check` first.
fn invalid(name: &str, description: &str, pkg: Value, trusted: &[&str], check: &str) -> Value {
    let r = verify_verification_package(&pkg.to_string(), trusted);
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

fn seqs(pkg: &Value) -> Vec<u64> {
    pkg["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["seq"].as_u64().expect("seq"))
        .collect()
}

/// The first log that `edit_record(j, log)` makes, for j = 0, 1, …, whose edited record of
/// month `m` is in that log's sample of `requested`: a tampered record that is sampled.
fn sampled_edit(
    m: usize,
    requested: u64,
    make: impl Fn(usize) -> Log,
    signer: &vericord_core::CheckpointSigner,
    keys: &[String],
) -> Value {
    (0..)
        .map(|j| {
            let log = make(j);
            let pkg = log.verification_package(signer, keys, m, requested);
            (j, log.months[m].1, pkg)
        })
        .find(|(j, start, pkg)| seqs(pkg).contains(&(start + *j as u64)))
        .map(|(_, _, pkg)| pkg)
        .expect("some edited record is sampled")
}

pub fn build() -> Value {
    let current = signer("verification-packages");
    let other = signer("verification-packages-other");
    let key = current.verifier_key();
    let keys = vec![key.clone()];
    let pinned = [key.as_str()];
    let log = tenant_log("cust_2001", |_, _| {});
    let mw = middleware_log();

    let base = log.verification_package(&current, &keys, 4, 4);
    let valid_cases = vec![
        valid("direct-tenant", "a direct vendor's month of 10 records (entries 32 to 41): a sample of 4", base.clone(), &pinned),
        valid("middleware", "a billing middleware's vendor account: recordedBy.type middleware_vendor_account, every item names vendorAccountId; 3 of 7 records", mw.verification_package(&current, &keys, 1, 3), &pinned),
        valid("first-period", "the log's first month: sample.start 0, 5 of 11 records", log.verification_package(&current, &keys, 0, 5), &pinned),
        valid("whole-period", "a sample of 100 (MAX_SAMPLE) from a month of 9 records, one carried over from the month before: every record of the period", log.verification_package(&current, &keys, 3, MAX_SAMPLE), &pinned),
        valid("empty-period", "a month with no records: population 0, no records, whatever the sample size asked", log.verification_package(&current, &keys, 2, 10), &pinned),
        valid("own-keys-not-pinned", "signed by a key the package lists itself, verified without pinning (keysPinned false): integrity, not authorship", log.verification_package(&other, &[other.verifier_key()], 1, 6), &[]),
    ];

    let resigned = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        sign_verification_manifest(&mut v, &current);
        v
    };
    let drawn = seqs(&base);
    let (start, end) = (log.months[4].1, log.months[4].2);
    // Another seed, signed into the manifest, with the records that seed draws: only the seed's
    // link to the note is broken.
    let forged_seed = tagged_hash("vericord:vector-sample:v1", b"vendor's choice");
    let mut chosen = base.clone();
    chosen["sample"]["seed"] = json!(forged_seed);
    chosen["records"] =
        log.sampled_records(4, &sample_indices(&forged_seed, start, end - start, 4));
    sign_verification_manifest(&mut chosen, &current);
    // A sampled record swapped for one that is not.
    let outsider = (start..end)
        .find(|s| !drawn.contains(s))
        .expect("unsampled");
    let mut swapped_seqs: Vec<u64> = drawn[1..].to_vec();
    swapped_seqs.push(outsider);
    swapped_seqs.sort_unstable();
    let swapped = edit(&base, |v| {
        v["records"] = log.sampled_records(4, &swapped_seqs)
    });
    let another = tenant_log("cust_2002", |_, _| {});
    let another_cp = another.verification_package(&current, &keys, 4, 4)["checkpoint"].clone();
    let stray = sampled_edit(
        4,
        4,
        |j| {
            tenant_log("cust_2001", |m, r| {
                if m == 4 {
                    r[j].customer_id = Some("cust_2002".into());
                }
            })
        },
        &current,
        &keys,
    );
    let late = sampled_edit(
        4,
        4,
        |j| {
            tenant_log("cust_2001", |m, r| {
                if m == 4 {
                    r[j].received_at = Some("2026-12-01T00:00:00.000Z".into());
                }
            })
        },
        &current,
        &keys,
    );
    let note = base["checkpoint"]["note"]
        .as_str()
        .expect("note")
        .to_string();
    let manifest = base["manifest"].as_str().expect("manifest").to_string();
    let mut other_manifest = base.clone();
    sign_verification_manifest(&mut other_manifest, &other);
    let p = &pinned;
    let zero = Hash::ZERO.to_hex();
    let invalid_cases = vec![
        invalid("unknown-member", "a member the format does not define rides along", edit(&base, |v| v["invoice"] = json!("INV-1")), p, "format"),
        invalid("record-member-added", "a record with receivedBeforePeriod, which verification package records do not have", edit(&base, |v| v["records"][0]["receivedBeforePeriod"] = json!(false)), p, "format"),
        invalid("wrong-format", "another format version", edit(&base, |v| v["format"] = json!("vericord.verification-package/v2")), p, "format"),
        invalid("too-many-records", "101 records, refused while parsing", edit(&base, |v| v["records"] = json!(vec![v["records"][0].clone(); 101])), p, "format"),
        invalid("proof-too-long", "a proof of 65 hashes, refused before hashing", edit(&base, |v| v["records"][0]["proof"] = json!(vec![zero.clone(); 65])), p, "format"),
        invalid("wrong-key", "a whole package signed by a key that is not the pinned one", log.verification_package(&other, &keys, 4, 4), p, "checkpoint.signature"),
        invalid("own-key-not-the-signer", "verified with its own keys, which did not sign it", log.verification_package(&other, &keys, 4, 4), &[], "checkpoint.signature"),
        invalid("note-line-changed", "the checkpoint's count line edited", edit(&base, |v| v["checkpoint"]["note"] = json!(note.replace("\ncount ", "\ncount 1"))), p, "checkpoint.signature"),
        invalid("manifest-text-changed", "the manifest note's text edited", edit(&base, |v| v["manifest"] = json!(manifest.replace("Acme", "Acne"))), p, "manifest.signature"),
        invalid("manifest-signed-by-another-key", "the manifest re-signed by a key that is not the pinned one", other_manifest, p, "manifest.signature"),
        invalid("display-name-changed", "tenant.name and recordedBy.displayName changed, the manifest not re-signed", edit(&base, |v| { v["tenant"]["name"] = json!("Acme Inference Ltd"); v["recordedBy"]["displayName"] = json!("Acme Inference Ltd"); }), p, "manifest.fields"),
        invalid("checkpoint-id-changed", "checkpoint.checkpointId changed", edit(&base, |v| v["checkpoint"]["checkpointId"] = json!("chk_other")), p, "manifest.fields"),
        invalid("seed-changed", "sample.seed changed, the manifest not re-signed", edit(&base, |v| v["sample"]["seed"] = flipped(&v["sample"]["seed"])), p, "manifest.fields"),
        invalid("requested-changed", "sample.requested changed, the manifest not re-signed", edit(&base, |v| v["sample"]["requested"] = json!(5)), p, "manifest.fields"),
        invalid("checkpoint-of-another-log", "the checkpoint swapped for another customer's of the same month, manifest re-signed over it", resigned(&|v| v["checkpoint"] = another_cp.clone()), p, "checkpoint.origin"),
        invalid("period-bounds-changed", "period.end a day later, manifest re-signed", resigned(&|v| v["period"]["end"] = json!("2026-12-02T00:00:00.000Z")), p, "period"),
        invalid("recorder-changed", "recordedBy.id of another tenant, manifest re-signed: the reference no longer recomputes", resigned(&|v| v["recordedBy"]["id"] = json!("ten_other")), p, "identity"),
        invalid("seed-chosen", "a seed of the vendor's choice, signed into the manifest, with the records it draws and their valid proofs", chosen, p, "sample.seed"),
        invalid("requested-changed-and-signed", "sample.requested 5 signed into the manifest, still 4 records", resigned(&|v| v["sample"]["requested"] = json!(5)), p, "sample.size"),
        invalid("requested-above-maximum", "sample.requested 101 signed into the manifest", resigned(&|v| v["sample"]["requested"] = json!(101)), p, "sample.size"),
        invalid("requested-zero", "sample.requested 0 signed into the manifest, no records", resigned(&|v| { v["sample"]["requested"] = json!(0); v["records"] = json!([]); }), p, "sample.size"),
        invalid("population-changed", "sample.population 11 signed into the manifest", resigned(&|v| v["sample"]["population"] = json!(11)), p, "sample.size"),
        invalid("start-changed", "sample.start one later, signed into the manifest", resigned(&|v| v["sample"]["start"] = json!(33)), p, "sample.size"),
        invalid("record-dropped", "a sampled record left out", edit(&base, |v| { v["records"].as_array_mut().expect("records").remove(1); }), p, "sample.size"),
        invalid("record-swapped", "a sampled record replaced by one the seed does not draw, with its valid proof", swapped, p, "sample.indices"),
        invalid("records-reordered", "two records swapped", edit(&base, |v| v["records"].as_array_mut().expect("records").swap(0, 1)), p, "sample.indices"),
        invalid("amount-altered", "an item's delta changed", edit(&base, |v| set_amount(&mut v["records"][2]["item"], "60")), p, "records.itemHash"),
        invalid("record-of-another-customer", "a validly logged and sampled record naming another customerId", stray, p, "records.identity"),
        invalid("amount-not-canonical", "a delta as 6.0, its itemHash recomputed", edit(&base, |v| { set_amount(&mut v["records"][1]["item"], "6.0"); rehash_item(&mut v["records"][1]); }), p, "records.amount"),
        invalid("entry-hash-changed", "an entryHash changed", edit(&base, |v| v["records"][3]["entryHash"] = flipped(&v["records"][3]["entryHash"])), p, "records.entryHash"),
        invalid("received-after-period", "a validly logged and sampled record received at period.end", late, p, "records.period"),
        invalid("proof-byte-flipped", "one byte of a proof hash flipped", edit(&base, |v| v["records"][0]["proof"][1] = flipped(&v["records"][0]["proof"][1])), p, "records.inclusion"),
        invalid("proof-hash-dropped", "a proof one hash short", edit(&base, |v| { v["records"][2]["proof"].as_array_mut().expect("proof").pop(); }), p, "records.inclusion"),
        invalid("record-rewritten-consistently", "a record's reason rewritten with its itemHash and entryHash recomputed: only the tree catches it", edit(&base, |v| { v["records"][1]["item"]["reason"] = json!("refund"); rehash_item(&mut v["records"][1]); rehash_entry(&mut v["records"][1]); }), p, "records.inclusion"),
        invalid("balance-rewritten-consistently", "a record's balanceAfter changed with its entryHash recomputed", edit(&base, |v| { v["records"][3]["balanceAfter"] = json!("1"); rehash_entry(&mut v["records"][3]); }), p, "records.inclusion"),
    ];
    // Every valid record's proof verifies under the checkpoint on its own, as §7 says.
    for case in &valid_cases {
        let e = &case["expected"]["checkpoint"];
        let head = RootHash::new(
            e["root"].as_str().expect("root").parse().expect("root"),
            e["size"].as_u64().expect("size"),
        );
        for r in case["package"]["records"].as_array().expect("records") {
            let proof: Vec<Hash> = r["proof"]
                .as_array()
                .expect("proof")
                .iter()
                .map(|h| h.as_str().expect("hash").parse().expect("hash"))
                .collect();
            let leaf: Hash = r["entryHash"]
                .as_str()
                .expect("hash")
                .parse()
                .expect("hash");
            head.verify_inclusion(&leaf, r["seq"].as_u64().expect("seq"), &proof)
                .expect("verifies");
        }
    }
    envelope(
        "Verification packages (docs/SPEC.md §15): sampling holds sample_indices(seed, start, count, requested) for each case (hashes as 0x hex); verifyVerificationPackage(package, trusted) verifies every valid one (trusted [] means the package's own verifierKeys) with the expected facts — its sample.seed is keccak256(\"vericord:sample:v1\\n\" ‖ checkpoint.note) and its records are exactly the seed's draw — and fails every invalid one on exactly the checks in failing (check is the first, in report order). Each record's proof verifies under (root, size) with RootHash::verify_inclusion and OpenZeppelin's SimpleMerkleTree.verify(root, entryHash, proof).",
        vec![
            ("checks", json!(CHECKS)),
            ("maxSample", json!(MAX_SAMPLE)),
            ("sampling", sampling()),
            ("valid", Value::from(valid_cases)),
            ("invalid", Value::from(invalid_cases)),
        ],
    )
}
