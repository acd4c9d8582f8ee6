//! Customer receipts, verified whole: checkpoint, items, entries, proofs, balances.

use crate::args;
use crate::checkpoint::to_json;
use crate::error::from_core;
use alloc::{string::String, vec::Vec};
use vericord_core::verify_receipt as verify;
use wasm_bindgen::prelude::*;

/// `verifyReceipt(receipt, trustedVerifierKeys)`: `receipt` is the `data` of
/// `GET /api/v1/balance/receipt/:customerId` (an object, its JSON text or that text's UTF-8
/// bytes). Returns the
/// signed checkpoint it is under (as `verifyCheckpoint` does: JSON text), or throws.
#[wasm_bindgen(js_name = verifyReceipt)]
pub fn verify_receipt(receipt: JsValue, trusted: JsValue) -> Result<String, JsValue> {
    let json = args::json_text(&receipt, "receipt")?;
    let keys = args::strings(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cp = verify(&json, &keys).map_err(|e| from_core("receipt:", &e))?;
    to_json(&cp)
}
