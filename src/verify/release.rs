//! The release around the model at deploy time: each signer's release attestation
//! (`<signature>.release`, [`crate::sign::release`]) verified with that signer's trust, bound
//! to the signed model digest and the AIBOM's exact bytes, recording exactly the release the
//! AIBOM records; then every file of every artifact re-hashed under the release root (one
//! parallel pass, the model directory's rules) and compared with each signer's record as the
//! model directory is compared with each manifest. The tier is the one the attestations sign,
//! never one read from a configuration at deploy time.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{CheckKind, Checks};
use super::compare::{Signed, compare_files};
use super::pins::irregular_checks;
use super::{Attestation, Inputs, Model, Present};
use crate::bom::read::Document;
use crate::digest::Sha256;
use crate::sign::manifest::{self, Entry, HashError};
use crate::sign::release::{self, Record};
use crate::sign::statement::Resource;
use crate::sign::trust::Trust;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

/// What the release checks established.
pub(super) struct SignedRelease {
    /// The tier every valid release attestation signs (`None`: none verified, or they
    /// disagree; both reported).
    pub tier: Option<String>,
    /// The release root the artifacts were read under.
    pub root: Option<PathBuf>,
    /// The model path the signed release records.
    pub model_path: Option<String>,
}

/// Why a release is expected when no AIBOM, release root or release attestation is given:
/// the policy configures `[release]`, or an AIBOM attestation by a valid model signer records
/// a release. `None` when nothing says there is one.
fn release_expected(inputs: &Inputs, trust: &Trust, models: &[Model]) -> Option<String> {
    if inputs.release_configured {
        return Some("the policy configures a [release]".to_owned());
    }
    for m in models {
        let Some(sf) = inputs.signatures.get(m.index) else {
            continue;
        };
        let (shown, res) =
            super::attestations::by_model_signer(&sf.attestation, String::new(), "", trust, m);
        let Ok(payload) = res else { continue };
        let Ok(crate::sign::statement::Statement::Bom { subject, bom, .. }) =
            crate::sign::statement::parse(&payload)
        else {
            continue;
        };
        if subject != m.subject {
            continue;
        }
        // Fail closed: an attested AIBOM that cannot be read may record a release.
        if crate::bom::read::peek_release(bom.get()).unwrap_or(true) {
            return Some(format!("the AIBOM attested by {shown} records a release"));
        }
    }
    None
}

