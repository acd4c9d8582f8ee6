//! `/api/v1/c/:handle/…`: the Shared Record behind a link, as its page and buyer portals read
//! it (docs/ACCESS.md). The handle is the capability; the link's policy and a step-up session
//! decide the rest ([`gate`]). Payloads name the vendor (account), never a middleware parent.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::body::{read, Fields};
use crate::checkpointing::checkpoint_json;
use crate::links::gate::{self, Need, Shared};
use crate::links::{host, link_url, step_up};
use crate::query;
use crate::store::Store;
use crate::{clock, AppState};

/// `GET /api/v1/c/:handle` (and `/summary`).
pub async fn summary(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let sh = gate::open(&req, &ctx, Need::Summary).await?;
    let s = &sh.subject;
    // The newest closed month is closed on first use (as the periods list does), so the
    // summary always carries a signed checkpoint once a month with records has ended.
    s.closed_periods(None, 1).await?;
    let latest = s.store.latest_checkpoint(&s.log.id).await?;
    let mut data = s.identity();
    data["format"] = "vericord.shared-record/v1".into();
    data["handle"] = sh.handle.as_str().into();
    data["link"] = json!({"url": link_url(&sh.public_url, sh.handle.as_str()), "host": host(&sh.public_url), "policy": sh.policy.as_str()});
    data["access"] = access_json(&sh);
    data["environment"] = s.log.environment.clone().into();
    data["balance"] = s.log.balance.clone().into();
    data["counts"] = json!({"records": s.log.records_total, "verified": s.log.size, "pending": s.log.pending(), "failed": s.log.records_failed});
    data["latestCheckpoint"] = latest.as_ref().map_or(Value::Null, |c| {
        checkpoint_json(c, &s.log, &s.keys, Some(s.base()))
    });
    data["verifierKeys"] = s.keys.trusted().into();
    ok(&data, 200)
}

fn access_json(sh: &Shared) -> Value {
    let required = sh.policy != crate::links::Policy::Open;
    json!({
        "required": required,
        "granted": sh.session_until.is_some(),
        "locked": sh.link.locked_until_ms > sh.subject.now_ms,
        "sessionExpiresAt": sh.session_until.map(clock::rfc3339),
    })
}

/// `GET /api/v1/c/:handle/consistency?from&to`: the witness's proof between two sizes.
pub async fn consistency(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let sh = gate::open(&req, &ctx, Need::Proofs).await?;
    let s = &sh.subject;
    let latest = s
        .store
        .latest_checkpoint(&s.log.id)
        .await?
        .map_or(0, |c| c.size);
    let to = s.query.int("to", latest, 0, s.log.size)?;
    let from = s.query.int("from", 0, 0, to)?;
    let proof = crate::proofs::consistency(&s.store, &s.log, from, to).await?;
    let plan = vericord_core::merkle::root_plan(from);
    let plan_to = vericord_core::merkle::root_plan(to);
    let tree = crate::proofs::TreeReader::load(&s.store, &s.log, &[&plan, &plan_to]).await?;
    ok(
        &json!({"fromSize": from, "toSize": to, "fromRoot": tree.root(from)?.to_string(), "toRoot": tree.root(to)?.to_string(), "proof": proof}),
        200,
    )
}

