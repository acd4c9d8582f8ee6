//! Who a buyer sees as the recorder of a log: the vendor account for a billing middleware's
//! records (source doc 000: `recordedBy: {type: "middleware_vendor_account", id,
//! displayName}`, `tenant: {name}` the vendor account's name), the tenant for a direct
//! vendor's. The middleware parent tenant's name is never read here, so it cannot leak into
//! anything built from a `Recorder`.

use serde_json::{json, Value};

use crate::api::ApiError;
use crate::store::{LogRow, Store};

pub struct Recorder {
    /// `middleware_vendor_account` or `tenant`.
    pub kind: &'static str,
    /// The vendor account id, or the direct tenant's id: the owner a log's references hash.
    pub id: String,
    pub display_name: String,
}

impl Recorder {
    pub async fn of(store: &Store, log: &LogRow) -> Result<Recorder, ApiError> {
        match &log.vendor_account_id {
            Some(v) => {
                let account = store
                    .vendor_account(&log.tenant_id, v)
                    .await?
                    .ok_or_else(|| ApiError::internal("recorder", "vendor account"))?;
                Ok(Recorder {
                    kind: "middleware_vendor_account",
                    id: account.id,
                    display_name: account.display_name,
                })
            }
            None => {
                let tenant = store
                    .tenant(&log.tenant_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("recorder", "tenant"))?;
                Ok(Recorder {
                    kind: "tenant",
                    id: tenant.id,
                    display_name: tenant.name,
                })
            }
        }
    }

    /// `recordedBy`.
    pub fn recorded_by(&self) -> Value {
        json!({"type": self.kind, "id": self.id, "displayName": self.display_name})
    }

    /// `tenant`: as a buyer names the vendor.
    pub fn tenant(&self) -> Value {
        json!({"name": self.display_name})
    }
}
