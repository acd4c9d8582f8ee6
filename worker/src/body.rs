//! Request bodies: size-capped, strict JSON objects whose fields are read one
//! by one, so every rejection names its field and unknown fields are refused.
//! Numbers keep their text (amounts are parsed from it, never from a float).

use futures_util::StreamExt;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashSet;
use vericord_core::jcs;

use crate::api::ApiError;

/// Largest request body accepted (a full 100-delta batch with metadata fits easily).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Reads the body as UTF-8 text within [`MAX_BODY_BYTES`], refusing (415) a body that is not
/// labelled `application/json` (parameters such as `charset` allowed): a form or text body is
/// never taken for JSON. A request without a body needs no label. The body is read as a stream
/// and reading stops at the cap, whether or not `Content-Length` was sent.
pub async fn read(req: &mut worker::Request) -> Result<String, ApiError> {
    let content_type = req.headers().get("Content-Type").ok().flatten();
    if content_type.as_deref().is_some_and(|t| !is_json(t)) {
        return Err(unsupported(content_type.as_deref()));
    }
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = read_capped(req).await?;
    if content_type.is_none() && !bytes.is_empty() {
        return Err(unsupported(None));
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid("INVALID_JSON", None, "body is not UTF-8"))
}

/// `application/json`, with or without parameters.
/// `application/json`, with any parameters but a `charset` other than UTF-8: JSON is UTF-8
/// (RFC 8259 §8.1), so a body declared in another charset would be read as something else.
fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let utf8 = |p: &str| {
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        !name.trim().eq_ignore_ascii_case("charset")
            || value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    };
    essence.eq_ignore_ascii_case("application/json") && parts.all(utf8)
}

fn unsupported(content_type: Option<&str>) -> ApiError {
    ApiError::new(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        match content_type {
            Some(t) => {
                format!("the body must be JSON sent as Content-Type: application/json, not {t:?}")
            }
            None => "the body must be JSON sent as Content-Type: application/json".into(),
        },
    )
    .with_field("Content-Type".into())
}

/// Reads and discards what a handler left unread of a request body, up to [`MAX_BODY_BYTES`].
/// workerd closes a keep-alive connection whose request body was not read to its end without
/// saying so (no `Connection: close`), so a client that sends its next request on that
/// connection loses it (seen against the local server: 48 of 300 refused bodies). Net/http
/// servers drain likewise (Go's up to 256 KiB); past the cap the connection is let go.
pub async fn drain_unread(raw: worker::web_sys::Request) {
    if raw.body_used() || raw.body().is_none() {
        return;
    }
    let Ok(mut stream) = worker::Request::from(raw).stream() else {
        return;
    };
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > MAX_BODY_BYTES {
            break;
        }
    }
}

