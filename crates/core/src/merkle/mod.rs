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

use crate::hash::{le_word, squeeze, Hash};

/// `keccak256(min(a, b) ‖ max(a, b))`, comparing as big-endian integers.
///
/// The 64 bytes fit one 136-byte Keccak-256 block, so this is one keccak-f\[1600\] on a state
/// absorbed by hand (no hasher, no buffer): lanes 0–7 are the two hashes as little-endian words,
/// the original Keccak padding puts `0x01` after them (lane 8) and `0x80` in the block's last
/// byte (lane 16), and the digest is lanes 0–3 little-endian. Big-endian order of the bytes is
/// the order of the byte-swapped words. Plain loads and loops, as in [`crate::keccak256`]:
/// proof verification is this and nothing else. `node_hash_is_sorted_pair` checks it against
/// [`crate::keccak256`] and `sha3`.
pub fn node_hash(a: &Hash, b: &Hash) -> Hash {
    // Constant offsets, so each word is one load even at opt-level "z".
    let words = |h: &Hash| {
        [
            le_word(&h.0, 0),
            le_word(&h.0, 8),
            le_word(&h.0, 16),
            le_word(&h.0, 24),
        ]
    };
    let (a, b) = (words(a), words(b));
    let (mut i, mut a_first) = (0, true);
    while i < 4 {
        let (x, y) = (a[i].swap_bytes(), b[i].swap_bytes());
        if x != y {
            a_first = x < y;
            break;
        }
        i += 1;
    }
    let (lo, hi) = if a_first { (a, b) } else { (b, a) };
    let mut state = [0u64; 25];
    state[0] = lo[0];
    state[1] = lo[1];
    state[2] = lo[2];
    state[3] = lo[3];
    state[4] = hi[0];
    state[5] = hi[1];
    state[6] = hi[2];
    state[7] = hi[3];
    state[8] = 0x01;
    state[16] = 0x80 << 56;
    keccak::f1600(&mut state);
    squeeze(&state)
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
    use sha3::Digest;

    #[test]
    fn node_hash_is_sorted_pair() {
        let a = keccak256(b"a");
        let b = keccak256(b"b");
        assert_eq!(node_hash(&a, &b), node_hash(&b, &a));
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let mut cat = lo.0.to_vec();
        cat.extend_from_slice(&hi.0);
        assert_eq!(node_hash(&a, &b), keccak256(&cat));
        // The hand-absorbed block against the hasher, over many pairs, equal ones included.
        let mut x = keccak256(b"x");
        for i in 0..256u32 {
            let y = keccak256(&i.to_be_bytes());
            for (p, q) in [(x, y), (y, x), (y, y)] {
                let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
                let cat = [lo.0, hi.0].concat();
                assert_eq!(node_hash(&p, &q), keccak256(&cat));
                let want: [u8; 32] = sha3::Keccak256::digest(&cat).into();
                assert_eq!(node_hash(&p, &q), Hash(want));
            }
            x = node_hash(&x, &y);
        }
        // Pairs that first differ at each byte (each word boundary included), either way round.
        for at in 0..32 {
            for (u, v) in [(0x00u8, 0xffu8), (0x7f, 0x80), (0x01, 0x10)] {
                let (mut p, mut q) = (x, x);
                p.0[at] = u;
                q.0[at] = v;
                for (s, t) in [(p, q), (q, p)] {
                    let cat = [p.0, q.0].concat();
                    assert_eq!(node_hash(&s, &t), keccak256(&cat), "{at}");
                }
            }
        }
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
