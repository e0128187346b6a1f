//! `aibom verify DIR --signature S... [--public-key K] [--certificate-chain CA] [--bom B]
//! [--policy P] [--rescan]`: trust (flags, then the policy's roles) + inputs ->
//! [`crate::verify::verify`] -> verdict -> exit status.
//!
//! Trust is never configured implicitly: no `./aibom.toml` is read, and no policy, key,
//! certificate or trusted root is read from inside the directory being verified. Everything
//! read beside the model is a regular file, opened non-blocking, under a size cap.

use super::trust::TrustFiles;
use crate::ExitStatus;
use crate::cli::{OutputFormat, VerifyArgs};
use crate::config::Config;
use crate::limits::{Limits, VerifyLimits};
use crate::report::escape::terminal;
use crate::verify::input::read_regular;
use crate::verify::{self, Attestation, Inputs, Policy, Rescan, Role, SignatureFile, Verdict};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub fn run(args: VerifyArgs) -> Result<ExitStatus> {
    let verdict = execute(&args)?;
    match args.format {
        OutputFormat::Json => super::write_stdout(json(&verdict)?.as_bytes())?,
        OutputFormat::Human => {
            super::write_human_stdout(human(&verdict, args.policy.as_deref()).as_bytes())?
        }
    }
    Ok(status(&verdict))
}

/// The exit status of a verdict: the only place it is decided.
pub fn status(verdict: &Verdict) -> ExitStatus {
    if verdict.accepted {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}

/// The verdict as `--format json` prints it.
pub fn json(verdict: &Verdict) -> Result<String> {
    Ok(serde_json::to_string_pretty(verdict)? + "\n")
}

/// Every check a command line asks for, with its side effects (staging, the ledger entry),
/// before the verdict is printed: what `run` prints and what the Python API returns.
pub fn execute(args: &VerifyArgs) -> Result<Verdict> {
    if !args.dir.is_dir() {
        return Err(super::NotADirectory(args.dir.clone()).into());
    }
    let limits = VerifyLimits::default();
    let files = TrustFiles::new(Some(&args.dir))?;
    let mut trust = super::trust::from_flags(&args.trust, &files)?;

    // A damaged ledger is reported before any work is done (and checked again under its lock).
    if let Some(l) = &args.ledger {
        crate::ledger::precheck(l)?;
    }
    let mut policy_bytes: Option<(PathBuf, Vec<u8>)> = None;
    // The policy only when named, and never from inside the directory.
    let cfg = match &args.policy {
        Some(p) => {
            let text = String::from_utf8(files.read(p, "policy")?)
                .with_context(|| format!("{} is not text", p.display()))?;
            policy_bytes = Some((p.clone(), text.clone().into_bytes()));
            let mut c =
                Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            c.source = Some(p.clone());
            c
        }
        None => Config::default(),
    };
    let base: PathBuf = cfg
        .source
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut policy = Policy::at(crate::date::now());
    if let Some(v) = &cfg.verify {
        for s in &v.signers {
            let trust_kind = super::trust::role(s, &base, &files, &mut trust)?;
            policy.roles.push(Role {
                name: s.role.clone(),
                trust: trust_kind,
            });
        }
        let overlaps = verify::roles::overlaps(&policy.roles);
        if let Some((a, b, why)) = overlaps.first()
            && !v.allow_overlapping_roles
        {
            bail!(
                "{}: roles {a:?} and {b:?} could be filled by one signer ({why}); give each role its own key, CA or identity, or set allow-overlapping-roles = true (each role then still needs its own signer)",
                args.policy
                    .as_deref()
                    .unwrap_or(Path::new("policy"))
                    .display()
            );
        }
        if let (None, Some(root)) = (&trust.trusted_root, &v.trust_root) {
            trust.trusted_root = Some(files.read(&base.join(root), "Sigstore trusted root")?);
        }
        policy.threshold = v.threshold;
        policy.allow_unsigned = v.allow_unsigned.clone();
        policy.signed_ignores = v.signed_ignores.clone();
        if let Some(f) = v.fail_on {
            policy.fail_on = f;
        }
        policy.require_bom = v.require_bom;
        policy.model_name = v.model_name.clone();
        policy.min_version = v.min_version.clone();
        policy.version = v.version.clone();
        policy.max_signature_age = v.max_signature_age;
        policy.gates = v.gates.clone();
        policy.exceptions.extend(v.exceptions.iter().cloned());
    }
    policy.exceptions.extend(cfg.exceptions.iter().cloned());
    let revocations = match &cfg.verify {
        Some(v) => super::revoke::from_policy(v, &base, &files)?,
        None => None,
    };
    if trust.keys.is_empty() && trust.anchors.is_empty() && trust.identities.is_empty() {
        bail!(
            "nothing to verify against: give --public-key, --certificate-chain or --identity with --issuer, or signer roles in a --policy"
        );
    }

    let mut signatures = Vec::new();
    for s in &args.signature.signatures {
        // A missing or unreadable signature is reported, and counted against its role; it
        // does not stop the tool.
        let bytes = read_regular(s, limits.max_signature).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "the signature file is missing".to_owned(),
            _ => format!("the signature file cannot be used: {e}"),
        });
        signatures.push(SignatureFile {
            path: s.clone(),
            bytes,
            attestation: beside(s, ".bom", limits.max_attestation),
            release: beside(s, ".release", limits.max_attestation),
        });
    }
    let bom = match &args.bom {
        Some(p) => Some((
            p.clone(),
            read_regular(p, limits.max_bom).with_context(|| format!("reading {}", p.display()))?,
        )),
        None => None,
    };
    let rescan = if args.rescan {
        Some(Rescan {
            limits: Limits::default(),
            policy: crate::policy::Policy::new(&cfg.allow_globals, cfg.strict.unwrap_or(false))
                .map_err(anyhow::Error::msg)?,
        })
    } else {
        None
    };
    let previous = match &args.previous {
        Some(p) => Some((
            p.clone(),
            read_regular(p, limits.max_bom).with_context(|| format!("reading {}", p.display()))?,
        )),
        None => None,
    };
    // Created last, just before the files are read: removed again on any early return.
    let verified: Vec<&Path> = std::iter::once(args.dir.as_path())
        .chain(args.release_root.as_deref())
        .collect();
    let stage = args
        .stage
        .as_deref()
        .map(|dest| verify::Stage::create(dest, &verified))
        .transpose()
        .context("--stage")?;
    let inputs = Inputs {
        dir: args.dir.clone(),
        signatures,
        bom,
        extra_ignores: args.ignore_paths.clone(),
        allow_symlinks: args.allow_symlinks
            || cfg.verify.as_ref().is_some_and(|v| v.allow_symlinks),
        rescan,
        limits,
        release_root: args.release_root.clone(),
        previous,
        changes: Some(crate::diff::release_changes),
        stage: stage.as_ref().map(|s| s.root().to_path_buf()),
        release_configured: cfg.release.is_some(),
    };
    let mut verdict = verify::verify(&inputs, &trust, &policy)
        .with_context(|| format!("reading {}", args.dir.display()))?;
    let mut revocation_files = Vec::new();
    if let Some((r, revokers)) = &revocations {
        let bom_sha256 = inputs
            .bom
            .as_ref()
            .map(|(_, b)| crate::digest::Sha256::of(b));
        verify::revocation::apply(&mut verdict, r, revokers, bom_sha256);
        for f in r.files.iter().flatten() {
            if let Ok(b) = &f.bytes {
                revocation_files.push((f.path.clone(), b.clone()));
            }
        }
    }
    // After every check (revocation included): a refused release is never moved into place.
    if let Some(stage) = stage {
        verify::finish_stage(stage, &mut verdict);
    }
    if let Some(l) = &args.ledger {
        let entry = super::ledger::entry(
            &verdict,
            &inputs,
            policy_bytes
                .as_ref()
                .map(|(p, b)| (p.as_path(), b.as_slice())),
            &revocation_files,
            policy.now(),
            status(&verdict),
        );
        if let Err(e) = super::ledger::record(l, &entry) {
            // The decision could not be logged: what was just moved into place (this run
            // created it) is taken back, so nothing unlogged is deployed.
            if verdict.accepted
                && let Some(dest) = &args.stage
            {
                let _ = std::fs::remove_dir_all(dest);
            }
            return Err(e);
        }
    }
    Ok(verdict)
}

