//! Renderers of [`crate::diff::Diff`]: a readable table, JSON (the model as is) and Markdown
//! for a pull-request comment. None of them decides the exit status.

use crate::diff::{
    Changes, ComponentEntry, Diff, DocumentInfo, FileEntry, FindingEntry, LicenseChange,
    MetricChange, ReleaseDiff, SeverityChange, VersionChange,
};
use crate::digest::Sha256;
use std::io::{self, Write};

/// Tables longer than this are folded into a `<details>` block in Markdown.
const FOLD_ROWS: usize = 10;
/// Longest description shown in a Markdown cell, in characters.
const MAX_CELL: usize = 200;

fn short(d: &Sha256) -> String {
    d.to_hex().chars().take(12).collect()
}

fn short_opt(d: Option<&Sha256>) -> String {
    d.map(short).unwrap_or_else(|| "-".to_owned())
}

fn or_none(s: Option<&str>) -> &str {
    s.unwrap_or("(none)")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Non-zero counts, joined: `2 added, 1 changed`.
fn counts(parts: &[(usize, &str)]) -> String {
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `tier high -> medium, artifacts: 1 added, 2 metrics changed`.
fn release_summary(r: &ReleaseDiff) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &r.tier {
        parts.push(format!(
            "tier {} -> {}",
            or_none(t.old.as_deref()),
            or_none(t.new.as_deref())
        ));
    }
    let a = counts(&[
        (r.artifacts.added.len(), "added"),
        (r.artifacts.removed.len(), "removed"),
        (r.artifacts.changed.len(), "changed"),
    ]);
    if !a.is_empty() {
        parts.push(format!("artifacts: {a}"));
    }
    if !r.metrics.is_empty() {
        parts.push(format!(
            "{} changed",
            plural(r.metrics.len(), "metric", "metrics")
        ));
    }
    parts.join(", ")
}

/// `0.583 -> 0.6 (+0.017)`; `(none)` on the side that does not record it.
fn metric_values(m: &MetricChange) -> String {
    format!(
        "{} -> {}{}",
        or_none(m.old.as_deref()),
        or_none(m.new.as_deref()),
        m.delta_text()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    )
}

/// One line saying what changed, for the top of a comment or the bottom of the table.
pub fn summary_line(d: &Diff) -> String {
    let s = &d.summary;
    let mut parts = Vec::new();
    if let Some(f) = d.model.iter().find(|f| f.field == "version") {
        parts.push(format!(
            "model version {} -> {}",
            or_none(f.old.as_deref()),
            or_none(f.new.as_deref())
        ));
    } else if !d.model.is_empty() {
        parts.push("model identity changed".to_owned());
    }
    if s.findings_new + s.findings_resolved + s.findings_escalated + s.findings_deescalated > 0 {
        let mut f = Vec::new();
        if s.findings_new > 0 {
            let worst = d
                .findings
                .new
                .iter()
                .map(|f| f.severity)
                .max()
                .map(|r| format!(" (worst: {r})"))
                .unwrap_or_default();
            f.push(format!("{} new{worst}", s.findings_new));
        }
        let rest = counts(&[
            (s.findings_resolved, "resolved"),
            (s.findings_escalated, "escalated"),
            (s.findings_deescalated, "de-escalated"),
        ]);
        if !rest.is_empty() {
            f.push(rest);
        }
        parts.push(format!("findings: {}", f.join(", ")));
    }
    if s.licenses_changed > 0 {
        parts.push(plural(
            s.licenses_changed,
            "licence changed",
            "licences changed",
        ));
    }
    if s.files_added + s.files_removed + s.files_changed > 0 {
        let mut f = counts(&[
            (s.files_added, "added"),
            (s.files_removed, "removed"),
            (s.files_changed, "changed"),
        ]);
        if s.weight_files_changed > 0 {
            f.push_str(&format!(
                " ({} among them)",
                plural(s.weight_files_changed, "weight file", "weight files")
            ));
        }
        parts.push(format!("files: {f}"));
    }
    let b = counts(&[
        (d.base_models.added.len(), "added"),
        (d.base_models.removed.len(), "removed"),
        (d.base_models.changed.len(), "changed"),
    ]);
    if !b.is_empty() {
        parts.push(format!("base models: {b}"));
    }
    let c = counts(&[
        (s.components_added, "added"),
        (s.components_removed, "removed"),
        (s.components_changed, "changed"),
    ]);
    if !c.is_empty() {
        parts.push(format!("components: {c}"));
    }
    if s.chat_templates_changed > 0 {
        parts.push(format!(
            "{} changed",
            plural(s.chat_templates_changed, "chat template", "chat templates")
        ));
    }
    let e = counts(&[
        (s.dependencies_added, "added"),
        (s.dependencies_removed, "removed"),
    ]);
    if !e.is_empty() {
        parts.push(format!("dependency edges: {e}"));
    }
    if !d.release.is_empty() {
        parts.push(format!("release: {}", release_summary(&d.release)));
    }
    let mut line = if parts.is_empty() {
        "no changes".to_owned()
    } else {
        parts.join("; ")
    };
    if s.unsupported > 0 {
        line.push_str(&format!(
            " ({} not compared)",
            plural(s.unsupported, "part", "parts")
        ));
    }
    line
}

fn describe_doc(i: &DocumentInfo) -> String {
    let spec = match &i.spec_version {
        Some(v) => format!("CycloneDX {v}"),
        None => "CycloneDX (no specVersion)".to_owned(),
    };
    let tools = if i.tools.is_empty() {
        "no generator named".to_owned()
    } else {
        i.tools.join(", ")
    };
    let model = match &i.model {
        Some(m) => match &m.version {
            Some(v) => format!("model {} {v}", m.name),
            None => format!("model {}", m.name),
        },
        None => "no model".to_owned(),
    };
    format!("{spec}, {tools}, {model}")
}

fn entry_version(c: &ComponentEntry) -> String {
    c.version.clone().unwrap_or_default()
}

fn license_list(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(", ")
    }
}

