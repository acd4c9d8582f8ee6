//! The period's records as RFC 4180 CSV (the `csv` crate: CRLF line ends, a field quoted
//! only when it holds a comma, quote or line break, quotes doubled), one row per record in
//! log order, header row first. [`header`] once, then [`rows`] page by page: every chunk ends
//! with CRLF and every row has the same columns, so the concatenation is one valid CSV.
//!
//! Column names are FinOps FOCUS names where one means the same thing, then custom columns
//! with FOCUS's `x_` prefix. This is not a conforming FOCUS dataset: the amounts have no
//! currency and there is no list or effective cost, so those columns are left out rather
//! than guessed.
//!
//! | column | value |
//! |---|---|
//! | `BillingAccountId` | the vendor's customer id (`customerId`): the account the balance belongs to |
//! | `InvoiceIssuerName` | the recorder's display name (`recordedBy.displayName`), who bills the customer |
//! | `ProviderName` | the same name: the vendor (for billing middleware, the vendor account) provided what was consumed |
//! | `BillingPeriodStart` | the period's start, RFC 3339 UTC ms, inclusive |
//! | `BillingPeriodEnd` | the period's end, exclusive (as FOCUS has it) |
//! | `ChargePeriodStart` | the record's `receivedAt` |
//! | `ChargePeriodEnd` | `receivedAt` + 1 ms, exclusive: a delta is an event, not a span |
//! | `ChargeCategory` | `Adjustment` if the delta adjusts an earlier one, else `Usage` (negative delta: balance consumed) or `Credit` (positive) |
//! | `ChargeDescription` | the record's `reason` |
//! | `BilledCost` | −delta, exact decimal: usage positive, credits negative, as FOCUS signs them; its sum is −net |
//! | `x_RecordId` | the record id |
//! | `x_Seq` | the entry's sequence number in the customer log |
//! | `x_ReceivedAt` | `receivedAt` as hashed in the item |
//! | `x_Delta` | the delta as recorded, signed, exact decimal |
//! | `x_BalanceAfter` | the running balance after this record, exact decimal |
//! | `x_ReferenceId` | the record's `referenceId`, empty if none |
//! | `x_ReceivedBeforePeriod` | `true` for a record received before the period and sequenced into it (SPEC §11), else `false` |
//! | `x_ItemHash`, `x_EntryHash` | the record's item and entry hashes (SPEC §5, §6) |
//! | `x_CustomerReference` | `customerReference` (SPEC §4) |
//! | `x_CheckpointId`, `x_CheckpointRoot` | the closing checkpoint that signs these records |
//! | `x_Period` | the period label, `YYYY-MM` |
//! | `x_Environment` | `sandbox` or `production` |
//! | `x_RecordedByType`, `x_RecordedById` | `middleware_vendor_account` or `tenant`, and its id |
//!
//! Left out: `BillingCurrency` (FOCUS wants an ISO 4217 code; a balance here is in the
//! vendor's own unit, which vericord is never told), `BillingAccountName` (vericord has no
//! customer name; the only name at hand is the vendor's, which would mislead there).
//!
//! Amounts are always the exact canonical decimal text (SPEC §2), never floats.
//!
//! **Spreadsheet formula guard.** A text cell (ids, names, reason, reference) starting with
//! `=`, `+`, `-`, `@`, tab or CR would run as a formula when the file is opened in a
//! spreadsheet, so it gets a leading `'` — unless the whole cell is a plain decimal number
//! (`-42`, `-12.5`), which a spreadsheet reads as a number, not a formula. A text cell that
//! already starts with `'` gets one more, so the guard is reversible: a program reading this
//! file recovers the recorded text by removing one leading `'` from any text cell that has
//! one. Amounts, timestamps, booleans and sequence numbers are never altered.

use std::borrow::Cow;

use super::statement::{Statement, StatementRecord};
use vericord_core::Amount;

/// The columns, in order.
pub const COLUMNS: [&str; 26] = [
    "BillingAccountId",
    "InvoiceIssuerName",
    "ProviderName",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "BilledCost",
    "x_RecordId",
    "x_Seq",
    "x_ReceivedAt",
    "x_Delta",
    "x_BalanceAfter",
    "x_ReferenceId",
    "x_ReceivedBeforePeriod",
    "x_ItemHash",
    "x_EntryHash",
    "x_CustomerReference",
    "x_CheckpointId",
    "x_CheckpointRoot",
    "x_Period",
    "x_Environment",
    "x_RecordedByType",
    "x_RecordedById",
];

