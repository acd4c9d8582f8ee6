//! Fault injection for the end-to-end tests. With the `FAULTS` var set to "1" (never in a
//! deployment), a request may carry `X-Vericord-Fault: <point>[=<ms>], …`: the request, and
//! the background work it triggers, stall for `<ms>` at each named point, or skip it. This is
//! how the tests hold a request past its idempotency lease, race a checkpoint against the
//! sequencer, or leave a lease unreleased, against a real Worker on real D1.

use std::time::Duration;

use worker::{Env, Request};

#[derive(Clone, Default)]
pub struct Faults(Vec<(String, u64)>);

impl Faults {
    /// The faults a request asks for; none unless the deployment enables them.
    pub fn of(req: &Request, env: &Env) -> Faults {
        let enabled = env.var("FAULTS").is_ok_and(|v| v.to_string() == "1");
        let header = req.headers().get("X-Vericord-Fault").ok().flatten();
        match (enabled, header) {
            (true, Some(h)) => Faults(
                h.split(',')
                    .filter_map(|part| {
                        let (name, ms) = part.split_once('=').unwrap_or((part, "0"));
                        Some((name.trim().to_string(), ms.trim().parse().ok()?))
                    })
                    .collect(),
            ),
            _ => Faults::default(),
        }
    }

    /// Whether the request names `point`.
    pub fn has(&self, point: &str) -> bool {
        self.0.iter().any(|(n, _)| n == point)
    }

    /// Waits as long as the request asked at `point` (not at all, normally).
    pub async fn stall(&self, point: &str) {
        for (name, ms) in &self.0 {
            if name == point && *ms > 0 {
                worker::Delay::from(Duration::from_millis(*ms)).await;
            }
        }
    }
}
