//! Checkpoints: signed tree heads in the C2SP `tlog-checkpoint` signed-note
//! format, with extension lines that close a billing period.
//!
//! ```text
//! vericord.example/sandbox/0x52908400098527886E0F7030069857D2E4169EE7
//! 42
//! <base64 of the 32-byte root>
//! period 2026-04
//! opening 0
//! closing -12.5
//! count 42
//!
//! — vericord.example <base64(key ID ‖ Ed25519 signature)>
//! ```
//!
//! The signed-note format is `note.rs` (the rules of `signed_note`, a port of Go's
//! `golang.org/x/mod/sumdb/note`, with `ed25519-dalek` for the signatures); this module owns
//! the body.

use crate::amount::Amount;
use crate::hash::Hash;
use crate::{base64, note};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Why a checkpoint was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointError {
    /// The note text or a signature line is malformed.
    MalformedNote,
    /// The body does not follow the format; says which line.
    MalformedBody(&'static str),
    /// A trusted key could not be parsed.
    BadVerifierKey,
    /// No signature by a trusted key.
    UnknownKey,
    /// A trusted key's signature does not verify.
    BadSignature,
    /// A signer name or key is unusable.
    BadSigner,
}

impl CheckpointError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointError::MalformedNote => "CHECKPOINT_MALFORMED",
            CheckpointError::MalformedBody(_) => "CHECKPOINT_MALFORMED",
            CheckpointError::BadVerifierKey => "VERIFIER_KEY_INVALID",
            CheckpointError::UnknownKey => "CHECKPOINT_UNTRUSTED",
            CheckpointError::BadSignature => "CHECKPOINT_SIGNATURE_INVALID",
            CheckpointError::BadSigner => "SIGNER_INVALID",
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::MalformedNote => f.write_str("not a well-formed signed note"),
            CheckpointError::MalformedBody(what) => write!(f, "checkpoint body: {what}"),
            CheckpointError::BadVerifierKey => f.write_str("a trusted verifier key is malformed"),
            CheckpointError::UnknownKey => f.write_str("no signature by a trusted key"),
            CheckpointError::BadSignature => {
                f.write_str("signature by a trusted key does not verify")
            }
            CheckpointError::BadSigner => f.write_str("signer name or key is invalid"),
        }
    }
}

impl core::error::Error for CheckpointError {}

/// A tree head that closes a period of one log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identifies the log: `<deployment>/<environment>/<customerReference>`.
    pub origin: String,
    /// Leaves in the log at this checkpoint.
    pub size: u64,
    /// Root at `size`.
    pub root: Hash,
    /// `YYYY-MM`, or an RFC 3339 interval `start/end` for custom scopes.
    pub period: String,
    /// Balance before the period's first record.
    pub opening: Amount,
    /// Balance after its last record (`balanceAfter` of entry `size - 1`).
    pub closing: Amount,
    /// Records in the period: entries `size - count .. size`.
    pub count: u64,
}

