//! The release around the model (`[release]` in `aibom.toml`): every file of every artifact
//! walked and hashed, dataset manifests and evaluation results parsed, into one
//! [`ReleaseReport`] that `bom::assemble` records.
//!
//! ```text
//! config::Release -> discover (each artifact, the model walk's rules for links and special
//!                    files) -> hash every file in parallel (one read each; manifests and
//!                    evaluation files are parsed from the bytes that were hashed)
//!                 -> manifest::parse / evaluation::read_file -> ReleaseReport
//! ```
//!
//! Paths in the report are relative to the release root (the directory of `aibom.toml`),
//! `/`-separated, sorted: a verifier re-reads each one under the same root.

pub mod evaluation;
pub mod manifest;

use crate::config::{ArtifactRole, Release, RiskTier};
use crate::digest::{self, Sha256};
use crate::discover::{self, DiscoverError, WalkOptions};
use crate::finding::Finding;
use crate::limits::ReleaseLimits;
use evaluation::Evaluation;
use manifest::{ListedFile, ManifestError, ManifestFormat};
use rayon::prelude::*;
use std::path::PathBuf;
use thiserror::Error;

/// Why the release could not be recorded; each names the artifact's key and path.
#[derive(Debug, Error)]
pub enum ReleaseError {
    #[error("{key} {path:?}: {source}")]
    Walk {
        key: &'static str,
        path: String,
        source: DiscoverError,
    },
    #[error("{path}: reading to hash: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("release.dataset {name:?}: manifest {path}: {source}")]
    Manifest {
        name: String,
        path: String,
        source: ManifestError,
    },
}

/// How an artifact was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A directory, every file walked.
    Directory,
    /// One file.
    File,
    /// A dataset manifest: the file is hashed, its entries are the dataset's content.
    Manifest(ManifestFormat),
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Directory => "directory",
            Layout::File => "file",
            Layout::Manifest(ManifestFormat::Json) => "manifest-json",
            Layout::Manifest(ManifestFormat::Sha256Sum) => "manifest-sha256sum",
        }
    }
}

/// A file read and hashed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFile {
    /// Relative to the release root, `/`-separated.
    pub path: String,
    pub sha256: Sha256,
    pub size: u64,
    /// The link text, when the file was reached through a symbolic link.
    pub link: Option<String>,
    /// What was read of it as an evaluation (files of evaluation artifacts only).
    pub evaluation: Option<Evaluation>,
}

/// One artifact of the release, read.
#[derive(Debug, Clone)]
pub struct ArtifactReport {
    pub role: ArtifactRole,
    pub name: String,
    /// Relative to the release root.
    pub path: String,
    /// The `[[dataset]]` declaration it is.
    pub declared: Option<String>,
    pub layout: Layout,
    /// Every file read and hashed, sorted by path (a manifest artifact: the manifest).
    pub files: Vec<HashedFile>,
    /// What a manifest lists, sorted by path, as the manifest states it (not read here).
    pub listed: Vec<ListedFile>,
    /// What the walk found about links (paths relative to the release root).
    pub findings: Vec<Finding>,
}

/// The whole release, read.
#[derive(Debug, Clone)]
pub struct ReleaseReport {
    pub tier: RiskTier,
    /// The model directory as `[release]` names it.
    pub model: Option<String>,
    /// In configuration order: datasets, prompts, evaluations, runtime policy.
    pub artifacts: Vec<ArtifactReport>,
}

impl ReleaseReport {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.artifacts.iter().flat_map(|a| a.findings.iter())
    }
}

/// What to do with one file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    /// Stream it through the hash.
    Hash,
    /// Read it whole (it is at most the cap) and parse what was hashed.
    Manifest,
    Evaluation,
}

/// One file to hash: which artifact, its recorded path, where to read it.
struct Job {
    artifact: usize,
    path: String,
    disk: PathBuf,
    size: u64,
    link: Option<String>,
    read: Handling,
}

/// What hashing one file gave.
struct Done {
    artifact: usize,
    file: HashedFile,
    manifest: Option<Vec<u8>>,
}

