//! Tenants, API keys, vendor accounts, rate windows.

use serde::{Deserialize, Serialize};

use super::{Arg, Store};
use crate::api::ApiError;

#[derive(Deserialize, Serialize, Clone)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub monthly_allowance: Option<u64>,
    pub created_at: String,
    /// JSON array of the origins that may frame this tenant's pages and use its Shared Record
    /// sessions cross-origin (docs/ACCESS.md).
    #[serde(default = "no_origins")]
    pub embed_origins: String,
}

fn no_origins() -> String {
    "[]".into()
}

impl TenantRow {
    /// The allow-listed origins.
    pub fn origins(&self) -> Vec<String> {
        serde_json::from_str(&self.embed_origins).unwrap_or_default()
    }
}

/// A key with its tenant, as authentication needs it.
#[derive(Deserialize)]
pub struct KeyRow {
    pub public_id: String,
    pub tenant_id: String,
    pub environment: String,
    pub secret_sha256: String,
    pub enabled: u32,
    pub rate_limit_per_minute: u32,
    pub tenant_kind: String,
    /// Set once the key is revoked: it never authenticates again.
    pub revoked_at: Option<String>,
}

#[derive(Deserialize, Serialize, Default)]
pub struct KeyInfo {
    pub public_id: String,
    pub tenant_id: String,
    pub environment: String,
    pub name: String,
    pub enabled: u32,
    pub rate_limit_per_minute: u32,
    pub created_at: String,
    #[serde(default)]
    pub rotated_at: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// The columns of [`KeyInfo`].
macro_rules! key_info_columns {
    () => {
        "public_id, tenant_id, environment, name, enabled, rate_limit_per_minute, created_at, rotated_at, revoked_at"
    };
}

#[derive(Deserialize, Serialize)]
pub struct VendorAccountRow {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

impl Store {
    pub async fn insert_tenant(&self, t: &TenantRow) -> Result<(), ApiError> {
        let allowance = t.monthly_allowance.map_or(Arg::Null, Arg::Big);
        self.run(
            "INSERT INTO tenants (id, name, kind, monthly_allowance, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[(&t.id).into(), (&t.name).into(), (&t.kind).into(), allowance, (&t.created_at).into()],
        )
        .await
        .map(drop)
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<TenantRow>, ApiError> {
        self.first(
            "SELECT id, name, kind, monthly_allowance, created_at, embed_origins FROM tenants WHERE id = ?1",
            &[id.into()],
        )
        .await
    }

    /// Sets name and allowance (`None` = unlimited).
    pub async fn update_tenant(
        &self,
        id: &str,
        name: &str,
        allowance: Option<u64>,
        embed_origins: &str,
    ) -> Result<(), ApiError> {
        let allowance = allowance.map_or(Arg::Null, Arg::Big);
        self.run(
            "UPDATE tenants SET name = ?2, monthly_allowance = ?3, embed_origins = ?4 WHERE id = ?1",
            &[id.into(), name.into(), allowance, embed_origins.into()],
        )
        .await
        .map(drop)
    }

    pub async fn insert_key(&self, k: &KeyInfo, secret_sha256: &str) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO api_keys (public_id, tenant_id, environment, secret_sha256, name, enabled, rate_limit_per_minute, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
            &[
                (&k.public_id).into(),
                (&k.tenant_id).into(),
                (&k.environment).into(),
                secret_sha256.into(),
                (&k.name).into(),
                Arg::Big(k.rate_limit_per_minute.into()),
                (&k.created_at).into(),
            ],
        )
        .await
        .map(drop)
    }

    pub async fn key_info(&self, public_id: &str) -> Result<Option<KeyInfo>, ApiError> {
        self.first(
            concat!(
                "SELECT ",
                key_info_columns!(),
                " FROM api_keys WHERE public_id = ?1"
            ),
            &[public_id.into()],
        )
        .await
    }

