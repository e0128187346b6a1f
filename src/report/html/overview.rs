//! The summary cards and the model's identity.

use super::{esc, nr, opt, section};
use crate::finding::Severity;
use crate::report::auditor::*;
use std::fmt::Write as _;

pub(super) fn summary(h: &mut String, r: &AuditReport) {
    section(h, "summary");
    w!(h, "<div class=\"cards\">\n");
    let card = |h: &mut String, class: &str, k: &str, v: &str, d: &str| {
        w!(
            h,
            "<div class=\"card {class}\"><div class=\"k\">{}</div><div class=\"v\">{v}</div><div class=\"d\">{d}</div></div>\n",
            esc(k)
        );
    };
    // Findings.
    let f = &r.findings;
    let open_bad = f
        .rows
        .iter()
        .filter(|x| !x.accepted && x.severity >= Some(Severity::High))
        .count();
    let (class, v, d) = if !f.recorded {
        (
            "warn",
            "not recorded".to_owned(),
            "the AIBOM has no findings section".to_owned(),
        )
    } else if f.rows.is_empty() {
        (
            "ok",
            "none".to_owned(),
            "no inspection finding recorded".to_owned(),
        )
    } else {
        let parts: Vec<String> = f
            .by_severity()
            .iter()
            .map(|(s, n)| format!("{n} {}", severity_label(*s)))
            .collect();
        (
            if open_bad > 0 { "bad" } else { "warn" },
            format!("{} open", f.open()),
            format!("{} in all: {}", f.rows.len(), parts.join(", ")),
        )
    };
    card(
        h,
        class,
        "Findings",
        &esc(&v).to_string(),
        &esc(&d).to_string(),
    );
    let c = &r.completeness;
    card(
        h,
        if c.score >= 70 {
            "ok"
        } else if c.score >= 40 {
            "warn"
        } else {
            "bad"
        },
        "Completeness score",
        &format!("<span class=\"score-value\">{} / 100</span>", c.score),
        &format!(
            "{} of {} applicable typed fields present",
            c.present, c.applicable
        ),
    );
    // Datasets.
    let ds = &r.datasets.rows;
    let unknown = ds
        .iter()
        .filter(|d| !d.missing.is_empty() || d.unknown.is_some())
        .count();
    let (class, v, d) = if ds.is_empty() {
        (
            "warn",
            "none named".to_owned(),
            "training data is not recorded".to_owned(),
        )
    } else {
        (
            if unknown > 0 { "warn" } else { "ok" },
            format!("{} named", ds.len()),
            format!("{unknown} with unknown provenance, licence or classification"),
        )
    };
    card(
        h,
        class,
        "Datasets",
        &esc(&v).to_string(),
        &esc(&d).to_string(),
    );
    // Licences.
    let l = &r.licenses;
    let model_lic: Vec<String> = l
        .rows
        .iter()
        .filter(|x| x.role == "this model")
        .filter_map(|x| x.license.clone())
        .collect();
    let flagged = l.non_commercial() + l.non_spdx() + l.missing();
    card(
        h,
        if l.non_commercial() > 0 || model_lic.is_empty() {
            "bad"
        } else if flagged > 0 {
            "warn"
        } else {
            "ok"
        },
        "Model licence",
        &if model_lic.is_empty() {
            "not recorded".to_owned()
        } else {
            esc(&model_lic.join(", ")).to_string()
        },
        &format!(
            "{} non-commercial, {} not SPDX, {} without licence",
            l.non_commercial(),
            l.non_spdx(),
            l.missing()
        ),
    );
    // Dependencies.
    let unpinned = r.dependencies.iter().filter(|d| !d.pinned).count();
    card(
        h,
        if unpinned > 0 { "warn" } else { "ok" },
        "Dependencies",
        &format!("{}", r.dependencies.len()),
        &format!("{unpinned} without a pinned version"),
    );
    // Templates and code.
    let p = &r.prompts;
    let chat = p.chat_template_flag.is_some() || !p.templates.is_empty();
    let remote =
        p.remote_code_flag.is_some() || p.role_files.iter().any(|(_, r)| r == "remote-code");
    card(
        h,
        if remote || !p.findings.is_empty() {
            "warn"
        } else {
            "ok"
        },
        "Chat template / remote code",
        &format!(
            "{} / {}",
            if chat { "yes" } else { "no" },
            if remote { "yes" } else { "no" }
        ),
        &format!("{} Python files in the release", p.python_files.len()),
    );
    // Approvals.
    match &r.approvals {
        None => card(
            h,
            "warn",
            "Signatures",
            "not given",
            "no --signature was given",
        ),
        Some(a) => {
            let valid = a.iter().filter(|x| x.valid).count();
            let bound = a
                .iter()
                .filter(|x| x.attestation == AttestationState::Binds)
                .count();
            card(
                h,
                if valid == a.len() && valid > 0 {
                    "ok"
                } else {
                    "bad"
                },
                "Signatures",
                &format!("{valid} of {} valid", a.len()),
                &format!("{bound} bind this AIBOM"),
            );
        }
    }
    if let Some((_, v)) = r.identity.scan.iter().find(|(k, _)| k == "verdict") {
        card(
            h,
            if v == "clean" { "ok" } else { "bad" },
            "Inspection verdict",
            &esc(v).to_string(),
            "as recorded by the generating tool",
        );
    }
    w!(h, "</div>\n");
    w!(
        h,
        "<p class=\"muted\">Digests, formats and findings were computed from the bytes by the tool that wrote the AIBOM; licences, datasets, base models and model-card fields are the authors' declarations and are shown as declared.</p>\n</section>\n"
    );
}

