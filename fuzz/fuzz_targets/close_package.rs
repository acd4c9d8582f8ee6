//! Fuzz target `close_package`: see `fuzz/checks` (`vericord_fuzz_checks::run("close_package", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("close_package", data));
