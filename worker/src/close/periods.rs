//! Closed periods of a customer log: UTC months whose end has passed, each closed by one
//! stored checkpoint (`closed`, docs/SPEC.md §11). A month that ended without one is closed
//! on first use — its boundaries are final once it has ended, so that is a write any reader
//! may make, once per log and month. Periods tile the log, so the previous period's checkpoint
//! ends exactly where a period starts.

use vericord_core::Amount;

use crate::api::ApiError;
use crate::checkpointing::{self, Keep};
use crate::clock;
use crate::scope::{parse_time, Scope};
use crate::signing::Keys;
use crate::store::{join, CheckpointRow, LogRow, Store};

/// `[start, end)` of a `YYYY-MM` month in ms.
pub fn month_bounds(label: &str) -> Option<(u64, u64)> {
    let (start, end) = clock::month_range(label)?;
    Some((
        parse_time(&start, "period").ok()?,
        parse_time(&end, "period").ok()?,
    ))
}

/// The month before `label`.
pub fn previous_month(label: &str) -> Option<String> {
    let (start, _) = month_bounds(label)?;
    start.checked_sub(1).map(clock::month)
}

fn not_closed(label: &str) -> ApiError {
    ApiError::invalid(
        "PERIOD_NOT_CLOSED",
        Some("period".into()),
        format!("{label} has not ended yet; only closed periods have a close package"),
    )
}

/// The checkpoint closing month `label` of `log`, closing it now if the month has ended and
/// none is stored yet.
pub async fn closed(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    label: &str,
    now_ms: u64,
) -> Result<CheckpointRow, ApiError> {
    let (start_ms, end_ms) = month_bounds(label).ok_or_else(|| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("period".into()),
            "must be a month as YYYY-MM",
        )
    })?;
    if end_ms > now_ms {
        return Err(not_closed(label));
    }
    if let Some(c) = store.closed_checkpoint(&log.id, label).await? {
        return Ok(c);
    }
    let scope = Scope {
        label: label.to_string(),
        start_ms,
        end_ms,
        until_ms: end_ms,
    };
    Ok(checkpointing::create(store, keys, log, &scope, Keep::Store)
        .await?
        .row)
}

/// The closing checkpoint of the period before `cp`'s, `None` for the log's first period.
pub async fn previous(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    cp: &CheckpointRow,
    now_ms: u64,
) -> Result<Option<CheckpointRow>, ApiError> {
    if cp.start_size == 0 {
        return Ok(None);
    }
    let label =
        previous_month(&cp.label).ok_or_else(|| ApiError::internal("previous period", "label"))?;
    let prev = closed(store, keys, log, &label, now_ms).await?;
    if prev.size != cp.start_size {
        return Err(ApiError::internal(
            "previous period",
            format!(
                "{} ends at {} but {} starts at {}",
                prev.label, prev.size, cp.label, cp.start_size
            ),
        ));
    }
    Ok(Some(prev))
}

/// A period's totals, exact: opening and closing from the checkpoint, credits from the
/// running credit sums of its two boundary entries, debits (as a magnitude) from those.
pub struct Totals {
    pub opening: Amount,
    pub closing: Amount,
    pub credits: Amount,
    pub debits: Amount,
    pub net: Amount,
    pub count: u64,
}

async fn credits_at(store: &Store, log_id: &str, size: u64) -> Result<Amount, ApiError> {
    if size == 0 {
        return Ok(Amount::ZERO);
    }
    let e = store
        .entry(log_id, size - 1)
        .await?
        .ok_or_else(|| ApiError::internal("credits", "entry missing below the head"))?;
    Ok(join(
        e.credits_units.unwrap_or(0),
        e.credits_nanos.unwrap_or(0),
    ))
}

pub async fn totals(store: &Store, cp: &CheckpointRow) -> Result<Totals, ApiError> {
    let bad = |e| ApiError::internal("stored amount", e);
    let opening = Amount::parse(&cp.opening).map_err(bad)?;
    let closing = Amount::parse(&cp.closing).map_err(bad)?;
    let overflow = || ApiError::internal("totals", "overflow");
    let credits = credits_at(store, &cp.log_id, cp.size)
        .await?
        .checked_sub(credits_at(store, &cp.log_id, cp.start_size).await?)
        .ok_or_else(overflow)?;
    let net = closing.checked_sub(opening).ok_or_else(overflow)?;
    Ok(Totals {
        opening,
        closing,
        debits: credits.checked_sub(net).ok_or_else(overflow)?,
        credits,
        net,
        count: cp.count,
    })
}

impl Totals {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "opening": self.opening.to_string(), "credits": self.credits.to_string(), "debits": self.debits.to_string(),
            "net": self.net.to_string(), "closing": self.closing.to_string(), "recordCount": self.count,
        })
    }
}

/// The month of the log's first entry (its stamp), if it has one.
pub async fn first_month(store: &Store, log: &LogRow) -> Result<Option<String>, ApiError> {
    if log.size == 0 {
        return Ok(None);
    }
    Ok(store
        .entry(&log.id, 0)
        .await?
        .and_then(|e| e.stamp_ms)
        .map(clock::month))
}

/// Up to `limit` closed months of a log, newest first, before `before` (a label) if given.
pub fn closed_months(first: &str, now_ms: u64, before: Option<&str>, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(mut label) = previous_month(&clock::month(now_ms)) else {
        return out;
    };
    while out.len() < limit && label.as_str() >= first {
        if before.is_none_or(|b| label.as_str() < b) {
            out.push(label.clone());
        }
        match previous_month(&label) {
            Some(p) => label = p,
            None => break,
        }
    }
    out
}

/// The closed period a request names by `period` (`YYYY-MM`) or `checkpointId` (exactly one).
pub async fn named(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    period: Option<&str>,
    checkpoint_id: Option<&str>,
    now_ms: u64,
) -> Result<CheckpointRow, ApiError> {
    match (period, checkpoint_id) {
        (Some(label), None) => closed(store, keys, log, label, now_ms).await,
        (None, Some(id)) => match store.log_checkpoint(&log.id, id).await? {
            Some(c) if c.closed == 1 => Ok(c),
            Some(_) => Err(ApiError::invalid(
                "NOT_A_CLOSED_PERIOD",
                Some("checkpointId".into()),
                "this checkpoint does not close a period (an interim or custom-range checkpoint); name its month as period",
            )),
            None => Err(ApiError::not_found("CHECKPOINT_NOT_FOUND", "no checkpoint of this customer has this id")),
        },
        (None, None) => Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("period".into()),
            "name the period: period=YYYY-MM or checkpointId=chk_…",
        )),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "INVALID_SCOPE_COMBINATION",
            Some("checkpointId".into()),
            "give period or checkpointId, not both",
        )),
    }
}

/// One side of a compare: a closed month's label, or the id of any stored checkpoint of the log.
pub async fn compare_side(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    text: &str,
    field: &str,
    now_ms: u64,
) -> Result<CheckpointRow, ApiError> {
    if clock::month_range(text).is_some() {
        return closed(store, keys, log, text, now_ms).await.map_err(|e| {
            if e.code == "PERIOD_NOT_CLOSED" {
                e.with_field(field.into())
            } else {
                e
            }
        });
    }
    store.log_checkpoint(&log.id, text).await?.ok_or_else(|| {
        ApiError::invalid(
            "CHECKPOINT_NOT_FOUND",
            Some(field.into()),
            "must be a closed period (YYYY-MM) or the id of one of this customer's checkpoints",
        )
    })
}
