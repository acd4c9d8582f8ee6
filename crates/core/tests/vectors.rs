//! The known-answer vectors in `tests/vectors/*.json` against the core:
//! every positive case recomputed and verified, every negative case rejected
//! with exactly its error code. Minimum counts guard against a file that
//! silently lost its cases.

use serde_json::Value;
use std::collections::BTreeSet;
use vericord_core::hash::tagged_hash;
use vericord_core::jcs::{canonicalize, canonicalize_text};
use vericord_core::record::item_hash_canonical;
use vericord_core::{
    customer_reference, item_hash, Amount, AmountError, Checkpoint, CheckpointSigner, Entry,
    Environment, Hash, MemoryTree, RootHash,
};

fn load(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(v["version"], 1, "{name}: version");
    assert!(!str_of(&v, "description").is_empty(), "{name}: description");
    v
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} must be an array"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} must be a string in {v}"))
}

fn num(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} must be a non-negative integer in {v}"))
}

fn hash(v: &Value, key: &str) -> Hash {
    let s = str_of(v, key);
    assert!(
        s.len() == 66 && s == s.to_lowercase(),
        "{key}: 0x + 64 lowercase hex, got {s}"
    );
    s.parse().unwrap_or_else(|_| panic!("{key}: bad hash {s}"))
}

fn hashes(v: &Value, key: &str) -> Vec<Hash> {
    list(v, key)
        .iter()
        .map(|h| h.as_str().and_then(|s| s.parse().ok()).expect("hash"))
        .collect()
}

fn codes(cases: &[Value]) -> BTreeSet<&str> {
    cases.iter().map(|c| str_of(c, "error")).collect()
}

type Parse = fn(&str) -> Result<Amount, AmountError>;

fn check_amounts(valid: &[Value], invalid: &[Value], parse: Parse, with_nanos: bool) {
    for case in valid {
        let input = str_of(case, "input");
        let amount = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(amount.to_string(), str_of(case, "canonical"), "{input:?}");
        if with_nanos {
            assert_eq!(
                amount.nanos().to_string(),
                str_of(case, "nanos"),
                "{input:?}"
            );
        }
        // Canonical text is a fixed point.
        assert_eq!(parse(str_of(case, "canonical")), Ok(amount), "{input:?}");
    }
    for case in invalid {
        let input = str_of(case, "input");
        let got = parse(input).err().map(|e| e.code());
        assert_eq!(got, Some(str_of(case, "error")), "{input:?}");
    }
}

#[test]
fn amounts() {
    let v = load("amounts.json");
    let (valid, invalid) = (list(&v, "valid"), list(&v, "invalid"));
    let deltas = &v["deltas"];
    let (dvalid, dinvalid) = (list(deltas, "valid"), list(deltas, "invalid"));
    assert!(valid.len() >= 30 && invalid.len() >= 40 && dvalid.len() >= 10 && dinvalid.len() >= 10);
    let all = [
        "AMOUNT_INVALID",
        "AMOUNT_TOO_PRECISE",
        "AMOUNT_OUT_OF_RANGE",
    ];
    assert!(all.iter().all(|c| codes(invalid).contains(c)));
    assert!(codes(dinvalid).contains("AMOUNT_ZERO"));
    check_amounts(valid, invalid, Amount::parse, true);
    check_amounts(dvalid, dinvalid, Amount::parse_delta, false);
}

#[test]
fn jcs() {
    let v = load("jcs.json");
    let (valid, invalid) = (list(&v, "valid"), list(&v, "invalid"));
    assert!(valid.len() >= 40 && invalid.len() >= 20);
    for case in valid {
        let (input, want) = (str_of(case, "input"), str_of(case, "canonical"));
        assert_eq!(canonicalize_text(input).as_deref(), Ok(want), "{input:?}");
        assert_eq!(
            canonicalize_text(want).as_deref(),
            Ok(want),
            "idempotent: {want:?}"
        );
    }
    for case in invalid {
        let input = str_of(case, "input");
        let got = canonicalize_text(input).err().map(|e| e.code());
        assert_eq!(got, Some(str_of(case, "error")), "{input:?}");
    }
}