fn hash_one(job: &Job, limits: &ReleaseLimits) -> Result<Done, ReleaseError> {
    let err = |source| ReleaseError::Read {
        path: job.path.clone(),
        source,
    };
    let parse = match job.read {
        Handling::Manifest => true,
        Handling::Evaluation => job.size <= limits.max_evaluation,
        Handling::Hash => false,
    };
    let (sha256, size, bytes) = if parse {
        let max = match job.read {
            Handling::Manifest => limits.max_manifest,
            _ => limits.max_evaluation,
        };
        let bytes = std::fs::File::open(&job.disk)
            .and_then(|f| crate::source::read_capped(f, max))
            .map_err(err)?;
        (Sha256::of(&bytes), bytes.len() as u64, Some(bytes))
    } else {
        let (d, n) = digest::hash_file(&job.disk).map_err(err)?;
        (d, n, None)
    };
    let evaluation = match job.read {
        Handling::Evaluation => Some(match &bytes {
            Some(b) => evaluation::read_file(b, limits),
            None => evaluation::read_file(&[], limits).with_note(format!(
                "larger than {} bytes: metrics not read",
                limits.max_evaluation
            )),
        }),
        _ => None,
    };
    Ok(Done {
        artifact: job.artifact,
        file: HashedFile {
            path: job.path.clone(),
            sha256,
            size,
            link: job.link.clone(),
            evaluation,
        },
        manifest: bytes.filter(|_| job.read == Handling::Manifest),
    })
}

impl Evaluation {
    fn with_note(mut self, note: String) -> Evaluation {
        self.notes.push(note);
        self
    }
}

