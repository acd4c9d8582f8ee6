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
}

macro_rules! select_customer {
    () => {
        "SELECT l.id, l.subject_id, l.vendor_account_id, l.partition, l.size, l.balance, l.created_at, \
         l.records_total, l.records_failed, l.last_received_at FROM logs l "
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
    pub accepted: u64,
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

impl Page {
    /// The acceptance positions `[lo, hi)` of this page among `total` records.
    fn positions(&self, total: u64) -> (u64, u64) {
        let hi = total.saturating_sub(self.offset);
        (hi.saturating_sub(self.limit), hi)
    }
}

impl Store {
    /// One page of customers, filtered by a substring of the customer id.
    pub async fn customers(
        &self,
        tenant_id: &str,
        environment: &str,
        search: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<CustomerRow>, u64), ApiError> {
        let filter: [Arg<'_>; 3] = [tenant_id.into(), environment.into(), search.into()];
        let rows = self
            .all(
                concat!(
                    select_customer!(),
                    "WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' \
                     AND (?3 IS NULL OR instr(l.subject_id, ?3) > 0) ORDER BY l.subject_id, l.id LIMIT ?4 OFFSET ?5"
                ),
                &[filter[0].clone(), filter[1].clone(), filter[2].clone(), Arg::Big(limit.into()), Arg::Big(offset)],
            )
            .await?;
        let total: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS count FROM logs l WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' \
                 AND (?3 IS NULL OR instr(l.subject_id, ?3) > 0)",
                &filter,
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
    /// position, so page 1 and page 10,000 cost the same rows.
    pub async fn activity(
        &self,
        log_id: &str,
        total: u64,
        page: &Page,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let (lo, hi) = page.positions(total);
        self.all(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND r.log_pos >= ?2 AND r.log_pos < ?3 ORDER BY r.log_pos DESC"
            ),
            &[log_id.into(), Arg::Big(lo), Arg::Big(hi)],
        )
        .await
    }

    /// The same within the records received in one UTC month (of `total` there).
    pub async fn month_activity(
        &self,
        log_id: &str,
        period: &str,
        total: u64,
        page: &Page,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let (lo, hi) = page.positions(total);
        self.all(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND substr(r.received_at, 1, 7) = ?2 AND r.month_pos >= ?3 AND r.month_pos < ?4 \
                 ORDER BY r.month_pos DESC"
            ),
            &[log_id.into(), period.into(), Arg::Big(lo), Arg::Big(hi)],
        )
        .await
    }

    /// The counters of a log's records received in `period` (zero when there were none).
    pub async fn month(&self, log_id: &str, period: &str) -> Result<MonthRow, ApiError> {
        Ok(self
            .first(
                "SELECT accepted, accepted_units, accepted_nanos, failed, failed_units, failed_nanos \
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
