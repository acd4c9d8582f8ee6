//! Creating and changing a log's link. Handles and codes come from the Web Crypto RNG here;
//! the core turns the bytes into them and keys the code's hash.

use vericord_core::{AccessCode, AccessKey, Handle};

use super::Policy;
use crate::api::ApiError;
use crate::store::{AccessLinkRow, LogRow, Store};
use crate::{clock, ids};

/// A link just made, with its code (returned once, never stored).
pub struct Issued {
    pub row: AccessLinkRow,
    pub code: AccessCode,
}

fn new_code() -> Result<AccessCode, ApiError> {
    AccessCode::from_random(&ids::random_bytes::<32>()?)
        .map_err(|e| ApiError::internal("access code", e))
}

fn new_link(
    key: &AccessKey,
    log: &LogRow,
    policy: Policy,
    replaces: Option<&str>,
    now_ms: u64,
) -> Result<Issued, ApiError> {
    let handle = Handle::from_random(&ids::random_bytes::<
        { vericord_core::access_link::HANDLE_BYTES },
    >()?);
    let code = new_code()?;
    let now = clock::rfc3339(now_ms);
    let row = AccessLinkRow {
        handle: handle.to_string(),
        log_id: log.id.clone(),
        tenant_id: log.tenant_id.clone(),
        environment: log.environment.clone(),
        policy: policy.as_str().into(),
        code_mac: key.code_tag(&handle, &code),
        code_epoch: 0,
        code_set_at: now.clone(),
        state: "active".into(),
        replaces: replaces.map(String::from),
        replaced_by: None,
        failures: 0,
        locks: 0,
        locked_until_ms: 0,
        step_up_ok: 0,
        step_up_failed: 0,
        views: 0,
        last_viewed_ms: 0,
        created_at: now,
        revoked_at: None,
    };
    Ok(Issued { row, code })
}

fn exists() -> ApiError {
    ApiError::new(
        409,
        "LINK_EXISTS",
        "this customer already has an active Shared Record link; reissue it for a new one",
    )
}

/// The log's active link, or 404 `LINK_NOT_FOUND`.
pub async fn active(store: &Store, log: &LogRow) -> Result<AccessLinkRow, ApiError> {
    store.active_access_link(&log.id).await?.ok_or_else(|| {
        ApiError::not_found(
            "LINK_NOT_FOUND",
            "this customer has no active Shared Record link; create one",
        )
    })
}

/// Creates the log's link; 409 if it has an active one.
pub async fn create(
    store: &Store,
    key: &AccessKey,
    log: &LogRow,
    policy: Policy,
    now_ms: u64,
) -> Result<Issued, ApiError> {
    let issued = new_link(key, log, policy, None, now_ms)?;
    if !store.insert_access_link(&issued.row).await? {
        return Err(exists());
    }
    Ok(issued)
}

/// A new code for the active link: every session of the old one ends.
pub async fn rotate(
    store: &Store,
    key: &AccessKey,
    link: &AccessLinkRow,
    now_ms: u64,
) -> Result<AccessCode, ApiError> {
    let handle = Handle::parse(&link.handle).map_err(|e| ApiError::internal("stored handle", e))?;
    let code = new_code()?;
    let mac = key.code_tag(&handle, &code);
    if !store
        .set_link_code(&link.handle, &mac, &clock::rfc3339(now_ms))
        .await?
    {
        return Err(gone());
    }
    Ok(code)
}

pub async fn set_policy(
    store: &Store,
    link: &AccessLinkRow,
    policy: Policy,
) -> Result<(), ApiError> {
    if !store.set_link_policy(&link.handle, policy.as_str()).await? {
        return Err(gone());
    }
    Ok(())
}

pub async fn revoke(store: &Store, link: &AccessLinkRow, now_ms: u64) -> Result<(), ApiError> {
    if !store
        .revoke_link(&link.handle, &clock::rfc3339(now_ms))
        .await?
    {
        return Err(gone());
    }
    Ok(())
}

/// Revokes the active link and makes a new one (new handle, new code) in one batch.
pub async fn reissue(
    store: &Store,
    key: &AccessKey,
    log: &LogRow,
    link: &AccessLinkRow,
    policy: Policy,
    now_ms: u64,
) -> Result<Issued, ApiError> {
    let issued = new_link(key, log, policy, Some(&link.handle), now_ms)?;
    if !store
        .reissue_access_link(&link.handle, &issued.row, &clock::rfc3339(now_ms))
        .await?
    {
        return Err(gone());
    }
    Ok(issued)
}

/// The link changed under the request (revoked or reissued by another).
fn gone() -> ApiError {
    ApiError::new(
        409,
        "LINK_CHANGED",
        "the link was revoked or reissued meanwhile; read it again",
    )
}
