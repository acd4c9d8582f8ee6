//! The records pass: one walk over the records, one item canonicalized at a time, feeding every
//! `records.*` check, the running balance, the sums and the compact range.
//!
//! Each check tests one link with the record's own claimed values — item → `itemHash`,
//! (`seq`, `itemHash`, `balanceAfter`) → `entryHash`, entryHashes → root — while `records.seq`,
//! `records.balance` and `records.itemHash` tie the claimed values to the truth, so a single
//! change fails the check that names it.

use alloc::format;
use alloc::string::String;

use super::model::RecordView;
use super::steps::{canonical_amount, is_text_of};
use super::time::is_timestamp;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::jcs::{self, Tree};
use crate::merkle::CompactRange;
use crate::record::{item_hash_canonical, Entry};

const ENTRY_OK: &str = "every entryHash commits to (seq, itemHash, balanceAfter)";

/// What the records must agree with.
pub(crate) struct Expected<'x> {
    /// `range.start`: the first record's seq (the `range.start` check ties it to the notes).
    pub start: u64,
    /// The signed balance before the first record; `None` when no note verified.
    pub opening: Option<Amount>,
    pub customer_id: &'x str,
    pub customer_reference: &'x str,
    /// The vendor account every item must name, or `None`: items name none.
    pub vendor_account: Option<&'x str>,
    /// `[period.start, period.end)`, for close packages whose bounds are timestamps.
    pub period: Option<(&'x str, &'x str)>,
    /// The frontier, which the entry hashes extend.
    pub range: Option<Result<CompactRange, String>>,
}

/// The first failing record of one check.
#[derive(Default)]
struct First(Option<String>);

impl First {
    fn fail(&mut self, index: usize, seq: u64, why: impl FnOnce() -> String) {
        if self.0.is_none() {
            self.0 = Some(format!("records[{index}] (seq {seq}): {}", why()));
        }
    }

    fn outcome(self, passed: impl FnOnce() -> String) -> Result<String, String> {
        match self.0 {
            Some(why) => Err(why),
            None => Ok(passed()),
        }
    }
}

/// Outcomes of the `records.*` checks and what later checks need.
pub(crate) struct Outcome {
    pub count: usize,
    pub seq: Result<String, String>,
    pub item_hash: Result<String, String>,
    pub identity: Result<String, String>,
    pub amount: Result<String, String>,
    /// `None` when there was no verified opening balance to run from.
    pub balance: Option<Result<String, String>>,
    pub entry_hash: Result<String, String>,
    /// `None` for compares, or when the period's bounds are not timestamps.
    pub period: Option<Result<String, String>>,
    /// The running balance after the last record, when it could be carried.
    pub running: Option<Amount>,
    /// Sums of the positive deltas and of the negative ones' magnitudes, when all are readable.
    pub credits: Option<Amount>,
    pub debits: Option<Amount>,
    /// The frontier extended by every record's entryHash.
    pub range: Option<Result<CompactRange, String>>,
}

