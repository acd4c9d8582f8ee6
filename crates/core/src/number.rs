//! JSON number text ↔ IEEE-754 double, exactly and without tables: the nearest double to a
//! decimal (ties to even, as `str::parse::<f64>` and every conforming JSON parser read it), and
//! the text ECMAScript's `Number::toString` writes for a double (RFC 8785 §3.2.2.3: the fewest
//! significant digits that read back as the same double, the one closest to it when several
//! have that many, the even one on a tie; then ECMAScript's choice of plain or exponent form).
//!
//! Both are done on exact big integers (`Big`): no float arithmetic and no tables of powers
//! (`core`'s `dec2flt` and `ryu`'s tables are about a fifth of the npm package's gzipped wasm).
//! Slower than those, which JCS of metadata does not notice: a number costs a few dozen
//! big-integer divisions of at most ~4,000 bits. Checked against `str::parse::<f64>` and
//! `ryu-js` (the formatter serde_json_canonicalizer uses) in the tests below.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// Significant digits kept when reading: more never changes the nearest double (a halfway
/// point between two doubles has at most 767), provided a dropped non-zero tail is kept as a
/// non-zero digit after them (the "sticky" digit), which cannot land on a halfway point.
const MAX_DIGITS: usize = 800;

/// A non-negative integer: little-endian 32-bit limbs, no zero limb at the top.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut b = Big(vec![n as u32, (n >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self * m + a`.
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self * 10^e`.
    fn mul_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.mul_add(1_000_000_000, 0);
            e -= 9;
        }
        self.mul_add(10u32.pow(e), 0);
    }

    /// `self * 2^bits`.
    fn shl(&mut self, bits: u32) {
        if self.0.is_empty() {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits != 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let t = (u64::from(*limb) << bits) | carry;
                *limb = t as u32;
                carry = t >> 32;
            }
            if carry != 0 {
                self.0.push(carry as u32);
            }
        }
        self.0.splice(0..0, core::iter::repeat_n(0, limbs));
    }

    /// The number of bits, 0 for zero.
    fn bits(&self) -> u32 {
        match self.0.last() {
            Some(top) => 32 * (self.0.len() as u32 - 1) + (32 - top.leading_zeros()),
            None => 0,
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self - other`, for `self >= other`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let t = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(t < 0);
            *limb = t.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    /// `self / d`, leaving the remainder in `self`; the quotient must be below 2^64.
    fn div_rem(&mut self, d: &Big) -> u64 {
        let mut q = 0u64;
        let top = self.bits().saturating_sub(d.bits()).min(63);
        for i in (0..=top).rev() {
            let mut t = d.clone();
            t.shl(i);
            if self.cmp(&t) != Ordering::Less {
                self.sub(&t);
                q |= 1 << i;
            }
        }
        q
    }
}

/// `(num, den)` with `num / den = v × 2^e2 / 10^e10`.
fn ratio(v: u64, e2: i32, e10: i32) -> (Big, Big) {
    let (mut num, mut den) = (Big::from_u64(v), Big::from_u64(1));
    if e2 >= 0 {
        num.shl(e2.unsigned_abs());
    } else {
        den.shl(e2.unsigned_abs());
    }
    if e10 >= 0 {
        den.mul_pow10(e10.unsigned_abs());
    } else {
        num.mul_pow10(e10.unsigned_abs());
    }
    (num, den)
}

