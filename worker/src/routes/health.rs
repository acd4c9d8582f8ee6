//! `GET /health`: liveness plus the schema version read from D1, so a
//! missing migration shows up here rather than on the first write; and the key
//! configuration, so a malformed one stops the deployment from starting.

use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::signing;
use crate::store::Store;
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    version: &'static str,
    schema_version: u32,
}

pub async fn get(_req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    // A malformed key configuration fails here, at start-up, not on every verification.
    if let Err(e) = signing::keys(&ctx.env) {
        if e.code == "CONFIG_INVALID" {
            return Err(e);
        }
    }
    let store = Store::of(&ctx)?;
    let schema_version = store.schema_version().await?;
    ok(
        &Health {
            version: ctx.data.version,
            schema_version,
        },
        200,
    )
}