async fn read_capped(req: &mut worker::Request) -> Result<Vec<u8>, ApiError> {
    let unreadable =
        |e: worker::Error| ApiError::invalid("INVALID_JSON", None, format!("unreadable body: {e}"));
    // No body at all (a GET, or a POST without one) has no stream to read.
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(unreadable)?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "PAYLOAD_TOO_LARGE",
        format!("body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

/// The members of a JSON object, in order, with their raw text.
pub struct Fields<'a> {
    /// Prefix for `field` in errors, e.g. `deltas[3].`.
    prefix: String,
    members: Vec<(String, &'a RawValue)>,
}

/// A JSON value's kind as a client would name it.
fn kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

impl<'a> Fields<'a> {
    /// Parses `text` as one JSON object; duplicate member names are refused.
    pub fn parse(text: &'a str, prefix: &str) -> Result<Fields<'a>, ApiError> {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| {
            ApiError::invalid(
                "INVALID_JSON",
                prefix_field(prefix),
                format!("body is not valid JSON: {e}"),
            )
        })?;
        Fields::from_raw(raw, prefix)
    }

    /// Reads a nested object.
    pub fn from_raw(raw: &'a RawValue, prefix: &str) -> Result<Fields<'a>, ApiError> {
        let field = prefix_field(prefix);
        if !raw.get().starts_with('{') {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                field,
                format!("must be a JSON object, not {}", kind(raw)),
            ));
        }
        let members = jcs::object_members(raw.get())
            .map_err(|e| ApiError::invalid("INVALID_JSON", field.clone(), e.to_string()))?;
        // A set, not a scan of the earlier members: a 1 MiB body can hold 10^5 members.
        let mut seen = HashSet::with_capacity(members.len());
        for (name, _) in &members {
            if !seen.insert(name.as_str()) {
                return Err(ApiError::invalid(
                    "DUPLICATE_FIELD",
                    Some(format!("{prefix}{name}")),
                    "appears more than once",
                ));
            }
        }
        Ok(Fields {
            prefix: prefix.to_string(),
            members,
        })
    }

    fn field(&self, name: &str) -> Option<String> {
        Some(format!("{}{name}", self.prefix))
    }

    /// Removes and returns a member; JSON `null` counts as absent.
    fn take(&mut self, name: &str) -> Option<&'a RawValue> {
        let at = self.members.iter().position(|(n, _)| n == name)?;
        let (_, raw) = self.members.remove(at);
        (raw.get() != "null").then_some(raw)
    }

    /// The raw JSON text of a member, if present (`null` included).
    pub fn raw(&mut self, name: &str) -> Option<&'a str> {
        let at = self.members.iter().position(|(n, _)| n == name)?;
        Some(self.members.remove(at).1.get())
    }

    /// An optional string of at most `max` characters without control characters.
    pub fn string(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.take(name) else {
            return Ok(None);
        };
        let value: String = match raw.get().starts_with('"') {
            true => serde_json::from_str(raw.get()).map_err(|e| {
                ApiError::invalid("VALIDATION_ERROR", self.field(name), e.to_string())
            })?,
            false => {
                return Err(ApiError::invalid(
                    "VALIDATION_ERROR",
                    self.field(name),
                    format!("must be a string, not {}", kind(raw)),
                ))
            }
        };
        let chars = value.chars().count();
        if chars > max {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                format!("must be at most {max} characters (got {chars})"),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                "must not contain control characters",
            ));
        }
        Ok(Some(value))
    }

    /// A required, non-blank string.
    pub fn required_string(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        match self.string(name, max)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                "must not be blank",
            )),
            None => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                "is required",
            )),
        }
    }

    /// The text of a required JSON number token (strings are refused: money is a number on the wire).
    pub fn number_text(&mut self, name: &str) -> Result<&'a str, ApiError> {
        let raw = self.take(name).ok_or_else(|| {
            ApiError::invalid("VALIDATION_ERROR", self.field(name), "is required")
        })?;
        if kind(raw) != "a number" {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                format!("must be a JSON number, not {}", kind(raw)),
            ));
        }
        Ok(raw.get())
    }

    /// An optional JSON object, parsed strictly (duplicate names refused at any depth).
    pub fn object(&mut self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        let Some(raw) = self.take(name) else {
            return Ok(None);
        };
        match jcs::parse_strict(raw.get()) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(_) => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                format!("must be a JSON object, not {}", kind(raw)),
            )),
            Err(e) => Err(ApiError::invalid(e.code(), self.field(name), e.to_string())),
        }
    }

    /// A nested object as fields.
    pub fn nested(&mut self, name: &str) -> Result<Option<Fields<'a>>, ApiError> {
        let Some(raw) = self.take(name) else {
            return Ok(None);
        };
        Fields::from_raw(raw, &format!("{}{name}.", self.prefix)).map(Some)
    }

    /// A required array's elements.
    pub fn array(&mut self, name: &str) -> Result<Vec<&'a RawValue>, ApiError> {
        let raw = self.take(name).ok_or_else(|| {
            ApiError::invalid("VALIDATION_ERROR", self.field(name), "is required")
        })?;
        if !raw.get().starts_with('[') {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                self.field(name),
                format!("must be an array, not {}", kind(raw)),
            ));
        }
        serde_json::from_str(raw.get())
            .map_err(|e| ApiError::invalid("INVALID_JSON", self.field(name), e.to_string()))
    }

    /// Fails on any member not taken: a misspelt field is an error, not silently dropped.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.members.first() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError::invalid(
                "UNKNOWN_FIELD",
                Some(format!("{}{name}", self.prefix)),
                "is not a field of this request",
            )),
        }
    }
}

fn prefix_field(prefix: &str) -> Option<String> {
    let trimmed = prefix.trim_end_matches('.');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_utf8_json() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/json; v=1",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "application/json; charset=latin1",
            "application/json; charset=utf-16",
            "application/json, text/plain",
            "text/json",
            "application/jsonx",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }

    #[test]
    fn fields_name_their_errors() {
        let mut f =
            Fields::parse(r#"{"a":"x","n":-1.50,"s":"1","o":{"k":[1]},"z":null}"#, "").unwrap();
        assert_eq!(f.string("a", 5).unwrap().as_deref(), Some("x"));
        assert_eq!(f.number_text("n").unwrap(), "-1.50");
        let e = f.number_text("s").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("s"));
        assert!(f.object("o").unwrap().is_some());
        assert!(f.string("z", 5).unwrap().is_none());
        f.finish().unwrap();

        let mut f = Fields::parse(r#"{"a":"toolong","b":1}"#, "deltas[2].").unwrap();
        assert_eq!(
            f.string("a", 3).unwrap_err().field.as_deref(),
            Some("deltas[2].a")
        );
        assert_eq!(f.finish().unwrap_err().code, "UNKNOWN_FIELD");
        assert_eq!(
            Fields::parse(r#"{"a":1,"a":2}"#, "").err().unwrap().code,
            "DUPLICATE_FIELD"
        );
        assert_eq!(
            Fields::parse("[1]", "").err().unwrap().code,
            "VALIDATION_ERROR"
        );
        assert_eq!(Fields::parse("{", "").err().unwrap().code, "INVALID_JSON");
        let mut f = Fields::parse(r#"{"m":{"x":1,"x":2}}"#, "").unwrap();
        assert_eq!(f.object("m").unwrap_err().code, "JSON_DUPLICATE_NAME");
    }
}
