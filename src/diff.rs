//! Two AIBOMs -> what changed between releases: the [`Diff`] model every renderer reads.
//!
//! Reading is lenient. Documents may come from aibom or from another generator (cdxgen, the
//! OWASP generator, a hand-written one) and be CycloneDX 1.5, 1.6 or 1.7 JSON; aibom's own
//! `aibom:*` properties are used when present and never required. [`Document::read`] takes what
//! the diff compares from the shared reader ([`crate::bom::read::Document`]: the model, its
//! `pedigree.ancestors`, every component, `dependencies[]` and `vulnerabilities[]`) and writes
//! down every part it could not read. [`compare`] then works on the two readings only.
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

use crate::bom::read::{self, MAX_DEPTH, Note, Object, Problem, Shape, kind_of, purl_base};
use crate::detect::Format;
use crate::digest::Sha256;
use crate::finding::Severity;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use crate::bom::read::Error;

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

/// Kinds of drift `--fail-on` can gate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum Drift {
    /// A new finding at or above the severity threshold.
    NewFinding,
    /// A finding whose severity rose to at or above the threshold.
    EscalatedFinding,
    /// A weight file changed, was added or was removed while the model's version and purl
    /// stayed the same: new weights shipped under an old name.
    WeightsChangedSameVersion,
    /// A licence of the model or of any component present in both documents changed.
    LicenseChanged,
    /// Base models (pedigree ancestors, model components) added, removed or re-versioned.
    BaseModelChanged,
    FileAdded,
    FileRemoved,
    /// A file's SHA-256 changed.
    FileChanged,
    /// A dataset added, removed, re-versioned, or its licence changed.
    DatasetChanged,
    /// A library (or other software component) added, removed or re-versioned, or a
    /// dependency edge added or removed.
    DependencyChanged,
    /// Any change at all (tool and spec versions aside).
    Any,
}

