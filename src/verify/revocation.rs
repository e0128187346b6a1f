//! Revocations: a signed statement that a release must no longer be deployed, and the
//! `release-revoked` check `verify` makes with the revocations a policy points at.
//!
//! A revocation is a Sigstore bundle exactly like a model signature (DSSE envelope, in-toto
//! Statement v1, see [`crate::sign::bundle`]) with predicate type [`REVOCATION_PREDICATE`]:
//!
//! ```json
//! { "_type": "https://in-toto.io/Statement/v1",
//!   "subject": [ { "name": "model", "digest": { "sha256": "<model digest>" } },
//!                { "name": "aibom", "digest": { "sha256": "<AIBOM file SHA-256>" } } ],
//!   "predicateType": "https://aibom.dev/revocation/v1",
//!   "predicate": { "reason": "...", "revokedAt": "2026-12-05T12:00:00Z", "revoker": "key <hint>" } }
//! ```
//!
//! `revoker` is what `aibom revoke` says of its signer: `key <hint>`, or for the OMS certificate
//! method `certificate '<subject>' issued by '<issuer>' (key <hint>)`.
//!
//! A revocation counts only when its signature verifies against a listed revoker
//! (`[[verify.revoker]]`); one that does not verify, or that is not a revocation, is reported as
//! a warning and ignored: it can never block a release, and never makes anything pass. What
//! cannot be shown not to revoke refuses the release (fail closed): a revocations directory
//! that cannot be read or is past its caps, a directory (or a link to one) inside it, a
//! `*.json` entry that cannot be read in full as a regular file, and a revocation of an AIBOM
//! when the AIBOM given is bound only as JSON ([`Verdict::bom_bound_as_json`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Verdict;
use super::checks::{Check, CheckKind};
use super::input::read_regular;
use crate::digest::Sha256;
use crate::sign::bundle;
use crate::sign::statement::STATEMENT_TYPE;
use crate::sign::trust::{Trust, authenticate};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const REVOCATION_PREDICATE: &str = "https://aibom.dev/revocation/v1";

/// The largest revocation bundle read.
pub const MAX_REVOCATION: u64 = 1 << 20;
/// Revocation files read from the directory (each up to [`MAX_REVOCATION`]).
pub const MAX_REVOCATIONS: usize = 1024;
/// Bytes of all revocation files together (a revocation is a few KB).
pub const MAX_REVOCATIONS_BYTES: u64 = 16 << 20;

/// What a verified revocation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Every subject digest: the model digest, the AIBOM's SHA-256, or both.
    pub digests: Vec<Sha256>,
    /// The subject digests not named `model`: an AIBOM's SHA-256 (what `revoke --bom` signs),
    /// or a digest that cannot be told from one.
    pub bom_digests: Vec<Sha256>,
    pub reason: String,
    pub revoked_at: String,
    /// What the revoker wrote about itself (informational; who signed is what counts).
    pub revoker: Option<String>,
}

/// The statement `aibom revoke` signs: `subjects` are (name, digest) pairs.
pub fn statement(
    subjects: &[(&str, Sha256)],
    reason: &str,
    revoked_at: &str,
    revoker: &str,
) -> serde_json::Result<Vec<u8>> {
    let subject: Vec<Value> = subjects
        .iter()
        .map(|(n, d)| json!({"name": n, "digest": {"sha256": d.to_hex()}}))
        .collect();
    serde_json::to_vec(&json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": REVOCATION_PREDICATE,
        "predicate": {"reason": reason, "revokedAt": revoked_at, "revoker": revoker},
    }))
}

