//! What the model is made of: files, datasets, licences, dependencies and templates.

use super::{Html, OPEN_LIMIT, badge, esc, gap_line, nr, opt, section, thead, txt};
use crate::report::auditor::prose;
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn files(h: &mut String, r: &AuditReport) {
    section(h, "files");
    let f = &r.files;
    if !f.recorded {
        w!(
            h,
            "<p class=\"nr\">{}</p>\n</section>\n",
            prose::files_not_recorded(&Html)
        );
        return;
    }
    w!(h, "<p>{}</p>\n", prose::files_intro(&Html, f));
    w!(
        h,
        "<details class=\"print-open\"{}><summary>{}</summary>\n<table>{}<tbody>\n",
        if f.rows.len() <= OPEN_LIMIT {
            " open"
        } else {
            ""
        },
        txt(&prose::all_files(f.rows.len())),
        thead(prose::FILE_COLUMNS)
    );
    for x in &f.rows {
        let bad = x.verdict.as_deref() == Some("unsafe") || x.hashes.is_empty();
        let verdict = match x.verdict.as_deref() {
            Some("clean") => badge("b-ok", "clean"),
            Some("unsafe") => badge("b-bad", "unsafe"),
            Some(v) => badge("b-warn", v),
            None => nr(),
        };
        let digest = match x.hashes.first() {
            Some((alg, hex)) => format!(
                "<span class=\"mono digest\">{}{}</span>",
                if alg == "SHA-256" {
                    String::new()
                } else {
                    format!("{}: ", esc(alg))
                },
                esc(hex)
            ),
            None => badge("b-bad", prose::NO_DIGEST),
        };
        w!(
            h,
            "<tr{}><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{verdict}</td><td>{}</td><td>{digest}</td></tr>\n",
            if bad { " class=\"bad\"" } else { "" },
            esc(&x.path),
            x.size.map(human_size).unwrap_or_default(),
            x.format
                .as_deref()
                .map(|s| esc(s).to_string())
                .unwrap_or_default(),
            x.role
                .as_deref()
                .map(|s| badge("b-warn", s))
                .unwrap_or_default(),
        );
    }
    w!(h, "</tbody></table>\n</details>\n</section>\n");
}

pub(super) fn datasets(h: &mut String, r: &AuditReport) {
    section(h, "datasets");
    let ds = &r.datasets.rows;
    if ds.is_empty() {
        w!(
            h,
            "<p class=\"nr\">{}</p>\n{}</section>\n",
            txt(prose::NO_DATASET),
            gap_line(&DATASET_GAP)
        );
        return;
    }
    w!(h, "<table>{}<tbody>\n", thead(prose::DATASET_COLUMNS));
    let mut any_gap = false;
    for d in ds {
        let gap = !d.missing.is_empty() || d.unknown.is_some();
        any_gap |= gap;
        let mut name = esc(&d.name).to_string();
        if let Some(v) = &d.version {
            w!(name, " <span class=\"muted\">{}</span>", esc(v));
        }
        if let Some(role) = &d.role {
            w!(
                name,
                "<br><span class=\"muted\">{}</span>",
                esc(&prose::dataset_role(role))
            );
        }
        if let Some(desc) = &d.description {
            w!(name, "<br><span class=\"muted\">{}</span>", esc(desc));
        }
        if let Some(by) = &d.declared_by {
            w!(
                name,
                "<br><span class=\"muted\">{}</span>",
                esc(&prose::declared_by(by))
            );
        }
        let mut prov: Vec<String> = d.owners.iter().map(|o| esc(o).to_string()).collect();
        if let Some(u) = &d.source_url {
            prov.push(format!("<span class=\"mono\">{}</span>", esc(u)));
        }
        if let Some(p) = &d.provenance_note {
            prov.push(format!(
                "{} <span class=\"muted\">{}</span>",
                esc(p),
                prose::PROPERTY
            ));
        }
        let mut unknown: Vec<String> = d.missing.iter().map(|m| badge("b-warn", m)).collect();
        if d.unresolved {
            unknown.insert(0, badge("b-bad", prose::NOT_DESCRIBED));
        }
        if let Some(u) = &d.unknown {
            unknown.push(format!("<span class=\"muted\">{}</span>", esc(u)));
        }
        w!(
            h,
            "<tr{}><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if gap { " class=\"flag\"" } else { "" },
            if d.licenses.is_empty() {
                nr()
            } else {
                esc(&d.licenses.join(", ")).to_string()
            },
            if prov.is_empty() {
                nr()
            } else {
                prov.join("<br>")
            },
            opt(&d.classification),
            if d.sensitive_data.is_empty() {
                nr()
            } else {
                esc(&d.sensitive_data.join(", ")).to_string()
            },
            if unknown.is_empty() {
                badge("b-ok", prose::NOTHING)
            } else {
                unknown.join(" ")
            }
        );
    }
    w!(h, "</tbody></table>\n");
    if any_gap {
        h.push_str(&gap_line(&DATASET_GAP));
    }
    w!(h, "</section>\n");
}

