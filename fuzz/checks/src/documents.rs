//! Receipts, close packages, compare results and verification packages. Raw inputs (first byte
//! even) are the document text itself; structured inputs (first byte odd) are a vector document
//! (valid, or invalid too with bit 1) and [`mutate`](super::mutate) steps, written out with one
//! member repeated when bit 2 is set. Either way: the verifier never panics, a
//! report names every check once in order with a verdict that is all of them, and a document
//! is accepted only if it equals, in canonical form and up to what the format leaves unsigned,
//! a document of the vectors (the fuzzer holds no signing key, so nothing else may verify).

use serde_json::{json, Value};
use std::sync::OnceLock;
use vericord_core::close_package::{
    close_package_inclusion_proof, verify_close_package, verify_compare, VerifyReport,
    COMPARE_CHECKS, PACKAGE_CHECKS,
};
use vericord_core::verification_package::{verify_verification_package, CHECKS};
use vericord_core::{jcs, verify_receipt, Hash, RootHash};

use super::input::Reader;
use super::{mutate, vectors};

/// A kind of document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `GET /api/v1/balance/receipt/:customerId` (§10).
    Receipt,
    /// `vericord.close-package/v1` (§12).
    ClosePackage,
    /// `vericord.compare/v1` (§13).
    Compare,
    /// `vericord.verification-package/v1` (§15).
    VerificationPackage,
}

/// A kind's vectors, prepared once.
struct Corpus {
    /// Valid documents, each with the index of its trusted list.
    valid: Vec<(Value, usize)>,
    /// Invalid documents, likewise.
    invalid: Vec<(Value, usize)>,
    /// The distinct trusted lists.
    trusted: Vec<Vec<String>>,
    /// The normal form of every document of the file.
    known: Vec<String>,
    /// Values to splice.
    pool: Vec<Value>,
}

fn corpus(kind: Kind) -> &'static Corpus {
    static CELLS: [OnceLock<Corpus>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let (cell, file, member) = match kind {
        Kind::Receipt => (&CELLS[0], vectors::receipts(), "receipt"),
        Kind::ClosePackage => (&CELLS[1], vectors::close_packages(), "package"),
        Kind::Compare => (&CELLS[2], vectors::compares(), "compare"),
        Kind::VerificationPackage => (&CELLS[3], vectors::verification_packages(), "package"),
    };
    cell.get_or_init(|| {
        let keys_of = |case: &Value| match kind {
            Kind::Receipt => vectors::keys(&file["trusted"]),
            _ => vectors::keys(&case["trusted"]),
        };
        let mut trusted: Vec<Vec<String>> = ["valid", "invalid"]
            .iter()
            .flat_map(|k| vectors::list(file, k))
            .map(keys_of)
            .collect();
        trusted.sort();
        trusted.dedup();
        let docs = |key: &str| -> Vec<(Value, usize)> {
            vectors::list(file, key)
                .iter()
                .map(|case| {
                    let own = keys_of(case);
                    (
                        case[member].clone(),
                        trusted.iter().position(|t| *t == own).unwrap_or(0),
                    )
                })
                .collect()
        };
        let (valid, invalid) = (docs("valid"), docs("invalid"));
        let all: Vec<&Value> = valid.iter().chain(&invalid).map(|(d, _)| d).collect();
        let mut known: Vec<String> = all.iter().filter_map(|d| normal(kind, d)).collect();
        known.sort();
        known.dedup();
        let pool = mutate::pool(&all);
        Corpus {
            valid,
            invalid,
            trusted,
            known,
            pool,
        }
    })
}

