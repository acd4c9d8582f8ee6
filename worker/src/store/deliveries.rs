//! The webhook outbox's delivery side: due deliveries, leases, attempts, the API's views.
//!
//! A dispatcher claims a delivery by moving its `lease_until_ms` forward only if
//! the old lease has run out, so two dispatchers never send the same attempt at
//! once. The new `lease_until_ms` doubles as the claim's token: a later claim
//! sets a larger value (it happens after the old lease ended or was released,
//! and adds the same lease length to a later clock), so the attempt's record —
//! one batch guarded by that value — is written only by the dispatcher that
//! still holds the lease.

use serde::Deserialize;

use super::{changes, Arg, Store, WriteError};
use crate::api::ApiError;

/// A delivery that is due, with everything needed to send it.
#[derive(Deserialize)]
pub struct DueDelivery {
    pub event_id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub body: String,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until_ms: u64,
    pub enabled: u32,
}

/// One delivery as the API shows it; `history` is a JSON array of its attempts.
#[derive(Deserialize)]
pub struct DeliveryRow {
    pub event_id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: u32,
    pub last_status: Option<u32>,
    pub last_error: Option<String>,
    pub next_attempt_ms: u64,
    pub delivered_at: Option<String>,
    pub endpoint_id: String,
    pub url: String,
    pub created_at: String,
    pub history: String,
}

/// The outcome of one attempt and the delivery's state after it.
pub struct AttemptRecord<'a> {
    pub event_id: &'a str,
    pub endpoint_id: &'a str,
    /// The claim's token (see the module comment).
    pub lease_until_ms: u64,
    pub attempt: u32,
    pub at: &'a str,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    pub duration_ms: u64,
    /// `pending` (retry at `next_attempt_ms`), `delivered` or `failed`.
    pub state: &'a str,
    pub next_attempt_ms: u64,
    pub delivered_at: Option<&'a str>,
    /// What the attempt counts as on its endpoint (`success` for a 2xx, else `failure`);
    /// `None` when nothing was sent (the endpoint is disabled), which counts as neither.
    pub outcome: Option<&'a str>,
}

