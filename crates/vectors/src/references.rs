//! `references.json`: customerReference for both environments and awkward ids.

use crate::util::envelope;
use serde_json::{json, Value};
use vericord_core::{customer_reference, Environment};

/// (tenantId, customerId). `("t1", "x")` / `("t", "1x")` show the separators
/// at work; ids differing only in case or whitespace must differ.
const CASES: &[(&str, &str)] = &[
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "cust_1001"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "CUST_1001"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "cust_1001 "),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "acme:customer/42"),
    (
        "ten_01HZX3V8K9QJ4M2N7P5R6S8T0V",
        "клиент-№7 \"quoted\" \\ path",
    ),
    (
        "ten_01HZX3V8K9QJ4M2N7P5R6S8T0V",
        "0x52908400098527886E0F7030069857D2E4169EE7",
    ),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "ünïcødé"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "u\u{308}n\u{308}"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "😀🔑"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "日本語の顧客"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", "tab\there\nnewline"),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", ""),
    ("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", " "),
    ("t1", "x"),
    ("t", "1x"),
    ("", ""),
    ("tenant-ü", "cust_1001"),
];

pub fn build() -> Value {
    let long_id = "0123456789abcdef".repeat(16);
    let cases = CASES
        .iter()
        .map(|&(t, c)| (t, c.to_string()))
        .chain([("ten_01HZX3V8K9QJ4M2N7P5R6S8T0V", long_id)]);
    let mut rows = Vec::new();
    for (tenant, customer) in cases {
        for env in [Environment::Sandbox, Environment::Production] {
            let reference = customer_reference(tenant, env, &customer);
            rows.push(json!({
                "tenantId": tenant,
                "environment": env.as_str(),
                "customerId": customer,
                "customerReference": reference,
            }));
        }
    }
    envelope(
        "customerReference = 0x + EIP-55 casing of the last 20 bytes of \
         keccak256(\"vericord:customer:v1\" || 0x00 || tenantId || 0x00 || environment || 0x00 || \
         customerId), strings as UTF-8 bytes, environment \"sandbox\" or \"production\".",
        vec![("references", Value::from(rows))],
    )
}
