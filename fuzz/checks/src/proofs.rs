//! Inclusion and consistency proofs, two ways. Raw inputs (first byte even) are any head, leaf
//! and proof: the verdict must be exactly what RFC 9162 and sorted-pair keccak nodes give,
//! recomputed here independently. Structured inputs (first byte odd) start from a real tree
//! and its honest proof, which must verify, then apply mutations: under an honest head (the
//! tree's own root at the claimed size) only an honest proof may verify.

use sha3::{Digest, Keccak256};
use vericord_core::merkle::{consistency_plan, inclusion_plan};
use vericord_core::{ConsistencyError, Hash, InclusionError, MemoryTree, RootHash};

use super::input::{size, Reader};
use super::vectors;

/// Most hashes a raw proof carries (one more than any tree of 2^64 leaves needs).
const MAX_PROOF: usize = 66;
/// Largest structured tree.
const MAX_LEAVES: u64 = 260;

/// keccak256(min ‖ max): the sorted-pair node, written out.
fn node(a: &Hash, b: &Hash) -> Hash {
    let (lo, hi) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    let mut k = Keccak256::new();
    k.update(lo.0);
    k.update(hi.0);
    Hash(k.finalize().into())
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// |PATH(m, D[n])|, RFC 9162 §2.1.3.1, by its recursive definition.
fn path_len(m: u64, n: u64) -> usize {
    if n <= 1 {
        return 0;
    }
    let k = split(n);
    1 + if m < k {
        path_len(m, k)
    } else {
        path_len(m - k, n - k)
    }
}

/// |SUBPROOF(m, D[n], whole)|, RFC 9162 §2.1.4.1.
fn subproof_len(m: u64, n: u64, whole: bool) -> usize {
    if m == n {
        return usize::from(!whole);
    }
    let k = split(n);
    1 + if m <= k {
        subproof_len(m, k, whole)
    } else {
        subproof_len(m - k, n - k, false)
    }
}

/// A leaf of the structured trees (the vectors' leaves).
fn leaf(i: u64) -> Hash {
    let mut k = Keccak256::new();
    k.update(b"vericord:vector-leaf:v1\x00");
    k.update(i.to_string().as_bytes());
    Hash(k.finalize().into())
}

fn tree(n: u64) -> MemoryTree {
    MemoryTree::new((0..n).map(leaf).collect())
}

/// The edits both proof targets make to a proof.
#[derive(Clone, Copy)]
enum Edit {
    /// Flip one bit of one hash.
    Flip,
    /// Keep a prefix (`b` even) or drop one.
    Cut,
    /// Insert a leaf or a root of the tree.
    Insert,
    /// Swap two neighbours.
    Swap,
}

/// Applies `edit` to `proof` (`t` of `n` leaves supplies inserted hashes; `a`, `b` pick where).
fn edit_proof(edit: Edit, proof: &mut Vec<Hash>, t: &MemoryTree, n: u64, a: u16, b: u8) {
    let pick = |len: usize| usize::from(a) % len.max(1);
    match edit {
        Edit::Flip if !proof.is_empty() => {
            let i = pick(proof.len());
            proof[i].0[usize::from(b) % 32] ^= 1 << (b % 8);
        }
        Edit::Cut => {
            let keep = pick(proof.len() + 1);
            if b % 2 == 0 {
                proof.truncate(keep);
            } else {
                proof.drain(..keep);
            }
        }
        Edit::Insert => {
            let h = if b % 2 == 0 {
                leaf(u64::from(a))
            } else {
                t.root_at(u64::from(a) % (n + 1)).root
            };
            let at = pick(proof.len() + 1);
            proof.insert(at, h);
        }
        Edit::Swap if proof.len() >= 2 => {
            let i = pick(proof.len() - 1);
            proof.swap(i, i + 1);
        }
        Edit::Flip | Edit::Swap => {}
    }
}

/// What an inclusion check is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionCase {
    /// The head.
    pub head: RootHash,
    /// The leaf.
    pub leaf: Hash,
    /// Its claimed index.
    pub index: u64,
    /// Its proof.
    pub proof: Vec<Hash>,
}

