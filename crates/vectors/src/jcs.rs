//! `jcs.json`. Expected outputs come from RFC 8785 (§3.2.2.3, §3.2.3 and
//! Appendix B) or are written by hand; the core must agree with each.

use crate::util::envelope;
use serde_json::{json, Value};
use vericord_core::jcs::canonicalize_text;

/// (JSON text, JCS text).
const VALID: &[(&str, &str)] = &[
    // Numbers: ECMAScript Number.prototype.toString of the nearest double.
    ("0", "0"),
    ("-0", "0"),
    ("-0.0", "0"),
    ("1e21", "1e+21"),
    ("1e+21", "1e+21"),
    ("1e-7", "1e-7"),
    ("-1e-7", "-1e-7"),
    ("0.0000001", "1e-7"),
    ("0.000001", "0.000001"),
    ("5e-324", "5e-324"),
    ("1e-400", "0"),
    ("2.2250738585072014e-308", "2.2250738585072014e-308"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ("9007199254740991", "9007199254740991"),
    ("9007199254740992", "9007199254740992"),
    ("9007199254740993", "9007199254740992"),
    ("-9007199254740993", "-9007199254740992"),
    ("18446744073709551615", "18446744073709552000"),
    ("295147905179352825856", "295147905179352830000"),
    ("123456789012345680000", "123456789012345680000"),
    ("999999999999999700000", "999999999999999700000"),
    ("999999999999999999999", "1e+21"),
    ("9.999999999999997e-7", "9.999999999999997e-7"),
    ("333333333.3333332", "333333333.3333332"),
    ("333333333.33333325", "333333333.33333325"),
    ("333333333.33333329", "333333333.3333333"),
    ("333333333.3333334", "333333333.3333334"),
    ("333333333.33333343", "333333333.33333343"),
    ("-0.0000033333333333333333", "-0.0000033333333333333333"),
    ("1424953923781206.2", "1424953923781206.2"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("0.1", "0.1"),
    ("100", "100"),
    ("1e2", "100"),
    ("1E30", "1e+30"),
    ("1.5e300", "1.5e+300"),
    ("4.50", "4.5"),
    ("2e-3", "0.002"),
    // Literals and empty containers; insignificant whitespace goes.
    ("true", "true"),
    ("false", "false"),
    ("null", "null"),
    ("[]", "[]"),
    ("{}", "{}"),
    ("\"\"", "\"\""),
    (" \n\t{ \"a\" : [ 1 , 2 ] } \r\n", "{\"a\":[1,2]}"),
    // Strings: only \" \\ \b \f \n \r \t and other controls as \u00xx are escaped.
    (
        r#""\u0000\u001f\u007f\b\t\n\f\r\"\\\/""#,
        "\"\\u0000\\u001f\u{7f}\\b\\t\\n\\f\\r\\\"\\\\/\"",
    ),
    (r#""\u00e9e\u0301\u2028\u2029\ufeff""#, "\"\u{e9}e\u{301}\u{2028}\u{2029}\u{feff}\""),
    (r#""\ud83d\ude00 \uD834\uDD1E""#, "\"\u{1f600} \u{1d11e}\""),
    ("\"caf\u{e9} \u{2615} \u{65e5}\u{672c}\"", "\"caf\u{e9} \u{2615} \u{65e5}\u{672c}\""),
    // Keys: sorted by UTF-16 code units, recursively; arrays keep their order.
    (
        r#"{"b":1,"B":2,"a":3,"A":4,"aa":5,"":6}"#,
        r#"{"":6,"A":4,"B":2,"a":3,"aa":5,"b":1}"#,
    ),
    (r#"{"\u0061":1}"#, r#"{"a":1}"#),
    (
        r#"{"b":[{"z":1,"y":[true,false,null]},{}],"a":{"c":{"e":"x","d":[]}}}"#,
        r#"{"a":{"c":{"d":[],"e":"x"}},"b":[{"y":[true,false,null],"z":1},{}]}"#,
    ),
    // RFC 8785 §3.2.3: sorting by UTF-16 puts U+1F600 (D83D DE00) before U+FB33.
    (
        r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    ),
    // RFC 8785 §3.2.2 example.
    (
        r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#,
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
    ),
];

/// Texts that are not JSON, or not expressible in JCS.
const INVALID: &[&str] = &[
    "",
    " ",
    "{",
    "[1,]",
    "{\"a\":1,}",
    "{\"a\" 1}",
    "{a:1}",
    "[1 2]",
    "1 2",
    "'a'",
    "NaN",
    "Infinity",
    "-Infinity",
    "01",
    "1.",
    ".5",
    "+1",
    "tru",
    "nul",
    "\"\\x41\"",
    "\"\\u12\"",
    "\"a\u{1}b\"",
    "\u{feff}1",
    // Outside the double range: JCS has no text for infinities.
    "1e400",
    "-1e400",
    // Lone surrogates: RFC 8785 §3.2.2.2 requires an error.
    "\"\\ud800\"",
    "\"\\udc00\"",
    "\"\\ud83d\"",
    "{\"\\ude00\":1}",
];

pub fn build() -> Value {
    let valid: Vec<Value> = VALID
        .iter()
        .map(|&(input, canonical)| {
            let got = canonicalize_text(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got, canonical, "JCS of {input:?}");
            json!({"input": input, "canonical": canonical})
        })
        .collect();
    let invalid: Vec<Value> = INVALID
        .iter()
        .map(|&input| {
            let code = canonicalize_text(input).err().map(|e| e.code());
            assert_eq!(code, Some("JSON_INVALID"), "{input:?} must be refused");
            json!({"input": input, "error": "JSON_INVALID"})
        })
        .collect();
    envelope(
        "RFC 8785 canonical JSON. input is JSON text; canonical is its JCS text. Numbers are \
         IEEE-754 doubles, keys sort by UTF-16 code units, lone surrogates and non-finite \
         numbers are refused.",
        vec![
            ("valid", Value::from(valid)),
            ("invalid", Value::from(invalid)),
        ],
    )
}
