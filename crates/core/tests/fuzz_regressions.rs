//! The fuzz targets' checks without the fuzzer, on stable: every reproducer the fuzzers found
//! (`fuzz/regressions/<target>/`, kept there for good) and every seed (made from
//! `tests/vectors`) runs through the same code the targets run, `fuzz/checks/src`, compiled
//! here as a module. Found by fuzzing, fixed in the core: each file here stays fixed.

#[path = "../../../fuzz/checks/src/lib.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_fuzz_reproducer_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut count = 0;
    for target in checks::TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            eprintln!("{target}: {}", file.display());
            checks::run(target, &std::fs::read(file).unwrap());
            count += 1;
        }
    }
    eprintln!("{count} reproducers");
}

#[test]
fn every_fuzz_seed_passes_its_target() {
    for target in checks::TARGETS {
        let seeds = checks::seeds(target);
        assert!(!seeds.is_empty(), "{target}");
        for seed in &seeds {
            checks::run(target, seed);
        }
    }
}