/// Walks and hashes every artifact of `release` (on the current rayon pool).
pub fn collect(release: &Release, limits: &ReleaseLimits) -> Result<ReleaseReport, ReleaseError> {
    // The model directory's rule, exactly as `sign` and `verify` list an artifact: the default
    // ignores (`.git`, `.gitattributes`, `.github`, `.gitignore`) at the top of an artifact
    // directory are left out, and only there; a `.git` deeper down is recorded and checked
    // like any other file. No skip globs (those are relative to the model directory).
    let top: Vec<String> = crate::discover::TOP_LEVEL_IGNORES
        .iter()
        .flat_map(|n| [(*n).to_owned(), format!("{n}/**")])
        .collect();
    let walk = WalkOptions {
        include_git: true,
        skip: crate::config::path_globset(&top).unwrap_or_default(),
    };
    let mut artifacts = Vec::new();
    let mut jobs = Vec::new();
    for (i, a) in release.artifacts.iter().enumerate() {
        let disk = release.root.join(&a.path);
        let d = discover::discover(&disk, &walk).map_err(|source| ReleaseError::Walk {
            key: a.role.key(),
            path: a.path.clone(),
            source,
        })?;
        let is_dir = disk.is_dir();
        let layout = match (is_dir, a.role) {
            (true, _) => Layout::Directory,
            // The format is known once the bytes are read.
            (false, ArtifactRole::Dataset) => Layout::Manifest(ManifestFormat::Json),
            (false, _) => Layout::File,
        };
        let under = |rel: &str| {
            if is_dir {
                format!("{}/{rel}", a.path)
            } else {
                a.path.clone()
            }
        };
        for f in &d.artifacts {
            let read = match (layout, a.role) {
                (Layout::Manifest(_), _) => Handling::Manifest,
                (_, ArtifactRole::Evaluation) => Handling::Evaluation,
                _ => Handling::Hash,
            };
            if read == Handling::Manifest && f.size > limits.max_manifest {
                return Err(ReleaseError::Manifest {
                    name: a.name.clone(),
                    path: a.path.clone(),
                    source: ManifestError::TooLarge {
                        max: limits.max_manifest,
                    },
                });
            }
            jobs.push(Job {
                artifact: i,
                path: under(&f.rel),
                disk: f.path.clone(),
                size: f.size,
                link: f.link.clone(),
                read,
            });
        }
        let mut findings = d.findings;
        for f in &mut findings {
            f.location.path = under(&f.location.path);
        }
        findings.sort_by(|x, y| (&x.location, x.code).cmp(&(&y.location, y.code)));
        artifacts.push(ArtifactReport {
            role: a.role,
            name: a.name.clone(),
            path: a.path.clone(),
            declared: a.declared.clone(),
            layout,
            files: Vec::new(),
            listed: Vec::new(),
            findings,
        });
    }
    // Largest first, one task each (as the model scan does), then back in path order.
    jobs.sort_by(|x, y| y.size.cmp(&x.size).then_with(|| x.path.cmp(&y.path)));
    let done: Vec<Done> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|j| hash_one(j, limits))
        .collect::<Result<_, _>>()?;
    for d in done {
        let Some(a) = artifacts.get_mut(d.artifact) else {
            continue;
        };
        if let Some(bytes) = d.manifest {
            let m = manifest::parse(&bytes, limits).map_err(|source| ReleaseError::Manifest {
                name: a.name.clone(),
                path: a.path.clone(),
                source,
            })?;
            a.layout = Layout::Manifest(m.format);
            a.listed = m.entries;
        }
        a.files.push(d.file);
    }
    for a in &mut artifacts {
        a.files.sort_by(|x, y| x.path.cmp(&y.path));
    }
    Ok(ReleaseReport {
        tier: release.tier,
        model: release.model.clone(),
        artifacts,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::fs;

    const A: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn release(dir: &std::path::Path, toml: &str) -> Release {
        let mut r = Config::parse(toml).unwrap().release.unwrap();
        r.check_paths(dir).unwrap();
        r
    }

    #[test]
    fn hashes_every_file_of_every_artifact_under_release_root_paths() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("data/train/sub")).unwrap();
        fs::write(d.path().join("data/train/sub/b.jsonl"), b"b").unwrap();
        fs::write(d.path().join("data/train/a.jsonl"), b"a").unwrap();
        fs::write(d.path().join("manifest.txt"), format!("{A}  x/y.parquet\n")).unwrap();
        fs::create_dir_all(d.path().join("prompts")).unwrap();
        fs::write(d.path().join("prompts/system.txt"), b"be brief").unwrap();
        fs::write(
            d.path().join("eval.json"),
            br#"{"results": {"t": {"acc,none": 0.5}}}"#,
        )
        .unwrap();
        let r = release(
            d.path(),
            "[release]\ntier = \"low\"\nprompts = \"prompts\"\nevaluations = [\"eval.json\"]\n\
             [[release.dataset]]\nname = \"train\"\npath = \"data/train\"\n\
             [[release.dataset]]\nname = \"ext\"\npath = \"./manifest.txt\"\n",
        );
        let rep = collect(&r, &ReleaseLimits::default()).unwrap();
        let a = &rep.artifacts;
        assert_eq!(a.len(), 4);
        let paths: Vec<&str> = a[0].files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["data/train/a.jsonl", "data/train/sub/b.jsonl"]);
        assert_eq!(a[0].files[0].sha256, Sha256::of(b"a"));
        assert_eq!(a[0].layout, Layout::Directory);
        assert_eq!(a[1].layout, Layout::Manifest(ManifestFormat::Sha256Sum));
        assert_eq!(a[1].files[0].path, "manifest.txt");
        assert_eq!(a[1].listed[0].path, "x/y.parquet");
        assert_eq!(a[2].files[0].path, "prompts/system.txt");
        assert_eq!(a[3].layout, Layout::File);
        let ev = a[3].files[0].evaluation.as_ref().unwrap();
        assert_eq!(ev.metrics[0].value, "0.5");
    }

    #[test]
    fn a_malformed_manifest_is_an_error_naming_the_dataset_and_line() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("m.txt"), "nonsense\n").unwrap();
        let r = release(
            d.path(),
            "[release]\ntier = \"low\"\n[[release.dataset]]\nname = \"x\"\npath = \"m.txt\"\n",
        );
        let e = collect(&r, &ReleaseLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("release.dataset \"x\": manifest m.txt: line 1"),
            "{e}"
        );
    }

    #[test]
    fn an_artifact_directory_without_files_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("prompts/empty")).unwrap();
        let r = release(
            d.path(),
            "[release]\ntier = \"low\"\nprompts = \"prompts\"\n",
        );
        let e = collect(&r, &ReleaseLimits::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("release.prompts \"prompts\": "), "{e}");
        assert!(e.ends_with("nothing to scan (no files)"), "{e}");
    }

    #[test]
    fn escaping_links_in_an_artifact_are_findings_with_release_paths() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("policy")).unwrap();
        fs::write(d.path().join("policy/ok.yaml"), b"a: 1").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", d.path().join("policy/out")).unwrap();
        let r = release(
            d.path(),
            "[release]\ntier = \"medium\"\nruntime-policy = [\"policy\"]\n",
        );
        let rep = collect(&r, &ReleaseLimits::default()).unwrap();
        let f = rep.findings().next().unwrap();
        assert_eq!(f.code, crate::finding::Code::SymlinkEscape);
        assert_eq!(f.location.path, "policy/out");
        assert_eq!(rep.artifacts[0].files.len(), 1);
    }
}
