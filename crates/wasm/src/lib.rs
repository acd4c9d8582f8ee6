#![doc = include_str!("../README.md")]
//!
//! Bindings only: every rule lives in `vericord-core`. Arguments arrive as
//! untyped `JsValue`s so that a wrong type becomes a coded `VericordError`
//! instead of wasm-bindgen's generic `TypeError`, and nothing here panics on
//! input (a panic would abort the wasm instance).
#![forbid(unsafe_code)]

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
