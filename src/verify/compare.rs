//! Hashing the listed files (and inspecting them with `--rescan`), and comparing the
//! directory with each manifest.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{CheckKind, Checks};
use super::{Model, Present, Rescan};
use crate::digest::{HashingFile, Sha256};
use crate::finding::Finding;
use crate::sign::manifest::{self, Entry, HashError};
use crate::sign::statement::Resource;
use globset::GlobSet;
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// Hashes a listed file and inspects it in the same read (`--rescan`).
pub(super) fn rescan_file(
    file: std::fs::File,
    e: &Entry,
    r: &Rescan,
) -> Result<(Sha256, Vec<Finding>), HashError> {
    let io_err = |source: io::Error| HashError::Io {
        name: e.name.clone(),
        source,
    };
    let mut ctx = crate::formats::Ctx::new(&r.limits, &r.policy, &e.name);
    let src = HashingFile::new(file, e.size);
    crate::formats::inspect_source(&src, &mut ctx, &e.name).map_err(io_err)?;
    let (digest, _) = src.finish().map_err(|err| HashError::Changed {
        name: e.name.clone(),
        why: err.to_string(),
    })?;
    Ok((digest, std::mem::take(&mut ctx.findings)))
}

/// Changed, missing, extra, renamed and swapped files of one manifest, under its own ignores.
pub(super) fn compare(
    checks: &mut Checks,
    m: &Model,
    present: &BTreeMap<String, Present>,
    ignores: &[String],
    allow_unsigned: Option<&GlobSet>,
) {
    compare_files(
        checks,
        &Signed {
            index: Some(m.index),
            resources: &m.resources,
            allow_symlinks: m.allow_symlinks,
            summary: CheckKind::Files,
            what: "the directory",
        },
        present,
        ignores,
        allow_unsigned,
    );
}

/// A signed file list to compare with what is present, and how to name its summary check.
pub(super) struct Signed<'a> {
    /// The signature the checks are about.
    pub index: Option<usize>,
    pub resources: &'a [Resource],
    pub allow_symlinks: bool,
    pub summary: CheckKind,
    pub what: &'a str,
}

/// Changed, missing, extra, renamed and swapped files of one signed file list (a model
/// manifest, or a release attestation's artifacts), under its own ignores.
pub(super) fn compare_files(
    checks: &mut Checks,
    m: &Signed<'_>,
    present: &BTreeMap<String, Present>,
    ignores: &[String],
    allow_unsigned: Option<&GlobSet>,
) {
    let i = m.index;
    let before = checks.0.len();
    let signed: BTreeMap<&str, Sha256> = m
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest))
        .collect();
    let missing: Vec<&Resource> = m
        .resources
        .iter()
        .filter(|r| !present.contains_key(&r.name))
        .collect();
    let extra: Vec<(&String, &Present)> = present
        .iter()
        .filter(|(n, _)| !signed.contains_key(n.as_str()) && !manifest::is_ignored(n, ignores))
        .collect();
    let mut explained: BTreeSet<String> = BTreeSet::new();
    // Renamed: a missing file's bytes are present under a name that was not signed.
    for r in &missing {
        if let Some((n, _)) = extra.iter().find(|(_, p)| p.digest == Some(r.digest)) {
            checks.push_for(
                i,
                CheckKind::FileRenamed,
                false,
                &r.name,
                &format!("{} at {}", r.digest, r.name),
                &format!("the same bytes at {n}"),
            );
            explained.insert(r.name.clone());
            explained.insert((*n).clone());
        }
    }
    let now = |name: &str| present.get(name).and_then(|p| p.digest);
    let changed: Vec<&Resource> = m
        .resources
        .iter()
        .filter(|r| now(&r.name).is_some_and(|d| d != r.digest))
        .collect();
    // Swapped: two changed files that hold each other's signed bytes.
    for a in &changed {
        for b in &changed {
            if a.name < b.name && now(&a.name) == Some(b.digest) && now(&b.name) == Some(a.digest) {
                checks.push_for(
                    i,
                    CheckKind::FilesSwapped,
                    false,
                    &format!("{} <-> {}", a.name, b.name),
                    "each file with its signed bytes",
                    "their contents are swapped",
                );
                explained.insert(a.name.clone());
                explained.insert(b.name.clone());
            }
        }
    }
    for c in &changed {
        if !explained.contains(&c.name) {
            let d = now(&c.name).map(|d| d.to_hex()).unwrap_or_default();
            checks.push_for(
                i,
                CheckKind::FileChanged,
                false,
                &c.name,
                &c.digest.to_hex(),
                &d,
            );
        }
    }
    for r in &missing {
        if !explained.contains(&r.name) {
            checks.push_for(
                i,
                CheckKind::FileMissing,
                false,
                &r.name,
                &r.digest.to_hex(),
                "absent",
            );
        }
    }
    // A link is accepted only where the signer signed with allow_symlinks too.
    if !m.allow_symlinks {
        for r in m.resources {
            if present.get(&r.name).is_some_and(|p| p.entry.link) {
                checks.push_for(
                    i,
                    CheckKind::Symlink,
                    false,
                    &r.name,
                    "a regular file (the signature was made without allow_symlinks)",
                    "a symbolic link",
                );
            }
        }
    }
    for (n, p) in &extra {
        if explained.contains(*n) {
            continue;
        }
        let allowed = allow_unsigned.is_some_and(|g| g.is_match(n.as_str()));
        let what = match p.digest {
            Some(d) => format!("present, {d}"),
            None => format!("present, {} bytes; not read", p.entry.size),
        };
        checks.push_for(
            i,
            CheckKind::FileExtra,
            allowed,
            n,
            if allowed {
                "unsigned, allowed by the policy"
            } else {
                "no file that was not signed"
            },
            &what,
        );
    }
    let ok = checks
        .0
        .get(before..)
        .unwrap_or_default()
        .iter()
        .all(|c| c.ok || !c.check.is_file_check());
    let shown_present = present
        .keys()
        .filter(|n| !manifest::is_ignored(n, ignores))
        .count();
    checks.push_for(
        i,
        m.summary,
        ok,
        m.what,
        &format!("{} signed files, unchanged", m.resources.len()),
        &format!("{shown_present} files present"),
    );
}
