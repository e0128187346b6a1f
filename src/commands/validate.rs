//! `aibom validate FILE`: CycloneDX 1.6 schema plus the checks a schema cannot do.

use crate::ExitStatus;
use crate::bom::validate::{self, ProblemKind};
use crate::cli::{OutputFormat, ValidateArgs};
use anyhow::{Context, Result};
use std::fmt::Write as _;

pub fn run(args: ValidateArgs) -> Result<ExitStatus> {
    let text =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    super::refuse_spdx3(&doc, &args.file, "validate")?;
    let problems = validate::validate(&doc);
    let mut out = String::new();
    match args.format {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "file": args.file.display().to_string(),
                "valid": problems.is_empty(),
                "problems": problems,
            });
            out = serde_json::to_string_pretty(&v)? + "\n";
        }
        OutputFormat::Human => {
            for p in &problems {
                let kind = match p.kind {
                    ProblemKind::Schema => "schema",
                    ProblemKind::Semantic => "rule",
                };
                let path = if p.path.is_empty() {
                    "/"
                } else {
                    p.path.as_str()
                };
                let _ = writeln!(out, "{kind}: {path}: {}", p.message);
            }
            let _ = writeln!(
                out,
                "{}: {}",
                args.file.display(),
                if problems.is_empty() {
                    "valid CycloneDX 1.6".to_owned()
                } else {
                    format!("{} problems", problems.len())
                }
            );
        }
    }
    match args.format {
        OutputFormat::Json => super::write_stdout(out.as_bytes())?,
        OutputFormat::Human => super::write_human_stdout(out.as_bytes())?,
    }
    Ok(if problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
