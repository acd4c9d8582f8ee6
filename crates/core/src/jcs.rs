//! Canonical JSON: RFC 8785 (JCS).
//!
//! Text is read by the core's one JSON reader (`json.rs`), text already canonical is recognized
//! in one pass (`jcs/recognize.rs`), and canonical text is written here: UTF-16 member
//! order, minimal string escapes, ECMAScript number text (`number.rs`, exact). Numbers are IEEE-754 doubles as
//! in every JSON implementation JCS was written for, so `9007199254740993`
//! canonicalizes to `9007199254740992`; money therefore never travels as a
//! JSON number inside hashed content (amounts are canonical decimal strings).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::json::{self, JsonError, Reader};

/// Why a value could not be canonicalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JcsError {
    /// Not valid JSON, or a value JCS cannot express (a number outside the
    /// double range, a lone surrogate).
    Invalid(String),
    /// An object names a member twice (I-JSON forbids it).
    DuplicateName(String),
}

impl JcsError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            JcsError::Invalid(_) => "JSON_INVALID",
            JcsError::DuplicateName(_) => "JSON_DUPLICATE_NAME",
        }
    }
}

impl fmt::Display for JcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JcsError::Invalid(why) => write!(f, "is not canonicalizable JSON: {why}"),
            JcsError::DuplicateName(name) => write!(f, "names member {name:?} more than once"),
        }
    }
}

impl core::error::Error for JcsError {}

/// The JCS text of a parsed value.
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    Ok(canonical(&Tree::of(value)))
}

mod recognize;
mod tree;
pub use recognize::is_canonical;
pub(crate) use recognize::is_canonical_object;
pub(crate) use tree::{by_name, member, Num, Tree};

/// The JCS text of a tree.
pub(crate) fn canonical(tree: &Tree) -> String {
    let mut out = String::new();
    write(&mut out, tree);
    out
}

