//! The release around the model as `generate` records it (`bom::release`), read back for a
//! later gate: the declared risk tier ([`Document::release_tier`]), the artifacts with every
//! file and digest ([`Document::release_artifacts`]) and the evaluation metrics with their
//! source ([`Document::metrics`]). Each carries notes on what could not be read; nothing here
//! judges.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Component, Document, Note, Object, Problem, Sha256Rule, kind_of};
use crate::digest::Sha256;
use crate::release::evaluation::Metric;

/// A file of an artifact (`components[]` of type `file` under the artifact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile<'a> {
    /// `name`: the path relative to the release root.
    pub path: &'a str,
    /// The recorded SHA-256, when it reads as one.
    pub sha256: Option<Sha256>,
    /// `aibom:file:size`, when it reads as a number of bytes.
    pub size: Option<u64>,
}

/// A file a dataset manifest lists (`data[].contents.properties[]` `aibom:dataset:file`), as
/// the manifest stated it: not a file read by the generator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ListedFile {
    pub path: String,
    pub sha256: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// An artifact of the release: a top-level component with an `aibom:release:role`.
#[derive(Debug, Clone)]
pub struct ArtifactEntry<'a> {
    pub component: Component<'a>,
    /// `aibom:release:role`: `dataset`, `prompts`, `evaluation`, `runtime-policy`.
    pub role: &'a str,
    /// `aibom:release:path`: relative to the release root.
    pub path: Option<&'a str>,
    /// `aibom:release:layout`: `directory`, `file`, `manifest-json`, `manifest-sha256sum`.
    pub layout: Option<&'a str>,
    /// `aibom:release:file-count` as recorded (compare with `files.len()`).
    pub file_count: Option<usize>,
    /// Every file read and hashed by the generator, in document order.
    pub files: Vec<ArtifactFile<'a>>,
    /// For a manifest dataset: what the manifest lists.
    pub listed: Vec<ListedFile>,
    /// What could not be read: a file without a name ([`Problem::Unnamed`]), a listed entry
    /// that does not parse ([`Problem::Unparsable`]).
    pub notes: Vec<Note>,
}

/// Where a metric was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricSource<'a> {
    /// The model card's `model-index` (`metadata.component.modelCard.properties`).
    ModelCard,
    /// An evaluation results file of the release: its path and recorded SHA-256.
    File {
        path: &'a str,
        sha256: Option<Sha256>,
    },
}

/// One evaluation result and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricEntry<'a> {
    pub metric: Metric,
    pub source: MetricSource<'a>,
}

const METRIC: &str = "aibom:evaluation:metric";

fn sha256_of(o: Object<'_>) -> Option<Sha256> {
    o.sha256(Sha256Rule::Exact)?.parse().ok()
}

impl<'a> ArtifactEntry<'a> {
    fn of(c: &Component<'a>) -> Option<ArtifactEntry<'a>> {
        if c.depth != 0 || c.in_model {
            return None;
        }
        let role = c.property("aibom:release:role")?;
        let mut notes = Vec::new();
        let mut files = Vec::new();
        for (i, f) in c.get("components").objects().enumerate() {
            if f.get("type").str() != Some("file") {
                continue;
            }
            let at = format!("{}.components[{i}]", c.at);
            let Some(path) = f.get("name").str() else {
                notes.push(Note {
                    at,
                    problem: Problem::Unnamed,
                });
                continue;
            };
            files.push(ArtifactFile {
                path,
                sha256: sha256_of(f),
                size: f.property("aibom:file:size").and_then(|s| s.parse().ok()),
            });
        }
        let mut listed = Vec::new();
        for (d, data) in c.data().enumerate() {
            let contents = data.get("contents").object();
            for (i, p) in contents.get("properties").objects().enumerate() {
                if p.get("name").str() != Some("aibom:dataset:file") {
                    continue;
                }
                let at = format!("{}.data[{d}].contents.properties[{i}]", c.at);
                match p.get("value").str().map(serde_json::from_str::<ListedFile>) {
                    Some(Ok(l)) => listed.push(l),
                    Some(Err(_)) => notes.push(Note {
                        at,
                        problem: Problem::Unparsable,
                    }),
                    None => notes.push(Note {
                        at,
                        problem: Problem::NotAString {
                            found: p.get("value").value().map_or("nothing", kind_of),
                        },
                    }),
                }
            }
        }
        Some(ArtifactEntry {
            role,
            path: c.property("aibom:release:path"),
            layout: c.property("aibom:release:layout"),
            file_count: c
                .property("aibom:release:file-count")
                .and_then(|n| n.parse().ok()),
            files,
            listed,
            notes,
            component: c.clone(),
        })
    }
}

/// The metrics recorded on `o` as [`METRIC`] properties, with notes for those that do not
/// parse (`at` names `o`).
fn metrics_on<'a>(
    o: Object<'a>,
    at: &str,
    source: MetricSource<'a>,
    out: &mut Vec<MetricEntry<'a>>,
    notes: &mut Vec<Note>,
) {
    for (i, (name, value)) in o.properties().enumerate() {
        if name != METRIC {
            continue;
        }
        match serde_json::from_str::<Metric>(value) {
            Ok(metric) => out.push(MetricEntry {
                metric,
                source: source.clone(),
            }),
            Err(_) => notes.push(Note {
                at: format!("{at}.properties[{i}]"),
                problem: Problem::Unparsable,
            }),
        }
    }
}

