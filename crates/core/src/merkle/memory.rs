//! An in-memory tree for small sets (a submission's items, tests, vectors).
//! Proofs are computed straight from RFC 9162's recursive definitions,
//! independently of the index math in `plan`, so each checks the other.

use super::{node_hash, split, NodeId, RootHash};
use crate::hash::Hash;
use alloc::vec::Vec;

/// All leaves in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    leaves: Vec<Hash>,
}

impl MemoryTree {
    /// A tree over these leaves.
    pub fn new(leaves: Vec<Hash>) -> MemoryTree {
        MemoryTree { leaves }
    }

    /// Appends a leaf.
    pub fn push(&mut self, leaf: Hash) {
        self.leaves.push(leaf);
    }

    /// The leaves.
    pub fn leaves(&self) -> &[Hash] {
        &self.leaves
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The current tree head.
    pub fn root(&self) -> RootHash {
        self.root_at(self.len())
    }

    /// The head at an earlier size (`size ≤ len`).
    pub fn root_at(&self, size: u64) -> RootHash {
        let size = size.min(self.len());
        RootHash::new(mth(&self.leaves[..size as usize]), size)
    }

    /// Hash of a perfect subtree, if it lies inside the tree.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        let width = 1u64.checked_shl(u32::from(id.level))?;
        let start = id.index.checked_mul(width)?;
        let end = start.checked_add(width)?;
        if end > self.len() {
            return None;
        }
        Some(mth(&self.leaves[start as usize..end as usize]))
    }

    /// `PATH(index, D[0:size])` (RFC 9162 §2.1.3.1), `None` if out of range.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut out = Vec::new();
        path(index as usize, &self.leaves[..size as usize], &mut out);
        Some(out)
    }

    /// `PROOF(old, D[0:new])` (RFC 9162 §2.1.4.1), `None` if out of range.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.len() {
            return None;
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            subproof(old as usize, &self.leaves[..new as usize], true, &mut out);
        }
        Some(out)
    }
}

fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => Hash::ZERO,
        1 => d[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n as u64) as usize;
    if m < k {
        path(m, &d[..k], out);
        out.push(mth(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(mth(&d[..k]));
    }
}

fn subproof(m: usize, d: &[Hash], whole: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !whole {
            out.push(mth(d));
        }
        return;
    }
    let k = split(n as u64) as usize;
    if m <= k {
        subproof(m, &d[..k], whole, out);
        out.push(mth(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(mth(&d[..k]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;
    use crate::merkle::{
        consistency_plan, inclusion_plan, root_plan, ConsistencyError, InclusionError,
    };

    fn tree(n: u64) -> MemoryTree {
        MemoryTree::new((0..n).map(|i| keccak256(&i.to_be_bytes())).collect())
    }

    #[test]
    fn every_inclusion_proof_verifies_and_matches_the_plan() {
        let t = tree(70);
        for size in 1..=70u64 {
            let head = t.root_at(size);
            let planned = root_plan(size).assemble(|id| t.node(id)).unwrap();
            assert_eq!(planned, [head.root]);
            for i in 0..size {
                let proof = t.inclusion_proof(i, size).unwrap();
                let from_plan = inclusion_plan(i, size)
                    .unwrap()
                    .assemble(|id| t.node(id))
                    .unwrap();
                assert_eq!(proof, from_plan, "i={i} size={size}");
                head.verify_inclusion(&t.leaves()[i as usize], i, &proof)
                    .unwrap();
                // Wrong index with the same length, or another leaf: rejected.
                if size > 1 {
                    let other = (i + 1) % size;
                    assert!(head
                        .verify_inclusion(&t.leaves()[other as usize], i, &proof)
                        .is_err());
                }
                let mut short = proof.clone();
                if short.pop().is_some() {
                    assert!(matches!(
                        head.verify_inclusion(&t.leaves()[i as usize], i, &short),
                        Err(InclusionError::WrongProofLength { .. })
                    ));
                }
            }
            assert_eq!(
                head.verify_inclusion(&Hash::ZERO, size, &[]),
                Err(InclusionError::IndexOutOfRange)
            );
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_matches_the_plan() {
        let t = tree(40);
        for new in 0..=40u64 {
            for old in 0..=new {
                let proof = t.consistency_proof(old, new).unwrap();
                let from_plan = consistency_plan(old, new)
                    .unwrap()
                    .assemble(|id| t.node(id))
                    .unwrap();
                assert_eq!(proof, from_plan, "{old}->{new}");
                t.root_at(new)
                    .verify_consistency(&t.root_at(old), &proof)
                    .unwrap();
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    bad[0].0[0] ^= 1;
                    assert!(t
                        .root_at(new)
                        .verify_consistency(&t.root_at(old), &bad)
                        .is_err());
                    let mut long = proof.clone();
                    long.push(Hash::ZERO);
                    assert!(matches!(
                        t.root_at(new).verify_consistency(&t.root_at(old), &long),
                        Err(ConsistencyError::WrongProofLength { .. })
                    ));
                }
            }
        }
    }

    #[test]
    fn hostile_sizes_do_not_panic() {
        let head = RootHash::new(Hash::ZERO, u64::MAX);
        let _ = head.verify_inclusion(&Hash::ZERO, u64::MAX - 1, &[Hash::ZERO; 64]);
        let _ = head.verify_consistency(&RootHash::new(Hash::ZERO, u64::MAX - 1), &[Hash::ZERO; 3]);
        let _ = head.verify_consistency(&RootHash::new(Hash::ZERO, 1), &[]);
        let _ = RootHash::new(Hash::ZERO, 0).verify_inclusion(&Hash::ZERO, 0, &[]);
    }
}
