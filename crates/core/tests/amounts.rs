//! Property test: `Amount::parse` and `Amount::parse_delta` give exactly the answer of an
//! independent big-integer reference for JSON number tokens of every shape — long runs of
//! leading and trailing zeros, and exponents of any length that cancel them or not.

use num_bigint::BigInt;
use proptest::prelude::*;
use vericord_core::{Amount, AmountError};

const LIMIT: &str = "99999999999999999999.999999999";
const DELTA_LIMIT: &str = "1000000000";

fn big(n: impl Into<BigInt>) -> BigInt {
    n.into()
}

/// The exact answer for a valid JSON number token, in nano-units: value = sig × 10^exp
/// with every quantity a `BigInt`; at most 9 significant fractional digits (judged
/// first), then magnitude below 10^20.
fn reference(text: &str) -> Result<i128, AmountError> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, written) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse().unwrap()),
        None => (rest, big(0)),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut sig: BigInt = format!("{int}{frac}").parse().unwrap();
    let mut exp = written - big(frac.len());
    if sig == big(0) {
        return Ok(0);
    }
    // Divide out the factors of ten, 18 at a time and then one at a time.
    for (step, k) in [(big(10u64.pow(18)), 18), (big(10), 1)] {
        while &sig % &step == big(0) {
            sig /= &step;
            exp += k;
        }
    }
    if exp < big(-9) {
        let digits = u64::try_from(-exp).unwrap_or(u64::MAX);
        return Err(AmountError::TooPrecise { digits });
    }
    let out_of_range = Err(AmountError::OutOfRange { limit: LIMIT });
    if exp > big(20) {
        return out_of_range;
    }
    let nanos = sig * big(10).pow(u32::try_from(exp + 9).unwrap());
    if nanos >= big(10).pow(29) {
        return out_of_range;
    }
    let nanos = i128::try_from(nanos).unwrap();
    Ok(if negative { -nanos } else { nanos })
}

/// A delta: also non-zero and |delta| ≤ 10^9, with the delta's limit in the error.
fn reference_delta(text: &str) -> Result<i128, AmountError> {
    let out_of_range = Err(AmountError::OutOfRange { limit: DELTA_LIMIT });
    match reference(text) {
        Err(AmountError::OutOfRange { .. }) => out_of_range,
        Ok(0) => Err(AmountError::Zero),
        Ok(n) if n.unsigned_abs() > 10u128.pow(18) => out_of_range,
        other => other,
    }
}

/// Runs of zeros: short ones often, long ones too.
fn zeros() -> impl Strategy<Value = String> {
    prop_oneof![0usize..4, 0usize..3000].prop_map(|n| "0".repeat(n))
}

/// Any digits, short ones more often.
fn digits() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[0-9]{0,10}", 1 => "[0-9]{0,30}"]
}

/// A JSON number token: sign, integer part (`0` or no leading zero), optional fraction with
/// zero runs around its digits, optional exponent. Exponents are small, or cancel one of the
/// zero runs or lengths (give or take a little) so the value lands near the allowed range, or
/// are up to 40 digits of any sign, leading zeros included.
fn token() -> impl Strategy<Value = String> {
    let int = prop_oneof![
        1 => Just((String::from("0"), 0usize)),
        2 => ("[1-9]", digits(), zeros()).prop_map(|(d, more, z)| (format!("{d}{more}{z}"), z.len())),
    ];
    let frac = proptest::option::weighted(0.75, (zeros(), digits(), zeros()));
    let exp = (
        proptest::bool::weighted(0.3),
        "[eE]",
        0usize..6,
        any::<bool>(),
        prop_oneof![-12i128..12, -40i128..40],
        0usize..3,
        prop_oneof![Just(0usize), 0usize..32],
        "[0-9]{1,40}",
    );
    (
        any::<bool>(),
        int,
        frac,
        proptest::option::weighted(0.8, exp),
    )
        .prop_map(|(negative, (int, int_zeros), frac, exp)| {
            let sign = if negative { "-" } else { "" };
            let (frac, lead) = match frac {
                None => (String::new(), 0),
                Some((lead, mid, tail)) => {
                    let f = format!("{lead}{mid}{tail}");
                    let f = if f.is_empty() { String::from("0") } else { f };
                    (format!(".{f}"), lead.len())
                }
            };
            let Some((huge, e, anchor, flip, offset, kind, pad, huge_digits)) = exp else {
                return format!("{sign}{int}{frac}");
            };
            let written = if huge {
                let s = ["", "+", "-"][kind];
                format!("{s}{huge_digits}")
            } else {
                let lengths = [
                    0,
                    int.len(),
                    int_zeros,
                    lead,
                    frac.len().saturating_sub(1),
                    1,
                ];
                let base = lengths[anchor] as i128;
                let v = if flip { -base } else { base } + offset;
                let s = if v < 0 { "-" } else { ["", "+", ""][kind] };
                format!("{s}{}{}", "0".repeat(pad), v.unsigned_abs())
            };
            format!("{sign}{int}{frac}{e}{written}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn parsing_agrees_with_an_exact_reference(text in token()) {
        prop_assert_eq!(Amount::parse(&text).map(Amount::nanos), reference(&text), "{}", text);
        prop_assert_eq!(
            Amount::parse_delta(&text).map(Amount::nanos),
            reference_delta(&text),
            "{}",
            text
        );
    }
}

/// Not a vacuous property: the tokens reach every outcome, in range and out of it.
#[test]
fn the_tokens_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = [0u32; 5];
    for _ in 0..2000 {
        let text = token().new_tree(&mut runner).unwrap().current();
        let outcome = match reference(&text) {
            Ok(0) => 0,
            Ok(_) if reference_delta(&text).is_ok() => 1,
            Ok(_) => 2,
            Err(AmountError::TooPrecise { .. }) => 3,
            Err(_) => 4,
        };
        seen[outcome] += 1;
    }
    // zero, a valid delta, a valid amount beyond a delta, too precise, out of range
    assert!(seen.iter().all(|&n| n >= 20), "{seen:?}");
}

/// The reference on known answers, its saturation included; the core agrees.
#[test]
fn the_reference_knows_the_edges() {
    let cases: [(&str, Result<i128, AmountError>); 9] = [
        ("-0.5e1", Ok(-5_000_000_000)),
        ("1e-9", Ok(1)),
        ("0e-99999999999999999999999999999999999999", Ok(0)),
        ("1.5e-9", Err(AmountError::TooPrecise { digits: 10 })),
        (
            "0.1e-1000001",
            Err(AmountError::TooPrecise { digits: 1_000_002 }),
        ),
        (
            "1e-18446744073709551616",
            Err(AmountError::TooPrecise { digits: u64::MAX }),
        ),
        (
            "99999999999999999999.999999999",
            Ok(99_999_999_999_999_999_999_999_999_999),
        ),
        ("1e20", Err(AmountError::OutOfRange { limit: LIMIT })),
        (
            "1e99999999999999999999999999999999999999",
            Err(AmountError::OutOfRange { limit: LIMIT }),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(reference(text), want, "{text}");
        assert_eq!(Amount::parse(text).map(Amount::nanos), want, "{text}");
    }
    assert_eq!(reference_delta("-1e9"), Ok(-10i128.pow(18)));
    assert_eq!(reference_delta("0.0"), Err(AmountError::Zero));
    assert_eq!(
        reference_delta("1000000000.000000001"),
        Err(AmountError::OutOfRange { limit: DELTA_LIMIT })
    );
}
