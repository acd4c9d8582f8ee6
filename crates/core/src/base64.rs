//! Base64 with the standard alphabet and padding (RFC 4648 §4), strict as the `base64` crate's
//! `STANDARD` engine decodes: canonical padding only, no other byte, zero bits after the last
//! byte. The signed-note format and the checkpoint body use it; the tests hold it to that crate.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The padded base64 text of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let sextet = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(ALPHABET[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of padded base64 `text`; `None` unless it is exactly what [`encode`] writes of them.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let groups = text.len() / 4;
    for (g, group) in text.chunks_exact(4).enumerate() {
        let last = g + 1 == groups;
        let pad = if last {
            group.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in group.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { sextet(c)? };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        // The bits after the last byte must be zero, as encode writes them.
        if n & ((1 << (8 * pad)) - 1) != 0 {
            return None;
        }
        out.extend_from_slice(bytes.get(..keep)?);
    }
    Some(out)
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    #[test]
    fn encodes_as_the_base64_crate_does() {
        let mut bytes = Vec::new();
        for i in 0..300u32 {
            assert_eq!(encode(&bytes), STANDARD.encode(&bytes));
            bytes.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
        }
    }

    #[test]
    fn decodes_exactly_what_the_base64_crate_decodes() {
        // Every text of up to 8 symbols over an alphabet with each kind of edge (letters whose
        // low bits are zero or not, the two symbols, padding, bytes outside the alphabet).
        let symbols = [
            b'A', b'B', b'Q', b'g', b'w', b'/', b'+', b'=', b'-', b' ', b'\n',
        ];
        let mut texts: Vec<Vec<u8>> = alloc::vec![Vec::new()];
        let mut frontier = texts.clone();
        for len in 1..=6 {
            let mut next = Vec::new();
            for t in &frontier {
                for &s in &symbols {
                    let mut u = t.clone();
                    u.push(s);
                    next.push(u);
                }
            }
            if len >= 5 {
                // Keep the longer ones to those ending in a full group's worth of edges.
                next.retain(|t: &Vec<u8>| t.len() % 4 == 0 || t.len() < 6);
            }
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        for prefix in ["", "QUFB", "QUFBQUFB"] {
            for t in &texts {
                let mut text = prefix.as_bytes().to_vec();
                text.extend_from_slice(t);
                let Ok(text) = core::str::from_utf8(&text) else {
                    continue;
                };
                assert_eq!(decode(text), STANDARD.decode(text).ok(), "{text:?}");
            }
        }
        for n in 0..100usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(decode(&text), Some(bytes));
        }
    }
}
