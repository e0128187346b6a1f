//! The checks of one signature that need no directory, what the verifier itself leaves out,
//! and the irregular entries of the walk.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{CheckKind, Checks};
use super::{Inputs, Policy};
use crate::sign::manifest::{self, Irregular};
use crate::sign::statement::{self, Resource};
use crate::sign::trust::Accepted;
use std::path::PathBuf;

/// The checks of one signature that need no directory: the pinned model name and signature
/// age, a manifest that covers something, and which of the signer's ignores the policy
/// honours (returned).
#[allow(clippy::too_many_arguments)]
pub(super) fn signature_pins(
    checks: &mut Checks,
    i: usize,
    shown: &str,
    accepted: &Accepted,
    subject_name: &str,
    resources: &[Resource],
    ignore_paths: &[String],
    inputs: &Inputs,
    policy: &Policy,
) -> Vec<String> {
    if let Some(name) = &policy.model_name {
        checks.push_for(
            Some(i),
            CheckKind::ModelName,
            subject_name == name,
            shown,
            &format!("a signature for the model {name:?}"),
            &format!("signed as {subject_name:?}"),
        );
    }
    if let Some(max) = policy.max_signature_age {
        let (ok, actual) = match (accepted.signed_at, policy.now()) {
            (None, _) => (
                false,
                "the signature carries no verified time (key and certificate signatures never do)"
                    .to_owned(),
            ),
            (Some(_), None) => (false, "the clock cannot be read".to_owned()),
            (Some(at), Some(now)) => {
                let age = now.as_second().saturating_sub(at);
                (
                    age <= i64::try_from(max).unwrap_or(i64::MAX),
                    format!(
                        "signed at {}, {} seconds ago",
                        jiff::Timestamp::from_second(at)
                            .map(|t| t.to_string())
                            .unwrap_or_else(|_| at.to_string()),
                        age
                    ),
                )
            }
        };
        checks.push_for(
            Some(i),
            CheckKind::SignatureAge,
            ok,
            shown,
            &format!("a verified signing time at most {max} seconds ago"),
            &actual,
        );
    }
    if resources.is_empty() {
        checks.push_for(
            Some(i),
            CheckKind::ManifestEmpty,
            false,
            shown,
            "a manifest that lists at least one file",
            "it lists none: nothing in the directory would be checked",
        );
    }
    let verifier = verifier_ignores(inputs);
    let mut honoured = Vec::new();
    for p in ignore_paths {
        let p = p.trim_end_matches('/');
        if p.is_empty() {
            continue;
        }
        if manifest::is_ignored(p, &verifier) || policy.allows_signed_ignore(p) {
            honoured.push(p.to_owned());
        } else {
            checks.push_for(
                Some(i),
                CheckKind::SignedIgnore,
                true,
                p,
                "a path the policy lets a signer leave out (signed-ignores)",
                &format!("left out by {shown}; not honoured: the path is checked like any other"),
            );
        }
    }
    honoured
}

/// What the verifier itself leaves out: model-signing's defaults, the signature, attestation
/// and AIBOM files when they lie inside the directory, and `--ignore-path`.
pub(super) fn verifier_ignores(inputs: &Inputs) -> Vec<String> {
    let mut v: Vec<String> = statement::DEFAULT_IGNORES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for s in &inputs.signatures {
        v.extend(crate::sign::manifest::inside(&inputs.dir, &s.path));
        for ext in [".bom", ".release"] {
            let mut att = s.path.clone().into_os_string();
            att.push(ext);
            v.extend(crate::sign::manifest::inside(
                &inputs.dir,
                &PathBuf::from(att),
            ));
        }
    }
    if let Some((p, _)) = &inputs.bom {
        v.extend(crate::sign::manifest::inside(&inputs.dir, p));
    }
    v.extend(
        inputs
            .extra_ignores
            .iter()
            .map(|e| e.trim_end_matches('/').to_owned())
            .filter(|e| !e.is_empty()),
    );
    v.sort();
    v.dedup();
    v
}

pub(super) fn irregular_checks(checks: &mut Checks, irregular: &[Irregular]) {
    for irr in irregular {
        let (kind, subject, actual) = match irr {
            Irregular::Symlink { name, target } => (
                CheckKind::Symlink,
                name.clone(),
                format!("a symbolic link to {target}; not followed"),
            ),
            Irregular::Incomplete { name } => (
                CheckKind::PartialDownload,
                name.clone(),
                "an unfinished download".to_owned(),
            ),
            Irregular::NotUtf8 { path } => (
                CheckKind::NameNotUtf8,
                path.clone(),
                "a file name that is not UTF-8".to_owned(),
            ),
            Irregular::Special { name, kind } => (
                CheckKind::SpecialFile,
                name.clone(),
                format!("a {kind}; never read"),
            ),
            Irregular::BadName { name, why } => (
                CheckKind::NameNotAllowed,
                name.clone(),
                format!("a name no manifest may list: {why}"),
            ),
        };
        checks.push(kind, false, &subject, "a regular file", &actual);
    }
}
