//! Close packages and compares (`docs/SPEC.md` §12, §13) against `tests/vectors/`:
//!
//! * every valid vector verifies with its expected facts and derived inclusion proofs;
//! * every invalid vector fails exactly the checks it lists;
//! * the tamper battery: every single-field mutation of every valid document (each leaf, each
//!   member removed, each array element dropped, duplicated or swapped, each note line changed
//!   or removed) is refused with a failing check;
//! * garbage, truncations and byte flips never panic, and the report always names every check;
//! * inclusion proofs derived from random compact ranges verify.

mod common;

use common::{assert_names, battery, cases, commutes, failing, load, trusted, Mutation};
use proptest::prelude::*;
use serde_json::{json, Value};
use vericord_core::close_package::{
    close_package_inclusion_proof, verify_close_package, verify_compare, COMPARE_CHECKS,
    MAX_COMPARE_RECORDS, PACKAGE_CHECKS,
};
use vericord_core::merkle::range_nodes;
use vericord_core::{keccak256, Amount, Checkpoint, CheckpointSigner, Hash, MemoryTree, RootHash};

#[test]
fn close_package_vectors() {
    let v = load("close-packages.json");
    assert_eq!(v["checks"], json!(PACKAGE_CHECKS));
    let (valid, invalid) = (cases(&v, "valid"), cases(&v, "invalid"));
    assert!(valid.len() >= 7 && invalid.len() >= 25);
    for case in valid {
        let name = &case["name"];
        let text = case["package"].to_string();
        let r = verify_close_package(&text, &trusted(case));
        assert_names(&r, PACKAGE_CHECKS);
        assert!(r.verified, "{name}: {:#?}", r.checks);
        let e = &case["expected"];
        assert_eq!(json!(r.keys_pinned), e["keysPinned"], "{name}");
        assert_eq!(json!(r.record_count), e["recordCount"], "{name}");
        assert_eq!(json!(r.summary), e["summary"], "{name}");
        assert_eq!(json!(r.period), e["period"], "{name}");
        let cp = r.checkpoint.as_ref().expect("checkpoint");
        assert_eq!(json!({"size": cp.size, "root": cp.root}), e["checkpoint"]);
        assert!(r.customer.is_some() && r.recorded_by.is_some() && r.key.is_some());
        let inclusion = &case["inclusion"];
        let head = RootHash::new(
            inclusion["root"].as_str().unwrap().parse().unwrap(),
            inclusion["size"].as_u64().unwrap(),
        );
        assert_eq!((head.root, head.size), (cp.root, cp.size));
        let proofs = cases(inclusion, "proofs");
        assert_eq!(proofs.len() as u64, r.record_count.unwrap());
        for p in proofs {
            let seq = p["seq"].as_u64().unwrap();
            let derived = close_package_inclusion_proof(&text, seq).unwrap();
            assert_eq!(
                json!({"seq": seq, "leaf": derived.leaf, "proof": derived.proof}),
                *p
            );
            head.verify_inclusion(&derived.leaf, seq, &derived.proof)
                .unwrap();
        }
    }
    let mut named = std::collections::BTreeSet::new();
    for case in invalid {
        let r = verify_close_package(&case["package"].to_string(), &trusted(case));
        assert_names(&r, PACKAGE_CHECKS);
        assert_eq!(json!(failing(&r)), case["failing"], "{}", case["name"]);
        assert_eq!(json!(r.first_failure().map(|c| c.name)), case["check"]);
        named.insert(case["check"].as_str().unwrap().to_string());
    }
    // The vectors exercise most checks as the first failure.
    assert!(named.len() >= 18, "{named:?}");
}

#[test]
fn compare_vectors() {
    let v = load("compares.json");
    assert_eq!(v["checks"], json!(COMPARE_CHECKS));
    let (valid, invalid) = (cases(&v, "valid"), cases(&v, "invalid"));
    assert!(valid.len() >= 3 && invalid.len() >= 6);
    for case in valid {
        let r = verify_compare(&case["compare"].to_string(), &trusted(case));
        assert_names(&r, COMPARE_CHECKS);
        assert!(r.verified, "{}: {:#?}", case["name"], r.checks);
        let e = &case["expected"];
        assert_eq!(json!(r.record_count), e["recordCount"]);
        assert_eq!(json!(r.differences), e["differences"]);
        // No manifest: names and ids are not reported as verified.
        let by = r.recorded_by.as_ref().expect("recorder");
        assert_eq!(by.display_name, None);
        assert_eq!(r.checkpoint.as_ref().unwrap().checkpoint_id, None);
    }
    for case in invalid {
        let r = verify_compare(&case["compare"].to_string(), &trusted(case));
        assert_names(&r, COMPARE_CHECKS);
        assert_eq!(json!(failing(&r)), case["failing"], "{}", case["name"]);
        assert_eq!(json!(r.first_failure().map(|c| c.name)), case["check"]);
    }
}