/// What RFC 9162 with sorted-pair nodes says of an inclusion case, independently of the core.
fn inclusion_spec(c: &InclusionCase) -> Result<(), InclusionError> {
    if c.index >= c.head.size {
        return Err(InclusionError::IndexOutOfRange);
    }
    let expected = path_len(c.index, c.head.size);
    if c.proof.len() != expected {
        return Err(InclusionError::WrongProofLength {
            expected,
            got: c.proof.len(),
        });
    }
    let root = c.proof.iter().fold(c.leaf, |acc, p| node(&acc, p));
    if root == c.head.root {
        Ok(())
    } else {
        Err(InclusionError::RootMismatch)
    }
}

/// The inclusion case an input describes, and the tree it was made from (structured inputs).
pub fn inclusion_case(data: &[u8]) -> (InclusionCase, Option<MemoryTree>) {
    let mut r = Reader::new(data);
    if r.u8() & 1 == 0 {
        let head = RootHash::new(Hash(r.bytes32()), size(&mut r));
        let index = size(&mut r);
        let leaf = Hash(r.bytes32());
        let proof = r.rest().chunks(32).take(MAX_PROOF).map(hash_of).collect();
        return (
            InclusionCase {
                head,
                leaf,
                index,
                proof,
            },
            None,
        );
    }
    let n = 1 + u64::from(r.u16()) % MAX_LEAVES;
    let t = tree(n);
    let index = u64::from(r.u16()) % n;
    let mut c = InclusionCase {
        head: t.root(),
        leaf: t.leaves()[index as usize],
        index,
        proof: t.inclusion_proof(index, n).expect("in range"),
    };
    while !r.is_empty() {
        let (op, a, b) = (r.u8(), r.u16(), r.u8());
        let pick = |len: usize| usize::from(a) % len.max(1);
        match op % 10 {
            0 => edit_proof(Edit::Flip, &mut c.proof, &t, n, a, b),
            1 => c.leaf.0[usize::from(b) % 32] ^= 1 << (b % 8),
            2 => {
                c.index = c
                    .index
                    .wrapping_add(u64::from(a))
                    .wrapping_sub(u64::from(b))
            }
            // Another size, with its honest root or keeping the old one.
            3 => {
                let s = u64::from(a) % (n + 2);
                c.head = if b % 2 == 0 {
                    t.root_at(s)
                } else {
                    RootHash::new(c.head.root, s)
                };
            }
            4 => edit_proof(Edit::Cut, &mut c.proof, &t, n, a, b),
            5 => edit_proof(Edit::Insert, &mut c.proof, &t, n, a, b),
            6 => edit_proof(Edit::Swap, &mut c.proof, &t, n, a, b),
            // Another leaf, with its own honest proof or keeping this one.
            7 => {
                let j = u64::from(a) % n;
                c.leaf = t.leaves()[j as usize];
                if b % 2 == 0 {
                    c.index = j;
                    c.proof = t
                        .inclusion_proof(j, c.head.size.min(n).max(j + 1))
                        .unwrap_or_default();
                }
            }
            // An interior node of the path as the leaf, with the rest of the path.
            8 if !c.proof.is_empty() => {
                let j = pick(c.proof.len()) + 1;
                let j = j.min(c.proof.len());
                c.leaf = c.proof[..j].iter().fold(c.leaf, |acc, p| node(&acc, p));
                c.proof.drain(..j);
            }
            9 => c.proof.reverse(),
            _ => {}
        }
    }
    (c, Some(t))
}

fn hash_of(chunk: &[u8]) -> Hash {
    let mut h = [0u8; 32];
    h[..chunk.len()].copy_from_slice(chunk);
    Hash(h)
}

/// The inclusion target.
pub fn check_inclusion(data: &[u8]) {
    let structured = data.first().is_some_and(|b| b % 2 == 1);
    let (c, t) = inclusion_case(data);
    let got = c.head.verify_inclusion(&c.leaf, c.index, &c.proof);
    assert_eq!(got, inclusion_spec(&c), "verdict on {c:?}");
    match inclusion_plan(c.index, c.head.size) {
        Ok(plan) => assert_eq!(plan.len(), path_len(c.index, c.head.size)),
        Err(_) => assert!(c.index >= c.head.size),
    }
    let Some(t) = t else { return };
    if !structured {
        return;
    }
    // The honest proof of every leaf verifies (checked for the claimed one only, per input).
    let n = t.len();
    if c.index < n {
        let honest = t.inclusion_proof(c.index, n).expect("in range");
        let leaf = t.leaves()[c.index as usize];
        assert_eq!(t.root().verify_inclusion(&leaf, c.index, &honest), Ok(()));
    }
    // Soundness under an honest head: the leaf is a leaf of the tree and the proof its path.
    let honest_head = c.head.size <= n && c.head == t.root_at(c.head.size);
    if honest_head && got.is_ok() {
        let s = c.head.size;
        let found = (0..s).any(|j| {
            t.leaves()[j as usize] == c.leaf && t.inclusion_proof(j, s).as_ref() == Some(&c.proof)
        });
        assert!(found, "forged inclusion under an honest head: {c:?}");
    }
}

