//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys: parsing, verifying and
//! signing, by the rules of `signed_note` 0.2 (Cloudflare's port of Go's
//! `golang.org/x/mod/sumdb/note`), which the core called before and its tests still hold this
//! module to. The Ed25519 math is `ed25519-dalek`'s (non-strict `verify`, as `signed_note`
//! calls it); only the text format is here, without `signed_note`'s maps and sets (and without
//! the default features it turns on in `ed25519-dalek`: the basepoint tables, 7.7 KB of the
//! npm package's wasm, which verification does not need).

use crate::base64;
use alloc::string::String;
use alloc::vec::Vec;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signed-note algorithm byte of Ed25519 keys.
pub(crate) const ALG_ED25519: u8 = 1;
/// Longer notes are refused unread.
const MAX_NOTE_SIZE: usize = 1_000_000;
/// More signature lines than this are refused.
const MAX_SIGNATURES: usize = 100;

/// A key name: non-empty, without Unicode white space or `+`.
pub(crate) fn name_ok(name: &str) -> bool {
    !(name.is_empty() || name.chars().any(char::is_whitespace) || name.contains('+'))
}

/// The key ID: the first four bytes, big-endian, of SHA-256 over name, newline, encoded key.
pub(crate) fn key_id(name: &str, key: &[u8]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update(key)
        .finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest[..4]);
    u32::from_be_bytes(id)
}

/// A trusted key, from its verifier key text `name+<8 hex id>+<base64(0x01 ‖ public key)>`.
pub(crate) struct Verifier<'a> {
    name: &'a str,
    id: u32,
    key: VerifyingKey,
}

impl<'a> Verifier<'a> {
    /// `None` for anything `signed_note::StandardVerifier::new` refuses.
    pub(crate) fn new(vkey: &'a str) -> Option<Verifier<'a>> {
        let (name, rest) = vkey.split_once('+')?;
        let (id16, key64) = rest.split_once('+')?;
        let id = u32::from_str_radix(id16, 16).ok()?;
        let key = base64::decode(key64)?;
        if id16.len() != 8 || !name_ok(name) || id != key_id(name, &key) {
            return None;
        }
        let [ALG_ED25519, public @ ..] = key.as_slice() else {
            return None;
        };
        let key = VerifyingKey::from_bytes(public.try_into().ok()?).ok()?;
        Some(Verifier { name, id, key })
    }
}

/// One signature line: `— <name> <base64(key ID ‖ signature)>`.
struct Line<'a> {
    name: &'a str,
    id: u32,
    signature: Vec<u8>,
}

/// A note's text (with its final newline) and signature lines; `None` when malformed: over
/// 1 MB, a control character other than newline, no blank line before the signatures, a
/// signature line that does not parse, more than 100 of them.
fn parse(note: &str) -> Option<(&str, Vec<Line<'_>>)> {
    if note.len() > MAX_NOTE_SIZE || note.chars().any(|c| c < ' ' && c != '\n') {
        return None;
    }
    // The last blank line, found bytewise: `rfind("\n\n")` would bring core's two-way string
    // searcher (1.5 KB of the npm package's wasm) for a two-byte needle.
    let at = note.as_bytes().windows(2).rposition(|w| w == b"\n\n")?;
    let text = note.get(..at + 1)?;
    let lines = note.get(at + 2..)?.strip_suffix('\n')?;
    let mut out = Vec::new();
    for line in lines.split('\n') {
        let (name, sig64) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
        let bytes = base64::decode(sig64)?;
        let (id, signature) = bytes.split_first_chunk::<4>()?;
        if signature.is_empty() || !name_ok(name) || out.len() == MAX_SIGNATURES {
            return None;
        }
        out.push(Line {
            name,
            id: u32::from_be_bytes(*id),
            signature: signature.to_vec(),
        });
    }
    Some((text, out))
}

/// Why a note did not verify.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NoteFault {
    /// Not a well-formed note, or a signature's name and key ID match two trusted keys.
    Malformed,
    /// No signature by a trusted key.
    Unverified,
    /// A trusted key's signature does not verify.
    BadSignature,
}

