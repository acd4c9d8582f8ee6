//! Builds close packages (`docs/SPEC.md` §12), compare results (§13) and verification packages
//! (§15) the way the Worker does, from a whole log held in memory: for `close-packages.json`,
//! `compares.json`, `verification-packages.json` and the tests below (fixtures live here, not
//! in the core library).

use serde_json::{json, Value};
use vericord_core::close_package::manifest_text;
use vericord_core::hash::tagged_hash;
use vericord_core::merkle::range_nodes;
use vericord_core::record::{Adjusts, DeltaItem, Position};
use vericord_core::verification_package::{sample_indices, sample_seed};
use vericord_core::{
    customer_reference, Amount, Checkpoint, CheckpointSigner, Entry, Environment, Hash, MemoryTree,
};

pub const DEPLOYMENT: &str = "vericord.test";

/// Who records the log: a direct vendor (`tenant`) or a middleware's vendor account.
#[derive(Clone)]
pub struct Recorder {
    pub kind: &'static str,
    pub id: String,
    pub display_name: String,
}

impl Recorder {
    pub fn tenant(id: &str, name: &str) -> Recorder {
        Recorder {
            kind: "tenant",
            id: id.into(),
            display_name: name.into(),
        }
    }

    pub fn middleware(vendor_account: &str, name: &str) -> Recorder {
        Recorder {
            kind: "middleware_vendor_account",
            id: vendor_account.into(),
            display_name: name.into(),
        }
    }
}

/// One record to append: its delta, and how its item departs from the ordinary.
#[derive(Clone, Default)]
pub struct Delta {
    pub delta: String,
    /// Received before its period's start, sequenced in it (§11).
    pub carried_over: bool,
    /// Names another customer (for a negative vector).
    pub customer_id: Option<String>,
    /// Received at this time instead.
    pub received_at: Option<String>,
}

pub fn d(delta: &str) -> Delta {
    Delta {
        delta: delta.into(),
        ..Delta::default()
    }
}

/// One month of the log.
pub struct Month {
    pub label: &'static str,
    pub records: Vec<Delta>,
}

