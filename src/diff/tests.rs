//! Unit tests of reading, comparing and gating.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::model::is_weights;
use super::*;
use crate::bom::read::purl_base;
use serde_json::{Value, json};

fn read(v: Value) -> Document {
    Document::from_value(&v).expect("readable")
}

fn diff(a: Value, b: Value) -> Diff {
    compare(&read(a), &read(b))
}

fn bom(components: Value, vulns: Value) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {
            "component": {"type": "machine-learning-model", "bom-ref": "m", "name": "m"},
            "properties": [{"name": "aibom:scan:verdict", "value": "clean"}]
        },
        "components": components,
        "dependencies": [],
        "vulnerabilities": vulns,
    })
}

fn vuln(id: &str, path: &str, sev: &str) -> Value {
    json!({
        "id": id,
        "ratings": [{"severity": sev}],
        "affects": [{"ref": format!("file:{path}")}],
        "properties": [{"name": "aibom:finding:path", "value": path}]
    })
}

#[test]
fn rejects_a_document_that_is_not_an_object() {
    assert!(matches!(
        Document::from_value(&json!([1, 2])),
        Err(Error::NotAnObject { found: "an array" })
    ));
}

#[test]
fn rejects_a_document_of_another_format() {
    assert!(matches!(
        Document::from_value(&json!({"spdxVersion": "SPDX-2.3", "bomFormat": "SPDX"})),
        Err(Error::NotCycloneDx { found }) if found == "SPDX"
    ));
}

#[test]
fn strips_versions_qualifiers_and_subpaths_from_purls() {
    assert_eq!(purl_base("pkg:pypi/peft@0.11.1"), "pkg:pypi/peft");
    assert_eq!(
        purl_base("pkg:npm/%40scope/x@1.0?a=b#sub"),
        "pkg:npm/%40scope/x"
    );
    assert_eq!(
        purl_base("pkg:huggingface/aibom/tiny-base"),
        "pkg:huggingface/aibom/tiny-base"
    );
}

#[test]
fn a_pinned_library_bump_is_a_version_change_not_remove_and_add() {
    let lib = |v: &str| {
        json!([{"type": "library", "name": "peft", "version": v,
                "purl": format!("pkg:pypi/peft@{v}")}])
    };
    let d = diff(bom(lib("0.11.1"), json!([])), bom(lib("0.12.0"), json!([])));
    assert!(d.components.added.is_empty() && d.components.removed.is_empty());
    assert_eq!(d.components.changed.len(), 1);
    let c = &d.components.changed[0];
    assert_eq!(c.old_version.as_deref(), Some("0.11.1"));
    assert_eq!(c.new_version.as_deref(), Some("0.12.0"));
    assert_eq!(d.count(Drift::DependencyChanged, Severity::High), 1);
}

#[test]
fn a_component_without_purl_matches_the_same_name_with_one() {
    let a = json!([{"type": "library", "name": "torch"}]);
    let b = json!([{"type": "library", "name": "torch", "version": "2.1",
                    "purl": "pkg:pypi/torch@2.1"}]);
    let d = diff(bom(a, json!([])), bom(b, json!([])));
    assert_eq!(d.components.changed.len(), 1, "{:?}", d.components);
}

#[test]
fn severity_changes_are_escalations_or_de_escalations() {
    let a = json!([vuln("x", "a.pkl", "low"), vuln("y", "b.pkl", "critical")]);
    let b = json!([vuln("x", "a.pkl", "high"), vuln("y", "b.pkl", "medium")]);
    let d = diff(bom(json!([]), a), bom(json!([]), b));
    assert_eq!(d.findings.escalated.len(), 1);
    assert_eq!(d.findings.escalated[0].old, Rating::Low);
    assert_eq!(d.findings.escalated[0].new, Rating::High);
    assert_eq!(d.findings.deescalated.len(), 1);
    assert!(d.findings.new.is_empty() && d.findings.resolved.is_empty());
    assert_eq!(d.count(Drift::EscalatedFinding, Severity::High), 1);
    assert_eq!(d.count(Drift::EscalatedFinding, Severity::Critical), 0);
}

#[test]
fn repeated_findings_pair_up_by_severity_and_the_rest_is_new_or_resolved() {
    let a = json!([vuln("x", "a.pkl", "high"), vuln("z", "c.pkl", "low")]);
    let b = json!([vuln("x", "a.pkl", "high"), vuln("x", "a.pkl", "high")]);
    let d = diff(bom(json!([]), a), bom(json!([]), b));
    assert_eq!(d.findings.new.len(), 1);
    assert_eq!(d.findings.resolved.len(), 1);
    assert_eq!(d.findings.resolved[0].id, "z");
    assert!(d.findings.escalated.is_empty());
}

