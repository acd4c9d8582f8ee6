//! The buyer's pages, static files of `www/`: `GET /verify/:proofRoot` answers with
//! `verify.html`, which fetches the public `/api/v1/verify/:proofRoot` and checks the signed
//! checkpoint in the browser; `GET /check` with `check.html`, which verifies a pasted receipt
//! whole. Both verify with the npm package. Their headers (the CSP above all) are the assets'
//! own, from `www/_headers`, so a page has one policy however it is reached.

use worker::{Request, Response, RouteContext};

use crate::api::ApiError;
use crate::AppState;

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
    let page = assets
        .fetch(url.to_string(), None)
        .await
        .map_err(|e| ApiError::internal("assets", e))?;
    if page.status_code() != 200 {
        return Err(ApiError::internal(
            "assets",
            format!("www{file} is not deployed"),
        ));
    }
    Ok(page)
}
