//! Checkpoint notes and verifier keys. A body parses only in its one canonical text; a note
//! verifies only if its body is one the vectors' signers signed (the fuzzer cannot sign), and
//! then reads as exactly that checkpoint; a verifier key that verifies a vector note decodes
//! to that note's signer.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use std::sync::OnceLock;
use vericord_core::checkpoint::verify_note;
use vericord_core::Checkpoint;

use super::vectors;

/// The distinct trusted-key lists of `checkpoints.json`, and every verifier key in it.
fn trusted_lists() -> &'static [Vec<String>] {
    static CELL: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let v = vectors::checkpoints();
        let mut out: Vec<Vec<String>> = Vec::new();
        for key in ["valid", "invalid"] {
            for case in vectors::list(v, key) {
                out.push(vectors::keys(&case["trusted"]));
            }
        }
        if let Some(k) = v["signer"]["verifierKey"].as_str() {
            out.push(vec![k.to_string()]);
        }
        out.sort();
        out.dedup();
        out
    })
}

/// The text before a note's signature block, with its final newline.
fn body_of(note: &str) -> Option<&str> {
    note.find("\n\n").map(|at| &note[..=at])
}

/// `name`, and the key bytes of a `name+id+base64` verifier key.
fn decode_key(key: &str) -> Option<(&str, Vec<u8>)> {
    let mut parts = key.splitn(3, '+');
    let (name, _id, b64) = (parts.next()?, parts.next()?, parts.next()?);
    Some((name, BASE64.decode(b64).ok()?))
}

/// The checks. The first byte picks the mode and the trusted keys; the rest is text.
pub fn check(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if selector & 0x80 != 0 {
        return check_key(text);
    }
    if let Ok(cp) = Checkpoint::parse_body(text) {
        assert_eq!(cp.body(), text, "one checkpoint, one text");
    }
    let lists = trusted_lists();
    let trusted: Vec<&str> = lists[usize::from(selector) % lists.len()]
        .iter()
        .map(String::as_str)
        .collect();
    let note = verify_note(text, &trusted);
    let verified = Checkpoint::verify(text, &trusted);
    match &note {
        Ok(body) => {
            let signed = vectors::notes().iter().filter_map(|n| body_of(n));
            assert!(
                signed.clone().any(|b| b == body),
                "a body nobody signed verified: {body:?}"
            );
            assert_eq!(verified, Checkpoint::parse_body(body));
        }
        Err(e) => assert_eq!(verified.as_ref().err(), Some(e)),
    }
}

/// A verifier key: checked, then used on every vector note.
fn check_key(key: &str) {
    let _ = Checkpoint::check_verifier_key(key);
    let v = vectors::checkpoints();
    for note in vectors::list(v, "valid")
        .iter()
        .filter_map(|c| c["note"].as_str())
    {
        if verify_note(note, &[key]).is_ok() {
            let (name, bytes) = decode_key(key).expect("a key that verifies decodes");
            let signers: Vec<(String, Vec<u8>)> = trusted_lists()
                .iter()
                .flatten()
                .filter_map(|k| decode_key(k).map(|(n, b)| (n.to_string(), b)))
                .collect();
            assert!(
                signers.iter().any(|(n, b)| n == name && *b == bytes),
                "an unknown key verified a note: {key:?}"
            );
        }
    }
}

/// Every note of `checkpoints.json` under each trusted list, every body, and every key.
pub fn seeds() -> Vec<Vec<u8>> {
    let v = vectors::checkpoints();
    let mut out = Vec::new();
    let lists = trusted_lists();
    for case in vectors::list(v, "valid")
        .iter()
        .chain(vectors::list(v, "invalid"))
    {
        let own = vectors::keys(&case["trusted"]);
        let list = lists.iter().position(|l| *l == own).unwrap_or(0);
        for field in ["note", "body"] {
            if let Some(s) = case.get(field).and_then(|s| s.as_str()) {
                let mut seed = vec![list as u8 & 0x7f];
                seed.extend_from_slice(s.as_bytes());
                out.push(seed);
            }
        }
    }
    for key in trusted_lists().iter().flatten() {
        let mut seed = vec![0x80];
        seed.extend_from_slice(key.as_bytes());
        out.push(seed);
    }
    out
}
