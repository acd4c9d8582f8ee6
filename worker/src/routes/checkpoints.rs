//! `POST /api/v1/balance/checkpoint` and `GET /api/v1/balance/checkpoints`.

use serde_json::{json, Value};
use worker::{Request, Response, RouteContext};

use crate::api::{json_response, ok, ok_text, ApiError};
use crate::auth::caller;
use crate::body::{read, Fields};
use crate::checkpointing::{self, checkpoint_json, Keep};
use crate::idempotency::{self, Outcome};
use crate::ingest::{self, MAX_ID_CHARS};
use crate::lookup::{self, find_customer_log};
use crate::query::{self, Query};
use crate::scope::{self, Resolved, Scope, ScopeInput};
use crate::signing::{self, Keys};
use crate::store::{CheckpointFilter, LogRow, Store};
use crate::{clock, sequencer, AppState};

/// Customers an all-customers call checkpoints; about 15 D1 queries each keeps a
/// call well inside a Worker invocation's query budget. Calling again continues.
const MAX_LOGS_PER_CALL: u32 = 25;

/// The request's origin, for verify links.
pub fn base_url(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}

fn time_scope(input: &ScopeInput, now_ms: u64) -> Result<Scope, ApiError> {
    match scope::resolve(input, now_ms)? {
        Resolved::Time(s) => Ok(s),
        Resolved::AfterCheckpoint(_) => Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("startingCheckpoint".into()),
            "is not accepted here",
        )),
    }
}

async fn close(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    scope: &Scope,
    base: Option<&str>,
) -> Result<Value, ApiError> {
    // Sequence what is waiting; the checkpoint builds on the head as it is after that.
    sequencer::drain_waiting(store, log).await?;
    let signed = checkpointing::create(store, keys, log, scope, Keep::Store).await?;
    let mut view = checkpoint_json(&signed.row, log, keys, base);
    view["created"] = signed.created.into();
    view["idempotent"] = (!signed.created).into();
    Ok(view)
}

pub async fn create(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    caller.require_write()?;
    let key = idempotency::key(&req)?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(if body.trim().is_empty() { "{}" } else { &body }, "")?;
    // The dashboard names the customer in the path (`/dashboard/customers/:customerId/checkpoint`).
    let in_path = ctx
        .param("customerId")
        .map(|_| query::param(&ctx, "customerId"));
    let customer_id = match (in_path, f.string("customerId", MAX_ID_CHARS)?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("customerId".into()),
                "is in the path; leave it out of the body",
            ))
        }
        (path, body) => path.or(body),
    };
    if let Some(c) = &customer_id {
        ingest::check_id(c, "customerId")?;
    }
    let input = ScopeInput {
        period: f.string("period", 64)?,
        time_preset: f.string("timePreset", 32)?,
        start_date: f.string("startDate", 64)?,
        end_date: f.string("endDate", 64)?,
        starting_checkpoint: None,
    };
    if let Some(mode) = f.string("mode", 32)? {
        if mode != "all" {
            return Err(ApiError::invalid(
                "UNSUPPORTED_MODE",
                Some("mode".into()),
                "only mode \"all\" (every record in scope) is supported",
            ));
        }
    }
    if f.raw("fingerprints").is_some() {
        return Err(ApiError::invalid(
            "UNSUPPORTED_MODE",
            Some("fingerprints".into()),
            "fingerprint selection is not supported; checkpoints cover every record in scope",
        ));
    }
    let vendor = f.string("vendorAccountId", MAX_ID_CHARS)?;
    f.finish()?;
    let vendor = lookup::vendor_for(&store, &caller, vendor).await?;
    let scope = time_scope(&input, now_ms)?;
    let keys = signing::keys(&ctx.env)?;
    let key = match idempotency::claim(
        &store,
        &caller,
        key,
        "checkpoint",
        &body,
        now_ms,
        idempotency::lease_ms(&ctx.env),
    )
    .await?
    {
        Outcome::Respond(resp) => return Ok(resp),
        Outcome::Proceed(key) => key,
    };
    let base = base_url(&req);
    let result = async {
        let data = if let Some(customer_id) = &customer_id {
            let log = find_customer_log(&store, &caller, customer_id, vendor.as_deref()).await?;
            close(&store, &keys, &log, &scope, base.as_deref()).await?
        } else {
            let ids = store
                .logs_to_checkpoint(
                    &caller.tenant_id,
                    caller.env(),
                    vendor.as_deref(),
                    (&scope.label, scope.start_ms, scope.end_ms),
                    MAX_LOGS_PER_CALL + 1,
                )
                .await?;
            let truncated = ids.len() > MAX_LOGS_PER_CALL as usize;
            // Those needing a checkpoint come first: if the one past the page still
            // needs one, a next call has work left.
            let complete = ids
                .get(MAX_LOGS_PER_CALL as usize)
                .is_none_or(|(_, needs)| !needs);
            let mut checkpoints = Vec::new();
            for (id, _) in ids.iter().take(MAX_LOGS_PER_CALL as usize) {
                let Some(log) = store.log_head(&caller.tenant_id, caller.env(), id).await? else {
                    continue;
                };
                checkpoints.push(close(&store, &keys, &log, &scope, base.as_deref()).await?);
            }
            json!({
                "status": "VERIFIED",
                "checkpointId": checkpoints.first().and_then(|c| c.get("checkpointId")).cloned(),
                "period": scope.label,
                "checkpoints": checkpoints,
                // More active customers than one response lists.
                "truncated": truncated,
                // Every active customer has a checkpoint for this scope; else call again.
                "complete": complete,
            })
        };
        ok_text(&data)
    }
    .await;
    // checkpoint.verified events may be waiting in the outbox.
    ctx.data.dispatch_after();
    match result {
        Ok(text) => {
            if let Some(claim) = &key {
                if !store.idem_finish(claim, 201, &text).await? {
                    return idempotency::superseded(&store, claim).await;
                }
            }
            json_response(201, text)
        }
        Err(e) => {
            if let Some(claim) = &key {
                store.idem_release(claim).await?;
            }
            Err(e)
        }
    }
}

