//! 32-byte hashes, Keccak-256 and the domain-separated hashing every format uses.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;
use sha3::{Digest, Keccak256};

/// A 32-byte hash, written as `0x` + 64 lowercase hex digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// 32 zero bytes: the root of the empty tree.
    pub const ZERO: Hash = Hash([0; 32]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality, for comparing secrets and anything attacker-timed.
    pub fn ct_eq(&self, other: &Hash) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

/// Keccak-256 with the original Keccak padding (as Ethereum), not SHA3-256.
///
/// The sponge by hand over keccak-f\[1600\] (rate 136 bytes, padding `0x01 … 0x80`), as
/// [`crate::merkle::node_hash`] does for its one block: whole blocks are absorbed a word at a
/// time, with no hasher or buffer in between (`keccak256_is_the_sponge` checks it against
/// `sha3::Keccak256`, which [`tagged_hash`] uses). Written with plain loops and indexing: the npm
/// package builds this crate at opt-level "z", where an iterator adapter or `copy_from_slice`
/// stays a call per word, while keccak-f itself is built for speed.
pub fn keccak256(data: &[u8]) -> Hash {
    let mut state = [0u64; 25];
    let mut at = 0;
    while let Some(block) = data.get(at..at + RATE) {
        let mut i = 0;
        while i < RATE / 8 {
            state[i] ^= le_word(block, 8 * i);
            i += 1;
        }
        keccak::f1600(&mut state);
        at += RATE;
    }
    // The last, partial block (possibly empty) and the padding, byte by byte.
    let tail = data.get(at..).unwrap_or_default();
    let mut last = [0u8; RATE];
    let mut i = 0;
    while i < tail.len() && i < RATE {
        last[i] = tail[i];
        i += 1;
    }
    // tail.len() < RATE: both padding bytes are in the block (one and the same at 135).
    last[i % RATE] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    let mut i = 0;
    while i < RATE / 8 {
        state[i] ^= le_word(&last, 8 * i);
        i += 1;
    }
    keccak::f1600(&mut state);
    squeeze(&state)
}

/// Keccak-256's rate: the bytes of a block.
const RATE: usize = 136;

/// The little-endian word `bytes[at..at + 8]` (callers keep it in bounds).
#[inline(always)]
pub(crate) fn le_word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes([
        bytes[at],
        bytes[at + 1],
        bytes[at + 2],
        bytes[at + 3],
        bytes[at + 4],
        bytes[at + 5],
        bytes[at + 6],
        bytes[at + 7],
    ])
}

/// The 32-byte digest: the first four lanes, little-endian (constant offsets: four stores).
#[inline(always)]
pub(crate) fn squeeze(state: &[u64; 25]) -> Hash {
    let mut out = [0u8; 32];
    put_le_word(&mut out, 0, state[0]);
    put_le_word(&mut out, 8, state[1]);
    put_le_word(&mut out, 16, state[2]);
    put_le_word(&mut out, 24, state[3]);
    Hash(out)
}

/// Writes `word` little-endian to `bytes[at..at + 8]` (callers keep it in bounds).
#[inline(always)]
fn put_le_word(bytes: &mut [u8; 32], at: usize, word: u64) {
    let b = word.to_le_bytes();
    bytes[at] = b[0];
    bytes[at + 1] = b[1];
    bytes[at + 2] = b[2];
    bytes[at + 3] = b[3];
    bytes[at + 4] = b[4];
    bytes[at + 5] = b[5];
    bytes[at + 6] = b[6];
    bytes[at + 7] = b[7];
}

/// `keccak256(tag ‖ 0x00 ‖ payload)`: every vericord hash is domain-separated
/// by a versioned ASCII tag so no two formats can collide.
pub fn tagged_hash(tag: &str, payload: &[u8]) -> Hash {
    let mut h = Keccak256::new();
    h.update(tag.as_bytes());
    h.update([0u8]);
    h.update(payload);
    Hash(h.finalize().into())
}

/// Why a hash string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashParseError;

impl HashParseError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        "HASH_INVALID"
    }
}

