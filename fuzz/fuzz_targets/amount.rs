//! Fuzz target `amount`: see `fuzz/checks` (`vericord_fuzz_checks::run("amount", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("amount", data));
