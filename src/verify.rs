//! Deploy-time verification: is this directory exactly what was scanned, recorded and
//! approved?
//!
//! ```text
//! signatures (bytes as stored) -> check each against the configured trust -> parse statements
//!   -> walk + hash the directory (parallel) -> compare with every signed manifest and the AIBOM
//!   -> AIBOM binding (attestation subject = model digest, predicate = the AIBOM given)
//!   -> findings the AIBOM records vs the policy (exceptions with reason and expiry)
//!   -> required roles (threshold) -> Verdict
//! ```
//!
//! Every check is recorded with what was expected and what was found; the release is accepted
//! only when every check holds. Nothing is fetched from the network, and no path a manifest
//! names is opened: the directory is walked, and names are compared.

use crate::digest::Sha256;
use crate::finding::Severity;
use crate::sign::bundle::{self, Method};
use crate::sign::keys::VerifyingKey;
use crate::sign::manifest::{self, Irregular};
use crate::sign::statement::{self, Resource, Statement};
use globset::GlobSet;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

/// One check, with what was expected and what was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// Stable kebab-case kind: `signature`, `statement`, `file-changed`, `file-missing`, ...
    pub check: String,
    pub ok: bool,
    /// What the check is about (a signature file, a path, a role).
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

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
    /// The model digest all valid signatures agree on.
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

/// How a role is recognised.
pub enum RoleTrust {
    Key(VerifyingKey),
    Ca(Vec<Vec<u8>>),
    Keyless { identity: String, issuer: String },
}

pub struct Role {
    pub name: String,
    pub trust: RoleTrust,
}

/// An accepted finding.
#[derive(Debug, Clone)]
pub struct Exception {
    pub code: String,
    pub path: String,
    pub sha256: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
}

/// The release policy.
pub struct Policy {
    pub roles: Vec<Role>,
    pub threshold: Option<usize>,
    pub allow_unsigned: Option<GlobSet>,
    pub fail_on: Severity,
    pub exceptions: Vec<Exception>,
    /// Today's date (YYYY-MM-DD), for exception expiry.
    pub today: String,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            roles: Vec::new(),
            threshold: None,
            allow_unsigned: None,
            fail_on: Severity::High,
            exceptions: Vec::new(),
            today: String::new(),
        }
    }
}

/// The inputs: signature files (path, bytes; `None` when the file is missing), their AIBOM
/// attestations when present, and the AIBOM (path, bytes).
pub struct Inputs {
    pub dir: PathBuf,
    pub signatures: Vec<(PathBuf, Option<Vec<u8>>)>,
    pub attestations: Vec<Option<(PathBuf, Vec<u8>)>>,
    pub bom: Option<(PathBuf, Vec<u8>)>,
    pub extra_ignores: Vec<String>,
    /// Follow links that resolve to files inside the directory.
    pub allow_symlinks: bool,
}

/// Who a verified signature came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SignerId {
    Key(VerifyingKey),
    /// The leaf key and the chain as carried in the bundle (re-checked per role's CA).
    Certificate(VerifyingKey, Vec<Vec<u8>>),
    Keyless {
        identity: String,
        issuer: String,
    },
}

/// Who a verified signature came from.
pub struct Accepted {
    /// For people: `key <file> (P-256 …)`, `certificate <path>`, `keyless <id> (<issuer>)`.
    pub identity: String,
    signer: SignerId,
}

fn check(
    checks: &mut Vec<Check>,
    kind: &str,
    ok: bool,
    subject: &str,
    expected: &str,
    actual: &str,
) {
    checks.push(Check {
        check: kind.to_owned(),
        ok,
        subject: subject.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
    });
}

