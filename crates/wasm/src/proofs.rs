//! Merkle proofs (RFC 9162 shape, sorted-pair Keccak nodes).

use crate::args;
use crate::error::from_core;
use vericord_core::RootHash;
use wasm_bindgen::prelude::*;

/// `verifyInclusion(root, size, index, leaf, proof)`: `true`, or throws.
#[wasm_bindgen(js_name = verifyInclusion)]
pub fn verify_inclusion(
    root: JsValue,
    size: JsValue,
    index: JsValue,
    leaf: JsValue,
    proof: JsValue,
) -> Result<bool, JsValue> {
    let head = RootHash::new(args::hash(&root, "root")?, args::uint(&size, "size")?);
    let index = args::uint(&index, "index")?;
    let leaf = args::hash(&leaf, "leaf")?;
    let proof = args::hashes(&proof, "proof")?;
    head.verify_inclusion(&leaf, index, &proof)
        .map_err(|e| from_core("inclusion proof:", &e))?;
    Ok(true)
}

/// `verifyConsistency(oldSize, oldRoot, newSize, newRoot, proof)`: `true`, or throws.
#[wasm_bindgen(js_name = verifyConsistency)]
pub fn verify_consistency(
    old_size: JsValue,
    old_root: JsValue,
    new_size: JsValue,
    new_root: JsValue,
    proof: JsValue,
) -> Result<bool, JsValue> {
    let old = RootHash::new(
        args::hash(&old_root, "oldRoot")?,
        args::uint(&old_size, "oldSize")?,
    );
    let new = RootHash::new(
        args::hash(&new_root, "newRoot")?,
        args::uint(&new_size, "newSize")?,
    );
    let proof = args::hashes(&proof, "proof")?;
    new.verify_consistency(&old, &proof)
        .map_err(|e| from_core("consistency proof:", &e))?;
    Ok(true)
}
