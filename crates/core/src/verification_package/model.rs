//! A verification package as parsed: the close package's members (§12) read by the same
//! types, the sample, and records with their inclusion proofs; closed to unknown members and
//! capped while read, before anything is hashed.

use super::MAX_SAMPLE;
use crate::close_package::model::{
    capped, closed, texts, Capped, Customer, Decode, NoteRef, Period, RecordView, RecordedBy,
    Tenant, Text,
};
use crate::close_package::{MAX_HASHES, MAX_KEYS};
use crate::json::{self, Reader};

/// Records a package may hold: the largest sample.
pub(crate) const MAX_RECORDS: usize = MAX_SAMPLE as usize;

/// `sample`.
#[derive(Default)]
pub(crate) struct Sample<'a> {
    pub seed: Text<'a>,
    pub requested: u64,
    pub population: u64,
    pub start: u64,
}

/// One sampled record, with its inclusion proof (no `receivedBeforePeriod`).
#[derive(Default)]
pub(crate) struct SampledRecord<'a> {
    pub seq: u64,
    pub item: &'a str,
    pub item_hash: Text<'a>,
    pub balance_after: Text<'a>,
    pub entry_hash: Text<'a>,
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
#[derive(Default)]
pub(crate) struct VerificationPackage<'a> {
    pub format: Text<'a>,
    pub environment: Text<'a>,
    pub customer: Customer<'a>,
    pub recorded_by: RecordedBy<'a>,
    pub tenant: Tenant<'a>,
    pub period: Period<'a>,
    pub verifier_keys: Capped<Text<'a>, MAX_KEYS>,
    pub checkpoint: NoteRef<'a>,
    pub sample: Sample<'a>,
    pub records: Capped<SampledRecord<'a>, MAX_RECORDS>,
    pub manifest: Text<'a>,
}

impl<'a> Decode<'a> for Sample<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, Sample {
            seed: "seed" => Reader::string,
            requested: "requested" => Reader::u64,
            population: "population" => Reader::u64,
            start: "start" => Reader::u64,
        })
    }
}

impl<'a> Decode<'a> for SampledRecord<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, SampledRecord {
            seq: "seq" => Reader::u64,
            item: "item" => Reader::raw,
            item_hash: "itemHash" => Reader::string,
            balance_after: "balanceAfter" => Reader::string,
            entry_hash: "entryHash" => Reader::string,
            proof: "proof" => texts,
        })
    }
}

impl<'a> Decode<'a> for VerificationPackage<'a> {
    fn decode(r: &mut Reader<'a>) -> json::Result<Self> {
        closed!(r, VerificationPackage {
            format: "format" => Reader::string,
            environment: "environment" => Reader::string,
            customer: "customer" => Customer::decode,
            recorded_by: "recordedBy" => RecordedBy::decode,
            tenant: "tenant" => Tenant::decode,
            period: "period" => Period::decode,
            verifier_keys: "verifierKeys" => texts,
            checkpoint: "checkpoint" => NoteRef::decode,
            sample: "sample" => Sample::decode,
            records: "records" => |r| capped(r, SampledRecord::decode),
            manifest: "manifest" => Reader::string,
        })
    }
}
