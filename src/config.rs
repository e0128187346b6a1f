//! `aibom.toml` -> typed settings, parsed and checked once at load (errors name the key). Unknown
//! keys are an error.
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

mod exception;
mod gates;
mod release;

pub use exception::{Exception, Subject};
pub use gates::{CHANGES, Gates, MetricGate, Regression, TierRule};
pub use release::{ArtifactRole, Release, RiskTier};

use crate::digest::Sha256;
use crate::finding::{Code, Severity};
use crate::policy::AllowedGlobal;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file looked for in the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "aibom.toml";

/// Why a config file could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The I/O error is in the message, not a `source` (an error chain would show it twice).
    #[error("reading {path}: {error}")]
    Read { path: String, error: std::io::Error },
    /// Displayed as `<path>: <what is wrong>` (the cause is in the message, not a source, so an
    /// error chain shows it once).
    #[error("{path}: {error}")]
    Invalid { path: String, error: ConfigError },
}

/// What is wrong with the text of a config file; each message names the key.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// Not TOML, or a key or table that does not exist (`deny_unknown_fields`).
    #[error("{0}")]
    Toml(toml::de::Error),
    #[error("scan.fail-on: {0}")]
    ScanFailOn(String),
    #[error("scan.skip: {0}")]
    ScanSkip(globset::Error),
    #[error("pickle.allow-globals: {0}")]
    AllowGlobals(String),
    #[error("dataset.name must not be empty")]
    DatasetName,
    #[error("dataset {name:?}: url must be http(s): {url:?}")]
    DatasetUrl { name: String, url: String },
    #[error("verify.signer: a role name is required")]
    SignerRole,
    #[error("verify.signer {0:?} is listed twice: each role is one party")]
    SignerTwice(String),
    #[error("verify.signer {0:?}: identity and issuer go together")]
    SignerIdentityAndIssuer(String),
    #[error(
        "verify.signer {0:?}: give exactly one of public-key, certificate-ca, or identity + issuer"
    )]
    SignerTrust(String),
    #[error("verify.threshold {threshold} must be between 1 and the number of signers ({signers})")]
    Threshold { threshold: usize, signers: usize },
    #[error("verify.fail-on: {0}")]
    VerifyFailOn(String),
    #[error("verify.allow-unsigned: {0}")]
    AllowUnsigned(GlobError),
    #[error("verify.signed-ignores: {0}")]
    SignedIgnores(GlobError),
    #[error("verify.min-version {0:?}: give a numeric version such as \"1.4\" or \"2026.11.1\"")]
    MinVersion(String),
    #[error("verify.max-signature-age: {0}")]
    MaxSignatureAge(BadDuration),
    /// `table` is `exception` or `verify.exception`.
    #[error("{table}: {why}")]
    ExceptionCode { table: &'static str, why: String },
    #[error("{table} {code}: a reason is required")]
    ExceptionReason { table: &'static str, code: String },
    #[error("{table} {code}: a path is required")]
    ExceptionPath { table: &'static str, code: String },
    #[error("{table} {code}: expires {why}")]
    ExceptionExpires {
        table: &'static str,
        code: String,
        why: String,
    },
    #[error("{table} {code}: sha256 {sha256:?} is not 64 hex digits")]
    ExceptionSha256 {
        table: &'static str,
        code: String,
        sha256: String,
    },
    #[error("release.tier {0:?}: give one of low, medium, high, critical")]
    ReleaseTier(String),
    #[error("release.dataset.name must not be empty")]
    ReleaseDatasetName,
    #[error("release.dataset {name:?}: declared {declared:?} names no [[dataset]]")]
    ReleaseDeclared { name: String, declared: String },
    #[error("{key} {path:?} {why}")]
    ReleasePath {
        key: &'static str,
        path: String,
        why: &'static str,
    },
    #[error("{key} {name:?} is listed twice")]
    ReleaseTwice { key: &'static str, name: String },
    #[error("release: {path:?} overlaps {other:?}: each file belongs to one artifact")]
    ReleaseOverlap { path: String, other: String },
    #[error("{key}: {path}: no such file or directory")]
    ReleaseMissing { key: &'static str, path: String },
    /// `[verify.tier.*]`, `[[verify.metric]]`, `[[verify.on-change]]`: the message names the key.
    #[error("{0}")]
    Gate(String),
}

/// A list of path globs that does not compile.
#[derive(Debug, Error)]
pub enum GlobError {
    #[error("glob {glob:?}: {error}")]
    Glob { glob: String, error: globset::Error },
    #[error("{0}")]
    Set(globset::Error),
}

/// A duration that is not `<n>` followed by one of `s`, `m`, `h`, `d`, `w`, or is zero.
#[derive(Debug, Error)]
#[error("{0:?} is not a duration such as 30d, 12h, 90m, 3600s or 2w")]
pub struct BadDuration(String);

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
    verify: Option<RawVerify>,
    #[serde(default)]
    exception: Vec<RawException>,
    release: Option<release::RawRelease>,
}

/// `[verify]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVerify {
    #[serde(default)]
    signer: Vec<RawSigner>,
    threshold: Option<usize>,
    trust_root: Option<PathBuf>,
    #[serde(default)]
    allow_unsigned: Vec<String>,
    #[serde(default)]
    allow_symlinks: bool,
    fail_on: Option<String>,
    #[serde(default)]
    exception: Vec<RawException>,
    #[serde(default)]
    require_bom: bool,
    #[serde(default)]
    allow_overlapping_roles: bool,
    signed_ignores: Option<Vec<String>>,
    model_name: Option<String>,
    min_version: Option<String>,
    version: Option<String>,
    max_signature_age: Option<String>,
    revocations: Option<PathBuf>,
    #[serde(default)]
    revoker: Vec<RawSigner>,
    #[serde(default)]
    tier: std::collections::BTreeMap<String, gates::RawTier>,
    #[serde(default)]
    metric: Vec<gates::RawMetric>,
    #[serde(default)]
    on_change: Vec<gates::RawOnChange>,
}

/// `[[verify.signer]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSigner {
    role: String,
    public_key: Option<PathBuf>,
    certificate_ca: Option<PathBuf>,
    identity: Option<String>,
    issuer: Option<String>,
}

/// `[[exception]]` and `[[verify.exception]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawException {
    code: String,
    path: String,
    sha256: Option<String>,
    reason: String,
    owner: Option<String>,
    expires: Option<String>,
}

