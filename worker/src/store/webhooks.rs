//! Webhook endpoints.

use serde::{Deserialize, Serialize};

use super::{Arg, Store};
use crate::api::ApiError;

#[derive(Deserialize, Serialize)]
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

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpointRow>, ApiError> {
        self.first(
            "SELECT id, tenant_id, environment, url, description, secret, previous_secret, previous_until_ms, enabled, created_at \
             FROM webhook_endpoints WHERE id = ?1",
            &[id.into()],
        )
        .await
    }

    /// New secret; the old one keeps signing alongside until `previous_until_ms`.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &str,
        previous_until_ms: u64,
    ) -> Result<(), ApiError> {
        self.run(
            "UPDATE webhook_endpoints SET previous_secret = secret, secret = ?2, previous_until_ms = ?3 WHERE id = ?1",
            &[id.into(), secret.into(), Arg::Big(previous_until_ms)],
        )
        .await
        .map(drop)
    }
}
