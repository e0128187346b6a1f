//! Applying accountable exceptions ([`crate::config::Exception`]) to a scan: an expired
//! exception stops applying, and says so. Exceptions are applied before any verdict or exit
//! status is decided; unused ones are reported.

use super::{FileReport, TargetReport, verdict};
use crate::config::{Exception, Subject};
use crate::digest::Sha256;
use crate::finding::{Code, Finding, Severity};
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date as written in the configuration (`YYYY-MM-DD`).
fn date<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// A date as a report wrote it (`aibom merge`).
fn read_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}

/// A finding an exception accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Excepted {
    pub finding: Finding,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "date",
        deserialize_with = "read_date"
    )]
    pub expires: Option<Date>,
}

/// What became of one exception.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It accepted at least one finding.
    Applied,
    /// Its date has passed: the findings it named are active again.
    Expired,
    /// No finding matched it (fixed, moved, or the pinned bytes changed).
    Unused,
}

impl Status {
    /// The one rule, for a scan and for shards merged: expiry first, then whether anything
    /// matched.
    pub fn of(expired: bool, matched: u64) -> Status {
        if expired {
            Status::Expired
        } else if matched == 0 {
            Status::Unused
        } else {
            Status::Applied
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub code: Code,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "date",
        deserialize_with = "read_date"
    )]
    pub expires: Option<Date>,
    pub status: Status,
    /// Findings it accepted (or would have, for an expired one).
    pub matched: u64,
}

/// Moves accepted findings out of `findings` into `excepted`; counts matches per exception.
fn apply_to(
    findings: &mut Vec<Finding>,
    excepted: &mut Vec<Excepted>,
    file_sha: Option<&Sha256>,
    rules: &[Exception],
    today: Option<Date>,
    counts: &mut [u64],
) {
    let mut keep = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let hit = rules.iter().enumerate().find(|(_, x)| {
            x.matches(&Subject {
                code: f.code.as_str(),
                path: &f.location.path,
                sha256: file_sha,
            })
        });
        match hit {
            Some((i, x)) => {
                counts[i] += 1;
                if x.expired(today) {
                    keep.push(f);
                } else {
                    excepted.push(Excepted {
                        finding: f,
                        reason: x.reason.clone(),
                        owner: x.owner.clone(),
                        expires: x.expires,
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
    rules: &[Exception],
    today: Option<Date>,
    fail_on: Severity,
) -> Vec<Outcome> {
    let mut counts = vec![0u64; rules.len()];
    for t in targets.iter_mut() {
        for f in t.files.iter_mut() {
            let sha = f.sha256;
            let FileReport {
                findings, excepted, ..
            } = f;
            apply_to(findings, excepted, sha.as_ref(), rules, today, &mut counts);
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
            code: x.code,
            path: x.path.clone(),
            sha256: x.sha256,
            reason: x.reason.clone(),
            owner: x.owner.clone(),
            expires: x.expires,
            status: Status::of(x.expired(today), n),
            matched: n,
        })
        .collect()
}
