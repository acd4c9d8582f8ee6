//! The verification report: every named check of §12 / §13 / §15 once, in the spec's order, and
//! the facts a page or the CLI may display — each only when the checks that prove it passed.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::hash::Hash;

/// The checks of a close package (§12), in report order.
pub const PACKAGE_CHECKS: &[&str] = &[
    "format",
    "checkpoint.signature",
    "previous.signature",
    "manifest.signature",
    "manifest.fields",
    "checkpoint.origin",
    "period",
    "identity",
    "consistency",
    "range.start",
    "range.frontier",
    "opening",
    "records.count",
    "records.seq",
    "records.itemHash",
    "records.identity",
    "records.amount",
    "records.balance",
    "records.entryHash",
    "records.period",
    "range.root",
    "closing",
    "summary",
];

/// The checks of a compare result (§13), in report order.
pub const COMPARE_CHECKS: &[&str] = &[
    "format",
    "from.signature",
    "to.signature",
    "checkpoint.origin",
    "identity",
    "consistency",
    "range.start",
    "range.frontier",
    "records.count",
    "records.seq",
    "records.itemHash",
    "records.identity",
    "records.amount",
    "records.balance",
    "records.entryHash",
    "range.root",
    "differences",
];

/// One named check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The spec's name for the step, e.g. `records.entryHash`.
    pub name: &'static str,
    /// Whether it passed. A check that could not run (an earlier one it needs failed) is not ok
    /// and its detail starts with `not checked:`.
    pub ok: bool,
    /// What was found; for a check over all records, the first failing record.
    pub detail: String,
}

/// A customer as verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerFacts {
    /// The tenant's customer id.
    pub customer_id: String,
    /// Its §4 reference, which the signed origin names.
    pub customer_reference: String,
}

/// Who recorded the log, as verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecorderFacts {
    /// `tenant` or `middleware_vendor_account`; `null` when nothing binds it (a compare
    /// without records).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The tenant id or the vendor account id.
    pub id: String,
    /// The display name; `null` when unsigned (compares have no manifest).
    pub display_name: Option<String>,
}

/// A period as verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodFacts {
    /// `YYYY-MM` or `start/end`.
    pub label: String,
    /// Inclusive start, RFC 3339 ms UTC.
    pub start: String,
    /// Exclusive end.
    pub end: String,
}

/// A close package's summary as verified, exact decimal text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryFacts {
    /// The signed opening balance.
    pub opening: String,
    /// Sum of the positive deltas.
    pub credits: String,
    /// Sum of the magnitudes of the negative deltas.
    pub debits: String,
    /// `credits − debits` = `closing − opening`.
    pub net: String,
    /// The signed closing balance.
    pub closing: String,
    /// Records in the period.
    pub record_count: u64,
}

/// A compare's differences as verified (`to` minus `from`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DifferenceFacts {
    /// Entries between the two checkpoints.
    pub entries: u64,
    /// Difference of the closing balances.
    pub balance: String,
    /// Sum of the positive deltas between them.
    pub credits: String,
    /// Sum of the magnitudes of the negative deltas between them.
    pub debits: String,
    /// Difference of the notes' record counts.
    pub record_count: i64,
    /// Difference of the notes' opening balances.
    pub opening: String,
    /// Difference of the notes' closing balances.
    pub closing: String,
}

/// A verification package's sample as verified (§15): drawn from the signed checkpoint, not
/// chosen by whoever assembled the package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleFacts {
    /// `keccak256("vericord:sample:v1\n" ‖ the checkpoint's signed note)`.
    pub seed: Hash,
    /// The sample size asked for.
    pub requested: u64,
    /// Records in the period (the checkpoint's `count`).
    pub population: u64,
    /// The period's first entry (`size − count`).
    pub start: u64,
    /// The sampled entries' sequence numbers, ascending: the records of the package.
    pub indices: Vec<u64>,
}

/// A signed checkpoint as verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointFacts {
    /// The document's id for it; `null` when unsigned (compares).
    pub checkpoint_id: Option<String>,
    /// The log it names.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root at that size.
    pub root: Hash,
    /// The period line.
    pub period: String,
    /// Signed opening balance.
    pub opening: String,
    /// Signed closing balance.
    pub closing: String,
    /// Records of the period.
    pub count: u64,
}