#[test]
fn items_and_entries() {
    let v = load("items.json");
    let (items, entries) = (list(&v, "items"), list(&v, "entries"));
    assert!(items.len() >= 10 && entries.len() >= 6);
    let kinds: BTreeSet<&str> = items.iter().map(|c| str_of(&c["item"], "type")).collect();
    assert_eq!(kinds, BTreeSet::from(["delta", "write"]));
    for case in items {
        let canonical = str_of(case, "canonical");
        assert_eq!(canonicalize(&case["item"]).as_deref(), Ok(canonical));
        assert_eq!(item_hash(&case["item"]), Ok(hash(case, "itemHash")));
        assert_eq!(item_hash_canonical(canonical), hash(case, "itemHash"));
        if case["item"]["type"] == "delta" {
            let delta = str_of(&case["item"], "delta");
            assert_eq!(
                Amount::parse_delta(delta).map(|a| a.to_string()).as_deref(),
                Ok(delta)
            );
        }
    }
    for case in entries {
        let balance = str_of(case, "balanceAfter");
        let e = Entry {
            seq: num(case, "seq"),
            item_hash: hash(case, "itemHash"),
            balance_after: Amount::parse(balance).expect("balance"),
        };
        assert_eq!(
            e.balance_after.to_string(),
            balance,
            "balances are canonical"
        );
        assert_eq!(e.canonical().unwrap(), str_of(case, "canonical"));
        assert_eq!(
            canonicalize_text(&e.canonical().unwrap()).as_deref(),
            Ok(str_of(case, "canonical"))
        );
        assert_eq!(e.entry_hash().unwrap(), hash(case, "entryHash"));
    }
}

#[test]
fn references() {
    let v = load("references.json");
    let cases = list(&v, "references");
    assert!(cases.len() >= 20);
    let envs: BTreeSet<&str> = cases.iter().map(|c| str_of(c, "environment")).collect();
    assert_eq!(envs, BTreeSet::from(["production", "sandbox"]));
    for case in cases {
        let env = Environment::parse(str_of(case, "environment")).expect("environment");
        let got = customer_reference(str_of(case, "tenantId"), env, str_of(case, "customerId"));
        assert_eq!(got, str_of(case, "customerReference"), "{case}");
    }
}

fn vector_leaf(i: u64) -> Hash {
    tagged_hash("vericord:vector-leaf:v1", i.to_string().as_bytes())
}

#[test]
fn trees_and_inclusion_proofs() {
    let v = load("trees.json");
    let trees = list(&v, "trees");
    assert_eq!(trees.len(), 64);
    let all = MemoryTree::new((0..64).map(vector_leaf).collect());
    for (tree, size) in trees.iter().zip(1u64..) {
        assert_eq!(num(tree, "size"), size);
        assert_eq!(hashes(tree, "leaves"), &all.leaves()[..size as usize]);
        let head = RootHash::new(hash(tree, "root"), size);
        assert_eq!(all.root_at(size), head);
        let inclusion = list(tree, "inclusion");
        assert_eq!(inclusion.len() as u64, size);
        for (case, index) in inclusion.iter().zip(0u64..) {
            assert_eq!(num(case, "index"), index);
            let proof = hashes(case, "proof");
            assert_eq!(
                all.inclusion_proof(index, size).as_ref(),
                Some(&proof),
                "{index}/{size}"
            );
            assert_eq!(
                head.verify_inclusion(&all.leaves()[index as usize], index, &proof),
                Ok(())
            );
        }
    }
}

#[test]
fn tampered_inclusion_proofs() {
    let v = load("trees.json");
    let invalid = list(&v, "invalid");
    assert!(invalid.len() >= 100);
    assert_eq!(
        codes(invalid),
        BTreeSet::from(["INDEX_OUT_OF_RANGE", "PROOF_LENGTH", "ROOT_MISMATCH"])
    );
    for case in invalid {
        let head = RootHash::new(hash(case, "root"), num(case, "size"));
        let got = head.verify_inclusion(
            &hash(case, "leaf"),
            num(case, "index"),
            &hashes(case, "proof"),
        );
        assert_eq!(
            got.err().map(|e| e.code()),
            Some(str_of(case, "error")),
            "{case}"
        );
    }
}

#[test]
fn consistency_proofs() {
    let v = load("consistency.json");
    let all = MemoryTree::new((0..32).map(vector_leaf).collect());
    let mut seen = BTreeSet::new();
    for case in list(&v, "proofs") {
        let (old, new) = (num(case, "old"), num(case, "new"));
        assert!(seen.insert((old, new)), "duplicate {old}->{new}");
        let (o, n) = (
            RootHash::new(hash(case, "oldRoot"), old),
            RootHash::new(hash(case, "newRoot"), new),
        );
        assert_eq!((all.root_at(old), all.root_at(new)), (o, n));
        let proof = hashes(case, "proof");
        assert_eq!(
            all.consistency_proof(old, new).as_ref(),
            Some(&proof),
            "{old}->{new}"
        );
        assert_eq!(n.verify_consistency(&o, &proof), Ok(()), "{old}->{new}");
    }
    let want: BTreeSet<_> = (0..=32u64)
        .flat_map(|n| (0..=n).map(move |o| (o, n)))
        .collect();
    assert_eq!(seen, want, "every 0 <= old <= new <= 32");

    let invalid = list(&v, "invalid");
    assert!(invalid.len() >= 50);
    let expected = [
        "OLD_ROOT_MISMATCH",
        "PROOF_LENGTH",
        "ROOT_MISMATCH",
        "SIZES_OUT_OF_ORDER",
    ];
    assert_eq!(codes(invalid), BTreeSet::from(expected));
    for case in invalid {
        let o = RootHash::new(hash(case, "oldRoot"), num(case, "old"));
        let n = RootHash::new(hash(case, "newRoot"), num(case, "new"));
        let got = n.verify_consistency(&o, &hashes(case, "proof"));
        assert_eq!(
            got.err().map(|e| e.code()),
            Some(str_of(case, "error")),
            "{case}"
        );
    }
}

