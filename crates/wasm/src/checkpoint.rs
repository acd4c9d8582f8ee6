//! Signed checkpoints (C2SP signed notes closing a billing period).

use crate::args::{self, MAX_SAFE_INTEGER};
use crate::error::{error, from_core};
use alloc::{format, string::String, vec::Vec};
use vericord_core::checkpoint::CheckpointError;
use vericord_core::Checkpoint;
use wasm_bindgen::prelude::*;

/// `verifyCheckpoint(note, trustedVerifierKeys)`: the verified checkpoint as the JSON text of
/// `{origin, size, root, period, opening, closing, count}` (api.js parses it), or throws.
#[wasm_bindgen(js_name = verifyCheckpoint)]
pub fn verify_checkpoint(note: JsValue, trusted: JsValue) -> Result<String, JsValue> {
    let note = args::string(&note, "note")?;
    let keys = args::strings(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cp = Checkpoint::verify(&note, &keys).map_err(|e| from_core("checkpoint:", &e))?;
    to_json(&cp)
}

/// A verified checkpoint as JSON text for `JSON.parse`: text, not a JS object built member by
/// member, so the package needs no code for it. Sizes must be exact JS numbers (sequence
/// numbers stay below 2^53 by spec; the count is at most the size).
pub fn to_json(cp: &Checkpoint) -> Result<String, JsValue> {
    if cp.size > MAX_SAFE_INTEGER {
        let e = CheckpointError::MalformedBody("tree size above 2^53 - 1");
        return Err(error(e.code(), &format!("checkpoint: {e}")));
    }
    Ok(cp.to_json())
}
