//! Finance close: closed periods, close packages (docs/SPEC.md §12), compare results (§13)
//! and the exports built from the same records (JSON, CSV, PDF, bundle).

pub mod activity;
pub mod bundle;
pub mod compare;
pub mod csv;
pub mod events;
pub mod export;
pub mod identity;
pub mod package;
pub mod pages;
pub mod pdf;
pub mod pdf_text;
pub mod periods;
pub mod sample;
pub mod serve;
pub mod statement;

use std::future::Future;

use futures_util::stream::{unfold, Stream};

use crate::api::ApiError;
use crate::store::Store;

/// Something written a chunk at a time from D1 pages: a package, a CSV, a bundle.
pub trait Chunks {
    /// The next bytes, `None` when complete.
    fn next_chunk(
        &mut self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>>;
}

impl Chunks for package::PackageWriter {
    fn next_chunk(
        &mut self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>> {
        package::PackageWriter::next_chunk(self, store)
    }
}

impl Chunks for export::CsvWriter {
    fn next_chunk(
        &mut self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>> {
        export::CsvWriter::next_chunk(self, store)
    }
}

impl Chunks for activity::ActivityCsv {
    fn next_chunk(
        &mut self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>> {
        activity::ActivityCsv::next_chunk(self, store)
    }
}

impl Chunks for bundle::BundleWriter {
    fn next_chunk(
        &mut self,
        store: &Store,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>> {
        bundle::BundleWriter::next_chunk(self, store)
    }
}

/// A response body that pulls `chunks` as the client reads it. A failure after the first
/// bytes cannot become an error status any more: the stream ends early (the body is then
/// truncated, which every reader of a package or zip notices) and the cause is logged. When
/// it ends, the D1 rows the whole body read are logged (the benchmarks read them).
pub fn stream<C: Chunks + 'static>(
    store: Store,
    what: &'static str,
    chunks: C,
) -> impl Stream<Item = Result<Vec<u8>, worker::Error>> + 'static {
    unfold(Some((store, chunks)), move |state| async move {
        let (store, mut chunks) = state?;
        match chunks.next_chunk(&store).await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some((store, chunks)))),
            Ok(None) => {
                let (read, written) = store.rows();
                worker::console_log!(
                    "{what} streamed: D1 rows read {read}, written {written}, wasm memory {}",
                    wasm_memory_bytes()
                );
                None
            }
            Err(e) => {
                worker::console_error!("{what} stream: {}", e.message);
                Some((Err(worker::Error::RustError(e.message)), None))
            }
        }
    })
}

/// The Worker's wasm linear memory now: it only grows, so at a stream's end it is the peak
/// the body needed (the benchmark compares it across package sizes).
pub fn wasm_memory_bytes() -> u32 {
    use worker::js_sys::{ArrayBuffer, WebAssembly};
    use worker::wasm_bindgen::JsCast;
    worker::wasm_bindgen::memory()
        .dyn_into::<WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<ArrayBuffer>().ok())
        .map_or(0, |b| b.byte_length())
}
