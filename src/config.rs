//! `aibom.toml` -> validated settings. Unknown keys are an error.
//!
//! ```toml
//! [scan]
//! fail-on = "high"          # info | low | medium | high | critical
//! strict = false            # globals off the allowlist fail the scan
//! skip = ["docs/**"]        # relative paths (globs) not to scan
//! include-git = false
//!
//! [pickle]
//! allow-globals = ["mylib.layers.Dense"]
//!
//! [model]                   # facts only the owners can state (generate)
//! owners = ["ML platform <mlp@example.com>"]
//! intended-use = ["internal support chat"]
//!
//! [[dataset]]
//! name = "org/support-tickets"
//! role = "fine-tuning"
//! provenance = "exported from the ticket system, 2026-05"
//! classification = "confidential"
//! sensitive-data = ["customer names"]
//! ```

use crate::finding::Severity;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file looked for in the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "aibom.toml";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    pickle: RawPickle,
    model: Option<DeclaredModel>,
    #[serde(default)]
    dataset: Vec<DeclaredDataset>,
    verify: Option<VerifyPolicy>,
    #[serde(default)]
    exception: Vec<ExceptionSpec>,
}

/// The release gate (`[verify]`): who must sign, which findings refuse a release, and the
/// accountable exceptions.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VerifyPolicy {
    /// Roles that must sign (`[[verify.signer]]`).
    #[serde(default)]
    pub signer: Vec<SignerSpec>,
    /// At least this many roles must be satisfied [default: all of them].
    pub threshold: Option<usize>,
    /// Sigstore trusted root for keyless roles (relative to this file).
    pub trust_root: Option<std::path::PathBuf>,
    /// Files that may be present without being signed (globs, relative to the directory).
    #[serde(default)]
    pub allow_unsigned: Vec<String>,
    /// Accept symbolic links that resolve to files inside the directory.
    #[serde(default)]
    pub allow_symlinks: bool,
    /// Findings recorded in the AIBOM at or above this severity refuse the release
    /// [default: high].
    pub fail_on: Option<String>,
    /// Findings accepted on purpose (`[[verify.exception]]`).
    #[serde(default)]
    pub exception: Vec<ExceptionSpec>,
}

/// One required signing role and how to recognise it: a public key, a CA, or a keyless
/// identity with its OIDC issuer.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignerSpec {
    pub role: String,
    pub public_key: Option<std::path::PathBuf>,
    pub certificate_ca: Option<std::path::PathBuf>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
}

/// An accepted finding: its code and path, optionally pinned to the file's SHA-256 (changed
/// bytes bring the finding back), with a reason and an expiry date (YYYY-MM-DD).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExceptionSpec {
    pub code: String,
    pub path: String,
    pub sha256: Option<String>,
    pub reason: String,
    /// Who accepted the risk (a person or team), for the audit trail.
    pub owner: Option<String>,
    pub expires: Option<String>,
}

/// Facts about the model that only its owners can state (`[model]`); recorded in the AIBOM
/// as declared by the owner.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeclaredModel {
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub intended_use: Vec<String>,
    #[serde(default)]
    pub limitations: Vec<String>,
}

/// A dataset's provenance and governance as its owners state them (`[[dataset]]`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeclaredDataset {
    pub name: String,
    pub url: Option<String>,
    pub description: Option<String>,
    /// training, fine-tuning, evaluation, ...
    pub role: Option<String>,
    pub provenance: Option<String>,
    pub license: Option<String>,
    pub classification: Option<String>,
    #[serde(default)]
    pub sensitive_data: Vec<String>,
    #[serde(default)]
    pub owners: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawScan {
    fail_on: Option<String>,
    strict: Option<bool>,
    #[serde(default)]
    skip: Vec<String>,
    include_git: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPickle {
    #[serde(default)]
    allow_globals: Vec<String>,
}

/// Validated configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it came from, if a file was read.
    pub source: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    pub strict: Option<bool>,
    pub skip: Vec<String>,
    pub include_git: Option<bool>,
    pub allow_globals: Vec<String>,
    pub model: Option<DeclaredModel>,
    pub datasets: Vec<DeclaredDataset>,
    pub verify: Option<VerifyPolicy>,
    /// Accepted findings (`[[exception]]`), applied by scan, generate and verify.
    pub exceptions: Vec<ExceptionSpec>,
}

