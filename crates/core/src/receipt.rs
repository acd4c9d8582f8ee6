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
use serde_json::Value;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::merkle::{InclusionError, RootHash};
use crate::record::{item_hash, Entry};
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

fn field<'a>(v: &'a Value, path: &[&str], name: &'static str) -> Result<&'a Value, ReceiptError> {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .ok_or(ReceiptError::Malformed(name))
}

fn text<'a>(v: &'a Value, path: &[&str], name: &'static str) -> Result<&'a str, ReceiptError> {
    field(v, path, name)?
        .as_str()
        .ok_or(ReceiptError::Malformed(name))
}

fn hash(v: &Value, key: &str, name: &'static str) -> Result<Hash, ReceiptError> {
    text(v, &[key], name)?
        .parse()
        .map_err(|_| ReceiptError::Malformed(name))
}

/// Verifies a customer receipt (the route's `data` object, as JSON text) against trusted
/// verifier keys; returns the signed checkpoint it is under.
pub fn verify_receipt(json: &str, trusted: &[&str]) -> Result<Checkpoint, ReceiptError> {
    let receipt: Value =
        serde_json::from_str(json).map_err(|_| ReceiptError::Malformed("receipt"))?;
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
    entry: &Value,
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
    if entry.get("sequenceNumber").and_then(Value::as_u64) != Some(seq) {
        return Err(fault(EntryFault::Sequence));
    }
    if entry.get("recordId").is_none() || item.get("recordId") != entry.get("recordId") {
        return Err(fault(EntryFault::RecordId));
    }
    let computed = item_hash(item).map_err(|_| ReceiptError::Malformed("item"))?;
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

/// Builds receipts the way the Worker does, for this module's tests and the vector generator.
#[doc(hidden)]
pub mod sample {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde_json::{json, Value};

    use crate::checkpoint::{Checkpoint, CheckpointSigner};
    use crate::merkle::MemoryTree;
    use crate::record::{DeltaItem, Entry, Position};
    use crate::{Amount, Hash};

    /// Amounts for sample logs: both signs, nine decimals, the ±1e9 extremes.
    pub const AMOUNTS: [&str; 9] = [
        "100",
        "-12.5",
        "0.000000001",
        "7",
        "-3",
        "1000000000",
        "-0.5",
        "42",
        "-999999999.999999999",
    ];

    /// A log of `amounts` (decimal texts) for one customer, and a receipt of its entries
    /// `start..` under a checkpoint signed by `signer`; returns the receipt's JSON.
    pub fn receipt(signer: &CheckpointSigner, amounts: &[&str], start: usize) -> Value {
        let reference = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let mut running = Amount::ZERO;
        let mut entries: Vec<(Value, Entry)> = Vec::new();
        for (i, text) in amounts.iter().enumerate() {
            let item = DeltaItem {
                record_id: format!("rec_{i:024x}"),
                position: Position { index: 0, count: 1 },
                received_at: format!("2026-04-01T10:{:02}:00.000Z", i % 60),
                customer_reference: String::from(reference),
                customer_id: String::from("cust_1"),
                delta: text.parse().unwrap_or(Amount::ZERO),
                reason: format!("usage {i}"),
                reference_id: None,
                metadata: Some(
                    json!({"n": i, "unit": "€", "x": 1e21})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
                adjusts: None,
                vendor_account_id: None,
            };
            running = running.checked_add(item.delta).unwrap_or(running);
            let value = item.to_value();
            let entry = Entry {
                seq: i as u64,
                item_hash: crate::record::item_hash(&value).unwrap_or(Hash::ZERO),
                balance_after: running,
            };
            entries.push((value, entry));
        }
        let leaves = entries
            .iter()
            .map(|(_, e)| e.entry_hash().unwrap_or(Hash::ZERO))
            .collect();
        let tree = MemoryTree::new(leaves);
        let size = tree.len();
        let balance = |n: usize| match n.checked_sub(1) {
            Some(i) => entries[i].1.balance_after,
            None => Amount::ZERO,
        };
        let cp = Checkpoint {
            origin: format!("vericord.test/sandbox/{reference}"),
            size,
            root: tree.root().root,
            period: String::from("2026-04"),
            opening: balance(start),
            closing: balance(entries.len()),
            count: size - start as u64,
        };
        let note = cp.sign(signer).unwrap_or_default();
        let json_of = |i: usize| {
            let (item, e) = &entries[i];
            let proof: Vec<String> = tree
                .inclusion_proof(e.seq, size)
                .unwrap_or_default()
                .iter()
                .map(Hash::to_hex)
                .collect();
            json!({"recordId": item["recordId"], "sequenceNumber": e.seq, "item": item,
                   "itemHash": e.item_hash.to_hex(), "entryHash": e.entry_hash().unwrap_or(Hash::ZERO).to_hex(),
                   "balanceAfter": 0, "proof": proof})
        };
        let boundary = |i: Option<usize>| i.map_or(Value::Null, json_of);
        json!({
            "customerReference": reference,
            "proofRoot": cp.root.to_hex(),
            "checkpoint": {"note": note},
            "verification": {"treeSize": size},
            "deltas": (start..entries.len()).map(json_of).collect::<Vec<_>>(),
            "boundaries": {"opening": boundary(start.checked_sub(1)), "closing": boundary(entries.len().checked_sub(1))},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{receipt, AMOUNTS};
    use super::*;
    use crate::CheckpointSigner;
    use alloc::string::ToString;
    use serde_json::json;

    fn signer() -> CheckpointSigner {
        CheckpointSigner::from_seed("vericord.test", &[7; 32]).unwrap()
    }

    fn check(receipt: &Value) -> Result<Checkpoint, ReceiptError> {
        let s = signer();
        verify_receipt(&receipt.to_string(), &[s.verifier_key().as_str()])
    }

    #[test]
    fn whole_logs_and_later_periods_verify() {
        for start in 0..AMOUNTS.len() {
            for len in start..=AMOUNTS.len() {
                let r = receipt(&signer(), &AMOUNTS[..len], start.min(len));
                let cp = check(&r).unwrap_or_else(|e| panic!("{start}..{len}: {e}"));
                assert_eq!(cp.count, (len - start.min(len)) as u64);
            }
        }
        let cp = check(&receipt(&signer(), &AMOUNTS, 2)).unwrap();
        assert_eq!(cp.opening.to_string(), "87.5");
        assert_eq!(cp.closing.to_string(), "133.000000002");
    }

    fn refused(r: &Value, code: &str) {
        match check(r) {
            Ok(_) => panic!("accepted, expected {code}"),
            Err(e) => assert_eq!(e.code(), code, "{e}"),
        }
    }

    #[test]
    fn every_tampering_is_refused_with_its_code() {
        let good = receipt(&signer(), &AMOUNTS, 2);
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut r = good.clone();
            f(&mut r);
            r
        };
        // Another amount with a matching itemHash: the entry no longer commits to it.
        refused(
            &edit(&|r| {
                r["deltas"][1]["item"]["delta"] = json!("8");
                r["deltas"][1]["itemHash"] =
                    json!(item_hash(&r["deltas"][1]["item"]).unwrap().to_hex());
            }),
            "ENTRY_HASH_MISMATCH",
        );
        refused(
            &edit(&|r| r["deltas"][1]["item"]["reason"] = json!("other")),
            "ITEM_HASH_MISMATCH",
        );
        refused(
            &edit(&|r| r["deltas"][1]["item"]["delta"] = json!("7.0")),
            "RECEIPT_AMOUNT_INVALID",
        );
        refused(
            &edit(&|r| r["deltas"][0]["recordId"] = json!("rec_x")),
            "RECEIPT_RECORD_MISMATCH",
        );
        refused(
            &edit(&|r| r["deltas"][0]["sequenceNumber"] = json!(3)),
            "RECEIPT_SEQUENCE_MISMATCH",
        );
        refused(
            &edit(&|r| r["deltas"][2]["proof"][0] = json!(Hash([1; 32]).to_hex())),
            "ROOT_MISMATCH",
        );
        refused(
            &edit(&|r| {
                r["deltas"][2]["proof"].as_array_mut().unwrap().pop();
            }),
            "PROOF_LENGTH",
        );
        refused(
            &edit(&|r| {
                r["deltas"].as_array_mut().unwrap().pop();
            }),
            "RECEIPT_INCOMPLETE",
        );
        refused(
            &edit(&|r| r["deltas"].as_array_mut().unwrap().swap(0, 1)),
            "RECEIPT_SEQUENCE_MISMATCH",
        );
        refused(
            &edit(&|r| r["boundaries"]["opening"] = Value::Null),
            "RECEIPT_MALFORMED",
        );
        refused(
            &edit(&|r| r["boundaries"]["closing"]["item"]["reason"] = json!("x")),
            "ITEM_HASH_MISMATCH",
        );
        refused(
            &edit(&|r| r["proofRoot"] = json!(Hash([2; 32]).to_hex())),
            "RECEIPT_CHECKPOINT_MISMATCH",
        );
        refused(
            &edit(&|r| {
                r["customerReference"] = json!("0x0000000000000000000000000000000000000001")
            }),
            "RECEIPT_CHECKPOINT_MISMATCH",
        );
        refused(
            &edit(&|r| {
                r["checkpoint"]["note"] = json!(r["checkpoint"]["note"]
                    .as_str()
                    .unwrap()
                    .replace("\nclosing ", "\nclosing 1"))
            }),
            "CHECKPOINT_SIGNATURE_INVALID",
        );
        refused(&edit(&|r| r["deltas"] = json!({})), "RECEIPT_MALFORMED");
        refused(
            &edit(&|r| r["deltas"][0]["proof"] = json!(["0x12"])),
            "RECEIPT_MALFORMED",
        );
        // Another key's receipt is not trusted.
        let other = CheckpointSigner::from_seed("vericord.test", &[8; 32]).unwrap();
        refused(&receipt(&other, &AMOUNTS, 2), "CHECKPOINT_UNTRUSTED");
        for text in ["", "[]", "{", "null", "{\"checkpoint\":{}}"] {
            let e = verify_receipt(text, &[]).unwrap_err();
            assert_eq!(e.code(), "RECEIPT_MALFORMED", "{text}");
        }
    }

    #[test]
    fn an_empty_log_has_null_boundaries_and_a_zero_balance() {
        let r = receipt(&signer(), &[], 0);
        let cp = check(&r).unwrap();
        assert_eq!((cp.size, cp.count), (0, 0));
    }
}
