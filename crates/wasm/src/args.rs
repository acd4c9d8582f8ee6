//! Checked conversion of JS arguments to core types.

use crate::error::{error, from_core, INVALID_ARGUMENT};
use alloc::{format, string::String, vec::Vec};
use core::fmt::{self, Display};
use js_sys::{Array, Uint8Array};
use vericord_core::{Checkpoint, Hash};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};

/// `Number.MAX_SAFE_INTEGER`: larger JS numbers are not exact integers.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Argument names are `Display` so that element names (`proof[3]`) are only
/// formatted on the error path, not for every hash of every proof.
pub fn string(value: &JsValue, name: impl Display) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| error(INVALID_ARGUMENT, &format!("{name} must be a string")))
}

/// A size or index: a safe non-negative integer Number, or a BigInt in `u64`.
pub fn uint(value: &JsValue, name: &str) -> Result<u64, JsValue> {
    let bad = || {
        error(
            INVALID_ARGUMENT,
            &format!("{name} must be a non-negative safe integer or a BigInt below 2^64"),
        )
    };
    if let Some(n) = value.as_f64() {
        return uint_number(n, name);
    }
    u64::try_from_js_value_ref(value).ok_or_else(bad)
}

/// [`uint`] of a JS Number: a safe non-negative integer, or the same error.
pub fn uint_number(n: f64, name: &str) -> Result<u64, JsValue> {
    // Range-checked before the cast, so the cast is exact; it round-trips only for integers
    // (f64::fract is std-only).
    if (0.0..=MAX_SAFE_INTEGER as f64).contains(&n) && n as u64 as f64 == n {
        Ok(n as u64)
    } else {
        Err(error(
            INVALID_ARGUMENT,
            &format!("{name} must be a non-negative safe integer or a BigInt below 2^64"),
        ))
    }
}

pub fn hash(value: &JsValue, name: impl Display) -> Result<Hash, JsValue> {
    string(value, &name)?
        .parse()
        .map_err(|e| from_core(name, &e))
}

/// `name[index]`.
struct Element<'a>(&'a str, usize);

impl Display for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// A JS array, element by element.
fn array<T>(
    value: &JsValue,
    name: &str,
    each: impl Fn(&JsValue, Element) -> Result<T, JsValue>,
) -> Result<Vec<T>, JsValue> {
    let array = value
        .dyn_ref::<Array>()
        .ok_or_else(|| error(INVALID_ARGUMENT, &format!("{name} must be an array")))?;
    array
        .iter()
        .enumerate()
        .map(|(i, v)| each(&v, Element(name, i)))
        .collect()
}

pub fn hashes(value: &JsValue, name: &str) -> Result<Vec<Hash>, JsValue> {
    array(value, name, |v, n| hash(v, n))
}

pub fn strings(value: &JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    array(value, name, |v, n| string(v, n))
}

/// A JSON document argument: a string is taken as its JSON text as-is; a `Uint8Array` (a Node
/// `Buffer` too) as its UTF-8 bytes, copied once, with no UTF-16 round trip (bytes that are not
/// UTF-8 are not JSON text, RFC 8259 §8.1: an `INVALID_ARGUMENT`, never silently replaced); an
/// object or array goes through `JSON.stringify` (which keeps every string exact, so amounts as
/// text survive a `JSON.parse` round trip). Anything else, or an object JSON cannot express (a
/// BigInt, a cycle), is an `INVALID_ARGUMENT`.
pub fn json_text(value: &JsValue, name: &str) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return String::from_utf8(bytes.to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            error(
                INVALID_ARGUMENT,
                &format!("{name} is not UTF-8 text (invalid byte at offset {at})"),
            )
        });
    }
    if !value.is_object() {
        return Err(error(
            INVALID_ARGUMENT,
            &format!("{name} must be an object or a JSON string"),
        ));
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            error(
                INVALID_ARGUMENT,
                &format!("{name} cannot be serialized as JSON"),
            )
        })
}

/// Trusted verifier keys (`name+id+base64key`): an array of strings, each one a key the
/// signed-note verifier accepts, so a typo in a pinned key is a coded error, not a failed
/// verification.
pub fn verifier_keys(value: &JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    array(value, name, |v, n| {
        let key = string(v, &n)?;
        Checkpoint::check_verifier_key(&key).map_err(|e| {
            let why = format!("{n} is not a verifier key (name+id+base64 key)");
            error(e.code(), &why)
        })?;
        Ok(key)
    })
}

/// A property of an object argument.
pub fn field(object: &JsValue, key: &str, name: &str) -> Result<JsValue, JsValue> {
    if !object.is_object() {
        return Err(error(
            INVALID_ARGUMENT,
            &format!("{name} must be an object"),
        ));
    }
    js_sys::Reflect::get(object, &JsValue::from_str(key))
        .map_err(|_| error(INVALID_ARGUMENT, &format!("{name}.{key} could not be read")))
}