fn label_ok(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_u64(s: &str) -> Option<u64> {
    let canonical =
        s == "0" || (!s.starts_with('0') && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

fn parse_amount(s: &str) -> Option<Amount> {
    let a = Amount::parse(s).ok()?;
    (a.to_string() == s).then_some(a)
}

impl Checkpoint {
    /// The note text (every line newline-terminated).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\nperiod {}\nopening {}\nclosing {}\ncount {}\n",
            self.origin,
            self.size,
            base64::encode(&self.root.0),
            self.period,
            self.opening,
            self.closing,
            self.count
        )
    }

    /// Parses a body strictly: every field canonical, so one checkpoint has one text.
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        use CheckpointError::MalformedBody as Bad;
        let body = text
            .strip_suffix('\n')
            .ok_or(Bad("must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, period, opening, closing, count] = lines[..] else {
            return Err(Bad("must have exactly 7 lines"));
        };
        if !label_ok(origin) {
            return Err(Bad("origin"));
        }
        let size = parse_u64(size).ok_or(Bad("tree size"))?;
        let root_bytes = base64::decode(root).ok_or(Bad("root hash"))?;
        let root: [u8; 32] = root_bytes.try_into().map_err(|_| Bad("root hash"))?;
        let ext = |line: &'static str, value: &str| -> Result<String, CheckpointError> {
            value
                .strip_prefix(line)
                .and_then(|v| v.strip_prefix(' '))
                .map(String::from)
                .ok_or(Bad(line))
        };
        let period = ext("period", period)?;
        if !label_ok(&period) {
            return Err(Bad("period"));
        }
        let opening = parse_amount(&ext("opening", opening)?).ok_or(Bad("opening"))?;
        let closing = parse_amount(&ext("closing", closing)?).ok_or(Bad("closing"))?;
        let count = parse_u64(&ext("count", count)?).ok_or(Bad("count"))?;
        if count > size {
            return Err(Bad("count exceeds tree size"));
        }
        let cp = Checkpoint {
            origin: origin.into(),
            size,
            root: Hash(root),
            period,
            opening,
            closing,
            count,
        };
        if cp.body() != text {
            return Err(Bad("not canonical"));
        }
        Ok(cp)
    }

    /// Signs the body: the signed-note text.
    pub fn sign(&self, signer: &CheckpointSigner) -> Result<String, CheckpointError> {
        if !label_ok(&self.origin) || !label_ok(&self.period) || self.count > self.size {
            return Err(CheckpointError::MalformedBody(
                "refusing to sign an invalid checkpoint",
            ));
        }
        signer.sign_text(&self.body())
    }

    /// Checks that `vkey` is a verifier key (`name+id+base64(0x01 ‖ key)`) that
    /// [`Checkpoint::verify`] accepts, so a deployment can refuse a bad key list at start-up
    /// instead of failing every verification.
    pub fn check_verifier_key(vkey: &str) -> Result<(), CheckpointError> {
        note::Verifier::new(vkey)
            .map(drop)
            .ok_or(CheckpointError::BadVerifierKey)
    }

    /// Verifies a signed note against trusted verifier keys (`name+id+key`)
    /// and parses its body. Signatures by unknown keys are ignored, as the
    /// signed-note spec requires, so rotated-in keys and cosigners coexist.
    pub fn verify(note: &str, trusted: &[&str]) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::parse_body(&verify_note(note, trusted)?)
    }
}

/// Verifies any signed note (a checkpoint, a close package's manifest) against trusted
/// verifier keys and returns its text: at least one signature by a trusted key, and no bad one.
pub fn verify_note(note: &str, trusted: &[&str]) -> Result<String, CheckpointError> {
    // Two trusted keys of one name and key ID are ambiguous (a note signed by that ID is
    // refused as malformed); a key listed twice is harmless, so repeats are dropped first.
    let mut verifiers = Vec::with_capacity(trusted.len());
    for (i, vkey) in trusted.iter().enumerate() {
        let verifier = note::Verifier::new(vkey).ok_or(CheckpointError::BadVerifierKey)?;
        if !trusted[..i].contains(vkey) {
            verifiers.push(verifier);
        }
    }
    note::verify(note, &verifiers)
        .map(String::from)
        .map_err(|e| match e {
            note::NoteFault::Unverified => CheckpointError::UnknownKey,
            note::NoteFault::BadSignature => CheckpointError::BadSignature,
            note::NoteFault::Malformed => CheckpointError::MalformedNote,
        })
}

/// An Ed25519 checkpoint signing key with its signed-note name.
pub struct CheckpointSigner {
    name: String,
    id: u32,
    key: ed25519_dalek::SigningKey,
}

