//! Submissions, logs and records: the atomic accept batch and the reads of the write side.

use serde::Deserialize;

use super::{Arg, IdemScope, Store, WriteError};
use crate::api::ApiError;

pub struct NewSubmission<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub environment: &'a str,
    pub kind: &'a str,
    pub items_root: String,
    pub item_count: u32,
    pub received_at: &'a str,
}

pub struct NewLog {
    pub id: String,
    pub kind: &'static str,
    pub owner_id: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub partition: String,
}

pub struct NewRecord {
    pub id: String,
    pub log_id: String,
    pub idx: u32,
    pub kind: &'static str,
    pub amount: String,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    pub write_key: Option<String>,
    pub item: String,
    pub item_hash: String,
}

/// What an accepted request writes, atomically.
pub struct Accept<'a> {
    pub submission: NewSubmission<'a>,
    pub period: &'a str,
    pub logs: &'a [NewLog],
    pub records: &'a [NewRecord],
    pub completion: Option<(IdemScope<'a>, u16, String)>,
}

/// A record joined with its log and submission, as status and activity views need it.
#[derive(Deserialize)]
pub struct RecordRow {
    pub id: String,
    pub submission_id: String,
    pub idx: u32,
    pub kind: String,
    pub amount: String,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    pub item: String,
    pub item_hash: String,
    pub received_at: String,
    pub seq: Option<u64>,
    pub entry_hash: Option<String>,
    pub balance_after: Option<String>,
    pub verified_at: Option<String>,
    pub failed_reason: Option<String>,
    pub log_id: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub lease_until_ms: u64,
    pub lease_upto: u64,
    pub seqno: u64,
    pub items_root: String,
}

/// `SELECT` of [`RecordRow`]; a macro so queries are `concat!`ed at compile time, never formatted.
macro_rules! select_record {
    () => {
        "SELECT r.id, r.submission_id, r.idx, r.kind, r.amount, r.reason, r.reference_id, r.item, \
     r.item_hash, r.received_at, r.seq, r.entry_hash, r.balance_after, r.verified_at, r.failed_reason, r.log_id, \
     l.subject_id, l.vendor_account_id, l.lease_until_ms, l.lease_upto, r.seqno, s.items_root \
     FROM records r JOIN logs l ON l.id = r.log_id JOIN submissions s ON s.id = r.submission_id "
    };
}
pub(crate) use select_record;

#[derive(Deserialize)]
pub struct SubmissionRow {
    pub id: String,
    pub kind: String,
    pub items_root: String,
    pub item_count: u32,
    pub received_at: String,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

#[derive(Deserialize)]
struct KeyRow {
    write_key: String,
}

impl Store {
    /// Writes a submission, its new logs, its records, the usage count (whose
    /// CHECK enforces the allowance) and the idempotent response in one batch.
    pub async fn accept(&self, a: &Accept<'_>) -> Result<(), WriteError> {
        let s = &a.submission;
        let mut batch = Vec::with_capacity(a.records.len() + a.logs.len() + 3);
        let mut push =
            |st: Result<_, ApiError>| st.map(|st| batch.push(st)).map_err(WriteError::Other);
        push(self.stmt(
            "INSERT INTO usage (tenant_id, environment, period, used, allowance) \
             VALUES (?1, ?2, ?3, ?4, (SELECT monthly_allowance FROM tenants WHERE id = ?1)) \
             ON CONFLICT (tenant_id, environment, period) DO UPDATE SET used = used + excluded.used, allowance = excluded.allowance",
            &[s.tenant_id.into(), s.environment.into(), a.period.into(), Arg::Big(a.records.len() as u64)],
        ))?;
        push(self.stmt(
            "INSERT INTO submissions (id, tenant_id, environment, kind, items_root, item_count, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[s.id.into(), s.tenant_id.into(), s.environment.into(), s.kind.into(), (&s.items_root).into(), Arg::Big(s.item_count.into()), s.received_at.into()],
        ))?;
        for l in a.logs {
            push(self.stmt(
                "INSERT INTO logs (id, tenant_id, environment, kind, owner_id, subject_id, vendor_account_id, partition, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
                &[
                    (&l.id).into(),
                    s.tenant_id.into(),
                    s.environment.into(),
                    l.kind.into(),
                    (&l.owner_id).into(),
                    (&l.subject_id).into(),
                    l.vendor_account_id.as_deref().into(),
                    (&l.partition).into(),
                    s.received_at.into(),
                ],
            ))?;
        }
        for r in a.records {
            push(self.stmt(
                "INSERT INTO records (id, tenant_id, environment, log_id, submission_id, idx, kind, amount, reason, reference_id, \
                 write_key, item, item_hash, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                &[
                    (&r.id).into(),
                    s.tenant_id.into(),
                    s.environment.into(),
                    (&r.log_id).into(),
                    s.id.into(),
                    Arg::Big(r.idx.into()),
                    r.kind.into(),
                    (&r.amount).into(),
                    r.reason.as_deref().into(),
                    r.reference_id.as_deref().into(),
                    r.write_key.as_deref().into(),
                    (&r.item).into(),
                    (&r.item_hash).into(),
                    s.received_at.into(),
                ],
            ))?;
        }
        if let Some((scope, status, body)) = &a.completion {
            push(self.idem_complete(scope, *status, body))?;
        }
        self.batch("accept", batch).await.map(drop)
    }

