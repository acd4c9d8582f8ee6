//! The two documents as parsed: strings borrowed from the input where they have no escapes,
//! items kept as raw JSON text (canonicalized one at a time by the records pass), every object
//! closed to unknown members so nothing unverified can ride along, and every array capped
//! while it is read, before anything is hashed.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

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

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Capped<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Elements<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Elements<T, N> {
            type Value = Capped<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of at most {N} elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(element) = seq.next_element()? {
                    if out.len() >= N {
                        return Err(A::Error::custom(format_args!(
                            "an array of more than {N} elements"
                        )));
                    }
                    out.push(element);
                }
                Ok(Capped(out))
            }
        }
        d.deserialize_seq(Elements::<T, N>(PhantomData))
    }
}

/// For members that may be `null` but not absent (serde would read a missing `Option` as `None`).
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// `customer`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Customer<'a> {
    #[serde(borrow)]
    pub customer_id: Text<'a>,
    #[serde(borrow)]
    pub customer_reference: Text<'a>,
}

/// `recordedBy`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RecordedBy<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub display_name: Text<'a>,
}

/// `tenant`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tenant<'a> {
    #[serde(borrow)]
    pub name: Text<'a>,
}

/// `period`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Period<'a> {
    #[serde(borrow)]
    pub label: Text<'a>,
    #[serde(borrow)]
    pub start: Text<'a>,
    #[serde(borrow)]
    pub end: Text<'a>,
}

/// `checkpoint`, `previous`, `from`, `to`: a signed checkpoint and its id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NoteRef<'a> {
    #[serde(borrow)]
    pub checkpoint_id: Text<'a>,
    #[serde(borrow)]
    pub note: Text<'a>,
}

/// `range`: the compact range of entries `0 .. start`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Range<'a> {
    pub start: u64,
    #[serde(borrow)]
    pub frontier: Capped<Text<'a>, MAX_HASHES>,
}

/// `opening`: the entry before the period, with its inclusion proof.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Opening<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub item_hash: Text<'a>,
    #[serde(borrow)]
    pub balance_after: Text<'a>,
    #[serde(borrow)]
    pub proof: Capped<Text<'a>, MAX_HASHES>,
}

/// One record of a close package.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PackageRecord<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub item: &'a RawValue,
    #[serde(borrow)]
    pub item_hash: Text<'a>,
    #[serde(borrow)]
    pub balance_after: Text<'a>,
    #[serde(borrow)]
    pub entry_hash: Text<'a>,
    pub received_before_period: bool,
}

/// One record of a compare (no `receivedBeforePeriod`: a compare spans periods).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CompareRecord<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub item: &'a RawValue,
    #[serde(borrow)]
    pub item_hash: Text<'a>,
    #[serde(borrow)]
    pub balance_after: Text<'a>,
    #[serde(borrow)]
    pub entry_hash: Text<'a>,
}

/// What the records pass reads of any kind of record.
pub(crate) struct RecordView<'r> {
    pub seq: u64,
    pub item: &'r RawValue,
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Summary<'a> {
    #[serde(borrow)]
    pub opening: Text<'a>,
    #[serde(borrow)]
    pub credits: Text<'a>,
    #[serde(borrow)]
    pub debits: Text<'a>,
    #[serde(borrow)]
    pub net: Text<'a>,
    #[serde(borrow)]
    pub closing: Text<'a>,
    pub record_count: u64,
}

/// `differences` of a compare: `to` minus `from`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Differences<'a> {
    pub entries: u64,
    #[serde(borrow)]
    pub balance: Text<'a>,
    #[serde(borrow)]
    pub credits: Text<'a>,
    #[serde(borrow)]
    pub debits: Text<'a>,
    pub record_count: i64,
    #[serde(borrow)]
    pub opening: Text<'a>,
    #[serde(borrow)]
    pub closing: Text<'a>,
}

/// A close package, `vericord.close-package/v1` (§12).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Package<'a> {
    #[serde(borrow)]
    pub format: Text<'a>,
    #[serde(borrow)]
    pub environment: Text<'a>,
    #[serde(borrow)]
    pub customer: Customer<'a>,
    #[serde(borrow)]
    pub recorded_by: RecordedBy<'a>,
    #[serde(borrow)]
    pub tenant: Tenant<'a>,
    #[serde(borrow)]
    pub period: Period<'a>,
    #[serde(borrow)]
    pub verifier_keys: Capped<Text<'a>, MAX_KEYS>,
    #[serde(borrow)]
    pub checkpoint: NoteRef<'a>,
    #[serde(borrow, deserialize_with = "required")]
    pub previous: Option<NoteRef<'a>>,
    #[serde(borrow)]
    pub consistency_proof: Capped<Text<'a>, MAX_HASHES>,
    #[serde(borrow)]
    pub range: Range<'a>,
    #[serde(borrow, deserialize_with = "required")]
    pub opening: Option<Opening<'a>>,
    #[serde(borrow)]
    pub records: Capped<PackageRecord<'a>, MAX_RECORDS>,
    #[serde(borrow)]
    pub summary: Summary<'a>,
    #[serde(borrow)]
    pub manifest: Text<'a>,
}

/// A compare result, `vericord.compare/v1` (§13).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Compare<'a> {
    #[serde(borrow)]
    pub format: Text<'a>,
    #[serde(borrow)]
    pub environment: Text<'a>,
    #[serde(borrow)]
    pub customer: Customer<'a>,
    #[serde(borrow)]
    pub recorded_by: RecordedBy<'a>,
    #[serde(borrow)]
    pub tenant: Tenant<'a>,
    #[serde(borrow)]
    pub verifier_keys: Capped<Text<'a>, MAX_KEYS>,
    #[serde(borrow)]
    pub from: NoteRef<'a>,
    #[serde(borrow)]
    pub to: NoteRef<'a>,
    #[serde(borrow)]
    pub consistency_proof: Capped<Text<'a>, MAX_HASHES>,
    #[serde(borrow)]
    pub range: Range<'a>,
    #[serde(borrow)]
    pub records: Capped<CompareRecord<'a>, MAX_COMPARE_RECORDS>,
    #[serde(borrow)]
    pub differences: Differences<'a>,
}

/// Only the `format` member, to say what a document that failed to parse claims to be.
#[derive(Deserialize)]
struct FormatOnly<'a> {
    #[serde(borrow)]
    format: Text<'a>,
}

/// Parses `json` as `T`; on failure says why, naming the document's own format when it
/// declares another one.
pub(crate) fn parse<'a, T: Deserialize<'a>>(json: &'a str, expected: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| match serde_json::from_str::<FormatOnly<'_>>(json) {
        Ok(f) if f.format != expected => {
            format!("format is {:?}, not {expected:?}", f.format)
        }
        _ => format!("not a {expected} document: {e}"),
    })
}
