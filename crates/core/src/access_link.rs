//! Shared Record links (SPEC §14): the link's handle, its access code, the code's keyed hash
//! and the step-up session token. The caller brings the random bytes, the deployment secret
//! and the time; nothing here draws randomness or reads a clock.

use alloc::string::String;
use core::fmt;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// What every handle starts with (`cus_…`, as the source documents show it).
pub const HANDLE_PREFIX: &str = "cus_";
/// Random bytes in a handle: 160 bits, 32 base32 characters.
pub const HANDLE_BYTES: usize = 20;
/// Characters in an access code.
pub const CODE_LEN: usize = 6;
/// The access code's alphabet: digits and capitals without the look-alikes 0 O 1 I L.
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// The shortest deployment secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const HANDLE_CHARS: usize = HANDLE_BYTES * 8 / 5;
/// A byte below this maps uniformly onto the alphabet (`b % 31`); others are redrawn.
const CODE_ACCEPT_BELOW: u8 = (256 / CODE_ALPHABET.len() * CODE_ALPHABET.len()) as u8;

/// Why a handle, code, secret or session was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessLinkError {
    /// Not `cus_` and 32 base32 characters.
    HandleMalformed,
    /// Not 6 characters of [`CODE_ALPHABET`] (after case folding and dropping spaces and `-`).
    CodeMalformed,
    /// The random bytes ran out before 6 characters were drawn (pass more).
    NotEnoughRandomness,
    /// The deployment secret is shorter than [`MIN_SECRET_BYTES`].
    SecretTooShort,
    /// The session token is not one this key made for this link and code epoch.
    SessionInvalid,
    /// The session token has expired.
    SessionExpired,
}

impl fmt::Display for AccessLinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessLinkError::HandleMalformed => "not a Shared Record handle",
            AccessLinkError::CodeMalformed => {
                "an access code is 6 characters of 2-9 and A-Z without I, L and O"
            }
            AccessLinkError::NotEnoughRandomness => "not enough random bytes for an access code",
            AccessLinkError::SecretTooShort => "the access-code secret must be at least 32 bytes",
            AccessLinkError::SessionInvalid => "the access session is not valid for this link",
            AccessLinkError::SessionExpired => "the access session has expired",
        })
    }
}

/// A link's handle: `cus_` and 160 random bits in lowercase base32 (RFC 4648, no padding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    /// The handle of these random bytes.
    pub fn from_random(bytes: &[u8; HANDLE_BYTES]) -> Handle {
        let mut out = String::with_capacity(HANDLE_PREFIX.len() + HANDLE_CHARS);
        out.push_str(HANDLE_PREFIX);
        // 20 bytes are 32 groups of 5 bits exactly.
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
            }
        }
        Handle(out)
    }

    /// A handle as a link carries it; case-insensitive (the official SDK lowercases it).
    pub fn parse(text: &str) -> Result<Handle, AccessLinkError> {
        let rest = text
            .get(..HANDLE_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(HANDLE_PREFIX))
            .and_then(|_| text.get(HANDLE_PREFIX.len()..))
            .ok_or(AccessLinkError::HandleMalformed)?;
        if rest.len() != HANDLE_CHARS
            || !rest
                .bytes()
                .all(|b| BASE32.contains(&b.to_ascii_lowercase()))
        {
            return Err(AccessLinkError::HandleMalformed);
        }
        Ok(Handle(text.to_ascii_lowercase()))
    }

    /// The handle's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link's access code: 6 characters of [`CODE_ALPHABET`], ≈ 29.7 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode([u8; CODE_LEN]);

impl AccessCode {
    /// Draws a code from random bytes by rejection sampling (each character uniform); 16
    /// bytes run out with probability below 10⁻¹⁵.
    pub fn from_random(bytes: &[u8]) -> Result<AccessCode, AccessLinkError> {
        let mut code = [0u8; CODE_LEN];
        let mut drawn = bytes.iter().filter(|&&b| b < CODE_ACCEPT_BELOW);
        for slot in &mut code {
            let b = drawn.next().ok_or(AccessLinkError::NotEnoughRandomness)?;
            *slot = CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()];
        }
        Ok(AccessCode(code))
    }

    /// A code as a person types it: case-insensitive, spaces and `-` ignored.
    pub fn parse(input: &str) -> Result<AccessCode, AccessLinkError> {
        let mut code = [0u8; CODE_LEN];
        let mut n = 0;
        for b in input.bytes().filter(|b| !matches!(b, b' ' | b'-')) {
            let b = b.to_ascii_uppercase();
            if n == CODE_LEN || !CODE_ALPHABET.contains(&b) {
                return Err(AccessLinkError::CodeMalformed);
            }
            code[n] = b;
            n += 1;
        }
        if n != CODE_LEN {
            return Err(AccessLinkError::CodeMalformed);
        }
        Ok(AccessCode(code))
    }

    /// The code's text (shown once, when set or rotated).
    pub fn as_str(&self) -> &str {
        // Alphabet bytes only.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Never prints the code itself.
impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(…)")
    }
}

