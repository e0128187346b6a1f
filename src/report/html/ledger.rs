//! The deploy decisions an approval ledger records about this AIBOM (only with `--ledger`).

use super::{badge, esc, opt, thead};
use crate::report::auditor::AuditReport;
use std::fmt::Write as _;

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "&mdash;".into()
    } else {
        v.iter()
            .map(|x| esc(x).to_string())
            .collect::<Vec<_>>()
            .join("<br>")
    }
}

pub(super) fn ledger(h: &mut String, r: &AuditReport) {
    let Some(l) = &r.ledger else {
        return;
    };
    w!(
        h,
        "<section id=\"ledger\">\n<h2>Deploy decisions <span class=\"mono muted\">{}</span></h2>\n",
        esc(&l.file)
    );
    if let Some(b) = &l.broken {
        w!(
            h,
            "<p>{} {}</p>\n</section>\n",
            badge("b-bad", "broken chain"),
            esc(b)
        );
        return;
    }
    w!(
        h,
        "<p>The chain holds: {} entries, head <span class=\"mono digest\">{}</span>. {} of them are about this AIBOM.</p>\n",
        l.total,
        esc(l.head.as_deref().unwrap_or("")),
        l.entries.len()
    );
    if !l.entries.is_empty() {
        w!(
            h,
            "<table>{}<tbody>\n",
            thead(&["#", "Time", "Decision", "Signers", "Failed checks"])
        );
        for e in &l.entries {
            let pass = e.verdict == "pass";
            w!(
                h,
                "<tr{}><td>{}</td><td>{}</td><td>{} (exit {})</td><td>{}</td><td>{}</td></tr>\n",
                if pass { "" } else { " class=\"bad\"" },
                e.seq,
                opt(&e.time),
                badge(if pass { "b-ok" } else { "b-bad" }, &e.verdict),
                e.exit_code.map_or_else(|| "?".into(), |c| c.to_string()),
                list(&e.signers),
                list(&e.failed)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "</section>\n");
}