impl CheckpointFacts {
    pub(crate) fn of(cp: &Checkpoint, checkpoint_id: Option<&str>) -> CheckpointFacts {
        CheckpointFacts {
            checkpoint_id: checkpoint_id.map(String::from),
            origin: cp.origin.clone(),
            size: cp.size,
            root: cp.root,
            period: cp.period.clone(),
            opening: cp.opening.to_string(),
            closing: cp.closing.to_string(),
            count: cp.count,
        }
    }
}

/// What [`verify_close_package`](super::verify_close_package),
/// [`verify_compare`](super::verify_compare) or
/// [`verify_verification_package`](crate::verification_package::verify_verification_package)
/// found. Facts are `null` unless verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The format verified against.
    pub format: &'static str,
    /// Every check passed.
    pub verified: bool,
    /// The caller pinned the keys; `false` means the document's own `verifierKeys` were used,
    /// which proves integrity but not who signed.
    pub keys_pinned: bool,
    /// The verifier keys the signatures were checked against.
    pub keys: Vec<String>,
    /// The key among them whose signature on the (closing) checkpoint verified.
    pub key: Option<String>,
    /// Every check, once, in the spec's order.
    pub checks: Vec<Check>,
    /// `sandbox` or `production`.
    pub environment: Option<String>,
    /// The customer.
    pub customer: Option<CustomerFacts>,
    /// Who recorded the records.
    pub recorded_by: Option<RecorderFacts>,
    /// The period (close packages).
    pub period: Option<PeriodFacts>,
    /// Records in the document.
    pub record_count: Option<u64>,
    /// The summary (close packages).
    pub summary: Option<SummaryFacts>,
    /// The differences (compares).
    pub differences: Option<DifferenceFacts>,
    /// The sample (verification packages).
    pub sample: Option<SampleFacts>,
    /// The period's closing checkpoint (close and verification packages), or `to` (compares).
    pub checkpoint: Option<CheckpointFacts>,
    /// The previous period's checkpoint (close packages), or `from` (compares); also `null`
    /// for a log's first period.
    pub previous: Option<CheckpointFacts>,
}

impl VerifyReport {
    /// The first check that is not ok.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.ok)
    }

    /// The check named `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Collects check outcomes by name; each name is set once, the first time.
pub(crate) struct Checks {
    list: Vec<(Check, bool)>,
}

impl Checks {
    pub fn new(names: &'static [&'static str]) -> Checks {
        let list = names
            .iter()
            .map(|&name| {
                let check = Check {
                    name,
                    ok: false,
                    detail: String::new(),
                };
                (check, false)
            })
            .collect();
        Checks { list }
    }

    fn set(&mut self, name: &str, ok: bool, detail: String) {
        if let Some((check, done)) = self.list.iter_mut().find(|(c, _)| c.name == name) {
            if !*done {
                *check = Check {
                    name: check.name,
                    ok,
                    detail,
                };
                *done = true;
            }
        }
    }

    pub fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.set(name, true, detail.into());
    }

    pub fn fail(&mut self, name: &str, detail: impl Into<String>) {
        self.set(name, false, detail.into());
    }

    /// Records a check's outcome: `Ok(detail)` passes, `Err(detail)` fails.
    pub fn record(&mut self, name: &str, outcome: Result<String, String>) {
        match outcome {
            Ok(detail) => self.pass(name, detail),
            Err(detail) => self.fail(name, detail),
        }
    }

    /// Marks a check that could not run.
    pub fn skip(&mut self, name: &str, why: &str) {
        self.set(name, false, format!("not checked: {why}"));
    }

    pub fn ok(&self, name: &str) -> bool {
        self.list
            .iter()
            .any(|(c, done)| *done && c.ok && c.name == name)
    }

    pub fn all_ok(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.ok(n))
    }

    /// Every check still unset is marked as not checked, for `why`.
    pub fn skip_rest(&mut self, why: &str) {
        for (check, done) in &mut self.list {
            if !*done {
                check.ok = false;
                check.detail = format!("not checked: {why}");
                *done = true;
            }
        }
    }

    pub fn finish(mut self) -> (bool, Vec<Check>) {
        self.skip_rest("an earlier check failed");
        let checks: Vec<Check> = self.list.into_iter().map(|(c, _)| c).collect();
        (checks.iter().all(|c| c.ok), checks)
    }
}
