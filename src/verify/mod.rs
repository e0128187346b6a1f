//! Deploy-time verification: is this directory exactly what was scanned, recorded and
//! approved?
//!
//! ```text
//! signatures (regular files, capped) -> check each against the configured trust (only the
//!   DSSE envelope; the statement read is the one verified) -> parse statements -> pins
//!   (model name, signature age, a manifest that covers something, signed ignores the policy
//!   allows)
//!   -> walk the directory once (ignored subtrees pruned; links, FIFOs, sockets, devices and
//!      odd names reported) -> hash only files some manifest lists (opened O_NOFOLLOW, fstat:
//!      regular, listed size, never read past it) [+ --rescan: inspect them in the same read]
//!   -> compare with each manifest under its own signer's ignores
//!   -> AIBOM: valid, bound by each signer's attestation, lists the signed files, findings vs
//!      policy (exceptions with reason and a real expiry date), rescan findings it does not
//!      record, version pin
//!   -> release (`release.rs`): each signer's release attestation, every artifact file
//!      re-hashed under the release root; the signed tier
//!   -> evaluation gates on the bound AIBOM's metrics (`gates.rs`), changes since --previous
//!   -> roles: each filled by a distinct signer whose signature passed every check of its own
//!      (the signed tier's roles, plus those changes require) -> threshold -> Verdict
//!   [--stage: every file hashed is copied in the same read (`stage.rs`); the copy is moved
//!    into place only when the verdict accepts]
//! ```
//!
//! Every check is recorded with what was expected and what was found. Without signer roles
//! every check must hold. With roles, a check about one signature only decides whether that
//! signature counts towards its role (a missing or stale signature is reported, not fatal),
//! and the threshold decides. Nothing is fetched from the network, and no path a manifest
//! names is opened: the directory is walked, and names are compared.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod approvals;
mod attestations;
pub mod checks;
mod compare;
mod findings;
mod gates;
pub mod input;
mod pins;
mod policy;
mod release;
pub mod revocation;
pub mod roles;
mod stage;

pub use approvals::{Approval, AttestationState, approvals};
pub use checks::{Check, CheckKind};
pub use findings::bom_file_mismatches;
pub use gates::{Change, metric_outcome, regression_expected, tier_rule};

/// Lists what changed from a previous release's AIBOM (second) to this one (first).
pub type ChangeLister = fn(&read::Document<'_>, &read::Document<'_>) -> Vec<Change>;
pub use policy::Policy;
pub use roles::{Role, RoleTrust};
pub use stage::{Stage, finish as finish_stage};

use crate::bom::read;
use crate::digest::Sha256;
use crate::finding::Finding;
use crate::limits::{Limits, VerifyLimits};
use crate::sign::bundle;
use crate::sign::manifest::{self, Entry, HashError};
use crate::sign::statement::{self, Resource, Statement};
use crate::sign::trust::{Accepted, Trust, authenticate};
use attestations::bind_attestations;
use checks::Checks;
use compare::{compare, rescan_file};
use pins::{irregular_checks, signature_pins, verifier_ignores};
use roles::role_outcomes;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

/// A signature file and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    pub signature: String,
    /// Who signed, once the signature verified: `key <hint>`, a certificate subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub valid: bool,
    /// The AIBOM attestation of this signer verified and binds the AIBOM given.
    pub bom_bound: Option<bool>,
    /// How that attestation binds it (its bytes, or as JSON for older attestations).
    #[serde(skip)]
    pub bom_binding: Option<statement::BomBinding>,
    /// Every check about this signature held: it approves this directory.
    pub approves: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A required role and whether a valid signature satisfied it.
#[derive(Debug, Clone, Serialize)]
pub struct RoleOutcome {
    pub role: String,
    pub satisfied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub reason: String,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub accepted: bool,
    pub directory: String,
    /// The model digest the approving signatures agree on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_digest: Option<String>,
    pub signers: Vec<Signer>,
    pub roles: Vec<RoleOutcome>,
    pub checks: Vec<Check>,
    /// The risk tier the release attestations sign (`[release]`), when there is a release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_tier: Option<String>,
    /// `--stage`: the signed release's model path (where the model goes under DEST).
    #[serde(skip)]
    pub staged_model_path: Option<String>,
    /// `--stage`: release artifacts were copied too (DEST mirrors the release root).
    #[serde(skip)]
    pub release_staged: bool,
    /// The AIBOM given is bound to the signatures that count only as JSON: some bind it by an
    /// older attestation without its digest, none by its bytes (a revocation names bytes).
    #[serde(skip)]
    pub bom_bound_as_json: bool,
    /// `--stage`: model files that were hashed (some valid signature lists them) but that no
    /// signature counting toward the verdict covers: left out of DEST.
    #[serde(skip)]
    pub unstaged: Vec<String>,
}