/// A customer's whole log, its tree and the closing checkpoint of every month.
pub struct Log {
    pub environment: Environment,
    pub recorder: Recorder,
    pub customer_id: String,
    pub reference: String,
    pub items: Vec<Value>,
    pub entries: Vec<Entry>,
    pub tree: MemoryTree,
    /// `(label, first seq, end seq)` of each month.
    pub months: Vec<(&'static str, u64, u64)>,
}

/// `[start, end)` of a `YYYY-MM` month as RFC 3339 ms UTC.
pub fn month_bounds(label: &str) -> (String, String) {
    let (y, m): (u32, u32) = (
        label[..4].parse().expect("year"),
        label[5..].parse().expect("month"),
    );
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (
        format!("{y:04}-{m:02}-01T00:00:00.000Z"),
        format!("{ny:04}-{nm:02}-01T00:00:00.000Z"),
    )
}

/// The `k`-th second of a month (k < 28 days' worth): when its records arrive.
fn in_month(label: &str, k: u64) -> String {
    let t = k + 1;
    let (day, h, m, s) = (1 + t / 86_400, t / 3600 % 24, t / 60 % 60, t % 60);
    format!("{label}-{day:02}T{h:02}:{m:02}:{s:02}.000Z")
}

fn id(kind: &str, seed: &str, n: u64) -> String {
    let h = tagged_hash("vericord:vector-id:v1", format!("{seed}/{n}").as_bytes());
    format!("{kind}_{}", &hex::encode(h.0)[..24])
}

impl Log {
    pub fn build(
        environment: Environment,
        recorder: Recorder,
        customer_id: &str,
        months: Vec<Month>,
    ) -> Log {
        let reference = customer_reference(&recorder.id, environment, customer_id);
        let mut log = Log {
            environment,
            recorder,
            customer_id: customer_id.into(),
            reference,
            items: Vec::new(),
            entries: Vec::new(),
            tree: MemoryTree::default(),
            months: Vec::new(),
        };
        let mut balance = Amount::ZERO;
        let mut previous_label: Option<&str> = None;
        for month in months {
            let first = log.entries.len() as u64;
            for (k, r) in month.records.iter().enumerate() {
                let seq = log.entries.len() as u64;
                let received_at = match (&r.received_at, r.carried_over) {
                    (Some(t), _) => t.clone(),
                    // The last day of the month before, late: just before this period starts.
                    (None, true) => format!(
                        "{}-28T23:59:{:02}.000Z",
                        previous_label.unwrap_or("2000-01"),
                        k % 60
                    ),
                    (None, false) => in_month(month.label, k as u64),
                };
                let submission = seq / 3;
                let position = Position {
                    index: (seq % 3) as u32,
                    count: 3,
                };
                let item = DeltaItem {
                    record_id: id("rec", &log.reference, seq),
                    position,
                    received_at,
                    customer_reference: log.reference.clone(),
                    customer_id: r
                        .customer_id
                        .clone()
                        .unwrap_or_else(|| log.customer_id.clone()),
                    delta: Amount::parse_delta(&r.delta).expect("delta literal"),
                    reason: format!("usage {submission}"),
                    reference_id: (seq % 4 == 1).then(|| format!("ref-{seq}")),
                    metadata: (seq % 5 == 2).then(|| {
                        json!({"model": "größe-7b", "tokens": seq * 1000, "x": 1e21})
                            .as_object()
                            .cloned()
                            .expect("object")
                    }),
                    adjusts: (seq % 7 == 6)
                        .then(|| Adjusts::RecordId(id("rec", &log.reference, seq - 1))),
                    vendor_account_id: (log.recorder.kind == "middleware_vendor_account")
                        .then(|| log.recorder.id.clone()),
                };
                balance = balance.checked_add(item.delta).expect("no overflow");
                // As stored and served: the canonical text (members in JCS order).
                let value: Value =
                    serde_json::from_str(&item.canonical().expect("item")).expect("JSON");
                let entry = Entry {
                    seq,
                    item_hash: vericord_core::item_hash(&value).expect("item"),
                    balance_after: balance,
                };
                log.tree.push(entry.entry_hash().expect("seq"));
                log.items.push(value);
                log.entries.push(entry);
            }
            log.months
                .push((month.label, first, log.entries.len() as u64));
            previous_label = Some(month.label);
        }
        log
    }

    fn origin(&self) -> String {
        format!("{DEPLOYMENT}/{}/{}", self.environment, self.reference)
    }

    fn balance_at(&self, size: u64) -> Amount {
        size.checked_sub(1)
            .map_or(Amount::ZERO, |i| self.entries[i as usize].balance_after)
    }

    /// The closing checkpoint of month `m`.
    pub fn checkpoint(&self, m: usize) -> Checkpoint {
        let (label, first, end) = self.months[m];
        Checkpoint {
            origin: self.origin(),
            size: end,
            root: self.tree.root_at(end).root,
            period: label.into(),
            opening: self.balance_at(first),
            closing: self.balance_at(end),
            count: end - first,
        }
    }

    pub fn checkpoint_id(&self, m: usize) -> String {
        id("chk", &self.reference, m as u64)
    }

    pub(crate) fn note_ref(&self, signer: &CheckpointSigner, m: usize) -> Value {
        json!({"checkpointId": self.checkpoint_id(m), "note": self.checkpoint(m).sign(signer).expect("signs")})
    }

    fn frontier(&self, start: u64) -> Value {
        let hashes: Vec<String> = range_nodes(0, start)
            .into_iter()
            .map(|n| self.tree.node(n).expect("node").to_hex())
            .collect();
        json!(hashes)
    }

    fn consistency(&self, old: u64, new: u64) -> Value {
        hexes(&self.tree.consistency_proof(old, new).expect("sizes"))
    }

    fn record(&self, seq: u64, period_start: Option<&str>) -> Value {
        let e = &self.entries[seq as usize];
        let item = &self.items[seq as usize];
        let mut r = json!({
            "seq": seq,
            "item": item,
            "itemHash": e.item_hash.to_hex(),
            "balanceAfter": e.balance_after.to_string(),
            "entryHash": e.entry_hash().expect("seq").to_hex(),
        });
        if let Some(start) = period_start {
            let received = item["receivedAt"].as_str().expect("receivedAt");
            r["receivedBeforePeriod"] = json!(received < start);
        }
        r
    }

