//! Customer (and account) logs as the read side lists them. Every count and sum comes from
//! the counters the write side keeps (logs, log_months), never from counting a log's records,
//! so no read grows with a log's length.

use serde::Deserialize;

use super::{select_record, Arg, RecordRow, Store};
use crate::api::ApiError;

#[derive(Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub partition: String,
    pub size: u64,
    pub balance: String,
    pub created_at: String,
    pub records_total: u64,
    pub records_failed: u64,
    pub last_received_at: Option<String>,
    pub display_name: Option<String>,
    pub profile: Option<String>,
    pub created_by: String,
}

macro_rules! select_customer {
    () => {
        "SELECT l.id, l.subject_id, l.vendor_account_id, l.partition, l.size, l.balance, l.created_at, \
         l.records_total, l.records_failed, l.last_received_at, l.display_name, l.profile, l.created_by FROM logs l "
    };
}

/// Which customers a listing shows, and in what order. `sort` and `order` are values the
/// route checked (`CUSTOMER_SORTS`, `asc`/`desc`); they are bound, never spliced into SQL.
#[derive(Default)]
pub struct CustomerFilter<'a> {
    /// A substring of the customer id or display name.
    pub search: Option<&'a str>,
    pub vendor: Option<&'a str>,
    /// `manual` or `integration`.
    pub source: Option<&'a str>,
    /// `healthy` (every record verified), `pending` (some waiting) or `failed` (some failed).
    pub health: Option<&'a str>,
    pub sort: &'a str,
    pub order: &'a str,
}

/// The sort keys of a customer listing.
pub const CUSTOMER_SORTS: &[&str] = &[
    "customerId",
    "createdAt",
    "lastActivityAt",
    "totalDeltas",
    "balance",
];

/// The WHERE of a customer listing (parameters ?1 … ?6).
macro_rules! customer_where {
    () => {
        "WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' \
         AND (?3 IS NULL OR instr(l.subject_id, ?3) > 0 OR instr(COALESCE(l.display_name, ''), ?3) > 0) \
         AND (?4 IS NULL OR l.vendor_account_id = ?4) AND (?5 IS NULL OR l.created_by = ?5) \
         AND (?6 IS NULL OR (?6 = 'failed' AND l.records_failed > 0) \
              OR (?6 = 'pending' AND l.records_total > l.size + l.records_failed) \
              OR (?6 = 'healthy' AND l.records_failed = 0 AND l.records_total = l.size)) "
    };
}

