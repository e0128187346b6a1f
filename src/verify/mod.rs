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
//!   -> roles: each filled by a distinct signer whose signature passed every check of its own
//!      -> threshold -> Verdict
//! ```
//!
//! Every check is recorded with what was expected and what was found. Without signer roles
//! every check must hold. With roles, a check about one signature only decides whether that
//! signature counts towards its role (a missing or stale signature is reported, not fatal),
//! and the threshold decides. Nothing is fetched from the network, and no path a manifest
//! names is opened: the directory is walked, and names are compared.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod checks;
mod findings;
pub mod input;
pub mod roles;

pub use checks::{Check, CheckKind};
pub use findings::bom_file_mismatches;
pub use roles::{Role, RoleTrust};

use crate::bom::read;
use crate::digest::{HashingFile, Sha256};
use crate::finding::{Finding, Severity};
use crate::limits::{Limits, VerifyLimits};
use crate::sign::bundle::{self, Method};
use crate::sign::keys::VerifyingKey;
use crate::sign::manifest::{self, Entry, HashError, Irregular};
use crate::sign::statement::{self, Resource, Statement};
use checks::Checks;
use globset::GlobSet;
use roles::SignerId;
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
}

/// What a verifier trusts.
#[derive(Default)]
pub struct Trust {
    /// A Sigstore `trusted_root.json` (bytes) for keyless signatures.
    pub trusted_root: Option<Vec<u8>>,
    /// Keyless identities (certificate identity, OIDC issuer) that may sign.
    pub identities: Vec<(String, String)>,
    /// Public keys, with a label (their file) for messages.
    pub keys: Vec<(String, VerifyingKey)>,
    /// DER CA certificates (anchors) and intermediates.
    pub anchors: Vec<Vec<u8>>,
    pub intermediates: Vec<Vec<u8>>,
}

/// The release policy.
pub struct Policy {
    pub roles: Vec<Role>,
    pub threshold: Option<usize>,
    pub allow_unsigned: Option<GlobSet>,
    /// Paths a signer may leave out of its manifest (`signed-ignores`); a signer's other
    /// ignores are not honoured. `None`: model-signing's defaults only.
    pub signed_ignores: Option<GlobSet>,
    pub fail_on: Severity,
    pub exceptions: Vec<crate::config::Exception>,
    /// Refuse a release verified without an AIBOM.
    pub require_bom: bool,
    /// The signed subject name must be this.
    pub model_name: Option<String>,
    /// The AIBOM's model version must be at least this.
    pub min_version: Option<crate::config::NumericVersion>,
    /// The AIBOM's model version must be exactly this.
    pub version: Option<String>,
    /// Every signature must carry a verified time no older than this many seconds.
    pub max_signature_age: Option<u64>,
    /// The current time; `None` when the clock cannot be read (dated exceptions then expire,
    /// and no signature age can be checked).
    pub now: Option<jiff::Timestamp>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            roles: Vec::new(),
            threshold: None,
            allow_unsigned: None,
            signed_ignores: None,
            fail_on: Severity::High,
            exceptions: Vec::new(),
            require_bom: false,
            model_name: None,
            min_version: None,
            version: None,
            max_signature_age: None,
            now: now(),
        }
    }
}

impl Policy {
    /// Today (UTC), for exception expiry; `None` when the clock cannot be read.
    pub fn today(&self) -> Option<jiff::civil::Date> {
        self.now.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
    }

    /// Whether the signer-recorded ignore `path` is honoured.
    fn allows_signed_ignore(&self, path: &str) -> bool {
        let p = path.trim_end_matches('/');
        match &self.signed_ignores {
            Some(g) => g.is_match(p),
            None => statement::DEFAULT_IGNORES.contains(&p),
        }
    }
}

/// The current time, if the clock can be read.
pub fn now() -> Option<jiff::Timestamp> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    jiff::Timestamp::from_second(i64::try_from(secs).ok()?).ok()
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
}

