//! Findings, the exceptions that accept them, and signature approvals.

use super::{
    Html, OPEN_LIMIT, badge, cwes, esc, join_labelled, nr, opt, section, sev_badge, thead, txt,
};
use crate::finding::Severity;
use crate::report::auditor::prose::{self, Tone};
use crate::report::auditor::*;
use std::fmt::Write as _;

fn location(f: &FindingRow) -> String {
    let mut s = if f.affected.is_empty() {
        nr()
    } else {
        f.affected
            .iter()
            .map(|a| format!("<span class=\"mono\">{}</span>", esc(a)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    if let Some(m) = &f.member {
        w!(
            s,
            "<br><span class=\"muted\">{}</span> <span class=\"mono\">{}</span>",
            prose::MEMBER,
            esc(m)
        );
    }
    if let Some(o) = &f.offset {
        w!(
            s,
            "<br><span class=\"muted\">{}</span> {}",
            prose::OFFSET,
            esc(o)
        );
    }
    s
}

pub(super) fn findings(h: &mut String, r: &AuditReport) {
    section(h, "findings");
    let f = &r.findings;
    if !f.recorded {
        w!(
            h,
            "<p class=\"nr\">{}</p>\n</section>\n",
            txt(prose::FINDINGS_NOT_RECORDED)
        );
        return;
    }
    if f.rows.is_empty() {
        w!(h, "<p>{}</p>\n</section>\n", txt(prose::NO_FINDING));
        return;
    }
    let counts: Vec<String> = f
        .by_severity()
        .iter()
        .map(|(s, n)| format!("{} {n}", sev_badge(*s)))
        .collect();
    w!(
        h,
        "<p>{}: {}</p>\n",
        txt(&prose::findings_count(f)),
        counts.join(" ")
    );
    w!(
        h,
        "<details class=\"print-open\"{}><summary>{}</summary>\n<table class=\"findings\">{}<tbody>\n",
        if f.rows.len() <= OPEN_LIMIT {
            " open"
        } else {
            ""
        },
        txt(&prose::all_findings(f.rows.len())),
        thead(prose::FINDING_COLUMNS)
    );
    for (i, x) in f.rows.iter().enumerate() {
        let mut what = x
            .description
            .as_deref()
            .map(|d| esc(d).to_string())
            .unwrap_or_default();
        if let Some(d) = &x.detail {
            w!(what, "<br><span class=\"mono muted\">{}</span>", esc(d));
        }
        w!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td class=\"mono code-id\">{}</td><td>{}</td><td>{what}</td><td>{}</td><td>{}</td></tr>\n",
            if x.accepted {
                ""
            } else if x.severity >= Some(Severity::High) {
                " class=\"bad\""
            } else {
                ""
            },
            i + 1,
            sev_badge(x.severity),
            esc(&x.id),
            location(x),
            cwes(&x.cwes, false),
            badge(
                if x.accepted { "b-na" } else { "b-bad" },
                prose::finding_status(x.accepted)
            )
        );
    }
    w!(h, "</tbody></table>\n</details>\n");
    // The mapping of the codes that occur.
    let codes = f.codes();
    w!(h, "<h3>{}</h3>\n", txt(prose::MAPPING_HEADING));
    if codes.is_empty() {
        w!(h, "<p class=\"muted\">{}</p>\n", txt(prose::NONE_MAPPED));
    } else {
        w!(
            h,
            "<table class=\"mapping\">{}<tbody>\n",
            thead(prose::MAPPING_COLUMNS)
        );
        for c in codes {
            let Some(m) = mapping(c) else { continue };
            w!(
                h,
                "<tr><td class=\"mono code-id\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td></tr>\n",
                esc(c.as_str()),
                cwes(m.cwe, true),
                join_labelled(m.atlas, atlas_name),
                join_labelled(m.owasp, owasp_name),
                join_labelled(m.nist, nist_name),
                if m.eu_ai_act.is_empty() {
                    prose::NONE_DASH.to_owned()
                } else {
                    esc(&m.eu_ai_act.join(", ")).to_string()
                }
            );
        }
        w!(h, "</tbody></table>\n");
    }
    if let Some(u) = prose::unmapped(f) {
        w!(h, "<p class=\"muted\">{}</p>\n", esc(&u));
    }
    w!(h, "</section>\n");
}

pub(super) fn exceptions(h: &mut String, r: &AuditReport) {
    section(h, "exceptions");
    if r.exceptions.is_empty() {
        w!(h, "<p>{}</p>\n</section>\n", txt(prose::NO_EXCEPTION));
        return;
    }
    w!(h, "<table>{}<tbody>\n", thead(prose::EXCEPTION_COLUMNS));
    for x in &r.exceptions {
        let mut reason = opt(&x.reason);
        if let Some(a) = &x.analysis {
            w!(reason, "<br><span class=\"muted\">{}</span>", esc(a));
        }
        if let Some(d) = &x.sha256 {
            w!(
                reason,
                "<br><span class=\"muted\">{}</span> <span class=\"mono digest\">{}</span>",
                prose::PINNED_TO,
                esc(d)
            );
        }
        w!(
            h,
            "<tr><td class=\"mono code-id\">{}</td><td class=\"mono\">{}</td><td>{reason}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&x.finding),
            opt(&x.path),
            x.expires
                .as_deref()
                .map(|e| esc(e).to_string())
                .unwrap_or_else(|| format!("<span class=\"nr\">{}</span>", prose::NO_EXPIRY)),
            opt(&x.owner),
            esc(&x.source),
            match x.matches {
                Some(false) =>
                    format!("<span class=\"muted\">{}</span>", prose::applies(x.matches)),
                _ => prose::applies(x.matches).to_owned(),
            }
        );
    }
    w!(
        h,
        "</tbody></table>\n<p class=\"muted\">{}</p>\n</section>\n",
        txt(prose::EXPIRY_NOTE)
    );
}

pub(super) fn approvals(h: &mut String, r: &AuditReport) {
    section(h, "approvals");
    let Some(list) = &r.approvals else {
        w!(
            h,
            "<p class=\"nr\">{}</p>\n</section>\n",
            prose::no_signature(&Html)
        );
        return;
    };
    w!(h, "<table>{}<tbody>\n", thead(prose::APPROVAL_COLUMNS));
    for a in list {
        let check = badge(
            if a.valid { "b-ok" } else { "b-bad" },
            prose::validity(a.valid),
        );
        let check = match &a.problem {
            Some(p) => format!("{check}<br><span class=\"muted\">{}</span>", esc(p)),
            None => check,
        };
        let inv = match (a.inventory_matches, &a.inventory) {
            (Some(m), Some(t)) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge(if m { "b-ok" } else { "b-bad" }, prose::inventory_match(m)),
                esc(t)
            ),
            _ => prose::NONE_DASH.into(),
        };
        let (text, tone, why) = prose::attestation(&a.attestation);
        let mut att = match tone {
            Tone::Ok => badge("b-ok", text),
            Tone::Warn => format!("<span class=\"nr\">{text}</span>"),
            Tone::Bad => badge("b-bad", text),
        };
        if let Some(why) = why {
            w!(att, "<br><span class=\"muted\">{}</span>", esc(why));
        }
        let att = match &a.attestation_file {
            Some(f) if a.attestation != AttestationState::Missing => {
                format!("{att}<br><span class=\"mono muted\">{}</span>", esc(f))
            }
            _ => att,
        };
        w!(
            h,
            "<tr{}><td class=\"mono\">{}{}</td><td>{}</td><td>{check}</td><td>{}</td><td>{inv}</td><td>{att}</td></tr>\n",
            if a.valid { "" } else { " class=\"bad\"" },
            esc(&a.signature),
            a.method
                .as_deref()
                .map(|m| format!("<br><span class=\"muted\">{}</span>", esc(m)))
                .unwrap_or_default(),
            opt(&a.signer),
            a.model_digest
                .as_ref()
                .map(|d| format!("<span class=\"mono digest\">{}</span>", esc(d)))
                .unwrap_or_else(|| prose::NONE_DASH.into()),
        );
    }
    w!(
        h,
        "</tbody></table>\n<p class=\"muted\">{}</p>\n</section>\n",
        prose::approvals_note(&Html)
    );
}
