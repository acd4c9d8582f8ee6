//! Finding what a request names: the customer log for a customer id (and vendor account),
//! and the vendor account a middleware tenant must name.

use crate::api::ApiError;
use crate::auth::Caller;
use crate::ingest;
use crate::store::{LogRow, Store};

/// The customer log a customer id (and vendor account, for middleware tenants) names.
pub async fn find_customer_log(
    store: &Store,
    caller: &Caller,
    customer_id: &str,
    vendor: Option<&str>,
) -> Result<LogRow, ApiError> {
    let log = ingest::new_customer_log(&caller.tenant_id, caller.environment, customer_id, vendor);
    store
        .log_head(&caller.tenant_id, caller.env(), &log.id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "CUSTOMER_NOT_FOUND",
                format!("no customer {customer_id:?} in this environment"),
            )
        })
}

/// The vendor account a middleware tenant must name (and a direct tenant must not).
pub async fn vendor_for(
    store: &Store,
    caller: &Caller,
    vendor: Option<String>,
) -> Result<Option<String>, ApiError> {
    match (vendor, caller.middleware) {
        (None, true) => Err(ApiError::invalid(
            "VENDOR_ACCOUNT_REQUIRED",
            Some("vendorAccountId".into()),
            "is required for middleware tenants",
        )),
        (Some(_), false) => Err(ApiError::invalid(
            "VENDOR_ACCOUNT_FORBIDDEN",
            Some("vendorAccountId".into()),
            "is only accepted from middleware tenants",
        )),
        (Some(v), true) => match store.vendor_account(&caller.tenant_id, &v).await? {
            Some(_) => Ok(Some(v)),
            None => Err(ApiError::invalid(
                "VENDOR_ACCOUNT_NOT_FOUND",
                Some("vendorAccountId".into()),
                "no such vendor account for this tenant",
            )),
        },
        (None, false) => Ok(None),
    }
}

/// A billing middleware's routes are its own: a direct tenant gets a 403 that says so.
pub fn require_middleware(caller: &Caller) -> Result<(), ApiError> {
    if caller.middleware {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "MIDDLEWARE_ONLY",
            "the /api/v1/middleware routes are for billing middleware tenants; direct vendors use the Balance API",
        ))
    }
}

/// The log of a middleware tenant's customer: under `vendor` when given, else under the one
/// vendor account that has this customer id (several: name one with `vendorAccountId`).
pub async fn middleware_customer_log(
    store: &Store,
    caller: &Caller,
    customer_id: &str,
    vendor: Option<&str>,
) -> Result<LogRow, ApiError> {
    if let Some(v) = vendor {
        require_vendor(store, caller, v).await?;
        return find_customer_log(store, caller, customer_id, Some(v)).await;
    }
    let mut rows = store
        .customer(&caller.tenant_id, caller.env(), customer_id)
        .await?;
    let not_found = || {
        ApiError::not_found(
            "CUSTOMER_NOT_FOUND",
            format!("no customer {customer_id:?} in this environment"),
        )
    };
    match rows.len() {
        0 => Err(not_found()),
        1 => store
            .log_head(&caller.tenant_id, caller.env(), &rows.remove(0).id)
            .await?
            .ok_or_else(not_found),
        _ => Err(ApiError::invalid(
            "VENDOR_ACCOUNT_REQUIRED",
            Some("vendorAccountId".into()),
            "this customer id exists under several vendor accounts; name one",
        )),
    }
}

/// A `vendorAccountId` the caller named must be one of its own.
pub async fn require_vendor(store: &Store, caller: &Caller, vendor: &str) -> Result<(), ApiError> {
    match store.vendor_account(&caller.tenant_id, vendor).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(
            "VENDOR_ACCOUNT_NOT_FOUND",
            Some("vendorAccountId".into()),
            "no such vendor account for this tenant",
        )),
    }
}
