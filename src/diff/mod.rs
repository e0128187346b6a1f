//! Two AIBOMs -> what changed between releases: the [`Diff`] model every renderer reads.
//!
//! Reading is lenient. Documents may come from aibom or from another generator (cdxgen, the
//! OWASP generator, a hand-written one) and be CycloneDX 1.5, 1.6 or 1.7 JSON; aibom's own
//! `aibom:*` properties are used when present and never required. [`Document::read`] takes what
//! the diff compares from the shared reader ([`crate::bom::read::Document`]: the model, its
//! `pedigree.ancestors`, every component, `dependencies[]` and `vulnerabilities[]`) and writes
//! down every part it could not read. [`compare()`] then works on the two readings only.
//!
//! What is compared, and how things are matched across the two documents:
//! - files: `file` components by path (the `name`, or a single `evidence.occurrences[].location`),
//!   content by SHA-256;
//! - components (models, adapters, datasets, libraries, others): by package URL without its
//!   version when there is one, else by type and name; a different version or purl under the
//!   same identity is a version change, not a removal plus an addition;
//! - the model (`metadata.component`): name, version and purl, its licences, and its base models
//!   (`pedigree.ancestors`), matched like components;
//! - findings (`vulnerabilities[]`): by id + path (+ archive member), severity from `ratings[]`;
//! - chat templates: aibom's `template:*` data components, GGUF chat-template digests and
//!   `chat_template.jinja` files, by SHA-256;
//! - dependency edges, with refs resolved to component names so a version bump does not show up
//!   as a rewired graph.
//!
//! Nothing is skipped silently: whatever could not be compared (no hashes, no findings section,
//! a spec version before 1.5, a section that is not an array, ...) is listed in
//! [`Diff::unsupported`]. The drift gates ([`Drift`]) are fail-closed: a gate also trips when
//! the part of the documents it watches could not be compared ([`Diff::undecided`]).
//!
//! CycloneDX JSON reference: <https://cyclonedx.org/docs/1.6/json/>.

//!
//! The files follow that flow: `model.rs` reads a release (what the diff compares of one
//! document), `compare.rs` pairs two readings into a [`Diff`] (the model every renderer reads,
//! defined here), and `gates.rs` decides which [`Drift`] kinds trip.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod compare;
mod gates;
mod model;
mod release;
#[cfg(test)]
mod tests;

use crate::digest::Sha256;
use crate::finding::Severity;
use serde::Serialize;
use std::fmt;

pub use crate::bom::read::Error;
pub use compare::compare;
pub use gates::Drift;
pub use model::Document;
pub use release::release_changes;

/// The sum of change counts (saturating: a count is a length, so it cannot really overflow).
fn total(counts: &[usize]) -> usize {
    counts.iter().fold(0, |a, b| a.saturating_add(*b))
}

/// Which document a remark is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Old,
    New,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

/// The parts of a diff, as named in the output and in [`Unsupported::section`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Document,
    Model,
    Files,
    Components,
    BaseModels,
    Licenses,
    Findings,
    ChatTemplates,
    Dependencies,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Document => "document",
            Section::Model => "model",
            Section::Files => "files",
            Section::Components => "components",
            Section::BaseModels => "base-models",
            Section::Licenses => "licenses",
            Section::Findings => "findings",
            Section::ChatTemplates => "chat-templates",
            Section::Dependencies => "dependencies",
        }
    }
}

