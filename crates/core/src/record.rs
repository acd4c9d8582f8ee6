//! Record content and the two hashes that commit to it.
//!
//! * `itemHash = keccak256("vericord:item:v1" ‖ 0x00 ‖ JCS(item))`, known at
//!   acceptance: the leaf of the submission tree (`itemsRoot` = `receiptId`).
//! * `entryHash = keccak256("vericord:entry:v1" ‖ 0x00 ‖ JCS({seq, itemHash, balanceAfter}))`,
//!   known once sequenced: the leaf of the customer's log, so every log proof
//!   also proves the record's position and the running balance after it.

use crate::amount::Amount;
use crate::hash::{tagged_hash, Hash};
use crate::jcs::{canonicalize, JcsError};
use alloc::string::String;
use serde_json::{Map, Value};

/// Tag of item hashes.
pub const ITEM_TAG: &str = "vericord:item:v1";
/// Tag of entry hashes.
pub const ENTRY_TAG: &str = "vericord:entry:v1";
/// Sequence numbers stay below 2^53 so they are exact JSON numbers everywhere.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// `itemHash` of an item given as a JSON value (any JSON: the verifier side).
pub fn item_hash(item: &Value) -> Result<Hash, JcsError> {
    Ok(item_hash_canonical(&canonicalize(item)?))
}

/// `itemHash` of an item already in JCS form.
pub fn item_hash_canonical(jcs: &str) -> Hash {
    tagged_hash(ITEM_TAG, jcs.as_bytes())
}

/// What a delta names with `adjusts`: exactly one earlier record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Adjusts {
    /// By the tenant's `referenceId`.
    ReferenceId(String),
    /// By `recordId`.
    RecordId(String),
}

/// Where an item sits in its submission: leaf `index` of a tree of `count`
/// leaves. Committed inside the item because sorted-pair nodes hide position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Zero-based index in the submission.
    pub index: u32,
    /// Number of items in the submission.
    pub count: u32,
}

/// The content of one delta as accepted (fields as in `docs/SPEC.md` §Items).
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaItem {
    /// `rec_…`, unique per deployment.
    pub record_id: String,
    /// Position in the submission.
    pub position: Position,
    /// RFC 3339 UTC with milliseconds, e.g. `2026-04-01T10:30:00.000Z`.
    pub received_at: String,
    /// See [`crate::reference::customer_reference`].
    pub customer_reference: String,
    /// The tenant's customer id.
    pub customer_id: String,
    /// The signed change.
    pub delta: Amount,
    /// Audit reason.
    pub reason: String,
    /// Tenant correlation id.
    pub reference_id: Option<String>,
    /// Tenant metadata object.
    pub metadata: Option<Map<String, Value>>,
    /// The earlier record this one corrects.
    pub adjusts: Option<Adjusts>,
    /// Middleware tenants: the vendor account the record is made for.
    pub vendor_account_id: Option<String>,
}

fn put(map: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    map.insert(String::from(key), value.into());
}

impl DeltaItem {
    /// The item as a JSON object (absent options are omitted, never `null`).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "type", "delta");
        put(&mut m, "recordId", self.record_id.as_str());
        put(&mut m, "index", self.position.index);
        put(&mut m, "count", self.position.count);
        put(&mut m, "receivedAt", self.received_at.as_str());
        put(
            &mut m,
            "customerReference",
            self.customer_reference.as_str(),
        );
        put(&mut m, "customerId", self.customer_id.as_str());
        put(&mut m, "delta", alloc::format!("{}", self.delta));
        put(&mut m, "reason", self.reason.as_str());
        if let Some(r) = &self.reference_id {
            put(&mut m, "referenceId", r.as_str());
        }
        if let Some(meta) = &self.metadata {
            put(&mut m, "metadata", Value::Object(meta.clone()));
        }
        if let Some(adj) = &self.adjusts {
            let mut a = Map::new();
            match adj {
                Adjusts::ReferenceId(r) => put(&mut a, "referenceId", r.as_str()),
                Adjusts::RecordId(r) => put(&mut a, "recordId", r.as_str()),
            }
            put(&mut m, "adjusts", Value::Object(a));
        }
        if let Some(v) = &self.vendor_account_id {
            put(&mut m, "vendorAccountId", v.as_str());
        }
        Value::Object(m)
    }

    /// JCS text of the item: what is stored and served for verification.
    pub fn canonical(&self) -> Result<String, JcsError> {
        canonicalize(&self.to_value())
    }
}

/// The content of one item of `POST /api/v1/writes`.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteItem {
    /// `rec_…`, unique per deployment.
    pub record_id: String,
    /// Position in the submission.
    pub position: Position,
    /// RFC 3339 UTC with milliseconds.
    pub received_at: String,
    /// [`crate::reference::customer_reference`] of the account id.
    pub account_reference: String,
    /// The account the item belongs to.
    pub account_id: String,
    /// Unique record key.
    pub key: String,
    /// Integer value, as canonical decimal text.
    pub bits: i64,
    /// Tenant metadata object.
    pub metadata: Option<Map<String, Value>>,
}

impl WriteItem {
    /// The item as a JSON object.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "type", "write");
        put(&mut m, "recordId", self.record_id.as_str());
        put(&mut m, "index", self.position.index);
        put(&mut m, "count", self.position.count);
        put(&mut m, "receivedAt", self.received_at.as_str());
        put(&mut m, "accountReference", self.account_reference.as_str());
        put(&mut m, "accountId", self.account_id.as_str());
        put(&mut m, "key", self.key.as_str());
        put(&mut m, "bits", alloc::format!("{}", self.bits));
        if let Some(meta) = &self.metadata {
            put(&mut m, "metadata", Value::Object(meta.clone()));
        }
        Value::Object(m)
    }

    /// JCS text of the item.
    pub fn canonical(&self) -> Result<String, JcsError> {
        canonicalize(&self.to_value())
    }
}

