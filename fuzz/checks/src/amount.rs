//! `Amount::parse` / `parse_delta` against an independent big-integer reference, and the
//! canonical text: it reads back to the same amount, is a fixed point, and is what serde writes.

use num_bigint::BigInt;
use vericord_core::{Amount, AmountError};

use super::vectors;

const LIMIT: &str = "99999999999999999999.999999999";
const DELTA_LIMIT: &str = "1000000000";

/// RFC 8259's number grammar, written out: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i > start)
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        let (next, any) = digits(i + 1);
        if !any {
            return false;
        }
        i = next;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (next, any) = digits(i);
        if !any {
            return false;
        }
        i = next;
    }
    i == b.len()
}

/// The exact value of a JSON number token in nano-units, with every quantity a `BigInt`.
fn reference(text: &str) -> Result<i128, AmountError> {
    if !is_json_number(text) {
        return Err(AmountError::Syntax);
    }
    let big = |n: i64| BigInt::from(n);
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, written) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (
            m,
            e.strip_prefix('+').unwrap_or(e).parse::<BigInt>().unwrap(),
        ),
        None => (rest, big(0)),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut sig: BigInt = format!("{int}{frac}").parse().unwrap();
    let mut exp = written - BigInt::from(frac.len());
    if sig == big(0) {
        return Ok(0);
    }
    let ten = big(10);
    while &sig % &ten == big(0) {
        sig /= &ten;
        exp += 1;
    }
    if exp < big(-9) {
        let digits = u64::try_from(-exp).unwrap_or(u64::MAX);
        return Err(AmountError::TooPrecise { digits });
    }
    let out_of_range = Err(AmountError::OutOfRange { limit: LIMIT });
    if exp > big(20) {
        return out_of_range;
    }
    let nanos = sig * ten.pow(u32::try_from(exp + 9).unwrap());
    if nanos >= big(10).pow(29) {
        return out_of_range;
    }
    let nanos = i128::try_from(nanos).unwrap();
    Ok(if negative { -nanos } else { nanos })
}

fn reference_delta(text: &str) -> Result<i128, AmountError> {
    let out_of_range = Err(AmountError::OutOfRange { limit: DELTA_LIMIT });
    match reference(text) {
        Err(AmountError::OutOfRange { .. }) => out_of_range,
        Ok(0) => Err(AmountError::Zero),
        Ok(n) if n.unsigned_abs() > 10u128.pow(18) => out_of_range,
        other => other,
    }
}

/// The canonical text of `nanos`, written independently of the core.
fn reference_text(nanos: i128) -> String {
    let m = nanos.unsigned_abs();
    let (units, frac) = (m / 1_000_000_000, m % 1_000_000_000);
    let mut out = format!("{}{units}", if nanos < 0 { "-" } else { "" });
    if frac != 0 {
        out.push('.');
        out.push_str(format!("{frac:09}").trim_end_matches('0'));
    }
    out
}

/// The checks on one input: its UTF-8 text as a JSON number token.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let got = Amount::parse(text).map(Amount::nanos);
    assert_eq!(got, reference(text), "Amount::parse({text:?})");
    let delta = Amount::parse_delta(text).map(Amount::nanos);
    assert_eq!(
        delta,
        reference_delta(text),
        "Amount::parse_delta({text:?})"
    );
    if let Ok(nanos) = got {
        let a = Amount::from_nanos(nanos);
        let canonical = a.to_string();
        assert_eq!(
            canonical,
            reference_text(nanos),
            "canonical text of {text:?}"
        );
        assert_eq!(Amount::parse(&canonical), Ok(a), "{canonical:?} reads back");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{canonical}\""));
        assert_eq!(serde_json::from_str::<Amount>(&json).ok(), Some(a));
    }
}

/// Every amount text in `amounts.json` (valid and invalid, plain and delta).
pub fn seeds() -> Vec<Vec<u8>> {
    let v = vectors::amounts();
    let mut out = Vec::new();
    let deltas = v.get("deltas").cloned().unwrap_or_default();
    for part in [v, &deltas] {
        for key in ["valid", "invalid"] {
            for case in vectors::list(part, key) {
                if let Some(s) = case.get("input").and_then(|s| s.as_str()) {
                    out.push(s.as_bytes().to_vec());
                }
            }
        }
    }
    out
}
