//! `items.json`: realistic delta and write items with their JCS text and
//! itemHash, and a customer log of entries with running balances.

use crate::util::envelope;
use serde_json::{json, Map, Value};
use vericord_core::record::{Adjusts, Position, MAX_SEQ};
use vericord_core::{
    customer_reference, item_hash, Amount, DeltaItem, Entry, Environment, Hash, WriteItem,
};

const TENANT: &str = "ten_01HZX3V8K9QJ4M2N7P5R6S8T0V";

/// Metadata from JSON text: numbers stay as the JSON parser reads them.
fn meta(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text).expect("metadata literal") {
        Value::Object(m) => Some(m),
        _ => panic!("metadata must be an object"),
    }
}

fn delta(index: u32, count: u32, customer: &str, amount: &str, reason: &str) -> DeltaItem {
    DeltaItem {
        record_id: format!("rec_01J9ZQ4K7X3V8N2M5P6R{:06}", 100 * count + index),
        position: Position { index, count },
        received_at: format!("2026-04-01T10:30:{:02}.{:03}Z", index, 7 * index + 1),
        customer_reference: customer_reference(TENANT, Environment::Sandbox, customer),
        customer_id: customer.into(),
        delta: Amount::parse_delta(amount).expect("delta literal"),
        reason: reason.into(),
        reference_id: None,
        metadata: None,
        adjusts: None,
        vendor_account_id: None,
    }
}

fn deltas() -> Vec<DeltaItem> {
    let topup = DeltaItem {
        reference_id: Some("inv_2026_04_0001".into()),
        metadata: meta(
            r#"{"invoice":"INV-0001","source":"stripe","paidAt":"2026-04-01T10:29:58Z"}"#,
        ),
        ..delta(0, 5, "cust_1001", "25.00", "top-up")
    };
    let usage = DeltaItem {
        reference_id: Some("req_7f3a9c".into()),
        metadata: meta(
            r#"{"model":"gpt-x-mini","inputTokens":1234,"outputTokens":56,"unitPrice":0.000002,
                "tags":["chat","eu-west"],"note":"Café ☕ — naïve façade 😀 日本語 e\u0301",
                "ключ":"значение","nested":{"b":null,"a":true,"z":[1,2.50,-0]},
                "big":1e21,"tiny":1e-7,"maxSafe":9007199254740991,"ctl":"tab\tnl\nquote\"bs\\"}"#,
        ),
        ..delta(1, 5, "cust_1001", "-0.000002", "usage")
    };
    let correction = DeltaItem {
        reference_id: Some("adj_0001".into()),
        adjusts: Some(Adjusts::ReferenceId("inv_2026_04_0001".into())),
        metadata: meta(r#"{"ticket":"SUP-4411","approvedBy":"ops@vendor.example"}"#),
        ..delta(2, 5, "cust_1001", "-42.50", "refund correction")
    };
    let goodwill = DeltaItem {
        adjusts: Some(Adjusts::RecordId(topup.record_id.clone())),
        ..delta(3, 5, "cust_1001", "0.5", "goodwill credit")
    };
    let middleware = DeltaItem {
        reference_id: Some("mw-batch-2026-04/77".into()),
        vendor_account_id: Some("va_acme_inference".into()),
        metadata: meta(
            r#"{"🔑":"emoji key","\u00e9":"precomposed","e\u0301":"combining","\ufb33":"dalet","\ud83d\ude00":"grin"}"#,
        ),
        ..delta(4, 5, "acme:customer/42", "-1e9", "monthly plan")
    };
    let minimal = delta(0, 1, "cust_1001", "0.000000001", "rounding");
    let unicode_customer = DeltaItem {
        metadata: meta(r#"{"empty":{},"list":[],"nothing":null,"yes":true,"no":false}"#),
        ..delta(
            0,
            2,
            "клиент-№7 \"quoted\" \\ path",
            "999999999.999999999",
            "import",
        )
    };
    let small_debit = delta(1, 2, "cust_1001", "-1.000000001", "usage");
    vec![
        topup,
        usage,
        correction,
        goodwill,
        middleware,
        minimal,
        unicode_customer,
        small_debit,
    ]
}

fn writes() -> Vec<WriteItem> {
    let write =
        |index: u32, key: &str, bits: i64, metadata: Option<Map<String, Value>>| WriteItem {
            record_id: format!("rec_01J9ZQ4K7X3V8N2M5W{:06}", index),
            position: Position { index, count: 4 },
            received_at: "2026-04-02T00:00:00.000Z".into(),
            account_reference: customer_reference(TENANT, Environment::Production, "acct_77"),
            account_id: "acct_77".into(),
            key: key.into(),
            bits,
            metadata,
        };
    vec![
        write(0, "feature/flags", 0, None),
        write(
            1,
            "quota:2026-04",
            -1,
            meta(r#"{"why":"reset","by":"system"}"#),
        ),
        write(2, "counter.max", i64::MAX, None),
        write(3, "counter.min", i64::MIN, meta(r#"{"note":"ünïcødé ✓"}"#)),
    ]
}

fn item_row(item: Value, canonical: String) -> (Value, Hash) {
    let hash = item_hash(&item).expect("items canonicalize");
    let row = json!({"item": item, "canonical": canonical, "itemHash": hash.to_hex()});
    (row, hash)
}

fn entry_row(seq: u64, item_hash: Hash, balance_after: Amount) -> Value {
    let e = Entry {
        seq,
        item_hash,
        balance_after,
    };
    json!({
        "seq": seq,
        "itemHash": item_hash.to_hex(),
        "balanceAfter": balance_after.to_string(),
        "canonical": e.canonical().expect("seq < 2^53"),
        "entryHash": e.entry_hash().expect("seq < 2^53").to_hex(),
    })
}

pub fn build() -> Value {
    let mut items = Vec::new();
    let mut log = Vec::new();
    for d in deltas() {
        let (row, hash) = item_row(d.to_value(), d.canonical().expect("delta canonical"));
        items.push(row);
        if d.customer_id == "cust_1001" {
            log.push((hash, d.delta));
        }
    }
    for w in writes() {
        items.push(item_row(w.to_value(), w.canonical().expect("write canonical")).0);
    }
    // cust_1001's log in emit order, with its running balance.
    let mut entries = Vec::new();
    let mut balance = Amount::ZERO;
    for (seq, (hash, amount)) in (0u64..).zip(&log) {
        balance = balance.checked_add(*amount).expect("small sums");
        entries.push(entry_row(seq, *hash, balance));
    }
    // Edges: the largest sequence number and extreme or zero balances.
    let last = log[0].0;
    let extreme = Amount::parse("-99999999999999999999.999999999").expect("literal");
    entries.push(entry_row(MAX_SEQ, last, extreme));
    entries.push(entry_row(MAX_SEQ - 1, last, Amount::ZERO));
    entries.push(entry_row(
        4096,
        Hash::ZERO,
        Amount::parse("0.1").expect("literal"),
    ));
    envelope(
        "Record items and log entries. itemHash = keccak256(\"vericord:item:v1\" || 0x00 || \
         JCS(item)); entryHash = keccak256(\"vericord:entry:v1\" || 0x00 || JCS({seq, itemHash, \
         balanceAfter})). The first entries are cust_1001's delta items in order, with the \
         running balance from 0.",
        vec![
            ("items", Value::from(items)),
            ("entries", Value::from(entries)),
        ],
    )
}