/// Lower-cases every string that is a hash (§2: inputs accept either case), and cuts every
/// signed note to the text it signs: a signature line repeated, or by a key nobody trusts, is
/// ignored by signed-note verification (as by Go's `note.Open`), so it changes no document.
fn normalize_strings(v: &mut Value) {
    match v {
        Value::String(s) if s.len() == 66 && s.parse::<Hash>().is_ok() && s.starts_with("0x") => {
            *s = s.to_ascii_lowercase();
        }
        Value::String(s) => {
            if let Some(at) = s.find("\n\n\u{2014} ") {
                s.truncate(at + 1);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_strings),
        Value::Object(m) => m.values_mut().for_each(normalize_strings),
        _ => {}
    }
}

/// The part of a receipt entry the verifier reads (`balanceAfter` is a display float).
fn receipt_entry(e: &Value) -> Value {
    if e.is_null() {
        return Value::Null;
    }
    let mut out = serde_json::Map::new();
    for key in [
        "recordId",
        "sequenceNumber",
        "item",
        "itemHash",
        "entryHash",
        "proof",
    ] {
        if let Some(x) = e.get(key) {
            out.insert(key.into(), x.clone());
        }
    }
    Value::Object(out)
}

/// A document's normal form: its JCS, hashes lower-cased, without what the format leaves
/// unsigned and unread. Two documents with one normal form are the same document.
fn normal(kind: Kind, doc: &Value) -> Option<String> {
    let mut d = doc.clone();
    normalize_strings(&mut d);
    match kind {
        // Read: customerReference, proofRoot, checkpoint.note, deltas, boundaries (§10); the
        // receipt's floats and any other member are for display only.
        Kind::Receipt => {
            let deltas: Vec<Value> = d["deltas"]
                .as_array()
                .map_or(Vec::new(), |a| a.iter().map(receipt_entry).collect());
            d = json!({
                "customerReference": d["customerReference"],
                "proofRoot": d["proofRoot"],
                "note": d["checkpoint"]["note"],
                "deltas": if d["deltas"].is_array() { json!(deltas) } else { d["deltas"].clone() },
                "opening": receipt_entry(&d["boundaries"]["opening"]),
                "closing": receipt_entry(&d["boundaries"]["closing"]),
                "boundaries": d.get("boundaries").map(Value::is_object),
            });
        }
        // §13: a compare has no manifest, so `checkpointId`, `tenant.name`,
        // `recordedBy.displayName` and `verifierKeys` are signed by nothing; without records,
        // nothing binds `recordedBy.type` either (the report says `type: null` then).
        Kind::Compare => {
            let untyped = d["records"].as_array().is_some_and(Vec::is_empty);
            for (at, member) in [
                ("", "verifierKeys"),
                ("/from", "checkpointId"),
                ("/to", "checkpointId"),
                ("/tenant", "name"),
                ("/recordedBy", "displayName"),
                ("/recordedBy", if untyped { "type" } else { "" }),
            ] {
                if let Some(m) = d.pointer_mut(at).and_then(Value::as_object_mut) {
                    m.remove(member);
                }
            }
        }
        _ => {}
    }
    // Sorted pairs commute: with no records after them, the frontier's last two hashes fold
    // the same either way round (see `commutes` in crates/core/tests/common).
    if d["records"].as_array().is_some_and(Vec::is_empty) {
        if let Some(f) = d
            .pointer_mut("/range/frontier")
            .and_then(Value::as_array_mut)
        {
            if let [.., a, b] = f.as_mut_slice() {
                if a.as_str() > b.as_str() {
                    std::mem::swap(a, b);
                }
            }
        }
    }
    jcs::canonicalize(&d).ok()
}

/// `text` as a `Value` if no object in it names a member twice (any depth serde_json reads).
fn i_json(text: &str) -> Option<Value> {
    struct Unique;
    impl<'de> serde::Deserialize<'de> for Unique {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
            d.deserialize_any(Unique)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Unique {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Unique, A::Error> {
            while a.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(name) = a.next_key::<String>()? {
                if !seen.insert(name) {
                    return Err(serde::de::Error::custom("a member named twice"));
                }
                a.next_value::<Unique>()?;
            }
            Ok(Unique)
        }
    }
    serde_json::from_str::<Unique>(text).ok()?;
    serde_json::from_str(text).ok()
}

/// The report's shape: every check once, in order, the verdict their conjunction, details set.
fn check_report(r: &VerifyReport, names: &[&str]) {
    let got: Vec<&str> = r.checks.iter().map(|c| c.name).collect();
    assert_eq!(got, names);
    assert_eq!(r.verified, r.checks.iter().all(|c| c.ok));
    assert!(
        r.checks.iter().all(|c| !c.detail.is_empty()),
        "{:#?}",
        r.checks
    );
    serde_json::to_string(r).expect("a report serializes");
}

/// Verifies `text` as `kind` under `trusted`: whether it was accepted.
fn accepted(kind: Kind, text: &str, trusted: &[&str]) -> bool {
    match kind {
        Kind::Receipt => verify_receipt(text, trusted).is_ok(),
        Kind::ClosePackage => {
            let r = verify_close_package(text, trusted);
            check_report(&r, PACKAGE_CHECKS);
            // Any record's derived proof verifies under the note's head (or none is derived).
            let seqs: Vec<u64> = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| {
                    v["records"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|x| x["seq"].as_u64()).collect())
                })
                .unwrap_or_default();
            for seq in seqs.first().into_iter().chain(seqs.last()) {
                if let Ok(p) = close_package_inclusion_proof(text, *seq) {
                    assert_eq!(p.index, *seq);
                    let head = RootHash::new(p.root, p.size);
                    assert_eq!(
                        head.verify_inclusion(&p.leaf, p.index, &p.proof),
                        Ok(()),
                        "derived proof of {seq}"
                    );
                }
            }
            r.verified
        }
        Kind::Compare => {
            let r = verify_compare(text, trusted);
            check_report(&r, COMPARE_CHECKS);
            r.verified
        }
        Kind::VerificationPackage => {
            let r = verify_verification_package(text, trusted);
            check_report(&r, CHECKS);
            r.verified
        }
    }
}