fn trusted(case: &Value) -> Vec<&str> {
    list(case, "trusted")
        .iter()
        .map(|k| k.as_str().expect("key"))
        .collect()
}

fn signature_lines(note: &str) -> BTreeSet<&str> {
    note.lines()
        .filter(|l| l.starts_with("\u{2014} "))
        .collect()
}

/// A vector file's checkpoint object; its amounts must be canonical text.
fn checkpoint_of(c: &Value) -> Checkpoint {
    let amount = |key| {
        let text = str_of(c, key);
        let a = Amount::parse(text).expect(key);
        assert_eq!(a.to_string(), text, "{key} is canonical");
        a
    };
    Checkpoint {
        origin: str_of(c, "origin").into(),
        size: num(c, "size"),
        root: hash(c, "root"),
        period: str_of(c, "period").into(),
        opening: amount("opening"),
        closing: amount("closing"),
        count: num(c, "count"),
    }
}

#[test]
fn checkpoints() {
    let v = load("checkpoints.json");
    let s = &v["signer"];
    let name = str_of(s, "name");
    let seed: [u8; 32] = hex::decode(str_of(s, "seedHex"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    assert_eq!(seed, tagged_hash("vericord:vector-seed:v1", b"current").0);
    let current = CheckpointSigner::from_seed(name, &seed).expect("signer");
    assert_eq!(current.verifier_key(), str_of(s, "verifierKey"));
    assert_eq!(current.private_key(), str_of(s, "privateKey"));
    let previous = tagged_hash("vericord:vector-seed:v1", b"previous").0;
    let previous = CheckpointSigner::from_seed(name, &previous).expect("signer");

    let valid = list(&v, "valid");
    assert!(valid.len() >= 5);
    assert!(
        valid.iter().any(|c| trusted(c).len() >= 2),
        "a rotation case"
    );
    for case in valid {
        let want = checkpoint_of(&case["checkpoint"]);
        let (body, note) = (str_of(case, "body"), str_of(case, "note"));
        assert_eq!(want.body(), body);
        assert_eq!(Checkpoint::parse_body(body), Ok(want.clone()));
        assert_eq!(
            Checkpoint::verify(note, &trusted(case)),
            Ok(want.clone()),
            "{note}"
        );
        assert!(note.starts_with(&format!("{body}\n")));
        // Ed25519 is deterministic: every signature line is one of ours, byte for byte.
        let ours: BTreeSet<String> = [&current, &previous]
            .iter()
            .flat_map(|s| {
                signature_lines(&want.sign(s).expect("sign"))
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect();
        let lines = signature_lines(note);
        assert!(
            !lines.is_empty() && lines.iter().all(|l| ours.contains(*l)),
            "{note}"
        );
    }

    let invalid = list(&v, "invalid");
    assert!(invalid.len() >= 20);
    let expected = [
        "CHECKPOINT_MALFORMED",
        "CHECKPOINT_SIGNATURE_INVALID",
        "CHECKPOINT_UNTRUSTED",
        "VERIFIER_KEY_INVALID",
    ];
    assert_eq!(codes(invalid), BTreeSet::from(expected));
    for case in invalid {
        let got = Checkpoint::verify(str_of(case, "note"), &trusted(case));
        assert_eq!(
            got.err().map(|e| e.code()),
            Some(str_of(case, "error")),
            "{case}"
        );
    }
}

#[test]
fn receipts() {
    let v = load("receipts.json");
    let keys = trusted(&v);
    let valid = list(&v, "valid");
    assert!(valid.len() >= 5);
    for case in valid {
        let got = vericord_core::verify_receipt(&case["receipt"].to_string(), &keys)
            .unwrap_or_else(|e| panic!("{}: {e}", str_of(case, "description")));
        assert_eq!(got, checkpoint_of(&case["checkpoint"]));
    }
    let invalid = list(&v, "invalid");
    assert!(invalid.len() >= 10);
    for case in invalid {
        let err = vericord_core::verify_receipt(&case["receipt"].to_string(), &keys)
            .expect_err(str_of(case, "description"));
        assert_eq!(
            err.code(),
            str_of(case, "error"),
            "{}",
            str_of(case, "description")
        );
    }
}
