//! Hostile inputs aimed at the inspector's limits rather than its happy path: each test is one
//! reproduction from the hardening issue, with the exact findings and verdict it must give.

use crate::support::*;
use std::fs;

/// The one file of a single-file scan.
fn only_file(report: &serde_json::Value) -> &serde_json::Value {
    &report["targets"][0]["files"][0]
}

fn file_codes(report: &serde_json::Value) -> Vec<String> {
    let mut c = codes(report);
    c.sort();
    c
}

/// `PROTO 4, FRAME 1, BINBYTES n, 'N' * n`: every byte after the frame's end is a possible
/// re-reading start. Re-reading used to restart at each one with a fresh budget (quadratic:
/// 13 s for 100 KB); now the readings share one map and one budget.
#[test]
fn frame_overrun_flood_is_malformed_not_a_hang() {
    let n: u32 = 1_000_000;
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(b.len() + n as usize, b'N');
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("overrun.pkl");
    fs::write(&p, &b).unwrap();
    let (code, r) = scan_json(&p, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        file_codes(&r),
        ["pickle-frame-overrun", "pickle-malformed"],
        "{r:#}"
    );
    assert_eq!(only_file(&r)["verdict"], "malformed");
}

/// `PROTO 4, FRAME 1`, then one `INT` line of a million bytes: each position in the line starts
/// a side reading of one opcode that runs to the newline, so the readings took the square of
/// the line in bytes (100 KB: 2.9 s; 1 MB: no end in 300 s) while their opcodes stayed under
/// the budget. Charged for their bytes too, they spend it, and what was not tried is a limit
/// finding.
#[test]
fn a_long_line_after_a_frame_overrun_is_not_read_once_per_position() {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.resize(b.len() + 1_000_000, b'I');
    b.push(b'\n');
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("line.pkl");
    fs::write(&p, &b).unwrap();
    let (code, r) = scan_json(&p, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        file_codes(&r),
        [
            "pickle-frame-overrun",
            "pickle-limit-exceeded",
            "pickle-malformed"
        ],
        "{r:#}"
    );
    assert_eq!(only_file(&r)["verdict"], "malformed");
}

