//! Accepting a submission: ids, items and the one atomic write, shared by emit, batch and writes.

use worker::Response;

use crate::api::ApiError;
use crate::auth::Caller;
use crate::idempotency;
use crate::ingest::{self, Built, DeltaInput, WriteInput};
use crate::store::{Accept, Accepted, Claim, NewSubmission, Store, WriteError};
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

/// Writes the submission atomically with its idempotent response; on failure releases the
/// idempotency claim so a retry can run. `None`: committed. `Some(response)`: a retry took the
/// claim over while this request stalled, so nothing was written and this is what committed
/// under the key (or 202 while the retry is still at work).
pub async fn accept_submission(
    store: &Store,
    caller: &Caller,
    sub: &Submission,
    kind: &str,
    claim: Option<&Claim>,
    status: u16,
    response: &str,
) -> Result<Option<Response>, ApiError> {
    store.faults().stall("before-accept").await;
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
        completion: claim.map(|c| (c, status, response.to_string())),
    };
    // Tests make the write fail after the stall, to see what a failing request releases.
    let result = if store.faults().has("fail-accept") {
        Err(WriteError::Other(ApiError::internal(
            "accept",
            "injected fault",
        )))
    } else {
        store.accept(&accept).await
    };
    let err = match result {
        Ok(Accepted::Committed) => return Ok(None),
        Ok(Accepted::Superseded) => {
            let Some(c) = claim else {
                return Err(ApiError::internal("accept", "superseded without a claim"));
            };
            return idempotency::superseded(store, c).await.map(Some);
        }
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
    if let Some(c) = claim {
        store.idem_release(c).await?;
    }
    Err(err)
}