#[derive(Deserialize)]
struct Attempts {
    attempts: u32,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

#[derive(Deserialize)]
struct NextDue {
    t: Option<u64>,
}

macro_rules! select_delivery {
    () => {
        "SELECT d.event_id, e.type AS event_type, d.state, d.attempts, d.last_status, d.last_error, \
           d.next_attempt_ms, d.delivered_at, d.endpoint_id, w.url, d.created_at, \
           (SELECT json_group_array(json_object('attempt', a.attempt, 'at', a.at, 'statusCode', a.status_code, \
                                                'error', a.error, 'durationMs', a.duration_ms)) \
            FROM (SELECT * FROM delivery_attempts a WHERE a.event_id = d.event_id AND a.endpoint_id = d.endpoint_id \
                  ORDER BY a.attempt) a) AS history \
         FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id "
    };
}

impl Store {
    /// Pending deliveries due at `now_ms` whose lease is free, oldest due first;
    /// only `event_id`'s when given.
    pub async fn due_deliveries(
        &self,
        now_ms: u64,
        event_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, ApiError> {
        self.all(
            "SELECT d.event_id, d.endpoint_id, e.type AS event_type, e.body, w.url, w.secret, \
               w.previous_secret, w.previous_until_ms, w.enabled \
             FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.state = 'pending' AND d.next_attempt_ms <= ?1 AND d.lease_until_ms <= ?1 \
               AND (?2 IS NULL OR d.event_id = ?2) \
             ORDER BY d.next_attempt_ms LIMIT ?3",
            &[Arg::Big(now_ms), event_id.into(), Arg::Big(limit.into())],
        )
        .await
    }

    /// Takes the delivery's lease until `lease_until_ms` if it is still due and free;
    /// returns the attempts made so far.
    pub async fn claim_delivery(
        &self,
        event_id: &str,
        endpoint_id: &str,
        now_ms: u64,
        lease_until_ms: u64,
    ) -> Result<Option<u32>, ApiError> {
        let row: Option<Attempts> = self
            .first(
                "UPDATE deliveries SET lease_until_ms = ?4 \
                 WHERE event_id = ?1 AND endpoint_id = ?2 AND state = 'pending' \
                   AND next_attempt_ms <= ?3 AND lease_until_ms <= ?3 \
                 RETURNING attempts",
                &[
                    event_id.into(),
                    endpoint_id.into(),
                    Arg::Big(now_ms),
                    Arg::Big(lease_until_ms),
                ],
            )
            .await?;
        Ok(row.map(|r| r.attempts))
    }

    /// Records the attempt, the delivery's new state and the endpoint's counters in one
    /// batch, and releases the lease; writes nothing (returns false) if the lease was lost
    /// meanwhile.
    pub async fn record_attempt(&self, r: &AttemptRecord<'_>) -> Result<bool, ApiError> {
        let status = r.status_code.map_or(Arg::Null, |s| Arg::Int(i32::from(s)));
        let insert = self.stmt(
            "INSERT INTO delivery_attempts (event_id, endpoint_id, attempt, at, status_code, error, duration_ms) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS \
               (SELECT 1 FROM deliveries WHERE event_id = ?1 AND endpoint_id = ?2 AND lease_until_ms = ?8) \
             ON CONFLICT DO NOTHING",
            &[
                r.event_id.into(),
                r.endpoint_id.into(),
                Arg::Big(r.attempt.into()),
                r.at.into(),
                status.clone(),
                r.error.into(),
                Arg::Big(r.duration_ms),
                Arg::Big(r.lease_until_ms),
            ],
        )?;
        let mut batch = vec![insert];
        if let Some(outcome) = r.outcome {
            // Before the delivery's update below, which releases the lease this is guarded by.
            // `last_*` follow the latest attempt by start time, whatever order they are recorded in.
            batch.push(self.stmt(
                "UPDATE webhook_endpoints SET \
                   success_count = success_count + (?3 = 'success'), \
                   failure_count = failure_count + (?3 <> 'success'), \
                   last_status = CASE WHEN last_triggered_at IS NULL OR last_triggered_at <= ?4 THEN ?3 ELSE last_status END, \
                   last_triggered_at = CASE WHEN last_triggered_at IS NULL OR last_triggered_at <= ?4 THEN ?4 ELSE last_triggered_at END \
                 WHERE id = ?2 AND EXISTS \
                   (SELECT 1 FROM deliveries WHERE event_id = ?1 AND endpoint_id = ?2 AND lease_until_ms = ?5)",
                &[
                    r.event_id.into(),
                    r.endpoint_id.into(),
                    outcome.into(),
                    r.at.into(),
                    Arg::Big(r.lease_until_ms),
                ],
            )?);
        }
        let update = self.stmt(
            "UPDATE deliveries SET attempts = ?3, state = ?4, next_attempt_ms = ?5, lease_until_ms = 0, \
               last_status = ?6, last_error = ?7, delivered_at = ?8 \
             WHERE event_id = ?1 AND endpoint_id = ?2 AND lease_until_ms = ?9",
            &[
                r.event_id.into(),
                r.endpoint_id.into(),
                Arg::Big(r.attempt.into()),
                r.state.into(),
                Arg::Big(r.next_attempt_ms),
                status,
                r.error.into(),
                r.delivered_at.into(),
                Arg::Big(r.lease_until_ms),
            ],
        )?;
        batch.push(update);
        let results = self
            .batch("record attempt", batch)
            .await
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                WriteError::Check | WriteError::Unique(_) => {
                    ApiError::internal("record attempt", "constraint")
                }
            })?;
        Ok(results.last().is_some_and(|u| changes(u) == 1))
    }

