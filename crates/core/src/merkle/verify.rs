//! Proof verification against a trusted root. Never panics on untrusted input.

use super::node_hash;
use crate::hash::Hash;
use core::fmt;

/// A tree head: root hash at a size. Verification methods hang off the
/// trusted object, as in ct-merkle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootHash {
    /// The root.
    pub root: Hash,
    /// Number of leaves.
    pub size: u64,
}

/// Why an inclusion proof was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InclusionError {
    /// `index ≥ size`.
    IndexOutOfRange,
    /// The proof has the wrong number of hashes for this index and size.
    WrongProofLength {
        /// What RFC 9162 requires.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// The recomputed root differs.
    RootMismatch,
}

/// Why a consistency proof was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsistencyError {
    /// The old tree is larger than the new one.
    SizesOutOfOrder,
    /// The proof has the wrong number of hashes for these sizes.
    WrongProofLength {
        /// What RFC 9162 requires.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// The proof does not reproduce the old root.
    OldRootMismatch,
    /// The proof does not reproduce the new root.
    NewRootMismatch,
}

impl InclusionError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            InclusionError::IndexOutOfRange => "INDEX_OUT_OF_RANGE",
            InclusionError::WrongProofLength { .. } => "PROOF_LENGTH",
            InclusionError::RootMismatch => "ROOT_MISMATCH",
        }
    }
}

impl ConsistencyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ConsistencyError::SizesOutOfOrder => "SIZES_OUT_OF_ORDER",
            ConsistencyError::WrongProofLength { .. } => "PROOF_LENGTH",
            ConsistencyError::OldRootMismatch => "OLD_ROOT_MISMATCH",
            ConsistencyError::NewRootMismatch => "ROOT_MISMATCH",
        }
    }
}

impl fmt::Display for InclusionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InclusionError::IndexOutOfRange => f.write_str("leaf index is not below the tree size"),
            InclusionError::WrongProofLength { expected, got } => {
                write!(
                    f,
                    "proof has {got} hashes; this index and size need {expected}"
                )
            }
            InclusionError::RootMismatch => f.write_str("proof does not lead to the root"),
        }
    }
}

impl fmt::Display for ConsistencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsistencyError::SizesOutOfOrder => f.write_str("old tree size is above the new one"),
            ConsistencyError::WrongProofLength { expected, got } => {
                write!(f, "proof has {got} hashes; these sizes need {expected}")
            }
            ConsistencyError::OldRootMismatch => {
                f.write_str("proof does not reproduce the old root")
            }
            ConsistencyError::NewRootMismatch => {
                f.write_str("proof does not reproduce the new root")
            }
        }
    }
}

impl core::error::Error for InclusionError {}
impl core::error::Error for ConsistencyError {}

/// Length of `PATH(index, D[0:size])`, for `index < size`: one hash per split
/// on the way from the root to the leaf.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut start, mut end, mut len) = (0u64, size, 0usize);
    while end - start > 1 {
        let k = super::split(end - start);
        len += 1;
        if index < start + k {
            end = start + k;
        } else {
            start += k;
        }
    }
    len
}

/// Length of `PROOF(old, D[0:new])`, for `0 < old < new`.
pub fn consistency_proof_len(old: u64, new: u64) -> usize {
    let (mut m, mut n, mut whole, mut len) = (old, new, true, 0usize);
    while m != n {
        let k = super::split(n);
        len += 1;
        if m <= k {
            n = k;
        } else {
            m -= k;
            n -= k;
            whole = false;
        }
    }
    len + usize::from(!whole)
}

impl RootHash {
    /// A tree head.
    pub fn new(root: Hash, size: u64) -> RootHash {
        RootHash { root, size }
    }

    /// Checks that `leaf` is in this tree with a proof of the length RFC 9162
    /// gives leaf `index`. Sorted pairs do not encode position, so two indices
    /// with equally long paths accept the same proof: the position itself is
    /// bound by the leaf's content (items carry `index`, entries `seq`), which
    /// callers must compare with `index`.
    pub fn verify_inclusion(
        &self,
        leaf: &Hash,
        index: u64,
        proof: &[Hash],
    ) -> Result<(), InclusionError> {
        if index >= self.size {
            return Err(InclusionError::IndexOutOfRange);
        }
        let expected = inclusion_proof_len(index, self.size);
        if proof.len() != expected {
            return Err(InclusionError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        // Sorted pairs make left/right irrelevant: fold siblings leaf to root.
        let root = proof.iter().fold(*leaf, |acc, p| node_hash(&acc, p));
        if root.ct_eq(&self.root) {
            Ok(())
        } else {
            Err(InclusionError::RootMismatch)
        }
    }

    /// Checks that `old` is a prefix of this tree (RFC 9162 §2.1.4.2).
    pub fn verify_consistency(
        &self,
        old: &RootHash,
        proof: &[Hash],
    ) -> Result<(), ConsistencyError> {
        let (m, n) = (old.size, self.size);
        if m > n {
            return Err(ConsistencyError::SizesOutOfOrder);
        }
        if m == 0 || m == n {
            if !proof.is_empty() {
                return Err(ConsistencyError::WrongProofLength {
                    expected: 0,
                    got: proof.len(),
                });
            }
            if m == 0 {
                return if old.root == Hash::ZERO {
                    Ok(())
                } else {
                    Err(ConsistencyError::OldRootMismatch)
                };
            }
            return if old.root.ct_eq(&self.root) {
                Ok(())
            } else {
                Err(ConsistencyError::NewRootMismatch)
            };
        }
        let expected = consistency_proof_len(m, n);
        if proof.len() != expected {
            return Err(ConsistencyError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        // When old is a power of two its root is the first node of the path.
        let mut path = proof.iter();
        let first = if m.is_power_of_two() {
            old.root
        } else {
            match path.next() {
                Some(h) => *h,
                None => return Err(ConsistencyError::WrongProofLength { expected, got: 0 }),
            }
        };
        let (mut fn_, mut sn) = (m - 1, n - 1);
        while fn_ & 1 == 1 {
            fn_ >>= 1;
            sn >>= 1;
        }
        let (mut fr, mut sr) = (first, first);
        for c in path {
            if sn == 0 {
                return Err(ConsistencyError::WrongProofLength {
                    expected,
                    got: proof.len(),
                });
            }
            if fn_ & 1 == 1 || fn_ == sn {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = node_hash(&sr, c);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        if sn != 0 {
            return Err(ConsistencyError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if !fr.ct_eq(&old.root) {
            return Err(ConsistencyError::OldRootMismatch);
        }
        if !sr.ct_eq(&self.root) {
            return Err(ConsistencyError::NewRootMismatch);
        }
        Ok(())
    }
}
