//! The core's JSON value: what a `serde_json::Value` holds, without its code in the package.

use alloc::string::String;
use alloc::vec::Vec;
use serde_json::{Map, Value};

/// A parsed JSON value as the core reads it: exactly what a `serde_json::Value` holds of the
/// text (numbers as `u64`, negative `i64` or finite `f64`; each member name once), and equal
/// when those are equal, but without serde_json's value or its map's code, which the npm
/// package need not carry. The public API keeps taking and giving `Value` ([`Tree::of`],
/// [`Tree::into_value`]).
#[derive(Clone, Debug)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    Number(Num),
    String(String),
    Array(Vec<Tree>),
    /// In the order read or built (into a `Value`, members are inserted in this order, as
    /// they were before); names unique. Equality and lookups ignore the order, as a map's do.
    Object(Vec<(String, Tree)>),
}

impl PartialEq for Tree {
    fn eq(&self, other: &Tree) -> bool {
        match (self, other) {
            (Tree::Null, Tree::Null) => true,
            (Tree::Bool(a), Tree::Bool(b)) => a == b,
            (Tree::Number(a), Tree::Number(b)) => a == b,
            (Tree::String(a), Tree::String(b)) => a == b,
            (Tree::Array(a), Tree::Array(b)) => a == b,
            // Names are unique: equal maps are equal member lists once both are in name order.
            (Tree::Object(a), Tree::Object(b)) => {
                a.len() == b.len() && by_name(a).into_iter().eq(by_name(b))
            }
            _ => false,
        }
    }
}

/// `members` in name order (byte order: a `BTreeMap`'s, which `Value` maps are in the
/// package, the Worker and the CLI).
pub(crate) fn by_name(members: &[(String, Tree)]) -> Vec<&(String, Tree)> {
    let mut sorted: Vec<&(String, Tree)> = members.iter().collect();
    crate::sort::sort_by(&mut sorted, |(a, _), (b, _)| a < b);
    sorted
}

/// A number as `serde_json::Number` holds it (and compares it: `1` is not `1.0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Tree {
    /// The member `key` of an object (`None` for anything else), as `Value::get`.
    pub(crate) fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Object(members) => member(members, key),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Tree::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_u64(&self) -> Option<u64> {
        match self {
            Tree::Number(Num::PosInt(n)) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Tree]> {
        match self {
            Tree::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Tree::Object(_))
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Tree::Null)
    }

    /// A JSON object of `pairs` (names unique).
    pub(crate) fn object(pairs: Vec<(&str, Tree)>) -> Tree {
        let members = pairs.into_iter().map(|(k, v)| (String::from(k), v));
        Tree::Object(members.collect())
    }

    /// The tree of a `Value`.
    pub(crate) fn of(value: &Value) -> Tree {
        match value {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(*b),
            Value::Number(n) => Tree::Number(match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Num::PosInt(u),
                (None, Some(i)) => Num::NegInt(i),
                // Always `Some` (no arbitrary precision).
                (None, None) => Num::Float(n.as_f64().unwrap_or_default()),
            }),
            Value::String(s) => Tree::String(s.clone()),
            Value::Array(items) => Tree::Array(items.iter().map(Tree::of).collect()),
            Value::Object(map) => {
                Tree::Object(map.iter().map(|(k, v)| (k.clone(), Tree::of(v))).collect())
            }
        }
    }

    /// The `Value` of a tree.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(b),
            Tree::Number(Num::PosInt(n)) => Value::from(n),
            Tree::Number(Num::NegInt(n)) => Value::from(n),
            Tree::Number(Num::Float(x)) => {
                serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
            }
            Tree::String(s) => Value::String(s),
            Tree::Array(items) => Value::Array(items.into_iter().map(Tree::into_value).collect()),
            Tree::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

/// The member `key` of `members` (names unique).
pub(crate) fn member<'t>(members: &'t [(String, Tree)], key: &str) -> Option<&'t Tree> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}
