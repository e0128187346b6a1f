//! `aibom scan`: configuration -> scan -> render -> exit status.

use crate::ExitStatus;
use crate::cli::{ColorChoice, OutputFormat, ScanArgs};
use crate::config::{self, Config};
use crate::discover::WalkOptions;
use crate::finding::Severity;
use crate::limits::Limits;
use crate::report;
use crate::scan::policy::Policy;
use crate::scan::{self, ScanOptions, ScanReport};
use anyhow::{Context, Result};
use std::io::IsTerminal;

pub fn run(args: ScanArgs) -> Result<ExitStatus> {
    let cfg = Config::load(args.config.as_deref())?;
    let fail_on = match &args.fail_on {
        Some(s) => s.parse::<Severity>().map_err(anyhow::Error::msg)?,
        None => cfg.fail_on.unwrap_or(Severity::High),
    };
    let strict = args.strict || cfg.strict.unwrap_or(false);
    let mut allow = cfg.allow_globals.clone();
    allow.extend(args.allow_globals.iter().cloned());
    let policy = Policy::new(&allow, strict).map_err(anyhow::Error::msg)?;
    let mut skip = cfg.skip.clone();
    skip.extend(args.skip.iter().cloned());
    let walk = WalkOptions {
        include_git: args.include_git || cfg.include_git.unwrap_or(false),
        skip: config::globset(&skip).map_err(anyhow::Error::msg)?,
    };
    let opts = ScanOptions {
        limits: Limits::default(),
        policy,
        fail_on,
        walk,
        progress: !args.no_progress,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let report = pool.install(|| scan::scan(&args.paths, &opts))?;

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let mut buf = Vec::new();
    match args.format {
        OutputFormat::Human => report::human::write(&report, &mut buf, color)?,
        OutputFormat::Json => report::json::write(&report, &mut buf)?,
    }
    match &args.output {
        Some(p) => super::write_atomic(p, &buf)
            .with_context(|| format!("writing the report to {}", p.display()))?,
        None => super::write_stdout(&buf)?,
    }
    Ok(status(&report))
}

/// The exit status of a scan: the only place it is decided.
pub fn status(report: &ScanReport) -> ExitStatus {
    if report.summary.unreadable > 0 {
        ExitStatus::Error
    } else if report.findings().any(|f| f.severity >= report.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
