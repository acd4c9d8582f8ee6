//! Shared helpers: the file envelope, stable pretty output, tampering.

use serde_json::{json, Map, Value};
use std::path::Path;
use vericord_core::{Checkpoint, Hash};

/// `{"version": 1, "description": …, <fields in the given order>}`.
pub fn envelope(description: &str, fields: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    m.insert("version".into(), Value::from(1));
    m.insert("description".into(), Value::from(description));
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

/// Pretty JSON (2-space indent) plus a trailing newline. Key order is the
/// insertion order (`preserve_order`), so output is byte-stable.
pub fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Hashes as `0x`-hex strings.
pub fn hexes(hashes: &[Hash]) -> Value {
    Value::from(hashes.iter().map(Hash::to_hex).collect::<Vec<_>>())
}

/// `h` with one bit of byte `byte` flipped.
pub fn flip(h: &Hash, byte: usize) -> Hash {
    let mut out = *h;
    out.0[byte % 32] ^= 0x01;
    out
}

/// A checkpoint's fields as the vector files carry them (amounts as canonical text).
pub fn checkpoint_json(cp: &Checkpoint) -> Value {
    json!({
        "origin": cp.origin,
        "size": cp.size,
        "root": cp.root.to_hex(),
        "period": cp.period,
        "opening": cp.opening.to_string(),
        "closing": cp.closing.to_string(),
        "count": cp.count,
    })
}
