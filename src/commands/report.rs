//! `aibom report AIBOM [-o FILE] [--format html|markdown] [--signature S ...]`: the AIBOM
//! (bytes as stored) + configured exceptions + signatures checked by
//! [`crate::verify::approvals`] ->
//! [`crate::bom::read`] -> [`crate::report::auditor::report`] -> HTML or Markdown -> a file (atomically) or stdout.
//!
//! The report never decides anything: it exits 0 whenever it could be written.

use super::trust::TrustFiles;
use crate::ExitStatus;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::report::auditor::{self, Inputs};
use crate::sign::trust::Trust;
use crate::verify::input::read_regular;
use crate::verify::{Attestation, SignatureFile};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<Vec<u8>> {
    read_regular(path, crate::limits::VerifyLimits::default().max_bom)
        .with_context(|| format!("reading {}", path.display()))
}

/// The trust to check signatures against: the flags, then the signer roles of the policy
/// given with `--config` (never one picked up implicitly: a model volume may ship its own
/// aibom.toml), read as `verify` reads them.
fn trust(args: &ReportArgs, cfg: &Config) -> Result<(Trust, Vec<crate::verify::Role>)> {
    let files = TrustFiles::new(None)?;
    let mut trust = super::trust::from_flags(&args.trust, &files)?;
    let mut roles = Vec::new();
    let base: PathBuf = cfg
        .source
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    if let Some(v) = cfg.verify.as_ref().filter(|_| args.config.is_some()) {
        for s in &v.signers {
            let t = super::trust::role(s, &base, &files, &mut trust)?;
            roles.push(crate::verify::Role {
                name: s.role.clone(),
                trust: t,
            });
        }
        if let (None, Some(root)) = (&trust.trusted_root, &v.trust_root) {
            trust.trusted_root = Some(files.read(&base.join(root), "Sigstore trusted root")?);
        }
    }
    Ok((trust, roles))
}

pub fn run(args: ReportArgs) -> Result<ExitStatus> {
    let bytes = read(&args.bom)?;
    let doc = super::parse_bom(&bytes, &args.bom, &crate::limits::VerifyLimits::default())?;
    super::refuse_spdx3(&doc, &args.bom, "report")?;
    // Reported after the configuration and the trust, which are checked first.
    let read_doc = crate::bom::read::Document::from_value(&doc);
    let cfg = Config::load(args.config.as_deref())?;
    let mut exceptions = cfg.exceptions.clone();
    if let Some(v) = &cfg.verify {
        exceptions.extend(v.exceptions.iter().cloned());
    }

    let approvals = if args.signature.signatures.is_empty() {
        if !args.trust.is_empty() {
            bail!(
                "--public-key, --certificate-chain and --trust-root check signatures: give them with --signature"
            );
        }
        None
    } else {
        let (trust, roles) = trust(&args, &cfg)?;
        let mut inputs = Vec::new();
        let limits = crate::limits::VerifyLimits::default();
        for s in &args.signature.signatures {
            // Regular files only, opened non-blocking, under the verifier's caps.
            let bytes = match read_regular(s, limits.max_signature) {
                Ok(b) => Ok(b),
                // A missing signature is reported, not fatal.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err("the signature file is missing".to_owned())
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", s.display())),
            };
            let mut att = s.clone().into_os_string();
            att.push(".bom");
            let att = PathBuf::from(att);
            // An attestation that cannot be read is left out, as if absent (`verify` reports
            // it as unreadable instead).
            let attestation = match read_regular(&att, limits.max_attestation) {
                Ok(b) => Attestation::Present(att, b),
                Err(_) => Attestation::Absent,
            };
            inputs.push(SignatureFile {
                path: s.clone(),
                bytes,
                attestation,
                release: Attestation::Absent,
            });
        }
        read_doc.as_ref().ok().map(|d| {
            crate::verify::approvals(
                &inputs,
                &trust,
                &roles,
                d,
                &crate::digest::Sha256::of(&bytes),
            )
        })
    };

    let read_doc = read_doc.with_context(|| format!("{}", args.bom.display()))?;
    let ledger = match &args.ledger {
        Some(p) => {
            if !p.is_file() {
                bail!("ledger {}: not a file", p.display());
            }
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(auditor::ledger::view(
                &name,
                &crate::ledger::read(p)?,
                &crate::digest::Sha256::of(&bytes),
            ))
        }
        None => None,
    };
    // Only a policy named with `--config`: a model volume may ship its own aibom.toml.
    let release_policy = cfg
        .verify
        .as_ref()
        .filter(|_| args.config.is_some())
        .map(|v| auditor::release::ReleasePolicy {
            gates: v.gates.clone(),
            signers: v.signers.clone(),
        });
    let report = auditor::report(
        &read_doc,
        Inputs {
            file_name: args
                .bom
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            bytes: Some(bytes),
            configured_exceptions: exceptions,
            approvals,
            ledger,
            release_policy,
        },
    );

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