/// Parses a revocation statement (the verified payload).
pub fn parse(payload: &[u8]) -> Result<Revocation, String> {
    let v: Value =
        serde_json::from_slice(payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
    let ty = v.get("_type").and_then(Value::as_str).unwrap_or("");
    if ty != STATEMENT_TYPE {
        return Err(format!("_type is {ty:?}, expected {STATEMENT_TYPE:?}"));
    }
    let pt = v.get("predicateType").and_then(Value::as_str).unwrap_or("");
    if pt != REVOCATION_PREDICATE {
        return Err(format!(
            "predicateType is {pt:?}, not a revocation ({REVOCATION_PREDICATE})"
        ));
    }
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or("a revocation names at least one subject")?
        .iter()
        .map(|s| {
            s.get("digest")
                .and_then(|d| d.get("sha256"))
                .and_then(Value::as_str)
                .ok_or_else(|| "a subject without a sha256 digest".to_owned())
                .and_then(|d| d.parse::<Sha256>())
                .map(|d| (s.get("name").and_then(Value::as_str) == Some("model"), d))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let digests = subjects.iter().map(|(_, d)| *d).collect();
    let bom_digests = subjects
        .iter()
        .filter(|(model, _)| !model)
        .map(|(_, d)| *d)
        .collect();
    let p = v.get("predicate").ok_or("no predicate")?;
    let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let reason = text("reason")
        .filter(|r| !r.trim().is_empty())
        .ok_or("a revocation states its reason")?;
    let revoked_at = text("revokedAt").ok_or("a revocation states when (revokedAt)")?;
    if !crate::date::is_rfc3339(&revoked_at) {
        return Err(format!("revokedAt {revoked_at:?} is not an RFC 3339 time"));
    }
    Ok(Revocation {
        digests,
        bom_digests,
        reason,
        revoked_at,
        revoker: text("revoker"),
    })
}

/// A party whose revocations count: a name (`role` of `[[verify.revoker]]`) and the trust
/// that recognises it.
pub struct Revoker {
    pub name: String,
    pub trust: Trust,
}

/// A revocation bundle file and its bytes, or why they could not be read.
pub struct RevocationFile {
    pub path: PathBuf,
    pub bytes: Result<Vec<u8>, String>,
}

/// The revocations directory as read: its files (`*.json`, sorted by name), or why it could
/// not be read.
pub struct Revocations {
    pub dir: PathBuf,
    pub files: Result<Vec<RevocationFile>, String>,
    /// Directories inside it, and links to one: revocations are read from the top level only,
    /// so what one holds cannot be shown not to revoke (refused, naming it).
    pub subdirectories: Vec<PathBuf>,
}

/// Reads every `*.json` (and so `*.sigstore.json`) entry of `dir`, the extension in any case
/// (`R1.JSON`), in name order, as a regular file (links followed, opened non-blocking, at most
/// [`MAX_REVOCATION`] bytes); one that cannot be read so is kept with its error. Directories,
/// and links to one, are listed, never entered.
pub fn read_dir(dir: &Path) -> Revocations {
    let mut subdirectories = Vec::new();
    let files = (|| {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| e.to_string())?
            .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        // `metadata` follows links and never opens the entry (a FIFO does not block it).
        let is_dir = |p: &PathBuf| std::fs::metadata(p).is_ok_and(|m| m.is_dir());
        subdirectories = paths.iter().filter(|p| is_dir(p)).cloned().collect();
        subdirectories.sort();
        paths.retain(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"))
                && !is_dir(p)
        });
        paths.sort();
        // Each file is read whole and parsed: the directory's size is bounded too (fail
        // closed past it: a release cannot be shown not to be revoked).
        if paths.len() > MAX_REVOCATIONS {
            return Err(format!(
                "{} revocation files, more than the {MAX_REVOCATIONS} read",
                paths.len()
            ));
        }
        let mut total: u64 = 0;
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = read_regular(&path, MAX_REVOCATION).map_err(|e| e.to_string());
            if let Ok(b) = &bytes {
                total = total.saturating_add(b.len() as u64);
                if total > MAX_REVOCATIONS_BYTES {
                    return Err(format!(
                        "the revocation files hold more than {MAX_REVOCATIONS_BYTES} bytes"
                    ));
                }
            }
            files.push(RevocationFile { bytes, path });
        }
        Ok(files)
    })();
    Revocations {
        dir: dir.to_path_buf(),
        files,
        subdirectories,
    }
}

/// Who signed a revocation bundle, among the revokers, and what it says.
/// What a file in the revocations directory is.
enum Read {
    /// Signed by a listed revoker, and readable.
    Revocation(String, Revocation),
    /// Signed by a listed revoker, but not a revocation aibom can read: no one else could
    /// have signed it, so it is taken to revoke (fail closed), naming what is wrong.
    Unreadable(String, String),
}

