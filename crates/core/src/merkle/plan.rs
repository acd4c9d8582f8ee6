//! Proof index math: which perfect subtrees a proof is made of.

use super::{fold_right, split, NodeId};
use crate::hash::Hash;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

/// Why no proof can exist for the requested positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// Inclusion: `index ≥ size`.
    IndexOutOfRange,
    /// Consistency: `old > new`.
    SizesOutOfOrder,
    /// `assemble` was not given a node the plan needs.
    MissingNode(NodeId),
}

impl PlanError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::IndexOutOfRange => "INDEX_OUT_OF_RANGE",
            PlanError::SizesOutOfOrder => "SIZES_OUT_OF_ORDER",
            PlanError::MissingNode(_) => "MISSING_NODE",
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::IndexOutOfRange => f.write_str("leaf index is not below the tree size"),
            PlanError::SizesOutOfOrder => f.write_str("old tree size is above the new one"),
            PlanError::MissingNode(n) => {
                write!(
                    f,
                    "node at level {} index {} was not supplied",
                    n.level, n.index
                )
            }
        }
    }
}

impl core::error::Error for PlanError {}

/// The perfect subtrees whose RFC 9162 composition is `MTH(D[start:end])`,
/// left to right. Valid for every range RFC 9162 proofs use (their start is
/// aligned to the range's size rounded up to a power of two).
pub fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        // Largest aligned power of two that fits.
        let align = if at == 0 { 63 } else { at.trailing_zeros() };
        let fit = 63 - (end - at).leading_zeros();
        let level = align.min(fit);
        out.push(NodeId {
            level: level as u8,
            index: at >> level,
        });
        at += 1u64 << level;
    }
    out
}

/// A proof as a list of elements, each the composition of perfect subtrees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofPlan {
    elements: Vec<Vec<NodeId>>,
}

impl ProofPlan {
    /// A plan whose proof is each of `nodes`' hashes in turn: how a server reads a compact
    /// range's frontier (`range_nodes(0, start)`) with the same storage lookups as a proof.
    pub fn of_nodes(nodes: Vec<NodeId>) -> ProofPlan {
        ProofPlan {
            elements: nodes.into_iter().map(|n| alloc::vec![n]).collect(),
        }
    }

    /// Number of hashes in the finished proof.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// True for an empty proof.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Every distinct node the proof needs, sorted.
    pub fn nodes(&self) -> Vec<NodeId> {
        let set: BTreeSet<NodeId> = self.elements.iter().flatten().copied().collect();
        set.into_iter().collect()
    }

    /// Builds the proof from node hashes supplied by `lookup`.
    pub fn assemble(
        &self,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, PlanError> {
        let mut proof = Vec::with_capacity(self.elements.len());
        let mut buf = Vec::new();
        for element in &self.elements {
            buf.clear();
            for &node in element {
                buf.push(lookup(node).ok_or(PlanError::MissingNode(node))?);
            }
            proof.push(fold_right(&buf));
        }
        Ok(proof)
    }
}

/// Nodes of an RFC 9162 inclusion proof (`PATH(index, D[0:size])`), leaf to root.
pub fn inclusion_plan(index: u64, size: u64) -> Result<ProofPlan, PlanError> {
    if index >= size {
        return Err(PlanError::IndexOutOfRange);
    }
    let mut elements = Vec::new();
    // Walk root to leaf, then reverse: PATH lists the deepest sibling first.
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let k = split(end - start);
        if index < start + k {
            elements.push(range_nodes(start + k, end));
            end = start + k;
        } else {
            elements.push(range_nodes(start, start + k));
            start += k;
        }
    }
    elements.reverse();
    Ok(ProofPlan { elements })
}

/// Nodes of an RFC 9162 consistency proof (`PROOF(old, D[0:new])`).
/// Empty when `old == new` or `old == 0`.
pub fn consistency_plan(old: u64, new: u64) -> Result<ProofPlan, PlanError> {
    if old > new {
        return Err(PlanError::SizesOutOfOrder);
    }
    let mut elements = Vec::new();
    if old == 0 || old == new {
        return Ok(ProofPlan { elements });
    }
    // SUBPROOF(m, D[start:end], b), iteratively; elements are collected
    // root to leaf and reversed at the end, as in the recursive definition.
    let (mut m, mut start, mut end, mut whole) = (old, 0u64, new, true);
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                elements.push(range_nodes(start, end));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            elements.push(range_nodes(start + k, end));
            end = start + k;
        } else {
            elements.push(range_nodes(start, start + k));
            start += k;
            m -= k;
            whole = false;
        }
    }
    elements.reverse();
    Ok(ProofPlan { elements })
}

/// Nodes whose composition is the root at `size` (one element; empty for 0).
pub fn root_plan(size: u64) -> ProofPlan {
    let elements = if size == 0 {
        Vec::new()
    } else {
        alloc::vec![range_nodes(0, size)]
    };
    ProofPlan { elements }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_decomposition() {
        let n = |level, index| NodeId { level, index };
        assert_eq!(range_nodes(0, 1), [n(0, 0)]);
        assert_eq!(range_nodes(0, 7), [n(2, 0), n(1, 2), n(0, 6)]);
        assert_eq!(range_nodes(4, 7), [n(1, 2), n(0, 6)]);
        assert_eq!(range_nodes(8, 16), [n(3, 1)]);
        assert!(range_nodes(5, 5).is_empty());
    }

    #[test]
    fn plan_lengths_are_logarithmic() {
        let size = 1u64 << 40;
        assert_eq!(inclusion_plan(12345, size).unwrap().len(), 40);
        assert_eq!(inclusion_plan(0, 1).unwrap().len(), 0);
        assert!(inclusion_plan(5, 5).is_err());
        assert!(consistency_plan(6, 5).is_err());
        assert!(consistency_plan(5, 5).unwrap().is_empty());
        assert!(consistency_plan(0, 5).unwrap().is_empty());
        // RFC 9162 §2.1.5 example tree of 7 leaves: proof(3, 7) is [c, d, g, l].
        assert_eq!(consistency_plan(3, 7).unwrap().len(), 4);
        assert_eq!(consistency_plan(4, 7).unwrap().len(), 1);
        assert_eq!(consistency_plan(6, 7).unwrap().len(), 3);
    }
}
