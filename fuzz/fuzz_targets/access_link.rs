//! Fuzz target `access_link`: see `fuzz/checks` (`vericord_fuzz_checks::run("access_link", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("access_link", data));
