//! The buyer's pages, static files of `www/` served under one CSP: `GET /verify/:proofRoot`
//! answers with `verify.html`, which fetches the public `/api/v1/verify/:proofRoot` and checks
//! the signed checkpoint in the browser; `GET /check` with `check.html`, which verifies a pasted
//! receipt whole. Both verify with the npm package.

use worker::{Request, Response, RouteContext};

use crate::api::ApiError;
use crate::AppState;

/// Scripts only from this origin (plus WebAssembly compilation), no framing, no referrer:
/// the page holds nothing secret, but what it shows must be what its own code computed.
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
    style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn verify(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    page(&req, &ctx, "/verify.html").await
}

pub async fn check(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    page(&req, &ctx, "/check.html").await
}

async fn page(
    req: &Request,
    ctx: &RouteContext<AppState>,
    file: &str,
) -> Result<Response, ApiError> {
    let assets = ctx
        .env
        .assets("ASSETS")
        .map_err(|e| ApiError::internal("assets", e))?;
    // The assets binding ignores the host; only the path names the file.
    let mut url = req.url().map_err(|e| ApiError::internal("url", e))?;
    url.set_path(file);
    url.set_query(None);
    let mut page = assets
        .fetch(url.to_string(), None)
        .await
        .map_err(|e| ApiError::internal("assets", e))?;
    if page.status_code() != 200 {
        return Err(ApiError::internal(
            "assets",
            format!("www{file} is not deployed"),
        ));
    }
    let body = page
        .bytes()
        .await
        .map_err(|e| ApiError::internal("assets", e))?;
    let mut resp = Response::from_bytes(body).map_err(|e| ApiError::internal("page", e))?;
    let headers = resp.headers_mut();
    for (name, value) in [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ] {
        headers
            .set(name, value)
            .map_err(|e| ApiError::internal("header", e))?;
    }
    Ok(resp)
}
