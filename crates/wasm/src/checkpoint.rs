//! Signed checkpoints (C2SP signed notes closing a billing period).

use crate::args::{self, MAX_SAFE_INTEGER};
use crate::error::{error, from_core};
use alloc::{format, string::String, string::ToString, vec::Vec};
use vericord_core::checkpoint::CheckpointError;
use vericord_core::Checkpoint;
use wasm_bindgen::prelude::*;

/// `verifyCheckpoint(note, trustedVerifierKeys)`: the verified checkpoint as
/// `{origin, size, root, period, opening, closing, count}`, or throws.
#[wasm_bindgen(js_name = verifyCheckpoint)]
pub fn verify_checkpoint(note: JsValue, trusted: JsValue) -> Result<JsValue, JsValue> {
    let note = args::string(&note, "note")?;
    let keys = args::strings(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cp = Checkpoint::verify(&note, &keys).map_err(|e| from_core("checkpoint:", &e))?;
    to_object(&cp)
}

/// A verified checkpoint as a plain object; sizes must be exact JS numbers
/// (sequence numbers stay below 2^53 by spec).
pub fn to_object(cp: &Checkpoint) -> Result<JsValue, JsValue> {
    if cp.size > MAX_SAFE_INTEGER {
        let e = CheckpointError::MalformedBody("tree size above 2^53 - 1");
        return Err(error(e.code(), &format!("checkpoint: {e}")));
    }
    let out = js_sys::Object::new();
    // Setting properties on a fresh plain object cannot fail.
    let set = |key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&out, &JsValue::from_str(key), &value);
    };
    set("origin", cp.origin.as_str().into());
    set("size", (cp.size as f64).into());
    set("root", cp.root.to_hex().into());
    set("period", cp.period.as_str().into());
    set("opening", cp.opening.to_string().into());
    set("closing", cp.closing.to_string().into());
    set("count", (cp.count as f64).into());
    Ok(out.into())
}
