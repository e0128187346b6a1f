//! [`AuditReport`] -> one self-contained HTML file an auditor can attach to a change record.
//!
//! Offline by construction: inline CSS, an inline SVG for the lineage, no fonts, images,
//! stylesheets or scripts from anywhere, and no link to a remote address (URLs from the AIBOM
//! are shown as text, never as `href`/`src`). One small inline script is optional: it opens the
//! collapsed lists before printing; without it the print CSS does the same in current
//! browsers. Every string from the AIBOM is untrusted and goes through [`esc`].

use super::auditor::prose::{self, Cell, Look, Markup};
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

/// The report's own prose ([`prose`]) as element content: only `&`, `<` and `>` need escaping,
/// so its quotes and apostrophes stay as written.
fn txt(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
mod ledger;
mod lineage;
mod overview;
mod release;

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

fn nr() -> String {
    format!("<span class=\"nr\">{NOT_RECORDED}</span>")
}

fn opt(v: &Option<String>) -> String {
    match v {
        Some(s) => esc(s).to_string(),
        None => nr(),
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

/// Escaped entries, one a line; a dash when there are none.
fn lines(v: &[String]) -> String {
    if v.is_empty() {
        return prose::NONE_DASH.into();
    }
    v.iter()
        .map(|x| esc(x).to_string())
        .collect::<Vec<_>>()
        .join("<br>")
}

fn join_labelled(ids: &[&str], name: fn(&str) -> Option<&'static str>) -> String {
    lines(&prose::named(ids, name))
}

fn cwes(c: &[u32], named: bool) -> String {
    // One per line; ids never break inside.
    lines(&prose::cwe_ids(c, named))
}

fn gap_line(g: &GapMapping) -> String {
    format!("<p class=\"map\">{}</p>", esc(&prose::gap_mapping(g)))
}

/// The HTML of the shared sentences.
struct Html;

impl Markup for Html {
    fn strong(&self, s: &str) -> String {
        format!("<strong>{s}</strong>")
    }
    fn code(&self, s: &str) -> String {
        format!("<code>{}</code>", esc(s))
    }
}

/// `text` in the look it asks for.
fn look(text: &str, look: Look) -> String {
    match look {
        Look::Text | Look::Ref => esc(text).to_string(),
        Look::Mono => format!("<span class=\"mono\">{}</span>", esc(text)),
        Look::Digest => format!("<span class=\"mono digest\">{}</span>", esc(text)),
    }
}

/// A labelled value.
fn cell(c: &Cell) -> String {
    match c {
        Cell::NotRecorded => nr(),
        Cell::Text(s, l) => look(s, *l),
        Cell::Lines(v) => v
            .iter()
            .map(|s| esc(s).to_string())
            .collect::<Vec<_>>()
            .join("<br>"),
    }
}

/// `<thead>` of a table with these columns.
fn thead(cols: &[&str]) -> String {
    let mut s = String::from("<thead><tr>");
    for c in cols {
        w!(s, "<th>{}</th>", esc(c));
    }
    s.push_str("</tr></thead>");
    s
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
    let name = prose::model_name(r);
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
        if *id == "files" && r.release.is_some() {
            w!(
                h,
                "<a href=\"#{}\">{}</a>",
                prose::RELEASE_ID,
                txt(prose::RELEASE_TITLE)
            );
        }
    }
    w!(h, "</nav>\n<main>\n");
    summary(&mut h, r);
    identity(&mut h, r);
    lineage(&mut h, r);
    files(&mut h, r);
    release::release(&mut h, r);
    datasets(&mut h, r);
    licences(&mut h, r);
    dependencies(&mut h, r);
    templates(&mut h, r);
    findings(&mut h, r);
    exceptions(&mut h, r);
    approvals(&mut h, r);
    ledger::ledger(&mut h, r);
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
    w!(
        h,
        "<section id=\"{id}\">\n<h2>{}</h2>\n",
        esc(prose::section_title(id))
    );
}

fn header(h: &mut String, r: &AuditReport, name: &str) {
    w!(
        h,
        "<header class=\"top\">\n<h1>{}: <span class=\"model-name\">{}</span></h1>\n",
        esc(prose::TITLE),
        esc(name)
    );
    let sub: Vec<String> = prose::subtitle(&r.identity)
        .into_iter()
        .map(|(words, value, l)| format!("{} {}", esc(words), look(value, l)))
        .collect();
    w!(
        h,
        "<div class=\"sub\">{}</div>\n</header>\n",
        sub.join(prose::SUBTITLE_SEPARATOR)
    );
}

fn footer(h: &mut String, r: &AuditReport) {
    w!(h, "<footer>\n");
    if !r.notes.is_empty() {
        w!(
            h,
            "<p><strong>{}</strong> ({}):</p>\n<ul>\n",
            esc(prose::READING_NOTES),
            esc(prose::READING_NOTES_WHAT)
        );
        for n in &r.notes {
            w!(h, "<li>{}</li>\n", esc(n));
        }
        w!(h, "</ul>\n");
    }
    w!(h, "<p>{}</p>\n</footer>\n", txt(&prose::footer()));
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
