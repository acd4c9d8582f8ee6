//! Steps shared by close packages and compares: signed notes, the log's identity, consistency,
//! the frontier, and exact amount text. Each returns the check's detail: `Ok` passes, `Err`
//! fails.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::model::{Customer, RecordedBy, Tenant};
use crate::amount::Amount;
use crate::checkpoint::{verify_note, Checkpoint, CheckpointError};
use crate::hash::Hash;
use crate::merkle::{CompactRange, RootHash};
use crate::reference::{customer_reference, Environment};

/// `recordedBy.type` of a billing middleware's vendor account.
pub(crate) const MIDDLEWARE: &str = "middleware_vendor_account";
/// `recordedBy.type` of a direct vendor.
pub(crate) const TENANT: &str = "tenant";

/// Whether `text` is exactly `amount`'s canonical text (§2). Allocates nothing.
pub(crate) fn is_text_of(amount: Amount, text: &str) -> bool {
    amount.text().as_str() == text
}

/// The amount `text` is the canonical text of (§2), if it is one — without allocating:
/// `-`, integer digits without leading zeros (at most 20: magnitude below 10^20), then `.`
/// and 1 to 9 digits not ending in 0; never `-0`.
pub(crate) fn canonical_amount(text: &str) -> Option<Amount> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && !frac.ends_with('0') => (int, frac),
        Some(_) => return None,
        None => (body, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = int.len() > 1 && int.starts_with('0');
    if int.is_empty()
        || int.len() > 20
        || frac.len() > 9
        || leading_zero
        || !digits(int)
        || !digits(frac)
    {
        return None;
    }
    let nanos: i128 = if int.len() <= 10 {
        // At most 10 + 9 digits: below 10^19, inside u64, so wrapping arithmetic never wraps
        // (machine words: no i128 multiply, no overflow test, which wasm would widen to 128 bits).
        let digits = |from: u64, t: &str| {
            t.bytes().fold(from, |n, b| {
                n.wrapping_mul(10)
                    .wrapping_add(u64::from(b.wrapping_sub(b'0')))
            })
        };
        let scale = 10u64.pow(9u32.saturating_sub(frac.len() as u32));
        i128::from(digits(digits(0, int), frac).wrapping_mul(scale))
    } else {
        // At most 20 + 9 digits: below 10^29, far inside i128.
        let mut nanos: i128 = 0;
        let padded = frac.bytes().chain(core::iter::repeat(b'0')).take(9);
        for b in int.bytes().chain(padded) {
            nanos = nanos
                .checked_mul(10)?
                .checked_add(i128::from(b.checked_sub(b'0')?))?;
        }
        nanos
    };
    if negative && nanos == 0 {
        return None;
    }
    Some(Amount::from_nanos(if negative {
        nanos.checked_neg()?
    } else {
        nanos
    }))
}

/// Parses `0x…` hashes, naming the first bad one as `what[i]`.
pub(crate) fn hashes(what: &str, texts: &[Cow<'_, str>]) -> Result<Vec<Hash>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.parse()
                .map_err(|_| format!("{what}[{i}] is not 0x and 64 hex digits"))
        })
        .collect()
}

fn describe(e: &CheckpointError) -> String {
    format!("{e} ({})", e.code())
}

/// A key's name and id, for details: `name+1a2b3c4d` of `name+1a2b3c4d+base64` (base64 may
/// itself hold `+`).
pub(crate) fn key_label(key: &str) -> &str {
    let cut = key
        .match_indices('+')
        .nth(1)
        .map_or(key.len(), |(at, _)| at);
    key.get(..cut).unwrap_or(key)
}

/// Whose keys the signatures were checked against, for details.
pub(crate) fn whose(pinned: bool) -> &'static str {
    if pinned {
        "pinned"
    } else {
        "the document's own, not pinned"
    }
}

