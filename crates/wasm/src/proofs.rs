//! Merkle proofs (RFC 9162 shape, sorted-pair Keccak nodes).

use crate::args;
use crate::error::from_core;
use vericord_core::{Hash, RootHash};
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

/// The fast path of `verifyInclusion`: api.js takes it when `size` and `index` are Numbers and
/// `proof` an array of strings of 66 UTF-16 units, as `root` and `leaf` are, and hands over
/// their ASCII text, root ‖ leaf ‖ proof, encoded natively in one go; anything else goes to
/// [`verify_inclusion`], which names the argument at fault. One boundary crossing and one copy,
/// instead of a string, an allocation and a call back into JS per hash. `false` when a hash
/// does not parse (`Hash::from_str`, as there): api.js then asks [`verify_inclusion`] for
/// its error. Otherwise the same checks, in the same order, with the same errors.
#[wasm_bindgen(js_name = verifyInclusionText)]
pub fn verify_inclusion_text(text: &[u8], size: f64, index: f64) -> Result<bool, JsValue> {
    // A proof of a u64-sized tree has at most 64 hashes: root, leaf and proof fit on the stack.
    let mut hashes = [Hash::default(); 66];
    let mut count = 0;
    for chunk in text.chunks(66) {
        let (Some(slot), Ok(hash)) = (hashes.get_mut(count), Hash::from_ascii(chunk)) else {
            return Ok(false);
        };
        *slot = hash;
        count += 1;
    }
    let [root, leaf, proof @ ..] = &hashes[..count] else {
        return Ok(false);
    };
    let head = RootHash::new(*root, args::uint_number(size, "size")?);
    let index = args::uint_number(index, "index")?;
    head.verify_inclusion(leaf, index, proof)
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
