//! The two documents as parsed: strings borrowed from the input where they have no escapes,
//! items kept as raw JSON text (canonicalized one at a time by the records pass), every object
//! closed to unknown members so nothing unverified can ride along, and every array capped
//! while it is read, before anything is hashed. Decoded by hand with [`crate::json`]'s reader
//! (the [`closed!`] macro: each member once, every member required, no other member).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::json::{self, missing, once, Reader};

/// Records a close package may hold.
pub const MAX_RECORDS: usize = 1 << 24;
/// Records a compare may hold (a wider compare is refused by the Worker, §13).
pub const MAX_COMPARE_RECORDS: usize = 10_000;
/// Hashes in any proof or frontier: a tree of `2^64` leaves needs no more.
pub const MAX_HASHES: usize = 64;
/// Verifier keys a document may list.
pub const MAX_KEYS: usize = 64;

/// Text, borrowed when the JSON string had no escapes.
pub(crate) type Text<'a> = Cow<'a, str>;

/// An array of at most `N` elements; the `N + 1`th fails the parse.
pub(crate) struct Capped<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> Default for Capped<T, N> {
    fn default() -> Self {
        Capped(Vec::new())
    }
}

/// A [`Capped`] array, each element read by `each`.
pub(crate) fn capped<'a, T, const N: usize>(
    r: &mut Reader<'a>,
    mut each: impl FnMut(&mut Reader<'a>) -> json::Result<T>,
) -> json::Result<Capped<T, N>> {
    let mut out = Vec::new();
    r.array(|r| {
        if out.len() >= N {
            return Err(r.error(format_args!("an array of more than {N} elements")));
        }
        out.push(each(r)?);
        Ok(())
    })?;
    Ok(Capped(out))
}

/// Capped hashes, keys and other strings.
pub(crate) fn texts<'a, const N: usize>(r: &mut Reader<'a>) -> json::Result<Capped<Text<'a>, N>> {
    capped(r, Reader::string)
}

/// A member that may be `null` but not absent.
pub(crate) fn nullable<'a, T>(
    r: &mut Reader<'a>,
    read: impl FnOnce(&mut Reader<'a>) -> json::Result<T>,
) -> json::Result<Option<T>> {
    if r.null() {
        Ok(None)
    } else {
        read(r).map(Some)
    }
}

/// A document type read from JSON.
pub(crate) trait Decode<'a>: Sized {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self>;
}

/// Decodes a closed object into `$ty`: `field: "name" => reader` for each member. The checks
/// (each member once, all present, no other) are [`json::members`]'s, shared by every type.
macro_rules! closed {
    ($r:expr, $ty:ident { $($field:ident: $name:literal => $read:expr),* $(,)? }) => {{
        let mut out = $ty::default();
        json::members($r, &[$($name),*], &mut |r, name| {
            match name {
                $($name => out.$field = ($read)(r)?,)*
                _ => {}
            }
            Ok(())
        })?;
        Ok(out)
    }};
}
pub(crate) use closed;

/// `customer`.
#[derive(Default)]
pub(crate) struct Customer<'a> {
    pub customer_id: Text<'a>,
    pub customer_reference: Text<'a>,
}

/// `recordedBy`.
#[derive(Default)]
pub(crate) struct RecordedBy<'a> {
    pub kind: Text<'a>,
    pub id: Text<'a>,
    pub display_name: Text<'a>,
}

/// `tenant`.
#[derive(Default)]
pub(crate) struct Tenant<'a> {
    pub name: Text<'a>,
}

/// `period`.
#[derive(Default)]
pub(crate) struct Period<'a> {
    pub label: Text<'a>,
    pub start: Text<'a>,
    pub end: Text<'a>,
}

/// `checkpoint`, `previous`, `from`, `to`: a signed checkpoint and its id.
#[derive(Default)]
pub(crate) struct NoteRef<'a> {
    pub checkpoint_id: Text<'a>,
    pub note: Text<'a>,
}

/// `range`: the compact range of entries `0 .. start`.
#[derive(Default)]
pub(crate) struct Range<'a> {
    pub start: u64,
    pub frontier: Capped<Text<'a>, MAX_HASHES>,
}

/// `opening`: the entry before the period, with its inclusion proof.
#[derive(Default)]
pub(crate) struct Opening<'a> {
    pub seq: u64,
    pub item_hash: Text<'a>,
    pub balance_after: Text<'a>,
    pub proof: Capped<Text<'a>, MAX_HASHES>,
}

