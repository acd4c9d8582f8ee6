//! Appending records to a log: the sequencer's arithmetic, without storage.
//!
//! Each pending record is checked (its stored item is canonical JCS, hashes to
//! its itemHash, and carries the amount that will be summed), then becomes an
//! [`Entry`] with the next sequence number and the running balance, and its
//! entryHash is appended to the tree. A record that fails a check is not
//! appended and gets a reason instead, so one bad row never blocks the log.

use crate::amount::Amount;
use crate::hash::Hash;
use crate::jcs;
use crate::merkle::tiles::{Frontier, FullTile};
use crate::record::{item_hash_canonical, Entry, MAX_SEQ};
use alloc::string::String;
use alloc::vec::Vec;

/// A log's head as stored: size, running balance, right edge of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHead {
    /// The running balance after the last entry.
    pub balance: Amount,
    /// The tree's right edge (its size is the log's size).
    pub frontier: Frontier,
}

/// A record waiting to be sequenced.
pub struct Pending<'a> {
    /// The JCS text of its item, as stored at acceptance.
    pub item: &'a str,
    /// Its itemHash, as stored at acceptance.
    pub item_hash: &'a str,
    /// Its amount (canonical text of `delta`, or `bits` for writes).
    pub amount: &'a str,
}

/// What became of one pending record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Appended as this entry, with this entryHash.
    Appended(Entry, Hash),
    /// Not appended, for this reason.
    Failed(String),
}

