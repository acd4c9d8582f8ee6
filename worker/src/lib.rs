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
mod dispatcher;
mod idempotency;
mod ids;
mod ingest;
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

/// What every handler can see besides the request and env.
pub struct AppState {
    /// The crate version, reported by `/health`.
    pub version: &'static str,
    /// Logs to sequence once the response is sent (`waitUntil`).
    pub kick: Rc<RefCell<Vec<String>>>,
    /// Run the webhook dispatcher once the response is sent.
    pub dispatch: Rc<Cell<bool>>,
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

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let kick = Rc::new(RefCell::new(Vec::new()));
    let dispatch = Rc::new(Cell::new(false));
    let state = AppState {
        version: env!("CARGO_PKG_VERSION"),
        kick: kick.clone(),
        dispatch: dispatch.clone(),
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
        ctx.wait_until(background(background_env, logs, dispatch.get()));
    }
    api::finish(response)
}

/// After a response: sequence the logs it touched.
async fn background(env: Env, logs: Vec<String>, dispatch: bool) {
    let Ok(store) = store::Store::from_env(&env) else {
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

/// Cron: housekeeping that must not depend on traffic.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now_ms = clock::now_ms();
    match store::Store::from_env(&env) {
        Ok(store) => {
            if let Err(e) = store.prune_rate_windows(now_ms / 60_000 - 1).await {
                worker::console_error!("prune rate windows: {}", e.message);
            }
            match sequencer::sweep(&store, 50).await {
                Ok(r) if r.appended + r.failed > 0 => worker::console_log!("sweep: {r:?}"),
                Ok(_) => {}
                Err(e) => worker::console_error!("sweep: {}", e.message),
            }
            dispatcher::run_logged(&store, &env).await;
        }
        Err(e) => worker::console_error!("scheduled: {}", e.message),
    }
}
