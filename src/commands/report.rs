//! `aibom report AIBOM [-o FILE] [--format html|markdown] [--signature S ...]`: the AIBOM
//! (bytes as stored) + configured exceptions + checked signatures ->
//! [`crate::report::auditor::read`] -> HTML or Markdown -> a file (atomically) or stdout.
//!
//! The report never decides anything: it exits 0 whenever it could be written.

use crate::ExitStatus;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::report::auditor::{self, Inputs, SignatureInput};
use crate::sign::keys::VerifyingKey;
use crate::verify::Trust;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn load_key(path: &Path) -> Result<VerifyingKey> {
    let pem = String::from_utf8(read(path)?)
        .with_context(|| format!("{} is not text", path.display()))?;
    VerifyingKey::from_pem(&pem).with_context(|| format!("{}", path.display()))
}

fn load_certs(path: &Path) -> Result<Vec<Vec<u8>>> {
    let text = String::from_utf8(read(path)?)
        .with_context(|| format!("{} is not text", path.display()))?;
    crate::sign::x509::pem_certificates(&text).with_context(|| format!("{}", path.display()))
}

/// The trust to check signatures against: the flags, then the signer roles of the policy
/// given with `--config`.
fn trust(args: &ReportArgs, cfg: &Config) -> Result<Trust> {
    let mut trust = Trust::default();
    for p in &args.public_keys {
        trust.keys.push((p.display().to_string(), load_key(p)?));
    }
    for p in &args.certificate_chains {
        let certs = load_certs(p)?;
        trust.anchors.extend(certs.iter().cloned());
        trust.intermediates.extend(certs);
    }
    let base: PathBuf = cfg
        .source
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    // Trust never comes from a file picked up implicitly (a model volume may ship its own
    // aibom.toml): signer roles count only from a configuration named with --config.
    if let Some(v) = cfg.verify.as_ref().filter(|_| args.config.is_some()) {
        for s in &v.signer {
            if let Some(k) = &s.public_key {
                trust
                    .keys
                    .push((format!("role {}", s.role), load_key(&base.join(k))?));
            } else if let Some(ca) = &s.certificate_ca {
                trust.anchors.extend(load_certs(&base.join(ca))?);
            } else if let (Some(id), Some(iss)) = (&s.identity, &s.issuer) {
                trust.identities.push((id.clone(), iss.clone()));
            }
        }
        if let Some(root) = &v.trust_root {
            trust.trusted_root = Some(read(&base.join(root))?);
        }
    }
    Ok(trust)
}

pub fn run(args: ReportArgs) -> Result<ExitStatus> {
    let bytes = read(&args.bom)?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", args.bom.display()))?;
    let cfg = Config::load(args.config.as_deref())?;
    let mut exceptions = cfg.exceptions.clone();
    if let Some(v) = &cfg.verify {
        exceptions.extend(v.exception.iter().cloned());
    }

    let approvals = if args.signatures.is_empty() {
        if !args.public_keys.is_empty() || !args.certificate_chains.is_empty() {
            bail!(
                "--public-key and --certificate-chain check signatures: give them with --signature"
            );
        }
        None
    } else {
        let trust = trust(&args, &cfg)?;
        let mut inputs = Vec::new();
        for s in &args.signatures {
            let bytes = match std::fs::read(s) {
                Ok(b) => Some(b),
                // A missing signature is reported, not fatal.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).with_context(|| format!("reading {}", s.display())),
            };
            let mut att = s.clone().into_os_string();
            att.push(".bom");
            let att = PathBuf::from(att);
            inputs.push(SignatureInput {
                shown: s.display().to_string(),
                bytes,
                attestation: std::fs::read(&att)
                    .ok()
                    .map(|b| (att.display().to_string(), b)),
            });
        }
        Some(auditor::approvals(
            &inputs,
            &trust,
            &doc,
            &crate::digest::Sha256::of(&bytes),
        ))
    };

    let report = auditor::read(
        &doc,
        Inputs {
            file_name: args
                .bom
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            bytes: Some(bytes),
            configured_exceptions: exceptions,
            approvals,
        },
    )
    .with_context(|| format!("{}", args.bom.display()))?;

    let text = match args.format {
        ReportFormat::Html => crate::report::html::to_string(&report),
        ReportFormat::Markdown => crate::report::markdown::to_string(&report),
    };
    match &args.output {
        Some(path) => super::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => super::write_stdout(text.as_bytes())?,
    }
    Ok(ExitStatus::Success)
}
