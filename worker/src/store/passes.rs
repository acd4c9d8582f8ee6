//! A record's entry, read from the pass that sequenced it (migration 0014): sequencing writes
//! one `log_passes` row per log and pass, never the record's own row.
//!
//! A pass covers the log positions `[first_pos, end_pos)`, and passes follow each other along
//! the log, so the record at position `p` is covered by the first pass ending after `p`, if
//! that pass starts at or before `p`: one primary-key seek, whatever the log's length.
//! Records sequenced before 0014 carry their own columns (`records.seq` and the rest), which
//! win when set.
//!
//! Since 0015 a pass's element also carries the record ([`entries`]), so reading a log's
//! entries reads its passes alone: a row per pass, not two per record. 0015 gave the passes
//! before it the same content, and the records sequenced before 0014 passes of their own
//! (each element with its own stamp); 0016 added the record's submission, index and kind.
//!
//! An element: `[seq, entryHash, balanceAfter, creditsUnits, creditsNanos, id, item, itemHash,
//! receivedAt, amount, reason, referenceId, submissionId, idx, kind]`, then `stampMs,
//! verifiedAt` where they differ from the pass's (passes built from record rows), or null
//! for a FAILED record.

use serde::Deserialize;

use super::tree::PackageEntry;
use crate::api::ApiError;

/// `$expr` of the pass covering the record `r` (as `q`), or NULL where none covers it: the
/// first pass ending after the record's position, if it starts at or before it.
macro_rules! covering_pass {
    ($expr:literal) => {
        concat!(
            "(SELECT CASE WHEN q.first_pos <= r.log_pos THEN ",
            $expr,
            " END FROM log_passes q WHERE q.log_id = r.log_id AND q.end_pos > r.log_pos \
             ORDER BY q.end_pos LIMIT 1)"
        )
    };
}

/// The entry of the record `r` as its pass stored it, `[stamp_ms, verified_at, entry]` (the
/// entry null when the record FAILED), or NULL: not sequenced yet, or sequenced before 0014.
macro_rules! pass_of {
    () => {
        concat!(
            "CASE WHEN r.seq IS NULL AND r.failed_reason IS NULL THEN ",
            $crate::store::passes::covering_pass!(
                "json_array(COALESCE(q.entries -> (r.log_pos - q.first_pos) ->> 15, q.stamp_ms), \
                   COALESCE(q.entries -> (r.log_pos - q.first_pos) ->> 16, q.verified_at), \
                   q.entries -> (r.log_pos - q.first_pos))"
            ),
            " END"
        )
    };
}
pub(crate) use {covering_pass, pass_of};

/// Most log positions one pass covers: the sequencer takes at most this many records a pass,
/// and 0015 cut the records sequenced before 0014 into passes of at most this many.
pub const MAX_PASS_SPAN: u32 = 200;

/// The passes of the log `?1` covering any log position in `[$from, $to)`: passes follow each
/// other along the log, so they end after `$from` and at the latest where the pass covering
/// `$to - 1` ends (one seek; none covers it when the range runs past what is sequenced).
/// Rows read are exactly those passes, whatever the log's length.
macro_rules! passes_over {
    ($from:literal, $to:literal) => {
        concat!(
            " q.log_id = ?1 AND q.end_pos > ",
            $from,
            " AND q.end_pos <= COALESCE((SELECT b.end_pos FROM log_passes b WHERE b.log_id = ?1 AND b.end_pos >= ",
            $to,
            " ORDER BY b.end_pos LIMIT 1), 9223372036854775807) "
        )
    };
}

/// `SELECT` of [`PassRow`] from `log_passes q`, before its `WHERE`.
macro_rules! select_passes {
    () => {
        "SELECT q.first_pos, q.stamp_ms, q.verified_at, q.entries FROM log_passes q "
    };
}
pub(crate) use {passes_over, select_passes};

/// A pass row as the entry reads take it: whole, since D1 counts every element `json_each`
/// visits as a row read, and a pass is one. Selected by [`select_passes!`].
#[derive(Deserialize)]
pub struct PassRow {
    first_pos: u64,
    stamp_ms: u64,
    verified_at: String,
    entries: String,
}

