//! Builds receipts the way the Worker does: for `receipts.json` and for the tests of
//! `verify_receipt` below (fixtures live here, not in the core library).

use serde_json::{json, Value};
use vericord_core::record::{DeltaItem, Position};
use vericord_core::{item_hash, Amount, Checkpoint, CheckpointSigner, Entry, Hash, MemoryTree};

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
            item_hash: item_hash(&value).unwrap_or(Hash::ZERO),
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

/// `verify_receipt` on sample receipts.
#[cfg(test)]
mod tests {
    use super::{receipt, AMOUNTS};
    use serde_json::{json, Value};
    use vericord_core::{
        item_hash, verify_receipt, Checkpoint, CheckpointSigner, Hash, ReceiptError,
    };

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
