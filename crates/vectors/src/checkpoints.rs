//! `checkpoints.json`: signed checkpoints (C2SP signed notes) from a fixed
//! seed, a key rotation, and notes that must be refused.

use crate::trees::tree;
use crate::util::{checkpoint_json, envelope};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use signed_note::{Note, Signer};
use vericord_core::hash::tagged_hash;
use vericord_core::{customer_reference, Amount, Checkpoint, CheckpointSigner, Environment, Hash};

const NAME: &str = "vericord.example";
const SIGNATURE: &str = "CHECKPOINT_SIGNATURE_INVALID";
const UNTRUSTED: &str = "CHECKPOINT_UNTRUSTED";
const MALFORMED: &str = "CHECKPOINT_MALFORMED";
const BAD_KEY: &str = "VERIFIER_KEY_INVALID";
const TENANT: &str = "ten_01HZX3V8K9QJ4M2N7P5R6S8T0V";

/// Seeds are public test data, derived so nobody mistakes them for keys.
fn seed(label: &str) -> [u8; 32] {
    tagged_hash("vericord:vector-seed:v1", label.as_bytes()).0
}

fn signer(name: &str, label: &str) -> CheckpointSigner {
    CheckpointSigner::from_seed(name, &seed(label)).expect("valid signer")
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).expect("amount literal")
}

fn checkpoint(
    env: Environment,
    size: u64,
    root: Hash,
    period: &str,
    opening: &str,
    closing: &str,
    count: u64,
) -> Checkpoint {
    Checkpoint {
        origin: format!(
            "{NAME}/{env}/{}",
            customer_reference(TENANT, env, "cust_1001")
        ),
        size,
        root,
        period: period.into(),
        opening: amount(opening),
        closing: amount(closing),
        count,
    }
}

/// A note over arbitrary text, signed by the core's signers: lets the
/// vectors carry valid signatures over bodies the core must still refuse.
/// The notes are assembled by `signed_note`, not by the core's own note code.
fn sign_text(text: &str, signers: &[&CheckpointSigner]) -> String {
    let mut note = Note::new(text.as_bytes(), &[]).expect("note text");
    let wrapped: Vec<CoreSigner<'_>> = signers.iter().map(|s| CoreSigner(s)).collect();
    let dyns: Vec<&dyn Signer> = wrapped.iter().map(|s| s as &dyn Signer).collect();
    note.add_sigs(&dyns).expect("signers");
    String::from_utf8(note.to_bytes()).expect("UTF-8 note")
}

/// A core signer as `signed_note` signs with it.
struct CoreSigner<'a>(&'a CheckpointSigner);

impl Signer for CoreSigner<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn key_id(&self) -> u32 {
        self.0.key_id()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.0.sign_bytes(msg).to_vec())
    }
}

/// `note` with one bit of its last signature's Ed25519 bytes flipped.
fn flip_signature(note: &str) -> String {
    let (head, line) = note
        .trim_end_matches('\n')
        .rsplit_once('\n')
        .expect("signature line");
    let (prefix, sig64) = line.rsplit_once(' ').expect("signature");
    let mut sig = BASE64.decode(sig64).expect("base64");
    sig[10] ^= 0x01; // past the 4-byte key ID
    format!("{head}\n{prefix} {}\n", BASE64.encode(sig))
}

fn valid_row(cp: &Checkpoint, note: &str, trusted: &[&str]) -> Value {
    let verified = Checkpoint::verify(note, trusted).expect("valid note");
    assert_eq!(&verified, cp);
    json!({
        "checkpoint": checkpoint_json(cp),
        "body": cp.body(),
        "note": note,
        "trusted": trusted,
    })
}

fn invalid_row(note: &str, trusted: &[&str], want: &str) -> Value {
    let code = Checkpoint::verify(note, trusted).err().map(|e| e.code());
    assert_eq!(code, Some(want), "{note:?} with {trusted:?}");
    json!({"note": note, "trusted": trusted, "error": want})
}

/// The current key and the one it replaced (same name, other seed).
struct Keys {
    current: CheckpointSigner,
    previous: CheckpointSigner,
    key: String,
    old_key: String,
}

/// Notes reused by the negative cases.
struct Notes {
    april: Checkpoint,
    april_note: String,
    old_note: String,
    both_note: String,
}

fn valid(k: &Keys) -> (Vec<Value>, Notes) {
    let t = tree(64);
    let (sb, prod) = (Environment::Sandbox, Environment::Production);
    let april = checkpoint(sb, 64, t.root_at(64).root, "2026-04", "0", "-17.000002", 64);
    let empty = checkpoint(sb, 0, Hash::ZERO, "2026-03", "0", "0", 0);
    let single = checkpoint(prod, 1, t.root_at(1).root, "2026-05", "0", "0.000000001", 1);
    let interval = "2026-04-01T00:00:00Z/2026-04-15T00:00:00Z";
    let custom = checkpoint(prod, 33, t.root_at(33).root, interval, "1234.5", "-0.5", 12);
    let max = "99999999999999999999.999999999";
    let huge = checkpoint(
        sb,
        32,
        t.root_at(32).root,
        "2026-06",
        &format!("-{max}"),
        max,
        0,
    );
    let sign = |cp: &Checkpoint, s: &CheckpointSigner| cp.sign(s).expect("signable");
    let notes = Notes {
        april_note: sign(&april, &k.current),
        old_note: sign(&single, &k.previous),
        both_note: sign_text(&custom.body(), &[&k.previous, &k.current]),
        april: april.clone(),
    };
    let (key, old_key) = (k.key.as_str(), k.old_key.as_str());
    let rows = vec![
        valid_row(&april, &notes.april_note, &[key]),
        valid_row(&empty, &sign(&empty, &k.current), &[key]),
        valid_row(&single, &sign(&single, &k.current), &[key]),
        valid_row(&custom, &sign(&custom, &k.current), &[key]),
        valid_row(&huge, &sign(&huge, &k.current), &[key]),
        // Rotation: a checkpoint signed before it verifies while the old key stays trusted.
        valid_row(&single, &notes.old_note, &[key, old_key]),
        // Overlap: signed by both; a verifier that knows either key accepts it.
        valid_row(&custom, &notes.both_note, &[key]),
        valid_row(&custom, &notes.both_note, &[old_key]),
        valid_row(&custom, &notes.both_note, &[key, old_key]),
    ];
    (rows, notes)
}