/// A listed revoker's key that made the signature of a bundle carrying a certificate: the
/// certificate is more than a `public-key` revoker asks for, but the listed key signed, so it
/// counts as that revoker (a model signature never fills a `public-key` role with one, and that
/// refuses the release; ignoring a revocation would pass it).
fn by_listed_key(opened: &bundle::Opened, trust: &Trust) -> Option<String> {
    if !matches!(opened.method, bundle::Method::Certificate { .. }) {
        return None;
    }
    let pae = bundle::pae(bundle::PAYLOAD_TYPE, &opened.payload);
    trust
        .keys
        .iter()
        .find(|(_, k)| k.verify(&pae, &opened.signature))
        .map(|(label, k)| {
            let hint = k.hint().unwrap_or_default();
            format!(
                "key {label} ({} {}…), in a bundle that also carries a certificate, not checked",
                k.curve_name(),
                hint.get(..16).unwrap_or(&hint)
            )
        })
}

/// When a certificate bundle fails a `certificate-ca` revoker only because a certificate
/// between its leaf and the CA is neither in the bundle nor in the CA file: what to do.
fn missing_issuer(opened: &bundle::Opened, trust: &Trust) -> String {
    let bundle::Method::Certificate { chain } = &opened.method else {
        return String::new();
    };
    if trust.anchors.is_empty() {
        return String::new();
    }
    match crate::sign::x509::verify_chain(chain, &trust.intermediates, &trust.anchors, None) {
        Err(crate::sign::x509::ChainError::NoIssuer { issuer, .. }) => format!(
            " (the bundle does not carry the certificate of '{issuer}' and the revoker's CA file does not hold it: sign the revocation again with --certificate-chain naming the intermediate certificates up to the revoker's CA)"
        ),
        _ => String::new(),
    }
}

fn verified(bytes: &[u8], revokers: &[Revoker]) -> Result<Read, String> {
    let opened = bundle::open(bytes).map_err(|e| e.to_string())?;
    let mut why = Vec::new();
    for r in revokers {
        let identity = authenticate(&opened, &r.trust)
            .map(|a| a.identity)
            .or_else(|e| by_listed_key(&opened, &r.trust).ok_or(e));
        match identity {
            Ok(identity) => {
                let by = format!("{} ({identity})", r.name);
                return Ok(match parse(&opened.payload) {
                    Ok(rev) => Read::Revocation(by, rev),
                    Err(e) => Read::Unreadable(by, e),
                });
            }
            Err(e) => why.push(format!(
                "{}: {e}{}",
                r.name,
                missing_issuer(&opened, &r.trust)
            )),
        }
    }
    if why.is_empty() {
        return Err("no revoker is listed in the policy ([[verify.revoker]])".into());
    }
    Err(format!("signed by no listed revoker ({})", why.join("; ")))
}

fn check(kind: CheckKind, ok: bool, blocking: bool, subject: &str, exp: &str, act: &str) -> Check {
    Check {
        check: kind,
        ok,
        blocking,
        signature: None,
        subject: subject.to_owned(),
        expected: exp.to_owned(),
        actual: act.to_owned(),
    }
}