/// An AIBOM attestation beside a signature (`<signature>.bom`).
pub enum Attestation {
    Absent,
    /// Present but refused before parsing (not a regular file, too large, unreadable).
    Unreadable(PathBuf, String),
    Present(PathBuf, Vec<u8>),
}

/// A signature as given: its path, its bytes or why they could not be read, and its
/// attestation.
pub struct SignatureFile {
    pub path: PathBuf,
    pub bytes: Result<Vec<u8>, String>,
    pub attestation: Attestation,
    /// The release attestation beside it (`<signature>.release`).
    pub release: Attestation,
}

/// Re-inspecting the hashed files (`--rescan`), with these caps and pickle policy.
pub struct Rescan {
    pub limits: Limits,
    pub policy: crate::policy::Policy,
}

/// The inputs.
pub struct Inputs {
    pub dir: PathBuf,
    pub signatures: Vec<SignatureFile>,
    /// The AIBOM (path, bytes).
    pub bom: Option<(PathBuf, Vec<u8>)>,
    pub extra_ignores: Vec<String>,
    /// The verifier accepts links that resolve to files inside the directory (each signer must
    /// have signed with `allow_symlinks` too).
    pub allow_symlinks: bool,
    pub rescan: Option<Rescan>,
    pub limits: VerifyLimits,
    /// Where the release's paths are relative to (`--release-root`); `None`: the model
    /// directory minus the model path the release records.
    pub release_root: Option<PathBuf>,
    /// The previous approved release's AIBOM (`--previous`: path, bytes), for regression
    /// limits and change-driven approvals.
    pub previous: Option<(PathBuf, Vec<u8>)>,
    /// How the changes from the previous release (`--previous`) to the AIBOM are listed
    /// (`diff::release_changes`, given by the caller: `diff` sits above `verify`). Called on
    /// the documents verify parsed, only for `[[verify.on-change]]` rules and an AIBOM bound by
    /// a verified signature; `None`: every change rule applies.
    pub changes: Option<ChangeLister>,
    /// `--stage`: the staging directory every signed file is copied into as it is hashed.
    pub stage: Option<PathBuf>,
    /// The policy configures a `[release]`: a release attestation is required even when
    /// nothing else given says there is a release.
    pub release_configured: bool,
}

/// A valid model signature and what its statement says.
struct Model {
    index: usize,
    accepted: Accepted,
    subject: Sha256,
    resources: Vec<Resource>,
    /// The signer's ignores the policy honours.
    ignores: Vec<String>,
    allow_symlinks: bool,
}

/// A listed file and what reading it gave.
struct Present<'a> {
    entry: &'a Entry,
    /// `None`: not read (not in any manifest), or it changed under us (reported).
    digest: Option<Sha256>,
}

