//! Verification packages (`vericord.verification-package/v1`, `docs/SPEC.md` §15): a spot check
//! of one customer log's closed period — a *sample* of its records, each with its inclusion
//! proof under the period's signed closing checkpoint, drawn from a seed that the checkpoint's
//! signature fixes, so whoever assembles the package cannot choose which records are sampled —
//! with a signed manifest over everything the tree cannot sign, as a close package has (§12).
//!
//! [`sample_seed`] and [`sample_indices`] are the draw: the Worker samples with them and the
//! verifier redraws with them. [`verify_verification_package`] never panics and returns a
//! [`VerifyReport`] naming every check of §15 ([`CHECKS`]); it reuses the close package's
//! parsing, steps and records pass. Memory stays near the input's size: at most
//! [`MAX_SAMPLE`] records, proofs of at most [`MAX_HASHES`] hashes, capped while parsing.
//!
//! ```
//! use vericord_core::verification_package::{sample_indices, sample_seed, verify_verification_package, CHECKS};
//!
//! let seed = sample_seed("vericord.test/sandbox/0x…\n42\n…");
//! let small = sample_indices(&seed, 17, 42, 5);
//! let large = sample_indices(&seed, 17, 42, 10);
//! assert_eq!(small.len(), 5);
//! assert!(small.iter().all(|i| large.contains(i) && (17..59).contains(i))); // a larger sample extends a smaller one
//!
//! let report = verify_verification_package("{}", &[]);
//! assert!(!report.verified);
//! assert_eq!(report.first_failure().map(|c| c.name), Some("format"));
//! assert_eq!(report.checks.len(), CHECKS.len()); // every check of §15, in order
//! ```

// Hostile input must never panic or overflow: no unwraps, no indexing, checked arithmetic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic
    )
)]

mod model;
mod verify;

pub use crate::close_package::{SampleFacts, VerifyReport, MAX_HASHES, MAX_KEYS};
pub use verify::verify_verification_package;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;
use sha3::{Digest, Keccak256};

use crate::hash::Hash;
use crate::jcs::{self, JcsError, Tree};

/// The package format id, also the manifest note's first line.
pub const FORMAT: &str = "vericord.verification-package/v1";

/// The largest sample a package may ask for, and so the most records it may hold.
pub const MAX_SAMPLE: u64 = 100;

/// The prefix of the seed's preimage: the seed's domain and version.
const SEED_PREFIX: &[u8] = b"vericord:sample:v1\n";

/// The checks of a verification package (§15), in report order.
pub const CHECKS: &[&str] = &[
    "format",
    "checkpoint.signature",
    "manifest.signature",
    "manifest.fields",
    "checkpoint.origin",
    "period",
    "identity",
    "sample.seed",
    "sample.size",
    "sample.indices",
    "records.itemHash",
    "records.identity",
    "records.amount",
    "records.entryHash",
    "records.period",
    "records.inclusion",
];

/// The sample's seed: `keccak256("vericord:sample:v1\n" ‖ note)`, over the UTF-8 bytes of the
/// checkpoint's whole signed note text, signature lines included.
///
/// *Why the signature:* it is made with the deployment's key, which the vendor does not hold,
/// and Ed25519 signatures cannot be predicted without the key, so no one can compute the seed
/// of a log state before the deployment signs it — a vendor cannot shape the period's records
/// until the draw suits them. A period has one closing checkpoint (§11), so it has one draw.
pub fn sample_seed(note: &str) -> Hash {
    let mut h = Keccak256::new();
    h.update(SEED_PREFIX);
    h.update(note.as_bytes());
    Hash(h.finalize().into())
}

