//! Building a close package (docs/SPEC.md §12) as a stream: the header (identity, period,
//! notes, consistency proof, compact range, opening entry) from a few rows and tiles, then the
//! records a D1 page at a time, then the summary — summed on the way — and the signed manifest.
//! Memory stays one page however long the period.

use serde_json::{json, Map, Value};
use vericord_core::close_package::{manifest_text, FORMAT};
use vericord_core::merkle::{consistency_plan, inclusion_plan, range_nodes, ProofPlan};
use vericord_core::Amount;

use super::identity::Recorder;
use super::pages::{Pager, Sums};
use crate::api::ApiError;
use crate::clock;
use crate::proofs::{hex, TreeReader};
use crate::signing::Keys;
use crate::store::{CheckpointRow, LogRow, PackageEntry, Store};

/// The suggested file name of a package or export.
pub fn file_name(log: &LogRow, label: &str, ext: &str) -> String {
    format!("close-package-{}-{label}.{ext}", safe_id(log))
}

/// The customer id with anything but `[A-Za-z0-9_-]` as `_`: safe in a file name.
pub fn safe_id(log: &LogRow) -> String {
    log.subject_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What a package is about, read before its records.
pub struct Head {
    pub customer: Value,
    pub recorded_by: Value,
    pub tenant: Value,
    pub environment: String,
    pub period: Value,
    pub period_start: String,
    pub verifier_keys: Vec<String>,
    pub checkpoint: CheckpointRow,
    pub previous: Option<CheckpointRow>,
}

impl Head {
    pub fn new(
        log: &LogRow,
        recorder: &Recorder,
        keys: &Keys,
        checkpoint: CheckpointRow,
        previous: Option<CheckpointRow>,
    ) -> Head {
        let (start, end) = (
            clock::rfc3339(checkpoint.start_ms),
            clock::rfc3339(checkpoint.end_ms),
        );
        Head {
            customer: json!({"customerId": log.subject_id, "customerReference": log.id}),
            recorded_by: recorder.recorded_by(),
            tenant: recorder.tenant(),
            environment: log.environment.clone(),
            period: json!({"label": checkpoint.label, "start": start, "end": end}),
            period_start: start,
            verifier_keys: keys.trusted().into_iter().map(String::from).collect(),
            checkpoint,
            previous,
        }
    }

    /// The members both a package and its manifest carry.
    fn common(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("format".into(), FORMAT.into());
        m.insert("environment".into(), self.environment.clone().into());
        m.insert("customer".into(), self.customer.clone());
        m.insert("recordedBy".into(), self.recorded_by.clone());
        m.insert("tenant".into(), self.tenant.clone());
        m.insert("period".into(), self.period.clone());
        m.insert("verifierKeys".into(), self.verifier_keys.clone().into());
        m
    }
}

fn note_ref(c: &CheckpointRow) -> Value {
    json!({"checkpointId": c.id, "size": c.size, "root": c.root})
}

enum Phase {
    Header(String),
    Records,
    Trailer,
    Done,
}

/// A close package being written; [`PackageWriter::next_chunk`] yields its bytes in order.
pub struct PackageWriter {
    head: Head,
    keys: Keys,
    pager: Pager,
    phase: Phase,
    first: bool,
    sums: Sums,
}

impl PackageWriter {
    /// Reads what precedes the records: the consistency proof, the frontier at the period's
    /// start and the opening entry with its proof, from the head's tiles in one batch.
    pub async fn prepare(
        store: &Store,
        head: Head,
        log: &LogRow,
        keys: Keys,
    ) -> Result<PackageWriter, ApiError> {
        let cp = &head.checkpoint;
        let (start, size) = (cp.start_size, cp.size);
        let prev_size = head.previous.as_ref().map_or(0, |p| p.size);
        let plan_err = |e| ApiError::internal("package plan", e);
        let cons_p = consistency_plan(prev_size, size).map_err(plan_err)?;
        let front_p = ProofPlan::of_nodes(range_nodes(0, start));
        let open_p = if start > 0 {
            Some(inclusion_plan(start - 1, size).map_err(plan_err)?)
        } else {
            None
        };
        let mut plans = vec![&cons_p, &front_p];
        plans.extend(open_p.as_ref());
        let tree = TreeReader::load(store, log, &plans).await?;
        if tree.root(size)?.to_hex() != cp.root {
            return Err(ApiError::internal(
                "close package",
                "tree root differs from the checkpoint",
            ));
        }
        let opening = match &open_p {
            Some(p) => {
                let e = store
                    .entry(&log.id, start - 1)
                    .await?
                    .ok_or_else(|| ApiError::internal("close package", "opening entry"))?;
                json!({"seq": start - 1, "itemHash": e.item_hash, "balanceAfter": e.balance_after, "proof": hex(&tree.assemble(p)?)})
            }
            None => Value::Null,
        };
        let mut m = head.common();
        m.insert(
            "checkpoint".into(),
            json!({"checkpointId": cp.id, "note": cp.note}),
        );
        m.insert(
            "previous".into(),
            head.previous.as_ref().map_or(
                Value::Null,
                |p| json!({"checkpointId": p.id, "note": p.note}),
            ),
        );
        m.insert(
            "consistencyProof".into(),
            hex(&tree.assemble(&cons_p)?).into(),
        );
        m.insert(
            "range".into(),
            json!({"start": start, "frontier": hex(&tree.assemble(&front_p)?)}),
        );
        m.insert("opening".into(), opening);
        let mut header = serde_json::to_string(&Value::Object(m))
            .map_err(|e| ApiError::internal("close package", e))?;
        header.pop(); // the closing brace: records and the trailer follow
        header.push_str(",\"records\":[");
        Ok(PackageWriter {
            pager: Pager::new(&log.id, start, size),
            head,
            keys,
            phase: Phase::Header(header),
            first: true,
            sums: Sums::default(),
        })
    }

    /// Whether nothing has been written yet.
    pub fn is_fresh(&self) -> bool {
        matches!(self.phase, Phase::Header(_))
    }

    /// The package's next bytes, `None` when it is complete.
    pub async fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<u8>>, ApiError> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Header(h) => {
                self.phase = Phase::Records;
                Ok(Some(h.into_bytes()))
            }
            Phase::Records => {
                // Tests only: hold the stream between pages so a kill lands mid-package.
                if !self.first {
                    store.faults().stall("between-pages").await;
                }
                match self.pager.next_page(store).await? {
                    Some(rows) => {
                        self.phase = Phase::Records;
                        let mut out = String::with_capacity(rows.len() * 600);
                        for r in &rows {
                            self.sums.add(&r.amount)?;
                            if !self.first {
                                out.push(',');
                            }
                            self.first = false;
                            record_json(r, &self.head.period_start, &mut out);
                        }
                        Ok(Some(out.into_bytes()))
                    }
                    None => {
                        self.phase = Phase::Trailer;
                        Ok(Some(Vec::new()))
                    }
                }
            }
            Phase::Trailer => self.trailer().map(|t| Some(t.into_bytes())),
            Phase::Done => Ok(None),
        }
    }

    fn trailer(&self) -> Result<String, ApiError> {
        let cp = &self.head.checkpoint;
        let bad = |e| ApiError::internal("stored amount", e);
        let opening = Amount::parse(&cp.opening).map_err(bad)?;
        let closing = Amount::parse(&cp.closing).map_err(bad)?;
        let net = self.sums.credits.checked_sub(self.sums.debits);
        if net.and_then(|n| opening.checked_add(n)) != Some(closing) {
            return Err(ApiError::internal(
                "close package",
                "records do not add up to the closing balance",
            ));
        }
        let summary = json!({
            "opening": cp.opening, "credits": self.sums.credits.to_string(), "debits": self.sums.debits.to_string(),
            "net": net.map(|n| n.to_string()), "closing": cp.closing, "recordCount": cp.count,
        });
        let mut m = self.head.common();
        m.insert("summary".into(), summary.clone());
        m.insert("checkpoint".into(), note_ref(cp));
        m.insert(
            "previous".into(),
            self.head.previous.as_ref().map_or(Value::Null, note_ref),
        );
        let text =
            manifest_text(&Value::Object(m)).map_err(|e| ApiError::internal("manifest", e))?;
        let note = self
            .keys
            .signer
            .sign_text(&text)
            .map_err(|e| ApiError::internal("sign manifest", e))?;
        let tail = json!({"summary": summary, "manifest": note}).to_string();
        // `{"manifest":…,"summary":…}` without its opening brace continues the object.
        Ok(format!("],{}", &tail[1..]))
    }
}

/// One record as §12 has it. The stored item is canonical JCS text, so it is JSON as is, and
/// the other values are hex or canonical decimals: nothing here needs escaping.
fn record_json(r: &PackageEntry, period_start: &str, out: &mut String) {
    let before = r.received_at.as_str() < period_start;
    out.push_str(&format!(
        "{{\"seq\":{},\"item\":{},\"itemHash\":\"{}\",\"balanceAfter\":\"{}\",\"entryHash\":\"{}\",\"receivedBeforePeriod\":{}}}",
        r.seq, r.item, r.item_hash, r.balance_after, r.entry_hash, before
    ));
}
