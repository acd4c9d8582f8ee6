//! Canonical JSON: RFC 8785 (JCS).
//!
//! Serialization is delegated to `serde_json_canonicalizer` (ECMAScript number
//! formatting via `ryu-js`, UTF-16 key order). Numbers are IEEE-754 doubles as
//! in every JSON implementation JCS was written for, so `9007199254740993`
//! canonicalizes to `9007199254740992`; money therefore never travels as a
//! JSON number inside hashed content (amounts are canonical decimal strings).

use alloc::string::String;
use core::fmt;
use serde_json::Value;

/// Why a value could not be canonicalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JcsError {
    /// Not valid JSON, or a value JCS cannot express (a number outside the
    /// double range, a lone surrogate).
    Invalid(String),
}

impl JcsError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        "JSON_INVALID"
    }
}

impl fmt::Display for JcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JcsError::Invalid(why) => write!(f, "is not canonicalizable JSON: {why}"),
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
    let value: Value =
        serde_json::from_str(json).map_err(|e| JcsError::Invalid(alloc::format!("{e}")))?;
    canonicalize(&value)
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
            (r#"{"b":[],"a":{"d":1,"c":"\u00e9\u20ac"}}"#, "{\"a\":{\"c\":\"é€\",\"d\":1},\"b\":[]}"),
            (r#"{"\u20ac":1,"\ud83d\ude00":2,"\u0080":3}"#, "{\"\u{80}\":3,\"€\":1,\"😀\":2}"),
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
}
