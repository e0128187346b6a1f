//! Fleet scans: `scan --shard K/N` (as a Kubernetes Indexed Job runs it, K from
//! JOB_COMPLETION_INDEX) and `merge`, which must give exactly the report of one run.

use crate::support::*;
use std::fs;
use std::path::Path;

/// Runs the N shards over `samples` as separate processes, as the Indexed Job does.
fn shards(n: u32, out: &Path) -> Vec<String> {
    (0..n)
        .map(|k| {
            let file = out.join(format!("shard-{k}.json"));
            let o = bin()
                .env("JOB_COMPLETION_INDEX", k.to_string())
                .args([
                    "scan",
                    "--format",
                    "json",
                    "--shard-from-env",
                    &n.to_string(),
                ])
                .arg("samples")
                .arg("-o")
                .arg(&file)
                .current_dir(repo())
                .output()
                .unwrap();
            assert!(o.status.code().unwrap() < 2, "{o:?}");
            file.to_string_lossy().into_owned()
        })
        .collect()
}

fn aibom_in_repo(args: &[&str]) -> std::process::Output {
    run(args, &repo())
}

#[test]
fn three_shards_merged_are_byte_identical_to_one_run_over_samples() {
    let d = tempfile::tempdir().unwrap();
    let files = shards(3, d.path());
    let mut units = 0;
    for f in &files {
        let v: serde_json::Value = serde_json::from_slice(&fs::read(f).unwrap()).unwrap();
        assert_valid(&v);
        assert_eq!(v["shard"]["count"], 3);
        assert_eq!(v["shard"]["roots"], serde_json::json!(["samples"]));
        units += v["shard"]["units"].as_array().unwrap().len();
        assert_eq!(v["shard"]["units_total"], units_total(&v));
    }
    let whole = aibom_in_repo(&["scan", "--format", "json", "samples"]);
    // Given in any order.
    let mut args = vec!["merge"];
    args.extend(files.iter().rev().map(String::as_str));
    let merged = aibom_in_repo(&args);
    assert_eq!(merged.status.code(), whole.status.code());
    assert!(
        merged.stdout == whole.stdout,
        "merged JSON differs from one run"
    );
    let v: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(units as u64, units_total_of(&files[0]));
    assert!(v.get("shard").is_none());

    let whole = aibom_in_repo(&["scan", "--format", "sarif", "samples"]);
    let mut args = vec!["merge", "--format", "sarif"];
    args.extend(files.iter().map(String::as_str));
    let merged = aibom_in_repo(&args);
    assert!(
        merged.stdout == whole.stdout,
        "merged SARIF differs from one run"
    );
}

fn units_total(v: &serde_json::Value) -> serde_json::Value {
    v["shard"]["units_total"].clone()
}

fn units_total_of(file: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    v["shard"]["units_total"].as_u64().unwrap()
}

