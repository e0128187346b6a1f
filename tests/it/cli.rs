//! The command line: exit codes, output formats, determinism; a few representative commands
//! pinned as exit code + stdout + stderr in `tests/snapshots/cli/` (regenerate with
//! `AIBOM_BLESS=1 cargo test --test it cli`).

use crate::support::*;
use std::fs;

const MAL: &[u8] = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.";
const BENIGN: &[u8] = b"\x80\x04}\x94\x8c\x01a\x94K\x01s.";

#[test]
fn exits_0_on_clean_1_on_unsafe_2_on_missing_path() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("ok.pkl"), BENIGN).unwrap();
    let out = run(&["scan", "ok.pkl"], d.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    fs::write(d.path().join("bad.pkl"), MAL).unwrap();
    let out = run(&["scan", "."], d.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pickle-dangerous-call"), "{stdout}");
    assert!(stdout.contains("os.system"), "{stdout}");

    let out = run(&["scan", "does-not-exist"], d.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
}

#[test]
fn empty_directory_is_an_error_not_a_pass() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("empty")).unwrap();
    let out = run(&["scan", "empty"], d.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to scan"));
}

#[test]
fn bad_arguments_exit_2() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(run(&["scan"], d.path()).status.code(), Some(2));
    assert_eq!(
        run(&["scan", "--fail-on", "severe", "."], d.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"], d.path()).status.code(), Some(2));
}

#[test]
fn a_config_that_cannot_be_read_is_named_once_with_its_error() {
    let d = tempfile::tempdir().unwrap();
    let out = run(&["scan", ".", "--config", "missing.toml"], d.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reading missing.toml: "), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn fail_on_moves_the_threshold() {
    let d = tempfile::tempdir().unwrap();
    // An import that is on neither list: medium by default.
    fs::write(
        d.path().join("unknown.pkl"),
        b"\x80\x04\x8c\x05mylib\x8c\x05Thing\x93)\x81.",
    )
    .unwrap();
    assert_eq!(
        run(&["scan", "unknown.pkl"], d.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "--fail-on", "medium", "unknown.pkl"], d.path())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["scan", "--strict", "unknown.pkl"], d.path())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(
            &[
                "scan",
                "--strict",
                "--allow-global",
                "mylib.Thing",
                "unknown.pkl"
            ],
            d.path()
        )
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn config_file_sets_policy_and_rejects_unknown_keys() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("unknown.pkl"),
        b"\x80\x04\x8c\x05mylib\x8c\x05Thing\x93)\x81.",
    )
    .unwrap();
    fs::write(d.path().join("aibom.toml"), "[scan]\nstrict = true\n").unwrap();
    assert_eq!(
        run(&["scan", "unknown.pkl"], d.path()).status.code(),
        Some(1)
    );
    fs::write(
        d.path().join("aibom.toml"),
        "[scan]\nstrict = true\n[pickle]\nallow-globals = [\"mylib.Thing\"]\n",
    )
    .unwrap();
    assert_eq!(
        run(&["scan", "unknown.pkl"], d.path()).status.code(),
        Some(0)
    );
    fs::write(d.path().join("aibom.toml"), "[scan]\nstrictness = 1\n").unwrap();
    let out = run(&["scan", "unknown.pkl"], d.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aibom.toml"));
}

#[test]
fn json_output_validates_and_is_byte_identical_across_runs() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("bad.pkl"), MAL).unwrap();
    fs::write(d.path().join("ok.pkl"), BENIGN).unwrap();
    fs::write(d.path().join("notes.txt"), b"hello\n").unwrap();
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_valid(&v);
    let file = &v["targets"][0]["files"][0];
    assert_eq!(file["path"], "bad.pkl");
    assert_eq!(file["verdict"], "unsafe");
    assert_eq!(file["format"], "pickle");
    assert_eq!(file["sha256"], hex_sha256(MAL));
    let first = bin()
        .args(["scan", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    let second = bin()
        .args(["scan", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(first.stdout, second.stdout);
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[test]
fn writes_the_report_atomically_to_a_file() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("ok.pkl"), BENIGN).unwrap();
    let out = run(
        &["scan", "ok.pkl", "--format", "json", "-o", "report.json"],
        d.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(d.path().join("report.json")).unwrap()).unwrap();
    assert_valid(&v);
    let leftovers: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn exceptions_accept_findings_with_a_reason_until_they_expire_or_the_bytes_change() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("bad.pkl"), MAL).unwrap();
    let sha = hex_sha256(MAL);
    let cfg = |expires: &str, pin: &str| {
        format!(
            "[[exception]]\ncode = \"pickle-dangerous-global\"\npath = \"bad.pkl\"\nreason = \"sandboxed, SEC-1\"\nowner = \"security team\"\n{expires}{pin}\n\
             [[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"bad.pkl\"\nreason = \"sandboxed, SEC-1\"\n{expires}{pin}\n\
             [[exception]]\ncode = \"zip-bomb\"\npath = \"gone.zip\"\nreason = \"old\"\n"
        )
    };
    fs::write(
        d.path().join("aibom.toml"),
        cfg(
            "expires = \"2099-01-01\"\n",
            &format!("sha256 = \"{sha}\"\n"),
        ),
    )
    .unwrap();
    let out = run(&["scan", "--format", "json", "bad.pkl"], d.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&v);
    assert_eq!(v["targets"][0]["files"][0]["verdict"], "clean");
    assert_eq!(
        v["targets"][0]["files"][0]["excepted"][0]["reason"],
        "sandboxed, SEC-1"
    );
    let statuses: Vec<&str> = v["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["applied", "applied", "unused"]);
    // The AIBOM records the accepted findings with the reason.
    let out = run(&["generate", ".", "--no-progress"], d.path());
    assert_eq!(out.status.code(), Some(0));
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &bom["vulnerabilities"][0]["analysis"];
    assert!(
        a["detail"].as_str().unwrap().contains("sandboxed, SEC-1"),
        "{bom}"
    );
    // Expired: the findings are back and the report says so.
    fs::write(
        d.path().join("aibom.toml"),
        cfg("expires = \"2001-01-01\"\n", ""),
    )
    .unwrap();
    let out = run(&["scan", "--format", "json", "bad.pkl"], d.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exceptions"][0]["status"], "expired");
    // Pinned to other bytes: the findings are back.
    fs::write(
        d.path().join("aibom.toml"),
        cfg("", &format!("sha256 = \"{}\"\n", "0".repeat(64))),
    )
    .unwrap();
    assert_eq!(run(&["scan", "bad.pkl"], d.path()).status.code(), Some(1));
    // No reason: a configuration error.
    fs::write(
        d.path().join("aibom.toml"),
        "[[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"bad.pkl\"\nreason = \"\"\n",
    )
    .unwrap();
    assert_eq!(run(&["scan", "bad.pkl"], d.path()).status.code(), Some(2));
}

#[test]
fn init_writes_a_default_configuration_once() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(run(&["init"], d.path()).status.code(), Some(0));
    let text = fs::read_to_string(d.path().join("aibom.toml")).unwrap();
    assert!(text.contains("fail-on = \"high\""));
    assert_eq!(run(&["init"], d.path()).status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(d.path().join("aibom.toml")).unwrap(),
        text
    );
    fs::write(d.path().join("ok.pkl"), BENIGN).unwrap();
    assert_eq!(run(&["scan", "ok.pkl"], d.path()).status.code(), Some(0));
}

#[test]
fn the_command_line_definition_is_consistent() {
    use clap::CommandFactory;
    aibom::cli::Cli::command().debug_assert();
}

#[test]
fn representative_commands_are_pinned_with_exit_code_stdout_and_stderr() {
    let old = "tests/snapshots/lora_adapter.cdx.json";
    let new = "tests/snapshots/hf_model.cdx.json";
    let cases: [(&str, &[&str]); 7] = [
        ("help", &["--help"]),
        ("scan_benign", &["scan", "samples/benign/hf_model"]),
        (
            "scan_malicious",
            &["scan", "samples/malicious/build_on_function.pkl"],
        ),
        ("scan_missing_path", &["scan", "does-not-exist"]),
        (
            "verify_another_key",
            &[
                "verify",
                "tests/vectors/oms-key-ordering/tiny-model",
                "--signature",
                "tests/vectors/oms-key-ordering/model.sig",
                "--public-key",
                "tests/vectors/oms-v1.1.0/keys/signing-key-pub.pem",
            ],
        ),
        ("diff", &["diff", old, new]),
        (
            "diff_gate",
            &["diff", old, new, "--fail-on", "file-changed"],
        ),
    ];
    for (name, args) in cases {
        snapshot_cli(name, args);
    }
}

#[test]
fn man_out_writes_one_roff_page_per_subcommand_that_groff_accepts() {
    let d = tempfile::tempdir().unwrap();
    let out = run(&["man", "--out", "pages"], d.path());
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(run(&["--help"], d.path()).stdout).unwrap();
    let mut names: Vec<String> = fs::read_dir(d.path().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"aibom.1".to_owned()));
    // Every subcommand --help lists (but `help`) has its page.
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    for line in commands.lines() {
        let name = line.split_whitespace().next().unwrap();
        if name != "help" {
            assert!(
                names.contains(&format!("aibom-{name}.1")),
                "{name}: {names:?}"
            );
        }
    }
    let stdout = run(&["man"], d.path()).stdout;
    assert_eq!(stdout, fs::read(d.path().join("pages/aibom.1")).unwrap());
    // groff, when installed, reads every page without a warning.
    for name in &names {
        if let Ok(o) = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(d.path().join("pages").join(name))
            .output()
        {
            assert!(o.status.success() && o.stderr.is_empty(), "{name}: {o:?}");
        }
    }
}

#[test]
fn completions_print_a_script_per_shell_and_refuse_an_unknown_shell() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell], d.path());
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("aibom") && text.contains("verify"), "{shell}");
    }
    assert_eq!(
        run(&["completions", "tcsh"], d.path()).status.code(),
        Some(2)
    );
}
