//! Reads for proofs: a log's head, tiles, entries by sequence number, period boundaries.

use serde::Deserialize;
use std::collections::HashMap;
use vericord_core::merkle::tiles::TileId;

use super::logs::bytes;
use super::passes::{self, passes_over, select_passes};
use super::records::{EntryLog, RootRow};
use super::{select_record, Arg, LogRow, RecordRow, Store};
use crate::api::ApiError;

#[derive(Deserialize)]
struct TileRow {
    level: u8,
    idx: u64,
    #[serde(deserialize_with = "bytes")]
    hashes: Vec<u8>,
}

/// One entry as a close package and the exports show it.
#[derive(Deserialize)]
pub struct PackageEntry {
    pub seq: u64,
    pub id: String,
    /// The item's canonical JCS text, exactly as hashed.
    pub item: String,
    pub item_hash: String,
    pub balance_after: String,
    pub entry_hash: String,
    pub received_at: String,
    pub amount: String,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
}

#[derive(Deserialize)]
struct SizeRow {
    size: u64,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

impl Store {
    /// A log's head by id, within a tenant and environment.
    pub async fn log_head(
        &self,
        tenant_id: &str,
        environment: &str,
        log_id: &str,
    ) -> Result<Option<LogRow>, ApiError> {
        self.first(
            "SELECT id, tenant_id, environment, subject_id, vendor_account_id, size, balance, frontier, \
             records_total, records_failed, credits_units, credits_nanos \
             FROM logs WHERE id = ?1 AND tenant_id = ?2 AND environment = ?3",
            &[log_id.into(), tenant_id.into(), environment.into()],
        )
        .await
    }

    /// A log's head by id alone, for the public verify route (the root it came from is the
    /// capability).
    pub async fn log_head_any(&self, log_id: &str) -> Result<Option<LogRow>, ApiError> {
        self.first(
            "SELECT id, tenant_id, environment, subject_id, vendor_account_id, size, balance, frontier, \
             records_total, records_failed, credits_units, credits_nanos FROM logs WHERE id = ?1",
            &[log_id.into()],
        )
        .await
    }

    /// Full tiles by id: one primary-key lookup per tile, sent as one batch (one
    /// round trip), so D1 reads exactly one row per tile.
    pub async fn tiles(
        &self,
        log_id: &str,
        ids: &[TileId],
    ) -> Result<Vec<(TileId, Vec<u8>)>, ApiError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let statements = ids
            .iter()
            .map(|t| {
                self.stmt(
                    "SELECT level, idx, hashes FROM tiles WHERE log_id = ?1 AND level = ?2 AND idx = ?3",
                    &[log_id.into(), Arg::Int(t.level.into()), Arg::Big(t.index)],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows: Vec<TileRow> = Vec::with_capacity(ids.len());
        for result in self.read_batch(statements).await? {
            rows.extend(
                result
                    .results::<TileRow>()
                    .map_err(|e| ApiError::internal("decode tiles", e))?,
            );
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    TileId {
                        level: r.level,
                        index: r.idx,
                    },
                    r.hashes,
                )
            })
            .collect())
    }

    /// Entries stamped before `ms`: one past the sequence number of the last of them, or 0.
    /// Stamps never decrease along `seq`, so these are a prefix of the log (docs/SPEC.md §11).
    pub async fn size_before(&self, log_id: &str, ms: u64) -> Result<u64, ApiError> {
        // One row per pass (log_stamps), not per entry.
        let row: Option<SizeRow> = self
            .first(
                "SELECT size FROM log_stamps WHERE log_id = ?1 AND stamp_ms < CAST(?2 AS INTEGER) \
                 ORDER BY stamp_ms DESC, size DESC LIMIT 1",
                &[log_id.into(), Arg::Big(ms)],
            )
            .await?;
        Ok(row.map_or(0, |r| r.size))
    }

    /// Raises the log's stamp floor to `ms`: every entry sequenced from now on is stamped at or
    /// after it, so the entries before `ms` are final (a checkpoint's scope end).
    pub async fn raise_stamp_floor(&self, log_id: &str, ms: u64) -> Result<(), ApiError> {
        self.run(
            "UPDATE logs SET stamp_ms = MAX(stamp_ms, CAST(?2 AS INTEGER)) WHERE id = ?1",
            &[log_id.into(), Arg::Big(ms)],
        )
        .await
        .map(drop)
    }