#[test]
fn a_shard_is_the_same_from_the_flag_or_the_environment() {
    let a = aibom_in_repo(&["scan", "-f", "json", "--shard", "1/3", "samples"]);
    let b = bin()
        .env("JOB_COMPLETION_INDEX", "1")
        .args(["scan", "-f", "json", "--shard-from-env", "3", "samples"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(a.stdout == b.stdout);
    let o = bin()
        .env_remove("JOB_COMPLETION_INDEX")
        .args(["scan", "--shard-from-env", "3", "samples"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("JOB_COMPLETION_INDEX"));
    assert_eq!(
        aibom_in_repo(&["scan", "--shard", "3/3", "samples"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn merge_refuses_missing_duplicate_foreign_and_mismatched_shards() {
    let d = tempfile::tempdir().unwrap();
    let files = shards(3, d.path());
    let p = |name: &str| d.path().join(name).to_string_lossy().into_owned();
    let refused = |args: &[&str], says: &str| {
        let o = aibom_in_repo(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    };
    refused(&["merge", &files[0], &files[2]], "shard 1 of 3 missing");
    refused(
        &["merge", &files[0], &files[1], &files[2], &files[1]],
        "shard 1 given twice",
    );

    // Another N.
    let two = shards(2, &d.path().join("two").tap_mkdir());
    refused(&["merge", &files[0], &files[1], &two[1]], "the shard count");
    // Another root list.
    let o = aibom_in_repo(&["scan", "-f", "json", "--shard", "2/3", "samples/benign"]);
    fs::write(p("other-roots.json"), &o.stdout).unwrap();
    refused(
        &["merge", &files[0], &files[1], &p("other-roots.json")],
        "the root list",
    );
    // Another policy.
    let o = aibom_in_repo(&[
        "scan", "-f", "json", "--strict", "--shard", "2/3", "samples",
    ]);
    fs::write(p("strict.json"), &o.stdout).unwrap();
    refused(
        &["merge", &files[0], &files[1], &p("strict.json")],
        "strict",
    );
    // A whole run is not a shard.
    let o = aibom_in_repo(&["scan", "-f", "json", "samples"]);
    fs::write(p("whole.json"), &o.stdout).unwrap();
    refused(
        &["merge", &files[0], &p("whole.json")],
        "not a shard report",
    );
    // Another aibom version.
    let text = fs::read_to_string(&files[2]).unwrap().replacen(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"0.0.1\"",
        1,
    );
    fs::write(p("old.json"), text).unwrap();
    refused(
        &["merge", &files[0], &files[1], &p("old.json")],
        "tool version",
    );
    // A shard claiming another's models (an edited report).
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&files[2]).unwrap()).unwrap();
    let theirs: serde_json::Value = serde_json::from_slice(&fs::read(&files[0]).unwrap()).unwrap();
    v["shard"]["units"]
        .as_array_mut()
        .unwrap()
        .push(theirs["shard"]["units"][0].clone());
    fs::write(p("greedy.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    refused(
        &["merge", &files[0], &files[1], &p("greedy.json")],
        "overlapping",
    );
}

trait Mkdir {
    fn tap_mkdir(self) -> Self;
}

impl Mkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn the_indexed_job_manifest_maps_the_completion_index_to_the_shard() {
    let job = fs::read_to_string(repo().join("deploy/fleet-scan-job.yaml")).unwrap();
    assert!(job.contains("completionMode: Indexed"));
    let merge = fs::read_to_string(repo().join("deploy/fleet-merge-job.yaml")).unwrap();
    assert!(merge.contains("args: [merge, "), "{merge}");
    // The same N in both places: completions and --shard-from-env.
    let n = job
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap();
    assert!(job.contains(&format!("- --shard-from-env={n}\n")), "{job}");
    // Each pod its own report, named after its index; findings do not fail a shard.
    assert!(job.contains("- --output=/reports/shard-$(JOB_COMPLETION_INDEX).json\n"));
    assert!(job.contains("- --exit-zero\n"));
    // The image has no shell: every container runs its ENTRYPOINT (aibom) with args.
    for (name, text) in [("scan", &job), ("merge", &merge)] {
        assert!(!text.contains("command:"), "{name}: {text}");
        assert!(!text.contains("/bin/sh"), "{name}: {text}");
    }
}

#[test]
fn merged_exceptions_sum_their_matches_across_shards() {
    const MAL: &[u8] = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.";
    let d = tempfile::tempdir().unwrap();
    let fleet = d.path().join("fleet");
    // Of 2 shards, "a" (and "", b, c) land in shard 0, "d" in shard 1 (see shard::shard_of):
    // each shard applies one of the two exceptions.
    for m in ["a", "b", "c", "d"] {
        fs::create_dir_all(fleet.join(m)).unwrap();
        fs::write(fleet.join(m).join("model.pkl"), MAL).unwrap();
    }
    fs::write(fleet.join("loose.pkl"), MAL).unwrap();
    fs::write(
        d.path().join("policy.toml"),
        "[[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"a/model.pkl\"\nreason = \"sandboxed\"\n\n\
         [[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"d/model.pkl\"\nreason = \"sandboxed\"\n\n\
         [[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"gone/model.pkl\"\nreason = \"old\"\n",
    )
    .unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "-f", "json", "--config", "policy.toml", "fleet"];
        args.extend_from_slice(extra);
        run(&args, d.path())
    };
    let whole = scan(&[]);
    let mut files = Vec::new();
    for k in 0..2 {
        let o = scan(&["--shard", &format!("{k}/2")]);
        let f = d.path().join(format!("s{k}.json"));
        fs::write(&f, &o.stdout).unwrap();
        files.push(f.to_string_lossy().into_owned());
    }
    let merged = run(&["merge", &files[0], &files[1]], d.path());
    assert_eq!(merged.status.code(), whole.status.code());
    assert!(
        merged.stdout == whole.stdout,
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    let statuses: Vec<&str> = v["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "applied", "unused"]);
}

#[test]
fn exit_zero_passes_findings_with_the_same_report() {
    let payload = "samples/malicious/hf_dir_with_payload";
    for format in ["json", "sarif"] {
        let failing = aibom_in_repo(&["scan", "-f", format, payload]);
        let passing = aibom_in_repo(&["scan", "-f", format, "--exit-zero", payload]);
        assert_eq!(failing.status.code(), Some(1), "{format}");
        assert_eq!(passing.status.code(), Some(0), "{format}");
        assert!(
            passing.stdout == failing.stdout,
            "{format}: --exit-zero changed the report"
        );
    }
    // A shard, written with -o as the Indexed Job writes it.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("shard.json");
    let o = bin()
        .env("JOB_COMPLETION_INDEX", "0")
        .args([
            "scan",
            "-q",
            "-f",
            "json",
            "--exit-zero",
            "--shard-from-env",
            "1",
        ])
        .arg(payload)
        .arg("-o")
        .arg(&out)
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["verdict"], "unsafe");
    assert_eq!(v["fail_on"], "high");
}

#[test]
fn exit_zero_still_exits_2_when_the_scan_could_not_run_or_read_a_file() {
    let o = aibom_in_repo(&["scan", "--exit-zero", "samples/no-such-model"]);
    assert_eq!(o.status.code(), Some(2));

    // Findings and a file that cannot be read: 2 wins, --exit-zero or not.
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    fs::create_dir(&m).unwrap();
    for f in fs::read_dir(samples().join("malicious/hf_dir_with_payload")).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, m.join(f.file_name().unwrap())).unwrap();
    }
    let locked = m.join("locked.bin");
    fs::write(&locked, b"weights").unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // As root, mode 000 stops a read only without the capabilities that override it.
    let as_root = fs::metadata(&locked).unwrap().uid() == 0;
    let scan = |extra: &[&str]| {
        let mut c = if as_root {
            let mut c = std::process::Command::new("setpriv");
            c.arg("--bounding-set=-dac_override,-dac_read_search")
                .arg(env!("CARGO_BIN_EXE_aibom"))
                .env_remove("CI");
            c
        } else {
            bin()
        };
        c.args(["scan", "-f", "json"])
            .args(extra)
            .arg(&m)
            .output()
            .expect("run aibom (through setpriv as root)")
    };
    for extra in [&[][..], &["--exit-zero"][..]] {
        let o = scan(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["summary"]["unreadable"], 1, "{extra:?}");
        assert_eq!(v["summary"]["verdict"], "unsafe", "{extra:?}");
    }
}

#[test]
fn merge_of_a_directory_is_the_merge_of_its_json_files() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("reports").tap_mkdir();
    let files = shards(3, &dir);
    // Left out: other files, subdirectories (a report of another N in one would be refused),
    // a directory named like a report.
    fs::write(dir.join("notes.txt"), "not a report").unwrap();
    fs::write(dir.join(".shard-0.json.1.tmp"), "half-written").unwrap();
    shards(2, &dir.join("older").tap_mkdir());
    dir.join("nested.json").tap_mkdir();
    let dir_arg = dir.to_string_lossy().into_owned();
    for format in ["json", "sarif"] {
        let mut args = vec!["merge", "-f", format];
        args.extend(files.iter().map(String::as_str));
        let by_files = aibom_in_repo(&args);
        let by_dir = aibom_in_repo(&["merge", "-f", format, &dir_arg]);
        assert_eq!(
            by_dir.status.code(),
            by_files.status.code(),
            "{}",
            String::from_utf8_lossy(&by_dir.stderr)
        );
        assert!(!by_files.stdout.is_empty());
        assert!(
            by_dir.stdout == by_files.stdout,
            "{format}: merging the directory differs from merging its files"
        );
    }
    let whole = aibom_in_repo(&["scan", "-f", "json", "samples"]);
    assert!(aibom_in_repo(&["merge", &dir_arg]).stdout == whole.stdout);

    // Files and directories together; a link in a directory is followed.
    let rest = d.path().join("rest").tap_mkdir();
    fs::rename(&files[1], rest.join("shard-1.json")).unwrap();
    std::os::unix::fs::symlink(&files[2], rest.join("shard-2.json")).unwrap();
    fs::rename(&files[0], d.path().join("zero.json")).unwrap();
    let o = aibom_in_repo(&[
        "merge",
        &d.path().join("zero.json").to_string_lossy(),
        &rest.to_string_lossy(),
    ]);
    assert!(
        o.stdout == whole.stdout,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs the shards `ks` of `n` into `out` (as [`shards`] does for every K).
fn shards_at(ks: &[u32], n: u32, out: &Path) {
    for &k in ks {
        let o = bin()
            .args(["scan", "-q", "-f", "json", "--exit-zero"])
            .arg(format!("--shard={k}/{n}"))
            .arg("samples")
            .arg("-o")
            .arg(out.join(format!("shard-{k}.json")))
            .current_dir(repo())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{o:?}");
    }
}

#[test]
fn merge_of_a_directory_refuses_what_merge_of_files_refuses() {
    let d = tempfile::tempdir().unwrap();
    let refused = |args: &[&str], says: &str| {
        let o = aibom_in_repo(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    };
    let s = |p: &Path| p.to_string_lossy().into_owned();

    // No reports: an empty directory, or one with only other files.
    let empty = d.path().join("empty").tap_mkdir();
    refused(
        &["merge", &s(&empty)],
        &format!("{}: no shard reports", s(&empty)),
    );
    fs::write(empty.join("fleet.sarif"), "{}").unwrap();
    empty.join("sub.json").tap_mkdir();
    refused(
        &["merge", &s(&empty)],
        &format!("{}: no shard reports", s(&empty)),
    );

    // A missing shard.
    let two_of_three = d.path().join("partial").tap_mkdir();
    shards_at(&[0, 2], 3, &two_of_three);
    refused(&["merge", &s(&two_of_three)], "shard 1 of 3 missing");
    // A shard of another run, and the same shard named twice.
    let full = d.path().join("full").tap_mkdir();
    shards_at(&[0, 1, 2], 3, &full);
    let other = d.path().join("other").tap_mkdir();
    shards(2, &other);
    fs::copy(
        other.join("shard-1.json"),
        two_of_three.join("shard-1.json"),
    )
    .unwrap();
    refused(&["merge", &s(&two_of_three)], "the shard count");
    refused(
        &["merge", &s(&full), &s(&full.join("shard-1.json"))],
        "shard 1 given twice",
    );
    // A report name that is not a regular file (here a dangling link) is named.
    let dangling = full.join("shard-3.json");
    std::os::unix::fs::symlink(d.path().join("gone.json"), &dangling).unwrap();
    refused(&["merge", &s(&full)], &s(&dangling));
}

/// A pickle that calls `os.system` (unsafe) and one that imports a global of no list.
const CALLS_SYSTEM: &[u8] = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.";
const IMPORTS_MYMOD: &[u8] = b"\x80\x04\x8c\x05mymod\x8c\x05Thing\x93.";

/// `fleet/` under `dir`: models a, b, c, d, each `model.pkl` (unsafe) and `extra.pkl` (an
/// unknown global), and a loose file. Of 2 shards, "", a, b, c land in shard 0, d in shard 1.
fn small_fleet(dir: &Path) {
    let fleet = dir.join("fleet");
    for m in ["a", "b", "c", "d"] {
        fs::create_dir_all(fleet.join(m)).unwrap();
        fs::write(fleet.join(m).join("model.pkl"), CALLS_SYSTEM).unwrap();
        fs::write(fleet.join(m).join("extra.pkl"), IMPORTS_MYMOD).unwrap();
    }
    fs::write(fleet.join("loose.pkl"), IMPORTS_MYMOD).unwrap();
    fs::write(
        dir.join("allow.toml"),
        "[pickle]\nallow-globals = [\"mymod.Thing\"]\n",
    )
    .unwrap();
    fs::write(dir.join("skip.toml"), "[scan]\nskip = [\"d/extra.pkl\"]\n").unwrap();
}

/// Shard `k` of 2 of `small_fleet`, scanned with `extra`, written to `dir/<name>`.
fn small_shard(dir: &Path, k: u32, extra: &[&str], name: &str) -> String {
    let shard = format!("{k}/2");
    let mut args = vec!["scan", "-f", "json", "--shard", &shard, "fleet"];
    args.extend_from_slice(extra);
    let o = run(&args, dir);
    assert!(o.status.code().unwrap() < 2, "{o:?}");
    let f = dir.join(name);
    fs::write(&f, &o.stdout).unwrap();
    f.to_string_lossy().into_owned()
}

fn refused_in(dir: &Path, args: &[&str], says: &[&str]) {
    let o = run(args, dir);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for s in says {
        assert!(err.contains(s), "{args:?}: {err}");
    }
    assert!(o.stdout.is_empty());
}

#[test]
fn merge_refuses_shards_scanned_with_different_settings() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    small_fleet(dir);
    let plain = small_shard(dir, 0, &[], "plain-0.json");
    for (extra, setting) in [
        (&["--allow-global", "mymod.Thing"][..], "allow-globals"),
        (&["--config", "allow.toml"][..], "allow-globals"),
        (&["--skip", "d/extra.pkl"][..], "skip"),
        (&["--config", "skip.toml"][..], "skip"),
        (&["--include-git"][..], "include-git"),
    ] {
        let other = small_shard(dir, 1, extra, "other-1.json");
        refused_in(dir, &["merge", &plain, &other], &[setting, "other-1.json"]);
    }

    // The same settings, from flags on one shard and from the file on the other: the merge
    // is the one run with them.
    let a = small_shard(
        dir,
        0,
        &["--allow-global", "mymod.Thing", "--config", "skip.toml"],
        "same-0.json",
    );
    let b = small_shard(
        dir,
        1,
        &["--config", "allow.toml", "--skip", "d/extra.pkl"],
        "same-1.json",
    );
    let merged = run(&["merge", &a, &b], dir);
    let whole = run(
        &[
            "scan",
            "-f",
            "json",
            "fleet",
            "--config",
            "allow.toml",
            "--skip",
            "d/extra.pkl",
        ],
        dir,
    );
    assert_eq!(merged.status.code(), whole.status.code());
    assert!(
        merged.stdout == whole.stdout,
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert!(v.get("shard").is_none());
    let paths: Vec<&str> = v["targets"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"d/extra.pkl") && paths.contains(&"c/extra.pkl"));
}

#[test]
fn merge_refuses_a_shard_report_over_the_size_cap_without_reading_it() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    small_fleet(dir);
    let s0 = small_shard(dir, 0, &[], "s0.json");
    // Sparse: no disk space, and no time if it is never read.
    let big = dir.join("big.json");
    fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    refused_in(
        dir,
        &["merge", &s0, "big.json"],
        &["big.json", "over the limit"],
    );
}

#[test]
fn merge_refuses_shard_reports_whose_files_were_edited() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    small_fleet(dir);
    let s0 = small_shard(dir, 0, &[], "s0.json");
    let s1 = small_shard(dir, 1, &[], "s1.json");
    let read =
        |f: &str| -> serde_json::Value { serde_json::from_slice(&fs::read(f).unwrap()).unwrap() };
    let file_of = |v: &serde_json::Value, path: &str| -> serde_json::Value {
        v["targets"][0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap()
            .clone()
    };
    let edited = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| -> String {
        let mut v = read(&s1);
        edit(&mut v);
        let f = dir.join(name);
        fs::write(&f, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        f.to_string_lossy().into_owned()
    };
    fn files(v: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
        v["targets"][0]["files"].as_array_mut().unwrap()
    }
    // The unedited shards merge.
    assert_eq!(run(&["merge", &s0, &s1], dir).status.code(), Some(1));

    // (a) Another shard's file appended, and a file of its own listed twice.
    let a = file_of(&read(&s0), "a/model.pkl");
    let f = edited("appended.json", &|v| files(v).push(a.clone()));
    refused_in(
        dir,
        &["merge", &s0, &f],
        &["appended.json", "fleet/a/model.pkl", "outside the units"],
    );
    let own = file_of(&read(&s1), "d/model.pkl");
    let f = edited("twice.json", &|v| files(v).push(own.clone()));
    refused_in(
        dir,
        &["merge", &s0, &f],
        &["twice.json", "fleet/d/model.pkl", "listed twice"],
    );
    // (b) A file of nobody's unit.
    let mut nowhere = own.clone();
    nowhere["path"] = "nowhere/model.pkl".into();
    let f = edited("nowhere.json", &|v| files(v).push(nowhere.clone()));
    refused_in(
        dir,
        &["merge", &s0, &f],
        &[
            "nowhere.json",
            "fleet/nowhere/model.pkl",
            "outside the units",
        ],
    );
    // (c) A claimed unit's files removed: all of them, or the unsafe one (the summary it
    // records still counts it), or its verdict edited.
    let f = edited("emptied.json", &|v| files(v).clear());
    refused_in(
        dir,
        &["merge", &s0, &f],
        &["emptied.json", "fleet/d", "no file or finding"],
    );
    let f = edited("dropped.json", &|v| {
        files(v).retain(|x| x["path"] != "d/model.pkl")
    });
    refused_in(
        dir,
        &["merge", &s0, &f],
        &["dropped.json", "summary", "verdict unsafe"],
    );
    let f = edited("whitewashed.json", &|v| {
        for x in files(v).iter_mut() {
            x["verdict"] = "clean".into();
        }
    });
    refused_in(
        dir,
        &["merge", &s0, &f],
        &[
            "whitewashed.json",
            "is clean, where its findings make it unsafe",
        ],
    );
    // (d) Another unit count.
    let f = edited("count.json", &|v| {
        let n = v["shard"]["units_total"].as_u64().unwrap();
        v["shard"]["units_total"] = (n + 1).into();
    });
    refused_in(dir, &["merge", &s0, &f], &["count.json", "the unit count"]);
}
