//! A record's entry, read from the pass that sequenced it (migration 0014): sequencing writes
//! one `log_passes` row per log and pass, never the record's own row.
//!
//! A pass covers the log positions `[first_pos, end_pos)`, and passes follow each other along
//! the log, so the record at position `p` is covered by the first pass ending after `p`, if
//! that pass starts at or before `p`: one primary-key seek, whatever the log's length.
//! Records sequenced before 0014 carry their own columns (`records.seq` and the rest), which
//! win when set.

use serde::Deserialize;

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
                "json_array(q.stamp_ms, q.verified_at, q.entries -> (r.log_pos - q.first_pos))"
            ),
            " END"
        )
    };
}
pub(crate) use {covering_pass, pass_of};

/// The sequence number of the record `r` (NULL unless it is an entry), for `WHERE` clauses.
macro_rules! seq_of {
    () => {
        concat!(
            "COALESCE(r.seq, CASE WHEN r.failed_reason IS NULL THEN ",
            $crate::store::passes::covering_pass!("q.entries -> (r.log_pos - q.first_pos) ->> 0"),
            " END)"
        )
    };
}
pub(crate) use seq_of;

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

#[derive(Deserialize)]
struct Stored(u64, String, Option<(u64, String, String, i64, i64)>);

/// Decodes [`pass_of!`]'s column: `None` when there is no entry (NULL, or a FAILED record).
pub fn entry(pass: Option<&str>) -> Result<Option<Entry>, ApiError> {
    pass.map_or(Ok(None), decode)
        .map_err(|e| ApiError::internal("log pass", e))
}

fn decode(text: &str) -> Result<Option<Entry>, serde_json::Error> {
    let Stored(stamp_ms, verified_at, entry) = serde_json::from_str(text)?;
    Ok(entry.map(
        |(seq, entry_hash, balance_after, credits_units, credits_nanos)| Entry {
            seq,
            entry_hash,
            balance_after,
            credits_units,
            credits_nanos,
            stamp_ms,
            verified_at,
        },
    ))
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
        assert_eq!(entry(None).unwrap(), None);
        assert!(decode("[1,").is_err());
    }
}
