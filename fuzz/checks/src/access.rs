//! Access-link inputs a visitor controls: the handle in the URL, the typed code, the session
//! cookie. Each parses to one canonical form that parses back to itself, and only a token the
//! key issued for that handle and epoch checks out.

use vericord_core::{AccessCode, AccessKey, Handle};

use super::input::Reader;

const SECRET: &[u8; 32] = b"vericord fuzz access-link secret";

/// The checks. First byte: which input; then two u64 (epoch, now); the rest is text.
pub fn check(data: &[u8]) {
    let mut r = Reader::new(data);
    let which = r.u8();
    let (epoch, now) = (r.u64(), r.u64());
    let Ok(text) = std::str::from_utf8(r.rest()) else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(h) = Handle::parse(text) {
                assert_eq!(h.as_str(), text.to_ascii_lowercase());
                assert_eq!(Handle::parse(h.as_str()), Ok(h.clone()));
            }
        }
        1 => {
            if let Ok(c) = AccessCode::parse(text) {
                assert_eq!(AccessCode::parse(c.as_str()).ok().as_ref(), Some(&c));
                assert_eq!(c.as_str().len(), 6);
            }
        }
        _ => {
            let key = AccessKey::new(SECRET).expect("32 bytes");
            let handle = Handle::from_random(&[7; 20]);
            if let Ok(expires) = key.check_session(&handle, epoch, text, now) {
                assert!(now < expires);
                assert_eq!(
                    key.session(&handle, epoch, expires),
                    text,
                    "only issued tokens check out"
                );
            }
            // The issued token checks out until it expires, and for no other epoch.
            let expires = now.saturating_add(1);
            let token = key.session(&handle, epoch, expires);
            let got = key.check_session(&handle, epoch, &token, now);
            if now < expires {
                assert_eq!(got, Ok(expires));
            } else {
                assert!(got.is_err());
            }
            assert!(key.check_session(&handle, epoch ^ 1, &token, now).is_err());
        }
    }
}

/// A handle, codes as people type them, and a session token.
pub fn seeds() -> Vec<Vec<u8>> {
    let key = AccessKey::new(SECRET).expect("32 bytes");
    let handle = Handle::from_random(&[7; 20]);
    let token = key.session(&handle, 3, 1_800_000_000_000);
    let mut out = Vec::new();
    let with = |which: u8, epoch: u64, now: u64, text: &str| {
        let mut s = vec![which];
        s.extend_from_slice(&epoch.to_be_bytes());
        s.extend_from_slice(&now.to_be_bytes());
        s.extend_from_slice(text.as_bytes());
        s
    };
    out.push(with(0, 0, 0, handle.as_str()));
    out.push(with(0, 0, 0, &handle.as_str().to_ascii_uppercase()));
    for code in ["ABCDEF", "abc-def", "ab cd ef", "7K9-M2P"] {
        out.push(with(1, 0, 0, code));
    }
    out.push(with(2, 3, 1_700_000_000_000, &token));
    out.push(with(2, 3, 1_900_000_000_000, &token));
    out
}