/// Who a verified signature came from.
pub struct Accepted {
    /// For people: `key <file> (P-256 …)`, `certificate <path>`, `keyless <id> (<issuer>)`.
    pub identity: String,
    signer: SignerId,
    /// A verified signing time (keyless only), Unix seconds.
    signed_at: Option<i64>,
}

/// Verifies an opened bundle's signature over its stored payload against the configured
/// trust (never a key taken from the bundle); returns who signed, or why it is refused.
pub fn authenticate(opened: &bundle::Opened, trust: &Trust) -> Result<Accepted, String> {
    let pae = bundle::pae(bundle::PAYLOAD_TYPE, &opened.payload);
    match &opened.method {
        Method::Key { hint } => {
            if trust.keys.is_empty() {
                return Err(
                    "signed with a key, but no --public-key or key role was configured".into(),
                );
            }
            let mut tried = Vec::new();
            for (label, key) in &trust.keys {
                let key_hint = key.hint().map_err(|e| e.to_string())?;
                if let Some(h) = hint
                    && *h != key_hint
                {
                    tried.push(format!("{label} (hint {}…)", &key_hint[..12]));
                    continue;
                }
                if key.verify(&pae, &opened.signature) {
                    return Ok(Accepted {
                        identity: format!(
                            "key {label} ({} {}…)",
                            key.curve_name(),
                            &key_hint[..16]
                        ),
                        signer: SignerId::Key(key.clone()),
                        signed_at: None,
                    });
                }
                tried.push(format!("{label} (signature does not verify)"));
            }
            Err(match hint {
                Some(h) if tried.iter().all(|t| t.contains("hint")) => format!(
                    "the bundle names key hint {h}, which is none of the configured keys: {}",
                    tried.join(", ")
                ),
                _ => format!(
                    "no configured key verifies the signature: {}",
                    tried.join(", ")
                ),
            })
        }
        Method::Certificate { chain } => {
            if trust.anchors.is_empty() {
                return Err(
                    "signed with a certificate, but no --certificate-chain CA was configured"
                        .into(),
                );
            }
            let leaf =
                crate::sign::x509::verify_chain(chain, &trust.intermediates, &trust.anchors, None)
                    .map_err(|e| format!("certificate chain: {e}"))?;
            if !leaf.key.verify(&pae, &opened.signature) {
                return Err(format!(
                    "the signature does not verify with the certificate of {}",
                    leaf.subject
                ));
            }
            Ok(Accepted {
                identity: format!("certificate {}", leaf.path.join(" <- ")),
                signer: SignerId::Certificate(leaf.key, chain.clone()),
                signed_at: None,
            })
        }
        Method::Sigstore => {
            let Some(root) = &trust.trusted_root else {
                return Err(
                    "a keyless (Sigstore) signature, but no --trust-root was configured".into(),
                );
            };
            if trust.identities.is_empty() {
                return Err("a keyless (Sigstore) signature, but no --identity/--issuer (or keyless role) was configured".into());
            }
            // The subject the signature must cover; the library checks the envelope's
            // signature over these exact payload bytes.
            let subject = statement::parse(&opened.payload)
                .map_err(|e| format!("signed statement: {e}"))?
                .subject();
            let mut errors = Vec::new();
            for (identity, issuer) in &trust.identities {
                match crate::sign::keyless::verify(&opened.raw, root, &subject.0, identity, issuer)
                {
                    Ok(signer) if signer.payload != opened.payload => {
                        return Err(
                            "the statement Sigstore verified is not the one in the bundle's envelope"
                                .into(),
                        );
                    }
                    Ok(signer) => {
                        return Ok(Accepted {
                            identity: format!("keyless {} ({})", signer.identity, signer.issuer),
                            signer: SignerId::Keyless {
                                identity: signer.identity,
                                issuer: signer.issuer,
                            },
                            signed_at: signer.signed_at,
                        });
                    }
                    Err(e) => errors.push(format!("{identity} ({issuer}): {e}")),
                }
            }
            Err(format!(
                "keyless verification failed: {}",
                errors.join("; ")
            ))
        }
    }
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
            serde_json::from_slice::<Value>(b).map_err(|e| format!("not JSON: {e}")),
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
        role_outcomes(&mut checks, &signers, &approving, policy, trust)
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

    let accepted = checks.0.iter().all(|c| c.ok || !c.blocking);
    Ok(Verdict {
        accepted,
        directory: inputs.dir.display().to_string(),
        model_digest: model_digest.map(|d| d.to_hex()),
        signers,
        roles,
        checks: checks.0,
    })
}

