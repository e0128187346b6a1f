//! One release as the diff sees it: a [`Document`] read from the shared reader
//! ([`crate::bom::read::Document`]), with a note on every part that could not be read.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{
    Category, ComponentEntry, DocumentInfo, Error, FileEntry, FindingEntry, ModelIdentity, Rating,
    Section,
};
use crate::bom::read::{
    self, Field, FileRule, MAX_DEPTH, Note, Object, PathRule, Problem, Sha256Rule, Shape,
    TemplateRule, purl_base,
};
use crate::detect::Format;
use crate::digest::Sha256;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A component other than a file or a chat template, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Comp {
    pub(super) category: Category,
    pub(super) kind: String,
    /// `group/name` when there is a group.
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) purl: Option<String>,
    /// Licence ids, names and expressions, sorted, deduplicated.
    pub(super) licenses: Vec<String>,
}

impl Comp {
    pub(super) fn entry(&self) -> ComponentEntry {
        ComponentEntry {
            category: self.category,
            kind: self.kind.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            purl: self.purl.clone(),
        }
    }

    pub(super) fn name_key(&self) -> String {
        format!("{}|{}", self.kind, self.name)
    }

    pub(super) fn purl_key(&self) -> Option<String> {
        self.purl.as_deref().map(purl_base)
    }
}

/// A finding as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) id: String,
    pub(super) path: Option<String>,
    pub(super) member: Option<String>,
    pub(super) offset: Option<String>,
    pub(super) severity: Rating,
    pub(super) description: Option<String>,
}

