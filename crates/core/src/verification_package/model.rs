//! A verification package as parsed: the close package's members (§12) read by the same
//! types, the sample, and records with their inclusion proofs; closed to unknown members and
//! capped while read, before anything is hashed.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::MAX_SAMPLE;
use crate::close_package::model::{
    Capped, Customer, NoteRef, Period, RecordView, RecordedBy, Tenant, Text,
};
use crate::close_package::{MAX_HASHES, MAX_KEYS};

/// Records a package may hold: the largest sample.
pub(crate) const MAX_RECORDS: usize = MAX_SAMPLE as usize;

/// `sample`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sample<'a> {
    #[serde(borrow)]
    pub seed: Text<'a>,
    pub requested: u64,
    pub population: u64,
    pub start: u64,
}

/// One sampled record, with its inclusion proof (no `receivedBeforePeriod`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SampledRecord<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub item: &'a RawValue,
    #[serde(borrow)]
    pub item_hash: Text<'a>,
    #[serde(borrow)]
    pub balance_after: Text<'a>,
    #[serde(borrow)]
    pub entry_hash: Text<'a>,
    #[serde(borrow)]
    pub proof: Capped<Text<'a>, MAX_HASHES>,
}

impl SampledRecord<'_> {
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

/// A verification package, `vericord.verification-package/v1` (§15).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct VerificationPackage<'a> {
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
    #[serde(borrow)]
    pub sample: Sample<'a>,
    #[serde(borrow)]
    pub records: Capped<SampledRecord<'a>, MAX_RECORDS>,
    #[serde(borrow)]
    pub manifest: Text<'a>,
}