/// What a consistency check is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyCase {
    /// The old head.
    pub old: RootHash,
    /// The new head.
    pub new: RootHash,
    /// The proof.
    pub proof: Vec<Hash>,
}

/// The consistency case an input describes, and its tree (structured inputs).
pub fn consistency_case(data: &[u8]) -> (ConsistencyCase, Option<MemoryTree>) {
    let mut r = Reader::new(data);
    if r.u8() & 1 == 0 {
        let old = RootHash::new(Hash(r.bytes32()), size(&mut r));
        let new = RootHash::new(Hash(r.bytes32()), size(&mut r));
        let proof = r
            .rest()
            .chunks(32)
            .take(2 * MAX_PROOF)
            .map(hash_of)
            .collect();
        return (ConsistencyCase { old, new, proof }, None);
    }
    let n = 1 + u64::from(r.u16()) % MAX_LEAVES;
    let t = tree(n);
    let m = u64::from(r.u16()) % (n + 1);
    let mut c = ConsistencyCase {
        old: t.root_at(m),
        new: t.root(),
        proof: t.consistency_proof(m, n).expect("in range"),
    };
    while !r.is_empty() {
        let (op, a, b) = (r.u8(), r.u16(), r.u8());
        match op % 9 {
            0 => edit_proof(Edit::Flip, &mut c.proof, &t, n, a, b),
            1 => {
                let s = u64::from(a) % (n + 2);
                c.old = if b % 2 == 0 {
                    t.root_at(s)
                } else {
                    RootHash::new(c.old.root, s)
                };
            }
            2 => {
                let s = u64::from(a) % (n + 2);
                c.new = if b % 2 == 0 {
                    t.root_at(s)
                } else {
                    RootHash::new(c.new.root, s)
                };
            }
            3 => edit_proof(Edit::Cut, &mut c.proof, &t, n, a, b),
            4 => edit_proof(Edit::Insert, &mut c.proof, &t, n, a, b),
            5 => edit_proof(Edit::Swap, &mut c.proof, &t, n, a, b),
            // The honest proof between two other sizes.
            6 => {
                let (x, y) = (u64::from(a) % (n + 1), u64::from(b) % (n + 1));
                c.proof = t.consistency_proof(x.min(y), x.max(y)).unwrap_or_default();
            }
            7 => std::mem::swap(&mut c.old, &mut c.new),
            8 => c.old.root.0[usize::from(b) % 32] ^= 1 << (b % 8),
            _ => {}
        }
    }
    (c, Some(t))
}

/// The consistency target.
pub fn check_consistency(data: &[u8]) {
    let (c, t) = consistency_case(data);
    let got = c.new.verify_consistency(&c.old, &c.proof);
    let (m, n) = (c.old.size, c.new.size);
    // What the sizes alone decide.
    let expected_len = if m > n {
        None
    } else if m == 0 || m == n {
        Some(0)
    } else {
        Some(subproof_len(m, n, true))
    };
    match expected_len {
        None => assert_eq!(got, Err(ConsistencyError::SizesOutOfOrder)),
        Some(len) if c.proof.len() != len => assert_eq!(
            got,
            Err(ConsistencyError::WrongProofLength {
                expected: len,
                got: c.proof.len()
            }),
            "{c:?}"
        ),
        Some(_) if m == 0 => assert_eq!(got.is_ok(), c.old.root == Hash::ZERO, "{c:?}"),
        Some(_) if m == n => assert_eq!(got.is_ok(), c.old.root == c.new.root, "{c:?}"),
        Some(_) => {}
    }
    match consistency_plan(m, n) {
        Ok(plan) => assert_eq!(Some(plan.len()), expected_len, "{m} {n}"),
        Err(_) => assert!(m > n),
    }
    let Some(t) = t else { return };
    // Under honest heads, exactly the honest proof verifies.
    let size = t.len();
    let honest = |h: &RootHash| h.size <= size && *h == t.root_at(h.size);
    if honest(&c.old) && honest(&c.new) && m <= n {
        let want = t.consistency_proof(m, n).expect("in range");
        assert_eq!(
            got.is_ok(),
            c.proof == want,
            "honest heads {m} → {n}: {c:?} (got {got:?})"
        );
    }
}

