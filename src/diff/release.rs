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

use crate::bom::read::Document;
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
    let class = |path: &str| {
        artifacts
            .iter()
            .find(|(_, p)| p == path || manifest::ignores(p, path))
            .map_or("model-files", |(r, _)| kind_of_role(r))
    };
    for f in &d.files.added {
        out.push(Change {
            kind: class(&f.path),
            what: format!("{} added", f.path),
        });
    }
    for f in &d.files.removed {
        out.push(Change {
            kind: class(&f.path),
            what: format!("{} removed", f.path),
        });
    }
    for f in &d.files.changed {
        out.push(Change {
            kind: class(&f.path),
            what: format!("{} changed", f.path),
        });
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
