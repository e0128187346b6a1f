//! Conventions shared by every subcommand: the README's flag table matches the command line,
//! `--quiet` leaves only errors and machine output, `--format json` where results are printed,
//! no ANSI escapes unless asked for.

use crate::support::*;
use aibom::cli::Cli;
use clap::CommandFactory;
use std::fs;

const MAL: &[u8] = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.";

/// One README row per subcommand (nested ones by their full name), from clap: the arguments
/// and flags (long name, short name, aliases that are shown), global flags left out.
fn flag_rows() -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, rows: &mut Vec<String>) {
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = format!("{prefix} {}", sub.get_name());
            if sub.has_subcommands() {
                walk(sub, &name, rows);
                continue;
            }
            let mut args = Vec::new();
            let mut flags = Vec::new();
            for a in sub.get_arguments() {
                if a.is_global_set() || a.is_hide_set() {
                    continue;
                }
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                match a.get_long() {
                    Some(long) => flags.push(match a.get_short() {
                        Some(s) => format!("`-{s}` `--{long}`"),
                        None => format!("`--{long}`"),
                    }),
                    None => {
                        let v = a
                            .get_value_names()
                            .and_then(|v| v.first().map(|s| s.to_string()))
                            .unwrap_or_else(|| id.to_uppercase());
                        args.push(format!("`{v}`"));
                    }
                }
            }
            rows.push(format!(
                "| `{}` | {} | {} |",
                name.trim(),
                if args.is_empty() {
                    "-".into()
                } else {
                    args.join(" ")
                },
                if flags.is_empty() {
                    "-".into()
                } else {
                    flags.join(", ")
                }
            ));
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut rows = Vec::new();
    walk(&cmd, "aibom", &mut rows);
    rows
}

#[test]
fn readme_flag_table_lists_every_subcommand_and_flag() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let rows = flag_rows();
    let missing: Vec<&String> = rows
        .iter()
        .filter(|r| !readme.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "README lacks these rows; the table is:\n{}",
        rows.join("\n")
    );
}

#[test]
fn quiet_prints_only_errors_and_machine_output_with_the_same_exit_code() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("bad.pkl"), MAL).unwrap();
    let loud = run(&["scan", "bad.pkl"], d.path());
    let quiet = run(&["scan", "--quiet", "bad.pkl"], d.path());
    assert!(!loud.stdout.is_empty());
    assert_eq!(quiet.status.code(), Some(1));
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );

    // Machine output stays, and -q may come before the subcommand.
    let json = run(&["-q", "scan", "--format", "json", "bad.pkl"], d.path());
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["targets"].is_array());

    // Errors stay.
    let err = run(&["scan", "-q", "missing"], d.path());
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("missing"));

    // Notes on stderr go.
    let keys = run(
        &[
            "keygen",
            "-q",
            "--private-key",
            "k.pem",
            "--public-key",
            "k.pub",
        ],
        d.path(),
    );
    assert_eq!(keys.status.code(), Some(0));
    assert!(keys.stdout.is_empty() && keys.stderr.is_empty(), "{keys:?}");
    let signed = run(
        &[
            "sign",
            "-q",
            ".",
            "--private-key",
            "k.pem",
            "--signature",
            "../m.sig",
        ],
        d.path(),
    );
    assert_eq!(signed.status.code(), Some(0), "{signed:?}");
    assert!(
        signed.stdout.is_empty() && signed.stderr.is_empty(),
        "{signed:?}"
    );
}

#[test]
fn quiet_is_accepted_by_every_subcommand() {
    let mut cmd = Cli::command();
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        assert!(
            sub.get_arguments()
                .any(|a| a.get_long() == Some("quiet") && a.get_short() == Some('q')),
            "{} lacks -q/--quiet",
            sub.get_name()
        );
    }
}

#[test]
fn sign_keygen_and_ledger_verify_print_json_results() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("m")).unwrap();
    fs::write(d.path().join("m/a.bin"), b"weights").unwrap();
    let out = run(
        &[
            "keygen",
            "-f",
            "json",
            "--private-key",
            "k.pem",
            "--public-key",
            "k.pub",
        ],
        d.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["public_key"], "k.pub");
    assert_eq!(v["curve"], "p256");
    let out = run(
        &[
            "sign",
            "m",
            "--format",
            "json",
            "--private-key",
            "k.pem",
            "--signature",
            "m.sig",
        ],
        d.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"], 1);
    assert_eq!(v["signature"], "m.sig");
    assert!(v["bom_signature"].is_null());
    assert!(out.stderr.is_empty());

    fs::write(d.path().join("empty.jsonl"), b"").unwrap();
    let out = run(&["ledger", "verify", "-f", "json", "empty.jsonl"], d.path());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["entries"], 0);
    fs::write(d.path().join("bad.jsonl"), b"{\"not\": \"an entry\"}\n").unwrap();
    let out = run(&["ledger", "verify", "-f", "json", "bad.jsonl"], d.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["broken_line"], 1);
}

#[test]
fn renamed_flags_keep_their_old_spelling() {
    let d = tempfile::tempdir().unwrap();
    run(
        &["keygen", "--private-key", "k.pem", "--public-key", "k.pub"],
        d.path(),
    );
    let digest = "ab".repeat(32);
    for (key, out, file) in [
        ("--private-key", "-o", "new.json"),
        ("--key", "--out", "old.json"),
    ] {
        let r = run(
            &[
                "revoke",
                "--model-digest",
                &digest,
                "--reason",
                "r",
                key,
                "k.pem",
                out,
                file,
            ],
            d.path(),
        );
        assert_eq!(r.status.code(), Some(0), "{r:?}");
        assert!(d.path().join(file).is_file());
    }
    for format in ["human", "text"] {
        fs::write(d.path().join("l.jsonl"), b"").unwrap();
        let r = run(&["ledger", "show", "l.jsonl", "--format", format], d.path());
        assert_eq!(r.status.code(), Some(0), "{r:?}");
    }
    let r = run(&["man", "--out", "pages"], d.path());
    assert_eq!(r.status.code(), Some(0));
    assert!(d.path().join("pages/aibom.1").is_file());
}

#[test]
fn nothing_prints_ansi_escapes_without_a_terminal_or_with_no_color() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("m")).unwrap();
    fs::write(d.path().join("m/bad.pkl"), MAL).unwrap();
    let generated = run(&["generate", "m", "-o", "m.cdx.json"], d.path());
    assert_eq!(generated.status.code(), Some(1));
    let commands: &[&[&str]] = &[
        &["scan", "m"],
        &["validate", "m.cdx.json"],
        &["diff", "m.cdx.json", "m.cdx.json"],
        &["report", "m.cdx.json", "--format", "markdown"],
        &["keygen", "--private-key", "k.pem", "--public-key", "k.pub"],
        &[
            "sign",
            "m",
            "--private-key",
            "k.pem",
            "--signature",
            "m.sig",
        ],
        &[
            "verify",
            "m",
            "--signature",
            "m.sig",
            "--public-key",
            "k.pub",
        ],
        &["--help"],
        &["scan", "--help"],
        &["scan", "missing"],
    ];
    for args in commands {
        // support::bin sets NO_COLOR=1; the output is a pipe, not a terminal.
        let out = run(args, d.path());
        assert!(
            !out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b),
            "{args:?}: {out:?}"
        );
    }
    // Asked for explicitly, colour wins over NO_COLOR (https://no-color.org).
    let out = run(&["scan", "m", "--color", "always"], d.path());
    assert!(out.stdout.contains(&0x1b));
}
