//! [`AuditReport`] -> Markdown with the same sections as the HTML report (GitHub-flavoured
//! tables; the lineage as a nested list). The words come from [`prose`]; this file keeps the
//! Markdown. Strings from the AIBOM are untrusted: [`md`] escapes Markdown punctuation and HTML,
//! so nothing in a model name becomes a link, markup or a new table cell.

use super::auditor::prose::{self, Cell, Look, Markup, Tone};
use super::auditor::*;
use crate::finding::Severity;
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

/// The Markdown of the shared sentences.
struct Md;

impl Markup for Md {
    fn strong(&self, s: &str) -> String {
        format!("**{s}**")
    }
    fn code(&self, s: &str) -> String {
        code(s)
    }
}

/// How a value the AIBOM does not record is shown.
fn nr() -> String {
    format!("*{NOT_RECORDED}*")
}

/// A sentence shown in place of a section's content.
fn empty(s: &mut String, sentence: &str) {
    w!(s, "*{sentence}*\n");
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(md).unwrap_or_else(nr)
}

fn opt_code(v: &Option<String>) -> String {
    v.as_deref().map(code).unwrap_or_else(nr)
}

/// `text` in the look it asks for.
fn look(text: &str, look: Look) -> String {
    match look {
        Look::Text => md(text),
        Look::Mono | Look::Ref | Look::Digest => code(text),
    }
}

/// A labelled value.
fn cell(c: &Cell) -> String {
    match c {
        Cell::NotRecorded => nr(),
        Cell::Text(s, l) => look(s, *l),
        Cell::Lines(v) => md(&v.join(", ")),
    }
}

/// A table's header row and rule.
fn head(cols: &[&str]) -> String {
    let mut s = String::from("|");
    for c in cols {
        w!(s, " {c} |");
    }
    s.push_str("\n|");
    for _ in cols {
        s.push_str("---|");
    }
    s.push('\n');
    s
}

fn dash(v: &[&str]) -> String {
    if v.is_empty() {
        prose::NONE_DASH.into()
    } else {
        md(&v.join(", "))
    }
}

/// Entries joined with `sep` and escaped; a dash when there are none.
fn joined(v: &[String], sep: &str) -> String {
    if v.is_empty() {
        prose::NONE_DASH.into()
    } else {
        md(&v.join(sep))
    }
}

fn gap_line(s: &mut String, g: &GapMapping) {
    w!(s, "\n{}\n", md(&prose::gap_mapping(g)));
}

fn heading(s: &mut String, id: &str) {
    w!(s, "\n## {}\n\n", prose::section_title(id));
}

/// Renders the report.
pub fn render(r: &AuditReport, out: &mut impl Write) -> io::Result<()> {
    out.write_all(to_string(r).as_bytes())
}

pub fn to_string(r: &AuditReport) -> String {
    let mut s = String::new();
    w!(s, "# {}: {}\n", prose::TITLE, md(prose::model_name(r)));
    let sub: Vec<String> = prose::subtitle(&r.identity)
        .into_iter()
        .map(|(words, value, l)| format!("{words} {}", look(value, l)))
        .collect();
    if !sub.is_empty() {
        w!(s, "\n{}\n", sub.join(prose::SUBTITLE_SEPARATOR));
    }
    summary(&mut s, r);
    identity(&mut s, r);
    lineage(&mut s, r);
    files(&mut s, r);
    release(&mut s, r);
    datasets(&mut s, r);
    licences(&mut s, r);
    dependencies(&mut s, r);
    templates(&mut s, r);
    findings(&mut s, r);
    exceptions(&mut s, r);
    approvals(&mut s, r);
    ledger(&mut s, r);
    completeness(&mut s, r);
    appendix(&mut s);
    if !r.notes.is_empty() {
        w!(s, "\n### {}\n\n", prose::READING_NOTES);
        for n in &r.notes {
            w!(s, "- {}\n", md(n));
        }
    }
    w!(s, "\n---\n\n{}\n", prose::footer());
    s
}

fn summary(s: &mut String, r: &AuditReport) {
    heading(s, "summary");
    w!(s, "| | |\n|---|---|\n");
    for c in prose::summary(r) {
        let v = match &c.value {
            None => nr(),
            Some(v) if c.headline => format!("**{}**", md(v)),
            Some(v) => md(v),
        };
        w!(s, "| {} | {v} ({}) |\n", c.key, md(&c.detail));
    }
    w!(s, "\n{}\n", prose::SUMMARY_NOTE);
}

