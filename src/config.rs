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
    /// Refuse a release verified without `--bom`, so the findings gate always runs.
    #[serde(default)]
    pub require_bom: bool,
    /// Roles one signer could fill together (the same key, a CA and its sub-CA) are accepted;
    /// each role still needs its own signer. Without it such a policy is refused at load.
    #[serde(default)]
    pub allow_overlapping_roles: bool,
    /// Paths a signer may leave out of its manifest (globs; a signer's other ignores are not
    /// honoured) [default: .git, .gitattributes, .github, .gitignore].
    pub signed_ignores: Option<Vec<String>>,
    /// The signed model name (the statement's subject name) must be this.
    pub model_name: Option<String>,
    /// The AIBOM must record a model version at least this (numeric, dotted: `1.4`).
    pub min_version: Option<String>,
    /// The AIBOM must record exactly this model version (a hub commit, a release tag): the
    /// pin for versions that cannot be ordered.
    pub version: Option<String>,
    /// Every signature must carry a verified signing time no older than this (`30d`, `12h`,
    /// `90m`, `3600s`, `2w`); key and certificate signatures carry none, so they are refused.
    pub max_signature_age: Option<String>,
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
            let mut names = std::collections::BTreeSet::new();
            for s in &v.signer {
                if s.role.trim().is_empty() {
                    return Err("verify.signer: a role name is required".into());
                }
                if !names.insert(s.role.as_str()) {
                    return Err(format!(
                        "verify.signer {:?} is listed twice: each role is one party",
                        s.role
                    ));
                }
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
            path_globset(&v.allow_unsigned).map_err(|e| format!("verify.allow-unsigned: {e}"))?;
            if let Some(g) = &v.signed_ignores {
                path_globset(g).map_err(|e| format!("verify.signed-ignores: {e}"))?;
            }
            if let Some(m) = &v.min_version
                && !m.split('.').all(|p| {
                    let p = p.trim_start_matches(['v', 'V']);
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
                })
            {
                return Err(format!(
                    "verify.min-version {m:?}: give a numeric version such as \"1.4\" or \"2026.11.1\""
                ));
            }
            if let Some(a) = &v.max_signature_age {
                parse_age(a).map_err(|e| format!("verify.max-signature-age: {e}"))?;
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
        if let Some(e) = &x.expires {
            parse_date(e).map_err(|why| format!("{table} {}: expires {why}", x.code))?;
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

pub use crate::date::parse_date;

/// A duration written `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w`, in seconds.
pub fn parse_age(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a duration such as 30d, 12h, 90m, 3600s or 2w");
    let t = s.trim();
    let split = t.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(per).filter(|v| *v > 0).ok_or_else(bad)
}

/// Compiles globs over `/`-separated relative paths where `*` and `?` stay within one
/// component and `**` crosses them (`logs/*` matches `logs/a.txt`, not `logs/sub/a.txt`).
pub fn path_globset(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("glob {g:?}: {e}"))?;
        b.add(glob);
    }
    b.build().map(Some).map_err(|e| e.to_string())
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
    fn parses_a_verify_policy_that_uses_every_key() {
        let c = Config::parse(
            r#"
[verify]
threshold = 1
trust-root = "trusted_root.json"
allow-unsigned = ["logs/**"]
allow-symlinks = true
fail-on = "critical"
require-bom = true
allow-overlapping-roles = true
signed-ignores = [".git", "cache/**"]
model-name = "org/model"
min-version = "1.4"
max-signature-age = "30d"

[[verify.signer]]
role = "ml-platform"
public-key = "keys/mlp.pub"

[[verify.signer]]
role = "security"
certificate-ca = "keys/ca.pem"

[[verify.signer]]
role = "risk"
identity = "risk@example.com"
issuer = "https://accounts.google.com"

[[verify.exception]]
code = "pickle-unknown-global"
path = "legacy/model.bin"
sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
reason = "vendor model, ticket SEC-123"
owner = "security"
expires = "2027-06-30"
"#,
        )
        .unwrap();
        let v = c.verify.unwrap();
        assert!(v.require_bom && v.allow_overlapping_roles && v.allow_symlinks);
        assert_eq!(v.signer.len(), 3);
        assert_eq!(v.min_version.as_deref(), Some("1.4"));
        assert_eq!(
            parse_age(v.max_signature_age.as_deref().unwrap()),
            Ok(30 * 86_400)
        );
    }

    #[test]
    fn rejects_impossible_expiry_dates() {
        for bad in [
            "9999-99-99",
            "2026-99-99",
            "2026-02-30",
            "2027-02-29",
            "2026-1-01",
        ] {
            let text = format!(
                "[[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"w.pkl\"\nreason = \"r\"\nexpires = \"{bad}\"\n"
            );
            assert!(Config::parse(&text).is_err(), "{bad}");
            assert!(
                Config::parse(&format!("[verify]\n[[verify.{}", &text[2..])).is_err(),
                "{bad}"
            );
        }
        assert!(parse_date("2028-02-29").is_ok());
    }

    #[test]
    fn rejects_duplicate_roles_and_bad_pins() {
        let two = "[verify]\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"k.pub\"\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"k2.pub\"\n";
        assert!(Config::parse(two).unwrap_err().contains("twice"));
        assert!(Config::parse("[verify]\nmin-version = \"abc\"\n").is_err());
        assert!(Config::parse("[verify]\nmax-signature-age = \"soon\"\n").is_err());
        assert!(Config::parse("[verify]\nmax-signature-age = \"0d\"\n").is_err());
    }

    #[test]
    fn path_globs_keep_star_within_one_component() {
        let g = path_globset(&["logs/*".into(), "*.txt".into(), "cache/**".into()])
            .unwrap()
            .unwrap();
        assert!(g.is_match("logs/run.log"));
        assert!(!g.is_match("logs/sub/modeling_evil.py"));
        assert!(g.is_match("notes.txt"));
        assert!(!g.is_match("sub/evil.txt"));
        assert!(g.is_match("cache/a/b/c"));
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