/// `GET /api/v1/c/:handle/history?after&limit`: verified entries in `seq` order.
pub async fn history(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let sh = gate::open(&req, &ctx, Need::Details).await?;
    let s = &sh.subject;
    let limit = s.query.int("limit", 100, 1, 1000)?;
    // `after` is exclusive; absent, the first entry is the first.
    let from = match s.query.get("after") {
        None => 0,
        Some(_) => s.query.int("after", 0, 0, u64::MAX - 1)?.saturating_add(1),
    };
    let from = from.min(s.log.size);
    let to = from.saturating_add(limit).min(s.log.size);
    let mut entries = Vec::new();
    for e in s
        .store
        .package_entries(&s.log.id, from, to, limit as u32)
        .await?
    {
        let r = crate::close::export::statement_record(&e, "")?;
        let item: Value = serde_json::from_str(&e.item).unwrap_or(Value::Null);
        entries.push(json!({
            "seq": r.seq, "recordId": r.record_id, "receivedAt": r.received_at, "delta": r.delta.to_string(),
            "reason": r.reason, "referenceId": r.reference_id, "balanceAfter": r.balance_after.to_string(),
            "itemHash": r.item_hash, "entryHash": r.entry_hash, "item": item,
        }));
    }
    let next = (to < s.log.size).then(|| to.saturating_sub(1));
    let mut data = s.identity();
    data["format"] = "vericord.shared-record-history/v1".into();
    data["treeSize"] = s.log.size.into();
    data["entries"] = Value::Array(entries);
    data["pagination"] = json!({"after": s.query.get("after"), "limit": limit, "nextAfter": next});
    ok(&data, 200)
}

/// `GET /api/v1/c/:handle/periods`.
pub async fn periods(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    gate::open(&req, &ctx, Need::Details)
        .await?
        .subject
        .periods()
        .await
}

/// `GET /api/v1/c/:handle/periods/:checkpointId`.
pub async fn period(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let id = query::param(&ctx, "checkpointId");
    gate::open(&req, &ctx, Need::Details)
        .await?
        .subject
        .period(&id)
        .await
}

/// `GET /api/v1/c/:handle/close-package?period=|checkpointId=`.
pub async fn close_package(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    gate::open(&req, &ctx, Need::Details)
        .await?
        .subject
        .export(&ctx, "json")
        .await
}

/// `GET /api/v1/c/:handle/export?format&period`.
pub async fn export(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let s = gate::open(&req, &ctx, Need::Details).await?.subject;
    let format = s.query.get("format").unwrap_or("json").to_string();
    s.export(&ctx, &format).await
}

/// `POST /api/v1/c/:handle/compare {from, to}`.
pub async fn compare(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let sh = gate::open(&req, &ctx, Need::Details).await?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let from = f.required_string("from", 128)?;
    let to = f.required_string("to", 128)?;
    f.finish()?;
    sh.subject.compare(&ctx, &from, &to).await
}

/// `GET /api/v1/c/:handle/disclosure`: balance logs have no sealed disclosure (the official
/// SDK's records links read one; it treats this 404 as none).
pub async fn disclosure(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    gate::open(&req, &ctx, Need::Summary).await?;
    Err(ApiError::not_found(
        "NO_DISCLOSURE",
        "this Shared Record has no sealed disclosure; read /history",
    ))
}

/// `POST /api/v1/c/:handle/access/verify {"factor": "ACCESS_HINT", "value"}`: a session.
pub async fn verify_access(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
    // Unknown and revoked handles first, so a bad body cannot tell them apart from a live one.
    let (handle, link) = gate::link_of(&store, &ctx).await?;
    gate::allow_origin(&store, &req, &ctx, &link).await?;
    gate::live(&link)?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let factor = f.required_string("factor", 40)?;
    let value = f.required_string("value", 64)?;
    f.finish()?;
    if factor != "ACCESS_HINT" {
        return Err(ApiError::invalid(
            "UNSUPPORTED_FACTOR",
            Some("factor".into()),
            "the only factor is ACCESS_HINT (the link's access code)",
        ));
    }
    let granted = step_up::verify(&ctx, &store, &handle, &link, &value).await?;
    let expires = clock::rfc3339(granted.expires_ms);
    let mut resp = ok(
        &json!({"verified": true, "expiresAt": expires, "session": {"token": granted.token, "expiresAt": expires}}),
        200,
    )?;
    resp.headers_mut()
        .set("Set-Cookie", &granted.cookie)
        .map_err(|e| ApiError::internal("header", e))?;
    resp.headers_mut()
        .set("Cache-Control", "no-store")
        .map_err(|e| ApiError::internal("header", e))?;
    Ok(resp)
}