    /// Records received before `time` that are not sequenced yet.
    pub async fn pending_before(&self, log_id: &str, time: &str) -> Result<u64, ApiError> {
        let row: Option<Count> = self
            .first(
                // Only the log's unsequenced positions are read: this never scans the log.
                "SELECT COUNT(*) AS n FROM logs l JOIN records r INDEXED BY records_log_pos \
                   ON r.log_id = l.id AND r.log_pos >= l.size + l.records_failed \
                 WHERE l.id = ?1 AND r.received_at < ?2 AND r.seq IS NULL AND r.failed_reason IS NULL",
                &[log_id.into(), time.into()],
            )
            .await?;
        Ok(row.map_or(0, |c| c.n))
    }

    /// The entry with sequence number `seq`.
    pub async fn entry(&self, log_id: &str, seq: u64) -> Result<Option<RecordRow>, ApiError> {
        Ok(self
            .entries(log_id, seq, seq.saturating_add(1), 1, 0)
            .await?
            .pop())
    }

    /// Entries `from..to` in sequence order, paged: from their passes (a row per pass), the
    /// log's row and their submissions' roots (a row per submission).
    pub async fn entries(
        &self,
        log_id: &str,
        from: u64,
        to: u64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let to = to.min(from.saturating_add(offset).saturating_add(limit.into()));
        let Some(log) = self.entry_log(log_id).await? else {
            return Ok(Vec::new());
        };
        let passes = self.passes_over(log_id, from, to).await?;
        let found = passes::entries(passes, |s, _| (from..to).contains(&s), skip, limit as usize)?;
        self.sequenced_rows(log_id, &log, found).await
    }

    /// The records at log positions `lo..hi` in position order, whatever their state: the
    /// entries from their passes, the FAILED and pending ones from their rows.
    pub async fn records_in(
        &self,
        log_id: &str,
        lo: u64,
        hi: u64,
    ) -> Result<Vec<RecordRow>, ApiError> {
        let Some(log) = self.entry_log(log_id).await? else {
            return Ok(Vec::new());
        };
        let done = hi.min(log.sequenced);
        let passes = if lo < done {
            self.all(
                concat!(
                    select_passes!(),
                    "WHERE",
                    passes_over!("CAST(?2 AS INTEGER)", "CAST(?3 AS INTEGER)"),
                    "ORDER BY q.end_pos"
                ),
                &[log_id.into(), Arg::Big(lo), Arg::Big(done)],
            )
            .await?
        } else {
            Vec::new()
        };
        let found = passes::entries(passes, |_, p| (lo..done).contains(&p), 0, usize::MAX)?;
        // Records sequenced before 0014 have passes too (0015), so what is left is FAILED or
        // pending: their own rows.
        let rest: Vec<u64> = (lo..hi)
            .filter(|p| found.binary_search_by_key(p, |e| e.pos).is_err())
            .collect();
        let mut rows = self.sequenced_rows(log_id, &log, found).await?;
        if !rest.is_empty() {
            let list =
                serde_json::to_string(&rest).map_err(|e| ApiError::internal("positions", e))?;
            rows.extend(
                self.records(
                    concat!(
                        select_record!(),
                        "WHERE r.log_id = ?1 AND r.log_pos IN (SELECT value FROM json_each(?2))"
                    ),
                    &[log_id.into(), list.as_str().into()],
                )
                .await?,
            );
            rows.sort_by_key(|r| r.log_pos);
        }
        Ok(rows)
    }

