//! `aibom merge REPORT...`: shard reports -> [`crate::scan::merge`] -> the renderers of `scan`
//! -> the exit status a single run would have.

use super::scan::{render, status};
use crate::ExitStatus;
use crate::cli::MergeArgs;
use crate::scan::{ScanReport, merge};
use anyhow::{Context, Result};
use std::io::IsTerminal;

pub fn run(args: MergeArgs) -> Result<ExitStatus> {
    let mut reports = Vec::new();
    for p in &args.reports {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
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
    Ok(status(&merged))
}
