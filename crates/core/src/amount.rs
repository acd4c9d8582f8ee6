//! Exact decimal amounts.
//!
//! An [`Amount`] is an integer count of nano-units (10^-9), parsed from the
//! *text* of a JSON number so no binary float ever touches money. Sums are
//! `i128`, which cannot overflow for any realistic log: 2^53 deltas of 10^9
//! units each stay below 10^34 nano-units, far under `i128::MAX` (~1.7·10^38).

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// Fractional digits an amount may carry.
pub const SCALE: u32 = 9;
const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Largest magnitude any amount may have, in whole units (exclusive): 10^20.
const LIMIT_UNITS_DIGITS: usize = 20;
/// Largest magnitude of one delta, in whole units (inclusive).
pub const MAX_DELTA_UNITS: i128 = 1_000_000_000;

/// An exact decimal amount in nano-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i128);

/// Why an amount was rejected. Each variant has a stable [`code`](AmountError::code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Not a JSON number token (e.g. `"12"`, `.5`, `1.`, `NaN`, `+1`).
    Syntax,
    /// More fractional digits than [`SCALE`] once trailing zeros are dropped.
    TooPrecise {
        /// The number of significant fractional digits found (saturating at `u64::MAX`).
        digits: u64,
    },
    /// Magnitude above the allowed bound.
    OutOfRange {
        /// The bound, in whole units, as text.
        limit: &'static str,
    },
    /// A delta of zero.
    Zero,
}

impl AmountError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::Syntax => "AMOUNT_INVALID",
            AmountError::TooPrecise { .. } => "AMOUNT_TOO_PRECISE",
            AmountError::OutOfRange { .. } => "AMOUNT_OUT_OF_RANGE",
            AmountError::Zero => "AMOUNT_ZERO",
        }
    }
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Syntax => f.write_str("must be a finite JSON number such as 42 or -12.5"),
            AmountError::TooPrecise { digits } => write!(
                f,
                "has {digits} fractional digits; at most {SCALE} are allowed"
            ),
            AmountError::OutOfRange { limit } => {
                write!(f, "must be between -{limit} and {limit}")
            }
            AmountError::Zero => f.write_str("must not be zero"),
        }
    }
}

impl core::error::Error for AmountError {}

/// The parts of a JSON number token: sign, digits (no leading zeros), and a
/// decimal exponent, so that value = ±digits × 10^exp.
struct Decimal<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    exp: i128,
}

/// Written exponents saturate at ±10^30. A text is shorter than 2^63 bytes, so
/// the digit counts added to an exponent move it by less than 2^63: a saturated
/// one stays beyond ±2^64, where the result is `OutOfRange`, or `TooPrecise`
/// with `digits` saturated at `u64::MAX`, exactly as with the written exponent.
/// So parsing is exact for every input, and `i128` arithmetic cannot overflow.
const EXP_BOUND: i128 = 10i128.pow(30);

/// A length as an exponent offset (lossless: lengths are below 2^63).
fn len(s: &str) -> i128 {
    s.len() as i128
}

