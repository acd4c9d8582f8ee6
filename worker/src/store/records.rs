//! Submissions, logs and records: the atomic accept batch and the reads of the write side.

use serde::Deserialize;

use super::passes;
use super::{idem_guard, idem_guard_args, split, Arg, Claim, Store, WriteError};
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
    /// The UTC month of `received_at`.
    pub period: &'a str,
    pub logs: &'a [NewLog],
    pub records: &'a [NewRecord],
    /// The claim on the request's Idempotency-Key, and the response to store with it.
    pub completion: Option<(&'a Claim, u16, String)>,
}

/// Whether an accept batch committed, or wrote nothing because a retry took its claim over.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    Committed,
    Superseded,
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
    /// The sequencing stamp: which period the entry belongs to (docs/SPEC.md §11).
    pub stamp_ms: Option<u64>,
    /// Credits (positive deltas) of the log up to and including this entry, units and nanos.
    pub credits_units: Option<i64>,
    pub credits_nanos: Option<i64>,
    pub failed_reason: Option<String>,
    pub log_id: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub lease_until_ms: u64,
    /// The lease's high-water mark: records with `log_pos` below it are PROCESSING.
    pub lease_upto: u64,
    /// Position among the log's records in acceptance order.
    pub log_pos: Option<u64>,
    pub items_root: String,
    /// The record's entry in its pass ([`pass_of!`]), moved into the fields above on read.
    #[serde(default)]
    pass: Option<String>,
}

/// What a record read takes from its log's row.
#[derive(Deserialize)]
pub struct EntryLog {
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub lease_until_ms: u64,
    pub lease_upto: u64,
    /// Positions below this are VERIFIED or FAILED.
    pub sequenced: u64,
}

#[derive(Deserialize)]
pub struct RootRow {
    pub id: String,
    pub items_root: String,
}

impl RecordRow {
    /// A sequenced record as its pass keeps it, with its log's row and its submission's root.
    pub fn sequenced(
        e: passes::PassEntry,
        log_id: &str,
        log: &EntryLog,
        items_root: String,
    ) -> Self {
        let r = e.record;
        RecordRow {
            id: r.id,
            submission_id: r.submission_id,
            idx: r.idx,
            kind: r.kind,
            amount: r.amount,
            reason: r.reason,
            reference_id: r.reference_id,
            item: r.item,
            item_hash: r.item_hash,
            received_at: r.received_at,
            seq: Some(e.seq),
            entry_hash: Some(e.entry_hash),
            balance_after: Some(e.balance_after),
            verified_at: Some(e.verified_at),
            stamp_ms: Some(e.stamp_ms),
            credits_units: Some(e.credits_units),
            credits_nanos: Some(e.credits_nanos),
            failed_reason: None,
            log_id: log_id.to_string(),
            subject_id: log.subject_id.clone(),
            vendor_account_id: log.vendor_account_id.clone(),
            lease_until_ms: log.lease_until_ms,
            lease_upto: log.lease_upto,
            log_pos: Some(e.pos),
            items_root,
            pass: None,
        }
    }

    /// Fills the entry's fields from the record's pass when its own columns are empty.
    fn resolved(mut self) -> Result<Self, ApiError> {
        if let Some(e) = passes::entry(self.pass.take().as_deref())? {
            self.seq = Some(e.seq);
            self.entry_hash = Some(e.entry_hash);
            self.balance_after = Some(e.balance_after);
            self.verified_at = Some(e.verified_at);
            self.stamp_ms = Some(e.stamp_ms);
            self.credits_units = Some(e.credits_units);
            self.credits_nanos = Some(e.credits_nanos);
        }
        Ok(self)
    }
}

/// `SELECT` of [`RecordRow`]; a macro so queries are `concat!`ed at compile time, never formatted.
macro_rules! select_record {
    () => {
        concat!(
            "SELECT r.id, r.submission_id, r.idx, r.kind, r.amount, r.reason, r.reference_id, r.item, \
     r.item_hash, r.received_at, r.seq, r.entry_hash, r.balance_after, r.verified_at, r.stamp_ms, r.credits_units, r.credits_nanos, \
     r.failed_reason, r.log_id, \
     l.subject_id, l.vendor_account_id, l.lease_until_ms, l.lease_upto, r.log_pos, s.items_root, ",
            $crate::store::passes::pass_of!(),
            " AS pass FROM records r JOIN logs l ON l.id = r.log_id JOIN submissions s ON s.id = r.submission_id "
        )
    };
}
pub(crate) use select_record;

