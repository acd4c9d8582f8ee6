//! `amounts.json`. Expected canonical texts and error codes are written out by
//! hand and the core must agree, so the file is not a mere snapshot of the core.

use crate::util::envelope;
use serde_json::{json, Value};
use vericord_core::Amount;

const INVALID: &str = "AMOUNT_INVALID";
const PRECISE: &str = "AMOUNT_TOO_PRECISE";
const RANGE: &str = "AMOUNT_OUT_OF_RANGE";
const ZERO: &str = "AMOUNT_ZERO";

/// `Amount::parse`: (input, canonical).
const VALID: &[(&str, &str)] = &[
    ("0", "0"),
    ("-0", "0"),
    ("0.0", "0"),
    ("-0.000", "0"),
    ("0e5", "0"),
    ("-0e-0", "0"),
    ("0E-20", "0"),
    ("0e999999999999999999", "0"),
    ("1", "1"),
    ("-1", "-1"),
    ("42", "42"),
    ("-42.50", "-42.5"),
    ("1000", "1000"),
    ("100.0", "100"),
    ("1.10", "1.1"),
    ("0.1", "0.1"),
    ("0.30000000000000000", "0.3"),
    ("1e3", "1000"),
    ("1E3", "1000"),
    ("1e+3", "1000"),
    ("1.5E+2", "150"),
    ("12345e-4", "1.2345"),
    ("2.5e-1", "0.25"),
    ("0.00012e5", "12"),
    ("123.456e1", "1234.56"),
    ("0.000000001", "0.000000001"),
    ("-0.000000001", "-0.000000001"),
    ("1e-9", "0.000000001"),
    ("10e-10", "0.000000001"),
    ("0.0000000010", "0.000000001"),
    ("0.000000000000000000001e12", "0.000000001"),
    ("1.0000000000000", "1"),
    ("123456789.123456789", "123456789.123456789"),
    ("1000000000", "1000000000"),
    ("1e9", "1000000000"),
    ("1.000000000e19", "10000000000000000000"),
    ("99999999999999999999", "99999999999999999999"),
    (
        "99999999999999999999.999999999",
        "99999999999999999999.999999999",
    ),
    (
        "-99999999999999999999.999999999",
        "-99999999999999999999.999999999",
    ),
];

/// `Amount::parse`: (input, error code).
const INVALID_CASES: &[(&str, &str)] = &[
    ("", INVALID),
    ("-", INVALID),
    ("+1", INVALID),
    (".5", INVALID),
    ("-.5", INVALID),
    ("5.", INVALID),
    ("1.e5", INVALID),
    ("01", INVALID),
    ("-01", INVALID),
    ("00", INVALID),
    ("--1", INVALID),
    ("1e", INVALID),
    ("1e+", INVALID),
    ("1e-", INVALID),
    ("1e+-1", INVALID),
    ("1e1.5", INVALID),
    ("e5", INVALID),
    ("0.5e", INVALID),
    ("1.2.3", INVALID),
    ("1,5", INVALID),
    ("1_0", INVALID),
    ("0x10", INVALID),
    ("NaN", INVALID),
    ("Infinity", INVALID),
    ("-Infinity", INVALID),
    ("true", INVALID),
    ("null", INVALID),
    ("\"1\"", INVALID),
    (" 1", INVALID),
    ("1 ", INVALID),
    ("\u{0661}", INVALID),
    ("\u{ff11}", INVALID),
    ("0.0000000001", PRECISE),
    ("1.0000000001", PRECISE),
    ("1e-10", PRECISE),
    ("0.1e-9", PRECISE),
    ("123456789.1234567891", PRECISE),
    ("0.30000000000000004", PRECISE),
    ("2.220446049250313e-16", PRECISE),
    ("0.1000000000000000055511151231257827", PRECISE),
    ("5e-324", PRECISE),
    ("1e-99999999999999", PRECISE),
    // Precision is judged before magnitude.
    ("99999999999999999999.9999999999", PRECISE),
    ("1e20", RANGE),
    ("-1e20", RANGE),
    ("100000000000000000000", RANGE),
    ("123456789012345678901", RANGE),
    ("1e21", RANGE),
    ("1.7976931348623157e308", RANGE),
    ("1e99999999999999999999", RANGE),
];

