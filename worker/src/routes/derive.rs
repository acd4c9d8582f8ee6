//! `GET /api/v1/balance/derive/:customerId`, `POST /api/v1/balance/compare`,
//! `GET /api/v1/balance/gaps/:customerId`: balances computed from verified
//! entries only, exactly (the difference of two running balances, never a float sum).

use serde_json::{json, Value};
use vericord_core::Amount;
use worker::{Request, Response, RouteContext};

use crate::api::{number, ok, ApiError};
use crate::auth::{authenticate, Caller};
use crate::body::{read, Fields};
use crate::checkpointing::{self, balance_at};
use crate::ingest::MAX_ID_CHARS;
use crate::lookup::find_customer_log;
use crate::query::{self, Query};
use crate::routes::views::status_of;
use crate::scope::{self, Resolved, ScopeInput};
use crate::store::{LogRow, Store};
use crate::{clock, sequencer, AppState};

fn parse_amount(text: &str, field: &str) -> Result<Amount, ApiError> {
    Amount::parse(text.trim())
        .map_err(|e| ApiError::invalid(e.code(), Some(field.into()), e.to_string()))
}

/// The entries a derive covers and the balance it computes.
struct Derived {
    log: LogRow,
    from: u64,
    to: u64,
    starting: Amount,
    opening: Amount,
    closing: Amount,
    label: Value,
}

impl Derived {
    fn computed(&self) -> Option<Amount> {
        self.starting
            .checked_add(self.closing.checked_sub(self.opening)?)
    }
}

async fn derive_for(
    store: &Store,
    caller: &Caller,
    customer_id: &str,
    vendor: Option<&str>,
    input: &ScopeInput,
    starting: Option<Amount>,
    now_ms: u64,
) -> Result<Derived, ApiError> {
    let resolved = scope::resolve(input, now_ms)?;
    let mut log = find_customer_log(store, caller, customer_id, vendor).await?;
    if sequencer::drain_waiting(store, &log).await? {
        log = find_customer_log(store, caller, customer_id, vendor).await?;
    }
    match resolved {
        Resolved::Time(s) => {
            // Up to now as of after the drain above, which sequenced what was waiting.
            let s = s.as_of(clock::now_ms());
            let b = checkpointing::bounds(store, &log, &s).await?;
            let label = json!({"label": s.label, "startDate": s.start(), "endDate": s.end()});
            Ok(Derived {
                from: b.start_size,
                to: b.size,
                starting: starting.unwrap_or(Amount::ZERO),
                opening: b.opening,
                closing: b.closing,
                label,
                log,
            })
        }
        Resolved::AfterCheckpoint(cp) => {
            let c = store
                .checkpoint(&caller.tenant_id, caller.env(), &cp)
                .await?
                .filter(|c| c.log_id == log.id)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "CHECKPOINT_NOT_FOUND",
                        Some("startingCheckpoint".into()),
                        "no checkpoint of this customer with this id or root",
                    )
                })?;
            // The checkpoint may be newer than the head read above: never end before it.
            let to = log.size.max(c.size);
            let opening = balance_at(store, &log.id, c.size).await?;
            let closing = balance_at(store, &log.id, to).await?;
            // Without an explicit starting balance, resume from the checkpoint's own.
            let starting = match starting {
                Some(s) => s,
                None => Amount::parse(&c.closing)
                    .map_err(|e| ApiError::internal("stored closing", e))?,
            };
            let label =
                json!({"startingCheckpoint": c.id, "proofRoot": c.root, "fromSize": c.size});
            Ok(Derived {
                from: c.size,
                to,
                starting,
                opening,
                closing,
                label,
                log,
            })
        }
    }
}

pub async fn derive(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = &query::param(&ctx, "customerId");
    let starting = q
        .get("startingBalance")
        .map(|t| parse_amount(t, "startingBalance"))
        .transpose()?;
    let limit = q.int("limit", 100, 1, 1000)?;
    let offset = q.int("offset", 0, 0, u64::from(u32::MAX))?;
    let d = derive_for(
        &store,
        &caller,
        customer_id,
        q.get("vendorAccountId"),
        &ScopeInput::from_query(&q),
        starting,
        now_ms,
    )
    .await?;
    let rows = store
        .entries(&d.log.id, d.from + offset, d.to, limit as u32, 0)
        .await?;
    let deltas: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "recordId": r.id, "anchorId": r.submission_id, "sequenceNumber": r.seq, "delta": Amount::parse(&r.amount).ok().map(number),
                "reason": r.reason, "referenceId": r.reference_id, "receivedAt": r.received_at, "status": status_of(r, now_ms),
                "balanceAfter": r.balance_after.as_deref().and_then(|b| Amount::parse(b).ok()).map(number),
                "itemHash": r.item_hash, "entryHash": r.entry_hash, "receiptId": r.items_root,
            })
        })
        .collect();
    let latest = if d.to > d.from {
        store
            .entry(&d.log.id, d.to - 1)
            .await?
            .map(|r| r.items_root)
    } else {
        None
    };
    let computed = d
        .computed()
        .ok_or_else(|| ApiError::internal("derive", "overflow"))?;
    let net = d
        .closing
        .checked_sub(d.opening)
        .ok_or_else(|| ApiError::internal("derive", "overflow"))?;
    ok(
        &json!({
            "customerId": d.log.subject_id,
            "customerReference": d.log.id,
            "computedBalance": number(computed),
            "startingBalance": number(d.starting),
            "netChange": number(net),
            "deltasCount": d.to.saturating_sub(d.from),
            "deltaCount": d.to.saturating_sub(d.from),
            "fromSequence": d.from,
            "toSequence": d.to,
            "scope": d.label,
            "latestReceiptId": latest,
            "pendingDeltas": d.log.pending(),
            "deltas": deltas,
            "limit": limit,
            "offset": offset,
        }),
        200,
    )
}

