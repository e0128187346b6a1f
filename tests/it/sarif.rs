//! `aibom scan --format sarif`: valid against the OASIS SARIF 2.1.0 schema (vendored in
//! `schemas/sarif/`, checked offline), within what GitHub code scanning accepts, and stable.

use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Runs `aibom scan --format sarif <target>` from `cwd`; the exit status and stdout.
fn sarif_bytes(target: &Path, cwd: &Path) -> (i32, Vec<u8>) {
    let out = bin()
        .args(["scan", "--format", "sarif", "--no-progress"])
        .arg(target)
        .current_dir(cwd)
        .output()
        .expect("run aibom");
    assert!(
        !out.stdout.is_empty(),
        "no SARIF on stdout; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), out.stdout)
}

fn sarif(target: &Path, cwd: &Path) -> Value {
    let (_, bytes) = sarif_bytes(target, cwd);
    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes));
    })
}

/// The samples, named relative to the repository (`samples/...`), as a CI job would.
fn samples_sarif() -> Value {
    sarif(Path::new("samples"), &repo())
}

const MALICIOUS: &str = "samples/malicious/reduce_os_system_p4.pkl";

/// The vendored OASIS schema is draft-04 (`"$schema": "http://json-schema.org/draft-04/schema#"`,
/// `id` rather than `$id`); formats are checked.
fn sarif_validator() -> jsonschema::Validator {
    let path = repo().join("schemas/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("vendored SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-04/schema#",
        "the vendored schema changed draft; update the validator"
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("SARIF schema compiles")
}

fn assert_schema_valid(doc: &Value) {
    let errors: Vec<String> = sarif_validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not match its schema: {errors:#?}"
    );
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().expect("results")
}

fn fingerprints(doc: &Value) -> Vec<String> {
    results(doc)
        .iter()
        .map(|r| {
            r["partialFingerprints"]["aibomFinding/v1"]
                .as_str()
                .expect("fingerprint")
                .to_owned()
        })
        .collect()
}

/// What GitHub's upload rejects or mishandles (shared/research/ecosystem.md §1).
fn assert_github_accepts(doc: &Value) {
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run");
    let rules = runs[0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for rule in rules {
        let sev = rule["properties"]["security-severity"]
            .as_str()
            .unwrap_or_else(|| panic!("security-severity is not a string: {rule}"));
        let score: f64 = sev
            .parse()
            .unwrap_or_else(|_| panic!("{sev} is not a number"));
        assert!((0.0..=10.0).contains(&score), "{sev}");
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert!(tags.len() <= 20, "{} has {} tags", rule["id"], tags.len());
        assert!(tags.iter().any(|t| t == "security"));
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let results = results(doc);
    assert!(!results.is_empty(), "no results");
    assert!(
        results.len() <= 25_000,
        "GitHub keeps 25,000 results per run"
    );
    for r in results {
        let text = r["message"]["text"].as_str().expect("message.text");
        assert!(!text.trim().is_empty(), "empty message: {r}");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at another rule"
        );
        let locations = r["locations"].as_array().expect("locations");
        assert!(!locations.is_empty(), "no location: {r}");
        for l in locations {
            let p = &l["physicalLocation"];
            let uri = p["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.is_empty(), "empty uri: {r}");
            assert!(!uri.starts_with('/'), "absolute uri {uri}");
            assert!(!uri.contains("://"), "uri with a scheme {uri}");
            assert!(!uri.split('/').any(|c| c == ".." || c == "."), "uri {uri}");
            assert!(p.get("uriBaseId").is_none());
            let line = p["region"]["startLine"].as_u64().expect("startLine");
            assert!(line >= 1, "startLine {line}");
        }
    }
}

#[test]
fn sarif_of_the_samples_matches_the_official_schema() {
    assert_schema_valid(&samples_sarif());
    assert_schema_valid(&sarif(Path::new(MALICIOUS), &repo()));
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let mut doc = sarif(Path::new(MALICIOUS), &repo());
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    doc["runs"][0]["artifacts"][0]["length"] = (-5).into();
    let errors = sarif_validator().iter_errors(&doc).count();
    assert!(
        errors >= 2,
        "{errors} errors for a bad level and a negative length"
    );
}

#[test]
fn sarif_of_the_samples_meets_github_upload_constraints() {
    let doc = samples_sarif();
    assert_github_accepts(&doc);
    // Every finding of the JSON report is a result, excepted ones too.
    let (_, json) = scan_json(Path::new("samples"), &[]);
    let excepted: usize = json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| std::iter::once(t).chain(t["files"].as_array().unwrap()))
        .map(|x| x["excepted"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(results(&doc).len(), codes(&json).len() + excepted);
    for r in results(&doc) {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("samples/"),
            "{uri} is not repository-relative"
        );
    }
}

#[test]
fn sarif_of_a_malicious_pickle_is_an_error_with_cwe_502() {
    let (status, bytes) = sarif_bytes(Path::new(MALICIOUS), &repo());
    assert_eq!(status, 1, "the exit status does not depend on the format");
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_github_accepts(&doc);
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "aibom");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let artifacts = run["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0]["location"]["uri"], MALICIOUS);
    let digest = artifacts[0]["hashes"]["sha-256"].as_str().unwrap();
    assert_eq!(digest.len(), 64);

    let r = results(&doc)
        .iter()
        .find(|r| r["ruleId"] == "pickle-dangerous-call")
        .expect("a pickle-dangerous-call result");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], MALICIOUS);
    assert_eq!(loc["artifactLocation"]["index"], 0);
    assert!(loc["region"]["byteOffset"].as_u64().is_some(), "{loc}");
    assert_eq!(r["properties"]["module"], "os");
    assert_eq!(r["properties"]["name"], "system");
    assert_eq!(r["properties"]["sha256"], digest);
    let text = r["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("os.system") && text.contains("at byte"),
        "{text}"
    );

    let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["name"], "PickleDangerousCall");
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tags, ["security", "external/cwe/cwe-502"]);
}

