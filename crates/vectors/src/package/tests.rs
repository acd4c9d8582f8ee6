//! Packages, compares and verification packages built here verify in the core, whole and at
//! scale.

use super::*;
use crate::close_packages::{middleware_log, signer, tenant_log};
use vericord_core::close_package::{
    close_package_inclusion_proof, verify_close_package, verify_compare,
};
use vericord_core::verification_package::{verify_verification_package, MAX_SAMPLE};

#[test]
fn every_month_of_the_sample_logs_verifies() {
    let s = signer("close-packages");
    let keys = vec![s.verifier_key()];
    for log in [tenant_log("cust_1001", |_, _| {}), middleware_log()] {
        for m in 0..log.months.len() {
            let pkg = log.package(&s, &keys, m).to_string();
            for trusted in [vec![keys[0].as_str()], vec![]] {
                let r = verify_close_package(&pkg, &trusted);
                assert!(r.verified, "month {m}: {:#?}", r.checks);
            }
            for a in 0..=m {
                let r = verify_compare(&log.compare(&s, &keys, a, m).to_string(), &[&keys[0]]);
                assert!(r.verified, "{a}..{m}: {:#?}", r.checks);
            }
        }
    }
}

#[test]
fn every_month_of_the_sample_logs_has_verifying_samples_that_extend() {
    let s = signer("verification-packages");
    let keys = vec![s.verifier_key()];
    for log in [tenant_log("cust_1001", |_, _| {}), middleware_log()] {
        for m in 0..log.months.len() {
            let mut previous: Vec<u64> = Vec::new();
            for requested in [1, 2, 3, 5, 8, 13, MAX_SAMPLE] {
                let pkg = log.verification_package(&s, &keys, m, requested);
                let r = verify_verification_package(&pkg.to_string(), &[&keys[0]]);
                assert!(r.verified, "month {m}, {requested}: {:#?}", r.checks);
                let seqs = r.sample.expect("sample").indices;
                assert!(previous.iter().all(|p| seqs.contains(p)), "a prefix");
                previous = seqs;
            }
            let (_, start, end) = log.months[m];
            assert_eq!(
                previous,
                (start..end).collect::<Vec<_>>(),
                "100 covers the month"
            );
        }
    }
}

#[test]
fn a_package_of_100_000_records_verifies() {
    let s = signer("close-packages");
    let keys = vec![s.verifier_key()];
    let amounts = ["12.5", "-3", "0.000000001", "-0.75", "40"];
    let records = |n: usize| (0..n).map(|i| d(amounts[i % amounts.len()])).collect();
    let months = vec![
        Month {
            label: "2026-10",
            records: records(37),
        },
        Month {
            label: "2026-11",
            records: records(100_000),
        },
    ];
    let log = Log::build(
        Environment::Production,
        Recorder::tenant("ten_big", "Big"),
        "cust_big",
        months,
    );
    let text = log.package(&s, &keys, 1).to_string();
    let started = std::time::Instant::now();
    let r = verify_close_package(&text, &[&keys[0]]);
    let took = started.elapsed();
    assert!(r.verified, "{:#?}", r.first_failure());
    assert_eq!(r.record_count, Some(100_000));
    eprintln!(
        "verified 100,000 records ({} MB) in {took:?}",
        text.len() / 1_000_000
    );
    let p = close_package_inclusion_proof(&text, 50_037).unwrap();
    assert!(vericord_core::RootHash::new(p.root, p.size)
        .verify_inclusion(&p.leaf, 50_037, &p.proof)
        .is_ok());
    // A spot check of the same period: 100 of its 100,000 records, each with its own proof.
    let sample = log
        .verification_package(&s, &keys, 1, MAX_SAMPLE)
        .to_string();
    let started = std::time::Instant::now();
    let r = verify_verification_package(&sample, &[&keys[0]]);
    assert!(r.verified, "{:#?}", r.first_failure());
    assert_eq!(r.sample.map(|s| s.indices.len()), Some(100));
    eprintln!(
        "verified a sample of 100 of 100,000 records ({} KB) in {:?}",
        sample.len() / 1000,
        started.elapsed()
    );
}

mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

        /// Random logs: every month's package verifies, and every record's derived proof too.
        #[test]
        fn random_packages_verify_and_derive_proofs(
            sizes in prop::collection::vec(0usize..40, 1..4),
            picks in prop::collection::vec(0usize..5, 160),
            middleware in any::<bool>(),
        ) {
            let s = signer("close-packages");
            let keys = vec![s.verifier_key()];
            let amounts = ["1", "-2.5", "0.3", "-0.000000007", "100"];
            let labels = ["2026-01", "2026-02", "2026-03", "2026-04"];
            let mut next = picks.iter().cycle();
            let months = sizes.iter().zip(labels).map(|(&n, label)| Month {
                label,
                records: (0..n).map(|_| d(amounts[*next.next().unwrap()])).collect(),
            }).collect();
            let recorder = if middleware { Recorder::middleware("cmw_r", "R") } else { Recorder::tenant("ten_r", "R") };
            let log = Log::build(Environment::Sandbox, recorder, "cust_r", months);
            for m in 0..log.months.len() {
                let text = log.package(&s, &keys, m).to_string();
                let r = verify_close_package(&text, &[&keys[0]]);
                prop_assert!(r.verified, "{:?}", r.first_failure());
                let (_, start, end) = log.months[m];
                let head = log.tree.root_at(end);
                for seq in start..end {
                    let p = close_package_inclusion_proof(&text, seq).unwrap();
                    prop_assert!(head.verify_inclusion(&p.leaf, seq, &p.proof).is_ok());
                }
            }
        }
    }
}
