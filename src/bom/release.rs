//! The release's artifacts ([`ReleaseReport`]) -> top-level `data` components of the AIBOM.
//!
//! One component per artifact, `bom-ref` `release:<role>:<name>`:
//! - `type: data`, `data[0].type` `dataset` (datasets), `configuration` (prompts, runtime
//!   policy) or `other` (evaluation results); a dataset that names its `[[dataset]]` carries
//!   that declaration's governance, classification, licence and provenance;
//! - properties `aibom:release:role` (`dataset`, `prompts`, `evaluation`, `runtime-policy`),
//!   `aibom:release:path` (relative to the release root), `aibom:release:layout`
//!   (`directory`, `file`, `manifest-json`, `manifest-sha256sum`), `aibom:release:file-count`
//!   and, for datasets, `aibom:dataset:content` (`hashed`: every file read here; `manifest`:
//!   the manifest read here, its entries as the manifest states them);
//! - nested `components[]`: every file read and hashed, `type: file`, `name` its path relative
//!   to the release root, `hashes[SHA-256]`, `aibom:file:size` (and `aibom:file:symlink`), so a
//!   verifier re-hashes each under the root and, the list being complete
//!   (`compositions[].assemblies`), notices an added, removed, changed or swapped file;
//! - a manifest's entries in `data[0].contents.properties[]`, one `aibom:dataset:file` each,
//!   whose value is the JSON `{"path", "sha256", "size"?}`;
//! - an evaluation file's metrics as `aibom:evaluation:metric` properties on its file
//!   component (JSON of [`Metric`]), with `aibom:evaluation:format` and any
//!   `aibom:evaluation:note`; the same metrics go to the model's
//!   `modelCard.quantitativeAnalysis.performanceMetrics`.

use super::assemble::{dataset_component, prop};
use super::model::*;
use crate::config::{ArtifactRole, DeclaredDataset};
use crate::release::evaluation::Metric;
use crate::release::{ArtifactReport, HashedFile, Layout, ReleaseReport};

/// The recorded JSON of a metric (field order fixed by the type, so the bytes are stable).
pub fn metric_json(m: &Metric) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

pub fn artifact_ref(a: &ArtifactReport) -> String {
    format!("release:{}:{}", a.role.as_str(), a.name)
}

fn file_component(a: &ArtifactReport, f: &HashedFile) -> Component {
    let mut properties = vec![prop("aibom:file:size", f.size.to_string())];
    if let Some(l) = &f.link {
        properties.push(prop("aibom:file:symlink", l.clone()));
    }
    if let Some(e) = &f.evaluation {
        if let Some(format) = e.format {
            properties.push(prop("aibom:evaluation:format", format.as_str()));
        }
        for n in &e.notes {
            properties.push(prop("aibom:evaluation:note", n.clone()));
        }
        for m in &e.metrics {
            properties.push(prop("aibom:evaluation:metric", metric_json(m)));
        }
    }
    properties.sort();
    Component {
        kind: Some(ComponentType::File),
        bom_ref: Some(format!("{}:file:{}", artifact_ref(a), f.path)),
        name: f.path.clone(),
        hashes: vec![Hash {
            alg: HashAlg::Sha256,
            content: f.sha256.to_hex(),
        }],
        properties,
        ..Component::default()
    }
}

/// The component of one artifact.
pub fn artifact_component(a: &ArtifactReport, declared: &[DeclaredDataset]) -> Component {
    let r = artifact_ref(a);
    let mut c = match a.role {
        ArtifactRole::Dataset => {
            let d = a
                .declared
                .as_deref()
                .and_then(|n| declared.iter().find(|d| d.name == n));
            let source = match &a.declared {
                Some(n) => format!("aibom.toml [release] (declared as {n})"),
                None => "aibom.toml [release]".to_owned(),
            };
            let mut c = dataset_component(&r, &a.name, &source, d);
            let content = match a.layout {
                Layout::Manifest(_) => "manifest",
                _ => "hashed",
            };
            c.properties.push(prop("aibom:dataset:content", content));
            if let Some(n) = &a.declared {
                c.properties.push(prop("aibom:release:declared", n.clone()));
            }
            c
        }
        role => {
            let (kind, what) = match role {
                ArtifactRole::Prompts => (
                    DataType::Configuration,
                    "prompt package: system prompts, templates, tool definitions",
                ),
                ArtifactRole::RuntimePolicy => (
                    DataType::Configuration,
                    "runtime policy: serving configuration, guardrails, tools and scopes",
                ),
                _ => (DataType::Other, "evaluation results"),
            };
            Component {
                kind: Some(ComponentType::Data),
                bom_ref: Some(r.clone()),
                name: a.name.clone(),
                data: vec![ComponentData {
                    kind,
                    name: Some(a.name.clone()),
                    description: Some(what.to_owned()),
                    ..ComponentData::default()
                }],
                properties: vec![prop("aibom:source", "aibom.toml [release]")],
                ..Component::default()
            }
        }
    };
    if !a.listed.is_empty()
        && let Some(data) = c.data.first_mut()
    {
        let entries = a.listed.iter().map(|l| {
            let mut v = serde_json::Map::new();
            v.insert("path".into(), l.path.clone().into());
            v.insert("sha256".into(), l.sha256.to_hex().into());
            if let Some(s) = l.size {
                v.insert("size".into(), s.into());
            }
            prop(
                "aibom:dataset:file",
                serde_json::Value::Object(v).to_string(),
            )
        });
        let contents = data.contents.get_or_insert(DataContents {
            url: None,
            properties: Vec::new(),
        });
        contents.properties.extend(entries);
    }
    c.properties.extend([
        prop("aibom:release:role", a.role.as_str()),
        prop("aibom:release:path", a.path.clone()),
        prop("aibom:release:layout", a.layout.as_str()),
        prop("aibom:release:file-count", a.files.len().to_string()),
    ]);
    c.properties.sort();
    c.components = a.files.iter().map(|f| file_component(a, f)).collect();
    c
}

/// Every metric read from the release's evaluation files, in artifact and file order.
pub fn metrics(release: &ReleaseReport) -> impl Iterator<Item = &Metric> {
    release
        .artifacts
        .iter()
        .flat_map(|a| a.files.iter())
        .filter_map(|f| f.evaluation.as_ref())
        .flat_map(|e| e.metrics.iter())
}

/// A metric as a CycloneDX `performanceMetrics[]` entry.
pub fn performance_metric(m: &Metric) -> PerformanceMetric {
    PerformanceMetric {
        kind: Some(m.metric.clone()),
        value: Some(m.value.clone()),
        slice: Some(m.slice()),
    }
}
