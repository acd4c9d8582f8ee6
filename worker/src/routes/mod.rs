//! One module per resource; [`router`] lists every route.

pub mod accept;
pub mod access_links;
pub mod admin;
pub mod bench;
pub mod checkpoints;
pub mod customers;
pub mod dashboard;
pub mod delta;
pub mod derive;
pub mod health;
pub mod middleware;
pub mod pages;
pub mod receipts;
pub mod shared;
pub mod usage;
pub mod verify;
pub mod views;
pub mod webhooks;
pub mod writes;

use worker::Router;

use crate::api::handle;
use crate::AppState;

/// The route table: `method "path" => handler`, each handler returning
/// `Result<Response, ApiError>` (rendered by [`handle`]). One invocation makes both the
/// [`router`] and, for the tests, `ROUTES`: the same list, so they cannot drift apart.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        pub fn router(state: AppState) -> Router<'static, AppState> {
            let r = Router::with_data(state);
            $(let r = r.$method($path, |req, ctx| handle(req, ctx, $handler));)*
            r
        }

        /// Every route as (HTTP method, path with `:param` segments), in table order: what the
        /// API description (`www/openapi.json`) is checked against.
        #[cfg(test)]
        pub const ROUTES: &[(&str, &str)] = &[$((http_method!($method), $path)),*];
    };
}

/// The HTTP method a `Router` registration method serves.
#[cfg(test)]
macro_rules! http_method {
    (get_async) => {
        "GET"
    };
    (post_async) => {
        "POST"
    };
    (put_async) => {
        "PUT"
    };
    (patch_async) => {
        "PATCH"
    };
    (delete_async) => {
        "DELETE"
    };
}

