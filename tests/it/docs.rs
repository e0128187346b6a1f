//! The README documents the public interface: every finding code, every limit.

use crate::support::*;
use aibom::finding::Code;

#[test]
fn readme_documents_every_finding_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| !readme.contains(&format!("| `{c}` |")))
        .collect();
    assert!(missing.is_empty(), "README lacks rows for {missing:?}");
}

#[test]
fn schema_lists_exactly_the_finding_codes() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/scan-report.schema.json")).unwrap(),
    )
    .unwrap();
    let mut listed: Vec<String> = schema["$defs"]["finding"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut codes: Vec<String> = Code::ALL.iter().map(|c| c.to_string()).collect();
    listed.sort();
    codes.sort();
    assert_eq!(listed, codes);
}
