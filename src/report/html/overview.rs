//! The summary cards and the model's identity.

use super::{cell, esc, section, txt};
use crate::report::auditor::prose::{self, Tone};
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn summary(h: &mut String, r: &AuditReport) {
    section(h, "summary");
    w!(h, "<div class=\"cards\">\n");
    for c in prose::summary(r) {
        let class = match c.tone {
            Tone::Ok => "ok",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
        };
        let v = c.value.as_deref().unwrap_or(NOT_RECORDED);
        let v = if c.headline {
            format!("<span class=\"score-value\">{}</span>", esc(v))
        } else {
            esc(v).to_string()
        };
        w!(
            h,
            "<div class=\"card {class}\"><div class=\"k\">{}</div><div class=\"v\">{v}</div><div class=\"d\">{}</div></div>\n",
            esc(c.key),
            esc(&c.detail)
        );
    }
    w!(h, "</div>\n");
    w!(
        h,
        "<p class=\"muted\">{}</p>\n</section>\n",
        txt(prose::SUMMARY_NOTE)
    );
}

pub(super) fn identity(h: &mut String, r: &AuditReport) {
    section(h, "identity");
    w!(h, "<div class=\"kv2\">\n");
    for (caption, rows) in prose::identity(&r.identity) {
        w!(
            h,
            "<table class=\"kv\"><caption>{}</caption><tbody>\n",
            esc(caption)
        );
        for (k, v) in rows {
            w!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                esc(k),
                cell(&v)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "</div>\n</section>\n");
}
