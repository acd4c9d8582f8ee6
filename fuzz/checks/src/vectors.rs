//! The known-answer vectors, compiled in (the paths are relative to this file, which is the
//! same file in both places it is compiled).

use serde_json::Value;
use std::sync::OnceLock;

macro_rules! vector {
    ($name:ident, $file:literal) => {
        /// `tests/vectors/` file, parsed once.
        pub fn $name() -> &'static Value {
            static CELL: OnceLock<Value> = OnceLock::new();
            CELL.get_or_init(|| {
                serde_json::from_str(include_str!(concat!("../../../tests/vectors/", $file)))
                    .expect($file)
            })
        }
    };
}

vector!(amounts, "amounts.json");
vector!(jcs, "jcs.json");
vector!(items, "items.json");
vector!(trees, "trees.json");
vector!(consistency, "consistency.json");
vector!(checkpoints, "checkpoints.json");
vector!(receipts, "receipts.json");
vector!(close_packages, "close-packages.json");
vector!(compares, "compares.json");
vector!(verification_packages, "verification-packages.json");

/// The array `key` of `v` (empty if absent).
pub fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A list of verifier keys.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every string in every vector file that is a signed note (has a signature line).
pub fn notes() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = Vec::new();
        for v in [
            checkpoints(),
            receipts(),
            close_packages(),
            compares(),
            verification_packages(),
        ] {
            walk_strings(v, &mut |s| {
                if s.contains("\n\n\u{2014} ") {
                    out.push(s.to_string());
                }
            });
        }
        out.sort();
        out.dedup();
        out
    })
}

/// Calls `f` on every string in `v`, depth first.
pub fn walk_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| walk_strings(x, f)),
        _ => {}
    }
}