/// Runs every check. `Err` only when the directory cannot be read.
pub fn verify(inputs: &Inputs, trust: &Trust, policy: &Policy) -> io::Result<Verdict> {
    let mut checks = Checks::default();
    let mut signers = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    let roles_decide = !policy.roles.is_empty();

    // 1. Signatures over the bytes as stored, then the statements they carry.
    for (i, sf) in inputs.signatures.iter().enumerate() {
        let shown = sf.path.display().to_string();
        let result = sf
            .bytes
            .as_deref()
            .map_err(Clone::clone)
            .and_then(|b| bundle::open(b).map_err(|e| e.to_string()))
            .and_then(|o| authenticate(&o, trust).map(|a| (o, a)))
            .and_then(|(o, a)| {
                statement::parse(&o.payload)
                    .map_err(|e| format!("signed statement: {e}"))
                    .map(|s| (a, s))
            })
            .and_then(|(a, s)| match s {
                Statement::Model {
                    subject,
                    subject_name,
                    resources,
                    ignore_paths,
                    allow_symlinks,
                } => Ok((
                    a,
                    subject,
                    subject_name,
                    resources,
                    ignore_paths,
                    allow_symlinks,
                )),
                Statement::Bom { .. } => {
                    Err("this is an AIBOM attestation, not a model signature".to_owned())
                }
            });
        let expected = "a valid signature from a trusted signer";
        match result {
            Ok((accepted, subject, subject_name, resources, ignore_paths, allow_symlinks)) => {
                checks.push_for(
                    Some(i),
                    CheckKind::Signature,
                    true,
                    &shown,
                    expected,
                    &accepted.identity,
                );
                signers.push(Signer {
                    signature: shown.clone(),
                    identity: Some(accepted.identity.clone()),
                    valid: true,
                    bom_bound: None,
                    bom_binding: None,
                    approves: false,
                    error: None,
                });
                let ignores = signature_pins(
                    &mut checks,
                    i,
                    &shown,
                    &accepted,
                    &subject_name,
                    &resources,
                    &ignore_paths,
                    inputs,
                    policy,
                );
                models.push(Model {
                    index: i,
                    accepted,
                    subject,
                    resources,
                    ignores,
                    allow_symlinks,
                });
            }
            Err(e) => {
                checks.push_for(Some(i), CheckKind::Signature, false, &shown, expected, &e);
                signers.push(Signer {
                    signature: shown,
                    identity: None,
                    valid: false,
                    bom_bound: None,
                    bom_binding: None,
                    approves: false,
                    error: Some(e),
                });
            }
        }
    }

    // 2. The directory, walked once: what the verifier ignores, and what every signer's
    //    honoured ignores leave out, is pruned unread.
    let verifier_ignores = verifier_ignores(inputs);
    let mut pruned = verifier_ignores.clone();
    if let Some((first, rest)) = models.split_first() {
        pruned.extend(
            first
                .ignores
                .iter()
                .filter(|p| rest.iter().all(|m| m.ignores.contains(p)))
                .cloned(),
        );
    }
    let listing = manifest::list(&inputs.dir, &pruned, inputs.allow_symlinks)?;
    irregular_checks(&mut checks, &listing.irregular);

    // 3. Hash (and with --rescan, inspect) only what some manifest lists: an unsigned file is
    //    refused by name, never read (except a bounded probe for renamed files).
    let listed: BTreeSet<&str> = models
        .iter()
        .flat_map(|m| m.resources.iter().map(|r| r.name.as_str()))
        .collect();
    let on_disk: BTreeSet<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
    let some_missing = listed.iter().any(|n| !on_disk.contains(n));
    let mut probe_budget = inputs.limits.max_rename_probe;
    let mut to_read: Vec<(&Entry, bool)> = Vec::new();
    for e in &listing.entries {
        if listed.contains(e.name.as_str()) {
            to_read.push((e, true));
        } else if some_missing && e.size <= probe_budget {
            probe_budget = probe_budget.saturating_sub(e.size);
            to_read.push((e, false));
        }
    }
    let refs: Vec<&Entry> = to_read.iter().map(|(e, _)| *e).collect();
    let inspect: BTreeSet<&str> = to_read
        .iter()
        .filter(|(_, signed)| *signed)
        .map(|(e, _)| e.name.as_str())
        .collect();
    let results = manifest::par_map(&refs, |e| {
        let file = manifest::open_listed(e)?;
        match &inputs.rescan {
            Some(r) if inspect.contains(e.name.as_str()) => rescan_file(file, e, r),
            _ if inspect.contains(e.name.as_str()) => {
                inputs.hash_model_file(file, e).map(|d| (d, Vec::new()))
            }
            _ => manifest::hash_exact(file, e).map(|d| (d, Vec::new())),
        }
    });
    let mut present: BTreeMap<String, Present> = listing
        .entries
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                Present {
                    entry: e,
                    digest: None,
                },
            )
        })
        .collect();
    let mut rescan_found: Vec<(String, Finding)> = Vec::new();
    for (e, r) in refs.iter().zip(results) {
        match r {
            Ok((d, found)) => {
                if let Some(p) = present.get_mut(&e.name) {
                    p.digest = Some(d);
                }
                rescan_found.extend(found.into_iter().map(|f| (e.name.clone(), f)));
            }
            Err(HashError::Changed { name, why }) => checks.push(
                CheckKind::FileUnstable,
                false,
                &name,
                "the regular file listed, with the size listed",
                &why,
            ),
            Err(err @ HashError::Io { .. }) => return Err(err.into()),
        }
    }
    let digests: BTreeMap<String, Sha256> = present
        .iter()
        .filter_map(|(n, p)| p.digest.map(|d| (n.clone(), d)))
        .collect();

    // 4. Every valid model signature against the directory, under its own ignores.
    for m in &models {
        let mut ignores = verifier_ignores.clone();
        ignores.extend(m.ignores.iter().cloned());
        compare(
            &mut checks,
            m,
            &present,
            &ignores,
            policy.allow_unsigned.as_ref(),
        );
    }

    // 5. The AIBOM: schema, binding to each signed model digest, file list and findings.
    let bom: Option<(String, Result<Value, String>)> = inputs.bom.as_ref().map(|(p, b)| {
        (
            p.display().to_string(),
            read::parse(b, inputs.limits.max_bom_depth).map_err(|e| e.to_string()),
        )
    });
    if policy.require_bom && bom.is_none() {
        checks.push(
            CheckKind::AibomRequired,
            false,
            "the release",
            "an AIBOM (--bom): the policy sets require-bom, so findings are always checked",
            "none given",
        );
    }
    let bom_value = bom.as_ref().and_then(|(_, v)| v.as_ref().ok());
    let bom_read = bom_value.map(read::Document::read_any);
    let empty = read::Document::read_any(&Value::Null);
    let mut used = BTreeSet::new();
    if let Some((shown, parsed)) = &bom {
        match parsed {
            Err(e) => checks.push(CheckKind::Aibom, false, shown, "a CycloneDX 1.6 AIBOM", e),
            Ok(value) => {
                let problems = crate::bom::validate::validate(value);
                checks.push(
                    CheckKind::AibomValid,
                    problems.is_empty(),
                    shown,
                    "valid CycloneDX 1.6",
                    &problems.first().map_or("valid".to_owned(), |p| {
                        format!("{} problems, first: {p}", problems.len())
                    }),
                );
                let bom_sha256 = inputs
                    .bom
                    .as_ref()
                    .map(|(_, b)| crate::digest::Sha256::of(b))
                    .unwrap_or_else(|| crate::digest::Sha256::of(b""));
                bind_attestations(
                    &mut checks,
                    &mut signers,
                    inputs,
                    trust,
                    &models,
                    value,
                    &bom_sha256,
                );
                // The files the approving signatures cover (files admitted by allow-unsigned
                // or ignored are not the AIBOM's business).
                let approving: Vec<&Model> = models
                    .iter()
                    .filter(|m| checks.all_ok_for(m.index))
                    .collect();
                let basis: Vec<&Model> = if approving.is_empty() {
                    models.iter().collect()
                } else {
                    approving
                };
                let covered: BTreeSet<&str> = basis
                    .iter()
                    .flat_map(|m| m.resources.iter().map(|r| r.name.as_str()))
                    .collect();
                let resources: Vec<Resource> = digests
                    .iter()
                    .filter(|(n, _)| covered.contains(n.as_str()))
                    .map(|(n, d)| Resource {
                        name: n.clone(),
                        digest: *d,
                    })
                    .collect();
                let doc = bom_read.as_ref().unwrap_or(&empty);
                for m in bom_file_mismatches(doc, &resources) {
                    checks.push(
                        CheckKind::AibomFile,
                        false,
                        shown,
                        "the AIBOM lists every signed file with its digest",
                        &m,
                    );
                }
                findings::findings_policy(&mut checks, doc, &digests, policy, &mut used);
            }
        }
    }
    if let Some(min) = &policy.min_version {
        findings::version_pin(&mut checks, bom_read.as_ref(), min);
    }
    if let Some(exact) = &policy.version {
        findings::exact_version_pin(&mut checks, bom_read.as_ref(), exact);
    }
    if inputs.rescan.is_some() {
        findings::rescan_policy(
            &mut checks,
            &rescan_found,
            bom_read.as_ref(),
            &digests,
            policy,
            &mut used,
        );
    }
    if bom.is_some() || inputs.rescan.is_some() {
        findings::unused_exceptions(&mut checks, policy, &used);
    }

    // 5b. The release around the model: each signer's release attestation, every artifact
    //     file re-hashed under the release root.
    let bom_bound = match (&bom_read, &inputs.bom) {
        (Some(doc), Some((_, bytes))) => Some((doc, Sha256::of(bytes))),
        _ => None,
    };
    let signed_release = release::check_release(&mut checks, inputs, trust, &models, bom_bound)?;

    // 5c. Evaluation gates, read only from an AIBOM a verified signature binds by its bytes.
    let bound_doc = bom_read
        .as_ref()
        .filter(|_| signers.iter().any(|s| s.bom_bound == Some(true)));
    // Parsed only for a regression limit or a change rule, the two that read it.
    let regression = policy
        .gates
        .metrics
        .iter()
        .any(|g| g.max_regression.is_some());
    let on_change = !policy.gates.on_change.is_empty();
    let previous_value: Option<Result<Value, String>> = inputs
        .previous
        .as_ref()
        .filter(|_| regression || on_change)
        .map(|(p, b)| {
            read::parse(b, inputs.limits.max_bom_depth).map_err(|e| format!("{}: {e}", p.display()))
        });
    let previous_doc: Option<Result<read::Document, &str>> =
        previous_value.as_ref().map(|r| match r {
            Ok(v) => Ok(read::Document::read_any(v)),
            Err(e) => Err(e.as_str()),
        });
    let previous_doc = previous_doc.as_ref().map(|r| r.as_ref().map_err(|e| *e));
    gates::metric_checks(
        &mut checks,
        policy,
        bound_doc,
        previous_doc.filter(|_| regression),
    );
    // 5d. What changed since the previous release (only when a policy rule asks).
    let changes: Vec<gates::Change> = if !on_change {
        Vec::new()
    } else {
        match (bound_doc, previous_doc, inputs.changes) {
            (None, _, _) => {
                gates::every_change("no AIBOM bound by a verified signature to compare")
            }
            (_, None, _) => gates::every_change(
                "no previous release given (--previous): every change rule applies",
            ),
            (_, Some(Err(e)), _) => gates::every_change(&format!("the previous AIBOM: {e}")),
            (_, _, None) => {
                gates::every_change("no way to list changes: every change rule applies")
            }
            (Some(cur), Some(Ok(prev)), Some(list)) => list(cur, prev),
        }
    };

    // 6. Which signatures approve this directory; they must agree on the model digest.
    for m in &models {
        if let Some(s) = signers.get_mut(m.index) {
            s.approves = checks.all_ok_for(m.index);
        }
    }
    let approving: Vec<&Model> = models
        .iter()
        .filter(|m| signers.get(m.index).is_some_and(|s| s.approves))
        .collect();
    let model_digest = approving.first().map(|m| m.subject);
    for m in &approving {
        if let Some(d) = model_digest
            && d != m.subject
            && let Some(signer) = signers.get(m.index)
        {
            checks.push(
                CheckKind::SignaturesAgree,
                false,
                &signer.signature,
                &d.to_hex(),
                &m.subject.to_hex(),
            );
        }
    }

    // 7. Required roles, or without roles: every signature must hold.
    let roles = if roles_decide {
        for c in &mut checks.0 {
            if c.signature.is_some() {
                c.blocking = false;
            }
        }
        let tier = signed_release.as_ref().and_then(|r| r.tier.as_deref());
        gates::gated_roles(
            &mut checks,
            &signers,
            &approving,
            policy,
            trust,
            tier,
            &changes,
        )
        .unwrap_or_else(|| role_outcomes(&mut checks, &signers, &approving, policy, trust))
    } else {
        if models.is_empty() {
            checks.push(
                CheckKind::Signed,
                false,
                "the release",
                "at least one valid model signature",
                "none",
            );
        }
        Vec::new()
    };

    // The signatures that count: with roles, those that fill a satisfied role; without, the
    // approving ones (all of them, when the verdict accepts). Only their files are staged.
    let counting: Vec<&Model> = if roles_decide {
        let by: BTreeSet<&str> = roles
            .iter()
            .filter(|r| r.satisfied)
            .filter_map(|r| r.by.as_deref())
            .collect();
        models
            .iter()
            .filter(|m| {
                signers
                    .get(m.index)
                    .is_some_and(|s| by.contains(s.signature.as_str()))
            })
            .collect()
    } else {
        approving.clone()
    };
    let covered: BTreeSet<&str> = counting
        .iter()
        .flat_map(|m| m.resources.iter().map(|r| r.name.as_str()))
        .collect();
    let unstaged: Vec<String> = digests
        .keys()
        .filter(|n| listed.contains(n.as_str()) && !covered.contains(n.as_str()))
        .cloned()
        .collect();
    let binding = |b: statement::BomBinding| {
        counting.iter().any(|m| {
            signers
                .get(m.index)
                .is_some_and(|s| s.bom_bound == Some(true) && s.bom_binding == Some(b))
        })
    };
    let bom_bound_as_json = inputs.bom.is_some()
        && binding(statement::BomBinding::Json)
        && !binding(statement::BomBinding::Bytes);
    let accepted = checks.0.iter().all(|c| c.ok || !c.blocking);
    Ok(Verdict {
        bom_bound_as_json,
        unstaged,
        accepted,
        directory: inputs.dir.display().to_string(),
        model_digest: model_digest.map(|d| d.to_hex()),
        signers,
        roles,
        checks: checks.0,
        staged_model_path: signed_release.as_ref().and_then(|r| r.model_path.clone()),
        release_staged: signed_release.as_ref().is_some_and(|r| r.root.is_some()),
        release_tier: signed_release.and_then(|r| r.tier),
    })
}
