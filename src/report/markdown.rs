//! [`AuditReport`] -> Markdown with the same sections as the HTML report (GitHub-flavoured
//! tables; the lineage as a nested list). Strings from the AIBOM are untrusted: [`md`] escapes
//! Markdown punctuation and HTML, so nothing in a model name becomes a link, markup or a new
//! table cell.

use super::auditor::*;
use crate::finding::Severity;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// Escapes text for Markdown: HTML characters as entities, Markdown punctuation with a
/// backslash, line breaks as spaces.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Line breaks and every other control (escape sequences for whoever `cat`s the
            // file) become a space.
            c if c.is_control() => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span when `s` can be one safely (no backtick, pipe or control), else [`md`].
fn code(s: &str) -> String {
    if s.is_empty() || s.contains(['`', '|']) || s.chars().any(char::is_control) {
        md(s)
    } else {
        format!("`{s}`")
    }
}

fn opt(v: &Option<String>) -> String {
    v.as_deref()
        .map(md)
        .unwrap_or_else(|| "*not recorded*".into())
}

fn opt_code(v: &Option<String>) -> String {
    v.as_deref()
        .map(code)
        .unwrap_or_else(|| "*not recorded*".into())
}

fn dash(v: &[&str]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        md(&v.join(", "))
    }
}

