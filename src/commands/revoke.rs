//! `aibom revoke --model-digest D | --bom B --reason R --private-key K [--signing-certificate C
//! [--certificate-chain I]...] [-o F]`: a revocation statement ([`crate::verify::revocation`])
//! signed by the same [`crate::sign::signer::Signer`] as `sign` (a key, or the OMS certificate
//! method), in the same bundle format as a model signature.

use crate::ExitStatus;
use crate::cli::RevokeArgs;
use crate::digest::Sha256;
use crate::sign::keys::SigningKey;
use crate::verify::revocation;
use anyhow::{Context, Result, bail};

pub fn run(args: RevokeArgs) -> Result<ExitStatus> {
    if args.reason.trim().is_empty() {
        bail!("--reason must say why the release is revoked");
    }
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("reading {}", args.key.display()))?;
    let key = SigningKey::from_pem(&pem).with_context(|| format!("{}", args.key.display()))?;
    // The signing certificate is checked (its key, its validity now, its usage) before
    // anything is read or written.
    let signer = super::sign::signer(
        &args.key,
        key,
        args.certificate.signing_certificate.as_deref(),
        &args.certificate.certificate_chains,
    )?;
    let mut subjects: Vec<(&str, Sha256)> = Vec::new();
    if let Some(d) = args.model_digest {
        subjects.push(("model", d));
    }
    if let Some(b) = &args.bom {
        let bytes =
            crate::verify::input::read_regular(b, crate::limits::VerifyLimits::default().max_bom)
                .with_context(|| format!("reading {}", b.display()))?;
        subjects.push(("aibom", Sha256::of(&bytes)));
    }
    let Some(now) = crate::date::now() else {
        bail!("the system clock cannot be read: a revocation records when it was made");
    };
    let when = crate::date::rfc3339(now.as_second());
    let payload = revocation::statement(&subjects, &args.reason, &when, &signer.identity())
        .context("serialising the revocation")?;
    let mut out = serde_json::to_vec(&signer.bundle(&payload))?;
    match &args.out {
        Some(p) => {
            super::write_atomic(p, &out).with_context(|| format!("writing {}", p.display()))?;
            super::note!(
                "revoked {} with {} -> {}",
                subjects
                    .iter()
                    .map(|(n, d)| format!("{n} {d}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                signer.describe(),
                p.display()
            );
        }
        None => {
            out.push(b'\n');
            super::write_stdout(&out)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The policy's revocations (`revocations`, relative to the policy file) and the parties whose
/// revocations count (`[[verify.revoker]]`), or `None` when the policy names no directory.
pub fn from_policy(
    v: &crate::config::VerifyPolicy,
    base: &std::path::Path,
    files: &super::trust::TrustFiles,
) -> Result<Option<(revocation::Revocations, Vec<revocation::Revoker>)>> {
    use crate::config::SignerTrust;
    let Some(dir) = &v.revocations else {
        if !v.revokers.is_empty() {
            bail!(
                "[[verify.revoker]] is listed but no `revocations` directory: set revocations = \"DIR\" in [verify]"
            );
        }
        return Ok(None);
    };
    if v.revokers.is_empty() {
        bail!(
            "verify.revocations {}: no [[verify.revoker]] is listed, so no revocation could count",
            dir.display()
        );
    }
    let mut revokers = Vec::new();
    for r in &v.revokers {
        let mut trust = crate::sign::trust::Trust::default();
        match &r.trust {
            SignerTrust::PublicKey(k) => {
                trust
                    .keys
                    .push((format!("revoker {}", r.role), files.key(&base.join(k))?));
            }
            SignerTrust::CertificateCa(ca) => {
                let certs = files.certs(&base.join(ca))?;
                trust.anchors.extend(certs.iter().cloned());
                trust.intermediates.extend(certs);
            }
            SignerTrust::Keyless { .. } => bail!(
                "verify.revoker {:?}: keyless revokers are not supported yet; give public-key or certificate-ca",
                r.role
            ),
        }
        revokers.push(revocation::Revoker {
            name: r.role.clone(),
            trust,
        });
    }
    Ok(Some((revocation::read_dir(&base.join(dir)), revokers)))
}
