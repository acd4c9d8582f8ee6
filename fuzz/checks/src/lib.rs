//! What every fuzz target checks, on any bytes: nothing panics, and each decoder or verifier
//! keeps its documented invariants (round trips, canonical forms, reference answers, "a changed
//! document is refused"). The fuzz targets in `fuzz/fuzz_targets/` are one call into [`run`];
//! `crates/core/tests/fuzz_regressions.rs` compiles this same source as a module and replays
//! `fuzz/regressions/` and the seeds through it on stable, without the fuzzer. So paths here
//! are relative (`super::`), never `crate::`.
#![forbid(unsafe_code)]
#![allow(dead_code)]

pub mod access;
pub mod amount;
pub mod checkpoint;
pub mod documents;
pub mod input;
pub mod jcs;
pub mod mutate;
pub mod proofs;
pub mod vectors;

/// Every fuzz target, by name (its file in `fuzz/fuzz_targets/`, its folder in the corpora).
pub const TARGETS: &[&str] = &[
    "amount",
    "jcs",
    "inclusion",
    "consistency",
    "checkpoint",
    "receipt",
    "close_package",
    "compare",
    "verification_package",
    "access_link",
];

/// Runs target `target`'s checks on one input; panics on a violated invariant.
pub fn run(target: &str, data: &[u8]) {
    use documents::Kind;
    match target {
        "amount" => amount::check(data),
        "jcs" => jcs::check(data),
        "inclusion" => proofs::check_inclusion(data),
        "consistency" => proofs::check_consistency(data),
        "checkpoint" => checkpoint::check(data),
        "receipt" => documents::check(Kind::Receipt, data),
        "close_package" => documents::check(Kind::ClosePackage, data),
        "compare" => documents::check(Kind::Compare, data),
        "verification_package" => documents::check(Kind::VerificationPackage, data),
        "access_link" => access::check(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

/// The seed corpus of `target`, made from `tests/vectors`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    use documents::Kind;
    match target {
        "amount" => amount::seeds(),
        "jcs" => jcs::seeds(),
        "inclusion" => proofs::inclusion_seeds(),
        "consistency" => proofs::consistency_seeds(),
        "checkpoint" => checkpoint::seeds(),
        "receipt" => documents::seeds(Kind::Receipt),
        "close_package" => documents::seeds(Kind::ClosePackage),
        "compare" => documents::seeds(Kind::Compare),
        "verification_package" => documents::seeds(Kind::VerificationPackage),
        "access_link" => access::seeds(),
        other => panic!("no fuzz target {other:?}"),
    }
}