    /// When the next pending delivery becomes sendable (due and unleased), if any.
    pub async fn next_due_ms(&self) -> Result<Option<u64>, ApiError> {
        let row: Option<NextDue> = self
            .first(
                "SELECT MIN(MAX(next_attempt_ms, lease_until_ms)) AS t FROM deliveries WHERE state = 'pending'",
                &[],
            )
            .await?;
        Ok(row.and_then(|r| r.t))
    }

    /// Makes every delivery of the event (in this tenant and environment) pending and
    /// due at `now_ms`; returns how many there are (0: no such event here).
    pub async fn reset_deliveries(
        &self,
        tenant_id: &str,
        environment: &str,
        event_id: &str,
        now_ms: u64,
    ) -> Result<usize, ApiError> {
        self.run(
            "UPDATE deliveries SET state = 'pending', next_attempt_ms = ?4, delivered_at = NULL \
             WHERE event_id = ?1 AND tenant_id = ?2 AND environment = ?3",
            &[
                event_id.into(),
                tenant_id.into(),
                environment.into(),
                Arg::Big(now_ms),
            ],
        )
        .await
    }

    /// One page of the tenant's deliveries in this environment, newest first, and the total.
    pub async fn deliveries(
        &self,
        tenant_id: &str,
        environment: &str,
        state: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<DeliveryRow>, u64), ApiError> {
        let rows = self
            .all(
                concat!(
                    select_delivery!(),
                    "WHERE d.tenant_id = ?1 AND d.environment = ?2 AND (?3 IS NULL OR d.state = ?3) \
                     ORDER BY d.created_at DESC, d.event_id DESC, d.endpoint_id LIMIT ?4 OFFSET ?5"
                ),
                &[
                    tenant_id.into(),
                    environment.into(),
                    state.into(),
                    Arg::Big(limit.into()),
                    Arg::Big(offset),
                ],
            )
            .await?;
        let total: Option<Count> = self
            .first(
                "SELECT COUNT(*) AS n FROM deliveries \
                 WHERE tenant_id = ?1 AND environment = ?2 AND (?3 IS NULL OR state = ?3)",
                &[tenant_id.into(), environment.into(), state.into()],
            )
            .await?;
        Ok((rows, total.map_or(0, |c| c.n)))
    }

    /// The deliveries of one event in this tenant and environment.
    pub async fn event_deliveries(
        &self,
        tenant_id: &str,
        environment: &str,
        event_id: &str,
    ) -> Result<Vec<DeliveryRow>, ApiError> {
        self.all(
            concat!(
                select_delivery!(),
                "WHERE d.event_id = ?1 AND d.tenant_id = ?2 AND d.environment = ?3 ORDER BY d.endpoint_id"
            ),
            &[event_id.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// Deletes up to `limit` finished deliveries (delivered, or failed for good) created
    /// before `cutoff`, with their attempts, and events older than `cutoff` left with none.
    /// Pending deliveries are never pruned, however old.
    pub async fn prune_outbox(&self, cutoff: &str, limit: u32) -> Result<(), ApiError> {
        let args = [cutoff.into(), Arg::Big(limit.into())];
        let batch = vec![
            self.stmt(
                "DELETE FROM delivery_attempts WHERE (event_id, endpoint_id) IN (SELECT event_id, endpoint_id FROM deliveries \
                 WHERE state <> 'pending' AND created_at < ?1 ORDER BY created_at, event_id, endpoint_id LIMIT ?2)",
                &args,
            )?,
            self.stmt(
                "DELETE FROM deliveries WHERE (event_id, endpoint_id) IN (SELECT event_id, endpoint_id FROM deliveries \
                 WHERE state <> 'pending' AND created_at < ?1 ORDER BY created_at, event_id, endpoint_id LIMIT ?2)",
                &args,
            )?,
            self.stmt(
                "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < ?1 \
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.created_at LIMIT ?2)",
                &args,
            )?,
        ];
        self.batch("prune outbox", batch)
            .await
            .map(drop)
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("prune outbox", "constraint"),
            })
    }
}
