//! Scopes: which time range a derive, compare, receipt or checkpoint covers.
//! Rules as the contract states them (and the SDK pre-checks): `startingCheckpoint`
//! excludes every other scope field; `period` excludes preset and dates; a
//! non-`custom` preset excludes dates; `custom` needs both dates; dates come in pairs.

use chrono::{DateTime, NaiveDate};

use crate::api::ApiError;
use crate::clock;
use crate::query::Query;

/// Widest custom range (`maxScopeMonths` = 12): one leap year.
pub const MAX_SCOPE_DAYS: u64 = 366;

/// The scope fields of a request, as given.
#[derive(Default)]
pub struct ScopeInput {
    pub period: Option<String>,
    pub time_preset: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub starting_checkpoint: Option<String>,
}

impl ScopeInput {
    /// The scope fields of a query string; `startingCheckpoint` too (routes that take none
    /// refuse it when resolving).
    pub fn from_query(q: &Query) -> ScopeInput {
        let s = |k: &str| q.get(k).map(String::from);
        ScopeInput {
            period: s("period"),
            time_preset: s("timePreset"),
            start_date: s("startDate"),
            end_date: s("endDate"),
            starting_checkpoint: s("startingCheckpoint"),
        }
    }

    /// Whether any time field is given.
    pub fn has_time(&self) -> bool {
        self.period.is_some()
            || self.time_preset.is_some()
            || self.start_date.is_some()
            || self.end_date.is_some()
    }
}

/// A resolved time scope `[start_ms, end_ms)`, `end_ms` clamped to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `YYYY-MM`, or `start/end` in RFC 3339 for custom ranges.
    pub label: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// The end asked for, before clamping to now.
    pub until_ms: u64,
}

impl Scope {
    /// Whether a checkpoint of this scope closes its period: a month label whose whole month
    /// has passed (its end was not clamped to now).
    pub fn closes_period(&self) -> bool {
        clock::month_range(&self.label).is_some() && self.end_ms >= self.until_ms
    }

    /// The scope with its end clamped to `now_ms` instead of to the time it was resolved: work
    /// done since (a drain, say) is in a scope that runs up to now.
    pub fn as_of(&self, now_ms: u64) -> Scope {
        Scope {
            end_ms: self.until_ms.min(now_ms.max(self.end_ms)),
            ..self.clone()
        }
    }

    pub fn start(&self) -> String {
        clock::rfc3339(self.start_ms)
    }
    pub fn end(&self) -> String {
        clock::rfc3339(self.end_ms)
    }
}

/// What the request asked for.
pub enum Resolved {
    Time(Scope),
    /// Everything after this checkpoint (id `chk_…` or its root).
    AfterCheckpoint(String),
}

fn combination(message: &str) -> ApiError {
    ApiError::invalid("INVALID_SCOPE_COMBINATION", None, message)
}

/// Milliseconds of an ISO-8601 date (`2026-04-01`, UTC midnight) or RFC 3339 time.
pub fn parse_time(text: &str, field: &str) -> Result<u64, ApiError> {
    let bad = || {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some(field.into()),
            "must be an ISO-8601 date or date-time",
        )
    };
    let ms = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.timestamp_millis()
    } else {
        let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
        d.and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?
            .and_utc()
            .timestamp_millis()
    };
    u64::try_from(ms).map_err(|_| bad())
}

fn month_scope(label: &str, now_ms: u64, field: &str) -> Result<Scope, ApiError> {
    let (start, end) = clock::month_range(label).ok_or_else(|| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some(field.into()),
            "must be a month as YYYY-MM",
        )
    })?;
    let start_ms = parse_time(&start, field)?;
    if start_ms > now_ms {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some(field.into()),
            "must not be in the future",
        ));
    }
    let until_ms = parse_time(&end, field)?;
    Ok(Scope {
        label: label.into(),
        start_ms,
        end_ms: until_ms.min(now_ms),
        until_ms,
    })
}