impl Drift {
    pub const ALL: [Drift; 11] = [
        Drift::NewFinding,
        Drift::EscalatedFinding,
        Drift::WeightsChangedSameVersion,
        Drift::LicenseChanged,
        Drift::BaseModelChanged,
        Drift::FileAdded,
        Drift::FileRemoved,
        Drift::FileChanged,
        Drift::DatasetChanged,
        Drift::DependencyChanged,
        Drift::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Drift::NewFinding => "new-finding",
            Drift::EscalatedFinding => "escalated-finding",
            Drift::WeightsChangedSameVersion => "weights-changed-same-version",
            Drift::LicenseChanged => "license-changed",
            Drift::BaseModelChanged => "base-model-changed",
            Drift::FileAdded => "file-added",
            Drift::FileRemoved => "file-removed",
            Drift::FileChanged => "file-changed",
            Drift::DatasetChanged => "dataset-changed",
            Drift::DependencyChanged => "dependency-changed",
            Drift::Any => "any",
        }
    }

    /// Whether a part of the documents that could not be compared leaves this gate undecided.
    fn undecided_by(self, u: &Unsupported) -> bool {
        use Section as S;
        match self {
            // A missing findings section on the old side makes every new finding new, which
            // the gate counts; only the new side not recording findings hides any.
            Drift::NewFinding | Drift::EscalatedFinding => {
                u.section == S::Findings && u.side == Some(Side::New)
            }
            Drift::WeightsChangedSameVersion => matches!(u.section, S::Files | S::Model),
            Drift::FileAdded | Drift::FileRemoved | Drift::FileChanged => u.section == S::Files,
            Drift::LicenseChanged => matches!(u.section, S::Licenses | S::Model | S::Components),
            Drift::BaseModelChanged => {
                matches!(u.section, S::BaseModels | S::Model | S::Components)
            }
            Drift::DatasetChanged => u.section == S::Components,
            Drift::DependencyChanged => matches!(u.section, S::Components | S::Dependencies),
            Drift::Any => u.section != S::Document,
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Drift {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Drift::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let all: Vec<&str> = Drift::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown drift kind {s:?} (one of: {})", all.join(", "))
            })
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
    /// What could not be compared, and why.
    pub unsupported: Vec<Unsupported>,
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
        self.added.len() + self.removed.len() + self.changed.len()
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
        self.new.len() + self.resolved.len() + self.escalated.len() + self.deescalated.len()
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

impl Diff {
    /// How many changes match a gate (findings counted from `threshold` up).
    pub fn count(&self, drift: Drift, threshold: Severity) -> usize {
        let comps = |pred: &dyn Fn(Category) -> bool| {
            self.components
                .added
                .iter()
                .chain(&self.components.removed)
                .filter(|c| pred(c.category))
                .count()
                + self
                    .components
                    .changed
                    .iter()
                    .filter(|c| pred(c.category))
                    .count()
        };
        match drift {
            Drift::NewFinding => self
                .findings
                .new
                .iter()
                .filter(|f| f.severity.reaches(threshold))
                .count(),
            Drift::EscalatedFinding => self
                .findings
                .escalated
                .iter()
                .filter(|f| f.new.reaches(threshold))
                .count(),
            Drift::WeightsChangedSameVersion => {
                if self
                    .model
                    .iter()
                    .any(|f| f.field == "version" || f.field == "purl")
                {
                    0
                } else {
                    self.summary.weight_files_changed
                }
            }
            Drift::LicenseChanged => self.licenses.len(),
            Drift::BaseModelChanged => {
                self.base_models.len()
                    + comps(&|c| matches!(c, Category::Model | Category::Adapter))
            }
            Drift::FileAdded => self.files.added.len(),
            Drift::FileRemoved => self.files.removed.len(),
            Drift::FileChanged => self.files.changed.len(),
            Drift::DatasetChanged => {
                comps(&|c| c == Category::Dataset)
                    + self
                        .licenses
                        .iter()
                        .filter(|l| !l.is_model && l.category == Category::Dataset)
                        .count()
            }
            Drift::DependencyChanged => {
                comps(&|c| matches!(c, Category::Library | Category::Other))
                    + self.dependencies.added.len()
                    + self.dependencies.removed.len()
            }
            Drift::Any => self.change_count(),
        }
    }

    /// The parts that could not be compared and that leave a gate undecided: the gate trips
    /// on them too (fail-closed).
    pub fn undecided(&self, drift: Drift) -> Vec<&Unsupported> {
        self.unsupported
            .iter()
            .filter(|u| drift.undecided_by(u))
            .collect()
    }

    fn change_count(&self) -> usize {
        self.model.len()
            + self.files.len()
            + self.components.len()
            + self.base_models.len()
            + self.licenses.len()
            + self.findings.len()
            + self.chat_templates.len()
            + self.dependencies.added.len()
            + self.dependencies.removed.len()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: JSON value -> Document (the boundary).

/// A component other than a file or a chat template, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comp {
    category: Category,
    kind: String,
    /// `group/name` when there is a group.
    name: String,
    version: Option<String>,
    purl: Option<String>,
    /// Licence ids, names and expressions, sorted, deduplicated.
    licenses: Vec<String>,
}

impl Comp {
    fn entry(&self) -> ComponentEntry {
        ComponentEntry {
            category: self.category,
            kind: self.kind.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            purl: self.purl.clone(),
        }
    }

    fn name_key(&self) -> String {
        format!("{}|{}", self.kind, self.name)
    }

    fn purl_key(&self) -> Option<String> {
        self.purl.as_deref().map(purl_base)
    }
}

/// A finding as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    id: String,
    path: Option<String>,
    member: Option<String>,
    offset: Option<String>,
    severity: Rating,
    description: Option<String>,
}

impl Found {
    fn entry(&self) -> FindingEntry {
        FindingEntry {
            id: self.id.clone(),
            path: self.path.clone(),
            member: self.member.clone(),
            offset: self.offset.clone(),
            severity: self.severity,
            description: self.description.clone(),
        }
    }
}

/// One CycloneDX document as the diff compares it, from a [`read::Document`]: what could be
/// read, and notes on what could not.
#[derive(Debug, Clone, Default)]
pub struct Document {
    info: DocumentInfo,
    /// `metadata.component`, when it names anything.
    root: Option<Comp>,
    root_ref: Option<String>,
    ancestors: Vec<Comp>,
    components: Vec<Comp>,
    files: BTreeMap<String, FileEntry>,
    /// Template name -> digest (`None`: listed without a SHA-256).
    templates: BTreeMap<String, Option<Sha256>>,
    /// `None`: the document does not record findings.
    findings: Option<Vec<Found>>,
    /// `None`: no `dependencies` section.
    edges: Option<BTreeSet<(String, String)>>,
    /// bom-ref -> display name.
    labels: BTreeMap<String, String>,
    notes: Vec<(Section, String, Vec<String>)>,
}

/// Licence ids, names and expressions of a component, sorted, deduplicated.
fn licenses_of(v: Object<'_>) -> Vec<String> {
    let mut out: Vec<String> = v
        .licenses()
        .filter_map(|l| {
            l.expression
                .trimmed()
                .or_else(|| l.id.trimmed().or_else(|| l.name.trimmed()))
                .map(str::to_owned)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn is_adapter(v: Object<'_>) -> bool {
    if v.property("aibom:model:kind") == Some("adapter") {
        return true;
    }
    let tune = v
        .property("cdx:ai-ml:model:parameter:tune_method")
        .or_else(|| {
            v.get("modelCard")
                .object()
                .property("cdx:ai-ml:model:parameter:tune_method")
        });
    tune.is_some_and(|t| {
        matches!(
            t.to_ascii_lowercase().as_str(),
            "lora" | "qlora" | "alora" | "adapter" | "prompt"
        )
    })
}

fn category(kind: &str, v: Object<'_>) -> Category {
    match kind {
        "machine-learning-model" if is_adapter(v) => Category::Adapter,
        "machine-learning-model" => Category::Model,
        "data" => Category::Dataset,
        "library" | "framework" => Category::Library,
        _ => Category::Other,
    }
}

/// The formats whose files are weights (or can carry them), as aibom names them in
/// `aibom:file:format` ([`Format::describe`]).
const WEIGHT_FORMATS: [Format; 14] = [
    Format::Pickle,
    Format::PytorchLegacy,
    Format::PytorchTar,
    Format::Joblib,
    Format::PytorchZip,
    Format::TorchScript,
    Format::Npz,
    Format::Keras,
    Format::Npy,
    Format::Safetensors,
    Format::Gguf,
    Format::Hdf5,
    Format::Onnx,
    Format::SavedModel,
];

/// File extensions of weights, for documents that do not record a format.
const WEIGHT_EXTENSIONS: [&str; 21] = [
    "safetensors",
    "bin",
    "pt",
    "pth",
    "ckpt",
    "pkl",
    "pickle",
    "joblib",
    "npy",
    "npz",
    "gguf",
    "ggml",
    "onnx",
    "h5",
    "hdf5",
    "keras",
    "pb",
    "tflite",
    "msgpack",
    "mlmodel",
    "nemo",
];

fn is_weights(path: &str, format: Option<&str>) -> bool {
    if format.is_some_and(|f| WEIGHT_FORMATS.iter().any(|w| w.describe() == f)) {
        return true;
    }
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    // Compressed weights (`model.pkl.gz`) count by the inner extension.
    let base = ["gz", "bz2", "xz", "zst", "lzma", "7z", "zip"]
        .iter()
        .find_map(|c| base.strip_suffix(&format!(".{c}")).map(str::to_owned))
        .unwrap_or(base);
    base.contains("variables.data-")
        || base
            .rsplit_once('.')
            .is_some_and(|(_, ext)| WEIGHT_EXTENSIONS.contains(&ext))
}

/// A component's SHA-256 (any spelling of the algorithm's name), or why there is none.
fn sha256_of(v: Object<'_>) -> Result<Option<Sha256>, String> {
    if let Shape::Other(found) = v.get("hashes").shape() {
        return Err(format!("hashes is {found}"));
    }
    for h in v.hashes() {
        let alg = h
            .alg
            .trimmed()
            .unwrap_or_default()
            .to_ascii_uppercase()
            .replace(['-', '_'], "");
        if alg == "SHA256" {
            let content = h.content.trimmed().unwrap_or_default();
            return content
                .to_ascii_lowercase()
                .parse::<Sha256>()
                .map(Some)
                .map_err(|e| format!("SHA-256 unreadable: {e}"));
        }
    }
    Ok(None)
}

fn is_template(kind: &str, v: Object<'_>) -> bool {
    kind == "data"
        && (v
            .get("bom-ref")
            .trimmed()
            .is_some_and(|r| r.starts_with("template:"))
            || v.get("name")
                .trimmed()
                .is_some_and(|n| n.eq_ignore_ascii_case("chat_template"))
            || v.data().any(|d| {
                d.get("name")
                    .trimmed()
                    .is_some_and(|n| n.eq_ignore_ascii_case("chat_template"))
            }))
}

/// `group/name`, or the name.
fn full_name(v: Object<'_>) -> Option<String> {
    let name = v.get("name").trimmed()?;
    Some(match v.get("group").trimmed() {
        Some(g) => format!("{g}/{name}"),
        None => name.to_owned(),
    })
}

fn read_comp(v: Object<'_>, kind: &str, name: String) -> Comp {
    Comp {
        category: category(kind, v),
        kind: kind.to_owned(),
        name,
        version: v.get("version").trimmed().map(str::to_owned),
        purl: v.get("purl").trimmed().map(str::to_owned),
        licenses: licenses_of(v),
    }
}

impl Document {
    /// Reads a parsed CycloneDX JSON document (see [`read::Document::from_value`]).
    pub fn from_value(doc: &Value) -> Result<Document, Error> {
        read::Document::from_value(doc).map(|d| Document::read(&d))
    }

    /// What the diff compares of a document, with notes on every part it could not read.
    pub fn read(doc: &read::Document<'_>) -> Document {
        let mut d = Document::default();
        for n in &doc.notes {
            d.structure_note(n);
        }
        d.read_spec_version(doc.root);
        d.read_tools(doc);
        if let Some(m) = doc.model {
            d.read_root(m);
        }
        for c in &doc.components {
            d.read_component(c);
        }
        d.read_dependencies(doc);
        // aibom writes `vulnerabilities` only when there are findings and marks every document
        // it wrote after a scan with `aibom:scan:verdict`; other generators may not scan at all.
        let scanned = doc.metadata.property("aibom:scan:verdict").is_some();
        match doc.vulnerabilities {
            Shape::Array(a) => d.read_findings(a),
            Shape::Other(found) => d.note(
                Section::Findings,
                &format!("vulnerabilities is {found}: findings not read"),
                vec![],
            ),
            Shape::Absent if scanned => d.findings = Some(Vec::new()),
            Shape::Absent => d.note(
                Section::Findings,
                "no vulnerabilities section: findings were not recorded",
                vec![],
            ),
        }
        if d.files.is_empty() {
            d.note(
                Section::Files,
                "no file components: file contents cannot be compared",
                vec![],
            );
        }
        d
    }

    fn note(&mut self, section: Section, reason: &str, items: Vec<String>) {
        self.notes.push((section, reason.to_owned(), items));
    }

    /// The reader's notes, worded for the diff; sections the diff reads itself
    /// (`vulnerabilities`) or does not compare (the model card's datasets) are left out.
    fn structure_note(&mut self, n: &Note) {
        let at = n.at.as_str();
        let (section, reason) = match (at, n.problem) {
            (_, Problem::NoBomFormat) => (
                Section::Document,
                "no bomFormat: read as CycloneDX anyway".to_owned(),
            ),
            ("metadata", Problem::NotAnObject { found }) => {
                (Section::Document, format!("metadata is {found}: not read"))
            }
            ("metadata.component", Problem::Missing) => (
                Section::Model,
                "no metadata.component: the model's identity, licence and base models are not compared".to_owned(),
            ),
            ("metadata.component", Problem::NotAnObject { found }) => (
                Section::Model,
                format!(
                    "metadata.component is {found}: the model's identity, licence and base models are not compared"
                ),
            ),
            ("metadata.component.pedigree.ancestors", Problem::NotAnArray { found }) => (
                Section::BaseModels,
                format!("pedigree.ancestors is {found}: not read"),
            ),
            ("dependencies", Problem::Missing) => (
                Section::Dependencies,
                "no dependencies section: dependency edges not recorded".to_owned(),
            ),
            ("dependencies", Problem::NotAnArray { found }) => (
                Section::Dependencies,
                format!("dependencies is {found}: not read"),
            ),
            ("vulnerabilities" | "metadata.component.modelCard.modelParameters.datasets", _) => {
                return;
            }
            (_, Problem::NotAnArray { found } | Problem::NotAnObject { found }) => {
                (Section::Components, format!("{at} is {found}: not read"))
            }
            (_, Problem::TooDeep) => {
                // The whole path is long; the top-level entry says where.
                let top = at.find(']').and_then(|i| at.get(..=i)).unwrap_or(at);
                (
                    Section::Components,
                    format!("components nest deeper than {MAX_DEPTH} levels in {top}: the rest is not read"),
                )
            }
            (_, Problem::Missing) => return,
        };
        self.note(section, &reason, vec![]);
    }

    fn read_spec_version(&mut self, doc: Object<'_>) {
        let Some(v) = doc.get("specVersion").trimmed() else {
            self.note(
                Section::Document,
                "no specVersion: read as CycloneDX 1.6",
                vec![],
            );
            return;
        };
        self.info.spec_version = Some(v.to_owned());
        let parsed = v
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        match parsed {
            // A gap for every gate that watches components (fail-closed).
            Some(ver) if ver < (1, 5) => self.note(
                Section::Components,
                &format!(
                    "specVersion {v} predates machine-learning-model and data components \
                     (CycloneDX 1.5): models and datasets may be missing or listed as other components"
                ),
                vec![],
            ),
            Some(ver) if ver > (1, 7) => self.note(
                Section::Document,
                &format!("specVersion {v} is newer than 1.7: fields added since 1.7 are not compared"),
                vec![],
            ),
            Some(_) => {}
            None => self.note(
                Section::Document,
                &format!("specVersion {v:?} is not a version: read as CycloneDX 1.6"),
                vec![],
            ),
        }
    }

    fn read_tools(&mut self, doc: &read::Document<'_>) {
        for t in doc.tools().1 {
            if let Some(name) = full_name(t) {
                self.info.tools.push(match t.get("version").trimmed() {
                    Some(v) => format!("{name} {v}"),
                    None => name,
                });
            }
        }
    }

    fn read_root(&mut self, c: Object<'_>) {
        let kind = c.get("type").trimmed().unwrap_or("application").to_owned();
        let name = full_name(c).unwrap_or_else(|| "(unnamed)".to_owned());
        let root = read_comp(c, &kind, name.clone());
        self.info.model = Some(ModelIdentity {
            name: name.clone(),
            version: root.version.clone(),
            purl: root.purl.clone(),
        });
        if let Some(r) = c.get("bom-ref").trimmed() {
            self.root_ref = Some(r.to_owned());
            self.labels.insert(r.to_owned(), name);
        }
        self.root = Some(root);
        for (i, anc) in c.ancestors().objects().enumerate() {
            match full_name(anc) {
                Some(n) => {
                    let kind = anc
                        .get("type")
                        .trimmed()
                        .unwrap_or("machine-learning-model");
                    self.ancestors.push(read_comp(anc, kind, n));
                }
                None => self.note(
                    Section::BaseModels,
                    &format!("pedigree.ancestors[{i}] has no name: not compared"),
                    vec![],
                ),
            }
        }
    }

    fn read_component(&mut self, c: &read::Component<'_>) {
        let here = c.at.as_str();
        let kind = match c.get("type").trimmed() {
            Some(k) => k.to_owned(),
            None => {
                // Still compared: a remark, not a gap.
                self.note(
                    Section::Document,
                    &format!("{here} has no type: compared as an other component"),
                    vec![],
                );
                "unknown".to_owned()
            }
        };
        if kind == "file" {
            self.read_file(c.object, here);
        } else if is_template(&kind, c.object) {
            self.read_template(c.object, here);
        } else {
            match full_name(c.object) {
                Some(name) => {
                    if let Some(r) = c.get("bom-ref").trimmed() {
                        self.labels.insert(r.to_owned(), name.clone());
                    }
                    self.components.push(read_comp(c.object, &kind, name));
                }
                None => self.note(
                    Section::Components,
                    &format!("{here} has no name: not compared"),
                    vec![],
                ),
            }
        }
    }

    fn read_file(&mut self, c: Object<'_>, here: &str) {
        let locations: Vec<&str> = c
            .get("evidence")
            .object()
            .get("occurrences")
            .objects()
            .filter_map(|o| o.get("location").trimmed())
            .collect();
        let path = match (locations.as_slice(), c.get("name").trimmed()) {
            ([one], _) => (*one).to_owned(),
            (_, Some(n)) => n.to_owned(),
            ([first, ..], None) => (*first).to_owned(),
            ([], None) => {
                self.note(
                    Section::Files,
                    &format!("{here} is a file without a name or location: not compared"),
                    vec![],
                );
                return;
            }
        };
        if let Some(r) = c.get("bom-ref").trimmed() {
            self.labels.insert(r.to_owned(), path.clone());
        }
        let sha256 = match sha256_of(c) {
            Ok(h) => h,
            Err(e) => {
                self.note(Section::Files, &e, vec![path.clone()]);
                None
            }
        };
        let format = c.property("aibom:file:format").map(str::to_owned);
        if let Some(t) = c.property("aibom:gguf:chat-template-sha256") {
            let digest = t.to_ascii_lowercase().parse::<Sha256>().ok();
            if digest.is_none() {
                self.note(
                    Section::ChatTemplates,
                    "GGUF chat-template digest unreadable",
                    vec![path.clone()],
                );
            }
            self.templates
                .insert(format!("{path} (GGUF chat template)"), digest);
        }
        if c.property("aibom:file:role") == Some("chat-template") {
            self.templates.insert(path.clone(), sha256);
        }
        let entry = FileEntry {
            weights: is_weights(&path, format.as_deref()),
            path: path.clone(),
            sha256,
            format,
        };
        match self.files.entry(path.clone()) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(entry);
            }
            std::collections::btree_map::Entry::Occupied(_) => self.note(
                Section::Files,
                "file listed more than once: the first listing is compared",
                vec![path],
            ),
        }
    }

    fn read_template(&mut self, c: Object<'_>, here: &str) {
        let bom_ref = c.get("bom-ref").trimmed();
        let name = bom_ref
            .and_then(|r| r.strip_prefix("template:"))
            .map(str::to_owned)
            .or_else(|| full_name(c))
            .unwrap_or_else(|| here.to_owned());
        if let Some(r) = bom_ref {
            self.labels.insert(r.to_owned(), name.clone());
        }
        let digest = match sha256_of(c) {
            Ok(h) => h,
            Err(e) => {
                self.note(Section::ChatTemplates, &e, vec![name.clone()]);
                None
            }
        };
        self.templates.insert(name, digest);
    }

    fn read_dependencies(&mut self, doc: &read::Document<'_>) {
        if !doc.dependencies.is_array() {
            return;
        }
        let mut edges = BTreeSet::new();
        let mut unreadable = 0usize;
        for d in doc.dependencies() {
            let Some(from) = d.get("ref").trimmed() else {
                unreadable += 1;
                continue;
            };
            for to in d.get("dependsOn").items() {
                match to.as_str() {
                    Some(to) => {
                        edges.insert((from.to_owned(), to.to_owned()));
                    }
                    None => unreadable += 1,
                }
            }
        }
        if unreadable > 0 {
            self.note(
                Section::Dependencies,
                &format!("{unreadable} dependency entries without a ref: not compared"),
                vec![],
            );
        }
        self.edges = Some(edges);
    }

    fn read_findings(&mut self, list: &[Value]) {
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            if !v.is_object() {
                self.note(
                    Section::Findings,
                    &format!("vulnerabilities[{i}] is {}: not read", kind_of(v)),
                    vec![],
                );
                continue;
            }
            let v = Object::new(v);
            let id = v
                .get("id")
                .trimmed()
                .or_else(|| v.property("aibom:finding:code"))
                .or_else(|| v.get("bom-ref").trimmed())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("vulnerabilities[{i}]"));
            let path = v
                .property("aibom:finding:path")
                .map(str::to_owned)
                .or_else(|| {
                    let mut refs: Vec<&str> = v
                        .get("affects")
                        .objects()
                        .filter_map(|a| a.get("ref").trimmed())
                        .map(|r| r.strip_prefix("file:").unwrap_or(r))
                        .collect();
                    refs.sort();
                    refs.dedup();
                    (!refs.is_empty()).then(|| refs.join(", "))
                });
            let severity = v
                .rated_severities()
                .filter_map(|s| s.trimmed())
                .map(Rating::parse)
                .max()
                .unwrap_or(Rating::Unknown);
            out.push(Found {
                id,
                path,
                member: v.property("aibom:finding:member").map(str::to_owned),
                offset: v.property("aibom:finding:offset").map(str::to_owned),
                severity,
                description: v
                    .get("description")
                    .trimmed()
                    .or_else(|| v.get("detail").trimmed())
                    .map(str::to_owned),
            });
        }
        self.findings = Some(out);
    }

    fn label(&self, r: &str, root_label: Option<&str>) -> String {
        if let (Some(root), Some(l)) = (&self.root_ref, root_label)
            && root == r
        {
            return l.to_owned();
        }
        self.labels.get(r).cloned().unwrap_or_else(|| r.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing.

/// Matches components of two lists: by purl without version, else by type and name. A
/// component without a purl joins the purl identity of the same type and name when there is
/// exactly one, so a document with purls and one without still line up.
fn match_components(
    old: &[Comp],
    new: &[Comp],
) -> (Changes<ComponentEntry, VersionChange>, Vec<(Comp, Comp)>) {
    let mut purls_by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in old.iter().chain(new) {
        if let Some(p) = c.purl_key() {
            purls_by_name.entry(c.name_key()).or_default().insert(p);
        }
    }
    let bucket = |c: &Comp| -> String {
        if let Some(p) = c.purl_key() {
            return format!("purl|{p}");
        }
        match purls_by_name.get(&c.name_key()) {
            Some(set) if set.len() == 1 => {
                format!("purl|{}", set.iter().next().cloned().unwrap_or_default())
            }
            _ => format!("name|{}", c.name_key()),
        }
    };
    let mut buckets: BTreeMap<String, (Vec<&Comp>, Vec<&Comp>)> = BTreeMap::new();
    for c in old {
        buckets.entry(bucket(c)).or_default().0.push(c);
    }
    for c in new {
        buckets.entry(bucket(c)).or_default().1.push(c);
    }
    let mut out = Changes::default();
    let mut pairs = Vec::new();
    for (_, (mut o, mut n)) in buckets {
        let id = |c: &&Comp| (c.version.clone(), c.purl.clone());
        o.sort_by_key(id);
        o.dedup_by_key(|c| id(c));
        n.sort_by_key(id);
        n.dedup_by_key(|c| id(c));
        let common: Vec<(&Comp, &Comp)> = o
            .iter()
            .filter_map(|a| n.iter().find(|b| id(a) == id(b)).map(|b| (*a, *b)))
            .collect();
        let only_o: Vec<&Comp> = o
            .iter()
            .filter(|a| !n.iter().any(|b| id(a) == id(b)))
            .copied()
            .collect();
        let only_n: Vec<&Comp> = n
            .iter()
            .filter(|b| !o.iter().any(|a| id(a) == id(b)))
            .copied()
            .collect();
        pairs.extend(common.into_iter().map(|(a, b)| (a.clone(), b.clone())));
        if let ([a], [b]) = (only_o.as_slice(), only_n.as_slice()) {
            out.changed.push(VersionChange {
                category: b.category,
                kind: b.kind.clone(),
                name: b.name.clone(),
                old_version: a.version.clone(),
                new_version: b.version.clone(),
                old_purl: a.purl.clone(),
                new_purl: b.purl.clone(),
            });
            pairs.push(((*a).clone(), (*b).clone()));
        } else {
            out.removed.extend(only_o.iter().map(|c| c.entry()));
            out.added.extend(only_n.iter().map(|c| c.entry()));
        }
    }
    out.added.sort();
    out.removed.sort();
    out.changed.sort();
    (out, pairs)
}

fn lower_set(v: &[String]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn license_change(is_model: bool, a: &Comp, b: &Comp) -> Option<LicenseChange> {
    (lower_set(&a.licenses) != lower_set(&b.licenses)).then(|| LicenseChange {
        is_model,
        category: b.category,
        name: b.name.clone(),
        old: a.licenses.clone(),
        new: b.licenses.clone(),
    })
}

/// Pairs findings with the same id, path and member. Equal severities cancel out; what is left
/// is paired highest with highest (an escalation or de-escalation), and the rest is new or
/// resolved.
fn compare_findings(old: &[Found], new: &[Found]) -> FindingChanges {
    type Key = (String, Option<String>, Option<String>);
    let key = |f: &Found| -> Key { (f.id.clone(), f.path.clone(), f.member.clone()) };
    let mut groups: BTreeMap<Key, (Vec<&Found>, Vec<&Found>)> = BTreeMap::new();
    for f in old {
        groups.entry(key(f)).or_default().0.push(f);
    }
    for f in new {
        groups.entry(key(f)).or_default().1.push(f);
    }
    let mut out = FindingChanges::default();
    for (_, (mut o, mut n)) in groups {
        let order = |a: &&Found, b: &&Found| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.offset.cmp(&b.offset))
                .then_with(|| a.description.cmp(&b.description))
        };
        o.sort_by(order);
        n.sort_by(order);
        // Cancel equal severities.
        let mut left_o = Vec::new();
        for f in o {
            match n.iter().position(|g| g.severity == f.severity) {
                Some(i) => {
                    n.remove(i);
                }
                None => left_o.push(f),
            }
        }
        let mut n = n.into_iter();
        for a in left_o {
            match n.next() {
                Some(b) => {
                    let change = SeverityChange {
                        id: b.id.clone(),
                        path: b.path.clone(),
                        member: b.member.clone(),
                        old: a.severity,
                        new: b.severity,
                        description: b.description.clone(),
                    };
                    if b.severity > a.severity {
                        out.escalated.push(change);
                    } else {
                        out.deescalated.push(change);
                    }
                }
                None => out.resolved.push(a.entry()),
            }
        }
        out.new.extend(n.map(Found::entry));
    }
    let by_severity = |a: &FindingEntry, b: &FindingEntry| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.member.cmp(&b.member))
            .then_with(|| a.offset.cmp(&b.offset))
    };
    out.new.sort_by(by_severity);
    out.resolved.sort_by(by_severity);
    let by_new = |a: &SeverityChange, b: &SeverityChange| {
        b.new
            .cmp(&a.new)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.member.cmp(&b.member))
    };
    out.escalated.sort_by(by_new);
    out.deescalated.sort_by(by_new);
    out
}