/// Adds the revocation checks to `verdict` and refuses it when a listed revoker revoked the
/// release (its model digest, or `bom_sha256`, the SHA-256 of the AIBOM given).
pub fn apply(
    verdict: &mut Verdict,
    revocations: &Revocations,
    revokers: &[Revoker],
    bom_sha256: Option<Sha256>,
) {
    let expected = "a release no listed revoker has revoked";
    // Every failing check this adds refuses the release.
    let refuse = |verdict: &mut Verdict, subject: &str, why: &str| {
        verdict.checks.push(check(
            CheckKind::ReleaseRevoked,
            false,
            true,
            subject,
            expected,
            why,
        ));
        verdict.accepted = false;
    };
    let dir = revocations.dir.display().to_string();
    let files = match &revocations.files {
        Ok(f) => f,
        Err(e) => {
            refuse(
                verdict,
                &dir,
                &format!(
                    "the revocations directory cannot be read ({e}), so the release cannot be shown not to be revoked"
                ),
            );
            return;
        }
    };
    let model: Option<Sha256> = verdict.model_digest.as_deref().and_then(|d| d.parse().ok());
    let ours = |d: &Sha256| Some(*d) == model || Some(*d) == bom_sha256;
    let checks_before = verdict.checks.len();
    let mut counted = 0usize;
    for d in &revocations.subdirectories {
        let what = if std::fs::symlink_metadata(d).is_ok_and(|m| m.file_type().is_symlink()) {
            "a link to a directory"
        } else {
            "a directory"
        };
        refuse(
            verdict,
            &d.display().to_string(),
            &format!(
                "{what} inside the revocations directory: revocations are read from its top level only, so what it holds cannot be shown not to revoke the release (move its files up, or remove it)"
            ),
        );
    }
    for f in files {
        let shown = f.path.display().to_string();
        let bytes = match &f.bytes {
            Ok(b) => b,
            Err(e) => {
                // Like a subdirectory: nothing shows it is not a listed revoker's revocation.
                refuse(
                    verdict,
                    &shown,
                    &format!(
                        "cannot be read in full as a regular file ({e}), so what it holds cannot be shown not to revoke the release (make it a readable file of at most {MAX_REVOCATION} bytes, or remove it)"
                    ),
                );
                continue;
            }
        };
        match verified(bytes, revokers) {
            Err(e) => verdict.checks.push(check(
                CheckKind::Revocation,
                false,
                false,
                &shown,
                "a revocation signed by a listed revoker (ignored otherwise)",
                &e,
            )),
            Ok(Read::Unreadable(by, e)) => refuse(
                verdict,
                &shown,
                &format!(
                    "signed by the listed revoker {by}, but not a revocation that can be read ({e}): taken to revoke every release"
                ),
            ),
            Ok(Read::Revocation(by, rev)) => {
                counted = counted.saturating_add(1);
                if rev.digests.iter().any(ours) {
                    refuse(
                        verdict,
                        &shown,
                        &format!("revoked by {by} at {}: {}", rev.revoked_at, rev.reason),
                    );
                } else if verdict.bom_bound_as_json
                    && let Some(d) = rev.bom_digests.first()
                {
                    // The revocation names an AIBOM's bytes; the AIBOM given is bound only as
                    // JSON, so the revoked one could be this document written out otherwise.
                    refuse(
                        verdict,
                        &shown,
                        &format!(
                            "{by} revoked the AIBOM with SHA-256 {d} at {} ({}); the AIBOM given is bound to the signatures that count only as JSON (older attestations without its digest), not by its bytes, so it cannot be shown not to be that AIBOM written out differently (sign the release again: attestations now bind the AIBOM's bytes)",
                            rev.revoked_at, rev.reason
                        ),
                    );
                }
            }
        }
    }
    let revoked = verdict
        .checks
        .get(checks_before..)
        .unwrap_or_default()
        .iter()
        .any(|c| c.check == CheckKind::ReleaseRevoked);
    if !revoked {
        verdict.checks.push(check(
            CheckKind::ReleaseRevoked,
            true,
            true,
            &dir,
            expected,
            &format!("not revoked ({counted} valid revocations of other releases)"),
        ));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::sign::keys::{Curve, SigningKey};

    fn signed(key: &SigningKey, digest: Sha256, reason: &str) -> Vec<u8> {
        let payload = statement(&[("model", digest)], reason, "2026-12-01T00:00:00Z", "k").unwrap();
        let sig = key.sign(&bundle::pae(bundle::PAYLOAD_TYPE, &payload));
        let hint = key.verifying_key().hint().unwrap();
        serde_json::to_vec(&bundle::key_bundle(&payload, &sig, &hint)).unwrap()
    }

    fn revoker(name: &str, key: &SigningKey) -> Revoker {
        let mut trust = Trust::default();
        trust.keys.push((name.into(), key.verifying_key()));
        Revoker {
            name: name.into(),
            trust,
        }
    }

    fn verdict(model: Sha256) -> Verdict {
        Verdict {
            accepted: true,
            directory: "m".into(),
            model_digest: Some(model.to_hex()),
            signers: Vec::new(),
            roles: Vec::new(),
            checks: Vec::new(),
            release_tier: None,
            staged_model_path: None,
            unstaged: Vec::new(),
            release_staged: false,
            bom_bound_as_json: false,
        }
    }

    fn revs(bundles: Vec<Vec<u8>>) -> Revocations {
        Revocations {
            dir: "revoked".into(),
            files: Ok(bundles
                .into_iter()
                .enumerate()
                .map(|(i, b)| RevocationFile {
                    path: format!("r{i}.json").into(),
                    bytes: Ok(b),
                })
                .collect()),
            subdirectories: Vec::new(),
        }
    }

    fn kinds(v: &Verdict) -> Vec<(&'static str, bool)> {
        v.checks.iter().map(|c| (c.check.as_str(), c.ok)).collect()
    }

    #[test]
    fn a_listed_revokers_document_that_cannot_be_read_refuses_and_an_unlisted_one_does_not() {
        // Signed by the listed key, but with a `sha256:`-prefixed digest (not a revocation
        // aibom reads): nobody else could have signed it, so it refuses.
        let sec = SigningKey::generate(Curve::P256);
        let model = Sha256::of(b"model");
        let payload = signed(&sec, model, "bad build");
        let mut v: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let inner = bundle::open(&payload).unwrap().payload;
        let text = String::from_utf8(inner)
            .unwrap()
            .replace(&model.to_hex(), &format!("sha256:{}", model.to_hex()));
        let sig = sec.sign(&bundle::pae(bundle::PAYLOAD_TYPE, text.as_bytes()));
        let hint = sec.verifying_key().hint().unwrap();
        v = serde_json::to_value(bundle::key_bundle(text.as_bytes(), &sig, &hint)).unwrap_or(v);
        let odd = serde_json::to_vec(&v).unwrap();
        let mut ver = verdict(model);
        apply(
            &mut ver,
            &revs(vec![odd.clone()]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(!ver.accepted, "{:?}", kinds(&ver));
        assert!(kinds(&ver).contains(&("release-revoked", false)));
        // The same document under a key no revoker holds is ignored.
        let other = SigningKey::generate(Curve::P256);
        let mut ver = verdict(model);
        apply(
            &mut ver,
            &revs(vec![odd]),
            &[revoker("security", &other)],
            None,
        );
        assert!(ver.accepted, "{:?}", kinds(&ver));
    }

    #[test]
    fn a_revocation_named_in_upper_case_counts_and_a_subdirectory_refuses() {
        let sec = SigningKey::generate(Curve::P256);
        let model = Sha256::of(b"model");
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("R1.JSON"), signed(&sec, model, "leaked")).unwrap();
        std::fs::write(d.path().join("README.md"), b"notes").unwrap();
        let mut v = verdict(model);
        apply(
            &mut v,
            &read_dir(d.path()),
            &[revoker("security", &sec)],
            None,
        );
        assert!(!v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", false)]);
        assert!(v.checks[0].subject.ends_with("R1.JSON"));

        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("2026")).unwrap();
        std::fs::write(d.path().join("2026/r1.json"), signed(&sec, model, "x")).unwrap();
        let mut v = verdict(model);
        apply(
            &mut v,
            &read_dir(d.path()),
            &[revoker("security", &sec)],
            None,
        );
        assert!(!v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", false)]);
        assert!(v.checks[0].subject.ends_with("2026"), "{:?}", v.checks[0]);
        assert!(v.checks[0].actual.contains("top level only"));
    }

    #[test]
    fn a_listed_revoker_refuses_the_release_naming_who_when_and_why() {
        let sec = SigningKey::generate(Curve::P256);
        let model = Sha256::of(b"model");
        let mut v = verdict(model);
        apply(
            &mut v,
            &revs(vec![signed(&sec, model, "leaked weights")]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(!v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", false)]);
        let actual = &v.checks[0].actual;
        assert!(actual.contains("security") && actual.contains("leaked weights"));
        assert!(actual.contains("2026-12-01T00:00:00Z"), "{actual}");
    }

    #[test]
    fn a_revocation_with_a_key_not_listed_is_a_warning_and_ignored() {
        let sec = SigningKey::generate(Curve::P256);
        let other = SigningKey::generate(Curve::P256);
        let model = Sha256::of(b"model");
        let mut v = verdict(model);
        apply(
            &mut v,
            &revs(vec![signed(&other, model, "spite")]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(v.accepted);
        assert_eq!(
            kinds(&v),
            vec![("revocation", false), ("release-revoked", true)]
        );
        assert!(!v.checks[0].blocking);
    }

    #[test]
    fn a_revocation_of_another_release_does_not_refuse() {
        let sec = SigningKey::generate(Curve::P256);
        let mut v = verdict(Sha256::of(b"model"));
        apply(
            &mut v,
            &revs(vec![signed(&sec, Sha256::of(b"older"), "old bug")]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", true)]);
    }

    #[test]
    fn a_revocation_of_the_aibom_digest_refuses() {
        let sec = SigningKey::generate(Curve::P256);
        let bom = Sha256::of(b"bom");
        let mut v = verdict(Sha256::of(b"model"));
        apply(
            &mut v,
            &revs(vec![signed(&sec, bom, "wrong licence")]),
            &[revoker("security", &sec)],
            Some(bom),
        );
        assert!(!v.accepted);
    }

    #[test]
    fn an_aibom_revocation_refuses_a_release_whose_aibom_is_bound_only_as_json() {
        let sec = SigningKey::generate(Curve::P256);
        let payload = statement(
            &[("aibom", Sha256::of(b"revoked bom"))],
            "wrong licence",
            "2026-12-01T00:00:00Z",
            "k",
        )
        .unwrap();
        let sig = sec.sign(&bundle::pae(bundle::PAYLOAD_TYPE, &payload));
        let hint = sec.verifying_key().hint().unwrap();
        let b = serde_json::to_vec(&bundle::key_bundle(&payload, &sig, &hint)).unwrap();
        for as_json in [false, true] {
            let mut v = verdict(Sha256::of(b"model"));
            v.bom_bound_as_json = as_json;
            let given = Some(Sha256::of(b"bom given"));
            apply(
                &mut v,
                &revs(vec![b.clone()]),
                &[revoker("security", &sec)],
                given,
            );
            assert_eq!(v.accepted, !as_json, "{:?}", v.checks);
        }
        // A model digest alone names no AIBOM.
        let mut v = verdict(Sha256::of(b"model"));
        v.bom_bound_as_json = true;
        let other = signed(&sec, Sha256::of(b"older"), "old bug");
        apply(
            &mut v,
            &revs(vec![other]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(v.accepted);
    }

    #[test]
    fn an_invalid_revocation_never_makes_a_refused_release_pass() {
        let sec = SigningKey::generate(Curve::P256);
        let mut v = verdict(Sha256::of(b"model"));
        v.accepted = false;
        apply(
            &mut v,
            &revs(vec![b"not json".to_vec()]),
            &[revoker("security", &sec)],
            None,
        );
        assert!(!v.accepted);
    }

    #[test]
    fn an_unreadable_revocations_directory_refuses() {
        let mut v = verdict(Sha256::of(b"model"));
        let d = tempfile::tempdir().unwrap();
        apply(&mut v, &read_dir(&d.path().join("absent")), &[], None);
        assert!(!v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", false)]);
    }

    #[test]
    fn a_revocations_directory_past_its_size_bounds_refuses() {
        // More files than read, and files that together hold more than the byte cap.
        let d = tempfile::tempdir().unwrap();
        for i in 0..=MAX_REVOCATIONS {
            std::fs::write(d.path().join(format!("r{i:05}.json")), b"{}").unwrap();
        }
        let mut v = verdict(Sha256::of(b"model"));
        apply(&mut v, &read_dir(d.path()), &[], None);
        assert!(!v.accepted);
        let d = tempfile::tempdir().unwrap();
        let big = vec![b' '; usize::try_from(MAX_REVOCATION).unwrap()];
        for i in 0..=(MAX_REVOCATIONS_BYTES / MAX_REVOCATION) {
            std::fs::write(d.path().join(format!("r{i}.json")), &big).unwrap();
        }
        let mut v = verdict(Sha256::of(b"model"));
        apply(&mut v, &read_dir(d.path()), &[], None);
        assert!(!v.accepted);
        assert_eq!(kinds(&v), vec![("release-revoked", false)]);
    }

    #[test]
    fn a_model_signature_is_not_a_revocation() {
        let payload = crate::sign::statement::model_statement("m", &[], &[], false).unwrap();
        assert!(parse(&payload).unwrap_err().contains("not a revocation"));
    }

    #[test]
    fn a_revocation_without_a_reason_is_refused() {
        let payload = statement(
            &[("model", Sha256::of(b"m"))],
            " ",
            "2026-12-01T00:00:00Z",
            "k",
        )
        .unwrap();
        assert!(parse(&payload).unwrap_err().contains("reason"));
    }
}
