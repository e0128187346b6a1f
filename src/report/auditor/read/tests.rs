//! Unit tests: reading documents built as JSON.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use serde_json::json;

use super::super::tests_support::lora;

#[test]
fn reads_the_lora_lineage_as_base_to_adapter_with_datasets() {
    let r = read(&lora(), Inputs::default()).unwrap();
    let l = &r.lineage;
    let base = l
        .nodes
        .iter()
        .position(|n| n.name == "aibom/tiny-base")
        .unwrap();
    let subject = l.subject().unwrap();
    assert!(
        l.edges
            .iter()
            .any(|e| e.from == base && e.to == subject && e.label == "adapter")
    );
    assert!(l.nodes[base].column < l.nodes[subject].column);
    let datasets = l
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Dataset)
        .count();
    assert_eq!(datasets, 2);
    assert!(
        l.nodes
            .iter()
            .all(|n| n.kind != NodeKind::Dataset || n.flagged)
    );
}

#[test]
fn lineage_chains_base_fine_tune_and_adapter_without_shortcuts() {
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {
            "type": "machine-learning-model", "bom-ref": "m", "name": "adapter",
            "pedigree": {"ancestors": [
                {"name": "org/base", "purl": "pkg:huggingface/org/base@abc"},
                {"name": "org/chat", "purl": "pkg:huggingface/org/chat"}
            ]}
        }},
        "components": [
            {"type": "machine-learning-model", "bom-ref": "c", "name": "org/chat",
             "purl": "pkg:huggingface/org/chat",
             "pedigree": {"ancestors": [{"name": "org/base", "purl": "pkg:huggingface/org/base"}]}}
        ]
    });
    let l = read(&doc, Inputs::default()).unwrap().lineage;
    let pos = |n: &str| l.nodes.iter().position(|x| x.name == n).unwrap();
    let (base, chat, subject) = (pos("org/base"), pos("org/chat"), l.subject().unwrap());
    assert_eq!(
        (
            l.nodes[base].column,
            l.nodes[chat].column,
            l.nodes[subject].column
        ),
        (0, 1, 2)
    );
    assert!(l.edges.iter().any(|e| e.from == base && e.to == chat));
    assert!(l.edges.iter().any(|e| e.from == chat && e.to == subject));
    assert!(!l.edges.iter().any(|e| e.from == base && e.to == subject));
}

#[test]
fn a_foreign_minimal_document_reads_with_everything_not_recorded() {
    let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "oops"});
    let r = read(&doc, Inputs::default()).unwrap();
    assert!(r.identity.name.is_none());
    assert!(!r.findings.recorded);
    assert!(!r.files.recorded);
    assert!(r.notes.iter().any(|n| n.contains("components")));
    assert!(r.notes.iter().any(|n| n.contains("metadata.component")));
    assert_eq!(r.completeness.score, 0);
    assert!(matches!(
        read(&json!([]), Inputs::default()),
        Err(ReadError::NotAnObject { .. })
    ));
    assert!(matches!(
        read(&json!({"bomFormat": "SPDX"}), Inputs::default()),
        Err(ReadError::NotCycloneDx { .. })
    ));
}

#[test]
fn flags_non_commercial_licences() {
    for l in [
        "cc-by-nc-4.0",
        "CC-BY-NC-SA-4.0",
        "Research NonCommercial",
        "non-commercial use",
    ] {
        assert!(is_non_commercial(l), "{l}");
    }
    for l in [
        "Apache-2.0",
        "llama2",
        "openrail++",
        "cc-by-4.0",
        "bsd-3-clause",
    ] {
        assert!(!is_non_commercial(l), "{l}");
    }
}

#[test]
fn purls_without_a_version_are_unpinned() {
    assert!(purl_versioned("pkg:pypi/peft@0.11.1"));
    assert!(!purl_versioned("pkg:pypi/torch"));
    assert!(!purl_versioned("pkg:npm/%40scope/name"));
    assert_eq!(
        purl_base("pkg:huggingface/org/m@ABC?x=1"),
        "pkg:huggingface/org/m"
    );
}

#[test]
fn the_summary_counts_one_python_file_in_the_singular() {
    let doc = |files: &[&str]| {
        json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"type": "machine-learning-model", "name": "m",
                "components": files.iter().map(|f| json!({"type": "file", "name": f}))
                    .collect::<Vec<_>>()}}})
    };
    let text = |files: &[&str]| -> Vec<String> {
        let r = read(&doc(files), Inputs::default()).unwrap();
        crate::report::auditor::prose::summary(&r)
            .into_iter()
            .map(|c| c.detail)
            .collect()
    };
    assert!(text(&["modeling.py"]).contains(&"1 Python file in the release".to_owned()));
    assert!(text(&["a.py", "b.py"]).contains(&"2 Python files in the release".to_owned()));
}
