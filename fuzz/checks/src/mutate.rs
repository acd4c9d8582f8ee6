//! Structure-aware mutation of a JSON document, driven by fuzz bytes: five bytes per step
//! (kind, node, argument), each step one change a forger might try — a character, a digit, a
//! hex digit, a note line, a number, a member or element removed, duplicated, swapped or
//! added, a value replaced by another real value from the same vector file.

use serde_json::{json, Value};

use super::input::Reader;

/// Steps applied at most.
pub const MAX_STEPS: usize = 8;

const CHARS: &[char] = &[
    'x', '0', '1', '9', 'a', 'f', 'A', 'F', '-', '.', 'e', '+', ' ', '\n', '"', '\\', '/', 'é',
    '\u{2014}', '\u{0}', '\u{7f}', '\u{fffd}', '😀',
];

/// Nodes in `v`, itself included (preorder).
fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in preorder.
fn nth<'a>(v: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
    if *n == 0 {
        return Some(v);
    }
    *n -= 1;
    match v {
        Value::Array(a) => a.iter_mut().find_map(|x| nth(x, n)),
        Value::Object(m) => m.values_mut().find_map(|x| nth(x, n)),
        _ => None,
    }
}

/// Every value in `docs`, for splicing (large ones left out).
pub fn pool(docs: &[&Value]) -> Vec<Value> {
    fn walk(v: &Value, out: &mut Vec<Value>) {
        if v.to_string().len() <= 4096 {
            out.push(v.clone());
        }
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for d in docs {
        walk(d, &mut out);
    }
    out.sort_by_key(|v| v.to_string());
    out.dedup();
    out
}

fn edit_chars(s: &str, at: usize, f: impl FnOnce(&mut Vec<char>, usize)) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = at % (chars.len() + 1);
    f(&mut chars, at);
    chars.into_iter().collect()
}

/// The next hex digit, `f` to `0`.
fn next_hex(c: char) -> char {
    match c {
        '0'..='8' | 'a'..='e' | 'A'..='E' => char::from(c as u8 + 1),
        '9' => 'a',
        'f' | 'F' => '0',
        other => other,
    }
}

fn mutate_string(s: &str, kind: u8, arg: u16, pool: &[Value]) -> Value {
    let a = usize::from(arg);
    let c = CHARS[a % CHARS.len()];
    let out = match kind % 8 {
        0 => edit_chars(s, a / CHARS.len(), |v, at| v.insert(at, c)),
        1 => edit_chars(s, a, |v, at| {
            if at < v.len() {
                v.remove(at);
            }
        }),
        2 => edit_chars(s, a, |v, at| {
            if let Some(x) = v.get_mut(at) {
                *x = if x.is_ascii_lowercase() {
                    x.to_ascii_uppercase()
                } else {
                    x.to_ascii_lowercase()
                };
            }
        }),
        // A digit or hex digit changed (the next one).
        3 => {
            let digits: Vec<usize> = s
                .char_indices()
                .filter(|(_, c)| c.is_ascii_hexdigit())
                .map(|(i, _)| i)
                .collect();
            match digits.get(a % digits.len().max(1)) {
                Some(&i) => {
                    let mut t = s.to_string();
                    let c = t[i..].chars().next().unwrap_or('0');
                    t.replace_range(i..i + 1, &next_hex(c).to_string());
                    t
                }
                None => s.to_string(),
            }
        }
        // A note line: removed, doubled, swapped with the next, or changed.
        4 => {
            let mut lines: Vec<&str> = s.split('\n').collect();
            let i = a % lines.len();
            let changed;
            match (a / lines.len()) % 4 {
                0 => {
                    lines.remove(i);
                }
                1 => lines.insert(i, lines[i]),
                2 if i + 1 < lines.len() => lines.swap(i, i + 1),
                _ => {
                    changed = format!("{}{c}", lines[i]);
                    lines[i] = &changed;
                    return Value::String(lines.join("\n"));
                }
            }
            lines.join("\n")
        }
        5 => s.chars().take(a % (s.chars().count() + 1)).collect(),
        // Another string of the vectors.
        6 => {
            let strings: Vec<&Value> = pool.iter().filter(|v| v.is_string()).collect();
            return strings
                .get(a % strings.len().max(1))
                .map_or(json!(s), |v| (*v).clone());
        }
        _ => format!("{s}{s}"),
    };
    Value::String(out)
}

