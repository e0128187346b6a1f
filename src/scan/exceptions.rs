//! Accountable exceptions (`[[exception]]` in `aibom.toml`): a finding accepted on purpose,
//! with a reason, optionally pinned to the file's SHA-256 (changed bytes bring the finding
//! back) and an expiry date (an expired exception stops applying, and says so). Exceptions are
//! applied before any verdict or exit status is decided; unused ones are reported.

use super::{FileReport, TargetReport, verdict};
use crate::config::ExceptionSpec;
use crate::finding::{Finding, Severity};
use serde::Serialize;

/// A finding an exception accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Excepted {
    pub finding: Finding,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// What became of one exception.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It accepted at least one finding.
    Applied,
    /// Its date has passed: the findings it named are active again.
    Expired,
    /// No finding matched it (fixed, moved, or the pinned bytes changed).
    Unused,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub code: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub status: Status,
    /// Findings it accepted (or would have, for an expired one).
    pub matched: u64,
}

fn matches(x: &ExceptionSpec, f: &Finding, file_sha: Option<&str>) -> bool {
    x.code == f.code.as_str()
        && x.path == f.location.path
        && x.sha256
            .as_ref()
            .is_none_or(|h| file_sha.is_some_and(|s| s.eq_ignore_ascii_case(h)))
}

/// Moves accepted findings out of `findings` into `excepted`; counts matches per exception.
fn apply_to(
    findings: &mut Vec<Finding>,
    excepted: &mut Vec<Excepted>,
    file_sha: Option<&str>,
    rules: &[ExceptionSpec],
    today: &str,
    counts: &mut [u64],
) {
    let mut keep = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let hit = rules
            .iter()
            .enumerate()
            .find(|(_, x)| matches(x, &f, file_sha));
        match hit {
            Some((i, x)) => {
                counts[i] += 1;
                let expired = x.expires.as_deref().is_some_and(|e| e < today);
                if expired {
                    keep.push(f);
                } else {
                    excepted.push(Excepted {
                        finding: f,
                        reason: x.reason.clone(),
                        owner: x.owner.clone(),
                        expires: x.expires.clone(),
                    });
                }
            }
            None => keep.push(f),
        }
    }
    *findings = keep;
}

/// Applies the exceptions to every target; returns what became of each.
pub fn apply(
    targets: &mut [TargetReport],
    rules: &[ExceptionSpec],
    today: &str,
    fail_on: Severity,
) -> Vec<Outcome> {
    let mut counts = vec![0u64; rules.len()];
    for t in targets.iter_mut() {
        for f in t.files.iter_mut() {
            let sha = f.sha256.map(|d| d.to_hex());
            let FileReport {
                findings, excepted, ..
            } = f;
            apply_to(
                findings,
                excepted,
                sha.as_deref(),
                rules,
                today,
                &mut counts,
            );
            f.verdict = verdict(&f.findings, f.format, fail_on);
        }
        let TargetReport {
            findings, excepted, ..
        } = t;
        apply_to(findings, excepted, None, rules, today, &mut counts);
    }
    rules
        .iter()
        .zip(counts)
        .map(|(x, n)| Outcome {
            code: x.code.clone(),
            path: x.path.clone(),
            sha256: x.sha256.clone(),
            reason: x.reason.clone(),
            owner: x.owner.clone(),
            expires: x.expires.clone(),
            status: if x.expires.as_deref().is_some_and(|e| e < today) {
                Status::Expired
            } else if n == 0 {
                Status::Unused
            } else {
                Status::Applied
            },
            matched: n,
        })
        .collect()
}
