//! Reading a period's entries from D1 a page at a time, so a close package or an export of any
//! size streams through the Worker with flat memory: one D1 query and one record row per entry.

use vericord_core::Amount;

use crate::api::ApiError;
use crate::store::{PackageEntry, Store};

/// Entries per D1 query.
pub const PAGE: u32 = 500;

pub struct Pager {
    pub log_id: String,
    pub next: u64,
    pub end: u64,
}

impl Pager {
    pub fn new(log_id: &str, start: u64, end: u64) -> Pager {
        Pager {
            log_id: log_id.to_string(),
            next: start,
            end,
        }
    }

    /// The next page of entries, `None` once past the end. Entries are dense by construction;
    /// a missing one is storage damage and fails the read rather than leaving a hole.
    pub async fn next_page(
        &mut self,
        store: &Store,
    ) -> Result<Option<Vec<PackageEntry>>, ApiError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let rows = store
            .package_entries(&self.log_id, self.next, self.end, PAGE)
            .await?;
        for (i, r) in (self.next..).zip(&rows) {
            if r.seq != i {
                return Err(ApiError::internal(
                    "close package",
                    format!("entry {i} is missing"),
                ));
            }
        }
        let want = (self.end - self.next).min(u64::from(PAGE));
        if rows.len() as u64 != want {
            return Err(ApiError::internal(
                "close package",
                "entries missing at the end",
            ));
        }
        self.next += want;
        Ok(Some(rows))
    }
}

/// Credits and debits (magnitudes) summed exactly as entries go by.
#[derive(Default, Clone, Copy)]
pub struct Sums {
    pub credits: Amount,
    pub debits: Amount,
}

impl Sums {
    pub fn add(&mut self, amount: &str) -> Result<Amount, ApiError> {
        let a = Amount::parse(amount).map_err(|e| ApiError::internal("stored amount", e))?;
        let overflow = || ApiError::internal("sums", "overflow");
        if a.nanos() >= 0 {
            self.credits = self.credits.checked_add(a).ok_or_else(overflow)?;
        } else {
            self.debits = self.debits.checked_sub(a).ok_or_else(overflow)?;
        }
        Ok(a)
    }
}
