//! The release two AIBOMs record, compared ([`compare_release`]: tier, artifacts, metric
//! values, in [`crate::diff::Diff::release`]); and from the whole diff, what changed since the
//! previous approved release (`--previous`), in the kinds
//! `[[verify.on-change]]` names, computed with `aibom diff`'s model ([`crate::diff::compare`])
//! rather than derived again: a file added, removed or changed is classed by the release
//! artifact it belongs to in either AIBOM (`dataset`, `prompts`, `evaluation`,
//! `runtime-policy`), else `model-files`; an artifact added or removed is a change of its role;
//! dataset components changed (`dataset-changed`) are `dataset`; base models changed
//! (`base-model-changed`) are `base-model`; a dataset's governance changed (classification,
//! sensitive data, owners, description, licence, provenance, role) is `dataset`. Fail closed: what the diff could not compare counts
//! as changed. `verify` applies every rule when there is no previous release or the AIBOM is
//! not bound by a verified signature.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{ArtifactChange, Changes, FieldChange, MetricChange, ReleaseArtifact, ReleaseDiff};
use crate::bom::read::{Document, Field, FileRule, Object, PathRule};
use crate::config::CHANGES;
use crate::diff::{self, Drift};
use crate::finding::Severity;
use crate::sign::manifest;
use crate::verify::Change;
use std::collections::{BTreeMap, BTreeSet};

/// The release one AIBOM records, as the diff compares it.
#[derive(Debug, Clone, Default)]
pub(super) struct Recorded {
    tier: Option<String>,
    /// By component name (an unnamed artifact is keyed by its role and path).
    artifacts: BTreeMap<String, ReleaseArtifact>,
    /// `(task, metric, filter)` -> the first value recorded (the model card's, then each
    /// evaluation file's), as `verify`'s regression gate reads it.
    metrics: BTreeMap<(String, String, Option<String>), String>,
}

impl Recorded {
    pub(super) fn read(doc: &Document<'_>) -> Recorded {
        let mut r = Recorded {
            tier: doc.release_tier().map(str::to_owned),
            ..Recorded::default()
        };
        for a in doc.release_artifacts() {
            let path = a.path.map(str::to_owned);
            let name = a
                .component
                .get("name")
                .str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {}", a.role, path.as_deref().unwrap_or("")));
            r.artifacts.entry(name.clone()).or_insert(ReleaseArtifact {
                name,
                role: a.role.to_owned(),
                path,
            });
        }
        for e in doc.metrics().0 {
            let m = e.metric;
            r.metrics
                .entry((m.task, m.metric, m.filter))
                .or_insert(m.value);
        }
        r
    }
}

