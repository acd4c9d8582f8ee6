//! Reading the document: a JSON file, stdin, or the JSON member of a zip bundle. Anything that
//! is not readable JSON text is refused here (exit 2); the verifier judges the rest.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Seek};

use serde_json::value::RawValue;

use crate::args::Kind;
use crate::Unreadable;

/// A bundle member is read only up to this size, so a zip bomb stops here.
const MAX_MEMBER: u64 = 1 << 31;

fn member_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Package | Kind::Verification => "close-package.json",
        Kind::Compare => "compare.json",
    }
}

/// What `verify` verifies `text` as: a verification package when its `format` member says so,
/// else a close package (whose report then says what is wrong with it). A document that does
/// not mention the format at all is not read twice.
pub fn detect(text: &str) -> Kind {
    use vericord_core::verification_package::FORMAT;
    // The top level's members, each left as raw text: nothing below them is built.
    let format = || {
        let members: HashMap<String, &RawValue> = serde_json::from_str(text).ok()?;
        serde_json::from_str::<String>(members.get("format")?.get()).ok()
    };
    let declares = text.contains(FORMAT) && format().is_some_and(|f| f == FORMAT);
    if declares {
        Kind::Verification
    } else {
        Kind::Package
    }
}

/// The document's text.
pub fn read(path: &OsStr, kind: Kind) -> Result<String, Unreadable> {
    let shown = path.to_string_lossy();
    let bytes = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Unreadable(format!("stdin: {e}")))?;
        from_bytes(bytes, kind, &shown)?
    } else {
        let mut file = File::open(path).map_err(|e| Unreadable(format!("{shown}: {e}")))?;
        let mut magic = [0u8; 4];
        let n = file
            .read(&mut magic)
            .map_err(|e| Unreadable(format!("{shown}: {e}")))?;
        file.rewind()
            .map_err(|e| Unreadable(format!("{shown}: {e}")))?;
        if is_zip(&magic[..n]) {
            from_zip(file, kind, &shown)?
        } else {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| Unreadable(format!("{shown}: {e}")))?;
            bytes
        }
    };
    String::from_utf8(bytes).map_err(|_| Unreadable(format!("{shown}: not UTF-8 text")))
}

/// Refuses text that is not JSON at all (exit 2, not a failed check). Called only when the
/// `format` check failed, so a good document is scanned once, by the verifier.
pub fn require_json(text: &str, path: &OsStr) -> Result<(), Unreadable> {
    serde_json::from_str::<&serde_json::value::RawValue>(text)
        .map(drop)
        .map_err(|e| Unreadable(format!("{}: not JSON: {e}", path.to_string_lossy())))
}

fn is_zip(magic: &[u8]) -> bool {
    magic == b"PK\x03\x04" || magic == b"PK\x05\x06"
}

fn from_bytes(bytes: Vec<u8>, kind: Kind, shown: &str) -> Result<Vec<u8>, Unreadable> {
    if is_zip(bytes.get(..4).unwrap_or_default()) {
        from_zip(std::io::Cursor::new(bytes), kind, shown)
    } else {
        Ok(bytes)
    }
}

/// The bundle's `close-package.json` (or `compare.json`): at the top, or the only one in a
/// folder.
fn from_zip<R: Read + Seek>(reader: R, kind: Kind, shown: &str) -> Result<Vec<u8>, Unreadable> {
    let bad = |e: zip::result::ZipError| Unreadable(format!("{shown}: not a readable zip: {e}"));
    let mut archive = zip::ZipArchive::new(reader).map_err(bad)?;
    let want = member_name(kind);
    let nested = format!("/{want}");
    let name = if archive.index_for_name(want).is_some() {
        want.to_string()
    } else {
        let names: Vec<String> = archive
            .file_names()
            .filter_map(|n| n.ok())
            .map(|n| n.into_owned())
            .collect();
        let found: Vec<&String> = names.iter().filter(|n| n.ends_with(&nested)).collect();
        match found.as_slice() {
            [one] => one.to_string(),
            [] => return Err(Unreadable(format!("{shown}: the zip holds no {want}"))),
            _ => return Err(Unreadable(format!("{shown}: the zip holds several {want}"))),
        }
    };
    let member = archive.by_name(&name).map_err(bad)?;
    if member.size() > MAX_MEMBER {
        return Err(Unreadable(format!(
            "{shown}: {name} is larger than {MAX_MEMBER} bytes"
        )));
    }
    let mut bytes = Vec::new();
    member
        .take(MAX_MEMBER + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable(format!("{shown}: {name}: {e}")))?;
    if bytes.len() as u64 > MAX_MEMBER {
        return Err(Unreadable(format!(
            "{shown}: {name} is larger than {MAX_MEMBER} bytes"
        )));
    }
    Ok(bytes)
}