/// Runs the release checks when there is a release to check: the AIBOM records one, a
/// release root was given, or a signature has a release attestation. `None` otherwise.
/// `Err` only when a file cannot be read at all.
pub(super) fn check_release(
    checks: &mut Checks,
    inputs: &Inputs,
    trust: &Trust,
    models: &[Model],
    bom: Option<(&Document<'_>, Sha256)>,
) -> io::Result<Option<SignedRelease>> {
    let recorded: Option<Record> = match bom.map(|(d, _)| release::record_from_bom(d)) {
        Some(Err(e)) => {
            checks.push(
                CheckKind::ReleaseAttestation,
                false,
                "the AIBOM's release",
                "a release with a tier, and every artifact file with its SHA-256",
                &e,
            );
            return Ok(Some(SignedRelease {
                tier: None,
                root: None,
                model_path: None,
            }));
        }
        Some(Ok(r)) => r,
        None => None,
    };
    let any_attestation = inputs
        .signatures
        .iter()
        .any(|s| !matches!(s.release, Attestation::Absent));
    if recorded.is_none() && inputs.release_root.is_none() && !any_attestation {
        // Nothing given names a release; one is still expected when the policy configures
        // it, or when an AIBOM a signer attests records one: without its attestation the
        // release would go unchecked, so that is refused.
        let Some(why) = release_expected(inputs, trust, models) else {
            return Ok(None);
        };
        checks.push(
            CheckKind::ReleaseAttestation,
            false,
            "the release",
            "a release attestation beside a signature (<signature>.release)",
            &format!("{why}, but no signature has a release attestation"),
        );
    }

    // Each valid signer's release attestation.
    let mut records: Vec<(usize, Record)> = Vec::new();
    for m in models {
        let Some(sf) = inputs.signatures.get(m.index) else {
            continue;
        };
        let expected = "a release attestation by the model's signer, over this model digest and this AIBOM, recording the AIBOM's release";
        let (shown, res) = super::attestations::by_model_signer(
            &sf.release,
            sf.path.display().to_string(),
            "no release attestation beside the signature (<signature>.release)",
            trust,
            m,
        );
        let res = res
            .and_then(|payload| {
                release::parse(&payload).map_err(|e| format!("release statement: {e}"))
            })
            .and_then(|s| {
                if s.model != m.subject {
                    return Err(format!(
                        "binds model digest {}, the signed model is {}",
                        s.model, m.subject
                    ));
                }
                match bom {
                    None => {
                        Err("no AIBOM given (--bom): the release attestation binds one".to_owned())
                    }
                    Some((_, d)) if d != s.bom_sha256 => Err(format!(
                        "binds the AIBOM bytes {}, the AIBOM given has {d}",
                        s.bom_sha256
                    )),
                    _ => Ok(s.record),
                }
            })
            .and_then(|r| match &recorded {
                Some(rec) if *rec != r => {
                    Err("the signed release is not the release the AIBOM records".to_owned())
                }
                _ => Ok(r),
            });
        let actual = match &res {
            Ok(r) => format!(
                "tier {}, {} artifacts, {} files",
                r.tier,
                r.artifacts.len(),
                r.file_count()
            ),
            Err(e) => e.clone(),
        };
        checks.push_for(
            Some(m.index),
            CheckKind::ReleaseAttestation,
            res.is_ok(),
            &shown,
            expected,
            &actual,
        );
        if let Ok(r) = res {
            records.push((m.index, r));
        }
    }

    // The tier the attestations sign.
    let tiers: BTreeSet<&str> = records.iter().map(|(_, r)| r.tier.as_str()).collect();
    let tier = match tiers.len() {
        1 => tiers.first().map(|t| (*t).to_owned()),
        _ => None,
    };
    checks.push(
        CheckKind::ReleaseTier,
        tier.is_some(),
        "the release",
        "one risk tier, signed in every valid release attestation",
        &match tiers.len() {
            0 => "no valid release attestation".to_owned(),
            1 => format!("tier {}", tier.as_deref().unwrap_or_default()),
            _ => format!(
                "the attestations disagree: {}",
                tiers.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        },
    );
    let Some((_, first)) = records.first() else {
        return Ok(Some(SignedRelease {
            tier,
            root: None,
            model_path: None,
        }));
    };

    // The release root, then every artifact listed and hashed once.
    let root = match (&inputs.release_root, first.model_path.as_deref()) {
        (Some(r), Some(mp)) => release::model_inside(r, &inputs.dir, mp).map(|()| r.clone()),
        (Some(r), None) => Ok(r.clone()),
        (None, mp) => release::default_root(&inputs.dir, mp),
    };
    let root = match root {
        Ok(r) => {
            checks.push(
                CheckKind::ReleaseRoot,
                true,
                &r.display().to_string(),
                "the directory the release's paths are relative to",
                "found",
            );
            r
        }
        Err(e) => {
            checks.push(
                CheckKind::ReleaseRoot,
                false,
                "the release",
                "the directory the release's paths are relative to",
                &e,
            );
            return Ok(Some(SignedRelease {
                tier,
                root: None,
                model_path: None,
            }));
        }
    };
    let paths: BTreeSet<&str> = records
        .iter()
        .flat_map(|(_, r)| r.artifacts.iter().map(|a| a.path.as_str()))
        .collect();
    let mut entries: Vec<Entry> = Vec::new();
    for p in paths {
        let l = release::list_artifact(&root, p)?;
        irregular_checks(checks, &l.irregular);
        entries.extend(l.entries);
    }
    let refs: Vec<&Entry> = entries.iter().collect();
    let results = manifest::par_map(&refs, |e| inputs.read_release_file(e));
    let mut present: BTreeMap<String, Present> = BTreeMap::new();
    for (e, r) in entries.iter().zip(results) {
        let digest = match r {
            Ok(d) => Some(d),
            Err(HashError::Changed { name, why }) => {
                checks.push(
                    CheckKind::FileUnstable,
                    false,
                    &name,
                    "the regular file listed, with the size listed",
                    &why,
                );
                None
            }
            Err(err @ HashError::Io { .. }) => return Err(err.into()),
        };
        present.insert(e.name.clone(), Present { entry: e, digest });
    }
    for (i, r) in &records {
        let files: Vec<Resource> = r.artifacts.iter().flat_map(|a| a.files.clone()).collect();
        compare_files(
            checks,
            &Signed {
                index: Some(*i),
                resources: &files,
                allow_symlinks: false,
                summary: CheckKind::ReleaseFiles,
                what: "the release artifacts",
            },
            &present,
            &[],
            None,
        );
    }
    let model_path = first.model_path.clone();
    Ok(Some(SignedRelease {
        tier,
        root: Some(root),
        model_path,
    }))
}
