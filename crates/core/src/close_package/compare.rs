//! `verify_compare`: every step of §13 as a named check.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::model::{self, Compare, Differences};
use super::records::{self, Expected};
use super::report::{
    CheckpointFacts, Checks, CustomerFacts, DifferenceFacts, RecorderFacts, VerifyReport,
    COMPARE_CHECKS,
};
use super::steps::{self, blocked, is_text_of, MIDDLEWARE};
use super::COMPARE_FORMAT;
use crate::amount::Amount;
use crate::checkpoint::Checkpoint;

/// Verifies a compare result (`docs/SPEC.md` §13) against `trusted_keys`, or, when that is
/// empty, against the document's own `verifierKeys` (`keysPinned: false`). Never panics.
///
/// A compare has no manifest, so only what the notes and the tree bind is reported as a fact:
/// not the display name, not the checkpoint ids.
pub fn verify_compare(compare_json: &str, trusted_keys: &[&str]) -> VerifyReport {
    let mut checks = Checks::new(COMPARE_CHECKS);
    let mut report = super::empty_report(COMPARE_FORMAT, trusted_keys);
    let doc: Compare<'_> = match model::parse::<Compare<'_>>(compare_json, COMPARE_FORMAT) {
        Ok(d) if d.format == COMPARE_FORMAT => d,
        Ok(d) => {
            checks.fail(
                "format",
                format!("format is {:?}, not {COMPARE_FORMAT:?}", d.format),
            );
            return super::finish(report, checks, "format failed");
        }
        Err(why) => {
            checks.fail("format", why);
            return super::finish(report, checks, "format failed");
        }
    };
    checks.pass("format", COMPARE_FORMAT);
    let own: Vec<&str> = doc.verifier_keys.0.iter().map(|k| k.as_ref()).collect();
    let pinned = !trusted_keys.is_empty();
    let keys = if pinned { trusted_keys } else { own.as_slice() };
    report.keys = keys.iter().map(|k| String::from(*k)).collect();

    let mut note =
        |name: &str, text: &str, report: &mut VerifyReport| match steps::signed_checkpoint(
            text, keys, pinned,
        ) {
            Ok((cp, key, detail)) => {
                checks.pass(name, detail);
                if name == "to.signature" {
                    report.key = key;
                }
                Some(cp)
            }
            Err(why) => {
                checks.fail(name, why);
                None
            }
        };
    let from = note("from.signature", &doc.from.note, &mut report);
    let to = note("to.signature", &doc.to.note, &mut report);
    let both = from.as_ref().zip(to.as_ref());
    let signatures = ["from.signature", "to.signature"];
    let reference = &doc.customer.customer_reference;
    match both {
        Some((f, t)) => checks.record(
            "checkpoint.origin",
            steps::origin(t, Some(("from", f)), &doc.environment, reference),
        ),
        None => checks.skip("checkpoint.origin", &blocked(&checks, &signatures)),
    }
    checks.record(
        "identity",
        steps::identity(
            &doc.environment,
            &doc.customer,
            &doc.recorded_by,
            &doc.tenant,
        ),
    );
    let frontier = steps::frontier(doc.range.start, &doc.range.frontier.0);
    match both {
        Some((f, t)) => {
            let proof = &doc.consistency_proof.0;
            checks.record("consistency", steps::consistency(Some(f), t, proof));
            checks.record("range.start", range_start(doc.range.start, f, t));
            checks.record(
                "range.frontier",
                steps::frontier_root(&frontier, Some(f), "from"),
            );
        }
        None => {
            let why = blocked(&checks, &signatures);
            for name in ["consistency", "range.start", "range.frontier"] {
                checks.skip(name, &why);
            }
        }
    }

    let vendor = (doc.recorded_by.kind == MIDDLEWARE).then_some(doc.recorded_by.id.as_ref());
    let outcome = records::check(
        &mut doc.records.0.iter().map(|r| r.view()),
        Expected {
            start: doc.range.start,
            opening: from.as_ref().map(|f| f.closing),
            customer_id: &doc.customer.customer_id,
            customer_reference: reference,
            vendor_account: vendor,
            period: None,
            range: Some(frontier),
        },
    );
    match both {
        Some((f, t)) => {
            let between = t.size.checked_sub(f.size);
            if between == Some(outcome.count as u64) {
                checks.pass(
                    "records.count",
                    format!("{} records between the two checkpoints", outcome.count),
                );
            } else {
                checks.fail(
                    "records.count",
                    format!(
                        "{} records between sizes {} and {}",
                        outcome.count, f.size, t.size
                    ),
                );
            }
        }
        None => checks.skip("records.count", &blocked(&checks, &signatures)),
    }
    checks.record("records.seq", outcome.seq);
    checks.record("records.itemHash", outcome.item_hash);
    checks.record("records.identity", outcome.identity);
    checks.record("records.amount", outcome.amount);
    // The balances run from `from`'s closing to `to`'s: the last one is `to`'s.
    match (outcome.balance, &to, outcome.running) {
        (Some(Err(why)), _, _) => checks.fail("records.balance", why),
        (Some(Ok(detail)), Some(t), Some(b)) if b == t.closing => {
            checks.pass("records.balance", detail)
        }
        (Some(Ok(_)), Some(t), Some(b)) => checks.fail(
            "records.balance",
            format!("the records end at {b}, the closing of to is {}", t.closing),
        ),
        _ => checks.skip("records.balance", &blocked(&checks, &signatures)),
    }
    checks.record("records.entryHash", outcome.entry_hash);
    match both {
        Some((f, t)) => {
            checks.record("range.root", steps::range_root(outcome.range, t));
            match outcome.credits.zip(outcome.debits) {
                Some((c, d)) => {
                    checks.record("differences", differences(&doc.differences, f, t, c, d))
                }
                None => checks.skip("differences", "records.amount failed"),
            }
        }
        None => {
            let why = blocked(&checks, &signatures);
            checks.skip("range.root", &why);
            checks.skip("differences", &why);
        }
    }

    // Facts: what the notes and the tree bind (no manifest signs names or ids here).
    report.checkpoint = to.as_ref().map(|t| CheckpointFacts::of(t, None));
    report.previous = from.as_ref().map(|f| CheckpointFacts::of(f, None));
    if checks.all_ok(&["identity", "checkpoint.origin"]) {
        report.environment = Some(doc.environment.to_string());
        report.customer = Some(CustomerFacts {
            customer_id: doc.customer.customer_id.to_string(),
            customer_reference: reference.to_string(),
        });
        // With records, their vendorAccountId (or its absence) binds the type.
        let typed = outcome.count > 0 && checks.ok("records.identity") && checks.ok("range.root");
        report.recorded_by = Some(RecorderFacts {
            kind: typed.then(|| doc.recorded_by.kind.to_string()),
            id: doc.recorded_by.id.to_string(),
            display_name: None,
        });
    }
    if checks.ok("records.count") {
        report.record_count = Some(outcome.count as u64);
    }
    if checks.ok("differences") {
        let d = &doc.differences;
        report.differences = Some(DifferenceFacts {
            entries: d.entries,
            balance: d.balance.to_string(),
            credits: d.credits.to_string(),
            debits: d.debits.to_string(),
            record_count: d.record_count,
            opening: d.opening.to_string(),
            closing: d.closing.to_string(),
        });
    }
    super::finish(report, checks, "an earlier check failed")
}

