//! `verify_verification_package`: every step of §15 as a named check, with the close package's
//! steps (§12) for what the two formats share.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::model::VerificationPackage;
use super::{manifest_text_of, sample_indices, sample_seed, CHECKS, FORMAT, MAX_SAMPLE};
use crate::checkpoint::Checkpoint;
use crate::close_package::manifest::{common_members, head, signs_exactly};
use crate::close_package::model;
use crate::close_package::records::{self, Expected};
use crate::close_package::steps::{self, blocked, MIDDLEWARE};
use crate::close_package::time::is_timestamp;
use crate::close_package::verify::period;
use crate::close_package::{
    empty_report, finish, CheckpointFacts, Checks, CustomerFacts, PeriodFacts, RecorderFacts,
    SampleFacts, VerifyReport,
};
use crate::hash::Hash;
use crate::jcs::{Num, Tree};
use crate::merkle::RootHash;

/// Verifies a verification package (`docs/SPEC.md` §15) against `trusted`, or, when that is
/// empty, against the package's own `verifierKeys` (the report then says `keysPinned: false`:
/// integrity without knowing who signed). Never panics; the report names every check
/// ([`CHECKS`]) and shows only facts whose checks passed.
pub fn verify_verification_package(json_text: &str, trusted: &[&str]) -> VerifyReport {
    let mut checks = Checks::new(CHECKS);
    let mut report = empty_report(FORMAT, trusted);
    let pkg: VerificationPackage<'_> =
        match model::parse::<VerificationPackage<'_>>(json_text, FORMAT) {
            Ok(p) if p.format == FORMAT => p,
            Ok(p) => {
                checks.fail(
                    "format",
                    format!("format is {:?}, not {FORMAT:?}", p.format),
                );
                return finish(report, checks, "format failed");
            }
            Err(why) => {
                checks.fail("format", why);
                return finish(report, checks, "format failed");
            }
        };
    checks.pass("format", FORMAT);
    let own: Vec<&str> = pkg.verifier_keys.0.iter().map(|k| k.as_ref()).collect();
    let pinned = !trusted.is_empty();
    let keys = if pinned { trusted } else { own.as_slice() };
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
    let manifest = match steps::signed_text(&pkg.manifest, keys) {
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
    match (&manifest, &cp) {
        (Some(text), Some(cp)) => checks.record("manifest.fields", manifest_fields(&pkg, cp, text)),
        _ => checks.skip(
            "manifest.fields",
            &blocked(&checks, &["manifest.signature", "checkpoint.signature"]),
        ),
    }
    let reference = &pkg.customer.customer_reference;
    match &cp {
        Some(cp) => {
            checks.record(
                "checkpoint.origin",
                steps::origin(cp, None, &pkg.environment, reference),
            );
            checks.record("period", period(&pkg.period, cp));
        }
        None => {
            checks.skip("checkpoint.origin", "checkpoint.signature failed");
            checks.skip("period", "checkpoint.signature failed");
        }
    }
    checks.record(
        "identity",
        steps::identity(
            &pkg.environment,
            &pkg.customer,
            &pkg.recorded_by,
            &pkg.tenant,
        ),
    );

    // The sample: its seed is the note's, its size the note's, its records the seed's draw.
    let seed: Option<Hash> = pkg.sample.seed.parse().ok();
    checks.record("sample.seed", sample_seed_check(seed, &pkg.checkpoint.note));
    match &cp {
        Some(cp) => checks.record("sample.size", sample_size(&pkg, cp)),
        None => checks.skip("sample.size", "checkpoint.signature failed"),
    }
    let seqs: Vec<u64> = pkg.records.0.iter().map(|r| r.seq).collect();
    let drawn = match seed {
        None => {
            checks.skip("sample.indices", "sample.seed is not a hash");
            None
        }
        Some(_) if pkg.sample.requested > MAX_SAMPLE => {
            let why = format!("sample.requested is above {MAX_SAMPLE}");
            checks.skip("sample.indices", &why);
            None
        }
        Some(seed) => {
            let s = &pkg.sample;
            let drawn = sample_indices(&seed, s.start, s.population, s.requested);
            checks.record("sample.indices", sample_positions(&seqs, &drawn));
            Some(drawn)
        }
    };

    let bounds = (is_timestamp(&pkg.period.start) && is_timestamp(&pkg.period.end))
        .then_some((pkg.period.start.as_ref(), pkg.period.end.as_ref()));
    let vendor = (pkg.recorded_by.kind == MIDDLEWARE).then_some(pkg.recorded_by.id.as_ref());
    // No running balance (`opening: None`) and no range: the records are not contiguous, so
    // the pass's seq outcome is not used either — `sample.indices` places them instead.
    let outcome = records::check(
        &mut pkg.records.0.iter().map(|r| r.view()),
        Expected {
            start: 0,
            opening: None,
            customer_id: &pkg.customer.customer_id,
            customer_reference: reference,
            vendor_account: vendor,
            period: bounds,
            range: None,
        },
    );
    checks.record("records.itemHash", outcome.item_hash);
    checks.record("records.identity", outcome.identity);
    checks.record("records.amount", outcome.amount);
    checks.record("records.entryHash", outcome.entry_hash);
    match outcome.period {
        Some(p) => checks.record("records.period", p),
        None => checks.skip(
            "records.period",
            "period.start and period.end are not timestamps",
        ),
    }
    match &cp {
        Some(cp) => checks.record("records.inclusion", inclusion(&pkg, cp)),
        None => checks.skip("records.inclusion", "checkpoint.signature failed"),
    }

    // Facts, each only once the checks that prove it passed.
    let signed = checks.all_ok(&["manifest.signature", "manifest.fields"]);
    let bound = checks.all_ok(&["identity", "checkpoint.origin"]);
    if let Some(cp) = &cp {
        let id = signed.then_some(pkg.checkpoint.checkpoint_id.as_ref());
        report.checkpoint = Some(CheckpointFacts::of(cp, id));
    }
    if bound {
        report.environment = Some(pkg.environment.to_string());
        report.customer = Some(CustomerFacts {
            customer_id: pkg.customer.customer_id.to_string(),
            customer_reference: reference.to_string(),
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
    if checks.ok("sample.size") {
        report.record_count = Some(seqs.len() as u64);
    }
    let sampled = checks.all_ok(&["sample.seed", "sample.size", "sample.indices"]);
    if let (true, true, Some(seed), Some(indices)) = (signed, sampled, seed, drawn) {
        let s = &pkg.sample;
        report.sample = Some(SampleFacts {
            seed,
            requested: s.requested,
            population: s.population,
            start: s.start,
            indices,
        });
    }
    finish(report, checks, "an earlier check failed")
}

/// `manifest.fields`: the manifest signs exactly the package's members (§15).
fn manifest_fields(
    pkg: &VerificationPackage<'_>,
    cp: &Checkpoint,
    signed: &str,
) -> Result<String, String> {
    let mut members = common_members(
        &pkg.format,
        &pkg.environment,
        &pkg.customer,
        &pkg.recorded_by,
        &pkg.tenant,
        &pkg.period,
        &pkg.verifier_keys.0,
    );
    let s = &pkg.sample;
    members.extend([
        ("checkpoint", head(&pkg.checkpoint.checkpoint_id, cp)),
        (
            "sample",
            Tree::object(vec![
                ("seed", Tree::String(String::from(s.seed.as_ref()))),
                ("requested", Tree::Number(Num::PosInt(s.requested))),
                ("population", Tree::Number(Num::PosInt(s.population))),
                ("start", Tree::Number(Num::PosInt(s.start))),
            ]),
        ),
    ]);
    let expected = Tree::object(members);
    let text = manifest_text_of(&expected).map_err(|e| format!("the package's members {e}"))?;
    signs_exactly(FORMAT, &expected, &text, signed, "verification-package")
}

/// `sample.seed`: the seed is the checkpoint note's (§15).
fn sample_seed_check(seed: Option<Hash>, note: &str) -> Result<String, String> {
    let seed = seed.ok_or("sample.seed is not 0x and 64 hex digits")?;
    let want = sample_seed(note);
    if seed != want {
        return Err(format!(
            "sample.seed is {seed}; the checkpoint note's seed is {want}"
        ));
    }
    Ok(format!("{seed}, drawn from the signed checkpoint note"))
}

/// `sample.size`: the population is the period's records, the sample as large as asked.
fn sample_size(pkg: &VerificationPackage<'_>, cp: &Checkpoint) -> Result<String, String> {
    let s = &pkg.sample;
    if s.population != cp.count {
        return Err(format!(
            "sample.population is {}; the checkpoint's count is {}",
            s.population, cp.count
        ));
    }
    let start = cp.size.checked_sub(cp.count).ok_or("count exceeds size")?;
    if s.start != start {
        return Err(format!(
            "sample.start is {}; the checkpoint's size − count is {start}",
            s.start
        ));
    }
    if !(1..=MAX_SAMPLE).contains(&s.requested) {
        return Err(format!(
            "sample.requested is {}, not 1 to {MAX_SAMPLE}",
            s.requested
        ));
    }
    let k = s.requested.min(cp.count);
    let held = pkg.records.0.len() as u64;
    if held != k {
        return Err(format!(
            "{held} records; a sample of {} from {} records holds {k}",
            s.requested, cp.count
        ));
    }
    let span = match cp.size.checked_sub(1) {
        Some(last) if cp.count > 0 => format!(" (entries {start} to {last})"),
        _ => String::new(),
    };
    Ok(format!(
        "{k} of the period's {} records{span}, {} requested",
        cp.count, s.requested
    ))
}

/// `sample.indices`: the records are exactly the positions the seed draws, ascending.
fn sample_positions(seqs: &[u64], drawn: &[u64]) -> Result<String, String> {
    let differs = seqs.iter().zip(drawn).position(|(s, d)| s != d);
    match differs {
        Some(i) => {
            let (seq, want) = (
                seqs.get(i).copied().unwrap_or_default(),
                drawn.get(i).copied().unwrap_or_default(),
            );
            Err(format!(
                "records[{i}] (seq {seq}): the seed draws entry {want} there"
            ))
        }
        None if seqs.len() > drawn.len() => Err(format!(
            "{} records; the seed draws {} positions",
            seqs.len(),
            drawn.len()
        )),
        None if seqs.len() < drawn.len() => {
            let missing = drawn.get(seqs.len()).copied().unwrap_or_default();
            Err(format!(
                "{} records; the seed draws {} positions, entry {missing} is missing",
                seqs.len(),
                drawn.len()
            ))
        }
        None if drawn.is_empty() => Ok(String::from("no positions drawn: no records")),
        None => Ok(format!(
            "the records are the {} positions drawn from the seed",
            drawn.len()
        )),
    }
}

/// `records.inclusion`: each entryHash is in the signed tree at its seq (§7).
fn inclusion(pkg: &VerificationPackage<'_>, cp: &Checkpoint) -> Result<String, String> {
    let head = RootHash::new(cp.root, cp.size);
    for (i, r) in pkg.records.0.iter().enumerate() {
        let at = || format!("records[{i}] (seq {})", r.seq);
        let leaf: Hash = r
            .entry_hash
            .parse()
            .map_err(|_| format!("{}: entryHash is not a hash", at()))?;
        let proof = steps::hashes("proof", &r.proof.0).map_err(|e| format!("{}: {e}", at()))?;
        head.verify_inclusion(&leaf, r.seq, &proof)
            .map_err(|e| format!("{}: inclusion proof: {e} ({})", at(), e.code()))?;
    }
    Ok(match pkg.records.0.len() {
        0 => String::from("no records"),
        n => format!(
            "{n} entryHashes are in the tree of root {} at size {}",
            cp.root, cp.size
        ),
    })
}
