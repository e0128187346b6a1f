//! What changed since the previous approved release (`--previous`), in the kinds
//! `[[verify.on-change]]` names, computed with `aibom diff`'s model ([`crate::diff::compare`])
//! rather than derived again: a file added, removed or changed is classed by the release
//! artifact it belongs to in either AIBOM (`dataset`, `prompts`, `evaluation`,
//! `runtime-policy`), else `model-files`; an artifact added or removed is a change of its role;
//! dataset components changed (`dataset-changed`) are `dataset`; base models changed
//! (`base-model-changed`) are `base-model`. Fail closed: what the diff could not compare counts
//! as changed. `verify` applies every rule when there is no previous release or the AIBOM is
//! not bound by a verified signature.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::bom::read::{Document, FileRule, PathRule};
use crate::config::CHANGES;
use crate::diff::{self, Drift};
use crate::finding::Severity;
use crate::sign::manifest;
use crate::verify::Change;
use std::collections::BTreeSet;

/// The release role a `kind` of change is named after.
fn kind_of_role(role: &str) -> &'static str {
    match role {
        "dataset" => "dataset",
        "prompts" => "prompts",
        "evaluation" => "evaluation",
        "runtime-policy" => "runtime-policy",
        _ => "model-files",
    }
}

/// The changes from the release `prev` to the release `cur`.
pub fn release_changes(cur: &Document<'_>, prev: &Document<'_>) -> Vec<Change> {
    let d = diff::compare(&diff::Document::read(prev), &diff::Document::read(cur));
    let artifacts: BTreeSet<(String, String)> = prev
        .release_artifacts()
        .iter()
        .chain(cur.release_artifacts().iter())
        .filter_map(|a| Some((a.role.to_owned(), a.path?.to_owned())))
        .collect();
    let before: BTreeSet<(String, String)> = prev
        .release_artifacts()
        .iter()
        .filter_map(|a| Some((a.role.to_owned(), a.path?.to_owned())))
        .collect();
    let after: BTreeSet<(String, String)> = cur
        .release_artifacts()
        .iter()
        .filter_map(|a| Some((a.role.to_owned(), a.path?.to_owned())))
        .collect();
    let mut out = Vec::new();
    // Model files are named relative to the model directory, artifact files relative to the
    // release root: the same path can be both (a model subdirectory named like an artifact).
    // A path counts for every kind it can belong to: the model's own files, the files each
    // artifact recorded, and anything under an artifact's path; model files when none.
    let model_files: BTreeSet<String> = [prev, cur]
        .iter()
        .flat_map(|doc| doc.files(FileRule::ModelDirect))
        .filter_map(|f| f.path(PathRule::Located))
        .collect();
    let artifact_files: Vec<(String, BTreeSet<String>)> = [prev, cur]
        .iter()
        .flat_map(|doc| doc.release_artifacts())
        .map(|a| {
            let files = a.files.iter().map(|f| f.path.to_owned()).collect();
            (a.role.to_owned(), files)
        })
        .collect();
    let classes = |path: &str| {
        let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
        if model_files.contains(path) {
            kinds.insert("model-files");
        }
        for (role, files) in &artifact_files {
            if files.contains(path) {
                kinds.insert(kind_of_role(role));
            }
        }
        for (role, p) in &artifacts {
            if p == path || manifest::ignores(p, path) {
                kinds.insert(kind_of_role(role));
            }
        }
        if kinds.is_empty() {
            kinds.insert("model-files");
        }
        kinds
    };
    let touched = d
        .files
        .added
        .iter()
        .map(|f| (f.path.as_str(), "added"))
        .chain(d.files.removed.iter().map(|f| (f.path.as_str(), "removed")))
        .chain(d.files.changed.iter().map(|f| (f.path.as_str(), "changed")));
    for (path, verb) in touched {
        for kind in classes(path) {
            out.push(Change {
                kind,
                what: format!("{path} {verb}"),
            });
        }
    }
    for (r, p) in before.symmetric_difference(&after) {
        out.push(Change {
            kind: kind_of_role(r),
            what: format!(
                "{r} artifact {p} {}",
                if after.contains(&(r.clone(), p.clone())) {
                    "added"
                } else {
                    "removed"
                }
            ),
        });
    }
    if d.count(Drift::DatasetChanged, Severity::Info) > 0 {
        out.push(Change {
            kind: "dataset",
            what: "dataset components added, removed, re-versioned or relicensed".to_owned(),
        });
    }
    if d.count(Drift::BaseModelChanged, Severity::Info) > 0 {
        out.push(Change {
            kind: "base-model",
            what: "base models added, removed or re-versioned".to_owned(),
        });
    }
    for (drift, kinds) in [
        (Drift::DatasetChanged, &["dataset"][..]),
        (Drift::BaseModelChanged, &["base-model"][..]),
        (Drift::FileChanged, &CHANGES[..]),
        (Drift::FileAdded, &CHANGES[..]),
        (Drift::FileRemoved, &CHANGES[..]),
    ] {
        if let Some(u) = d.undecided(drift).first() {
            for k in kinds {
                out.push(Change {
                    kind: k,
                    what: format!("could not be compared: {}", u.reason),
                });
            }
        }
    }
    out
}
