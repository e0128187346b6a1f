//! The appendix: every finding code with its CWE and framework mappings.

use super::{cwes, esc, section};
use crate::report::auditor::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;

pub(super) fn appendix(h: &mut String) {
    section(h, "mapping");
    w!(
        h,
        "<details><summary>All {} finding codes</summary>\n<table><thead><tr><th>Code</th><th>Meaning</th><th>CWE</th><th>MITRE ATLAS</th><th>OWASP LLM</th><th>NIST AI RMF</th><th>EU AI Act</th></tr></thead><tbody>\n",
        MAPPINGS.len()
    );
    for m in MAPPINGS {
        let dash = |v: &[&str]| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                esc(&v.join("\n")).to_string().replace('\n', "<br>")
            }
        };
        w!(
            h,
            "<tr><td class=\"mono code-id\">{}</td><td>{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td></tr>\n",
            esc(m.code.as_str()),
            esc(m.code.summary()),
            cwes(m.cwe, false),
            dash(m.atlas),
            dash(m.owasp),
            dash(m.nist),
            dash(m.eu_ai_act)
        );
    }
    w!(h, "</tbody></table>\n</details>\n");
    let atlas: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.atlas.iter().copied())
        .chain(DATASET_GAP.atlas.iter().copied())
        .collect();
    let nist: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.nist.iter().copied())
        .chain(DATASET_GAP.nist.iter().copied())
        .chain(LICENSE_GAP.nist.iter().copied())
        .collect();
    let owasp: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.owasp.iter().copied())
        .chain(DATASET_GAP.owasp.iter().copied())
        .collect();
    w!(
        h,
        "<p class=\"map\"><strong>MITRE ATLAS:</strong> {}.</p>\n",
        esc(&atlas
            .iter()
            .map(|a| labelled(a, atlas_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(
        h,
        "<p class=\"map\"><strong>OWASP Top 10 for LLM Applications 2025:</strong> {}.</p>\n",
        esc(&owasp
            .iter()
            .map(|a| labelled(a, owasp_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(
        h,
        "<p class=\"map\"><strong>NIST AI RMF 1.0:</strong> {}.</p>\n",
        esc(&nist
            .iter()
            .map(|a| labelled(a, nist_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(h, "</section>\n");
}
