//! `--jcs-lines`: one JSON text per stdin line in, its JCS (or `ERROR <code>`)
//! per stdout line out. Lines split on `\n` only: JCS output may legitimately
//! contain U+2028 and other characters some line readers also split on.

use std::io::{BufWriter, Read, Write};
use vericord_core::jcs::canonicalize_text;

pub fn run() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("stdin: {e}"))?;
    if input.is_empty() {
        return Ok(());
    }
    let body = input.strip_suffix(b"\n").unwrap_or(&input);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in body.split(|&b| b == b'\n') {
        let answer = match std::str::from_utf8(line) {
            Ok(text) => canonicalize_text(text).unwrap_or_else(|e| format!("ERROR {}", e.code())),
            // Not UTF-8 is not JSON (RFC 8259 §8.1).
            Err(_) => "ERROR JSON_INVALID".to_string(),
        };
        writeln!(out, "{answer}").map_err(|e| format!("stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}
