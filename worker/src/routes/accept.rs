//! Accepting a submission: ids, items and the one atomic write, shared by emit, batch and writes.

use crate::api::ApiError;
use crate::auth::Caller;
use crate::idempotency;
use crate::ingest::{self, Built, DeltaInput, WriteInput};
use crate::store::{Accept, NewSubmission, Store, WriteError};
use crate::{clock, ids};

pub struct Submission {
    pub id: String,
    pub received_at: String,
    pub period: String,
    pub built: Built,
}

impl Submission {
    pub fn deltas(
        caller: &Caller,
        inputs: &[DeltaInput],
        now_ms: u64,
    ) -> Result<Submission, ApiError> {
        Submission::new("anc_", inputs.len(), now_ms, |record_ids, received_at| {
            ingest::build_deltas(
                &caller.tenant_id,
                caller.environment,
                inputs,
                record_ids,
                received_at,
            )
        })
    }

    pub fn writes(
        caller: &Caller,
        inputs: &[WriteInput],
        now_ms: u64,
    ) -> Result<Submission, ApiError> {
        Submission::new("req_", inputs.len(), now_ms, |record_ids, received_at| {
            ingest::build_writes(
                &caller.tenant_id,
                caller.environment,
                inputs,
                record_ids,
                received_at,
            )
        })
    }

    /// Fresh ids for the submission and its `n` records, then the items.
    fn new(
        prefix: &str,
        n: usize,
        now_ms: u64,
        build: impl FnOnce(Vec<String>, &str) -> Result<Built, ApiError>,
    ) -> Result<Submission, ApiError> {
        let id = ids::new_id(prefix)?;
        let record_ids = (0..n)
            .map(|_| ids::new_id("rec_"))
            .collect::<Result<_, _>>()?;
        let received_at = clock::rfc3339(now_ms);
        let built = build(record_ids, &received_at)?;
        Ok(Submission {
            id,
            received_at,
            period: clock::month(now_ms),
            built,
        })
    }
}

/// Writes the submission atomically with its idempotent response; on failure
/// releases the idempotency claim so a retry can run.
pub async fn accept_submission(
    store: &Store,
    caller: &Caller,
    sub: &Submission,
    kind: &str,
    key: Option<&str>,
    status: u16,
    response: &str,
) -> Result<(), ApiError> {
    let accept = Accept {
        submission: NewSubmission {
            id: &sub.id,
            tenant_id: &caller.tenant_id,
            environment: caller.env(),
            kind,
            items_root: sub.built.items_root.to_hex(),
            item_count: u32::try_from(sub.built.records.len())
                .map_err(|e| ApiError::internal("count", e))?,
            received_at: &sub.received_at,
        },
        period: &sub.period,
        logs: &sub.built.logs,
        records: &sub.built.records,
        completion: key.map(|k| (idempotency::scope(caller, k), status, response.to_string())),
    };
    let result = store.accept(&accept).await;
    let err = match result {
        Ok(()) => return Ok(()),
        Err(WriteError::Check) => ApiError::new(
            402,
            "PLAN_LIMIT_EXCEEDED",
            "the monthly allowance of records for this tenant and environment is used up",
        ),
        Err(WriteError::Unique(why)) if why.contains("write_key") => ApiError::new(
            409,
            "DUPLICATE_KEY",
            "a write with one of these keys already exists",
        ),
        Err(WriteError::Unique(why)) => ApiError::internal("accept: unique", why),
        Err(WriteError::Other(e)) => e,
    };
    if let Some(k) = key {
        store.idem_release(&idempotency::scope(caller, k)).await?;
    }
    Err(err)
}
