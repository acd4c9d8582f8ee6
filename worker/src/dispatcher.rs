//! The webhook dispatcher: delivers the outbox the sequencer fills.
//!
//! Each due delivery is claimed with a short lease ([`Store::claim_delivery`]),
//! POSTed with the event's stored body byte for byte, signed afresh per attempt
//! (the SDK rejects timestamps older than 5 minutes), and its attempt recorded
//! together with its endpoint's success/failure counts.
//! Success is any 2xx. A failure is retried with exponential backoff until
//! [`Config::max_attempts`], then the delivery is `failed` (the retry route can
//! revive it). It runs after requests that sequenced records (`waitUntil`) and
//! from the cron; a run also waits for retries that fall due within its budget,
//! so short backoffs (tests) need no cron.

pub mod destination;
mod send;
pub mod signature;

use std::time::Duration;

use futures_util::future::join_all;
use worker::{Delay, Env};

use crate::api::ApiError;
use crate::store::{AttemptRecord, DueDelivery, Store};
use crate::{clock, ids};

/// Longest wait between two attempts.
pub const MAX_BACKOFF_MS: u64 = 3_600_000;
/// How long one run may go on: `waitUntil` and per-minute crons end ~30 s after they start.
pub const BUDGET_MS: u64 = 20_000;
/// Deliveries read per query.
const ROUND: u32 = 24;
/// Attempts in flight at once (a Worker keeps at most 6 connections open).
const PARALLEL: usize = 6;

/// Delivery policy, from Worker vars (tests shorten the backoff).
pub struct Config {
    /// `WEBHOOK_BACKOFF_BASE_MS`: wait after the first failed attempt (default 30 s).
    pub base_ms: u64,
    /// `WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is `failed` (default 8).
    pub max_attempts: u32,
    /// `WEBHOOK_TIMEOUT_MS`: per-attempt limit for the status and body (default 10 s).
    pub timeout_ms: u64,
}

fn var(env: &Env, name: &str, default: u64, min: u64, max: u64) -> u64 {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .filter(|n| (min..=max).contains(n))
        .unwrap_or(default)
}

impl Config {
    pub fn from_env(env: &Env) -> Config {
        Config {
            base_ms: var(env, "WEBHOOK_BACKOFF_BASE_MS", 30_000, 1, MAX_BACKOFF_MS),
            max_attempts: var(env, "WEBHOOK_MAX_ATTEMPTS", 8, 1, 50) as u32,
            timeout_ms: var(env, "WEBHOOK_TIMEOUT_MS", 10_000, 100, 30_000),
        }
    }

    /// Covers one attempt with room to record it; a crashed dispatcher's claim frees up after this.
    fn lease_ms(&self) -> u64 {
        self.timeout_ms + 20_000
    }
}

/// Wait after failed attempt number `attempt` (1-based): `base · 2^(attempt−1)`, capped.
pub fn backoff_ms(base_ms: u64, attempt: u32) -> u64 {
    let doubling = 1u64 << attempt.saturating_sub(1).min(40);
    base_ms.saturating_mul(doubling).min(MAX_BACKOFF_MS)
}

/// Up to 10 % later (`r` uniform in 0..=u16::MAX), so failed receivers are not hit in lockstep.
pub fn jittered(delay_ms: u64, r: u16) -> u64 {
    let extra = u128::from(delay_ms / 10) * u128::from(r) / 65_536;
    delay_ms.saturating_add(u64::try_from(extra).unwrap_or(u64::MAX))
}

/// What happens after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again after this many milliseconds (before jitter).
    Retry(u64),
    Failed,
}

/// The policy: 2xx delivers; otherwise retry with backoff until `max_attempts` were made.
pub fn next(status: Option<u16>, attempt: u32, cfg: &Config) -> Next {
    match status {
        Some(200..=299) => Next::Delivered,
        _ if attempt >= cfg.max_attempts => Next::Failed,
        _ => Next::Retry(backoff_ms(cfg.base_ms, attempt)),
    }
}