/// The double nearest to the JSON number `text` (RFC 8259 grammar, checked by the caller),
/// ties to even; `None` when it rounds beyond the largest finite double.
pub(crate) fn parse(text: &str) -> Option<f64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The exponent, saturated far beyond any that matters.
    let (exp_negative, exp_digits) = match exponent.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, exponent.strip_prefix('+').unwrap_or(exponent)),
    };
    let mut exp: i64 = 0;
    for b in exp_digits.bytes() {
        exp = (exp * 10 + i64::from(b.wrapping_sub(b'0') % 10)).min(1 << 40);
    }
    if exp_negative {
        exp = -exp;
    }
    let zero = if negative { -0.0 } else { 0.0 };
    // The significant digits (leading zeros dropped), the value being digits × 10^e10.
    let all = int.bytes().chain(frac.bytes());
    let mut digits = all.skip_while(|&b| b == b'0').peekable();
    let total = digits.clone().count();
    if total == 0 {
        return Some(zero);
    }
    let mut e10 = exp - frac.len() as i64;
    let mut m = Big(Vec::new());
    for b in digits.by_ref().take(MAX_DIGITS) {
        m.mul_add(10, u32::from(b.wrapping_sub(b'0') % 10));
    }
    if total > MAX_DIGITS {
        e10 += (total - MAX_DIGITS) as i64;
        if digits.any(|b| b != b'0') {
            m.mul_add(10, 1);
            e10 -= 1;
        }
    }
    // value < 10^magnitude (about: a sticky digit is not counted), so beyond 10^310 it is
    // infinite and below 10^-325 it rounds to zero; within, e10 is small.
    let magnitude = e10 + total.min(MAX_DIGITS) as i64;
    if magnitude > 310 {
        return None;
    }
    if magnitude < -325 {
        return Some(zero);
    }
    let e10 = e10 as i32;
    let (mut num, mut den) = (m, Big::from_u64(1));
    if e10 >= 0 {
        num.mul_pow10(e10.unsigned_abs());
    } else {
        den.mul_pow10(e10.unsigned_abs());
    }
    // 2^e2 <= value < 2^(e2 + 1).
    let mut e2 = num.bits() as i32 - den.bits() as i32;
    {
        let (mut a, mut b) = (num.clone(), den.clone());
        if e2 >= 0 {
            b.shl(e2.unsigned_abs());
        } else {
            a.shl(e2.unsigned_abs());
        }
        if a.cmp(&b) == Ordering::Less {
            e2 -= 1;
        }
    }
    if e2 > 1023 {
        return None;
    }
    // The value in units of the last place u: q = round(value / 2^u), at most 2^53.
    let u = (e2 - 52).max(-1074);
    if u >= 0 {
        den.shl(u.unsigned_abs());
    } else {
        num.shl(u.unsigned_abs());
    }
    let q = div_round_even(&mut num, &den);
    Some(if negative {
        -from_parts(q, u)?
    } else {
        from_parts(q, u)?
    })
}

/// `num / den` rounded to the nearest integer, ties to even (`num` is used up).
fn div_round_even(num: &mut Big, den: &Big) -> u64 {
    let q = num.div_rem(den);
    num.shl(1);
    match num.cmp(den) {
        Ordering::Greater => q + 1,
        Ordering::Equal => q + (q & 1),
        Ordering::Less => q,
    }
}

/// `q × 2^u` as a double, for `q <= 2^53` and `u >= -1074`; `None` above the largest.
fn from_parts(mut q: u64, mut u: i32) -> Option<f64> {
    if q == 0 {
        return Some(0.0);
    }
    if q == 1 << 53 {
        q >>= 1;
        u += 1;
    }
    if q < 1 << 52 {
        // Subnormal (u is -1074 here).
        return Some(f64::from_bits(q));
    }
    let field = u + 52 + 1023;
    if field > 2046 {
        return None;
    }
    Some(f64::from_bits(
        (u64::from(field.unsigned_abs()) << 52) | (q & ((1 << 52) - 1)),
    ))
}

