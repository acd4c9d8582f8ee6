//! The buyer's pages, static files of `www/`: `GET /verify/:proofRoot` answers with
//! `verify.html`, which fetches the public `/api/v1/verify/:proofRoot` and checks the signed
//! checkpoint in the browser; `GET /check` with `check.html`, which verifies a pasted receipt
//! whole. Both verify with the npm package. Their headers (the CSP above all) are the assets'
//! own, from `www/_headers`, so a page has one policy however it is reached.

use worker::{Request, Response, RouteContext};

use vericord_core::Handle;

use crate::api::ApiError;
use crate::store::Store;
use crate::AppState;

pub async fn verify(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    page(&req, &ctx, "/verify.html").await
}

pub async fn check(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    page(&req, &ctx, "/check.html").await
}

/// `GET /c/:handle`: the Shared Record page. Its CSP is the asset's, except that the origins
/// the link's tenant allow-lists may frame it (billing portals embed it).
pub async fn shared_record(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let store = Store::of(&ctx)?;
    let mut origins = Vec::new();
    if let Ok(handle) = Handle::parse(&crate::query::param(&ctx, "handle")) {
        if let Some(link) = store.access_link(handle.as_str()).await? {
            if let Some(t) = store.tenant(&link.tenant_id).await? {
                origins = t.origins();
            }
        }
    }
    let mut asset = page(&req, &ctx, "/c.html").await?;
    if origins.is_empty() {
        return Ok(asset);
    }
    let headers = worker::Headers::new();
    for (k, v) in asset.headers().entries() {
        let v = if k.eq_ignore_ascii_case("content-security-policy") {
            v.replace(
                "frame-ancestors 'none'",
                &format!("frame-ancestors 'self' {}", origins.join(" ")),
            )
        } else {
            v
        };
        headers
            .append(&k, &v)
            .map_err(|e| ApiError::internal("header", e))?;
    }
    let body = asset
        .bytes()
        .await
        .map_err(|e| ApiError::internal("assets", e))?;
    Ok(Response::from_bytes(body)
        .map_err(|e| ApiError::internal("page", e))?
        .with_headers(headers))
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
