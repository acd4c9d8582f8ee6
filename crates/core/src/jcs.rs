//! Canonical JSON: RFC 8785 (JCS).
//!
//! Serialization is delegated to `serde_json_canonicalizer` (ECMAScript number
//! formatting via `ryu-js`, UTF-16 key order). Numbers are IEEE-754 doubles as
//! in every JSON implementation JCS was written for, so `9007199254740993`
//! canonicalizes to `9007199254740992`; money therefore never travels as a
//! JSON number inside hashed content (amounts are canonical decimal strings).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

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
    serde_json_canonicalizer::to_string(value).map_err(|e| JcsError::Invalid(alloc::format!("{e}")))
}

/// Parses JSON text and returns its JCS text.
pub fn canonicalize_text(json: &str) -> Result<String, JcsError> {
    canonicalize(&parse_strict(json)?)
}

/// Parses JSON as I-JSON (RFC 7493), which JCS requires: a member name may
/// appear only once per object, at any depth. Plain JSON parsers keep the last
/// duplicate silently, so two parties could read one text differently.
pub fn parse_strict(json: &str) -> Result<Value, JcsError> {
    let invalid = |e: serde_json::Error| JcsError::Invalid(alloc::format!("{e}"));
    let raw: &RawValue = serde_json::from_str(json).map_err(invalid)?;
    from_raw(raw, 0)
}

/// Nesting beyond this is refused (serde_json itself stops at 128).
const MAX_DEPTH: usize = 64;

fn from_raw(raw: &RawValue, depth: usize) -> Result<Value, JcsError> {
    let invalid = |e: serde_json::Error| JcsError::Invalid(alloc::format!("{e}"));
    if depth > MAX_DEPTH {
        return Err(JcsError::Invalid("nested too deeply".into()));
    }
    match raw.get().as_bytes().first() {
        Some(b'{') => {
            let members = object_members(raw.get())?;
            let mut map = Map::new();
            for (name, value) in members {
                let value = from_raw(value, depth + 1)?;
                if map.insert(name.clone(), value).is_some() {
                    return Err(JcsError::DuplicateName(name));
                }
            }
            Ok(Value::Object(map))
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(invalid)?;
            items
                .into_iter()
                .map(|v| from_raw(v, depth + 1))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        // Scalars: serde_json's own number and string handling.
        _ => serde_json::from_str(raw.get()).map_err(invalid),
    }
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
    fn refuses_what_jcs_cannot_express() {
        assert!(canonicalize_text("1e400").is_err());
        assert!(canonicalize_text(r#""\ud800""#).is_err());
        assert!(canonicalize_text("{").is_err());
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
        assert!(parse_strict(&("[".repeat(70) + &"]".repeat(70))).is_err());
        assert!(parse_strict(" [1, 2.5e3, \"x\", null, true] ").is_ok());
    }
}
