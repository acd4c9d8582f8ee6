#![doc = include_str!("../README.md")]
//!
//! Bindings only: every rule lives in `vericord-core`. Arguments arrive as
//! untyped `JsValue`s so that a wrong type becomes a coded `VericordError`
//! instead of wasm-bindgen's generic `TypeError`, and nothing here panics on
//! input (a panic would abort the wasm instance).
#![forbid(unsafe_code)]
// Without the `std` feature (the npm build) nothing links std: a panic stops the instance
// without formatting a message (none would reach JS anyway), and the allocator is TLSF
// (`rlsf`: constant-time, coalescing; 1.3 KB gzip less than std's dlmalloc).
#![no_std]

extern crate alloc;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: rlsf::GlobalTlsf = rlsf::GlobalTlsf::new();

mod amounts;
mod args;
mod checkpoint;
mod close_package;
mod compare;
mod error;
mod hashing;
mod proofs;
mod receipt;
mod verification_package;