/// Appends the ECMAScript `Number::toString` text of a finite double (RFC 8785 §3.2.2.3).
pub(crate) fn write(out: &mut String, x: f64) {
    if x == 0.0 || !x.is_finite() {
        out.push('0');
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let (s, j) = shortest(x.abs());
    let mut buf = [0u8; 20];
    let digits = decimal(s, &mut buf);
    let k = digits.len() as i32;
    let n = j + k;
    let digits_str = core::str::from_utf8(digits).unwrap_or_default();
    if k <= n && n <= 21 {
        out.push_str(digits_str);
        out.extend(core::iter::repeat_n('0', (n - k).unsigned_abs() as usize));
    } else if 0 < n && n <= 21 {
        let (a, b) = digits_str.split_at(n.unsigned_abs() as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(core::iter::repeat_n('0', n.unsigned_abs() as usize));
        out.push_str(digits_str);
    } else {
        let (a, b) = digits_str.split_at(1);
        out.push_str(a);
        if !b.is_empty() {
            out.push('.');
            out.push_str(b);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        let mut ebuf = [0u8; 20];
        out.push_str(
            core::str::from_utf8(decimal(u64::from((n - 1).unsigned_abs()), &mut ebuf))
                .unwrap_or_default(),
        );
    }
}

/// The decimal digits of `n`, at the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    buf.get(at..).unwrap_or_default()
}

/// For a positive finite double `x`: `(s, j)` with `s` of the fewest digits (no trailing
/// zero) such that `s × 10^j` reads back as `x`, the closest such to `x`, the even one on
/// a tie — ECMAScript's `Number::toString` choice.
fn shortest(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let field = (bits >> 52) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // x = f × 2^e.
    let (f, e) = if field == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, field - 1075)
    };
    // In quarters of 2^e: x, and the halfway points to its neighbours (the lower one nearer
    // when x is the smallest of its binade). A halfway point reads back as x when f is even.
    let mid = 4 * f;
    let high = mid + 2;
    let low = if fraction == 0 && field > 1 {
        mid - 1
    } else {
        mid - 2
    };
    let inclusive = f % 2 == 0;
    let e = e - 2;
    // 10^(n0 − 1) <= x < 10^n0, from an estimate (log10(2) ≈ 78913 / 2^18), then exactly.
    let b = e + 2 + (64 - f.leading_zeros() as i32) - 1;
    let mut n0 = ((b * 78913) >> 18) + 1;
    let at_least = |n: i32| {
        let (num, den) = ratio(mid, e, n);
        num.cmp(&den) != Ordering::Less
    };
    while at_least(n0) {
        n0 += 1;
    }
    while !at_least(n0 - 1) {
        n0 -= 1;
    }
    for k in 1..=17 {
        let j = n0 - k;
        let (mut hn, hd) = ratio(high, e, j);
        let mut s_max = hn.div_rem(&hd);
        if hn.0.is_empty() && !inclusive {
            s_max = s_max.wrapping_sub(1);
        }
        let (mut ln, ld) = ratio(low, e, j);
        let mut s_min = ln.div_rem(&ld);
        if !ln.0.is_empty() || !inclusive {
            s_min += 1;
        }
        if s_max == u64::MAX || s_min > s_max {
            continue;
        }
        let (mut xn, xd) = ratio(mid, e, j);
        let s = div_round_even(&mut xn, &xd);
        let (mut s, mut j) = (s.clamp(s_min, s_max), j);
        while s % 10 == 0 && s != 0 {
            s /= 10;
            j += 1;
        }
        return (s, j);
    }
    // Unreachable: 17 significant digits always read back.
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn text(x: f64) -> String {
        let mut out = String::new();
        write(&mut out, x);
        out
    }

    /// Deterministic pseudo-random bits (xorshift64*).
    fn bits(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn doubles() -> Vec<f64> {
        let mut out = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let x = f64::from_bits(bits(&mut state) & !(1 << 63));
            if x.is_finite() {
                out.push(x);
            }
        }
        // Every binade's edges, powers of ten and their neighbours, subnormals, extremes.
        for field in 0..2047u64 {
            for fraction in [0, 1, 2, (1 << 52) - 1, 1 << 51] {
                out.push(f64::from_bits(field << 52 | fraction));
            }
        }
        for p in -325..=308 {
            let x: f64 = format!("1e{p}").parse().unwrap();
            for d in [-2i64, -1, 0, 1, 2] {
                out.push(f64::from_bits((x.to_bits() as i64 + d).max(0) as u64));
            }
        }
        for n in 0..2000u64 {
            out.push(n as f64);
            out.push(n as f64 / 1000.0);
            out.push((1u64 << 53) as f64 - n as f64);
        }
        out.extend([
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            0.1,
            0.2,
            0.3,
            1e21,
            1e-7,
            4.35,
        ]);
        out
    }

    #[test]
    fn writes_what_ryu_js_writes() {
        for x in doubles() {
            assert_eq!(
                text(x),
                ryu_js::Buffer::new().format_finite(x),
                "{:x}",
                x.to_bits()
            );
            assert_eq!(text(-x), ryu_js::Buffer::new().format_finite(-x));
        }
    }

    #[test]
    fn reads_what_str_parse_reads() {
        let mut cases: Vec<String> = Vec::new();
        for x in doubles() {
            let shortest = text(x);
            cases.push(shortest.clone());
            cases.push(format!("-{shortest}"));
            cases.push(format!("{x:e}"));
            cases.push(format!("{x:.30e}"));
            // Exact halfway points to the next double up, and just off them.
            let next = f64::from_bits(x.to_bits() + 1);
            if next.is_finite() {
                let half = exact_midpoint(x, next);
                cases.push(half.clone());
                cases.push(format!("{half}1"));
                if let Some(stripped) = half.strip_suffix('5') {
                    cases.push(format!("{stripped}4999999999999999999999"));
                }
            }
        }
        let mut state = 7;
        for _ in 0..20_000 {
            let digits = bits(&mut state) % 40 + 1;
            let mut s: String = (0..digits)
                .map(|_| char::from(b'0' + (bits(&mut state) % 10) as u8))
                .collect();
            if bits(&mut state) % 2 == 0 {
                s.insert(1, '.');
            }
            let e = (bits(&mut state) % 700) as i64 - 350;
            cases.push(format!("{s}e{e}"));
            cases.push(s);
        }
        cases.extend(
            [
                "0",
                "-0",
                "0.0",
                "-0.0",
                "0e5",
                "1e400",
                "-1e400",
                "1e-400",
                "1e308",
                "1.7976931348623157e308",
                "1.7976931348623158e308",
                "1.7976931348623159e308",
                "2.4703282292062327e-324",
                "2.4703282292062328e-324",
                "4.9406564584124654e-324",
                "2.2250738585072011e-308",
                "2.2250738585072012e-308",
                "9007199254740993",
                "1e99999999999999999999999",
                "1e-99999999999999999999999",
                "0.000000001E+9",
            ]
            .map(String::from),
        );
        let long = format!("0.{}1e5", "0".repeat(2000));
        cases.push(long);
        cases.push(format!("1{}e-2000", "0".repeat(2000)));
        cases.push(format!("1.{}1", "0".repeat(900)));
        for case in cases {
            let want: f64 = case.parse().unwrap();
            let got = parse(&case);
            if want.is_finite() {
                assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{case}");
            } else {
                assert_eq!(got, None, "{case}");
            }
        }
    }

    /// The exact decimal of the point halfway between two adjacent positive doubles.
    fn exact_midpoint(a: f64, b: f64) -> String {
        use num_bigint::BigUint;
        // a = fa × 2^ea, b likewise; the midpoint (fa·2^(ea−eb)+fb)/2 × 2^eb, ea >= eb.
        let parts = |x: f64| {
            let bits = x.to_bits();
            let field = (bits >> 52) as i64;
            let fraction = bits & ((1 << 52) - 1);
            if field == 0 {
                (fraction, -1074i64)
            } else {
                (fraction | 1 << 52, field - 1075)
            }
        };
        let ((fa, ea), (fb, eb)) = (parts(a), parts(b));
        let low = ea.min(eb);
        let sum =
            (BigUint::from(fa) << (ea - low) as usize) + (BigUint::from(fb) << (eb - low) as usize);
        // sum × 2^(low − 1) = sum × 5^(1 − low) / 10^(1 − low) when low < 1.
        let shift = 1 - low;
        if shift <= 0 {
            return (sum << (-shift) as usize).to_string();
        }
        let n = (sum * BigUint::from(5u8).pow(shift as u32)).to_string();
        let point = shift as usize;
        if n.len() > point {
            format!("{}.{}", &n[..n.len() - point], &n[n.len() - point..])
        } else {
            format!("0.{}{}", "0".repeat(point - n.len()), n)
        }
    }
}