/// One record of a close package.
#[derive(Default)]
pub(crate) struct PackageRecord<'a> {
    pub seq: u64,
    pub item: &'a str,
    pub item_hash: Text<'a>,
    pub balance_after: Text<'a>,
    pub entry_hash: Text<'a>,
    pub received_before_period: bool,
}

/// One record of a compare (no `receivedBeforePeriod`: a compare spans periods).
#[derive(Default)]
pub(crate) struct CompareRecord<'a> {
    pub seq: u64,
    pub item: &'a str,
    pub item_hash: Text<'a>,
    pub balance_after: Text<'a>,
    pub entry_hash: Text<'a>,
}

/// What the records pass reads of any kind of record.
pub(crate) struct RecordView<'r> {
    pub seq: u64,
    pub item: &'r str,
    pub item_hash: &'r str,
    pub balance_after: &'r str,
    pub entry_hash: &'r str,
    /// `None` for records that carry no such mark (compares, verification packages).
    pub received_before_period: Option<bool>,
}

impl PackageRecord<'_> {
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            seq: self.seq,
            item: self.item,
            item_hash: &self.item_hash,
            balance_after: &self.balance_after,
            entry_hash: &self.entry_hash,
            received_before_period: Some(self.received_before_period),
        }
    }
}

impl CompareRecord<'_> {
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            seq: self.seq,
            item: self.item,
            item_hash: &self.item_hash,
            balance_after: &self.balance_after,
            entry_hash: &self.entry_hash,
            received_before_period: None,
        }
    }
}

/// `summary`.
#[derive(Default)]
pub(crate) struct Summary<'a> {
    pub opening: Text<'a>,
    pub credits: Text<'a>,
    pub debits: Text<'a>,
    pub net: Text<'a>,
    pub closing: Text<'a>,
    pub record_count: u64,
}

/// `differences` of a compare: `to` minus `from`.
#[derive(Default)]
pub(crate) struct Differences<'a> {
    pub entries: u64,
    pub balance: Text<'a>,
    pub credits: Text<'a>,
    pub debits: Text<'a>,
    pub record_count: i64,
    pub opening: Text<'a>,
    pub closing: Text<'a>,
}

/// A close package, `vericord.close-package/v1` (§12).
#[derive(Default)]
pub(crate) struct Package<'a> {
    pub format: Text<'a>,
    pub environment: Text<'a>,
    pub customer: Customer<'a>,
    pub recorded_by: RecordedBy<'a>,
    pub tenant: Tenant<'a>,
    pub period: Period<'a>,
    pub verifier_keys: Capped<Text<'a>, MAX_KEYS>,
    pub checkpoint: NoteRef<'a>,
    pub previous: Option<NoteRef<'a>>,
    pub consistency_proof: Capped<Text<'a>, MAX_HASHES>,
    pub range: Range<'a>,
    pub opening: Option<Opening<'a>>,
    pub records: Capped<PackageRecord<'a>, MAX_RECORDS>,
    pub summary: Summary<'a>,
    pub manifest: Text<'a>,
}

/// A compare result, `vericord.compare/v1` (§13).
#[derive(Default)]
pub(crate) struct Compare<'a> {
    pub format: Text<'a>,
    pub environment: Text<'a>,
    pub customer: Customer<'a>,
    pub recorded_by: RecordedBy<'a>,
    pub tenant: Tenant<'a>,
    pub verifier_keys: Capped<Text<'a>, MAX_KEYS>,
    pub from: NoteRef<'a>,
    pub to: NoteRef<'a>,
    pub consistency_proof: Capped<Text<'a>, MAX_HASHES>,
    pub range: Range<'a>,
    pub records: Capped<CompareRecord<'a>, MAX_COMPARE_RECORDS>,
    pub differences: Differences<'a>,
}

/// Only the `format` member (any others skipped), to say what a document that failed to
/// parse claims to be.
fn format_only(json: &str) -> json::Result<Cow<'_, str>> {
    let mut r = Reader::new(json);
    let mut format = None;
    r.object(|r, name| match name.as_ref() {
        "format" => once(r, &mut format, "format", Reader::string),
        _ => r.raw().map(drop),
    })?;
    r.end()?;
    format.ok_or_else(|| missing(&r, "format"))
}

