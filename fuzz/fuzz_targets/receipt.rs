//! Fuzz target `receipt`: see `fuzz/checks` (`vericord_fuzz_checks::run("receipt", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("receipt", data));