/// The checks on one input.
pub fn check(kind: Kind, data: &[u8]) {
    let c = corpus(kind);
    let (text, trusted) = document(kind, data);
    let Some(text) = text else {
        return;
    };
    let trusted: Vec<&str> = c.trusted[trusted].iter().map(String::as_str).collect();
    if accepted(kind, &text, &trusted) {
        let form = i_json(&text).and_then(|v| normal(kind, &v));
        assert!(
            form.as_ref()
                .is_some_and(|f| c.known.binary_search(f).is_ok()),
            "accepted a document that is not one of the vectors': {text}"
        );
    }
}

/// The text an input describes, and the index of the trusted list to verify it under.
pub fn document(kind: Kind, data: &[u8]) -> (Option<String>, usize) {
    let c = corpus(kind);
    let mut r = Reader::new(data);
    let (mode, pick) = (r.u8(), usize::from(r.u8()));
    if mode % 2 == 0 {
        let text = std::str::from_utf8(r.rest()).ok().map(String::from);
        return (text, pick % c.trusted.len());
    }
    let all: Vec<&(Value, usize)> = c
        .valid
        .iter()
        .chain(if mode & 2 != 0 { &c.invalid[..] } else { &[] })
        .collect();
    let (doc, trusted) = all[pick % all.len()];
    let mut doc = doc.clone();
    let twice = (mode & 4 != 0).then(|| (r.u16(), r.u16()));
    mutate::mutate(&mut doc, &mut r, &c.pool);
    (Some(mutate::to_text(&doc, twice, &c.pool)), *trusted)
}

/// Every vector document as a raw input (under its own trusted list) and as a structured one.
pub fn seeds(kind: Kind) -> Vec<Vec<u8>> {
    let c = corpus(kind);
    let mut out = Vec::new();
    for (doc, trusted) in c.valid.iter().chain(&c.invalid) {
        let mut seed = vec![0, *trusted as u8];
        seed.extend_from_slice(serde_json::to_string_pretty(doc).unwrap().as_bytes());
        out.push(seed);
    }
    for i in 0..c.valid.len() {
        out.push(vec![1, i as u8]);
        // And one step of each kind on some node.
        for kind in 0..16u8 {
            out.push(vec![1, i as u8, kind, 0, 7 * kind + 1, 0, kind]);
        }
    }
    for i in 0..c.invalid.len() {
        out.push(vec![3, (c.valid.len() + i) as u8]);
    }
    // A member written twice (the copy first, with its own value) on some object.
    for i in 0..c.valid.len() {
        out.push(vec![5, i as u8, 0, 0, 0, 0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checks have teeth: every valid vector document verifies, as a raw input and as a
    /// structured one with no steps, and is known; one changed hash digit is refused.
    #[test]
    fn valid_documents_verify_and_a_changed_one_does_not() {
        for kind in [
            Kind::Receipt,
            Kind::ClosePackage,
            Kind::Compare,
            Kind::VerificationPackage,
        ] {
            let c = corpus(kind);
            for (i, (doc, t)) in c.valid.iter().enumerate() {
                let trusted: Vec<&str> = c.trusted[*t].iter().map(String::as_str).collect();
                let text = doc.to_string();
                assert!(accepted(kind, &text, &trusted), "{kind:?} {i}");
                assert_eq!(document(kind, &[1, i as u8]), (Some(text.clone()), *t));
                let form = normal(kind, doc).unwrap();
                assert!(c.known.binary_search(&form).is_ok());
                let at = text.rfind("\"0x").unwrap() + 5;
                let mut changed = text.into_bytes();
                changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
                let changed = String::from_utf8(changed).unwrap();
                assert!(!accepted(kind, &changed, &trusted), "{kind:?} {i}");
            }
        }
    }
}