/// The release gate (`[verify]`): who must sign, which findings refuse a release, and the
/// accountable exceptions.
#[derive(Debug, Default, Clone)]
pub struct VerifyPolicy {
    /// Roles that must sign (`[[verify.signer]]`), each role named once.
    pub signers: Vec<Signer>,
    /// At least this many roles must be satisfied (between 1 and the number of roles)
    /// [default: all of them].
    pub threshold: Option<usize>,
    /// Sigstore trusted root for keyless roles (relative to this file).
    pub trust_root: Option<PathBuf>,
    /// Files that may be present without being signed (`/`-separated globs, relative to the
    /// directory); `None` when none are listed.
    pub allow_unsigned: Option<GlobSet>,
    /// Accept symbolic links that resolve to files inside the directory.
    pub allow_symlinks: bool,
    /// Findings recorded in the AIBOM at or above this severity refuse the release
    /// [default: high].
    pub fail_on: Option<Severity>,
    /// Findings accepted on purpose (`[[verify.exception]]`).
    pub exceptions: Vec<Exception>,
    /// Refuse a release verified without `--bom`, so the findings gate always runs.
    pub require_bom: bool,
    /// Roles one signer could fill together (the same key, a CA and its sub-CA) are accepted;
    /// each role still needs its own signer. Without it such a policy is refused at load.
    pub allow_overlapping_roles: bool,
    /// Paths a signer may leave out of its manifest (globs; a signer's other ignores are not
    /// honoured). `None`: the key is absent [default: .git, .gitattributes, .github,
    /// .gitignore]; an empty set: no ignore is honoured.
    pub signed_ignores: Option<GlobSet>,
    /// The signed model name (the statement's subject name) must be this.
    pub model_name: Option<String>,
    /// The AIBOM must record a model version at least this.
    pub min_version: Option<NumericVersion>,
    /// The AIBOM must record exactly this model version (a hub commit, a release tag): the
    /// pin for versions that cannot be ordered.
    pub version: Option<String>,
    /// Every signature must carry a verified signing time no older than this many seconds;
    /// key and certificate signatures carry none, so they are refused.
    pub max_signature_age: Option<u64>,
    /// A directory of signed revocations (relative to this file) checked on every verify.
    pub revocations: Option<PathBuf>,
    /// Parties whose revocations count (`[[verify.revoker]]`, trust as for signers).
    pub revokers: Vec<Signer>,
    /// Roles per signed tier, evaluation gates, roles per change (`[verify.tier.*]`,
    /// `[[verify.metric]]`, `[[verify.on-change]]`).
    pub gates: Gates,
}