pub(super) fn licences(h: &mut String, r: &AuditReport) {
    section(h, "licences");
    let l = &r.licenses;
    w!(h, "<p>{}</p>\n", prose::licences_intro(&Html, l));
    w!(h, "<table>{}<tbody>\n", thead(prose::LICENCE_COLUMNS));
    for x in &l.rows {
        let mut flags = Vec::new();
        if x.non_commercial {
            flags.push(badge("b-bad", prose::NON_COMMERCIAL));
        }
        if x.license.is_some() && !x.spdx {
            flags.push(badge("b-warn", prose::NOT_SPDX));
        }
        if x.license.is_none() {
            flags.push(badge("b-warn", prose::NO_LICENCE));
        }
        let class = if x.non_commercial {
            " class=\"bad\""
        } else if !flags.is_empty() {
            " class=\"flag\""
        } else {
            ""
        };
        let mut lic = x
            .license
            .as_deref()
            .map(|s| esc(s).to_string())
            .unwrap_or_else(nr);
        if let Some(u) = &x.url {
            w!(lic, "<br><span class=\"mono muted\">{}</span>", esc(u));
        }
        w!(
            h,
            "<tr{class}><td>{}</td><td>{}</td><td>{lic}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&x.component),
            esc(&x.role),
            prose::licence_kind(x),
            flags.join(" ")
        );
    }
    w!(h, "</tbody></table>\n");
    for rem in &l.remarks {
        w!(h, "<p class=\"muted\">{}</p>\n", esc(rem));
    }
    if prose::licence_gap(l) {
        h.push_str(&gap_line(&LICENSE_GAP));
    }
    w!(h, "</section>\n");
}

pub(super) fn dependencies(h: &mut String, r: &AuditReport) {
    section(h, "dependencies");
    let d = &r.dependencies;
    if d.is_empty() {
        w!(
            h,
            "<p class=\"nr\">{}</p>\n</section>\n",
            txt(prose::NO_DEPENDENCY)
        );
        return;
    }
    w!(
        h,
        "<p>{}</p>\n<table>{}<tbody>\n",
        txt(&prose::dependencies_intro(d)),
        thead(prose::DEPENDENCY_COLUMNS)
    );
    for x in d {
        w!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if x.pinned { "" } else { " class=\"flag\"" },
            esc(&x.name),
            esc(&x.kind),
            opt(&x.version),
            x.purl
                .as_ref()
                .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                .unwrap_or_else(nr),
            badge(
                if x.pinned { "b-ok" } else { "b-warn" },
                prose::pinned(x.pinned)
            ),
            prose::used_directly(x.direct)
        );
    }
    w!(h, "</tbody></table>\n");
    if d.iter().any(|x| !x.pinned) {
        h.push_str(&gap_line(&DEPENDENCY_GAP));
    }
    w!(h, "</section>\n");
}

pub(super) fn templates(h: &mut String, r: &AuditReport) {
    section(h, "templates");
    let p = &r.prompts;
    w!(h, "<table class=\"kv\"><tbody>\n");
    let row = |h: &mut String, k: &str, v: String| {
        w!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{v}</td></tr>\n",
            esc(k)
        );
    };
    row(
        h,
        prose::CHAT_TEMPLATE,
        match &p.chat_template_flag {
            Some(v) => format!(
                "{} <span class=\"muted\">({})</span>",
                esc(v),
                prose::CHAT_TEMPLATE_PROPERTY
            ),
            None if !p.templates.is_empty() => prose::TEMPLATE_COMPONENT.into(),
            None => nr(),
        },
    );
    row(
        h,
        prose::REMOTE_CODE,
        match &p.remote_code_flag {
            Some(v) => format!(
                "{} <span class=\"muted\">({})</span>",
                badge("b-bad", v),
                prose::REMOTE_CODE_PROPERTY
            ),
            None => format!("<span class=\"nr\">{}</span>", prose::NOT_FLAGGED),
        },
    );
    row(
        h,
        prose::PYTHON_FILES,
        if p.python_files.is_empty() {
            prose::NONE.to_owned()
        } else {
            p.python_files
                .iter()
                .map(|f| format!("<span class=\"mono\">{}</span>", esc(f)))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    row(
        h,
        prose::ROLE_FILES,
        if p.role_files.is_empty() {
            prose::NONE.to_owned()
        } else {
            p.role_files
                .iter()
                .map(|(f, r)| format!("<span class=\"mono\">{}</span> ({})", esc(f), esc(r)))
                .collect::<Vec<_>>()
                .join("<br>")
        },
    );
    w!(h, "</tbody></table>\n");
    if !p.templates.is_empty() {
        w!(h, "<table>{}<tbody>\n", thead(prose::TEMPLATE_COLUMNS));
        for t in &p.templates {
            w!(
                h,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&t.name),
                t.description
                    .as_ref()
                    .map(|d| format!("<br><span class=\"muted\">{}</span>", esc(d)))
                    .unwrap_or_default(),
                opt(&t.source),
                t.length
                    .as_deref()
                    .map(|l| esc(&prose::chars(l)).to_string())
                    .unwrap_or_default(),
                t.sha256
                    .as_ref()
                    .map(|d| format!("<span class=\"mono digest\">{}</span>", esc(d)))
                    .unwrap_or_else(nr)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    if p.findings.is_empty() {
        w!(
            h,
            "<p class=\"muted\">{}</p>\n",
            txt(prose::NO_TEMPLATE_FINDING)
        );
    } else {
        w!(
            h,
            "<p><strong>{}</strong> {} {}.</p>\n",
            prose::TEMPLATE_FINDINGS,
            esc(&prose::template_findings(r)),
            prose::SEE_FINDINGS
        );
    }
    w!(h, "</section>\n");
}
