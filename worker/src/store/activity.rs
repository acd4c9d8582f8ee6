//! A customer's records filtered and sorted for the dashboard (`GET /dashboard/customers/:id`).
//! Filters and sort keys are bound values the route checked, never spliced into SQL. An
//! unfiltered page is read by position (`Store::activity`); a filtered one walks the log's
//! records in the asked order until the page is full, so its cost is the records it passes.

use super::{select_record, Arg, RecordRow, Store};
use crate::api::ApiError;

/// The record sort keys.
pub const RECORD_SORTS: &[&str] = &["time", "amount", "status", "reason"];
/// The status filter values (`queued` and `processing` are both "not yet verified").
pub const RECORD_STATUSES: &[&str] = &["verified", "failed", "pending", "queued", "processing"];

#[derive(Default)]
pub struct RecordFilter<'a> {
    /// `verified`, `failed` or `pending`.
    pub status: Option<&'a str>,
    /// The exact reason.
    pub reason: Option<&'a str>,
    /// Received at or after (RFC 3339 text, as stored).
    pub from: Option<String>,
    /// Received before.
    pub to: Option<String>,
    /// The record id, or a substring of the referenceId or reason.
    pub search: Option<&'a str>,
    pub sort: &'a str,
    pub order: &'a str,
}

impl RecordFilter<'_> {
    /// No filter and the default order (newest first): a page can be read by position.
    pub fn is_plain(&self) -> bool {
        self.status.is_none()
            && self.reason.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.search.is_none()
            && self.sort == "time"
            && self.order == "desc"
    }
}

/// The stored state a status filter selects: `queued` and `processing` are both "not yet
/// verified or failed" (which of the two is a lease's momentary state, not stored).
fn status_group(status: Option<&str>) -> Option<&str> {
    status.map(|s| match s {
        "queued" | "processing" => "pending",
        other => other,
    })
}

/// The record `r` (joined to its log `l`) has the stored state `$p` names, or `$p` is NULL.
/// The log's records below `size + records_failed` are sequenced or failed (passes take them
/// in acceptance order), so the state needs nothing of the record's pass.
macro_rules! status_is {
    ($p:literal) => {
        concat!(
            " (", $p, " IS NULL OR (", $p, " = 'verified' AND r.failed_reason IS NULL AND r.log_pos < l.size + l.records_failed) \
             OR (", $p, " = 'failed' AND r.failed_reason IS NOT NULL) \
             OR (", $p, " = 'pending' AND r.failed_reason IS NULL AND r.log_pos >= l.size + l.records_failed)) "
        )
    };
}

/// An amount's exact order as an integer of nano-units (deltas are below 10^18 nano-units, so
/// it fits SQLite's 64-bit integers): sign, integer digits and nine fractional digits.
macro_rules! amount_key {
    () => {
        "((CASE WHEN substr(r.amount, 1, 1) = '-' THEN -1 ELSE 1 END) * \
          (CAST(CASE WHEN instr(ltrim(r.amount, '-'), '.') > 0 \
                THEN substr(ltrim(r.amount, '-'), 1, instr(ltrim(r.amount, '-'), '.') - 1) \
                ELSE ltrim(r.amount, '-') END AS INTEGER) * 1000000000 + \
           CAST(substr(CASE WHEN instr(r.amount, '.') > 0 THEN substr(r.amount, instr(r.amount, '.') + 1) ELSE '' END \
                || '000000000', 1, 9) AS INTEGER)))"
    };
}

macro_rules! record_key {
    () => {
        concat!(
            "CASE ?7 WHEN 'time' THEN r.log_pos WHEN 'amount' THEN ",
            amount_key!(),
            " WHEN 'status' THEN (CASE WHEN r.failed_reason IS NOT NULL THEN 2 WHEN r.log_pos < l.size + l.records_failed THEN 1 ELSE 0 END) \
             WHEN 'reason' THEN COALESCE(r.reason, '') END"
        )
    };
}

impl Store {
    /// `limit` records of a log as `f` selects and orders them, after skipping `offset`.
    pub async fn filtered_activity(
        &self,
        log_id: &str,
        f: &RecordFilter<'_>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let status = status_group(f.status);
        let order = if f.order == "asc" { "asc" } else { "desc" };
        let sort = if f.sort.is_empty() { "time" } else { f.sort };
        self.records(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 \
                 AND",
                status_is!("?2"),
                "AND (?3 IS NULL OR r.reason = ?3) AND (?4 IS NULL OR r.received_at >= ?4) AND (?5 IS NULL OR r.received_at < ?5) \
                 AND (?6 IS NULL OR r.id = ?6 OR instr(COALESCE(r.reference_id, ''), ?6) > 0 OR instr(COALESCE(r.reason, ''), ?6) > 0) \
                 ORDER BY CASE WHEN ?8 = 'asc' THEN ",
                record_key!(),
                " END ASC, CASE WHEN ?8 = 'desc' THEN ",
                record_key!(),
                " END DESC, r.log_pos DESC LIMIT ?9 OFFSET ?10"
            ),
            &[
                log_id.into(),
                status.into(),
                f.reason.into(),
                f.from.as_deref().into(),
                f.to.as_deref().into(),
                f.search.into(),
                sort.into(),
                order.into(),
                Arg::Big(limit),
                Arg::Big(offset),
            ],
        )
        .await
    }
}

impl Store {
    /// Up to `limit` records of a log after acceptance position `after`, in acceptance order,
    /// optionally of one status (the activity export's pages).
    pub async fn activity_after(
        &self,
        log_id: &str,
        status: Option<&str>,
        after: Option<u64>,
        limit: u64,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let status = status_group(status);
        self.records(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND r.log_pos > ?2 \
                 AND",
                status_is!("?3"),
                "ORDER BY r.log_pos LIMIT ?4"
            ),
            &[
                log_id.into(),
                Arg::Signed(after.map_or(-1, |a| a as i64)),
                status.into(),
                Arg::Big(limit),
            ],
        )
        .await
    }
}
