//! What the AIBOM records (files, findings, version) against the directory and the policy.

use super::Policy;
use super::checks::{CheckKind, Checks};
use crate::bom::read::{Document, FileRule, PathRule, Sha256Rule};
use crate::config::{Exception, NumericVersion, Subject};
use crate::digest::Sha256;
use crate::finding::{Code, Finding};
use crate::sign::statement::Resource;
use std::collections::{BTreeMap, BTreeSet};

/// Every file the AIBOM lists for the model (`metadata.component.components[type=file]`, by
/// `name`) whose SHA-256 differs from `resources`, and files missing on either side
/// (signature files excluded).
pub fn bom_file_mismatches(bom: &Document<'_>, resources: &[Resource]) -> Vec<String> {
    let listed: BTreeMap<String, String> = bom
        .files(FileRule::ModelDirect)
        .iter()
        .filter_map(|f| Some((f.path(PathRule::Name)?, f.sha256(Sha256Rule::Exact)?)))
        .collect();
    let actual: BTreeMap<&str, String> = resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest.to_hex()))
        .collect();
    let mut out = Vec::new();
    for (name, d) in &actual {
        match listed.get(*name) {
            Some(l) if l == d => {}
            Some(l) => out.push(format!("{name}: the AIBOM records {l}, the file is {d}")),
            None => out.push(format!("{name}: present but not in the AIBOM")),
        }
    }
    for name in listed.keys() {
        if !actual.contains_key(name.as_str()) {
            out.push(format!("{name}: in the AIBOM but not present"));
        }
    }
    out
}

/// The finding code `id` says the analysis stopped at a limit ([`Code::cuts_analysis`]): it
/// refuses the release whatever its recorded severity and the policy's level, as it fails a
/// scan whatever `--fail-on` is.
fn cuts_analysis(id: &str) -> bool {
    id.parse::<Code>().is_ok_and(Code::cuts_analysis)
}

/// Whether `x` has expired: past its date, or dated while the clock cannot be read.
fn expired(x: &Exception, policy: &Policy) -> bool {
    x.expired(policy.today())
}

/// The exception accepting `code` in `path` (pinned to the bytes hashed in the directory), if
/// any.
fn exception_for<'p>(
    policy: &'p Policy,
    code: &str,
    path: &str,
    actual: &BTreeMap<String, Sha256>,
) -> Option<(usize, &'p Exception)> {
    let subject = Subject {
        code,
        path,
        sha256: actual.get(path),
    };
    policy
        .exceptions
        .iter()
        .enumerate()
        .find(|(_, x)| x.matches(&subject))
}

fn expiry_text(x: &Exception) -> String {
    x.expires.map(|e| e.to_string()).unwrap_or_default()
}

/// Findings the AIBOM records at or above the policy's level (or with a severity that does not
/// parse) refuse the release, unless an unexpired exception for that code and path (and, if
/// pinned, those bytes) accepts them. Returns the exceptions used.
pub fn findings_policy(
    checks: &mut Checks,
    bom: &Document<'_>,
    actual: &BTreeMap<String, Sha256>,
    policy: &Policy,
    used: &mut BTreeSet<usize>,
) {
    for v in &bom.findings().0 {
        let sev = v.severity_fail_closed();
        let cut = v.get("id").str().is_some_and(cuts_analysis);
        if sev.as_ref().is_ok_and(|s| *s < policy.fail_on) && !cut {
            continue;
        }
        let sev_text = match &sev {
            Ok(s) => s.to_string(),
            Err(e) => format!("{e}, which fails closed"),
        };
        let code = v.get("id").str().unwrap_or("?");
        let path = v.first_path.str().unwrap_or("?");
        let subject = format!("{code} in {path}");
        let expected = format!("below {} or excepted", policy.fail_on);
        match exception_for(policy, code, path, actual) {
            Some((_, x)) if expired(x, policy) => checks.push(
                CheckKind::Finding,
                false,
                &subject,
                &expected,
                &format!(
                    "{sev_text}; the exception expired on {} (or the clock cannot be read)",
                    expiry_text(x)
                ),
            ),
            Some((n, x)) => {
                used.insert(n);
                checks.push(
                    CheckKind::FindingExcepted,
                    true,
                    &subject,
                    &expected,
                    &format!("{sev_text}, excepted: {}", x.reason),
                );
            }
            None => checks.push(
                CheckKind::Finding,
                false,
                &subject,
                &expected,
                &format!("{sev_text}: {}", v.get("description").str().unwrap_or("")),
            ),
        }
    }
}