pub(super) fn identity(h: &mut String, r: &AuditReport) {
    section(h, "identity");
    let id = &r.identity;
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", opt(&id.name)),
        ("Version / revision", opt(&id.version)),
        (
            "Package URL",
            id.purl
                .as_ref()
                .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                .unwrap_or_else(|| nr().into()),
        ),
        ("Kind", opt(&id.kind)),
        ("Component type", opt(&id.component_type)),
        ("bom-ref", opt(&id.bom_ref)),
        (
            "Provider",
            if id.provider.is_empty() {
                nr().into()
            } else {
                esc(&id.provider.join("; ")).to_string()
            },
        ),
        ("Description", opt(&id.description)),
        ("Task", opt(&id.task)),
        ("Architecture", opt(&id.architecture)),
        ("Parameters", opt(&id.parameters)),
    ];
    if !id.tags.is_empty() {
        rows.push(("Tags", esc(&id.tags.join(", ")).to_string()));
    }
    let model_rows = std::mem::take(&mut rows);
    rows.extend([
        (
            "Serial number",
            id.serial
                .as_ref()
                .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                .unwrap_or_else(|| nr().into()),
        ),
        ("BOM version", opt(&id.bom_version)),
        ("CycloneDX spec version", opt(&id.spec_version)),
        ("Timestamp", opt(&id.timestamp)),
        (
            "Lifecycle",
            if id.lifecycles.is_empty() {
                nr().into()
            } else {
                esc(&id.lifecycles.join(", ")).to_string()
            },
        ),
    ]);
    let tools = if id.tools.is_empty() {
        nr().to_owned()
    } else {
        id.tools
            .iter()
            .map(|t| {
                let mut s = esc(&t.name).to_string();
                if let Some(v) = &t.version {
                    w!(s, " {}", esc(v));
                }
                if let Some(p) = &t.policy_version {
                    w!(s, " (policy {})", esc(p));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    rows.push(("Generated by", tools));
    if !id.scan.is_empty() {
        let s: Vec<String> = id.scan.iter().map(|(k, v)| format!("{k} {v}")).collect();
        rows.push(("Inspection", esc(&s.join(", ")).to_string()));
    }
    if let Some(f) = &id.file_name {
        rows.push((
            "AIBOM file",
            format!("<span class=\"mono\">{}</span>", esc(f)),
        ));
    }
    if let Some(d) = &id.file_sha256 {
        rows.push((
            "AIBOM SHA-256",
            format!("<span class=\"mono digest\">{}</span>", esc(d)),
        ));
    }
    w!(h, "<div class=\"kv2\">\n");
    for (caption, rows) in [("The model", model_rows), ("The AIBOM", rows)] {
        w!(
            h,
            "<table class=\"kv\"><caption>{caption}</caption><tbody>\n"
        );
        for (k, v) in rows {
            w!(
                h,
                "<tr><th scope=\"row\">{}</th><td>{v}</td></tr>\n",
                esc(k)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "</div>\n</section>\n");
}