impl<'a> Document<'a> {
    /// `aibom:release:tier` on the model.
    pub fn release_tier(&self) -> Option<&'a str> {
        self.model?.property("aibom:release:tier")
    }

    /// The release's artifacts, in document order.
    pub fn release_artifacts(&self) -> Vec<ArtifactEntry<'a>> {
        self.components
            .iter()
            .filter_map(ArtifactEntry::of)
            .collect()
    }

    /// The evaluation files whose metrics were not read whole when the AIBOM was generated:
    /// each file of an `evaluation` artifact that carries `aibom:evaluation:note`s (not JSON,
    /// too large, too deep, metrics left out), with those notes. A metric gate cannot tell
    /// what such a file held, so it is missing evidence.
    pub fn unread_evaluations(&self) -> Vec<(&'a str, Vec<&'a str>)> {
        let mut out = Vec::new();
        for a in self.release_artifacts() {
            if a.role != "evaluation" {
                continue;
            }
            for f in a.component.get("components").objects() {
                if f.get("type").str() != Some("file") {
                    continue;
                }
                let notes: Vec<&'a str> = f
                    .properties()
                    .filter(|(n, _)| *n == "aibom:evaluation:note")
                    .map(|(_, v)| v)
                    .collect();
                if !notes.is_empty() {
                    out.push((f.get("name").str().unwrap_or("(an unnamed file)"), notes));
                }
            }
        }
        out
    }

    /// Every recorded evaluation metric: the model card's first, then each evaluation file's,
    /// in document order; with notes on recorded metrics that do not parse.
    pub fn metrics(&self) -> (Vec<MetricEntry<'a>>, Vec<Note>) {
        let mut out = Vec::new();
        let mut notes = Vec::new();
        if let Some(m) = self.model {
            metrics_on(
                m.get("modelCard").object(),
                "metadata.component.modelCard",
                MetricSource::ModelCard,
                &mut out,
                &mut notes,
            );
        }
        for a in self.release_artifacts() {
            for (i, f) in a.component.get("components").objects().enumerate() {
                let Some(path) = f.get("name").str() else {
                    continue;
                };
                let source = MetricSource::File {
                    path,
                    sha256: sha256_of(f),
                };
                let at = format!("{}.components[{i}]", a.component.at);
                metrics_on(f, &at, source, &mut out, &mut notes);
            }
        }
        (out, notes)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn reads_artifacts_files_listed_entries_and_metrics_with_their_source() {
        let metric = r#"{"task":"arc_easy","metric":"acc","filter":"none","value":"0.5"}"#;
        let doc = json!({
            "bomFormat": "CycloneDX",
            "metadata": {"component": {
                "type": "machine-learning-model", "name": "m",
                "properties": [{"name": "aibom:release:tier", "value": "high"}],
                "modelCard": {"properties": [
                    {"name": "aibom:evaluation:metric",
                     "value": r#"{"task":"t","metric":"accuracy","value":"0.4"}"#}]}
            }},
            "components": [
                {"type": "data", "name": "d", "properties": [
                    {"name": "aibom:release:role", "value": "dataset"},
                    {"name": "aibom:release:layout", "value": "manifest-json"},
                    {"name": "aibom:release:file-count", "value": "1"}],
                 "data": [{"type": "dataset", "contents": {"properties": [
                    {"name": "aibom:dataset:file", "value": format!(r#"{{"path":"x","sha256":"{A}","size":3}}"#)},
                    {"name": "aibom:dataset:file", "value": "garbage"}]}}],
                 "components": [{"type": "file", "name": "m.json",
                    "hashes": [{"alg": "SHA-256", "content": A}]},
                    {"type": "file"}]},
                {"type": "data", "name": "e", "properties": [
                    {"name": "aibom:release:role", "value": "evaluation"}],
                 "components": [{"type": "file", "name": "eval.json",
                    "hashes": [{"alg": "SHA-256", "content": A}],
                    "properties": [{"name": "aibom:evaluation:metric", "value": metric},
                                   {"name": "aibom:evaluation:metric", "value": "{}"}]}]},
                {"type": "data", "name": "declared only", "data": [{"type": "dataset"}]}
            ]
        });
        let d = Document::from_value(&doc).unwrap();
        assert_eq!(d.release_tier(), Some("high"));
        let a = d.release_artifacts();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].role, "dataset");
        assert_eq!(a[0].file_count, Some(1));
        assert_eq!(a[0].files[0].path, "m.json");
        assert_eq!(a[0].files[0].sha256, A.parse().ok());
        assert_eq!(a[0].listed[0].size, Some(3));
        let problems: Vec<Problem> = a[0].notes.iter().map(|n| n.problem).collect();
        assert_eq!(problems, [Problem::Unnamed, Problem::Unparsable]);
        let (m, notes) = d.metrics();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].source, MetricSource::ModelCard);
        assert_eq!(m[0].metric.metric, "accuracy");
        assert_eq!(
            m[1].source,
            MetricSource::File {
                path: "eval.json",
                sha256: A.parse().ok()
            }
        );
        assert_eq!(m[1].metric.value, "0.5");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].at, "components[1].components[0].properties[1]");
    }
}