/// A signed checkpoint verified against `keys`: the checkpoint, the first key whose own
/// signature verifies, and the check's detail.
pub(crate) fn signed_checkpoint(
    note: &str,
    keys: &[&str],
    pinned: bool,
) -> Result<(Checkpoint, Option<String>, String), String> {
    let text = verify_note(note, keys).map_err(|e| describe(&e))?;
    let cp = Checkpoint::parse_body(&text).map_err(|e| describe(&e))?;
    // Which key signed: each alone (signed-note ignores the others' signatures then).
    let key = match keys {
        [only] => Some(*only),
        _ => keys
            .iter()
            .copied()
            .find(|k| verify_note(note, &[k]).is_ok()),
    };
    let whose = whose(pinned);
    let detail = match key {
        Some(k) => format!(
            "{} at size {}, signed by {} ({whose})",
            cp.origin,
            cp.size,
            key_label(k)
        ),
        None => format!("{} at size {} ({whose})", cp.origin, cp.size),
    };
    Ok((cp, key.map(String::from), detail))
}

/// A signed note other than a checkpoint (the manifest): its text.
pub(crate) fn signed_text(note: &str, keys: &[&str]) -> Result<String, String> {
    verify_note(note, keys).map_err(|e| describe(&e))
}

/// `checkpoint.origin`: the note names this customer's log, and the other note the same log.
pub(crate) fn origin(
    cp: &Checkpoint,
    other: Option<(&str, &Checkpoint)>,
    environment: &str,
    reference: &str,
) -> Result<String, String> {
    let suffix = format!("/{environment}/{reference}");
    let deployment = cp
        .origin
        .strip_suffix(suffix.as_str())
        .filter(|d| !d.is_empty())
        .ok_or_else(|| format!("origin {} does not end with {suffix}", cp.origin))?;
    if let Some((name, o)) = other {
        if o.origin != cp.origin {
            return Err(format!("{name} names another log: {}", o.origin));
        }
    }
    Ok(format!("{} (deployment {deployment})", cp.origin))
}

/// `identity`: the reference recomputes from the recorder, environment and customer (§4), the
/// recorder's type is known, and the names agree.
pub(crate) fn identity(
    environment: &str,
    customer: &Customer<'_>,
    by: &RecordedBy<'_>,
    tenant: &Tenant<'_>,
) -> Result<String, String> {
    let env = Environment::parse(environment)
        .ok_or_else(|| format!("environment {environment:?} is neither sandbox nor production"))?;
    if by.kind != MIDDLEWARE && by.kind != TENANT {
        return Err(format!(
            "recordedBy.type {:?} is neither {TENANT} nor {MIDDLEWARE}",
            by.kind
        ));
    }
    if by.id.is_empty() || customer.customer_id.is_empty() {
        return Err(String::from(
            "recordedBy.id and customer.customerId must not be empty",
        ));
    }
    let want = customer_reference(&by.id, env, &customer.customer_id);
    if want != customer.customer_reference {
        return Err(format!(
            "customerReference {} is not §4 of (recordedBy.id, environment, customerId), {want}",
            customer.customer_reference
        ));
    }
    if by.display_name.is_empty() {
        return Err(String::from("recordedBy.displayName is empty"));
    }
    if tenant.name != by.display_name {
        return Err(String::from("tenant.name is not recordedBy.displayName"));
    }
    Ok(format!(
        "{} recorded by {} {} ({})",
        customer.customer_id, by.kind, by.id, by.display_name
    ))
}

