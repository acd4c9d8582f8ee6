//! Reports and derived proofs as JSON text, written by hand exactly as their `Serialize` writes
//! them with serde_json (a test holds the two together): the npm package hands this text to
//! `JSON.parse`, and carries no serializer.

use alloc::string::{String, ToString};
use core::fmt::{Display, Write};

use super::range::InclusionProof;
use super::report::{CheckpointFacts, VerifyReport};
use crate::checkpoint::Checkpoint;
use crate::hash::Hash;
use crate::jcs::write_string;

/// JSON text being written, one object member at a time.
struct Out(String);

impl Out {
    /// A member's name, after a comma unless it is the first of its object.
    fn key(&mut self, key: &str) -> &mut Out {
        if !self.0.ends_with(['{', '[']) {
            self.0.push(',');
        }
        write_string(&mut self.0, key);
        self.0.push(':');
        self
    }

    fn str(&mut self, key: &str, value: &str) {
        write_string(&mut self.key(key).0, value);
    }

    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.key(key).0.push_str("null"),
        }
    }

    /// Numbers and `true` / `false`.
    fn plain(&mut self, key: &str, value: impl Display) {
        let out = &mut self.key(key).0;
        let _ = write!(out, "{value}");
    }

    /// An object member, or `null`.
    fn object<T>(&mut self, key: &str, value: Option<&T>, members: impl FnOnce(&mut Out, &T)) {
        self.key(key);
        match value {
            Some(v) => {
                self.0.push('{');
                members(self, v);
                self.0.push('}');
            }
            None => self.0.push_str("null"),
        }
    }

    /// An array member of `each` written element by element.
    fn array<T>(&mut self, key: &str, items: &[T], mut each: impl FnMut(&mut Out, &T)) {
        self.key(key).0.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            each(self, item);
        }
        self.0.push(']');
    }

    fn hashes(&mut self, key: &str, hashes: &[Hash]) {
        self.array(key, hashes, |o, h| write_string(&mut o.0, &h.to_hex()));
    }
}

fn checkpoint(o: &mut Out, c: &CheckpointFacts) {
    o.opt_str("checkpointId", c.checkpoint_id.as_deref());
    o.str("origin", &c.origin);
    o.plain("size", c.size);
    o.str("root", &c.root.to_hex());
    o.str("period", &c.period);
    o.str("opening", &c.opening);
    o.str("closing", &c.closing);
    o.plain("count", c.count);
}

impl VerifyReport {
    /// The report as JSON text: what `serde_json::to_string` writes of it.
    pub fn to_json(&self) -> String {
        let mut o = Out(String::from("{"));
        o.str("format", self.format);
        o.plain("verified", self.verified);
        o.plain("keysPinned", self.keys_pinned);
        o.array("keys", &self.keys, |o, k| write_string(&mut o.0, k));
        o.opt_str("key", self.key.as_deref());
        o.array("checks", &self.checks, |o, c| {
            o.0.push('{');
            o.str("name", c.name);
            o.plain("ok", c.ok);
            o.str("detail", &c.detail);
            o.0.push('}');
        });
        o.opt_str("environment", self.environment.as_deref());
        o.object("customer", self.customer.as_ref(), |o, c| {
            o.str("customerId", &c.customer_id);
            o.str("customerReference", &c.customer_reference);
        });
        o.object("recordedBy", self.recorded_by.as_ref(), |o, r| {
            o.opt_str("type", r.kind.as_deref());
            o.str("id", &r.id);
            o.opt_str("displayName", r.display_name.as_deref());
        });
        o.object("period", self.period.as_ref(), |o, p| {
            o.str("label", &p.label);
            o.str("start", &p.start);
            o.str("end", &p.end);
        });
        match self.record_count {
            Some(n) => o.plain("recordCount", n),
            None => o.key("recordCount").0.push_str("null"),
        }
        o.object("summary", self.summary.as_ref(), |o, s| {
            o.str("opening", &s.opening);
            o.str("credits", &s.credits);
            o.str("debits", &s.debits);
            o.str("net", &s.net);
            o.str("closing", &s.closing);
            o.plain("recordCount", s.record_count);
        });
        o.object("differences", self.differences.as_ref(), |o, d| {
            o.plain("entries", d.entries);
            o.str("balance", &d.balance);
            o.str("credits", &d.credits);
            o.str("debits", &d.debits);
            o.plain("recordCount", d.record_count);
            o.str("opening", &d.opening);
            o.str("closing", &d.closing);
        });
        o.object("sample", self.sample.as_ref(), |o, s| {
            o.str("seed", &s.seed.to_hex());
            o.plain("requested", s.requested);
            o.plain("population", s.population);
            o.plain("start", s.start);
            o.array("indices", &s.indices, |o, i| {
                let _ = write!(o.0, "{i}");
            });
        });
        o.object("checkpoint", self.checkpoint.as_ref(), checkpoint);
        o.object("previous", self.previous.as_ref(), checkpoint);
        o.0.push('}');
        o.0
    }
}