/// A finding's severity as CycloneDX rates it (`ratings[].severity`). Ordered; `unknown` (or no
/// rating) sorts lowest but counts as reaching any gate threshold (fail-closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Unknown,
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Rating {
    fn parse(s: &str) -> Rating {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Rating::Critical,
            "high" => Rating::High,
            "medium" => Rating::Medium,
            "low" => Rating::Low,
            "info" => Rating::Info,
            "none" => Rating::None,
            _ => Rating::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Unknown => "unknown",
            Rating::None => "none",
            Rating::Info => "info",
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Critical => "critical",
        }
    }

    /// Whether a finding rated `self` counts for a gate at `threshold`.
    pub fn reaches(self, threshold: Severity) -> bool {
        let s = match self {
            Rating::Unknown => return true,
            Rating::None => return false,
            Rating::Info => Severity::Info,
            Rating::Low => Severity::Low,
            Rating::Medium => Severity::Medium,
            Rating::High => Severity::High,
            Rating::Critical => Severity::Critical,
        };
        s >= threshold
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a component is, for grouping (the CycloneDX `type` is kept beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// `machine-learning-model`.
    Model,
    /// A `machine-learning-model` marked as an adapter (`aibom:model:kind`, or a
    /// `cdx:ai-ml:model:parameter:tune_method` of lora, qlora, alora, adapter or prompt).
    Adapter,
    /// `data` (chat templates are compared on their own).
    Dataset,
    /// `library` or `framework`.
    Library,
    /// Any other type (application, container, platform, ...).
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Model => "model",
            Category::Adapter => "adapter",
            Category::Dataset => "dataset",
            Category::Library => "library",
            Category::Other => "other",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model.

/// What changed between two AIBOMs. Its JSON form is `aibom diff --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: DocumentInfo,
    pub new: DocumentInfo,
    pub summary: Summary,
    /// The model's own identity (`metadata.component` name, version, purl).
    pub model: Vec<FieldChange>,
    pub files: Changes<FileEntry, FileChange>,
    /// Models, adapters, datasets, libraries and other components (not files, not templates).
    pub components: Changes<ComponentEntry, VersionChange>,
    /// The model's `pedigree.ancestors`.
    pub base_models: Changes<ComponentEntry, VersionChange>,
    pub licenses: Vec<LicenseChange>,
    pub findings: FindingChanges,
    pub chat_templates: Vec<TemplateChange>,
    pub dependencies: EdgeChanges,
    /// The release around the model (`[release]`): tier, artifacts, evaluation metrics.
    /// Left out of the JSON when nothing of it changed.
    #[serde(skip_serializing_if = "ReleaseDiff::is_empty")]
    pub release: ReleaseDiff,
    /// What could not be compared, and why.
    pub unsupported: Vec<Unsupported>,
}

/// What changed in the release the two AIBOMs record (their files are in [`Diff::files`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReleaseDiff {
    /// `aibom:release:tier` (`field` is `tier`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<FieldChange>,
    /// Artifacts by component name: added, removed, role or path changed.
    pub artifacts: Changes<ReleaseArtifact, ArtifactChange>,
    /// Metrics by task, metric and filter whose value changed, appeared or disappeared.
    pub metrics: Vec<MetricChange>,
}

impl ReleaseDiff {
    pub fn len(&self) -> usize {
        total(&[
            usize::from(self.tier.is_some()),
            self.artifacts.len(),
            self.metrics.len(),
        ])
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A release artifact as the diff shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReleaseArtifact {
    /// The component's name.
    pub name: String,
    /// `aibom:release:role`.
    pub role: String,
    /// `aibom:release:path`.
    pub path: Option<String>,
}

/// An artifact whose role or path changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactChange {
    pub name: String,
    pub old_role: String,
    pub new_role: String,
    pub old_path: Option<String>,
    pub new_path: Option<String>,
}

/// An evaluation metric whose value changed; `old` or `new` is `None` when it is recorded on
/// one side only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    pub task: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    /// `new - old`, rounded to the decimals written, when both are numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

impl MetricChange {
    /// `arc_easy/acc [none]`, as `[[verify.metric]]` labels name a metric.
    pub fn label(&self) -> String {
        let mut s = format!("{}/{}", self.task, self.metric);
        if let Some(f) = &self.filter {
            s.push_str(&format!(" [{f}]"));
        }
        s
    }