impl Found {
    pub(super) fn entry(&self) -> FindingEntry {
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
    pub(super) info: DocumentInfo,
    /// `metadata.component`, when it names anything.
    pub(super) root: Option<Comp>,
    pub(super) root_ref: Option<String>,
    pub(super) ancestors: Vec<Comp>,
    pub(super) components: Vec<Comp>,
    pub(super) files: BTreeMap<String, FileEntry>,
    /// Template name -> digest (`None`: listed without a SHA-256).
    pub(super) templates: BTreeMap<String, Option<Sha256>>,
    /// `None`: the document does not record findings.
    pub(super) findings: Option<Vec<Found>>,
    /// `None`: no `dependencies` section.
    pub(super) edges: Option<BTreeSet<(String, String)>>,
    /// bom-ref -> display name.
    pub(super) labels: BTreeMap<String, String>,
    /// The release it records.
    pub(super) release: super::release::Recorded,
    pub(super) notes: Vec<(Section, String, Vec<String>)>,
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

pub(super) fn is_weights(path: &str, format: Option<&str>) -> bool {
    if format.is_some_and(|f| WEIGHT_FORMATS.iter().any(|w| w.describe() == f)) {
        return true;
    }
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    // Compressed weights (`model.pkl.gz`) count by the inner extension.
    let base = ["gz", "bz2", "xz", "zst", "lzma", "lz4", "7z", "zip"]
        .iter()
        .find_map(|c| base.strip_suffix(&format!(".{c}")).map(str::to_owned))
        .unwrap_or(base);
    base.contains("variables.data-")
        || base
            .rsplit_once('.')
            .is_some_and(|(_, ext)| WEIGHT_EXTENSIONS.contains(&ext))
}

/// A component's SHA-256 ([`Sha256Rule::AnySpelling`]: any spelling of the algorithm's
/// name), or why it cannot be compared.
fn sha256_of(v: Object<'_>) -> Result<Option<Sha256>, String> {
    if let Shape::Other(found) = v.get("hashes").shape() {
        return Err(format!("hashes is {found}"));
    }
    parse_sha256(v)
}

/// A file's SHA-256, unless the reader noted its `hashes` as unreadable.
fn file_sha256(f: &read::FileEntry<'_>) -> Result<Option<Sha256>, String> {
    let unreadable = f.notes.iter().find_map(|n| match n.problem {
        Problem::NotAnArray { found } => Some(found),
        _ => None,
    });
    match unreadable {
        Some(found) => Err(format!("hashes is {found}")),
        None => parse_sha256(f.component.object),
    }
}

fn parse_sha256(v: Object<'_>) -> Result<Option<Sha256>, String> {
    v.sha256(Sha256Rule::AnySpelling)
        .map(|hex| {
            hex.parse::<Sha256>()
                .map_err(|e| format!("SHA-256 unreadable: {e}"))
        })
        .transpose()
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
    let mut licenses: Vec<String> = v
        .license_names(Field::trimmed)
        .map(|l| l.text.to_owned())
        .collect();
    licenses.sort();
    licenses.dedup();
    Comp {
        category: category(kind, v),
        kind: kind.to_owned(),
        name,
        version: v.get("version").trimmed().map(str::to_owned),
        purl: v.get("purl").trimmed().map(str::to_owned),
        licenses,
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
        let lineage = doc.lineage();
        if let Some(m) = doc.model {
            d.read_root(m, &lineage);
        }
        for c in &doc.components {
            d.read_component(c);
        }
        d.read_dependencies(doc, &lineage);
        d.release = super::release::Recorded::read(doc);
        // aibom writes `vulnerabilities` only when there are findings and marks every document
        // it wrote after a scan with `aibom:scan:verdict`; other generators may not scan at all.
        let scanned = doc.metadata.property("aibom:scan:verdict").is_some();
        match doc.vulnerabilities {
            Shape::Array(_) => d.read_findings(doc),
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
            (
                _,
                Problem::Missing
                | Problem::Unnamed
                | Problem::NotAString { .. }
                | Problem::Unparsable,
            ) => return,
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

    fn read_root(&mut self, c: Object<'_>, lineage: &read::Lineage<'_>) {
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
        for &anc in &lineage.base_models {
            if let Some(n) = full_name(anc) {
                let kind = anc
                    .get("type")
                    .trimmed()
                    .unwrap_or("machine-learning-model");
                self.ancestors.push(read_comp(anc, kind, n));
            }
        }
        for n in &lineage.notes {
            if let (Problem::Unnamed, Some(at)) =
                (n.problem, n.at.strip_prefix("metadata.component."))
            {
                self.note(
                    Section::BaseModels,
                    &format!("{at} has no name: not compared"),
                    vec![],
                );
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
        if let Some(f) = read::FileEntry::of(c, FileRule::AnyDepthTrimmed) {
            self.read_file(&f);
        } else if c.is_template(TemplateRule::ChatTemplate) {
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

    fn read_file(&mut self, f: &read::FileEntry<'_>) {
        // The diff's path; only a file with neither a name nor a location has none
        // (`Problem::Unnamed`).
        let Some(path) = f.path(PathRule::Located) else {
            self.note(
                Section::Files,
                &format!(
                    "{} is a file without a name or location: not compared",
                    f.component.at
                ),
                vec![],
            );
            return;
        };
        if let Some(r) = f.get("bom-ref").trimmed() {
            self.labels.insert(r.to_owned(), path.clone());
        }
        let sha256 = match file_sha256(f) {
            Ok(h) => h,
            Err(e) => {
                self.note(Section::Files, &e, vec![path.clone()]);
                None
            }
        };
        let format = f.format.map(str::to_owned);
        if let Some(t) = f.chat_template_sha256 {
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
        if f.role == Some("chat-template") {
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

    fn read_dependencies(&mut self, doc: &read::Document<'_>, lineage: &read::Lineage<'_>) {
        if !doc.dependencies.is_array() {
            return;
        }
        let mut edges = BTreeSet::new();
        for d in &lineage.dependencies {
            let Some(from) = d.from.trimmed() else {
                continue;
            };
            for to in d.depends_on.iter().filter_map(|to| to.str()) {
                edges.insert((from.to_owned(), to.to_owned()));
            }
        }
        // An entry without a ref, or a dependsOn entry that is not a string.
        let unreadable = lineage
            .notes
            .iter()
            .filter(|n| n.at.starts_with("dependencies["))
            .count();
        if unreadable > 0 {
            self.note(
                Section::Dependencies,
                &format!("{unreadable} dependency entries without a ref: not compared"),
                vec![],
            );
        }
        self.edges = Some(edges);
    }

    fn read_findings(&mut self, doc: &read::Document<'_>) {
        let (findings, notes) = doc.findings();
        for n in notes {
            if let Problem::NotAnObject { found } = n.problem {
                self.note(
                    Section::Findings,
                    &format!("{} is {found}: not read", n.at),
                    vec![],
                );
            }
        }
        let mut out = Vec::new();
        for v in findings.iter().filter(|f| f.is_readable()) {
            let id = v
                .get("id")
                .trimmed()
                .or(v.code)
                .or_else(|| v.get("bom-ref").trimmed())
                .map(str::to_owned)
                .unwrap_or_else(|| v.at.clone());
            let path = v.path.map(str::to_owned).or_else(|| {
                let mut refs: Vec<&str> = v
                    .affects
                    .iter()
                    .filter_map(|r| r.trimmed())
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
                member: v.member.map(str::to_owned),
                offset: v.offset.map(str::to_owned),
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

    pub(super) fn label(&self, r: &str, root_label: Option<&str>) -> String {
        if let (Some(root), Some(l)) = (&self.root_ref, root_label)
            && root == r
        {
            return l.to_owned();
        }
        self.labels.get(r).cloned().unwrap_or_else(|| r.to_owned())
    }
}