    /// A key of this tenant and environment (any other key is simply not found).
    pub async fn tenant_key(
        &self,
        tenant_id: &str,
        environment: &str,
        public_id: &str,
    ) -> Result<Option<KeyInfo>, ApiError> {
        self.first(
            concat!(
                "SELECT ",
                key_info_columns!(),
                " FROM api_keys WHERE public_id = ?1 AND tenant_id = ?2 AND environment = ?3"
            ),
            &[public_id.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// One page of the tenant's keys in this environment, newest first, and their total.
    pub async fn tenant_keys(
        &self,
        tenant_id: &str,
        environment: &str,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<KeyInfo>, u64), ApiError> {
        let keys = self
            .all(
                concat!(
                    "SELECT ",
                    key_info_columns!(),
                    " FROM api_keys WHERE tenant_id = ?1 AND environment = ?2 \
                     ORDER BY created_at DESC, public_id DESC LIMIT ?3 OFFSET ?4"
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
                "SELECT COUNT(*) AS count FROM api_keys WHERE tenant_id = ?1 AND environment = ?2",
                &[tenant_id.into(), environment.into()],
            )
            .await?;
        Ok((keys, total.map_or(0, |c| c.count)))
    }

    /// Replaces the secret of a key that is not revoked (the old secret stops working at once);
    /// false if the key was revoked meanwhile.
    pub async fn rotate_key(
        &self,
        public_id: &str,
        secret_sha256: &str,
        at: &str,
    ) -> Result<bool, ApiError> {
        let changed = self
            .run(
                "UPDATE api_keys SET secret_sha256 = ?2, rotated_at = ?3 WHERE public_id = ?1 AND revoked_at IS NULL",
                &[public_id.into(), secret_sha256.into(), at.into()],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Revokes a key for good (disabled too); a key revoked before keeps its first `revoked_at`.
    pub async fn revoke_key(&self, public_id: &str, at: &str) -> Result<(), ApiError> {
        self.run(
            "UPDATE api_keys SET enabled = 0, revoked_at = COALESCE(revoked_at, ?2) WHERE public_id = ?1",
            &[public_id.into(), at.into()],
        )
        .await
        .map(drop)
    }

    pub async fn update_key(
        &self,
        public_id: &str,
        enabled: bool,
        rate_limit_per_minute: u32,
    ) -> Result<(), ApiError> {
        self.run(
            // A revoked key is never enabled again.
            "UPDATE api_keys SET enabled = CASE WHEN revoked_at IS NULL THEN ?2 ELSE 0 END, rate_limit_per_minute = ?3 \
             WHERE public_id = ?1",
            &[
                public_id.into(),
                Arg::Int(i32::from(enabled)),
                Arg::Big(rate_limit_per_minute.into()),
            ],
        )
        .await
        .map(drop)
    }

    pub async fn key_for_auth(&self, public_id: &str) -> Result<Option<KeyRow>, ApiError> {
        self.first(
            "SELECT k.public_id, k.tenant_id, k.environment, k.secret_sha256, k.enabled, k.rate_limit_per_minute, \
                    t.kind AS tenant_kind, k.revoked_at \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.public_id = ?1",
            &[public_id.into()],
        )
        .await
    }

    /// Counts one request in the key's current one-minute window; returns the count so far.
    pub async fn rate_hit(&self, public_id: &str, minute: u64) -> Result<u64, ApiError> {
        let row: Option<Count> = self
            .first(
                "INSERT INTO rate_windows (key_id, window_start, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key_id, window_start) DO UPDATE SET count = count + 1 RETURNING count",
                &[public_id.into(), Arg::Big(minute)],
            )
            .await?;
        Ok(row.map_or(1, |r| r.count))
    }

    /// Drops rate windows that ended before `minute`.
    pub async fn prune_rate_windows(&self, minute: u64) -> Result<usize, ApiError> {
        self.run(
            "DELETE FROM rate_windows WHERE window_start < ?1",
            &[Arg::Big(minute)],
        )
        .await
    }

    pub async fn insert_vendor_account(&self, v: &VendorAccountRow) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO vendor_accounts (id, tenant_id, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
            &[(&v.id).into(), (&v.tenant_id).into(), (&v.display_name).into(), (&v.created_at).into()],
        )
        .await
        .map(drop)
    }

    /// A vendor account of this tenant (another tenant's id is simply not found).
    pub async fn vendor_account(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<VendorAccountRow>, ApiError> {
        self.first(
            "SELECT id, tenant_id, display_name, created_at FROM vendor_accounts WHERE id = ?1 AND tenant_id = ?2",
            &[id.into(), tenant_id.into()],
        )
        .await
    }

    pub async fn vendor_accounts(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<VendorAccountRow>, ApiError> {
        self.all(
            "SELECT id, tenant_id, display_name, created_at FROM vendor_accounts WHERE tenant_id = ?1 ORDER BY created_at, id",
            &[tenant_id.into()],
        )
        .await
    }
}