pub async fn compare(mut req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let body = read(&mut req).await?;
    let mut f = Fields::parse(&body, "")?;
    let customer_id = f.required_string("customerId", MAX_ID_CHARS)?;
    let yours = parse_amount(f.number_text("yourBalance")?, "yourBalance")?;
    let theirs = parse_amount(f.number_text("theirBalance")?, "theirBalance")?;
    let starting = match f.raw("startingBalance") {
        None | Some("null") => None,
        Some(t) => Some(parse_amount(t, "startingBalance")?),
    };
    let input = ScopeInput {
        period: f.string("period", 64)?,
        time_preset: f.string("timePreset", 32)?,
        start_date: f.string("startDate", 64)?,
        end_date: f.string("endDate", 64)?,
        starting_checkpoint: f.string("startingCheckpoint", 128)?,
    };
    let _ = f.string("startingCheckpointType", 32)?;
    let _ = f.string("granularity", 16)?;
    let vendor = f.string("vendorAccountId", MAX_ID_CHARS)?;
    f.finish()?;
    let d = derive_for(
        &store,
        &caller,
        &customer_id,
        vendor.as_deref(),
        &input,
        starting,
        now_ms,
    )
    .await?;
    let neutral = d
        .computed()
        .ok_or_else(|| ApiError::internal("compare", "overflow"))?;
    let diff = |a: Amount| a.checked_sub(neutral).map(number);
    ok(
        &json!({
            "customerId": d.log.subject_id,
            "customerReference": d.log.id,
            "neutralBalance": number(neutral),
            "computedBalance": number(neutral),
            "yourBalance": number(yours),
            "theirBalance": number(theirs),
            "matchesYours": yours == neutral,
            "matchesTheirs": theirs == neutral,
            "match": yours == neutral && theirs == neutral,
            "differenceYours": diff(yours),
            "differenceTheirs": diff(theirs),
            "deltasCount": d.to.saturating_sub(d.from),
            "scope": d.label,
        }),
        200,
    )
}

pub async fn gaps(req: Request, ctx: RouteContext<AppState>) -> Result<Response, ApiError> {
    let now_ms = clock::now_ms();
    let store = Store::of(&ctx)?;
    let caller = authenticate(&req, &store, now_ms).await?;
    let q = Query::of(&req)?;
    let customer_id = &query::param(&ctx, "customerId");
    let log = find_customer_log(&store, &caller, customer_id, q.get("vendorAccountId")).await?;
    let from = q.int("fromSequence", 0, 0, u64::MAX >> 11)?;
    // One call checks a window of at most MAX_SPAN sequence numbers (by default the first
    // from `fromSequence`), so its rows read never grow with the log; `nextFromSequence` pages.
    const MAX_SPAN: u64 = 1_000;
    let default_to = log
        .size
        .min(from.saturating_add(MAX_SPAN))
        .saturating_sub(1)
        .max(from);
    let to = q.int("toSequence", default_to, from, u64::MAX >> 11)?;
    let limit = q.int("limit", 100, 1, 1000)? as usize;
    if to - from >= MAX_SPAN {
        return Err(ApiError::invalid(
            "SCOPE_TOO_WIDE",
            Some("toSequence".into()),
            format!("at most {MAX_SPAN} sequence numbers per call"),
        ));
    }
    // Sequence numbers are dense by construction; a shortfall would be a gap.
    let end = (to + 1).min(log.size.max(from));
    let seqs = store.entry_seqs(&log.id, from, end).await?;
    let present = seqs.len() as u64;
    let mut ranges = Vec::new();
    if present < end - from {
        let mut expect = from;
        for s in seqs {
            if s > expect && ranges.len() < limit {
                ranges.push(json!({"from": expect, "to": s - 1}));
            }
            expect = s + 1;
        }
        if expect < end && ranges.len() < limit {
            ranges.push(json!({"from": expect, "to": end - 1}));
        }
    }
    ok(
        &json!({
            "customerId": log.subject_id,
            "customerReference": log.id,
            "size": log.size,
            "fromSequence": from,
            "toSequence": to,
            "expected": end - from,
            "present": present,
            "hasGaps": !ranges.is_empty(),
            "nextFromSequence": (end < log.size).then_some(end),
            "gaps": ranges,
            "pendingRecords": log.pending(),
            "failedRecords": log.records_failed,
        }),
        200,
    )
}