    pub async fn record(
        &self,
        tenant_id: &str,
        environment: &str,
        id: &str,
    ) -> Result<Option<RecordRow>, ApiError> {
        let sql = concat!(
            select_record!(),
            "WHERE r.id = ?1 AND r.tenant_id = ?2 AND r.environment = ?3"
        );
        self.first(sql, &[id.into(), tenant_id.into(), environment.into()])
            .await
    }

    pub async fn submission(
        &self,
        tenant_id: &str,
        environment: &str,
        id: &str,
    ) -> Result<Option<SubmissionRow>, ApiError> {
        self.first(
            "SELECT id, kind, items_root, item_count, received_at FROM submissions WHERE id = ?1 AND tenant_id = ?2 AND environment = ?3",
            &[id.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    pub async fn submission_by_root(
        &self,
        tenant_id: &str,
        environment: &str,
        root: &str,
    ) -> Result<Option<SubmissionRow>, ApiError> {
        self.first(
            "SELECT id, kind, items_root, item_count, received_at FROM submissions WHERE items_root = ?1 AND tenant_id = ?2 AND environment = ?3",
            &[root.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// Any tenant's submission by root (the public verify route: the root is the capability).
    pub async fn submission_by_root_any(
        &self,
        root: &str,
    ) -> Result<Option<SubmissionRow>, ApiError> {
        self.first(
            "SELECT id, kind, items_root, item_count, received_at FROM submissions WHERE items_root = ?1 ORDER BY received_at LIMIT 1",
            &[root.into()],
        )
        .await
    }

    pub async fn submission_records(
        &self,
        submission_id: &str,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let sql = concat!(
            select_record!(),
            "WHERE r.submission_id = ?1 ORDER BY r.idx"
        );
        self.all(sql, &[submission_id.into()]).await
    }

    /// The record an `adjusts` names, in the same customer log.
    pub async fn adjusted_record(
        &self,
        tenant_id: &str,
        environment: &str,
        log_id: &str,
        by_record_id: Option<&str>,
        by_reference: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        let row: Option<IdRow> = match (by_record_id, by_reference) {
            (Some(id), _) => self.first("SELECT id FROM records WHERE id = ?1 AND log_id = ?2 AND kind = 'delta'", &[id.into(), log_id.into()]).await?,
            (None, Some(reference)) => {
                self.first(
                    "SELECT id FROM records WHERE tenant_id = ?3 AND environment = ?4 AND reference_id = ?1 \
                     AND log_id = ?2 AND kind = 'delta' LIMIT 1",
                    &[reference.into(), log_id.into(), tenant_id.into(), environment.into()],
                )
                .await?
            }
            (None, None) => None,
        };
        Ok(row.map(|r| r.id))
    }

    /// Which of `keys` (a JSON array of strings) are already used by this tenant and environment.
    pub async fn existing_write_keys(
        &self,
        tenant_id: &str,
        environment: &str,
        keys_json: &str,
    ) -> Result<Vec<String>, ApiError> {
        let rows: Vec<KeyRow> = self
            .all(
                "SELECT write_key FROM records WHERE tenant_id = ?1 AND environment = ?2 \
                 AND write_key IN (SELECT value FROM json_each(?3))",
                &[tenant_id.into(), environment.into(), keys_json.into()],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.write_key).collect())
    }
}
