//! Fuzz target `verification_package`: see `fuzz/checks` (`vericord_fuzz_checks::run("verification_package", ..)`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vericord_fuzz_checks::run("verification_package", data));