    /// Entries as [`RecordRow`]s, with their log's row and their submissions' roots.
    async fn sequenced_rows(
        &self,
        log_id: &str,
        log: &EntryLog,
        found: Vec<passes::PassEntry>,
    ) -> Result<Vec<RecordRow>, ApiError> {
        // A page's entries come from few submissions; each is looked up once.
        let subs: Vec<&str> = found
            .iter()
            .map(|e| e.record.submission_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let roots = self.items_roots(&subs).await?;
        found
            .into_iter()
            .map(|e| {
                let root = roots
                    .get(e.record.submission_id.as_str())
                    .cloned()
                    .ok_or_else(|| {
                        ApiError::internal("entry", "an entry's submission is missing")
                    })?;
                Ok(RecordRow::sequenced(e, log_id, log, root))
            })
            .collect()
    }

    /// What a record read takes from the log's row.
    async fn entry_log(&self, log_id: &str) -> Result<Option<EntryLog>, ApiError> {
        self.first(
            "SELECT subject_id, vendor_account_id, lease_until_ms, lease_upto, size + records_failed AS sequenced \
             FROM logs WHERE id = ?1",
            &[log_id.into()],
        )
        .await
    }

    /// The passes that may hold entries `from..to`: an entry's position is its seq plus at
    /// most the log's FAILED records.
    async fn passes_over(
        &self,
        log_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<passes::PassRow>, ApiError> {
        self.all(
            concat!(
                select_passes!(),
                "WHERE",
                passes_over!(
                    "CAST(?2 AS INTEGER)",
                    "CAST(?3 AS INTEGER) + (SELECT f.records_failed FROM logs f WHERE f.id = ?1)"
                ),
                "ORDER BY q.end_pos"
            ),
            &[log_id.into(), Arg::Big(from), Arg::Big(to)],
        )
        .await
    }

    /// The items roots of these submissions, by id.
    async fn items_roots(&self, ids: &[&str]) -> Result<HashMap<String, String>, ApiError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = serde_json::to_string(ids).map_err(|e| ApiError::internal("ids", e))?;
        let rows: Vec<RootRow> = self
            .all(
                "SELECT id, items_root FROM submissions WHERE id IN (SELECT value FROM json_each(?1))",
                &[list.as_str().into()],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.items_root)).collect())
    }

    /// Entries `from..to` in sequence order with only what a close package or export shows,
    /// read from their passes alone: a row per pass, not per record (see `store::passes`).
    pub async fn package_entries(
        &self,
        log_id: &str,
        from: u64,
        to: u64,
        limit: u32,
    ) -> Result<Vec<PackageEntry>, ApiError> {
        // Only the first `limit` entries from `from` can be wanted.
        let to = to.min(from.saturating_add(limit.into()));
        let passes = self.passes_over(log_id, from, to).await?;
        Ok(
            passes::entries(passes, |s, _| (from..to).contains(&s), 0, limit as usize)?
                .into_iter()
                .map(PackageEntry::from)
                .collect(),
        )
    }

    /// Sequence numbers present in `from..to`, for locating gaps: those the log's passes hold,
    /// which is what every entry read reads.
    pub async fn entry_seqs(&self, log_id: &str, from: u64, to: u64) -> Result<Vec<u64>, ApiError> {
        let passes = self.passes_over(log_id, from, to).await?;
        Ok(
            passes::entries(passes, |s, _| (from..to).contains(&s), 0, usize::MAX)?
                .into_iter()
                .map(|e| e.seq)
                .collect(),
        )
    }
}

impl Store {
    /// The entries with these sequence numbers (a JSON array bound as one parameter), in
    /// sequence order: the passes covering each one's possible positions, each read once.
    pub async fn entries_at(
        &self,
        log_id: &str,
        seqs: &[u64],
    ) -> Result<Vec<PackageEntry>, ApiError> {
        let list = serde_json::to_string(seqs).map_err(|e| ApiError::internal("seqs", e))?;
        let passes = self
            .all(
                concat!(
                    "WITH j AS (SELECT DISTINCT CAST(value AS INTEGER) AS s FROM json_each(?2)), \
                       f AS (SELECT records_failed AS n FROM logs WHERE id = ?1) ",
                    select_passes!(),
                    "WHERE q.end_pos IN (SELECT q.end_pos FROM j, f, log_passes q WHERE",
                    passes_over!("j.s", "j.s + f.n + 1"),
                    ") AND q.log_id = ?1 ORDER BY q.end_pos"
                ),
                &[log_id.into(), list.as_str().into()],
            )
            .await?;
        let wanted: std::collections::HashSet<u64> = seqs.iter().copied().collect();
        Ok(
            passes::entries(passes, |s, _| wanted.contains(&s), 0, usize::MAX)?
                .into_iter()
                .map(PackageEntry::from)
                .collect(),
        )
    }
}
