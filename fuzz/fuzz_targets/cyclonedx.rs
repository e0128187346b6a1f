//! CycloneDX documents as aibom reads them: the shared reader, the diff (a document compared
//! with itself has no changes), the audit report and its HTML/Markdown renderers, and validation
//! (the 1.6 schema plus the semantic checks).
#![no_main]
use aibom::bom::validate;
use aibom::diff::{self, Document};
use aibom::report::{auditor, html, markdown};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(read) = Document::from_value(&doc) {
        let d = diff::compare(&read, &read);
        assert!(d.model.is_empty(), "self-diff: model {:?}", d.model);
        assert!(d.files.is_empty(), "self-diff: files {:?}", d.files);
        assert!(
            d.components.is_empty(),
            "self-diff: components {:?}",
            d.components
        );
        assert!(
            d.base_models.is_empty(),
            "self-diff: base models {:?}",
            d.base_models
        );
        assert!(
            d.licenses.is_empty(),
            "self-diff: licenses {:?}",
            d.licenses
        );
        assert!(
            d.findings.is_empty(),
            "self-diff: findings {:?}",
            d.findings
        );
        assert!(
            d.chat_templates.is_empty(),
            "self-diff: templates {:?}",
            d.chat_templates
        );
        let mut out = Vec::new();
        aibom::report::diff::markdown(&d, &mut out).expect("writing to a Vec");
        // Both read through the same reader, which accepted the document.
        let report =
            auditor::read(&doc, auditor::Inputs::default()).expect("read like the diff");
        let mut out = Vec::new();
        html::render(&report, &mut out).expect("writing to a Vec");
        markdown::render(&report, &mut out).expect("writing to a Vec");
    }
    let _ = validate::validate(&doc);
});
