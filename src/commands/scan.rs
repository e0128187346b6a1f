//! `aibom scan`: configuration -> scan -> render -> exit status.

use crate::ExitStatus;
use crate::cli::{InspectionArgs, ScanArgs, ScanFormat};
use crate::config::{self, Config};
use crate::discover::WalkOptions;
use crate::finding::Severity;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::report;
use crate::scan::shard::{Settings, Shard};
use crate::scan::{self, ScanOptions, ScanReport};
use anyhow::{Context, Result};
use std::io::IsTerminal;

/// The scan options (flags over `aibom.toml` over defaults), and the configuration they were
/// read from. `keep_metadata`: keep small metadata files' bytes for `generate`.
pub fn options(s: &InspectionArgs, keep_metadata: bool) -> Result<(ScanOptions, Config)> {
    let cfg = Config::load(s.config.as_deref())?;
    let fail_on = s.fail_on.or(cfg.fail_on).unwrap_or(Severity::High);
    let strict = s.strict || cfg.strict.unwrap_or(false);
    let mut allow = cfg.allow_globals.clone();
    allow.extend(s.allow_globals.iter().cloned());
    let policy = Policy::new(&allow, strict).map_err(anyhow::Error::msg)?;
    let walk = WalkOptions {
        include_git: s.include_git || cfg.include_git.unwrap_or(false),
        skip: config::skip_set(cfg.skip.iter().chain(&s.skip)).map_err(anyhow::Error::msg)?,
    };
    let settings = Settings::new(
        allow.iter().map(|g| g.as_str()),
        cfg.skip.iter().chain(&s.skip).map(|g| g.glob()),
        walk.include_git,
    );
    let opts = ScanOptions {
        limits: Limits::default(),
        policy,
        fail_on,
        walk,
        progress: !s.no_progress && !super::quiet(),
        keep_metadata,
        exceptions: cfg.exceptions.clone(),
        today: crate::date::today(),
        shard: None,
        settings,
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
    let report = execute(&args)?;
    let color = super::use_color(
        args.color,
        args.output.is_none() && std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    render(&report, args.format, args.output.as_deref(), color)?;
    Ok(status(&report, OnFindings::of(&args)))
}

/// The scan a command line asks for (options, shard, scan), before it is rendered: what
/// `run` prints and what the Python API returns.
pub fn execute(args: &ScanArgs) -> Result<ScanReport> {
    let (mut opts, _) = options(&args.inspection, false)?;
    opts.shard = match (args.shard, args.shard_from_env) {
        (Some(s), _) => Some(s),
        (None, Some(n)) => {
            let k = std::env::var("JOB_COMPLETION_INDEX")
                .context("--shard-from-env: JOB_COMPLETION_INDEX is not set")?;
            Some(
                format!("{}/{n}", k.trim())
                    .parse::<Shard>()
                    .map_err(anyhow::Error::msg)
                    .context("--shard-from-env: JOB_COMPLETION_INDEX")?,
            )
        }
        (None, None) => None,
    };
    scan_with(&args.paths, &opts, args.inspection.jobs)
}

/// Writes a scan report (of `scan` or `merge`) in `format` to `output` or stdout.
pub fn render(
    report: &ScanReport,
    format: ScanFormat,
    output: Option<&std::path::Path>,
    color: bool,
) -> Result<()> {
    let buf = to_bytes(report, format, color)?;
    match output {
        Some(p) => super::write_atomic(p, &buf)
            .with_context(|| format!("writing the report to {}", p.display()))?,
        None if format == ScanFormat::Human => super::write_human_stdout(&buf)?,
        None => super::write_stdout(&buf)?,
    }
    Ok(())
}

/// A scan report in `format`, as `render` writes it.
pub fn to_bytes(report: &ScanReport, format: ScanFormat, color: bool) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    match format {
        ScanFormat::Human => report::human::write(report, &mut buf, color)?,
        ScanFormat::Json => report::json::write(report, &mut buf)?,
        ScanFormat::Sarif => report::sarif::write(report, &mut buf)?,
    }
    Ok(buf)
}

/// What findings at or above the report's fail-on do to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFindings {
    /// Exit 1 (`scan`, `merge`).
    Fail,
    /// Exit 0 (`scan --exit-zero`): the report still holds them; only unreadable files (2)
    /// fail the run.
    ExitZero,
}

impl OnFindings {
    /// As a `scan` command line asks (`--exit-zero`).
    pub fn of(args: &ScanArgs) -> OnFindings {
        if args.exit_zero {
            OnFindings::ExitZero
        } else {
            OnFindings::Fail
        }
    }
}

/// The exit status of a scan (or of a merge of shards): the only place it is decided.
pub fn status(report: &ScanReport, on_findings: OnFindings) -> ExitStatus {
    if report.summary.unreadable > 0 {
        ExitStatus::Error
    } else if on_findings == OnFindings::Fail
        && report.findings().any(|f| f.severity >= report.fail_on)
    {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
