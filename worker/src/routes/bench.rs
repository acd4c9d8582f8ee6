//! Benchmark-only routes, mounted only when the `BENCH_ROUTES` var is "1"
//! (never in a deployment's wrangler.toml). They exist to measure the real
//! routes against a baseline in the same run: a bare insert of the same rows,
//! an explicit drain with its D1 cost, and synthetic logs of any size.

use serde_json::{json, Value};
use vericord_core::log::LogHead;
use vericord_core::merkle::tiles::Frontier;
use vericord_core::record::{item_hash_canonical, DeltaItem, Entry, Position};
use vericord_core::{keccak256, Amount};
use worker::{Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::authenticate;
use crate::body::read;
use crate::ingest;
use crate::store::{
    split, Accept, Append, NewRecord, NewSubmission, RecordContent, Store, Verified,
};
use crate::{clock, ids, query, sequencer, AppState};

fn enabled(env: &worker::Env) -> bool {
    env.var("BENCH_ROUTES")
        .map(|v| v.to_string() == "1")
        .unwrap_or(false)
}

fn guard(ctx: &RouteContext<AppState>) -> Result<(), ApiError> {
    if enabled(&ctx.env) {
        Ok(())
    } else {
        Err(ApiError::not_found("NOT_FOUND", "no such route"))
    }
}

/// The customer id the bench routes write under: `~bench~` + the given id. `~` is not allowed
/// in a real customer id, so a bench route can never write into a real customer's log.
fn bench_customer(id: &str) -> String {
    format!("~bench~{id}")
}

/// The rows `/delta/batch` writes for the same body, with none of its work:
/// no validation, no canonical JSON, no hashing.
pub async fn raw_insert(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    guard(&ctx)?;
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let body: Value = serde_json::from_str(&read(&mut req).await?)
        .map_err(|e| ApiError::invalid("INVALID_JSON", None, e.to_string()))?;
    let deltas = body["deltas"].as_array().cloned().unwrap_or_default();
    let now = clock::rfc3339(now_ms);
    let sub_id = ids::new_id("anc_")?;
    let mut records = Vec::with_capacity(deltas.len());
    let mut logs = Vec::new();
    for (i, d) in deltas.iter().enumerate() {
        let customer = bench_customer(d["customerId"].as_str().unwrap_or("c"));
        let log = ingest::new_customer_log(&caller.tenant_id, caller.environment, &customer, None);
        records.push(NewRecord {
            id: ids::new_id("rec_")?,
            log_id: log.id.clone(),
            idx: i as u32,
            kind: "delta",
            amount: d["delta"].to_string(),
            reason: d["reason"].as_str().map(String::from),
            reference_id: None,
            write_key: None,
            item: d.to_string(),
            item_hash: "0x".into(),
        });
        if !logs.iter().any(|l: &crate::store::NewLog| l.id == log.id) {
            logs.push(log);
        }
    }
    let accept = Accept {
        submission: NewSubmission {
            id: &sub_id,
            tenant_id: &caller.tenant_id,
            environment: caller.env(),
            kind: "batch",
            items_root: "0x".into(),
            item_count: records.len() as u32,
            received_at: &now,
        },
        period: "bench",
        logs: &logs,
        records: &records,
        completion: None,
    };
    store
        .accept(&accept)
        .await
        .map_err(|_| ApiError::internal("bench", "insert"))?;
    ok(
        &json!({"inserted": records.len(), "rowsWritten": store.rows().1}),
        201,
    )
}

/// D1 rows read and written by this isolate since it started: everything, including the
/// sequencing after responses and the cron, which no response header reports.
pub async fn rows(_req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    guard(&ctx)?;
    let (read, written) = Store::isolate_rows();
    ok(&json!({"rowsRead": read, "rowsWritten": written}), 200)
}

/// Drains one customer's log now and reports the sequencer's D1 cost.
pub async fn drain(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    guard(&ctx)?;
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let customer = &query::param(&ctx, "customerId");
    let log = ingest::new_customer_log(&caller.tenant_id, caller.environment, customer, None);
    let started = clock::now_ms();
    let r = sequencer::drain(&store, &log.id).await?;
    ok(
        &json!({"appended": r.appended, "failed": r.failed, "passes": r.passes, "rowsWritten": r.rows_written,
                "treeRowsWritten": r.tree_rows_written, "ms": clock::now_ms() - started}),
        200,
    )
}

/// Builds a verified log of `size` entries for one new bench customer: `samples` are real
/// records (sequence numbers given), every other leaf a stand-in hash. Tiles, frontier and
/// head are written exactly as the sequencer would. With `"records": true` every other entry
/// also gets a stand-in record row (one SQL statement), with counters to match, so read
/// routes can be measured against a log of that many rows.
pub async fn synthetic_log(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    guard(&ctx)?;
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let body: Value = serde_json::from_str(&read(&mut req).await?)
        .map_err(|e| ApiError::invalid("INVALID_JSON", None, e.to_string()))?;
    let customer = bench_customer(body["customerId"].as_str().unwrap_or("synthetic"));
    let size = body["size"].as_u64().unwrap_or(1000).clamp(1, 2_000_000);
    let all_records = body["records"].as_bool().unwrap_or(false);
    let mut samples: Vec<u64> = body["samples"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .filter(|s| *s < size)
                .collect()
        })
        .unwrap_or_default();
    samples.push(size - 1);
    samples.sort_unstable();
    samples.dedup();
    let now = clock::rfc3339(now_ms);
    let log = ingest::new_customer_log(&caller.tenant_id, caller.environment, &customer, None);
    if store
        .log_head(&caller.tenant_id, caller.env(), &log.id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            409,
            "SYNTHETIC_LOG_EXISTS",
            "a synthetic log is built once; pick another customerId",
        ));
    }
    let sub_id = ids::new_id("anc_")?;
    // Every entry adds 1, so balanceAfter of entry s is s + 1.
    let mut frontier = Frontier::new();
    let mut tiles = Vec::new();
    let mut records = Vec::new();
    let mut verified = Vec::new();
    let mut next_sample = samples.iter().peekable();
    for seq in 0..size {
        let leaf = if next_sample.peek() == Some(&&seq) {
            next_sample.next();
            let id = ids::new_id("rec_")?;
            let item = DeltaItem {
                record_id: id.clone(),
                position: Position {
                    index: records.len() as u32,
                    count: samples.len() as u32,
                },
                received_at: now.clone(),
                customer_reference: log.id.clone(),
                customer_id: customer.clone(),
                delta: Amount::parse("1").map_err(|e| ApiError::internal("bench", e))?,
                reason: "synthetic".into(),
                reference_id: None,
                metadata: None,
                adjusts: None,
                vendor_account_id: None,
            };
            let text = item
                .canonical()
                .map_err(|e| ApiError::internal("bench", e))?;
            let item_hash = item_hash_canonical(&text);
            let balance = Amount::parse(&(seq + 1).to_string())
                .map_err(|e| ApiError::internal("bench", e))?;
            let entry = Entry {
                seq,
                item_hash,
                balance_after: balance,
            };
            let hash = entry
                .entry_hash()
                .map_err(|e| ApiError::internal("bench", e))?;
            records.push(NewRecord {
                id: id.clone(),
                log_id: log.id.clone(),
                idx: records.len() as u32,
                kind: "delta",
                amount: "1".into(),
                reason: Some("synthetic".into()),
                reference_id: None,
                write_key: None,
                item_hash: item_hash.to_hex(),
                item: text,
            });
            // Every synthetic entry is a credit of 1.
            let credits = (i64::try_from(seq + 1).unwrap_or(i64::MAX), 0);
            verified.push(Verified {
                record: RecordContent {
                    id,
                    item: records.last().map(|r| r.item.clone()).unwrap_or_default(),
                    item_hash: item_hash.to_hex(),
                    received_at: now.clone(),
                    amount: "1".into(),
                    reason: Some("synthetic".into()),
                    reference_id: None,
                    submission_id: sub_id.clone(),
                    idx: (records.len() - 1) as u32,
                    kind: "delta".into(),
                },
                pos: seq,
                seq,
                entry_hash: hash.to_hex(),
                balance_after: balance.to_string(),
                credits,
            });
            hash
        } else {
            keccak256(&seq.to_be_bytes())
        };
        tiles.extend(frontier.append(leaf));
    }
    let head = LogHead {
        balance: Amount::parse(&size.to_string()).map_err(|e| ApiError::internal("bench", e))?,
        frontier,
    };
    let accept = Accept {
        submission: NewSubmission {
            id: &sub_id,
            tenant_id: &caller.tenant_id,
            environment: caller.env(),
            kind: "batch",
            items_root: "0x".into(),
            item_count: records.len() as u32,
            received_at: &now,
        },
        period: &clock::month(now_ms),
        logs: std::slice::from_ref(&log),
        records: &records,
        completion: None,
    };
    store
        .accept(&accept)
        .await
        .map_err(|_| ApiError::internal("bench", "records"))?;
    let nonce = ids::new_id("seq_")?;
    let ids = serde_json::to_string(&[&log.id]).map_err(|e| ApiError::internal("bench", e))?;
    store
        .claim_logs(&ids, &nonce, now_ms, now_ms + 60_000)
        .await?;
    // Tiles go in chunks; the head (with the sample records) last, guarded as usual.
    let all_tiles: Vec<(u8, u64, Vec<u8>)> = tiles
        .iter()
        .map(|t| (t.id.level, t.id.index, t.to_bytes()))
        .collect();
    for chunk in all_tiles.chunks(50) {
        store.insert_tiles(&log.id, chunk).await?;
    }
    let append = Append {
        log_id: &log.id,
        tenant_id: &caller.tenant_id,
        environment: caller.env(),
        nonce: &nonce,
        old_size: 0,
        new_size: size,
        root: head.root().to_hex(),
        balance: head.balance.to_string(),
        balance_split: split(head.balance.nanos()),
        credits: (i64::try_from(size).unwrap_or(i64::MAX), 0),
        frontier: head.frontier.to_bytes(),
        lease_until_ms: 0,
        // The samples' passes go in with their positions (below), one row each.
        first_pos: 0,
        end_pos: 0,
        verified: &[],
        failed: &[],
        failed_months: &[],
        tiles: &[],
        events: &[],
        now: &now,
        now_ms,
    };
    let committed = store
        .commit_appends(std::slice::from_ref(&append))
        .await
        .map_err(|_| ApiError::internal("bench", "head"))?;
    let won = committed.won.first().copied().unwrap_or(false);
    // Always: the samples' positions must match their sequence numbers, or lookups by
    // sequence number (0011) miss them.
    let samples_json =
        serde_json::to_string(&samples).map_err(|e| ApiError::internal("bench", e))?;
    let entries: Vec<Value> = verified
        .iter()
        .map(|v| {
            json!([
                v.seq,
                v.entry_hash,
                v.balance_after,
                v.credits.0,
                v.credits.1,
                v.record.id
            ])
        })
        .collect();
    let entries = Value::Array(entries).to_string();
    store
        .synthetic_records(
            &log.id,
            &sub_id,
            size,
            &samples_json,
            &entries,
            now_ms,
            &clock::month(now_ms),
            all_records,
        )
        .await?;
    ok(
        &json!({"customerId": customer, "size": size, "tiles": all_tiles.len(), "won": won,
                "samples": verified.iter().map(|v| json!({"recordId": v.record.id, "seq": v.seq})).collect::<Vec<_>>()}),
        201,
    )
}

/// The close package of `GET …/close-package`, built whole in memory before answering: the
/// alternative the streamed route is measured against (its wasm memory is logged).
pub async fn close_package_buffered(
    req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    guard(&ctx)?;
    let (store, mut writer) = crate::routes::middleware::package_writer(&req, &ctx).await?;
    let mut body = Vec::new();
    while let Some(chunk) = writer.next_chunk(&store).await? {
        body.extend_from_slice(&chunk);
    }
    let (read, _) = store.rows();
    worker::console_log!(
        "close package buffered: D1 rows read {read}, wasm memory {}",
        crate::close::wasm_memory_bytes()
    );
    Response::from_bytes(body).map_err(|e| ApiError::internal("bench", e))
}
