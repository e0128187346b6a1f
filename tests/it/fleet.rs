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
    assert!(job.contains("--shard-from-env"));
    let merge = fs::read_to_string(repo().join("deploy/fleet-merge-job.yaml")).unwrap();
    assert!(merge.contains("aibom") && merge.contains("merge"));
    // The same N in both places: completions and --shard-from-env.
    let n = job
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap();
    assert!(job.contains(&format!("--shard-from-env {n} ")), "{job}");
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
