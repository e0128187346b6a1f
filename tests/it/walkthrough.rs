//! The README's release walk-through, run as written: every step passes or is refused with the
//! reason it names.

use crate::support::*;
use std::path::Path;
use std::process::Command;

#[test]
fn the_readme_release_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("<!-- walkthrough:start -->\n```sh\n")
        .expect("the walk-through block");
    let body = &readme[start..];
    let body = &body[body.find("```sh\n").unwrap() + 6..];
    let script = &body[..body.find("```\n<!-- walkthrough:end -->").expect("its end")];
    let tmp = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_aibom")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -eu\n{script}"))
        .current_dir(tmp.path())
        .env("PATH", path)
        .env("SAMPLES", samples())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the walk-through stopped:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
