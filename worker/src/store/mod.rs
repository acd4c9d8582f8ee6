//! The only module that touches D1. Bound parameters only (no SQL is built by
//! formatting); rows are serde structs; one request's writes are one atomic
//! `batch()`. Integers that may pass 2^31 are bound as decimal text.

mod access_links;
mod activity;
mod append;
mod checkpoints;
mod customers;
mod deliveries;
mod idempotency;
mod logs;
mod passes;
mod records;
mod tenants;
mod tree;
mod webhooks;

pub use access_links::*;
pub use activity::*;
pub use append::*;
pub use checkpoints::*;
pub use customers::*;
pub use deliveries::*;
pub use idempotency::*;
pub use logs::*;
pub use passes::MAX_PASS_SPAN;
pub use records::*;
pub use tenants::*;
pub use tree::PackageEntry;
pub use webhooks::*;

use std::cell::Cell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env, RouteContext};

use crate::api::ApiError;
use crate::faults::Faults;
use crate::AppState;

thread_local! {
    /// Rows read and written by every store of this isolate since it started (the bench
    /// routes report it, so a benchmark counts everything: requests, sequencing, cron).
    static ISOLATE_ROWS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

pub struct Store {
    db: D1Database,
    /// Rows read and written so far, as D1 reports them (shared with the request).
    rows: Rc<Cell<(u64, u64)>>,
    faults: Faults,
}

/// A bound parameter.
#[derive(Clone)]
pub enum Arg<'a> {
    Text(&'a str),
    /// An integer of any size, bound as decimal text.
    Big(u64),
    /// A signed integer of any size, bound as decimal text (use `CAST(? AS INTEGER)` in arithmetic).
    Signed(i64),
    Int(i32),
    Blob(&'a [u8]),
    Null,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Arg<'a> {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Arg<'a> {
        Arg::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Arg<'a> {
        s.map_or(Arg::Null, Arg::Text)
    }
}

fn js(arg: &Arg<'_>) -> JsValue {
    match arg {
        Arg::Text(s) => JsValue::from_str(s),
        Arg::Big(n) => JsValue::from_str(&n.to_string()),
        Arg::Signed(n) => JsValue::from_str(&n.to_string()),
        Arg::Int(n) => JsValue::from(*n),
        Arg::Blob(b) => worker::js_sys::Uint8Array::from(*b).into(),
        Arg::Null => JsValue::NULL,
    }
}

/// An exact amount in nano-units as `(units, nanos)`, both with its sign, so that SQL can sum
/// money exactly in integers (`SUM(units) * 10^9 + SUM(nanos)`), never through a float.
pub fn split(nanos: i128) -> (i64, i64) {
    const NANOS: i128 = 1_000_000_000;
    let units = i64::try_from(nanos / NANOS).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX });
    (units, (nanos % NANOS) as i64)
}

/// The inverse of [`split`] (sums of many splits included).
pub fn join(units: i64, nanos: i64) -> vericord_core::Amount {
    vericord_core::Amount::from_nanos(i128::from(units) * 1_000_000_000 + i128::from(nanos))
}

/// How a failed write failed, for mapping to a client error.
pub enum WriteError {
    /// A CHECK constraint (the monthly allowance).
    Check,
    /// A UNIQUE / PRIMARY KEY constraint.
    Unique(String),
    Other(ApiError),
}

fn classify(context: &str, e: worker::Error) -> WriteError {
    let text = e.to_string();
    if text.contains("CHECK constraint failed") {
        WriteError::Check
    } else if text.contains("UNIQUE constraint failed") {
        WriteError::Unique(text)
    } else {
        WriteError::Other(ApiError::internal(context, text))
    }
}

/// `meta` of a result: rows D1 wrote for one statement, index rows included.
fn written(result: &D1Result) -> u64 {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.rows_written)
        .unwrap_or(0) as u64
}

/// `meta` of a result: rows changed by one statement.
fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

#[derive(Deserialize)]
struct MetaRow {
    value: String,
}

impl Store {
    /// The store of a request: its D1 rows are counted for the response headers.
    pub fn of(ctx: &RouteContext<AppState>) -> Result<Store, ApiError> {
        Ok(Store {
            db: Store::database(&ctx.env)?,
            rows: ctx.data.rows.clone(),
            faults: ctx.data.faults.clone(),
        })
    }

    /// A store for work outside a request (after the response, or the cron).
    pub fn background(env: &Env, faults: Faults) -> Result<Store, ApiError> {
        Ok(Store {
            db: Store::database(env)?,
            rows: Rc::new(Cell::new((0, 0))),
            faults,
        })
    }

    fn database(env: &Env) -> Result<D1Database, ApiError> {
        env.d1("DB")
            .map_err(|e| ApiError::internal("D1 binding DB", e))
    }

    /// The faults injected into this request (tests only).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Rows read and written by this store's queries so far (D1's `meta`).
    pub fn rows(&self) -> (u64, u64) {
        self.rows.get()
    }

    /// Rows read and written by every store of this isolate so far.
    pub fn isolate_rows() -> (u64, u64) {
        ISOLATE_ROWS.with(Cell::get)
    }

    fn count(&self, result: &D1Result) {
        if let Ok(Some(meta)) = result.meta() {
            let add = |(r, w): (u64, u64)| {
                (
                    r + meta.rows_read.unwrap_or(0) as u64,
                    w + meta.rows_written.unwrap_or(0) as u64,
                )
            };
            self.rows.set(add(self.rows.get()));
            ISOLATE_ROWS.with(|c| c.set(add(c.get())));
        }
    }

    fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> Result<D1PreparedStatement, ApiError> {
        let values: Vec<JsValue> = args.iter().map(js).collect();
        self.db
            .prepare(sql)
            .bind(&values)
            .map_err(|e| ApiError::internal("bind", e))
    }

    async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<T>, ApiError> {
        let result = self
            .stmt(sql, args)?
            .all()
            .await
            .map_err(|e| ApiError::internal("query", e))?;
        self.count(&result);
        result
            .results::<T>()
            .map_err(|e| ApiError::internal("decode rows", e))
    }

    async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<T>, ApiError> {
        Ok(self.all(sql, args).await?.into_iter().next())
    }

    async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize, ApiError> {
        let result = self
            .stmt(sql, args)?
            .run()
            .await
            .map_err(|e| ApiError::internal("write", e))?;
        self.count(&result);
        Ok(changes(&result))
    }

    async fn batch(
        &self,
        context: &str,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, WriteError> {
        let results = self
            .db
            .batch(statements)
            .await
            .map_err(|e| classify(context, e))?;
        results.iter().for_each(|r| self.count(r));
        Ok(results)
    }

    /// Several reads in one round trip.
    async fn read_batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, ApiError> {
        self.batch("query", statements).await.map_err(|e| match e {
            WriteError::Other(e) => e,
            _ => ApiError::internal("query", "constraint on a read"),
        })
    }

    /// The schema version the applied migrations recorded in `meta`.
    pub async fn schema_version(&self) -> Result<u32, ApiError> {
        let row: Option<MetaRow> = self
            .first(
                "SELECT value FROM meta WHERE key = ?1",
                &["schema_version".into()],
            )
            .await?;
        row.and_then(|r| r.value.parse().ok()).ok_or_else(|| {
            ApiError::internal("schema_version", "missing or malformed; apply migrations")
        })
    }
}
