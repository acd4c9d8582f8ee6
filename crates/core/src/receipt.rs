//! Verifying a customer receipt offline (`GET /api/v1/balance/receipt/:customerId`, `docs/SPEC.md`
//! §10): the signed checkpoint, then every record of the period — item → `itemHash`,
//! (`seq`, `itemHash`, running balance) → `entryHash`, inclusion under the signed root — with the
//! running balance carried exactly from the signed opening to the signed closing balance, and
//! the boundary entries that prove those two balances.
//!
//! Only the signed note, the items and the proofs are trusted inputs here; the receipt's JSON
//! numbers (floats, for display) are never read.

use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::jcs::{self, Tree};
use crate::merkle::{InclusionError, RootHash};
use crate::record::{item_hash_canonical, Entry};
use crate::{Amount, Hash};

/// Which entry of a receipt a fault is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryAt {
    /// `deltas[i]`.
    Delta(usize),
    /// `boundaries.opening`: the entry before the period.
    Opening,
    /// `boundaries.closing`: the period's last entry (the log's at the checkpoint).
    Closing,
}

/// What is wrong with one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryFault {
    /// Its `sequenceNumber` is not its place in the log.
    Sequence,
    /// Its `recordId` differs from its item's.
    RecordId,
    /// Its item's `delta` is not a canonical amount.
    Amount,
    /// `itemHash` is not the hash of its item.
    ItemHash,
    /// `entryHash` is not the hash of (seq, itemHash, running balance).
    EntryHash,
    /// Its inclusion proof does not lead to the signed root.
    Inclusion(InclusionError),
}

/// Why a receipt was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiptError {
    /// Not valid JSON, or a field is missing or of the wrong type; names the field.
    Malformed(&'static str),
    /// The checkpoint's signed note did not verify.
    Checkpoint(CheckpointError),
    /// A field disagrees with the signed checkpoint; names the field.
    CheckpointMismatch(&'static str),
    /// The records are not all of the period's (a page of a receipt, or some left out).
    Incomplete {
        /// Records the checkpoint signs for.
        expected: u64,
        /// Records in the receipt.
        got: usize,
    },
    /// One entry fails a check.
    Entry {
        /// Which entry.
        at: EntryAt,
        /// What fails.
        fault: EntryFault,
    },
    /// The records do not add up to the signed closing balance.
    BalanceMismatch,
}

impl ReceiptError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::Malformed(_) => "RECEIPT_MALFORMED",
            ReceiptError::Checkpoint(e) => e.code(),
            ReceiptError::CheckpointMismatch(_) => "RECEIPT_CHECKPOINT_MISMATCH",
            ReceiptError::Incomplete { .. } => "RECEIPT_INCOMPLETE",
            ReceiptError::Entry { fault, .. } => match fault {
                EntryFault::Sequence => "RECEIPT_SEQUENCE_MISMATCH",
                EntryFault::RecordId => "RECEIPT_RECORD_MISMATCH",
                EntryFault::Amount => "RECEIPT_AMOUNT_INVALID",
                EntryFault::ItemHash => "ITEM_HASH_MISMATCH",
                EntryFault::EntryHash => "ENTRY_HASH_MISMATCH",
                EntryFault::Inclusion(e) => e.code(),
            },
            ReceiptError::BalanceMismatch => "RECEIPT_BALANCE_MISMATCH",
        }
    }
}

impl fmt::Display for EntryAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryAt::Delta(i) => write!(f, "deltas[{i}]"),
            EntryAt::Opening => f.write_str("boundaries.opening"),
            EntryAt::Closing => f.write_str("boundaries.closing"),
        }
    }
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::Malformed(field) => write!(f, "{field} is missing or malformed"),
            ReceiptError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            ReceiptError::CheckpointMismatch(field) => {
                write!(f, "{field} differs from the signed checkpoint")
            }
            ReceiptError::Incomplete { expected, got } => write!(
                f,
                "the checkpoint signs for {expected} records, the receipt has {got}: fetch the whole period"
            ),
            ReceiptError::Entry { at, fault } => match fault {
                EntryFault::Sequence => write!(f, "{at}: sequenceNumber is not its place in the log"),
                EntryFault::RecordId => write!(f, "{at}: recordId differs from its item's"),
                EntryFault::Amount => write!(f, "{at}: item.delta is not a canonical amount"),
                EntryFault::ItemHash => write!(f, "{at}: itemHash is not the hash of its item"),
                EntryFault::EntryHash => write!(
                    f,
                    "{at}: entryHash does not commit to its item and the running balance"
                ),
                EntryFault::Inclusion(e) => write!(f, "{at}: inclusion proof: {e}"),
            },
            ReceiptError::BalanceMismatch => {
                f.write_str("the records do not add up to the signed closing balance")
            }
        }
    }
}