/// Raw input bytes of an inclusion case.
pub fn encode_inclusion(c: &InclusionCase) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&c.head.root.0);
    out.push(0);
    out.extend_from_slice(&c.head.size.to_be_bytes());
    out.push(0);
    out.extend_from_slice(&c.index.to_be_bytes());
    out.extend_from_slice(&c.leaf.0);
    for p in &c.proof {
        out.extend_from_slice(&p.0);
    }
    out
}

fn hashes(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array()
        .map(|a| a.iter().filter_map(|h| h.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

fn hash_field(v: &serde_json::Value, key: &str) -> Hash {
    v.get(key)
        .and_then(|h| h.as_str()?.parse().ok())
        .unwrap_or(Hash::ZERO)
}

fn num(v: &serde_json::Value, key: &str) -> u64 {
    v.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// `trees.json` (a sample of the valid proofs, every invalid one) as raw inputs, and a few
/// structured ones.
pub fn inclusion_seeds() -> Vec<Vec<u8>> {
    let v = vectors::trees();
    let mut out = Vec::new();
    for t in vectors::list(v, "trees").iter().step_by(7) {
        let leaves = hashes(&t["leaves"]);
        let head = RootHash::new(hash_field(t, "root"), num(t, "size"));
        for p in vectors::list(t, "inclusion").iter().step_by(5) {
            let index = num(p, "index");
            let leaf = leaves.get(index as usize).copied().unwrap_or(Hash::ZERO);
            out.push(encode_inclusion(&InclusionCase {
                head,
                leaf,
                index,
                proof: hashes(&p["proof"]),
            }));
        }
    }
    for c in vectors::list(v, "invalid") {
        let head = RootHash::new(hash_field(c, "root"), num(c, "size"));
        let case = InclusionCase {
            head,
            leaf: hash_field(c, "leaf"),
            index: num(c, "index"),
            proof: hashes(&c["proof"]),
        };
        out.push(encode_inclusion(&case));
    }
    for (n, i) in [
        (1u16, 0u16),
        (2, 1),
        (7, 3),
        (64, 17),
        (200, 199),
        (259, 128),
    ] {
        let mut s = vec![1];
        s.extend_from_slice(&(n - 1).to_be_bytes());
        s.extend_from_slice(&i.to_be_bytes());
        out.push(s);
    }
    out
}

/// `consistency.json` (a sample) as raw inputs, and a few structured ones.
pub fn consistency_seeds() -> Vec<Vec<u8>> {
    let v = vectors::consistency();
    let mut out = Vec::new();
    let raw = |c: &serde_json::Value| {
        let mut s = vec![0u8];
        s.extend_from_slice(&hash_field(c, "oldRoot").0);
        s.push(0);
        s.extend_from_slice(&num(c, "old").to_be_bytes());
        s.extend_from_slice(&hash_field(c, "newRoot").0);
        s.push(0);
        s.extend_from_slice(&num(c, "new").to_be_bytes());
        for p in hashes(&c["proof"]) {
            s.extend_from_slice(&p.0);
        }
        s
    };
    for c in vectors::list(v, "proofs").iter().step_by(11) {
        out.push(raw(c));
    }
    for c in vectors::list(v, "invalid") {
        out.push(raw(c));
    }
    for (n, m) in [
        (1u16, 0u16),
        (2, 1),
        (7, 3),
        (64, 32),
        (200, 13),
        (259, 258),
    ] {
        let mut s = vec![1];
        s.extend_from_slice(&(n - 1).to_be_bytes());
        s.extend_from_slice(&m.to_be_bytes());
        out.push(s);
    }
    out
}
