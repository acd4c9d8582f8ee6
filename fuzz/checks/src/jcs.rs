//! Canonical JSON (RFC 8785) on any text: canonicalizing is idempotent, the strict parser
//! accepts only what plain JSON accepts, the one-pass recognizer never says "canonical" of a
//! text JCS would change, and the member lister agrees with the strict parser. The SDK
//! differential is a replay of this target's corpus (`fuzz/sdk-jcs-replay.py`).

use serde_json::Value;
use vericord_core::jcs;

use super::vectors;

/// The checks on one input: its UTF-8 text as JSON.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = jcs::parse_strict(text);
    let canonical = jcs::canonicalize_text(text);
    match &strict {
        Ok(v) => {
            assert_eq!(
                canonical,
                jcs::canonicalize(v),
                "canonicalize_text = canonicalize ∘ parse_strict"
            );
            // I-JSON is a subset of JSON.
            let plain: Value = serde_json::from_str(text).expect("strict JSON is JSON");
            if let (Value::Object(ours), Value::Object(theirs)) = (v, &plain) {
                assert_eq!(ours.len(), theirs.len());
            }
            if let Value::Object(map) = v {
                let members = jcs::object_members(text).expect("an object has members");
                assert_eq!(members.len(), map.len(), "no duplicates in strict JSON");
            }
        }
        Err(_) => assert!(canonical.is_err(), "refused by the strict parser: {text:?}"),
    }
    if let Ok(c) = &canonical {
        assert_eq!(
            jcs::canonicalize_text(c).as_ref(),
            Ok(c),
            "JCS is idempotent: {text:?}"
        );
        let again = jcs::parse_strict(c).expect("JCS text parses");
        assert_eq!(jcs::canonicalize(&again).as_ref(), Ok(c));
    }
    if jcs::is_canonical(text) {
        assert_eq!(
            canonical.as_deref(),
            Ok(text),
            "recognized as canonical: {text:?}"
        );
    }
    let _ = jcs::object_members(text);
}

/// `jcs.json` inputs and canonical texts, and every item of `items.json`.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for key in ["valid", "invalid"] {
        for case in vectors::list(vectors::jcs(), key) {
            for field in ["input", "canonical"] {
                if let Some(s) = case.get(field).and_then(Value::as_str) {
                    out.push(s.as_bytes().to_vec());
                }
            }
        }
    }
    for case in vectors::list(vectors::items(), "items") {
        if let Some(s) = case.get("canonical").and_then(Value::as_str) {
            out.push(s.as_bytes().to_vec());
        }
        if let Some(item) = case.get("item") {
            out.push(serde_json::to_string_pretty(item).unwrap().into_bytes());
        }
    }
    out
}
