//! Tiles: how a log's node hashes are stored compactly (after C2SP tlog-tiles).
//!
//! A tile at tile-level `L`, index `N` holds the hashes of the tree nodes at
//! level `8·L` with indices `256·N .. 256·N+256`. Full tiles never change, so
//! storage keeps each as one immutable 8 KiB blob; the partial tile of every
//! tile-level (the log's right edge) is kept in the [`Frontier`], which is all
//! an append needs. Any perfect node at level `8·L + r` is the root of `2^r`
//! consecutive entries of one tile, so a proof reads one tile per 8 levels.

use super::{perfect_root, range_nodes, NodeId};
use crate::hash::Hash;
use alloc::vec::Vec;
use core::fmt;

/// Tree levels covered by one tile.
pub const TILE_HEIGHT: u8 = 8;
/// Entries in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A tile's coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    /// Tile-level: the tile holds tree level `8 · level`.
    pub level: u8,
    /// Position among the tiles of that level.
    pub index: u64,
}

/// Where a node's hash comes from: entries `start..end` of `tile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileSlice {
    /// The tile.
    pub tile: TileId,
    /// First entry (within the tile).
    pub start: usize,
    /// One past the last entry; `end - start` is a power of two.
    pub end: usize,
}

impl TileSlice {
    /// The slice that yields `node`.
    pub fn of(node: NodeId) -> TileSlice {
        let tile_level = node.level / TILE_HEIGHT;
        let r = node.level % TILE_HEIGHT;
        let first = node.index << r; // entry index at level 8·L
        let tile = TileId {
            level: tile_level,
            index: first >> TILE_HEIGHT,
        };
        let start = (first & (TILE_WIDTH - 1)) as usize;
        TileSlice {
            tile,
            start,
            end: start + (1usize << r),
        }
    }

    /// The node's hash from the tile's entries, if they reach far enough.
    pub fn hash(&self, entries: &[Hash]) -> Option<Hash> {
        entries.get(self.start..self.end).map(perfect_root)
    }
}

/// Number of entries tile `tile` has in a log of `size` leaves (0..=256).
pub fn tile_width(tile: TileId, size: u64) -> u64 {
    let shift = u32::from(tile.level) * u32::from(TILE_HEIGHT);
    let entries = size.checked_shr(shift).unwrap_or(0);
    entries
        .saturating_sub(tile.index.saturating_mul(TILE_WIDTH))
        .min(TILE_WIDTH)
}

/// A malformed frontier blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontierError;

impl fmt::Display for FrontierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("frontier bytes do not match the tree size")
    }
}

impl core::error::Error for FrontierError {}

/// The right edge of a log: the partial tile of each tile-level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    partial: Vec<Vec<Hash>>,
}

/// A tile that an append filled; storage writes it once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullTile {
    /// Its coordinates.
    pub id: TileId,
    /// Its 256 entries.
    pub entries: Vec<Hash>,
}

impl FullTile {
    /// Entries as one blob of 32-byte hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        hashes_to_bytes(&self.entries)
    }
}

/// Concatenated 32-byte hashes.
pub fn hashes_to_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Splits a blob into 32-byte hashes; `None` if its length is not a multiple of 32.
pub fn hashes_from_bytes(bytes: &[u8]) -> Option<Vec<Hash>> {
    if bytes.len() % 32 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                Hash(h)
            })
            .collect(),
    )
}

impl Frontier {
    /// The empty log.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Restores a frontier from its size and [`to_bytes`](Frontier::to_bytes).
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Frontier, FrontierError> {
        let all = hashes_from_bytes(bytes).ok_or(FrontierError)?;
        let mut partial = Vec::new();
        let mut at = 0usize;
        let mut level = 0u8;
        while size.checked_shr(u32::from(level) * 8).unwrap_or(0) > 0 {
            let width = (size >> (u32::from(level) * 8) & (TILE_WIDTH - 1)) as usize;
            let part = all.get(at..at + width).ok_or(FrontierError)?;
            partial.push(part.to_vec());
            at += width;
            level += 1;
        }
        if at != all.len() {
            return Err(FrontierError);
        }
        Ok(Frontier { size, partial })
    }