    pub(crate) fn identity(&self) -> (Value, Value, Value) {
        (
            json!({"customerId": self.customer_id, "customerReference": self.reference}),
            json!({"type": self.recorder.kind, "id": self.recorder.id, "displayName": self.recorder.display_name}),
            json!({"name": self.recorder.display_name}),
        )
    }

    /// `(credits, debits)` of entries `from .. to`.
    fn sums(&self, from: u64, to: u64) -> (Amount, Amount) {
        let (mut credits, mut debits) = (Amount::ZERO, Amount::ZERO);
        for item in &self.items[from as usize..to as usize] {
            let delta = Amount::parse(item["delta"].as_str().expect("delta")).expect("amount");
            if delta.is_negative() {
                debits = debits.checked_sub(delta).expect("no overflow");
            } else {
                credits = credits.checked_add(delta).expect("no overflow");
            }
        }
        (credits, debits)
    }

    /// The close package of month `m`, signed by `signer`, listing `keys` as its verifier keys.
    pub fn package(&self, signer: &CheckpointSigner, keys: &[String], m: usize) -> Value {
        let cp = self.checkpoint(m);
        let (label, start, end) = self.months[m];
        let (period_start, period_end) = month_bounds(label);
        let (customer, recorded_by, tenant) = self.identity();
        let previous = m.checked_sub(1).map(|p| self.note_ref(signer, p));
        let opening = start.checked_sub(1).map(|seq| {
            let e = &self.entries[seq as usize];
            json!({"seq": seq, "itemHash": e.item_hash.to_hex(), "balanceAfter": e.balance_after.to_string(),
                   "proof": hexes(&self.tree.inclusion_proof(seq, end).expect("index"))})
        });
        let (credits, debits) = self.sums(start, end);
        let mut pkg = json!({
            "format": vericord_core::close_package::FORMAT,
            "environment": self.environment.as_str(),
            "customer": customer,
            "recordedBy": recorded_by,
            "tenant": tenant,
            "period": {"label": label, "start": period_start, "end": period_end},
            "verifierKeys": keys,
            "checkpoint": self.note_ref(signer, m),
            "previous": previous,
            "consistencyProof": self.consistency(start, end),
            "range": {"start": start, "frontier": self.frontier(start)},
            "opening": opening,
            "records": (start..end).map(|s| self.record(s, Some(&period_start))).collect::<Vec<_>>(),
            "summary": {
                "opening": cp.opening.to_string(),
                "credits": credits.to_string(),
                "debits": debits.to_string(),
                "net": credits.checked_sub(debits).expect("no overflow").to_string(),
                "closing": cp.closing.to_string(),
                "recordCount": cp.count,
            },
            "manifest": "",
        });
        sign_manifest(&mut pkg, signer);
        pkg
    }

    /// Entries `seqs` of month `m`'s log as a verification package's records: each with its
    /// inclusion proof under month `m`'s closing checkpoint.
    pub fn sampled_records(&self, m: usize, seqs: &[u64]) -> Value {
        let end = self.months[m].2;
        let records: Vec<Value> = seqs
            .iter()
            .map(|&seq| {
                let mut r = self.record(seq, None);
                r["proof"] = hexes(&self.tree.inclusion_proof(seq, end).expect("index"));
                r
            })
            .collect();
        json!(records)
    }

    /// The verification package of month `m` (§15): a sample of `requested` of its records,
    /// drawn from the seed of its closing checkpoint as signed by `signer`.
    pub fn verification_package(
        &self,
        signer: &CheckpointSigner,
        keys: &[String],
        m: usize,
        requested: u64,
    ) -> Value {
        let (label, start, end) = self.months[m];
        let (period_start, period_end) = month_bounds(label);
        let (customer, recorded_by, tenant) = self.identity();
        let checkpoint = self.note_ref(signer, m);
        let seed = sample_seed(checkpoint["note"].as_str().expect("note"));
        let seqs = sample_indices(&seed, start, end - start, requested);
        let mut pkg = json!({
            "format": vericord_core::verification_package::FORMAT,
            "environment": self.environment.as_str(),
            "customer": customer,
            "recordedBy": recorded_by,
            "tenant": tenant,
            "period": {"label": label, "start": period_start, "end": period_end},
            "verifierKeys": keys,
            "checkpoint": checkpoint,
            "sample": {"seed": seed.to_hex(), "requested": requested, "population": end - start, "start": start},
            "records": self.sampled_records(m, &seqs),
            "manifest": "",
        });
        sign_verification_manifest(&mut pkg, signer);
        pkg
    }