impl Checkpoint {
    /// `{origin, size, root, period, opening, closing, count}` as JSON text (what the npm
    /// package's `verifyCheckpoint` returns, through `JSON.parse`).
    pub fn to_json(&self) -> String {
        let mut o = Out(String::from("{"));
        o.str("origin", &self.origin);
        o.plain("size", self.size);
        o.str("root", &self.root.to_hex());
        o.str("period", &self.period);
        o.str("opening", &self.opening.to_string());
        o.str("closing", &self.closing.to_string());
        o.plain("count", self.count);
        o.0.push('}');
        o.0
    }
}

impl InclusionProof {
    /// The proof as JSON text: what `serde_json::to_string` writes of it.
    pub fn to_json(&self) -> String {
        let mut o = Out(String::from("{"));
        o.str("root", &self.root.to_hex());
        o.plain("size", self.size);
        o.str("leaf", &self.leaf.to_hex());
        o.plain("index", self.index);
        o.hashes("proof", &self.proof);
        o.0.push('}');
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::{verify_close_package, verify_compare};
    use super::*;
    use crate::close_package::report::{
        Check, CustomerFacts, DifferenceFacts, PeriodFacts, RecorderFacts, SampleFacts,
        SummaryFacts,
    };
    use alloc::vec;

    #[test]
    fn checkpoints_are_written_as_json() {
        let cp = Checkpoint {
            origin: String::from("o/\"x\"\n\u{1}é"),
            size: 9_007_199_254_740_991,
            root: Hash([7; 32]),
            period: String::from("2026-11"),
            opening: crate::Amount::parse("-1.5").unwrap(),
            closing: crate::Amount::ZERO,
            count: 3,
        };
        let want = serde_json::json!({
            "origin": cp.origin, "size": cp.size, "root": cp.root.to_hex(), "period": cp.period,
            "opening": "-1.5", "closing": "0", "count": 3,
        });
        let text = cp.to_json();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            want
        );
        assert!(text
            .starts_with(r#"{"origin":"o/\"x\"\n\u0001é","size":9007199254740991,"root":"0x07"#));
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let text = |s: &str| String::from(s);
        let cp = CheckpointFacts {
            checkpoint_id: None,
            origin: text("o/\"x\"\n"),
            size: 9_007_199_254_740_991,
            root: Hash([7; 32]),
            period: text("2026-11"),
            opening: text("-1.5"),
            closing: text("0"),
            count: 3,
        };
        let mut full = verify_close_package("{}", &["a+b+c"]);
        full.key = Some(text("k\u{1}é"));
        full.checks.push(Check {
            name: "x",
            ok: true,
            detail: text("tab\there"),
        });
        full.environment = Some(text("sandbox"));
        full.customer = Some(CustomerFacts {
            customer_id: text("c"),
            customer_reference: text("0x1"),
        });
        full.recorded_by = Some(RecorderFacts {
            kind: None,
            id: text("i"),
            display_name: Some(text("D")),
        });
        full.period = Some(PeriodFacts {
            label: text("l"),
            start: text("s"),
            end: text("e"),
        });
        full.record_count = Some(0);
        full.summary = Some(SummaryFacts {
            opening: text("1"),
            credits: text("2"),
            debits: text("3"),
            net: text("-1"),
            closing: text("0"),
            record_count: 4,
        });
        full.differences = Some(DifferenceFacts {
            entries: 1,
            balance: text("1"),
            credits: text("1"),
            debits: text("0"),
            record_count: -2,
            opening: text("0"),
            closing: text("1"),
        });
        full.sample = Some(SampleFacts {
            seed: Hash([1; 32]),
            requested: 2,
            population: 5,
            start: 0,
            indices: vec![0, 4],
        });
        full.checkpoint = Some(cp.clone());
        full.previous = Some(CheckpointFacts {
            checkpoint_id: Some(text("chk")),
            ..cp
        });
        for report in [
            full,
            verify_compare("[", &[]),
            verify_close_package("{}", &[]),
        ] {
            assert_eq!(report.to_json(), serde_json::to_string(&report).unwrap());
        }
        let proof = InclusionProof {
            root: Hash([2; 32]),
            size: 3,
            leaf: Hash([3; 32]),
            index: 1,
            proof: vec![Hash([4; 32]), Hash([5; 32])],
        };
        assert_eq!(proof.to_json(), serde_json::to_string(&proof).unwrap());
        let empty = InclusionProof {
            proof: vec![],
            ..proof
        };
        assert_eq!(empty.to_json(), serde_json::to_string(&empty).unwrap());
    }
}