/// The header row, CRLF-terminated.
pub fn header() -> Vec<u8> {
    write(core::iter::once(COLUMNS.map(Cow::Borrowed)))
}

/// One row per record, CRLF-terminated, to append after [`header`] (or after earlier rows).
pub fn rows(st: &Statement, records: &[StatementRecord]) -> Vec<u8> {
    write(records.iter().map(|r| row(st, r)))
}

fn row<'a>(st: &'a Statement, r: &'a StatementRecord) -> [Cow<'a, str>; 26] {
    let amount = |a: Amount| Cow::Owned(a.to_string());
    [
        guard(&st.customer_id),
        guard(&st.vendor),
        guard(&st.vendor),
        Cow::Borrowed(&st.period_start),
        Cow::Borrowed(&st.period_end),
        Cow::Borrowed(&r.received_at),
        Cow::Owned(charge_period_end(&r.received_at)),
        Cow::Borrowed(charge_category(r)),
        guard(&r.reason),
        amount(Amount::from_nanos(r.delta.nanos().saturating_neg())),
        guard(&r.record_id),
        Cow::Owned(r.seq.to_string()),
        Cow::Borrowed(&r.received_at),
        amount(r.delta),
        amount(r.balance_after),
        guard(r.reference_id.as_deref().unwrap_or("")),
        Cow::Borrowed(if r.received_before_period {
            "true"
        } else {
            "false"
        }),
        guard(&r.item_hash),
        guard(&r.entry_hash),
        guard(&st.customer_reference),
        guard(&st.checkpoint_id),
        guard(&st.checkpoint_root),
        guard(&st.period_label),
        guard(&st.environment),
        guard(&st.recorded_by_type),
        guard(&st.recorded_by_id),
    ]
}

/// FOCUS `ChargeCategory` of one record.
pub fn charge_category(r: &StatementRecord) -> &'static str {
    if r.adjusts {
        "Adjustment"
    } else if r.delta.is_negative() {
        "Usage"
    } else {
        "Credit"
    }
}

/// `received_at` + 1 ms as RFC 3339 UTC ms. Unparsable text (never, for verified records) is
/// returned unchanged rather than invented.
pub fn charge_period_end(received_at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(received_at) {
        Ok(t) => (t.to_utc() + chrono::TimeDelta::milliseconds(1))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        Err(_) => received_at.to_string(),
    }
}

/// The formula guard (see the module doc).
pub fn guard(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'')
    );
    if risky && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `-?[0-9]+(\.[0-9]+)?`: what a spreadsheet reads as a number, never a formula.
fn is_plain_number(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(unsigned),
    }
}

