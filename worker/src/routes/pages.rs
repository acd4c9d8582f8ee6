//! The buyer's pages: `GET /verify/:proofRoot` answers with `www/verify.html`
//! (a static asset), which fetches the public `/api/v1/verify/:proofRoot` and
//! checks the signed checkpoint in the browser with the npm package.

use worker::{Request, Response, RouteContext};

use crate::api::ApiError;
use crate::AppState;

/// Scripts only from this origin (plus WebAssembly compilation), no framing, no referrer:
/// the page holds nothing secret, but what it shows must be what its own code computed.
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
    style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn verify(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let assets = ctx
        .env
        .assets("ASSETS")
        .map_err(|e| ApiError::internal("assets", e))?;
    // The assets binding ignores the host; only the path names the file.
    let mut url = req.url().map_err(|e| ApiError::internal("url", e))?;
    url.set_path("/verify.html");
    url.set_query(None);
    let mut page = assets
        .fetch(url.to_string(), None)
        .await
        .map_err(|e| ApiError::internal("assets", e))?;
    if page.status_code() != 200 {
        return Err(ApiError::internal(
            "assets",
            "www/verify.html is not deployed",
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