/// Parses `json` as `T`; on failure says why, naming the document's own format when it
/// declares another one.
pub(crate) fn parse<'a, T: Decode<'a>>(json: &'a str, expected: &str) -> Result<T, String> {
    let mut r = Reader::new(json);
    let decoded = T::decode(&mut r).and_then(|t| r.end().map(|()| t));
    decoded.map_err(|e| match format_only(json) {
        Ok(f) if f != expected => {
            format!("format is {f:?}, not {expected:?}")
        }
        _ => format!("not a {expected} document: {e}"),
    })
}

impl<'a> Decode<'a> for Customer<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Customer {
            customer_id: "customerId" => Reader::string,
            customer_reference: "customerReference" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for RecordedBy<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, RecordedBy {
            kind: "type" => Reader::string,
            id: "id" => Reader::string,
            display_name: "displayName" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for Tenant<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Tenant { name: "name" => Reader::string })
    }
}

impl<'a> Decode<'a> for Period<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Period {
            label: "label" => Reader::string,
            start: "start" => Reader::string,
            end: "end" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for NoteRef<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, NoteRef {
            checkpoint_id: "checkpointId" => Reader::string,
            note: "note" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for Range<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Range {
            start: "start" => Reader::u64,
            frontier: "frontier" => texts,
        })
    }
}

impl<'a> Decode<'a> for Opening<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Opening {
            seq: "seq" => Reader::u64,
            item_hash: "itemHash" => Reader::string,
            balance_after: "balanceAfter" => Reader::string,
            proof: "proof" => texts,
        })
    }
}

impl<'a> Decode<'a> for PackageRecord<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, PackageRecord {
            seq: "seq" => Reader::u64,
            item: "item" => Reader::raw,
            item_hash: "itemHash" => Reader::string,
            balance_after: "balanceAfter" => Reader::string,
            entry_hash: "entryHash" => Reader::string,
            received_before_period: "receivedBeforePeriod" => Reader::bool,
        })
    }
}

impl<'a> Decode<'a> for CompareRecord<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, CompareRecord {
            seq: "seq" => Reader::u64,
            item: "item" => Reader::raw,
            item_hash: "itemHash" => Reader::string,
            balance_after: "balanceAfter" => Reader::string,
            entry_hash: "entryHash" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for Summary<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Summary {
            opening: "opening" => Reader::string,
            credits: "credits" => Reader::string,
            debits: "debits" => Reader::string,
            net: "net" => Reader::string,
            closing: "closing" => Reader::string,
            record_count: "recordCount" => Reader::u64,
        })
    }
}

impl<'a> Decode<'a> for Differences<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Differences {
            entries: "entries" => Reader::u64,
            balance: "balance" => Reader::string,
            credits: "credits" => Reader::string,
            debits: "debits" => Reader::string,
            record_count: "recordCount" => Reader::i64,
            opening: "opening" => Reader::string,
            closing: "closing" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for Package<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Package {
            format: "format" => Reader::string,
            environment: "environment" => Reader::string,
            customer: "customer" => Customer::decode,
            recorded_by: "recordedBy" => RecordedBy::decode,
            tenant: "tenant" => Tenant::decode,
            period: "period" => Period::decode,
            verifier_keys: "verifierKeys" => texts,
            checkpoint: "checkpoint" => NoteRef::decode,
            previous: "previous" => |r| nullable(r, NoteRef::decode),
            consistency_proof: "consistencyProof" => texts,
            range: "range" => Range::decode,
            opening: "opening" => |r| nullable(r, Opening::decode),
            records: "records" => |r| capped(r, PackageRecord::decode),
            summary: "summary" => Summary::decode,
            manifest: "manifest" => Reader::string,
        })
    }
}

impl<'a> Decode<'a> for Compare<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Compare {
            format: "format" => Reader::string,
            environment: "environment" => Reader::string,
            customer: "customer" => Customer::decode,
            recorded_by: "recordedBy" => RecordedBy::decode,
            tenant: "tenant" => Tenant::decode,
            verifier_keys: "verifierKeys" => texts,
            from: "from" => NoteRef::decode,
            to: "to" => NoteRef::decode,
            consistency_proof: "consistencyProof" => texts,
            range: "range" => Range::decode,
            records: "records" => |r| capped(r, CompareRecord::decode),
            differences: "differences" => Differences::decode,
        })
    }
}