/// The note's text (final newline included) once at least one signature by a trusted key
/// verifies and none fails; signatures by other keys are ignored, a trusted key's second
/// signature too. Lines are taken in order, the first fault decides.
pub(crate) fn verify<'n>(note: &'n str, trusted: &[Verifier<'_>]) -> Result<&'n str, NoteFault> {
    let (text, lines) = parse(note).ok_or(NoteFault::Malformed)?;
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for line in &lines {
        let mut keys = trusted
            .iter()
            .filter(|v| v.name == line.name && v.id == line.id);
        let Some(verifier) = keys.next() else {
            continue;
        };
        if keys.next().is_some() {
            return Err(NoteFault::Malformed);
        }
        if seen.contains(&(line.name, line.id)) {
            continue;
        }
        seen.push((line.name, line.id));
        let good = <[u8; 64]>::try_from(line.signature.as_slice()).is_ok_and(|sig| {
            verifier
                .key
                .verify(text.as_bytes(), &Signature::from_bytes(&sig))
                .is_ok()
        });
        if !good {
            return Err(NoteFault::BadSignature);
        }
    }
    if seen.is_empty() {
        return Err(NoteFault::Unverified);
    }
    Ok(text)
}

/// The text of a note whose signatures are left unchecked (the caller verified it); `None`
/// when it is not a well-formed note.
pub(crate) fn text(note: &str) -> Option<&str> {
    parse(note).map(|(text, _)| text)
}

/// `text` as a note signed by each `(name, key ID, Ed25519 signature of text)`, in order; `None`
/// when the text is not note text (over 1 MB, a control character other than newline, no final
/// newline) or a name is not a key name.
pub(crate) fn signed(text: &str, signatures: &[(&str, u32, [u8; 64])]) -> Option<String> {
    if text.len() > MAX_NOTE_SIZE
        || text.chars().any(|c| c < ' ' && c != '\n')
        || !text.ends_with('\n')
    {
        return None;
    }
    let mut out = String::from(text);
    out.push('\n');
    for (name, id, signature) in signatures {
        if !name_ok(name) {
            return None;
        }
        let mut bytes = Vec::with_capacity(68);
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(signature);
        out.push_str("\u{2014} ");
        out.push_str(name);
        out.push(' ');
        out.push_str(&base64::encode(&bytes));
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckpointSigner;
    use ::base64::engine::general_purpose::STANDARD as BASE64;
    use ::base64::Engine;
    use alloc::boxed::Box;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    /// What `signed_note` 0.2 decides of a note and trusted keys (deduplicated first, as
    /// `checkpoint::verify_note` does): the text, or which fault.
    fn reference(msg: &str, trusted: &[&str]) -> Result<String, NoteFault> {
        use signed_note::{Note, NoteError, StandardVerifier, VerifierList};
        let mut list: Vec<Box<dyn signed_note::Verifier>> = Vec::new();
        let mut unique = trusted.to_vec();
        unique.sort_unstable();
        unique.dedup();
        for key in unique {
            list.push(Box::new(
                StandardVerifier::new(key).expect("valid keys only"),
            ));
        }
        let note = Note::from_bytes(msg.as_bytes()).map_err(|_| NoteFault::Malformed)?;
        note.verify(&VerifierList::new(list)).map_err(|e| match e {
            NoteError::UnverifiedNote => NoteFault::Unverified,
            NoteError::InvalidSignature { .. } => NoteFault::BadSignature,
            _ => NoteFault::Malformed,
        })?;
        Ok(core::str::from_utf8(note.text()).unwrap().to_string())
    }

    fn ours(msg: &str, trusted: &[&str]) -> Result<String, NoteFault> {
        let mut unique = trusted.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let keys: Vec<Verifier<'_>> = unique.iter().map(|k| Verifier::new(k).unwrap()).collect();
        verify(msg, &keys).map(String::from)
    }

    #[test]
    fn decides_as_signed_note_does() {
        let a = CheckpointSigner::from_seed("log.example", &[1; 32]).unwrap();
        let b = CheckpointSigner::from_seed("log.example", &[2; 32]).unwrap();
        let c = CheckpointSigner::from_seed("other.example/x", &[3; 32]).unwrap();
        let (ka, kb, kc) = (a.verifier_key(), b.verifier_key(), c.verifier_key());
        // The same key with its ID in upper case: a second verifier of one name and ID.
        let (name, rest) = ka.split_once('+').unwrap();
        let (id, key) = rest.split_once('+').unwrap();
        let ka_upper = format!("{name}+{}+{key}", id.to_uppercase());
        let text = "origin\n42\nroot\n";
        let line = |s: &CheckpointSigner, t: &str| {
            let note = s.sign_text(t).unwrap();
            note.split_once("\n\n").unwrap().1.to_string()
        };
        let flipped = |l: &str| {
            let (head, sig) = l.trim_end().rsplit_once(' ').unwrap();
            let mut bytes = BASE64.decode(sig).unwrap();
            bytes[20] ^= 1;
            format!("{head} {}\n", BASE64.encode(bytes))
        };
        let (la, lb, lc) = (line(&a, text), line(&b, text), line(&c, text));
        let other = line(&a, "other\n");
        let short = format!("\u{2014} log.example {}\n", BASE64.encode([0u8; 4]));
        let id_only = format!(
            "\u{2014} log.example {}\n",
            BASE64.encode([&a.key_id().to_be_bytes()[..], &[7u8; 10]].concat())
        );
        let many: String = (0..101).map(|_| lc.as_str()).collect();
        let hundred: String = (0..99).map(|_| lc.as_str()).collect::<String>() + &la;
        let mut notes = vec![
            format!("{text}\n{la}"),
            format!("{text}\n{lb}{la}"),
            format!("{text}\n{lc}{la}"),
            format!("{text}\n{la}{la}"),
            format!("{text}\n{la}{}", flipped(&la)),
            format!("{text}\n{}{la}", flipped(&la)),
            format!("{text}\n{}", flipped(&lb)),
            format!("{text}\n{other}"),
            format!("{text}\n{lc}"),
            format!("{text}\n{short}"),
            format!("{text}\n{id_only}{la}"),
            format!("{text}\n{la}{id_only}"),
            format!("{text}\n{many}"),
            format!("{text}\n{hundred}"),
            format!("{text}\n{la}\n"),
            format!("{text}\n\n{la}"),
            format!("{text}{la}"),
            format!("{text}\n{}", la.trim_end()),
            format!("{text}\n{}", la.replace('\u{2014}', "-")),
            format!("{text}\n{}", la.replace(' ', "  ")),
            format!("{text}\n{}", la.replace("log.example", "log+example")),
            format!("{text}\n{}", la.replace("log.example", "log\u{a0}example")),
            format!("{}\n{la}", text.replace('4', "\t")),
            format!("{}\n{la}", text.replace('4', "\u{1}")),
            format!("{}\n{la}", text.replace('4', "\u{7f}")),
            format!("\n\n{la}"),
            format!("\n{la}"),
            la.clone(),
            String::new(),
            "\n\n".into(),
            "garbage".into(),
        ];
        notes.push(format!("{}\n{la}", "x".repeat(MAX_NOTE_SIZE)));
        let key_sets: [&[&str]; 8] = [
            &[&ka],
            &[&kb],
            &[&ka, &kb],
            &[&kc],
            &[&ka, &kc],
            &[],
            &[&ka, &ka_upper],
            &[&kb, &ka, &ka],
        ];
        for note in &notes {
            for keys in key_sets {
                assert_eq!(ours(note, keys), reference(note, keys), "{note:?} {keys:?}");
            }
        }
        assert_eq!(text.len() + 1, ours(&notes[0], &[&ka]).unwrap().len() + 1);
    }

    #[test]
    fn verifier_keys_are_refused_as_signed_note_refuses_them() {
        let a = CheckpointSigner::from_seed("log.example", &[1; 32]).unwrap();
        let ka = a.verifier_key();
        let (name, rest) = ka.split_once('+').unwrap();
        let (id, key64) = rest.split_once('+').unwrap();
        let key = BASE64.decode(key64).unwrap();
        let with = |name: &str, key: &[u8]| {
            format!("{name}+{:08x}+{}", key_id(name, key), BASE64.encode(key))
        };
        let mut alg2 = key.clone();
        alg2[0] = 2;
        // A point that does not decompress (y = 2 is not on the curve).
        let mut off_curve = vec![ALG_ED25519, 2];
        off_curve.resize(33, 0);
        let cases = [
            ka.clone(),
            ka.to_uppercase(),
            format!("{name}+{}+{key64}", id.to_uppercase()),
            format!("{name}+0{id}+{key64}"),
            format!("{name}+{}+{key64}", &id[1..]),
            format!("{name}+00000000+{key64}"),
            format!("{name}+{id}+{}", &key64[1..]),
            format!("{name}+{id}+{key64}="),
            format!("{name}+{id}"),
            format!("+{id}+{key64}"),
            format!("a b+{id}+{key64}"),
            with(name, &alg2),
            with(name, &key[..32]),
            with(name, &[key.clone(), vec![0]].concat()),
            with(name, &off_curve),
            with(name, &[]),
            with("a b", &key),
            with("\u{2003}", &key),
            "bad+key".into(),
            String::new(),
        ];
        for case in cases {
            assert_eq!(
                Verifier::new(&case).is_some(),
                signed_note::StandardVerifier::new(&case).is_ok(),
                "{case}"
            );
        }
    }

    #[test]
    fn signs_as_signed_note_signs() {
        let a = CheckpointSigner::from_seed("log.example", &[1; 32]).unwrap();
        let std = signed_note::StandardSigner::new(&a.private_key()).unwrap();
        for text in ["one line\n", "two\nlines\n", "\u{e9}\u{20ac}\n"] {
            let mut note = signed_note::Note::new(text.as_bytes(), &[]).unwrap();
            note.add_sigs(&[&std]).unwrap();
            assert_eq!(a.sign_text(text).unwrap().as_bytes(), note.to_bytes());
        }
        for bad in ["no newline", "tab\t\n", ""] {
            assert!(a.sign_text(bad).is_err());
            assert!(signed_note::Note::new(bad.as_bytes(), &[]).is_err());
        }
    }
}