fn split_number(text: &str) -> Result<Decimal<'_>, AmountError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let int_start = i;
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while matches!(bytes.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        _ => return Err(AmountError::Syntax),
    }
    let int = &text[int_start..i];
    let mut frac = "";
    if bytes.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while matches!(bytes.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            return Err(AmountError::Syntax);
        }
        frac = &text[start..i];
    }
    let mut exp: i128 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while let Some(d @ b'0'..=b'9') = bytes.get(i) {
            exp = (exp * 10 + i128::from(d - b'0')).min(EXP_BOUND);
            i += 1;
        }
        if i == start {
            return Err(AmountError::Syntax);
        }
        if exp_negative {
            exp = -exp;
        }
    }
    if i != bytes.len() {
        return Err(AmountError::Syntax);
    }
    Ok(Decimal {
        negative,
        int,
        frac,
        exp,
    })
}

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// From a count of nano-units.
    pub const fn from_nanos(nanos: i128) -> Amount {
        Amount(nanos)
    }

    /// The count of nano-units.
    pub const fn nanos(self) -> i128 {
        self.0
    }

    /// Parses the text of a JSON number exactly (exponents allowed), with at
    /// most [`SCALE`] significant fractional digits and a magnitude below 10^20.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let d = split_number(text)?;
        // All significant digits, and the exponent that applies to them.
        let mut exp = d.exp - len(d.frac);
        let mut digits = String::from(d.int);
        digits.push_str(d.frac);
        let trimmed_lead = digits.trim_start_matches('0');
        if trimmed_lead.is_empty() {
            return Ok(Amount::ZERO);
        }
        let significant = trimmed_lead.trim_end_matches('0');
        exp += len(trimmed_lead) - len(significant);
        if exp < -i128::from(SCALE) {
            return Err(AmountError::TooPrecise {
                digits: u64::try_from(-exp).unwrap_or(u64::MAX),
            });
        }
        if len(significant) + exp > LIMIT_UNITS_DIGITS as i128 {
            return Err(AmountError::OutOfRange {
                limit: "99999999999999999999.999999999",
            });
        }
        // At most 20 integer + 9 fractional digits: fits i128 comfortably.
        let mut nanos: i128 = 0;
        for b in significant.bytes() {
            nanos = nanos * 10 + i128::from(b - b'0');
        }
        // -9 ≤ exp ≤ 20 - significant.len(), so 0 ≤ shift ≤ 28.
        let shift = (exp + i128::from(SCALE)) as u32;
        nanos *= 10i128.pow(shift);
        Ok(Amount(if d.negative { -nanos } else { nanos }))
    }

    /// Parses a delta: [`parse`](Amount::parse), then non-zero and
    /// |delta| ≤ 1 000 000 000.
    pub fn parse_delta(text: &str) -> Result<Amount, AmountError> {
        let amount = Amount::parse(text).map_err(|e| match e {
            AmountError::OutOfRange { .. } => AmountError::OutOfRange {
                limit: "1000000000",
            },
            other => other,
        })?;
        if amount.0 == 0 {
            return Err(AmountError::Zero);
        }
        if amount.0.unsigned_abs() > (MAX_DELTA_UNITS * NANOS_PER_UNIT) as u128 {
            return Err(AmountError::OutOfRange {
                limit: "1000000000",
            });
        }
        Ok(amount)
    }

    /// Exact sum, `None` on `i128` overflow (unreachable within the bounds above).
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Exact difference.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// True when strictly negative.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// An amount's canonical text on the stack (see [`Amount::text`]): at most 41 bytes, for the
/// `-`, 30 integer digits of `i128::MIN` in nano-units, the `.` and 9 fractional digits.
pub(crate) struct AmountText {
    buf: [u8; 48],
    start: usize,
}

