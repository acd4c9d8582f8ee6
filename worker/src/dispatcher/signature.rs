//! `X-PacSpace-Signature`, exactly as the official SDK's `Webhooks.verify` checks it:
//! `v1=` + lowercase hex HMAC-SHA256, keyed with the endpoint's `whsec_…` secret string
//! (its UTF-8 bytes, used verbatim), over `"<timestamp>.<raw body>"`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One `v1=<hex>` value; `None` only if HMAC refused the key (it accepts any length).
pub fn sign(secret: &str, timestamp: u64, body: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!("v1={}", hex::encode(mac.finalize().into_bytes())))
}

/// The header value: the current secret's signature, then, during a rotation overlap,
/// the previous secret's (SDK 0.7.0 accepts any of comma-separated `v1=` values; older
/// SDKs need exactly one, so the second is only sent while the overlap lasts).
pub fn header(secret: &str, previous: Option<&str>, timestamp: u64, body: &str) -> Option<String> {
    let current = sign(secret, timestamp, body)?;
    match previous {
        Some(old) => Some(format!("{current},{}", sign(old, timestamp, body)?)),
        None => Some(current),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231 §4.3 (key "Jefe"): the primitive itself, through the calls `sign` makes.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signs_timestamp_dot_body_with_the_secret_string() {
        // Known answer from Python: hmac.new(b"whsec_test", b"1700000000.{\"id\":\"evt_1\"}", sha256).hexdigest()
        assert_eq!(
            sign("whsec_test", 1_700_000_000, r#"{"id":"evt_1"}"#).unwrap(),
            "v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
        );
    }

    #[test]
    fn rotation_sends_current_first_then_previous() {
        let body = r#"{"event":"delta.verified"}"#;
        let single = header("whsec_new", None, 42, body).unwrap();
        assert_eq!(single, sign("whsec_new", 42, body).unwrap());
        assert!(!single.contains(','));
        let both = header("whsec_new", Some("whsec_old"), 42, body).unwrap();
        let parts: Vec<&str> = both.split(',').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign("whsec_new", 42, body).unwrap());
        assert_eq!(parts[1], sign("whsec_old", 42, body).unwrap());
        for p in parts {
            assert!(p.starts_with("v1="));
            let hex = &p[3..];
            assert_eq!(hex.len(), 64);
            assert!(hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
    }

    #[test]
    fn any_byte_of_timestamp_or_body_changes_the_signature() {
        let base = sign("whsec_x", 1, "{}").unwrap();
        assert_ne!(base, sign("whsec_x", 2, "{}").unwrap());
        assert_ne!(base, sign("whsec_x", 1, "{ }").unwrap());
        assert_ne!(base, sign("whsec_y", 1, "{}").unwrap());
    }
}