    /// The compare result between the closing checkpoints of months `a` and `b`.
    pub fn compare(&self, signer: &CheckpointSigner, keys: &[String], a: usize, b: usize) -> Value {
        let (from, to) = (self.checkpoint(a), self.checkpoint(b));
        let (customer, recorded_by, tenant) = self.identity();
        let (credits, debits) = self.sums(from.size, to.size);
        let diff = |x: Amount, y: Amount| x.checked_sub(y).expect("no overflow").to_string();
        json!({
            "format": vericord_core::close_package::COMPARE_FORMAT,
            "environment": self.environment.as_str(),
            "customer": customer,
            "recordedBy": recorded_by,
            "tenant": tenant,
            "verifierKeys": keys,
            "from": self.note_ref(signer, a),
            "to": self.note_ref(signer, b),
            "consistencyProof": self.consistency(from.size, to.size),
            "range": {"start": from.size, "frontier": self.frontier(from.size)},
            "records": (from.size..to.size).map(|s| self.record(s, None)).collect::<Vec<_>>(),
            "differences": {
                "entries": to.size - from.size,
                "balance": diff(to.closing, from.closing),
                "credits": credits.to_string(),
                "debits": debits.to_string(),
                "recordCount": to.count as i64 - from.count as i64,
                "opening": diff(to.opening, from.opening),
                "closing": diff(to.closing, from.closing),
            },
        })
    }
}

pub fn hexes(hashes: &[Hash]) -> Value {
    json!(hashes.iter().map(Hash::to_hex).collect::<Vec<_>>())
}

/// The notes' sizes and roots, for the manifest.
pub(crate) fn head(note_ref: &Value) -> Value {
    if note_ref.is_null() {
        return Value::Null;
    }
    let body = note_ref["note"].as_str().expect("note");
    let body = &body[..body.find("\n\n").expect("signed note") + 1];
    let cp = Checkpoint::parse_body(body).expect("checkpoint body");
    json!({"checkpointId": note_ref["checkpointId"], "size": cp.size, "root": cp.root.to_hex()})
}

/// (Re)signs `pkg`'s manifest over its current members (§12).
pub fn sign_manifest(pkg: &mut Value, signer: &CheckpointSigner) {
    let manifest = json!({
        "format": pkg["format"],
        "environment": pkg["environment"],
        "customer": pkg["customer"],
        "recordedBy": pkg["recordedBy"],
        "tenant": pkg["tenant"],
        "period": pkg["period"],
        "verifierKeys": pkg["verifierKeys"],
        "summary": pkg["summary"],
        "checkpoint": head(&pkg["checkpoint"]),
        "previous": head(&pkg["previous"]),
    });
    let text = manifest_text(&manifest).expect("canonical");
    pkg["manifest"] = json!(signer.sign_text(&text).expect("signs"));
}

/// (Re)signs a verification package's manifest over its current members (§15).
pub fn sign_verification_manifest(pkg: &mut Value, signer: &CheckpointSigner) {
    let manifest = json!({
        "format": pkg["format"],
        "environment": pkg["environment"],
        "customer": pkg["customer"],
        "recordedBy": pkg["recordedBy"],
        "tenant": pkg["tenant"],
        "period": pkg["period"],
        "verifierKeys": pkg["verifierKeys"],
        "checkpoint": head(&pkg["checkpoint"]),
        "sample": pkg["sample"],
    });
    let text = vericord_core::verification_package::manifest_text(&manifest).expect("canonical");
    pkg["manifest"] = json!(signer.sign_text(&text).expect("signs"));
}

#[cfg(test)]
mod tests;
