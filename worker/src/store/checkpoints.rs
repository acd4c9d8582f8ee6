//! Checkpoints: signed heads that close a period of a log.

use serde::Deserialize;

use super::{Arg, Store, WriteError};
use crate::api::ApiError;

#[derive(Deserialize, Clone)]
pub struct CheckpointRow {
    /// `chk_…`; empty for a checkpoint signed for a read and not stored (a custom range).
    pub id: String,
    pub log_id: String,
    pub tenant_id: String,
    pub environment: String,
    /// The period label: `YYYY-MM` or `start/end`.
    pub label: String,
    /// The resolved scope `[start_ms, end_ms)`, `end_ms` clamped to the time it was made.
    pub start_ms: u64,
    pub end_ms: u64,
    /// 1 when the label is a month that had ended: the checkpoint closes its period.
    pub closed: u8,
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
        "SELECT id, log_id, tenant_id, environment, label, start_ms, end_ms, closed, start_size, size, root, opening, closing, \
         count, note, key_id, previous_id, previous_size, previous_root, consistency_proof, created_at FROM checkpoints "
    };
}

#[derive(Deserialize)]
pub struct TreeHeadRow {
    pub log_id: String,
    pub size: u64,
}

/// Filters of the checkpoint list.
pub struct CheckpointFilter<'a> {
    pub log_id: Option<&'a str>,
    pub label_prefix: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

#[derive(Deserialize)]
struct Candidate {
    id: String,
    needs: u8,
}