fn finding_at(path: Option<&str>, member: Option<&str>, offset: Option<&str>) -> String {
    // As aibom prints locations: `path!member@offset`.
    let mut s = path.unwrap_or("-").to_owned();
    if let Some(m) = member {
        s.push_str(&format!("!{m}"));
    }
    if let Some(o) = offset {
        s.push_str(&format!("@{o}"));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Human.

struct Painter(bool);

impl Painter {
    fn paint(&self, s: &str, code: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn mark(&self, m: char) -> String {
        let code = match m {
            '+' => "32",
            '-' => "31",
            '^' => "1;31",
            'v' => "36",
            '!' => "33",
            _ => "33",
        };
        self.paint(&m.to_string(), code)
    }
    fn head(&self, s: &str) -> String {
        self.paint(s, "1")
    }
}

fn human_components(
    out: &mut dyn Write,
    p: &Painter,
    title: &str,
    c: &Changes<ComponentEntry, VersionChange>,
) -> io::Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n{}: {}",
        p.head(title),
        counts(&[
            (c.added.len(), "added"),
            (c.removed.len(), "removed"),
            (c.changed.len(), "changed")
        ])
    )?;
    let width = c
        .added
        .iter()
        .chain(&c.removed)
        .map(|e| e.name.len())
        .chain(c.changed.iter().map(|e| e.name.len()))
        .max()
        .unwrap_or(4)
        .clamp(4, 50);
    for (m, e) in c
        .added
        .iter()
        .map(|e| ('+', e))
        .chain(c.removed.iter().map(|e| ('-', e)))
    {
        writeln!(
            out,
            "  {} {:<8} {:<width$} {}",
            p.mark(m),
            e.category.as_str(),
            e.name,
            entry_version(e)
        )?;
    }
    for e in &c.changed {
        let (a, b) = if e.old_version != e.new_version {
            (e.old_version.as_deref(), e.new_version.as_deref())
        } else {
            (e.old_purl.as_deref(), e.new_purl.as_deref())
        };
        writeln!(
            out,
            "  {} {:<8} {:<width$} {} -> {}",
            p.mark('~'),
            e.category.as_str(),
            e.name,
            or_none(a),
            or_none(b)
        )?;
    }
    Ok(())
}

/// The readable table: one section per kind of change, `+` added, `-` removed, `~` changed,
/// `^` escalated, `v` de-escalated, `!` not compared; then a summary line.
pub fn human(d: &Diff, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut buf = Vec::new();
    human_table(d, &mut buf, color)?;
    // Columns are padded; a blank last column leaves trailing spaces. Everything in the table
    // but the painter's own colour codes comes from the AIBOMs: escape it line by line.
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "{}", keep_painter_sgr(line.trim_end()))?;
    }
    Ok(())
}

