//! Serving proofs from storage: the core names the nodes a proof needs, this
//! fetches the full tiles holding them (the partial ones are in the log head)
//! in one query, and assembles. O(log n) rows: at most three tiles per proof
//! in a log of a million entries, plus the head.

use std::collections::BTreeMap;

use vericord_core::merkle::tiles::{hashes_from_bytes, Frontier, TileId, TileSlice};
use vericord_core::merkle::{NodeId, ProofPlan};
use vericord_core::Hash;

use crate::api::ApiError;
use crate::store::{LogRow, Store};

pub struct TreeReader {
    frontier: Frontier,
    tiles: BTreeMap<TileId, Vec<Hash>>,
}

impl TreeReader {
    /// Loads every tile the given plans need.
    pub async fn load(
        store: &Store,
        log: &LogRow,
        plans: &[&ProofPlan],
    ) -> Result<TreeReader, ApiError> {
        let frontier = Frontier::from_bytes(log.size, &log.frontier)
            .map_err(|e| ApiError::internal("stored frontier", e))?;
        let nodes: Vec<NodeId> = plans.iter().flat_map(|p| p.nodes()).collect();
        let needed = frontier.tiles_needed(&nodes);
        let mut tiles = BTreeMap::new();
        for (id, bytes) in store.tiles(&log.id, &needed).await? {
            let hashes = hashes_from_bytes(&bytes)
                .ok_or_else(|| ApiError::internal("stored tile", "length"))?;
            tiles.insert(id, hashes);
        }
        Ok(TreeReader { frontier, tiles })
    }

    fn node(&self, id: NodeId) -> Option<Hash> {
        self.frontier.node(id).or_else(|| {
            let slice = TileSlice::of(id);
            self.tiles.get(&slice.tile).and_then(|t| slice.hash(t))
        })
    }

    /// The proof a plan describes.
    pub fn assemble(&self, plan: &ProofPlan) -> Result<Vec<Hash>, ApiError> {
        plan.assemble(|id| self.node(id))
            .map_err(|e| ApiError::internal("assemble proof", e))
    }

    /// The root at `size` (its plan must have been loaded).
    pub fn root(&self, size: u64) -> Result<Hash, ApiError> {
        let plan = vericord_core::merkle::root_plan(size);
        Ok(self.assemble(&plan)?.first().copied().unwrap_or(Hash::ZERO))
    }
}

/// Hex strings of a proof.
pub fn hex(proof: &[Hash]) -> Vec<String> {
    proof.iter().map(Hash::to_hex).collect()
}

/// The RFC 9162 consistency proof between two sizes of a log (`from ≤ to ≤ log.size`), as hex.
pub async fn consistency(
    store: &Store,
    log: &LogRow,
    from: u64,
    to: u64,
) -> Result<Vec<String>, ApiError> {
    let plan = vericord_core::merkle::consistency_plan(from, to)
        .map_err(|e| ApiError::internal("plan", e))?;
    let tree = TreeReader::load(store, log, &[&plan]).await?;
    Ok(hex(&tree.assemble(&plan)?))
}