/// The checks of one signature that need no directory: the pinned model name and signature
/// age, a manifest that covers something, and which of the signer's ignores the policy
/// honours (returned).
#[allow(clippy::too_many_arguments)]
fn signature_pins(
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
        let (ok, actual) = match (accepted.signed_at, policy.now) {
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
fn verifier_ignores(inputs: &Inputs) -> Vec<String> {
    let mut v: Vec<String> = statement::DEFAULT_IGNORES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for s in &inputs.signatures {
        v.extend(crate::sign::manifest::inside(&inputs.dir, &s.path));
        let mut att = s.path.clone().into_os_string();
        att.push(".bom");
        v.extend(crate::sign::manifest::inside(
            &inputs.dir,
            &PathBuf::from(att),
        ));
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

fn irregular_checks(checks: &mut Checks, irregular: &[Irregular]) {
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

/// Hashes a listed file and inspects it in the same read (`--rescan`).
fn rescan_file(
    file: std::fs::File,
    e: &Entry,
    r: &Rescan,
) -> Result<(Sha256, Vec<Finding>), HashError> {
    let io_err = |source: io::Error| HashError::Io {
        name: e.name.clone(),
        source,
    };
    let mut ctx = crate::formats::Ctx::new(&r.limits, &r.policy, &e.name);
    let src = HashingFile::new(file, e.size);
    crate::formats::inspect_source(&src, &mut ctx, &e.name).map_err(io_err)?;
    let (digest, _) = src.finish().map_err(|err| HashError::Changed {
        name: e.name.clone(),
        why: err.to_string(),
    })?;
    Ok((digest, std::mem::take(&mut ctx.findings)))
}

/// Changed, missing, extra, renamed and swapped files of one manifest, under its own ignores.
fn compare(
    checks: &mut Checks,
    m: &Model,
    present: &BTreeMap<String, Present>,
    ignores: &[String],
    allow_unsigned: Option<&GlobSet>,
) {
    let i = Some(m.index);
    let before = checks.0.len();
    let signed: BTreeMap<&str, Sha256> = m
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest))
        .collect();
    let missing: Vec<&Resource> = m
        .resources
        .iter()
        .filter(|r| !present.contains_key(&r.name))
        .collect();
    let extra: Vec<(&String, &Present)> = present
        .iter()
        .filter(|(n, _)| !signed.contains_key(n.as_str()) && !manifest::is_ignored(n, ignores))
        .collect();
    let mut explained: BTreeSet<String> = BTreeSet::new();
    // Renamed: a missing file's bytes are present under a name that was not signed.
    for r in &missing {
        if let Some((n, _)) = extra.iter().find(|(_, p)| p.digest == Some(r.digest)) {
            checks.push_for(
                i,
                CheckKind::FileRenamed,
                false,
                &r.name,
                &format!("{} at {}", r.digest, r.name),
                &format!("the same bytes at {n}"),
            );
            explained.insert(r.name.clone());
            explained.insert((*n).clone());
        }
    }
    let now = |name: &str| present.get(name).and_then(|p| p.digest);
    let changed: Vec<&Resource> = m
        .resources
        .iter()
        .filter(|r| now(&r.name).is_some_and(|d| d != r.digest))
        .collect();
    // Swapped: two changed files that hold each other's signed bytes.
    for a in &changed {
        for b in &changed {
            if a.name < b.name && now(&a.name) == Some(b.digest) && now(&b.name) == Some(a.digest) {
                checks.push_for(
                    i,
                    CheckKind::FilesSwapped,
                    false,
                    &format!("{} <-> {}", a.name, b.name),
                    "each file with its signed bytes",
                    "their contents are swapped",
                );
                explained.insert(a.name.clone());
                explained.insert(b.name.clone());
            }
        }
    }
    for c in &changed {
        if !explained.contains(&c.name) {
            let d = now(&c.name).map(|d| d.to_hex()).unwrap_or_default();
            checks.push_for(
                i,
                CheckKind::FileChanged,
                false,
                &c.name,
                &c.digest.to_hex(),
                &d,
            );
        }
    }
    for r in &missing {
        if !explained.contains(&r.name) {
            checks.push_for(
                i,
                CheckKind::FileMissing,
                false,
                &r.name,
                &r.digest.to_hex(),
                "absent",
            );
        }
    }
    // A link is accepted only where the signer signed with allow_symlinks too.
    if !m.allow_symlinks {
        for r in &m.resources {
            if present.get(&r.name).is_some_and(|p| p.entry.link) {
                checks.push_for(
                    i,
                    CheckKind::Symlink,
                    false,
                    &r.name,
                    "a regular file (the signature was made without allow_symlinks)",
                    "a symbolic link",
                );
            }
        }
    }
    for (n, p) in &extra {
        if explained.contains(*n) {
            continue;
        }
        let allowed = allow_unsigned.is_some_and(|g| g.is_match(n.as_str()));
        let what = match p.digest {
            Some(d) => format!("present, {d}"),
            None => format!("present, {} bytes; not read", p.entry.size),
        };
        checks.push_for(
            i,
            CheckKind::FileExtra,
            allowed,
            n,
            if allowed {
                "unsigned, allowed by the policy"
            } else {
                "no file that was not signed"
            },
            &what,
        );
    }
    let ok = checks
        .0
        .get(before..)
        .unwrap_or_default()
        .iter()
        .all(|c| c.ok || !c.check.is_file_check());
    let shown_present = present
        .keys()
        .filter(|n| !manifest::is_ignored(n, ignores))
        .count();
    checks.push_for(
        i,
        CheckKind::Files,
        ok,
        "the directory",
        &format!("{} signed files, unchanged", m.resources.len()),
        &format!("{shown_present} files present"),
    );
}

/// Each valid signer's AIBOM attestation: verified with the same trust, signed by the same
/// signer, subject equal to the signed model digest, and the AIBOM given: its exact bytes by
/// SHA-256 (older attestations without the digest: its JSON value).
fn bind_attestations(
    checks: &mut Checks,
    signers: &mut [Signer],
    inputs: &Inputs,
    trust: &Trust,
    models: &[Model],
    bom: &Value,
    bom_sha256: &crate::digest::Sha256,
) {
    for m in models {
        let Some(sf) = inputs.signatures.get(m.index) else {
            continue;
        };
        let sig_shown = sf.path.display().to_string();
        let expected = "this AIBOM, signed by the model's signer for this model digest";
        let (shown, res) = match &sf.attestation {
            Attestation::Absent => (
                sig_shown,
                Err("no AIBOM attestation beside the signature (<signature>.bom)".to_owned()),
            ),
            Attestation::Unreadable(p, e) => (p.display().to_string(), Err(e.clone())),
            Attestation::Present(p, bytes) => (
                p.display().to_string(),
                bundle::open(bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|o| authenticate(&o, trust).map(|a| (o, a)))
                    .and_then(|(o, a)| {
                        if !a.signer.same_party(&m.accepted.signer) {
                            return Err(format!(
                                "signed by {}, not by the model's signer {}",
                                a.identity, m.accepted.identity
                            ));
                        }
                        statement::parse(&o.payload)
                            .map_err(|e| format!("attestation statement: {e}"))
                    })
                    .and_then(|s| match s {
                        Statement::Bom {
                            subject,
                            bom: predicate,
                            bom_sha256: signed,
                        } => {
                            if subject != m.subject {
                                Err(format!(
                                    "binds model digest {subject}, the signed model is {}",
                                    m.subject
                                ))
                            } else {
                                statement::bom_binding(&predicate, signed.as_ref(), bom, bom_sha256)
                            }
                        }
                        Statement::Model { .. } => {
                            Err("a model signature, not an AIBOM attestation".to_owned())
                        }
                    }),
            ),
        };
        let ok = res.is_ok();
        let actual = match res {
            Ok(b) => b.describe().to_owned(),
            Err(e) => e,
        };
        checks.push_for(
            Some(m.index),
            CheckKind::AibomBound,
            ok,
            &shown,
            expected,
            &actual,
        );
        if let Some(s) = signers.get_mut(m.index) {
            s.bom_bound = Some(ok);
        }
    }
}

/// Fills the roles with distinct signers among the approving signatures; then the threshold.
fn role_outcomes(
    checks: &mut Checks,
    signers: &[Signer],
    approving: &[&Model],
    policy: &Policy,
    trust: &Trust,
) -> Vec<RoleOutcome> {
    // Distinct parties, each with the first approving signature it made.
    let mut parties: Vec<&Model> = Vec::new();
    for m in approving {
        if !parties
            .iter()
            .any(|p| p.accepted.signer.same_party(&m.accepted.signer))
        {
            parties.push(m);
        }
    }
    let ids: Vec<&SignerId> = parties.iter().map(|p| &p.accepted.signer).collect();
    let assigned = roles::assign(&policy.roles, &ids, trust);
    let mut out = Vec::new();
    for (role, party) in policy.roles.iter().zip(&assigned) {
        let outcome = match party.and_then(|p| parties.get(p)) {
            Some(party) => RoleOutcome {
                role: role.name.clone(),
                satisfied: true,
                by: signers.get(party.index).map(|s| s.signature.clone()),
                reason: format!("signed by {}", party.accepted.identity),
            },
            None => {
                let taken = ids
                    .iter()
                    .position(|id| roles::fills(role, id, trust))
                    .and_then(|p| {
                        let other = assigned
                            .iter()
                            .position(|a| *a == Some(p))
                            .and_then(|r| policy.roles.get(r))
                            .map_or("another role", |r| r.name.as_str());
                        Some(format!(
                            "its only signer, {}, already fills role {other}: one signer fills one role",
                            parties.get(p)?.accepted.identity
                        ))
                    });
                RoleOutcome {
                    role: role.name.clone(),
                    satisfied: false,
                    by: None,
                    reason: taken.unwrap_or_else(|| match &role.trust {
                        RoleTrust::Keyless { identity, issuer } => {
                            format!("no signature by {identity} ({issuer}) that passed every check")
                        }
                        _ => "no signature from this role's key or CA that passed every check"
                            .to_owned(),
                    }),
                }
            }
        };
        out.push(outcome);
    }
    let satisfied = out.iter().filter(|r| r.satisfied).count();
    let need = policy.threshold.unwrap_or(policy.roles.len());
    for r in &out {
        checks.push(
            CheckKind::Role,
            r.satisfied,
            &r.role,
            "a signature by a signer of this role, filling no other role",
            &r.reason,
        );
        if let Some(c) = checks.0.last_mut() {
            // The approvals check decides.
            c.blocking = false;
        }
    }
    checks.push(
        CheckKind::Approvals,
        satisfied >= need,
        "required signers",
        &format!(
            "{need} of {} roles, each by a distinct signer",
            policy.roles.len()
        ),
        &format!("{satisfied} signed"),
    );
    out
}
