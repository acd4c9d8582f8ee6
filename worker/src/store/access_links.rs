//! Shared Record links and the signals of what their buyers did (docs/ACCESS.md). Counters
//! change by conditional UPDATEs whose changed-row count or RETURNING row says what happened,
//! so concurrent isolates agree on every attempt.

use serde::{Deserialize, Serialize};

use super::{changes, Arg, Store, WriteError};
use crate::api::ApiError;

#[derive(Deserialize, Serialize, Clone)]
pub struct AccessLinkRow {
    pub handle: String,
    pub log_id: String,
    pub tenant_id: String,
    pub environment: String,
    pub policy: String,
    pub code_mac: String,
    pub code_epoch: u64,
    pub code_set_at: String,
    pub state: String,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub failures: u32,
    pub locks: u32,
    pub locked_until_ms: u64,
    pub step_up_ok: u64,
    pub step_up_failed: u64,
    pub views: u64,
    pub last_viewed_ms: u64,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

const COLUMNS: &str = "handle, log_id, tenant_id, environment, policy, code_mac, code_epoch, code_set_at, state, \
    replaces, replaced_by, failures, locks, locked_until_ms, step_up_ok, step_up_failed, views, last_viewed_ms, \
    created_at, revoked_at";

/// What a failed step-up did to the link.
#[derive(Deserialize)]
pub struct Failure {
    pub failures: u32,
    pub locks: u32,
    pub locked_until_ms: u64,
}

#[derive(Deserialize)]
pub struct SignalRow {
    pub period: String,
    pub signal: String,
    pub count: u64,
    pub first_ms: u64,
}

/// Consecutive failures that lock a link.
pub const FAILURES_TO_LOCK: u32 = 5;

impl Store {
    /// Inserts a new active link; false if the log already has one (the unique index).
    pub async fn insert_access_link(&self, l: &AccessLinkRow) -> Result<bool, ApiError> {
        let stmt = self.insert_link_stmt(l)?;
        match self.batch("insert access link", vec![stmt]).await {
            Ok(_) => Ok(true),
            Err(WriteError::Unique(_)) => Ok(false),
            Err(WriteError::Check) => Err(ApiError::internal("access link", "check")),
            Err(WriteError::Other(e)) => Err(e),
        }
    }

    fn insert_link_stmt(&self, l: &AccessLinkRow) -> Result<worker::D1PreparedStatement, ApiError> {
        self.stmt(
            "INSERT INTO access_links (handle, log_id, tenant_id, environment, policy, code_mac, code_set_at, state, replaces, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9)",
            &[
                (&l.handle).into(),
                (&l.log_id).into(),
                (&l.tenant_id).into(),
                (&l.environment).into(),
                (&l.policy).into(),
                (&l.code_mac).into(),
                (&l.code_set_at).into(),
                l.replaces.as_deref().into(),
                (&l.created_at).into(),
            ],
        )
    }

    /// Revokes `old` (if still active) and inserts its replacement, atomically; false if `old`
    /// was no longer the active link.
    pub async fn reissue_access_link(
        &self,
        old: &str,
        new: &AccessLinkRow,
        now: &str,
    ) -> Result<bool, ApiError> {
        let revoke = self.stmt(
            "UPDATE access_links SET state = 'revoked', revoked_at = ?2, replaced_by = ?3 WHERE handle = ?1 AND state = 'active'",
            &[old.into(), now.into(), (&new.handle).into()],
        )?;
        // Inserted only if the revoke just happened (the old row now names the new handle).
        let insert = self.stmt(
            "INSERT INTO access_links (handle, log_id, tenant_id, environment, policy, code_mac, code_set_at, state, replaces, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9 \
             WHERE EXISTS (SELECT 1 FROM access_links WHERE handle = ?8 AND replaced_by = ?1)",
            &[
                (&new.handle).into(),
                (&new.log_id).into(),
                (&new.tenant_id).into(),
                (&new.environment).into(),
                (&new.policy).into(),
                (&new.code_mac).into(),
                (&new.code_set_at).into(),
                old.into(),
                (&new.created_at).into(),
            ],
        )?;
        match self
            .batch("reissue access link", vec![revoke, insert])
            .await
        {
            Ok(results) => Ok(results.get(1).map(changes) == Some(1)),
            Err(WriteError::Other(e)) => Err(e),
            Err(_) => Ok(false),
        }
    }

    pub async fn access_link(&self, handle: &str) -> Result<Option<AccessLinkRow>, ApiError> {
        self.first(
            &format!("SELECT {COLUMNS} FROM access_links WHERE handle = ?1"),
            &[handle.into()],
        )
        .await
    }

    /// The log's active link, else its most recent one.
    pub async fn log_access_link(&self, log_id: &str) -> Result<Option<AccessLinkRow>, ApiError> {
        self.first(
            &format!(
                "SELECT {COLUMNS} FROM access_links WHERE log_id = ?1 \
                 ORDER BY state = 'active' DESC, created_at DESC, handle LIMIT 1"
            ),
            &[log_id.into()],
        )
        .await
    }

    /// The log's active link (by the partial unique index: one row at most).
    pub async fn active_access_link(
        &self,
        log_id: &str,
    ) -> Result<Option<AccessLinkRow>, ApiError> {
        self.first(
            &format!("SELECT {COLUMNS} FROM access_links WHERE log_id = ?1 AND state = 'active'"),
            &[log_id.into()],
        )
        .await
    }

    pub async fn set_link_policy(&self, handle: &str, policy: &str) -> Result<bool, ApiError> {
        Ok(self
            .run(
                "UPDATE access_links SET policy = ?2 WHERE handle = ?1 AND state = 'active'",
                &[handle.into(), policy.into()],
            )
            .await?
            == 1)
    }

