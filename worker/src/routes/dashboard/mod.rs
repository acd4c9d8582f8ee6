//! `/dashboard/*` (source doc 001): a vendor's own UI, authenticated by a dashboard token
//! (`auth::dashboard`). Most answers are the Balance API's and the middleware's own handlers
//! (one implementation per concept); these modules hold what only the dashboard has.

pub mod api_keys;
pub mod checkpoints;
pub mod customers;
pub mod verification;
pub mod webhooks;

use worker::{Request, RouteContext};

use crate::api::ApiError;
use crate::auth::{self, Caller};
use crate::query::Query;
use crate::store::Store;
use crate::{clock, AppState};

/// The store and the dashboard caller of a request.
async fn caller_of(
    req: &Request,
    ctx: &RouteContext<AppState>,
) -> Result<(Store, Caller), ApiError> {
    let store = Store::of(ctx)?;
    let caller = auth::caller(req, ctx, &store, clock::now_ms()).await?;
    Ok((store, caller))
}

/// A list's `limit` (1–100, default 25) and `offset`.
fn page(q: &Query) -> Result<(u64, u64), ApiError> {
    Ok((
        q.int("limit", 25, 1, 100)?,
        q.int("offset", 0, 0, 1_000_000_000)?,
    ))
}
