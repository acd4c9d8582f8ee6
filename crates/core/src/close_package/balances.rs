//! `opening` and `summary`: the balances the notes sign are the log's own, and add up (§12).

use alloc::format;
use alloc::string::String;

use super::model::{Opening, Summary};
use super::steps::{self, canonical_amount, is_text_of};
use crate::amount::Amount;
use crate::checkpoint::Checkpoint;
use crate::hash::Hash;
use crate::merkle::RootHash;
use crate::record::Entry;

/// `opening`: the entry before the period proves the signed opening balance.
pub(crate) fn opening(
    o: Option<&Opening<'_>>,
    cp: &Checkpoint,
    prev: Option<&Checkpoint>,
) -> Result<String, String> {
    if let Some(p) = prev {
        if p.closing != cp.opening {
            return Err(format!(
                "the previous checkpoint closes at {}, this one opens at {}",
                p.closing, cp.opening
            ));
        }
    }
    let start = cp.size.checked_sub(cp.count).ok_or("count exceeds size")?;
    let (before, o) = match (start.checked_sub(1), o) {
        (None, None) if cp.opening == Amount::ZERO => {
            return Ok(String::from("the log starts with this period: opening 0"))
        }
        (None, None) => {
            return Err(format!(
                "no entry precedes the period, yet the signed opening is {}",
                cp.opening
            ))
        }
        (None, Some(_)) => {
            return Err(String::from(
                "no entry precedes the period, yet opening is not null",
            ))
        }
        (Some(seq), None) => {
            return Err(format!(
                "opening is null, but entry {seq} precedes the period"
            ))
        }
        (Some(seq), Some(o)) => (seq, o),
    };
    if o.seq != before {
        return Err(format!("opening.seq is {}, not {before}", o.seq));
    }
    let balance = canonical_amount(&o.balance_after)
        .ok_or("opening.balanceAfter is not canonical amount text")?;
    if !is_text_of(cp.opening, &o.balance_after) {
        return Err(format!(
            "opening.balanceAfter is {balance}, the signed opening is {}",
            cp.opening
        ));
    }
    let item_hash: Hash = o
        .item_hash
        .parse()
        .map_err(|_| "opening.itemHash is not a hash")?;
    let proof = steps::hashes("opening.proof", &o.proof.0)?;
    let leaf = Entry {
        seq: before,
        item_hash,
        balance_after: balance,
    }
    .entry_hash()
    .map_err(|e| format!("{e}"))?;
    RootHash::new(cp.root, cp.size)
        .verify_inclusion(&leaf, before, &proof)
        .map_err(|e| format!("opening inclusion proof: {e} ({})", e.code()))?;
    Ok(format!(
        "entry {before} has balanceAfter {balance}, the signed opening"
    ))
}

/// `summary`: exact sums, and the signed balances and count.
pub(crate) fn summary(
    s: &Summary<'_>,
    cp: &Checkpoint,
    credits: Amount,
    debits: Amount,
) -> Result<String, String> {
    let net = credits.checked_sub(debits).ok_or("the sums overflow")?;
    for (name, text, want) in [
        ("opening", &s.opening, cp.opening),
        ("credits", &s.credits, credits),
        ("debits", &s.debits, debits),
        ("net", &s.net, net),
        ("closing", &s.closing, cp.closing),
    ] {
        if !is_text_of(want, text) {
            return Err(format!("summary.{name} is {text:?}, not {want}"));
        }
    }
    if s.record_count != cp.count {
        return Err(format!(
            "summary.recordCount is {}, the checkpoint signs {}",
            s.record_count, cp.count
        ));
    }
    let moved = cp
        .closing
        .checked_sub(cp.opening)
        .ok_or("the balances overflow")?;
    if net != moved {
        return Err(format!("net {net} is not closing − opening, {moved}"));
    }
    Ok(format!(
        "opening {} + credits {credits} − debits {debits} = closing {}",
        cp.opening, cp.closing
    ))
}
