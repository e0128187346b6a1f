//! `aibom scan`: configuration -> scan -> render -> exit status.

use crate::ExitStatus;
use crate::cli::{ColorChoice, ScanArgs, ScanFormat};
use crate::config::{self, Config};
use crate::discover::WalkOptions;
use crate::finding::Severity;
use crate::limits::Limits;
use crate::report;
use crate::scan::policy::Policy;
use crate::scan::{self, ScanOptions, ScanReport};
use anyhow::{Context, Result};
use std::io::IsTerminal;

/// The settings shared by the commands that scan: flags over `aibom.toml` over defaults.
pub struct Settings<'a> {
    pub config: Option<&'a std::path::Path>,
    pub fail_on: Option<&'a str>,
    pub strict: bool,
    pub allow_globals: &'a [String],
    pub skip: &'a [String],
    pub include_git: bool,
    pub progress: bool,
    pub keep_metadata: bool,
}

/// The scan options, and the configuration they were read from.
pub fn options(s: &Settings) -> Result<(ScanOptions, Config)> {
    let cfg = Config::load(s.config)?;
    let fail_on = match s.fail_on {
        Some(v) => v.parse::<Severity>().map_err(anyhow::Error::msg)?,
        None => cfg.fail_on.unwrap_or(Severity::High),
    };
    let strict = s.strict || cfg.strict.unwrap_or(false);
    let mut allow = cfg.allow_globals.clone();
    allow.extend(s.allow_globals.iter().cloned());
    let policy = Policy::new(&allow, strict).map_err(anyhow::Error::msg)?;
    let mut skip = cfg.skip.clone();
    skip.extend(s.skip.iter().cloned());
    let walk = WalkOptions {
        include_git: s.include_git || cfg.include_git.unwrap_or(false),
        skip: config::globset(&skip).map_err(anyhow::Error::msg)?,
    };
    let opts = ScanOptions {
        limits: Limits::default(),
        policy,
        fail_on,
        walk,
        progress: s.progress,
        keep_metadata: s.keep_metadata,
        exceptions: cfg.exceptions.clone(),
        today: super::today(),
    };
    Ok((opts, cfg))
}

/// Runs the scan on a pool of `jobs` threads (all cores when None).
pub fn scan_with(
    paths: &[std::path::PathBuf],
    opts: &ScanOptions,
    jobs: Option<usize>,
) -> Result<ScanReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    Ok(pool.install(|| scan::scan(paths, opts))?)
}

pub fn run(args: ScanArgs) -> Result<ExitStatus> {
    let (opts, _) = options(&Settings {
        config: args.config.as_deref(),
        fail_on: args.fail_on.as_deref(),
        strict: args.strict,
        allow_globals: &args.allow_globals,
        skip: &args.skip,
        include_git: args.include_git,
        progress: !args.no_progress,
        keep_metadata: false,
    })?;
    let report = scan_with(&args.paths, &opts, args.jobs)?;

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
        ScanFormat::Human => report::human::write(&report, &mut buf, color)?,
        ScanFormat::Json => report::json::write(&report, &mut buf)?,
        ScanFormat::Sarif => report::sarif::write(&report, &mut buf)?,
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