impl CheckpointSigner {
    /// A signer from a 32-byte Ed25519 seed (the secret is an argument: no randomness here).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<CheckpointSigner, CheckpointError> {
        if !note::name_ok(name) {
            return Err(CheckpointError::BadSigner);
        }
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let id = note::key_id(name, &Self::encoded_public(&key));
        Ok(CheckpointSigner {
            name: name.into(),
            id,
            key,
        })
    }

    /// A signer from Go's `note` private-key text `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`.
    pub fn from_private_key(skey: &str) -> Result<CheckpointSigner, CheckpointError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(CheckpointError::BadSigner)?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CheckpointError::BadSigner);
        };
        let key = base64::decode(key64).ok_or(CheckpointError::BadSigner)?;
        let [1u8, seed @ ..] = key.as_slice() else {
            return Err(CheckpointError::BadSigner);
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| CheckpointError::BadSigner)?;
        let signer = CheckpointSigner::from_seed(name, &seed)?;
        if id16 != format!("{:08x}", signer.id) {
            return Err(CheckpointError::BadSigner);
        }
        Ok(signer)
    }

    fn encoded_public(key: &ed25519_dalek::SigningKey) -> Vec<u8> {
        let mut out = Vec::with_capacity(33);
        out.push(note::ALG_ED25519);
        out.extend_from_slice(key.verifying_key().as_bytes());
        out
    }

    /// The verifier key text `name+<8 hex id>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id,
            base64::encode(&Self::encoded_public(&self.key))
        )
    }

    /// The private key text, as Go's `note.GenerateKey` writes it.
    pub fn private_key(&self) -> String {
        let mut key = Vec::with_capacity(33);
        key.push(1);
        key.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            base64::encode(&key)
        )
    }

    /// The key ID (first four bytes of SHA-256 over name, newline, encoded key).
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// Signs any note text (it must end with a newline): a close package's manifest, say.
    /// Checkpoints go through [`Checkpoint::sign`], which also checks the body.
    pub fn sign_text(&self, text: &str) -> Result<String, CheckpointError> {
        note::signed(
            text,
            &[(&self.name, self.id, self.sign_bytes(text.as_bytes()))],
        )
        .ok_or(CheckpointError::MalformedNote)
    }

    /// The key's signed-note name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 signature of `message`: what a note's signature line carries after the key
    /// ID (for tools that assemble notes signed by several keys).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            origin: "vericord.test/sandbox/0x52908400098527886E0F7030069857D2E4169EE7".into(),
            size: 42,
            root: crate::hash::keccak256(b"root"),
            period: "2026-04".into(),
            opening: Amount::ZERO,
            closing: Amount::parse("-12.5").unwrap(),
            count: 40,
        }
    }

    #[test]
    fn sign_verify_round_trip_and_tamper() {
        let signer = CheckpointSigner::from_seed("vericord.test", &[7; 32]).unwrap();
        let other = CheckpointSigner::from_seed("vericord.test", &[8; 32]).unwrap();
        let note = sample().sign(&signer).unwrap();
        let vkey = signer.verifier_key();
        assert_eq!(Checkpoint::verify(&note, &[&vkey]).unwrap(), sample());
        // Rotation: old notes verify when the old key is still trusted.
        assert!(Checkpoint::verify(&note, &[&other.verifier_key(), &vkey]).is_ok());
        assert!(Checkpoint::verify(&note, &[&vkey, &vkey]).is_ok());
        assert_eq!(
            Checkpoint::verify(&note, &[&other.verifier_key()]),
            Err(CheckpointError::UnknownKey)
        );
        let tampered = note.replace("closing -12.5", "closing -12.4");
        assert_eq!(
            Checkpoint::verify(&tampered, &[&vkey]),
            Err(CheckpointError::BadSignature)
        );
        assert_eq!(
            Checkpoint::verify("garbage", &[&vkey]),
            Err(CheckpointError::MalformedNote)
        );
        assert_eq!(
            Checkpoint::verify(&note, &["bad+key"]),
            Err(CheckpointError::BadVerifierKey)
        );
    }

    #[test]
    fn private_key_text_round_trips() {
        let signer = CheckpointSigner::from_seed("vericord.test", &[7; 32]).unwrap();
        let again = CheckpointSigner::from_private_key(&signer.private_key()).unwrap();
        assert_eq!(again.verifier_key(), signer.verifier_key());
        // Cross-check with signed_note's own parser of the same text.
        let std = signed_note::StandardSigner::new(&signer.private_key()).unwrap();
        assert_eq!(signed_note::Signer::key_id(&std), signer.key_id());
    }

    #[test]
    fn bodies_are_strict() {
        let good = sample().body();
        assert_eq!(Checkpoint::parse_body(&good).unwrap(), sample());
        for bad in [
            good.replace("\n42\n", "\n042\n"),
            good.replace("opening 0", "opening 0.0"),
            good.replace("count 40", "count 43"),
            good.replace("period 2026-04", "period 2026 04"),
            good.replace("count 40\n", "count 40\nextra\n"),
            good.trim_end().into(),
        ] {
            assert!(Checkpoint::parse_body(&bad).is_err(), "{bad}");
        }
    }
}
