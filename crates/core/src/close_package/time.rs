//! Timestamps and period labels, without a clock: RFC 3339 UTC with milliseconds in exactly the
//! form §1 fixes (`2026-04-01T10:30:00.000Z`), so valid timestamps compare as strings.

use alloc::format;
use alloc::string::String;

/// True for `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real instant (no leap seconds).
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return false;
    }
    // ASCII digits (the shape says so), at most 4 of them: no overflow.
    let num = |from: usize, to: usize| {
        b.get(from..to).map(|digits| {
            digits.iter().fold(0u32, |n, c| {
                n.wrapping_mul(10)
                    .wrapping_add(u32::from(c.wrapping_sub(b'0')))
            })
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0, 4),
        num(5, 7),
        num(8, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    ) else {
        return false;
    };
    (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// The bounds `[start, end)` a period label names: a UTC month `YYYY-MM`, or an RFC 3339
/// interval `start/end` of two timestamps with `start < end`.
pub(crate) fn label_bounds(label: &str) -> Option<(String, String)> {
    if let Some((start, end)) = label.split_once('/') {
        return (is_timestamp(start) && is_timestamp(end) && start < end)
            .then(|| (String::from(start), String::from(end)));
    }
    let b = label.as_bytes();
    if b.len() != 7 || b.get(4) != Some(&b'-') {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    let (year, month) = (label.get(0..4)?, label.get(5..7)?);
    if !digits(year) || !digits(month) {
        return None;
    }
    let (y, m) = (year.parse::<u32>().ok()?, month.parse::<u32>().ok()?);
    if !(1..=12).contains(&m) {
        return None;
    }
    let (next_y, next_m) = if m == 12 {
        (y.checked_add(1)?, 1)
    } else {
        (y, m.checked_add(1)?)
    };
    if next_y > 9999 {
        return None;
    }
    Some((
        format!("{y:04}-{m:02}-01T00:00:00.000Z"),
        format!("{next_y:04}-{next_m:02}-01T00:00:00.000Z"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_strict() {
        assert!(is_timestamp("2026-04-01T10:30:00.000Z"));
        assert!(is_timestamp("2024-02-29T23:59:59.999Z"));
        for bad in [
            "2026-04-01T10:30:00Z",
            "2026-04-01T10:30:00.000+00:00",
            "2026-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-04-31T00:00:00.000Z",
            "2026-04-01T24:00:00.000Z",
            "2026-04-01T10:30:60.000Z",
            "2026-04-01t10:30:00.000Z",
            "२०२६-04-01T10:30:00.000Z",
            "",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn labels_name_their_bounds() {
        let b = |l: &str| label_bounds(l).map(|(s, e)| format!("{s} {e}"));
        assert_eq!(
            b("2026-11").as_deref(),
            Some("2026-11-01T00:00:00.000Z 2026-12-01T00:00:00.000Z")
        );
        assert_eq!(
            b("2026-12").as_deref(),
            Some("2026-12-01T00:00:00.000Z 2027-01-01T00:00:00.000Z")
        );
        assert_eq!(
            b("2026-11-03T00:00:00.000Z/2026-11-04T00:00:00.000Z").as_deref(),
            Some("2026-11-03T00:00:00.000Z 2026-11-04T00:00:00.000Z")
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "9999-12",
            "+026-11",
            "2026-11-04T00:00:00.000Z/2026-11-03T00:00:00.000Z",
            "2026-11-03T00:00:00.000Z/2026-11-03T00:00:00.000Z",
            "",
        ] {
            assert_eq!(b(bad), None, "{bad}");
        }
    }
}