pub async fn list(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = caller(&req, &ctx, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let limit = q.int("limit", 25, 1, 100)?;
    let offset = q.int("offset", 0, 0, u64::from(u32::MAX))?;
    let in_path = ctx
        .param("customerId")
        .map(|_| query::param(&ctx, "customerId"));
    let log = match in_path.as_deref().or(q.get("customerId")) {
        Some(c) => Some(find_customer_log(&store, &caller, c, q.get("vendorAccountId")).await?),
        None => None,
    };
    let input = ScopeInput {
        starting_checkpoint: None,
        ..ScopeInput::from_query(&q)
    };
    // A period filters by label; a preset or dates filter by creation time. Any scope
    // field (an `endDate` alone too) goes through the scope rules.
    let filter_scope = input
        .has_time()
        .then(|| time_scope(&input, now_ms))
        .transpose()?;
    let (from, to) = match (&input.period, &filter_scope) {
        (None, Some(s)) => (Some(s.start()), Some(clock::rfc3339(s.end_ms + 1))),
        _ => (None, None),
    };
    let filter = CheckpointFilter {
        log_id: log.as_ref().map(|l| l.id.as_str()),
        label_prefix: input.period.as_deref(),
        from: from.as_deref(),
        to: to.as_deref(),
    };
    let rows = store
        .checkpoints(
            &caller.tenant_id,
            caller.env(),
            &filter,
            limit as u32,
            offset,
        )
        .await?;
    let keys = signing::keys(&ctx.env).ok();
    let base = base_url(&req);
    let mut checkpoints = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(log) = store
            .log_head(&caller.tenant_id, caller.env(), &row.log_id)
            .await?
        else {
            continue;
        };
        match &keys {
            Some(k) => checkpoints.push(checkpoint_json(row, &log, k, base.as_deref())),
            None => {
                return Err(ApiError::new(
                    503,
                    "SIGNING_KEY_MISSING",
                    "no checkpoint keys configured",
                ))
            }
        }
    }
    ok(
        &json!({"checkpoints": checkpoints, "limit": limit, "offset": offset}),
        200,
    )
}