/// The attestation `<signature><ext>` (`.bom`, `.release`): absent, unusable (reported), or
/// its bytes.
fn beside(sig: &Path, ext: &str, cap: u64) -> Attestation {
    let mut att = sig.to_path_buf().into_os_string();
    att.push(ext);
    let att = PathBuf::from(att);
    match read_regular(&att, cap) {
        Ok(b) => Attestation::Present(att, b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Attestation::Absent,
        Err(e) => {
            let why = format!("the attestation cannot be used: {e}");
            Attestation::Unreadable(att, why)
        }
    }
}

/// The readable verdict. Every field that can carry a file name or other text from the
/// release is escaped ([`terminal`]).
fn human(v: &Verdict, policy: Option<&Path>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "policy: {}",
        policy.map_or("none (trust from the command line only)".into(), |p| {
            terminal(&p.display().to_string()).into_owned()
        })
    );
    for c in &v.checks {
        let mark = match (c.ok, c.blocking) {
            (true, _) => "ok  ",
            (false, true) => "FAIL",
            (false, false) => "warn",
        };
        let _ = writeln!(
            s,
            "{mark} {:<18} {}",
            c.check.as_str(),
            terminal(&c.subject)
        );
        if !c.ok {
            let _ = writeln!(
                s,
                "       expected: {}\n       actual:   {}",
                terminal(&c.expected),
                terminal(&c.actual)
            );
        }
    }
    if let Some(t) = &v.release_tier {
        let _ = writeln!(s, "release tier (signed): {}", terminal(t));
    }
    for r in &v.roles {
        let _ = writeln!(
            s,
            "role {:<16} {}: {}",
            terminal(&r.role),
            if r.satisfied { "signed" } else { "MISSING" },
            terminal(&r.reason)
        );
    }
    let _ = writeln!(
        s,
        "{}: {}{}",
        terminal(&v.directory),
        if v.accepted { "ACCEPTED" } else { "REFUSED" },
        v.model_digest
            .as_ref()
            .map(|d| format!(" (model digest {d})"))
            .unwrap_or_default()
    );
    s
}