impl core::error::Error for ReceiptError {}

fn field<'a>(v: &'a Tree, path: &[&str], name: &'static str) -> Result<&'a Tree, ReceiptError> {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .ok_or(ReceiptError::Malformed(name))
}

fn text<'a>(v: &'a Tree, path: &[&str], name: &'static str) -> Result<&'a str, ReceiptError> {
    field(v, path, name)?
        .as_str()
        .ok_or(ReceiptError::Malformed(name))
}

fn hash(v: &Tree, key: &str, name: &'static str) -> Result<Hash, ReceiptError> {
    text(v, &[key], name)?
        .parse()
        .map_err(|_| ReceiptError::Malformed(name))
}

/// Verifies a customer receipt (the route's `data` object, as JSON text) against trusted
/// verifier keys; returns the signed checkpoint it is under.
pub fn verify_receipt(json: &str, trusted: &[&str]) -> Result<Checkpoint, ReceiptError> {
    // I-JSON: a member named twice is refused, not read as its last copy (parsers disagree on
    // which copy counts, so one text could verify as two receipts).
    let receipt: Tree = jcs::parse_unique(json).map_err(|_| ReceiptError::Malformed("receipt"))?;
    let note = text(&receipt, &["checkpoint", "note"], "checkpoint.note")?;
    let cp = Checkpoint::verify(note, trusted).map_err(ReceiptError::Checkpoint)?;
    if !hash(&receipt, "proofRoot", "proofRoot")?.ct_eq(&cp.root) {
        return Err(ReceiptError::CheckpointMismatch("proofRoot"));
    }
    let reference = text(&receipt, &["customerReference"], "customerReference")?;
    let origin_ok = cp
        .origin
        .strip_suffix(reference)
        .is_some_and(|rest| rest.ends_with('/'));
    if !origin_ok {
        return Err(ReceiptError::CheckpointMismatch("customerReference"));
    }
    let deltas = field(&receipt, &["deltas"], "deltas")?
        .as_array()
        .ok_or(ReceiptError::Malformed("deltas"))?;
    if deltas.len() as u64 != cp.count {
        return Err(ReceiptError::Incomplete {
            expected: cp.count,
            got: deltas.len(),
        });
    }
    let head = RootHash::new(cp.root, cp.size);
    let start =
        (cp.size.checked_sub(cp.count)).ok_or(ReceiptError::Malformed("checkpoint.note"))?;
    let mut running = cp.opening;
    for (i, (entry, seq)) in deltas.iter().zip(start..).enumerate() {
        let at = EntryAt::Delta(i);
        let delta = text(entry, &["item", "delta"], "deltas[].item.delta")?;
        let amount = Amount::parse(delta)
            .ok()
            .filter(|a| a.to_string() == delta)
            .ok_or(ReceiptError::Entry {
                at,
                fault: EntryFault::Amount,
            })?;
        running = running
            .checked_add(amount)
            .ok_or(ReceiptError::BalanceMismatch)?;
        check_entry(entry, at, seq, running, &head)?;
    }
    if running != cp.closing {
        return Err(ReceiptError::BalanceMismatch);
    }
    let boundary = |key: &str| field(&receipt, &["boundaries", key], "boundaries");
    // The boundaries prove the signed balances themselves are the log's.
    match cp.size.checked_sub(1) {
        Some(last) => check_entry(
            boundary("closing")?,
            EntryAt::Closing,
            last,
            cp.closing,
            &head,
        )?,
        None if boundary("closing")?.is_null() => {}
        None => return Err(ReceiptError::CheckpointMismatch("boundaries.closing")),
    }
    match start.checked_sub(1) {
        Some(before) => check_entry(
            boundary("opening")?,
            EntryAt::Opening,
            before,
            cp.opening,
            &head,
        )?,
        None if boundary("opening")?.is_null() && cp.opening == Amount::ZERO => {}
        None => return Err(ReceiptError::CheckpointMismatch("boundaries.opening")),
    }
    Ok(cp)
}

