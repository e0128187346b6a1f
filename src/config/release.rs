//! `[release]`: the artifacts shipped together with the model, named by path, and the release's
//! declared risk tier. Checked at load: unknown keys, an unknown tier, a path that is absolute
//! or climbs with `..`, a path named twice, a dataset name used twice or a `declared` name with
//! no `[[dataset]]` are refused by [`parse`]; a path that does not exist is refused by
//! [`Release::check_paths`] (it needs the directory of the file).
//!
//! Paths are relative to the directory of `aibom.toml` (the release root) and may not leave it:
//! the AIBOM records them relative to that root, so a later verification re-reads every file
//! under the same root, wherever the release is checked out.
//!
//! ```toml
//! [release]
//! model = "model"                          # optional; must be the directory given to generate
//! tier = "high"                            # low | medium | high | critical
//! prompts = "prompts"                      # a directory
//! evaluations = ["eval/results.json"]      # files (lm-evaluation-harness JSON is parsed)
//! runtime-policy = ["serving"]             # files or directories
//!
//! [[release.dataset]]
//! name = "tickets-2026-05"
//! path = "data/tickets"                    # a directory, or a manifest file
//! declared = "org/support-tickets"         # the [[dataset]] whose governance applies
//! ```

use super::ConfigError;
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

/// `[release]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRelease {
    model: Option<String>,
    tier: String,
    #[serde(default)]
    dataset: Vec<RawReleaseDataset>,
    prompts: Option<String>,
    #[serde(default)]
    evaluations: Vec<String>,
    #[serde(default)]
    runtime_policy: Vec<String>,
}

/// `[[release.dataset]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReleaseDataset {
    name: String,
    path: String,
    declared: Option<String>,
}

/// The declared risk tier of a release (`[release] tier`): a fixed, ordered set so a gate can
/// compare tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskTier {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskTier {
    pub const ALL: [RiskTier; 4] = [
        RiskTier::Low,
        RiskTier::Medium,
        RiskTier::High,
        RiskTier::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
            RiskTier::Critical => "critical",
        }
    }
}

impl std::str::FromStr for RiskTier {
    type Err = ();
    /// Exactly one of the lower-case names; anything else (`High`, `severe`) is refused.
    fn from_str(s: &str) -> Result<Self, ()> {
        RiskTier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(())
    }
}

/// What a release artifact is, recorded as `aibom:release:role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ArtifactRole {
    Dataset,
    Prompts,
    Evaluation,
    RuntimePolicy,
}

impl ArtifactRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactRole::Dataset => "dataset",
            ArtifactRole::Prompts => "prompts",
            ArtifactRole::Evaluation => "evaluation",
            ArtifactRole::RuntimePolicy => "runtime-policy",
        }
    }

    /// The `[release]` key that names artifacts of this role.
    pub fn key(self) -> &'static str {
        match self {
            ArtifactRole::Dataset => "release.dataset",
            ArtifactRole::Prompts => "release.prompts",
            ArtifactRole::Evaluation => "release.evaluations",
            ArtifactRole::RuntimePolicy => "release.runtime-policy",
        }
    }
}

/// One artifact of the release, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseArtifact {
    pub role: ArtifactRole,
    /// A name unique within the role: the dataset's `name`, else the path.
    pub name: String,
    /// Relative to the release root, `/`-separated, no `.` or `..` component.
    pub path: String,
    /// For a dataset: the `[[dataset]]` it is (governance, licence, provenance).
    pub declared: Option<String>,
}

/// The validated `[release]` section.
#[derive(Debug, Clone)]
pub struct Release {
    /// The directory the paths are relative to (the directory of `aibom.toml`); set at load.
    pub root: PathBuf,
    /// The model directory, when named (relative to the root).
    pub model: Option<String>,
    pub tier: RiskTier,
    /// Every artifact, in the order: datasets, prompts, evaluations, runtime policy (each as
    /// written).
    pub artifacts: Vec<ReleaseArtifact>,
}