/// What a run did.
#[derive(Default, Debug)]
pub struct Report {
    pub delivered: u64,
    pub retrying: u64,
    pub failed: u64,
    /// Attempts whose lease ran out before they were recorded (another dispatcher took over).
    pub lost: u64,
}

impl Report {
    pub fn attempts(&self) -> u64 {
        self.delivered + self.retrying + self.failed + self.lost
    }
}

/// One claimed delivery.
struct Claim {
    row: DueDelivery,
    attempt: u32,
    lease_until_ms: u64,
}

/// Sends one claimed delivery and records the attempt; returns the state it left.
async fn attempt(store: &Store, cfg: &Config, c: &Claim) -> Result<Option<Next>, ApiError> {
    let d = &c.row;
    let started = clock::now_ms();
    let answer = if d.enabled == 0 {
        send::Answer::error("endpoint disabled")
    } else {
        // The previous secret signs too while the rotation overlap lasts.
        let previous = d
            .previous_secret
            .as_deref()
            .filter(|_| d.previous_until_ms > started);
        let timestamp = started / 1000;
        match signature::header(&d.secret, previous, timestamp, &d.body) {
            Some(sig) => {
                let out = send::Outgoing {
                    url: &d.url,
                    body: &d.body,
                    event_type: &d.event_type,
                    event_id: &d.event_id,
                    signature: &sig,
                    timestamp,
                };
                send::post(&out, cfg.timeout_ms).await
            }
            None => send::Answer::error("signing failed"),
        }
    };
    let finished = clock::now_ms();
    let outcome = if d.enabled == 0 {
        Next::Failed // retrying cannot help until the endpoint is enabled and the event retried
    } else {
        next(answer.status, c.attempt, cfg)
    };
    let at = clock::rfc3339(started);
    let (state, next_attempt_ms, delivered_at) = match &outcome {
        Next::Delivered => ("delivered", finished, Some(clock::rfc3339(finished))),
        Next::Retry(ms) => {
            let r = ids::random_bytes::<2>().map_or(0, u16::from_le_bytes);
            ("pending", finished.saturating_add(jittered(*ms, r)), None)
        }
        Next::Failed => ("failed", finished, None),
    };
    let recorded = store
        .record_attempt(&AttemptRecord {
            event_id: &d.event_id,
            endpoint_id: &d.endpoint_id,
            lease_until_ms: c.lease_until_ms,
            attempt: c.attempt,
            at: &at,
            status_code: answer.status,
            error: answer.error.as_deref(),
            duration_ms: finished.saturating_sub(started),
            state,
            next_attempt_ms,
            delivered_at: delivered_at.as_deref(),
            outcome: match outcome {
                _ if d.enabled == 0 => None,
                Next::Delivered => Some("success"),
                Next::Retry(_) | Next::Failed => Some("failure"),
            },
        })
        .await?;
    Ok(recorded.then_some(outcome))
}

/// Claims and sends what is due now (only `event_id`'s if given); returns how many were claimed.
async fn round(
    store: &Store,
    cfg: &Config,
    event_id: Option<&str>,
    report: &mut Report,
) -> Result<usize, ApiError> {
    let due = store
        .due_deliveries(clock::now_ms(), event_id, ROUND)
        .await?;
    let mut claimed = 0;
    let mut due = due.into_iter().peekable();
    while due.peek().is_some() {
        // Claim just before sending, a handful at a time, so no lease runs out while it waits.
        let mut batch = Vec::with_capacity(PARALLEL);
        for row in due.by_ref().take(PARALLEL) {
            let now = clock::now_ms();
            let lease_until_ms = now + cfg.lease_ms();
            if let Some(done) = store
                .claim_delivery(&row.event_id, &row.endpoint_id, now, lease_until_ms)
                .await?
            {
                batch.push(Claim {
                    row,
                    attempt: done.saturating_add(1),
                    lease_until_ms,
                });
            }
        }
        claimed += batch.len();
        for result in join_all(batch.iter().map(|c| attempt(store, cfg, c))).await {
            match result? {
                Some(Next::Delivered) => report.delivered += 1,
                Some(Next::Retry(_)) => report.retrying += 1,
                Some(Next::Failed) => report.failed += 1,
                None => report.lost += 1,
            }
        }
    }
    Ok(claimed)
}

