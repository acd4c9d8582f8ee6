//! One module per resource; [`router`] lists every route.

pub mod accept;
pub mod admin;
pub mod checkpoints;
pub mod customers;
pub mod delta;
pub mod derive;
pub mod health;
pub mod receipts;
pub mod usage;
pub mod verify;
pub mod views;
pub mod writes;

use worker::Router;

use crate::api::handle;
use crate::AppState;

/// `on!(router, method, path, handler)`: a route whose handler returns `Result<Response, ApiError>`.
macro_rules! on {
    ($r:expr, $method:ident, $path:literal, $handler:path) => {
        $r.$method($path, |req, ctx| handle(req, ctx, $handler))
    };
}

pub fn router(state: AppState) -> Router<'static, AppState> {
    let r = Router::with_data(state);
    let r = on!(r, get_async, "/health", health::get);
    // Public: the root or the key is the capability.
    let r = on!(r, get_async, "/.well-known/vericord/keys", verify::keys);
    let r = on!(r, get_async, "/api/v1/verify/:proofRoot", verify::verify);
    // Balance API (X-Api-Key).
    let r = on!(r, post_async, "/api/v1/balance/delta", delta::emit);
    let r = on!(r, post_async, "/api/v1/balance/delta/batch", delta::batch);
    let r = on!(r, get_async, "/api/v1/balance/delta/:id", delta::status);
    let r = on!(r, get_async, "/api/v1/balance/customers", customers::list);
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/customers/summary",
        customers::summary
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/customers/:customerId",
        customers::detail
    );
    let r = on!(r, get_async, "/api/v1/balance/usage", usage::usage);
    let r = on!(r, get_async, "/api/v1/balance/limits", usage::limits);
    let r = on!(
        r,
        post_async,
        "/api/v1/balance/checkpoint",
        checkpoints::create
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/checkpoints",
        checkpoints::list
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/receipt/:customerId",
        receipts::customer_receipt
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/invoice-proof/:customerId",
        receipts::customer_receipt
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/receipts/:id",
        receipts::receipt
    );
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/derive/:customerId",
        derive::derive
    );
    let r = on!(r, post_async, "/api/v1/balance/compare", derive::compare);
    let r = on!(
        r,
        get_async,
        "/api/v1/balance/gaps/:customerId",
        derive::gaps
    );
    let r = on!(r, post_async, "/api/v1/writes", writes::create);
    // Admin (bearer ADMIN_TOKEN).
    let r = on!(r, post_async, "/admin/tenants", admin::create_tenant);
    let r = on!(r, get_async, "/admin/tenants/:id", admin::get_tenant);
    let r = on!(r, patch_async, "/admin/tenants/:id", admin::update_tenant);
    let r = on!(r, post_async, "/admin/tenants/:id/keys", admin::create_key);
    let r = on!(r, patch_async, "/admin/keys/:publicId", admin::update_key);
    let r = on!(
        r,
        post_async,
        "/admin/tenants/:id/vendor-accounts",
        admin::create_vendor_account
    );
    let r = on!(
        r,
        post_async,
        "/admin/tenants/:id/webhooks",
        admin::create_webhook
    );
    on!(
        r,
        post_async,
        "/admin/webhooks/:webhookId/rotate-secret",
        admin::rotate_webhook_secret
    )
}