impl Store {
    /// Customer logs with entries stamped in `[start, end)` or records still waiting, at most
    /// `limit`: first those with no checkpoint yet for this label at the size the scope's end
    /// gives them now, then the others, each group in customer order. Returns `(log id, needs
    /// a checkpoint)`, so a checkpointed log moves back and repeated calls advance.
    pub async fn logs_to_checkpoint(
        &self,
        tenant_id: &str,
        environment: &str,
        vendor_account_id: Option<&str>,
        (label, start_ms, end_ms): (&str, u64, u64),
        limit: u32,
    ) -> Result<Vec<(String, bool)>, ApiError> {
        let rows: Vec<Candidate> = self
            .all(
                "SELECT l.id, NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.log_id = l.id AND c.label = ?4 AND c.size = \
                       COALESCE((SELECT t.size FROM log_stamps t WHERE t.log_id = l.id \
                                 AND t.stamp_ms < CAST(?6 AS INTEGER) \
                                 ORDER BY t.stamp_ms DESC, t.size DESC LIMIT 1), 0)) AS needs \
                 FROM logs l \
                 WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' \
                   AND (?3 IS NULL OR l.vendor_account_id = ?3) \
                   AND (EXISTS (SELECT 1 FROM log_stamps t WHERE t.log_id = l.id \
                                AND t.stamp_ms >= CAST(?5 AS INTEGER) AND t.stamp_ms < CAST(?6 AS INTEGER)) \
                        OR l.records_total > l.size + l.records_failed) \
                 ORDER BY needs DESC, l.subject_id, l.id LIMIT ?7",
                &[
                    tenant_id.into(),
                    environment.into(),
                    vendor_account_id.into(),
                    label.into(),
                    Arg::Big(start_ms),
                    Arg::Big(end_ms),
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
            "INSERT INTO checkpoints (id, log_id, tenant_id, environment, label, start_size, size, root, opening, closing, count, \
             note, key_id, previous_id, previous_size, previous_root, consistency_proof, created_at, start_ms, end_ms, closed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) \
             ON CONFLICT (log_id, label, size) DO NOTHING",
            &[
                (&c.id).into(),
                (&c.log_id).into(),
                (&c.tenant_id).into(),
                (&c.environment).into(),
                (&c.label).into(),
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
                Arg::Big(c.start_ms),
                Arg::Big(c.end_ms),
                Arg::Int(c.closed.into()),
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

    /// Puts the `receipt.generated` event of a checkpoint in the outbox unless it is there
    /// already: the checkpoint remembers its event, so reads cannot repeat it. True if new.
    pub async fn insert_receipt_event(
        &self,
        c: &CheckpointRow,
        event_id: &str,
        body: &str,
        now: &str,
    ) -> Result<bool, ApiError> {
        let batch = vec![
            self.stmt(
                "UPDATE checkpoints SET receipt_event_id = ?2 WHERE id = ?1 AND receipt_event_id IS NULL",
                &[(&c.id).into(), event_id.into()],
            )?,
            self.stmt(
                "INSERT INTO events (id, tenant_id, environment, type, body, created_at) SELECT ?2, ?3, ?4, 'receipt.generated', ?5, ?6 \
                 WHERE EXISTS (SELECT 1 FROM checkpoints WHERE id = ?1 AND receipt_event_id = ?2)",
                &[(&c.id).into(), event_id.into(), (&c.tenant_id).into(), (&c.environment).into(), body.into(), now.into()],
            )?,
            self.stmt(
                "INSERT INTO deliveries (event_id, endpoint_id, tenant_id, environment, state, next_attempt_ms, created_at) \
                 SELECT ?1, w.id, w.tenant_id, w.environment, 'pending', 0, ?4 FROM webhook_endpoints w \
                 WHERE w.tenant_id = ?2 AND w.environment = ?3 AND w.enabled = 1 AND EXISTS (SELECT 1 FROM events WHERE id = ?1)",
                &[event_id.into(), (&c.tenant_id).into(), (&c.environment).into(), now.into()],
            )?,
        ];
        let results = self
            .batch("receipt event", batch)
            .await
            .map_err(|e| match e {
                WriteError::Other(e) => e,
                _ => ApiError::internal("receipt event", "constraint"),
            })?;
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

    /// The checkpoint of a log for a label at a size (there is at most one).
    pub async fn checkpoint_by_label(
        &self,
        log_id: &str,
        label: &str,
        size: u64,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 AND label = ?2 AND size = ?3"
            ),
            &[log_id.into(), label.into(), Arg::Big(size)],
        )
        .await
    }

    /// The checkpoint that closed month `label` of a log, if one is stored.
    pub async fn closed_checkpoint(
        &self,
        log_id: &str,
        label: &str,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 AND label = ?2 AND closed = 1 ORDER BY size DESC LIMIT 1"
            ),
            &[log_id.into(), label.into()],
        )
        .await
    }

    /// A checkpoint of one log by id.
    pub async fn log_checkpoint(
        &self,
        log_id: &str,
        id: &str,
    ) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(select_checkpoint!(), "WHERE id = ?1 AND log_id = ?2"),
            &[id.into(), log_id.into()],
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
    /// Size 0 never matches: the empty tree's root is every log's, so it names no one.
    pub async fn checkpoint_by_root(&self, root: &str) -> Result<Option<CheckpointRow>, ApiError> {
        self.first(
            concat!(
                select_checkpoint!(),
                "WHERE root = ?1 AND size > 0 ORDER BY created_at LIMIT 1"
            ),
            &[root.into()],
        )
        .await
    }

    /// Registers a root handed out without a stored checkpoint (one row per log size).
    pub async fn insert_tree_head(
        &self,
        root: &str,
        log_id: &str,
        size: u64,
        now: &str,
    ) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO tree_heads (root, log_id, size, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            &[root.into(), log_id.into(), Arg::Big(size), now.into()],
        )
        .await
        .map(drop)
    }

    /// The log and size a handed-out root names, any tenant (the root is the capability).
    pub async fn tree_head(&self, root: &str) -> Result<Option<TreeHeadRow>, ApiError> {
        self.first(
            "SELECT log_id, size FROM tree_heads WHERE root = ?1 AND size > 0",
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
                 AND (?4 IS NULL OR substr(label, 1, length(?4)) = ?4) \
                 AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) \
                 ORDER BY created_at DESC, id LIMIT ?7 OFFSET ?8"
            ),
            &[
                tenant_id.into(),
                environment.into(),
                f.log_id.into(),
                f.label_prefix.into(),
                f.from.into(),
                f.to.into(),
                Arg::Big(limit.into()),
                Arg::Big(offset),
            ],
        )
        .await
    }
}

