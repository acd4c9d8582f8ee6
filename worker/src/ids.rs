//! Identifiers and secrets from the runtime's CSPRNG (crypto.getRandomValues).

use crate::api::ApiError;

/// `n` random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::internal("getrandom", e))?;
    Ok(buf)
}

/// `prefix` + 24 hex digits (96 random bits): record, submission, tenant ids.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    Ok(format!("{prefix}{}", hex::encode(random_bytes::<12>()?)))
}

/// A 256-bit secret as 64 hex digits.
pub fn new_secret() -> Result<String, ApiError> {
    Ok(hex::encode(random_bytes::<32>()?))
}