impl AmountText {
    fn push_front(&mut self, byte: u8) {
        // At most 41 bytes are ever pushed into 48.
        self.start = self.start.saturating_sub(1);
        if let Some(slot) = self.buf.get_mut(self.start) {
            *slot = byte;
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // ASCII digits, `-` and `.` only.
        self.buf
            .get(self.start..)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl Amount {
    /// The canonical text, written without `core::fmt` (it is hashed once per record): what
    /// `Display` writes.
    pub(crate) fn text(self) -> AmountText {
        let mut out = AmountText {
            buf: [0; 48],
            start: 48,
        };
        let magnitude = self.0.unsigned_abs();
        let per_unit = NANOS_PER_UNIT as u64;
        // Machine-word division whenever the magnitude fits in 64 bits, as every real one does.
        let (units, frac) = match u64::try_from(magnitude) {
            Ok(m) => (u128::from(m / per_unit), m % per_unit),
            Err(_) => {
                let (units, frac) = div_rem(magnitude, per_unit as u32);
                (units, u64::from(frac))
            }
        };
        if frac != 0 {
            let (mut rest, mut digits) = (frac, SCALE);
            while rest % 10 == 0 {
                rest /= 10;
                digits -= 1;
            }
            for _ in 0..digits {
                out.push_front(b'0' + (rest % 10) as u8);
                rest /= 10;
            }
            out.push_front(b'.');
        }
        match u64::try_from(units) {
            Ok(mut rest) => loop {
                out.push_front(b'0' + (rest % 10) as u8);
                rest /= 10;
                if rest == 0 {
                    break;
                }
            },
            Err(_) => {
                let mut rest = units;
                loop {
                    let (q, digit) = div_rem(rest, 10);
                    out.push_front(b'0' + digit as u8);
                    rest = q;
                    if rest == 0 {
                        break;
                    }
                }
            }
        }
        if self.0 < 0 {
            out.push_front(b'-');
        }
        out
    }
}

/// `(n / d, n % d)` by long division in 32-bit digits: machine-word divisions only, so that
/// compiler_builtins' 128-bit division (1 KB of the npm package's wasm) is not linked.
fn div_rem(n: u128, d: u32) -> (u128, u32) {
    let d = u64::from(d);
    let (mut q, mut rem) = (0u128, 0u64);
    for shift in [96, 64, 32, 0] {
        // rem < d, so cur < d · 2^32 and the digit cur / d fits in 32 bits.
        let cur = (rem << 32) | u64::from((n >> shift) as u32);
        q |= u128::from(cur / d) << shift;
        rem = cur % d;
    }
    (q, rem as u32)
}

/// Canonical text: no exponent, no `+`, no leading zeros, no trailing
/// fractional zeros, `-` only when negative (`-42.5`, `1000`, `0`).
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Amount, AmountError> {
        Amount::parse(s)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let text = <alloc::borrow::Cow<'de, str>>::deserialize(d)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn canon(s: &str) -> String {
        Amount::parse(s).unwrap().to_string()
    }

    #[test]
    fn long_division_is_u128_division() {
        let mut n: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for d in [1, 2, 10, 1_000_000_000, u32::MAX] {
            for m in [
                0,
                1,
                u128::from(d) - 1,
                u128::MAX,
                u128::MAX / 3,
                1 << 64,
                n,
            ] {
                assert_eq!(
                    div_rem(m, d),
                    (m / u128::from(d), (m % u128::from(d)) as u32)
                );
            }
            n = n.rotate_left(17).wrapping_mul(0x2545_f491_4f6c_dd1d);
        }
        // Beyond u64: the text is the decimal integer with the point 9 digits from its end.
        for nanos in [i128::MIN, i128::MAX, -(1 << 100) - 7] {
            let whole = nanos.to_string();
            let (units, frac) = whole.split_at(whole.len() - 9);
            assert_eq!(
                Amount::from_nanos(nanos).text().as_str(),
                format!("{units}.{frac}")
            );
        }
    }

    #[test]
    fn canonical_text() {
        assert_eq!(canon("-42.50"), "-42.5");
        assert_eq!(canon("1000"), "1000");
        assert_eq!(canon("1e3"), "1000");
        assert_eq!(canon("1.5E+2"), "150");
        assert_eq!(canon("12345e-4"), "1.2345");
        assert_eq!(canon("0.000000001"), "0.000000001");
        assert_eq!(canon("-0"), "0");
        assert_eq!(canon("0e999999999999999999"), "0");
        assert_eq!(canon("100.0"), "100");
        assert_eq!(
            canon("99999999999999999999.999999999"),
            "99999999999999999999.999999999"
        );
    }

    #[test]
    fn rejections_name_the_problem() {
        for bad in [
            "", "-", "+1", ".5", "5.", "01", "1e", "1e+", "NaN", "Infinity", " 1", "1 ", "\"1\"",
            "0x10", "1_0",
        ] {
            assert_eq!(Amount::parse(bad), Err(AmountError::Syntax), "{bad:?}");
        }
        assert_eq!(
            Amount::parse("0.0000000001"),
            Err(AmountError::TooPrecise { digits: 10 })
        );
        assert_eq!(
            Amount::parse("1e-99999999999999"),
            Err(AmountError::TooPrecise {
                digits: 99_999_999_999_999
            })
        );
        assert!(matches!(
            Amount::parse("1e20"),
            Err(AmountError::OutOfRange { .. })
        ));
        assert!(matches!(
            Amount::parse("1e99999999999999999999"),
            Err(AmountError::OutOfRange { .. })
        ));
    }

    #[test]
    fn long_inputs_with_huge_exponents_parse_exactly() {
        let zeros = |n: usize| "0".repeat(n);
        // 10^-1_000_000 × 10^1_000_001 = 10: the exponent must not stop at 10^6.
        assert_eq!(canon(&format!("0.{}1e1000001", zeros(999_999))), "10");
        assert_eq!(
            canon(&format!("0.{}5e1000013", zeros(1_000_004))),
            "500000000"
        );
        // The negative twin: 10^1_000_005 × 10^-1_000_005 = 1.
        assert_eq!(canon(&format!("1{}e-1000005", zeros(1_000_005))), "1");
        assert_eq!(canon(&format!("-25{}e-2000001", zeros(2_000_000))), "-2.5");
        // 50 ones × 10^-1_000_000 has a million fractional digits.
        assert_eq!(
            Amount::parse(&format!("{}e-1000000", "1".repeat(50))),
            Err(AmountError::TooPrecise { digits: 1_000_000 })
        );
        // 1111111111 × 10^(1_000_000 - 2_000_000), not 1111111111.
        assert_eq!(
            Amount::parse(&format!("{}{}e-2000000", "1".repeat(10), zeros(1_000_000))),
            Err(AmountError::TooPrecise { digits: 1_000_000 })
        );
        // 10^1_000_001 × 10^-1_000_000 = 10, but 10^1_000_025 × 10^-1_000_000 is out of range.
        assert_eq!(canon(&format!("1{}e-1000000", zeros(1_000_001))), "10");
        assert!(matches!(
            Amount::parse(&format!("1{}e-1000000", zeros(1_000_025))),
            Err(AmountError::OutOfRange { .. })
        ));
        // Exponents of any length: the exact digit count, saturating at u64::MAX.
        assert_eq!(
            Amount::parse("1e-18446744073709551615"),
            Err(AmountError::TooPrecise { digits: u64::MAX })
        );
        assert_eq!(
            Amount::parse(&format!("1e-{}", "9".repeat(40))),
            Err(AmountError::TooPrecise { digits: u64::MAX })
        );
        assert_eq!(
            canon(&format!("0.{}1e+{}1000001", zeros(999_999), zeros(30))),
            "10"
        );
        assert!(matches!(
            Amount::parse(&format!("0.{}1e{}", zeros(999_999), "9".repeat(40))),
            Err(AmountError::OutOfRange { .. })
        ));
        assert_eq!(canon(&format!("0e-{}", "9".repeat(40))), "0");
    }

    #[test]
    fn deltas() {
        assert_eq!(
            Amount::parse_delta("1000000000").unwrap().to_string(),
            "1000000000"
        );
        assert_eq!(
            Amount::parse_delta("-1e9").unwrap().to_string(),
            "-1000000000"
        );
        assert_eq!(Amount::parse_delta("0"), Err(AmountError::Zero));
        assert_eq!(Amount::parse_delta("0.000"), Err(AmountError::Zero));
        assert_eq!(
            Amount::parse_delta("1000000000.000000001"),
            Err(AmountError::OutOfRange {
                limit: "1000000000"
            })
        );
        assert_eq!(
            Amount::parse_delta("1e30"),
            Err(AmountError::OutOfRange {
                limit: "1000000000"
            })
        );
        assert_eq!(
            Amount::parse_delta("0.1e-9"),
            Err(AmountError::TooPrecise { digits: 10 })
        );
    }

    #[test]
    fn float_artifacts_are_refused_not_rounded() {
        // 0.1 + 0.2 as a double prints with 17 fractional digits.
        assert_eq!(
            Amount::parse("0.30000000000000004"),
            Err(AmountError::TooPrecise { digits: 17 })
        );
    }

    /// The fmt-free text is the formatter's, across the 64-bit boundary and at the extremes.
    #[test]
    fn text_is_the_formatted_text() {
        fn formatted(nanos: i128) -> String {
            let magnitude = nanos.unsigned_abs();
            let (units, frac) = (magnitude / 1_000_000_000, magnitude % 1_000_000_000);
            let mut out = format!("{}{units}", if nanos < 0 { "-" } else { "" });
            if frac != 0 {
                let digits = format!("{frac:09}");
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
            out
        }
        let edges = [
            0,
            1,
            9,
            10,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            1_500_000_000,
        ];
        let wide = [
            u64::MAX as i128,
            u64::MAX as i128 + 1,
            i128::MAX,
            i128::MIN + 1,
            i128::MIN,
        ];
        let mut x: i128 = 0x9E37_79B9_7F4A_7C15;
        for n in edges.into_iter().chain(wide).chain((0..2000).map(|i| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> (i % 127)
        })) {
            for n in [n, n.wrapping_neg(), n / 7, n % 1_000_000_000_000] {
                assert_eq!(Amount(n).text().as_str(), formatted(n), "{n}");
                assert_eq!(Amount(n).to_string(), formatted(n), "{n}");
            }
        }
    }

    #[test]
    fn sums_are_exact() {
        let a = Amount::parse("0.1").unwrap();
        let b = Amount::parse("0.2").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.3");
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "0.1");
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "-0.1");
    }
}
