//! Every bundled sample gives its documented verdict and codes (samples/expected.json, which
//! samples/generate.py writes together with the samples and the README table).

use crate::support::*;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Expected {
    verdict: String,
    codes: Vec<String>,
    why: String,
}

/// `samples/expected.json` (the standard-library generator) and
/// `samples/formats/*/expected.json` (samples made with the formats' own libraries); keys are
/// paths relative to `samples/`.
fn expected() -> BTreeMap<String, Expected> {
    let mut files = vec![samples().join("expected.json")];
    if let Ok(dirs) = std::fs::read_dir(samples().join("formats")) {
        let mut more: Vec<_> = dirs
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("expected.json"))
            .filter(|p| p.is_file())
            .collect();
        more.sort();
        files.extend(more);
    }
    let mut all = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("expected.json");
        let part: BTreeMap<String, Expected> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for (k, v) in part {
            assert!(all.insert(k.clone(), v).is_none(), "{k} is expected twice");
        }
    }
    all
}

#[test]
fn every_sample_gives_its_documented_verdict_and_codes() {
    let mut failures = Vec::new();
    for (path, exp) in expected() {
        let (code, report) = scan_json(&samples().join(&path), &[]);
        let verdict = report["summary"]["verdict"]
            .as_str()
            .unwrap_or("none")
            .to_owned();
        let got = codes(&report);
        let missing: Vec<_> = exp.codes.iter().filter(|c| !got.contains(c)).collect();
        if verdict != exp.verdict || !missing.is_empty() {
            failures.push(format!(
                "{path}: expected {} with {:?}, got {verdict} with {got:?} ({})",
                exp.verdict, exp.codes, exp.why
            ));
        }
        let want_exit = match exp.verdict.as_str() {
            "clean" => Some(0),
            "unsafe" => Some(1),
            _ => None,
        };
        if want_exit.is_some() && Some(code) != want_exit {
            failures.push(format!("{path}: exit {code}, expected {want_exit:?}"));
        }
        assert_valid(&report);
    }
    assert!(
        failures.is_empty(),
        "{} samples wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn benign_samples_raise_nothing_at_or_above_high() {
    let (code, report) = scan_json(&samples().join("benign"), &[]);
    let high: Vec<_> = report["targets"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .filter(|f| matches!(f["severity"].as_str(), Some("high" | "critical")))
        .map(|f| format!("{} {}", f["location"]["path"], f["message"]))
        .collect();
    assert!(high.is_empty(), "{high:#?}");
    assert_eq!(code, 0);
}

#[test]
fn scanning_all_samples_is_deterministic_and_schema_valid() {
    let (_, a) = scan_json(&samples(), &[]);
    let (_, b) = scan_json(&samples(), &[]);
    assert_eq!(a, b);
    assert_valid(&a);
    // Every file in the tree is hashed (unreadable ones would be missing a digest).
    assert_eq!(a["summary"]["unreadable"], 0);
}

/// The exact codes each sample gives (not only those `expected.json` requires), pinned: a new
/// or lost code on any sample shows up here as a diff (`AIBOM_BLESS=1` accepts it).
#[test]
fn every_sample_gives_exactly_its_pinned_codes() {
    let mut pinned = BTreeMap::new();
    for path in expected().keys() {
        let (_, report) = scan_json(&samples().join(path), &[]);
        let mut got = codes(&report);
        got.sort();
        got.dedup();
        pinned.insert(
            path.clone(),
            serde_json::json!({
                "verdict": report["summary"]["verdict"],
                "codes": got,
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&pinned).unwrap();
    text.push('\n');
    snapshot("samples/codes.json", text.as_bytes());
}