/// RFC 8785 §3.2: no whitespace, members sorted by UTF-16 code units, strings with the minimal
/// escapes, numbers as ECMAScript prints the double (a tree holds finite numbers only).
fn write(out: &mut String, value: &Tree) {
    match value {
        Tree::Null => out.push_str("null"),
        Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tree::Number(n) => {
            let x = match *n {
                Num::PosInt(n) => n as f64,
                Num::NegInt(n) => n as f64,
                Num::Float(x) => x,
            };
            crate::number::write(out, x);
        }
        Tree::String(s) => write_string(out, s),
        Tree::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Tree::Object(map) => {
            let mut members: Vec<&(String, Tree)> = map.iter().collect();
            crate::sort::sort_by(&mut members, |(a, _), (b, _)| utf16_less(a, b));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string as JCS writes it: `"` and `\\` escaped, the two-letter escapes for
/// backspace, tab, newline, form feed and carriage return, `\u00xx` for the other controls.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    loop {
        let run = string_end(rest.as_bytes());
        let (plain, tail) = rest.split_at(run);
        out.push_str(plain);
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        rest = chars.as_str();
    }
    out.push('"');
}

/// Parses JSON text and returns its JCS text.
pub fn canonicalize_text(json: &str) -> Result<String, JcsError> {
    tree_strict(json).map(|t| canonical(&t))
}

/// Whether `a` sorts strictly before `b` by UTF-16 code units, as JCS sorts member names.
/// UTF-8 byte order is code point order, which is UTF-16 order unless one of the first differing
/// characters is at or above U+10000 and the other in U+E000..=U+FFFF: only there, where the
/// first differing bytes are not both below 0xEE, are the code units compared.
fn utf16_less(a: &str, b: &str) -> bool {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    match (a.as_bytes().get(common), b.as_bytes().get(common)) {
        (Some(&x), Some(&y)) if x < 0xee && y < 0xee => x < y,
        (Some(_), Some(_)) => a.encode_utf16().lt(b.encode_utf16()),
        (None, Some(_)) => true,
        (_, None) => false,
    }
}

/// The index of the first `"`, `\\` or control character in `bytes` (`bytes.len()` when there
/// is none), eight bytes at a time: in each little-endian word, the lowest byte flagged by the
/// zero-byte test (`(v - 1) & !v` per byte, on `v` = the word xor a repeated `"` or `\\`) or
/// the below-0x20 test is exactly the first such byte (a borrow only ever runs upward, from a
/// flagged byte). The last partial word is padded with `"`.
pub(crate) fn string_end(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let flagged = |word: u64| {
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGH
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = flagged(u64::from_le_bytes(word));
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = chunks.remainder();
    let mut word = [b'"'; 8];
    if let Some(head) = word.get_mut(..tail.len()) {
        head.copy_from_slice(tail);
    }
    (at + (flagged(u64::from_le_bytes(word)).trailing_zeros() / 8) as usize).min(bytes.len())
}

/// Parses JSON as I-JSON (RFC 7493), which JCS requires: a member name may
/// appear only once per object, at any depth. Plain JSON parsers keep the last
/// duplicate silently, so two parties could read one text differently.
pub fn parse_strict(json: &str) -> Result<Value, JcsError> {
    tree_strict(json).map(Tree::into_value)
}

/// [`parse_strict`] into a [`Tree`].
pub(crate) fn tree_strict(json: &str) -> Result<Tree, JcsError> {
    parse(json, Some(MAX_DEPTH))
}

/// Nesting beyond this is refused (the reader itself stops at 128).
const MAX_DEPTH: usize = 64;

/// Parses JSON refusing, as [`parse_strict`] does, a member name repeated in any object, but
/// with no nesting limit of its own (the reader's 128 stands): for documents that wrap items,
/// whose nesting [`parse_strict`] bounded when they were accepted. Numbers are read as
/// `serde_json::Value` reads them.
pub(crate) fn parse_unique(json: &str) -> Result<Tree, JcsError> {
    parse(json, None).map_err(|e| match e {
        JcsError::DuplicateName(name) => {
            JcsError::Invalid(alloc::format!("names member {name:?} more than once"))
        }
        e => e,
    })
}

/// [`json::Reader`] into a tree: values deeper than `max_depth` containers and repeated
/// member names are refused, in document order, after the syntax of the whole text.
fn parse(json: &str, max_depth: Option<usize>) -> Result<Tree, JcsError> {
    let invalid = |e: JsonError| JcsError::Invalid(e.0);
    let mut reader = Reader::new(json);
    let mut found = None;
    let value = build(&mut reader, 0, max_depth, &mut found);
    match (value, found) {
        (Ok(value), None) => reader.end().map(|()| value).map_err(invalid),
        // A syntax error anywhere comes first, as it did when the text was parsed whole first.
        (_, Some(e)) => {
            let mut whole = Reader::new(json);
            whole.raw().and_then(|_| whole.end()).map_err(invalid)?;
            Err(e)
        }
        (Err(e), None) => Err(invalid(e)),
    }
}

/// One value; the first I-JSON fault (depth, duplicate) in document order goes to `found`,
/// which stops the build (the reader's error returned with it is a stand-in).
fn build(
    r: &mut Reader<'_>,
    depth: usize,
    max_depth: Option<usize>,
    found: &mut Option<JcsError>,
) -> json::Result<Tree> {
    if max_depth.is_some_and(|m| depth > m) {
        *found = Some(JcsError::Invalid("nested too deeply".into()));
        return Err(r.error("nested too deeply"));
    }
    match r.peek() {
        Some(b'{') => {
            // Members in document order; repeats are looked for once the object ends, or when a
            // member's value fails: a name repeated before that member would have stopped the
            // build there (a repeat is found after its value is built).
            let mut members: Vec<(String, Tree)> = Vec::new();
            let read = r.object(|r, name| {
                let value = build(r, depth + 1, max_depth, found)?;
                members.push((name.into_owned(), value));
                Ok(())
            });
            if let Some(name) = first_repeat(&members) {
                *found = Some(JcsError::DuplicateName(name));
                read?;
                return Err(r.error("duplicate name"));
            }
            read?;
            Ok(Tree::Object(members))
        }
        Some(b'[') => {
            let mut items = Vec::new();
            r.array(|r| {
                items.push(build(r, depth + 1, max_depth, found)?);
                Ok(())
            })?;
            Ok(Tree::Array(items))
        }
        Some(b'"') => Ok(Tree::String(r.string()?.into_owned())),
        Some(b'-' | b'0'..=b'9') => {
            let text = r.number()?;
            number(text)
                .map(Tree::Number)
                .ok_or_else(|| r.error("number out of range"))
        }
        _ if r.null() => Ok(Tree::Null),
        _ => r.bool().map(Tree::Bool),
    }
}

/// The name of the first member (in document order) whose name an earlier member has: in
/// name order (ties by position), the second of each run of one name is its first repeat.
fn first_repeat(members: &[(String, Tree)]) -> Option<String> {
    let mut order: Vec<(&str, usize)> = members
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    crate::sort::sort_by(&mut order, |a, b| a < b);
    order
        .windows(2)
        .filter_map(|w| match w {
            [(a, _), (b, at)] if a == b => Some((*at, *b)),
            _ => None,
        })
        .min()
        .map(|(_, name)| String::from(name))
}

/// A number's text as `serde_json::Value` holds it: an integer that fits as `u64` or `i64`
/// (`-0` aside), otherwise the nearest double; `None` beyond the double range.
fn number(text: &str) -> Option<Num> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<u64>() {
            return Some(Num::PosInt(n));
        }
        if let Ok(n) = text.parse::<i64>() {
            // Negative: a non-negative i64 is a u64 too.
            if text != "-0" {
                return Some(Num::NegInt(n));
            }
        }
    }
    let x = crate::number::parse(text)?;
    x.is_finite().then_some(Num::Float(x))
}

