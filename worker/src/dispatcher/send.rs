//! One delivery attempt over HTTP: a POST raced against a timer. The timer aborts
//! the fetch (AbortController), so a hung receiver costs one timeout, not a stuck
//! dispatcher; the response body is drained inside the same race so the connection
//! is released either way.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use worker::wasm_bindgen::JsValue;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// What goes on the wire.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub body: &'a str,
    pub event_type: &'a str,
    pub event_id: &'a str,
    pub signature: &'a str,
    pub timestamp: u64,
}

/// What came back: a status code, or why there is none.
pub struct Answer {
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Answer {
    pub fn error(message: impl Into<String>) -> Answer {
        Answer {
            status: None,
            error: Some(clip(message.into())),
        }
    }
}

/// Error texts are stored per attempt: keep them short.
fn clip(mut text: String) -> String {
    const MAX: usize = 300;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn build(o: &Outgoing<'_>) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("X-PacSpace-Signature", o.signature)?;
    headers.set("X-PacSpace-Timestamp", &o.timestamp.to_string())?;
    headers.set("X-Webhook-Event", o.event_type)?;
    headers.set("X-Event-ID", o.event_id)?;
    headers.set(
        "User-Agent",
        concat!("vericord-webhooks/", env!("CARGO_PKG_VERSION")),
    )?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        // A redirect is the receiver's misconfiguration, not a delivery: report the 3xx.
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(o.body)));
    Request::new_with_init(o.url, &init)
}

/// POSTs `o` and waits at most `timeout_ms` for the status and the (discarded) body.
pub async fn post(o: &Outgoing<'_>, timeout_ms: u64) -> Answer {
    let request = match build(o) {
        Ok(r) => r,
        Err(e) => return Answer::error(format!("request not built: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        // The status decides; a body that fails to arrive does not change it.
        let _ = response.bytes().await;
        Ok::<u16, worker::Error>(status)
    };
    let timer = Delay::from(Duration::from_millis(timeout_ms));
    pin_mut!(exchange);
    pin_mut!(timer);
    match select(exchange, timer).await {
        Either::Left((Ok(status), _)) => Answer {
            status: Some(status),
            error: None,
        },
        Either::Left((Err(e), _)) => Answer::error(e.to_string()),
        Either::Right(((), _)) => {
            controller.abort();
            Answer::error(format!("timeout after {timeout_ms} ms"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clips_on_a_char_boundary() {
        assert_eq!(clip("short".into()), "short");
        let long = "é".repeat(400); // 2 bytes each
        let c = clip(long);
        assert!(c.len() <= 300 && c.chars().all(|ch| ch == 'é'));
    }
}
