//! Host-side (uninstrumented) tool of `scripts/fuzz`:
//!
//! - `seeds <dir>`: writes every target's seed corpus (from `tests/vectors`) to `<dir>/<target>/`.
//! - `run <target> <file|dir>…`: runs the target's checks on each input, outside the fuzzer.
//! - `inclusion <file|dir>…`: one JSON line per input of the `inclusion` target — the case it
//!   decodes to and our verdict — for the OpenZeppelin replay (`fuzz/oz-replay.mjs`).
//! - `jcs <file|dir>…`: one JSON line per UTF-8 input of the `jcs` target — the text and our
//!   JCS or error code — for the SDK replay (`fuzz/sdk-jcs-replay.py`).

use serde_json::json;
use std::path::{Path, PathBuf};
use vericord_core::jcs::canonicalize_text;
use vericord_fuzz_checks::{proofs, run, seeds, TARGETS};

fn inputs(args: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for a in args {
        let p = Path::new(a);
        if !p.exists() {
            eprintln!("{a}: not there, skipped");
        } else if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .unwrap_or_else(|e| panic!("{a}: {e}"))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.to_path_buf());
        }
    }
    out
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, rest)) if cmd == "seeds" && rest.len() == 1 => {
            for target in TARGETS {
                let dir = Path::new(&rest[0]).join(target);
                std::fs::create_dir_all(&dir).expect("corpus dir");
                let all = seeds(target);
                for (i, s) in all.iter().enumerate() {
                    std::fs::write(dir.join(format!("seed-{i:04}")), s).expect("seed");
                }
                eprintln!("{target}: {} seeds", all.len());
            }
        }
        Some((cmd, rest)) if cmd == "run" && !rest.is_empty() => {
            let files = inputs(&rest[1..]);
            for f in &files {
                eprintln!("{} {}", rest[0], f.display());
                run(&rest[0], &read(f));
            }
            eprintln!("{}: {} inputs, every check held", rest[0], files.len());
        }
        Some((cmd, rest)) if cmd == "inclusion" => {
            for f in inputs(rest) {
                let (c, _) = proofs::inclusion_case(&read(&f));
                let ours = c.head.verify_inclusion(&c.leaf, c.index, &c.proof);
                let line = json!({
                    "file": f.display().to_string(),
                    "root": c.head.root, "size": c.head.size.to_string(),
                    "index": c.index.to_string(), "leaf": c.leaf, "proof": c.proof,
                    "ours": ours.err().map_or("OK", |e| e.code()),
                });
                println!("{line}");
            }
        }
        Some((cmd, rest)) if cmd == "jcs" => {
            for f in inputs(rest) {
                let Ok(text) = String::from_utf8(read(&f)) else {
                    continue;
                };
                let ours = canonicalize_text(&text);
                let line = json!({
                    "file": f.display().to_string(),
                    "input": text,
                    "ours": ours.as_ref().ok(),
                    "error": ours.as_ref().err().map(|e| e.code()),
                });
                println!("{line}");
            }
        }
        _ => {
            eprintln!("usage: vericord-fuzz-replay seeds <dir> | run <target> <file|dir>… | inclusion <file|dir>… | jcs <file|dir>…");
            std::process::exit(2);
        }
    }
}
