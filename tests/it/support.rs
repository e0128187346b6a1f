//! Shared helpers: run the binary, locate samples, write small fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aibom"));
    c.env_remove("CI").env("NO_COLOR", "1");
    c
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    repo().join("samples")
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run aibom")
}

pub fn scan_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = bin()
        .args(&args)
        .arg(path)
        .current_dir(repo())
        .output()
        .expect("run aibom");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{} is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// All finding codes of a JSON report (files and trees).
pub fn codes(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for t in report["targets"].as_array().into_iter().flatten() {
        for f in t["findings"].as_array().into_iter().flatten() {
            out.push(f["code"].as_str().unwrap_or_default().to_owned());
        }
        for file in t["files"].as_array().into_iter().flatten() {
            for f in file["findings"].as_array().into_iter().flatten() {
                out.push(f["code"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

pub fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schemas/scan-report.schema.json"))
        .expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

pub fn assert_valid(report: &serde_json::Value) {
    let v = schema_validator();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}"
    );
}

/// Pins `bytes` as `tests/snapshots/<rel>`: the test fails when they differ, and
/// `AIBOM_BLESS=1` rewrites the snapshot instead.
pub fn snapshot(rel: &str, bytes: &[u8]) {
    let path = repo().join("tests/snapshots").join(rel);
    if std::env::var_os("AIBOM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_default();
    assert!(
        want == bytes,
        "{rel} differs from {} (AIBOM_BLESS=1 to accept):\n{}",
        path.display(),
        String::from_utf8_lossy(bytes)
    );
}

/// Runs `aibom <args>` from the repository root and pins its exit code, stdout and stderr
/// together as `tests/snapshots/cli/<name>.txt`, the repository's path written as `[REPO]`.
pub fn snapshot_cli(name: &str, args: &[&str]) {
    let out = bin()
        .args(args)
        .current_dir(repo())
        .env_remove("COLUMNS")
        .output()
        .expect("run aibom");
    let exit = out
        .status
        .code()
        .map_or_else(|| "none (killed by a signal)".to_owned(), |c| c.to_string());
    let text = format!(
        "$ aibom {}\nexit: {exit}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
    .replace(&repo().display().to_string(), "[REPO]");
    snapshot(&format!("cli/{name}.txt"), text.as_bytes());
}

/// `aibom keygen` into `dir`: `<name>.pem` (private) and `<name>.pub`.
pub fn keygen(dir: &Path, name: &str) {
    let out = bin()
        .arg("keygen")
        .arg("--private-key")
        .arg(dir.join(format!("{name}.pem")))
        .arg("--public-key")
        .arg(dir.join(format!("{name}.pub")))
        .output()
        .expect("run aibom");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `aibom generate DIR EXTRA...` run in `cwd`, without `SOURCE_DATE_EPOCH`: the exit code and
/// stdout. Exit 2 (the command could not run) fails the test.
pub fn generate_in(cwd: &Path, dir: impl AsRef<std::ffi::OsStr>, extra: &[&str]) -> (i32, Vec<u8>) {
    let out = bin()
        .current_dir(cwd)
        .arg("generate")
        .arg(dir)
        .args(extra)
        .arg("--no-progress")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        out.status.code() != Some(2),
        "generate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), out.stdout)
}

/// Runs aibom (in `cwd`, when given) without `SOURCE_DATE_EPOCH`: (exit code, stdout, stderr).
pub fn aibom_in(args: &[&str], cwd: Option<&Path>) -> (i32, String, String) {
    let mut c = bin();
    c.args(args).env_remove("SOURCE_DATE_EPOCH");
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}
