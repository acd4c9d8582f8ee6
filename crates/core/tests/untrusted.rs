//! Property tests: every entry point that takes untrusted input (proofs, sizes,
//! indices, checkpoint notes, amounts, JSON, stored frontiers) returns an error
//! instead of panicking, whatever it is given, and tampering is always caught.

use proptest::prelude::*;
use vericord_core::merkle::tiles::Frontier;
use vericord_core::merkle::{consistency_plan, inclusion_plan, root_plan};
use vericord_core::{
    jcs, keccak256, Amount, Checkpoint, CheckpointSigner, Hash, MemoryTree, RootHash,
};

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

/// Sizes and indices near the edges as often as anywhere else.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..70,
        any::<u64>(),
        (0u32..64).prop_map(|k| 1u64 << k),
        Just(u64::MAX),
        Just(u64::MAX - 1)
    ]
}

fn tree(n: u64) -> MemoryTree {
    MemoryTree::new((0..n).map(|i| keccak256(&i.to_be_bytes())).collect())
}

proptest! {
    #[test]
    fn inclusion_never_panics(root in hash(), size in size(), index in size(), leaf in hash(),
                              proof in prop::collection::vec(hash(), 0..70)) {
        let _ = RootHash::new(root, size).verify_inclusion(&leaf, index, &proof);
        let _ = inclusion_plan(index, size);
    }

    #[test]
    fn consistency_never_panics(old_root in hash(), new_root in hash(), old in size(), new in size(),
                                proof in prop::collection::vec(hash(), 0..130)) {
        let _ = RootHash::new(new_root, new).verify_consistency(&RootHash::new(old_root, old), &proof);
        let _ = consistency_plan(old, new);
        let _ = root_plan(new);
    }

    #[test]
    fn a_changed_inclusion_proof_never_verifies(n in 2u64..200, pick in any::<u64>(), at in any::<usize>(), flip in 0usize..256) {
        let t = tree(n);
        let index = pick % n;
        let leaf = t.leaves()[index as usize];
        let mut proof = t.inclusion_proof(index, n).unwrap();
        prop_assert!(t.root().verify_inclusion(&leaf, index, &proof).is_ok());
        let i = at % proof.len();
        proof[i].0[flip / 8] ^= 1 << (flip % 8);
        prop_assert!(t.root().verify_inclusion(&leaf, index, &proof).is_err());
    }

    #[test]
    fn a_changed_consistency_proof_never_verifies(n in 3u64..200, pick in any::<u64>(), at in any::<usize>(), flip in 0usize..256) {
        let t = tree(n);
        let old = 1 + pick % (n - 1);
        let mut proof = t.consistency_proof(old, n).unwrap();
        prop_assert!(t.root().verify_consistency(&t.root_at(old), &proof).is_ok());
        prop_assume!(!proof.is_empty());
        let i = at % proof.len();
        proof[i].0[flip / 8] ^= 1 << (flip % 8);
        prop_assert!(t.root().verify_consistency(&t.root_at(old), &proof).is_err());
    }

    #[test]
    fn checkpoint_text_never_panics(text in ".{0,400}") {
        let _ = Checkpoint::verify(&text, &["vericord.test+d6e0a3b0+AQ=="]);
        let _ = Checkpoint::parse_body(&text);
    }

    #[test]
    fn a_changed_checkpoint_note_never_verifies(at in any::<usize>(), byte in any::<u8>()) {
        let signer = CheckpointSigner::from_seed("vericord.test", &[7; 32]).unwrap();
        let vkey = signer.verifier_key();
        let cp = Checkpoint {
            origin: "vericord.test/sandbox/0x04043E2564Fc9C1218927d7bD87ebf8684cA61F7".into(),
            size: 3,
            root: keccak256(b"root"),
            period: "2026-11".into(),
            opening: Amount::parse("0").unwrap(),
            closing: Amount::parse("-12.5").unwrap(),
            count: 3,
        };
        let note = cp.sign(&signer).unwrap();
        prop_assert_eq!(Checkpoint::verify(&note, &[&vkey]).unwrap(), cp);
        let mut bytes = note.clone().into_bytes();
        let i = at % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(Checkpoint::verify(&changed, &[&vkey]).is_err());
        }
    }

    #[test]
    fn amounts_never_panic_and_round_trip(text in "[-+0-9.eE]{0,40}", units in any::<i64>(), frac in 0u32..1_000_000_000) {
        let _ = Amount::parse(&text);
        let _ = Amount::parse_delta(&text);
        // Any value with ≤ 9 fractional digits reads back as its canonical text.
        let exact = format!("{units}.{frac:09}");
        let a = Amount::parse(&exact).unwrap();
        prop_assert_eq!(Amount::parse(&a.to_string()).unwrap(), a);
        prop_assert!(!a.to_string().ends_with('0') || !a.to_string().contains('.'));
    }

    #[test]
    fn json_never_panics(text in "[\\[\\]{}\",:0-9a-z.eE+\\\\ -]{0,200}") {
        if let Ok(v) = jcs::parse_strict(&text) {
            let _ = jcs::canonicalize(&v);
        }
    }

    #[test]
    fn stored_frontiers_never_panic(size in size(), bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Frontier::from_bytes(size, &bytes);
    }
}
