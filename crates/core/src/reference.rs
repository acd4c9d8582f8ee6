//! Deterministic customer references.

use crate::hash::{tagged_hash, Hash};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A key's environment. Sandbox (`pk_test_`) and production (`pk_live_`)
/// data never mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `pk_test_` keys.
    Sandbox,
    /// `pk_live_` keys.
    Production,
}

impl Environment {
    /// `"sandbox"` or `"production"`: the text hashed into references and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// Parses `"sandbox"` / `"production"`.
    pub fn parse(text: &str) -> Option<Environment> {
        match text {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `keccak256(tag ‖ 0x00 ‖ owner ‖ 0x00 ‖ environment ‖ 0x00 ‖ id)`.
fn subject_digest(tag: &str, owner_id: &str, environment: Environment, id: &str) -> Hash {
    let mut payload = Vec::with_capacity(owner_id.len() + id.len() + 16);
    payload.extend_from_slice(owner_id.as_bytes());
    payload.push(0);
    payload.extend_from_slice(environment.as_str().as_bytes());
    payload.push(0);
    payload.extend_from_slice(id.as_bytes());
    tagged_hash(tag, &payload)
}

fn address(digest: &Hash) -> String {
    let mut addr = [0u8; 20];
    addr.copy_from_slice(&digest.0[12..]);
    eip55(&addr)
}

/// `0x` + EIP-55-cased last 20 bytes of
/// `keccak256("vericord:customer:v1" ‖ 0x00 ‖ ownerId ‖ 0x00 ‖ environment ‖ 0x00 ‖ customerId)`.
/// The owner is the tenant, or for middleware tenants the vendor account.
pub fn customer_reference(owner_id: &str, environment: Environment, customer_id: &str) -> String {
    address(&subject_digest(
        "vericord:customer:v1",
        owner_id,
        environment,
        customer_id,
    ))
}

/// `customerPartition`: the first 4 bytes of the same digest as a big-endian
/// unsigned integer, in decimal. Stable, and spreads customers evenly over shards.
pub fn customer_partition(owner_id: &str, environment: Environment, customer_id: &str) -> String {
    let d = subject_digest("vericord:customer:v1", owner_id, environment, customer_id);
    alloc::format!("{}", u32::from_be_bytes([d.0[0], d.0[1], d.0[2], d.0[3]]))
}

/// The reference of a write account (`POST /api/v1/writes`): as
/// [`customer_reference`] with tag `vericord:account:v1`, so an account and a
/// customer with the same id never share a log.
pub fn account_reference(owner_id: &str, environment: Environment, account_id: &str) -> String {
    address(&subject_digest(
        "vericord:account:v1",
        owner_id,
        environment,
        account_id,
    ))
}

/// EIP-55 mixed-case checksum encoding of a 20-byte address.
pub fn eip55(addr: &[u8; 20]) -> String {
    let lower = hex::encode(addr);
    let checksum = crate::hash::keccak256(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (checksum.0[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        if c.is_ascii_alphabetic() && nibble >= 8 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_known_answers() {
        // Test vectors from EIP-55.
        for want in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let mut addr = [0u8; 20];
            hex::decode_to_slice(want[2..].to_lowercase(), &mut addr).unwrap();
            assert_eq!(eip55(&addr), want);
        }
    }

    #[test]
    fn references_are_deterministic_and_scoped() {
        let a = customer_reference("t1", Environment::Sandbox, "cust_1");
        assert_eq!(a, customer_reference("t1", Environment::Sandbox, "cust_1"));
        assert_ne!(
            a,
            customer_reference("t1", Environment::Production, "cust_1")
        );
        assert_ne!(a, customer_reference("t2", Environment::Sandbox, "cust_1"));
        // The 0x00 separators keep ("t1","x") and ("t","1x") apart.
        assert_ne!(
            customer_reference("t1", Environment::Sandbox, "x"),
            customer_reference("t", Environment::Sandbox, "1x")
        );
        assert_eq!(a.len(), 42);
        assert_ne!(a, account_reference("t1", Environment::Sandbox, "cust_1"));
        let p = customer_partition("t1", Environment::Sandbox, "cust_1");
        assert!(p.parse::<u32>().is_ok());
    }
}
