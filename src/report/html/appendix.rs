//! The appendix: every finding code with its CWE and framework mappings.

use super::{cwes, esc, section, txt};
use crate::report::auditor::prose;
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn appendix(h: &mut String) {
    section(h, "mapping");
    w!(
        h,
        "<details><summary>{}</summary>\n<table><thead><tr>",
        txt(&prose::all_codes(MAPPINGS.len()))
    );
    for (i, c) in prose::APPENDIX_COLUMNS.iter().enumerate() {
        if i == 1 {
            w!(h, "<th>{}</th>", prose::APPENDIX_MEANING);
        }
        w!(h, "<th>{}</th>", esc(c));
    }
    w!(h, "</tr></thead><tbody>\n");
    for m in MAPPINGS {
        let dash = |v: &[&str]| {
            if v.is_empty() {
                prose::NONE_DASH.to_owned()
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
    for (framework, legend) in prose::legends() {
        w!(
            h,
            "<p class=\"map\"><strong>{}:</strong> {}.</p>\n",
            esc(framework),
            esc(&legend)
        );
    }
    w!(h, "</section>\n");
}