/// `consistency`: `old` (the empty tree when `None`) is a prefix of `new`.
pub(crate) fn consistency(
    old: Option<&Checkpoint>,
    new: &Checkpoint,
    proof: &[Cow<'_, str>],
) -> Result<String, String> {
    let proof = hashes("consistencyProof", proof)?;
    let old_head = old.map_or(RootHash::new(Hash::ZERO, 0), |o| {
        RootHash::new(o.root, o.size)
    });
    RootHash::new(new.root, new.size)
        .verify_consistency(&old_head, &proof)
        .map_err(|e| format!("{e} ({})", e.code()))?;
    Ok(format!(
        "size {} is a prefix of size {}",
        old_head.size, new.size
    ))
}

/// The frontier as a compact range of entries `0 .. start` (lengths checked before hashing).
pub(crate) fn frontier(start: u64, texts: &[Cow<'_, str>]) -> Result<CompactRange, String> {
    let hashes = hashes("frontier", texts)?;
    CompactRange::from_hashes(start, hashes).map_err(|e| format!("frontier {e}"))
}

/// `range.frontier`: the frontier folds to the earlier checkpoint's root.
pub(crate) fn frontier_root(
    range: &Result<CompactRange, String>,
    earlier: Option<&Checkpoint>,
    name: &str,
) -> Result<String, String> {
    let range = range.as_ref().map_err(String::clone)?;
    let want = earlier.map_or(Hash::ZERO, |c| c.root);
    if !range.root().ct_eq(&want) {
        return Err(format!(
            "the frontier folds to {}, not {name}'s root {want}",
            range.root()
        ));
    }
    let n = range.hashes().len();
    let hashes = if n == 1 { "hash folds" } else { "hashes fold" };
    Ok(format!(
        "{n} frontier {hashes} to the root at size {}",
        range.size()
    ))
}

/// `range.root`: the frontier with every record's entryHash is the checkpoint's tree.
pub(crate) fn range_root(
    range: Option<Result<CompactRange, String>>,
    cp: &Checkpoint,
) -> Result<String, String> {
    let range = range.ok_or_else(|| String::from("the frontier is unreadable"))??;
    if range.size() != cp.size {
        return Err(format!(
            "the records end at size {}, the checkpoint's size is {}",
            range.size(),
            cp.size
        ));
    }
    if !range.root().ct_eq(&cp.root) {
        return Err(format!(
            "the frontier and the records fold to {}, not the signed root {}",
            range.root(),
            cp.root
        ));
    }
    Ok(format!(
        "the records end the tree of root {} at size {}",
        cp.root, cp.size
    ))
}

/// "not checked" reason: the first of `deps` that did not pass.
pub(crate) fn blocked(checks: &super::report::Checks, deps: &[&str]) -> String {
    match deps.iter().find(|d| !checks.ok(d)) {
        Some(d) => format!("{d} failed"),
        None => String::from("an earlier check failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The allocation-free reader agrees with `Amount::parse` and canonical text.
        #[test]
        fn canonical_amount_is_parse_then_display(s in "-?[0-9]{0,22}(\\.[0-9]{0,11})?(e[0-9])?") {
            let reference = Amount::parse(&s).ok().filter(|a| alloc::string::ToString::to_string(a) == s);
            proptest::prop_assert_eq!(canonical_amount(&s), reference, "{}", s);
        }
    }

    #[test]
    fn key_labels_stop_before_the_key() {
        assert_eq!(key_label("v.test+0e1a2c4a+AeQ+VX/r=="), "v.test+0e1a2c4a");
        assert_eq!(key_label("v.test"), "v.test");
    }

    #[test]
    fn amount_text_is_exact() {
        let a = Amount::parse("-12.5").unwrap();
        assert!(is_text_of(a, "-12.5"));
        assert!(!is_text_of(a, "-12.50"));
        assert!(!is_text_of(a, "-12.5 "));
        assert_eq!(canonical_amount("-12.5"), Some(a));
        for bad in [
            "-12.50",
            "1e3",
            "-0",
            "01",
            "",
            "0.0000000001",
            &"9".repeat(60),
        ] {
            assert_eq!(canonical_amount(bad), None, "{bad}");
        }
        let big = Amount::from_nanos(i128::MIN);
        assert!(is_text_of(big, &alloc::string::ToString::to_string(&big)));
    }
}