/// `range.start`: the records start at `from`'s size, and `from` is not after `to`.
fn range_start(start: u64, from: &Checkpoint, to: &Checkpoint) -> Result<String, String> {
    if from.size > to.size {
        return Err(format!(
            "from (size {}) is larger than to (size {})",
            from.size, to.size
        ));
    }
    if start != from.size {
        return Err(format!(
            "range.start is {start}; from's size is {}",
            from.size
        ));
    }
    Ok(format!("the records start at entry {start}"))
}

/// `differences`: `to` minus `from`, and the sums of the records between them.
fn differences(
    d: &Differences<'_>,
    from: &Checkpoint,
    to: &Checkpoint,
    credits: Amount,
    debits: Amount,
) -> Result<String, String> {
    let overflow = || String::from("the differences overflow");
    let entries = to.size.checked_sub(from.size).ok_or_else(overflow)?;
    if d.entries != entries {
        return Err(format!(
            "differences.entries is {}, not {entries}",
            d.entries
        ));
    }
    let count = i128::from(to.count)
        .checked_sub(i128::from(from.count))
        .ok_or_else(overflow)?;
    if i128::from(d.record_count) != count {
        // The difference as text without i128's formatter (only here, 1.5 KB of the wasm).
        let sign = if to.count < from.count { "-" } else { "" };
        let magnitude = to.count.abs_diff(from.count);
        return Err(format!(
            "differences.recordCount is {}, not {sign}{magnitude}",
            d.record_count
        ));
    }
    let closing = to.closing.checked_sub(from.closing).ok_or_else(overflow)?;
    let opening = to.opening.checked_sub(from.opening).ok_or_else(overflow)?;
    for (name, text, want) in [
        ("balance", &d.balance, closing),
        ("credits", &d.credits, credits),
        ("debits", &d.debits, debits),
        ("opening", &d.opening, opening),
        ("closing", &d.closing, closing),
    ] {
        if !is_text_of(want, text) {
            return Err(format!("differences.{name} is {text:?}, not {want}"));
        }
    }
    Ok(format!(
        "{entries} entries, balance {closing}: credits {credits}, debits {debits}"
    ))
}
