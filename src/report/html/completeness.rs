//! The completeness table: what the AIBOM records, row by row.

use super::{badge, esc, section, status_badge, thead, txt};
use crate::report::auditor::prose;
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn completeness(h: &mut String, r: &AuditReport) {
    section(h, "completeness");
    let c = &r.completeness;
    w!(
        h,
        "<div class=\"score\"><div class=\"num\" id=\"completeness-score\">{}<small> / 100</small></div><div class=\"bar\" aria-hidden=\"true\"><span style=\"width:{}%\"></span></div><div>{}</div></div>\n",
        c.score,
        c.score.min(100),
        txt(&prose::score_of(c))
    );
    w!(h, "<ul class=\"rules\">\n");
    for rule in SCORING_RULE {
        w!(h, "<li>{}</li>\n", code_spans(rule));
    }
    w!(h, "</ul>\n");
    w!(
        h,
        "<table class=\"completeness\">{}<tbody>\n",
        thead(prose::COMPLETENESS_COLUMNS)
    );
    let mut group = "";
    for f in &c.fields {
        if f.group != group {
            group = f.group;
            w!(h, "<tr><th colspan=\"5\">{}</th></tr>\n", esc(group));
        }
        let mut st = status_badge(f.status);
        if !f.scored {
            w!(st, " {}", badge("b-na", prose::NOT_SCORED));
        }
        w!(
            h,
            "<tr><td>{}</td><td>{st}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>\n",
            esc(f.ask),
            esc(&f.detail),
            esc(f.cdx),
            esc(f.asked_by)
        );
    }
    w!(h, "</tbody></table>\n</section>\n");
}

/// Escapes `s`, turning `` `x` `` into `<code>x</code>`.
fn code_spans(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            w!(out, "<code>{}</code>", esc(part));
        } else {
            w!(out, "{}", esc(part));
        }
    }
    out
}
