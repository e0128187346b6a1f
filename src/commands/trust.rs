//! Trust for checking signatures, configured once for `verify` and `report`: the trust flags
//! ([`TrustArgs`]), then the signer roles of a policy named on the command line. Every file is
//! read as a regular file under a size cap, and never from inside the directory being
//! verified: a release cannot vouch for itself.

use crate::cli::TrustArgs;
use crate::config::{Signer, SignerTrust};
use crate::limits::VerifyLimits;
use crate::sign::keys::VerifyingKey;
use crate::sign::trust::Trust;
use crate::verify::RoleTrust;
use crate::verify::input::read_regular;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Reads a file that configures trust: never from inside the directory being verified.
pub struct TrustFiles {
    /// The directory being verified, if any: nothing is read from inside it.
    dir: Option<(PathBuf, String)>,
    cap: u64,
}

impl TrustFiles {
    pub fn new(dir: Option<&Path>) -> Result<Self> {
        let dir = match dir {
            Some(d) => Some((
                std::fs::canonicalize(d).with_context(|| format!("reading {}", d.display()))?,
                d.display().to_string(),
            )),
            None => None,
        };
        Ok(TrustFiles {
            dir,
            cap: VerifyLimits::default().max_trust_file,
        })
    }

    pub fn read(&self, path: &Path, what: &str) -> Result<Vec<u8>> {
        let real = std::fs::canonicalize(path)
            .with_context(|| format!("reading {what} {}", path.display()))?;
        if let Some((dir_real, dir_shown)) = &self.dir
            && real.starts_with(dir_real)
        {
            bail!(
                "{what} {} lies inside the directory being verified ({}): a release cannot vouch for itself; keep trust configuration outside it",
                path.display(),
                dir_shown
            );
        }
        read_regular(path, self.cap).with_context(|| format!("reading {what} {}", path.display()))
    }

    pub fn key(&self, path: &Path) -> Result<VerifyingKey> {
        let pem = String::from_utf8(self.read(path, "public key")?)
            .with_context(|| format!("{} is not text", path.display()))?;
        VerifyingKey::from_pem(&pem).with_context(|| format!("{}", path.display()))
    }

    pub fn certs(&self, path: &Path) -> Result<Vec<Vec<u8>>> {
        let text = String::from_utf8(self.read(path, "certificate file")?)
            .with_context(|| format!("{} is not text", path.display()))?;
        let certs = crate::sign::x509::pem_certificates(&text)
            .with_context(|| format!("{}", path.display()))?;
        if certs.is_empty() {
            bail!("{}: no certificate found", path.display());
        }
        Ok(certs)
    }
}

/// The trust the command-line flags give.
pub fn from_flags(args: &TrustArgs, files: &TrustFiles) -> Result<Trust> {
    let mut trust = Trust::default();
    for p in &args.public_keys {
        trust.keys.push((p.display().to_string(), files.key(p)?));
    }
    for p in &args.certificate_chains {
        let certs = files.certs(p)?;
        trust.anchors.extend(certs.iter().cloned());
        trust.intermediates.extend(certs);
    }
    if let Some(p) = &args.trust_root {
        trust.trusted_root = Some(files.read(p, "Sigstore trusted root")?);
    }
    if let (Some(id), Some(iss)) = (&args.identity, &args.issuer) {
        trust.identities.push((id.clone(), iss.clone()));
    }
    Ok(trust)
}

/// One signer role of a policy (paths relative to `base`, the policy's folder): how it is
/// recognised, also added to `trust` so its signatures can be checked.
pub fn role(s: &Signer, base: &Path, files: &TrustFiles, trust: &mut Trust) -> Result<RoleTrust> {
    Ok(match &s.trust {
        SignerTrust::PublicKey(k) => {
            let key = files.key(&base.join(k))?;
            trust.keys.push((format!("role {}", s.role), key.clone()));
            RoleTrust::Key(key)
        }
        SignerTrust::CertificateCa(ca) => {
            let certs = files.certs(&base.join(ca))?;
            trust.anchors.extend(certs.iter().cloned());
            RoleTrust::Ca(certs)
        }
        SignerTrust::Keyless { identity, issuer } => {
            trust.identities.push((identity.clone(), issuer.clone()));
            RoleTrust::Keyless {
                identity: identity.clone(),
                issuer: issuer.clone(),
            }
        }
    })
}
