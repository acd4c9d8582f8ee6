//! What a closed period's statement shows, in the CSV and the PDF alike.
//!
//! Both exports are pure functions of a [`Statement`] (one closed period of one customer log,
//! every field already verified) and its [`StatementRecord`]s in log order, so the route can
//! read the records from D1 page by page and feed each page to both while streaming. Nothing
//! here reads a clock or does I/O: the same input always gives the same bytes.
//!
//! Identity (docs/SPEC.md §12): `vendor` is `recordedBy.displayName`. For a billing
//! middleware that is the vendor account's name; the middleware parent tenant's name is not
//! an input, so no export can show it.

use vericord_core::Amount;

/// One closed period of one customer log (the close package's header and summary, §12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Buyer-facing recorder name: `recordedBy.displayName` (the vendor account's name for
    /// billing middleware, never the middleware parent tenant's).
    pub vendor: String,
    /// `"middleware_vendor_account"` or `"tenant"`.
    pub recorded_by_type: String,
    /// The vendor account id or the tenant id.
    pub recorded_by_id: String,
    pub customer_id: String,
    /// `0x` + 64 hex (§4).
    pub customer_reference: String,
    /// `"sandbox"` or `"production"`.
    pub environment: String,
    /// `"2026-11"`.
    pub period_label: String,
    /// RFC 3339 with ms, UTC, inclusive.
    pub period_start: String,
    /// RFC 3339 with ms, UTC, exclusive.
    pub period_end: String,
    pub opening: Amount,
    /// Sum of the positive deltas.
    pub credits: Amount,
    /// Sum of the magnitudes of the negative deltas.
    pub debits: Amount,
    /// `credits − debits` = `closing − opening`.
    pub net: Amount,
    pub closing: Amount,
    pub record_count: u64,
    pub checkpoint_id: String,
    /// `0x` + 64 hex.
    pub checkpoint_root: String,
    pub tree_size: u64,
    /// Signing key name, e.g. `vericord.example`.
    pub key_name: String,
    /// 8 hex.
    pub key_id: String,
    /// The full verifier key text `name+id+base64`.
    pub verifier_key: String,
    /// The deployment's page that verifies the checkpoint, `https://host/verify/<root>`.
    pub verify_url: String,
    /// The close package's file name inside the bundle, e.g. `close-package.json`.
    pub package_file: String,
}

/// One record of the period, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRecord {
    pub seq: u64,
    pub record_id: String,
    /// RFC 3339 with ms, UTC.
    pub received_at: String,
    /// Signed, as recorded: negative consumes the balance, positive credits it.
    pub delta: Amount,
    pub reason: String,
    pub reference_id: Option<String>,
    pub balance_after: Amount,
    pub item_hash: String,
    pub entry_hash: String,
    /// Received before the period started, sequenced into it (carried over, §11).
    pub received_before_period: bool,
    /// The delta adjusts an earlier one.
    pub adjusts: bool,
}

/// Test data shared by the CSV and PDF tests: a statement whose totals agree with its records.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn amount(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    /// `n` records from `opening`, deterministic and varied: usage, credits, an adjustment,
    /// a carried-over first record, reasons with commas, quotes, newlines and formula starts.
    pub fn records(opening: Amount, n: u64) -> Vec<StatementRecord> {
        let mut balance = opening;
        (0..n)
            .map(|i| {
                let delta = match i % 7 {
                    3 => amount("100"),
                    5 => amount("0.000000001"),
                    6 => amount("2.25"),
                    _ => Amount::from_nanos(-(i as i128 % 13 + 1) * 1_250_000_000),
                };
                balance = balance.checked_add(delta).unwrap();
                let reason = match i % 5 {
                    0 => format!("inference tokens, model \"large\" #{i}"),
                    1 => "=HYPERLINK(\"http://x\")".to_string(),
                    2 => "multi\nline reason".to_string(),
                    3 => "top-up".to_string(),
                    _ => {
                        format!("usage for job {i} on a fairly long description that will not fit")
                    }
                };
                StatementRecord {
                    seq: 1000 + i,
                    record_id: format!("rec_{i:08}"),
                    received_at: format!("2026-11-{:02}T10:30:00.{:03}Z", 1 + i % 28, i % 1000),
                    delta,
                    reason,
                    reference_id: (i % 2 == 0).then(|| format!("inv-{i}")),
                    balance_after: balance,
                    item_hash: format!("0x{:064x}", i + 1),
                    entry_hash: format!("0x{:064x}", i + 2),
                    received_before_period: i == 0,
                    adjusts: i % 7 == 6,
                }
            })
            .collect()
    }

    /// The statement of `records` (totals computed from them).
    pub fn statement(vendor: &str, opening: Amount, records: &[StatementRecord]) -> Statement {
        let (mut credits, mut debits) = (Amount::ZERO, Amount::ZERO);
        for r in records {
            if r.delta.is_negative() {
                debits = debits.checked_sub(r.delta).unwrap();
            } else {
                credits = credits.checked_add(r.delta).unwrap();
            }
        }
        let net = credits.checked_sub(debits).unwrap();
        Statement {
            vendor: vendor.to_string(),
            recorded_by_type: "middleware_vendor_account".into(),
            recorded_by_id: "cmw_vendor_123".into(),
            customer_id: "cust_1".into(),
            customer_reference: format!("0x{}", "ab".repeat(32)),
            environment: "production".into(),
            period_label: "2026-11".into(),
            period_start: "2026-11-01T00:00:00.000Z".into(),
            period_end: "2026-12-01T00:00:00.000Z".into(),
            opening,
            credits,
            debits,
            net,
            closing: opening.checked_add(net).unwrap(),
            record_count: records.len() as u64,
            checkpoint_id: "chk_0123456789abcdef".into(),
            checkpoint_root: format!("0x{}", "5e".repeat(32)),
            tree_size: 1000 + records.len() as u64,
            key_name: "vericord.example".into(),
            key_id: "1a2b3c4d".into(),
            verifier_key: format!(
                "vericord.example+1a2b3c4d+A{}",
                "Qk9ZUEFDS0VUcHVibGljS2V5".repeat(2)
            ),
            verify_url: format!("https://vericord.example/verify/0x{}", "5e".repeat(32)),
            package_file: "close-package.json".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;

    #[test]
    fn fixture_totals_agree() {
        let opening = amount("12.5");
        let recs = records(opening, 50);
        let st = statement("Acme", opening, &recs);
        assert_eq!(st.closing, recs.last().unwrap().balance_after);
        assert_eq!(st.net, st.closing.checked_sub(st.opening).unwrap());
        assert_eq!(st.net, st.credits.checked_sub(st.debits).unwrap());
        assert!(!st.debits.is_negative());
    }
}