/// One sort key expression for sort ?7 (balance sorts by units, then nanos).
macro_rules! customer_key {
    () => {
        "CASE ?7 WHEN 'customerId' THEN l.subject_id WHEN 'createdAt' THEN l.created_at \
         WHEN 'lastActivityAt' THEN COALESCE(l.last_received_at, '') WHEN 'totalDeltas' THEN l.records_total \
         WHEN 'balance' THEN l.balance_units END"
    };
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

/// A tenant's customer logs, aggregated in SQL: one row however many there are.
#[derive(Deserialize)]
pub struct SummaryRow {
    pub customers: u64,
    pub records: u64,
    pub verified: u64,
    pub failed: u64,
    pub balance_units: i64,
    pub balance_nanos: i64,
}

/// What a log's records received in one UTC month add up to.
#[derive(Deserialize, Default)]
pub struct MonthRow {
    /// Records received that month: the next `month_pos`.
    pub accepted: u64,
    /// The log positions of the month's first and last record: every record of the month lies
    /// between them, with `last_pos + 1 - first_pos - accepted` others (received the month
    /// before or after, committed in between) among them.
    pub first_pos: u64,
    pub last_pos: i64,
    pub accepted_units: i64,
    pub accepted_nanos: i64,
    pub failed: u64,
    pub failed_units: i64,
    pub failed_nanos: i64,
}

/// A page of a log's records, newest first: `limit` positions below the newest minus `offset`.
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

impl MonthRow {
    /// The log positions `[from, upto)` that hold month positions `[lo, hi)` of this page;
    /// `None` for an empty page.
    fn page_range(&self, page: &Page) -> Option<(u64, u64, u64, u64)> {
        let (lo, hi) = page.positions(self.accepted);
        let end = u64::try_from(self.last_pos + 1).unwrap_or(0);
        let intruders = end
            .saturating_sub(self.first_pos)
            .saturating_sub(self.accepted);
        (lo < hi).then(|| {
            let from = self.first_pos + lo;
            (from, (self.first_pos + hi + intruders).min(end), lo, hi)
        })
    }
}

impl Page {
    /// The acceptance positions `[lo, hi)` of this page among `total` records.
    fn positions(&self, total: u64) -> (u64, u64) {
        let hi = total.saturating_sub(self.offset);
        (hi.saturating_sub(self.limit), hi)
    }
}

impl Store {
    /// One page of customers as `filter` selects and orders them, with how many it selects.
    pub async fn customers(
        &self,
        tenant_id: &str,
        environment: &str,
        filter: &CustomerFilter<'_>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<CustomerRow>, u64), ApiError> {
        let sort = if filter.sort.is_empty() {
            "customerId"
        } else {
            filter.sort
        };
        let order = if filter.order == "desc" {
            "desc"
        } else {
            "asc"
        };
        let args: [Arg<'_>; 10] = [
            tenant_id.into(),
            environment.into(),
            filter.search.into(),
            filter.vendor.into(),
            filter.source.into(),
            filter.health.into(),
            sort.into(),
            order.into(),
            Arg::Big(limit.into()),
            Arg::Big(offset),
        ];
        let rows = self
            .all(
                concat!(
                    select_customer!(),
                    customer_where!(),
                    "ORDER BY CASE WHEN ?8 = 'asc' THEN ",
                    customer_key!(),
                    " END ASC, \
                     CASE WHEN ?8 = 'asc' AND ?7 = 'balance' THEN l.balance_nanos END ASC, \
                     CASE WHEN ?8 = 'desc' THEN ",
                    customer_key!(),
                    " END DESC, \
                     CASE WHEN ?8 = 'desc' AND ?7 = 'balance' THEN l.balance_nanos END DESC, \
                     l.subject_id, l.id LIMIT ?9 OFFSET ?10"
                ),
                &args,
            )
            .await?;
        let total: Option<Count> = self
            .first(
                concat!("SELECT COUNT(*) AS count FROM logs l ", customer_where!()),
                &args[..6],
            )
            .await?;
        Ok((rows, total.map_or(0, |c| c.count)))
    }

    /// Every log of this customer id (several for a middleware tenant with several vendor accounts).
    pub async fn customer(
        &self,
        tenant_id: &str,
        environment: &str,
        customer_id: &str,
    ) -> Result<Vec<CustomerRow>, ApiError> {
        self.all(
            concat!(
                select_customer!(),
                "WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' AND l.subject_id = ?3 ORDER BY l.id"
            ),
            &[tenant_id.into(), environment.into(), customer_id.into()],
        )
        .await
    }

    /// A page of a log's records (of `total`), newest first by acceptance position: read by
    /// position (the entries from their passes), so page 1 and page 10,000 cost the same rows.
    pub async fn activity(
        &self,
        log_id: &str,
        total: u64,
        page: &Page,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let (lo, hi) = page.positions(total);
        let mut rows = self.records_in(log_id, lo, hi).await?;
        rows.reverse();
        Ok(rows)
    }

    /// The same within the records received in one UTC month (`month`, its counters).
    /// Month positions follow log positions, so the record at month position j sits at log
    /// position first_pos + j plus at most the month's intruders: the page is a range of
    /// `records_log_pos` no longer than the page and those few (0012 dropped the month index).
    pub async fn month_activity(
        &self,
        log_id: &str,
        period: &str,
        month: &MonthRow,
        page: &Page,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let Some((from, upto, lo, hi)) = month.page_range(page) else {
            return Ok(Vec::new());
        };
        self.records(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND r.log_pos >= CAST(?3 AS INTEGER) AND r.log_pos < CAST(?4 AS INTEGER) \
                 AND substr(r.received_at, 1, 7) = ?2 AND r.month_pos >= CAST(?5 AS INTEGER) AND r.month_pos < CAST(?6 AS INTEGER) \
                 ORDER BY r.month_pos DESC"
            ),
            &[log_id.into(), period.into(), Arg::Big(from), Arg::Big(upto), Arg::Big(lo), Arg::Big(hi)],
        )
        .await
    }

    /// The counters of a log's records received in `period` (zero when there were none).
    pub async fn month(&self, log_id: &str, period: &str) -> Result<MonthRow, ApiError> {
        Ok(self
            .first(
                "SELECT accepted, first_pos, last_pos, accepted_units, accepted_nanos, failed, failed_units, failed_nanos \
                 FROM log_months WHERE log_id = ?1 AND period = ?2",
                &[log_id.into(), period.into()],
            )
            .await?
            .unwrap_or_default())
    }

    /// Customer count, record counts and the exact balance sum of a tenant's customer logs.
    pub async fn customer_summary(
        &self,
        tenant_id: &str,
        environment: &str,
    ) -> Result<SummaryRow, ApiError> {
        self.first(
            "SELECT COUNT(*) AS customers, COALESCE(SUM(records_total), 0) AS records, COALESCE(SUM(size), 0) AS verified, \
             COALESCE(SUM(records_failed), 0) AS failed, COALESCE(SUM(balance_units), 0) AS balance_units, \
             COALESCE(SUM(balance_nanos), 0) AS balance_nanos \
             FROM logs WHERE tenant_id = ?1 AND environment = ?2 AND kind = 'customer'",
            &[tenant_id.into(), environment.into()],
        )
        .await?
        .ok_or_else(|| ApiError::internal("summary", "no row"))
    }

    /// Records accepted this period (all kinds), for usage.
    pub async fn usage(
        &self,
        tenant_id: &str,
        environment: &str,
        period: &str,
    ) -> Result<u64, ApiError> {
        let row: Option<Count> = self
            .first(
                "SELECT used AS count FROM usage WHERE tenant_id = ?1 AND environment = ?2 AND period = ?3",
                &[tenant_id.into(), environment.into(), period.into()],
            )
            .await?;
        Ok(row.map_or(0, |c| c.count))
    }
}

