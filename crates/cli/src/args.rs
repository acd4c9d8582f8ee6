//! Command line: `vericord verify <file> [--key K]... [--json]`, `vericord verify-compare …`.
//! `verify` takes a close package or a verification package, told apart by its `format`.

use std::ffi::OsString;

use crate::Unreadable;
use vericord_core::Checkpoint;

pub const HELP: &str = "\
vericord: verify a vericord close package, verification package or compare result offline

Usage:
  vericord verify <close-package.json | verification-package.json | bundle.zip | -> [--key KEY]... [--json]
  vericord verify-compare <compare.json | bundle.zip | -> [--key KEY]... [--json]
  vericord --help | --version

Options:
  --key KEY   trust this verifier key (name+id+base64, as /.well-known/vericord/keys
              lists it); repeat for several. Without --key the document's own
              verifierKeys are used: that proves integrity, not who signed.
  --json      print the whole report as JSON
  -h, --help  print this help
  -V, --version

`verify` reads the document's format member: a verification package
(vericord.verification-package/v1, a sample of a closed period's records) is
verified as one, anything else as a close package (vericord.close-package/v1).
A bundle is a zip holding close-package.json (or compare.json); `-` reads stdin.
Exit status: 0 verified, 1 a check failed, 2 unreadable input or bad usage.
";

/// What the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `vericord.close-package/v1`.
    Package,
    /// `vericord.compare/v1`.
    Compare,
    /// `vericord.verification-package/v1`: `verify` of a document whose `format` says so.
    Verification,
}

/// One verification to run.
pub struct Verify {
    pub kind: Kind,
    pub path: OsString,
    pub keys: Vec<String>,
    pub json: bool,
}

pub enum Command {
    Help,
    Version,
    Verify(Verify),
}

fn usage(why: impl std::fmt::Display) -> Unreadable {
    Unreadable(format!(
        "{why}\nusage: vericord verify <file> [--key KEY]... [--json] (--help for more)"
    ))
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Unreadable> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut kind = None;
    let mut path = None;
    let mut keys = Vec::new();
    let mut json = false;
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("json") => json = true,
            Long("key") => {
                let key = parser
                    .value()
                    .map_err(usage)?
                    .into_string()
                    .map_err(|_| usage("--key is not UTF-8"))?;
                // A malformed key is a usage error, not a failed check.
                Checkpoint::check_verifier_key(&key).map_err(|_| {
                    usage(format!("--key {key}: not a verifier key (name+id+base64)"))
                })?;
                keys.push(key);
            }
            Value(v) if kind.is_none() => {
                kind = Some(match v.to_str() {
                    Some("verify") => Kind::Package,
                    Some("verify-compare") => Kind::Compare,
                    Some("help") => return Ok(Command::Help),
                    _ => return Err(usage(format!("unknown command {}", v.to_string_lossy()))),
                });
            }
            Value(v) if path.is_none() => path = Some(v),
            Value(v) => {
                return Err(usage(format!(
                    "unexpected argument {}",
                    v.to_string_lossy()
                )))
            }
            other => return Err(usage(other.unexpected())),
        }
    }
    let kind = kind.ok_or_else(|| usage("no command given"))?;
    let path = path.ok_or_else(|| usage("no file given"))?;
    Ok(Command::Verify(Verify {
        kind,
        path,
        keys,
        json,
    }))
}
