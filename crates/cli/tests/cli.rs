//! The built `vericord` binary over the vectors: exit codes 0 / 1 / 2, `--json`, zip bundles.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn vectors(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn case<'a>(v: &'a Value, list: &str, name: &str) -> &'a Value {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

/// A fresh directory per call under the target directory.
fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "vericord-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn vericord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vericord"))
        .args(args)
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn key() -> String {
    vectors("close-packages.json")["valid"][0]["trusted"][0]
        .as_str()
        .unwrap()
        .to_string()
}

fn package(name: &str) -> PathBuf {
    let v = vectors("close-packages.json");
    let list = if case_exists(&v, "valid", name) {
        "valid"
    } else {
        "invalid"
    };
    file(
        "close-package.json",
        case(&v, list, name)["package"].to_string().as_bytes(),
    )
}

fn case_exists(v: &Value, list: &str, name: &str) -> bool {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_valid_package_verifies_with_exit_0() {
    let pkg = package("direct-tenant");
    let out = vericord(&["verify", s(&pkg), "--key", &key()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("✓ records.entryHash"), "{text}");
    assert!(text.contains("VERIFIED: all 23 checks"), "{text}");
    assert!(text
        .contains("period:      2026-11 (2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z)"));
    assert!(
        text.contains("recorded by: Acme Inference (tenant ten_"),
        "{text}"
    );
    assert!(
        text.contains("summary:     opening 258.480000001, credits 33.8"),
        "{text}"
    );
    assert!(
        text.contains(&format!("keys:        pinned {}", key())),
        "{text}"
    );
    // Without --key: verified, and the report says the keys were the package's own.
    let out = vericord(&["verify", s(&pkg)]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("keys:        the package's own (not pinned: pass --key to pin)"));
}

#[test]
fn a_failed_check_exits_1_and_names_it() {
    let out = vericord(&["verify", s(&package("record-dropped")), "--key", &key()]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("✗ records.count"), "{text}");
    assert!(
        text.contains("NOT VERIFIED: 6 of 23 checks failed, first records.count"),
        "{text}"
    );
    assert!(text.contains("summary:     (not verified)"), "{text}");
    // A key that did not sign it.
    let other = vectors("close-packages.json");
    let other_key = case(&other, "valid", "own-keys-not-pinned")["package"]["verifierKeys"][0]
        .as_str()
        .unwrap()
        .to_string();
    let out = vericord(&["verify", s(&package("direct-tenant")), "--key", &other_key]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("✗ checkpoint.signature"));
}

#[test]
fn json_output_is_the_report() {
    let out = vericord(&[
        "verify",
        "--json",
        s(&package("middleware")),
        "--key",
        &key(),
    ]);
    assert_eq!(code(&out), 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["keysPinned"], true);
    assert_eq!(report["checks"].as_array().unwrap().len(), 23);
    assert_eq!(report["recordedBy"]["type"], "middleware_vendor_account");
    let out = vericord(&["verify", s(&package("frontier-forged")), "--json"]);
    assert_eq!(code(&out), 1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .collect();
    assert_eq!(failed[0]["name"], "range.frontier");
}

fn zip(members: &[(&str, &[u8])]) -> PathBuf {
    let path = scratch().join("bundle.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, bytes) in members {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn a_bundle_verifies_from_its_close_package_member() {
    let v = vectors("close-packages.json");
    let pkg = case(&v, "valid", "carried-over")["package"].to_string();
    let bundle = zip(&[
        ("README.txt", b"open verify.html"),
        ("close-package.json", pkg.as_bytes()),
        ("records.csv", b"seq\n"),
    ]);
    let out = vericord(&["verify", s(&bundle), "--key", &key()]);
    assert_eq!(
        code(&out),
        0,
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    let nested = zip(&[("acme-2026-10/close-package.json", pkg.as_bytes())]);
    assert_eq!(code(&vericord(&["verify", s(&nested)])), 0);
    let empty = zip(&[("README.txt", b"nothing here")]);
    let out = vericord(&["verify", s(&empty)]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no close-package.json"));
}

#[test]
fn compares_verify_with_verify_compare() {
    let v = vectors("compares.json");
    let doc = file(
        "compare.json",
        case(&v, "valid", "across-periods")["compare"]
            .to_string()
            .as_bytes(),
    );
    let out = vericord(&["verify-compare", s(&doc), "--key", &key()]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("differences: 19 entries"));
    // Given to `verify`, the format check fails and says what it is.
    let out = vericord(&["verify", s(&doc)]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("hint: this is a compare result"));
    let bad = file(
        "compare.json",
        case(&v, "invalid", "differences-changed")["compare"]
            .to_string()
            .as_bytes(),
    );
    assert_eq!(code(&vericord(&["verify-compare", s(&bad)])), 1);
}

#[test]
fn unreadable_input_and_bad_usage_exit_2() {
    let garbage = file(
        "garbage.json",
        b"{\"format\": \"vericord.close-package/v1\",",
    );
    let not_utf8 = file("binary.json", &[0xff, 0xfe, 0x00]);
    let missing = scratch().join("missing.json");
    for args in [
        vec!["verify", s(&garbage)],
        vec!["verify", s(&not_utf8)],
        vec!["verify", s(&missing)],
        vec!["verify"],
        vec![],
        vec!["frobnicate", "x.json"],
        vec!["verify", "a.json", "b.json"],
        vec!["verify", s(&garbage), "--color"],
        vec!["verify", s(&garbage), "--key"],
        vec!["verify", s(&garbage), "--key", "not-a-key"],
    ] {
        let out = vericord(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("vericord: "),
            "{args:?}"
        );
    }
    // Valid JSON that is no package is a failed check, not unreadable input.
    assert_eq!(
        code(&vericord(&["verify", s(&file("x.json", b"[1, 2]"))])),
        1
    );
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "-h"] {
        let out = vericord(&[flag]);
        assert_eq!(code(&out), 0);
        assert!(
            stdout(&out).contains("Usage:") && stdout(&out).contains("Exit status: 0 verified")
        );
    }
    let out = vericord(&["--version"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("vericord "));
}

#[test]
fn stdin_is_read_for_dash() {
    let v = vectors("close-packages.json");
    let pkg = case(&v, "valid", "first-period")["package"].to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vericord"))
        .args(["verify", "-", "--key", &key()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pkg.as_bytes())
        .unwrap();
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(0));
}

fn verification_package(list: &str, name: &str) -> (PathBuf, String) {
    let v = vectors("verification-packages.json");
    let c = case(&v, list, name);
    let key = c["trusted"][0].as_str().unwrap_or_default().to_string();
    let path = file(
        "verification-package.json",
        c["package"].to_string().as_bytes(),
    );
    (path, key)
}

#[test]
fn verify_detects_a_verification_package_by_its_format() {
    let (pkg, key) = verification_package("valid", "direct-tenant");
    let out = vericord(&["verify", s(&pkg), "--key", &key]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("✓ sample.indices"), "{text}");
    assert!(text.contains("✓ records.inclusion"), "{text}");
    assert!(
        text.contains("VERIFIED: all 16 checks of vericord.verification-package/v1"),
        "{text}"
    );
    assert!(
        text.contains("sample:      4 of 10 records (entries 32 to 41), 4 requested: seq "),
        "{text}"
    );
    assert!(
        text.contains("recorded by: Acme Inference (tenant ten_"),
        "{text}"
    );
    assert!(!text.contains("summary:"), "{text}");
    assert!(
        text.contains(&format!("keys:        pinned {key}")),
        "{text}"
    );
    // Without --key: the package's own keys, and the report says so.
    let out = vericord(&["verify", s(&pkg)]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("keys:        the package's own (not pinned: pass --key to pin)"));
    // A period with no records.
    let (empty, _) = verification_package("valid", "empty-period");
    let out = vericord(&["verify", s(&empty), "--key", &key]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("sample:      0 of 0 records, 10 requested: no records"));
}

#[test]
fn a_verification_package_that_fails_exits_1_and_names_the_check() {
    let (pkg, pinned) = verification_package("invalid", "record-swapped");
    let out = vericord(&["verify", s(&pkg), "--key", &pinned]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("✗ sample.indices"), "{text}");
    assert!(
        text.contains("NOT VERIFIED: 1 of 16 checks failed, first sample.indices"),
        "{text}"
    );
    assert!(text.contains("sample:      (not verified)"), "{text}");
    let (chosen, _) = verification_package("invalid", "seed-chosen");
    let out = vericord(&["verify", s(&chosen), "--key", &pinned]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("✗ sample.seed"));
    // Pinned to a key that did not sign it.
    let (good, _) = verification_package("valid", "direct-tenant");
    let out = vericord(&["verify", s(&good), "--key", &key()]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("✗ checkpoint.signature"));
}

#[test]
fn a_verification_package_report_as_json_has_the_sample() {
    let (pkg, key) = verification_package("valid", "middleware");
    let out = vericord(&["verify", "--json", s(&pkg), "--key", &key]);
    assert_eq!(code(&out), 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format"], "vericord.verification-package/v1");
    assert_eq!(report["verified"], true);
    assert_eq!(report["checks"].as_array().unwrap().len(), 16);
    assert_eq!(report["recordedBy"]["type"], "middleware_vendor_account");
    let v = vectors("verification-packages.json");
    assert_eq!(
        report["sample"],
        case(&v, "valid", "middleware")["expected"]["sample"]
    );
    let (bad, _) = verification_package("invalid", "proof-byte-flipped");
    let out = vericord(&["verify", "--json", s(&bad)]);
    assert_eq!(code(&out), 1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The draw itself verified (its checks passed); a record's proof did not.
    assert_eq!(report["verified"], false);
    assert_eq!(report["sample"]["requested"], 4);
    let (chosen, _) = verification_package("invalid", "seed-chosen");
    let out = vericord(&["verify", "--json", s(&chosen)]);
    let chosen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        chosen["sample"],
        Value::Null,
        "a seed not the note's shows no sample"
    );
    let first = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ok"] == false)
        .unwrap();
    assert_eq!(first["name"], "records.inclusion");
}

#[test]
fn verification_packages_from_stdin_and_to_verify_compare() {
    let v = vectors("verification-packages.json");
    let c = case(&v, "valid", "whole-period");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vericord"))
        .args(["verify", "-", "--key", c["trusted"][0].as_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(c["package"].to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("9 of 9 records"));
    // verify-compare names what it was given.
    let (pkg, _) = verification_package("valid", "direct-tenant");
    let out = vericord(&["verify-compare", s(&pkg)]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("hint: this is a verification package: vericord verify <file>"),
        "{text}"
    );
    assert!(!text.contains("hint: this is a compare result"), "{text}");
    // A close package that merely mentions the format is still a close package.
    let close = vectors("close-packages.json");
    let mut doc = case(&close, "valid", "direct-tenant")["package"].clone();
    doc["note"] = Value::from("vericord.verification-package/v1");
    let out = vericord(&[
        "verify",
        s(&file("close-package.json", doc.to_string().as_bytes())),
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("of vericord.close-package/v1") || stdout(&out).contains("✗ format")
    );
    assert!(!stdout(&out).contains("sample:"));
}
