//! `aibom merge REPORT|DIR...`: shard reports (named, or the `*.json` files of a directory)
//! -> [`crate::scan::merge`] -> the renderers of `scan` -> the exit status a single run would
//! have.

use super::scan::{OnFindings, render, status};
use crate::ExitStatus;
use crate::cli::MergeArgs;
use crate::scan::{ScanReport, merge};
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub fn run(args: MergeArgs) -> Result<ExitStatus> {
    let limits = crate::limits::MergeLimits::default();
    let mut reports = Vec::new();
    for p in &report_files(&args.reports)? {
        let bytes = match std::fs::File::open(p)
            .and_then(|f| crate::source::read_capped(f, limits.max_report))
        {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                anyhow::bail!(
                    "reading {}: {e}: over the limit for a shard report",
                    p.display()
                )
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", p.display())),
        };
        let r: ScanReport = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a scan report of this aibom", p.display()))?;
        reports.push((p.display().to_string(), r));
    }
    let merged = merge::merge(reports)?;
    let color = super::use_color(
        args.color,
        args.output.is_none() && std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    render(&merged, args.format, args.output.as_deref(), color)?;
    Ok(status(&merged, OnFindings::Fail))
}

/// The report files the arguments name: a file as given, a directory as the `*.json` files
/// directly in it (the extension in any case, in name order), so that a Job can name its
/// reports volume without a shell to expand `shard-*.json`. In a directory, a link is followed
/// (as a file named on the command line is); directories and links to them are left out, and
/// any other `*.json` entry that is not a regular file (a dangling link, a FIFO) is refused,
/// naming it, as is a directory with no `*.json` file: a missing report is never a silent
/// pass (and a missing shard is refused by the merge itself).
fn report_files(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in args {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => files.extend(json_files(p)?),
            // A file, or what the read that follows names as unreadable.
            _ => files.push(p.clone()),
        }
    }
    Ok(files)
}

/// The `*.json` regular files directly in `dir`, in name order.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading the directory {}", dir.display()))?
            .path();
        if !path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        {
            continue;
        }
        let meta =
            std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            continue;
        }
        if !meta.is_file() {
            bail!(
                "{}: not a regular file (only regular files are read as reports)",
                path.display()
            );
        }
        files.push(path);
    }
    if files.is_empty() {
        bail!(
            "{}: no shard reports (*.json files) in this directory",
            dir.display()
        );
    }
    files.sort();
    Ok(files)
}
