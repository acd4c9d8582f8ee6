//! Shared by the package tests: loading the vectors, the report's shape, and the tamper
//! battery (every single-field mutation of a document).
#![allow(dead_code)]

use serde_json::{json, Value};
use vericord_core::close_package::VerifyReport;
use vericord_core::Amount;

pub fn load(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(v["version"], 1, "{name}: version");
    v
}

pub fn cases<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

pub fn trusted(case: &Value) -> Vec<&str> {
    case["trusted"]
        .as_array()
        .expect("trusted")
        .iter()
        .map(|k| k.as_str().expect("key"))
        .collect()
}

pub fn failing(r: &VerifyReport) -> Vec<&'static str> {
    r.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
}

/// Every check once, in the spec's order.
pub fn assert_names(r: &VerifyReport, names: &[&str]) {
    let got: Vec<&str> = r.checks.iter().map(|c| c.name).collect();
    assert_eq!(got, names);
    assert_eq!(r.verified, r.checks.iter().all(|c| c.ok));
    assert!(
        r.checks.iter().all(|c| !c.detail.is_empty()),
        "{:#?}",
        r.checks
    );
}

/// One mutation: where, what, and the mutated document.
pub struct Mutation {
    pub path: String,
    pub what: &'static str,
    pub doc: Value,
}

pub fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// `text` with one hex digit changed (the last), or `None` if it is no `0x…` hash.
pub fn other_hex(text: &str) -> Option<String> {
    let hex = text.strip_prefix("0x")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let last = hex.chars().last()?;
    let swapped = if last == '0' { '1' } else { '0' };
    Some(format!("0x{}{swapped}", &hex[..63]))
}

/// `text` with its first digit changed, if it is canonical amount text.
pub fn other_amount(text: &str) -> Option<String> {
    let a = Amount::parse(text).ok()?;
    if a.to_string() != text {
        return None;
    }
    let at = text.find(|c: char| c.is_ascii_digit())?;
    let digit = text.as_bytes()[at] - b'0';
    let mut out = text.to_string();
    out.replace_range(at..=at, &((digit + 1) % 10).to_string());
    // "0.5" → "1.5"; "9" → "0" is still an amount but "-9.5" → "-0.5" too: fine, all differ.
    Some(out)
}

pub fn bump(n: &serde_json::Number) -> Value {
    if let Some(u) = n.as_u64() {
        json!(u + 1)
    } else if let Some(i) = n.as_i64() {
        json!(i + 1)
    } else {
        let f = n.as_f64().unwrap();
        json!(if f + 1.0 != f { f + 1.0 } else { f * 2.0 })
    }
}

/// Every single-field mutation of `doc`.
pub fn mutations(doc: &Value) -> Vec<Mutation> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    fn walk(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    at.push(k.clone());
                    walk(child, at, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    at.push(i.to_string());
                    walk(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    walk(doc, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in paths {
        let ptr = pointer(&path);
        let node = doc.pointer(&ptr).unwrap().clone();
        let mut replace = |what: &'static str, new: Value| {
            let mut d = doc.clone();
            *d.pointer_mut(&ptr).unwrap() = new;
            out.push(Mutation {
                path: ptr.clone(),
                what,
                doc: d,
            });
        };
        match &node {
            Value::Null => replace("null to 0", json!(0)),
            Value::Bool(b) => replace("flip", json!(!b)),
            Value::Number(n) => replace("+1", bump(n)),
            Value::String(s) => {
                replace("append a char", json!(format!("{s}x")));
                if let Some(h) = other_hex(s) {
                    replace("change a hex digit", json!(h));
                }
                if let Some(a) = other_amount(s) {
                    replace("change a digit", json!(a));
                }
                if s.contains("\n\n\u{2014} ") {
                    let lines: Vec<&str> = s.split('\n').collect();
                    for i in 0..lines.len() {
                        let mut changed = lines.clone();
                        let longer = format!("{}x", lines[i]);
                        changed[i] = &longer;
                        replace("change a note line", json!(changed.join("\n")));
                        let mut fewer = lines.clone();
                        fewer.remove(i);
                        replace("remove a note line", json!(fewer.join("\n")));
                    }
                }
            }
            Value::Array(a) => {
                for i in 0..a.len() {
                    let mut fewer = a.clone();
                    fewer.remove(i);
                    replace("drop an element", json!(fewer));
                    let mut more = a.clone();
                    more.insert(i, a[i].clone());
                    replace("duplicate an element", json!(more));
                    if i + 1 < a.len() {
                        let mut swapped = a.clone();
                        swapped.swap(i, i + 1);
                        replace("swap two elements", json!(swapped));
                    }
                }
            }
            Value::Object(_) => {}
        }
        if let Some((key, parent)) = path.split_last() {
            if let Some(Value::Object(_)) = doc.pointer(&pointer(parent)) {
                let mut d = doc.clone();
                let parent = d.pointer_mut(&pointer(parent)).unwrap();
                parent.as_object_mut().unwrap().remove(key);
                out.push(Mutation {
                    path: ptr.clone(),
                    what: "remove the member",
                    doc: d,
                });
            }
        }
    }
    out.retain(|m| m.doc != *doc);
    out
}

/// Sorted pairs commute: `node(a, b) = node(b, a)`, so the last two hashes of a right-edge fold
/// can trade places unseen — unless leaves are appended after them. In a period with no
/// records nothing is, and that swap changes nothing the package proves (same tree, same root).
pub fn commutes(m: &Mutation, original: &Value) -> bool {
    let n = original["range"]["frontier"].as_array().map_or(0, Vec::len);
    m.path == "/range/frontier"
        && m.what == "swap two elements"
        && original["records"].as_array().is_some_and(Vec::is_empty)
        && m.doc["range"]["frontier"][n - 2] == original["range"]["frontier"][n - 1]
}

pub fn battery(
    doc: &Value,
    verify: &dyn Fn(&str) -> VerifyReport,
    names: &[&str],
    exempt: &dyn Fn(&Mutation) -> bool,
) -> usize {
    assert!(verify(&doc.to_string()).verified);
    let mut count = 0;
    for m in mutations(doc) {
        if exempt(&m) {
            eprintln!("  exempt: {} {}", m.what, m.path);
            continue;
        }
        let r = verify(&m.doc.to_string());
        assert_names(&r, names);
        assert!(
            !r.verified,
            "accepted: {} {} — {:#?}",
            m.what, m.path, r.checks
        );
        count += 1;
    }
    count
}