/// Verifies the signature of an opened bundle against the trust; returns who signed.
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
                    Ok(signer) => {
                        return Ok(Accepted {
                            identity: format!("keyless {} ({})", signer.identity, signer.issuer),
                            signer: SignerId::Keyless {
                                identity: signer.identity,
                                issuer: signer.issuer,
                            },
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

/// The same party: the same key, the same certificate key, or the same keyless identity.
fn same_signer(a: &SignerId, b: &SignerId) -> bool {
    match (a, b) {
        (SignerId::Certificate(ka, _), SignerId::Certificate(kb, _)) => ka == kb,
        _ => a == b,
    }
}

/// Every file component of an AIBOM whose digest differs from `resources`, and files missing
/// on either side (signature files excluded).
pub fn bom_file_mismatches(bom: &Value, resources: &[Resource]) -> Vec<String> {
    let listed: BTreeMap<String, String> = bom
        .pointer("/metadata/component/components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("type").and_then(Value::as_str) == Some("file"))
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?.to_owned();
            let digest = c
                .get("hashes")?
                .as_array()?
                .iter()
                .find(|h| h.get("alg").and_then(Value::as_str) == Some("SHA-256"))?
                .get("content")?
                .as_str()?
                .to_ascii_lowercase();
            Some((name, digest))
        })
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

fn severity_of(v: &Value) -> Option<Severity> {
    v.get("ratings")?
        .as_array()?
        .iter()
        .filter_map(|r| r.get("severity")?.as_str()?.parse::<Severity>().ok())
        .max()
}

fn prop<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get("properties")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
        .get("value")?
        .as_str()
}

/// Runs every check. `Err` only when the directory cannot be read.
pub fn verify(inputs: &Inputs, trust: &Trust, policy: &Policy) -> io::Result<Verdict> {
    let mut checks = Vec::new();
    let mut signers = Vec::new();
    let mut models: Vec<(usize, Accepted, Statement)> = Vec::new();

    // 1. Signatures over the bytes as stored, then the statements they carry.
    for (i, (path, bytes)) in inputs.signatures.iter().enumerate() {
        let shown = path.display().to_string();
        let result = bytes
            .as_deref()
            .ok_or_else(|| "the signature file is missing".to_owned())
            .and_then(|b| bundle::open(b).map_err(|e| e.to_string()))
            .and_then(|o| authenticate(&o, trust).map(|a| (o, a)))
            .and_then(|(o, a)| {
                statement::parse(&o.payload)
                    .map_err(|e| format!("signed statement: {e}"))
                    .map(|s| (a, s))
            })
            .and_then(|(a, s)| match s {
                s @ Statement::Model { .. } => Ok((a, s)),
                Statement::Bom { .. } => {
                    Err("this is an AIBOM attestation, not a model signature".to_owned())
                }
            });
        match result {
            Ok((a, s)) => {
                check(
                    &mut checks,
                    "signature",
                    true,
                    &shown,
                    "a valid signature from a trusted signer",
                    &a.identity,
                );
                signers.push(Signer {
                    signature: shown,
                    identity: Some(a.identity.clone()),
                    valid: true,
                    bom_bound: None,
                    error: None,
                });
                models.push((i, a, s));
            }
            Err(e) => {
                check(
                    &mut checks,
                    "signature",
                    false,
                    &shown,
                    "a valid signature from a trusted signer",
                    &e,
                );
                signers.push(Signer {
                    signature: shown,
                    identity: None,
                    valid: false,
                    bom_bound: None,
                    error: Some(e),
                });
            }
        }
    }

    // 2. The directory, walked and hashed once.
    let mut ignored: Vec<String> = statement::DEFAULT_IGNORES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for (_, _, s) in &models {
        if let Statement::Model { ignore_paths, .. } = s {
            ignored.extend(ignore_paths.iter().cloned());
        }
    }
    for (p, _) in &inputs.signatures {
        ignored.extend(crate::commands::sign::inside(&inputs.dir, p));
    }
    for (p, _) in inputs.attestations.iter().flatten() {
        ignored.extend(crate::commands::sign::inside(&inputs.dir, p));
    }
    if let Some((p, _)) = &inputs.bom {
        ignored.extend(crate::commands::sign::inside(&inputs.dir, p));
    }
    ignored.extend(inputs.extra_ignores.iter().cloned());
    ignored.sort();
    ignored.dedup();
    let listing = manifest::list(&inputs.dir, &ignored, inputs.allow_symlinks)?;
    for irr in &listing.irregular {
        let (kind, subject, actual) = match irr {
            Irregular::Symlink { name, target } => (
                "symlink",
                name.clone(),
                format!("a symbolic link to {target:?}; not followed"),
            ),
            Irregular::Incomplete { name } => (
                "partial-download",
                name.clone(),
                "an unfinished download".to_owned(),
            ),
            Irregular::NotUtf8 { path } => (
                "name-not-utf8",
                path.clone(),
                "a file name that is not UTF-8".to_owned(),
            ),
        };
        check(
            &mut checks,
            kind,
            false,
            &subject,
            "a regular file",
            &actual,
        );
    }
    let mut actual: BTreeMap<String, Sha256> = BTreeMap::new();
    for (name, d) in manifest::hash(&listing.entries) {
        actual.insert(name, d?);
    }
    let actual_resources: Vec<Resource> = listing
        .entries
        .iter()
        .filter_map(|e| {
            actual.get(&e.name).map(|d| Resource {
                name: e.name.clone(),
                digest: *d,
            })
        })
        .collect();

    // 3. Every valid model signature against the directory.
    let mut model_digest: Option<Sha256> = None;
    for (i, _, s) in &models {
        let Statement::Model {
            subject, resources, ..
        } = s
        else {
            continue;
        };
        let sig = inputs.signatures[*i].0.display().to_string();
        if let Some(d) = model_digest
            && d != *subject
        {
            check(
                &mut checks,
                "signatures-agree",
                false,
                &sig,
                &d.to_hex(),
                &subject.to_hex(),
            );
        }
        model_digest.get_or_insert(*subject);
        compare(
            &mut checks,
            resources,
            &actual,
            policy.allow_unsigned.as_ref(),
        );
    }
    if models.is_empty() {
        check(
            &mut checks,
            "signed",
            false,
            "the release",
            "at least one valid model signature",
            "none",
        );
    }

    // 4. The AIBOM: schema, binding to the signed model digest, file list and findings.
    if let Some((bom_path, bom_bytes)) = &inputs.bom {
        let shown = bom_path.display().to_string();
        match serde_json::from_slice::<Value>(bom_bytes) {
            Err(e) => check(
                &mut checks,
                "aibom",
                false,
                &shown,
                "a CycloneDX 1.6 AIBOM",
                &format!("not JSON: {e}"),
            ),
            Ok(bom) => {
                let problems = crate::bom::validate::validate(&bom);
                check(
                    &mut checks,
                    "aibom-valid",
                    problems.is_empty(),
                    &shown,
                    "valid CycloneDX 1.6",
                    &problems.first().map_or("valid".to_owned(), |p| {
                        format!("{} problems, first: {p}", problems.len())
                    }),
                );
                for m in bom_file_mismatches(&bom, &actual_resources) {
                    check(
                        &mut checks,
                        "aibom-file",
                        false,
                        &shown,
                        "the AIBOM lists every file with its digest",
                        &m,
                    );
                }
                bind_attestations(&mut checks, &mut signers, inputs, trust, &models, &bom);
                findings_policy(&mut checks, &bom, &actual, policy);
            }
        }
    }

    // 5. Required roles.
    let roles = roles(&mut checks, &signers, &models, inputs, policy, trust);

    let accepted = checks.iter().all(|c| c.ok);
    Ok(Verdict {
        accepted,
        directory: inputs.dir.display().to_string(),
        model_digest: model_digest.map(|d| d.to_hex()),
        signers,
        roles,
        checks,
    })
}

/// Changed, missing, extra, renamed and swapped files.
fn compare(
    checks: &mut Vec<Check>,
    signed: &[Resource],
    actual: &BTreeMap<String, Sha256>,
    allow_unsigned: Option<&GlobSet>,
) {
    let signed_map: BTreeMap<&str, Sha256> =
        signed.iter().map(|r| (r.name.as_str(), r.digest)).collect();
    let missing: Vec<&Resource> = signed
        .iter()
        .filter(|r| !actual.contains_key(&r.name))
        .collect();
    let extra: Vec<(&String, &Sha256)> = actual
        .iter()
        .filter(|(n, _)| !signed_map.contains_key(n.as_str()))
        .collect();
    let mut explained: BTreeSet<String> = BTreeSet::new();
    // Renamed: a missing file's bytes are present under a name that was not signed.
    for m in &missing {
        if let Some((n, _)) = extra.iter().find(|(_, d)| **d == m.digest) {
            check(
                checks,
                "file-renamed",
                false,
                &m.name,
                &format!("{} at {}", m.digest, m.name),
                &format!("the same bytes at {n}"),
            );
            explained.insert(m.name.clone());
            explained.insert((*n).clone());
        }
    }
    let changed: Vec<&Resource> = signed
        .iter()
        .filter(|r| actual.get(&r.name).is_some_and(|d| *d != r.digest))
        .collect();
    // Swapped: two changed files that hold each other's signed bytes.
    for a in &changed {
        for b in &changed {
            if a.name < b.name
                && actual.get(&a.name) == Some(&b.digest)
                && actual.get(&b.name) == Some(&a.digest)
            {
                check(
                    checks,
                    "files-swapped",
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
            let now = actual.get(&c.name).map(|d| d.to_hex()).unwrap_or_default();
            check(
                checks,
                "file-changed",
                false,
                &c.name,
                &c.digest.to_hex(),
                &now,
            );
        }
    }
    for m in &missing {
        if !explained.contains(&m.name) {
            check(
                checks,
                "file-missing",
                false,
                &m.name,
                &m.digest.to_hex(),
                "absent",
            );
        }
    }
    for (n, d) in &extra {
        if explained.contains(*n) {
            continue;
        }
        let allowed = allow_unsigned.is_some_and(|g| g.is_match(n.as_str()));
        check(
            checks,
            "file-extra",
            allowed,
            n,
            if allowed {
                "unsigned, allowed by the policy"
            } else {
                "no file that was not signed"
            },
            &format!("present, {d}"),
        );
    }
    let ok = checks.iter().all(|c| c.ok || !c.check.starts_with("file"));
    check(
        checks,
        "files",
        ok,
        "the directory",
        &format!("{} signed files, unchanged", signed.len()),
        &format!("{} files present", actual.len()),
    );
}

/// Each valid signer's AIBOM attestation: verified with the same trust, subject equal to the
/// signed model digest, predicate equal to the AIBOM given.
fn bind_attestations(
    checks: &mut Vec<Check>,
    signers: &mut [Signer],
    inputs: &Inputs,
    trust: &Trust,
    models: &[(usize, Accepted, Statement)],
    bom: &Value,
) {
    for (i, accepted, model) in models {
        let sig_shown = inputs.signatures[*i].0.display().to_string();
        let Some(Some((att_path, att_bytes))) = inputs.attestations.get(*i) else {
            check(
                checks,
                "aibom-bound",
                false,
                &sig_shown,
                "an AIBOM attestation beside the signature (<signature>.bom)",
                "none",
            );
            if let Some(s) = signers.get_mut(*i) {
                s.bom_bound = Some(false);
            }
            continue;
        };
        let shown = att_path.display().to_string();
        let res = bundle::open(att_bytes)
            .map_err(|e| e.to_string())
            .and_then(|o| authenticate(&o, trust).map(|a| (o, a)))
            .and_then(|(o, a)| {
                if !same_signer(&a.signer, &accepted.signer) {
                    return Err(format!(
                        "signed by {}, not by the model's signer {}",
                        a.identity, accepted.identity
                    ));
                }
                statement::parse(&o.payload).map_err(|e| format!("attestation statement: {e}"))
            })
            .and_then(|s| match s {
                Statement::Bom {
                    subject,
                    bom: predicate,
                } => {
                    if subject != model.subject() {
                        Err(format!(
                            "binds model digest {subject}, the signed model is {}",
                            model.subject()
                        ))
                    } else if predicate != *bom {
                        Err("the signed AIBOM differs from the AIBOM given".to_owned())
                    } else {
                        Ok(())
                    }
                }
                Statement::Model { .. } => {
                    Err("a model signature, not an AIBOM attestation".to_owned())
                }
            });
        let ok = res.is_ok();
        check(
            checks,
            "aibom-bound",
            ok,
            &shown,
            "this AIBOM, signed by the model's signer for this model digest",
            &res.err().unwrap_or_else(|| "bound".into()),
        );
        if let Some(s) = signers.get_mut(*i) {
            s.bom_bound = Some(ok);
        }
    }
}

/// Findings the AIBOM records at or above the policy's level refuse the release, unless an
/// unexpired exception for that code and path (and, if pinned, those bytes) accepts them.
fn findings_policy(
    checks: &mut Vec<Check>,
    bom: &Value,
    actual: &BTreeMap<String, Sha256>,
    policy: &Policy,
) {
    let mut used = BTreeSet::new();
    let vulns = bom
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for v in &vulns {
        let Some(sev) = severity_of(v) else { continue };
        if sev < policy.fail_on {
            continue;
        }
        let code = v.get("id").and_then(Value::as_str).unwrap_or("?");
        let path = prop(v, "aibom:finding:path").unwrap_or("?");
        let subject = format!("{code} in {path}");
        let exc = policy.exceptions.iter().enumerate().find(|(_, x)| {
            x.code == code
                && x.path == path
                && x.sha256.as_ref().is_none_or(|h| {
                    actual
                        .get(path)
                        .is_some_and(|d| d.to_hex().eq_ignore_ascii_case(h))
                })
        });
        match exc {
            Some((n, x)) => {
                let expired = x
                    .expires
                    .as_ref()
                    .is_some_and(|e| e.as_str() < policy.today.as_str());
                if expired {
                    check(
                        checks,
                        "finding",
                        false,
                        &subject,
                        &format!("below {} or excepted", policy.fail_on),
                        &format!(
                            "{sev}; the exception expired on {}",
                            x.expires.as_deref().unwrap_or("")
                        ),
                    );
                } else {
                    used.insert(n);
                    check(
                        checks,
                        "finding-excepted",
                        true,
                        &subject,
                        &format!("below {} or excepted", policy.fail_on),
                        &format!("{sev}, excepted: {}", x.reason),
                    );
                }
            }
            None => check(
                checks,
                "finding",
                false,
                &subject,
                &format!("below {}", policy.fail_on),
                &format!(
                    "{sev}: {}",
                    v.get("description").and_then(Value::as_str).unwrap_or("")
                ),
            ),
        }
    }
    for (n, x) in policy.exceptions.iter().enumerate() {
        if !used.contains(&n) {
            check(
                checks,
                "exception-unused",
                true,
                &format!("{} in {}", x.code, x.path),
                "an exception that matches a finding",
                "unused (no such finding, or the pinned bytes changed)",
            );
        }
    }
}

fn roles(
    checks: &mut Vec<Check>,
    signers: &[Signer],
    models: &[(usize, Accepted, Statement)],
    inputs: &Inputs,
    policy: &Policy,
    trust: &Trust,
) -> Vec<RoleOutcome> {
    let need_bom = inputs.bom.is_some();
    let usable = |i: usize| {
        signers
            .get(i)
            .is_some_and(|s| s.valid && (!need_bom || s.bom_bound == Some(true)))
    };
    let mut out = Vec::new();
    for role in &policy.roles {
        let hit = models.iter().find(|(i, a, _)| {
            usable(*i)
                && match &role.trust {
                    RoleTrust::Key(k) => a.signer == SignerId::Key(k.clone()),
                    RoleTrust::Ca(anchors) => match &a.signer {
                        SignerId::Certificate(key, chain) => crate::sign::x509::verify_chain(
                            chain,
                            &trust.intermediates,
                            anchors,
                            None,
                        )
                        .is_ok_and(|leaf| leaf.key == *key),
                        _ => false,
                    },
                    RoleTrust::Keyless { identity, issuer } => {
                        a.signer
                            == SignerId::Keyless {
                                identity: identity.clone(),
                                issuer: issuer.clone(),
                            }
                    }
                }
        });
        let outcome = match hit {
            Some((i, a, _)) => RoleOutcome {
                role: role.name.clone(),
                satisfied: true,
                by: Some(inputs.signatures[*i].0.display().to_string()),
                reason: format!("signed by {}", a.identity),
            },
            None => RoleOutcome {
                role: role.name.clone(),
                satisfied: false,
                by: None,
                reason: match &role.trust {
                    RoleTrust::Keyless { identity, issuer } => {
                        format!("no valid keyless signature by {identity} ({issuer})")
                    }
                    _ if need_bom => {
                        "no valid signature with a bound AIBOM from this role's key or CA"
                            .to_owned()
                    }
                    _ => "no valid signature from this role's key or CA".to_owned(),
                },
            },
        };
        out.push(outcome);
    }
    if !policy.roles.is_empty() {
        let satisfied = out.iter().filter(|r| r.satisfied).count();
        let need = policy.threshold.unwrap_or(policy.roles.len());
        for r in &out {
            check(
                checks,
                "role",
                r.satisfied || policy.threshold.is_some(),
                &r.role,
                "a valid signature",
                &r.reason,
            );
        }
        check(
            checks,
            "approvals",
            satisfied >= need,
            "required signers",
            &format!("{need} of {} roles", policy.roles.len()),
            &format!("{satisfied} signed"),
        );
    }
    out
}
