//! Findings, the exceptions that accept them, and signature approvals.

use super::{OPEN_LIMIT, badge, cwes, esc, join_labelled, nr, opt, section, sev_badge};
use crate::finding::Severity;
use crate::report::auditor::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;

fn location(f: &FindingRow) -> String {
    let mut s = if f.affected.is_empty() {
        nr().to_owned()
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
            "<br><span class=\"muted\">member</span> <span class=\"mono\">{}</span>",
            esc(m)
        );
    }
    if let Some(o) = &f.offset {
        w!(s, "<br><span class=\"muted\">offset</span> {}", esc(o));
    }
    s
}

pub(super) fn findings(h: &mut String, r: &AuditReport) {
    section(h, "findings");
    let f = &r.findings;
    if !f.recorded {
        w!(
            h,
            "<p class=\"nr\">Not recorded: the AIBOM has no vulnerabilities section and does not name a tool that records every finding.</p>\n</section>\n"
        );
        return;
    }
    if f.rows.is_empty() {
        w!(
            h,
            "<p>No finding: the inspection recorded nothing to report.</p>\n</section>\n"
        );
        return;
    }
    let counts: Vec<String> = f
        .by_severity()
        .iter()
        .map(|(s, n)| format!("{} {n}", sev_badge(*s)))
        .collect();
    w!(
        h,
        "<p>{}, {} open: {}</p>\n",
        plural(f.rows.len(), "finding", "findings"),
        f.open(),
        counts.join(" ")
    );
    w!(
        h,
        "<details class=\"print-open\"{}><summary>All {} findings with evidence</summary>\n<table class=\"findings\"><thead><tr><th>#</th><th>Severity</th><th>Finding</th><th>Affected file</th><th>What and evidence</th><th>CWE</th><th>Status</th></tr></thead><tbody>\n",
        if f.rows.len() <= OPEN_LIMIT {
            " open"
        } else {
            ""
        },
        f.rows.len()
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
            if x.accepted {
                badge("b-na", "accepted")
            } else {
                badge("b-bad", "open")
            }
        );
    }
    w!(h, "</tbody></table>\n</details>\n");
    // The mapping of the codes that occur.
    let codes = f.codes();
    w!(h, "<h3>Mapping of these findings</h3>\n");
    if codes.is_empty() {
        w!(
            h,
            "<p class=\"muted\">None of these findings carries an aibom finding code, so none is mapped.</p>\n"
        );
    } else {
        w!(
            h,
            "<table class=\"mapping\"><thead><tr><th>Finding code</th><th>CWE</th><th>MITRE ATLAS</th><th>OWASP LLM Top 10 (2025)</th><th>NIST AI RMF 1.0</th><th>EU AI Act</th></tr></thead><tbody>\n"
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
                    "—".to_owned()
                } else {
                    esc(&m.eu_ai_act.join(", ")).to_string()
                }
            );
        }
        w!(h, "</tbody></table>\n");
    }
    let unmapped: BTreeSet<&str> = f
        .rows
        .iter()
        .filter(|x| x.code.is_none())
        .map(|x| x.id.as_str())
        .collect();
    if !unmapped.is_empty() {
        w!(
            h,
            "<p class=\"muted\">Not mapped (not aibom finding codes): {}.</p>\n",
            esc(&unmapped.into_iter().collect::<Vec<_>>().join(", "))
        );
    }
    w!(h, "</section>\n");
}

pub(super) fn exceptions(h: &mut String, r: &AuditReport) {
    section(h, "exceptions");
    if r.exceptions.is_empty() {
        w!(
            h,
            "<p>No exception: no finding of this AIBOM was accepted, and no exception is configured.</p>\n</section>\n"
        );
        return;
    }
    w!(
        h,
        "<table><thead><tr><th>Finding</th><th>Path</th><th>Reason</th><th>Expires</th><th>Owner</th><th>Recorded in</th><th>Applies here</th></tr></thead><tbody>\n"
    );
    for x in &r.exceptions {
        let mut reason = opt(&x.reason);
        if let Some(a) = &x.analysis {
            w!(reason, "<br><span class=\"muted\">{}</span>", esc(a));
        }
        if let Some(d) = &x.sha256 {
            w!(
                reason,
                "<br><span class=\"muted\">pinned to</span> <span class=\"mono digest\">{}</span>",
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
                .unwrap_or_else(|| "<span class=\"nr\">no expiry</span>".into()),
            opt(&x.owner),
            esc(&x.source),
            match x.matches {
                None => "yes".to_owned(),
                Some(true) => "a finding matches".into(),
                Some(false) => "<span class=\"muted\">no finding matches</span>".into(),
            }
        );
    }
    w!(
        h,
        "</tbody></table>\n<p class=\"muted\">Expiry dates are shown as recorded; the report reads no clock, so check them against the date of the change.</p>\n</section>\n"
    );
}

pub(super) fn approvals(h: &mut String, r: &AuditReport) {
    section(h, "approvals");
    let Some(list) = &r.approvals else {
        w!(
            h,
            "<p class=\"nr\">No signature was given. Pass the release's signatures with <code>--signature</code> (and the trusted <code>--public-key</code> or <code>--certificate-chain</code>) to list them here.</p>\n</section>\n"
        );
        return;
    };
    w!(
        h,
        "<table><thead><tr><th>Signature</th><th>Signer</th><th>Signature check</th><th>Signed model digest</th><th>Signed files vs. this AIBOM</th><th>AIBOM attestation</th></tr></thead><tbody>\n"
    );
    for a in list {
        let check = if a.valid {
            badge("b-ok", "valid")
        } else {
            badge("b-bad", "invalid")
        };
        let check = match &a.problem {
            Some(p) => format!("{check}<br><span class=\"muted\">{}</span>", esc(p)),
            None => check,
        };
        let inv = match (a.inventory_matches, &a.inventory) {
            (Some(true), Some(t)) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge("b-ok", "match"),
                esc(t)
            ),
            (Some(false), Some(t)) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge("b-bad", "differ"),
                esc(t)
            ),
            _ => "—".into(),
        };
        let att = match &a.attestation {
            AttestationState::Binds => badge("b-ok", "binds exactly this AIBOM"),
            AttestationState::Missing => "<span class=\"nr\">no .bom attestation</span>".into(),
            AttestationState::Other(why) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge("b-bad", "does not bind this AIBOM"),
                esc(why)
            ),
            AttestationState::Invalid(why) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge("b-bad", "invalid"),
                esc(why)
            ),
        };
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
                .unwrap_or_else(|| "—".into()),
        );
    }
    w!(
        h,
        "</tbody></table>\n<p class=\"muted\">A signature is checked against the configured trust only. The model digest it covers is recomputed from the files by <code>aibom verify DIR</code>, not here: this report only compares the signed file list with the AIBOM's inventory.</p>\n</section>\n"
    );
}