/// Digits after the decimal point of a value as written (`0.583` has 3).
pub(super) fn decimals(v: &str) -> usize {
    v.trim().split_once('.').map_or(0, |(_, f)| {
        f.chars().take_while(char::is_ascii_digit).count()
    })
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `new - old` rounded to the decimals written (`0.6 - 0.583` is `0.017`, not
/// `0.016999999999999904`).
fn delta(old: &str, new: &str) -> Option<f64> {
    let d = number(new)? - number(old)?;
    let places = i32::try_from(decimals(old).max(decimals(new)).min(12)).unwrap_or(12);
    let scale = 10f64.powi(places);
    Some((d * scale).round() / scale)
}

/// What changed in the release from `old` to `new`.
pub(super) fn compare_release(old: &Recorded, new: &Recorded) -> ReleaseDiff {
    let tier = (old.tier != new.tier).then(|| FieldChange {
        field: "tier",
        old: old.tier.clone(),
        new: new.tier.clone(),
    });
    let mut artifacts: Changes<ReleaseArtifact, ArtifactChange> = Changes::default();
    for (name, a) in &old.artifacts {
        match new.artifacts.get(name) {
            None => artifacts.removed.push(a.clone()),
            Some(b) if a.role != b.role || a.path != b.path => {
                artifacts.changed.push(ArtifactChange {
                    name: name.clone(),
                    old_role: a.role.clone(),
                    new_role: b.role.clone(),
                    old_path: a.path.clone(),
                    new_path: b.path.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for (name, b) in &new.artifacts {
        if !old.artifacts.contains_key(name) {
            artifacts.added.push(b.clone());
        }
    }
    // Metrics are compared as part of a release: a model card's alone are not one.
    let released = |r: &Recorded| r.tier.is_some() || !r.artifacts.is_empty();
    let keys: BTreeSet<_> = if released(old) || released(new) {
        old.metrics.keys().chain(new.metrics.keys()).collect()
    } else {
        BTreeSet::new()
    };
    let mut metrics = Vec::new();
    for k in keys {
        let (a, b) = (old.metrics.get(k), new.metrics.get(k));
        if a == b {
            continue;
        }
        metrics.push(MetricChange {
            task: k.0.clone(),
            metric: k.1.clone(),
            filter: k.2.clone(),
            old: a.cloned(),
            new: b.cloned(),
            delta: a.zip(b).and_then(|(a, b)| delta(a, b)),
        });
    }
    ReleaseDiff {
        tier,
        artifacts,
        metrics,
    }
}

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

/// The governance a dataset component records, field by field as JSON text: what the
/// dataset's declaration (`[[dataset]]`, the model card) says of its use rather than its
/// content. A change to any of it is a `dataset` change.
fn governance(c: Object<'_>) -> BTreeMap<String, String> {
    let text = |f: Field<'_>| f.value().map(|v| v.to_string());
    let mut out = BTreeMap::new();
    for (i, d) in c.data().enumerate() {
        for key in [
            "classification",
            "sensitiveData",
            "governance",
            "description",
        ] {
            if let Some(t) = text(d.get(key)) {
                out.insert(format!("data[{i}].{key}"), t);
            }
        }
    }
    if let Some(t) = text(c.get("licenses")) {
        out.insert("licenses".to_owned(), t);
    }
    for (name, value) in c.properties() {
        if name.starts_with("aibom:dataset:")
            && name != "aibom:dataset:file"
            && name != "aibom:dataset:content"
            || name.starts_with("aibom:declared")
        {
            out.entry(format!("property {name}"))
                .and_modify(|v: &mut String| {
                    v.push('\n');
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
    }
    out
}

/// The datasets of a document by `bom-ref` (else name), with their governance.
fn datasets(doc: &Document<'_>) -> BTreeMap<String, BTreeMap<String, String>> {
    doc.components
        .iter()
        .filter(|c| c.is_dataset())
        .filter_map(|c| {
            let key = c
                .get("bom-ref")
                .trimmed()
                .or_else(|| c.get("name").trimmed())?;
            Some((key.to_owned(), governance(c.object)))
        })
        .collect()
}

/// Each dataset present in both releases whose governance changed (classification, sensitive
/// data, owners, description, licence, provenance, role, declaration), naming the fields.
fn governance_changes(prev: &Document<'_>, cur: &Document<'_>) -> Vec<String> {
    let (old, new) = (datasets(prev), datasets(cur));
    let mut out = Vec::new();
    for (key, a) in &old {
        let Some(b) = new.get(key) else { continue };
        let fields: BTreeSet<&str> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .map(String::as_str)
            .collect();
        if !fields.is_empty() {
            out.push(format!(
                "dataset {key} governance changed: {}",
                fields.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out
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
    // Artifacts added, removed, or given another role or path: a change of each role.
    let shown = |a: &ReleaseArtifact| a.path.clone().unwrap_or_else(|| a.name.clone());
    for (a, what) in d
        .release
        .artifacts
        .added
        .iter()
        .map(|a| (a, "added"))
        .chain(d.release.artifacts.removed.iter().map(|a| (a, "removed")))
    {
        out.push(Change {
            kind: kind_of_role(&a.role),
            what: format!("{} artifact {} {what}", a.role, shown(a)),
        });
    }
    for c in &d.release.artifacts.changed {
        let what = format!(
            "artifact {} moved from {} {} to {} {}",
            c.name,
            c.old_role,
            c.old_path.as_deref().unwrap_or("-"),
            c.new_role,
            c.new_path.as_deref().unwrap_or("-")
        );
        for role in BTreeSet::from([c.old_role.as_str(), c.new_role.as_str()]) {
            out.push(Change {
                kind: kind_of_role(role),
                what: what.clone(),
            });
        }
    }
    if d.count(Drift::DatasetChanged, Severity::Info) > 0 {
        out.push(Change {
            kind: "dataset",
            what: "dataset components added, removed, re-versioned or relicensed".to_owned(),
        });
    }
    for what in governance_changes(prev, cur) {
        out.push(Change {
            kind: "dataset",
            what,
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn recorded(
        tier: &str,
        artifacts: &[(&str, &str, &str)],
        metrics: &[(&str, &str)],
    ) -> Recorded {
        Recorded {
            tier: Some(tier.to_owned()),
            artifacts: artifacts
                .iter()
                .map(|(n, r, p)| {
                    (
                        (*n).to_owned(),
                        ReleaseArtifact {
                            name: (*n).to_owned(),
                            role: (*r).to_owned(),
                            path: Some((*p).to_owned()),
                        },
                    )
                })
                .collect(),
            metrics: metrics
                .iter()
                .map(|(m, v)| {
                    (
                        ("arc_easy".to_owned(), (*m).to_owned(), None),
                        (*v).to_owned(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn names_the_tier_artifacts_and_metric_values_that_changed() {
        let old = recorded(
            "high",
            &[("p", "prompts", "prompts"), ("gone", "dataset", "data/a")],
            &[("acc", "0.583"), ("acc_norm", "0.549"), ("f1", "0.3")],
        );
        let new = recorded(
            "medium",
            &[
                ("p", "runtime-policy", "serving"),
                ("new", "dataset", "data/b"),
            ],
            &[("acc", "0.6"), ("acc_norm", "0.549"), ("em", "0.1")],
        );
        let d = compare_release(&old, &new);
        let t = d.tier.unwrap();
        assert_eq!(
            (t.old.as_deref(), t.new.as_deref()),
            (Some("high"), Some("medium"))
        );
        assert_eq!(d.artifacts.added[0].name, "new");
        assert_eq!(d.artifacts.removed[0].name, "gone");
        let c = &d.artifacts.changed[0];
        assert_eq!(
            (c.old_role.as_str(), c.new_role.as_str()),
            ("prompts", "runtime-policy")
        );
        type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<f64>);
        let m: Vec<Row<'_>> = d
            .metrics
            .iter()
            .map(|m| {
                (
                    m.metric.as_str(),
                    m.old.as_deref(),
                    m.new.as_deref(),
                    m.delta,
                )
            })
            .collect();
        assert_eq!(
            m,
            [
                ("acc", Some("0.583"), Some("0.6"), Some(0.017)),
                ("em", None, Some("0.1"), None),
                ("f1", Some("0.3"), None, None),
            ]
        );
        assert_eq!(d.metrics[0].delta_text().as_deref(), Some("+0.017"));
    }

    #[test]
    fn the_same_release_has_no_changes() {
        let r = recorded("low", &[("p", "prompts", "prompts")], &[("acc", "0.5")]);
        assert!(compare_release(&r, &r).is_empty());
    }

    #[test]
    fn model_card_metrics_without_a_release_are_not_compared() {
        let mut a = recorded("low", &[], &[("acc", "0.5")]);
        let mut b = recorded("low", &[], &[("acc", "0.6")]);
        a.tier = None;
        b.tier = None;
        assert!(compare_release(&a, &b).is_empty());
    }

    #[test]
    fn the_delta_is_rounded_to_the_decimals_written() {
        assert_eq!(decimals("0.583"), 3);
        assert_eq!(decimals("12"), 0);
        assert_eq!(delta("0.1", "0.12"), Some(0.02));
        assert_eq!(delta("n/a", "0.12"), None);
    }
}
