//! Close packages (`vericord.close-package/v1`): verified whole into a report of named checks,
//! and any record's inclusion proof derived from the package's compact range.

use crate::args::{self, MAX_SAFE_INTEGER};
use crate::error::{error, from_core};
use alloc::{format, string::String, vec::Vec};
use vericord_core::checkpoint::CheckpointError;
use vericord_core::close_package::{close_package_inclusion_proof, verify_close_package};
use wasm_bindgen::prelude::*;

/// `verifyClosePackage(pkg, trustedVerifierKeys)`: `pkg` is the package as JSON text, its
/// UTF-8 bytes (a `Uint8Array`) or a parsed object. Returns the report (`{verified, keysPinned, keys, key, checks, …facts}`);
/// a package that fails verification is a report with `verified: false`, not a throw. An
/// empty key list verifies against the package's own `verifierKeys` (`keysPinned: false`).
#[wasm_bindgen(js_name = verifyClosePackage)]
pub fn verify_close_package_js(pkg: JsValue, trusted: JsValue) -> Result<String, JsValue> {
    let json = args::json_text(&pkg, "pkg")?;
    let keys = args::verifier_keys(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    to_plain(verify_close_package(&json, &keys).to_json())
}

/// `closePackageInclusionProof(pkg, seq)`: `{root, size, index, leaf, proof}`, the RFC 9162
/// inclusion proof of record `seq` under the package's checkpoint, or throws. Derivation
/// only: verify the package first.
#[wasm_bindgen(js_name = closePackageInclusionProof)]
pub fn close_package_inclusion_proof_js(pkg: JsValue, seq: JsValue) -> Result<String, JsValue> {
    let json = args::json_text(&pkg, "pkg")?;
    let seq = args::uint(&seq, "seq")?;
    let proof =
        close_package_inclusion_proof(&json, seq).map_err(|e| from_core("inclusion proof:", &e))?;
    to_plain(proof.to_json())
}

/// A report's or proof's JSON text, which api.js turns into plain JS objects and arrays with
/// `JSON.parse` (`null`, never `undefined` or a `Map`). Its integers are tree sizes and counts,
/// exact JS numbers up to 2^53 − 1: a signed size beyond that (which no log reaches) is
/// refused as `verifyCheckpoint` refuses it.
pub fn to_plain(text: String) -> Result<String, JsValue> {
    let refused = || {
        let e = CheckpointError::MalformedBody("tree size above 2^53 - 1");
        error(e.code(), &format!("checkpoint: {e}"))
    };
    if exact_in_js(&text) {
        Ok(text)
    } else {
        Err(refused())
    }
}

/// Whether every number in the JSON text `text` (integers only, here) is at most 2^53 − 1.
fn exact_in_js(text: &str) -> bool {
    let (mut in_string, mut escaped, mut value) = (false, false, 0u64);
    for b in text.bytes() {
        if in_string {
            (in_string, escaped) = (escaped || b != b'"', !escaped && b == b'\\');
            continue;
        }
        if b.is_ascii_digit() {
            value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            if value > MAX_SAFE_INTEGER {
                return false;
            }
            continue;
        }
        value = 0;
        in_string = b == b'"';
    }
    true
}