/// Delivers everything due, then keeps waiting for retries that fall due within `budget_ms`.
pub async fn run(store: &Store, cfg: &Config, budget_ms: u64) -> Result<Report, ApiError> {
    let deadline = clock::now_ms().saturating_add(budget_ms);
    let mut report = Report::default();
    loop {
        let claimed = round(store, cfg, None, &mut report).await?;
        let now = clock::now_ms();
        if now >= deadline {
            break;
        }
        if claimed > 0 {
            continue;
        }
        let Some(due) = store.next_due_ms().await? else {
            break;
        };
        // Due but not claimable right after an empty round: another dispatcher has it.
        // Due too late to attempt within the budget: the cron will.
        if due <= now || due.saturating_add(cfg.timeout_ms) > deadline {
            break;
        }
        Delay::from(Duration::from_millis(due - now)).await;
    }
    Ok(report)
}

/// Attempts the event's due deliveries once, now (the retry route).
pub async fn deliver_event(
    store: &Store,
    cfg: &Config,
    event_id: &str,
) -> Result<Report, ApiError> {
    let mut report = Report::default();
    round(store, cfg, Some(event_id), &mut report).await?;
    Ok(report)
}

/// After a response or on the cron: run with the Worker's config, logging rather than failing.
pub async fn run_logged(store: &Store, env: &Env) {
    match run(store, &Config::from_env(env), BUDGET_MS).await {
        Ok(r) if r.attempts() > 0 => worker::console_log!("webhooks: {r:?}"),
        Ok(_) => {}
        Err(e) => worker::console_error!("webhooks: {}", e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(base_ms: u64, max_attempts: u32) -> Config {
        Config {
            base_ms,
            max_attempts,
            timeout_ms: 10_000,
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_and_caps_at_an_hour() {
        let waits: Vec<u64> = (1..=9).map(|a| backoff_ms(30_000, a)).collect();
        assert_eq!(
            waits,
            [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]
        );
        assert_eq!(backoff_ms(250, 1), 250);
        assert_eq!(backoff_ms(250, 3), 1_000);
        // Absurd attempt numbers and bases saturate instead of overflowing.
        assert_eq!(backoff_ms(30_000, u32::MAX), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(u64::MAX, 2), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(30_000, 0), 30_000);
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        assert_eq!(jittered(60_000, 0), 60_000);
        assert!(jittered(60_000, u16::MAX) < 66_000);
        assert!(jittered(60_000, u16::MAX) > 65_900);
        assert_eq!(jittered(u64::MAX, u16::MAX), u64::MAX);
        for r in [1, 1000, 40_000] {
            let j = jittered(30_000, r);
            assert!((30_000..=33_000).contains(&j), "{r} → {j}");
        }
    }

    #[test]
    fn only_2xx_delivers_and_attempts_are_bounded() {
        let c = cfg(30_000, 8);
        for ok in [200, 201, 204, 299] {
            assert_eq!(next(Some(ok), 1, &c), Next::Delivered);
            assert_eq!(next(Some(ok), 8, &c), Next::Delivered);
        }
        for bad in [None, Some(100), Some(301), Some(400), Some(410), Some(500)] {
            assert_eq!(next(bad, 1, &c), Next::Retry(30_000));
            assert_eq!(next(bad, 3, &c), Next::Retry(120_000));
            assert_eq!(next(bad, 7, &c), Next::Retry(1_920_000));
            assert_eq!(next(bad, 8, &c), Next::Failed);
            // A manual retry after `failed` gets exactly one more attempt.
            assert_eq!(next(bad, 9, &c), Next::Failed);
        }
        assert_eq!(next(Some(500), 1, &cfg(1, 1)), Next::Failed);
    }

    #[test]
    fn a_full_schedule_spans_about_an_hour_and_a_bit() {
        let c = cfg(30_000, 8);
        let total: u64 = (1..c.max_attempts).map(|a| backoff_ms(c.base_ms, a)).sum();
        assert_eq!(total, 3_810_000); // 30 s … 32 min: 63.5 min from first to last attempt
    }
}
