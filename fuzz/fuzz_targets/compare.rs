//! Fuzz target `compare`: see `fuzz/checks` (`vericord_fuzz_checks::run("compare", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("compare", data));