/// The deployment's access-link key: two subkeys of one secret, one for code hashes and one
/// for session tokens, so neither can stand in for the other.
pub struct AccessKey {
    code: [u8; 32],
    session: [u8; 32],
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    for p in parts {
        // Length-prefixed, so no two part lists hash alike.
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl AccessKey {
    /// The key of a deployment secret of at least 32 bytes.
    pub fn new(secret: &[u8]) -> Result<AccessKey, AccessLinkError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AccessLinkError::SecretTooShort);
        }
        Ok(AccessKey {
            code: hmac(secret, &[b"vericord/access-code/v1"]),
            session: hmac(secret, &[b"vericord/access-session/v1"]),
        })
    }

    /// The stored form of a link's code: hex HMAC-SHA256 over the handle and the code. A
    /// leaked database alone does not reveal the code: enumerating 31⁶ codes needs the key.
    pub fn code_tag(&self, handle: &Handle, code: &AccessCode) -> String {
        hex::encode(hmac(&self.code, &[handle.as_str().as_bytes(), &code.0]))
    }

    /// Whether `code` is the one `stored` was made from, compared in constant time.
    pub fn code_matches(&self, handle: &Handle, code: &AccessCode, stored: &str) -> bool {
        let tag = self.code_tag(handle, code);
        tag.as_bytes().ct_eq(stored.as_bytes()).into()
    }

    /// A session token for `handle`, valid until `expires_ms` while the link's code epoch
    /// stays `epoch` (rotating the code ends every session): `v1.<expires_ms>.<hex mac>`.
    pub fn session(&self, handle: &Handle, epoch: u64, expires_ms: u64) -> String {
        let mut out = String::with_capacity(90);
        out.push_str("v1.");
        push_u64(&mut out, expires_ms);
        out.push('.');
        out.push_str(&hex::encode(self.session_mac(handle, epoch, expires_ms)));
        out
    }

    /// Checks a session token; returns its expiry.
    pub fn check_session(
        &self,
        handle: &Handle,
        epoch: u64,
        token: &str,
        now_ms: u64,
    ) -> Result<u64, AccessLinkError> {
        let mut parts = token.split('.');
        let (Some("v1"), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AccessLinkError::SessionInvalid);
        };
        let expires_ms = parse_u64(expires).ok_or(AccessLinkError::SessionInvalid)?;
        let expected = hex::encode(self.session_mac(handle, epoch, expires_ms));
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return Err(AccessLinkError::SessionInvalid);
        }
        if now_ms >= expires_ms {
            return Err(AccessLinkError::SessionExpired);
        }
        Ok(expires_ms)
    }

    fn session_mac(&self, handle: &Handle, epoch: u64, expires_ms: u64) -> [u8; 32] {
        hmac(
            &self.session,
            &[
                handle.as_str().as_bytes(),
                &epoch.to_be_bytes(),
                &expires_ms.to_be_bytes(),
            ],
        )
    }
}

fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(core::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// Canonical decimal only (no sign, no leading zero), so one expiry has one token.
fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn handles_are_160_bits_of_base32() {
        let h = Handle::from_random(&[0; 20]);
        assert_eq!(h.as_str(), "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let h = Handle::from_random(&[0xff; 20]);
        assert_eq!(h.as_str(), "cus_77777777777777777777777777777777");
        // RFC 4648 §10: BASE32("fooba") = "MZXW6YTB", here lowercase and twice over.
        let mut bytes = [0u8; 20];
        bytes[..5].copy_from_slice(b"fooba");
        bytes[5..10].copy_from_slice(b"fooba");
        let h = Handle::from_random(&bytes);
        assert!(h.as_str().starts_with("cus_mzxw6ytbmzxw6ytb"), "{h}");
        assert_eq!(
            Handle::parse(&h.as_str().to_ascii_uppercase()),
            Ok(h.clone())
        );
        assert_eq!(Handle::parse(h.as_str()), Ok(h));
    }

    #[test]
    fn malformed_handles_are_refused() {
        for bad in [
            "",
            "cus_",
            "cus_abc123",
            "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
            "xyz_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u{e9}",
            "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u{e9}",
        ] {
            assert_eq!(
                Handle::parse(bad),
                Err(AccessLinkError::HandleMalformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn codes_are_uniform_over_the_alphabet_and_skip_biased_bytes() {
        let code = AccessCode::from_random(&[0, 1, 30, 31, 247, 248, 255, 62]).unwrap();
        // 0 → '2', 1 → '3', 30 → 'Z', 31 → 0 → '2', 247 → 30 → 'Z'; 248 and 255 are redrawn; 62 → 0.
        assert_eq!(code.as_str(), "23Z2Z2");
        assert_eq!(
            AccessCode::from_random(&[248, 249, 250]),
            Err(AccessLinkError::NotEnoughRandomness)
        );
        // Every accepted byte value once: each character exactly 8 times.
        let mut counts = [0u32; 31];
        let bytes: Vec<u8> = (0..=255u8).collect();
        for chunk in bytes.chunks(6) {
            if let Ok(code) = AccessCode::from_random(chunk) {
                for c in code.as_str().bytes() {
                    counts[CODE_ALPHABET.iter().position(|&a| a == c).unwrap()] += 1;
                }
            }
        }
        // Chunks 0..41 are whole codes of accepted bytes (246 bytes); 246 = 31 × 7 + 29.
        assert_eq!(counts.iter().sum::<u32>(), 246);
        assert!(counts.iter().all(|&n| n == 7 || n == 8), "{counts:?}");
    }

    #[test]
    fn typed_codes_fold_case_and_ignore_spaces_and_dashes() {
        let code = AccessCode::parse("k7m-2pq").unwrap();
        assert_eq!(code.as_str(), "K7M2PQ");
        assert_eq!(AccessCode::parse(" K7M 2PQ "), Ok(code.clone()));
        for bad in [
            "",
            "K7M2P",
            "K7M2PQR",
            "K7M2P0",
            "K7M2PI",
            "K7M2PL",
            "K7M2PO",
            "K7M2P\u{e9}",
        ] {
            assert_eq!(
                AccessCode::parse(bad),
                Err(AccessLinkError::CodeMalformed),
                "{bad:?}"
            );
        }
        assert_eq!(format!("{code:?}"), "AccessCode(…)");
    }

    #[test]
    fn code_tags_are_keyed_and_bound_to_the_handle() {
        let key = AccessKey::new(SECRET).unwrap();
        let other = AccessKey::new(b"another secret of thirty-two bytes!!").unwrap();
        let (h1, h2) = (Handle::from_random(&[1; 20]), Handle::from_random(&[2; 20]));
        let code = AccessCode::parse("K7M2PQ").unwrap();
        let tag = key.code_tag(&h1, &code);
        assert_eq!(tag.len(), 64);
        assert!(key.code_matches(&h1, &code, &tag));
        assert!(!key.code_matches(&h2, &code, &tag), "another link");
        assert!(!other.code_matches(&h1, &code, &tag), "another deployment");
        assert!(!key.code_matches(&h1, &AccessCode::parse("K7M2PR").unwrap(), &tag));
        assert!(!key.code_matches(&h1, &code, ""));
        assert_eq!(
            AccessKey::new(&SECRET[..31]).err(),
            Some(AccessLinkError::SecretTooShort)
        );
    }

    #[test]
    fn sessions_expire_and_are_bound_to_link_epoch_and_key() {
        let key = AccessKey::new(SECRET).unwrap();
        let h = Handle::from_random(&[7; 20]);
        let t = key.session(&h, 3, 1_000_000);
        assert!(t.starts_with("v1.1000000."), "{t}");
        assert_eq!(key.check_session(&h, 3, &t, 999_999), Ok(1_000_000));
        assert_eq!(
            key.check_session(&h, 3, &t, 1_000_000),
            Err(AccessLinkError::SessionExpired)
        );
        assert_eq!(
            key.check_session(&h, 4, &t, 0),
            Err(AccessLinkError::SessionInvalid)
        );
        assert_eq!(
            key.check_session(&Handle::from_random(&[8; 20]), 3, &t, 0),
            Err(AccessLinkError::SessionInvalid)
        );
        let other = AccessKey::new(b"another secret of thirty-two bytes!!").unwrap();
        assert_eq!(
            other.check_session(&h, 3, &t, 0),
            Err(AccessLinkError::SessionInvalid)
        );
        // A longer expiry with the old MAC, junk and non-canonical numbers are refused.
        let forged = t.replacen("1000000", "9000000", 1);
        let padded = t.replacen("v1.", "v1.0", 1);
        for bad in [
            forged.as_str(),
            padded.as_str(),
            "",
            "v1",
            "v1..",
            "v2.1.00",
            &format!("{t}.x"),
        ] {
            assert_eq!(
                key.check_session(&h, 3, bad, 0),
                Err(AccessLinkError::SessionInvalid),
                "{bad:?}"
            );
        }
    }
}