impl Release {
    /// Every path must exist under `root`: a missing one is refused naming the key and path.
    pub fn check_paths(&mut self, root: &Path) -> Result<(), ConfigError> {
        self.root = root.to_path_buf();
        let named = self
            .model
            .iter()
            .map(|m| ("release.model", m.as_str()))
            .chain(
                self.artifacts
                    .iter()
                    .map(|a| (a.role.key(), a.path.as_str())),
            );
        let real_root = root
            .canonicalize()
            .map_err(|_| ConfigError::ReleaseMissing {
                key: "release",
                path: root.display().to_string(),
            })?;
        for (key, path) in named {
            let full = root.join(path);
            if std::fs::symlink_metadata(&full).is_err() {
                return Err(ConfigError::ReleaseMissing {
                    key,
                    path: full.display().to_string(),
                });
            }
            // A link on the way (`prompts -> /elsewhere`) may not take the artifact out of the
            // release root either: the AIBOM records paths under the root.
            let inside = full
                .canonicalize()
                .is_ok_and(|real| real.starts_with(&real_root));
            if !inside {
                return Err(ConfigError::ReleasePath {
                    key,
                    path: path.to_owned(),
                    why: "resolves outside the release root (through a link) or points at nothing",
                });
            }
        }
        Ok(())
    }
}

/// A path as written -> a normalised relative path (`./a//b/` -> `a/b`), or why not.
fn relative(key: &'static str, p: &str) -> Result<String, ConfigError> {
    let bad = |why: &'static str| ConfigError::ReleasePath {
        key,
        path: p.to_owned(),
        why,
    };
    if p.trim().is_empty() {
        return Err(bad("is empty"));
    }
    if p.contains('\\') {
        return Err(bad("contains a backslash (use /)"));
    }
    let mut parts = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().ok_or_else(|| bad("is not UTF-8"))?),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(bad("climbs with '..' (paths stay under the release root)"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("is absolute (paths are relative to aibom.toml)"));
            }
        }
    }
    if parts.is_empty() {
        return Err(bad("names the release root itself"));
    }
    Ok(parts.join("/"))
}