/// One required signing role (`[[verify.signer]]`) and how to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub role: String,
    pub trust: SignerTrust,
}

/// How a signing role is recognised: exactly one kind of trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerTrust {
    /// `public-key`: a PEM public key file (relative to the policy file).
    PublicKey(PathBuf),
    /// `certificate-ca`: a PEM file of CA certificates (relative to the policy file).
    CertificateCa(PathBuf),
    /// `identity` + `issuer`: a keyless (Sigstore) certificate identity and its OIDC issuer.
    Keyless { identity: String, issuer: String },
}

/// A version that can be ordered: dotted decimal numbers after an optional `v` (`1.4`,
/// `v2.0.1`, `2026.11.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericVersion {
    text: String,
    parts: Vec<u64>,
}

impl NumericVersion {
    /// The version as written (only the tests read it back).
    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `self` is `min` or later, missing parts counting as 0 (`1.2` = `1.2.0`).
    pub fn at_least(&self, min: &NumericVersion) -> bool {
        let n = self.parts.len().max(min.parts.len());
        let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        (0..n)
            .map(|i| (get(&self.parts, i), get(&min.parts, i)))
            .find(|(h, m)| h != m)
            .is_none_or(|(h, m)| h > m)
    }
}

impl std::str::FromStr for NumericVersion {
    type Err = ();
    /// `None` when any part is not a number (a git revision, `1.0-rc1`): such a version
    /// cannot be ordered.
    fn from_str(s: &str) -> Result<Self, ()> {
        let v = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let parts = v
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(());
                }
                p.parse::<u64>().map_err(|_| ())
            })
            .collect::<Result<Vec<u64>, ()>>()?;
        Ok(NumericVersion {
            text: s.to_owned(),
            parts,
        })
    }
}

impl std::fmt::Display for NumericVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
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

/// Validated configuration: every value parsed once, here.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it came from, if a file was read.
    pub source: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    pub strict: Option<bool>,
    /// Relative paths not to scan (compiled globs).
    pub skip: Vec<Glob>,
    pub include_git: Option<bool>,
    pub allow_globals: Vec<AllowedGlobal>,
    pub model: Option<DeclaredModel>,
    pub datasets: Vec<DeclaredDataset>,
    pub verify: Option<VerifyPolicy>,
    /// Accepted findings (`[[exception]]`), applied by scan, generate and verify.
    pub exceptions: Vec<Exception>,
    /// The artifacts shipped with the model (`[release]`), recorded by generate.
    pub release: Option<Release>,
}

