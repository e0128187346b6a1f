//! JSON output: the [`ScanReport`] itself, described by `schemas/scan-report.schema.json`.

use crate::scan::ScanReport;
use std::io::{self, Write};

pub fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
