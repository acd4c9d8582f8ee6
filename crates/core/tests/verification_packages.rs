//! Verification packages (`docs/SPEC.md` §15) against `tests/vectors/verification-packages.json`:
//!
//! * every sampling case is `sample_indices`'s answer, and samples of one draw extend each other;
//! * every valid vector verifies with its expected facts; its seed is the note's, its records
//!   are the draw, and each proof verifies on its own;
//! * every invalid vector fails exactly the checks it lists;
//! * the tamper battery: every single-field mutation of every valid package is refused;
//! * garbage, truncations and byte flips never panic, and the report always names every check.

mod common;

use common::{assert_names, battery, cases, failing, load, trusted};
use proptest::prelude::*;
use serde_json::{json, Value};
use vericord_core::close_package::verify_close_package;
use vericord_core::verification_package::{
    manifest_text, sample_indices, sample_seed, verify_verification_package, CHECKS, FORMAT,
    MAX_SAMPLE,
};
use vericord_core::{Hash, RootHash};

fn vectors() -> Value {
    load("verification-packages.json")
}

fn hash(v: &Value) -> Hash {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn sampling_vectors() {
    let v = vectors();
    assert_eq!(v["maxSample"], json!(MAX_SAMPLE));
    let list = cases(&v, "sampling");
    assert!(list.len() >= 15);
    for c in list {
        let (start, count, requested) = (
            c["start"].as_u64().unwrap(),
            c["count"].as_u64().unwrap(),
            c["requested"].as_u64().unwrap(),
        );
        let got = sample_indices(&hash(&c["seed"]), start, count, requested);
        assert_eq!(json!(got), c["indices"], "{c}");
        assert_eq!(got.len() as u64, requested.min(count));
    }
    // Cases of one draw (same seed, start and count): the smaller sample is in the larger.
    for a in list {
        for b in list {
            let same = ["seed", "start", "count"].iter().all(|k| a[k] == b[k]);
            if same && a["requested"].as_u64() <= b["requested"].as_u64() {
                let big = b["indices"].as_array().unwrap();
                assert!(a["indices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|i| big.contains(i)));
            }
        }
    }
    // The edges the README promises.
    let has = |f: &dyn Fn(&Value) -> bool| list.iter().any(f);
    assert!(has(&|c| c["start"].as_u64() > Some(0)));
    assert!(has(&|c| c["count"] == 1));
    assert!(has(
        &|c| c["requested"].as_u64() >= c["count"].as_u64() && c["count"] != 0
    ));
    assert!(has(&|c| c["count"].as_u64() >= Some(1_000_000)));
    assert!(has(&|c| c["count"] == 0) && has(&|c| c["requested"] == 0));
}

#[test]
fn verification_package_vectors() {
    let v = vectors();
    assert_eq!(v["checks"], json!(CHECKS));
    let (valid, invalid) = (cases(&v, "valid"), cases(&v, "invalid"));
    assert!(valid.len() >= 6 && invalid.len() >= 30);
    for case in valid {
        let name = &case["name"];
        let pkg = &case["package"];
        let r = verify_verification_package(&pkg.to_string(), &trusted(case));
        assert_names(&r, CHECKS);
        assert!(r.verified, "{name}: {:#?}", r.checks);
        let e = &case["expected"];
        assert_eq!(json!(r.keys_pinned), e["keysPinned"], "{name}");
        assert_eq!(json!(r.record_count), e["recordCount"], "{name}");
        assert_eq!(json!(r.period), e["period"], "{name}");
        assert_eq!(json!(r.sample), e["sample"], "{name}");
        let cp = r.checkpoint.as_ref().expect("checkpoint");
        assert_eq!(
            json!({"size": cp.size, "root": cp.root, "count": cp.count}),
            e["checkpoint"]
        );
        assert!(r.customer.is_some() && r.recorded_by.is_some() && r.key.is_some());
        assert!(r.summary.is_none() && r.differences.is_none() && r.previous.is_none());
        // The seed is the note's; the records are its draw; every proof verifies alone.
        let sample = r.sample.as_ref().unwrap();
        assert_eq!(
            sample.seed,
            sample_seed(pkg["checkpoint"]["note"].as_str().unwrap())
        );
        let seqs: Vec<u64> = pkg["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["seq"].as_u64().unwrap())
            .collect();
        let want = sample_indices(&sample.seed, cp.size - cp.count, cp.count, sample.requested);
        assert_eq!(seqs, want);
        assert_eq!(sample.indices, want);
        let head = RootHash::new(cp.root, cp.size);
        for rec in pkg["records"].as_array().unwrap() {
            let proof: Vec<Hash> = rec["proof"].as_array().unwrap().iter().map(hash).collect();
            head.verify_inclusion(
                &hash(&rec["entryHash"]),
                rec["seq"].as_u64().unwrap(),
                &proof,
            )
            .unwrap();
        }
    }
    let mut named = std::collections::BTreeSet::new();
    for case in invalid {
        let r = verify_verification_package(&case["package"].to_string(), &trusted(case));
        assert_names(&r, CHECKS);
        assert_eq!(json!(failing(&r)), case["failing"], "{}", case["name"]);
        assert_eq!(json!(r.first_failure().map(|c| c.name)), case["check"]);
        named.insert(case["check"].as_str().unwrap().to_string());
    }
    // Every check is some vector's first failure.
    assert_eq!(named.len(), CHECKS.len(), "{named:?}");
}

#[test]
fn facts_appear_only_when_their_checks_pass() {
    let v = vectors();
    let find = |name: &str| {
        cases(&v, "invalid")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let report = |name: &str| {
        let c = find(name);
        verify_verification_package(&c["package"].to_string(), &trusted(c))
    };
    // An unsigned name change: no recorder, no checkpoint id, no period, no sample.
    let r = report("display-name-changed");
    assert!(r.recorded_by.is_none() && r.period.is_none() && r.sample.is_none());
    assert_eq!(r.checkpoint.as_ref().unwrap().checkpoint_id, None);
    assert!(
        r.customer.is_some(),
        "identity and origin still bind the customer"
    );
    // A seed of the vendor's choice: everything else verifies, the sample is not shown.
    let r = report("seed-chosen");
    assert!(r.sample.is_none() && r.recorded_by.is_some() && r.record_count.is_some());
    let r = report("wrong-key");
    assert!(r.checkpoint.is_none() && r.key.is_none() && r.record_count.is_none());
}

#[test]
fn every_single_field_mutation_of_a_verification_package_is_refused() {
    let v = vectors();
    let mut total = 0;
    for case in cases(&v, "valid") {
        let keys = trusted(case);
        let n = battery(
            &case["package"],
            &|t| verify_verification_package(t, &keys),
            CHECKS,
            &|_| false,
        );
        eprintln!("{}: {n} mutations refused", case["name"]);
        total += n;
    }
    // And with the package's own keys: a mutated key list breaks the signatures or the manifest.
    let doc = &cases(&v, "valid")[0]["package"];
    total += battery(
        doc,
        &|t| verify_verification_package(t, &[]),
        CHECKS,
        &|_| false,
    );
    eprintln!("verification packages: {total} mutations, every one refused");
    assert!(total > 1500, "{total}");
}

#[test]
fn the_caps_are_enforced_while_parsing() {
    let v = vectors();
    let mut pkg = cases(&v, "valid")[0]["package"].clone();
    let one = pkg["records"][0].clone();
    pkg["records"] = json!(vec![one; MAX_SAMPLE as usize + 1]);
    let r = verify_verification_package(&pkg.to_string(), &[]);
    let detail = &r.first_failure().unwrap().detail;
    assert!(detail.contains("more than 100"), "{detail}");
    let mut pkg = cases(&v, "valid")[0]["package"].clone();
    pkg["verifierKeys"] = json!(vec![pkg["verifierKeys"][0].clone(); 65]);
    let r = verify_verification_package(&pkg.to_string(), &[]);
    assert!(r.first_failure().unwrap().detail.contains("more than 64"));
}

#[test]
fn other_formats_are_named_not_verified() {
    let close = load("close-packages.json");
    let text = cases(&close, "valid")[0]["package"].to_string();
    let r = verify_verification_package(&text, &[]);
    assert_eq!(r.first_failure().unwrap().name, "format");
    assert!(r
        .first_failure()
        .unwrap()
        .detail
        .contains("vericord.close-package/v1"));
    let v = vectors();
    let text = cases(&v, "valid")[0]["package"].to_string();
    let r = verify_close_package(&text, &[]);
    assert!(r.first_failure().unwrap().detail.contains(FORMAT));
}

#[test]
fn the_manifest_text_is_the_format_line_and_jcs() {
    let fields = json!({"b": 1, "a": "x"});
    assert_eq!(
        manifest_text(&fields).unwrap(),
        "vericord.verification-package/v1\n{\"a\":\"x\",\"b\":1}\n"
    );
}

fn sample_text() -> String {
    cases(&vectors(), "valid")[0]["package"].to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn truncations_and_flips_never_panic(cut in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = sample_text().into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let cut = cut.index(bytes.len());
        for candidate in [&bytes[..], &bytes[..cut]] {
            let s = String::from_utf8_lossy(candidate);
            assert_names(&verify_verification_package(&s, &[]), CHECKS);
        }
    }

    #[test]
    fn garbage_never_panics(s in "\\PC{0,200}", keys in prop::collection::vec("\\PC{0,40}", 0..3)) {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_names(&verify_verification_package(&s, &keys), CHECKS);
    }

    /// Any sample numbers, even ones a manifest never signs, give a report and no panic.
    #[test]
    fn any_sample_numbers_never_panic(requested in any::<u64>(), population in any::<u64>(), start in any::<u64>()) {
        let mut pkg: Value = serde_json::from_str(&sample_text()).unwrap();
        pkg["sample"]["requested"] = json!(requested);
        pkg["sample"]["population"] = json!(population);
        pkg["sample"]["start"] = json!(start);
        let r = verify_verification_package(&pkg.to_string(), &[]);
        assert_names(&r, CHECKS);
        prop_assert!(!r.verified || (requested, population, start) == (4, 10, 32));
    }
}
