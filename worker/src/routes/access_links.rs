//! A middleware's Shared Record links and what they show (docs/ACCESS.md):
//! `…/customers/:customerId/access-link` (read, create, policy, rotate-code, revoke,
//! reissue), `…/live` and `/api/v1/middleware/readiness`.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::caller;
use crate::body::{read, Fields};
use crate::checkpointing::checkpoint_json;
use crate::close::serve::Subject;
use crate::links::manage::{self, Issued};
use crate::links::{access_key, public_url, readiness, state_json, Policy};
use crate::lookup::{require_middleware, require_vendor};
use crate::query::Query;
use crate::routes::middleware::named;
use crate::store::{CustomerFilter, Store};
use crate::{clock, signing, AppState};

fn answer(s: &Subject, link: Value) -> Value {
    let mut data = s.identity();
    data["link"] = link;
    data
}

fn issued_json(s: &Subject, issued: &Issued, base: &str) -> Value {
    let mut data = answer(s, state_json(&issued.row, base, s.now_ms));
    data["accessCode"] = issued.code.as_str().into();
    data
}

/// The body of a POST/PATCH: `{policy?}` (nothing else).
async fn policy_body(req: &mut Request, required: bool) -> Result<Option<Policy>, ApiError> {
    let body = read(req).await?;
    let text = if body.trim().is_empty() { "{}" } else { &body };
    let mut f = Fields::parse(text, "")?;
    let policy = if required {
        Some(f.required_string("policy", 20)?)
    } else {
        f.string("policy", 20)?
    };
    f.finish()?;
    policy
        .map(|p| Policy::field(Some(p), Policy::TwoTier))
        .transpose()
}

/// A POST that takes no fields: `{}` or nothing.
async fn no_body(req: &mut Request) -> Result<(), ApiError> {
    let body = read(req).await?;
    let text = if body.trim().is_empty() { "{}" } else { &body };
    Fields::parse(text, "")?.finish()
}

/// `GET …/access-link`.
pub async fn get(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (_, s) = named(&req, &ctx).await?;
    let base = public_url(&ctx.env, &req);
    let link = s.store.log_access_link(&s.log.id).await?;
    ok(
        &answer(
            &s,
            link.map_or(Value::Null, |l| state_json(&l, &base, s.now_ms)),
        ),
        200,
    )
}

/// `POST …/access-link {policy?}`: 201 with the code, once.
pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    caller.require_write()?;
    let policy = policy_body(&mut req, false)
        .await?
        .unwrap_or(Policy::TwoTier);
    let key = access_key(&ctx.env)?;
    let issued = manage::create(&s.store, &key, &s.log, policy, s.now_ms).await?;
    ok(&issued_json(&s, &issued, &public_url(&ctx.env, &req)), 201)
}

/// `PATCH …/access-link {policy}`.
pub async fn update(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    caller.require_write()?;
    let policy = policy_body(&mut req, true)
        .await?
        .unwrap_or(Policy::TwoTier);
    let link = manage::active(&s.store, &s.log).await?;
    manage::set_policy(&s.store, &link, policy).await?;
    let link = manage::active(&s.store, &s.log).await?;
    ok(
        &answer(&s, state_json(&link, &public_url(&ctx.env, &req), s.now_ms)),
        200,
    )
}

/// `POST …/access-link/rotate-code`: the new code, once; the old one and its sessions end.
pub async fn rotate_code(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    caller.require_write()?;
    no_body(&mut req).await?;
    let key = access_key(&ctx.env)?;
    let link = manage::active(&s.store, &s.log).await?;
    let code = manage::rotate(&s.store, &key, &link, s.now_ms).await?;
    let link = manage::active(&s.store, &s.log).await?;
    let mut data = answer(&s, state_json(&link, &public_url(&ctx.env, &req), s.now_ms));
    data["accessCode"] = code.as_str().into();
    ok(&data, 200)
}

/// `POST …/access-link/revoke`: the handle answers 410 from now on.
pub async fn revoke(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    caller.require_write()?;
    no_body(&mut req).await?;
    let link = manage::active(&s.store, &s.log).await?;
    manage::revoke(&s.store, &link, s.now_ms).await?;
    let link = s
        .store
        .access_link(&link.handle)
        .await?
        .ok_or_else(|| ApiError::internal("link", "vanished"))?;
    ok(
        &answer(&s, state_json(&link, &public_url(&ctx.env, &req), s.now_ms)),
        200,
    )
}

