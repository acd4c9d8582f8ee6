//! The step-up: an access code for a session, under a lockout counted in D1 so that every
//! isolate sees every attempt. A locked link refuses right and wrong codes alike, so at most
//! [`FAILURES_TO_LOCK`] guesses fit in each lock window, and the windows double.

use serde_json::json;
use vericord_core::{AccessCode, Handle};
use worker::RouteContext;

use super::{access_key, gate, COOKIE, SESSION_MS};
use crate::api::ApiError;
use crate::close::identity::Recorder;
use crate::store::{AccessLinkRow, Store, FAILURES_TO_LOCK};
use crate::{clock, AppState};

/// The first lock; each further one doubles, up to [`MAX_LOCK_MS`].
pub const BASE_LOCK_MS: u64 = 60_000;
pub const MAX_LOCK_MS: u64 = 24 * 3_600_000;

/// A granted session: the token and the cookie that carries it.
pub struct Granted {
    pub token: String,
    pub expires_ms: u64,
    pub cookie: String,
}

fn locked(until_ms: u64, now_ms: u64) -> ApiError {
    let secs = until_ms.saturating_sub(now_ms).div_ceil(1000).max(1);
    ApiError::new(
        429,
        "ACCESS_LOCKED",
        format!("too many wrong access codes; try again in {secs} s"),
    )
    .with_extra("retryAfterSeconds", secs.into())
    .with_header("Retry-After", secs.to_string())
}

/// Checks `value` against the code of `link` (as the request just read it); a session on
/// success.
pub async fn verify(
    ctx: &RouteContext<AppState>,
    store: &Store,
    handle: &Handle,
    link: &AccessLinkRow,
    value: &str,
) -> Result<Granted, ApiError> {
    let now_ms = clock::now_ms();
    gate::live(link)?;
    if link.locked_until_ms > now_ms {
        return Err(locked(link.locked_until_ms, now_ms));
    }
    let key = access_key(&ctx.env)?;
    // A malformed code is a wrong code: it counts, so typing junk cannot probe for free.
    let right =
        AccessCode::parse(value).is_ok_and(|c| key.code_matches(handle, &c, &link.code_mac));
    if right {
        if !store
            .step_up_succeeded(&link.handle, link.code_epoch, now_ms)
            .await?
        {
            // Locked (or the code rotated) between the read and now: refuse like a lock.
            return Err(changed_meanwhile(store, link, now_ms).await);
        }
        return Ok(grant(&key, handle, link, now_ms));
    }
    let Some(f) = store
        .step_up_failed(&link.handle, now_ms, BASE_LOCK_MS, MAX_LOCK_MS)
        .await?
    else {
        return Err(changed_meanwhile(store, link, now_ms).await);
    };
    if f.locked_until_ms > now_ms {
        alert(store, ctx, link, f.locks, f.locked_until_ms).await?;
        return Err(locked(f.locked_until_ms, now_ms));
    }
    let left = FAILURES_TO_LOCK.saturating_sub(f.failures);
    Err(ApiError::new(
        401,
        "ACCESS_CODE_INVALID",
        "that is not this link's access code",
    )
    .with_field("value".into())
    .with_extra("attemptsRemaining", left.into()))
}

/// The refusal when a conditional update found the link changed since it was read: revoked
/// (410) or locked by a concurrent attempt (429).
async fn changed_meanwhile(store: &Store, link: &AccessLinkRow, now_ms: u64) -> ApiError {
    let fresh = match store.access_link(&link.handle).await {
        Ok(Some(l)) => l,
        Ok(None) => return ApiError::internal("link", "vanished"),
        Err(e) => return e,
    };
    match gate::live(&fresh) {
        Err(e) => e,
        Ok(()) => locked(fresh.locked_until_ms.max(now_ms + 1000), now_ms),
    }
}

fn grant(
    key: &vericord_core::AccessKey,
    handle: &Handle,
    link: &AccessLinkRow,
    now_ms: u64,
) -> Granted {
    let expires_ms = now_ms + SESSION_MS;
    let token = key.session(handle, link.code_epoch, expires_ms);
    // Scoped to this link's API path: another link never receives it.
    let cookie = format!(
        "{COOKIE}={token}; Path=/api/v1/c/{handle}; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        SESSION_MS / 1000
    );
    Granted {
        token,
        expires_ms,
        cookie,
    }
}

/// `customer.step_up_failed_repeatedly`, once per lock.
async fn alert(
    store: &Store,
    ctx: &RouteContext<AppState>,
    link: &AccessLinkRow,
    locks: u32,
    until_ms: u64,
) -> Result<(), ApiError> {
    let Some(log) = store
        .log_head(&link.tenant_id, &link.environment, &link.log_id)
        .await?
    else {
        return Ok(());
    };
    let recorder = Recorder::of(store, &log).await?;
    let sent = crate::close::events::record(
        store,
        &log,
        &recorder,
        "customer.step_up_failed_repeatedly",
        json!({"handle": link.handle, "failedAttempts": FAILURES_TO_LOCK, "lockCount": locks,
               "lockedUntil": clock::rfc3339(until_ms)}),
    )
    .await?;
    if sent {
        ctx.data.dispatch_after();
    }
    Ok(())
}
