//! `aibom diff OLD NEW`: read two AIBOMs -> compare -> render -> gate on `--fail-on`.

use crate::ExitStatus;
use crate::cli::{DiffArgs, DiffFormat};
use crate::diff::{self, Diff, Document, Drift};
use crate::finding::Severity;
use crate::report;
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Read};
use std::path::Path;

fn load(path: &Path) -> Result<Document> {
    // The caps `verify` reads an AIBOM under ([`crate::limits::VerifyLimits`]).
    let limits = crate::limits::VerifyLimits::default();
    let max = limits.max_bom;
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    // A regular file past the cap is refused unread; a pipe is read up to it.
    if let Ok(m) = file.metadata()
        && m.is_file()
        && m.len() > max
    {
        bail!(
            "{} is {} bytes, larger than the {max} read: not read",
            path.display(),
            m.len()
        );
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > max {
        bail!("{} is larger than {max} bytes: not read", path.display());
    }
    let value = super::parse_bom(&bytes, path, &limits)?;
    super::refuse_spdx3(&value, path, "diff")?;
    Document::from_value(&value).with_context(|| format!("{} is not an AIBOM", path.display()))
}

/// The `--fail-on` kinds, each once, in the order given.
fn gates(args: &DiffArgs) -> Vec<Drift> {
    let mut out = Vec::new();
    for &d in &args.fail_on {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

pub fn run(args: DiffArgs) -> Result<ExitStatus> {
    let gates = gates(&args);
    let threshold: Severity = args.fail_on_severity;
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let d = diff::compare(&old, &new);

    let mut buf = Vec::new();
    match args.format {
        DiffFormat::Human => {
            let color = super::use_color(
                args.color,
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            report::diff::human(&d, &mut buf, color)?
        }
        DiffFormat::Json => report::diff::json(&d, &mut buf)?,
        DiffFormat::Markdown => report::diff::markdown(&d, &mut buf)?,
    }
    if args.format == DiffFormat::Human {
        super::write_human_stdout(&buf)?;
    } else {
        super::write_stdout(&buf)?;
    }
    Ok(status(&d, &gates, threshold))
}

/// The exit status of a diff: the only place it is decided. A gate trips on a matching change,
/// and also when the part of the documents it watches could not be compared (fail-closed);
/// each tripped gate is named on stderr.
pub fn status(d: &Diff, gates: &[Drift], threshold: Severity) -> ExitStatus {
    let mut failed = false;
    for &g in gates {
        let n = d.count(g, threshold);
        let undecided = d.undecided(g);
        if n > 0 {
            let s = if n == 1 { "" } else { "s" };
            super::note!("aibom: diff: --fail-on {g}: {n} matching change{s}");
            failed = true;
        }
        if !undecided.is_empty() {
            let why: Vec<String> = undecided
                .iter()
                .map(|u| {
                    let side = u.side.map(|s| s.as_str()).unwrap_or("both");
                    format!("{side}: {}", u.reason)
                })
                .collect();
            super::note!(
                "aibom: diff: --fail-on {g}: could not be decided ({})",
                why.join("; ")
            );
            failed = true;
        }
    }
    if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
