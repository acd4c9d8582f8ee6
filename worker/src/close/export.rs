//! The exports of a closed period beside the package: the statement both the CSV and the PDF
//! show (from the package's head and totals), its records from the same D1 pages, and the
//! CSV stream.

use serde_json::Value;
use vericord_core::Amount;

use super::package::Head;
use super::pages::Pager;
use super::periods::Totals;
use super::statement::{Statement, StatementRecord};
use super::{csv, pdf};
use crate::api::ApiError;
use crate::signing::Keys;
use crate::store::{PackageEntry, Store};

/// The package's file name inside a bundle, and what the statement tells buyers to verify.
pub const PACKAGE_FILE: &str = "close-package.json";

pub fn statement(head: &Head, totals: &Totals, keys: &Keys, base_url: &str) -> Statement {
    let cp = &head.checkpoint;
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let (key_name, key_id) = {
        let mut parts = keys.current.splitn(3, '+');
        (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        )
    };
    Statement {
        vendor: text(&head.recorded_by, "displayName"),
        recorded_by_type: text(&head.recorded_by, "type"),
        recorded_by_id: text(&head.recorded_by, "id"),
        customer_id: text(&head.customer, "customerId"),
        customer_reference: text(&head.customer, "customerReference"),
        environment: head.environment.clone(),
        period_label: cp.label.clone(),
        period_start: text(&head.period, "start"),
        period_end: text(&head.period, "end"),
        opening: totals.opening,
        credits: totals.credits,
        debits: totals.debits,
        net: totals.net,
        closing: totals.closing,
        record_count: totals.count,
        checkpoint_id: cp.id.clone(),
        checkpoint_root: cp.root.clone(),
        tree_size: cp.size,
        key_name,
        key_id,
        verifier_key: keys.current.clone(),
        verify_url: format!("{base_url}/verify/{}", cp.root),
        package_file: PACKAGE_FILE.into(),
    }
}

/// A stored entry as the statement lists it.
pub fn statement_record(e: &PackageEntry, period_start: &str) -> Result<StatementRecord, ApiError> {
    let bad = |e| ApiError::internal("stored amount", e);
    let item: Value =
        serde_json::from_str(&e.item).map_err(|e| ApiError::internal("stored item", e))?;
    Ok(StatementRecord {
        seq: e.seq,
        record_id: e.id.clone(),
        received_at: e.received_at.clone(),
        delta: Amount::parse(&e.amount).map_err(bad)?,
        reason: e.reason.clone().unwrap_or_default(),
        reference_id: e.reference_id.clone(),
        balance_after: Amount::parse(&e.balance_after).map_err(bad)?,
        item_hash: e.item_hash.clone(),
        entry_hash: e.entry_hash.clone(),
        received_before_period: e.received_at.as_str() < period_start,
        adjusts: item.get("adjusts").is_some(),
    })
}

async fn next_records(
    store: &Store,
    pager: &mut Pager,
    period_start: &str,
) -> Result<Option<Vec<StatementRecord>>, ApiError> {
    match pager.next_page(store).await? {
        Some(rows) => rows
            .iter()
            .map(|e| statement_record(e, period_start))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        None => Ok(None),
    }
}

/// The CSV, a page at a time: the header row first, then one chunk per D1 page.
pub struct CsvWriter {
    pub statement: Statement,
    pager: Pager,
    header: bool,
}

impl CsvWriter {
    pub fn new(statement: Statement, log_id: &str, start: u64, end: u64) -> CsvWriter {
        CsvWriter {
            statement,
            pager: Pager::new(log_id, start, end),
            header: true,
        }
    }

    /// Whether nothing has been written yet.
    pub fn is_fresh(&self) -> bool {
        self.header
    }

    pub async fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<u8>>, ApiError> {
        if std::mem::take(&mut self.header) {
            return Ok(Some(csv::header()));
        }
        let start = self.statement.period_start.clone();
        Ok(next_records(store, &mut self.pager, &start)
            .await?
            .map(|page| csv::rows(&self.statement, &page)))
    }
}

/// The PDF statement, built from every page of records (compressed as each PDF page fills).
pub async fn pdf(
    store: &Store,
    statement: &Statement,
    log_id: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, ApiError> {
    let mut builder = pdf::PdfBuilder::new(statement);
    let mut pager = Pager::new(log_id, start, end);
    while let Some(page) = next_records(store, &mut pager, &statement.period_start).await? {
        builder.add(&page);
    }
    Ok(builder.finish())
}
