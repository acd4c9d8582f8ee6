//! Cross-origin access to the public routes (docs/ACCESS.md): buyer portals fetch keys,
//! checkpoints and Shared Records from their own origin. Everything public answers with
//! `Access-Control-Allow-Origin: *`; a tenant's allow-listed origins are echoed with
//! credentials, so their portals can use the step-up cookie.

use worker::{Headers, Request, Response, Url};

/// Paths whose answers any origin may read.
pub fn is_public(path: &str) -> bool {
    path.starts_with("/api/v1/c/")
        || path.starts_with("/api/v1/verify/")
        || path.starts_with("/api/v1/verification-packages/")
        || path == "/.well-known/vericord/keys"
}

const ALLOW_HEADERS: &str = "Content-Type, X-Access-Session, X-Record-Entries";
const EXPOSE_HEADERS: &str = "Retry-After, Content-Disposition, X-D1-Rows-Read, X-D1-Rows-Written";

/// The `Origin` a request came from, if it sent one.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("Origin").ok().flatten()
}

/// An origin as a tenant may allow-list it: exactly what a browser sends in `Origin`,
/// `https://`, or `http://` on loopback only.
pub fn check_origin(text: &str) -> Result<(), &'static str> {
    let url = Url::parse(text).map_err(|_| "must be an origin such as https://portal.example")?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must be https:// (http:// only for localhost)"),
    }
    if url.origin().ascii_serialization() != text {
        return Err("must be an origin alone: scheme, host and port, no path or trailing slash");
    }
    Ok(())
}

/// The answer to a preflight of a public route. The origin is echoed with credentials (the
/// real response decides whether it may read anything).
pub fn preflight(req: &Request) -> worker::Result<Response> {
    let mut resp = Response::empty()?.with_status(204);
    let h = resp.headers_mut();
    allow(h, origin(req).as_deref())?;
    h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    h.set("Access-Control-Allow-Headers", ALLOW_HEADERS)?;
    h.set("Access-Control-Max-Age", "600")?;
    Ok(resp)
}

/// Adds the CORS headers to a public route's response: `credentialed` is the allow-listed
/// origin the route found, if any.
pub fn decorate(resp: &mut Response, credentialed: Option<&str>) {
    let h = resp.headers_mut();
    let _ = allow(h, credentialed);
    let _ = h.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
}

fn allow(h: &mut Headers, credentialed: Option<&str>) -> worker::Result<()> {
    match credentialed {
        Some(o) => {
            h.set("Access-Control-Allow-Origin", o)?;
            h.set("Access-Control-Allow-Credentials", "true")?;
        }
        None => h.set("Access-Control-Allow-Origin", "*")?,
    }
    h.append("Vary", "Origin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_secure() {
        for ok in [
            "https://portal.example",
            "https://portal.example:8443",
            "http://127.0.0.1:8788",
            "http://localhost:3000",
        ] {
            assert_eq!(check_origin(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://portal.example",
            "https://portal.example/",
            "https://portal.example/x",
            "portal.example",
            "*",
            "null",
            "https://PORTAL.example",
            "ftp://x.example",
            "javascript:alert(1)",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        assert!(is_public("/api/v1/c/cus_x/history") && is_public("/.well-known/vericord/keys"));
        assert!(!is_public("/api/v1/balance/customers") && !is_public("/c/cus_x"));
    }
}
