//! Walks the scan targets and lists the artifacts to inspect.
//!
//! Every regular file is recorded with its path relative to the target root (always
//! `/`-separated) and its size. Symbolic links are resolved here, not by the walker:
//! - a link whose target resolves inside the root is inspected under the link's name (this is
//!   how a Hugging Face hub cache snapshot, `snapshots/<rev>/x -> ../../blobs/<hash>`, is read);
//! - a link that is absolute or climbs out of the root is never followed: `symlink-escape`;
//! - a link to nothing: `symlink-broken`.
//!
//! In a hub cache (`blobs/` and `snapshots/` side by side), blobs reached through a snapshot
//! link are listed under the link names only. `.git/` is skipped unless asked; unfinished
//! downloads (`*.incomplete`) are a finding.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::finding::{Code, Finding, Location};
use globset::GlobSet;
use std::io;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;
use walkdir::WalkDir;

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error("{0}: no such file or directory")]
    Missing(String),
    #[error("{0}: nothing to scan (no files)")]
    Empty(String),
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{0}: not a regular file or directory")]
    NotAFile(String),
}

/// A file to inspect.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Path relative to the root, `/`-separated. For a single-file target: its file name.
    pub rel: String,
    /// Where to read the bytes (the resolved target for a link).
    pub path: PathBuf,
    pub size: u64,
    /// The link text, when the artifact was reached through a symbolic link.
    pub link: Option<String>,
}

/// What a walk found.
#[derive(Debug)]
pub struct Discovery {
    /// The target as given.
    pub root: String,
    pub artifacts: Vec<Artifact>,
    /// Findings about the tree itself (links, partial downloads), by relative path.
    pub findings: Vec<Finding>,
}

/// The names model-signing leaves out at the top of a signed directory (and `sign` and
/// `verify` with it, for the model and for each release artifact directory).
pub const TOP_LEVEL_IGNORES: &[&str] = &[".git", ".gitattributes", ".github", ".gitignore"];

/// Options of the walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Also walk `.git/`.
    pub include_git: bool,
    /// Relative paths matching these globs are skipped.
    pub skip: Option<GlobSet>,
}

fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn finding(code: Code, rel: &str, message: String) -> Finding {
    Finding {
        code,
        severity: code.default_severity(),
        location: Location {
            path: rel.to_owned(),
            member: None,
            offset: None,
        },
        message,
        evidence: Default::default(),
    }
}