/// `POST …/access-link/reissue {policy?}`: revokes the active link, 201 with a new one.
pub async fn reissue(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (caller, s) = named(&req, &ctx).await?;
    caller.require_write()?;
    let asked = policy_body(&mut req, false).await?;
    let key = access_key(&ctx.env)?;
    let link = manage::active(&s.store, &s.log).await?;
    let policy = asked
        .or(Policy::parse(&link.policy))
        .unwrap_or(Policy::TwoTier);
    let issued = manage::reissue(&s.store, &key, &s.log, &link, policy, s.now_ms).await?;
    ok(&issued_json(&s, &issued, &public_url(&ctx.env, &req)), 201)
}

/// `GET …/live`: the current Shared Record state.
pub async fn live(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let (_, s) = named(&req, &ctx).await?;
    let base = public_url(&ctx.env, &req);
    let latest = s.store.latest_checkpoint(&s.log.id).await?;
    let checkpointed = latest.as_ref().map_or(0, |c| c.size);
    let link = s.store.log_access_link(&s.log.id).await?;
    let mut data = s.identity();
    data["balance"] = crate::api::amount_json(&s.log.balance);
    data["balanceText"] = s.log.balance.clone().into();
    data["counts"] = json!({"records": s.log.records_total, "verified": s.log.size, "pending": s.log.pending(), "failed": s.log.records_failed});
    data["sinceLastCheckpoint"] = json!({"records": s.log.size.saturating_sub(checkpointed) + s.log.pending(),
                                         "verified": s.log.size.saturating_sub(checkpointed)});
    data["latestCheckpoint"] = latest.as_ref().map_or(Value::Null, |c| {
        checkpoint_json(c, &s.log, &s.keys, Some(s.base()))
    });
    data["link"] = link.map_or(Value::Null, |l| state_json(&l, &base, s.now_ms));
    ok(&data, 200)
}

/// `GET /api/v1/middleware/readiness?vendorAccountId&period&blocker&dueDays&limit&cursor`.
pub async fn readiness(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    require_middleware(&caller)?;
    let q = Query::of(&req)?;
    let vendor = q.get("vendorAccountId");
    if let Some(v) = vendor {
        require_vendor(&store, &caller, v).await?;
    }
    let last_closed =
        crate::close::periods::previous_month(&clock::month(now_ms)).unwrap_or_default();
    let period = q.period("period")?.unwrap_or(last_closed);
    let blocker = q.get("blocker");
    if blocker.is_some_and(|b| !readiness::is_blocker(b)) {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("blocker".into()),
            "is not a blocker code (see docs/ACCESS.md)",
        ));
    }
    let due_ms = q.int("dueDays", 14, 1, 28)? * 86_400_000;
    let limit = q.int("limit", 50, 1, 100)?;
    let cursor = q.int("cursor", 0, 0, u64::from(u32::MAX))?;
    let keys = signing::keys(&ctx.env)?;
    // Scans at most 4 × limit logs per request, so a filter cannot make one request read a
    // whole tenant; `nextCursor` continues where the scan stopped.
    let mut rows = Vec::new();
    let mut offset = cursor;
    let mut exhausted = false;
    let max_scan = cursor + 4 * limit;
    'scan: while (rows.len() as u64) < limit && offset < max_scan {
        let (page, _) = store
            .customers(
                &caller.tenant_id,
                caller.env(),
                &CustomerFilter::default(),
                limit as u32,
                offset,
            )
            .await?;
        let n = page.len() as u64;
        for c in &page {
            offset += 1;
            if vendor.is_some() && c.vendor_account_id.as_deref() != vendor {
                continue;
            }
            let Some(log) = store
                .log_head(&caller.tenant_id, caller.env(), &c.id)
                .await?
            else {
                continue;
            };
            let row = readiness::row(&store, &keys, &log, c, &period, due_ms, now_ms).await?;
            let blocked = |b: &str| {
                row["blockers"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x["code"] == b))
            };
            if blocker.is_none_or(blocked) {
                rows.push(row);
                if rows.len() as u64 == limit {
                    break 'scan;
                }
            }
        }
        if n < limit {
            exhausted = true;
            break;
        }
    }
    let next = (!exhausted).then_some(offset);
    ok(
        &json!({"period": period, "rows": rows, "pagination": {"limit": limit, "cursor": cursor, "nextCursor": next}}),
        200,
    )
}
