//! Canonical JSON and the hashes that commit to records.

use crate::args;
use crate::error::{error, from_core, INVALID_ARGUMENT};
use alloc::string::String;
use js_sys::Uint8Array;
use vericord_core::jcs::{self, JcsError};
use vericord_core::{record, Amount, Entry, Environment};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// JSON text of an item: a string is taken as JSON text as-is; an object or
/// array goes through `JSON.stringify`, so it hashes exactly as the JSON
/// text it would be sent as.
fn json_text(item: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = item.as_string() {
        return Ok(text);
    }
    if !item.is_object() {
        return Err(error(
            INVALID_ARGUMENT,
            "item must be an object or JSON text",
        ));
    }
    let text = js_sys::JSON::stringify(item).map_err(|e| {
        // e.g. a BigInt or a cycle: JSON cannot express it.
        let why = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()));
        from_core("item", &JcsError::Invalid(why.unwrap_or_default()))
    })?;
    text.as_string()
        .ok_or_else(|| error(INVALID_ARGUMENT, "item must be an object or JSON text"))
}

/// `itemHash(item)`: `keccak256("vericord:item:v1" ‖ 0x00 ‖ JCS(item))`.
#[wasm_bindgen(js_name = itemHash)]
pub fn item_hash(item: JsValue) -> Result<String, JsValue> {
    let canonical =
        jcs::canonicalize_text(&json_text(&item)?).map_err(|e| from_core("item", &e))?;
    Ok(record::item_hash_canonical(&canonical).to_hex())
}

/// `entryHash({seq, itemHash, balanceAfter})`: the leaf of a customer's log.
#[wasm_bindgen(js_name = entryHash)]
pub fn entry_hash(entry: JsValue) -> Result<String, JsValue> {
    let seq = args::uint(&args::field(&entry, "seq", "entry")?, "entry.seq")?;
    let item_hash = args::hash(&args::field(&entry, "itemHash", "entry")?, "entry.itemHash")?;
    let balance = args::string(
        &args::field(&entry, "balanceAfter", "entry")?,
        "entry.balanceAfter",
    )?;
    let balance_after = Amount::parse(&balance).map_err(|e| from_core("entry.balanceAfter", &e))?;
    let entry = Entry {
        seq,
        item_hash,
        balance_after,
    };
    let hash = entry
        .entry_hash()
        .map_err(|e| from_core("entry.seq:", &e))?;
    Ok(hash.to_hex())
}

/// `canonicalize(jsonText)`: RFC 8785 (JCS) text.
#[wasm_bindgen]
pub fn canonicalize(json: JsValue) -> Result<String, JsValue> {
    jcs::canonicalize_text(&args::string(&json, "json")?).map_err(|e| from_core("json", &e))
}

/// `keccak256(bytes)`: Keccak-256 (Ethereum's, not SHA3-256) as `0x…` hex.
#[wasm_bindgen]
pub fn keccak256(bytes: JsValue) -> Result<String, JsValue> {
    let bytes = bytes
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| error(INVALID_ARGUMENT, "bytes must be a Uint8Array"))?;
    Ok(vericord_core::keccak256(&bytes.to_vec()).to_hex())
}

/// `customerReference(tenantId, environment, customerId)`: EIP-55 cased.
#[wasm_bindgen(js_name = customerReference)]
pub fn customer_reference(
    tenant_id: JsValue,
    environment: JsValue,
    customer_id: JsValue,
) -> Result<String, JsValue> {
    let tenant_id = args::string(&tenant_id, "tenantId")?;
    let environment =
        Environment::parse(&args::string(&environment, "environment")?).ok_or_else(|| {
            error(
                INVALID_ARGUMENT,
                "environment must be \"sandbox\" or \"production\"",
            )
        })?;
    let customer_id = args::string(&customer_id, "customerId")?;
    Ok(vericord_core::customer_reference(
        &tenant_id,
        environment,
        &customer_id,
    ))
}
