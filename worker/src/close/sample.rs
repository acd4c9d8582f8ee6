//! Verification packages (docs/SPEC.md §15): a sample of a closed period's records, each with
//! its inclusion proof under the period's closing checkpoint. The sample is the core's draw
//! from the seed the signed note determines, so the Worker only fetches what it names.

use serde_json::{json, Map, Value};
use vericord_core::merkle::inclusion_plan;
use vericord_core::verification_package::{manifest_text, sample_indices, sample_seed, FORMAT};

use super::identity::Recorder;
use crate::api::ApiError;
use crate::clock;
use crate::proofs::{hex, TreeReader};
use crate::signing::Keys;
use crate::store::{CheckpointRow, LogRow, Store};

/// The package for `requested` records of the period `cp` closes.
pub async fn build(
    store: &Store,
    keys: &Keys,
    log: &LogRow,
    recorder: &Recorder,
    cp: &CheckpointRow,
    requested: u64,
) -> Result<Value, ApiError> {
    let seed = sample_seed(&cp.note);
    let start = cp.size - cp.count;
    let seqs = sample_indices(&seed, start, cp.count, requested);
    let entries = store.entries_at(&log.id, &seqs).await?;
    if entries.len() != seqs.len() {
        return Err(ApiError::internal(
            "verification package",
            "sampled entries missing",
        ));
    }
    let plan_err = |e| ApiError::internal("inclusion plan", e);
    let plans = seqs
        .iter()
        .map(|&s| inclusion_plan(s, cp.size).map_err(plan_err))
        .collect::<Result<Vec<_>, _>>()?;
    let tree = TreeReader::load(store, log, &plans.iter().collect::<Vec<_>>()).await?;
    let mut records = Vec::with_capacity(entries.len());
    for (e, plan) in entries.iter().zip(&plans) {
        let item: Value =
            serde_json::from_str(&e.item).map_err(|e| ApiError::internal("stored item", e))?;
        records.push(json!({"seq": e.seq, "item": item, "itemHash": e.item_hash, "balanceAfter": e.balance_after,
                            "entryHash": e.entry_hash, "proof": hex(&tree.assemble(plan)?)}));
    }
    let mut m = Map::new();
    m.insert("format".into(), FORMAT.into());
    m.insert("environment".into(), log.environment.clone().into());
    m.insert(
        "customer".into(),
        json!({"customerId": log.subject_id, "customerReference": log.id}),
    );
    m.insert("recordedBy".into(), recorder.recorded_by());
    m.insert("tenant".into(), recorder.tenant());
    m.insert(
        "period".into(),
        json!({"label": cp.label, "start": clock::rfc3339(cp.start_ms), "end": clock::rfc3339(cp.end_ms)}),
    );
    m.insert("verifierKeys".into(), keys.trusted().into());
    let sample = json!({"seed": seed.to_hex(), "requested": requested, "population": cp.count, "start": start});
    let mut signed = m.clone();
    signed.insert(
        "checkpoint".into(),
        json!({"checkpointId": cp.id, "size": cp.size, "root": cp.root}),
    );
    signed.insert("sample".into(), sample.clone());
    let text =
        manifest_text(&Value::Object(signed)).map_err(|e| ApiError::internal("manifest", e))?;
    let manifest = keys
        .signer
        .sign_text(&text)
        .map_err(|e| ApiError::internal("sign manifest", e))?;
    m.insert(
        "checkpoint".into(),
        json!({"checkpointId": cp.id, "note": cp.note}),
    );
    m.insert("sample".into(), sample);
    m.insert("records".into(), Value::Array(records));
    m.insert("manifest".into(), manifest.into());
    Ok(Value::Object(m))
}