/// The members of the JSON object `text`, in order, duplicates kept (a map
/// would drop them), values as raw text: for callers that read fields one by
/// one and keep number text exact.
pub fn object_members(text: &str) -> Result<Vec<(String, &RawValue)>, JcsError> {
    serde_json::from_str::<Members<'_>>(text)
        .map(|m| m.0)
        .map_err(|e| JcsError::Invalid(alloc::format!("{e}")))
}

struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<Members<'a>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = access.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(core::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn rfc8785_examples() {
        // RFC 8785 §3.2.2 number examples and key ordering by UTF-16 code units.
        let cases = [
            ("1e21", "1e+21"),
            ("1e-7", "1e-7"),
            ("-0", "0"),
            ("5e-324", "5e-324"),
            ("9007199254740993", "9007199254740992"),
            ("333333333.33333329", "333333333.3333333"),
            ("1E30", "1e+30"),
            ("4.50", "4.5"),
            ("2e-3", "0.002"),
            ("0.000001", "0.000001"),
            (
                r#"{"b":[],"a":{"d":1,"c":"\u00e9\u20ac"}}"#,
                "{\"a\":{\"c\":\"é€\",\"d\":1},\"b\":[]}",
            ),
            (
                r#"{"\u20ac":1,"\ud83d\ude00":2,"\u0080":3}"#,
                "{\"\u{80}\":3,\"€\":1,\"😀\":2}",
            ),
            (r#""\u000f\n\"\\/""#, r#""\u000f\n\"\\/""#),
        ];
        for (input, want) in cases {
            assert_eq!(canonicalize_text(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn writes_what_serde_json_canonicalizer_writes() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let texts = [
            r#"{"z":[1,-1,0.5,-0.0,1e300,123456789012345678901234,-9223372036854775808],"a":null}"#,
            r#"{"\u2028\u007f/\"\\":"\ud83d\ude00","\uffff":true,"\ud800\udc00":false}"#,
            r#"[18446744073709551615,18446744073709551616,4.35,0.1,1E-7,1e21,1e-6,-5e-324]"#,
        ];
        for text in texts {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                canonicalize(&v).unwrap(),
                serde_json_canonicalizer::to_string(&v).unwrap(),
                "{text}"
            );
        }
        let v = Value::String(controls + "é€😀\u{10ffff}");
        assert_eq!(
            canonicalize(&v).unwrap(),
            serde_json_canonicalizer::to_string(&v).unwrap()
        );
    }

    #[test]
    fn refuses_what_jcs_cannot_express() {
        assert!(canonicalize_text("1e400").is_err());
        assert!(canonicalize_text(r#""\ud800""#).is_err());
        assert!(canonicalize_text("{").is_err());
    }

    #[test]
    fn canonical_text_is_recognized_conservatively() {
        for text in [
            "{}",
            "[]",
            "0",
            "-7",
            "null",
            r#"{"a":[1,true,null,{"b":"c"}],"b":"é€😀","c":-123456789012345}"#,
            "[1.5,-0.001,1e+21,5e-324,1.7976931348623157e+308,333333333.3333333]",
            "{\"\u{80}\":3,\"€\":1,\"😀\":2}",
        ] {
            assert!(is_canonical(text), "{text}");
            assert_eq!(canonicalize_text(text).as_deref(), Ok(text));
        }
        // Not canonical, or not recognized: the caller canonicalizes.
        for text in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":1}"#,
            r#"{"😀":2,"€":1}"#,
            r#"{"a": 1}"#,
            " {}",
            "{}\n",
            "1.50",
            "1e21",
            "1E+21",
            "1e400",
            "0.1e1",
            "-0",
            "01",
            "1234567890123456",
            r#""\n""#,
            r#""\u00e9""#,
            "[1,]",
            r#"{"a":}"#,
            "tru",
            "",
        ] {
            assert!(!is_canonical(text), "{text}");
        }
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert!(!is_canonical(&deep) && is_canonical(&deep[1..deep.len() - 1]));
    }

    #[test]
    fn string_ends_are_found_at_every_offset() {
        let naive = |b: &[u8]| b.iter().position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f));
        let fill = [b'a', 0x7f, 0x80, 0xa0, 0xff, b'!', b'#', b'[', b']', 0x20];
        for len in 0..20 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0, 0x1f, 0x0a] {
                    for f in fill {
                        let mut bytes = alloc::vec![f; len];
                        if at < len {
                            bytes[at] = stop;
                            // A second stop after the first changes nothing.
                            if at + 3 < len {
                                bytes[at + 3] = b'"';
                            }
                        }
                        let want = naive(&bytes).unwrap_or(bytes.len());
                        assert_eq!(string_end(&bytes), want, "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn unique_parsing_refuses_repeated_names_without_a_depth_limit() {
        for text in [
            r#"{"a":1,"a":1}"#,
            r#"{"x":[{"b":1,"b":2}]}"#,
            r#"{"\u0061":1,"a":2}"#,
        ] {
            assert!(parse_unique(text).is_err(), "{text}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(
            parse_unique(&deep).unwrap().into_value(),
            serde_json::from_str::<Value>(&deep).unwrap()
        );
        assert!(parse_strict(&deep).is_err());
        let text = r#" {"a": [1, -2, 2.5e3, 18446744073709551615, "x", null, true], "b": {}} "#;
        assert_eq!(
            parse_unique(text).unwrap().into_value(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(parse_unique("1e400").is_err() && parse_unique(r#""\ud800""#).is_err());
    }

    #[test]
    fn trees_hold_and_compare_what_values_do() {
        let texts = [
            r#"{"b":[1,-2,2.5e3,18446744073709551615,-9223372036854775808,-0,1.0,"x",null,true],"a":{"z":{},"é":[]},"":false}"#,
            "1",
            "1.0",
            "-1",
            "-0",
            "1e2",
            "18446744073709551616",
            r#"{"k":1}"#,
            r#"{"k":1.0}"#,
            r#"{"k":1,"j":2}"#,
            r#"{"j":2,"k":1}"#,
        ];
        for a in texts {
            let value: Value = serde_json::from_str(a).unwrap();
            let tree = tree_strict(a).unwrap();
            assert_eq!(tree.clone().into_value(), value, "{a}");
            // Members go into the map in document order, whichever order it keeps.
            assert_eq!(
                serde_json::to_string(&parse_strict(a).unwrap()).unwrap(),
                serde_json::to_string(&value).unwrap(),
                "{a}"
            );
            assert_eq!(Tree::of(&value), tree, "{a}");
            assert_eq!(canonical(&tree), canonicalize(&value).unwrap(), "{a}");
            for b in texts {
                let other: Value = serde_json::from_str(b).unwrap();
                assert_eq!(tree == tree_strict(b).unwrap(), value == other, "{a} {b}");
            }
        }
    }

    #[test]
    fn duplicate_names_are_refused_at_any_depth() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":[{"b":1,"b":1}]}"#,
            r#"{"\u0061":1,"a":2}"#,
        ] {
            assert!(
                matches!(parse_strict(text), Err(JcsError::DuplicateName(_))),
                "{text}"
            );
        }
        assert_eq!(parse_strict(r#"{"a":{"a":1}}"#).unwrap()["a"]["a"], 1);
        // The first fault in document order, a repeat counting once its value is read (as
        // when members went into a map one by one), then syntax first: what the map-building
        // parser answered (strict, unique).
        let deep = "[".repeat(70) + &"]".repeat(70);
        let dup = |n: &str| format!("names member \"{n}\" more than once");
        let invalid = |why: &str| format!("is not canonicalizable JSON: {why}");
        let too_deep = invalid("nested too deeply");
        for (text, strict, unique) in [
            (
                String::from(r#"{"a":1,"a":2,"b":{"c":1,"c":2}}"#),
                dup("a"),
                invalid(&dup("a")),
            ),
            (
                String::from(r#"{"b":{"c":1,"c":2},"a":1,"a":2}"#),
                dup("c"),
                invalid(&dup("c")),
            ),
            (
                String::from(r#"{"a":1,"b":[{"x":1,"x":2}],"a":2}"#),
                dup("x"),
                invalid(&dup("x")),
            ),
            (
                String::from(r#"{"a":1,"a":{"y":1,"y":2}}"#),
                dup("y"),
                invalid(&dup("y")),
            ),
            (
                String::from(r#"{"z":1,"y":1,"z":2,"y":2}"#),
                dup("z"),
                invalid(&dup("z")),
            ),
            (
                String::from(r#"{"a":{"b":1,"c":1,"b":2},"d":1,"d":1}"#),
                dup("b"),
                invalid(&dup("b")),
            ),
            (
                format!(r#"{{"a":1,"a":2,"b":{deep}}}"#),
                dup("a"),
                invalid(&dup("a")),
            ),
            (
                format!(r#"{{"a":{deep},"a":2}}"#),
                too_deep.clone(),
                invalid(&dup("a")),
            ),
            (
                String::from(r#"{"a":1,"a":2,"b":{"c":1,"c":2}"#),
                invalid("expected `,` or `}` at line 1 column 30"),
                invalid("expected `,` or `}` at line 1 column 30"),
            ),
            (
                format!(r#"{{"a":1,"b":{deep},"a":2,"a":{deep}}}"#),
                too_deep,
                invalid(&dup("a")),
            ),
            (
                format!(r#"[{{"k":1}},{{"k":1,"k":2}},{deep}]"#),
                dup("k"),
                invalid(&dup("k")),
            ),
        ] {
            assert_eq!(
                parse_strict(&text).unwrap_err().to_string(),
                strict,
                "{text}"
            );
            assert_eq!(
                parse_unique(&text).unwrap_err().to_string(),
                unique,
                "{text}"
            );
        }
    }
}