/// A customer made by hand (`POST /dashboard/customers`): a log with no records yet.
pub struct ManualCustomer<'a> {
    pub tenant_id: &'a str,
    pub environment: &'a str,
    pub log: &'a super::NewLog,
    pub display_name: &'a str,
    pub profile: Option<&'a str>,
    pub created_at: &'a str,
}

impl Store {
    /// Creates the customer's log; `false` when it exists already (made by hand or by records).
    pub async fn insert_manual_customer(&self, c: &ManualCustomer<'_>) -> Result<bool, ApiError> {
        let l = c.log;
        self.run(
            "INSERT INTO logs (id, tenant_id, environment, kind, owner_id, subject_id, vendor_account_id, partition, created_at, \
             display_name, profile, created_by) VALUES (?1, ?2, ?3, 'customer', ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'manual') \
             ON CONFLICT (id) DO NOTHING",
            &[
                (&l.id).into(),
                c.tenant_id.into(),
                c.environment.into(),
                (&l.owner_id).into(),
                (&l.subject_id).into(),
                l.vendor_account_id.as_deref().into(),
                (&l.partition).into(),
                c.created_at.into(),
                c.display_name.into(),
                c.profile.into(),
            ],
        )
        .await
        .map(|n| n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{MonthRow, Page};

    fn page(limit: u64, offset: u64) -> Page {
        Page { limit, offset }
    }

    fn month(accepted: u64, first_pos: u64, last_pos: i64) -> MonthRow {
        MonthRow {
            accepted,
            first_pos,
            last_pos,
            ..MonthRow::default()
        }
    }

    #[test]
    fn a_month_page_is_the_log_range_of_its_positions() {
        // 250 records from log position 1,000 on, none of another month among them.
        let m = month(250, 1_000, 1_249);
        let newest = page(100, 0);
        assert_eq!(m.page_range(&newest), Some((1_150, 1_250, 150, 250)));
        let last = page(100, 200);
        assert_eq!(m.page_range(&last), Some((1_000, 1_050, 0, 50)));
        assert_eq!(m.page_range(&page(100, 250)), None);
        assert_eq!(month(0, 0, -1).page_range(&newest), None);
    }

    #[test]
    fn records_of_another_month_widen_the_range_by_their_number_only() {
        // 10 records of the month over positions 5..=16: 2 of another month among them. Month
        // position j sits at 5 + j plus at most 2, so the page [4, 8) is within [9, 15).
        let m = month(10, 5, 16);
        assert_eq!(m.page_range(&page(4, 2)), Some((9, 15, 4, 8)));
        // Never past the month's last record.
        assert_eq!(m.page_range(&page(4, 0)), Some((11, 17, 6, 10)));
    }
}