/// The sampled log positions: `k = min(requested, count)` distinct positions in
/// `[start, start + count)`, ascending.
///
/// Draw `j = 0, 1, 2, …`: `h = keccak256(seed ‖ 8-byte big-endian j)`, `x` = the big-endian
/// `u64` of `h[0..8]`; reject `x ≥ 2^64 − (2^64 mod count)` (so every position is equally
/// likely: no modulo bias); position = `start + x mod count`; skip it if already drawn; stop at
/// `k` positions. The draws do not depend on `requested`, so a larger sample of the same
/// period extends a smaller one. `count == 0`, `requested == 0`, or positions beyond `u64`
/// (`start + count − 1` overflows) give none.
///
/// Callers bound `requested` (a package asks for at most [`MAX_SAMPLE`]): the draw holds `k`
/// positions. Each draw is accepted with probability above ½ and is new with probability
/// `(count − drawn) / count`, so `k` positions take about `count · (H(count) − H(count − k))`
/// accepted draws on average (`H` the harmonic numbers), about `k · (ln k + 0.58)` when `k` is
/// `count`.
pub fn sample_indices(seed: &Hash, start: u64, count: u64, requested: u64) -> Vec<u64> {
    let k = requested.min(count);
    let last = count
        .checked_sub(1)
        .and_then(|span| start.checked_add(span));
    let (Some(k), Some(_)) = (usize::try_from(k).ok().filter(|&k| k > 0), last) else {
        return Vec::new();
    };
    // Draws at or above 2^64 − (2^64 mod count), the largest multiple of count that fits in
    // 2^64, are redrawn. In u64 (no 128-bit division in the wasm): r = 2^64 mod count
    // = (u64::MAX mod count + 1) mod count, and x ≥ 2^64 − r ⇔ x + r overflows.
    let r = match u64::MAX.checked_rem(count).map(|m| m.wrapping_add(1)) {
        Some(r) if r != count => r,
        _ => 0,
    };
    // At most MAX_SAMPLE positions: a list is as good as a set.
    let mut drawn = Vec::with_capacity(k);
    let mut j: u64 = 0;
    while drawn.len() < k {
        let x = draw(seed, j);
        j = j.wrapping_add(1);
        if x.checked_add(r).is_none() {
            continue;
        }
        if let Some(position) = x.checked_rem(count).and_then(|r| start.checked_add(r)) {
            if !drawn.contains(&position) {
                drawn.push(position);
            }
        }
    }
    crate::sort::sort_by(&mut drawn, |a, b| a < b);
    drawn
}

/// Draw `j`: the first 8 bytes, big-endian, of `keccak256(seed ‖ u64_be(j))`.
fn draw(seed: &Hash, j: u64) -> u64 {
    let mut h = Keccak256::new();
    h.update(seed.0);
    h.update(j.to_be_bytes());
    let digest: [u8; 32] = h.finalize().into();
    u64::from_be_bytes(digest.first_chunk::<8>().copied().unwrap_or_default())
}

/// The text a package's manifest note signs: the format line, then the JCS of `fields`
/// (`{format, environment, customer, recordedBy, tenant, period, verifierKeys, checkpoint:
/// {checkpointId, size, root}, sample: {seed, requested, population, start}}`), then a newline.
pub fn manifest_text(fields: &Value) -> Result<String, JcsError> {
    manifest_text_of(&Tree::of(fields))
}

