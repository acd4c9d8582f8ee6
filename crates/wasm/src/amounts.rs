//! Exact amounts: text in, canonical text out; no JS number ever holds money.

use crate::args;
use crate::error::from_core;
use alloc::{string::String, string::ToString};
use vericord_core::Amount;
use wasm_bindgen::prelude::*;

/// `parseAmount(text)`: canonical text of any amount (e.g. a balance).
#[wasm_bindgen(js_name = parseAmount)]
pub fn parse_amount(text: JsValue) -> Result<String, JsValue> {
    let text = args::string(&text, "amount")?;
    Amount::parse(&text)
        .map(|a| a.to_string())
        .map_err(|e| from_core("amount", &e))
}

/// `parseDelta(text)`: canonical text of a delta (non-zero, |delta| ≤ 1e9).
#[wasm_bindgen(js_name = parseDelta)]
pub fn parse_delta(text: JsValue) -> Result<String, JsValue> {
    let text = args::string(&text, "delta")?;
    Amount::parse_delta(&text)
        .map(|a| a.to_string())
        .map_err(|e| from_core("delta", &e))
}