    /// The partial tiles, lowest level first, as one blob; widths follow from the size.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.partial
            .iter()
            .flat_map(|p| hashes_to_bytes(p))
            .collect()
    }

    /// Appends a leaf; returns any tiles that became full.
    pub fn append(&mut self, leaf: Hash) -> Vec<FullTile> {
        let mut filled = Vec::new();
        self.size += 1;
        let mut carry = leaf;
        let mut level = 0usize;
        loop {
            if self.partial.len() == level {
                self.partial.push(Vec::new());
            }
            self.partial[level].push(carry);
            if self.partial[level].len() as u64 != TILE_WIDTH {
                break;
            }
            let entries = core::mem::take(&mut self.partial[level]);
            let count = self.size >> (level as u32 * 8);
            carry = perfect_root(&entries);
            filled.push(FullTile {
                id: TileId {
                    level: level as u8,
                    index: (count >> TILE_HEIGHT) - 1,
                },
                entries,
            });
            level += 1;
        }
        filled
    }

    /// A node's hash when it lies in a partial tile.
    pub fn node(&self, node: NodeId) -> Option<Hash> {
        let slice = TileSlice::of(node);
        let partial = self.partial.get(usize::from(slice.tile.level))?;
        let shift = u32::from(slice.tile.level) * 8;
        let partial_index = self.size.checked_shr(shift)? >> TILE_HEIGHT;
        if slice.tile.index != partial_index {
            return None;
        }
        slice.hash(partial)
    }

    /// The root at the current size.
    pub fn root(&self) -> Hash {
        let nodes: Option<Vec<Hash>> = range_nodes(0, self.size)
            .into_iter()
            .map(|n| self.node(n))
            .collect();
        // Every node of the current root lies in a partial tile by construction.
        nodes.map(|n| super::fold_right(&n)).unwrap_or(Hash::ZERO)
    }

    /// Full tiles (not in this frontier) that `nodes` need, for a log of this size.
    pub fn tiles_needed(&self, nodes: &[NodeId]) -> Vec<TileId> {
        let mut tiles: Vec<TileId> = nodes
            .iter()
            .filter(|n| self.node(**n).is_none())
            .map(|n| TileSlice::of(*n).tile)
            .collect();
        tiles.sort();
        tiles.dedup();
        tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;
    use crate::merkle::{consistency_plan, inclusion_plan, MemoryTree};
    use alloc::collections::BTreeMap;

    fn leaf(i: u64) -> Hash {
        keccak256(&i.to_be_bytes())
    }

    #[test]
    fn frontier_tracks_the_root_and_serves_proofs_with_tiles() {
        let mut f = Frontier::new();
        let mut mem = MemoryTree::default();
        let mut store: BTreeMap<TileId, Vec<Hash>> = BTreeMap::new();
        for i in 0..70_000u64 {
            for t in f.append(leaf(i)) {
                assert_eq!(t.entries.len() as u64, TILE_WIDTH);
                assert!(
                    store.insert(t.id, t.entries).is_none(),
                    "tile written twice"
                );
            }
            mem.push(leaf(i));
            let n = i + 1;
            if n < 600 || n % 9_973 == 0 || n == 65_536 || n == 65_537 {
                assert_eq!(f.root(), mem.root().root, "size {n}");
                let restored = Frontier::from_bytes(n, &f.to_bytes()).unwrap();
                assert_eq!(restored, f);
            }
        }
        assert_eq!(store.len(), 273 + 1); // 273 level-0 tiles, 1 level-1 tile
        let lookup = |n: NodeId| {
            f.node(n).or_else(|| {
                let s = TileSlice::of(n);
                store.get(&s.tile).and_then(|e| s.hash(e))
            })
        };
        for (index, size) in [
            (0u64, 70_000u64),
            (65_535, 70_000),
            (69_999, 70_000),
            (300, 513),
            (12_345, 65_536),
        ] {
            let plan = inclusion_plan(index, size).unwrap();
            assert!(f.tiles_needed(&plan.nodes()).len() <= 3);
            let proof = plan.assemble(lookup).unwrap();
            assert_eq!(proof, mem.inclusion_proof(index, size).unwrap());
        }
        for (old, new) in [
            (1u64, 70_000u64),
            (65_536, 70_000),
            (300, 69_999),
            (256, 512),
        ] {
            let proof = consistency_plan(old, new)
                .unwrap()
                .assemble(lookup)
                .unwrap();
            assert_eq!(proof, mem.consistency_proof(old, new).unwrap());
        }
    }

    #[test]
    fn malformed_frontiers_are_refused() {
        assert!(Frontier::from_bytes(1, &[]).is_err());
        assert!(Frontier::from_bytes(0, &[0; 32]).is_err());
        assert!(Frontier::from_bytes(2, &[0; 33]).is_err());
        assert!(Frontier::from_bytes(u64::MAX, &[]).is_err());
    }

    #[test]
    fn tile_widths() {
        let t = |level, index| TileId { level, index };
        assert_eq!(tile_width(t(0, 0), 300), 256);
        assert_eq!(tile_width(t(0, 1), 300), 44);
        assert_eq!(tile_width(t(0, 2), 300), 0);
        assert_eq!(tile_width(t(1, 0), 300), 1);
        assert_eq!(tile_width(t(9, 0), 300), 0);
    }
}