/// Compares two documents.
pub fn compare(old: &Document, new: &Document) -> Diff {
    let mut unsupported: Vec<Unsupported> = Vec::new();
    for (side, doc) in [(Side::Old, old), (Side::New, new)] {
        for (section, reason, items) in &doc.notes {
            unsupported.push(Unsupported {
                side: Some(side),
                section: *section,
                reason: reason.clone(),
                items: items.clone(),
            });
        }
    }

    // The model itself.
    let mut model = Vec::new();
    let mut licenses = Vec::new();
    if let (Some(a), Some(b)) = (&old.info.model, &new.info.model) {
        for (field, x, y) in [
            ("name", Some(a.name.clone()), Some(b.name.clone())),
            ("version", a.version.clone(), b.version.clone()),
            ("purl", a.purl.clone(), b.purl.clone()),
        ] {
            if x != y {
                model.push(FieldChange {
                    field,
                    old: x,
                    new: y,
                });
            }
        }
    }
    if let (Some(a), Some(b)) = (&old.root, &new.root) {
        licenses.extend(license_change(true, a, b));
    }

    // Files.
    let mut files = Changes::default();
    let mut no_hash = Vec::new();
    for (path, a) in &old.files {
        match new.files.get(path) {
            None => files.removed.push(a.clone()),
            Some(b) => match (a.sha256, b.sha256) {
                (Some(x), Some(y)) if x != y => files.changed.push(FileChange {
                    path: path.clone(),
                    old_sha256: x,
                    new_sha256: y,
                    format: b.format.clone().or_else(|| a.format.clone()),
                    weights: a.weights || b.weights,
                }),
                (Some(_), Some(_)) => {}
                (x, y) => no_hash.push((path.clone(), x.is_none(), y.is_none())),
            },
        }
    }
    for (path, b) in &new.files {
        if !old.files.contains_key(path) {
            files.added.push(b.clone());
        }
    }
    for (side, pick) in [(Side::Old, 1usize), (Side::New, 2usize)] {
        let items: Vec<String> = no_hash
            .iter()
            .filter(|(_, o, n)| if pick == 1 { *o } else { *n })
            .map(|(p, _, _)| p.clone())
            .collect();
        if !items.is_empty() {
            unsupported.push(Unsupported {
                side: Some(side),
                section: Section::Files,
                reason: format!(
                    "{} files listed in both documents have no SHA-256 here: their contents are not compared",
                    items.len()
                ),
                items,
            });
        }
    }

    // Components and base models.
    let (components, pairs) = match_components(&old.components, &new.components);
    for (a, b) in &pairs {
        licenses.extend(license_change(false, a, b));
    }
    let (base_models, _) = match_components(&old.ancestors, &new.ancestors);
    licenses.sort();

    // Findings.
    let findings = compare_findings(
        old.findings.as_deref().unwrap_or_default(),
        new.findings.as_deref().unwrap_or_default(),
    );

    // Chat templates.
    let mut chat_templates = Vec::new();
    let mut no_digest = Vec::new();
    let names: BTreeSet<&String> = old.templates.keys().chain(new.templates.keys()).collect();
    for name in names {
        let a = old.templates.get(name);
        let b = new.templates.get(name);
        match (a, b) {
            (Some(Some(x)), Some(Some(y))) if x == y => {}
            (Some(None), _) | (_, Some(None)) => no_digest.push(name.clone()),
            _ => chat_templates.push(TemplateChange {
                name: name.clone(),
                old_sha256: a.copied().flatten(),
                new_sha256: b.copied().flatten(),
            }),
        }
    }
    if !no_digest.is_empty() {
        unsupported.push(Unsupported {
            side: None,
            section: Section::ChatTemplates,
            reason: "chat templates without a SHA-256: not compared".to_owned(),
            items: no_digest,
        });
    }

    // Dependency edges, by component name; the model by its name in the new document.
    let root_label = new
        .info
        .model
        .as_ref()
        .or(old.info.model.as_ref())
        .map(|m| m.name.clone());
    let edges = |d: &Document| -> BTreeSet<Edge> {
        d.edges
            .iter()
            .flatten()
            .map(|(f, t)| Edge {
                from: d.label(f, root_label.as_deref()),
                to: d.label(t, root_label.as_deref()),
            })
            .collect()
    };
    let (ea, eb) = (edges(old), edges(new));
    let dependencies = EdgeChanges {
        added: eb.difference(&ea).cloned().collect(),
        removed: ea.difference(&eb).cloned().collect(),
    };

    unsupported.sort();
    let mut diff = Diff {
        old: old.info.clone(),
        new: new.info.clone(),
        summary: Summary::default(),
        model,
        files,
        components,
        base_models,
        licenses,
        findings,
        chat_templates,
        dependencies,
        unsupported,
    };
    diff.summary = Summary {
        changed: diff.change_count() > 0,
        model_fields_changed: diff.model.len(),
        files_added: diff.files.added.len(),
        files_removed: diff.files.removed.len(),
        files_changed: diff.files.changed.len(),
        weight_files_changed: diff.files.added.iter().filter(|f| f.weights).count()
            + diff.files.removed.iter().filter(|f| f.weights).count()
            + diff.files.changed.iter().filter(|f| f.weights).count(),
        components_added: diff.components.added.len(),
        components_removed: diff.components.removed.len(),
        components_changed: diff.components.changed.len(),
        base_models_changed: diff.base_models.len(),
        licenses_changed: diff.licenses.len(),
        findings_new: diff.findings.new.len(),
        findings_resolved: diff.findings.resolved.len(),
        findings_escalated: diff.findings.escalated.len(),
        findings_deescalated: diff.findings.deescalated.len(),
        chat_templates_changed: diff.chat_templates.len(),
        dependencies_added: diff.dependencies.added.len(),
        dependencies_removed: diff.dependencies.removed.len(),
        unsupported: diff.unsupported.len(),
    };
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Document {
        Document::from_value(&v).expect("readable")
    }

    fn diff(a: Value, b: Value) -> Diff {
        compare(&read(a), &read(b))
    }

    fn bom(components: Value, vulns: Value) -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "metadata": {
                "component": {"type": "machine-learning-model", "bom-ref": "m", "name": "m"},
                "properties": [{"name": "aibom:scan:verdict", "value": "clean"}]
            },
            "components": components,
            "dependencies": [],
            "vulnerabilities": vulns,
        })
    }

    fn vuln(id: &str, path: &str, sev: &str) -> Value {
        json!({
            "id": id,
            "ratings": [{"severity": sev}],
            "affects": [{"ref": format!("file:{path}")}],
            "properties": [{"name": "aibom:finding:path", "value": path}]
        })
    }

    #[test]
    fn rejects_a_document_that_is_not_an_object() {
        assert!(matches!(
            Document::from_value(&json!([1, 2])),
            Err(Error::NotAnObject { found: "an array" })
        ));
    }

    #[test]
    fn rejects_a_document_of_another_format() {
        assert!(matches!(
            Document::from_value(&json!({"spdxVersion": "SPDX-2.3", "bomFormat": "SPDX"})),
            Err(Error::NotCycloneDx { found }) if found == "SPDX"
        ));
    }

    #[test]
    fn strips_versions_qualifiers_and_subpaths_from_purls() {
        assert_eq!(purl_base("pkg:pypi/peft@0.11.1"), "pkg:pypi/peft");
        assert_eq!(
            purl_base("pkg:npm/%40scope/x@1.0?a=b#sub"),
            "pkg:npm/%40scope/x"
        );
        assert_eq!(
            purl_base("pkg:huggingface/aibom/tiny-base"),
            "pkg:huggingface/aibom/tiny-base"
        );
    }

    #[test]
    fn a_pinned_library_bump_is_a_version_change_not_remove_and_add() {
        let lib = |v: &str| {
            json!([{"type": "library", "name": "peft", "version": v,
                    "purl": format!("pkg:pypi/peft@{v}")}])
        };
        let d = diff(bom(lib("0.11.1"), json!([])), bom(lib("0.12.0"), json!([])));
        assert!(d.components.added.is_empty() && d.components.removed.is_empty());
        assert_eq!(d.components.changed.len(), 1);
        let c = &d.components.changed[0];
        assert_eq!(c.old_version.as_deref(), Some("0.11.1"));
        assert_eq!(c.new_version.as_deref(), Some("0.12.0"));
        assert_eq!(d.count(Drift::DependencyChanged, Severity::High), 1);
    }

    #[test]
    fn a_component_without_purl_matches_the_same_name_with_one() {
        let a = json!([{"type": "library", "name": "torch"}]);
        let b = json!([{"type": "library", "name": "torch", "version": "2.1",
                        "purl": "pkg:pypi/torch@2.1"}]);
        let d = diff(bom(a, json!([])), bom(b, json!([])));
        assert_eq!(d.components.changed.len(), 1, "{:?}", d.components);
    }

    #[test]
    fn severity_changes_are_escalations_or_de_escalations() {
        let a = json!([vuln("x", "a.pkl", "low"), vuln("y", "b.pkl", "critical")]);
        let b = json!([vuln("x", "a.pkl", "high"), vuln("y", "b.pkl", "medium")]);
        let d = diff(bom(json!([]), a), bom(json!([]), b));
        assert_eq!(d.findings.escalated.len(), 1);
        assert_eq!(d.findings.escalated[0].old, Rating::Low);
        assert_eq!(d.findings.escalated[0].new, Rating::High);
        assert_eq!(d.findings.deescalated.len(), 1);
        assert!(d.findings.new.is_empty() && d.findings.resolved.is_empty());
        assert_eq!(d.count(Drift::EscalatedFinding, Severity::High), 1);
        assert_eq!(d.count(Drift::EscalatedFinding, Severity::Critical), 0);
    }

    #[test]
    fn repeated_findings_pair_up_by_severity_and_the_rest_is_new_or_resolved() {
        let a = json!([vuln("x", "a.pkl", "high"), vuln("z", "c.pkl", "low")]);
        let b = json!([vuln("x", "a.pkl", "high"), vuln("x", "a.pkl", "high")]);
        let d = diff(bom(json!([]), a), bom(json!([]), b));
        assert_eq!(d.findings.new.len(), 1);
        assert_eq!(d.findings.resolved.len(), 1);
        assert_eq!(d.findings.resolved[0].id, "z");
        assert!(d.findings.escalated.is_empty());
    }

    #[test]
    fn unknown_severity_counts_for_every_gate() {
        assert!(Rating::Unknown.reaches(Severity::Critical));
        assert!(!Rating::None.reaches(Severity::Info));
        assert!(Rating::High.reaches(Severity::High));
        assert!(!Rating::Medium.reaches(Severity::High));
    }

    #[test]
    fn chat_template_digest_changes_are_reported() {
        let t = |h: &str| {
            json!([{"type": "data", "bom-ref": "template:tokenizer_config.json#chat_template",
                    "name": "chat_template", "hashes": [{"alg": "SHA-256", "content": h}]}])
        };
        let d = diff(
            bom(t(&"a".repeat(64)), json!([])),
            bom(t(&"b".repeat(64)), json!([])),
        );
        assert_eq!(d.chat_templates.len(), 1);
        assert_eq!(
            d.chat_templates[0].name,
            "tokenizer_config.json#chat_template"
        );
        assert!(d.components.is_empty(), "a template is not a dataset");
    }

    #[test]
    fn weights_are_known_by_format_or_extension() {
        assert!(is_weights("x/model-00001-of-00002.safetensors", None));
        assert!(is_weights("model.pkl.gz", None));
        assert!(is_weights("weights", Some("PyTorch zip checkpoint")));
        assert!(is_weights("variables/variables.data-00000-of-00001", None));
        assert!(!is_weights("config.json", Some("JSON")));
        assert!(!is_weights("README.md", None));
    }

    #[test]
    fn unknown_drift_kinds_are_rejected_with_the_list() {
        let e = "weights".parse::<Drift>().unwrap_err();
        assert!(e.contains("weights-changed-same-version"), "{e}");
        assert_eq!("File-Added".parse::<Drift>(), Ok(Drift::FileAdded));
    }

    #[test]
    fn old_spec_versions_and_missing_sections_are_noted() {
        let d = read(json!({"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {}}));
        let reasons: Vec<&str> = d.notes.iter().map(|(_, r, _)| r.as_str()).collect();
        assert!(
            reasons.iter().any(|r| r.contains("predates")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("components is an object"))
        );
        assert!(reasons.iter().any(|r| r.contains("no metadata.component")));
        assert!(reasons.iter().any(|r| r.contains("no vulnerabilities")));
        assert!(reasons.iter().any(|r| r.contains("no dependencies")));
    }

    #[test]
    fn a_side_that_records_no_findings_leaves_the_finding_gate_undecided_only_when_new() {
        let scanned = bom(json!([]), json!([]));
        let mut unscanned = scanned.clone();
        unscanned["metadata"]["properties"] = json!([]);
        unscanned
            .as_object_mut()
            .map(|o| o.remove("vulnerabilities"));
        let d = diff(unscanned.clone(), scanned.clone());
        assert!(d.undecided(Drift::NewFinding).is_empty());
        let d = diff(scanned, unscanned);
        assert_eq!(d.undecided(Drift::NewFinding).len(), 1);
    }

    #[test]
    fn a_document_before_1_5_leaves_component_gates_undecided() {
        let mut a = bom(json!([]), json!([]));
        a["specVersion"] = "1.4".into();
        let d = diff(a, bom(json!([]), json!([])));
        assert_eq!(d.undecided(Drift::DatasetChanged).len(), 1);
        assert_eq!(d.undecided(Drift::BaseModelChanged).len(), 1);
        assert!(d.undecided(Drift::NewFinding).is_empty());
    }

    #[test]
    fn licence_drift_is_case_insensitive_and_covers_the_model() {
        let mut a = bom(json!([]), json!([]));
        let mut b = a.clone();
        a["metadata"]["component"]["licenses"] = json!([{"license": {"id": "Apache-2.0"}}]);
        b["metadata"]["component"]["licenses"] = json!([{"license": {"name": "apache-2.0"}}]);
        assert!(diff(a.clone(), b.clone()).licenses.is_empty());
        b["metadata"]["component"]["licenses"] = json!([{"expression": "MIT OR Apache-2.0"}]);
        let d = diff(a, b);
        assert_eq!(d.licenses.len(), 1);
        assert!(d.licenses[0].is_model);
        assert_eq!(d.licenses[0].new, vec!["MIT OR Apache-2.0".to_owned()]);
    }
}