/// Units and nanos of the sum of some records' amounts (see [`split`]).
fn sum_split(records: &[&NewRecord]) -> (i64, i64) {
    let total = records
        .iter()
        .filter_map(|r| vericord_core::Amount::parse(&r.amount).ok())
        .fold(0i128, |t, a| t.saturating_add(a.nanos()));
    split(total)
}

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
    /// Rows of [`select_record!`], their entries filled from their passes.
    pub(crate) async fn records(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<RecordRow>, ApiError> {
        self.all::<RecordRow>(sql, args)
            .await?
            .into_iter()
            .map(RecordRow::resolved)
            .collect()
    }

    pub(crate) async fn record_first(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<RecordRow>, ApiError> {
        Ok(self.records(sql, args).await?.into_iter().next())
    }

    /// Writes a submission, its new logs, its records, the counters they change (the usage
    /// count's CHECK enforces the allowance) and the idempotent response in one batch. The
    /// response goes first and only if the claim is still this request's; every other statement
    /// is guarded by it ([`idem_guard!`]), so a superseded request writes nothing at all.
    pub async fn accept<'a>(&self, a: &'a Accept<'a>) -> Result<Accepted, WriteError> {
        let s = &a.submission;
        let claim = a.completion.as_ref().map(|(c, _, _)| *c);
        let guard = idem_guard_args(claim, s.tenant_id, s.environment);
        let g = |own: Vec<Arg<'a>>| -> Vec<Arg<'a>> { guard.iter().cloned().chain(own).collect() };
        let mut batch = Vec::with_capacity(a.records.len() + 2 * a.logs.len() + 3);
        let mut push =
            |st: Result<_, ApiError>| st.map(|st| batch.push(st)).map_err(WriteError::Other);
        if let Some((claim, status, body)) = &a.completion {
            push(self.idem_complete(claim, *status, body))?;
        }
        push(self.stmt(
            concat!(
                "INSERT INTO usage (tenant_id, environment, period, used, allowance) \
                 SELECT ?2, ?3, ?5, ?6, (SELECT monthly_allowance FROM tenants WHERE id = ?2) WHERE",
                idem_guard!(),
                " ON CONFLICT (tenant_id, environment, period) DO UPDATE SET used = used + excluded.used, allowance = excluded.allowance"
            ),
            &g(vec![a.period.into(), Arg::Big(a.records.len() as u64)]),
        ))?;
        push(self.stmt(
            concat!(
                "INSERT INTO submissions (id, tenant_id, environment, kind, items_root, item_count, received_at, first_seqno) \
                 SELECT ?5, ?2, ?3, ?6, ?7, ?8, ?9, COALESCE((SELECT MAX(seqno) FROM records), 0) + 1 WHERE",
                idem_guard!()
            ),
            &g(vec![s.id.into(), s.kind.into(), (&s.items_root).into(), Arg::Big(s.item_count.into()), s.received_at.into()]),
        ))?;
        for l in a.logs {
            let mine: Vec<&NewRecord> = a.records.iter().filter(|r| r.log_id == l.id).collect();
            let (units, nanos) = sum_split(&mine);
            push(self.stmt(
                concat!(
                    "INSERT INTO logs (id, tenant_id, environment, kind, owner_id, subject_id, vendor_account_id, partition, created_at, \
                     records_total, last_received_at) SELECT ?5, ?2, ?3, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11 WHERE",
                    idem_guard!(),
                    " ON CONFLICT (id) DO UPDATE SET records_total = records_total + excluded.records_total, \
                     last_received_at = MAX(COALESCE(last_received_at, ''), excluded.last_received_at)"
                ),
                &g(vec![
                    (&l.id).into(),
                    l.kind.into(),
                    (&l.owner_id).into(),
                    (&l.subject_id).into(),
                    l.vendor_account_id.as_deref().into(),
                    (&l.partition).into(),
                    s.received_at.into(),
                    Arg::Big(mine.len() as u64),
                ]),
            ))?;
            push(self.stmt(
                concat!(
                    "INSERT INTO log_months (log_id, period, accepted, accepted_units, accepted_nanos, first_pos, last_pos) \
                     SELECT ?5, ?6, ?7, CAST(?8 AS INTEGER), CAST(?9 AS INTEGER), \
                       (SELECT records_total FROM logs WHERE id = ?5) - CAST(?7 AS INTEGER), (SELECT records_total FROM logs WHERE id = ?5) - 1 WHERE",
                    idem_guard!(),
                    " ON CONFLICT (log_id, period) DO UPDATE SET accepted = accepted + excluded.accepted, last_pos = excluded.last_pos, \
                     accepted_units = accepted_units + excluded.accepted_units, accepted_nanos = accepted_nanos + excluded.accepted_nanos"
                ),
                &g(vec![(&l.id).into(), a.period.into(), Arg::Big(mine.len() as u64), Arg::Signed(units), Arg::Signed(nanos)]),
            ))?;
            // Positions follow the counters just raised: the log's k new records take the last k.
            // The seqno is the submission's first plus idx, so its records are found by range.
            let k = mine.len() as u64;
            for (i, r) in (0u64..).zip(mine) {
                push(self.stmt(
                    concat!(
                        "INSERT INTO records (seqno, id, tenant_id, environment, log_id, submission_id, idx, kind, amount, reason, reference_id, \
                         write_key, item, item_hash, received_at, log_pos, month_pos) \
                         SELECT (SELECT first_seqno FROM submissions WHERE id = ?7) + CAST(?8 AS INTEGER), ?5, ?2, ?3, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                           (SELECT records_total FROM logs WHERE id = ?6) - ?17 + ?18, \
                           (SELECT accepted FROM log_months WHERE log_id = ?6 AND period = ?19) - ?17 + ?18 WHERE",
                        idem_guard!()
                    ),
                    &g(vec![
                        (&r.id).into(),
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
                        Arg::Big(k),
                        Arg::Big(i),
                        a.period.into(),
                    ]),
                ))?;
            }
        }
        let results = self.batch("accept", batch).await?;
        let superseded =
            a.completion.is_some() && results.first().is_none_or(|r| super::changes(r) != 1);
        Ok(if superseded {
            Accepted::Superseded
        } else {
            Accepted::Committed
        })
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
        self.record_first(sql, &[id.into(), tenant_id.into(), environment.into()])
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
        // The submission's records hold the seqnos from its first_seqno on (0012).
        let sql = concat!(
            select_record!(),
            "WHERE r.seqno >= s.first_seqno AND r.seqno < s.first_seqno + s.item_count \
             AND s.id = ?1 AND r.submission_id = ?1 ORDER BY r.idx"
        );
        self.records(sql, &[submission_id.into()]).await
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