#[test]
fn every_single_field_mutation_of_a_package_is_refused() {
    let v = load("close-packages.json");
    let mut total = 0;
    for case in cases(&v, "valid") {
        let doc = &case["package"];
        let keys = trusted(case);
        let n = battery(
            doc,
            &|t| verify_close_package(t, &keys),
            PACKAGE_CHECKS,
            &|m| commutes(m, doc),
        );
        total += n;
        eprintln!("{}: {n} mutations refused", case["name"]);
    }
    // And with the package's own keys: a mutated key list breaks the signatures or the manifest.
    let doc = &cases(&v, "valid")[0]["package"];
    total += battery(
        doc,
        &|t| verify_close_package(t, &[]),
        PACKAGE_CHECKS,
        &|_| false,
    );
    eprintln!("close packages: {total} mutations, every one refused");
    assert!(total > 3000, "{total}");
}

#[test]
fn every_single_field_mutation_of_a_compare_is_refused() {
    let v = load("compares.json");
    let mut total = 0;
    for case in cases(&v, "valid") {
        let keys = trusted(case);
        // A compare has no manifest (§13): its checkpoint ids and key list are not signed, and
        // the report never presents them as verified.
        let doc = &case["compare"];
        let unsigned = |m: &Mutation| {
            let member = m.path.ends_with("/checkpointId") || m.path.starts_with("/verifierKeys");
            // Removing a member still fails `format`.
            let removal = m.what == "remove the member" && !m.path.starts_with("/verifierKeys/");
            member && !removal
        };
        let exempt = |m: &Mutation| unsigned(m) || commutes(m, doc);
        total += battery(doc, &|t| verify_compare(t, &keys), COMPARE_CHECKS, &exempt);
    }
    eprintln!("compares: {total} mutations, every one refused");
    assert!(total > 1000, "{total}");
}

#[test]
fn the_caps_are_enforced_while_parsing() {
    let v = load("compares.json");
    let mut doc = cases(&v, "valid")[0]["compare"].clone();
    let one = doc["records"][0].clone();
    doc["records"] = json!(vec![one; MAX_COMPARE_RECORDS + 1]);
    let r = verify_compare(&doc.to_string(), &[]);
    let detail = &r.first_failure().unwrap().detail;
    assert!(detail.contains("more than 10000"), "{detail}");
    let v = load("close-packages.json");
    let mut pkg = cases(&v, "valid")[0]["package"].clone();
    pkg["range"]["frontier"] = json!(vec![Hash::ZERO.to_hex(); 65]);
    let r = verify_close_package(&pkg.to_string(), &[]);
    assert!(r.first_failure().unwrap().detail.contains("more than 64"));
}

fn sample_text() -> String {
    let v = load("close-packages.json");
    cases(&v, "valid")[3]["package"].to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn truncations_and_flips_never_panic(cut in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let text = sample_text();
        let mut bytes = text.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let cut = cut.index(bytes.len());
        for candidate in [&bytes[..], &bytes[..cut]] {
            let s = String::from_utf8_lossy(candidate);
            let r = verify_close_package(&s, &[]);
            assert_names(&r, PACKAGE_CHECKS);
            assert_names(&verify_compare(&s, &[]), COMPARE_CHECKS);
            let _ = close_package_inclusion_proof(&s, 40);
        }
    }

    #[test]
    fn garbage_never_panics(s in "\\PC{0,200}", keys in prop::collection::vec("\\PC{0,40}", 0..3)) {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_names(&verify_close_package(&s, &keys), PACKAGE_CHECKS);
        assert_names(&verify_compare(&s, &keys), COMPARE_CHECKS);
        let _ = close_package_inclusion_proof(&s, 0);
    }
}