    /// The delta with a sign, to the decimals written (`+0.017`).
    pub fn delta_text(&self) -> Option<String> {
        let places = [&self.old, &self.new]
            .iter()
            .filter_map(|v| v.as_deref())
            .map(release::decimals)
            .max()
            .unwrap_or(0);
        self.delta.map(|d| format!("{d:+.places$}"))
    }
}

/// Facts about one input document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DocumentInfo {
    pub spec_version: Option<String>,
    /// Generators named in `metadata.tools`, as `name version`.
    pub tools: Vec<String>,
    pub model: Option<ModelIdentity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelIdentity {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

/// Counts per section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Whether anything changed (tool and spec versions aside).
    pub changed: bool,
    pub model_fields_changed: usize,
    pub files_added: usize,
    pub files_removed: usize,
    pub files_changed: usize,
    /// Weight files among the files added, removed or changed.
    pub weight_files_changed: usize,
    pub components_added: usize,
    pub components_removed: usize,
    pub components_changed: usize,
    /// Base models added, removed or re-versioned.
    pub base_models_changed: usize,
    pub licenses_changed: usize,
    pub findings_new: usize,
    pub findings_resolved: usize,
    pub findings_escalated: usize,
    pub findings_deescalated: usize,
    pub chat_templates_changed: usize,
    pub dependencies_added: usize,
    pub dependencies_removed: usize,
    pub unsupported: usize,
}

/// One field of the model's identity that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Added, removed and changed entries of one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes<T, C> {
    pub added: Vec<T>,
    pub removed: Vec<T>,
    pub changed: Vec<C>,
}

impl<T, C> Default for Changes<T, C> {
    fn default() -> Self {
        Changes {
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl<T, C> Changes<T, C> {
    pub fn len(&self) -> usize {
        total(&[self.added.len(), self.removed.len(), self.changed.len()])
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: Option<Sha256>,
    /// `aibom:file:format` when recorded.
    pub format: Option<String>,
    /// Model weights, by recorded format or by file extension.
    pub weights: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    pub old_sha256: Sha256,
    pub new_sha256: Sha256,
    pub format: Option<String>,
    pub weights: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ComponentEntry {
    pub category: Category,
    /// The CycloneDX component type.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

/// The same component (same purl without version, or same type and name) in another version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VersionChange {
    pub category: Category,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub old_purl: Option<String>,
    pub new_purl: Option<String>,
}

/// Licences (SPDX ids, names or expressions) of one component, before and after.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LicenseChange {
    /// Whether this is the model itself (`metadata.component`).
    #[serde(rename = "model")]
    pub is_model: bool,
    pub category: Category,
    pub name: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingChanges {
    pub new: Vec<FindingEntry>,
    pub resolved: Vec<FindingEntry>,
    pub escalated: Vec<SeverityChange>,
    pub deescalated: Vec<SeverityChange>,
}

impl FindingChanges {
    pub fn len(&self) -> usize {
        total(&[
            self.new.len(),
            self.resolved.len(),
            self.escalated.len(),
            self.deescalated.len(),
        ])
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingEntry {
    /// The vulnerability id: for aibom, the finding code.
    pub id: String,
    /// The file (or, for other generators, the affected refs) the finding is about.
    pub path: Option<String>,
    pub member: Option<String>,
    pub offset: Option<String>,
    pub severity: Rating,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityChange {
    pub id: String,
    pub path: Option<String>,
    pub member: Option<String>,
    pub old: Rating,
    pub new: Rating,
    pub description: Option<String>,
}

/// A chat template whose digest changed, appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateChange {
    pub name: String,
    pub old_sha256: Option<Sha256>,
    pub new_sha256: Option<Sha256>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EdgeChanges {
    pub added: Vec<Edge>,
    pub removed: Vec<Edge>,
}

/// `from` depends on `to` (component names; the model by its name in the new document).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

/// Something that could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unsupported {
    pub side: Option<Side>,
    pub section: Section,
    pub reason: String,
    /// The paths or names concerned, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
}
