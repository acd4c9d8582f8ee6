//! Fuzz target `checkpoint`: see `fuzz/checks` (`vericord_fuzz_checks::run("checkpoint", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("checkpoint", data));
