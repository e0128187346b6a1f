//! [`AuditReport`] -> one self-contained HTML file an auditor can attach to a change record.
//!
//! Offline by construction: inline CSS, an inline SVG for the lineage, no fonts, images,
//! stylesheets or scripts from anywhere, and no link to a remote address (URLs from the AIBOM
//! are shown as text, never as `href`/`src`). One small inline script is optional: it opens the
//! collapsed lists before printing; without it the print CSS does the same in current
//! browsers. Every string from the AIBOM is untrusted and goes through [`esc`].

use super::auditor::*;
use crate::finding::Severity;
use std::collections::BTreeSet;
use std::fmt::{self, Display, Write as _};
use std::io::{self, Write};

/// HTML-escapes text for element content and quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

pub fn esc(s: &str) -> Esc<'_> {
    Esc(s)
}

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// Lists longer than this are collapsed into a closed `<details>`.
const OPEN_LIMIT: usize = 25;

const CSS: &str = r#"
:root { --ink:#1d2433; --muted:#5b6475; --line:#d5dae3; --soft:#f4f6f9; --accent:#1f5fae;
  --crit:#a4161a; --high:#d9480f; --med:#b7791f; --low:#2b6cb0; --info:#5b6475; --ok:#2f7d32; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; color:var(--ink); background:#fff; font: 14px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
.page { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
header.top { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 12px; }
header.top h1 { margin: 0 0 4px; font-size: 24px; line-height: 1.2; overflow-wrap: anywhere; }
header.top .sub { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
nav.toc { font-size: 12.5px; margin: 10px 0 18px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
p { margin: 6px 0; }
.muted, .nr { color: var(--muted); }
.nr { font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
td .mono, td.mono, .digest { overflow-wrap: anywhere; }
td.ids, td.code-id { overflow-wrap: normal; }
td.num { white-space: nowrap; }
th { background: var(--soft); font-weight: 600; }
th { overflow-wrap: normal; }
table.findings td:nth-child(3) { min-width: 150px; }
table.findings td:nth-child(4) { min-width: 200px; }
table.findings td:nth-child(6) { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
table.kv th { width: 150px; }
table.kv caption { text-align: left; font-weight: 600; font-size: 13px; color: var(--muted); padding: 0 0 3px; }
.kv2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; align-items: start; }
@media (max-width: 760px) { .kv2 { grid-template-columns: 1fr; } }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
  "DejaVu Sans Mono", monospace; font-size: 12px; }
.digest { word-break: break-all; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11.5px;
  font-weight: 600; line-height: 18px; white-space: nowrap; border: 1px solid transparent; }
.sev-critical { background: var(--crit); color: #fff; }
.sev-high { background: var(--high); color: #fff; }
.sev-medium { background: #f6e05e; color: #3d2e00; }
.sev-low { background: #bee3f8; color: #123b5c; }
.sev-info, .sev-unrated { background: #e2e8f0; color: #2d3748; }
.b-ok { background: #def7df; color: var(--ok); border-color: #9ad29c; }
.b-warn { background: #fff4d6; color: #7a4b00; border-color: #f0c36d; }
.b-bad { background: #fde2e1; color: var(--crit); border-color: #f0a3a0; }
.b-na { background: #edf0f5; color: var(--muted); border-color: #d5dae3; }
tr.flag td { background: #fff8e6 !important; }
tr.bad td { background: #fdeeee !important; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 6px;
  padding: 8px 10px; background: #fff; break-inside: avoid; }
.card.bad { border-left-color: var(--crit); }
.card.warn { border-left-color: #e0a100; }
.card.ok { border-left-color: var(--ok); }
.card .k { font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .v { font-size: 17px; font-weight: 650; margin-top: 2px; overflow-wrap: anywhere; }
.card .d { font-size: 12px; color: var(--muted); margin-top: 2px; }
.score { display: flex; align-items: center; gap: 16px; margin: 8px 0; }
.score .num { font-size: 34px; font-weight: 700; line-height: 1; }
.score .num small { font-size: 15px; color: var(--muted); font-weight: 500; }
.bar { flex: 1; max-width: 420px; height: 14px; border-radius: 7px; background: #e6e9ef; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.lineage { border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fbfcfe; }
.lineage svg { display: block; max-width: 100%; height: auto; }
svg .node rect { fill: #fff; stroke: #8a94a6; stroke-width: 1.2; }
svg .node.subject rect { fill: #e8f0fb; stroke: var(--accent); stroke-width: 2; }
svg .node.dataset rect { fill: #fff; stroke: #8a94a6; stroke-dasharray: 5 3; }
svg .node.flagged rect { stroke: #d69e2e; fill: #fffaf0; }
svg .node.more rect { fill: var(--soft); stroke-dasharray: 2 3; }
svg .name { font: 600 13px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
svg .detail { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--muted); }
svg .edge { fill: none; stroke: #4a5568; stroke-width: 1.5; }
svg .edge.data { stroke: #a0aec0; stroke-dasharray: 5 4; }
svg .elabel { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #2d3748;
  paint-order: stroke; stroke: #fbfcfe; stroke-width: 4px; }
.legend { font-size: 12px; color: var(--muted); margin-top: 4px; }
details { margin: 6px 0; }
details > summary { cursor: pointer; font-weight: 600; }
ul.rules { margin: 4px 0 8px 18px; padding: 0; font-size: 13px; }
.map { font-size: 12.5px; color: var(--muted); }
footer { margin-top: 30px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; }
  tr, .card, .lineage, .score { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  details > summary { list-style: none; }
  details:not([open]):not(.print-open) > summary::after { content: " (collapsed: open it before printing to include it)";
    font-weight: normal; color: var(--muted); }
  details.print-open::details-content { content-visibility: visible; display: contents; }
  table.findings td:nth-child(3) { min-width: 90px; }
  table.findings td:nth-child(4) { min-width: 120px; }
  .mono, code { font-size: 8pt; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Opens the collapsed lists of this model (files, findings) before printing; the report reads
/// the same without it. The appendix stays as the reader left it.
const PRINT_SCRIPT: &str = "window.addEventListener('beforeprint',function(){document.querySelectorAll('details.print-open').forEach(function(d){d.open=true;});});";

fn nr() -> &'static str {
    "<span class=\"nr\">not recorded</span>"
}

fn opt(v: &Option<String>) -> String {
    match v {
        Some(s) => esc(s).to_string(),
        None => nr().to_owned(),
    }
}

fn sev_badge(s: Option<Severity>) -> String {
    let l = severity_label(s);
    format!("<span class=\"badge sev-{l}\">{l}</span>")
}

fn badge(class: &str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

fn status_badge(s: Status) -> String {
    let class = match s {
        Status::Present => "b-ok",
        Status::Partial => "b-warn",
        Status::Unknown => "b-bad",
        Status::NotApplicable => "b-na",
    };
    badge(class, s.as_str())
}

fn join_labelled(ids: &[&str], name: fn(&str) -> Option<&'static str>) -> String {
    if ids.is_empty() {
        return "—".into();
    }
    ids.iter()
        .map(|i| esc(&labelled(i, name(i))).to_string())
        .collect::<Vec<_>>()
        .join("<br>")
}

fn cwes(c: &[u32], named: bool) -> String {
    // One per line; ids never break inside.
    if c.is_empty() {
        return "—".into();
    }
    c.iter()
        .map(|n| match (named, cwe_name(*n)) {
            (true, Some(name)) => format!("CWE-{n} {}", esc(name)),
            _ => format!("CWE-{n}"),
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn gap_line(g: &GapMapping) -> String {
    let mut parts = Vec::new();
    if !g.atlas.is_empty() {
        parts.push(format!("MITRE ATLAS {}", g.atlas.join(", ")));
    }
    if !g.owasp.is_empty() {
        let named: Vec<String> = g.owasp.iter().map(|o| labelled(o, owasp_name(o))).collect();
        parts.push(format!("OWASP LLM Top 10 2025 {}", named.join(", ")));
    }
    if !g.nist.is_empty() {
        parts.push(format!("NIST AI RMF {}", g.nist.join(", ")));
    }
    if !g.eu_ai_act.is_empty() {
        parts.push(format!("EU AI Act {}", g.eu_ai_act.join(", ")));
    }
    format!(
        "<p class=\"map\">Maps to ({}): {}.</p>",
        esc(g.gap),
        esc(&parts.join("; "))
    )
}

/// Cuts `s` to `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Renders the report.
pub fn render(r: &AuditReport, out: &mut impl Write) -> io::Result<()> {
    out.write_all(to_string(r).as_bytes())
}

/// The whole document as a string.
pub fn to_string(r: &AuditReport) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let name = r.identity.name.as_deref().unwrap_or("(unnamed model)");
    w!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"aibom {}\">\n<title>AIBOM report: {}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<div class=\"page\">\n",
        env!("CARGO_PKG_VERSION"),
        esc(name)
    );
    header(&mut h, r, name);
    w!(h, "<nav class=\"toc\" aria-label=\"Sections\">");
    for (id, title) in SECTIONS {
        w!(h, "<a href=\"#{id}\">{}</a>", esc(title));
    }
    w!(h, "</nav>\n<main>\n");
    summary(&mut h, r);
    identity(&mut h, r);
    lineage(&mut h, r);
    files(&mut h, r);
    datasets(&mut h, r);
    licences(&mut h, r);
    dependencies(&mut h, r);
    templates(&mut h, r);
    findings(&mut h, r);
    exceptions(&mut h, r);
    approvals(&mut h, r);
    completeness(&mut h, r);
    appendix(&mut h);
    w!(h, "</main>\n");
    footer(&mut h, r);
    w!(
        h,
        "</div>\n<script>{PRINT_SCRIPT}</script>\n</body>\n</html>\n"
    );
    h
}

fn section(h: &mut String, id: &str) {
    let title = SECTIONS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| *t)
        .unwrap_or(id);
    w!(h, "<section id=\"{id}\">\n<h2>{}</h2>\n", esc(title));
}

fn header(h: &mut String, r: &AuditReport, name: &str) {
    let id = &r.identity;
    w!(
        h,
        "<header class=\"top\">\n<h1>AIBOM audit report: <span class=\"model-name\">{}</span></h1>\n",
        esc(name)
    );
    let mut sub = Vec::new();
    if let Some(v) = &id.version {
        sub.push(format!("version {}", esc(v)));
    }
    if let Some(f) = &id.file_name {
        sub.push(format!("from <span class=\"mono\">{}</span>", esc(f)));
    }
    if let Some(d) = &id.file_sha256 {
        sub.push(format!(
            "AIBOM SHA-256 <span class=\"mono digest\">{}</span>",
            esc(d)
        ));
    }
    w!(
        h,
        "<div class=\"sub\">{}</div>\n</header>\n",
        sub.join(" · ")
    );
}

fn summary(h: &mut String, r: &AuditReport) {
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

fn identity(h: &mut String, r: &AuditReport) {
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

// Lineage geometry.
const BOX_W: usize = 250;
const BOX_H: usize = 54;
const COL_GAP: usize = 96;
const ROW_GAP: usize = 22;
const PAD: usize = 14;

fn node_xy(l: &Lineage, n: &LineageNode) -> (usize, usize) {
    let in_col = l.nodes.iter().filter(|m| m.column == n.column).count();
    let step = BOX_H + ROW_GAP;
    let offset = (l.rows.saturating_sub(in_col)) * step / 2;
    (
        PAD + n.column * (BOX_W + COL_GAP),
        PAD + offset + n.row * step,
    )
}

/// The lineage as an inline SVG: boxes and arrows, laid out by [`Lineage`].
pub fn lineage_svg(l: &Lineage, model: &str) -> String {
    let mut s = String::new();
    let cols = l.columns.max(1);
    let rows = l.rows.max(1);
    let width = 2 * PAD + cols * BOX_W + (cols - 1) * COL_GAP;
    let height = 2 * PAD + rows * BOX_H + (rows - 1) * ROW_GAP;
    w!(
        s,
        "<svg class=\"lineage-graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"lineage-title\">\n<title id=\"lineage-title\">Lineage of {}</title>\n",
        esc(model)
    );
    w!(
        s,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#4a5568\"/></marker>\
         <marker id=\"arrow-data\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#a0aec0\"/></marker></defs>\n"
    );
    // Edges first, so boxes sit on top of them.
    for e in &l.edges {
        let (Some(a), Some(b)) = (l.nodes.get(e.from), l.nodes.get(e.to)) else {
            continue;
        };
        let (ax, ay) = node_xy(l, a);
        let (bx, by) = node_xy(l, b);
        let (x1, y1) = (ax + BOX_W, ay + BOX_H / 2);
        let (x2, y2) = (bx.saturating_sub(2), by + BOX_H / 2);
        let dx = x2.saturating_sub(x1) / 2;
        let data =
            a.kind == NodeKind::Dataset || (a.kind == NodeKind::More && a.name.contains("dataset"));
        w!(
            s,
            "<path class=\"edge{}\" d=\"M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}\" marker-end=\"url(#{})\"/>\n",
            if data { " data" } else { "" },
            x1 + dx,
            x2.saturating_sub(dx),
            if data { "arrow-data" } else { "arrow" }
        );
        if !data {
            w!(
                s,
                "<text class=\"elabel\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                (x1 + x2) / 2,
                (y1 + y2) / 2 - 5,
                esc(&clip(&e.label, 16))
            );
        }
    }
    for n in &l.nodes {
        let (x, y) = node_xy(l, n);
        let mut class = match n.kind {
            NodeKind::Subject => "node subject",
            NodeKind::Model => "node model",
            NodeKind::Dataset => "node dataset",
            NodeKind::More => "node more",
        }
        .to_owned();
        if n.flagged {
            class.push_str(" flagged");
        }
        let mut tip = n.name.clone();
        if let Some(p) = &n.purl {
            w!(tip, "\n{p}");
        }
        if !n.source.is_empty() {
            w!(tip, "\nfrom {}", n.source);
        }
        w!(
            s,
            "<g class=\"{class}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"7\"/>\
             <text class=\"name\" x=\"{}\" y=\"{}\">{}</text><text class=\"detail\" x=\"{}\" y=\"{}\">{}</text></g>\n",
            esc(&tip),
            x + 12,
            y + 22,
            esc(&clip(&n.name, 30)),
            x + 12,
            y + 41,
            esc(&clip(&n.detail, 40)),
        );
    }
    s.push_str("</svg>");
    s
}

fn lineage(h: &mut String, r: &AuditReport) {
    section(h, "lineage");
    let l = &r.lineage;
    let name = r.identity.name.as_deref().unwrap_or("(unnamed model)");
    w!(
        h,
        "<div class=\"lineage\">{}</div>\n<p class=\"legend\">Boxes are models and datasets; a solid arrow points from a base model to the model derived from it (labelled with the relation), a dashed arrow from a dataset to the model it trained or evaluated. Amber: identity or provenance unknown. Built from <code>pedigree.ancestors</code>, base-model components and <code>dependencies</code>.</p>\n",
        lineage_svg(l, name)
    );
    let others: Vec<&LineageNode> = l
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Model)
        .collect();
    if others.is_empty() {
        w!(
            h,
            "<p class=\"nr\">No base model is recorded (pedigree.ancestors and model dependencies are empty): trained from scratch, or not declared.</p>\n"
        );
    } else {
        w!(
            h,
            "<table><thead><tr><th>Base model</th><th>Package URL</th><th>Derived</th><th>Recorded in</th></tr></thead><tbody>\n"
        );
        for (i, n) in l.nodes.iter().enumerate() {
            if n.kind != NodeKind::Model {
                continue;
            }
            let to: Vec<String> = l
                .children(i)
                .filter_map(|e| {
                    l.nodes
                        .get(e.to)
                        .map(|t| format!("{} ({})", esc(&t.name), esc(&e.label)))
                })
                .collect();
            w!(
                h,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                if n.flagged { " class=\"flag\"" } else { "" },
                esc(&n.name),
                n.purl
                    .as_ref()
                    .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                    .unwrap_or_else(|| "<span class=\"nr\">no package URL</span>".into()),
                to.join("<br>"),
                esc(&n.source)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "</section>\n");
}

fn files(h: &mut String, r: &AuditReport) {
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

fn datasets(h: &mut String, r: &AuditReport) {
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

fn licences(h: &mut String, r: &AuditReport) {
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

fn dependencies(h: &mut String, r: &AuditReport) {
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

fn templates(h: &mut String, r: &AuditReport) {
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

fn findings(h: &mut String, r: &AuditReport) {
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

fn exceptions(h: &mut String, r: &AuditReport) {
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

fn approvals(h: &mut String, r: &AuditReport) {
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

fn completeness(h: &mut String, r: &AuditReport) {
    section(h, "completeness");
    let c = &r.completeness;
    w!(
        h,
        "<div class=\"score\"><div class=\"num\" id=\"completeness-score\">{}<small> / 100</small></div><div class=\"bar\" aria-hidden=\"true\"><span style=\"width:{}%\"></span></div><div>{} of {} applicable scored fields present</div></div>\n",
        c.score,
        c.score.min(100),
        c.present,
        c.applicable
    );
    w!(h, "<ul class=\"rules\">\n");
    for rule in SCORING_RULE {
        w!(h, "<li>{}</li>\n", code_spans(rule));
    }
    w!(h, "</ul>\n");
    w!(
        h,
        "<table class=\"completeness\"><thead><tr><th>Asked for</th><th>Status</th><th>Found</th><th>CycloneDX field</th><th>Asked by</th></tr></thead><tbody>\n"
    );
    let mut group = "";
    for f in &c.fields {
        if f.group != group {
            group = f.group;
            w!(h, "<tr><th colspan=\"5\">{}</th></tr>\n", esc(group));
        }
        let mut st = status_badge(f.status);
        if !f.scored {
            w!(st, " {}", badge("b-na", "not scored"));
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

fn appendix(h: &mut String) {
    section(h, "mapping");
    w!(
        h,
        "<details><summary>All {} finding codes</summary>\n<table><thead><tr><th>Code</th><th>Meaning</th><th>CWE</th><th>MITRE ATLAS</th><th>OWASP LLM</th><th>NIST AI RMF</th><th>EU AI Act</th></tr></thead><tbody>\n",
        MAPPINGS.len()
    );
    for m in MAPPINGS {
        let dash = |v: &[&str]| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                esc(&v.join("\n")).to_string().replace('\n', "<br>")
            }
        };
        w!(
            h,
            "<tr><td class=\"mono code-id\">{}</td><td>{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td></tr>\n",
            esc(m.code.as_str()),
            esc(m.code.summary()),
            cwes(m.cwe, false),
            dash(m.atlas),
            dash(m.owasp),
            dash(m.nist),
            dash(m.eu_ai_act)
        );
    }
    w!(h, "</tbody></table>\n</details>\n");
    let atlas: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.atlas.iter().copied())
        .chain(DATASET_GAP.atlas.iter().copied())
        .collect();
    let nist: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.nist.iter().copied())
        .chain(DATASET_GAP.nist.iter().copied())
        .chain(LICENSE_GAP.nist.iter().copied())
        .collect();
    let owasp: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.owasp.iter().copied())
        .chain(DATASET_GAP.owasp.iter().copied())
        .collect();
    w!(
        h,
        "<p class=\"map\"><strong>MITRE ATLAS:</strong> {}.</p>\n",
        esc(&atlas
            .iter()
            .map(|a| labelled(a, atlas_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(
        h,
        "<p class=\"map\"><strong>OWASP Top 10 for LLM Applications 2025:</strong> {}.</p>\n",
        esc(&owasp
            .iter()
            .map(|a| labelled(a, owasp_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(
        h,
        "<p class=\"map\"><strong>NIST AI RMF 1.0:</strong> {}.</p>\n",
        esc(&nist
            .iter()
            .map(|a| labelled(a, nist_name(a)))
            .collect::<Vec<_>>()
            .join("; "))
    );
    w!(h, "</section>\n");
}

fn footer(h: &mut String, r: &AuditReport) {
    w!(h, "<footer>\n");
    if !r.notes.is_empty() {
        w!(
            h,
            "<p><strong>Reading notes</strong> (parts of the AIBOM that could not be read):</p>\n<ul>\n"
        );
        for n in &r.notes {
            w!(h, "<li>{}</li>\n", esc(n));
        }
        w!(h, "</ul>\n");
    }
    w!(
        h,
        "<p>Written by aibom {} from the AIBOM alone: nothing was fetched, and the report carries no date of its own (the AIBOM's timestamp is shown when recorded). Fields the AIBOM does not record are marked \"not recorded\".</p>\n</footer>\n",
        env!("CARGO_PKG_VERSION")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\"").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("plain ü").to_string(), "plain ü");
    }

    #[test]
    fn clips_long_names_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn a_hostile_model_name_is_escaped_everywhere() {
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"type": "machine-learning-model", "bom-ref": "m",
                "name": "<script>alert(1)</script>\"><img src=x onerror=alert(2)>",
                "pedigree": {"ancestors": [{"name": "</text><script>bad()</script>"}]}}},
            "vulnerabilities": [{"id": "<b>x</b>", "description": "<iframe src=\"https://evil\">"}]
        });
        let r = read(&doc, Inputs::default()).unwrap();
        let html = to_string(&r);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<script>bad"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<iframe"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html.matches("<script>").count(), 1, "only the print helper");
    }
}
