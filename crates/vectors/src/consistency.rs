//! `consistency.json`: every consistency proof among the first 32 vector
//! leaves, and tampered proofs with the error the core reports.

use crate::trees::{leaf, tree};
use crate::util::{envelope, flip, hexes};
use serde_json::{json, Value};
use vericord_core::{Hash, MemoryTree, RootHash};

const MAX_SIZE: u64 = 32;
/// (old, new) pairs to tamper with: powers of two and not, adjacent and far.
const TAMPER_PAIRS: &[(u64, u64)] = &[
    (1, 2),
    (1, 8),
    (2, 3),
    (3, 7),
    (4, 8),
    (5, 13),
    (6, 32),
    (7, 8),
    (8, 9),
    (15, 16),
    (16, 32),
    (17, 31),
    (31, 32),
];

fn row(old: RootHash, new: RootHash, proof: &[Hash], want: &[&str]) -> Value {
    let code = new.verify_consistency(&old, proof).err().map(|e| e.code());
    let code = code.unwrap_or_else(|| panic!("{} -> {} must be rejected", old.size, new.size));
    assert!(
        want.contains(&code),
        "{} -> {}: got {code}, want {want:?}",
        old.size,
        new.size
    );
    json!({
        "old": old.size,
        "new": new.size,
        "oldRoot": old.root.to_hex(),
        "newRoot": new.root.to_hex(),
        "proof": hexes(proof),
        "error": code,
    })
}

const MISMATCH: &[&str] = &["OLD_ROOT_MISMATCH", "ROOT_MISMATCH"];

fn tampered(t: &MemoryTree, forked: &MemoryTree, m: u64, n: u64, out: &mut Vec<Value>) {
    let (old, new) = (t.root_at(m), t.root_at(n));
    let proof = t.consistency_proof(m, n).expect("in range");
    for k in 0..proof.len() {
        let mut bad = proof.clone();
        bad[k] = flip(&bad[k], k + 5);
        out.push(row(old, new, &bad, MISMATCH));
    }
    // A flipped old root is caught either way round, depending on whether
    // the proof carries the old root's subtree (m not a power of two).
    out.push(row(
        RootHash::new(flip(&old.root, 9), m),
        new,
        &proof,
        MISMATCH,
    ));
    out.push(row(
        old,
        RootHash::new(flip(&new.root, 9), n),
        &proof,
        &["ROOT_MISMATCH"],
    ));
    // History rewritten: leaf 0 replaced, everything after it unchanged.
    out.push(row(forked.root_at(m), new, &proof, MISMATCH));
    if proof.len() >= 2 {
        let mut reversed = proof.clone();
        reversed.reverse();
        out.push(row(old, new, &reversed, MISMATCH));
    }
    out.push(row(old, new, &proof[..proof.len() - 1], &["PROOF_LENGTH"]));
    let mut longer = proof.clone();
    longer.push(new.root);
    out.push(row(old, new, &longer, &["PROOF_LENGTH"]));
    out.push(row(new, old, &proof, &["SIZES_OUT_OF_ORDER"]));
}

pub fn build() -> Value {
    let t = tree(MAX_SIZE);
    let mut proofs = Vec::new();
    for old in 0..=MAX_SIZE {
        for new in old..=MAX_SIZE {
            let proof = t.consistency_proof(old, new).expect("in range");
            let (o, n) = (t.root_at(old), t.root_at(new));
            n.verify_consistency(&o, &proof).expect("valid proof");
            proofs.push(json!({
                "old": old,
                "new": new,
                "oldRoot": o.root.to_hex(),
                "newRoot": n.root.to_hex(),
                "proof": hexes(&proof),
            }));
        }
    }
    let mut forked = t.clone();
    let mut leaves = forked.leaves().to_vec();
    leaves[0] = leaf(1_000_000);
    forked = MemoryTree::new(leaves);
    let mut invalid = Vec::new();
    for &(m, n) in TAMPER_PAIRS {
        tampered(&t, &forked, m, n, &mut invalid);
    }
    // Trivial sizes: nothing to prove, but roots and emptiness still checked.
    let (r0, r5, r8) = (t.root_at(0), t.root_at(5), t.root_at(8));
    let p58 = t.consistency_proof(5, 8).expect("in range");
    invalid.push(row(
        RootHash::new(leaf(0), 0),
        r5,
        &[],
        &["OLD_ROOT_MISMATCH"],
    ));
    invalid.push(row(r0, r5, &p58[..1], &["PROOF_LENGTH"]));
    invalid.push(row(RootHash::new(r8.root, 5), r5, &[], &["ROOT_MISMATCH"]));
    invalid.push(row(r5, r5, &p58[..1], &["PROOF_LENGTH"]));
    invalid.push(row(r5, r0, &[], &["SIZES_OUT_OF_ORDER"]));
    // A proof of the same length for other sizes.
    let p37 = t.consistency_proof(3, 7).expect("in range");
    assert_eq!(
        p37.len(),
        t.consistency_proof(3, 6).expect("in range").len()
    );
    invalid.push(row(t.root_at(3), t.root_at(6), &p37, MISMATCH));
    envelope(
        "RFC 9162 consistency proofs PROOF(old, D[0:new]) over the first 32 vector leaves of \
         trees.json, sorted-pair nodes; the empty tree's root is 32 zero bytes. invalid: \
         tampered proofs and roots, a rewritten history (leaf 0 replaced), wrong lengths, \
         old > new.",
        vec![
            ("proofs", Value::from(proofs)),
            ("invalid", Value::from(invalid)),
        ],
    )
}