/// Rows of `N` cells as CSV, each CRLF-terminated.
pub fn write<'a, const N: usize>(rows: impl Iterator<Item = [Cow<'a, str>; N]>) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to a Vec cannot fail, and every row has the same N fields, so the
        // results carry no information.
        for r in rows {
            let _ = w.write_record(r.iter().map(|c| c.as_bytes()));
        }
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::statement::fixtures::{amount, records, statement};

    fn parse(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_reader(bytes);
        let head = r.headers().unwrap().iter().map(String::from).collect();
        (head, r.records().map(Result::unwrap).collect())
    }

    fn col(name: &str) -> usize {
        COLUMNS.iter().position(|c| *c == name).unwrap()
    }

    #[test]
    fn chunks_concatenate_into_one_csv() {
        let opening = amount("12.5");
        let recs = records(opening, 40);
        let st = statement("Acme Inference", opening, &recs);
        let mut out = header();
        for chunk in recs.chunks(7) {
            out.extend(rows(&st, chunk));
        }
        assert!(out.ends_with(b"\r\n"));
        assert!(header().starts_with(b"BillingAccountId,InvoiceIssuerName,"));
        let (head, body) = parse(&out);
        assert_eq!(head, COLUMNS);
        assert_eq!(body.len(), 40);
        for (row, rec) in body.iter().zip(&recs) {
            assert_eq!(row.len(), COLUMNS.len());
            assert_eq!(&row[col("x_Seq")], rec.seq.to_string());
            assert_eq!(&row[col("x_Delta")], rec.delta.to_string());
            assert_eq!(&row[col("x_BalanceAfter")], rec.balance_after.to_string());
            assert_eq!(&row[col("x_EntryHash")], rec.entry_hash);
            assert_eq!(&row[col("ProviderName")], "Acme Inference");
            assert_eq!(&row[col("x_CheckpointRoot")], st.checkpoint_root);
        }
        assert_eq!(&body[0][col("x_ReceivedBeforePeriod")], "true");
        assert_eq!(&body[1][col("x_ReceivedBeforePeriod")], "false");
        assert_eq!(&body[1][col("x_ReferenceId")], "");
        assert_eq!(rows(&st, &[]), b"");
    }

    #[test]
    fn billed_cost_sums_to_minus_net() {
        let opening = amount("-3");
        let recs = records(opening, 300);
        let st = statement("Acme", opening, &recs);
        let (_, body) = parse(&[header(), rows(&st, &recs)].concat());
        let mut sum = Amount::ZERO;
        for row in &body {
            let cost = Amount::parse(&row[col("BilledCost")]).unwrap();
            let delta = Amount::parse(&row[col("x_Delta")]).unwrap();
            assert_eq!(cost.nanos(), -delta.nanos());
            sum = sum.checked_add(cost).unwrap();
        }
        assert_eq!(sum.nanos(), -st.net.nanos());
        assert_eq!(&body[5][col("BilledCost")], "-0.000000001");
    }

    #[test]
    fn charge_categories() {
        let recs = records(Amount::ZERO, 7);
        let cats: Vec<_> = recs.iter().map(charge_category).collect();
        assert_eq!(cats[0], "Usage");
        assert_eq!(cats[3], "Credit");
        assert_eq!(cats[6], "Adjustment");
    }

    #[test]
    fn charge_period_end_is_one_ms_later() {
        assert_eq!(
            charge_period_end("2026-11-03T10:30:00.123Z"),
            "2026-11-03T10:30:00.124Z"
        );
        assert_eq!(
            charge_period_end("2026-11-30T23:59:59.999Z"),
            "2026-12-01T00:00:00.000Z"
        );
        assert_eq!(charge_period_end("not a time"), "not a time");
    }

    #[test]
    fn quoting_round_trips() {
        let mut recs = records(Amount::ZERO, 1);
        let nasty = "a, \"quoted\" reason\r\nwith lines\nand é — 中文";
        recs[0].reason = nasty.into();
        recs[0].reference_id = Some("ref,1".into());
        let st = statement("José Müller GmbH — Ünïcødé 中文", Amount::ZERO, &recs);
        let bytes = rows(&st, &recs);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"a, \"\"quoted\"\" reason\r\nwith lines\nand é — 中文\""));
        let (_, body) = parse(&[header(), bytes].concat());
        assert_eq!(&body[0][col("ChargeDescription")], nasty);
        assert_eq!(&body[0][col("x_ReferenceId")], "ref,1");
        assert_eq!(&body[0][col("InvoiceIssuerName")], st.vendor);
    }

    #[test]
    fn formula_guard() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for risky in [
            "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "'=x", "-", "-1.", "-.5",
        ] {
            assert_eq!(guard(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["-42", "-12.5", "12", "usage", "", " =x", "0x5e"] {
            assert_eq!(guard(safe), safe, "{safe:?}");
        }
        // In a row: text cells guarded, amounts never.
        let mut recs = records(Amount::ZERO, 2);
        recs[0].reference_id = Some("@evil".into());
        let mut st = statement("=cmd|' /C calc'!A0", Amount::ZERO, &recs);
        st.customer_id = "-cust".into();
        let (_, body) = parse(&[header(), rows(&st, &recs)].concat());
        assert_eq!(&body[0][col("x_ReferenceId")], "'@evil");
        assert_eq!(&body[0][col("InvoiceIssuerName")], "'=cmd|' /C calc'!A0");
        assert_eq!(&body[0][col("BillingAccountId")], "'-cust");
        assert_eq!(
            &body[1][col("ChargeDescription")],
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(&body[0][col("x_Delta")], "-1.25");
        assert_eq!(&body[0][col("BilledCost")], "1.25");
    }
}
