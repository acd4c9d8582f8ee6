//! Compact ranges from the start of a log: the tree head at `size` as the roots of the perfect
//! subtrees that make up entries `0 .. size` (after transparency-dev/merkle's `compact.Range`).
//!
//! The hashes are [`range_nodes(0, size)`](super::range_nodes) left to right, so there are
//! `popcount(size)` of them, each a larger subtree than the next. Appending a leaf merges the
//! trailing subtrees it completes, so folding `n` leaves costs `n` node hashes and never more
//! than 64 stored hashes.

use super::{fold_right, node_hash};
use crate::hash::Hash;
use alloc::vec::Vec;
use core::fmt;

/// Why a compact range was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompactRangeError {
    /// The hash list is not `popcount(size)` long.
    WrongLength {
        /// `popcount(size)`.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// Appending would pass `u64::MAX` leaves.
    Full,
}

impl CompactRangeError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CompactRangeError::WrongLength { .. } => "RANGE_LENGTH",
            CompactRangeError::Full => "RANGE_FULL",
        }
    }
}

impl fmt::Display for CompactRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactRangeError::WrongLength { expected, got } => {
                write!(f, "has {got} hashes; this size needs {expected}")
            }
            CompactRangeError::Full => f.write_str("the range cannot grow past 2^64 leaves"),
        }
    }
}

impl core::error::Error for CompactRangeError {}

/// The right edge of the tree over entries `0 .. size`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The empty range.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// A range from its size and hashes, refused before any hashing unless there are exactly
    /// `popcount(size)` of them.
    pub fn from_hashes(size: u64, hashes: Vec<Hash>) -> Result<CompactRange, CompactRangeError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(CompactRangeError::WrongLength {
                expected,
                got: hashes.len(),
            });
        }
        let mut hashes = hashes;
        // At most 64 subtrees ever: reserve once so appends never reallocate.
        hashes.reserve(64usize.saturating_sub(hashes.len()));
        Ok(CompactRange { size, hashes })
    }

    /// Number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends one leaf, merging every subtree it completes.
    pub fn append(&mut self, leaf: Hash) -> Result<(), CompactRangeError> {
        let size = self.size.checked_add(1).ok_or(CompactRangeError::Full)?;
        // The new size's trailing zeros are the subtrees the leaf completes.
        let mut carry = leaf;
        for _ in 0..size.trailing_zeros() {
            match self.hashes.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                // Unreachable when the length invariant holds; refuse rather than guess.
                None => return Err(CompactRangeError::Full),
            }
        }
        self.hashes.push(carry);
        self.size = size;
        Ok(())
    }

    /// The tree head at [`size`](CompactRange::size): the subtrees folded right to left
    /// (32 zero bytes when empty).
    pub fn root(&self) -> Hash {
        fold_right(&self.hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;
    use crate::merkle::{range_nodes, MemoryTree};

    fn leaf(i: u64) -> Hash {
        keccak256(&i.to_be_bytes())
    }

    #[test]
    fn every_start_and_end_up_to_70_matches_the_tree() {
        let tree = MemoryTree::new((0..70).map(leaf).collect());
        for start in 0..=70u64 {
            let hashes = range_nodes(0, start)
                .into_iter()
                .map(|n| tree.node(n).unwrap())
                .collect();
            let mut range = CompactRange::from_hashes(start, hashes).unwrap();
            assert_eq!(range.root(), tree.root_at(start).root, "start {start}");
            for end in start..70 {
                range.append(leaf(end)).unwrap();
                assert_eq!(range.root(), tree.root_at(end + 1).root, "{start}..{end}");
                assert_eq!(range.hashes().len(), (end + 1).count_ones() as usize);
            }
        }
    }

    #[test]
    fn lengths_are_checked_before_hashing() {
        assert_eq!(
            CompactRange::from_hashes(6, alloc::vec![Hash::ZERO]),
            Err(CompactRangeError::WrongLength {
                expected: 2,
                got: 1
            })
        );
        assert!(CompactRange::from_hashes(0, alloc::vec![]).is_ok());
        assert_eq!(CompactRange::new().root(), Hash::ZERO);
        let mut full = CompactRange::from_hashes(u64::MAX, alloc::vec![Hash::ZERO; 64]).unwrap();
        assert_eq!(full.append(Hash::ZERO), Err(CompactRangeError::Full));
    }
}
