//! The bundle export: one zip, written as a stream, holding the close package, the CSV, the
//! PDF statement, `verify.html` (the npm verifier's wasm inlined and the package embedded,
//! so the archive verifies itself with no server and no network) and `VERIFY.txt`. Every
//! member is generated from the same D1 pages; timestamps are fixed, so equal inputs give
//! equal bytes.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::export::{CsvWriter, PACKAGE_FILE};
use super::package::PackageWriter;
use super::statement::Statement;
use crate::api::ApiError;
use crate::store::Store;

/// The verifier page as the npm package's build leaves it in the static assets, with two
/// markers the bundle fills: the wasm as base64, and the package.
pub const VERIFY_TEMPLATE: &str = "/vendor/vericord/close-package-verify.html";
pub const VERIFIER_WASM: &str = "/vendor/vericord/vericord_wasm_bg.wasm";
const WASM_MARK: &str = "__VERICORD_WASM_BASE64__";
const PACKAGE_MARK: &str = "__VERICORD_PACKAGE_JSON__";

/// A `Write` whose bytes the stream takes away after each step.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn zip_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal("bundle", e)
}

enum Step {
    Package,
    Csv,
    Pdf,
    VerifyHead,
    VerifyPackage,
    VerifyTail,
    Text,
    Finish,
    Done,
}

pub struct BundleWriter {
    zip: Option<ZipWriter<zip::write::StreamWriter<Sink>>>,
    sink: Sink,
    step: Step,
    package: PackageWriter,
    embedded: PackageWriter,
    csv: CsvWriter,
    statement: Statement,
    log_id: String,
    range: (u64, u64),
    /// verify.html before and after the package, the wasm already inlined.
    verify: (String, String),
    readme: String,
}

impl BundleWriter {
    /// `template` is the verifier page, `wasm` the verifier's wasm bytes (both static assets).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        package: PackageWriter,
        embedded: PackageWriter,
        csv: CsvWriter,
        statement: Statement,
        log_id: &str,
        range: (u64, u64),
        template: &str,
        wasm: &[u8],
    ) -> Result<BundleWriter, ApiError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(wasm);
        let (head, tail) = template
            .split_once(PACKAGE_MARK)
            .ok_or_else(|| ApiError::internal("bundle", "verify template has no package marker"))?;
        if !head.contains(WASM_MARK) && !tail.contains(WASM_MARK) {
            return Err(ApiError::internal(
                "bundle",
                "verify template has no wasm marker",
            ));
        }
        let verify = (head.replace(WASM_MARK, &b64), tail.replace(WASM_MARK, &b64));
        let readme = readme(&statement);
        let sink = Sink::default();
        Ok(BundleWriter {
            zip: Some(ZipWriter::new_stream(sink.clone())),
            sink,
            step: Step::Package,
            package,
            embedded,
            csv,
            statement,
            log_id: log_id.to_string(),
            range,
            verify,
            readme,
        })
    }

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644)
    }

    fn zip(&mut self) -> Result<&mut ZipWriter<zip::write::StreamWriter<Sink>>, ApiError> {
        self.zip.as_mut().ok_or_else(|| zip_err("finished"))
    }

    fn start(&mut self, name: &str) -> Result<(), ApiError> {
        self.zip()?
            .start_file(name, Self::options())
            .map_err(zip_err)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        self.zip()?.write_all(bytes).map_err(zip_err)
    }

    /// The bundle's next bytes, `None` when it is complete.
    pub async fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<u8>>, ApiError> {
        match self.step {
            Step::Package => {
                if self.package.is_fresh() {
                    self.start(PACKAGE_FILE)?;
                }
                match self.package.next_chunk(store).await? {
                    Some(b) => self.write(&b)?,
                    None => self.step = Step::Csv,
                }
            }
            Step::Csv => {
                if self.csv.is_fresh() {
                    self.start("records.csv")?;
                }
                match self.csv.next_chunk(store).await? {
                    Some(b) => self.write(&b)?,
                    None => self.step = Step::Pdf,
                }
            }
            Step::Pdf => {
                let pdf = super::export::pdf(
                    store,
                    &self.statement,
                    &self.log_id,
                    self.range.0,
                    self.range.1,
                )
                .await?;
                self.start("statement.pdf")?;
                self.write(&pdf)?;
                self.step = Step::VerifyHead;
            }
            Step::VerifyHead => {
                self.start("verify.html")?;
                let head = std::mem::take(&mut self.verify.0);
                self.write(head.as_bytes())?;
                self.step = Step::VerifyPackage;
            }
            Step::VerifyPackage => match self.embedded.next_chunk(store).await? {
                // Inside <script type="application/json"> a "</script" must not appear: `<`
                // only occurs inside JSON strings, where \u003c means the same.
                Some(b) => {
                    let safe = String::from_utf8_lossy(&b).replace('<', "\\u003c");
                    self.write(safe.as_bytes())?;
                }
                None => self.step = Step::VerifyTail,
            },
            Step::VerifyTail => {
                let tail = std::mem::take(&mut self.verify.1);
                self.write(tail.as_bytes())?;
                self.step = Step::Text;
            }
            Step::Text => {
                self.start("VERIFY.txt")?;
                let text = std::mem::take(&mut self.readme);
                self.write(text.as_bytes())?;
                self.step = Step::Finish;
            }
            Step::Finish => {
                let zip = self.zip.take().ok_or_else(|| zip_err("finished"))?;
                zip.finish().map_err(zip_err)?;
                self.step = Step::Done;
            }
            Step::Done => return Ok(None),
        }
        Ok(Some(std::mem::take(&mut *self.sink.0.borrow_mut())))
    }
}

fn readme(st: &Statement) -> String {
    format!(
        "Close package of {customer} ({reference}) for {period}, recorded by {vendor}.\r\n\
         \r\n\
         This archive verifies itself, with no server and no network:\r\n\
         \r\n\
         1. Open verify.html in a browser (double-click it). It checks {file} with the\r\n\
            vericord verifier inside the page and shows every check.\r\n\
         2. Or run the command-line verifier (cargo install --path crates/cli from the\r\n\
            vericord sources):\r\n\
              vericord verify {file} --key {key}\r\n\
            or point it at this zip file itself.\r\n\
         3. Or in Node or a browser, with the npm package vericord:\r\n\
              verifyClosePackage(JSON.parse(text), [\"{key}\"])\r\n\
         \r\n\
         Pin the key: compare it with the one {vendor} publishes (its deployment lists it at\r\n\
         /.well-known/vericord/keys). With the key pinned, a package that verifies proves its\r\n\
         {count} records are exactly the log's entries of the period, nothing added, dropped,\r\n\
         reordered or altered, and that they add up from the opening balance {opening} to the\r\n\
         closing balance {closing}.\r\n\
         \r\n\
         Checkpoint {cp} (root {root}, {size} entries).\r\n\
         Online: {url}\r\n\
         \r\n\
         records.csv: one row per record (FinOps FOCUS columns, then x_ columns).\r\n\
         statement.pdf: the statement, for reading and filing.\r\n",
        customer = st.customer_id,
        reference = st.customer_reference,
        period = st.period_label,
        vendor = st.vendor,
        file = PACKAGE_FILE,
        key = st.verifier_key,
        count = st.record_count,
        opening = st.opening,
        closing = st.closing,
        cp = st.checkpoint_id,
        root = st.checkpoint_root,
        size = st.tree_size,
        url = st.verify_url,
    )
}