/// Runs every `records.*` check over `records` in one pass. The records come as a `dyn`
/// iterator so that the three documents share one copy of the pass (5 KB gzip of the npm
/// package were its three inlined instances).
pub(crate) fn check<'r>(
    records: &mut dyn Iterator<Item = RecordView<'r>>,
    mut expected: Expected<'_>,
) -> Outcome {
    let [mut seq_f, mut hash_f, mut id_f, mut amount_f, mut balance_f, mut entry_f, mut period_f] =
        core::array::from_fn(|_| First::default());
    let mut running = expected.opening;
    let (mut credits, mut debits) = (Some(Amount::ZERO), Some(Amount::ZERO));
    let (mut count, mut carried) = (0usize, 0usize);
    for (index, r) in records.enumerate() {
        count = index.saturating_add(1);
        let seq = r.seq;
        check_seq(&mut seq_f, index, seq, expected.start);
        let slow: Tree;
        let (fields, computed) = match fast_item(r.item) {
            Some((fields, hash)) => (fields, Some(hash)),
            None => match jcs::tree_strict(r.item) {
                Ok(value) => {
                    slow = value;
                    let hash = item_hash_canonical(&jcs::canonical(&slow));
                    (ItemFields::of(&slow), Some(hash))
                }
                Err(e) => {
                    hash_f.fail(index, seq, || format!("item {e}"));
                    (ItemFields::default(), None)
                }
            },
        };
        // Public values on both sides of every comparison here: plain `==`, no constant time.
        let claimed_item: Option<Hash> = r.item_hash.parse().ok();
        match (computed, claimed_item) {
            (_, None) => hash_f.fail(index, seq, || String::from("itemHash is not a hash")),
            (Some(c), Some(h)) if c != h => hash_f.fail(index, seq, || {
                String::from("itemHash is not the hash of its item")
            }),
            _ => {}
        }
        if let Err(why) = item_identity(&fields, &expected) {
            id_f.fail(index, seq, || why);
        }
        let delta = fields.delta.and_then(canonical_amount);
        match delta {
            Some(d) if d.is_negative() => {
                debits = debits
                    .zip(d.nanos().checked_neg())
                    .and_then(|(s, m)| s.checked_add(Amount::from_nanos(m)))
            }
            Some(d) => credits = credits.and_then(|s| s.checked_add(d)),
            None => {
                amount_f.fail(index, seq, || {
                    String::from("item.delta is not canonical amount text")
                });
                (credits, debits) = (None, None);
            }
        }
        // Canonical text names exactly one amount, so once read, comparing amounts is comparing
        // texts; text that does not read (more than 20 integer digits) is compared as text.
        let balance_after = canonical_amount(r.balance_after);
        let is_balance = |b: Amount| match balance_after {
            Some(a) => a == b,
            None => is_text_of(b, r.balance_after),
        };
        if expected.opening.is_some() {
            running = running.zip(delta).and_then(|(b, d)| b.checked_add(d));
            match running {
                Some(b) if !is_balance(b) => balance_f.fail(index, seq, || {
                    format!(
                        "balanceAfter is {:?}, the running balance is {b}",
                        r.balance_after
                    )
                }),
                Some(_) => {}
                None => balance_f.fail(index, seq, || {
                    String::from("the running balance cannot be carried past this delta")
                }),
            }
        }
        let claimed_entry: Option<Hash> = r.entry_hash.parse().ok();
        let recomputed = claimed_item.zip(balance_after).and_then(|(h, b)| {
            Entry {
                seq,
                item_hash: h,
                balance_after: b,
            }
            .entry_hash()
            .ok()
        });
        match (recomputed, claimed_entry) {
            (_, None) => entry_f.fail(index, seq, || String::from("entryHash is not a hash")),
            (None, _) => entry_f.fail(index, seq, || {
                String::from(
                    "entryHash cannot be recomputed: itemHash, balanceAfter or seq is unreadable",
                )
            }),
            (Some(e), Some(c)) if e != c => entry_f.fail(index, seq, || {
                String::from("entryHash is not the hash of (seq, itemHash, balanceAfter)")
            }),
            _ => {}
        }
        expected.range = match (expected.range.take(), claimed_entry) {
            (Some(Ok(mut range)), Some(leaf)) => Some(
                range
                    .append(leaf)
                    .map(|()| range)
                    .map_err(|e| format!("{e}")),
            ),
            (Some(Ok(_)), None) => Some(Err(format!("records[{index}].entryHash is not a hash"))),
            (other, _) => other,
        };
        if let Some((start, end)) = expected.period {
            match fields.received_at {
                Some(t) if is_timestamp(t) => {
                    let before = t < start;
                    carried = carried.saturating_add(usize::from(before));
                    if t >= end {
                        period_f.fail(index, seq, || {
                            format!("received at {t}, not before period.end")
                        });
                    } else if r.received_before_period.is_some_and(|mark| mark != before) {
                        period_f.fail(index, seq, || {
                            format!("receivedBeforePeriod is not {before} for receivedAt {t}")
                        });
                    }
                }
                _ => period_f.fail(index, seq, || {
                    String::from("item.receivedAt is not an RFC 3339 UTC millisecond timestamp")
                }),
            }
        }
    }
    let last = expected.start.saturating_add(count as u64);
    let span = || match count {
        0 => String::from("no records"),
        n => format!(
            "{n} records, seq {} to {}",
            expected.start,
            last.saturating_sub(1)
        ),
    };
    Outcome {
        count,
        seq: seq_f.outcome(span),
        item_hash: hash_f.outcome(|| format!("{count} items hash to their itemHash")),
        identity: id_f.outcome(|| format!("every item names {}", expected.customer_id)),
        amount: amount_f.outcome(|| String::from("every delta is canonical amount text")),
        balance: expected.opening.map(|o| {
            balance_f.outcome(|| match running {
                Some(b) => format!("balances run from {o} to {b}"),
                None => String::from("no balance"),
            })
        }),
        entry_hash: entry_f.outcome(|| String::from(ENTRY_OK)),
        period: expected.period.map(|_| {
            period_f.outcome(|| {
                format!("every record received before period.end, {carried} before period.start")
            })
        }),
        running: if expected.opening.is_some() {
            running
        } else {
            None
        },
        credits,
        debits,
        range: expected.range,
    }
}

