//! `verify_close_package`: every step of §12 as a named check.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::balances::{opening, summary};
use super::manifest::manifest_fields;
use super::model::{self, Package};
use super::records::{self, Expected};
use super::report::{
    CheckpointFacts, Checks, CustomerFacts, PeriodFacts, RecorderFacts, SummaryFacts, VerifyReport,
    PACKAGE_CHECKS,
};
use super::steps::{self, blocked, MIDDLEWARE};
use super::time::{is_timestamp, label_bounds};
use super::FORMAT;
use crate::checkpoint::Checkpoint;

/// Verifies a close package (`docs/SPEC.md` §12) against `trusted_keys`, or, when that is
/// empty, against the package's own `verifierKeys` (the report then says `keysPinned: false`:
/// integrity without knowing who signed). Never panics; the report names every check.
pub fn verify_close_package(package_json: &str, trusted_keys: &[&str]) -> VerifyReport {
    let mut checks = Checks::new(PACKAGE_CHECKS);
    let mut report = super::empty_report(FORMAT, trusted_keys);
    let pkg: Package<'_> = match model::parse::<Package<'_>>(package_json, FORMAT) {
        Ok(p) if p.format == FORMAT => p,
        Ok(p) => {
            checks.fail(
                "format",
                format!("format is {:?}, not {FORMAT:?}", p.format),
            );
            return super::finish(report, checks, "format failed");
        }
        Err(why) => {
            checks.fail("format", why);
            return super::finish(report, checks, "format failed");
        }
    };
    checks.pass("format", FORMAT);
    let own: Vec<&str> = pkg.verifier_keys.0.iter().map(|k| k.as_ref()).collect();
    let pinned = !trusted_keys.is_empty();
    let keys = if pinned { trusted_keys } else { own.as_slice() };
    report.keys = keys.iter().map(|k| String::from(*k)).collect();

    let cp = match steps::signed_checkpoint(&pkg.checkpoint.note, keys, pinned) {
        Ok((cp, key, detail)) => {
            checks.pass("checkpoint.signature", detail);
            report.key = key;
            Some(cp)
        }
        Err(why) => {
            checks.fail("checkpoint.signature", why);
            None
        }
    };
    // `Some(None)`: no previous checkpoint (the log's first period), verified as such.
    let prev: Option<Option<Checkpoint>> = match &pkg.previous {
        None => {
            checks.pass("previous.signature", "none: the log's first period");
            Some(None)
        }
        Some(p) => match steps::signed_checkpoint(&p.note, keys, pinned) {
            Ok((c, _, detail)) => {
                checks.pass("previous.signature", detail);
                Some(Some(c))
            }
            Err(why) => {
                checks.fail("previous.signature", why);
                None
            }
        },
    };
    let manifest = steps::signed_text(&pkg.manifest, keys);
    let manifest = match manifest {
        Ok(text) => {
            let whose = steps::whose(pinned);
            checks.pass(
                "manifest.signature",
                format!("signed by one of the keys ({whose})"),
            );
            Some(text)
        }
        Err(why) => {
            checks.fail("manifest.signature", why);
            None
        }
    };
    let signatures = ["checkpoint.signature", "previous.signature"];
    let both = cp.as_ref().zip(prev.as_ref());
    match (&manifest, both) {
        (Some(text), Some((cp, prev))) => checks.record(
            "manifest.fields",
            manifest_fields(&pkg, cp, prev.as_ref(), text),
        ),
        _ => checks.skip(
            "manifest.fields",
            &blocked(
                &checks,
                &["manifest.signature", signatures[0], signatures[1]],
            ),
        ),
    }
    let identity = steps::identity(
        &pkg.environment,
        &pkg.customer,
        &pkg.recorded_by,
        &pkg.tenant,
    );
    match both {
        Some((cp, prev)) => {
            let other = prev.as_ref().map(|p| ("previous", p));
            let reference = &pkg.customer.customer_reference;
            checks.record(
                "checkpoint.origin",
                steps::origin(cp, other, &pkg.environment, reference),
            );
        }
        None => checks.skip("checkpoint.origin", &blocked(&checks, &signatures)),
    }
    match &cp {
        Some(cp) => checks.record("period", period(&pkg.period, cp)),
        None => checks.skip("period", "checkpoint.signature failed"),
    }
    checks.record("identity", identity);
    let frontier = steps::frontier(pkg.range.start, &pkg.range.frontier.0);
    match both {
        Some((cp, prev)) => {
            let proof = &pkg.consistency_proof.0;
            checks.record("consistency", steps::consistency(prev.as_ref(), cp, proof));
            checks.record(
                "range.start",
                range_start(pkg.range.start, cp, prev.as_ref()),
            );
            let earlier = steps::frontier_root(&frontier, prev.as_ref(), "previous");
            checks.record("range.frontier", earlier);
            checks.record("opening", opening(pkg.opening.as_ref(), cp, prev.as_ref()));
        }
        None => {
            let why = blocked(&checks, &signatures);
            for name in ["consistency", "range.start", "range.frontier", "opening"] {
                checks.skip(name, &why);
            }
        }
    }

    let bounds = (is_timestamp(&pkg.period.start) && is_timestamp(&pkg.period.end))
        .then_some((pkg.period.start.as_ref(), pkg.period.end.as_ref()));
    let vendor = (pkg.recorded_by.kind == MIDDLEWARE).then_some(pkg.recorded_by.id.as_ref());
    let outcome = records::check(
        &mut pkg.records.0.iter().map(|r| r.view()),
        Expected {
            start: pkg.range.start,
            opening: cp.as_ref().map(|c| c.opening),
            customer_id: &pkg.customer.customer_id,
            customer_reference: &pkg.customer.customer_reference,
            vendor_account: vendor,
            period: bounds,
            range: Some(frontier),
        },
    );
    match &cp {
        Some(cp) if outcome.count as u64 == cp.count => checks.pass(
            "records.count",
            format!("{} records, as the checkpoint signs", cp.count),
        ),
        Some(cp) => checks.fail(
            "records.count",
            format!(
                "{} records; the checkpoint signs for {}",
                outcome.count, cp.count
            ),
        ),
        None => checks.skip("records.count", "checkpoint.signature failed"),
    }
    checks.record("records.seq", outcome.seq);
    checks.record("records.itemHash", outcome.item_hash);
    checks.record("records.identity", outcome.identity);
    checks.record("records.amount", outcome.amount);
    match outcome.balance {
        Some(b) => checks.record("records.balance", b),
        None => checks.skip("records.balance", "checkpoint.signature failed"),
    }
    checks.record("records.entryHash", outcome.entry_hash);
    match outcome.period {
        Some(p) => checks.record("records.period", p),
        None => checks.skip(
            "records.period",
            "period.start and period.end are not timestamps",
        ),
    }
    match &cp {
        Some(cp) => {
            checks.record("range.root", steps::range_root(outcome.range, cp));
            match outcome.running {
                Some(b) if b == cp.closing => checks.pass(
                    "closing",
                    format!("the records end at the signed closing {b}"),
                ),
                Some(b) => checks.fail(
                    "closing",
                    format!(
                        "the records end at {b}, the signed closing is {}",
                        cp.closing
                    ),
                ),
                None => checks.skip("closing", "records.amount failed"),
            }
            match outcome.credits.zip(outcome.debits) {
                Some((c, d)) => checks.record("summary", summary(&pkg.summary, cp, c, d)),
                None => checks.skip("summary", "records.amount failed"),
            }
        }
        None => {
            for name in ["range.root", "closing", "summary"] {
                checks.skip(name, "checkpoint.signature failed");
            }
        }
    }

    // Facts, each only once the checks that prove it passed.
    let signed = checks.all_ok(&["manifest.signature", "manifest.fields"]);
    let bound = checks.all_ok(&["identity", "checkpoint.origin"]);
    if let Some(cp) = &cp {
        let id = signed.then_some(pkg.checkpoint.checkpoint_id.as_ref());
        report.checkpoint = Some(CheckpointFacts::of(cp, id));
    }
    if let Some(Some(p)) = &prev {
        let id = pkg
            .previous
            .as_ref()
            .filter(|_| signed)
            .map(|p| p.checkpoint_id.as_ref());
        report.previous = Some(CheckpointFacts::of(p, id));
    }
    if bound {
        report.environment = Some(pkg.environment.to_string());
        report.customer = Some(CustomerFacts {
            customer_id: pkg.customer.customer_id.to_string(),
            customer_reference: pkg.customer.customer_reference.to_string(),
        });
    }
    if bound && signed {
        report.recorded_by = Some(RecorderFacts {
            kind: Some(pkg.recorded_by.kind.to_string()),
            id: pkg.recorded_by.id.to_string(),
            display_name: Some(pkg.recorded_by.display_name.to_string()),
        });
    }
    if signed && checks.ok("period") {
        report.period = Some(PeriodFacts {
            label: pkg.period.label.to_string(),
            start: pkg.period.start.to_string(),
            end: pkg.period.end.to_string(),
        });
    }
    if checks.ok("records.count") {
        report.record_count = Some(outcome.count as u64);
    }
    if signed && checks.ok("summary") {
        let s = &pkg.summary;
        report.summary = Some(SummaryFacts {
            opening: s.opening.to_string(),
            credits: s.credits.to_string(),
            debits: s.debits.to_string(),
            net: s.net.to_string(),
            closing: s.closing.to_string(),
            record_count: s.record_count,
        });
    }
    super::finish(report, checks, "an earlier check failed")
}

