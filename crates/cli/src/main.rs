//! `vericord`: verifies a close package (or a bundle holding one), a verification package or a
//! compare result offline, with the same core verifier as the npm package and the Worker.
//!
//! Exit status: 0 verified, 1 a check failed, 2 the input could not be read or bad usage.
//! The status comes from the report, so `--json` and the human output always agree.

#![forbid(unsafe_code)]

mod args;
mod input;
mod render;

use std::io::Write;
use std::process::ExitCode;

use args::{Command, Kind};
use vericord_core::close_package::{verify_close_package, verify_compare};
use vericord_core::verification_package::verify_verification_package;

/// Why the input could not be verified at all (exit 2).
#[derive(Debug)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vericord: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, Unreadable> {
    let command = args::parse(std::env::args_os().skip(1))?;
    let verify = match command {
        Command::Help => return print(args::HELP).map(|()| ExitCode::SUCCESS),
        Command::Version => {
            let version = format!("vericord {}\n", env!("CARGO_PKG_VERSION"));
            return print(&version).map(|()| ExitCode::SUCCESS);
        }
        Command::Verify(v) => v,
    };
    let text = input::read(&verify.path, verify.kind)?;
    let keys: Vec<&str> = verify.keys.iter().map(String::as_str).collect();
    let kind = match verify.kind {
        Kind::Package => input::detect(&text),
        kind => kind,
    };
    let report = match kind {
        Kind::Package => verify_close_package(&text, &keys),
        Kind::Compare => verify_compare(&text, &keys),
        Kind::Verification => verify_verification_package(&text, &keys),
    };
    if report.first_failure().is_some_and(|c| c.name == "format") {
        input::require_json(&text, &verify.path)?;
    }
    let out = if verify.json {
        let mut json = serde_json::to_string_pretty(&report)
            .map_err(|e| Unreadable(format!("cannot write the report: {e}")))?;
        json.push('\n');
        json
    } else {
        render::human(&report)
    };
    print(&out)?;
    Ok(if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes to stdout; a closed pipe (`| head`) is not an error, the verdict still stands.
fn print(text: &str) -> Result<(), Unreadable> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Unreadable(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