fn mutate_number(n: &serde_json::Number, arg: u16) -> Value {
    let f = n.as_f64().unwrap_or(0.0);
    match arg % 8 {
        0 => n
            .as_u64()
            .map_or(json!(f + 1.0), |u| json!(u.wrapping_add(1))),
        1 => n
            .as_u64()
            .map_or(json!(f - 1.0), |u| json!(u.wrapping_sub(1))),
        2 => n.as_i64().map_or(json!(-f), |i| json!(i.wrapping_neg())),
        3 => json!(f),
        4 => json!(n.to_string()),
        5 => json!(f * 2.0),
        6 => json!(u64::MAX),
        _ => json!(-1),
    }
}

/// One step on the node it picks.
fn step(doc: &mut Value, kind: u8, node: u16, arg: u16, pool: &[Value]) {
    let total = count(doc);
    let mut n = usize::from(node) % total;
    let Some(v) = nth(doc, &mut n) else {
        return;
    };
    let a = usize::from(arg);
    // Whole-node changes, for any node.
    match kind % 16 {
        13 => {
            if !pool.is_empty() {
                *v = pool[a % pool.len()].clone();
            }
            return;
        }
        14 => {
            *v = match a % 4 {
                0 => Value::Null,
                1 => json!([v.clone()]),
                2 => json!(v.to_string()),
                _ => json!({}),
            };
            return;
        }
        _ => {}
    }
    match v {
        Value::String(s) => *v = mutate_string(s, kind, arg, pool),
        Value::Number(num) => *v = mutate_number(num, arg),
        Value::Bool(b) => *b = !*b,
        Value::Null => *v = json!(0),
        Value::Array(items) => match kind % 4 {
            0 if !items.is_empty() => {
                items.remove(a % items.len());
            }
            1 if !items.is_empty() => {
                let i = a % items.len();
                items.insert(i, items[i].clone());
            }
            2 if items.len() >= 2 => {
                let i = a % (items.len() - 1);
                items.swap(i, i + 1);
            }
            _ => items.push(
                pool.get(a % pool.len().max(1))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        },
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            match kind % 3 {
                0 if !keys.is_empty() => {
                    m.remove(&keys[a % keys.len()]);
                }
                1 if !keys.is_empty() => {
                    // A member renamed.
                    let k = &keys[a % keys.len()];
                    if let Some(x) = m.remove(k) {
                        m.insert(format!("{k}{}", CHARS[a % CHARS.len()]), x);
                    }
                }
                _ => {
                    let name = keys
                        .get(a % keys.len().max(1))
                        .map_or("x".to_string(), |k| format!("{k}_"));
                    m.insert(name, Value::Null);
                }
            }
        }
    }
}

/// Applies the steps the bytes of `r` describe.
pub fn mutate(doc: &mut Value, r: &mut Reader<'_>, pool: &[Value]) {
    for _ in 0..MAX_STEPS {
        if r.is_empty() {
            break;
        }
        let (kind, node, arg) = (r.u8(), r.u16(), r.u16());
        step(doc, kind, node, arg, pool);
    }
}

/// The document's text; with `twice = Some((node, arg))`, one member of one object is written
/// twice, the copy before or after it and with its own or another value: a `Value` cannot hold
/// a repeated name, so no step above makes one, and I-JSON forbids them because parsers
/// disagree on which one counts.
pub fn to_text(doc: &Value, twice: Option<(u16, u16)>, pool: &[Value]) -> String {
    let Some((node, arg)) = twice else {
        return doc.to_string();
    };
    let mut n = usize::from(node) % count(doc);
    let mut out = String::new();
    write(doc, &mut n, arg, pool, &mut out);
    out
}

fn write(v: &Value, n: &mut usize, arg: u16, pool: &[Value], out: &mut String) {
    let here = *n == 0;
    *n = n.wrapping_sub(1);
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, n, arg, pool, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let a = usize::from(arg);
            let twice = (here && !m.is_empty()).then(|| a % m.len());
            let copy = |k: &str, x: &Value| {
                let other = if a & 0x100 == 0 {
                    x
                } else {
                    pool.get(a % pool.len().max(1)).unwrap_or(x)
                };
                format!("{}:{}", Value::from(k), other)
            };
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if twice == Some(i) && a & 0x200 == 0 {
                    out.push_str(&copy(k, x));
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                write(x, n, arg, pool, out);
                if twice == Some(i) && a & 0x200 != 0 {
                    out.push(',');
                    out.push_str(&copy(k, x));
                }
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
