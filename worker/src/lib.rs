//! The vericord HTTP API as a Cloudflare Worker on D1.
//!
//! Routes live one module per resource under [`routes`]; [`store`] is the only
//! module that touches D1; [`api`] turns handler results into the JSON
//! envelopes of the contract. Handlers never panic: every input and storage
//! failure is a value.
#![forbid(unsafe_code)]

mod api;
mod auth;
mod body;
mod checkpointing;
mod clock;
mod close;
mod cors;
mod dispatcher;
mod faults;
mod idempotency;
mod ids;
mod ingest;
mod links;
mod lookup;
mod proofs;
mod query;
mod routes;
mod scope;
mod sequencer;
mod signing;
mod store;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

use crate::faults::Faults;

/// What every handler can see besides the request and env.
pub struct AppState {
    /// The crate version, reported by `/health`.
    pub version: &'static str,
    /// Logs to sequence once the response is sent (`waitUntil`).
    pub kick: Rc<RefCell<Vec<String>>>,
    /// Run the webhook dispatcher once the response is sent.
    pub dispatch: Rc<Cell<bool>>,
    /// D1 rows read and written by this request (reported in `X-D1-Rows-*` headers).
    pub rows: Rc<Cell<(u64, u64)>>,
    /// Faults the tests injected into this request (none in a deployment).
    pub faults: Faults,
    /// The allow-listed origin a public route found for this request: CORS with credentials.
    pub cors: Rc<RefCell<Option<String>>>,
}

impl AppState {
    /// Asks for `log_id` to be sequenced after the response.
    pub fn kick(&self, log_id: &str) {
        let mut logs = self.kick.borrow_mut();
        if !logs.iter().any(|l| l == log_id) {
            logs.push(log_id.to_string());
        }
    }

    /// Asks for the webhook dispatcher to run after the response.
    pub fn dispatch_after(&self) {
        self.dispatch.set(true);
    }
}

/// The methods the routes can mean; anything else (`PROPFIND`, `PURGE`, …) would otherwise be
/// routed as a GET.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // The same JS request object (not `Request.clone()`, which would tee the body): after the
    // answer, whatever body the route left unread is drained, so the client's connection stays
    // usable (body::drain_unread).
    let raw = <worker::web_sys::Request as Clone>::clone(req.inner());
    let response = serve(req, env, ctx).await;
    body::drain_unread(raw).await;
    response
}

async fn serve(req: Request, env: Env, ctx: Context) -> Result<Response> {
    if !METHODS.contains(&req.inner().method().as_str()) {
        return api::error_response(&api::ApiError::new(
            405,
            "METHOD_NOT_ALLOWED",
            "method not allowed on this route",
        ));
    }
    let path = req.path();
    let public = cors::is_public(&path);
    if public && req.inner().method() == "OPTIONS" {
        return cors::preflight(&req);
    }
    clock::configure(&env);
    let kick = Rc::new(RefCell::new(Vec::new()));
    let cors_origin = Rc::new(RefCell::new(None));
    let dispatch = Rc::new(Cell::new(false));
    let rows = Rc::new(Cell::new((0, 0)));
    let faults = Faults::of(&req, &env);
    let state = AppState {
        version: env!("CARGO_PKG_VERSION"),
        kick: kick.clone(),
        dispatch: dispatch.clone(),
        rows: rows.clone(),
        faults: faults.clone(),
        cors: cors_origin.clone(),
    };
    let background_env = env.clone();
    let response = routes::router(state).run(req, env).await;
    let logs = kick.take();
    // SEQUENCE_AFTER_RESPONSE = "false" leaves sequencing to polls, cron and explicit drains (benchmarks).
    let deferred = background_env
        .var("SEQUENCE_AFTER_RESPONSE")
        .map(|v| v.to_string() == "false")
        .unwrap_or(false);
    let logs = if deferred { Vec::new() } else { logs };
    if !logs.is_empty() || dispatch.get() {
        ctx.wait_until(background(background_env, logs, dispatch.get(), faults));
    }
    api::finish(response).map(|resp| {
        let mut resp = api::with_rows(resp, rows.get());
        if public {
            cors::decorate(&mut resp, cors_origin.borrow().as_deref());
        }
        resp
    })
}

/// After a response: sequence the logs it touched.
async fn background(env: Env, logs: Vec<String>, dispatch: bool, faults: Faults) {
    let Ok(store) = store::Store::background(&env, faults) else {
        return;
    };
    let mut events = 0;
    if !logs.is_empty() {
        match sequencer::drain_many(&store, &logs).await {
            Ok(r) => events = r.events,
            Err(e) => worker::console_error!("sequence {} logs: {}", logs.len(), e.message),
        }
    }
    // Deliver only when this request produced events (or asked): tenants
    // without webhooks pay nothing here.
    if dispatch || events > 0 {
        dispatcher::run_logged(&store, &env).await;
    }
}

/// How long finished webhook deliveries (and their events and attempts) are kept.
const OUTBOX_RETENTION_MS: u64 = 30 * 86_400_000;
/// Rows each prune step deletes per minute at most, so the cron stays short.
const PRUNE_LIMIT: u32 = 1_000;

/// Cron: housekeeping that must not depend on traffic. Each step stands alone: one that fails
/// is logged and the others still run.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    clock::configure(&env);
    let now_ms = clock::now_ms();
    let store = match store::Store::background(&env, Faults::default()) {
        Ok(store) => store,
        Err(e) => return worker::console_error!("scheduled: {}", e.message),
    };
    let log = |step: &str, r: std::result::Result<(), api::ApiError>| {
        if let Err(e) = r {
            worker::console_error!("{step}: {}", e.message);
        }
    };
    let minute = now_ms / 60_000;
    log(
        "prune rate windows",
        store.prune_rate_windows(minute - 1).await.map(drop),
    );
    let idem_cutoff = now_ms.saturating_sub(idempotency::RETENTION_MS);
    log(
        "prune idempotency keys",
        store
            .prune_idempotency(idem_cutoff, PRUNE_LIMIT)
            .await
            .map(drop),
    );
    let outbox_cutoff = clock::rfc3339(now_ms.saturating_sub(OUTBOX_RETENTION_MS));
    log(
        "prune webhook outbox",
        store.prune_outbox(&outbox_cutoff, PRUNE_LIMIT).await,
    );
    match sequencer::sweep(&store, 50).await {
        Ok(r) if r.appended + r.failed > 0 => worker::console_log!("sweep: {r:?}"),
        Ok(_) => {}
        Err(e) => worker::console_error!("sweep: {}", e.message),
    }
    dispatcher::run_logged(&store, &env).await;
}
