//! The one error shape the package throws: an `Error` named `VericordError`
//! with a stable `.code`.

use alloc::format;
use core::fmt::Display;
use vericord_core::amount::AmountError;
use vericord_core::checkpoint::CheckpointError;
use vericord_core::close_package::CloseError;
use vericord_core::hash::HashParseError;
use vericord_core::jcs::JcsError;
use vericord_core::merkle::{ConsistencyError, InclusionError};
use vericord_core::receipt::ReceiptError;
use vericord_core::record::SeqOutOfRange;
use wasm_bindgen::JsValue;

/// Code for arguments of the wrong type or outside their domain.
pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";

/// A `VericordError` with `code` and a message that names the argument.
pub fn error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("VericordError");
    // Setting a property on a fresh plain Error cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

/// Core errors all carry a stable `code()`; this lets one function convert them.
pub trait Coded: Display {
    fn code(&self) -> &'static str;
}

macro_rules! coded {
    ($($t:ty),* $(,)?) => {$(
        impl Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

coded!(
    AmountError,
    CheckpointError,
    CloseError,
    ConsistencyError,
    HashParseError,
    InclusionError,
    JcsError,
    ReceiptError,
    SeqOutOfRange,
);

/// Converts a core error, prefixing the message with what was being checked.
pub fn from_core(what: impl Display, e: &impl Coded) -> JsValue {
    error(e.code(), &format!("{what} {e}"))
}