/// Resolves the scope; no scope at all is the current UTC month.
pub fn resolve(input: &ScopeInput, now_ms: u64) -> Result<Resolved, ApiError> {
    let any_time = input.has_time();
    if let Some(cp) = &input.starting_checkpoint {
        if any_time {
            return Err(combination("startingCheckpoint cannot be combined with period, timePreset, startDate, or endDate"));
        }
        return Ok(Resolved::AfterCheckpoint(cp.clone()));
    }
    if let Some(period) = &input.period {
        if input.time_preset.is_some() || input.start_date.is_some() || input.end_date.is_some() {
            return Err(combination(
                "period cannot be combined with timePreset, startDate, or endDate",
            ));
        }
        return month_scope(period, now_ms, "period").map(Resolved::Time);
    }
    let dates = (input.start_date.as_deref(), input.end_date.as_deref());
    match input.time_preset.as_deref() {
        None | Some("current_month") if dates == (None, None) => {
            month_scope(&clock::month(now_ms), now_ms, "period").map(Resolved::Time)
        }
        Some("current_month") => Err(combination(
            "startDate/endDate can only be used when timePreset is 'custom' or omitted",
        )),
        Some("custom") | None => {
            let (Some(start), Some(end)) = dates else {
                return Err(combination(if input.time_preset.is_some() {
                    "timePreset='custom' requires both startDate and endDate"
                } else {
                    "startDate and endDate must be provided together"
                }));
            };
            let start_ms = parse_time(start, "startDate")?;
            let end_ms = parse_time(end, "endDate")?;
            if start_ms >= end_ms {
                return Err(ApiError::invalid(
                    "VALIDATION_ERROR",
                    Some("endDate".into()),
                    "must be after startDate",
                ));
            }
            if end_ms - start_ms > MAX_SCOPE_DAYS * 86_400_000 {
                return Err(ApiError::invalid(
                    "SCOPE_TOO_WIDE",
                    None,
                    format!("a scope may span at most {MAX_SCOPE_DAYS} days (maxScopeMonths 12)"),
                ));
            }
            if start_ms > now_ms {
                return Err(ApiError::invalid(
                    "VALIDATION_ERROR",
                    Some("startDate".into()),
                    "must not be in the future",
                ));
            }
            let label = format!("{}/{}", clock::rfc3339(start_ms), clock::rfc3339(end_ms));
            Ok(Resolved::Time(Scope {
                label,
                start_ms,
                end_ms: end_ms.min(now_ms),
                until_ms: end_ms,
            }))
        }
        Some(_) => Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("timePreset".into()),
            "must be \"current_month\" or \"custom\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_775_039_400_000; // 2026-04-01T10:30:00Z

    fn input(
        p: Option<&str>,
        t: Option<&str>,
        s: Option<&str>,
        e: Option<&str>,
        c: Option<&str>,
    ) -> ScopeInput {
        let o = |v: Option<&str>| v.map(String::from);
        ScopeInput {
            period: o(p),
            time_preset: o(t),
            start_date: o(s),
            end_date: o(e),
            starting_checkpoint: o(c),
        }
    }

    fn code(i: ScopeInput) -> &'static str {
        resolve(&i, NOW).err().map(|e| e.code).unwrap_or("OK")
    }

    #[test]
    fn combinations() {
        assert_eq!(
            code(input(Some("2026-03"), Some("custom"), None, None, None)),
            "INVALID_SCOPE_COMBINATION"
        );
        assert_eq!(code(input(None, None, None, None, Some("chk_1"))), "OK");
        assert_eq!(
            code(input(Some("2026-03"), None, None, None, Some("chk_1"))),
            "INVALID_SCOPE_COMBINATION"
        );
        assert_eq!(
            code(input(
                None,
                Some("current_month"),
                Some("2026-03-01"),
                None,
                None
            )),
            "INVALID_SCOPE_COMBINATION"
        );
        assert_eq!(
            code(input(None, Some("custom"), Some("2026-03-01"), None, None)),
            "INVALID_SCOPE_COMBINATION"
        );
        assert_eq!(
            code(input(None, None, Some("2026-03-01"), None, None)),
            "INVALID_SCOPE_COMBINATION"
        );
        assert_eq!(
            code(input(
                None,
                Some("custom"),
                Some("2025-01-01"),
                Some("2026-03-01"),
                None
            )),
            "SCOPE_TOO_WIDE"
        );
        assert_eq!(
            code(input(None, Some("weekly"), None, None, None)),
            "VALIDATION_ERROR"
        );
        assert_eq!(
            code(input(Some("2026-05"), None, None, None, None)),
            "VALIDATION_ERROR"
        );
        assert_eq!(
            code(input(Some("2026-13"), None, None, None, None)),
            "VALIDATION_ERROR"
        );
    }

    #[test]
    fn defaults_and_clamping() {
        let Ok(Resolved::Time(s)) = resolve(&ScopeInput::default(), NOW) else {
            panic!()
        };
        assert_eq!(
            (s.label.as_str(), s.start(), s.end_ms),
            ("2026-04", "2026-04-01T00:00:00.000Z".into(), NOW)
        );
        let Ok(Resolved::Time(s)) = resolve(
            &input(
                None,
                None,
                Some("2026-03-01T00:00:00Z"),
                Some("2026-04-01"),
                None,
            ),
            NOW,
        ) else {
            panic!()
        };
        assert_eq!(s.label, "2026-03-01T00:00:00.000Z/2026-04-01T00:00:00.000Z");
        let Ok(Resolved::Time(s)) = resolve(&input(Some("2026-02"), None, None, None, None), NOW)
        else {
            panic!()
        };
        assert_eq!(s.end(), "2026-03-01T00:00:00.000Z");
    }
}
