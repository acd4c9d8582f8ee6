//! Idempotency-Key rows: claim, take over, replay, complete, release, prune. Each claim
//! carries a random token; completing and releasing act only for the token that holds the
//! claim, and the accept batch is guarded by it ([`idem_guard!`]), so a request that lost its
//! claim to a retry (its lease expired) writes nothing and frees nothing.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{Arg, Store};
use crate::api::ApiError;

/// A claim on a key: keys are scoped to tenant and environment; the token says whose claim.
pub struct Claim {
    pub tenant_id: String,
    pub environment: &'static str,
    pub key: String,
    pub token: String,
}

#[derive(Deserialize)]
pub struct IdemRow {
    pub route: String,
    pub request_sha256: String,
    pub state: String,
    pub lease_until_ms: u64,
    pub claim_token: String,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
}

/// The condition on every statement of an accept batch after the completion (which is
/// first): the claim is this request's and done. Takes `?1..?4` (key or NULL when the request
/// has none, tenant, environment, token); a statement's own parameters start at `?5`.
macro_rules! idem_guard {
    () => {
        " (?1 IS NULL OR EXISTS (SELECT 1 FROM idempotency WHERE key = ?1 AND tenant_id = ?2 \
         AND environment = ?3 AND claim_token = ?4 AND state = 'done'))"
    };
}
pub(crate) use idem_guard;

/// The four [`idem_guard!`] parameters of a request, with or without a claim.
pub fn idem_guard_args<'a>(
    claim: Option<&'a Claim>,
    tenant_id: &'a str,
    environment: &'a str,
) -> [Arg<'a>; 4] {
    match claim {
        Some(c) => [
            (&c.key).into(),
            tenant_id.into(),
            environment.into(),
            (&c.token).into(),
        ],
        None => [Arg::Null, tenant_id.into(), environment.into(), Arg::Null],
    }
}

impl Store {
    /// Inserts a pending row for `claim`; false if the key already has one.
    pub async fn idem_claim(
        &self,
        claim: &Claim,
        route: &str,
        sha: &str,
        lease_until_ms: u64,
        now: &str,
    ) -> Result<bool, ApiError> {
        let n = self
            .run(
                "INSERT INTO idempotency (tenant_id, environment, key, route, request_sha256, state, lease_until_ms, claim_token, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                &[(&claim.tenant_id).into(), claim.environment.into(), (&claim.key).into(), route.into(), sha.into(),
                  Arg::Big(lease_until_ms), (&claim.token).into(), now.into()],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn idem_row(&self, claim: &Claim) -> Result<Option<IdemRow>, ApiError> {
        self.first(
            "SELECT route, request_sha256, state, lease_until_ms, claim_token, response_status, response_body FROM idempotency \
             WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3",
            &[(&claim.tenant_id).into(), claim.environment.into(), (&claim.key).into()],
        )
        .await
    }

    /// Takes over a pending claim whose lease expired (its request crashed or stalled) for
    /// `claim`'s token; false if someone else did first.
    pub async fn idem_take_over(
        &self,
        claim: &Claim,
        old: &IdemRow,
        new_lease: u64,
    ) -> Result<bool, ApiError> {
        let n = self
            .run(
                "UPDATE idempotency SET lease_until_ms = ?6, claim_token = ?7 WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3 \
                 AND state = 'pending' AND lease_until_ms = ?4 AND claim_token = ?5",
                &[(&claim.tenant_id).into(), claim.environment.into(), (&claim.key).into(), Arg::Big(old.lease_until_ms),
                  (&old.claim_token).into(), Arg::Big(new_lease), (&claim.token).into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// The statement that records the response if `claim` still holds the key: first in the
    /// request's own atomic batch, whose other statements carry [`idem_guard!`].
    pub fn idem_complete(
        &self,
        claim: &Claim,
        status: u16,
        body: &str,
    ) -> Result<D1PreparedStatement, ApiError> {
        self.stmt(
            "UPDATE idempotency SET state = 'done', response_status = ?5, response_body = ?6 \
             WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3 AND claim_token = ?4 AND state = 'pending'",
            &[
                (&claim.tenant_id).into(),
                claim.environment.into(),
                (&claim.key).into(),
                (&claim.token).into(),
                Arg::Int(i32::from(status)),
                body.into(),
            ],
        )
    }

    /// Records a response on its own (for requests whose writes are not one batch); false if
    /// the claim was lost to a retry meanwhile.
    pub async fn idem_finish(
        &self,
        claim: &Claim,
        status: u16,
        body: &str,
    ) -> Result<bool, ApiError> {
        let result = self
            .idem_complete(claim, status, body)?
            .run()
            .await
            .map_err(|e| ApiError::internal("idempotency", e))?;
        self.count(&result);
        Ok(super::changes(&result) == 1)
    }

    /// Drops this request's pending claim after a failure, so a retry can run again. A claim
    /// taken over by a retry is not this request's to drop.
    pub async fn idem_release(&self, claim: &Claim) -> Result<(), ApiError> {
        self.run(
            "DELETE FROM idempotency WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3 AND claim_token = ?4 AND state = 'pending'",
            &[(&claim.tenant_id).into(), claim.environment.into(), (&claim.key).into(), (&claim.token).into()],
        )
        .await
        .map(drop)
    }

    /// Deletes up to `limit` keys whose lease ended before `cutoff_ms` (the retention).
    pub async fn prune_idempotency(&self, cutoff_ms: u64, limit: u32) -> Result<usize, ApiError> {
        self.run(
            "DELETE FROM idempotency WHERE (tenant_id, environment, key) IN \
             (SELECT tenant_id, environment, key FROM idempotency WHERE lease_until_ms < ?1 LIMIT ?2)",
            &[Arg::Big(cutoff_ms), Arg::Big(limit.into())],
        )
        .await
    }
}