impl Config {
    /// Loads `explicit`, or `aibom.toml` in the current directory if present, or defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_FILE);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            path: shown.clone(),
            source: e,
        })?;
        let mut c = Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: shown,
            message,
        })?;
        c.source = Some(path);
        Ok(c)
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let fail_on = raw
            .scan
            .fail_on
            .map(|s| s.parse::<Severity>())
            .transpose()
            .map_err(|e| format!("scan.fail-on: {e}"))?;
        for g in &raw.scan.skip {
            Glob::new(g).map_err(|e| format!("scan.skip: {e}"))?;
        }
        for d in &raw.dataset {
            if d.name.trim().is_empty() {
                return Err("dataset.name must not be empty".into());
            }
            if let Some(u) = &d.url
                && !(u.starts_with("https://") || u.starts_with("http://"))
            {
                return Err(format!("dataset {:?}: url must be http(s): {u:?}", d.name));
            }
        }
        if let Some(v) = &raw.verify {
            for s in &v.signer {
                let kinds = [
                    s.public_key.is_some(),
                    s.certificate_ca.is_some(),
                    s.identity.is_some() || s.issuer.is_some(),
                ]
                .iter()
                .filter(|k| **k)
                .count();
                if kinds != 1 {
                    return Err(format!(
                        "verify.signer {:?}: give exactly one of public-key, certificate-ca, or identity + issuer",
                        s.role
                    ));
                }
                if s.identity.is_some() != s.issuer.is_some() {
                    return Err(format!(
                        "verify.signer {:?}: identity and issuer go together",
                        s.role
                    ));
                }
            }
            if let Some(t) = v.threshold
                && (t == 0 || t > v.signer.len())
            {
                return Err(format!(
                    "verify.threshold {t} must be between 1 and the number of signers ({})",
                    v.signer.len()
                ));
            }
            if let Some(f) = &v.fail_on {
                f.parse::<Severity>()
                    .map_err(|e| format!("verify.fail-on: {e}"))?;
            }
            for g in &v.allow_unsigned {
                Glob::new(g).map_err(|e| format!("verify.allow-unsigned: {e}"))?;
            }
            check_exceptions(&v.exception, "verify.exception")?;
        }
        check_exceptions(&raw.exception, "exception")?;
        Ok(Config {
            source: None,
            fail_on,
            strict: raw.scan.strict,
            skip: raw.scan.skip,
            include_git: raw.scan.include_git,
            allow_globals: raw.pickle.allow_globals,
            model: raw.model,
            datasets: raw.dataset,
            verify: raw.verify,
            exceptions: raw.exception,
        })
    }
}

fn check_exceptions(list: &[ExceptionSpec], table: &str) -> Result<(), String> {
    for x in list {
        x.code
            .parse::<crate::finding::Code>()
            .map_err(|e| format!("{table}: {e}"))?;
        if x.reason.trim().is_empty() {
            return Err(format!("{table} {}: a reason is required", x.code));
        }
        if x.path.trim().is_empty() {
            return Err(format!("{table} {}: a path is required", x.code));
        }
        if let Some(e) = &x.expires
            && !is_date(e)
        {
            return Err(format!(
                "{table} {}: expires {e:?} is not YYYY-MM-DD",
                x.code
            ));
        }
        if let Some(h) = &x.sha256
            && h.parse::<crate::digest::Sha256>().is_err()
        {
            return Err(format!(
                "{table} {}: sha256 {h:?} is not 64 hex digits",
                x.code
            ));
        }
    }
    Ok(())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Compiles skip globs (already validated or given on the command line).
pub fn globset(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("skip glob {g:?}: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_file_that_uses_every_key() {
        let c = Config::parse(
            r#"
[scan]
fail-on = "critical"
strict = true
skip = ["docs/**", "*.md"]
include-git = true

[pickle]
allow-globals = ["mylib.layers.Dense"]

[model]
name = "org/model"
version = "1.2.0"
description = "d"
owners = ["ML platform"]
users = ["support agents"]
intended-use = ["support chat"]
limitations = ["English only"]

[[dataset]]
name = "org/tickets"
url = "https://example.com/tickets"
description = "tickets"
role = "fine-tuning"
provenance = "export 2026-05"
license = "proprietary"
classification = "confidential"
sensitive-data = ["customer names"]
owners = ["support ops"]
"#,
        )
        .unwrap();
        let m = c.model.unwrap();
        assert_eq!(m.owners, vec!["ML platform"]);
        assert_eq!(c.datasets[0].sensitive_data, vec!["customer names"]);
        assert_eq!(c.fail_on, Some(Severity::Critical));
        assert_eq!(c.strict, Some(true));
        assert_eq!(c.skip.len(), 2);
        assert_eq!(c.include_git, Some(true));
        assert_eq!(c.allow_globals, vec!["mylib.layers.Dense"]);
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(Config::parse("[scan]\nfail_on = \"high\"\n").is_err());
        assert!(Config::parse("[scan]\nfail-on = \"severe\"\n").is_err());
        assert!(Config::parse("[other]\n").is_err());
        assert!(Config::parse("[scan]\nskip = [\"[\"]\n").is_err());
        assert!(Config::parse("[model]\nowner = \"x\"\n").is_err());
        assert!(Config::parse("[[dataset]]\nname = \"d\"\nurl = \"file:///x\"\n").is_err());
    }
}
