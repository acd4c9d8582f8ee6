//! Compare results (`vericord.compare/v1`): the entries between two checkpoints of one log,
//! verified whole into a report of named checks.

use crate::args;
use crate::close_package::to_plain;
use alloc::{string::String, vec::Vec};
use vericord_core::close_package::verify_compare;
use wasm_bindgen::prelude::*;

/// `verifyCompare(result, trustedVerifierKeys)`: `result` is the compare answer as JSON text,
/// its UTF-8 bytes or a parsed object. Returns the report, `verified: false` (not a throw) when it fails;
/// an empty key list verifies against the result's own `verifierKeys` (`keysPinned: false`).
#[wasm_bindgen(js_name = verifyCompare)]
pub fn verify_compare_js(result: JsValue, trusted: JsValue) -> Result<String, JsValue> {
    let json = args::json_text(&result, "result")?;
    let keys = args::verifier_keys(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    to_plain(verify_compare(&json, &keys).to_json())
}
