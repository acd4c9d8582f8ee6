//! Time at the edge: the core takes time as an argument; this is where it comes from.

use std::cell::Cell;

use chrono::{DateTime, Datelike};

thread_local! {
    /// Test-only shift of the clock (`CLOCK_OFFSET_MS`): the end-to-end tests record in past
    /// months, then restart the Worker without it to find those months closed.
    static OFFSET_MS: Cell<i64> = const { Cell::new(0) };
}

/// Applies the `CLOCK_OFFSET_MS` var, if any (never set in a deployment).
pub fn configure(env: &worker::Env) {
    let offset = env
        .var("CLOCK_OFFSET_MS")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(0);
    OFFSET_MS.with(|o| o.set(offset));
}

/// Milliseconds since the Unix epoch, from the runtime clock.
pub fn now_ms() -> u64 {
    let now = worker::Date::now().as_millis();
    let offset = OFFSET_MS.with(Cell::get);
    now.saturating_add_signed(offset)
}

/// RFC 3339 UTC with milliseconds: `2026-04-01T10:30:00.000Z`.
pub fn rfc3339(ms: u64) -> String {
    match DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => "9999-12-31T23:59:59.999Z".into(),
    }
}

/// The UTC calendar month, `YYYY-MM`.
pub fn month(ms: u64) -> String {
    match DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)) {
        Some(t) => format!("{:04}-{:02}", t.year(), t.month()),
        None => "9999-12".into(),
    }
}

/// `[start, end)` of a `YYYY-MM` month as RFC 3339 text, `None` if not a real month.
pub fn month_range(period: &str) -> Option<(String, String)> {
    let (y, m) = period.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let start = chrono::NaiveDate::from_ymd_opt(year, month, 1)?;
    let end = if month == 12 {
        chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let fmt = |d: chrono::NaiveDate| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"));
    Some((fmt(start), fmt(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_775_039_400_123), "2026-04-01T10:30:00.123Z");
        assert_eq!(month(1_775_039_400_123), "2026-04");
        assert_eq!(
            month_range("2026-12").unwrap(),
            (
                "2026-12-01T00:00:00.000Z".into(),
                "2027-01-01T00:00:00.000Z".into()
            )
        );
        for bad in [
            "2026-13", "2026-00", "26-01", "2026-1", "2026/01", "abcd-ef",
        ] {
            assert!(month_range(bad).is_none(), "{bad}");
        }
    }
}
