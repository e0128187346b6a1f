//! `aibom verify DIR --signature S... [--public-key K] [--certificate-chain CA] [--bom B]
//! [--policy aibom.toml]`: inputs -> [`crate::verify::verify`] -> verdict -> exit status.

use crate::ExitStatus;
use crate::cli::{OutputFormat, VerifyArgs};
use crate::config::Config;
use crate::sign::keys::VerifyingKey;
use crate::verify::{self, Exception, Inputs, Policy, Role, RoleTrust, Trust, Verdict};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn load_key(path: &Path) -> Result<VerifyingKey> {
    let pem = String::from_utf8(read(path)?).context("the key is not text")?;
    VerifyingKey::from_pem(&pem).with_context(|| format!("{}", path.display()))
}

fn load_certs(path: &Path) -> Result<Vec<Vec<u8>>> {
    let text = String::from_utf8(read(path)?).context("the certificate file is not text")?;
    let certs = crate::sign::x509::pem_certificates(&text)
        .with_context(|| format!("{}", path.display()))?;
    if certs.is_empty() {
        bail!("{}: no certificate found", path.display());
    }
    Ok(certs)
}

pub fn run(args: VerifyArgs) -> Result<ExitStatus> {
    if !args.dir.is_dir() {
        bail!("{}: not a directory", args.dir.display());
    }
    let mut trust = Trust::default();
    for p in &args.public_keys {
        trust.keys.push((p.display().to_string(), load_key(p)?));
    }
    for p in &args.certificate_chains {
        let certs = load_certs(p)?;
        trust.anchors.extend(certs.iter().cloned());
        trust.intermediates.extend(certs);
    }

    if let Some(p) = &args.trust_root {
        trust.trusted_root = Some(read(p)?);
    }
    if let (Some(id), Some(iss)) = (&args.identity, &args.issuer) {
        trust.identities.push((id.clone(), iss.clone()));
    }
    let cfg = Config::load(args.policy.as_deref())?;
    let base: PathBuf = cfg
        .source
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut policy = Policy {
        today: super::today(),
        ..Policy::default()
    };
    if let Some(v) = &cfg.verify {
        for s in &v.signer {
            let trust_kind = if let Some(k) = &s.public_key {
                let key = load_key(&base.join(k))?;
                trust.keys.push((format!("role {}", s.role), key.clone()));
                RoleTrust::Key(key)
            } else if let Some(ca) = &s.certificate_ca {
                let certs = load_certs(&base.join(ca))?;
                trust.anchors.extend(certs.iter().cloned());
                RoleTrust::Ca(certs)
            } else {
                let (identity, issuer) = (
                    s.identity.clone().unwrap_or_default(),
                    s.issuer.clone().unwrap_or_default(),
                );
                trust.identities.push((identity.clone(), issuer.clone()));
                RoleTrust::Keyless { identity, issuer }
            };
            policy.roles.push(Role {
                name: s.role.clone(),
                trust: trust_kind,
            });
        }
        if let (None, Some(root)) = (&trust.trusted_root, &v.trust_root) {
            trust.trusted_root = Some(read(&base.join(root))?);
        }
        policy.threshold = v.threshold;
        policy.allow_unsigned =
            crate::config::globset(&v.allow_unsigned).map_err(anyhow::Error::msg)?;
        if let Some(f) = &v.fail_on {
            policy.fail_on = f.parse().map_err(anyhow::Error::msg)?;
        }
        policy.exceptions = v
            .exception
            .iter()
            .map(|x| Exception {
                code: x.code.clone(),
                path: x.path.clone(),
                sha256: x.sha256.clone(),
                reason: x.reason.clone(),
                expires: x.expires.clone(),
            })
            .collect();
    }
    policy
        .exceptions
        .extend(cfg.exceptions.iter().map(|x| Exception {
            code: x.code.clone(),
            path: x.path.clone(),
            sha256: x.sha256.clone(),
            reason: x.reason.clone(),
            expires: x.expires.clone(),
        }));
    if trust.keys.is_empty() && trust.anchors.is_empty() && trust.identities.is_empty() {
        bail!(
            "nothing to verify against: give --public-key, --certificate-chain or --identity with --issuer, or signer roles in the policy"
        );
    }

    let mut signatures = Vec::new();
    let mut attestations = Vec::new();
    for s in &args.signatures {
        let bytes = match std::fs::read(s) {
            Ok(b) => Some(b),
            // A missing signature refuses the release; it does not stop the tool.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", s.display())),
        };
        signatures.push((s.clone(), bytes));
        let mut att = s.clone().into_os_string();
        att.push(".bom");
        let att = PathBuf::from(att);
        attestations.push(match std::fs::read(&att) {
            Ok(b) => Some((att, b)),
            Err(_) => None,
        });
    }
    let bom = match &args.bom {
        Some(p) => Some((p.clone(), read(p)?)),
        None => None,
    };
    let inputs = Inputs {
        dir: args.dir.clone(),
        signatures,
        attestations,
        bom,
        extra_ignores: args.ignore_paths.clone(),
        allow_symlinks: args.allow_symlinks
            || cfg.verify.as_ref().is_some_and(|v| v.allow_symlinks),
    };
    let verdict = verify::verify(&inputs, &trust, &policy)
        .with_context(|| format!("reading {}", args.dir.display()))?;
    let out = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&verdict)? + "\n",
        OutputFormat::Human => human(&verdict),
    };
    super::write_stdout(out.as_bytes())?;
    Ok(if verdict.accepted {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn human(v: &Verdict) -> String {
    let mut s = String::new();
    for c in &v.checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(s, "{mark} {:<18} {}", c.check, c.subject);
        if !c.ok {
            let _ = writeln!(
                s,
                "       expected: {}\n       actual:   {}",
                c.expected, c.actual
            );
        }
    }
    for r in &v.roles {
        let _ = writeln!(
            s,
            "role {:<16} {}: {}",
            r.role,
            if r.satisfied { "signed" } else { "MISSING" },
            r.reason
        );
    }
    let _ = writeln!(
        s,
        "{}: {}{}",
        v.directory,
        if v.accepted { "ACCEPTED" } else { "REFUSED" },
        v.model_digest
            .as_ref()
            .map(|d| format!(" (model digest {d})"))
            .unwrap_or_default()
    );
    s
}
