//! Reads for proofs: a log's head, tiles, entries by sequence number, period boundaries.

use serde::Deserialize;
use vericord_core::merkle::tiles::TileId;

use super::logs::bytes;
use super::passes::{self, pass_of, seq_of};
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

/// FAILED records of the log `?1`: an entry's `log_pos` is its `seq` plus the FAILED records
/// before it (passes sequence in acceptance order), so at most this many more than its `seq`.
macro_rules! failed_in {
    () => {
        "(SELECT f.records_failed FROM logs f WHERE f.id = ?1)"
    };
}

/// The log `?1`'s positions sequenced or failed: every record below it is one or the other.
macro_rules! sequenced_in {
    () => {
        "(SELECT f.size + f.records_failed FROM logs f WHERE f.id = ?1)"
    };
}

/// The record `r` is an entry of the log `?1` whose `seq` is `$seq`. In a log without FAILED
/// records `seq` is `log_pos`, so only logs with failures look up the record's pass.
macro_rules! is_entry {
    ($seq:literal) => {
        concat!(
            " r.failed_reason IS NULL AND r.log_pos < ",
            sequenced_in!(),
            " AND (",
            failed_in!(),
            " = 0 OR ",
            seq_of!(),
            $seq,
            ") "
        )
    };
}

/// Entries `?2..?3` of the log `?1` as a range of `records_log_pos` (see [`failed_in!`]): rows
/// read are the entries and at most the log's FAILED records more.
macro_rules! seq_range {
    () => {
        concat!(
            " r.log_pos >= CAST(?2 AS INTEGER) AND r.log_pos < CAST(?3 AS INTEGER) + ",
            failed_in!(),
            " AND",
            is_entry!(" BETWEEN CAST(?2 AS INTEGER) AND CAST(?3 AS INTEGER) - 1")
        )
    };
}

/// One entry as [`PackageEntry`], before its pass fills it.
#[derive(Deserialize)]
struct StoredEntry {
    seq: Option<u64>,
    id: String,
    item: String,
    item_hash: String,
    balance_after: Option<String>,
    entry_hash: Option<String>,
    received_at: String,
    amount: String,
    reason: Option<String>,
    reference_id: Option<String>,
    pass: Option<String>,
}

impl TryFrom<StoredEntry> for PackageEntry {
    type Error = ApiError;

    fn try_from(s: StoredEntry) -> Result<Self, ApiError> {
        let e = passes::entry(s.pass.as_deref())?;
        let missing = || ApiError::internal("entry", "sequenced record without its entry");
        let (seq, balance_after, entry_hash) = match (s.seq, s.balance_after, s.entry_hash, e) {
            (Some(seq), Some(b), Some(h), _) => (seq, b, h),
            (_, _, _, Some(e)) => (e.seq, e.balance_after, e.entry_hash),
            _ => return Err(missing()),
        };
        Ok(PackageEntry {
            seq,
            id: s.id,
            item: s.item,
            item_hash: s.item_hash,
            balance_after,
            entry_hash,
            received_at: s.received_at,
            amount: s.amount,
            reason: s.reason,
            reference_id: s.reference_id,
        })
    }
}

/// `SELECT` of [`StoredEntry`] from `records r`.
macro_rules! select_entry {
    () => {
        concat!(
            "SELECT r.seq, r.id, r.item, r.item_hash, r.balance_after, r.entry_hash, r.received_at, r.amount, r.reason, \
             r.reference_id, ",
            pass_of!(),
            " AS pass "
        )
    };
}

#[derive(Deserialize)]
struct SizeRow {
    size: u64,
}

