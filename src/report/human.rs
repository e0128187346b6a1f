//! The readable table: one line per file, then its findings, then a summary.

use crate::finding::Severity;
use crate::report::escape::terminal;
use crate::scan::{ScanReport, Verdict};
use std::io::{self, Write};

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "32",
        Verdict::Unsupported => "33",
        Verdict::Malformed => "35",
        Verdict::Unsafe => "1;31",
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

pub fn write(report: &ScanReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    for t in &report.targets {
        writeln!(out, "{}", paint(&terminal(&t.root), "1", color))?;
        let width = t
            .files
            .iter()
            .map(|f| terminal(&f.path).len())
            .max()
            .unwrap_or(4)
            .clamp(4, 60);
        writeln!(
            out,
            "  {:<11} {:<w$} {:<22} {:>12}  sha256",
            "VERDICT",
            "PATH",
            "FORMAT",
            "SIZE",
            w = width
        )?;
        for f in &t.files {
            let v = format!("{:<11}", f.verdict.as_str());
            let digest = f
                .sha256
                .map(|d| d.to_hex()[..16].to_owned())
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "  {} {:<w$} {:<22} {:>12}  {}",
                paint(&v, verdict_color(f.verdict), color),
                terminal(&f.path),
                f.format.describe(),
                f.size,
                digest,
                w = width
            )?;
            for x in &f.findings {
                let sev = format!("{:<8}", x.severity.as_str());
                let mut at = String::new();
                if let Some(m) = &x.location.member {
                    at.push_str(&format!(" in {}", terminal(m)));
                }
                if let Some(o) = x.location.offset {
                    at.push_str(&format!(" at byte {o}"));
                }
                writeln!(
                    out,
                    "      {} {}{}: {}",
                    paint(&sev, severity_color(x.severity), color),
                    x.code,
                    at,
                    terminal(&x.message)
                )?;
            }
        }
        for f in &t.files {
            for x in &f.excepted {
                writeln!(
                    out,
                    "  excepted {} {} {}: {} (reason: {}{})",
                    x.finding.severity,
                    terminal(&f.path),
                    x.finding.code,
                    terminal(&x.finding.message),
                    terminal(&x.reason),
                    x.expires
                        .as_ref()
                        .map(|e| format!(", until {e}"))
                        .unwrap_or_default()
                )?;
            }
        }
        for x in &t.findings {
            writeln!(
                out,
                "  {} {} {}: {}",
                paint(
                    &format!("{:<8}", x.severity.as_str()),
                    severity_color(x.severity),
                    color
                ),
                terminal(&x.location.path),
                x.code,
                terminal(&x.message)
            )?;
        }
    }
    for e in &report.exceptions {
        let status = match e.status {
            crate::scan::exceptions::Status::Applied => "applied",
            crate::scan::exceptions::Status::Expired => "EXPIRED (no longer applies)",
            crate::scan::exceptions::Status::Unused => "unused",
        };
        writeln!(
            out,
            "exception {} in {}: {status}, {} findings ({})",
            e.code,
            terminal(&e.path),
            e.matched,
            terminal(&e.reason)
        )?;
    }
    let s = &report.summary;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| s.findings.get(sev).map(|n| format!("{n} {sev}")))
        .collect();
    writeln!(
        out,
        "\n{} files, {} bytes: {} clean, {} unsafe, {} malformed, {} unsupported; findings: {}",
        s.files,
        s.bytes,
        s.clean,
        s.unsafe_files,
        s.malformed,
        s.unsupported,
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        }
    )?;
    if let Some(v) = s.verdict {
        writeln!(
            out,
            "verdict: {} (fail-on {}, policy {})",
            paint(v.as_str(), verdict_color(v), color),
            report.fail_on,
            report.tool.policy_version
        )?;
    }
    Ok(())
}
