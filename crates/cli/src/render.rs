//! The human-readable report: each check, the verdict, then only verified facts.

use std::fmt::Write;

use vericord_core::close_package::VerifyReport;
use vericord_core::verification_package;

pub fn human(r: &VerifyReport) -> String {
    let mut out = String::new();
    let width = r.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &r.checks {
        let mark = if c.ok { '✓' } else { '✗' };
        let _ = writeln!(out, "  {mark} {:<width$}  {}", c.name, c.detail);
    }
    let failed = r.checks.iter().filter(|c| !c.ok).count();
    let _ = match r.first_failure() {
        None => writeln!(
            out,
            "\nVERIFIED: all {} checks of {} passed",
            r.checks.len(),
            r.format
        ),
        Some(first) => writeln!(
            out,
            "\nNOT VERIFIED: {failed} of {} checks failed, first {}: {}",
            r.checks.len(),
            first.name,
            first.detail
        ),
    };
    // The format check names what the document says it is: `format is "…", not "…"`.
    let declared = |format: &str| {
        let says = format!("format is {format:?}");
        r.first_failure()
            .is_some_and(|c| c.name == "format" && c.detail.starts_with(&says))
    };
    if declared("vericord.compare/v1") {
        let _ = writeln!(
            out,
            "hint: this is a compare result: vericord verify-compare <file>"
        );
    }
    if declared(verification_package::FORMAT) {
        let _ = writeln!(
            out,
            "hint: this is a verification package: vericord verify <file>"
        );
    }
    let unverified = "(not verified)";
    let line = |out: &mut String, label: &str, value: Option<String>| {
        let _ = writeln!(
            out,
            "{label:<12} {}",
            value.as_deref().unwrap_or(unverified)
        );
    };
    let sampled = r.format == verification_package::FORMAT;
    if r.differences.is_none() && (r.format.contains("close-package") || sampled) {
        line(
            &mut out,
            "period:",
            r.period
                .as_ref()
                .map(|p| format!("{} ({} to {})", p.label, p.start, p.end)),
        );
    }
    line(
        &mut out,
        "customer:",
        r.customer.as_ref().map(|c| {
            format!(
                "{} ({}, {})",
                c.customer_id,
                c.customer_reference,
                r.environment.as_deref().unwrap_or("?")
            )
        }),
    );
    line(
        &mut out,
        "recorded by:",
        r.recorded_by.as_ref().map(|b| {
            let name = b.display_name.as_deref().unwrap_or("name not signed");
            let kind = b.kind.as_deref().unwrap_or("type not bound");
            format!("{name} ({kind} {})", b.id)
        }),
    );
    if sampled {
        line(
            &mut out,
            "sample:",
            r.sample.as_ref().map(|s| {
                let seqs: Vec<String> = s.indices.iter().map(u64::to_string).collect();
                let span = match s.population.checked_sub(1) {
                    Some(n) => format!(" (entries {} to {})", s.start, s.start.saturating_add(n)),
                    None => String::new(),
                };
                let which = match seqs.len() {
                    0 => String::from("no records"),
                    _ => format!("seq {}", seqs.join(", ")),
                };
                format!(
                    "{} of {} records{span}, {} requested: {which}; seed {} from the signed checkpoint",
                    s.indices.len(),
                    s.population,
                    s.requested,
                    s.seed
                )
            }),
        );
    } else if r.format.contains("close-package") {
        line(
            &mut out,
            "summary:",
            r.summary.as_ref().map(|s| {
                format!(
                    "opening {}, credits {}, debits {}, net {}, closing {}, {} records",
                    s.opening, s.credits, s.debits, s.net, s.closing, s.record_count
                )
            }),
        );
    } else {
        line(
            &mut out,
            "differences:",
            r.differences.as_ref().map(|d| {
                format!(
                    "{} entries, balance {}, credits {}, debits {}, record count {}, opening {}, closing {}",
                    d.entries, d.balance, d.credits, d.debits, d.record_count, d.opening, d.closing
                )
            }),
        );
    }
    line(
        &mut out,
        "checkpoint:",
        r.checkpoint
            .as_ref()
            .map(|c| format!("{} at size {}, root {}", c.origin, c.size, c.root)),
    );
    let keys = if r.keys_pinned {
        let signer = match (r.keys.len(), r.key.as_deref()) {
            (2.., Some(k)) => format!(" (the checkpoint is signed by {k})"),
            _ => String::new(),
        };
        format!("pinned {}{signer}", r.keys.join(", "))
    } else {
        let own = if r.format.contains("compare") {
            "document"
        } else {
            "package"
        };
        format!("the {own}'s own (not pinned: pass --key to pin)")
    };
    let _ = writeln!(out, "{:<12} {keys}", "keys:");
    out
}
