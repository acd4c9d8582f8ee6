//! Idempotency-Key rows: claim, replay, complete, release.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{Arg, Store};
use crate::api::ApiError;

/// Whose key: keys are scoped to tenant and environment.
pub struct IdemScope<'a> {
    pub tenant_id: &'a str,
    pub environment: &'a str,
    pub key: &'a str,
}

#[derive(Deserialize)]
pub struct IdemRow {
    pub route: String,
    pub request_sha256: String,
    pub state: String,
    pub lease_until_ms: u64,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
}

impl Store {
    /// Inserts a pending row; false if the key already has one.
    pub async fn idem_claim(
        &self,
        s: &IdemScope<'_>,
        route: &str,
        sha: &str,
        lease_until_ms: u64,
        now: &str,
    ) -> Result<bool, ApiError> {
        let n = self
            .run(
                "INSERT INTO idempotency (tenant_id, environment, key, route, request_sha256, state, lease_until_ms, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7) ON CONFLICT DO NOTHING",
                &[s.tenant_id.into(), s.environment.into(), s.key.into(), route.into(), sha.into(), Arg::Big(lease_until_ms), now.into()],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn idem_row(&self, s: &IdemScope<'_>) -> Result<Option<IdemRow>, ApiError> {
        self.first(
            "SELECT route, request_sha256, state, lease_until_ms, response_status, response_body FROM idempotency \
             WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3",
            &[s.tenant_id.into(), s.environment.into(), s.key.into()],
        )
        .await
    }

    /// Takes over a pending row whose lease expired (its request crashed); false if someone else did.
    pub async fn idem_take_over(
        &self,
        s: &IdemScope<'_>,
        old_lease: u64,
        new_lease: u64,
    ) -> Result<bool, ApiError> {
        let n = self
            .run(
                "UPDATE idempotency SET lease_until_ms = ?5 WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3 \
                 AND state = 'pending' AND lease_until_ms = ?4",
                &[s.tenant_id.into(), s.environment.into(), s.key.into(), Arg::Big(old_lease), Arg::Big(new_lease)],
            )
            .await?;
        Ok(n == 1)
    }

    /// The statement that records the response, for the request's own atomic batch.
    pub fn idem_complete(
        &self,
        s: &IdemScope<'_>,
        status: u16,
        body: &str,
    ) -> Result<D1PreparedStatement, ApiError> {
        self.stmt(
            "UPDATE idempotency SET state = 'done', response_status = ?4, response_body = ?5 \
             WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3",
            &[
                s.tenant_id.into(),
                s.environment.into(),
                s.key.into(),
                Arg::Int(i32::from(status)),
                body.into(),
            ],
        )
    }

    /// Records a response on its own (for requests whose writes are not one batch).
    pub async fn idem_finish(
        &self,
        s: &IdemScope<'_>,
        status: u16,
        body: &str,
    ) -> Result<(), ApiError> {
        self.idem_complete(s, status, body)?
            .run()
            .await
            .map(drop)
            .map_err(|e| ApiError::internal("idempotency", e))
    }

    /// Drops a pending claim after a failure, so a retry can run again.
    pub async fn idem_release(&self, s: &IdemScope<'_>) -> Result<(), ApiError> {
        self.run(
            "DELETE FROM idempotency WHERE tenant_id = ?1 AND environment = ?2 AND key = ?3 AND state = 'pending'",
            &[s.tenant_id.into(), s.environment.into(), s.key.into()],
        )
        .await
        .map(drop)
    }
}