/// One entry at log position `seq` with running balance `balance` after it.
fn check_entry(
    entry: &Tree,
    at: EntryAt,
    seq: u64,
    balance: Amount,
    head: &RootHash,
) -> Result<(), ReceiptError> {
    let fault = |fault| ReceiptError::Entry { at, fault };
    let item = field(entry, &["item"], "item")?;
    if !item.is_object() {
        return Err(ReceiptError::Malformed("item"));
    }
    if entry.get("sequenceNumber").and_then(Tree::as_u64) != Some(seq) {
        return Err(fault(EntryFault::Sequence));
    }
    if entry.get("recordId").is_none() || item.get("recordId") != entry.get("recordId") {
        return Err(fault(EntryFault::RecordId));
    }
    let computed = item_hash_canonical(&jcs::canonical(item));
    if !computed.ct_eq(&hash(entry, "itemHash", "itemHash")?) {
        return Err(fault(EntryFault::ItemHash));
    }
    let entry_hash = Entry {
        seq,
        item_hash: computed,
        balance_after: balance,
    }
    .entry_hash()
    .map_err(|_| fault(EntryFault::Sequence))?;
    if !entry_hash.ct_eq(&hash(entry, "entryHash", "entryHash")?) {
        return Err(fault(EntryFault::EntryHash));
    }
    let proof = field(entry, &["proof"], "proof")?
        .as_array()
        .ok_or(ReceiptError::Malformed("proof"))?
        .iter()
        .map(|p| p.as_str().and_then(|s| s.parse().ok()))
        .collect::<Option<Vec<Hash>>>()
        .ok_or(ReceiptError::Malformed("proof"))?;
    head.verify_inclusion(&entry_hash, seq, &proof)
        .map_err(|e| fault(EntryFault::Inclusion(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const KEY: &str = "vericord.test+e153bc4e+AT7wEg+ASj+VTw29XL9qUil0gGWz8m5DACcESzBZk7Dp";
    /// `tests/vectors/receipts.json`'s empty-log receipt.
    const EMPTY_LOG: &str = concat!(
        r#"{"customerReference":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","#,
        r#""proofRoot":"0x0000000000000000000000000000000000000000000000000000000000000000","#,
        r#""checkpoint":{"note":"vericord.test/sandbox/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n0\n"#,
        r#"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nperiod 2026-04\nopening 0\nclosing 0\ncount 0\n\n"#,
        r#"\u2014 vericord.test 4VO8TlE18UcT6d0QaRNbSZHHvEInMckXLjUjy5rYeoLEUHXj64Xg48LaDCKIMJIFzJyo8IoGbVaNdZwXAXss4sXHPQ8=\n"},"#,
        r#""verification":{"treeSize":0},"deltas":[],"boundaries":{"opening":null,"closing":null}}"#
    );

    /// Found by the `receipt` fuzz target (`fuzz/regressions/receipt/`): a member written twice
    /// verified, read as its last copy, so a reader taking the first copy saw another receipt.
    #[test]
    fn a_member_named_twice_is_refused() {
        assert!(verify_receipt(EMPTY_LOG, &[KEY]).is_ok());
        let twice = [
            // The fuzzer's input, minimized: the first member repeated with its own value.
            EMPTY_LOG.replacen('{', r#"{"boundaries":{"opening":null,"closing":null},"#, 1),
            // A first copy of proofRoot that disagrees with the signed root.
            EMPTY_LOG.replacen(
                '{',
                &format!(r#"{{"proofRoot":"0x{}","#, "11".repeat(32)),
                1,
            ),
            // Inside a nested object.
            EMPTY_LOG.replace(r#""treeSize":0"#, r#""treeSize":0,"treeSize":1"#),
        ];
        for text in &twice {
            assert_eq!(
                verify_receipt(text, &[KEY]),
                Err(ReceiptError::Malformed("receipt")),
                "{text}"
            );
        }
    }
}
