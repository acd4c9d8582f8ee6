//! `trees.json`: every tree of 1..=64 vector leaves with every inclusion
//! proof, and tampered proofs with the error the core reports.

use crate::util::{envelope, flip, hexes};
use serde_json::{json, Value};
use vericord_core::hash::tagged_hash;
use vericord_core::merkle::NodeId;
use vericord_core::{Hash, MemoryTree, RootHash};

pub const MAX_SIZE: u64 = 64;
/// Sizes whose proofs get tampered: edges around powers of two.
const TAMPER_SIZES: &[u64] = &[1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 32, 33, 63, 64];

/// `keccak256("vericord:vector-leaf:v1" ‖ 0x00 ‖ decimal(i))`.
pub fn leaf(i: u64) -> Hash {
    tagged_hash("vericord:vector-leaf:v1", i.to_string().as_bytes())
}

pub fn tree(size: u64) -> MemoryTree {
    MemoryTree::new((0..size).map(leaf).collect())
}

struct Case {
    size: u64,
    root: Hash,
    index: u64,
    leaf: Hash,
    proof: Vec<Hash>,
}

impl Case {
    /// The row, after checking the core rejects the case with `want`.
    fn row(self, want: &str) -> Value {
        let got = RootHash::new(self.root, self.size).verify_inclusion(
            &self.leaf,
            self.index,
            &self.proof,
        );
        let code = got.err().map(|e| e.code());
        assert_eq!(code, Some(want), "size {} index {}", self.size, self.index);
        json!({
            "size": self.size,
            "root": self.root.to_hex(),
            "index": self.index,
            "leaf": self.leaf.to_hex(),
            "proof": hexes(&self.proof),
            "error": want,
        })
    }
}

fn tampered(t: &MemoryTree, size: u64, index: u64, out: &mut Vec<Value>) {
    let root = t.root_at(size).root;
    let proof = t.inclusion_proof(index, size).expect("in range");
    let leaf = t.leaves()[index as usize];
    let case = |root: Hash, index: u64, leaf: Hash, proof: Vec<Hash>| Case {
        size,
        root,
        index,
        leaf,
        proof,
    };
    // Detectable from (root, leaf, proof) alone, position aside.
    let mut positions = vec![0, proof.len() / 2, proof.len().saturating_sub(1)];
    positions.dedup();
    for k in positions.into_iter().filter(|&k| k < proof.len()) {
        let mut bad = proof.clone();
        bad[k] = flip(&bad[k], 3 * k + 1);
        out.push(case(root, index, leaf, bad).row("ROOT_MISMATCH"));
    }
    let other = if size > 1 {
        t.leaves()[((index + 1) % size) as usize]
    } else {
        self::leaf(size)
    };
    out.push(case(root, index, other, proof.clone()).row("ROOT_MISMATCH"));
    out.push(case(root, index, flip(&leaf, 31), proof.clone()).row("ROOT_MISMATCH"));
    out.push(case(flip(&root, 0), index, leaf, proof.clone()).row("ROOT_MISMATCH"));
    if proof.len() >= 2 {
        let mut reversed = proof.clone();
        reversed.reverse();
        out.push(case(root, index, leaf, reversed).row("ROOT_MISMATCH"));
    }
    if let Some((_, shorter)) = proof.split_last() {
        out.push(case(root, index, leaf, shorter.to_vec()).row("PROOF_LENGTH"));
    }
    let mut longer = proof.clone();
    longer.push(root);
    out.push(case(root, index, leaf, longer).row("PROOF_LENGTH"));
    // The same leaf one level up: a valid path to an interior node. Only the
    // length check (the leaf's committed position) catches it.
    if index == 0 && size >= 2 {
        let node = t.node(NodeId { level: 1, index: 0 }).expect("inside");
        out.push(case(root, 0, node, proof[1..].to_vec()).row("PROOF_LENGTH"));
    }
    // A valid (leaf, proof) at an index whose path has another length.
    if let Some(j) =
        (0..size).find(|&j| t.inclusion_proof(j, size).map(|p| p.len()) != Some(proof.len()))
    {
        out.push(case(root, j, leaf, proof.clone()).row("PROOF_LENGTH"));
    }
    out.push(case(root, size, leaf, proof.clone()).row("INDEX_OUT_OF_RANGE"));
    out.push(case(root, (1 << 53) - 1, leaf, proof.clone()).row("INDEX_OUT_OF_RANGE"));
}

pub fn build() -> Value {
    let t = tree(MAX_SIZE);
    let mut trees = Vec::new();
    for size in 1..=MAX_SIZE {
        let head = t.root_at(size);
        let inclusion: Vec<Value> = (0..size)
            .map(|i| {
                let proof = t.inclusion_proof(i, size).expect("in range");
                head.verify_inclusion(&t.leaves()[i as usize], i, &proof)
                    .expect("valid proof");
                json!({"index": i, "proof": hexes(&proof)})
            })
            .collect();
        trees.push(json!({
            "size": size,
            "leaves": hexes(&t.leaves()[..size as usize]),
            "root": head.root.to_hex(),
            "inclusion": inclusion,
        }));
    }
    let mut invalid = Vec::new();
    for &size in TAMPER_SIZES {
        let mut indices = vec![0, size / 2, size - 1];
        indices.dedup();
        for index in indices {
            tampered(&t, size, index, &mut invalid);
        }
    }
    // A proof that fits another tree of the same path length.
    let (p5, r6) = (
        t.inclusion_proof(0, 5).expect("in range"),
        t.root_at(6).root,
    );
    invalid.push(
        Case {
            size: 6,
            root: r6,
            index: 0,
            leaf: leaf(0),
            proof: p5,
        }
        .row("ROOT_MISMATCH"),
    );
    invalid.push(
        Case {
            size: 0,
            root: Hash::ZERO,
            index: 0,
            leaf: leaf(0),
            proof: vec![],
        }
        .row("INDEX_OUT_OF_RANGE"),
    );
    envelope(
        "RFC 9162 trees with sorted-pair nodes keccak256(min(a,b) || max(a,b)); leaves[i] = \
         keccak256(\"vericord:vector-leaf:v1\" || 0x00 || decimal(i)). Every inclusion proof \
         of every size 1..=64 lists siblings from the leaf up. invalid: tampered proofs; a \
         verifier must check index < size and the proof length for (index, size) before \
         folding.",
        vec![
            ("trees", Value::from(trees)),
            ("invalid", Value::from(invalid)),
        ],
    )
}