impl Config {
    /// Loads `explicit`, or `aibom.toml` in the current directory if present, or defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, LoadError> {
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
        let text = std::fs::read_to_string(&path).map_err(|e| LoadError::Read {
            path: shown.clone(),
            error: e,
        })?;
        let mut c = Config::parse(&text).map_err(|error| LoadError::Invalid {
            path: shown.clone(),
            error,
        })?;
        if let Some(r) = &mut c.release {
            let root = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            r.check_paths(&root)
                .map_err(|error| LoadError::Invalid { path: shown, error })?;
        }
        c.source = Some(path);
        Ok(c)
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(ConfigError::Toml)?;
        let fail_on = raw
            .scan
            .fail_on
            .map(|s| s.parse::<Severity>())
            .transpose()
            .map_err(ConfigError::ScanFailOn)?;
        let skip = raw
            .scan
            .skip
            .iter()
            .map(|g| Glob::new(g).map_err(ConfigError::ScanSkip))
            .collect::<Result<Vec<_>, _>>()?;
        let allow_globals = raw
            .pickle
            .allow_globals
            .iter()
            .map(|g| g.parse().map_err(ConfigError::AllowGlobals))
            .collect::<Result<Vec<AllowedGlobal>, _>>()?;
        for d in &raw.dataset {
            if d.name.trim().is_empty() {
                return Err(ConfigError::DatasetName);
            }
            if let Some(u) = &d.url
                && !(u.starts_with("https://") || u.starts_with("http://"))
            {
                return Err(ConfigError::DatasetUrl {
                    name: d.name.clone(),
                    url: u.clone(),
                });
            }
        }
        let verify = raw.verify.map(verify_policy).transpose()?;
        let exceptions = exceptions(raw.exception, "exception")?;
        let declared: Vec<String> = raw.dataset.iter().map(|d| d.name.clone()).collect();
        let release = raw
            .release
            .map(|r| release::parse(r, &declared))
            .transpose()?;
        Ok(Config {
            source: None,
            fail_on,
            strict: raw.scan.strict,
            skip,
            include_git: raw.scan.include_git,
            allow_globals,
            model: raw.model,
            datasets: raw.dataset,
            verify,
            exceptions,
            release,
        })
    }
}

fn signer(
    s: RawSigner,
    names: &mut std::collections::BTreeSet<String>,
) -> Result<Signer, ConfigError> {
    if s.role.trim().is_empty() {
        return Err(ConfigError::SignerRole);
    }
    if !names.insert(s.role.clone()) {
        return Err(ConfigError::SignerTwice(s.role));
    }
    let trust = match (s.public_key, s.certificate_ca, s.identity, s.issuer) {
        (Some(k), None, None, None) => SignerTrust::PublicKey(k),
        (None, Some(ca), None, None) => SignerTrust::CertificateCa(ca),
        (None, None, Some(identity), Some(issuer)) => SignerTrust::Keyless { identity, issuer },
        (None, None, Some(_), None) | (None, None, None, Some(_)) => {
            return Err(ConfigError::SignerIdentityAndIssuer(s.role));
        }
        _ => {
            return Err(ConfigError::SignerTrust(s.role));
        }
    };
    Ok(Signer {
        role: s.role,
        trust,
    })
}

fn verify_policy(v: RawVerify) -> Result<VerifyPolicy, ConfigError> {
    let mut names = std::collections::BTreeSet::new();
    let signers = v
        .signer
        .into_iter()
        .map(|s| signer(s, &mut names))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(t) = v.threshold
        && (t == 0 || t > signers.len())
    {
        return Err(ConfigError::Threshold {
            threshold: t,
            signers: signers.len(),
        });
    }
    let fail_on = v
        .fail_on
        .map(|f| f.parse::<Severity>())
        .transpose()
        .map_err(ConfigError::VerifyFailOn)?;
    let allow_unsigned = path_globset(&v.allow_unsigned).map_err(ConfigError::AllowUnsigned)?;
    let signed_ignores = v
        .signed_ignores
        .map(|g| path_globset(&g).map(Option::unwrap_or_default))
        .transpose()
        .map_err(ConfigError::SignedIgnores)?;
    let min_version = v
        .min_version
        .map(|m| {
            m.parse::<NumericVersion>()
                .map_err(|()| ConfigError::MinVersion(m.clone()))
        })
        .transpose()?;
    let max_signature_age = v
        .max_signature_age
        .map(|a| parse_age(&a))
        .transpose()
        .map_err(ConfigError::MaxSignatureAge)?;
    let exceptions = exceptions(v.exception, "verify.exception")?;
    let mut revoker_names = std::collections::BTreeSet::new();
    let revokers = v
        .revoker
        .into_iter()
        .map(|s| signer(s, &mut revoker_names))
        .collect::<Result<Vec<_>, _>>()?;
    let defined: std::collections::BTreeSet<&str> =
        signers.iter().map(|s| s.role.as_str()).collect();
    let gates = gates::gates(v.tier, v.metric, v.on_change, &defined)?;
    Ok(VerifyPolicy {
        signers,
        threshold: v.threshold,
        trust_root: v.trust_root,
        allow_unsigned,
        allow_symlinks: v.allow_symlinks,
        fail_on,
        exceptions,
        require_bom: v.require_bom,
        allow_overlapping_roles: v.allow_overlapping_roles,
        signed_ignores,
        model_name: v.model_name,
        min_version,
        version: v.version,
        max_signature_age,
        revocations: v.revocations,
        revokers,
        gates,
    })
}

