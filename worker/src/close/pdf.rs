//! The period's statement as a PDF (pdf-writer, content streams FlateDecoded with miniz_oxide).
//!
//! A4. Page 1: title, who recorded, customer, environment, period, a totals box, the closing
//! checkpoint, the signing and verifier keys and how to verify; then the record table over as
//! many pages as it takes, header row on every page, "page N of M" on every page.
//!
//! - **Streaming**: [`PdfBuilder::add`] takes the records in any chunks; each page's content
//!   stream is compressed and written into the file as soon as the page fills, so memory is
//!   the output (≈50 bytes a record) plus one page. The footers go in a second, tiny content
//!   stream per page written by [`PdfBuilder::finish`], once M is known for certain.
//! - **Fonts**: base-14 Helvetica and Helvetica-Bold, not embedded, `/WinAnsiEncoding` set
//!   explicitly (else StandardEncoding applies). Text is transcoded to Windows-1252 here;
//!   a character it lacks prints as `?`, and the last page says so when that happened.
//! - **Widths**: right alignment and truncation need glyph widths, which pdf-writer lacks:
//!   [`HELVETICA`] and [`HELVETICA_BOLD`] are the Adobe AFM widths of ASCII 32–126 (WinAnsi
//!   codes, so 39 is quotesingle and 96 grave). Any byte ≥ 0x80 counts as 1000, the widest
//!   Helvetica glyph in cp1252, so truncating and wrapping err short, never overflow.
//!   Amounts are ASCII, so their right alignment is exact.
//! - **Determinism**: no dates; the file ID is derived from the checkpoint root; same input,
//!   same bytes. Object ids come from one counter ([`Ref::bump`]), never reused.

use super::pdf_text::{cp1252, text_width, truncate, wrap};
use super::statement::{Statement, StatementRecord};
use miniz_oxide::deflate::{compress_to_vec_zlib, CompressionLevel};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Settings, Str, TextStr};
use sha2::{Digest, Sha256};

const W: f32 = 595.0; // A4, points
const H: f32 = 842.0;
const M: f32 = 48.0; // margin
const TOP: f32 = H - M;
const TABLE_BOTTOM: f32 = 68.0; // below: the '*' footnote, the '?' note, the footer
const ROW: f32 = 11.0;
const SIZE: f32 = 8.0;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");
const STAR_NOTE: &[u8] =
    b"* Received before this period began; sequenced into it after the previous period closed.";
const AMOUNTS_NOTE: &str =
    "Amounts are exact. A negative delta consumed the balance; a positive one credited it.";
const REPLACED_NOTE: &[u8] = b"Characters outside Windows-1252 are shown as ?; \
    the CSV and the close package hold the exact text.";

/// Record table columns: header, width, right-aligned. They span exactly W − 2M.
const COLS: [(&str, f32, bool); 6] = [
    ("#", 38.0, false),
    ("received (UTC)", 104.0, false),
    ("reason", 132.0, false),
    ("reference", 76.0, false),
    ("delta", 73.0, true),
    ("balance after", 76.0, true),
];
const PAD: f32 = 3.0;

/// Builds the statement PDF: [`new`](PdfBuilder::new), [`add`](PdfBuilder::add) the records
/// in log order in any chunks, [`finish`](PdfBuilder::finish).
pub struct PdfBuilder {
    pdf: Pdf,
    next: Ref,
    pages: Ref,
    fonts: [Ref; 2],
    bodies: Vec<Ref>,
    page: Content,
    y: f32,
    star_on_page: bool,
    rows: u64,
    expected: u64,
    replaced: bool,
    footer: Vec<u8>,
}

