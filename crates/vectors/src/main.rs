//! Writes the known-answer vectors of `tests/vectors/README.md`, byte for byte
//! the same on every run: `vericord-vectors <outdir>`.
//!
//! `vericord-vectors --jcs-lines` instead canonicalizes JSON texts read one per
//! line from stdin, so independent checkers can compare against our JCS.

mod amounts;
mod checkpoints;
mod close_packages;
mod compares;
mod consistency;
mod items;
mod jcs;
mod jcs_lines;
mod package;
mod receipts;
mod references;
mod sample;
mod trees;
mod util;
mod verification_packages;

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: vericord-vectors <outdir> | vericord-vectors --jcs-lines";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag] if flag == "--jcs-lines" => jcs_lines::run(),
        [flag] if flag.starts_with('-') => Err(USAGE.to_string()),
        [dir] => write_all(Path::new(dir)),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vericord-vectors: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_all(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files = [
        ("amounts.json", amounts::build()),
        ("jcs.json", jcs::build()),
        ("items.json", items::build()),
        ("references.json", references::build()),
        ("trees.json", trees::build()),
        ("consistency.json", consistency::build()),
        ("checkpoints.json", checkpoints::build()),
        ("receipts.json", receipts::build()),
        ("close-packages.json", close_packages::build()),
        ("compares.json", compares::build()),
        ("verification-packages.json", verification_packages::build()),
    ];
    for (name, value) in files {
        util::write_json(&dir.join(name), &value)?;
    }
    Ok(())
}