/// 1,100 harmless unknown imports, then `os.system`: the finding cap used to keep the first
/// findings it met, so the critical import and call were dropped and `--fail-on critical`
/// passed. Findings at or above the gate are never capped; the rest are counted per code.
#[test]
fn a_flood_of_minor_findings_never_hides_a_dangerous_call() {
    let mut b = b"\x80\x02".to_vec();
    for i in 0..1100 {
        b.extend_from_slice(format!("cmylib\nT{i}\n0").as_bytes());
    }
    b.extend_from_slice(b"cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("flood.pkl");
    fs::write(&p, &b).unwrap();
    for gate in ["critical", "high", "medium"] {
        let (code, r) = scan_json(&p, &["--fail-on", gate]);
        assert_eq!(code, 1, "--fail-on {gate}");
        let f = only_file(&r);
        assert_eq!(f["verdict"], "unsafe", "--fail-on {gate}");
        let listed = file_codes(&r);
        assert_eq!(
            listed
                .iter()
                .filter(|c| *c == "pickle-dangerous-global" || *c == "pickle-dangerous-call")
                .count(),
            2,
            "--fail-on {gate}"
        );
        let unknown = listed
            .iter()
            .filter(|c| *c == "pickle-unknown-global")
            .count();
        if gate == "medium" {
            // At the gate: all 1,100 are listed, none capped.
            assert_eq!(unknown, 1100);
            assert!(f.get("capped_findings").is_none(), "{f:#}");
            assert!(!listed.contains(&"findings-capped".to_owned()));
        } else {
            assert_eq!(unknown, 1000, "--fail-on {gate}");
            assert_eq!(f["capped_findings"]["pickle-unknown-global"], 100);
            assert!(listed.contains(&"findings-capped".to_owned()));
        }
        assert_valid(&r);
    }
    // The SARIF and the AIBOM record the counts too.
    let out = run(
        &["scan", "--format", "sarif", p.to_str().unwrap()],
        d.path(),
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let artifact = &sarif["runs"][0]["artifacts"][0]["properties"];
    assert_eq!(
        artifact["cappedFindings"]["pickle-unknown-global"], 100,
        "{artifact:#}"
    );
    let m = d.path().join("m");
    fs::create_dir(&m).unwrap();
    fs::copy(&p, m.join("flood.pkl")).unwrap();
    let out = run(&["generate", "m"], d.path());
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = bom.to_string();
    assert!(
        text.contains(
            r#"{"name":"aibom:file:capped-findings:pickle-unknown-global","value":"100"}"#
        ),
        "{text}"
    );
    assert!(text.contains("pickle-dangerous-call"));
}

/// A protocol 4 list of (int, str, float) tuples, as vocabularies and tabular data pickle:
/// benign, opcode-heavy, and memoizing every string and tuple.
#[test]
fn an_opcode_heavy_benign_pickle_is_clean() {
    let mut b = b"\x80\x04]\x94(".to_vec();
    for i in 0..200_000u32 {
        b.push(b'J');
        b.extend_from_slice(&i.to_le_bytes());
        let s = format!("k{i}");
        b.push(0x8c);
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
        b.push(0x94);
        b.push(b'G');
        b.extend_from_slice(&f64::from(i).to_be_bytes());
        b.extend_from_slice(b"\x87\x94");
        if i % 1000 == 999 {
            b.extend_from_slice(b"e(");
        }
    }
    b.extend_from_slice(b"e.");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("tuples.pkl");
    fs::write(&p, &b).unwrap();
    let (code, r) = scan_json(&p, &["--strict"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(file_codes(&r), Vec::<String>::new());
    assert_eq!(only_file(&r)["verdict"], "clean");
}

/// `--timestamp` with a multi-byte character where the seconds are used to panic (exit 101)
/// slicing inside it.
#[test]
fn a_timestamp_with_a_multibyte_character_is_refused_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    fs::create_dir(&m).unwrap();
    fs::write(m.join("config.json"), b"{}").unwrap();
    for t in [
        "2026-01-31T12:00:0\u{e9}xx",
        "2026-02-30T12:00:00Z",
        "9999-99-99T00:00:00Z",
    ] {
        let out = run(&["generate", "m", "--timestamp", t], d.path());
        assert_eq!(out.status.code(), Some(2), "{t}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not an RFC 3339 date-time"), "{t}: {err}");
    }
    let out = run(
        &["generate", "m", "--timestamp", "2026-01-31T12:00:00Z"],
        d.path(),
    );
    assert_eq!(out.status.code(), Some(0));
}

/// A memo index of 0xFFFFFFFF makes CPython's C unpickler grow its memo array to 64 GiB; a
/// FRAME declaring 2^50 bytes makes it read that much first. Both used to be clean.
#[test]
fn loader_exhaustion_is_malformed_with_its_own_code() {
    let d = tempfile::tempdir().unwrap();
    let memo = d.path().join("memo.pkl");
    fs::write(&memo, b"\x80\x02Nr\xff\xff\xff\xff.").unwrap();
    let mut frame = b"\x80\x04\x95".to_vec();
    frame.extend_from_slice(&(1u64 << 50).to_le_bytes());
    frame.extend_from_slice(b"N.");
    let frame_p = d.path().join("frame.pkl");
    fs::write(&frame_p, &frame).unwrap();
    let mut long = b"\x80\x04\x8e".to_vec();
    long.extend_from_slice(&(1u64 << 40).to_le_bytes());
    long.extend_from_slice(b"xx.");
    let long_p = d.path().join("bytes8.pkl");
    fs::write(&long_p, &long).unwrap();
    for (p, want) in [
        (&memo, vec!["pickle-loader-exhaustion"]),
        (&frame_p, vec!["pickle-loader-exhaustion"]),
        (
            &long_p,
            vec!["pickle-loader-exhaustion", "pickle-malformed"],
        ),
    ] {
        let (code, r) = scan_json(p, &[]);
        assert_eq!(code, 1, "{}", p.display());
        assert_eq!(file_codes(&r), want, "{r:#}");
        assert_eq!(only_file(&r)["verdict"], "malformed");
    }
    // An ordinary memo index and frame are not findings.
    let ok = d.path().join("ok.pkl");
    fs::write(
        &ok,
        b"\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00Nr\x05\x00\x00\x00.",
    )
    .unwrap();
    let (code, r) = scan_json(&ok, &[]);
    assert_eq!((code, file_codes(&r)), (0, vec![]), "{r:#}");
}

/// A tar after a tar's end-of-archive marker: Python's tarfile stops at the marker, `tar
/// --ignore-zeros` (and `cat a.tar b.tar` users) read on. The hidden payload is found.
#[test]
fn a_member_hidden_after_the_tar_end_marker_is_found() {
    let mut b = fs::read(samples().join("benign/nemo/model.nemo")).unwrap();
    b.extend_from_slice(&fs::read(samples().join("malicious/tar_os_system.tar")).unwrap());
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("model.nemo");
    fs::write(&p, &b).unwrap();
    let (code, r) = scan_json(&p, &[]);
    assert_eq!(code, 1);
    let c = file_codes(&r);
    for want in ["pickle-dangerous-call", "tar-trailing-data"] {
        assert!(c.iter().any(|x| x == want), "{want} missing: {r:#}");
    }
    assert_eq!(only_file(&r)["verdict"], "unsafe");
}

/// A `.tar.gz` cut short: what was decompressed is scanned, the break is a finding, not an
/// error of the tool.
#[test]
fn a_truncated_tar_gz_is_malformed_and_what_precedes_the_cut_is_scanned() {
    let b = fs::read(samples().join("benign/sagemaker/model.tar.gz")).unwrap();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("model.tar.gz");
    fs::write(&p, &b[..b.len() / 2]).unwrap();
    let (code, r) = scan_json(&p, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        file_codes(&r).iter().any(|c| c == "archive-malformed"),
        "{r:#}"
    );
    assert_eq!(only_file(&r)["verdict"], "malformed");
    let members = only_file(&r)["facts"]["members"].as_array().unwrap();
    assert!(!members.is_empty(), "{r:#}");
}

/// The inputs the fuzzers found slow (kept in `fuzz/regressions/`, not as seeds: they are
/// slow only under the sanitizer) scan to a report, as a pickle and under their own bytes.
#[test]
fn fuzz_regression_inputs_scan_to_a_report() {
    let d = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for target in fs::read_dir(repo().join("fuzz/regressions")).unwrap() {
        for input in fs::read_dir(target.unwrap().path()).unwrap() {
            let input = input.unwrap().path();
            // The `whole` target's first byte picks a name; the rest is the file.
            let bytes = fs::read(&input).unwrap();
            for (name, data) in [("input.pkl", &bytes[..]), ("input.bin", &bytes[1..])] {
                let p = d.path().join(name);
                fs::write(&p, data).unwrap();
                let (code, r) = scan_json(&p, &[]);
                assert!(matches!(code, 0 | 1), "{input:?} as {name}: exit {code}");
                assert!(only_file(&r)["verdict"].is_string(), "{input:?}: {r:#}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 6, "{seen} inputs");
}

/// A pickle whose analysis stops at a limit (a tuple of more items than the stack holds) meets
/// whatever gate the scan sets: with `--fail-on critical` the limit finding is critical and the
/// scan fails, since what was not read may be the payload; with the default gate it is high.
#[test]
fn an_analysis_stopped_at_a_limit_fails_even_a_critical_gate() {
    let mut b = b"\x80\x02(".to_vec();
    b.resize(b.len() + 1_100_000, b'N');
    b.extend_from_slice(b"t.");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("long.pkl");
    fs::write(&p, &b).unwrap();
    for (gate, severity) in [
        ("critical", "critical"),
        ("high", "high"),
        ("medium", "high"),
    ] {
        let (code, r) = scan_json(&p, &["--fail-on", gate]);
        assert_eq!(code, 1, "--fail-on {gate}: {r:#}");
        assert_eq!(file_codes(&r), ["pickle-limit-exceeded"], "{r:#}");
        let f = only_file(&r);
        assert_eq!(f["verdict"], "unsupported", "--fail-on {gate}");
        assert_eq!(f["findings"][0]["severity"], severity, "--fail-on {gate}");
        assert_valid(&r);
    }
}