fn cwes(c: &[u32]) -> String {
    if c.is_empty() {
        return "—".into();
    }
    c.iter()
        .map(|n| format!("CWE-{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn gap_line(s: &mut String, g: &GapMapping) {
    let mut parts = Vec::new();
    if !g.atlas.is_empty() {
        parts.push(format!("MITRE ATLAS {}", g.atlas.join(", ")));
    }
    if !g.owasp.is_empty() {
        parts.push(format!("OWASP LLM Top 10 2025 {}", g.owasp.join(", ")));
    }
    if !g.nist.is_empty() {
        parts.push(format!("NIST AI RMF {}", g.nist.join(", ")));
    }
    if !g.eu_ai_act.is_empty() {
        parts.push(format!("EU AI Act {}", g.eu_ai_act.join(", ")));
    }
    w!(s, "\nMaps to ({}): {}.\n", md(g.gap), md(&parts.join("; ")));
}

fn heading(s: &mut String, id: &str) {
    let title = SECTIONS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| *t)
        .unwrap_or(id);
    w!(s, "\n## {title}\n\n");
}

/// Renders the report.
pub fn render(r: &AuditReport, out: &mut impl Write) -> io::Result<()> {
    out.write_all(to_string(r).as_bytes())
}

pub fn to_string(r: &AuditReport) -> String {
    let mut s = String::new();
    let id = &r.identity;
    w!(
        s,
        "# AIBOM audit report: {}\n",
        md(id.name.as_deref().unwrap_or("(unnamed model)"))
    );
    let mut sub = Vec::new();
    if let Some(v) = &id.version {
        sub.push(format!("version {}", md(v)));
    }
    if let Some(f) = &id.file_name {
        sub.push(format!("from {}", code(f)));
    }
    if let Some(d) = &id.file_sha256 {
        sub.push(format!("AIBOM SHA-256 {}", code(d)));
    }
    if !sub.is_empty() {
        w!(s, "\n{}\n", sub.join(" · "));
    }
    summary(&mut s, r);
    identity(&mut s, r);
    lineage(&mut s, r);
    files(&mut s, r);
    datasets(&mut s, r);
    licences(&mut s, r);
    dependencies(&mut s, r);
    templates(&mut s, r);
    findings(&mut s, r);
    exceptions(&mut s, r);
    approvals(&mut s, r);
    completeness(&mut s, r);
    appendix(&mut s);
    if !r.notes.is_empty() {
        w!(s, "\n### Reading notes\n\n");
        for n in &r.notes {
            w!(s, "- {}\n", md(n));
        }
    }
    w!(
        s,
        "\n---\n\nWritten by aibom {} from the AIBOM alone: nothing was fetched, and the report carries no date of its own.\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

fn summary(s: &mut String, r: &AuditReport) {
    heading(s, "summary");
    let f = &r.findings;
    let findings = if !f.recorded {
        "not recorded".to_owned()
    } else if f.rows.is_empty() {
        "none".to_owned()
    } else {
        let parts: Vec<String> = f
            .by_severity()
            .iter()
            .map(|(sev, n)| format!("{n} {}", severity_label(*sev)))
            .collect();
        format!(
            "{} open of {} ({})",
            f.open(),
            f.rows.len(),
            parts.join(", ")
        )
    };
    let c = &r.completeness;
    let ds = &r.datasets.rows;
    let unknown = ds
        .iter()
        .filter(|d| !d.missing.is_empty() || d.unknown.is_some())
        .count();
    let l = &r.licenses;
    let model_lic: Vec<String> = l
        .rows
        .iter()
        .filter(|x| x.role == "this model")
        .filter_map(|x| x.license.clone())
        .collect();
    let unpinned = r.dependencies.iter().filter(|d| !d.pinned).count();
    let p = &r.prompts;
    let chat = p.chat_template_flag.is_some() || !p.templates.is_empty();
    let remote =
        p.remote_code_flag.is_some() || p.role_files.iter().any(|(_, r)| r == "remote-code");
    let sigs = match &r.approvals {
        None => "not given".to_owned(),
        Some(a) => format!(
            "{} of {} valid, {} bind this AIBOM",
            a.iter().filter(|x| x.valid).count(),
            a.len(),
            a.iter()
                .filter(|x| x.attestation == AttestationState::Binds)
                .count()
        ),
    };
    w!(s, "| | |\n|---|---|\n");
    w!(s, "| Findings | {} |\n", md(&findings));
    w!(
        s,
        "| Completeness score | **{} / 100** ({} of {} applicable typed fields) |\n",
        c.score,
        c.present,
        c.applicable
    );
    w!(
        s,
        "| Datasets | {} |\n",
        if ds.is_empty() {
            "none named".to_owned()
        } else {
            format!(
                "{} named, {unknown} with unknown provenance, licence or classification",
                ds.len()
            )
        }
    );
    w!(
        s,
        "| Model licence | {} ({} non-commercial, {} not SPDX, {} without licence) |\n",
        if model_lic.is_empty() {
            "*not recorded*".to_owned()
        } else {
            md(&model_lic.join(", "))
        },
        l.non_commercial(),
        l.non_spdx(),
        l.missing()
    );
    w!(
        s,
        "| Dependencies | {}, {unpinned} unpinned |\n",
        r.dependencies.len()
    );
    w!(
        s,
        "| Chat template / remote code | {} / {} |\n",
        if chat { "yes" } else { "no" },
        if remote { "yes" } else { "no" }
    );
    w!(s, "| Signatures | {} |\n", md(&sigs));
    if let Some((_, v)) = r.identity.scan.iter().find(|(k, _)| k == "verdict") {
        w!(s, "| Inspection verdict | {} |\n", md(v));
    }
    w!(
        s,
        "\nDigests, formats and findings were computed from the bytes by the tool that wrote the AIBOM; licences, datasets, base models and model-card fields are the authors' declarations.\n"
    );
}

fn identity(s: &mut String, r: &AuditReport) {
    heading(s, "identity");
    let id = &r.identity;
    let list = |v: &[String]| {
        if v.is_empty() {
            "*not recorded*".to_owned()
        } else {
            md(&v.join(", "))
        }
    };
    let tools: Vec<String> = id
        .tools
        .iter()
        .map(|t| {
            let mut x = t.name.clone();
            if let Some(v) = &t.version {
                w!(x, " {v}");
            }
            if let Some(p) = &t.policy_version {
                w!(x, " (policy {p})");
            }
            x
        })
        .collect();
    let mut rows = vec![
        ("Name", opt(&id.name)),
        ("Version / revision", opt(&id.version)),
        ("Package URL", opt_code(&id.purl)),
        ("Kind", opt(&id.kind)),
        ("Component type", opt(&id.component_type)),
        ("bom-ref", opt_code(&id.bom_ref)),
        ("Provider", list(&id.provider)),
        ("Description", opt(&id.description)),
        ("Task", opt(&id.task)),
        ("Architecture", opt(&id.architecture)),
        ("Parameters", opt(&id.parameters)),
    ];
    if !id.tags.is_empty() {
        rows.push(("Tags", md(&id.tags.join(", "))));
    }
    rows.extend([
        ("Serial number", opt_code(&id.serial)),
        ("BOM version", opt(&id.bom_version)),
        ("CycloneDX spec version", opt(&id.spec_version)),
        ("Timestamp", opt(&id.timestamp)),
        ("Lifecycle", list(&id.lifecycles)),
        ("Generated by", list(&tools)),
    ]);
    if !id.scan.is_empty() {
        let v: Vec<String> = id.scan.iter().map(|(k, v)| format!("{k} {v}")).collect();
        rows.push(("Inspection", md(&v.join(", "))));
    }
    if let Some(f) = &id.file_name {
        rows.push(("AIBOM file", code(f)));
    }
    if let Some(d) = &id.file_sha256 {
        rows.push(("AIBOM SHA-256", code(d)));
    }
    w!(s, "| Field | Value |\n|---|---|\n");
    for (k, v) in rows {
        w!(s, "| {k} | {v} |\n");
    }
}

/// The lineage as a tree rooted at the model: each node lists what it was derived from.
fn lineage(s: &mut String, r: &AuditReport) {
    heading(s, "lineage");
    let l = &r.lineage;
    let Some(subject) = l.subject() else {
        w!(s, "*not recorded*\n");
        return;
    };
    fn walk(
        s: &mut String,
        l: &Lineage,
        i: usize,
        label: Option<&str>,
        depth: usize,
        seen: &mut Vec<usize>,
    ) {
        let Some(n) = l.nodes.get(i) else { return };
        let indent = "  ".repeat(depth);
        let name = if n.kind == NodeKind::Subject {
            format!("**{}**", md(&n.name))
        } else {
            md(&n.name)
        };
        let mut line = match label {
            Some(_) if matches!(n.kind, NodeKind::Dataset | NodeKind::More) => {
                format!(
                    "{indent}- trained or evaluated on {name} — {}",
                    md(&n.detail)
                )
            }
            Some(lbl) => format!(
                "{indent}- derived from {name} — {} · relation: {}",
                md(&n.detail),
                md(lbl)
            ),
            None => format!("{indent}- {name} — {}", md(&n.detail)),
        };
        if let Some(p) = &n.purl {
            w!(line, " ({})", code(p));
        }
        if n.flagged {
            line.push_str(" ⚠");
        }
        w!(s, "{line}\n");
        if seen.contains(&i) || depth > 12 {
            return;
        }
        seen.push(i);
        let mut parents: Vec<&LineageEdge> = l.edges.iter().filter(|e| e.to == i).collect();
        parents.sort_by_key(|e| {
            l.nodes.get(e.from).map(|n| {
                (
                    n.kind == NodeKind::Dataset || n.kind == NodeKind::More,
                    n.name.clone(),
                )
            })
        });
        for e in parents {
            walk(s, l, e.from, Some(&e.label), depth + 1, seen);
        }
        seen.pop();
    }
    walk(s, l, subject, None, 0, &mut Vec::new());
    if !l.nodes.iter().any(|n| n.kind == NodeKind::Model) {
        w!(
            s,
            "\n*No base model is recorded (pedigree.ancestors and model dependencies are empty): trained from scratch, or not declared.*\n"
        );
    }
    w!(
        s,
        "\nRead upwards: each entry lists what the model above it was derived from (base models, labelled with the relation) or trained on (datasets). ⚠ marks an unknown identity or provenance. Built from `pedigree.ancestors`, base-model components and `dependencies`.\n"
    );
}

fn files(s: &mut String, r: &AuditReport) {
    heading(s, "files");
    let f = &r.files;
    if !f.recorded {
        w!(s, "*Not recorded* (no `file` components).\n");
        return;
    }
    let missing = f.without_digest();
    w!(
        s,
        "{}{}; {}.\n\n",
        plural(f.rows.len(), "file", "files"),
        f.total_size
            .map(|x| format!(", {} in total", human_size(x)))
            .unwrap_or_default(),
        if missing == 0 {
            "every file has a SHA-256 digest".to_owned()
        } else {
            format!("**{missing} without a digest**")
        }
    );
    w!(
        s,
        "| Path | Size | Format | Verdict | Role | Digest |\n|---|---|---|---|---|---|\n"
    );
    for x in &f.rows {
        let digest = match x.hashes.first() {
            Some((alg, hex)) if alg == "SHA-256" => code(hex),
            Some((alg, hex)) => format!("{}: {}", md(alg), code(hex)),
            None => "**no digest**".into(),
        };
        let verdict = match x.verdict.as_deref() {
            Some("unsafe") => "**unsafe**".to_owned(),
            Some(v) => md(v),
            None => String::new(),
        };
        w!(
            s,
            "| {} | {} | {} | {verdict} | {} | {digest} |\n",
            code(&x.path),
            x.size.map(human_size).unwrap_or_default(),
            x.format.as_deref().map(md).unwrap_or_default(),
            x.role.as_deref().map(md).unwrap_or_default(),
        );
    }
}

fn datasets(s: &mut String, r: &AuditReport) {
    heading(s, "datasets");
    let ds = &r.datasets.rows;
    if ds.is_empty() {
        w!(
            s,
            "*No dataset is recorded*: the training and evaluation data are unknown.\n"
        );
        gap_line(s, &DATASET_GAP);
        return;
    }
    w!(
        s,
        "| Dataset | Licence | Provenance | Classification | Sensitive data | What is unknown |\n|---|---|---|---|---|---|\n"
    );
    let mut any_gap = false;
    for d in ds {
        any_gap |= !d.missing.is_empty() || d.unknown.is_some();
        let mut name = md(&d.name);
        if let Some(v) = &d.version {
            w!(name, " {}", md(v));
        }
        if let Some(role) = &d.role {
            w!(name, " (role: {})", md(role));
        }
        let mut prov: Vec<String> = d.owners.iter().map(|o| md(o)).collect();
        if let Some(u) = &d.source_url {
            prov.push(code(u));
        }
        if let Some(p) = &d.provenance_note {
            prov.push(format!("{} (property)", md(p)));
        }
        let mut unknown: Vec<String> = Vec::new();
        if d.unresolved {
            unknown.push("**not described in the AIBOM**".into());
        }
        unknown.extend(d.missing.iter().map(|m| format!("**{m}**")));
        if let Some(u) = &d.unknown {
            unknown.push(md(u));
        }
        let or_nr = |v: Vec<String>, sep: &str| {
            if v.is_empty() {
                "*not recorded*".to_owned()
            } else {
                v.join(sep)
            }
        };
        w!(
            s,
            "| {name} | {} | {} | {} | {} | {} |\n",
            or_nr(d.licenses.iter().map(|x| md(x)).collect(), ", "),
            or_nr(prov, "; "),
            opt(&d.classification),
            or_nr(d.sensitive_data.iter().map(|x| md(x)).collect(), ", "),
            if unknown.is_empty() {
                "nothing".to_owned()
            } else {
                unknown.join("; ")
            }
        );
    }
    if any_gap {
        gap_line(s, &DATASET_GAP);
    }
}

fn licences(s: &mut String, r: &AuditReport) {
    heading(s, "licences");
    let l = &r.licenses;
    let recorded = l.rows.iter().filter(|x| x.license.is_some()).count();
    w!(
        s,
        "Licences recorded: {recorded}. Non-commercial: **{}**; not SPDX identifiers (free-text names): **{}**; components without a licence: **{}**.\n\n",
        l.non_commercial(),
        l.non_spdx(),
        l.missing()
    );
    w!(
        s,
        "| Component | Role | Licence | Kind | Attention |\n|---|---|---|---|---|\n"
    );
    for x in &l.rows {
        let mut flags = Vec::new();
        if x.non_commercial {
            flags.push("**NON-COMMERCIAL**");
        }
        if x.license.is_some() && !x.spdx {
            flags.push("**not SPDX**");
        }
        if x.license.is_none() {
            flags.push("**no licence**");
        }
        let mut lic = opt(&x.license);
        if let Some(u) = &x.url {
            w!(lic, " ({})", code(u));
        }
        w!(
            s,
            "| {} | {} | {lic} | {} | {} |\n",
            md(&x.component),
            md(&x.role),
            match (&x.license, x.spdx) {
                (None, _) => "—",
                (Some(_), true) => "SPDX",
                (Some(_), false) => "name only",
            },
            flags.join(", ")
        );
    }
    for rem in &l.remarks {
        w!(s, "\n{}\n", md(rem));
    }
    if l.non_commercial() + l.non_spdx() + l.missing() > 0 {
        gap_line(s, &LICENSE_GAP);
    }
}

fn dependencies(s: &mut String, r: &AuditReport) {
    heading(s, "dependencies");
    let d = &r.dependencies;
    if d.is_empty() {
        w!(s, "*No software dependency is recorded.*\n");
        return;
    }
    let unpinned = d.iter().filter(|x| !x.pinned).count();
    w!(
        s,
        "Components: {}; without a pinned version: {unpinned}.\n\n| Name | Type | Version | Package URL | Pinned | Used by the model |\n|---|---|---|---|---|---|\n",
        d.len()
    );
    for x in d {
        w!(
            s,
            "| {} | {} | {} | {} | {} | {} |\n",
            md(&x.name),
            md(&x.kind),
            opt(&x.version),
            opt_code(&x.purl),
            if x.pinned { "pinned" } else { "**unpinned**" },
            if x.direct { "directly" } else { "—" }
        );
    }
    if unpinned > 0 {
        gap_line(s, &DEPENDENCY_GAP);
    }
}

fn templates(s: &mut String, r: &AuditReport) {
    heading(s, "templates");
    let p = &r.prompts;
    w!(s, "| | |\n|---|---|\n");
    w!(
        s,
        "| Chat template | {} |\n",
        match &p.chat_template_flag {
            Some(v) => format!("{} (`cdx:ai-ml:model:template:chat`)", md(v)),
            None if !p.templates.is_empty() => "yes (template component)".into(),
            None => "*not recorded*".into(),
        }
    );
    w!(
        s,
        "| Remote code (trust_remote_code) | {} |\n",
        match &p.remote_code_flag {
            Some(v) => format!("**{}** (`aibom:remote-code`)", md(v)),
            None => "*not flagged*".into(),
        }
    );
    w!(
        s,
        "| Python files in the release | {} |\n",
        if p.python_files.is_empty() {
            "none".to_owned()
        } else {
            p.python_files
                .iter()
                .map(|f| code(f))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    w!(
        s,
        "| Files with a role | {} |\n",
        if p.role_files.is_empty() {
            "none".to_owned()
        } else {
            p.role_files
                .iter()
                .map(|(f, r)| format!("{} ({})", code(f), md(r)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if !p.templates.is_empty() {
        w!(
            s,
            "\n| Template | Source | Length | SHA-256 |\n|---|---|---|---|\n"
        );
        for t in &p.templates {
            w!(
                s,
                "| {} | {} | {} | {} |\n",
                md(&t.name),
                opt(&t.source),
                t.length
                    .as_deref()
                    .map(|l| format!("{} chars", md(l)))
                    .unwrap_or_default(),
                opt_code(&t.sha256)
            );
        }
    }
    if p.findings.is_empty() {
        w!(s, "\nNo finding about templates or remote code.\n");
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
            s,
            "\n**Findings:** {} (see Findings).\n",
            md(&ids.join(", "))
        );
    }
}

fn findings(s: &mut String, r: &AuditReport) {
    heading(s, "findings");
    let f = &r.findings;
    if !f.recorded {
        w!(
            s,
            "*Not recorded*: the AIBOM has no vulnerabilities section.\n"
        );
        return;
    }
    if f.rows.is_empty() {
        w!(
            s,
            "No finding: the inspection recorded nothing to report.\n"
        );
        return;
    }
    let counts: Vec<String> = f
        .by_severity()
        .iter()
        .map(|(sev, n)| format!("{n} {}", severity_label(*sev)))
        .collect();
    w!(
        s,
        "{}, {} open ({}).\n\n| # | Severity | Finding | Affected file | What and evidence | CWE | Status |\n|---|---|---|---|---|---|---|\n",
        plural(f.rows.len(), "finding", "findings"),
        f.open(),
        counts.join(", ")
    );
    for (i, x) in f.rows.iter().enumerate() {
        let mut loc = if x.affected.is_empty() {
            "*not recorded*".to_owned()
        } else {
            x.affected
                .iter()
                .map(|a| code(a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(m) = &x.member {
            w!(loc, " member {}", code(m));
        }
        if let Some(o) = &x.offset {
            w!(loc, " offset {}", md(o));
        }
        let mut what = x.description.as_deref().map(md).unwrap_or_default();
        if let Some(d) = &x.detail {
            w!(what, " — {}", md(d));
        }
        let sev = severity_label(x.severity);
        w!(
            s,
            "| {} | {} | {} | {loc} | {what} | {} | {} |\n",
            i + 1,
            if x.severity >= Some(Severity::High) {
                format!("**{sev}**")
            } else {
                sev.to_owned()
            },
            code(&x.id),
            cwes(&x.cwes),
            if x.accepted { "accepted" } else { "open" }
        );
    }
    let codes = f.codes();
    w!(s, "\n### Mapping of these findings\n\n");
    if codes.is_empty() {
        w!(
            s,
            "None of these findings carries an aibom finding code, so none is mapped.\n"
        );
    } else {
        w!(
            s,
            "| Finding code | CWE | MITRE ATLAS | OWASP LLM Top 10 (2025) | NIST AI RMF 1.0 | EU AI Act |\n|---|---|---|---|---|---|\n"
        );
        for c in codes {
            let Some(m) = mapping(c) else { continue };
            let named = |ids: &[&str], name: fn(&str) -> Option<&'static str>| {
                if ids.is_empty() {
                    "—".to_owned()
                } else {
                    md(&ids
                        .iter()
                        .map(|i| labelled(i, name(i)))
                        .collect::<Vec<_>>()
                        .join("; "))
                }
            };
            let cwe: Vec<String> = m
                .cwe
                .iter()
                .map(|n| labelled(&format!("CWE-{n}"), cwe_name(*n)))
                .collect();
            w!(
                s,
                "| {} | {} | {} | {} | {} | {} |\n",
                code(c.as_str()),
                if cwe.is_empty() {
                    "—".to_owned()
                } else {
                    md(&cwe.join("; "))
                },
                named(m.atlas, atlas_name),
                named(m.owasp, owasp_name),
                named(m.nist, nist_name),
                dash(m.eu_ai_act)
            );
        }
    }
    let unmapped: BTreeSet<&str> = f
        .rows
        .iter()
        .filter(|x| x.code.is_none())
        .map(|x| x.id.as_str())
        .collect();
    if !unmapped.is_empty() {
        w!(
            s,
            "\nNot mapped (not aibom finding codes): {}.\n",
            md(&unmapped.into_iter().collect::<Vec<_>>().join(", "))
        );
    }
}

fn exceptions(s: &mut String, r: &AuditReport) {
    heading(s, "exceptions");
    if r.exceptions.is_empty() {
        w!(
            s,
            "No exception: no finding of this AIBOM was accepted, and no exception is configured.\n"
        );
        return;
    }
    w!(
        s,
        "| Finding | Path | Reason | Expires | Owner | Recorded in | Applies here |\n|---|---|---|---|---|---|---|\n"
    );
    for x in &r.exceptions {
        let mut reason = opt(&x.reason);
        if let Some(a) = &x.analysis {
            w!(reason, " ({})", md(a));
        }
        if let Some(d) = &x.sha256 {
            w!(reason, " pinned to {}", code(d));
        }
        w!(
            s,
            "| {} | {} | {reason} | {} | {} | {} | {} |\n",
            code(&x.finding),
            opt_code(&x.path),
            x.expires
                .as_deref()
                .map(md)
                .unwrap_or_else(|| "no expiry".into()),
            opt(&x.owner),
            md(&x.source),
            match x.matches {
                None => "yes",
                Some(true) => "a finding matches",
                Some(false) => "no finding matches",
            }
        );
    }
    w!(
        s,
        "\nExpiry dates are shown as recorded; the report reads no clock.\n"
    );
}

fn approvals(s: &mut String, r: &AuditReport) {
    heading(s, "approvals");
    let Some(list) = &r.approvals else {
        w!(s, "*No signature was given* (`--signature`).\n");
        return;
    };
    w!(
        s,
        "| Signature | Signer | Signature check | Signed model digest | Signed files vs. this AIBOM | AIBOM attestation |\n|---|---|---|---|---|---|\n"
    );
    for a in list {
        let mut check = if a.valid {
            "valid".to_owned()
        } else {
            "**invalid**".to_owned()
        };
        if let Some(p) = &a.problem {
            w!(check, ": {}", md(p));
        }
        let inv = match (a.inventory_matches, &a.inventory) {
            (Some(true), Some(t)) => format!("match: {}", md(t)),
            (Some(false), Some(t)) => format!("**differ**: {}", md(t)),
            _ => "—".into(),
        };
        let att = match &a.attestation {
            AttestationState::Binds => "binds exactly this AIBOM".to_owned(),
            AttestationState::Missing => "no .bom attestation".to_owned(),
            AttestationState::Other(why) => format!("**does not bind this AIBOM**: {}", md(why)),
            AttestationState::Invalid(why) => format!("**invalid**: {}", md(why)),
        };
        w!(
            s,
            "| {}{} | {} | {check} | {} | {inv} | {att} |\n",
            code(&a.signature),
            a.method
                .as_deref()
                .map(|m| format!(" ({})", md(m)))
                .unwrap_or_default(),
            opt(&a.signer),
            a.model_digest
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "—".into()),
        );
    }
    w!(
        s,
        "\nA signature is checked against the configured trust only; `aibom verify DIR` recomputes the model digest from the files.\n"
    );
}

fn completeness(s: &mut String, r: &AuditReport) {
    heading(s, "completeness");
    let c = &r.completeness;
    w!(
        s,
        "**Score: {} / 100** ({} of {} applicable scored fields present).\n\n",
        c.score,
        c.present,
        c.applicable
    );
    for rule in SCORING_RULE {
        w!(s, "- {rule}\n");
    }
    w!(
        s,
        "\n| Asked for | Status | Found | CycloneDX field | Asked by |\n|---|---|---|---|---|\n"
    );
    let mut group = "";
    for f in &c.fields {
        if f.group != group {
            group = f.group;
            w!(s, "| **{}** | | | | |\n", md(group));
        }
        let mut st = f.status.as_str().to_owned();
        if f.status == Status::Unknown || f.status == Status::Partial {
            st = format!("**{st}**");
        }
        if !f.scored {
            st.push_str(" (not scored)");
        }
        w!(
            s,
            "| {} | {st} | {} | {} | {} |\n",
            md(f.ask),
            md(&f.detail),
            code(f.cdx),
            md(f.asked_by)
        );
    }
}

fn appendix(s: &mut String) {
    heading(s, "mapping");
    w!(
        s,
        "| Code | CWE | MITRE ATLAS | OWASP LLM | NIST AI RMF | EU AI Act |\n|---|---|---|---|---|---|\n"
    );
    for m in MAPPINGS {
        w!(
            s,
            "| {} | {} | {} | {} | {} | {} |\n",
            code(m.code.as_str()),
            cwes(m.cwe),
            dash(m.atlas),
            dash(m.owasp),
            dash(m.nist),
            dash(m.eu_ai_act)
        );
    }
    let atlas: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.atlas.iter().copied())
        .chain(DATASET_GAP.atlas.iter().copied())
        .collect();
    let owasp: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.owasp.iter().copied())
        .chain(DATASET_GAP.owasp.iter().copied())
        .collect();
    let nist: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.nist.iter().copied())
        .chain(DATASET_GAP.nist.iter().copied())
        .chain(LICENSE_GAP.nist.iter().copied())
        .collect();
    let legend = |ids: &BTreeSet<&str>, name: fn(&str) -> Option<&'static str>| {
        md(&ids
            .iter()
            .map(|i| labelled(i, name(i)))
            .collect::<Vec<_>>()
            .join("; "))
    };
    w!(s, "\nMITRE ATLAS: {}.\n", legend(&atlas, atlas_name));
    w!(
        s,
        "\nOWASP Top 10 for LLM Applications 2025: {}.\n",
        legend(&owasp, owasp_name)
    );
    w!(s, "\nNIST AI RMF 1.0: {}.\n", legend(&nist, nist_name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(md("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(md("a|b [l](u) *x* `c`"), "a\\|b \\[l\\](u) \\*x\\* \\`c\\`");
        assert_eq!(md("two\nlines"), "two lines");
        assert_eq!(code("a|b"), "a\\|b");
        assert_eq!(code("pkg:pypi/x"), "`pkg:pypi/x`");
    }

    #[test]
    fn a_hostile_model_name_is_escaped() {
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX",
            "metadata": {"component": {"name": "<script>alert(1)</script> | [x](javascript:y)"}}
        });
        let text = to_string(&read(&doc, Inputs::default()).unwrap());
        assert!(!text.contains("<script>"));
        assert!(!text.contains("[x](javascript"));
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| \\[x\\](javascript:y)"));
    }
}
