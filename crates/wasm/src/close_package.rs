//! Close packages (`vericord.close-package/v1`): verified whole into a report of named checks,
//! and any record's inclusion proof derived from the package's compact range.

use crate::args;
use crate::error::{error, from_core};
use serde::Serialize;
use vericord_core::checkpoint::CheckpointError;
use vericord_core::close_package::{close_package_inclusion_proof, verify_close_package};
use wasm_bindgen::prelude::*;

/// `verifyClosePackage(pkg, trustedVerifierKeys)`: `pkg` is the package as JSON text, its
/// UTF-8 bytes (a `Uint8Array`) or a parsed object. Returns the report (`{verified, keysPinned, keys, key, checks, …facts}`);
/// a package that fails verification is a report with `verified: false`, not a throw. An
/// empty key list verifies against the package's own `verifierKeys` (`keysPinned: false`).
#[wasm_bindgen(js_name = verifyClosePackage)]
pub fn verify_close_package_js(pkg: JsValue, trusted: JsValue) -> Result<JsValue, JsValue> {
    let json = args::json_text(&pkg, "pkg")?;
    let keys = args::verifier_keys(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    to_plain(&verify_close_package(&json, &keys))
}

/// `closePackageInclusionProof(pkg, seq)`: `{root, size, index, leaf, proof}`, the RFC 9162
/// inclusion proof of record `seq` under the package's checkpoint, or throws. Derivation
/// only: verify the package first.
#[wasm_bindgen(js_name = closePackageInclusionProof)]
pub fn close_package_inclusion_proof_js(pkg: JsValue, seq: JsValue) -> Result<JsValue, JsValue> {
    let json = args::json_text(&pkg, "pkg")?;
    let seq = args::uint(&seq, "seq")?;
    let proof =
        close_package_inclusion_proof(&json, seq).map_err(|e| from_core("inclusion proof:", &e))?;
    to_plain(&proof)
}

/// A report or proof as plain JS objects and arrays (`null`, never `undefined` or a `Map`).
/// Its integers are tree sizes and counts, exact JS numbers up to 2^53 − 1: a signed size
/// beyond that (which no log reaches) is refused as `verifyCheckpoint` refuses it.
pub fn to_plain(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| {
            let e = CheckpointError::MalformedBody("tree size above 2^53 - 1");
            error(e.code(), &format!("checkpoint: {e}"))
        })
}