impl PdfBuilder {
    /// Starts the statement: writes the fixed objects and page 1 up to the table header.
    pub fn new(st: &Statement) -> PdfBuilder {
        let mut next = Ref::new(1);
        let [catalog, pages, regular, bold, info] = [(); 5].map(|_| next.bump());
        let mut pdf = Pdf::with_settings(Settings { pretty: false });
        pdf.catalog(catalog).pages(pages);
        for (id, name) in [(regular, &b"Helvetica"[..]), (bold, b"Helvetica-Bold")] {
            let mut font = pdf.type1_font(id);
            font.base_font(Name(name))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        let title = format!("Statement of record — {}", st.period_label);
        let full = format!("{title} — {} — {}", st.vendor, st.customer_id);
        pdf.document_info(info)
            .title(TextStr(&full))
            .producer(TextStr("vericord"));
        // A fixed ID: the same statement always gets the same file identifier.
        let id = Sha256::new()
            .chain_update(b"vericord:statement-pdf:v1\0")
            .chain_update(st.checkpoint_root.as_bytes())
            .finalize();
        pdf.set_file_id((id[..16].to_vec(), id[..16].to_vec()));
        let mut b = PdfBuilder {
            pdf,
            next,
            pages,
            fonts: [regular, bold],
            bodies: Vec::new(),
            page: Content::new(),
            y: TOP,
            star_on_page: false,
            rows: 0,
            expected: st.record_count,
            replaced: false,
            footer: Vec::new(),
        };
        let footer = format!("{} · {} · {}", st.vendor, st.customer_id, st.period_label);
        let footer = b.enc(&footer);
        b.footer = truncate(&footer, false, 7.0, W - 2.0 * M - 80.0);
        b.cover(st, &title);
        b
    }

    fn cover(&mut self, st: &Statement, title: &str) {
        self.y -= 17.0;
        self.text(M, self.y, true, 17.0, title);
        self.y -= 8.0;
        self.hline(self.y, 0.8);
        self.y -= 6.0;
        let period = format!("{} – {} (end exclusive)", st.period_start, st.period_end);
        self.pairs(&[
            ("Recorded by", &st.vendor),
            ("Customer", &st.customer_id),
            ("Customer reference", &st.customer_reference),
            ("Environment", &st.environment),
            ("Period", &period),
        ]);
        if self.y - 130.0 < TABLE_BOTTOM {
            self.close_page(); // the box stays on one page
        }
        self.heading("Totals");
        let (bw, top) = (280.0, self.y - 5.0);
        self.y = top;
        for (label, value) in [
            ("Opening balance", st.opening.to_string()),
            ("Credits", st.credits.to_string()),
            ("Debits", st.debits.to_string()),
            ("Net change", st.net.to_string()),
            ("Closing balance", st.closing.to_string()),
            ("Records", st.record_count.to_string()),
        ] {
            self.y -= 14.0;
            let bold = label == "Closing balance";
            self.text(M + 8.0, self.y, bold, 9.5, label);
            let v = value.as_bytes();
            self.right(M + bw - 8.0, self.y, bold, 9.5, v, bw - 120.0);
        }
        self.y -= 7.0;
        self.page
            .set_line_width(0.6)
            .rect(M, self.y, bw, top - self.y)
            .stroke();
        self.heading("Checkpoint");
        let key = format!("{} (key id {})", st.key_name, st.key_id);
        self.pairs(&[
            ("Checkpoint id", &st.checkpoint_id),
            ("Root", &st.checkpoint_root),
            ("Tree size", &st.tree_size.to_string()),
            ("Signing key", &key),
            ("Verifier key", &st.verifier_key),
        ]);
        self.heading("How to verify");
        // The command as a shell line continuation: copyable, the key on a line of its own.
        for (text, indent) in [
            (
                "1. With the vericord command-line tool, in the unpacked bundle:",
                0.0,
            ),
            (&format!("vericord verify {} \\", st.package_file), 12.0),
            (&format!("--key {}", st.verifier_key), 24.0),
            (
                "2. Or open verify.html in this bundle in a web browser.",
                0.0,
            ),
            ("3. Or online, on the deployment's verify page:", 0.0),
            (&st.verify_url, 12.0),
        ] {
            self.para(text, indent);
        }
        self.heading(&format!("Records ({})", st.record_count));
        self.para(AMOUNTS_NOTE, 0.0);
        self.y -= 4.0;
        if self.y - 3.0 * ROW < TABLE_BOTTOM {
            self.close_page();
        }
        self.table_header();
    }

    /// Adds the next records, in log order, to the table.
    pub fn add(&mut self, records: &[StatementRecord]) {
        for r in records {
            if self.y - ROW < TABLE_BOTTOM {
                self.close_page();
                self.table_header();
            }
            self.y -= ROW;
            if self.rows % 2 == 1 {
                self.page.set_fill_gray(0.93);
                self.page
                    .rect(M, self.y - 3.0, W - 2.0 * M, ROW)
                    .fill_nonzero();
                self.page.set_fill_gray(0.0);
            }
            self.rows += 1;
            let star = if r.received_before_period { "*" } else { "" };
            self.star_on_page |= r.received_before_period;
            let received = r.received_at.replacen('T', " ", 1);
            let cells = [
                format!("{}{star}", r.seq).into_bytes(),
                self.enc(received.trim_end_matches('Z')),
                self.enc(&r.reason),
                self.enc(r.reference_id.as_deref().unwrap_or("")),
                r.delta.to_string().into_bytes(),
                r.balance_after.to_string().into_bytes(),
            ];
            self.cells(&cells, false);
        }
    }

    /// Writes the footers ("page N of M", now that M is known) and the page tree.
    pub fn finish(mut self) -> Vec<u8> {
        if self.rows == 0 {
            self.y -= ROW;
            self.text(M + PAD, self.y, false, SIZE, "No records in this period.");
        }
        if self.rows != self.expected {
            // Never expected from the route; a statement must not hide a mismatch.
            self.y -= ROW + 4.0;
            let (n, m) = (self.rows, self.expected);
            self.text(
                M,
                self.y,
                true,
                SIZE,
                &format!("{n} records listed; the statement counts {m}."),
            );
        }
        self.close_page();
        let total = self.bodies.len();
        let mut kids = Vec::with_capacity(total);
        for (i, body) in std::mem::take(&mut self.bodies).into_iter().enumerate() {
            let mut c = Content::new();
            let page_no = format!("page {} of {total}", i + 1);
            let x = W - M - text_width(page_no.as_bytes(), false, 7.0);
            show(&mut c, x, 28.0, false, 7.0, page_no.as_bytes());
            show(&mut c, M, 28.0, false, 7.0, &self.footer);
            if i + 1 == total && self.replaced {
                show(&mut c, M, 40.0, false, 7.0, REPLACED_NOTE);
            }
            let (footer, page) = (self.next.bump(), self.next.bump());
            self.stream(footer, &c.finish());
            let mut p = self.pdf.page(page);
            p.parent(self.pages);
            p.contents_array([body, footer]);
            kids.push(page);
        }
        // Media box and fonts live on the page tree, inherited, so each page stays small.
        let mut tree = self.pdf.pages(self.pages);
        tree.kids(kids);
        tree.count(i32::try_from(total).unwrap_or(i32::MAX));
        tree.media_box(Rect::new(0.0, 0.0, W, H));
        let [regular, bold] = self.fonts;
        let mut resources = tree.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        resources.finish();
        tree.finish();
        self.pdf.finish()
    }

    fn enc(&mut self, text: &str) -> Vec<u8> {
        cp1252(text, &mut self.replaced)
    }

    fn stream(&mut self, id: Ref, raw: &[u8]) {
        let data = compress_to_vec_zlib(raw, CompressionLevel::DefaultLevel as u8);
        self.pdf.stream(id, &data).filter(Filter::FlateDecode);
    }

    /// Compresses the page's content into the file: the page is done but for its footer.
    fn close_page(&mut self) {
        if self.star_on_page {
            show(&mut self.page, M, 54.0, false, 7.0, STAR_NOTE);
        }
        let body = self.next.bump();
        let content = std::mem::replace(&mut self.page, Content::new()).finish();
        self.stream(body, &content);
        self.bodies.push(body);
        (self.y, self.star_on_page) = (TOP, false);
    }

    fn text(&mut self, x: f32, y: f32, bold: bool, size: f32, text: &str) {
        let bytes = self.enc(text);
        show(&mut self.page, x, y, bold, size, &bytes);
    }

    /// ASCII `text` ending at `x_right`, shrunk to fit `max` points when wider.
    fn right(&mut self, x_right: f32, y: f32, bold: bool, size: f32, text: &[u8], max: f32) {
        let size = size * (max / text_width(text, bold, size)).min(1.0);
        let x = x_right - text_width(text, bold, size);
        show(&mut self.page, x, y, bold, size, text);
    }

    /// Moves down a line of `dy`, onto a new page if this one is full (long names, keys).
    fn down(&mut self, dy: f32) {
        self.y -= dy;
        if self.y < TABLE_BOTTOM {
            self.close_page();
            self.y -= dy;
        }
    }

    fn heading(&mut self, text: &str) {
        self.down(22.0);
        self.text(M, self.y, true, 11.0, text);
        self.y -= 2.0;
    }

    /// Label / value lines, values wrapped in their column.
    fn pairs(&mut self, pairs: &[(&str, &str)]) {
        let x = M + 100.0;
        for (label, value) in pairs {
            self.down(13.0);
            self.text(M, self.y, true, 9.0, label);
            let bytes = self.enc(value);
            for (i, line) in wrap(&bytes, false, 9.0, W - M - x).iter().enumerate() {
                if i > 0 {
                    self.down(11.0);
                }
                show(&mut self.page, x, self.y, false, 9.0, line);
            }
        }
    }

    fn para(&mut self, text: &str, indent: f32) {
        let bytes = self.enc(text);
        for line in wrap(&bytes, false, 9.0, W - 2.0 * M - indent) {
            self.down(12.0);
            show(&mut self.page, M + indent, self.y, false, 9.0, &line);
        }
    }

    fn table_header(&mut self) {
        self.y -= ROW;
        self.cells(&COLS.map(|(h, _, _)| h.as_bytes().to_vec()), true);
        self.hline(self.y - 3.5, 0.5);
    }

    fn hline(&mut self, y: f32, width: f32) {
        self.page.set_line_width(width);
        self.page.move_to(M, y).line_to(W - M, y).stroke();
    }

    /// One table row at `self.y`, one text object: text cells truncated, amounts
    /// right-aligned (shrunk when wider than their column).
    fn cells(&mut self, cells: &[Vec<u8>; 6], bold: bool) {
        let (mut x, mut font_size) = (M, 0.0);
        self.page.begin_text();
        for ((_, w, right), cell) in COLS.iter().zip(cells) {
            let max = w - 2.0 * PAD;
            let (text, size, at) = if *right {
                let size = SIZE * (max / text_width(cell, bold, SIZE)).min(1.0);
                let at = x + w - PAD - text_width(cell, bold, size);
                (cell.clone(), size, at)
            } else {
                (truncate(cell, bold, SIZE, max), SIZE, x + PAD)
            };
            if size != font_size {
                self.page.set_font(if bold { BOLD } else { REGULAR }, size);
                font_size = size;
            }
            let y = round(self.y);
            self.page
                .set_text_matrix([1.0, 0.0, 0.0, 1.0, round(at), y]);
            self.page.show(Str(&text));
            x += w;
        }
        self.page.end_text();
    }
}

/// Positions rounded to 0.01 pt: short operands, same bytes on every platform.
fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// One text object at (x, y).
fn show(c: &mut Content, x: f32, y: f32, bold: bool, size: f32, text: &[u8]) {
    c.begin_text();
    c.set_font(if bold { BOLD } else { REGULAR }, size);
    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, round(x), round(y)]);
    c.show(Str(text));
    c.end_text();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::statement::fixtures::{amount, records, statement};
    use std::process::Command;

    const VENDOR: &str = "José Müller GmbH — Ünïcødé 中文";

    fn build(st: &Statement, recs: &[StatementRecord], chunk: usize) -> Vec<u8> {
        let mut b = PdfBuilder::new(st);
        for c in recs.chunks(chunk.max(1)) {
            b.add(c);
        }
        b.finish()
    }

    /// `pdftotext -layout` of `pdf` (pages `first..=last` if given), `None` without poppler.
    fn pdftotext(name: &str, pdf: &[u8], pages: Option<(usize, usize)>) -> Option<String> {
        if Command::new("pdftotext").arg("-v").output().is_err() {
            eprintln!("note: pdftotext not on PATH (Debian: poppler-utils); skipping text checks");
            return None;
        }
        let path = std::env::temp_dir().join(format!("vericord-{name}-{}.pdf", std::process::id()));
        std::fs::write(&path, pdf).unwrap();
        let mut cmd = Command::new("pdftotext");
        cmd.arg("-layout");
        if let Some((f, l)) = pages {
            cmd.args(["-f", &f.to_string(), "-l", &l.to_string()]);
        }
        let out = cmd.arg(&path).arg("-").output().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(out.status.success(), "{out:?}");
        Some(String::from_utf8(out.stdout).unwrap())
    }

    fn page_count(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let at = text.find("/Type/Pages").unwrap();
        let count = &text[at..][text[at..].find("/Count ").unwrap() + 7..];
        let end = count.find(|c: char| !c.is_ascii_digit()).unwrap();
        count[..end].parse().unwrap()
    }

    #[test]
    fn layout_constants() {
        assert_eq!(COLS.iter().map(|c| c.1).sum::<f32>(), W - 2.0 * M);
    }

    #[test]
    fn text_extracts() {
        let opening = amount("12.5");
        let recs = records(opening, 120);
        let st = statement(VENDOR, opening, &recs);
        let pdf = build(&st, &recs, 17);
        assert!(pdf.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&pdf);
        assert_eq!(raw.matches("/Encoding/WinAnsiEncoding").count(), 2);
        assert!(!raw.contains("CreationDate"));
        let n = page_count(&pdf);
        assert!(n >= 3, "{n} pages");
        let Some(text) = pdftotext("text", &pdf, None) else {
            return;
        };
        for want in [
            "Statement of record — 2026-11",
            "José Müller GmbH — Ünïcødé ??",
            "cust_1",
            &st.customer_reference,
            "2026-11-01T00:00:00.000Z – 2026-12-01T00:00:00.000Z",
            &st.opening.to_string(),
            &st.credits.to_string(),
            &st.debits.to_string(),
            &st.net.to_string(),
            &st.closing.to_string(),
            &st.checkpoint_root,
            &st.verify_url,
            "vericord verify close-package.json \\",
            &format!("--key {}", st.verifier_key),
            "open verify.html in this bundle in a web browser",
            "top-up",
            "2026-11-01 10:30:00.000",
            "1000*",
            "-1.25",
            &recs[0].balance_after.to_string(),
            &recs[119].balance_after.to_string(),
            "* Received before this period began",
            "Characters outside Windows-1252 are shown as ?",
            &format!("page 1 of {n}"),
            &format!("page {n} of {n}"),
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
        let headers = text.matches("balance after").count();
        assert_eq!(headers, n, "a header row on every page");
    }

    #[test]
    fn deterministic_whatever_the_chunks() {
        let opening = amount("0");
        let recs = records(opening, 300);
        let st = statement("Acme Inference", opening, &recs);
        let one = build(&st, &recs, 300);
        assert_eq!(one, build(&st, &recs, 300));
        assert_eq!(one, build(&st, &recs, 1));
        assert_eq!(one, build(&st, &recs, 7));
        let mut other = st.clone();
        other.vendor = "Other".into();
        assert_ne!(one, build(&other, &recs, 300));
        if let Some(text) = pdftotext("ascii", &one, Some((1, 1))) {
            assert!(!text.contains("Characters outside Windows-1252"));
        }
    }

    #[test]
    fn long_names_flow_onto_the_next_page() {
        let mut st = statement("Acme", amount("5"), &[]);
        st.vendor = "Very Long Vendor Name ".repeat(60);
        st.customer_id = "c".repeat(2000);
        let pdf = build(&st, &[], 1);
        assert_eq!(page_count(&pdf), 2);
        if let Some(text) = pdftotext("long", &pdf, Some((2, 2))) {
            assert!(text.contains("How to verify") && text.contains("page 2 of 2"));
        }
    }

    #[test]
    fn empty_and_miscounted() {
        let st = statement("Acme", amount("5"), &[]);
        let pdf = build(&st, &[], 1);
        assert_eq!(page_count(&pdf), 1);
        let recs = records(amount("5"), 2);
        let short = build(&st, &recs, 1); // the statement says 0 records
        let (Some(empty), Some(short)) = (pdftotext("e", &pdf, None), pdftotext("s", &short, None))
        else {
            return;
        };
        assert!(empty.contains("No records in this period.") && empty.contains("page 1 of 1"));
        assert!(short.contains("2 records listed; the statement counts 0."));
    }

    #[test]
    fn large_statements_stay_small() {
        for (n, limit) in [(1_000u64, 200_000usize), (100_000, 8_000_000)] {
            let opening = amount("1000000");
            let recs = records(opening, n);
            let st = statement("Acme Inference", opening, &recs);
            let pdf = build(&st, &recs, 500);
            let pages = page_count(&pdf);
            eprintln!("{n} records: {} bytes, {pages} pages", pdf.len());
            assert!(pdf.len() < limit, "{n} records: {} bytes", pdf.len());
            if let Some(text) = pdftotext("large", &pdf, Some((pages, pages))) {
                assert!(text.contains(&format!("page {pages} of {pages}")));
                assert!(text.contains(&recs.last().unwrap().balance_after.to_string()));
            }
        }
    }
}