impl fmt::Display for HashParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be 0x followed by 64 hex digits")
    }
}

impl core::error::Error for HashParseError {}

impl Hash {
    /// Parses `0x` and 64 hex digits (either case) from bytes, as [`FromStr`] does from text:
    /// the npm package's fast path hands over ASCII bytes and needs no UTF-8 check first.
    /// Plain loops and indexing, for the reason given at [`keccak256`]; hashes are parsed in
    /// hot loops (two per record, 22 per inclusion proof).
    pub fn from_ascii(text: &[u8]) -> Result<Hash, HashParseError> {
        let [b'0', b'x', digits @ ..] = text else {
            return Err(HashParseError);
        };
        if digits.len() != 64 {
            return Err(HashParseError);
        }
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            let (hi, lo) = (
                NIBBLE[usize::from(digits[2 * i])],
                NIBBLE[usize::from(digits[2 * i + 1])],
            );
            if (hi | lo) > 0x0f {
                return Err(HashParseError);
            }
            out[i] = (hi << 4) | lo;
            i += 1;
        }
        Ok(Hash(out))
    }
}

impl FromStr for Hash {
    type Err = HashParseError;
    fn from_str(s: &str) -> Result<Hash, HashParseError> {
        Hash::from_ascii(s.as_bytes())
    }
}

/// The value of each hex digit (either case); `0xff` for every other byte.
const NIBBLE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One write of a stack buffer: hashes are printed per record in hot loops.
        let mut text = [0u8; 66];
        let (prefix, digits) = text.split_at_mut(2);
        prefix.copy_from_slice(b"0x");
        hex::encode_to_slice(self.0, digits).map_err(|_| fmt::Error)?;
        f.write_str(core::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Hash {
    /// `0x` + lowercase hex.
    pub fn to_hex(&self) -> String {
        alloc::format!("{self}")
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = <alloc::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_is_not_sha3() {
        // Known answers: Keccak-256("") as used by Ethereum.
        assert_eq!(
            keccak256(b"").to_hex(),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            keccak256(b"abc").to_hex(),
            "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        );
    }

    #[test]
    fn keccak256_is_the_sponge() {
        // Every length around the block boundaries (135 puts both padding bytes in one).
        let data: alloc::vec::Vec<u8> = (0..1000u32).map(|i| (i * 131 % 251) as u8).collect();
        for len in (0..=600).chain([815, 816, 817, 951, 952, 953, 1000]) {
            let want: [u8; 32] = Keccak256::digest(&data[..len]).into();
            assert_eq!(keccak256(&data[..len]), Hash(want), "{len}");
        }
    }

    #[test]
    fn tagged_hash_separates_domains() {
        let mut joined = b"t".to_vec();
        joined.push(0);
        joined.extend_from_slice(b"x");
        assert_eq!(tagged_hash("t", b"x"), keccak256(&joined));
        assert_ne!(tagged_hash("t", b"x"), tagged_hash("t\0", b"x"));
    }

    #[test]
    fn hex_round_trip() {
        let h = keccak256(b"abc");
        assert_eq!(h.to_hex().parse::<Hash>().unwrap(), h);
        assert_eq!(
            h.to_hex()
                .to_uppercase()
                .replacen("0X", "0x", 1)
                .parse::<Hash>()
                .unwrap(),
            h
        );
        assert!("4e03".parse::<Hash>().is_err());
        for bad in ["0x", "0xg", "0X00", "0x+1"] {
            assert!(bad.parse::<Hash>().is_err());
        }
        let g = alloc::format!("0x{}g", "0".repeat(63));
        assert!(g.parse::<Hash>().is_err());
        let long = alloc::format!("0x{}", "0".repeat(66));
        assert!(long.parse::<Hash>().is_err());
        let umlaut = alloc::format!("0x{}ü", "0".repeat(62));
        assert_eq!(umlaut.len(), 66);
        assert!(umlaut.parse::<Hash>().is_err());
        assert!("0x4e03".parse::<Hash>().is_err());
        assert!(h.ct_eq(&h) && !h.ct_eq(&Hash::ZERO));
    }
}