/// The colour sequences [`Painter`] writes, and nothing else, pass through unescaped.
const PAINTER_SGR: [&str; 7] = [
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[36m",
    "\x1b[1;31m",
];

fn keep_painter_sgr(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find('\x1b') {
        let (text, tail) = rest.split_at(i);
        out.push_str(&super::escape::terminal(text));
        match PAINTER_SGR.iter().find(|sgr| tail.starts_with(**sgr)) {
            Some(sgr) => {
                out.push_str(sgr);
                rest = tail.get(sgr.len()..).unwrap_or("");
            }
            None => {
                out.push_str(&super::escape::terminal("\x1b"));
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(&super::escape::terminal(rest));
    out
}

fn human_table(d: &Diff, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let p = Painter(color);
    writeln!(out, "old: {}", describe_doc(&d.old))?;
    writeln!(out, "new: {}", describe_doc(&d.new))?;

    if !d.model.is_empty() {
        writeln!(out, "\n{}", p.head("Model"))?;
        for f in &d.model {
            writeln!(
                out,
                "  {} {:<8} {} -> {}",
                p.mark('~'),
                f.field,
                or_none(f.old.as_deref()),
                or_none(f.new.as_deref())
            )?;
        }
    }

    let fx = &d.findings;
    if !fx.is_empty() {
        writeln!(
            out,
            "\n{}: {}",
            p.head("Findings"),
            counts(&[
                (fx.new.len(), "new"),
                (fx.resolved.len(), "resolved"),
                (fx.escalated.len(), "escalated"),
                (fx.deescalated.len(), "de-escalated"),
            ])
        )?;
        let line = |out: &mut dyn Write, m: char, sev: String, f: &FindingEntry| {
            writeln!(
                out,
                "  {} {:<18} {}  {}: {}",
                p.mark(m),
                sev,
                f.id,
                finding_at(f.path.as_deref(), f.member.as_deref(), f.offset.as_deref()),
                f.description.as_deref().unwrap_or("")
            )
        };
        for f in &fx.new {
            line(out, '+', f.severity.to_string(), f)?;
        }
        for f in &fx.resolved {
            line(out, '-', f.severity.to_string(), f)?;
        }
        let change = |out: &mut dyn Write, m: char, f: &SeverityChange| {
            writeln!(
                out,
                "  {} {:<18} {}  {}: {}",
                p.mark(m),
                format!("{} -> {}", f.old, f.new),
                f.id,
                finding_at(f.path.as_deref(), f.member.as_deref(), None),
                f.description.as_deref().unwrap_or("")
            )
        };
        for f in &fx.escalated {
            change(out, '^', f)?;
        }
        for f in &fx.deescalated {
            change(out, 'v', f)?;
        }
    }

    if !d.licenses.is_empty() {
        writeln!(out, "\n{}", p.head("Licences"))?;
        for l in &d.licenses {
            writeln!(
                out,
                "  {} {} {}: {} -> {}",
                p.mark('~'),
                if l.is_model {
                    "the model"
                } else {
                    l.category.as_str()
                },
                l.name,
                license_list(&l.old),
                license_list(&l.new)
            )?;
        }
    }

    human_components(out, &p, "Base models (pedigree)", &d.base_models)?;

    let f = &d.files;
    if !f.is_empty() {
        writeln!(
            out,
            "\n{}: {}",
            p.head("Files"),
            counts(&[
                (f.added.len(), "added"),
                (f.removed.len(), "removed"),
                (f.changed.len(), "changed")
            ])
        )?;
        let width = f
            .added
            .iter()
            .chain(&f.removed)
            .map(|e| e.path.len())
            .chain(f.changed.iter().map(|e| e.path.len()))
            .max()
            .unwrap_or(4)
            .clamp(4, 60);
        let tag = |w: bool| if w { "weights" } else { "" };
        for (m, e) in f
            .added
            .iter()
            .map(|e| ('+', e))
            .chain(f.removed.iter().map(|e| ('-', e)))
        {
            writeln!(
                out,
                "  {} {:<width$} {:<7} {}",
                p.mark(m),
                e.path,
                tag(e.weights),
                short_opt(e.sha256.as_ref())
            )?;
        }
        for e in &f.changed {
            writeln!(
                out,
                "  {} {:<width$} {:<7} {} -> {}",
                p.mark('~'),
                e.path,
                tag(e.weights),
                short(&e.old_sha256),
                short(&e.new_sha256)
            )?;
        }
    }

    human_components(out, &p, "Components", &d.components)?;

    if !d.chat_templates.is_empty() {
        writeln!(out, "\n{}", p.head("Chat templates"))?;
        for t in &d.chat_templates {
            let m = match (&t.old_sha256, &t.new_sha256) {
                (None, _) => '+',
                (_, None) => '-',
                _ => '~',
            };
            writeln!(
                out,
                "  {} {}  {} -> {}",
                p.mark(m),
                t.name,
                short_opt(t.old_sha256.as_ref()),
                short_opt(t.new_sha256.as_ref())
            )?;
        }
    }

    let e = &d.dependencies;
    if !e.added.is_empty() || !e.removed.is_empty() {
        writeln!(out, "\n{}", p.head("Dependencies"))?;
        for (m, x) in e
            .added
            .iter()
            .map(|x| ('+', x))
            .chain(e.removed.iter().map(|x| ('-', x)))
        {
            writeln!(out, "  {} {} -> {}", p.mark(m), x.from, x.to)?;
        }
    }

    let r = &d.release;
    if !r.is_empty() {
        writeln!(out, "\n{}", p.head("Release"))?;
        if let Some(t) = &r.tier {
            writeln!(
                out,
                "  {} tier     {} -> {}",
                p.mark('~'),
                or_none(t.old.as_deref()),
                or_none(t.new.as_deref())
            )?;
        }
        for (m, a) in r
            .artifacts
            .added
            .iter()
            .map(|a| ('+', a))
            .chain(r.artifacts.removed.iter().map(|a| ('-', a)))
        {
            writeln!(
                out,
                "  {} artifact {} ({} {})",
                p.mark(m),
                a.name,
                a.role,
                or_none(a.path.as_deref())
            )?;
        }
        for c in &r.artifacts.changed {
            writeln!(
                out,
                "  {} artifact {}: {} {} -> {} {}",
                p.mark('~'),
                c.name,
                c.old_role,
                or_none(c.old_path.as_deref()),
                c.new_role,
                or_none(c.new_path.as_deref())
            )?;
        }
        for m in &r.metrics {
            writeln!(
                out,
                "  {} metric   {}: {}",
                p.mark('~'),
                m.label(),
                metric_values(m)
            )?;
        }
    }

    if !d.unsupported.is_empty() {
        writeln!(out, "\n{}", p.head("Not compared"))?;
        for u in &d.unsupported {
            let side = u.side.map(|s| s.as_str()).unwrap_or("both");
            write!(
                out,
                "  {} {side}: {}: {}",
                p.mark('!'),
                u.section.as_str(),
                u.reason
            )?;
            if !u.items.is_empty() {
                write!(out, ": {}", u.items.join(", "))?;
            }
            writeln!(out)?;
        }
    }

    writeln!(out, "\n{} {}", p.head("Summary:"), summary_line(d))
}

// ---------------------------------------------------------------------------------------------
// JSON.

/// The [`Diff`] model, pretty-printed.
pub fn json(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)
}

// ---------------------------------------------------------------------------------------------
// Markdown (GitHub-flavoured).

/// Text for a table cell: no pipes, newlines or HTML.
fn cell(s: &str) -> String {
    let mut t: String = s.chars().take(MAX_CELL).collect();
    if s.chars().count() > MAX_CELL {
        t.push('…');
    }
    t.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(|c: char| c.is_control(), " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code span for a cell.
fn code(s: &str) -> String {
    format!(
        "`{}`",
        s.replace('`', "'")
            .replace('|', "\\|")
            .replace(['\n', '\r'], " ")
    )
}

fn code_opt(s: Option<&str>) -> String {
    s.map(code).unwrap_or_else(|| "–".to_owned())
}

/// Writes a table, folded into `<details>` when it is long.
fn table(out: &mut dyn Write, what: &str, header: &str, rows: &[String]) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let fold = rows.len() > FOLD_ROWS;
    if fold {
        writeln!(out, "<details><summary>{} {what}</summary>\n", rows.len())?;
    }
    let cols = header.matches('|').count().saturating_sub(1);
    writeln!(out, "{header}")?;
    writeln!(out, "|{}", "---|".repeat(cols))?;
    for r in rows {
        writeln!(out, "{r}")?;
    }
    if fold {
        writeln!(out, "\n</details>")?;
    }
    writeln!(out)
}

fn md_components(
    out: &mut dyn Write,
    title: &str,
    c: &Changes<ComponentEntry, VersionChange>,
) -> io::Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    writeln!(out, "### {title}\n")?;
    let mut rows = Vec::new();
    for (what, e) in c
        .added
        .iter()
        .map(|e| ("added", e))
        .chain(c.removed.iter().map(|e| ("removed", e)))
    {
        let (old, new) = if what == "added" {
            ("–".to_owned(), code_opt(e.version.as_deref()))
        } else {
            (code_opt(e.version.as_deref()), "–".to_owned())
        };
        rows.push(format!(
            "| {what} | {} | {} | {old} | {new} | {} |",
            e.category.as_str(),
            code(&e.name),
            code_opt(e.purl.as_deref())
        ));
    }
    for e in &c.changed {
        let purl = if e.old_purl != e.new_purl {
            format!(
                "{} → {}",
                code_opt(e.old_purl.as_deref()),
                code_opt(e.new_purl.as_deref())
            )
        } else {
            code_opt(e.new_purl.as_deref())
        };
        rows.push(format!(
            "| changed | {} | {} | {} | {} | {purl} |",
            e.category.as_str(),
            code(&e.name),
            code_opt(e.old_version.as_deref()),
            code_opt(e.new_version.as_deref()),
        ));
    }
    table(
        out,
        "components",
        "| | Kind | Name | Old version | New version | purl |",
        &rows,
    )
}

fn md_file_row(what: &str, e: &FileEntry) -> String {
    let (old, new) = if what == "added" {
        ("–".to_owned(), short_opt(e.sha256.as_ref()))
    } else {
        (short_opt(e.sha256.as_ref()), "–".to_owned())
    };
    format!(
        "| {what} | {} | {} | {} | {old} | {new} |",
        code(&e.path),
        e.format.as_deref().map(cell).unwrap_or_default(),
        if e.weights { "yes" } else { "" },
    )
}

fn md_license(l: &LicenseChange) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ")
        }
    };
    format!(
        "| {} | {} | {} | {} |",
        if l.is_model {
            "**the model**"
        } else {
            l.category.as_str()
        },
        code(&l.name),
        list(&l.old),
        list(&l.new)
    )
}