#[derive(Deserialize)]
struct SeqRow {
    seq: u64,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

impl Store {
    /// Rows of [`select_entry!`], their entries filled from their passes.
    async fn package_rows(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<PackageEntry>, ApiError> {
        self.all::<StoredEntry>(sql, args)
            .await?
            .into_iter()
            .map(PackageEntry::try_from)
            .collect()
    }

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
        self.record_first(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND r.log_pos >= CAST(?2 AS INTEGER) \
                 AND r.log_pos <= CAST(?2 AS INTEGER) + ",
                failed_in!(),
                " AND",
                is_entry!(" = CAST(?2 AS INTEGER)")
            ),
            &[log_id.into(), Arg::Big(seq)],
        )
        .await
    }

    /// Entries `from..to` in sequence order, paged.
    pub async fn entries(
        &self,
        log_id: &str,
        from: u64,
        to: u64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<RecordRow>, ApiError> {
        self.records(
            concat!(
                select_record!(),
                "WHERE r.log_id = ?1 AND",
                seq_range!(),
                "ORDER BY r.log_pos LIMIT ?4 OFFSET ?5"
            ),
            &[
                log_id.into(),
                Arg::Big(from),
                Arg::Big(to),
                Arg::Big(limit.into()),
                Arg::Big(offset),
            ],
        )
        .await
    }

    /// Entries `from..to` in sequence order with only what a close package or export shows:
    /// one record row each, no joins (a package reads one row per record).
    pub async fn package_entries(
        &self,
        log_id: &str,
        from: u64,
        to: u64,
        limit: u32,
    ) -> Result<Vec<PackageEntry>, ApiError> {
        self.package_rows(
            concat!(
                select_entry!(),
                "FROM records r INDEXED BY records_log_pos WHERE r.log_id = ?1 AND",
                seq_range!(),
                "ORDER BY r.log_pos LIMIT ?4"
            ),
            &[
                log_id.into(),
                Arg::Big(from),
                Arg::Big(to),
                Arg::Big(limit.into()),
            ],
        )
        .await
    }

    /// Number of entries in `from..to` (sequence numbers are dense, so gaps show as a shortfall).
    pub async fn entry_count(&self, log_id: &str, from: u64, to: u64) -> Result<u64, ApiError> {
        let row: Option<Count> = self
            .first(
                concat!(
                    "SELECT COUNT(*) AS n FROM records r INDEXED BY records_log_pos WHERE r.log_id = ?1 AND",
                    seq_range!()
                ),
                &[log_id.into(), Arg::Big(from), Arg::Big(to)],
            )
            .await?;
        Ok(row.map_or(0, |c| c.n))
    }

    /// Sequence numbers present in `from..to`, for locating gaps.
    pub async fn entry_seqs(&self, log_id: &str, from: u64, to: u64) -> Result<Vec<u64>, ApiError> {
        let rows: Vec<SeqRow> = self
            .all(
                concat!(
                    "SELECT CASE WHEN ",
                    failed_in!(),
                    " = 0 THEN r.log_pos ELSE ",
                    seq_of!(),
                    " END AS seq FROM records r INDEXED BY records_log_pos WHERE r.log_id = ?1 AND",
                    seq_range!(),
                    "ORDER BY r.log_pos"
                ),
                &[log_id.into(), Arg::Big(from), Arg::Big(to)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.seq).collect())
    }
}

impl Store {
    /// The entries with these sequence numbers (a JSON array bound as one parameter), in
    /// sequence order: one indexed lookup each.
    pub async fn entries_at(
        &self,
        log_id: &str,
        seqs: &[u64],
    ) -> Result<Vec<PackageEntry>, ApiError> {
        let list = serde_json::to_string(seqs).map_err(|e| ApiError::internal("seqs", e))?;
        self.package_rows(
            concat!(
                select_entry!(),
                "FROM (SELECT DISTINCT value FROM json_each(?2)) j \
                 JOIN records r INDEXED BY records_log_pos ON r.log_id = ?1 AND r.log_pos >= j.value \
                   AND r.log_pos <= j.value + ",
                failed_in!(),
                " AND",
                is_entry!(" = j.value"),
                "ORDER BY r.log_pos"
            ),
            &[log_id.into(), list.as_str().into()],
        )
        .await
    }
}
