//! Request parameters: path segments, percent-decoded, and the query string,
//! validated with errors that name the parameter.

use std::collections::HashMap;
use worker::{Request, RouteContext};

use crate::api::ApiError;
use crate::AppState;

/// A path parameter, percent-decoded: clients encode path segments
/// (`encodeURIComponent("cust:1")` is `cust%3A1`). Text that does not decode
/// to UTF-8 is kept as sent; it names nothing, so the lookup is a 404.
pub fn param(ctx: &RouteContext<AppState>, name: &str) -> String {
    let raw = ctx.param(name).map(String::as_str).unwrap_or_default();
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_or_else(|_| raw.to_string(), |s| s.into_owned())
}

pub struct Query(HashMap<String, String>);

impl Query {
    pub fn of(req: &Request) -> Result<Query, ApiError> {
        let url = req
            .url()
            .map_err(|e| ApiError::invalid("VALIDATION_ERROR", None, format!("bad URL: {e}")))?;
        Ok(Query(
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// A non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int(&self, name: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some(name.into()),
                format!("must be an integer from {min} to {max}"),
            )),
        }
    }

    /// `YYYY-MM`, a real month.
    pub fn period(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(p) = self.get(name) else {
            return Ok(None);
        };
        if crate::clock::month_range(p).is_none() {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some(name.into()),
                "must be a month as YYYY-MM",
            ));
        }
        Ok(Some(p.to_string()))
    }

    /// One of `allowed` (compared case-insensitively, returned as listed), `None` when absent.
    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(text))
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(
                    "VALIDATION_ERROR",
                    Some(name.into()),
                    format!("must be one of {}", allowed.join(", ")),
                )
            })
    }

    /// A text value of at most `max` characters.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            Some(t) if t.chars().count() > max => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some(name.into()),
                format!("must be at most {max} characters"),
            )),
            other => Ok(other),
        }
    }
}
