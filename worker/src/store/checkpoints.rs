//! Checkpoints: signed heads that close a period of a log.

use serde::Deserialize;

use super::{Arg, Store, WriteError};
use crate::api::ApiError;

#[derive(Deserialize, Clone)]
pub struct CheckpointRow {
    pub id: String,
    pub log_id: String,
    pub tenant_id: String,
    pub environment: String,
    pub scope: String,
    pub start_size: u64,
    pub size: u64,
    pub root: String,
    pub opening: String,
    pub closing: String,
    pub count: u64,
    pub note: String,
    pub key_id: String,
    pub previous_id: Option<String>,
    pub previous_size: u64,
    pub previous_root: String,
    pub consistency_proof: String,
    pub created_at: String,
}

macro_rules! select_checkpoint {
    () => {
        "SELECT id, log_id, tenant_id, environment, scope, start_size, size, root, opening, closing, count, note, key_id, \
         previous_id, previous_size, previous_root, consistency_proof, created_at FROM checkpoints "
    };
}

/// Filters of the checkpoint list.
pub struct CheckpointFilter<'a> {
    pub log_id: Option<&'a str>,
    pub scope_prefix: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

#[derive(Deserialize)]
struct Candidate {
    id: String,
    needs: u8,
}

impl Store {
    /// Customer logs with records in `[start, end)` (not failed), at most
    /// `limit`: first those with no checkpoint yet for this scope at its current
    /// size, then the others, each group in customer order. Returns `(log id,
    /// needs a checkpoint)`. The scope key mirrors `checkpointing::create`'s
    /// `label#size`, so a checkpointed log moves back and repeated calls advance.
    pub async fn logs_to_checkpoint(
        &self,
        tenant_id: &str,
        environment: &str,
        vendor_account_id: Option<&str>,
        (label, start, end): (&str, &str, &str),
        limit: u32,
    ) -> Result<Vec<(String, bool)>, ApiError> {
        let rows: Vec<Candidate> = self
            .all(
                "SELECT l.id, NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.log_id = l.id AND c.scope = ?4 || '#' || \
                       COALESCE((SELECT r.seq + 1 FROM records r WHERE r.log_id = l.id AND r.received_at < ?6 \
                                 AND r.seq IS NOT NULL ORDER BY r.received_at DESC, r.seqno DESC LIMIT 1), 0)) AS needs \
                 FROM logs l \
                 WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' \
                   AND (?3 IS NULL OR l.vendor_account_id = ?3) \
                   AND EXISTS (SELECT 1 FROM records r WHERE r.log_id = l.id \
                               AND r.received_at >= ?5 AND r.received_at < ?6 AND r.failed_reason IS NULL) \
                 ORDER BY needs DESC, l.subject_id, l.id LIMIT ?7",
                &[
                    tenant_id.into(),
                    environment.into(),
                    vendor_account_id.into(),
                    label.into(),
                    start.into(),
                    end.into(),
                    Arg::Big(limit.into()),
                ],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.needs != 0)).collect())
    }

    /// Inserts a checkpoint; `Ok(false)` if the same scope and size already exist.
    pub async fn insert_checkpoint(
        &self,
        c: &CheckpointRow,
        event: Option<(&str, &str, &str)>,
    ) -> Result<bool, WriteError> {
        let mut batch = Vec::new();
        let mut push =
            |st: Result<_, ApiError>| st.map(|st| batch.push(st)).map_err(WriteError::Other);
        push(self.stmt(
            "INSERT INTO checkpoints (id, log_id, tenant_id, environment, scope, start_size, size, root, opening, closing, count, \
             note, key_id, previous_id, previous_size, previous_root, consistency_proof, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) \
             ON CONFLICT (log_id, scope) DO NOTHING",
            &[
                (&c.id).into(),
                (&c.log_id).into(),
                (&c.tenant_id).into(),
                (&c.environment).into(),
                (&c.scope).into(),
                Arg::Big(c.start_size),
                Arg::Big(c.size),
                (&c.root).into(),
                (&c.opening).into(),
                (&c.closing).into(),
                Arg::Big(c.count),
                (&c.note).into(),
                (&c.key_id).into(),
                c.previous_id.as_deref().into(),
                Arg::Big(c.previous_size),
                (&c.previous_root).into(),
                (&c.consistency_proof).into(),
                (&c.created_at).into(),
            ],
        ))?;
        if let Some((event_id, kind, body)) = event {
            // Outbox rows only if the checkpoint row was new (same batch, so atomic with it).
            push(self.stmt(
                "INSERT INTO events (id, tenant_id, environment, type, body, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM checkpoints WHERE id = ?7)",
                &[event_id.into(), (&c.tenant_id).into(), (&c.environment).into(), kind.into(), body.into(), (&c.created_at).into(), (&c.id).into()],
            ))?;
            push(self.stmt(
                "INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, next_attempt_ms, created_at) \
                 SELECT ?1, w.id, w.tenant_id, w.environment, 'pending', 0, ?4 FROM webhook_endpoints w \
                 WHERE w.tenant_id = ?2 AND w.environment = ?3 AND w.enabled = 1 AND EXISTS (SELECT 1 FROM events WHERE id = ?1)",
                &[event_id.into(), (&c.tenant_id).into(), (&c.environment).into(), (&c.created_at).into()],
            ))?;
        }
        let results = self.batch("checkpoint", batch).await?;
        Ok(results.first().is_some_and(|r| super::changes(r) == 1))
    }

    /// Puts one event (and a delivery per enabled endpoint) in the outbox.
    pub async fn insert_event(
        &self,
        tenant_id: &str,
        environment: &str,
        id: &str,
        kind: &str,
        body: &str,
        now: &str,
    ) -> Result<(), ApiError> {
        let event = self.stmt(
            "INSERT INTO events (id, tenant_id, environment, type, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[id.into(), tenant_id.into(), environment.into(), kind.into(), body.into(), now.into()],
        )?;
        let deliveries = self.stmt(
            "INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, next_attempt_ms, created_at) \
             SELECT ?1, w.id, w.tenant_id, w.environment, 'pending', 0, ?4 FROM webhook_endpoints w \
             WHERE w.tenant_id = ?2 AND w.environment = ?3 AND w.enabled = 1",
            &[id.into(), tenant_id.into(), environment.into(), now.into()],
        )?;
        self.batch("event", vec![event, deliveries])
            .await
            .map(drop)
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("event", "constraint"),
            })
    }

    pub async fn checkpoint_by_scope(
        &self,
        log_id: &str,
        scope: &str,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(select_checkpoint!(), "WHERE log_id = ?1 AND scope = ?2"),
            &[log_id.into(), scope.into()],
        )
        .await
    }

    /// A checkpoint by id or by root, within a tenant and environment.
    pub async fn checkpoint(
        &self,
        tenant_id: &str,
        environment: &str,
        id_or_root: &str,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(select_checkpoint!(), "WHERE (id = ?1 OR root = ?1) AND tenant_id = ?2 AND environment = ?3 ORDER BY size DESC LIMIT 1"),
            &[id_or_root.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// A checkpoint by root, any tenant (the public verify route: the root is the capability).
    pub async fn checkpoint_by_root(&self, root: &str) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE root = ?1 ORDER BY created_at LIMIT 1"
            ),
            &[root.into()],
        )
        .await
    }

    /// The log's latest checkpoint at or below `size`.
    pub async fn checkpoint_before(
        &self,
        log_id: &str,
        size: u64,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 AND size <= ?2 ORDER BY size DESC, created_at DESC LIMIT 1"
            ),
            &[log_id.into(), Arg::Big(size)],
        )
        .await
    }

    /// The smallest checkpoint of the log that contains entry `seq`.
    pub async fn checkpoint_covering(
        &self,
        log_id: &str,
        seq: u64,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 AND size > ?2 ORDER BY size, created_at LIMIT 1"
            ),
            &[log_id.into(), Arg::Big(seq)],
        )
        .await
    }

    /// The log's latest checkpoint.
    pub async fn latest_checkpoint(&self, log_id: &str) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 ORDER BY size DESC, created_at DESC LIMIT 1"
            ),
            &[log_id.into()],
        )
        .await
    }

    /// A page of a tenant's checkpoints, newest first.
    pub async fn checkpoints(
        &self,
        tenant_id: &str,
        environment: &str,
        f: &CheckpointFilter<'_>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CheckpointRow>, ApiError> {
        self.all(
            concat!(
                select_checkpoint!(),
                "WHERE tenant_id = ?1 AND environment = ?2 AND (?3 IS NULL OR log_id = ?3) \
                 AND (?4 IS NULL OR substr(scope, 1, length(?4)) = ?4) \
                 AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) \
                 ORDER BY created_at DESC, id LIMIT ?7 OFFSET ?8"
            ),
            &[
                tenant_id.into(),
                environment.into(),
                f.log_id.into(),
                f.scope_prefix.into(),
                f.from.into(),
                f.to.into(),
                Arg::Big(limit.into()),
                Arg::Big(offset),
            ],
        )
        .await
    }
}