/// [`manifest_text`] of a [`Tree`].
pub(crate) fn manifest_text_of(fields: &Tree) -> Result<String, JcsError> {
    Ok(format!("{FORMAT}\n{}\n", jcs::canonical(fields)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn seed(n: u64) -> Hash {
        crate::hash::keccak256(&n.to_be_bytes())
    }

    /// The rule of the doc comment, written plainly (u128 arithmetic, a linear search).
    fn reference(seed: &Hash, start: u64, count: u64, requested: u64) -> Vec<u64> {
        let k = requested.min(count) as usize;
        if k == 0 {
            return vec![];
        }
        let limit = (1u128 << 64) - (1u128 << 64) % count as u128;
        let mut order = vec![];
        let mut j = 0u64;
        while order.len() < k {
            let mut pre = seed.0.to_vec();
            pre.extend_from_slice(&j.to_be_bytes());
            let h = crate::hash::keccak256(&pre);
            let x = u64::from_be_bytes(h.0[..8].try_into().unwrap());
            j += 1;
            if (x as u128) < limit {
                let p = start + x % count;
                if !order.contains(&p) {
                    order.push(p);
                }
            }
        }
        order.sort_unstable();
        order
    }

    #[test]
    fn seed_is_keccak_of_the_prefixed_note() {
        let note = "o\n1\nAAAA\n\n\u{2014} k abc\n";
        let mut pre = b"vericord:sample:v1\n".to_vec();
        pre.extend_from_slice(note.as_bytes());
        assert_eq!(sample_seed(note), crate::hash::keccak256(&pre));
        // Every byte counts, the signature lines too.
        assert_ne!(sample_seed(note), sample_seed(&note.replace("abc", "abd")));
        assert_eq!(
            sample_seed(""),
            crate::hash::keccak256(b"vericord:sample:v1\n")
        );
    }

    #[test]
    fn empty_cases() {
        let s = seed(1);
        assert!(sample_indices(&s, 0, 0, 10).is_empty());
        assert!(sample_indices(&s, 5, 10, 0).is_empty());
        assert!(
            sample_indices(&s, u64::MAX, 2, 1).is_empty(),
            "positions beyond u64"
        );
        assert_eq!(sample_indices(&s, u64::MAX, 1, 1), vec![u64::MAX]);
        assert_eq!(sample_indices(&s, 9, 1, 100), vec![9]);
    }

    #[test]
    fn whole_populations_are_every_position() {
        for count in 1..=40u64 {
            for requested in [count, count + 1, 100] {
                let got = sample_indices(&seed(count), 3, count, requested);
                assert_eq!(got, (3..3 + count).collect::<Vec<_>>());
            }
        }
    }

    /// Every (count, requested) with count ≤ 24, from several seeds: distinct, ascending, in
    /// range, k = min, the reference rule, and each sample a prefix of the next larger one.
    #[test]
    fn exhaustive_small_draws() {
        for n in 0..6u64 {
            let s = seed(1000 + n);
            for count in 0..=24u64 {
                let start = n * 7;
                let mut previous: Vec<u64> = vec![];
                for requested in 0..=count + 2 {
                    let got = sample_indices(&s, start, count, requested);
                    assert_eq!(got.len() as u64, requested.min(count));
                    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
                    assert!(got.iter().all(|p| (start..start + count).contains(p)));
                    assert_eq!(got, reference(&s, start, count, requested));
                    assert!(previous.iter().all(|p| got.contains(p)), "prefix");
                    previous = got;
                }
            }
        }
    }

    #[test]
    fn large_populations() {
        let s = seed(7);
        let got = sample_indices(&s, 123_456, 1_000_000, 100);
        assert_eq!(got.len(), 100);
        assert_eq!(got, reference(&s, 123_456, 1_000_000, 100));
        let huge = sample_indices(&s, 0, u64::MAX, 3);
        assert_eq!(huge, reference(&s, 0, u64::MAX, 3));
        // A power of two rejects nothing; 2^63 + 1 rejects almost half.
        assert_eq!(sample_indices(&s, 0, 1 << 63, 5).len(), 5);
        assert_eq!(sample_indices(&s, 0, (1 << 63) + 1, 5).len(), 5);
    }

    #[test]
    fn the_draw_is_roughly_uniform() {
        // 20,000 single draws over 10 positions: each within 15 % of 2,000.
        let mut hits = [0u32; 10];
        for n in 0..20_000u64 {
            let got = sample_indices(&seed(n), 0, 10, 1);
            hits[got[0] as usize] += 1;
        }
        assert!(hits.iter().all(|&h| (1700..2300).contains(&h)), "{hits:?}");
    }

    proptest! {
        #[test]
        fn draws_are_distinct_sorted_in_range_and_extend(bytes in any::<[u8; 32]>(), start in 0u64..1 << 53, count in 0u64..5000, a in 0u64..=MAX_SAMPLE, b in 0u64..=MAX_SAMPLE) {
            let s = Hash(bytes);
            let (small, large) = (a.min(b), a.max(b));
            let x = sample_indices(&s, start, count, small);
            let y = sample_indices(&s, start, count, large);
            prop_assert_eq!(x.len() as u64, small.min(count));
            prop_assert_eq!(y.len() as u64, large.min(count));
            prop_assert!(y.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(y.iter().all(|p| *p >= start && *p - start < count));
            prop_assert!(x.iter().all(|p| y.contains(p)));
            prop_assert_eq!(&x, &sample_indices(&s, start, count, small), "deterministic");
        }
    }
}
