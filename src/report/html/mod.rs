//! [`AuditReport`] -> one self-contained HTML file an auditor can attach to a change record.
//!
//! Offline by construction: inline CSS, an inline SVG for the lineage, no fonts, images,
//! stylesheets or scripts from anywhere, and no link to a remote address (URLs from the AIBOM
//! are shown as text, never as `href`/`src`). One small inline script is optional: it opens the
//! collapsed lists before printing; without it the print CSS does the same in current
//! browsers. Every string from the AIBOM is untrusted and goes through [`esc`].

use super::auditor::*;
use crate::finding::Severity;
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

mod appendix;
mod completeness;
mod findings;
mod inventory;
mod lineage;
mod overview;

use appendix::appendix;
use completeness::completeness;
use findings::{approvals, exceptions, findings};
use inventory::{datasets, dependencies, files, licences, templates};
use lineage::lineage;
use overview::{identity, summary};

/// Lists longer than this are collapsed into a closed `<details>`.
const OPEN_LIMIT: usize = 25;

/// The stylesheet, inline in `<head>`.
const CSS: &str = concat!("\n", include_str!("style.css"));

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