/// One entry of a customer's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Zero-based position in the log (= leaf index).
    pub seq: u64,
    /// The record's item hash.
    pub item_hash: Hash,
    /// Running balance after this record.
    pub balance_after: Amount,
}

/// A sequence number at or above 2^53, which JSON numbers cannot carry exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqOutOfRange;

impl SeqOutOfRange {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        "SEQ_OUT_OF_RANGE"
    }
}

impl core::fmt::Display for SeqOutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sequence number exceeds {MAX_SEQ}")
    }
}

impl core::error::Error for SeqOutOfRange {}

/// The JCS text of an entry on the stack, written once for both [`Entry::canonical`] and
/// [`Entry::entry_hash`] without `core::fmt` (it is hashed once per record). At most 163 bytes:
/// 17 + a 41-byte amount + 14 + 66 + 8 + a 16-digit seq + 1.
struct EntryText {
    buf: [u8; 192],
    len: usize,
}

impl EntryText {
    fn of(entry: &Entry) -> EntryText {
        let mut text = EntryText {
            buf: [0; 192],
            len: 0,
        };
        // Keys in JCS order (ASCII: b < i < s), values plain ASCII and seq an
        // exact double, so this is already canonical; a test checks it against JCS.
        text.push(b"{\"balanceAfter\":\"");
        text.push(entry.balance_after.text().as_str().as_bytes());
        text.push(b"\",\"itemHash\":\"0x");
        let mut hex = [0u8; 64];
        if hex::encode_to_slice(entry.item_hash.0, &mut hex).is_ok() {
            text.push(&hex);
        }
        text.push(b"\",\"seq\":");
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = entry.seq;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        text.push(&digits[at..]);
        text.push(b"}");
        text
    }

    fn push(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            slot.copy_from_slice(bytes);
            self.len = end;
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl Entry {
    /// The JCS text that is hashed.
    pub fn canonical(&self) -> Result<String, SeqOutOfRange> {
        if self.seq > MAX_SEQ {
            return Err(SeqOutOfRange);
        }
        let text = EntryText::of(self);
        // ASCII only.
        Ok(String::from_utf8_lossy(text.as_bytes()).into_owned())
    }

    /// `entryHash`: [`tagged_hash`] of [`canonical`](Entry::canonical).
    pub fn entry_hash(&self) -> Result<Hash, SeqOutOfRange> {
        if self.seq > MAX_SEQ {
            return Err(SeqOutOfRange);
        }
        Ok(tagged_hash(ENTRY_TAG, EntryText::of(self).as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;

    fn sample() -> DeltaItem {
        DeltaItem {
            record_id: "rec_1".into(),
            position: Position { index: 0, count: 1 },
            received_at: "2026-04-01T10:30:00.000Z".into(),
            customer_reference: "0x0000000000000000000000000000000000000001".into(),
            customer_id: "cust_1".into(),
            delta: Amount::parse("-42.50").unwrap(),
            reason: "usage".into(),
            reference_id: None,
            metadata: None,
            adjusts: None,
            vendor_account_id: None,
        }
    }

    #[test]
    fn item_omits_absent_fields_and_uses_canonical_amounts() {
        let jcs = sample().canonical().unwrap();
        assert_eq!(
            jcs,
            r#"{"count":1,"customerId":"cust_1","customerReference":"0x0000000000000000000000000000000000000001","delta":"-42.5","index":0,"reason":"usage","receivedAt":"2026-04-01T10:30:00.000Z","recordId":"rec_1","type":"delta"}"#
        );
        let mut preimage = b"vericord:item:v1\0".to_vec();
        preimage.extend_from_slice(jcs.as_bytes());
        assert_eq!(
            item_hash(&sample().to_value()).unwrap(),
            keccak256(&preimage)
        );
    }

    #[test]
    fn entry_text_is_jcs() {
        let e = Entry {
            seq: 7,
            item_hash: keccak256(b"x"),
            balance_after: Amount::parse("-0.5").unwrap(),
        };
        let text = e.canonical().unwrap();
        assert_eq!(crate::jcs::canonicalize_text(&text).unwrap(), text);
        assert_eq!(
            e.entry_hash().unwrap(),
            tagged_hash(ENTRY_TAG, text.as_bytes())
        );
        let too_far = Entry {
            seq: MAX_SEQ + 1,
            ..e
        };
        assert_eq!(too_far.entry_hash(), Err(SeqOutOfRange));
        assert!(Entry { seq: MAX_SEQ, ..e }.entry_hash().is_ok());
    }

    #[test]
    fn entry_text_is_the_formatted_text() {
        for seq in [0, 7, 10, 99_999, MAX_SEQ] {
            for nanos in [0, -500_000_000, 12_345_678_901, i128::MAX, i128::MIN] {
                let e = Entry {
                    seq,
                    item_hash: keccak256(&seq.to_be_bytes()),
                    balance_after: Amount::from_nanos(nanos),
                };
                let want = alloc::format!(
                    "{{\"balanceAfter\":\"{}\",\"itemHash\":\"{}\",\"seq\":{}}}",
                    e.balance_after,
                    e.item_hash,
                    e.seq
                );
                assert_eq!(e.canonical().unwrap(), want);
                assert_eq!(
                    e.entry_hash().unwrap(),
                    tagged_hash(ENTRY_TAG, want.as_bytes())
                );
            }
        }
    }
}
