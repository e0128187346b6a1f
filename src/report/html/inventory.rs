//! What the model is made of: files, datasets, licences, dependencies and templates.

use super::{OPEN_LIMIT, badge, esc, gap_line, nr, opt, section};
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn files(h: &mut String, r: &AuditReport) {
    section(h, "files");
    let f = &r.files;
    if !f.recorded {
        w!(
            h,
            "<p class=\"nr\">No file inventory is recorded (no <code>file</code> components).</p>\n</section>\n"
        );
        return;
    }
    let missing = f.without_digest();
    w!(
        h,
        "<p>{}{}; {}.</p>\n",
        plural(f.rows.len(), "file", "files"),
        f.total_size
            .map(|s| format!(", {} in total", human_size(s)))
            .unwrap_or_default(),
        if missing == 0 {
            "every file has a SHA-256 digest".to_owned()
        } else {
            format!("<strong>{missing} without a digest</strong>")
        }
    );
    w!(
        h,
        "<details class=\"print-open\"{}><summary>All {} files with digests</summary>\n<table><thead><tr><th>Path</th><th>Size</th><th>Format</th><th>Verdict</th><th>Role</th><th>Digest</th></tr></thead><tbody>\n",
        if f.rows.len() <= OPEN_LIMIT {
            " open"
        } else {
            ""
        },
        f.rows.len()
    );
    for x in &f.rows {
        let bad = x.verdict.as_deref() == Some("unsafe") || x.hashes.is_empty();
        let verdict = match x.verdict.as_deref() {
            Some("clean") => badge("b-ok", "clean"),
            Some("unsafe") => badge("b-bad", "unsafe"),
            Some(v) => badge("b-warn", v),
            None => nr().into(),
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
            None => badge("b-bad", "no digest"),
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
            "<p class=\"nr\">No dataset is recorded (modelCard.modelParameters.datasets and data components are empty): the training and evaluation data are unknown.</p>\n{}</section>\n",
            gap_line(&DATASET_GAP)
        );
        return;
    }
    w!(
        h,
        "<table><thead><tr><th>Dataset</th><th>Licence</th><th>Provenance</th><th>Classification</th><th>Sensitive data</th><th>What is unknown</th></tr></thead><tbody>\n"
    );
    let mut any_gap = false;
    for d in ds {
        let gap = !d.missing.is_empty() || d.unknown.is_some();
        any_gap |= gap;
        let mut name = esc(&d.name).to_string();
        if let Some(v) = &d.version {
            w!(name, " <span class=\"muted\">{}</span>", esc(v));
        }
        if let Some(role) = &d.role {
            w!(name, "<br><span class=\"muted\">role: {}</span>", esc(role));
        }
        if let Some(desc) = &d.description {
            w!(name, "<br><span class=\"muted\">{}</span>", esc(desc));
        }
        if let Some(by) = &d.declared_by {
            w!(
                name,
                "<br><span class=\"muted\">declared by {}</span>",
                esc(by)
            );
        }
        let mut prov: Vec<String> = d.owners.iter().map(|o| esc(o).to_string()).collect();
        if let Some(u) = &d.source_url {
            prov.push(format!("<span class=\"mono\">{}</span>", esc(u)));
        }
        if let Some(p) = &d.provenance_note {
            prov.push(format!(
                "{} <span class=\"muted\">(property)</span>",
                esc(p)
            ));
        }
        let mut unknown: Vec<String> = d.missing.iter().map(|m| badge("b-warn", m)).collect();
        if d.unresolved {
            unknown.insert(0, badge("b-bad", "not described in the AIBOM"));
        }
        if let Some(u) = &d.unknown {
            unknown.push(format!("<span class=\"muted\">{}</span>", esc(u)));
        }
        w!(
            h,
            "<tr{}><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if gap { " class=\"flag\"" } else { "" },
            if d.licenses.is_empty() {
                nr().to_owned()
            } else {
                esc(&d.licenses.join(", ")).to_string()
            },
            if prov.is_empty() {
                nr().to_owned()
            } else {
                prov.join("<br>")
            },
            opt(&d.classification),
            if d.sensitive_data.is_empty() {
                nr().to_owned()
            } else {
                esc(&d.sensitive_data.join(", ")).to_string()
            },
            if unknown.is_empty() {
                badge("b-ok", "nothing")
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
    let recorded = l.rows.iter().filter(|x| x.license.is_some()).count();
    w!(
        h,
        "<p>Licences recorded: {recorded}. Non-commercial: <strong>{}</strong>; not SPDX identifiers (free-text names): <strong>{}</strong>; components without a licence: <strong>{}</strong>.</p>\n",
        l.non_commercial(),
        l.non_spdx(),
        l.missing()
    );
    w!(
        h,
        "<table><thead><tr><th>Component</th><th>Role</th><th>Licence</th><th>Kind</th><th>Attention</th></tr></thead><tbody>\n"
    );
    for x in &l.rows {
        let mut flags = Vec::new();
        if x.non_commercial {
            flags.push(badge("b-bad", "non-commercial"));
        }
        if x.license.is_some() && !x.spdx {
            flags.push(badge("b-warn", "not SPDX"));
        }
        if x.license.is_none() {
            flags.push(badge("b-warn", "no licence"));
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
            .unwrap_or_else(|| nr().into());
        if let Some(u) = &x.url {
            w!(lic, "<br><span class=\"mono muted\">{}</span>", esc(u));
        }
        w!(
            h,
            "<tr{class}><td>{}</td><td>{}</td><td>{lic}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&x.component),
            esc(&x.role),
            match (&x.license, x.spdx) {
                (None, _) => "—",
                (Some(_), true) => "SPDX",
                (Some(_), false) => "name only",
            },
            flags.join(" ")
        );
    }
    w!(h, "</tbody></table>\n");
    for rem in &l.remarks {
        w!(h, "<p class=\"muted\">{}</p>\n", esc(rem));
    }
    if l.non_commercial() + l.non_spdx() + l.missing() > 0 {
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
            "<p class=\"nr\">No software dependency is recorded.</p>\n</section>\n"
        );
        return;
    }
    let unpinned = d.iter().filter(|x| !x.pinned).count();
    w!(
        h,
        "<p>Components: {}; without a pinned version: {unpinned}.</p>\n<table><thead><tr><th>Name</th><th>Type</th><th>Version</th><th>Package URL</th><th>Pinned</th><th>Used by the model</th></tr></thead><tbody>\n",
        d.len()
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
                .unwrap_or_else(|| nr().into()),
            if x.pinned {
                badge("b-ok", "pinned")
            } else {
                badge("b-warn", "unpinned")
            },
            if x.direct { "directly" } else { "—" }
        );
    }
    w!(h, "</tbody></table>\n");
    if unpinned > 0 {
        h.push_str(&gap_line(&DEPENDENCY_GAP));
    }
    w!(h, "</section>\n");
}

pub(super) fn templates(h: &mut String, r: &AuditReport) {
    section(h, "templates");
    let p = &r.prompts;
    w!(h, "<table class=\"kv\"><tbody>\n");
    w!(
        h,
        "<tr><th scope=\"row\">Chat template</th><td>{}</td></tr>\n",
        match &p.chat_template_flag {
            Some(v) => format!(
                "{} <span class=\"muted\">(cdx:ai-ml:model:template:chat)</span>",
                esc(v)
            ),
            None if !p.templates.is_empty() => "yes (template component)".into(),
            None => nr().into(),
        }
    );
    w!(
        h,
        "<tr><th scope=\"row\">Remote code (trust_remote_code)</th><td>{}</td></tr>\n",
        match &p.remote_code_flag {
            Some(v) => format!(
                "{} <span class=\"muted\">(aibom:remote-code)</span>",
                badge("b-bad", v)
            ),
            None => "<span class=\"nr\">not flagged</span>".into(),
        }
    );
    w!(
        h,
        "<tr><th scope=\"row\">Python files in the release</th><td>{}</td></tr>\n",
        if p.python_files.is_empty() {
            "none".to_owned()
        } else {
            p.python_files
                .iter()
                .map(|f| format!("<span class=\"mono\">{}</span>", esc(f)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    w!(
        h,
        "<tr><th scope=\"row\">Files with a role</th><td>{}</td></tr>\n",
        if p.role_files.is_empty() {
            "none".to_owned()
        } else {
            p.role_files
                .iter()
                .map(|(f, r)| format!("<span class=\"mono\">{}</span> ({})", esc(f), esc(r)))
                .collect::<Vec<_>>()
                .join("<br>")
        }
    );
    w!(h, "</tbody></table>\n");
    if !p.templates.is_empty() {
        w!(
            h,
            "<table><thead><tr><th>Template</th><th>Source</th><th>Length</th><th>SHA-256</th></tr></thead><tbody>\n"
        );
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
                    .map(|l| format!("{} chars", esc(l)))
                    .unwrap_or_default(),
                t.sha256
                    .as_ref()
                    .map(|d| format!("<span class=\"mono digest\">{}</span>", esc(d)))
                    .unwrap_or_else(|| nr().into())
            );
        }
        w!(h, "</tbody></table>\n");
    }
    if p.findings.is_empty() {
        w!(
            h,
            "<p class=\"muted\">No finding about templates or remote code.</p>\n"
        );
    } else {
        let ids: Vec<String> = p
            .findings
            .iter()
            .filter_map(|i| {
                r.findings
                    .rows
                    .get(*i)
                    .map(|f| format!("#{} {}", i + 1, f.id))
            })
            .collect();
        w!(
            h,
            "<p><strong>Findings:</strong> {} (see Findings).</p>\n",
            esc(&ids.join(", "))
        );
    }
    w!(h, "</section>\n");
}