    /// A new code: new MAC, next epoch (every session ends), counters of the lockout reset.
    pub async fn set_link_code(
        &self,
        handle: &str,
        mac: &str,
        now: &str,
    ) -> Result<bool, ApiError> {
        Ok(self
            .run(
                "UPDATE access_links SET code_mac = ?2, code_set_at = ?3, code_epoch = code_epoch + 1, \
                 failures = 0, locks = 0, locked_until_ms = 0 WHERE handle = ?1 AND state = 'active'",
                &[handle.into(), mac.into(), now.into()],
            )
            .await?
            == 1)
    }

    pub async fn revoke_link(&self, handle: &str, now: &str) -> Result<bool, ApiError> {
        Ok(self
            .run(
                "UPDATE access_links SET state = 'revoked', revoked_at = ?2 WHERE handle = ?1 AND state = 'active'",
                &[handle.into(), now.into()],
            )
            .await?
            == 1)
    }

    /// Counts a failed step-up unless the link is locked (None then); the
    /// [`FAILURES_TO_LOCK`]th consecutive failure locks it for `base_ms << locks` (capped).
    pub async fn step_up_failed(
        &self,
        handle: &str,
        now_ms: u64,
        base_ms: u64,
        max_ms: u64,
    ) -> Result<Option<Failure>, ApiError> {
        // SET expressions all see the row as it was: `failures + 1` is this attempt's count.
        self.first(
            "UPDATE access_links SET step_up_failed = step_up_failed + 1, \
               failures = CASE WHEN failures + 1 >= ?3 THEN 0 ELSE failures + 1 END, \
               locks = CASE WHEN failures + 1 >= ?3 THEN locks + 1 ELSE locks END, \
               locked_until_ms = CASE WHEN failures + 1 >= ?3 \
                 THEN CAST(?2 AS INTEGER) + MIN(CAST(?4 AS INTEGER) << MIN(locks, 20), CAST(?5 AS INTEGER)) \
                 ELSE locked_until_ms END \
             WHERE handle = ?1 AND state = 'active' AND locked_until_ms <= CAST(?2 AS INTEGER) \
             RETURNING failures, locks, locked_until_ms",
            &[
                handle.into(),
                Arg::Big(now_ms),
                Arg::Int(FAILURES_TO_LOCK as i32),
                Arg::Big(base_ms),
                Arg::Big(max_ms),
            ],
        )
        .await
    }

    /// Counts a successful step-up unless the link is locked or its code changed meanwhile.
    pub async fn step_up_succeeded(
        &self,
        handle: &str,
        epoch: u64,
        now_ms: u64,
    ) -> Result<bool, ApiError> {
        Ok(self
            .run(
                "UPDATE access_links SET step_up_ok = step_up_ok + 1, failures = 0, locks = 0 \
                 WHERE handle = ?1 AND state = 'active' AND code_epoch = CAST(?2 AS INTEGER) \
                 AND locked_until_ms <= CAST(?3 AS INTEGER)",
                &[handle.into(), Arg::Big(epoch), Arg::Big(now_ms)],
            )
            .await?
            == 1)
    }

    /// Notes a view; true if it starts a viewing session (none in the last `session_ms`). Only
    /// writes when the last view is older than `refresh_ms`, so a page's burst of requests
    /// costs one write.
    pub async fn note_view(
        &self,
        handle: &str,
        now_ms: u64,
        session_ms: u64,
        refresh_ms: u64,
    ) -> Result<bool, ApiError> {
        let start = self.stmt(
            "UPDATE access_links SET views = views + 1, last_viewed_ms = CAST(?2 AS INTEGER) \
             WHERE handle = ?1 AND last_viewed_ms + CAST(?3 AS INTEGER) <= CAST(?2 AS INTEGER)",
            &[handle.into(), Arg::Big(now_ms), Arg::Big(session_ms)],
        )?;
        // Within a session: keep it alive, at most one write per `refresh_ms`.
        let refresh = self.stmt(
            "UPDATE access_links SET last_viewed_ms = CAST(?2 AS INTEGER) \
             WHERE handle = ?1 AND last_viewed_ms + CAST(?3 AS INTEGER) <= CAST(?2 AS INTEGER)",
            &[handle.into(), Arg::Big(now_ms), Arg::Big(refresh_ms)],
        )?;
        match self.batch("note view", vec![start, refresh]).await {
            Ok(results) => Ok(results.first().map(changes) == Some(1)),
            Err(WriteError::Other(e)) => Err(e),
            Err(_) => Err(ApiError::internal("note view", "constraint")),
        }
    }

    /// Adds one to a log's signal for a period.
    pub async fn add_signal(
        &self,
        log_id: &str,
        period: &str,
        signal: &str,
        now_ms: u64,
    ) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO link_signals (log_id, period, signal, count, first_ms, last_ms) VALUES (?1, ?2, ?3, 1, ?4, ?4) \
             ON CONFLICT (log_id, period, signal) DO UPDATE SET count = count + 1, last_ms = excluded.last_ms",
            &[log_id.into(), period.into(), signal.into(), Arg::Big(now_ms)],
        )
        .await
        .map(drop)
    }

    /// A log's signals for some periods.
    pub async fn signals(
        &self,
        log_id: &str,
        periods: &[&str],
    ) -> Result<Vec<SignalRow>, ApiError> {
        let mut out = Vec::new();
        for p in periods {
            let mut rows: Vec<SignalRow> = self
                .all(
                    "SELECT period, signal, count, first_ms FROM link_signals WHERE log_id = ?1 AND period = ?2",
                    &[log_id.into(), (*p).into()],
                )
                .await?;
            out.append(&mut rows);
        }
        Ok(out)
    }
}