/// Checks `[release]` against itself and the `[[dataset]]` names.
pub(super) fn parse(raw: RawRelease, declared: &[String]) -> Result<Release, ConfigError> {
    let tier = raw
        .tier
        .parse::<RiskTier>()
        .map_err(|()| ConfigError::ReleaseTier(raw.tier.clone()))?;
    let model = raw
        .model
        .map(|m| relative("release.model", &m))
        .transpose()?;
    let mut artifacts = Vec::new();
    for d in raw.dataset {
        if d.name.trim().is_empty() {
            return Err(ConfigError::ReleaseDatasetName);
        }
        if let Some(n) = &d.declared
            && !declared.contains(n)
        {
            return Err(ConfigError::ReleaseDeclared {
                name: d.name,
                declared: n.clone(),
            });
        }
        artifacts.push(ReleaseArtifact {
            role: ArtifactRole::Dataset,
            path: relative("release.dataset", &d.path)?,
            name: d.name,
            declared: d.declared,
        });
    }
    let paths = |role: ArtifactRole, list: Vec<String>| {
        list.into_iter()
            .map(|p| {
                let path = relative(role.key(), &p)?;
                Ok(ReleaseArtifact {
                    role,
                    name: path.clone(),
                    path,
                    declared: None,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()
    };
    artifacts.extend(paths(
        ArtifactRole::Prompts,
        raw.prompts.into_iter().collect(),
    )?);
    artifacts.extend(paths(ArtifactRole::Evaluation, raw.evaluations)?);
    artifacts.extend(paths(ArtifactRole::RuntimePolicy, raw.runtime_policy)?);
    let mut names = std::collections::BTreeSet::new();
    let mut seen: Vec<&str> = model.iter().map(String::as_str).collect();
    for a in &artifacts {
        if !names.insert((a.role, a.name.as_str())) {
            return Err(ConfigError::ReleaseTwice {
                key: a.role.key(),
                name: a.name.clone(),
            });
        }
        // One file belongs to one artifact: no path may be another's or lie inside it.
        let inside = |outer: &str, inner: &str| {
            inner == outer
                || inner
                    .strip_prefix(outer)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if let Some(other) = seen
            .iter()
            .find(|s| inside(s, &a.path) || inside(&a.path, s))
        {
            return Err(ConfigError::ReleaseOverlap {
                path: a.path.clone(),
                other: (*other).to_owned(),
            });
        }
        seen.push(&a.path);
    }
    Ok(Release {
        root: PathBuf::new(),
        model,
        tier,
        artifacts,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::Config;
    use super::*;

    const EVERY_KEY: &str = r#"
[[dataset]]
name = "org/support-tickets"
owners = ["support ops"]

[release]
model = "model"
tier = "high"
prompts = "prompts"
evaluations = ["eval/results.json", "eval/report.md"]
runtime-policy = ["serving/config.yaml", "serving/guardrails"]

[[release.dataset]]
name = "tickets-2026-05"
path = "data/tickets"
declared = "org/support-tickets"

[[release.dataset]]
name = "web-crawl"
path = "./manifests//crawl.sha256"
"#;

    #[test]
    fn parses_a_release_that_uses_every_key() {
        let r = Config::parse(EVERY_KEY).unwrap().release.unwrap();
        assert_eq!(r.tier, RiskTier::High);
        assert_eq!(r.model.as_deref(), Some("model"));
        let got: Vec<(&str, &str, &str, Option<&str>)> = r
            .artifacts
            .iter()
            .map(|a| {
                (
                    a.role.as_str(),
                    a.name.as_str(),
                    a.path.as_str(),
                    a.declared.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "dataset",
                    "tickets-2026-05",
                    "data/tickets",
                    Some("org/support-tickets")
                ),
                ("dataset", "web-crawl", "manifests/crawl.sha256", None),
                ("prompts", "prompts", "prompts", None),
                ("evaluation", "eval/results.json", "eval/results.json", None),
                ("evaluation", "eval/report.md", "eval/report.md", None),
                (
                    "runtime-policy",
                    "serving/config.yaml",
                    "serving/config.yaml",
                    None
                ),
                (
                    "runtime-policy",
                    "serving/guardrails",
                    "serving/guardrails",
                    None
                ),
            ]
        );
    }

    #[test]
    fn tier_is_one_of_the_fixed_set() {
        for t in RiskTier::ALL {
            let c = Config::parse(&format!("[release]\ntier = \"{}\"\n", t.as_str())).unwrap();
            assert_eq!(c.release.unwrap().tier, t);
        }
        assert!(RiskTier::Low < RiskTier::Critical);
        for bad in ["High", "severe", "", " low"] {
            let e = Config::parse(&format!("[release]\ntier = \"{bad}\"\n")).unwrap_err();
            assert!(
                e.to_string().starts_with("release.tier")
                    && matches!(e, ConfigError::ReleaseTier(_)),
                "{bad}: {e}"
            );
        }
        assert!(matches!(
            Config::parse("[release]\nprompts = \"p\"\n"),
            Err(ConfigError::Toml(_))
        ));
    }

    /// The message `[release]` + `body` is refused with.
    fn refused(body: &str) -> String {
        Config::parse(&format!("[release]\ntier = \"low\"\n{body}"))
            .expect_err(body)
            .to_string()
    }

    #[test]
    fn refuses_unknown_keys_escaping_paths_duplicates_and_overlaps() {
        let cases = [
            ("owner = \"x\"\n", "unknown field `owner`"),
            (
                "prompts = \"../p\"\n",
                "release.prompts \"../p\" climbs with '..'",
            ),
            (
                "prompts = \"a/../../p\"\n",
                "release.prompts \"a/../../p\" climbs",
            ),
            (
                "evaluations = [\"/etc/passwd\"]\n",
                "release.evaluations \"/etc/passwd\" is absolute",
            ),
            (
                "runtime-policy = [\".\"]\n",
                "release.runtime-policy \".\" names the release root",
            ),
            (
                "runtime-policy = [\"\"]\n",
                "release.runtime-policy \"\" is empty",
            ),
            (
                "model = \"a\\\\b\"\n",
                "release.model \"a\\\\b\" contains a backslash",
            ),
            (
                "evaluations = [\"e.json\", \"./e.json\"]\n",
                "release.evaluations \"e.json\" is listed twice",
            ),
            (
                "model = \"m\"\nevaluations = [\"m/eval.json\"]\n",
                "release: \"m/eval.json\" overlaps \"m\"",
            ),
            (
                "prompts = \"p\"\nruntime-policy = [\"p\"]\n",
                "release: \"p\" overlaps \"p\"",
            ),
            (
                "[[release.dataset]]\nname = \"d\"\npath = \"d\"\nsize = 1\n",
                "unknown field `size`",
            ),
            (
                "[[release.dataset]]\nname = \" \"\npath = \"d\"\n",
                "release.dataset.name must not be empty",
            ),
            (
                "[[release.dataset]]\nname = \"d\"\npath = \"d\"\n[[release.dataset]]\nname = \"d\"\npath = \"e\"\n",
                "release.dataset \"d\" is listed twice",
            ),
            (
                "[[release.dataset]]\nname = \"d\"\npath = \"d\"\ndeclared = \"nope\"\n",
                "release.dataset \"d\": declared \"nope\" names no [[dataset]]",
            ),
        ];
        for (body, want) in cases {
            let e = refused(body);
            assert!(e.contains(want), "{body:?}: {e}");
        }
        // Prefixes that are not parent directories do not overlap.
        assert!(
            Config::parse(
                "[release]\ntier = \"low\"\nprompts = \"p\"\nruntime-policy = [\"p2\"]\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn a_missing_path_is_refused_at_load_naming_key_and_path() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("prompts")).unwrap();
        let cfg = d.path().join("aibom.toml");
        std::fs::write(
            &cfg,
            "[release]\ntier = \"low\"\nprompts = \"prompts\"\nevaluations = [\"eval/gone.json\"]\n",
        )
        .unwrap();
        let e = Config::load(Some(&cfg)).unwrap_err().to_string();
        assert!(e.contains("release.evaluations: "), "{e}");
        assert!(
            e.ends_with("eval/gone.json: no such file or directory"),
            "{e}"
        );
        std::fs::create_dir(d.path().join("eval")).unwrap();
        std::fs::write(d.path().join("eval/gone.json"), "{}").unwrap();
        let r = Config::load(Some(&cfg)).unwrap().release.unwrap();
        assert_eq!(r.root, d.path());
    }

    #[test]
    fn an_artifact_reached_through_a_link_out_of_the_root_is_refused_at_load() {
        let outside = tempfile::tempdir().unwrap();
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("prompts")).unwrap();
        std::os::unix::fs::symlink("nowhere", d.path().join("dangling")).unwrap();
        let cfg = d.path().join("aibom.toml");
        for body in ["prompts = \"prompts\"\n", "evaluations = [\"dangling\"]\n"] {
            std::fs::write(&cfg, format!("[release]\ntier = \"low\"\n{body}")).unwrap();
            let e = Config::load(Some(&cfg)).unwrap_err().to_string();
            assert!(e.contains("resolves outside the release root"), "{e}");
        }
        std::fs::create_dir(d.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real", d.path().join("inside")).unwrap();
        std::fs::write(&cfg, "[release]\ntier = \"low\"\nprompts = \"inside\"\n").unwrap();
        assert!(Config::load(Some(&cfg)).is_ok());
    }
}
