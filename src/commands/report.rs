//! `aibom report` (being written).
use crate::ExitStatus;
use crate::cli::ReportArgs;
use anyhow::Result;

pub fn run(_args: ReportArgs) -> Result<ExitStatus> {
    Ok(ExitStatus::Success)
}
