//! `aibom sign DIR --private-key K [--signing-certificate C [--certificate-chain I]...]
//! --signature S [--bom B]`: an OMS bundle over every file, and with an AIBOM, an attestation
//! binding it to the same model digest; all signed by one [`Signer`] (key or certificate).

use crate::ExitStatus;
use crate::bom::validate;
use crate::cli::{OutputFormat, SignArgs};
use crate::sign::signer::{CertificateFiles, Signer};
use crate::sign::{keys::SigningKey, manifest, release, statement};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub fn run(args: SignArgs) -> Result<ExitStatus> {
    if !args.dir.is_dir() {
        bail!("{}: not a directory", args.dir.display());
    }
    let pem = std::fs::read_to_string(&args.private_key)
        .with_context(|| format!("reading {}", args.private_key.display()))?;
    let key =
        SigningKey::from_pem(&pem).with_context(|| format!("{}", args.private_key.display()))?;
    let signer = signer(
        &args.private_key,
        key,
        args.certificate.signing_certificate.as_deref(),
        &args.certificate.certificate_chains,
    )?;
    let bom_sig: PathBuf = args.bom_signature.clone().unwrap_or_else(|| {
        let mut p = args.signature.clone().into_os_string();
        p.push(".bom");
        p.into()
    });
    let mut release_sig = args.signature.clone().into_os_string();
    release_sig.push(".release");
    let release_sig = PathBuf::from(release_sig);
    let ignored = manifest::ignore_list(
        &args.dir,
        &[&args.signature, &bom_sig, &release_sig],
        &args.ignore_paths,
    );
    // The same listing and name rule as `verify`: what sign writes, verify can accept.
    let listing = manifest::list(&args.dir, &ignored, args.allow_symlinks)?;
    if let Some(i) = listing.irregular.first() {
        bail!(
            "refusing to sign {}: {} ({} such entries; symbolic links, FIFOs, sockets, devices, unfinished downloads, non-UTF-8 names and names with a backslash or a drive prefix are not signed)",
            args.dir.display(),
            i,
            listing.irregular.len()
        );
    }
    let resources = manifest::resources(&listing.entries)?;
    let name = std::fs::canonicalize(&args.dir)?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    let payload = statement::model_statement(&name, &resources, &ignored, args.allow_symlinks)
        .context("serialising the signed statement")?;
    let out = serde_json::to_vec(&signer.bundle(&payload))?;
    super::write_atomic(&args.signature, &out)
        .with_context(|| format!("writing {}", args.signature.display()))?;
    let human = args.format == OutputFormat::Human;
    if human {
        super::note!(
            "signed {} files of {} with {} -> {}",
            resources.len(),
            args.dir.display(),
            signer.describe(),
            args.signature.display()
        );
    }

    let mut release_sig: Option<PathBuf> = None;
    if let Some(bom_path) = &args.bom {
        let text = crate::verify::input::read_regular(
            bom_path,
            crate::limits::VerifyLimits::default().max_bom,
        )
        .with_context(|| format!("reading {}", bom_path.display()))?;
        let bom: serde_json::Value = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not JSON", bom_path.display()))?;
        super::refuse_spdx3(&bom, bom_path, "sign")?;
        let problems = validate::validate(&bom);
        if !problems.is_empty() {
            bail!(
                "{} is not a valid AIBOM ({} problems, first: {})",
                bom_path.display(),
                problems.len(),
                problems[0]
            );
        }
        // The AIBOM must describe these bytes: every file it lists has this digest.
        let mismatches = crate::verify::bom_file_mismatches(
            &crate::bom::read::Document::read_any(&bom),
            &resources,
        );
        if let Some(m) = mismatches.first() {
            bail!(
                "{} does not describe {}: {m} ({} differences)",
                bom_path.display(),
                args.dir.display(),
                mismatches.len()
            );
        }
        let root = statement::root_digest(resources.iter().map(|r| &r.digest));
        let bom_name = bom_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "aibom.cdx.json".into());
        let payload = statement::bom_statement(
            &name,
            &root,
            &bom,
            &bom_name,
            &crate::digest::Sha256::of(&text),
        )
        .context("serialising the AIBOM attestation")?;
        let out = serde_json::to_vec(&signer.bundle(&payload))?;
        super::write_atomic(&bom_sig, &out)
            .with_context(|| format!("writing {}", bom_sig.display()))?;
        if human {
            super::note!("bound {} -> {}", bom_path.display(), bom_sig.display());
        }
        let doc = crate::bom::read::Document::read_any(&bom);
        let record = release::record_from_bom(&doc)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("reading the release {} records", bom_path.display()))?;
        if let Some(record) = record {
            let path = sign_release(&args, &record, &name, &root, &bom_name, &text, &signer)?;
            if human {
                super::note!(
                    "attested the release (tier {}, {} artifacts, {} files) -> {}",
                    record.tier,
                    record.artifacts.len(),
                    record.file_count(),
                    path.display()
                );
            }
            release_sig = Some(path);
        } else if args.release_root.is_some() {
            bail!(
                "--release-root given, but {} records no release",
                bom_path.display()
            );
        }
    } else if args.release_root.is_some() {
        bail!("--release-root needs --bom: the release is read from the AIBOM");
    }
    if args.format == OutputFormat::Json {
        let v = serde_json::json!({
            "dir": args.dir.display().to_string(),
            "files": resources.len(),
            "signature": args.signature.display().to_string(),
            "method": signer.method(),
            "bom": args.bom.as_ref().map(|p| p.display().to_string()),
            "bom_signature": args.bom.as_ref().map(|_| bom_sig.display().to_string()),
            "release_signature": release_sig.as_ref().map(|p| p.display().to_string()),
        });
        super::write_stdout((serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
    }
    Ok(ExitStatus::Success)
}

/// The release attestation (`<signature>.release`): the release's files are re-hashed under
/// the release root and must be exactly what the AIBOM records.
fn sign_release(
    args: &SignArgs,
    record: &release::Record,
    name: &str,
    root: &crate::digest::Sha256,
    bom_name: &str,
    bom_bytes: &[u8],
    signer: &Signer,
) -> Result<PathBuf> {
    let release_root = match &args.release_root {
        Some(r) => r.clone(),
        None => release::default_root(&args.dir, record.model_path.as_deref())
            .map_err(anyhow::Error::msg)?,
    };
    let found = release::hash_under(&release_root, record)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("hashing the release under {}", release_root.display()))?;
    if let Some(d) = release::first_difference(record, &found) {
        bail!(
            "the release under {} is not what the AIBOM records: {d}",
            release_root.display()
        );
    }
    let payload = release::statement(
        name,
        root,
        bom_name,
        &crate::digest::Sha256::of(bom_bytes),
        record,
    )
    .context("serialising the release attestation")?;
    let out = serde_json::to_vec(&signer.bundle(&payload))?;
    let mut path = args.signature.clone().into_os_string();
    path.push(".release");
    let path = PathBuf::from(path);
    super::write_atomic(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The key alone (read from `key_file`), or with `--signing-certificate` (and its
/// `--certificate-chain` files, read under the trust-file cap), checked against the key and the
/// clock before anything is signed. `revoke` signs with the same checks.
pub(super) fn signer(
    key_file: &Path,
    key: SigningKey,
    certificate: Option<&Path>,
    chains: &[PathBuf],
) -> Result<Signer> {
    let Some(leaf_path) = certificate else {
        return Ok(Signer::with_key(key)?);
    };
    let cap = crate::limits::VerifyLimits::default().max_trust_file;
    let read = |p: &Path| -> Result<(String, String)> {
        let bytes = crate::verify::input::read_regular(p, cap)
            .with_context(|| format!("reading certificate file {}", p.display()))?;
        let text =
            String::from_utf8(bytes).with_context(|| format!("{} is not text", p.display()))?;
        Ok((p.display().to_string(), text))
    };
    let leaf = read(leaf_path)?;
    let chain = chains.iter().map(|p| read(p)).collect::<Result<Vec<_>>>()?;
    let files = CertificateFiles {
        leaf: (&leaf.0, &leaf.1),
        chain: chain
            .iter()
            .map(|(f, t)| (f.as_str(), t.as_str()))
            .collect(),
    };
    let now = crate::date::now().and_then(|t| u64::try_from(t.as_second()).ok());
    Ok(Signer::with_certificate(
        key,
        &key_file.display().to_string(),
        &files,
        now,
    )?)
}