/// A package that is only what the inclusion-proof derivation reads: a signed checkpoint over
/// `start + n` random leaves, the frontier of `start`, and the records' entry hashes.
fn range_package(start: u64, n: u64, seed: u64) -> (String, MemoryTree) {
    let leaves: Vec<Hash> = (0..start + n)
        .map(|i| keccak256(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect();
    let tree = MemoryTree::new(leaves);
    let signer = CheckpointSigner::from_seed("vericord.test", &[9; 32]).unwrap();
    let cp = Checkpoint {
        origin: "vericord.test/sandbox/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into(),
        size: start + n,
        root: tree.root().root,
        period: "2026-11".into(),
        opening: Amount::ZERO,
        closing: Amount::ZERO,
        count: n,
    };
    let frontier: Vec<String> = range_nodes(0, start)
        .into_iter()
        .map(|id| tree.node(id).unwrap().to_hex())
        .collect();
    let records: Vec<Value> = (start..start + n)
        .map(|s| json!({"seq": s, "item": {}, "itemHash": Hash::ZERO.to_hex(), "balanceAfter": "0",
                        "entryHash": tree.leaves()[s as usize].to_hex(), "receivedBeforePeriod": false}))
        .collect();
    let text = |t: &str| json!(t);
    let pkg = json!({
        "format": "vericord.close-package/v1", "environment": "sandbox",
        "customer": {"customerId": "c", "customerReference": "r"},
        "recordedBy": {"type": "tenant", "id": "t", "displayName": "T"}, "tenant": {"name": "T"},
        "period": {"label": "2026-11", "start": "s", "end": "e"}, "verifierKeys": [],
        "checkpoint": {"checkpointId": "chk", "note": cp.sign(&signer).unwrap()},
        "previous": null, "consistencyProof": [], "range": {"start": start, "frontier": frontier},
        "opening": null, "records": records,
        "summary": {"opening": "0", "credits": "0", "debits": "0", "net": "0", "closing": "0", "recordCount": n},
        "manifest": text(""),
    });
    (pkg.to_string(), tree)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn derived_inclusion_proofs_verify(start in 0u64..300, n in 1u64..70, seed in any::<u64>()) {
        let (text, tree) = range_package(start, n, seed);
        let head = tree.root();
        for seq in start..start + n {
            let p = close_package_inclusion_proof(&text, seq).unwrap();
            prop_assert_eq!((p.root, p.size, p.index), (head.root, head.size, seq));
            prop_assert_eq!(&p.proof, &tree.inclusion_proof(seq, head.size).unwrap());
            prop_assert!(head.verify_inclusion(&p.leaf, seq, &p.proof).is_ok());
        }
        for seq in [start.wrapping_sub(1), start + n, u64::MAX] {
            let e = close_package_inclusion_proof(&text, seq).unwrap_err();
            prop_assert_eq!(e.code(), "SEQ_OUT_OF_RANGE");
        }
    }
}

#[test]
fn a_range_that_does_not_reach_the_root_derives_nothing() {
    let (text, _) = range_package(5, 3, 1);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["records"][1]["entryHash"] = json!(Hash([7; 32]).to_hex());
    let e = close_package_inclusion_proof(&v.to_string(), 6).unwrap_err();
    assert_eq!(e.code(), "CLOSE_PACKAGE_RANGE_MISMATCH");
    v["range"]["frontier"] = json!([]);
    let e = close_package_inclusion_proof(&v.to_string(), 6).unwrap_err();
    assert_eq!(e.code(), "CLOSE_PACKAGE_MALFORMED");
    assert_eq!(
        close_package_inclusion_proof("[]", 0).unwrap_err().code(),
        "CLOSE_PACKAGE_MALFORMED"
    );
}

/// JSON values with what trips canonicalizers: astral and high-BMP keys (UTF-16 order differs
/// from UTF-8 order), escapes and controls, integers past 2^53, fractions and exponents.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "a",
        "b",
        "aa",
        "A",
        "é",
        "€",
        "\u{e000}",
        "😀",
        "\u{10000}",
        "",
        "\"",
        "a\\b",
        "\u{1f}",
    ]);
    let text = "[a-c\"\\\\/é€😀\u{e000}\u{7f}\u{2028}\u{0}-\u{1f}]{0,6}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-100_000i64..100_000, 0u32..12)
            .prop_map(|(m, e)| Value::from(m as f64 / 10f64.powi(e as i32))),
        text.prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    /// The records pass hashes recognized-canonical items as they stand: recognition must imply
    /// that the core's JCS gives back the very same text.
    #[test]
    fn recognized_canonical_text_is_what_jcs_writes(v in json_value(), at in any::<prop::sample::Index>(), byte in 0x20u8..0x7f) {
        use vericord_core::jcs::{canonicalize, canonicalize_text, is_canonical};
        let Ok(canonical) = canonicalize(&v) else { return Ok(()) };
        let mut texts = vec![canonical.clone(), v.to_string(), serde_json::to_string_pretty(&v).unwrap()];
        let mut bytes = canonical.clone().into_bytes();
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] = byte;
            texts.extend(String::from_utf8(bytes).ok());
        }
        for t in texts {
            if is_canonical(&t) {
                let again = canonicalize_text(&t);
                prop_assert_eq!(again.as_deref(), Ok(t.as_str()));
            }
        }
    }
}

#[test]
fn canonical_items_take_the_fast_path() {
    use vericord_core::jcs::{canonicalize_text, is_canonical};
    let v = load("close-packages.json");
    let mut recognized = 0;
    for case in cases(&v, "valid") {
        for r in cases(&case["package"], "records") {
            let canonical = canonicalize_text(&r["item"].to_string()).unwrap();
            recognized += usize::from(is_canonical(&canonical));
        }
    }
    assert!(recognized > 40, "{recognized}");
}