routes!(
        get_async "/health" => health::get,
        // Public: the root or the key is the capability.
        get_async "/.well-known/vericord/keys" => verify::keys,
        get_async "/api/v1/verify/:proofRoot" => verify::verify,
        // The buyer's page for a root (verifyUrl); it verifies in the browser.
        get_async "/verify/:proofRoot" => pages::verify,
        get_async "/check" => pages::check,
        // The Shared Record page and its JSON: the handle is the capability (docs/ACCESS.md).
        get_async "/c/:handle" => pages::shared_record,
        get_async "/api/v1/c/:handle" => shared::summary,
        get_async "/api/v1/c/:handle/summary" => shared::summary,
        get_async "/api/v1/c/:handle/consistency" => shared::consistency,
        post_async "/api/v1/c/:handle/access/verify" => shared::verify_access,
        get_async "/api/v1/c/:handle/history" => shared::history,
        get_async "/api/v1/c/:handle/periods" => shared::periods,
        get_async "/api/v1/c/:handle/periods/:checkpointId" => shared::period,
        get_async "/api/v1/c/:handle/close-package" => shared::close_package,
        post_async "/api/v1/c/:handle/compare" => shared::compare,
        get_async "/api/v1/c/:handle/export" => shared::export,
        get_async "/api/v1/c/:handle/disclosure" => shared::disclosure,
        // A verification package shared by its link (docs/DASHBOARD.md): the id is the capability.
        get_async "/api/v1/verification-packages/:packageId" => dashboard::verification::get,
        // Balance API (X-Api-Key).
        post_async "/api/v1/balance/delta" => delta::emit,
        post_async "/api/v1/balance/delta/batch" => delta::batch,
        get_async "/api/v1/balance/delta/:id" => delta::status,
        get_async "/api/v1/balance/customers" => customers::list,
        get_async "/api/v1/balance/customers/summary" => customers::summary,
        get_async "/api/v1/balance/customers/:customerId" => customers::detail,
        get_async "/api/v1/balance/usage" => usage::usage,
        get_async "/api/v1/balance/limits" => usage::limits,
        get_async "/api/v1/balance/webhooks" => webhooks::list,
        post_async "/api/v1/balance/webhooks/:eventId/retry" => webhooks::retry,
        post_async "/api/v1/balance/checkpoint" => checkpoints::create,
        get_async "/api/v1/balance/checkpoints" => checkpoints::list,
        get_async "/api/v1/balance/receipt/:customerId" => receipts::customer_receipt,
        get_async "/api/v1/balance/invoice-proof/:customerId" => receipts::customer_receipt,
        get_async "/api/v1/balance/receipts/:id" => receipts::receipt,
        get_async "/api/v1/balance/derive/:customerId" => derive::derive,
        post_async "/api/v1/balance/compare" => derive::compare,
        get_async "/api/v1/balance/gaps/:customerId" => derive::gaps,
        post_async "/api/v1/writes" => writes::create,
        // Billing middleware (X-Api-Key of a middleware tenant; source doc 000).
        get_async "/api/v1/middleware/customers/:customerId/periods" => middleware::list_periods,
        get_async "/api/v1/middleware/customers/:customerId/periods/:checkpointId" => middleware::period,
        get_async "/api/v1/middleware/customers/:customerId/close-package" => middleware::close_package,
        post_async "/api/v1/middleware/customers/:customerId/compare" => middleware::compare,
        get_async "/api/v1/middleware/customers/:customerId/export" => middleware::export,
        get_async "/api/v1/middleware/vendors/:vendorId/customers/:externalCustomerId/record" => middleware::vendor_record,
        get_async "/api/v1/middleware/customers/:customerId/access-link" => access_links::get,
        post_async "/api/v1/middleware/customers/:customerId/access-link" => access_links::create,
        patch_async "/api/v1/middleware/customers/:customerId/access-link" => access_links::update,
        post_async "/api/v1/middleware/customers/:customerId/access-link/rotate-code" => access_links::rotate_code,
        post_async "/api/v1/middleware/customers/:customerId/access-link/revoke" => access_links::revoke,
        post_async "/api/v1/middleware/customers/:customerId/access-link/reissue" => access_links::reissue,
        get_async "/api/v1/middleware/customers/:customerId/live" => access_links::live,
        get_async "/api/v1/middleware/readiness" => access_links::readiness,
        // Dashboard (Bearer JWT + X-Environment; source doc 001). The handlers shared with the
        // Balance and middleware routes authenticate by path (auth::caller).
        get_async "/dashboard/customers" => customers::list,
        post_async "/dashboard/customers" => dashboard::customers::create,
        get_async "/dashboard/customers/summary" => customers::summary,
        get_async "/dashboard/customers/batch-checkpoints/export" => dashboard::checkpoints::batch_export,
        get_async "/dashboard/customers/:customerId" => customers::detail,
        get_async "/dashboard/customers/:customerId/export" => dashboard::customers::export,
        get_async "/dashboard/customers/:customerId/receipt" => receipts::customer_receipt,
        get_async "/dashboard/customers/:customerId/invoice-proof" => receipts::customer_receipt,
        post_async "/dashboard/customers/:customerId/checkpoint" => checkpoints::create,
        get_async "/dashboard/customers/:customerId/checkpoints" => checkpoints::list,
        get_async "/dashboard/customers/:customerId/checkpoint-fingerprints" => dashboard::checkpoints::fingerprints,
        get_async "/dashboard/customers/:customerId/checkpoints/fingerprints" => dashboard::checkpoints::fingerprints,
        get_async "/dashboard/customers/:customerId/fingerprints" => dashboard::checkpoints::fingerprints,
        post_async "/dashboard/customers/:customerId/verification-package" => dashboard::verification::create,
        get_async "/dashboard/customers/:customerId/close-package" => middleware::close_package,
        get_async "/dashboard/customers/:customerId/periods" => middleware::list_periods,
        get_async "/dashboard/customers/:customerId/periods/:checkpointId" => middleware::period,
        get_async "/dashboard/customers/:customerId/access-link" => access_links::get,
        post_async "/dashboard/customers/:customerId/access-link" => access_links::create,
        patch_async "/dashboard/customers/:customerId/access-link" => access_links::update,
        post_async "/dashboard/customers/:customerId/access-link/rotate-code" => access_links::rotate_code,
        post_async "/dashboard/customers/:customerId/access-link/revoke" => access_links::revoke,
        post_async "/dashboard/customers/:customerId/access-link/reissue" => access_links::reissue,
        get_async "/dashboard/customers/:customerId/live" => access_links::live,
        // -- dashboard: webhooks and API keys --
        get_async "/dashboard/webhooks" => dashboard::webhooks::list,
        post_async "/dashboard/webhooks" => dashboard::webhooks::create,
        get_async "/dashboard/webhooks/:webhookId" => dashboard::webhooks::get,
        delete_async "/dashboard/webhooks/:webhookId" => dashboard::webhooks::delete,
        post_async "/dashboard/webhooks/:webhookId/rotate-secret" => dashboard::webhooks::rotate_secret,
        get_async "/dashboard/api-keys" => dashboard::api_keys::list,
        post_async "/dashboard/api-keys" => dashboard::api_keys::create,
        get_async "/dashboard/api-keys/:publicId" => dashboard::api_keys::get,
        delete_async "/dashboard/api-keys/:publicId" => dashboard::api_keys::revoke,
        post_async "/dashboard/api-keys/:publicId/rotate" => dashboard::api_keys::rotate,
        post_async "/dashboard/api-keys/:publicId/revoke" => dashboard::api_keys::revoke,
        // -- end dashboard: webhooks and API keys --
        // Admin (bearer ADMIN_TOKEN).
        post_async "/admin/tenants" => admin::create_tenant,
        get_async "/admin/tenants/:id" => admin::get_tenant,
        patch_async "/admin/tenants/:id" => admin::update_tenant,
        post_async "/admin/tenants/:id/keys" => admin::create_key,
        patch_async "/admin/keys/:publicId" => admin::update_key,
        post_async "/admin/tenants/:id/vendor-accounts" => admin::create_vendor_account,
        post_async "/admin/tenants/:id/webhooks" => admin::create_webhook,
        post_async "/admin/webhooks/:webhookId/rotate-secret" => admin::rotate_webhook_secret,
        post_async "/admin/tenants/:id/dashboard-tokens" => admin::mint_dashboard_token,
        // Benchmarks only: 404 unless the BENCH_ROUTES var is "1".
        post_async "/bench/raw-insert" => bench::raw_insert,
        get_async "/bench/rows" => bench::rows,
        post_async "/bench/drain/:customerId" => bench::drain,
        post_async "/bench/synthetic-log" => bench::synthetic_log,
        get_async "/bench/close-package/:customerId" => bench::close_package_buffered,
);

