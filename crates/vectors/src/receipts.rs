//! `receipts.json`: whole customer receipts (the `data` of `GET /api/v1/balance/receipt/:id`,
//! reduced to what a verifier reads) for logs and periods of several shapes, and tampered ones
//! that must be refused with their code.

use crate::sample::{receipt, AMOUNTS};
use crate::util::{checkpoint_json, envelope};
use serde_json::{json, Value};
use vericord_core::hash::tagged_hash;
use vericord_core::{item_hash, verify_receipt, Amount, Checkpoint, CheckpointSigner};

const NAME: &str = "vericord.test";

fn signer(label: &str) -> CheckpointSigner {
    let seed = tagged_hash("vericord:vector-seed:v1", label.as_bytes()).0;
    CheckpointSigner::from_seed(NAME, &seed).expect("valid signer")
}

fn verify(r: &Value, key: &str) -> Result<Checkpoint, &'static str> {
    verify_receipt(&r.to_string(), &[key]).map_err(|e| e.code())
}

pub fn build() -> Value {
    let current = signer("receipts");
    let key = current.verifier_key();
    let mut valid = Vec::new();
    for (len, start, description) in [
        (
            0,
            0,
            "an empty log: no records, null boundaries, opening and closing 0",
        ),
        (1, 0, "one record"),
        (5, 0, "a whole log of 5"),
        (
            9,
            4,
            "the last 5 of 9: an opening boundary proves the opening balance",
        ),
        (
            9,
            9,
            "a period with no records after 9: both boundaries are the last entry",
        ),
        (
            9,
            8,
            "the last record of 9, a negative delta with 9 decimals",
        ),
    ] {
        let r = receipt(&current, &AMOUNTS[..len], start);
        let cp = verify(&r, &key).expect("a valid receipt");
        valid.push(
            json!({"description": description, "receipt": r, "checkpoint": checkpoint_json(&cp)}),
        );
    }

    let base = receipt(&current, &AMOUNTS, 4);
    let tampered = |description: &str, error: &str, edit: &dyn Fn(&mut Value)| {
        let mut r = base.clone();
        edit(&mut r);
        assert_eq!(verify(&r, &key).err(), Some(error), "{description}");
        json!({"description": description, "receipt": r, "error": error})
    };
    let note = base["checkpoint"]["note"]
        .as_str()
        .expect("note")
        .to_string();
    let mut invalid = vec![
        tampered("a record's reason changed", "ITEM_HASH_MISMATCH", &|r| {
            r["deltas"][1]["item"]["reason"] = json!("other")
        }),
        tampered(
            "a record's amount changed, with a matching itemHash",
            "ENTRY_HASH_MISMATCH",
            &|r| {
                r["deltas"][1]["item"]["delta"] = json!("8");
                r["deltas"][1]["itemHash"] =
                    json!(item_hash(&r["deltas"][1]["item"]).expect("item").to_hex());
            },
        ),
        tampered(
            "an amount in non-canonical text",
            "RECEIPT_AMOUNT_INVALID",
            &|r| r["deltas"][0]["item"]["delta"] = json!("-3.0"),
        ),
        tampered(
            "a recordId that is not the item's",
            "RECEIPT_RECORD_MISMATCH",
            &|r| r["deltas"][0]["recordId"] = json!("rec_x"),
        ),
        tampered("two records swapped", "RECEIPT_SEQUENCE_MISMATCH", &|r| {
            r["deltas"].as_array_mut().expect("array").swap(0, 1)
        }),
        tampered("a record left out", "RECEIPT_INCOMPLETE", &|r| {
            r["deltas"].as_array_mut().expect("array").remove(2);
        }),
        tampered("a proof sibling replaced", "ROOT_MISMATCH", &|r| {
            r["deltas"][2]["proof"][0] = json!(format!("0x{}", "11".repeat(32)))
        }),
        tampered("a proof one hash short", "PROOF_LENGTH", &|r| {
            r["deltas"][2]["proof"].as_array_mut().expect("array").pop();
        }),
        tampered("the opening boundary dropped", "RECEIPT_MALFORMED", &|r| {
            r["boundaries"]["opening"] = Value::Null
        }),
        tampered(
            "the closing boundary's item changed",
            "ITEM_HASH_MISMATCH",
            &|r| r["boundaries"]["closing"]["item"]["reason"] = json!("x"),
        ),
        tampered(
            "proofRoot not the signed root",
            "RECEIPT_CHECKPOINT_MISMATCH",
            &|r| r["proofRoot"] = json!(format!("0x{}", "22".repeat(32))),
        ),
        tampered(
            "another customer's reference",
            "RECEIPT_CHECKPOINT_MISMATCH",
            &|r| r["customerReference"] = json!("0x0000000000000000000000000000000000000001"),
        ),
        tampered(
            "the signed closing balance edited",
            "CHECKPOINT_SIGNATURE_INVALID",
            &|r| r["checkpoint"]["note"] = json!(note.replace("\nclosing ", "\nclosing 1")),
        ),
        tampered("deltas not an array", "RECEIPT_MALFORMED", &|r| {
            r["deltas"] = json!({})
        }),
    ];
    // Validly signed checkpoints whose balances are not the log's.
    let signed = verify(&base, &key).expect("base verifies");
    let one: Amount = "1".parse().expect("amount");
    for (description, error, cp) in [
        (
            "a signed closing balance the records do not reach",
            "RECEIPT_BALANCE_MISMATCH",
            Checkpoint {
                closing: signed.closing.checked_add(one).expect("no overflow"),
                ..signed.clone()
            },
        ),
        (
            "a signed opening balance that is not the log's",
            "ENTRY_HASH_MISMATCH",
            Checkpoint {
                opening: signed.opening.checked_add(one).expect("no overflow"),
                ..signed.clone()
            },
        ),
    ] {
        let note = cp.sign(&current).expect("signs");
        invalid.push(tampered(description, error, &|r| {
            r["checkpoint"]["note"] = json!(note)
        }));
    }
    let other = receipt(&signer("receipts-other"), &AMOUNTS, 4);
    assert_eq!(verify(&other, &key).err(), Some("CHECKPOINT_UNTRUSTED"));
    invalid.push(json!({"description": "signed by a key that is not trusted", "receipt": other, "error": "CHECKPOINT_UNTRUSTED"}));

    envelope(
        "Whole customer receipts: verifyReceipt(receipt, [trusted]) returns checkpoint for every valid one and fails with error for every invalid one. Receipts are reduced to the fields a verifier reads.",
        vec![("trusted", json!([key])), ("valid", Value::from(valid)), ("invalid", Value::from(invalid))],
    )
}
