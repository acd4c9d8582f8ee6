//! Customer receipts, verified whole: checkpoint, items, entries, proofs, balances.

use crate::args;
use crate::checkpoint::to_object;
use crate::error::{error, from_core, INVALID_ARGUMENT};
use vericord_core::verify_receipt as verify;
use wasm_bindgen::prelude::*;

/// `verifyReceipt(receipt, trustedVerifierKeys)`: `receipt` is the `data` of
/// `GET /api/v1/balance/receipt/:customerId` (an object, or its JSON text). Returns the
/// signed checkpoint it is under (as `verifyCheckpoint` does), or throws.
#[wasm_bindgen(js_name = verifyReceipt)]
pub fn verify_receipt(receipt: JsValue, trusted: JsValue) -> Result<JsValue, JsValue> {
    let json = match receipt.as_string() {
        Some(text) => text,
        None if receipt.is_object() => js_sys::JSON::stringify(&receipt)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| error(INVALID_ARGUMENT, "receipt cannot be serialized as JSON"))?,
        None => {
            return Err(error(
                INVALID_ARGUMENT,
                "receipt must be an object or a JSON string",
            ))
        }
    };
    let keys = args::strings(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cp = verify(&json, &keys).map_err(|e| from_core("receipt:", &e))?;
    to_object(&cp)
}