/// Verifier keys that must be refused before any note is looked at.
fn bad_keys(k: &Keys) -> Vec<String> {
    let (_, id_and_key) = k.key.split_once('+').expect("vkey");
    let (_, key64) = id_and_key.split_once('+').expect("vkey");
    // An unknown algorithm byte, with the key ID recomputed so only the algorithm is wrong.
    let mut alg2 = BASE64.decode(key64).expect("base64");
    alg2[0] = 2;
    let alg2_id = signed_note::key_id(NAME, &alg2);
    vec![
        "bad+key".into(),
        String::new(),
        k.key
            .replacen(&format!("{:08x}", k.current.key_id()), "00000000", 1),
        k.key.replacen(key64, "not*base64", 1),
        format!("{NAME}+{alg2_id:08x}+{}", BASE64.encode(&alg2)),
        k.key.replacen(key64, &key64[..20], 1),
        format!("with space+{id_and_key}"),
    ]
}

fn invalid(k: &Keys, n: &Notes) -> Vec<Value> {
    let (key, old_key) = (k.key.as_str(), k.old_key.as_str());
    let other_name = signer("vericord.other", "current").verifier_key();
    let note = &n.april_note;
    let mut rows = vec![
        invalid_row(
            &note.replace("closing -17.000002", "closing -17.000001"),
            &[key],
            SIGNATURE,
        ),
        invalid_row(&note.replacen("\n64\n", "\n65\n", 1), &[key], SIGNATURE),
        invalid_row(&note.replace("count 64", "count 63"), &[key], SIGNATURE),
        invalid_row(&flip_signature(note), &[key], SIGNATURE),
        invalid_row(&flip_signature(&n.both_note), &[key, old_key], SIGNATURE),
        invalid_row(note, &[old_key], UNTRUSTED),
        invalid_row(&n.old_note, &[key], UNTRUSTED),
        invalid_row(note, &[&other_name], UNTRUSTED),
        invalid_row(note, &[], UNTRUSTED),
    ];
    let body = n.april.body();
    let malformed_notes = [
        String::new(),
        "garbage".into(),
        body.clone(),
        format!("{body}\n"),
        note.replacen(&format!("{body}\n"), &body, 1),
        note.replace("\u{2014} ", "- "),
        note.trim_end_matches('\n').into(),
        format!("{note}trailing text\n"),
        note.replace(NAME, &format!("{NAME}\u{1}")),
    ];
    for bad in malformed_notes {
        rows.push(invalid_row(&bad, &[key], MALFORMED));
    }
    // Validly signed, but the body breaks the checkpoint format.
    let root64 = BASE64.encode(n.april.root.0);
    let bad_bodies = [
        body.replacen("\n64\n", "\n064\n", 1),
        body.replace("opening 0", "opening 0.0"),
        body.replace("opening 0", "opening -0"),
        body.replace("count 64", "count 65"),
        body.replace("period 2026-04", "period 2026 04"),
        body.replace("count 64\n", "count 64\nextra line\n"),
        body.replace("period 2026-04\n", ""),
        body.replace("closing -17.000002", "closing -1.7000002e1"),
        body.replace(&root64, &BASE64.encode(&n.april.root.0[..31])),
        body.replace(&format!("{NAME}/"), &format!("{NAME} /")),
    ];
    for text in bad_bodies {
        rows.push(invalid_row(
            &sign_text(&text, &[&k.current]),
            &[key],
            MALFORMED,
        ));
    }
    let bad = bad_keys(k);
    for b in &bad {
        rows.push(invalid_row(note, &[b], BAD_KEY));
    }
    rows.push(invalid_row(note, &[key, &bad[0]], BAD_KEY));
    rows
}

pub fn build() -> Value {
    let (current, previous) = (signer(NAME, "current"), signer(NAME, "previous"));
    let (key, old_key) = (current.verifier_key(), previous.verifier_key());
    let keys = Keys {
        current,
        previous,
        key,
        old_key,
    };
    let (valid, notes) = valid(&keys);
    let invalid = invalid(&keys, &notes);
    envelope(
        "Checkpoints: C2SP tlog-checkpoint signed notes (origin, size, base64 root, then \
         period/opening/closing/count extension lines) with Ed25519 signatures. signer is the \
         current key (seed = keccak256(\"vericord:vector-seed:v1\" || 0x00 || \"current\")). \
         Each valid note verifies with its trusted verifier keys; the rotation cases are signed \
         by the previous key (label \"previous\") or by both.",
        vec![
            (
                "signer",
                json!({
                    "name": NAME,
                    "seedHex": hex::encode(seed("current")),
                    "verifierKey": keys.key,
                    "privateKey": keys.current.private_key(),
                }),
            ),
            ("valid", Value::from(valid)),
            ("invalid", Value::from(invalid)),
        ],
    )
}
