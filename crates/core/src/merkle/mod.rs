//! One Merkle tree everywhere: RFC 9162 §2.1 shape, sorted-pair Keccak nodes.
//!
//! * Shape: a tree of `n` leaves splits at the largest power of two below `n`
//!   and never duplicates a node, so it is append-only with RFC 9162
//!   inclusion and consistency proofs.
//! * Node: `keccak256(min(a, b) ‖ max(a, b))`, OpenZeppelin's `MerkleProof`
//!   convention, so inclusion proofs also verify in `SimpleMerkleTree.verify`
//!   and on an EVM chain. Leaves are the 32-byte item/entry hashes themselves.
//! * Sorted pairs hide a leaf's position, so every leaf commits to its own
//!   position and verifiers check proof length against index and size.
//! * The empty tree's root is 32 zero bytes.
//!
//! As in ct-merkle, index math (which nodes a proof needs) is separate from
//! storage: [`inclusion_plan`] / [`consistency_plan`] name the nodes, the
//! caller fetches them (see [`tiles`]), [`ProofPlan::assemble`] builds the proof.

mod compact;
mod memory;
mod plan;
pub mod tiles;
mod verify;

pub use compact::{CompactRange, CompactRangeError};
pub use memory::MemoryTree;
pub use plan::{consistency_plan, inclusion_plan, range_nodes, root_plan, PlanError, ProofPlan};
pub use verify::{ConsistencyError, InclusionError, RootHash};

use crate::hash::Hash;
use sha3::{Digest, Keccak256};

/// `keccak256(min(a, b) ‖ max(a, b))`, comparing as big-endian integers.
pub fn node_hash(a: &Hash, b: &Hash) -> Hash {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h = Keccak256::new();
    h.update(lo.0);
    h.update(hi.0);
    Hash(h.finalize().into())
}

/// A perfect subtree: the `2^level` leaves starting at leaf `index << level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves (0 = a leaf).
    pub level: u8,
    /// Position among the nodes of that level.
    pub index: u64,
}

/// Largest power of two strictly below `n` (`n ≥ 2`): where RFC 9162 splits.
pub(crate) fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Hash of a run of perfect subtrees as RFC 9162 composes a right edge:
/// `H(n1, H(n2, … H(nk-1, nk)))`. Empty input gives the empty root.
pub fn fold_right(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return Hash::ZERO;
    };
    iter.fold(*last, |acc, h| node_hash(h, &acc))
}

/// Root of a perfect subtree from its `2^k` leaves (or lower nodes), pairwise.
pub fn perfect_root(nodes: &[Hash]) -> Hash {
    debug_assert!(nodes.len().is_power_of_two());
    let mut level: alloc::vec::Vec<Hash> = nodes.to_vec();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    level.first().copied().unwrap_or(Hash::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;

    #[test]
    fn node_hash_is_sorted_pair() {
        let a = keccak256(b"a");
        let b = keccak256(b"b");
        assert_eq!(node_hash(&a, &b), node_hash(&b, &a));
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let mut cat = lo.0.to_vec();
        cat.extend_from_slice(&hi.0);
        assert_eq!(node_hash(&a, &b), keccak256(&cat));
    }

    #[test]
    fn split_points() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(1 << 40), 1 << 39);
        assert_eq!(split(u64::MAX), 1 << 63);
    }
}
