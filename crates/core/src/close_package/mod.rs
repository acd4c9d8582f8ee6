//! Close packages (`vericord.close-package/v1`, `docs/SPEC.md` §12): one customer log's closed
//! period, self-contained and signed — its checkpoint and the previous one, the consistency
//! proof between them, every record with a compact range proving they are exactly the log's
//! entries of the period, the opening entry, the summary, and a signed manifest over
//! everything the tree cannot sign. Also the compare result (`vericord.compare/v1`) between two
//! checkpoints of one log, verified the same way.
//!
//! [`verify_close_package`] and [`verify_compare`] never panic and return a [`VerifyReport`]
//! naming every check of §12 / §13; [`close_package_inclusion_proof`] derives any record's
//! RFC 9162 inclusion proof from the compact range. Memory stays near the input's size: items
//! are raw JSON text canonicalized one at a time, arrays are capped while they are read
//! ([`MAX_RECORDS`], [`MAX_HASHES`]) and the range folds in O(n) with at most 64 hashes held.
//!
//! ```
//! use vericord_core::close_package::verify_close_package;
//!
//! let report = verify_close_package("{}", &[]);
//! assert!(!report.verified);
//! assert_eq!(report.first_failure().map(|c| c.name), Some("format"));
//! assert_eq!(report.checks.len(), 23); // every check of §12, in order
//! ```

// Hostile input must never panic or overflow: no unwraps, no indexing, checked arithmetic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic
    )
)]

mod balances;
mod compare;
// Shared with `verification_package`, which reads the same members and runs the same steps.
pub(crate) mod manifest;
pub(crate) mod model;
mod range;
pub(crate) mod records;
mod report;
mod report_json;
pub(crate) mod steps;
pub(crate) mod time;
pub(crate) mod verify;

pub use compare::verify_compare;
pub use model::{MAX_COMPARE_RECORDS, MAX_HASHES, MAX_KEYS, MAX_RECORDS};
pub use range::{close_package_inclusion_proof, CloseError, InclusionProof};
pub(crate) use report::Checks;
pub use report::{
    Check, CheckpointFacts, CustomerFacts, DifferenceFacts, PeriodFacts, RecorderFacts,
    SampleFacts, SummaryFacts, VerifyReport, COMPARE_CHECKS, PACKAGE_CHECKS,
};
pub use verify::verify_close_package;

use alloc::format;
use alloc::string::String;
use serde_json::Value;

use crate::jcs::{self, JcsError, Tree};

/// The package format id, also the manifest note's first line.
pub const FORMAT: &str = "vericord.close-package/v1";
/// The compare result format id.
pub const COMPARE_FORMAT: &str = "vericord.compare/v1";

/// The text a package's manifest note signs: the format line, then the JCS of `manifest`
/// (`{format, environment, customer, recordedBy, tenant, period, verifierKeys, summary,
/// checkpoint: {checkpointId, size, root}, previous}`), then a newline.
pub fn manifest_text(manifest: &Value) -> Result<String, JcsError> {
    manifest_text_of(&Tree::of(manifest))
}

/// [`manifest_text`] of a [`Tree`].
pub(crate) fn manifest_text_of(manifest: &Tree) -> Result<String, JcsError> {
    Ok(format!("{FORMAT}\n{}\n", jcs::canonical(manifest)))
}

/// A report with nothing verified yet.
pub(crate) fn empty_report(format: &'static str, trusted_keys: &[&str]) -> VerifyReport {
    VerifyReport {
        format,
        verified: false,
        keys_pinned: !trusted_keys.is_empty(),
        keys: trusted_keys.iter().map(|k| String::from(*k)).collect(),
        key: None,
        checks: alloc::vec::Vec::new(),
        environment: None,
        customer: None,
        recorded_by: None,
        period: None,
        record_count: None,
        summary: None,
        differences: None,
        sample: None,
        checkpoint: None,
        previous: None,
    }
}

/// Marks every unset check as not checked for `why`, and fills in the verdict.
pub(crate) fn finish(
    mut report: VerifyReport,
    mut checks: report::Checks,
    why: &str,
) -> VerifyReport {
    checks.skip_rest(why);
    let (verified, list) = checks.finish();
    report.verified = verified;
    report.checks = list;
    report
}
