#![doc = include_str!("../README.md")]
//!
//! Bindings only: every rule lives in `vericord-core`. Arguments arrive as
//! untyped `JsValue`s so that a wrong type becomes a coded `VericordError`
//! instead of wasm-bindgen's generic `TypeError`, and nothing here panics on
//! input (a panic would abort the wasm instance).
#![forbid(unsafe_code)]
// Without the `std` feature (the npm build) nothing links std: panics stop the instance
// without formatting a message (none would reach JS anyway), which keeps core::fmt's panic
// paths out of the package.
#![no_std]

extern crate alloc;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

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