/// A customer and its closing checkpoint of a period, if it has one (the batch export).
#[derive(Deserialize)]
pub struct BatchRow {
    pub log_id: String,
    pub subject_id: String,
    pub vendor_account_id: Option<String>,
    pub checkpoint_id: Option<String>,
    pub root: Option<String>,
    pub size: Option<u64>,
    pub start_size: Option<u64>,
    pub count: Option<u64>,
    pub opening: Option<String>,
    pub closing: Option<String>,
    pub key_id: Option<String>,
    pub created_at: Option<String>,
}

impl Store {
    /// Every checkpoint of a log labelled `label`, largest first. (log_id, label, size) is
    /// unique, so its index gives the order and the read stops at `limit`.
    pub async fn label_checkpoints(
        &self,
        log_id: &str,
        label: &str,
        limit: u32,
    ) -> Result<Vec<CheckpointRow>, ApiError> {
        self.all(
            concat!(
                select_checkpoint!(),
                "WHERE log_id = ?1 AND label = ?2 ORDER BY size DESC LIMIT ?3"
            ),
            &[log_id.into(), label.into(), Arg::Big(limit.into())],
        )
        .await
    }

    /// A page of a tenant's customers after `after` (a log id), each with its closing
    /// checkpoint of `label` when there is one: one query per page, however many customers.
    pub async fn batch_checkpoints(
        &self,
        tenant_id: &str,
        environment: &str,
        label: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<BatchRow>, ApiError> {
        self.all(
            "SELECT l.id AS log_id, l.subject_id, l.vendor_account_id, c.id AS checkpoint_id, c.root, c.size, c.start_size, \
             c.count, c.opening, c.closing, c.key_id, c.created_at \
             FROM logs l LEFT JOIN checkpoints c ON c.id = (SELECT c2.id FROM checkpoints c2 \
               WHERE c2.log_id = l.id AND c2.closed = 1 AND c2.label = ?3 ORDER BY c2.size DESC LIMIT 1) \
             WHERE l.tenant_id = ?1 AND l.environment = ?2 AND l.kind = 'customer' AND l.id > ?4 \
             ORDER BY l.id LIMIT ?5",
            &[tenant_id.into(), environment.into(), label.into(), after.into(), Arg::Big(limit.into())],
        )
        .await
    }
}

/// A verification package's parameters (the package is rebuilt from them).
#[derive(Deserialize)]
pub struct VerificationPackageRow {
    pub id: String,
    pub tenant_id: String,
    pub environment: String,
    pub log_id: String,
    pub checkpoint_id: String,
    pub requested: u64,
    pub created_at: String,
}

impl Store {
    /// Records a package's parameters once; returns the stored row (the first one made for
    /// the same log, checkpoint and size, so a repeated request shares one link).
    pub async fn put_verification_package(
        &self,
        row: &VerificationPackageRow,
        user: Option<&str>,
    ) -> Result<VerificationPackageRow, ApiError> {
        self.run(
            "INSERT INTO verification_packages (id, tenant_id, environment, log_id, checkpoint_id, requested, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (log_id, checkpoint_id, requested) DO NOTHING",
            &[
                (&row.id).into(),
                (&row.tenant_id).into(),
                (&row.environment).into(),
                (&row.log_id).into(),
                (&row.checkpoint_id).into(),
                Arg::Big(row.requested),
                user.into(),
                (&row.created_at).into(),
            ],
        )
        .await?;
        self.first(
            "SELECT id, tenant_id, environment, log_id, checkpoint_id, requested, created_at FROM verification_packages \
             WHERE log_id = ?1 AND checkpoint_id = ?2 AND requested = ?3",
            &[(&row.log_id).into(), (&row.checkpoint_id).into(), Arg::Big(row.requested)],
        )
        .await?
        .ok_or_else(|| ApiError::internal("verification package", "vanished"))
    }

    pub async fn verification_package(
        &self,
        id: &str,
    ) -> Result<Option<VerificationPackageRow>, ApiError> {
        self.first(
            "SELECT id, tenant_id, environment, log_id, checkpoint_id, requested, created_at FROM verification_packages WHERE id = ?1",
            &[id.into()],
        )
        .await
    }
}