/// A pass element in the layout above (0016's; `submissionId, idx, kind` are missing only
/// from passes 0016 did not yet rewrite, which reads never see).
#[derive(Deserialize)]
struct Element(
    u64,
    String,
    String,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    u32,
    String,
    #[serde(default)] Option<u64>,
    #[serde(default)] Option<String>,
);

fn elements(text: &str) -> Result<Vec<Option<Element>>, serde_json::Error> {
    serde_json::from_str(text)
}

/// A record as accepted, as its pass element keeps it beside the entry.
pub struct RecordContent {
    pub id: String,
    pub item: String,
    pub item_hash: String,
    pub received_at: String,
    pub amount: String,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    pub submission_id: String,
    pub idx: u32,
    pub kind: String,
}

/// A sequenced record as its pass keeps it.
pub struct PassEntry {
    pub record: RecordContent,
    pub seq: u64,
    pub entry_hash: String,
    pub balance_after: String,
    pub credits_units: i64,
    pub credits_nanos: i64,
    /// Its position in the log (acceptance order).
    pub pos: u64,
    pub stamp_ms: u64,
    pub verified_at: String,
}

/// The entries of `passes` (in log order) that `keep` accepts by `(seq, position)`, in `seq`
/// order: `skip` of them left out, then at most `limit`.
pub fn entries(
    passes: Vec<PassRow>,
    keep: impl Fn(u64, u64) -> bool,
    mut skip: usize,
    limit: usize,
) -> Result<Vec<PassEntry>, ApiError> {
    let mut out = Vec::new();
    for p in passes {
        let elements = elements(&p.entries).map_err(|e| ApiError::internal("log pass", e))?;
        for (pos, el) in (p.first_pos..).zip(elements) {
            let Some(Element(
                seq,
                eh,
                ba,
                cu,
                cn,
                id,
                item,
                ih,
                at,
                amount,
                reason,
                reference,
                sub,
                idx,
                kind,
                stamp,
                verified,
            )) = el
            else {
                continue; // a FAILED record
            };
            if out.len() == limit {
                return Ok(out);
            }
            if !keep(seq, pos) {
                continue;
            }
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push(PassEntry {
                record: RecordContent {
                    id,
                    item,
                    item_hash: ih,
                    received_at: at,
                    amount,
                    reason,
                    reference_id: reference,
                    submission_id: sub,
                    idx,
                    kind,
                },
                seq,
                entry_hash: eh,
                balance_after: ba,
                credits_units: cu,
                credits_nanos: cn,
                pos,
                stamp_ms: stamp.unwrap_or(p.stamp_ms),
                verified_at: verified.unwrap_or_else(|| p.verified_at.clone()),
            });
        }
    }
    Ok(out)
}

impl From<PassEntry> for PackageEntry {
    fn from(e: PassEntry) -> Self {
        let r = e.record;
        PackageEntry {
            seq: e.seq,
            id: r.id,
            item: r.item,
            item_hash: r.item_hash,
            balance_after: e.balance_after,
            entry_hash: e.entry_hash,
            received_at: r.received_at,
            amount: r.amount,
            reason: r.reason,
            reference_id: r.reference_id,
        }
    }
}

/// What a pass computed for one record.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub entry_hash: String,
    pub balance_after: String,
    pub credits_units: i64,
    pub credits_nanos: i64,
    pub stamp_ms: u64,
    pub verified_at: String,
}

/// `[stamp_ms, verified_at, element]`; the element's content (index 5 on) is read elsewhere.
#[derive(Deserialize)]
struct Stored(u64, String, Option<Vec<serde_json::Value>>);

fn field<T: serde::de::DeserializeOwned>(
    e: &[serde_json::Value],
    i: usize,
) -> Result<T, serde_json::Error> {
    T::deserialize(e.get(i).unwrap_or(&serde_json::Value::Null))
}

/// Decodes [`pass_of!`]'s column: `None` when there is no entry (NULL, or a FAILED record).
pub fn entry(pass: Option<&str>) -> Result<Option<Entry>, ApiError> {
    pass.map_or(Ok(None), decode)
        .map_err(|e| ApiError::internal("log pass", e))
}