/// `period`: the label names exactly these bounds, and the checkpoint closes that label.
pub(crate) fn period(p: &model::Period<'_>, cp: &Checkpoint) -> Result<String, String> {
    let (start, end) = label_bounds(&p.label)
        .ok_or_else(|| format!("label {:?} is neither YYYY-MM nor start/end", p.label))?;
    if p.start != start || p.end != end {
        return Err(format!(
            "{} runs from {start} to {end}, not from {} to {}",
            p.label, p.start, p.end
        ));
    }
    if cp.period != p.label {
        return Err(format!(
            "the checkpoint's period is {}, not {}",
            cp.period, p.label
        ));
    }
    Ok(format!("{} ({start} to {end})", p.label))
}

/// `range.start`: the period starts where the checkpoint says and where the previous ended.
fn range_start(start: u64, cp: &Checkpoint, prev: Option<&Checkpoint>) -> Result<String, String> {
    let signed = cp.size.checked_sub(cp.count).ok_or("count exceeds size")?;
    if start != signed {
        return Err(format!(
            "range.start is {start}; the checkpoint's size − count is {signed}"
        ));
    }
    let earlier = prev.map_or(0, |p| p.size);
    if start != earlier {
        return Err(match prev {
            Some(_) => {
                format!("range.start is {start}; the previous checkpoint's size is {earlier}")
            }
            None => format!("range.start is {start}, but without a previous checkpoint it is 0"),
        });
    }
    Ok(format!("the period starts at entry {start}"))
}