fn check_seq(first: &mut First, index: usize, seq: u64, start: u64) {
    let place = u64::try_from(index).ok().and_then(|i| start.checked_add(i));
    if place != Some(seq) {
        first.fail(index, seq, || match place {
            Some(p) => format!("seq is not its place in the log, {p}"),
            None => String::from("seq is past the end of any log"),
        });
    }
}

/// `records.identity` of one item: a delta of this customer, by this recorder.
fn item_identity(item: &ItemFields<'_>, expected: &Expected<'_>) -> Result<(), String> {
    if !item.object {
        return Err(String::from("item is not a readable JSON object"));
    }
    if item.kind != Some("delta") {
        return Err(String::from("item.type is not delta"));
    }
    if item.customer_id != Some(expected.customer_id) {
        return Err(String::from(
            "item.customerId is not the package's customer",
        ));
    }
    if item.customer_reference != Some(expected.customer_reference) {
        return Err(String::from(
            "item.customerReference is not the package's customer",
        ));
    }
    match (expected.vendor_account, item.vendor_account_id) {
        (None, None) => Ok(()),
        (Some(want), Some(Some(v))) if v == want => Ok(()),
        (None, Some(_)) => Err(String::from(
            "item.vendorAccountId is set, but a tenant recorded the log",
        )),
        (Some(_), _) => Err(String::from("item.vendorAccountId is not recordedBy.id")),
    }
}

/// The members of an item the checks read; `None` when absent or not a string, except
/// `vendorAccountId`, whose mere presence matters (`Some(None)`: present, not a string).
#[derive(Default)]
struct ItemFields<'f> {
    object: bool,
    kind: Option<&'f str>,
    customer_id: Option<&'f str>,
    customer_reference: Option<&'f str>,
    vendor_account_id: Option<Option<&'f str>>,
    delta: Option<&'f str>,
    received_at: Option<&'f str>,
}

impl<'f> ItemFields<'f> {
    fn of(value: &'f Tree) -> ItemFields<'f> {
        if !value.is_object() {
            return ItemFields::default();
        }
        let text = |key: &str| value.get(key).and_then(Tree::as_str);
        ItemFields {
            object: true,
            kind: text("type"),
            customer_id: text("customerId"),
            customer_reference: text("customerReference"),
            vendor_account_id: value.get("vendorAccountId").map(Tree::as_str),
            delta: text("delta"),
            received_at: text("receivedAt"),
        }
    }
}

/// An item already in canonical form (as stored and served) is hashed as it stands and its
/// members read in place, in the one pass that recognizes it; anything else takes the general
/// path (parse, JCS, hash), which reads the same fields from the same canonical text.
fn fast_item(raw: &str) -> Option<(ItemFields<'_>, Hash)> {
    let mut fields = ItemFields {
        object: true,
        ..ItemFields::default()
    };
    // Canonical text has no duplicate members, so each is seen once.
    let canonical = jcs::is_canonical_object(raw, |key, text| match key {
        "type" => fields.kind = text,
        "customerId" => fields.customer_id = text,
        "customerReference" => fields.customer_reference = text,
        "vendorAccountId" => fields.vendor_account_id = Some(text),
        "delta" => fields.delta = text,
        "receivedAt" => fields.received_at = text,
        _ => {}
    });
    canonical.then(|| (fields, item_hash_canonical(raw)))
}
