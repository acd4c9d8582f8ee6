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
mod clock;
mod idempotency;
mod ids;
mod ingest;
mod query;
mod routes;
mod store;

use worker::{
    event, Context, Env, Request, Response, Result, Router, ScheduleContext, ScheduledEvent,
};

/// What every handler can see besides the request and env.
pub struct AppState {
    /// The crate version, reported by `/health`.
    pub version: &'static str,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let state = AppState {
        version: env!("CARGO_PKG_VERSION"),
    };
    use api::handle;
    use routes::{admin, customers, delta, health, usage, writes};
    let response = Router::with_data(state)
        .get_async("/health", |req, ctx| handle(req, ctx, health::get))
        // Balance API (X-Api-Key)
        .post_async("/api/v1/balance/delta", |req, ctx| {
            handle(req, ctx, delta::emit)
        })
        .post_async("/api/v1/balance/delta/batch", |req, ctx| {
            handle(req, ctx, delta::batch)
        })
        .get_async("/api/v1/balance/delta/:id", |req, ctx| {
            handle(req, ctx, delta::status)
        })
        .get_async("/api/v1/balance/customers", |req, ctx| {
            handle(req, ctx, customers::list)
        })
        .get_async("/api/v1/balance/customers/summary", |req, ctx| {
            handle(req, ctx, customers::summary)
        })
        .get_async("/api/v1/balance/customers/:customerId", |req, ctx| {
            handle(req, ctx, customers::detail)
        })
        .get_async("/api/v1/balance/usage", |req, ctx| {
            handle(req, ctx, usage::usage)
        })
        .get_async("/api/v1/balance/limits", |req, ctx| {
            handle(req, ctx, usage::limits)
        })
        .post_async("/api/v1/writes", |req, ctx| {
            handle(req, ctx, writes::create)
        })
        // Admin (bearer ADMIN_TOKEN)
        .post_async("/admin/tenants", |req, ctx| {
            handle(req, ctx, admin::create_tenant)
        })
        .get_async("/admin/tenants/:id", |req, ctx| {
            handle(req, ctx, admin::get_tenant)
        })
        .patch_async("/admin/tenants/:id", |req, ctx| {
            handle(req, ctx, admin::update_tenant)
        })
        .post_async("/admin/tenants/:id/keys", |req, ctx| {
            handle(req, ctx, admin::create_key)
        })
        .patch_async("/admin/keys/:publicId", |req, ctx| {
            handle(req, ctx, admin::update_key)
        })
        .post_async("/admin/tenants/:id/vendor-accounts", |req, ctx| {
            handle(req, ctx, admin::create_vendor_account)
        })
        .post_async("/admin/tenants/:id/webhooks", |req, ctx| {
            handle(req, ctx, admin::create_webhook)
        })
        .post_async("/admin/webhooks/:webhookId/rotate-secret", |req, ctx| {
            handle(req, ctx, admin::rotate_webhook_secret)
        })
        .run(req, env)
        .await;
    api::finish(response)
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
        }
        Err(e) => worker::console_error!("scheduled: {}", e.message),
    }
}