/// Why a record cannot be verified; stored as its failure reason.
fn check(p: &Pending<'_>) -> Result<(Hash, Amount), &'static str> {
    let stored: Hash = p
        .item_hash
        .parse()
        .map_err(|_| "stored itemHash is malformed")?;
    let in_item = item_amount(p.item)?;
    if !item_hash_canonical(p.item).ct_eq(&stored) {
        return Err("stored item does not hash to its itemHash");
    }
    let amount = Amount::parse(p.amount).map_err(|_| "stored amount is malformed")?;
    if in_item.as_deref() != Some(p.amount) {
        return Err("stored amount differs from the item's");
    }
    Ok((stored, amount))
}

/// The item's amount (`delta`, or `bits` for writes) once its text is known to be canonical:
/// read in place in the one pass that recognizes canonical text (what accept stores), else by
/// canonicalizing and parsing it — the general path, which gives the same answer.
fn item_amount(item: &str) -> Result<Option<alloc::borrow::Cow<'_, str>>, &'static str> {
    let (mut delta, mut bits) = (None, None);
    let recognized = jcs::is_canonical_object(item, |key, text| match key {
        "delta" => delta = Some(text),
        "bits" => bits = Some(text),
        _ => {}
    });
    if recognized {
        // As `value.get("delta").or_else(|| value.get("bits"))` below: a member that is there
        // but not a string is no amount.
        return Ok(delta.or(bits).flatten().map(alloc::borrow::Cow::Borrowed));
    }
    if jcs::canonicalize_text(item).as_deref() != Ok(item) {
        return Err("stored item is not canonical JSON");
    }
    let value: serde_json::Value =
        serde_json::from_str(item).map_err(|_| "stored item is not JSON")?;
    Ok(value
        .get("delta")
        .or_else(|| value.get("bits"))
        .and_then(|v| v.as_str())
        .map(|s| alloc::borrow::Cow::Owned(s.into())))
}

impl LogHead {
    /// An empty log.
    pub fn new() -> LogHead {
        LogHead {
            balance: Amount::ZERO,
            frontier: Frontier::new(),
        }
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Sequences `pending` in order; returns each outcome and the tiles that filled.
    pub fn append(&mut self, pending: &[Pending<'_>]) -> (Vec<Outcome>, Vec<FullTile>) {
        let mut outcomes = Vec::with_capacity(pending.len());
        let mut tiles = Vec::new();
        for p in pending {
            let checked = check(p).and_then(|(item_hash, amount)| {
                let balance = self.balance.checked_add(amount).ok_or("balance overflow")?;
                let seq = self.size();
                (seq <= MAX_SEQ).then_some(()).ok_or("log is full")?;
                Ok(Entry {
                    seq,
                    item_hash,
                    balance_after: balance,
                })
            });
            match checked.and_then(|e| e.entry_hash().map(|h| (e, h)).map_err(|_| "log is full")) {
                Ok((entry, hash)) => {
                    self.balance = entry.balance_after;
                    tiles.extend(self.frontier.append(hash));
                    outcomes.push(Outcome::Appended(entry, hash));
                }
                Err(reason) => outcomes.push(Outcome::Failed(reason.into())),
            }
        }
        (outcomes, tiles)
    }
}

impl Default for LogHead {
    fn default() -> Self {
        LogHead::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;
    use crate::record::{DeltaItem, Position};
    use alloc::string::ToString;

    fn item(i: u32, delta: &str) -> (String, String) {
        let d = DeltaItem {
            record_id: alloc::format!("rec_{i}"),
            position: Position { index: 0, count: 1 },
            received_at: "2026-04-01T00:00:00.000Z".into(),
            customer_reference: "0x0000000000000000000000000000000000000001".into(),
            customer_id: "c".into(),
            delta: Amount::parse(delta).unwrap(),
            reason: "r".into(),
            reference_id: None,
            metadata: None,
            adjusts: None,
            vendor_account_id: None,
        };
        let text = d.canonical().unwrap();
        let hash = item_hash_canonical(&text).to_hex();
        (text, hash)
    }

    #[test]
    fn appends_with_running_balances_and_skips_bad_rows() {
        let rows: Vec<(String, String, &str)> =
            [("1.5", "1.5"), ("-0.5", "-0.5"), ("2", "3"), ("4", "4")]
                .iter()
                .enumerate()
                .map(|(i, (d, stored))| {
                    let (t, h) = item(i as u32, d);
                    (t, h, *stored)
                })
                .collect();
        let mut pending: Vec<Pending<'_>> = rows
            .iter()
            .map(|(t, h, a)| Pending {
                item: t,
                item_hash: h,
                amount: a,
            })
            .collect();
        let tampered = rows[3].0.replace("\"4\"", "\"5\"");
        pending[3].item = &tampered;
        let mut head = LogHead::new();
        let (out, _) = head.append(&pending);
        assert!(
            matches!(&out[0], Outcome::Appended(e, _) if e.seq == 0 && e.balance_after.to_string() == "1.5")
        );
        assert!(
            matches!(&out[1], Outcome::Appended(e, _) if e.seq == 1 && e.balance_after.to_string() == "1")
        );
        assert_eq!(
            out[2],
            Outcome::Failed("stored amount differs from the item's".into())
        );
        assert_eq!(
            out[3],
            Outcome::Failed("stored item does not hash to its itemHash".into())
        );
        assert_eq!(head.size(), 2);
        let leaves: Vec<Hash> = out
            .iter()
            .filter_map(|o| match o {
                Outcome::Appended(_, h) => Some(*h),
                _ => None,
            })
            .collect();
        assert_eq!(head.root(), MemoryTree::new(leaves).root().root);
    }

    #[test]
    fn canonical_text_off_the_fast_path_is_checked_alike() {
        // A reason with a line break: canonical JCS escapes it, which the one-pass scan does
        // not recognize, so the general path reads the amount; it must append all the same.
        let mut d = serde_json::from_str::<serde_json::Value>(&item(0, "2").0).unwrap();
        d["reason"] = "line\nbreak".into();
        let escaped = crate::jcs::canonicalize(&d).unwrap();
        assert!(!crate::jcs::is_canonical(&escaped));
        let hash = item_hash_canonical(&escaped).to_hex();
        // Not canonical (a space after a colon), with a hash that matches its own bytes.
        let spaced = item(1, "3").0.replacen(":", ": ", 1);
        let spaced_hash = item_hash_canonical(&spaced).to_hex();
        let pending = [
            Pending {
                item: &escaped,
                item_hash: &hash,
                amount: "2",
            },
            Pending {
                item: &spaced,
                item_hash: &spaced_hash,
                amount: "3",
            },
        ];
        let (out, _) = LogHead::new().append(&pending);
        assert!(matches!(&out[0], Outcome::Appended(e, _) if e.balance_after.to_string() == "2"));
        assert_eq!(
            out[1],
            Outcome::Failed("stored item is not canonical JSON".into())
        );
    }
}