fn exceptions(list: Vec<RawException>, table: &'static str) -> Result<Vec<Exception>, ConfigError> {
    list.into_iter()
        .map(|x| {
            let code = x
                .code
                .parse::<Code>()
                .map_err(|why| ConfigError::ExceptionCode { table, why })?;
            if x.reason.trim().is_empty() {
                return Err(ConfigError::ExceptionReason {
                    table,
                    code: x.code,
                });
            }
            if x.path.trim().is_empty() {
                return Err(ConfigError::ExceptionPath {
                    table,
                    code: x.code,
                });
            }
            let expires = x
                .expires
                .map(|e| parse_date(&e))
                .transpose()
                .map_err(|why| ConfigError::ExceptionExpires {
                    table,
                    code: x.code.clone(),
                    why,
                })?;
            let sha256 = x
                .sha256
                .map(|h| {
                    h.parse::<Sha256>()
                        .map_err(|_| ConfigError::ExceptionSha256 {
                            table,
                            code: x.code.clone(),
                            sha256: h.clone(),
                        })
                })
                .transpose()?;
            Ok(Exception {
                code,
                path: x.path,
                sha256,
                reason: x.reason,
                owner: x.owner,
                expires,
            })
        })
        .collect()
}

pub use crate::date::parse_date;

/// A duration written `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w`, in seconds.
pub fn parse_age(s: &str) -> Result<u64, BadDuration> {
    let bad = || BadDuration(s.to_owned());
    let t = s.trim();
    // The unit is the last character, which may be several bytes long.
    let split = t.char_indices().last().map(|(i, _)| i).ok_or_else(bad)?;
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
pub fn path_globset(globs: &[String]) -> Result<Option<GlobSet>, GlobError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|error| GlobError::Glob {
                glob: g.clone(),
                error,
            })?;
        b.add(glob);
    }
    b.build().map(Some).map_err(GlobError::Set)
}

