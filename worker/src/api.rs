//! Envelopes: `{success: true, data}` and `{success: false, statusCode, error: {code, message, field?}}`.

use serde::Serialize;
use serde_json::value::RawValue;
use std::future::Future;
use vericord_core::Amount;
use worker::{Request, Response, RouteContext};

use crate::AppState;

/// A failure a client can act on (4xx), or an internal one (5xx, logged).
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    extra: Vec<(&'static str, serde_json::Value)>,
    headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A 400 naming the offending field.
    pub fn invalid(
        code: &'static str,
        field: Option<String>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            field,
            ..ApiError::new(400, code, message)
        }
    }

    /// A 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(404, code, message)
    }

    /// Names the offending field.
    pub fn with_field(mut self, field: String) -> ApiError {
        self.field = Some(field);
        self
    }

    /// Adds extra members to the error object (e.g. `retryAfterSeconds`).
    pub fn with_extra(mut self, key: &'static str, value: serde_json::Value) -> ApiError {
        self.extra.push((key, value));
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: &'static str, value: String) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// A storage or runtime failure: never caused by input, so a 500 that is logged.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        worker::console_error!("{context}: {err}");
        ApiError::new(
            500,
            "INTERNAL_ERROR",
            "internal error; the request can be retried",
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorEnvelope {
    success: bool,
    status_code: u16,
    error: serde_json::Value,
}

#[derive(Serialize)]
struct SuccessEnvelope<'a, T: Serialize> {
    success: bool,
    data: &'a T,
}

/// An exact amount as a JSON number token (its canonical text, never a float).
pub fn number(amount: Amount) -> Box<RawValue> {
    // Canonical amount text is always a valid JSON number.
    RawValue::from_string(amount.to_string()).unwrap_or_default()
}

/// Stored canonical amount text as a JSON number (`null` if it is not an amount).
pub fn amount_json(text: &str) -> serde_json::Value {
    Amount::parse(text)
        .ok()
        .and_then(|a| serde_json::to_value(number(a)).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// A response from an already-serialized JSON body.
pub fn json_response(status: u16, body: String) -> Result<Response, ApiError> {
    let mut resp = Response::from_bytes(body.into_bytes())
        .map_err(|e| ApiError::internal("response", e))?
        .with_status(status);
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(|e| ApiError::internal("header", e))?;
    Ok(resp)
}

/// The success envelope as text, for responses that are also stored for replay.
pub fn ok_text<T: Serialize>(data: &T) -> Result<String, ApiError> {
    serde_json::to_string(&SuccessEnvelope {
        success: true,
        data,
    })
    .map_err(|e| ApiError::internal("serialize response", e))
}

/// `{success: true, data}` with `status`.
pub fn ok<T: Serialize>(data: &T, status: u16) -> Result<Response, ApiError> {
    let body = SuccessEnvelope {
        success: true,
        data,
    };
    Response::from_json(&body)
        .map(|r| r.with_status(status))
        .map_err(|e| ApiError::internal("serialize response", e))
}

/// The error envelope; also what an idempotent replay stores.
pub fn error_json(err: &ApiError) -> serde_json::Value {
    let mut error = serde_json::Map::new();
    error.insert("code".into(), err.code.into());
    error.insert("message".into(), err.message.clone().into());
    if let Some(field) = &err.field {
        error.insert("field".into(), field.clone().into());
    }
    for (k, v) in &err.extra {
        error.insert((*k).into(), v.clone());
    }
    let body = ErrorEnvelope {
        success: false,
        status_code: err.status,
        error: serde_json::Value::Object(error),
    };
    serde_json::to_value(body).unwrap_or_default()
}

pub fn error_response(err: &ApiError) -> worker::Result<Response> {
    let mut resp = Response::from_json(&error_json(err))?.with_status(err.status);
    for (name, value) in &err.headers {
        resp.headers_mut().set(name, value)?;
    }
    Ok(resp)
}

/// Runs a handler and renders its error, so routes return `Result<Response, ApiError>`.
pub async fn handle<F, Fut>(
    req: Request,
    ctx: RouteContext<AppState>,
    handler: F,
) -> worker::Result<Response>
where
    F: FnOnce(Request, RouteContext<AppState>) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    match handler(req, ctx).await {
        Ok(response) => Ok(response),
        Err(err) => error_response(&err),
    }
}

/// D1's own accounting of a request (`meta.rows_read` / `rows_written` summed), for operators,
/// benchmarks and the tests that hold every read route to rows that do not grow with a log.
/// Responses passed through from static assets have immutable headers and keep them as they are.
pub fn with_rows(mut resp: Response, (read, written): (u64, u64)) -> Response {
    let headers = resp.headers_mut();
    let _ = headers.set("X-D1-Rows-Read", &read.to_string());
    let _ = headers.set("X-D1-Rows-Written", &written.to_string());
    resp
}

/// Turns the router's own plain-text 404/405 and any escaped error into JSON envelopes.
pub fn finish(result: worker::Result<Response>) -> worker::Result<Response> {
    match result {
        Ok(resp) if resp.status_code() == 404 && !is_json(&resp) => {
            error_response(&ApiError::new(404, "NOT_FOUND", "no such route"))
        }
        Ok(resp) if resp.status_code() == 405 && !is_json(&resp) => error_response(&ApiError::new(
            405,
            "METHOD_NOT_ALLOWED",
            "method not allowed on this route",
        )),
        Ok(resp) => Ok(resp),
        Err(e) => error_response(&ApiError::internal("unhandled", e)),
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|v| v.starts_with("application/json"))
}
