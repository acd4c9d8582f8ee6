//! Invoice readiness (source doc 000, docs/ACCESS.md): per customer log and closed period,
//! whether the middleware can invoice with the record behind it — proof coverage, live
//! records not yet checkpointed, the link and its code — and the neutral signals of what the
//! buyer did. Each blocker has a stable code and the fix.

use serde_json::{json, Value};

use crate::api::ApiError;
use crate::close::periods;
use crate::signing::Keys;
use crate::store::{AccessLinkRow, CustomerRow, LogRow, Store};

/// A blocker: code, what it means, what fixes it.
pub const BLOCKERS: [(&str, &str, &str); 7] = [
    (
        "PERIOD_NOT_CLOSED",
        "the period has not ended, so it has no closing checkpoint",
        "wait for the period to end",
    ),
    (
        "RECORDS_PENDING",
        "records received in the period are not sequenced yet",
        "wait a few seconds; sequencing runs after each write and every minute",
    ),
    (
        "RECORDS_FAILED",
        "some records received in the period failed",
        "re-emit the failed deltas (GET /api/v1/balance/webhooks lists them) with new referenceIds",
    ),
    (
        "LINK_MISSING",
        "the customer has no Shared Record link",
        "create one: POST /api/v1/middleware/customers/:customerId/access-link",
    ),
    (
        "LINK_REVOKED",
        "the customer's Shared Record link was revoked",
        "reissue it: POST /api/v1/middleware/customers/:customerId/access-link/reissue",
    ),
    (
        "ACCESS_CODE_MISSING",
        "the link has no access code",
        "rotate the code: POST /api/v1/middleware/customers/:customerId/access-link/rotate-code",
    ),
    (
        "LINK_LOCKED",
        "the link is locked after repeated wrong access codes",
        "wait for the lock to end, or rotate the code and send the new one",
    ),
];

fn blocker(code: &str) -> Value {
    let (code, message, fix) = BLOCKERS
        .iter()
        .find(|b| b.0 == code)
        .copied()
        .unwrap_or((code, "", ""));
    json!({"code": code, "message": message, "fix": fix})
}

pub fn is_blocker(code: &str) -> bool {
    BLOCKERS.iter().any(|b| b.0 == code)
}

/// One readiness row.
pub async fn row(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    customer: &CustomerRow,
    period: &str,
    due_ms: u64,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let (_, end_ms) = periods::month_bounds(period).ok_or_else(|| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("period".into()),
            "must be a month as YYYY-MM",
        )
    })?;
    let mut blockers = Vec::new();
    let month = store.month(&log.id, period).await?;
    let received = month.accepted.saturating_sub(month.failed);
    let (verified, total) = match periods::closed(store, keys, log, period, now_ms).await {
        Ok(cp) => (cp.count, cp.count),
        Err(e) if e.code == "CHECKPOINT_PENDING" => {
            blockers.push("RECORDS_PENDING");
            (received.saturating_sub(log.pending()), received)
        }
        Err(e) if e.code == "PERIOD_NOT_CLOSED" => {
            blockers.push("PERIOD_NOT_CLOSED");
            (received.saturating_sub(log.pending()), received)
        }
        Err(e) => return Err(e),
    };
    if month.failed > 0 {
        blockers.push("RECORDS_FAILED");
    }
    let latest = store
        .latest_checkpoint(&log.id)
        .await?
        .map_or(0, |c| c.size);
    let live = log.size.saturating_sub(latest) + log.pending();
    let link = store.log_access_link(&log.id).await?;
    let link_json = match &link {
        None => {
            blockers.push("LINK_MISSING");
            Value::Null
        }
        Some(l) => {
            if l.state != "active" {
                blockers.push("LINK_REVOKED");
            } else if l.code_mac.is_empty() {
                blockers.push("ACCESS_CODE_MISSING");
            } else if l.locked_until_ms > now_ms {
                blockers.push("LINK_LOCKED");
            }
            json!({"ready": l.state == "active", "policy": l.policy, "state": l.state, "handle": l.handle})
        }
    };
    let next = next_month(period);
    let signals = store.signals(&log.id, &[period, &next]).await?;
    let has = |p: &str, s: &str| {
        signals
            .iter()
            .any(|r| r.period == p && r.signal == s && r.count > 0)
    };
    let viewed_before_due = signals.iter().any(|r| {
        r.signal == "viewed"
            && (r.period == next || r.period == period)
            && r.first_ms >= end_ms.saturating_sub(31 * 86_400_000)
            && r.first_ms < end_ms + due_ms
    });
    let code_ready = link
        .as_ref()
        .is_some_and(|l| l.state == "active" && !l.code_mac.is_empty());
    Ok(json!({
        "customer": {"customerId": customer.subject_id, "customerReference": customer.id},
        "vendorAccountId": customer.vendor_account_id,
        "period": period,
        "ready": blockers.is_empty(),
        "proofCoverage": {"verified": verified, "total": total},
        "liveNotCheckpointed": live,
        "link": link_json,
        "accessCode": {"ready": code_ready},
        "stepUp": {"succeeded": link.as_ref().map_or(0, |l| l.step_up_ok), "failed": link.as_ref().map_or(0, |l| l.step_up_failed)},
        "signals": {
            "viewedBeforeDue": viewed_before_due,
            "exportDownloaded": has(period, "export_downloaded"),
            "compareRun": has(period, "compare_run"),
            "repeatedFailedStepUp": link.as_ref().is_some_and(repeated_failures),
            "linkRevokedOrReissued": link.as_ref().is_some_and(|l| l.state != "active" || l.replaces.is_some()),
        },
        "blockers": blockers.iter().map(|b| blocker(b)).collect::<Vec<_>>(),
    }))
}

fn repeated_failures(l: &AccessLinkRow) -> bool {
    l.locks > 0 || l.step_up_failed >= u64::from(crate::store::FAILURES_TO_LOCK)
}

fn next_month(period: &str) -> String {
    periods::month_bounds(period).map_or_else(String::new, |(_, end)| crate::clock::month(end))
}
