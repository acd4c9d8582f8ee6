//! Verification packages (`vericord.verification-package/v1`): a sample of a closed period's
//! records drawn from its signed checkpoint, verified whole into a report of named checks.

use crate::args;
use crate::close_package::to_plain;
use alloc::{string::String, vec::Vec};
use vericord_core::verification_package::verify_verification_package;
use wasm_bindgen::prelude::*;

/// `verifyVerificationPackage(pkg, trustedVerifierKeys)`: `pkg` is the package as JSON text,
/// its UTF-8 bytes (a `Uint8Array`) or a parsed object. Returns the report (`{verified,
/// keysPinned, keys, key, checks, …facts, sample}`); a package that fails verification is a
/// report with `verified: false`, not a throw. An empty key list verifies against the
/// package's own `verifierKeys` (`keysPinned: false`).
#[wasm_bindgen(js_name = verifyVerificationPackage)]
pub fn verify_verification_package_js(pkg: JsValue, trusted: JsValue) -> Result<String, JsValue> {
    let json = args::json_text(&pkg, "pkg")?;
    let keys = args::verifier_keys(&trusted, "trustedVerifierKeys")?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    to_plain(verify_verification_package(&json, &keys).to_json())
}
