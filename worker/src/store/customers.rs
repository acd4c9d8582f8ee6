//! Customer (and account) logs as the read side lists them.

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
    pub total_records: u64,
    pub last_activity_at: Option<String>,
}

macro_rules! select_customer {
    () => {
        "SELECT l.id, l.subject_id, l.vendor_account_id, l.partition, l.size, l.balance, l.created_at, \
         (SELECT COUNT(*) FROM records r WHERE r.log_id = l.id) AS total_records, \
         (SELECT MAX(r.received_at) FROM records r WHERE r.log_id = l.id) AS last_activity_at \
         FROM logs l "
    };
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

#[derive(Deserialize)]
pub struct BalanceRow {
    pub balance: String,
    pub size: u64,
}

#[derive(Deserialize)]
pub struct AmountRow {
    pub amount: String,
    pub seq: Option<u64>,
    pub failed_reason: Option<String>,
}

/// Half-open `[from, to)` on `received_at` (RFC 3339 text sorts chronologically).
pub struct TimeRange<'a> {
    pub from: &'a str,
    pub to: &'a str,
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

    /// A page of a log's records, newest first, optionally within a time range.
    pub async fn activity(
        &self,
        log_id: &str,
        range: Option<&TimeRange<'_>>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<RecordRow>, u64), ApiError> {
        let (from, to) = range.map_or((Arg::Null, Arg::Null), |r| (r.from.into(), r.to.into()));
        let rows = self
            .all(
                concat!(
                    select_record!(),
                    "WHERE r.log_id = ?1 AND (?2 IS NULL OR r.received_at >= ?2) AND (?3 IS NULL OR r.received_at < ?3) \
                     ORDER BY r.received_at DESC, r.seqno DESC LIMIT ?4 OFFSET ?5"
                ),
                &[log_id.into(), from.clone(), to.clone(), Arg::Big(limit.into()), Arg::Big(offset)],
            )
            .await?;
        let total: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS count FROM records r WHERE r.log_id = ?1 \
                 AND (?2 IS NULL OR r.received_at >= ?2) AND (?3 IS NULL OR r.received_at < ?3)",
                &[log_id.into(), from, to],
            )
            .await?;
        Ok((rows, total.map_or(0, |c| c.count)))
    }

    /// Amounts and states of a log's records in a range, for exact sums in Rust (never SQL SUM on money).
    pub async fn amounts(
        &self,
        log_id: &str,
        range: &TimeRange<'_>,
    ) -> Result<Vec<AmountRow>, ApiError> {
        self.all(
            "SELECT amount, seq, failed_reason FROM records WHERE log_id = ?1 AND received_at >= ?2 AND received_at < ?3",
            &[log_id.into(), range.from.into(), range.to.into()],
        )
        .await
    }

    /// Balances and sizes of every customer log, for the summary.
    pub async fn customer_balances(
        &self,
        tenant_id: &str,
        environment: &str,
    ) -> Result<Vec<BalanceRow>, ApiError> {
        self.all(
            "SELECT balance, size FROM logs WHERE tenant_id = ?1 AND environment = ?2 AND kind = 'customer'",
            &[tenant_id.into(), environment.into()],
        )
        .await
    }

    /// Records accepted into customer logs, and those that failed.
    pub async fn customer_record_counts(
        &self,
        tenant_id: &str,
        environment: &str,
    ) -> Result<(u64, u64), ApiError> {
        let args: [Arg<'_>; 2] = [tenant_id.into(), environment.into()];
        let total: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS count FROM records WHERE log_id IN \
                 (SELECT id FROM logs WHERE tenant_id = ?1 AND environment = ?2 AND kind = 'customer')",
                &args,
            )
            .await?;
        let failed: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS count FROM records WHERE tenant_id = ?1 AND environment = ?2 AND failed_reason IS NOT NULL AND kind = 'delta'",
                &args,
            )
            .await?;
        Ok((total.map_or(0, |c| c.count), failed.map_or(0, |c| c.count)))
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