/// A pull-request comment: a summary line, the two documents, then a table per section.
pub fn markdown(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## AIBOM diff\n")?;
    writeln!(out, "**{}**\n", cell(&summary_line(d)))?;

    let get = |i: &DocumentInfo, k: usize| -> Option<String> {
        let m = i.model.as_ref()?;
        match k {
            0 => Some(m.name.clone()),
            1 => m.version.clone(),
            _ => m.purl.clone(),
        }
    };
    let mut rows = vec![
        format!(
            "| CycloneDX | {} | {} |",
            d.old.spec_version.as_deref().map(cell).unwrap_or_default(),
            d.new.spec_version.as_deref().map(cell).unwrap_or_default()
        ),
        format!(
            "| Generator | {} | {} |",
            cell(&d.old.tools.join(", ")),
            cell(&d.new.tools.join(", "))
        ),
    ];
    for (k, label) in ["Model", "Version", "purl"].into_iter().enumerate() {
        let (a, b) = (get(&d.old, k), get(&d.new, k));
        let mark = if a != b && d.old.model.is_some() && d.new.model.is_some() {
            " **(changed)**"
        } else {
            ""
        };
        rows.push(format!(
            "| {label}{mark} | {} | {} |",
            code_opt(a.as_deref()),
            code_opt(b.as_deref())
        ));
    }
    table(out, "rows", "| | Old | New |", &rows)?;

    let fx = &d.findings;
    if !fx.is_empty() {
        writeln!(out, "### Findings\n")?;
        let mut rows = Vec::new();
        for (what, f) in fx
            .new
            .iter()
            .map(|f| ("new", f))
            .chain(fx.resolved.iter().map(|f| ("resolved", f)))
        {
            rows.push(format!(
                "| {what} | **{}** | {} | {} | {} |",
                f.severity,
                code(&f.id),
                code(&finding_at(
                    f.path.as_deref(),
                    f.member.as_deref(),
                    f.offset.as_deref()
                )),
                f.description.as_deref().map(cell).unwrap_or_default()
            ));
        }
        for (what, f) in fx
            .escalated
            .iter()
            .map(|f| ("escalated", f))
            .chain(fx.deescalated.iter().map(|f| ("de-escalated", f)))
        {
            rows.push(format!(
                "| {what} | {} → **{}** | {} | {} | {} |",
                f.old,
                f.new,
                code(&f.id),
                code(&finding_at(f.path.as_deref(), f.member.as_deref(), None)),
                f.description.as_deref().map(cell).unwrap_or_default()
            ));
        }
        table(
            out,
            "findings",
            "| | Severity | Finding | Location | Description |",
            &rows,
        )?;
    }

    if !d.licenses.is_empty() {
        writeln!(out, "### Licences\n")?;
        let rows: Vec<String> = d.licenses.iter().map(md_license).collect();
        table(out, "licence changes", "| | Name | Old | New |", &rows)?;
    }

    md_components(out, "Base models (pedigree)", &d.base_models)?;

    let f = &d.files;
    if !f.is_empty() {
        writeln!(out, "### Files\n")?;
        let mut rows: Vec<String> = f
            .added
            .iter()
            .map(|e| md_file_row("added", e))
            .chain(f.removed.iter().map(|e| md_file_row("removed", e)))
            .collect();
        for e in &f.changed {
            rows.push(format!(
                "| changed | {} | {} | {} | {} | {} |",
                code(&e.path),
                e.format.as_deref().map(cell).unwrap_or_default(),
                if e.weights { "yes" } else { "" },
                short(&e.old_sha256),
                short(&e.new_sha256)
            ));
        }
        table(
            out,
            "files",
            "| | Path | Format | Weights | Old SHA-256 | New SHA-256 |",
            &rows,
        )?;
    }

    md_components(out, "Components", &d.components)?;

    if !d.chat_templates.is_empty() {
        writeln!(out, "### Chat templates\n")?;
        let rows: Vec<String> = d
            .chat_templates
            .iter()
            .map(|t| {
                format!(
                    "| {} | {} | {} |",
                    code(&t.name),
                    short_opt(t.old_sha256.as_ref()),
                    short_opt(t.new_sha256.as_ref())
                )
            })
            .collect();
        table(
            out,
            "chat templates",
            "| Template | Old SHA-256 | New SHA-256 |",
            &rows,
        )?;
    }

    let e = &d.dependencies;
    if !e.added.is_empty() || !e.removed.is_empty() {
        writeln!(out, "### Dependencies\n")?;
        let rows: Vec<String> = e
            .added
            .iter()
            .map(|x| ("added", x))
            .chain(e.removed.iter().map(|x| ("removed", x)))
            .map(|(what, x)| format!("| {what} | {} | {} |", code(&x.from), code(&x.to)))
            .collect();
        table(out, "dependency edges", "| | From | Depends on |", &rows)?;
    }

    let r = &d.release;
    if !r.is_empty() {
        writeln!(out, "### Release\n")?;
        let mut rows = Vec::new();
        if let Some(t) = &r.tier {
            rows.push(format!(
                "| tier changed | {} | {} → **{}** |",
                code("aibom:release:tier"),
                code_opt(t.old.as_deref()),
                code_opt(t.new.as_deref())
            ));
        }
        for (what, a) in r
            .artifacts
            .added
            .iter()
            .map(|a| ("artifact added", a))
            .chain(r.artifacts.removed.iter().map(|a| ("artifact removed", a)))
        {
            rows.push(format!(
                "| {what} | {} | {} {} |",
                code(&a.name),
                cell(&a.role),
                code_opt(a.path.as_deref())
            ));
        }
        for c in &r.artifacts.changed {
            rows.push(format!(
                "| artifact changed | {} | {} {} → {} {} |",
                code(&c.name),
                cell(&c.old_role),
                code_opt(c.old_path.as_deref()),
                cell(&c.new_role),
                code_opt(c.new_path.as_deref())
            ));
        }
        for m in &r.metrics {
            rows.push(format!(
                "| metric changed | {} | {} → {}{} |",
                code(&m.label()),
                code_opt(m.old.as_deref()),
                code_opt(m.new.as_deref()),
                m.delta_text()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
        }
        table(out, "release changes", "| | What | Change |", &rows)?;
    }

    if !d.unsupported.is_empty() {
        writeln!(out, "### Not compared\n")?;
        let rows: Vec<String> = d
            .unsupported
            .iter()
            .map(|u| {
                let mut reason = u.reason.clone();
                if !u.items.is_empty() {
                    reason.push_str(": ");
                    reason.push_str(&u.items.join(", "));
                }
                format!(
                    "| {} | {} | {} |",
                    u.side.map(|s| s.as_str()).unwrap_or("both"),
                    u.section.as_str(),
                    cell(&reason)
                )
            })
            .collect();
        table(out, "notes", "| Document | Section | Why |", &rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod escape_tests {
    use super::keep_painter_sgr;

    #[test]
    fn names_cannot_inject_lines_or_escapes_but_colours_stay() {
        let line = "\x1b[32m+\x1b[0m model x\u{1b}[8mhidden\rACCEPTED";
        let got = keep_painter_sgr(line);
        assert!(got.starts_with("\x1b[32m+\x1b[0m model x"), "{got:?}");
        assert!(!got.contains("\x1b[8m"), "{got:?}");
        assert!(!got.contains('\r'), "{got:?}");
        assert_eq!(keep_painter_sgr("plain"), "plain");
    }
}