#[test]
fn sarif_names_archive_members_in_the_message_not_as_a_file_offset() {
    let doc = sarif(Path::new("samples/malicious/nested_zip.zip"), &repo());
    let r = results(&doc)
        .iter()
        .find(|r| r["ruleId"] == "pickle-dangerous-global")
        .expect("a result for the inner pickle");
    assert_eq!(r["properties"]["member"], "inner.zip!data.pkl");
    assert!(r["properties"]["offset"].as_u64().is_some());
    let text = r["message"]["text"].as_str().unwrap();
    assert!(text.contains("in inner.zip!data.pkl"), "{text}");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert!(region.get("byteOffset").is_none(), "{region}");
}

#[test]
fn every_finding_code_is_a_rule_with_a_github_severity() {
    let doc = sarif(Path::new(MALICIOUS), &repo());
    let ids: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let codes: Vec<&str> = aibom::finding::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(ids, codes, "rules are every code, in Code::ALL order");
}

#[test]
fn two_sarif_runs_give_identical_bytes() {
    let (_, a) = sarif_bytes(Path::new("samples"), &repo());
    let (_, b) = sarif_bytes(Path::new("samples"), &repo());
    assert!(a == b, "two scans of the samples differ");
}

#[test]
fn fingerprints_are_unique_per_result() {
    let doc = samples_sarif();
    let fps = fingerprints(&doc);
    let unique: BTreeSet<&String> = fps.iter().collect();
    assert_eq!(unique.len(), fps.len(), "repeated fingerprints");
}

/// Fingerprints of the findings in one file, by rule.
fn fingerprints_of(doc: &Value, uri: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in results(doc) {
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri {
            out.entry(r["ruleId"].as_str().unwrap().to_owned())
                .or_default()
                .push(
                    r["partialFingerprints"]["aibomFinding/v1"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
        }
    }
    out
}

#[test]
fn fingerprints_do_not_change_when_other_files_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join(MALICIOUS), dir.path().join("payload.pkl")).unwrap();
    // An absolute target: its files are named relative to it.
    let before = sarif(dir.path(), &repo());
    assert_github_accepts(&before);
    let first = fingerprints_of(&before, "payload.pkl");
    assert!(!first.is_empty());

    // Other files come and go, including another copy of the same payload.
    std::fs::copy(
        samples().join("malicious/proto0_os_system.pkl"),
        dir.path().join("another.pkl"),
    )
    .unwrap();
    std::fs::copy(repo().join(MALICIOUS), dir.path().join("z_copy.pkl")).unwrap();
    std::fs::write(dir.path().join("README.md"), "# a model\n").unwrap();
    let after = sarif(dir.path(), &repo());
    assert_github_accepts(&after);
    assert_eq!(fingerprints_of(&after, "payload.pkl"), first);
    assert_ne!(
        fingerprints_of(&after, "z_copy.pkl"),
        first,
        "the same finding in another file is another alert"
    );
    let again = sarif(dir.path(), &repo());
    assert_eq!(fingerprints(&again), fingerprints(&after));
}

#[test]
fn an_excepted_finding_is_a_suppressed_result_with_the_same_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join(MALICIOUS), dir.path().join("payload.pkl")).unwrap();
    let before = fingerprints_of(&sarif(Path::new("."), dir.path()), "payload.pkl");

    std::fs::write(
        dir.path().join("aibom.toml"),
        r#"
[[exception]]
code = "pickle-dangerous-call"
path = "payload.pkl"
reason = "test fixture, never loaded"

[[exception]]
code = "pickle-dangerous-global"
path = "payload.pkl"
reason = "was accepted once"
expires = "2000-01-01"

[[exception]]
code = "pickle-unknown-global"
path = "gone.pkl"
reason = "the file was removed"
"#,
    )
    .unwrap();
    let doc = sarif(Path::new("."), dir.path());
    assert_schema_valid(&doc);
    assert_github_accepts(&doc);
    assert_eq!(fingerprints_of(&doc, "payload.pkl"), before);

    let by_rule = |id: &str| {
        results(&doc)
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("no {id} result"))
            .clone()
    };
    let call = by_rule("pickle-dangerous-call");
    assert_eq!(call["suppressions"][0]["kind"], "external");
    assert_eq!(call["suppressions"][0]["status"], "accepted");
    assert_eq!(
        call["suppressions"][0]["justification"],
        "test fixture, never loaded"
    );
    // The expired exception no longer applies: an active result.
    assert!(
        by_rule("pickle-dangerous-global")
            .get("suppressions")
            .is_none()
    );

    let notes = doc["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .expect("notifications for the exceptions that did not apply");
    let levels: Vec<(&str, &str)> = notes
        .iter()
        .map(|n| {
            (
                n["level"].as_str().unwrap(),
                n["associatedRule"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("warning", "pickle-dangerous-global"),
            ("note", "pickle-unknown-global")
        ]
    );
}
