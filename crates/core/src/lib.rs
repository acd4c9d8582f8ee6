#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod access_link;
pub mod amount;
mod base64;
pub mod checkpoint;
pub mod close_package;
pub mod hash;
pub mod jcs;
pub(crate) mod json;
pub mod log;
pub mod merkle;
mod note;
mod number;
pub mod receipt;
pub mod record;
pub mod reference;
mod sort;
pub mod verification_package;

pub use access_link::{AccessCode, AccessKey, AccessLinkError, Handle};
pub use amount::{Amount, AmountError};
pub use checkpoint::{Checkpoint, CheckpointError, CheckpointSigner};
pub use hash::{keccak256, Hash};
pub use merkle::{ConsistencyError, InclusionError, MemoryTree, RootHash};
pub use receipt::{verify_receipt, ReceiptError};
pub use record::{item_hash, DeltaItem, Entry, SeqOutOfRange, WriteItem};
pub use reference::{account_reference, customer_partition, customer_reference, Environment};