/// One set of skip globs (compiled at load or on the command line); `None` when empty.
pub fn skip_set<'a>(
    globs: impl IntoIterator<Item = &'a Glob>,
) -> Result<Option<GlobSet>, globset::Error> {
    let mut b = GlobSetBuilder::new();
    let mut any = false;
    for g in globs {
        b.add(g.clone());
        any = true;
    }
    if !any {
        return Ok(None);
    }
    b.build().map(Some)
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
        assert_eq!(c.allow_globals, vec!["mylib.layers.Dense".parse().unwrap()]);
    }

    #[test]
    fn parses_tier_metric_and_on_change_rules() {
        let text = "[verify]\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"a.pub\"\n[[verify.signer]]\nrole = \"b\"\npublic-key = \"b.pub\"\n[verify.tier.high]\nroles = [\"a\", \"b\"]\nthreshold = 1\n[verify.tier.default]\nroles = [\"a\"]\n[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nfilter = \"none\"\nmin = 0.5\nmax = 1.0\nrequired = true\nmax-regression = \"5%\"\nlower-is-better = false\n[[verify.metric]]\nmetric = \"loss\"\nmax-regression = 0.1\nlower-is-better = true\n[[verify.on-change]]\nchange = \"dataset\"\nroles = [\"b\"]\n";
        let g = Config::parse(text).unwrap().verify.unwrap().gates;
        assert_eq!(g.tiers["high"].threshold, 1);
        assert_eq!(g.tiers["default"].roles, ["a"]);
        assert_eq!(
            g.metrics[0].max_regression,
            Some(Regression::Relative(0.05))
        );
        assert_eq!(g.metrics[1].max_regression, Some(Regression::Absolute(0.1)));
        assert!(g.metrics[1].lower_is_better);
        assert_eq!(g.on_change[0].roles, ["b"]);
    }

    #[test]
    fn refuses_gate_rules_naming_unknown_tiers_roles_or_changes() {
        let head = "[verify]\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"a.pub\"\n";
        for (body, msg) in [
            (
                "[verify.tier.urgent]\nroles = [\"a\"]\n",
                "verify.tier.urgent: give one of",
            ),
            (
                "[verify.tier.low]\nroles = [\"x\"]\n",
                "role \"x\" is not a [[verify.signer]] role",
            ),
            (
                "[verify.tier.low]\nroles = [\"a\"]\nthreshold = 2\n",
                "threshold 2 must be between 1",
            ),
            ("[verify.tier.low]\nroles = []\n", "roles must not be empty"),
            (
                "[[verify.metric]]\nmetric = \"acc\"\n",
                "give min, max, max-regression or required",
            ),
            (
                "[[verify.metric]]\nmetric = \"acc\"\nmax-regression = \"five\"\n",
                "max-regression \"five\"",
            ),
            (
                "[[verify.on-change]]\nchange = \"weather\"\nroles = [\"a\"]\n",
                "give one of dataset",
            ),
        ] {
            let err = Config::parse(&format!("{head}{body}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(msg), "{body}: {err}");
        }
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
revocations = "revoked"

[[verify.revoker]]
role = "security-team"
public-key = "keys/sec.pub"

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
        assert_eq!(
            v.signers.iter().map(|s| &s.trust).collect::<Vec<_>>(),
            [
                &SignerTrust::PublicKey("keys/mlp.pub".into()),
                &SignerTrust::CertificateCa("keys/ca.pem".into()),
                &SignerTrust::Keyless {
                    identity: "risk@example.com".into(),
                    issuer: "https://accounts.google.com".into()
                },
            ]
        );
        assert_eq!(v.min_version.as_ref().map(|m| m.as_str()), Some("1.4"));
        assert_eq!(v.max_signature_age, Some(30 * 86_400));
        assert_eq!(v.revocations.as_deref(), Some(Path::new("revoked")));
        assert_eq!(
            v.revokers,
            [Signer {
                role: "security-team".into(),
                trust: SignerTrust::PublicKey("keys/sec.pub".into())
            }]
        );
        assert_eq!(v.fail_on, Some(Severity::Critical));
        let g = v.allow_unsigned.unwrap();
        assert!(g.is_match("logs/a/b") && !g.is_match("model.bin"));
        assert!(v.signed_ignores.unwrap().is_match("cache/x"));
        let x = &v.exceptions[0];
        assert_eq!(x.code, Code::PickleUnknownGlobal);
        assert_eq!(x.expires, Some(jiff::civil::date(2027, 6, 30)));
        assert_eq!(x.sha256, Some(Sha256::of(b"")));
        assert_eq!(x.owner.as_deref(), Some("security"));
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
        assert!(
            Config::parse(two)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
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

    /// The message `text` is refused with at load.
    fn refused(text: &str) -> String {
        Config::parse(text).expect_err(text).to_string()
    }

    #[test]
    fn each_refusal_is_its_own_variant_and_names_the_key() {
        let ex = |body: &str| format!("[[exception]]\ncode = \"pickle-dangerous-call\"\n{body}");
        let signer = |body: &str| format!("[verify]\n[[verify.signer]]\n{body}");
        let key = "public-key = \"k.pub\"\n";
        let cases = [
            ("[scan]\nfail-on = \"severe\"\n".to_owned(), "scan.fail-on: "),
            ("[scan]\nskip = [\"[\"]\n".to_owned(), "scan.skip: "),
            (
                "[pickle]\nallow-globals = [\"a..b\"]\n".to_owned(),
                "pickle.allow-globals: allowed global \"a..b\" is not a dotted path",
            ),
            (
                "[[dataset]]\nname = \" \"\n".to_owned(),
                "dataset.name must not be empty",
            ),
            (
                "[[dataset]]\nname = \"d\"\nurl = \"file:///x\"\n".to_owned(),
                "dataset \"d\": url must be http(s): \"file:///x\"",
            ),
            (
                signer(&format!("role = \" \"\n{key}")),
                "verify.signer: a role name is required",
            ),
            (
                format!("{}[[verify.signer]]\nrole = \"a\"\n{key}", signer(&format!("role = \"a\"\n{key}"))),
                "verify.signer \"a\" is listed twice: each role is one party",
            ),
            (
                signer("role = \"a\"\nidentity = \"x\"\n"),
                "verify.signer \"a\": identity and issuer go together",
            ),
            (
                signer("role = \"a\"\n"),
                "verify.signer \"a\": give exactly one of public-key, certificate-ca, or identity + issuer",
            ),
            (
                format!("[verify]\nthreshold = 2\n[[verify.signer]]\nrole = \"a\"\n{key}"),
                "verify.threshold 2 must be between 1 and the number of signers (1)",
            ),
            ("[verify]\nfail-on = \"x\"\n".to_owned(), "verify.fail-on: "),
            (
                "[verify]\nallow-unsigned = [\"[\"]\n".to_owned(),
                "verify.allow-unsigned: glob \"[\": ",
            ),
            (
                "[verify]\nsigned-ignores = [\"[\"]\n".to_owned(),
                "verify.signed-ignores: glob \"[\": ",
            ),
            (
                "[verify]\nmin-version = \"abc\"\n".to_owned(),
                "verify.min-version \"abc\": give a numeric version such as \"1.4\" or \"2026.11.1\"",
            ),
            (
                "[verify]\nmax-signature-age = \"soon\"\n".to_owned(),
                "verify.max-signature-age: \"soon\" is not a duration such as 30d, 12h, 90m, 3600s or 2w",
            ),
            (
                "[[exception]]\ncode = \"nope\"\npath = \"p\"\nreason = \"r\"\n".to_owned(),
                "exception: ",
            ),
            (
                ex("path = \"p\"\nreason = \" \"\n"),
                "exception pickle-dangerous-call: a reason is required",
            ),
            (
                "[verify]\n[[verify.exception]]\ncode = \"pickle-dangerous-call\"\npath = \"p\"\nreason = \" \"\n"
                    .to_owned(),
                "verify.exception pickle-dangerous-call: a reason is required",
            ),
            (
                ex("path = \" \"\nreason = \"r\"\n"),
                "exception pickle-dangerous-call: a path is required",
            ),
            (
                ex("path = \"p\"\nreason = \"r\"\nexpires = \"2026-99-99\"\n"),
                "exception pickle-dangerous-call: expires ",
            ),
            (
                ex("path = \"p\"\nreason = \"r\"\nsha256 = \"xyz\"\n"),
                "exception pickle-dangerous-call: sha256 \"xyz\" is not 64 hex digits",
            ),
        ];
        let mut variants = std::collections::HashSet::new();
        for (text, want) in &cases {
            let e = Config::parse(text).expect_err(text);
            let msg = e.to_string();
            assert!(msg.starts_with(want), "{text:?}: {msg}");
            variants.insert(std::mem::discriminant(&e));
        }
        // Two cases share a variant (`exception` and `verify.exception` reasons).
        assert_eq!(variants.len(), cases.len() - 1);
        assert!(matches!(
            Config::parse("[other]\n"),
            Err(ConfigError::Toml(_))
        ));
        let e = LoadError::Invalid {
            path: "aibom.toml".into(),
            error: ConfigError::DatasetName,
        };
        assert_eq!(e.to_string(), "aibom.toml: dataset.name must not be empty");
        assert!(
            std::error::Error::source(&e).is_none(),
            "the cause is shown once"
        );
    }

    #[test]
    fn exception_with_impossible_date_is_refused_at_load() {
        let e = refused(
            "[[exception]]\ncode = \"pickle-dangerous-call\"\npath = \"w.pkl\"\nreason = \"r\"\nexpires = \"2026-99-99\"\n",
        );
        assert!(
            e.starts_with("exception pickle-dangerous-call: expires"),
            "{e}"
        );
        assert!(e.contains("2026-99-99"), "{e}");
    }

    #[test]
    fn unknown_severity_in_fail_on_is_refused_at_load() {
        let e = refused("[scan]\nfail-on = \"severe\"\n");
        assert!(e.starts_with("scan.fail-on: unknown severity"), "{e}");
        let e = refused("[verify]\nfail-on = \"severe\"\n");
        assert!(e.starts_with("verify.fail-on: unknown severity"), "{e}");
    }

    #[test]
    fn exception_with_unknown_code_or_bad_pin_is_refused_at_load() {
        let x = |code: &str, extra: &str| {
            format!("[[exception]]\ncode = \"{code}\"\npath = \"w.pkl\"\nreason = \"r\"\n{extra}")
        };
        let e = refused(&x("pickle-bad", ""));
        assert!(e.starts_with("exception: unknown finding code"), "{e}");
        let e = refused(&format!(
            "[verify]\n[[verify.{}",
            &x("pickle-dangerous-call", "sha256 = \"abc\"\n")[2..]
        ));
        assert!(
            e.starts_with("verify.exception pickle-dangerous-call: sha256 \"abc\""),
            "{e}"
        );
    }

    #[test]
    fn allowed_global_that_is_not_a_dotted_path_is_refused_at_load() {
        for bad in ["a..b", "", ".x"] {
            let e = refused(&format!("[pickle]\nallow-globals = [\"{bad}\"]\n"));
            assert!(e.starts_with("pickle.allow-globals: allowed global"), "{e}");
        }
        let c = Config::parse("[pickle]\nallow-globals = [\" mylib.Dense \"]\n").unwrap();
        assert_eq!(c.allow_globals[0].as_str(), "mylib.Dense");
    }

    #[test]
    fn min_version_that_cannot_be_ordered_is_refused_at_load() {
        for bad in [
            "vv1",
            "1.v2",
            "V1.V2",
            "99999999999999999999",
            "1.0-rc1",
            "abc",
        ] {
            let e = refused(&format!("[verify]\nmin-version = \"{bad}\"\n"));
            assert!(e.starts_with("verify.min-version"), "{bad}: {e}");
        }
        for good in ["1.4", "v2.0.1", "V3", "2026.11.1"] {
            let c = Config::parse(&format!("[verify]\nmin-version = \"{good}\"\n")).unwrap();
            assert_eq!(c.verify.unwrap().min_version.unwrap().as_str(), good);
        }
    }

    #[test]
    fn signer_with_no_or_two_kinds_of_trust_is_refused_at_load() {
        let signer = |body: &str| format!("[verify]\n[[verify.signer]]\nrole = \"a\"\n{body}");
        for body in [
            "",
            "public-key = \"k.pub\"\ncertificate-ca = \"ca.pem\"\n",
            "public-key = \"k.pub\"\nidentity = \"i\"\nissuer = \"https://x\"\n",
        ] {
            assert!(
                refused(&signer(body)).contains("give exactly one of"),
                "{body}"
            );
        }
        for body in ["identity = \"i\"\n", "issuer = \"https://x\"\n"] {
            assert!(refused(&signer(body)).contains("go together"), "{body}");
        }
    }

    #[test]
    fn bad_globs_are_refused_at_load_naming_the_key() {
        assert!(refused("[scan]\nskip = [\"[\"]\n").starts_with("scan.skip:"));
        assert!(
            refused("[verify]\nallow-unsigned = [\"[\"]\n").starts_with("verify.allow-unsigned:")
        );
        assert!(
            refused("[verify]\nsigned-ignores = [\"[\"]\n").starts_with("verify.signed-ignores:")
        );
        let c = Config::parse("[verify]\nsigned-ignores = []\n").unwrap();
        let none = c.verify.unwrap().signed_ignores.unwrap();
        assert!(!none.is_match(".git"), "an empty list honours no ignore");
    }

    #[test]
    fn a_duration_ending_in_a_multibyte_character_is_refused_not_a_panic() {
        assert!(parse_age("5é").is_err());
        assert!(parse_age("é").is_err());
        assert!(
            refused("[verify]\nmax-signature-age = \"30日\"\n")
                .starts_with("verify.max-signature-age")
        );
    }
}
