//! The deployment's checkpoint keys, from Worker secrets and vars:
//! `CHECKPOINT_SIGNING_KEY` (Go `note` private key text; its name is the
//! deployment name) and `CHECKPOINT_RETIRED_KEYS` (verifier keys of rotated-out
//! keys, space or comma separated), which stay published so old checkpoints verify.

use vericord_core::{Checkpoint, CheckpointSigner};
use worker::Env;

use crate::api::ApiError;

pub struct Keys {
    pub signer: CheckpointSigner,
    /// The key name: the deployment name, first segment of every origin.
    pub name: String,
    pub current: String,
    pub retired: Vec<String>,
}

/// A secret or var, trimmed of nothing, `None` when unset or blank.
pub fn text(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

pub fn keys(env: &Env) -> Result<Keys, ApiError> {
    let skey = text(env, "CHECKPOINT_SIGNING_KEY").ok_or_else(|| {
        ApiError::new(
            503,
            "SIGNING_KEY_MISSING",
            "this deployment has no CHECKPOINT_SIGNING_KEY; checkpoints cannot be signed",
        )
    })?;
    let signer = CheckpointSigner::from_private_key(skey.trim()).map_err(|e| {
        invalid(format!(
            "CHECKPOINT_SIGNING_KEY is not a Go note private key (PRIVATE+KEY+<name>+<id>+<key>): {e}"
        ))
    })?;
    let current = signer.verifier_key();
    let name = current.split('+').next().unwrap_or_default().to_string();
    let mut retired = Vec::new();
    let list = text(env, "CHECKPOINT_RETIRED_KEYS").unwrap_or_default();
    let entries = list
        .split([' ', ',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty());
    for (i, entry) in entries.enumerate() {
        // One bad entry would make every verification against the list fail: refuse it here.
        Checkpoint::check_verifier_key(entry).map_err(|_| {
            invalid(format!(
                "CHECKPOINT_RETIRED_KEYS entry {} ({entry:?}) is not a verifier key (<name>+<8 hex id>+<base64 key>)",
                i + 1
            ))
        })?;
        if entry != current && !retired.iter().any(|r| r == entry) {
            retired.push(entry.to_string());
        }
    }
    Ok(Keys {
        signer,
        name,
        current,
        retired,
    })
}

/// A deployment misconfiguration: every route that needs the keys answers 503 with it, and
/// so does `/health`, so `scripts/dev` and a deploy's health check stop on it at start-up.
fn invalid(message: String) -> ApiError {
    worker::console_error!("configuration: {message}");
    ApiError::new(503, "CONFIG_INVALID", message)
}

impl Keys {
    /// Every verifier key a checkpoint of this deployment may be signed with.
    pub fn trusted(&self) -> Vec<&str> {
        std::iter::once(self.current.as_str())
            .chain(self.retired.iter().map(String::as_str))
            .collect()
    }

    /// `<deployment>/<environment>/<log reference>`.
    pub fn origin(&self, environment: &str, log_id: &str) -> String {
        format!("{}/{environment}/{log_id}", self.name)
    }
}
