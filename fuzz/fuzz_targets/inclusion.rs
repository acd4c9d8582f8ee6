//! Fuzz target `inclusion`: see `fuzz/checks` (`vericord_fuzz_checks::run("inclusion", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("inclusion", data));