/// `Amount::parse_delta`: (input, canonical).
const DELTAS_VALID: &[(&str, &str)] = &[
    ("1", "1"),
    ("-1", "-1"),
    ("-42.50", "-42.5"),
    ("25.00", "25"),
    ("0.5", "0.5"),
    ("12.3456789", "12.3456789"),
    ("3e-9", "0.000000003"),
    ("0.000000001", "0.000000001"),
    ("-0.000000001", "-0.000000001"),
    ("999999999.999999999", "999999999.999999999"),
    ("1000000000", "1000000000"),
    ("-1000000000", "-1000000000"),
    ("1e9", "1000000000"),
    ("-1e9", "-1000000000"),
    ("1000000000.000000000", "1000000000"),
];

/// `Amount::parse_delta`: (input, error code).
const DELTAS_INVALID: &[(&str, &str)] = &[
    ("0", ZERO),
    ("-0", ZERO),
    ("0.000", ZERO),
    ("0e10", ZERO),
    ("1000000000.000000001", RANGE),
    ("-1000000000.000000001", RANGE),
    ("1e10", RANGE),
    ("1e20", RANGE),
    ("1e30", RANGE),
    ("0.0000000001", PRECISE),
    ("0.1e-9", PRECISE),
    ("0.30000000000000004", PRECISE),
    ("+1", INVALID),
    ("1.", INVALID),
    ("", INVALID),
    ("NaN", INVALID),
];

/// Nano-units of a canonical text by digit shuffling, independent of the
/// core's exponent arithmetic.
fn nanos_of(canonical: &str) -> String {
    let (sign, magnitude) = match canonical.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", canonical),
    };
    let (int, frac) = magnitude.split_once('.').unwrap_or((magnitude, ""));
    let digits = format!("{int}{frac:0<9}");
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        format!("{sign}{trimmed}")
    }
}

fn valid(
    cases: &[(&str, &str)],
    parse: fn(&str) -> Result<Amount, vericord_core::AmountError>,
    nanos: bool,
) -> Value {
    let rows = cases.iter().map(|&(input, canonical)| {
        let amount = parse(input).unwrap_or_else(|e| panic!("{input:?} must parse: {e}"));
        assert_eq!(amount.to_string(), canonical, "canonical text of {input:?}");
        if nanos {
            assert_eq!(
                amount.nanos().to_string(),
                nanos_of(canonical),
                "nanos of {input:?}"
            );
            json!({"input": input, "canonical": canonical, "nanos": nanos_of(canonical)})
        } else {
            json!({"input": input, "canonical": canonical})
        }
    });
    Value::from(rows.collect::<Vec<_>>())
}

fn invalid(
    cases: &[(&str, &str)],
    parse: fn(&str) -> Result<Amount, vericord_core::AmountError>,
) -> Value {
    let rows = cases.iter().map(|&(input, error)| {
        let got = parse(input).err().map(|e| e.code());
        assert_eq!(got, Some(error), "error of {input:?}");
        json!({"input": input, "error": error})
    });
    Value::from(rows.collect::<Vec<_>>())
}

pub fn build() -> Value {
    envelope(
        "Exact decimal amounts. valid/invalid: Amount::parse of JSON number text (at most 9 \
         significant fractional digits, magnitude below 1e20); nanos is the value in 1e-9 units as \
         decimal text. deltas: Amount::parse_delta (non-zero, |delta| <= 1e9).",
        vec![
            ("valid", valid(VALID, Amount::parse, true)),
            ("invalid", invalid(INVALID_CASES, Amount::parse)),
            (
                "deltas",
                json!({
                    "valid": valid(DELTAS_VALID, Amount::parse_delta, false),
                    "invalid": invalid(DELTAS_INVALID, Amount::parse_delta),
                }),
            ),
        ],
    )
}
