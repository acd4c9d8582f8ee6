//! A customer's activity as CSV (`GET /dashboard/customers/:id/export?status=…`): every
//! record of the log in acceptance order, whatever its status, with the close-package CSV's
//! columns (close/csv.rs, FOCUS names) and two more, `x_Status` and `x_FailedReason`.
//!
//! Where a record is not a closed period's entry the columns say so rather than guess:
//! `BillingPeriodStart/End` and `x_Period` are the UTC month the record was received in;
//! `x_Seq`, `x_BalanceAfter` and `x_EntryHash` are empty until it is VERIFIED; the checkpoint
//! columns are empty (a period's close package names its checkpoint). Streamed a page at a
//! time by acceptance position, so a log of any length is one D1 page per 500 records.

use std::borrow::Cow;

use vericord_core::Amount;

use super::csv::{charge_period_end, guard, write, COLUMNS};
use super::identity::Recorder;
use crate::api::ApiError;
use crate::clock;
use crate::routes::views::status_of;
use crate::store::{LogRow, RecordRow, Store};

const PAGE: u64 = 500;

/// The activity columns: the close-package CSV's, then status and failure reason.
pub fn columns() -> [&'static str; 28] {
    let mut out = [""; 28];
    out[..26].copy_from_slice(&COLUMNS);
    out[26] = "x_Status";
    out[27] = "x_FailedReason";
    out
}

pub struct ActivityCsv {
    log: LogRow,
    recorder: Recorder,
    status: Option<&'static str>,
    after: Option<u64>,
    now_ms: u64,
    started: bool,
    done: bool,
}

impl ActivityCsv {
    pub fn new(log: LogRow, recorder: Recorder, status: Option<&'static str>, now_ms: u64) -> Self {
        ActivityCsv {
            log,
            recorder,
            status,
            after: None,
            now_ms,
            started: false,
            done: false,
        }
    }

    pub async fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<u8>>, ApiError> {
        if !self.started {
            self.started = true;
            return Ok(Some(write(core::iter::once(columns().map(Cow::Borrowed)))));
        }
        if self.done {
            return Ok(None);
        }
        let page = store
            .activity_after(&self.log.id, self.status, self.after, PAGE)
            .await?;
        self.done = (page.len() as u64) < PAGE;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = last.log_pos;
        let rows = page
            .iter()
            .map(|r| self.row(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(write(rows.into_iter())))
    }

    fn row<'a>(&'a self, r: &'a RecordRow) -> Result<[Cow<'a, str>; 28], ApiError> {
        let delta = Amount::parse(&r.amount).map_err(|e| ApiError::internal("stored amount", e))?;
        let month = r.received_at.get(..7).unwrap_or_default().to_string();
        let (start, end) = clock::month_range(&month).unwrap_or_default();
        let category = if r.item.contains("\"adjusts\"") {
            "Adjustment"
        } else if delta.is_negative() {
            "Usage"
        } else {
            "Credit"
        };
        let vendor = &self.recorder.display_name;
        let kind = self.recorder.kind;
        let opt = |v: &'a Option<String>| guard(v.as_deref().unwrap_or(""));
        Ok([
            guard(&self.log.subject_id),
            guard(vendor),
            guard(vendor),
            Cow::Owned(start),
            Cow::Owned(end),
            Cow::Borrowed(&r.received_at),
            Cow::Owned(charge_period_end(&r.received_at)),
            Cow::Borrowed(category),
            guard(r.reason.as_deref().unwrap_or("")),
            Cow::Owned(Amount::from_nanos(delta.nanos().saturating_neg()).to_string()),
            guard(&r.id),
            Cow::Owned(r.seq.map(|s| s.to_string()).unwrap_or_default()),
            Cow::Borrowed(&r.received_at),
            Cow::Owned(delta.to_string()),
            Cow::Owned(r.balance_after.clone().unwrap_or_default()),
            opt(&r.reference_id),
            Cow::Borrowed("false"),
            guard(&r.item_hash),
            opt(&r.entry_hash),
            guard(&self.log.id),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Owned(month),
            guard(&self.log.environment),
            Cow::Borrowed(kind),
            guard(&self.recorder.id),
            Cow::Borrowed(status_of(r, self.now_ms)),
            opt(&r.failed_reason),
        ])
    }
}