/// Findings `--rescan` found at or above the policy's level: each must be recorded in the AIBOM
/// (same code and path; the recorded one then goes through [`findings_policy`]) or accepted by
/// an unexpired exception.
pub fn rescan_policy(
    checks: &mut Checks,
    found: &[(String, Finding)],
    bom: Option<&Document<'_>>,
    actual: &BTreeMap<String, Sha256>,
    policy: &Policy,
    used: &mut BTreeSet<usize>,
) {
    let recorded: BTreeSet<(String, String)> = bom
        .into_iter()
        .flat_map(|b| b.findings().0)
        .filter_map(|v| {
            Some((
                v.get("id").str()?.to_owned(),
                v.first_path.str()?.to_owned(),
            ))
        })
        .collect();
    let mut seen = BTreeSet::new();
    for (path, f) in found {
        if f.severity < policy.fail_on && !f.code.cuts_analysis() {
            continue;
        }
        let code = f.code.as_str();
        if recorded.contains(&(code.to_owned(), path.clone()))
            || !seen.insert((code.to_owned(), path.clone()))
        {
            continue;
        }
        let subject = format!("{code} in {path}");
        let expected = "recorded in the signed AIBOM, or excepted";
        match exception_for(policy, code, path, actual) {
            Some((n, x)) if !expired(x, policy) => {
                used.insert(n);
                checks.push(
                    CheckKind::RescanFinding,
                    true,
                    &subject,
                    expected,
                    &format!("{}, not in the AIBOM, excepted: {}", f.severity, x.reason),
                );
            }
            _ => checks.push(
                CheckKind::RescanFinding,
                false,
                &subject,
                expected,
                &format!("{}, not in the AIBOM: {}", f.severity, f.message),
            ),
        }
    }
}

/// Exceptions no finding used, listed so stale ones are noticed.
pub fn unused_exceptions(checks: &mut Checks, policy: &Policy, used: &BTreeSet<usize>) {
    for (n, x) in policy.exceptions.iter().enumerate() {
        if !used.contains(&n) {
            checks.push(
                CheckKind::ExceptionUnused,
                true,
                &format!("{} in {}", x.code, x.path),
                "an exception that matches a finding",
                "unused (no such finding, or the pinned bytes changed)",
            );
        }
    }
}

/// `min-version` in the policy: the AIBOM records this model version or a later one. A
/// recorded version that cannot be ordered (a git revision, `1.0-rc1`) fails closed.
pub fn version_pin(checks: &mut Checks, bom: Option<&Document<'_>>, min: &NumericVersion) {
    version_check(
        checks,
        bom,
        &format!("{min} or later"),
        |h| match h.parse::<NumericVersion>() {
            Ok(hv) if hv.at_least(min) => (true, h.to_owned()),
            Ok(_) => (false, format!("{h}, older than {min}")),
            Err(()) => (false, format!("{h:?}, which cannot be ordered")),
        },
    );
}

/// `version` in the policy: the AIBOM records exactly this model version (a hub commit or a
/// release tag, which have no order).
pub fn exact_version_pin(checks: &mut Checks, bom: Option<&Document<'_>>, want: &str) {
    version_check(checks, bom, want, |h| (h == want, h.to_owned()));
}

/// The model version the AIBOM records, judged by `judge` (ok, what was found).
fn version_check(
    checks: &mut Checks,
    bom: Option<&Document<'_>>,
    wanted: &str,
    judge: impl Fn(&str) -> (bool, String),
) {
    let have = bom.and_then(|b| b.model?.get("version").str());
    let (ok, actual) = match (bom, have) {
        (None, _) => (
            false,
            "no AIBOM given (--bom): the version cannot be checked".to_owned(),
        ),
        (Some(_), None) => (false, "the AIBOM records no version".to_owned()),
        (Some(_), Some(h)) => judge(h),
    };
    checks.push(
        CheckKind::ModelVersion,
        ok,
        "the release",
        &format!("an AIBOM recording model version {wanted}"),
        &actual,
    );
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use serde_json::{Value, json};

    fn severity_of(v: &Value) -> Result<Severity, String> {
        crate::bom::read::Object::new(v).severity_fail_closed()
    }

    #[test]
    fn an_unknown_or_missing_severity_fails_closed() {
        assert_eq!(
            severity_of(&json!({"ratings": [{"severity": "high"}]})),
            Ok(Severity::High)
        );
        assert_eq!(
            severity_of(&json!({"ratings": [{"severity": "none"}]})),
            Ok(Severity::Info)
        );
        for v in [
            json!({"ratings": [{"severity": "unknown"}]}),
            json!({"ratings": [{"severity": "severe"}]}),
            json!({"ratings": [{"severity": "low"}, {"method": "other"}]}),
            json!({"ratings": []}),
            json!({}),
        ] {
            assert!(severity_of(&v).is_err(), "{v}");
        }
    }

    #[test]
    fn orders_numeric_versions_and_refuses_the_rest() {
        let v = |s: &str| s.parse::<NumericVersion>().unwrap();
        assert!(v("1.2.0").at_least(&v("1.2")));
        assert!(v("v1.10").at_least(&v("1.9.9")));
        assert!(!v("1.2").at_least(&v("1.2.1")));
        for bad in [
            "1.0-rc1",
            "a1b2c3d",
            "",
            "1.+2",
            "vv1",
            "1.v2",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<NumericVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_clock_that_cannot_be_read_expires_dated_exceptions() {
        let x = Exception {
            code: crate::finding::Code::PickleDangerousCall,
            path: "w.pkl".into(),
            sha256: None,
            reason: "r".into(),
            owner: None,
            expires: Some(jiff::civil::date(2099, 12, 31)),
        };
        let policy = Policy::at(None);
        assert!(expired(&x, &policy));
        let undated = Exception {
            expires: None,
            ..x.clone()
        };
        assert!(!expired(&undated, &policy));
        let policy = Policy::at(Some(jiff::Timestamp::from_second(1_800_000_000).unwrap()));
        assert!(!expired(&x, &policy));
        let policy = Policy::at(Some(jiff::Timestamp::from_second(4_200_000_000).unwrap()));
        assert!(expired(&x, &policy), "past 2099-12-31");
    }
}