/// Lexically resolves `link_dir/target` relative to the root; None if it climbs above the root.
fn lexical_inside(root: &Path, link_parent_rel: &Path, target: &Path) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for c in link_parent_rel.components().chain(target.components()) {
        match c {
            Component::Normal(p) => parts.push(p.to_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let mut p = root.to_path_buf();
    p.extend(parts);
    Some(p)
}

/// For a root inside `<repo>/snapshots/<rev>` of a hub cache repo that has `blobs/`: the repo
/// folder and the root's path below it.
fn snapshot_repo(root_real: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut below = Vec::new();
    let mut cur = root_real;
    while let Some(parent) = cur.parent() {
        below.push(cur.file_name()?.to_owned());
        if cur.file_name()? == "snapshots" {
            break;
        }
        cur = parent;
    }
    if cur.file_name()? != "snapshots" {
        return None;
    }
    let repo = cur.parent()?;
    if !repo.join("blobs").is_dir() {
        return None;
    }
    below.reverse();
    let rel: PathBuf = below.into_iter().collect();
    Some((repo.to_path_buf(), rel))
}

pub fn discover(target: &Path, opts: &WalkOptions) -> Result<Discovery, DiscoverError> {
    let shown = target.display().to_string();
    let meta = std::fs::metadata(target).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => DiscoverError::Missing(shown.clone()),
        _ => DiscoverError::Io {
            path: shown.clone(),
            source: e,
        },
    })?;
    if meta.is_file() {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        return Ok(Discovery {
            root: shown,
            artifacts: vec![Artifact {
                rel: name,
                path: target.to_path_buf(),
                size: meta.len(),
                link: None,
            }],
            findings: Vec::new(),
        });
    }
    if !meta.is_dir() {
        return Err(DiscoverError::NotAFile(shown));
    }
    let root_real = std::fs::canonicalize(target).map_err(|e| DiscoverError::Io {
        path: shown.clone(),
        source: e,
    })?;
    // Scanning a snapshot of a hub cache repo (`<repo>/snapshots/<rev>`, the path users hand
    // to loaders): its links may also resolve into that repo's `blobs/`, and nowhere else.
    let snapshot_of = snapshot_repo(&root_real);

    let mut artifacts = Vec::new();
    let mut findings = Vec::new();
    let walker = WalkDir::new(target)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| opts.include_git || e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(|e| DiscoverError::Io {
            path: e
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| shown.clone()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("walk failed")),
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let rel_path = entry.path().strip_prefix(target).unwrap_or(entry.path());
        let rel = rel_string(rel_path);
        if let Some(skip) = &opts.skip
            && skip.is_match(&rel)
        {
            continue;
        }
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if rel.ends_with(".incomplete") {
            findings.push(finding(
                Code::PartialDownload,
                &rel,
                "an unfinished download is present; the release is incomplete".to_owned(),
            ));
        }
        if ft.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(|e| DiscoverError::Io {
                path: entry.path().display().to_string(),
                source: e,
            })?;
            let link_text = link.to_string_lossy().into_owned();
            let parent = rel_path.parent().unwrap_or(Path::new(""));
            let lexical = match &snapshot_of {
                Some((repo, below)) => lexical_inside(repo, &below.join(parent), &link),
                None => lexical_inside(target, parent, &link),
            };
            let Some(lexical) = lexical else {
                findings.push(finding(
                    Code::SymlinkEscape,
                    &rel,
                    format!("symbolic link to {link_text:?} leaves the scanned root; not followed"),
                ));
                continue;
            };
            let real = match std::fs::canonicalize(&lexical) {
                Ok(r) => r,
                Err(_) => {
                    findings.push(finding(
                        Code::SymlinkBroken,
                        &rel,
                        format!("symbolic link to {link_text:?} points at nothing"),
                    ));
                    continue;
                }
            };
            // Links inside the target (e.g. to a symlinked directory) can still lead out.
            let in_blobs = snapshot_of
                .as_ref()
                .is_some_and(|(repo, _)| real.starts_with(repo.join("blobs")));
            if !real.starts_with(&root_real) && !in_blobs {
                findings.push(finding(
                    Code::SymlinkEscape,
                    &rel,
                    format!(
                        "symbolic link to {link_text:?} resolves outside the scanned root; not followed"
                    ),
                ));
                continue;
            }
            let m = std::fs::metadata(&real).map_err(|e| DiscoverError::Io {
                path: real.display().to_string(),
                source: e,
            })?;
            if m.is_dir() {
                // Its files are walked where they really are.
                continue;
            }
            artifacts.push(Artifact {
                rel,
                path: real,
                size: m.len(),
                link: Some(link_text),
            });
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let m = entry.metadata().map_err(|e| DiscoverError::Io {
            path: entry.path().display().to_string(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("metadata failed")),
        })?;
        artifacts.push(Artifact {
            rel,
            path: entry.path().to_path_buf(),
            size: m.len(),
            link: None,
        });
    }
    // Hub cache blobs reached through a snapshot link appear under the link names only
    // (in a repo folder, or in a whole cache of repo folders).
    let linked: std::collections::HashSet<PathBuf> = artifacts
        .iter()
        .filter(|a| a.link.is_some())
        .map(|a| a.path.clone())
        .collect();
    if !linked.is_empty() {
        artifacts.retain(|a| {
            a.link.is_some()
                || !a.rel.split('/').any(|c| c == "blobs")
                || !std::fs::canonicalize(&a.path)
                    .map(|p| linked.contains(&p))
                    .unwrap_or(false)
        });
    }
    if artifacts.is_empty() && findings.is_empty() {
        return Err(DiscoverError::Empty(shown));
    }
    Ok(Discovery {
        root: shown,
        artifacts,
        findings,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn lists_files_with_relative_slash_paths_and_skips_git() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("a/b")).unwrap();
        fs::create_dir_all(d.path().join(".git")).unwrap();
        fs::write(d.path().join("a/b/x.bin"), b"12345").unwrap();
        fs::write(d.path().join(".git/HEAD"), b"ref").unwrap();
        let r = discover(d.path(), &WalkOptions::default()).unwrap();
        assert_eq!(r.artifacts.len(), 1);
        assert_eq!(r.artifacts[0].rel, "a/b/x.bin");
        assert_eq!(r.artifacts[0].size, 5);
        let all = discover(
            d.path(),
            &WalkOptions {
                include_git: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(all.artifacts.len(), 2);
    }

    #[test]
    fn follows_links_inside_root_and_refuses_escaping_and_broken_ones() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), b"s").unwrap();
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("blobs")).unwrap();
        fs::write(d.path().join("blobs/abc"), b"data").unwrap();
        symlink("blobs/abc", d.path().join("model.bin")).unwrap();
        symlink(outside.path().join("secret"), d.path().join("abs")).unwrap();
        symlink("../../../../../../etc/hostname", d.path().join("climb")).unwrap();
        symlink("nowhere", d.path().join("broken")).unwrap();
        let r = discover(d.path(), &WalkOptions::default()).unwrap();
        let names: Vec<_> = r.artifacts.iter().map(|a| a.rel.as_str()).collect();
        assert!(names.contains(&"model.bin"));
        let codes: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.location.path.as_str(), f.code))
            .collect();
        assert!(codes.contains(&("abs", Code::SymlinkEscape)));
        assert!(codes.contains(&("climb", Code::SymlinkEscape)));
        assert!(codes.contains(&("broken", Code::SymlinkBroken)));
    }

    #[test]
    fn hub_cache_blobs_appear_under_snapshot_names() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("blobs")).unwrap();
        fs::create_dir_all(d.path().join("snapshots/rev1")).unwrap();
        fs::write(d.path().join("blobs/h1"), b"{}").unwrap();
        fs::write(d.path().join("blobs/h2"), b"orphan").unwrap();
        symlink(
            "../../blobs/h1",
            d.path().join("snapshots/rev1/config.json"),
        )
        .unwrap();
        let r = discover(d.path(), &WalkOptions::default()).unwrap();
        let names: Vec<_> = r.artifacts.iter().map(|a| a.rel.as_str()).collect();
        assert_eq!(names, vec!["blobs/h2", "snapshots/rev1/config.json"]);
    }

    #[test]
    fn missing_path_and_empty_directory_are_errors() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            discover(&d.path().join("nope"), &WalkOptions::default()),
            Err(DiscoverError::Missing(_))
        ));
        assert!(matches!(
            discover(d.path(), &WalkOptions::default()),
            Err(DiscoverError::Empty(_))
        ));
    }

    #[test]
    fn partial_downloads_are_reported() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("model.safetensors.incomplete"), b"xx").unwrap();
        let r = discover(d.path(), &WalkOptions::default()).unwrap();
        assert_eq!(r.findings[0].code, Code::PartialDownload);
    }
}