fn identity(s: &mut String, r: &AuditReport) {
    heading(s, "identity");
    w!(s, "| Field | Value |\n|---|---|\n");
    for (_, rows) in prose::identity(&r.identity) {
        for (k, v) in rows {
            w!(s, "| {k} | {} |\n", cell(&v));
        }
    }
}

/// The lineage as a tree rooted at the model: each node lists what it was derived from.
fn lineage(s: &mut String, r: &AuditReport) {
    heading(s, "lineage");
    let l = &r.lineage;
    let Some(subject) = l.subject() else {
        w!(s, "{}\n", nr());
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
                format!("{indent}- {} {name} — {}", prose::TRAINED_ON, md(&n.detail))
            }
            Some(lbl) => format!(
                "{indent}- {} {name} — {} · {}: {}",
                prose::DERIVED_FROM,
                md(&n.detail),
                prose::RELATION,
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
        w!(s, "\n*{}*\n", prose::NO_BASE_MODEL);
    }
    w!(
        s,
        "\n{} {}\n",
        prose::LINEAGE_LIST_LEGEND,
        prose::lineage_source(&Md)
    );
}

fn files(s: &mut String, r: &AuditReport) {
    heading(s, "files");
    let f = &r.files;
    if !f.recorded {
        empty(s, &prose::files_not_recorded(&Md));
        return;
    }
    w!(
        s,
        "{}\n\n{}",
        prose::files_intro(&Md, f),
        head(prose::FILE_COLUMNS)
    );
    for x in &f.rows {
        let digest = match x.hashes.first() {
            Some((alg, hex)) if alg == "SHA-256" => code(hex),
            Some((alg, hex)) => format!("{}: {}", md(alg), code(hex)),
            None => format!("**{}**", prose::NO_DIGEST),
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

/// The release the AIBOM records (only when it records one).
fn release(s: &mut String, r: &AuditReport) {
    let Some(v) = &r.release else {
        return;
    };
    w!(
        s,
        "\n## {}\n\n{}\n",
        prose::RELEASE_TITLE,
        md(&prose::release_intro(v))
    );
    if !v.artifacts.is_empty() {
        w!(
            s,
            "\n### {}\n\n{}",
            prose::ARTIFACTS_HEADING,
            head(prose::ARTIFACT_COLUMNS)
        );
        for a in &v.artifacts {
            let digest = match (&a.sha256, a.listing.is_empty()) {
                (Some(hex), _) => code(hex),
                (None, false) => {
                    let mut l: Vec<String> = a.listing.iter().map(|p| code(p)).collect();
                    if a.more > 0 {
                        l.push(prose::more_files(a.more));
                    }
                    l.join(", ")
                }
                (None, true) if a.files == 1 => format!("**{}**", prose::NO_DIGEST),
                (None, true) => prose::NONE_DASH.into(),
            };
            w!(
                s,
                "| {} | {} | {} | {} | {digest} |\n",
                md(&a.role),
                a.path.as_deref().map(code).unwrap_or_else(nr),
                a.files,
                a.size.map(human_size).unwrap_or_else(nr),
            );
        }
    }
    w!(s, "\n### {}\n\n", prose::METRICS_HEADING);
    if v.metrics.is_empty() {
        empty(s, prose::NO_METRIC);
    } else {
        s.push_str(&head(prose::METRIC_COLUMNS));
        for m in &v.metrics {
            w!(
                s,
                "| {} | {} | {} | {} |\n",
                md(&m.task),
                md(&m.metric),
                code(&m.value),
                code(&m.source)
            );
        }
    }
    let Some(g) = &v.gate else {
        return;
    };
    w!(
        s,
        "\n### {}\n\n{}\n\n{}\n\n",
        prose::GATE_HEADING,
        md(&prose::gate_roles(v.tier.as_deref(), &g.tier)),
        md(&prose::roles_present(&g.present))
    );
    if g.metrics.is_empty() {
        empty(s, prose::NO_METRIC_GATE);
        return;
    }
    s.push_str(&head(prose::GATE_COLUMNS));
    for x in &g.metrics {
        let result = prose::gate_result(x.passed);
        w!(
            s,
            "| {} | {} | {} | {} |\n",
            md(&x.label),
            md(&x.expected),
            md(&x.actual),
            if x.passed == Some(false) {
                format!("**{result}**")
            } else {
                result.to_owned()
            }
        );
    }
}

fn datasets(s: &mut String, r: &AuditReport) {
    heading(s, "datasets");
    let ds = &r.datasets.rows;
    if ds.is_empty() {
        empty(s, prose::NO_DATASET);
        gap_line(s, &DATASET_GAP);
        return;
    }
    s.push_str(&head(prose::DATASET_COLUMNS));
    let mut any_gap = false;
    for d in ds {
        any_gap |= !d.missing.is_empty() || d.unknown.is_some();
        let mut name = md(&d.name);
        if let Some(v) = &d.version {
            w!(name, " {}", md(v));
        }
        if let Some(role) = &d.role {
            w!(name, " ({})", md(&prose::dataset_role(role)));
        }
        let mut prov: Vec<String> = d.owners.iter().map(|o| md(o)).collect();
        if let Some(u) = &d.source_url {
            prov.push(code(u));
        }
        if let Some(p) = &d.provenance_note {
            prov.push(format!("{} {}", md(p), prose::PROPERTY));
        }
        let mut unknown: Vec<String> = Vec::new();
        if d.unresolved {
            unknown.push(format!("**{}**", prose::NOT_DESCRIBED));
        }
        unknown.extend(d.missing.iter().map(|m| format!("**{m}**")));
        if let Some(u) = &d.unknown {
            unknown.push(md(u));
        }
        let or_nr = |v: Vec<String>, sep: &str| {
            if v.is_empty() { nr() } else { v.join(sep) }
        };
        w!(
            s,
            "| {name} | {} | {} | {} | {} | {} |\n",
            or_nr(d.licenses.iter().map(|x| md(x)).collect(), ", "),
            or_nr(prov, "; "),
            opt(&d.classification),
            or_nr(d.sensitive_data.iter().map(|x| md(x)).collect(), ", "),
            if unknown.is_empty() {
                prose::NOTHING.to_owned()
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
    w!(
        s,
        "{}\n\n{}",
        prose::licences_intro(&Md, l),
        head(prose::LICENCE_COLUMNS)
    );
    for x in &l.rows {
        let mut flags = Vec::new();
        if x.non_commercial {
            flags.push(format!("**{}**", prose::NON_COMMERCIAL.to_uppercase()));
        }
        if x.license.is_some() && !x.spdx {
            flags.push(format!("**{}**", prose::NOT_SPDX));
        }
        if x.license.is_none() {
            flags.push(format!("**{}**", prose::NO_LICENCE));
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
            prose::licence_kind(x),
            flags.join(", ")
        );
    }
    for rem in &l.remarks {
        w!(s, "\n{}\n", md(rem));
    }
    if prose::licence_gap(l) {
        gap_line(s, &LICENSE_GAP);
    }
}

fn dependencies(s: &mut String, r: &AuditReport) {
    heading(s, "dependencies");
    let d = &r.dependencies;
    if d.is_empty() {
        empty(s, prose::NO_DEPENDENCY);
        return;
    }
    w!(
        s,
        "{}\n\n{}",
        prose::dependencies_intro(d),
        head(prose::DEPENDENCY_COLUMNS)
    );
    for x in d {
        w!(
            s,
            "| {} | {} | {} | {} | {} | {} |\n",
            md(&x.name),
            md(&x.kind),
            opt(&x.version),
            opt_code(&x.purl),
            if x.pinned {
                prose::pinned(true).to_owned()
            } else {
                format!("**{}**", prose::pinned(false))
            },
            prose::used_directly(x.direct)
        );
    }
    if d.iter().any(|x| !x.pinned) {
        gap_line(s, &DEPENDENCY_GAP);
    }
}

fn templates(s: &mut String, r: &AuditReport) {
    heading(s, "templates");
    let p = &r.prompts;
    w!(s, "| | |\n|---|---|\n");
    let mut row = |k: &str, v: String| w!(s, "| {k} | {v} |\n");
    row(
        prose::CHAT_TEMPLATE,
        match &p.chat_template_flag {
            Some(v) => format!("{} ({})", md(v), code(prose::CHAT_TEMPLATE_PROPERTY)),
            None if !p.templates.is_empty() => prose::TEMPLATE_COMPONENT.into(),
            None => nr(),
        },
    );
    row(
        prose::REMOTE_CODE,
        match &p.remote_code_flag {
            Some(v) => format!("**{}** ({})", md(v), code(prose::REMOTE_CODE_PROPERTY)),
            None => format!("*{}*", prose::NOT_FLAGGED),
        },
    );
    row(
        prose::PYTHON_FILES,
        if p.python_files.is_empty() {
            prose::NONE.to_owned()
        } else {
            p.python_files
                .iter()
                .map(|f| code(f))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    row(
        prose::ROLE_FILES,
        if p.role_files.is_empty() {
            prose::NONE.to_owned()
        } else {
            p.role_files
                .iter()
                .map(|(f, r)| format!("{} ({})", code(f), md(r)))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    if !p.templates.is_empty() {
        w!(s, "\n{}", head(prose::TEMPLATE_COLUMNS));
        for t in &p.templates {
            w!(
                s,
                "| {} | {} | {} | {} |\n",
                md(&t.name),
                opt(&t.source),
                t.length
                    .as_deref()
                    .map(|l| md(&prose::chars(l)))
                    .unwrap_or_default(),
                opt_code(&t.sha256)
            );
        }
    }
    if p.findings.is_empty() {
        w!(s, "\n{}\n", prose::NO_TEMPLATE_FINDING);
    } else {
        w!(
            s,
            "\n**{}** {} {}.\n",
            prose::TEMPLATE_FINDINGS,
            md(&prose::template_findings(r)),
            prose::SEE_FINDINGS
        );
    }
}

fn findings(s: &mut String, r: &AuditReport) {
    heading(s, "findings");
    let f = &r.findings;
    if !f.recorded {
        empty(s, prose::FINDINGS_NOT_RECORDED);
        return;
    }
    if f.rows.is_empty() {
        w!(s, "{}\n", prose::NO_FINDING);
        return;
    }
    w!(
        s,
        "{} ({}).\n\n{}",
        prose::findings_count(f),
        prose::severity_counts(f),
        head(prose::FINDING_COLUMNS)
    );
    for (i, x) in f.rows.iter().enumerate() {
        let mut loc = if x.affected.is_empty() {
            nr()
        } else {
            x.affected
                .iter()
                .map(|a| code(a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(m) = &x.member {
            w!(loc, " {} {}", prose::MEMBER, code(m));
        }
        if let Some(o) = &x.offset {
            w!(loc, " {} {}", prose::OFFSET, md(o));
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
            joined(&prose::cwe_ids(&x.cwes, false), ", "),
            prose::finding_status(x.accepted)
        );
    }
    let codes = f.codes();
    w!(s, "\n### {}\n\n", prose::MAPPING_HEADING);
    if codes.is_empty() {
        w!(s, "{}\n", prose::NONE_MAPPED);
    } else {
        s.push_str(&head(prose::MAPPING_COLUMNS));
        for c in codes {
            let Some(m) = mapping(c) else { continue };
            let named = |ids, name| joined(&prose::named(ids, name), "; ");
            w!(
                s,
                "| {} | {} | {} | {} | {} | {} |\n",
                code(c.as_str()),
                joined(&prose::cwe_ids(m.cwe, true), "; "),
                named(m.atlas, atlas_name),
                named(m.owasp, owasp_name),
                named(m.nist, nist_name),
                dash(m.eu_ai_act)
            );
        }
    }
    if let Some(u) = prose::unmapped(f) {
        w!(s, "\n{}\n", md(&u));
    }
}

fn exceptions(s: &mut String, r: &AuditReport) {
    heading(s, "exceptions");
    if r.exceptions.is_empty() {
        w!(s, "{}\n", prose::NO_EXCEPTION);
        return;
    }
    s.push_str(&head(prose::EXCEPTION_COLUMNS));
    for x in &r.exceptions {
        let mut reason = opt(&x.reason);
        if let Some(a) = &x.analysis {
            w!(reason, " ({})", md(a));
        }
        if let Some(d) = &x.sha256 {
            w!(reason, " {} {}", prose::PINNED_TO, code(d));
        }
        w!(
            s,
            "| {} | {} | {reason} | {} | {} | {} | {} |\n",
            code(&x.finding),
            opt_code(&x.path),
            x.expires
                .as_deref()
                .map(md)
                .unwrap_or_else(|| prose::NO_EXPIRY.into()),
            opt(&x.owner),
            md(&x.source),
            prose::applies(x.matches)
        );
    }
    w!(s, "\n{}\n", prose::EXPIRY_NOTE);
}

fn approvals(s: &mut String, r: &AuditReport) {
    heading(s, "approvals");
    let Some(list) = &r.approvals else {
        empty(s, &prose::no_signature(&Md));
        return;
    };
    s.push_str(&head(prose::APPROVAL_COLUMNS));
    for a in list {
        let mut check = if a.valid {
            prose::validity(true).to_owned()
        } else {
            format!("**{}**", prose::validity(false))
        };
        if let Some(p) = &a.problem {
            w!(check, ": {}", md(p));
        }
        let inv = match (a.inventory_matches, &a.inventory) {
            (Some(true), Some(t)) => format!("{}: {}", prose::inventory_match(true), md(t)),
            (Some(false), Some(t)) => format!("**{}**: {}", prose::inventory_match(false), md(t)),
            _ => prose::NONE_DASH.into(),
        };
        let (text, tone, why) = prose::attestation(&a.attestation);
        let mut att = if tone == Tone::Bad {
            format!("**{text}**")
        } else {
            text.to_owned()
        };
        if let Some(why) = why {
            w!(att, ": {}", md(why));
        }
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
                .unwrap_or_else(|| prose::NONE_DASH.into()),
        );
    }
    w!(s, "\n{}\n", prose::approvals_note(&Md));
}

/// The deploy decisions an approval ledger records about this AIBOM (only with `--ledger`).
fn ledger(s: &mut String, r: &AuditReport) {
    let Some(l) = &r.ledger else {
        return;
    };
    w!(s, "\n### Deploy decisions ({})\n\n", code(&l.file));
    if let Some(b) = &l.broken {
        w!(
            s,
            "**The ledger's chain is broken; no entry is shown:** {}\n",
            md(b)
        );
        return;
    }
    w!(
        s,
        "The chain holds: {} entries, head {}. {} of them are about this AIBOM.\n\n",
        l.total,
        l.head.as_deref().map(code).unwrap_or_default(),
        l.entries.len()
    );
    if l.entries.is_empty() {
        return;
    }
    s.push_str(&head(&[
        "#",
        "Time",
        "Decision",
        "Signers",
        "Failed checks",
    ]));
    for e in &l.entries {
        let decision = if e.verdict == "pass" {
            md(&e.verdict)
        } else {
            format!("**{}**", md(&e.verdict))
        };
        w!(
            s,
            "| {} | {} | {decision} (exit {}) | {} | {} |\n",
            e.seq,
            opt(&e.time),
            e.exit_code.map_or_else(|| "?".into(), |c| c.to_string()),
            joined(&e.signers, "; "),
            joined(&e.failed, "; ")
        );
    }
}

fn completeness(s: &mut String, r: &AuditReport) {
    heading(s, "completeness");
    let c = &r.completeness;
    w!(
        s,
        "**Score: {} / 100** ({}).\n\n",
        c.score,
        prose::score_of(c)
    );
    for rule in SCORING_RULE {
        w!(s, "- {rule}\n");
    }
    w!(s, "\n{}", head(prose::COMPLETENESS_COLUMNS));
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
            w!(st, " ({})", prose::NOT_SCORED);
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
    s.push_str(&head(prose::APPENDIX_COLUMNS));
    for m in MAPPINGS {
        w!(
            s,
            "| {} | {} | {} | {} | {} | {} |\n",
            code(m.code.as_str()),
            joined(&prose::cwe_ids(m.cwe, false), ", "),
            dash(m.atlas),
            dash(m.owasp),
            dash(m.nist),
            dash(m.eu_ai_act)
        );
    }
    for (framework, legend) in prose::legends() {
        w!(s, "\n{framework}: {}.\n", md(&legend));
    }
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