#[test]
fn unknown_severity_counts_for_every_gate() {
    assert!(Rating::Unknown.reaches(Severity::Critical));
    assert!(!Rating::None.reaches(Severity::Info));
    assert!(Rating::High.reaches(Severity::High));
    assert!(!Rating::Medium.reaches(Severity::High));
}

#[test]
fn chat_template_digest_changes_are_reported() {
    let t = |h: &str| {
        json!([{"type": "data", "bom-ref": "template:tokenizer_config.json#chat_template",
                "name": "chat_template", "hashes": [{"alg": "SHA-256", "content": h}]}])
    };
    let d = diff(
        bom(t(&"a".repeat(64)), json!([])),
        bom(t(&"b".repeat(64)), json!([])),
    );
    assert_eq!(d.chat_templates.len(), 1);
    assert_eq!(
        d.chat_templates[0].name,
        "tokenizer_config.json#chat_template"
    );
    assert!(d.components.is_empty(), "a template is not a dataset");
}

#[test]
fn weights_are_known_by_format_or_extension() {
    assert!(is_weights("x/model-00001-of-00002.safetensors", None));
    assert!(is_weights("model.pkl.gz", None));
    assert!(is_weights("model.joblib.lz4", None));
    assert!(is_weights("weights", Some("PyTorch zip checkpoint")));
    assert!(is_weights("variables/variables.data-00000-of-00001", None));
    assert!(!is_weights("config.json", Some("JSON")));
    assert!(!is_weights("README.md", None));
}

#[test]
fn unknown_drift_kinds_are_rejected_with_the_list() {
    let e = "weights".parse::<Drift>().unwrap_err();
    assert!(e.contains("weights-changed-same-version"), "{e}");
    assert_eq!("File-Added".parse::<Drift>(), Ok(Drift::FileAdded));
}

#[test]
fn old_spec_versions_and_missing_sections_are_noted() {
    let d = read(json!({"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {}}));
    let reasons: Vec<&str> = d.notes.iter().map(|(_, r, _)| r.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("predates")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("components is an object"))
    );
    assert!(reasons.iter().any(|r| r.contains("no metadata.component")));
    assert!(reasons.iter().any(|r| r.contains("no vulnerabilities")));
    assert!(reasons.iter().any(|r| r.contains("no dependencies")));
}

#[test]
fn a_side_that_records_no_findings_leaves_the_finding_gate_undecided_only_when_new() {
    let scanned = bom(json!([]), json!([]));
    let mut unscanned = scanned.clone();
    unscanned["metadata"]["properties"] = json!([]);
    unscanned
        .as_object_mut()
        .map(|o| o.remove("vulnerabilities"));
    let d = diff(unscanned.clone(), scanned.clone());
    assert!(d.undecided(Drift::NewFinding).is_empty());
    let d = diff(scanned, unscanned);
    assert_eq!(d.undecided(Drift::NewFinding).len(), 1);
}

#[test]
fn a_document_before_1_5_leaves_component_gates_undecided() {
    let mut a = bom(json!([]), json!([]));
    a["specVersion"] = "1.4".into();
    let d = diff(a, bom(json!([]), json!([])));
    assert_eq!(d.undecided(Drift::DatasetChanged).len(), 1);
    assert_eq!(d.undecided(Drift::BaseModelChanged).len(), 1);
    assert!(d.undecided(Drift::NewFinding).is_empty());
}

#[test]
fn licence_drift_is_case_insensitive_and_covers_the_model() {
    let mut a = bom(json!([]), json!([]));
    let mut b = a.clone();
    a["metadata"]["component"]["licenses"] = json!([{"license": {"id": "Apache-2.0"}}]);
    b["metadata"]["component"]["licenses"] = json!([{"license": {"name": "apache-2.0"}}]);
    assert!(diff(a.clone(), b.clone()).licenses.is_empty());
    b["metadata"]["component"]["licenses"] = json!([{"expression": "MIT OR Apache-2.0"}]);
    let d = diff(a, b);
    assert_eq!(d.licenses.len(), 1);
    assert!(d.licenses[0].is_model);
    assert_eq!(d.licenses[0].new, vec!["MIT OR Apache-2.0".to_owned()]);
}
