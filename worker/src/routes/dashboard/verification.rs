//! `POST /dashboard/customers/:customerId/verification-package {period, sampleSize}` and the
//! link it returns, `GET /api/v1/verification-packages/:packageId` (public: the 128-bit id is
//! the capability). The package is a function of the signed checkpoint and the size, so only
//! those parameters are stored and the package is rebuilt on every read.

use serde_json::json;
use vericord_core::verification_package::MAX_SAMPLE;
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::body::{read, Fields};
use crate::close::identity::Recorder;
use crate::close::{periods, sample};
use crate::routes::middleware::named;
use crate::store::{Store, VerificationPackageRow};
use crate::{clock, ids, links, query, signing, AppState};

pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let period = f.required_string("period", 16)?;
    let size = match f.raw("sampleSize") {
        None => 10,
        Some(t) => t
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_SAMPLE).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "VALIDATION_ERROR",
                    Some("sampleSize".into()),
                    format!("must be an integer from 1 to {MAX_SAMPLE}"),
                )
            })?,
    };
    f.finish()?;
    let cp = periods::named(&s.store, &s.keys, &s.log, Some(&period), None, s.now_ms).await?;
    let package = sample::build(&s.store, &s.keys, &s.log, &s.recorder, &cp, size).await?;
    let row = s
        .store
        .put_verification_package(
            &VerificationPackageRow {
                id: ids::new_id("vpk_")?,
                tenant_id: caller.tenant_id.clone(),
                environment: caller.env().into(),
                log_id: s.log.id.clone(),
                checkpoint_id: cp.id.clone(),
                requested: size,
                created_at: clock::rfc3339(s.now_ms),
            },
            caller.user.as_deref(),
        )
        .await?;
    let share = format!(
        "{}/api/v1/verification-packages/{}",
        links::public_url(&ctx.env, &req),
        row.id
    );
    ok(
        &json!({"packageId": row.id, "shareUrl": share, "createdAt": row.created_at, "package": package}),
        201,
    )
}

pub async fn get(_req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let id = query::param(&ctx, "packageId");
    let store = Store::of(&ctx)?;
    let not_found =
        || ApiError::not_found("PACKAGE_NOT_FOUND", "no verification package has this id");
    if !id.starts_with("vpk_") || id.len() != 28 {
        return Err(not_found());
    }
    let row = store
        .verification_package(&id)
        .await?
        .ok_or_else(not_found)?;
    let log = store
        .log_head(&row.tenant_id, &row.environment, &row.log_id)
        .await?
        .ok_or_else(not_found)?;
    let cp = store
        .log_checkpoint(&log.id, &row.checkpoint_id)
        .await?
        .ok_or_else(not_found)?;
    let keys = signing::keys(&ctx.env)?;
    let recorder = Recorder::of(&store, &log).await?;
    let package = sample::build(&store, &keys, &log, &recorder, &cp, row.requested).await?;
    ok(&package, 200)
}