/// The API description (`www/openapi.json`, served as a static asset at `/openapi.json`, written
/// by `scripts/openapi.mjs`) against the route table: every route described, every description
/// a route, each with the same path parameters.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::ROUTES;

    const DOCUMENT: &str = include_str!("../../../www/openapi.json");
    /// Benchmark-only routes (404 unless `BENCH_ROUTES` is "1"): not part of the API, so
    /// neither described nor compared.
    const UNDESCRIBED: &str = "/bench/";
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    /// `/a/:b/c` as OpenAPI writes it, `/a/{b}/c`.
    fn openapi_path(route: &str) -> String {
        route
            .split('/')
            .map(|s| match s.strip_prefix(':') {
                Some(name) => format!("{{{name}}}"),
                None => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The `{name}`s of an OpenAPI path.
    fn template_params(path: &str) -> BTreeSet<String> {
        path.split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(String::from)
            .collect()
    }

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).expect("www/openapi.json is JSON")
    }

    /// A parameter object, following a `#/components/parameters/…` reference.
    fn resolve<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
        match p["$ref"].as_str() {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/parameters/")
                    .unwrap_or_else(|| panic!("parameter reference {r} is not to components"));
                let target = &doc["components"]["parameters"][name];
                assert!(target.is_object(), "parameter reference {r} names nothing");
                target
            }
            None => p,
        }
    }

    /// Every (METHOD, path) the document describes.
    fn described(doc: &Value) -> BTreeSet<(String, String)> {
        let paths = doc["paths"].as_object().expect("paths");
        let mut out = BTreeSet::new();
        for (path, item) in paths {
            for (key, _) in item.as_object().expect("a path item is an object") {
                if METHODS.contains(&key.as_str()) {
                    out.insert((key.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    fn routed() -> BTreeSet<(String, String)> {
        ROUTES
            .iter()
            .filter(|(_, path)| !path.starts_with(UNDESCRIBED))
            .map(|(method, path)| (method.to_string(), openapi_path(path)))
            .collect()
    }

    #[test]
    fn the_route_table_has_no_duplicates() {
        let mut seen = BTreeSet::new();
        for route in ROUTES {
            assert!(seen.insert(route), "route {route:?} is in the table twice");
        }
    }

    #[test]
    fn every_route_is_described() {
        let doc = document();
        let described = described(&doc);
        let missing: Vec<String> = routed()
            .difference(&described)
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        assert!(
            missing.is_empty(),
            "routes without a description in www/openapi.json (add them to scripts/openapi.mjs): {missing:#?}"
        );
    }

    #[test]
    fn every_description_is_a_route() {
        let doc = document();
        let routed = routed();
        let stale: Vec<String> = described(&doc)
            .difference(&routed)
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        assert!(
            stale.is_empty(),
            "described in www/openapi.json but not in the route table (worker/src/routes/mod.rs): {stale:#?}"
        );
        assert!(
            !doc["paths"]
                .as_object()
                .expect("paths")
                .keys()
                .any(|p| p.starts_with(UNDESCRIBED)),
            "the benchmark routes are not part of the API description"
        );
    }

    #[test]
    fn path_parameters_match_the_route() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let want = template_params(path);
            let shared = item["parameters"].as_array().cloned().unwrap_or_default();
            for (method, operation) in item.as_object().expect("a path item") {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let own = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut declared = BTreeSet::new();
                for p in shared.iter().chain(&own) {
                    let p = resolve(&doc, p);
                    if p["in"] == "path" {
                        let name = p["name"].as_str().expect("a parameter has a name");
                        assert_eq!(
                            p["required"], true,
                            "{method} {path}: path parameter {name} must be required"
                        );
                        assert!(
                            declared.insert(name.to_string()),
                            "{method} {path}: path parameter {name} declared twice"
                        );
                    }
                }
                assert_eq!(
                    declared, want,
                    "{method} {path}: the path parameters declared differ from the path's"
                );
            }
        }
    }

    #[test]
    fn every_operation_says_what_it_does_and_answers() {
        let doc = document();
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let id = operation["operationId"].as_str().unwrap_or_default();
                assert!(
                    ids.insert(id),
                    "{method} {path}: operationId {id:?} is not unique"
                );
                assert!(
                    operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}: no summary"
                );
                assert!(
                    operation["security"].is_array(),
                    "{method} {path}: no security requirement (use [] for public routes)"
                );
                let responses = operation["responses"].as_object().expect("responses");
                assert!(!responses.is_empty(), "{method} {path}: no responses");
            }
        }
    }

    #[test]
    fn paths_convert() {
        assert_eq!(
            openapi_path("/api/v1/c/:handle/periods/:checkpointId"),
            "/api/v1/c/{handle}/periods/{checkpointId}"
        );
        assert_eq!(openapi_path("/health"), "/health");
        assert_eq!(
            template_params("/a/{b}/c/{d}"),
            ["b", "d"].map(String::from).into()
        );
    }
}
