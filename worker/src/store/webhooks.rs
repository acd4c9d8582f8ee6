//! Webhook endpoints. A deleted endpoint keeps its row (its deliveries and attempts refer to
//! it) with `deleted_at` set and `enabled = 0`: it gets no new deliveries and is not found.

use serde::{Deserialize, Serialize};

use super::{Arg, Store, WriteError};
use crate::api::ApiError;

#[derive(Deserialize, Serialize, Default)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub environment: String,
    pub url: String,
    pub description: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until_ms: u64,
    pub enabled: u32,
    pub created_at: String,
    /// Attempts that delivered (2xx), and attempts that failed, as the dispatcher recorded them.
    #[serde(default)]
    pub success_count: u64,
    #[serde(default)]
    pub failure_count: u64,
    /// When the latest recorded attempt started, and its outcome (`success` | `failure`).
    #[serde(default)]
    pub last_triggered_at: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

macro_rules! select_endpoint {
    () => {
        "SELECT id, tenant_id, environment, url, description, secret, previous_secret, previous_until_ms, enabled, \
           created_at, success_count, failure_count, last_triggered_at, last_status \
         FROM webhook_endpoints "
    };
}

impl Store {
    pub async fn insert_webhook_endpoint(&self, w: &WebhookEndpointRow) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO webhook_endpoints (id, tenant_id, environment, url, description, secret, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                (&w.id).into(),
                (&w.tenant_id).into(),
                (&w.environment).into(),
                (&w.url).into(),
                w.description.as_deref().into(),
                (&w.secret).into(),
                (&w.created_at).into(),
            ],
        )
        .await
        .map(drop)
    }

    /// An endpoint that is not deleted.
    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpointRow>, ApiError> {
        self.first(
            concat!(select_endpoint!(), "WHERE id = ?1 AND deleted_at IS NULL"),
            &[id.into()],
        )
        .await
    }

    /// An endpoint of this tenant and environment that is not deleted (any other is not found).
    pub async fn tenant_webhook_endpoint(
        &self,
        tenant_id: &str,
        environment: &str,
        id: &str,
    ) -> Result<Option<WebhookEndpointRow>, ApiError> {
        self.first(
            concat!(
                select_endpoint!(),
                "WHERE id = ?1 AND tenant_id = ?2 AND environment = ?3 AND deleted_at IS NULL"
            ),
            &[id.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// One page of the tenant's endpoints in this environment, newest first, and their total.
    pub async fn tenant_webhook_endpoints(
        &self,
        tenant_id: &str,
        environment: &str,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<WebhookEndpointRow>, u64), ApiError> {
        let rows = self
            .all(
                concat!(
                    select_endpoint!(),
                    "WHERE tenant_id = ?1 AND environment = ?2 AND deleted_at IS NULL \
                     ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
                ),
                &[
                    tenant_id.into(),
                    environment.into(),
                    Arg::Big(limit.into()),
                    Arg::Big(offset),
                ],
            )
            .await?;
        let total: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS n FROM webhook_endpoints \
                 WHERE tenant_id = ?1 AND environment = ?2 AND deleted_at IS NULL",
                &[tenant_id.into(), environment.into()],
            )
            .await?;
        Ok((rows, total.map_or(0, |c| c.n)))
    }

    /// New secret; the old one keeps signing alongside until `previous_until_ms`.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &str,
        previous_until_ms: u64,
    ) -> Result<(), ApiError> {
        self.run(
            "UPDATE webhook_endpoints SET previous_secret = secret, secret = ?2, previous_until_ms = ?3 \
             WHERE id = ?1 AND deleted_at IS NULL",
            &[id.into(), secret.into(), Arg::Big(previous_until_ms)],
        )
        .await
        .map(drop)
    }

    /// Deletes an endpoint: disabled and marked deleted, and its pending deliveries stop (a
    /// delivery being attempted right now records that attempt; the next one finds it disabled).
    /// Returns false if it was already deleted.
    pub async fn delete_webhook_endpoint(&self, id: &str, at: &str) -> Result<bool, ApiError> {
        let batch = vec![
            self.stmt(
                "UPDATE webhook_endpoints SET enabled = 0, deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
                &[id.into(), at.into()],
            )?,
            self.stmt(
                "UPDATE deliveries SET state = 'failed', last_error = 'endpoint deleted' \
                 WHERE endpoint_id = ?1 AND state = 'pending'",
                &[id.into()],
            )?,
        ];
        let results = self
            .batch("delete webhook endpoint", batch)
            .await
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("delete webhook endpoint", "constraint"),
            })?;
        Ok(results.first().is_some_and(|r| super::changes(r) == 1))
    }
}
