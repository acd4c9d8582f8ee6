//! Fuzz target `consistency`: see `fuzz/checks` (`vericord_fuzz_checks::run("consistency", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("consistency", data));
