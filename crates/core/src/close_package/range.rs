//! Inclusion proofs from a package's compact range: the frontier stands for entries
//! `0 .. start`, the records' entryHashes for `start .. size`, and any RFC 9162 path of a
//! record's entry is composed of those (§12), for OpenZeppelin or an EVM `MerkleProof`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;

use super::model::{self, Package};
use super::FORMAT;
use crate::checkpoint::Checkpoint;
use crate::hash::Hash;
use crate::merkle::{inclusion_plan, node_hash, perfect_root, range_nodes, CompactRange, NodeId};

/// Why no inclusion proof could be derived from a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// The package does not parse, or a hash or the checkpoint's note is unreadable; says what.
    Malformed(String),
    /// `seq` is not one of the package's records.
    SeqOutOfRange {
        /// The requested entry.
        seq: u64,
        /// The period's first entry.
        start: u64,
        /// One past its last.
        end: u64,
    },
    /// The frontier and the records do not fold to the checkpoint's root and size.
    RangeMismatch,
}

impl CloseError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CloseError::Malformed(_) => "CLOSE_PACKAGE_MALFORMED",
            CloseError::SeqOutOfRange { .. } => "SEQ_OUT_OF_RANGE",
            CloseError::RangeMismatch => "CLOSE_PACKAGE_RANGE_MISMATCH",
        }
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::Malformed(why) => write!(f, "close package: {why}"),
            CloseError::SeqOutOfRange { seq, start, end } => {
                write!(
                    f,
                    "entry {seq} is not a record of the package (entries {start}..{end})"
                )
            }
            CloseError::RangeMismatch => {
                f.write_str("the frontier and the records do not fold to the checkpoint's root")
            }
        }
    }
}

impl core::error::Error for CloseError {}

/// An RFC 9162 inclusion proof of one record's entry under the package's checkpoint: verifies
/// with [`RootHash::verify_inclusion`](crate::RootHash::verify_inclusion)`(leaf, index, proof)`
/// and with OpenZeppelin's `SimpleMerkleTree.verify(root, leaf, proof)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InclusionProof {
    /// The checkpoint's root.
    pub root: Hash,
    /// The checkpoint's size.
    pub size: u64,
    /// The record's entryHash.
    pub leaf: Hash,
    /// Its seq.
    pub index: u64,
    /// Sibling hashes, leaf to root.
    pub proof: Vec<Hash>,
}

/// Derives the inclusion proof of entry `seq` (a record of the package) from the package's
/// compact range. This does **not** verify the package — call
/// [`verify_close_package`](super::verify_close_package) first; it only checks what the
/// derivation needs: that the frontier and the records fold to the checkpoint note's root and
/// size, so the proof it returns verifies under them.
pub fn close_package_inclusion_proof(
    package_json: &str,
    seq: u64,
) -> Result<InclusionProof, CloseError> {
    let bad = CloseError::Malformed;
    let pkg: Package<'_> = model::parse(package_json, FORMAT).map_err(bad)?;
    let cp = unverified_checkpoint(&pkg.checkpoint.note)?;
    let start = pkg.range.start;
    let leaves: Vec<Hash> = pkg
        .records
        .0
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.entry_hash
                .parse()
                .map_err(|_| bad(format!("records[{i}].entryHash is not a hash")))
        })
        .collect::<Result<_, _>>()?;
    let frontier: Vec<Hash> =
        super::steps::hashes("frontier", &pkg.range.frontier.0).map_err(bad)?;
    let mut range = CompactRange::from_hashes(start, frontier.clone())
        .map_err(|e| bad(format!("frontier {e}")))?;
    for leaf in &leaves {
        range.append(*leaf).map_err(|_| CloseError::RangeMismatch)?;
    }
    if range.size() != cp.size || !range.root().ct_eq(&cp.root) {
        return Err(CloseError::RangeMismatch);
    }
    let offset = seq
        .checked_sub(start)
        .and_then(|o| usize::try_from(o).ok())
        .filter(|&o| o < leaves.len())
        .ok_or(CloseError::SeqOutOfRange {
            seq,
            start,
            end: cp.size,
        })?;
    let leaf = *leaves.get(offset).ok_or(CloseError::RangeMismatch)?;
    let known = Known {
        start,
        frontier: range_nodes(0, start).into_iter().zip(frontier).collect(),
        leaves: &leaves,
    };
    let plan = inclusion_plan(seq, cp.size).map_err(|_| CloseError::RangeMismatch)?;
    let proof = plan
        .assemble(|id| known.node(id))
        .map_err(|_| CloseError::RangeMismatch)?;
    Ok(InclusionProof {
        root: cp.root,
        size: cp.size,
        leaf,
        index: seq,
        proof,
    })
}

/// The checkpoint's body, signature unchecked (the caller verified the package).
fn unverified_checkpoint(note: &str) -> Result<Checkpoint, CloseError> {
    let text = crate::note::text(note).ok_or_else(|| {
        CloseError::Malformed(String::from("checkpoint.note is not a signed note"))
    })?;
    Checkpoint::parse_body(text).map_err(|e| CloseError::Malformed(format!("checkpoint.note: {e}")))
}

/// The nodes a package knows: the frontier's subtrees, and any node over the records (or
/// composed of both). Nodes inside a frontier subtree are unknown, and no path of a record
/// needs them.
struct Known<'l> {
    start: u64,
    frontier: Vec<(NodeId, Hash)>,
    leaves: &'l [Hash],
}

impl Known<'_> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        let width = 1u64.checked_shl(u32::from(id.level))?;
        let first = id.index.checked_mul(width)?;
        let end = first.checked_add(width)?;
        if first >= self.start {
            let from = usize::try_from(first.checked_sub(self.start)?).ok()?;
            let to = usize::try_from(end.checked_sub(self.start)?).ok()?;
            return self.leaves.get(from..to).map(perfect_root);
        }
        if let Some((_, h)) = self.frontier.iter().find(|(n, _)| *n == id) {
            return Some(*h);
        }
        if end <= self.start || id.level == 0 {
            return None;
        }
        // Straddles the start: compose from its two halves.
        let level = id.level.checked_sub(1)?;
        let left = id.index.checked_mul(2)?;
        let l = self.node(NodeId { level, index: left })?;
        let r = self.node(NodeId {
            level,
            index: left.checked_add(1)?,
        })?;
        Some(node_hash(&l, &r))
    }
}
