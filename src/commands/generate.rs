//! `aibom generate DIR`: scan (one pass) -> directory metadata -> [release] artifacts (walk +
//! hash) -> AIBOM -> write atomically.

use super::scan::{OnFindings, options, scan_with, status};
use crate::ExitStatus;
use crate::bom::{self, assemble, card};
use crate::cli::{BomFormat, GenerateArgs};
use crate::limits::ReleaseLimits;
use crate::release;
use anyhow::{Context, Result, bail};

pub fn run(args: GenerateArgs) -> Result<ExitStatus> {
    let (bytes, status) = execute(&args)?;
    match &args.output {
        Some(p) => write_to(p, &bytes)?,
        None => super::write_stdout(&bytes)?,
    }
    Ok(status)
}

/// `--output`: the document's bytes to `path`, atomically.
pub fn write_to(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    super::write_atomic(path, bytes)
        .with_context(|| format!("writing the AIBOM to {}", path.display()))
}

/// The document a command line asks for (its exact bytes) and the exit status, before it is
/// written: what `run` writes and what the Python API returns.
pub fn execute(args: &GenerateArgs) -> Result<(Vec<u8>, ExitStatus)> {
    let timestamp = timestamp(args.timestamp.as_deref())?;
    let (opts, declared) = options(&args.inspection, true)?;
    if !args.dir.is_dir() {
        return Err(super::NotADirectory(args.dir.clone()).into());
    }
    if let Some(r) = &declared.release
        && let Some(m) = &r.model
    {
        let named = r.root.join(m);
        let same = match (named.canonicalize(), args.dir.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            bail!(
                "{}: not the model directory [release] names ({})",
                args.dir.display(),
                named.display()
            );
        }
    }
    let report = scan_with(std::slice::from_ref(&args.dir), &opts, args.inspection.jobs)?;
    let release = match &declared.release {
        Some(r) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(args.inspection.jobs.unwrap_or(0))
                .build()
                .context("starting worker threads")?
                .install(|| release::collect(r, &ReleaseLimits::default()))
                .context("recording the release's artifacts")?,
        ),
        None => None,
    };
    // A link in an artifact that leaves it counts like one in the model directory.
    let release_fails = release
        .iter()
        .flat_map(|r| r.findings())
        .any(|f| f.severity >= report.fail_on);
    let target = report
        .targets
        .first()
        .context("the scan returned no target")?;
    let mut info = card::DirInfo {
        hub: card::hub_identity(&args.dir),
        ..card::DirInfo::default()
    };
    assemble::absorb_metadata(&mut info, target);
    let doc = assemble::assemble(
        &report,
        target,
        &info,
        &assemble::Options {
            timestamp,
            declared_model: declared.model,
            declared_datasets: declared.datasets,
            release,
        },
    )
    .context("serialising the AIBOM to derive its serial number")?;
    let bytes = match args.format {
        BomFormat::Cyclonedx => bom::to_json(&doc).context("serialising the AIBOM")?,
        BomFormat::Spdx3 => bom::spdx3::to_json(&bom::spdx3::from_bom(&doc))
            .context("serialising the SPDX 3 document")?,
    };
    let status = match status(&report, OnFindings::Fail) {
        ExitStatus::Success if release_fails => ExitStatus::Failure,
        s => s,
    };
    Ok((bytes, status))
}

/// `--timestamp` (RFC 3339, checked) or `SOURCE_DATE_EPOCH` (seconds), else none.
fn timestamp(flag: Option<&str>) -> Result<Option<String>> {
    if let Some(t) = flag {
        if !crate::date::is_rfc3339(t) {
            bail!("--timestamp {t:?} is not an RFC 3339 date-time such as 2026-01-31T12:00:00Z");
        }
        return Ok(Some(t.to_owned()));
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            let secs: i64 = v
                .trim()
                .parse()
                .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))?;
            Ok(Some(crate::date::rfc3339(secs)))
        }
        _ => Ok(None),
    }
}