fn decode(text: &str) -> Result<Option<Entry>, serde_json::Error> {
    let Stored(stamp_ms, verified_at, entry) = serde_json::from_str(text)?;
    entry
        .map(|e| {
            Ok(Entry {
                seq: field(&e, 0)?,
                entry_hash: field(&e, 1)?,
                balance_after: field(&e, 2)?,
                credits_units: field(&e, 3)?,
                credits_nanos: field(&e, 4)?,
                stamp_ms,
                verified_at,
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_an_entry_a_failure_and_nothing() {
        let e =
            decode(r#"[1700000000000,"2026-12-04T00:00:00.000Z",[7,"0xab","-1.5",3,500000000]]"#)
                .unwrap()
                .unwrap();
        assert_eq!(
            (
                e.seq,
                e.balance_after.as_str(),
                e.credits_units,
                e.credits_nanos
            ),
            (7, "-1.5", 3, 500_000_000)
        );
        assert_eq!(
            (e.stamp_ms, e.entry_hash.as_str()),
            (1_700_000_000_000, "0xab")
        );
        assert_eq!(decode(r#"[1,"t",null]"#).unwrap(), None);
        // Content after the entry (0015) is read elsewhere, and a short element is an error.
        let full = r#"[5,"v",[1,"0xcd","2",2,0,"rec_1","{}","0x01","t0","2",null,"ref"]]"#;
        assert_eq!(decode(full).unwrap().unwrap().seq, 1);
        assert!(decode(r#"[5,"v",[1,"0xcd"]]"#).is_err());
        assert_eq!(entry(None).unwrap(), None);
        assert!(decode("[1,").is_err());
    }

    fn pass(first_pos: u64, entries: &str) -> PassRow {
        PassRow {
            first_pos,
            stamp_ms: 5,
            verified_at: "v5".into(),
            entries: entries.into(),
        }
    }

    fn el(seq: u64) -> String {
        format!(
            r#"[{seq},"0xe{seq}","{seq}",{seq},0,"rec_{seq}","{{}}","0x{seq}","t","1",null,"r{seq}","anc_1",{seq},"delta"]"#
        )
    }

    #[test]
    fn entries_skip_failures_keep_the_range_offset_and_limit() {
        // Elements built from record rows carry their own stamp and time.
        let legacy =
            r#"[0,"0xe0","0",0,0,"rec_0","{}","0x0","t","1","why",null,"anc_0",0,"delta",7,"v7"]"#;
        let passes = || {
            vec![
                pass(10, &format!("[{legacy},null,{}]", el(1))),
                pass(13, &format!("[{},{}]", el(2), el(3))),
            ]
        };
        let got = entries(passes(), |s, _| s >= 1, 0, 2).unwrap();
        assert_eq!(
            got.iter().map(|e| (e.seq, e.pos)).collect::<Vec<_>>(),
            [(1, 12), (2, 13)]
        );
        assert_eq!(
            (
                got[1].record.id.as_str(),
                got[1].record.reference_id.as_deref(),
                got[1].stamp_ms,
                got[1].verified_at.as_str()
            ),
            ("rec_2", Some("r2"), 5, "v5")
        );
        let skipped = entries(passes(), |_, _| true, 2, 9).unwrap();
        assert_eq!(skipped.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        let first = entries(passes(), |_, _| true, 0, 1).unwrap();
        assert_eq!(
            (
                first[0].record.reason.as_deref(),
                first[0].stamp_ms,
                first[0].verified_at.as_str(),
                first[0].record.submission_id.as_str()
            ),
            (Some("why"), 7, "v7", "anc_0")
        );
        let pkg = PackageEntry::from(entries(passes(), |_, p| p == 14, 0, 9).unwrap().remove(0));
        assert_eq!((pkg.seq, pkg.item_hash.as_str()), (3, "0x3"));
        assert!(elements("[[1]]").is_err());
        assert!(elements(&format!("[{},7]", el(1))).is_err());
    }
}
