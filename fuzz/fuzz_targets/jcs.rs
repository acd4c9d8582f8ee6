//! Fuzz target `jcs`: see `fuzz/checks` (`vericord_fuzz_checks::run("jcs", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("jcs", data));
