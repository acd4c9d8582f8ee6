//! Admitting a public request by its link: the handle names the log (a capability), the
//! policy says what is open, a step-up session opens the rest. Every refusal is the same for
//! every route: 404 unknown handle, 410 revoked, 401 code required.

use serde_json::json;
use vericord_core::Handle;
use worker::{Request, RouteContext};

use super::{access_key, public_url, Policy, COOKIE, VIEW_SESSION_MS};
use crate::api::ApiError;
use crate::close::identity::Recorder;
use crate::close::serve::{Links, Subject};
use crate::query::{self, Query};
use crate::store::{AccessLinkRow, Store};
use crate::{clock, cors, signing, AppState};

/// What a route needs open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The summary.
    Summary,
    /// Consistency proofs for the browser's witness (hashes only).
    Proofs,
    /// Records, periods, packages, compare, exports.
    Details,
}

fn required(policy: Policy, need: Need) -> bool {
    match policy {
        Policy::Open => false,
        Policy::TwoTier => need == Need::Details,
        Policy::Gated => true,
    }
}

/// A public request admitted through a link.
pub struct Shared {
    pub subject: Subject,
    pub link: AccessLinkRow,
    pub handle: Handle,
    pub policy: Policy,
    /// The step-up session's expiry, when the request carries a valid one.
    pub session_until: Option<u64>,
    pub public_url: String,
}

fn not_found() -> ApiError {
    ApiError::not_found("LINK_NOT_FOUND", "no Shared Record link with this handle")
}

/// The session token a request carries: the `vericord_access` cookie or `X-Access-Session`.
fn session_token(req: &Request) -> Option<String> {
    let h = req.headers();
    if let Some(t) = h.get("X-Access-Session").ok().flatten() {
        return Some(t.trim().to_string());
    }
    let cookies = h.get("Cookie").ok().flatten()?;
    cookies.split(';').find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == COOKIE).then(|| value.to_string())
    })
}

/// The link a handle names, whatever its state (for the step-up, which counts attempts).
pub async fn link_of(
    store: &Store,
    ctx: &RouteContext<AppState>,
) -> Result<(Handle, AccessLinkRow), ApiError> {
    let handle = Handle::parse(&query::param(ctx, "handle")).map_err(|_| not_found())?;
    let link = store
        .access_link(handle.as_str())
        .await?
        .ok_or_else(not_found)?;
    Ok((handle, link))
}

/// The link's tenant's allow-listed origin, if the request came from one: CORS credentials.
pub async fn allow_origin(
    store: &Store,
    req: &Request,
    ctx: &RouteContext<AppState>,
    link: &AccessLinkRow,
) -> Result<(), ApiError> {
    if let Some(origin) = cors::origin(req) {
        let tenant = store.tenant(&link.tenant_id).await?;
        if tenant.is_some_and(|t| t.origins().contains(&origin)) {
            ctx.data.cors.replace(Some(origin));
        }
    }
    Ok(())
}

/// Refuses a revoked link, forever.
pub fn live(link: &AccessLinkRow) -> Result<(), ApiError> {
    if link.state == "revoked" {
        return Err(ApiError::new(
            410,
            "LINK_REVOKED",
            "this Shared Record link was revoked; ask the vendor for the current one",
        ));
    }
    Ok(())
}

/// Admits a request that needs `need`; counts the view.
pub async fn open(
    req: &Request,
    ctx: &RouteContext<AppState>,
    need: Need,
) -> Result<Shared, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(ctx)?;
    let (handle, link) = link_of(&store, ctx).await?;
    allow_origin(&store, req, ctx, &link).await?;
    live(&link)?;
    let policy = Policy::parse(&link.policy)
        .ok_or_else(|| ApiError::internal("stored policy", &link.policy))?;
    let key = access_key(&ctx.env)?;
    let session_until = session_token(req)
        .and_then(|t| key.check_session(&handle, link.code_epoch, &t, now_ms).ok());
    if required(policy, need) && session_until.is_none() {
        let locked = link.locked_until_ms > now_ms;
        return Err(ApiError::new(401, "ACCESS_CODE_REQUIRED", "this part of the Shared Record needs the access code: POST /api/v1/c/{handle}/access/verify")
            .with_extra("policy", policy.as_str().into())
            .with_extra("locked", locked.into()));
    }
    let log = store
        .log_head(&link.tenant_id, &link.environment, &link.log_id)
        .await?
        .ok_or_else(|| ApiError::internal("link", "its log is missing"))?;
    let recorder = Recorder::of(&store, &log).await?;
    let keys = signing::keys(&ctx.env)?;
    let base = crate::routes::checkpoints::base_url(req).unwrap_or_default();
    note_view(&store, ctx, &link, &log, &recorder, now_ms).await?;
    let subject = Subject {
        store,
        log,
        recorder,
        keys,
        query: Query::of(req)?,
        now_ms,
        links: Links::Shared {
            base,
            handle: handle.to_string(),
        },
    };
    Ok(Shared {
        subject,
        link,
        handle,
        policy,
        session_until,
        public_url: public_url(&ctx.env, req),
    })
}

/// A view: starts a viewing session (event and signal) when the link had none for 30 min.
async fn note_view(
    store: &Store,
    ctx: &RouteContext<AppState>,
    link: &AccessLinkRow,
    log: &crate::store::LogRow,
    recorder: &Recorder,
    now_ms: u64,
) -> Result<(), ApiError> {
    if !store
        .note_view(&link.handle, now_ms, VIEW_SESSION_MS, 60_000)
        .await?
    {
        return Ok(());
    }
    let month = clock::month(now_ms);
    store.add_signal(&log.id, &month, "viewed", now_ms).await?;
    let sent = crate::close::events::record(
        store,
        log,
        recorder,
        "customer.shared_record_viewed",
        json!({"handle": link.handle, "policy": link.policy, "month": month}),
    )
    .await?;
    if sent {
        ctx.data.dispatch_after();
    }
    Ok(())
}
