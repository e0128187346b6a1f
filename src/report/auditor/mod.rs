//! The auditor's view of one AIBOM: [`AuditReport`], read once from CycloneDX JSON, drawn by
//! both [`super::html`] and [`super::markdown`] (one report model, many renderers).
//! Their words are here too, in [`prose`]: headings, labels, sentences and counts as text, so
//! the two renderers say the same thing and keep only their markup.
//!
//! Reading is lenient: the document may come from aibom or from another generator, be
//! CycloneDX 1.5, 1.6 or 1.7, and lack any section. Whatever is absent is "not recorded";
//! whatever is present but unreadable (a section that is not an array, a reference that points
//! nowhere) is written down in [`AuditReport::notes`]. aibom's own `aibom:*` properties are shown
//! when present and never required. Nothing here reads a clock, so the same document and the
//! same inputs always give the same report.
//!
//! Two parts are more than a reading:
//! - [`Completeness`]: the fields an auditor or regulator asks for (EU AI Act Annex XI/XII,
//!   NIST AI RMF 1.0, BSI/G7 minimum elements), each present / partial / unknown / not
//!   applicable with the CycloneDX field it comes from. The score counts **typed CycloneDX
//!   fields only**: a property (`aibom:*` or a registered `cdx:*` name) never raises it, and
//!   only typed fields can make a row not applicable.
//! - [`MAPPINGS`]: every finding code ([`Code::ALL`]) mapped to CWE, MITRE ATLAS, the OWASP Top
//!   10 for LLM Applications 2025, the NIST AI RMF 1.0 subcategories and the EU AI Act article
//!   it bears on (research: `ecosystem.md` §4).
//!
//! Signatures given with `--signature` are not checked here: `verify::approvals` checks them
//! (against the configured trust only, over the exact bytes of the files, and compared with
//! this AIBOM) and the report draws the [`Approval`]s it returns.
//!
//! CycloneDX JSON reference: <https://cyclonedx.org/docs/1.6/json/>.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::finding::{Code, Severity};
use std::collections::{BTreeMap, BTreeSet};

mod completeness;
pub mod ledger;
mod mappings;
pub mod prose;
mod read;
pub mod release;

/// Shared by the renderers.
pub use crate::units::{human_size, plural};
pub use crate::verify::{Approval, AttestationState};
pub use mappings::*;
pub use read::{Inputs, is_non_commercial, read, report};

/// What a section says when the document has nothing for it.
pub const NOT_RECORDED: &str = "not recorded";

/// A document that cannot be reported on at all.
pub use crate::bom::read::Error as ReadError;

// ---------------------------------------------------------------------------------------------
// The model.

/// Everything the renderers draw.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub identity: Identity,
    pub files: Files,
    /// The release the AIBOM records (tier, artifacts, metrics); `None` when it records none.
    pub release: Option<release::ReleaseView>,
    pub lineage: Lineage,
    pub datasets: Datasets,
    pub licenses: Licenses,
    pub dependencies: Vec<DependencyRow>,
    pub prompts: Prompts,
    pub findings: Findings,
    pub exceptions: Vec<ExceptionRow>,
    /// `None` when no `--signature` was given.
    pub approvals: Option<Vec<Approval>>,
    pub completeness: Completeness,
    /// The deploy decisions recorded about this AIBOM, when `--ledger` was given.
    pub ledger: Option<ledger::LedgerView>,
    /// Parts of the document that could not be read.
    pub notes: Vec<String>,
}

/// Who and what the AIBOM describes, and who wrote it.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub name: Option<String>,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub bom_ref: Option<String>,
    pub component_type: Option<String>,
    pub description: Option<String>,
    /// Supplier, manufacturer, publisher and authors of the model.
    pub provider: Vec<String>,
    /// `model` or `adapter` (aibom's `aibom:model:kind`), or the relation to the base model.
    pub kind: Option<String>,
    pub task: Option<String>,
    pub architecture: Option<String>,
    pub parameters: Option<String>,
    pub tags: Vec<String>,
    pub serial: Option<String>,
    pub bom_version: Option<String>,
    pub spec_version: Option<String>,
    pub timestamp: Option<String>,
    pub lifecycles: Vec<String>,
    pub tools: Vec<Tool>,
    /// aibom's inspection summary (`aibom:scan:*` in `metadata.properties`).
    pub scan: Vec<(String, String)>,
    /// The AIBOM file as given: its name (not its path) and the SHA-256 of its bytes.
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Tool {
    pub name: String,
    pub version: Option<String>,
    pub policy_version: Option<String>,
}

/// The file inventory.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub rows: Vec<FileRow>,
    /// Whether the document lists files at all.
    pub recorded: bool,
    pub total_size: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct FileRow {
    pub path: String,
    /// `(algorithm, hex)`, SHA-256 first.
    pub hashes: Vec<(String, String)>,
    pub size: Option<u64>,
    pub format: Option<String>,
    pub verdict: Option<String>,
    pub role: Option<String>,
}

impl Files {
    pub fn without_digest(&self) -> usize {
        self.rows.iter().filter(|f| f.hashes.is_empty()).count()
    }
}

/// The lineage graph, laid out: columns left to right (bases first, the model last), rows top
/// to bottom within a column. The layout is computed here so both renderers agree on it.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    pub nodes: Vec<LineageNode>,
    pub edges: Vec<LineageEdge>,
    pub columns: usize,
    pub rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// The model this AIBOM describes.
    Subject,
    /// A base (ancestor) model.
    Model,
    Dataset,
    /// "+N more" when a column is capped.
    More,
}

#[derive(Debug, Clone)]
pub struct LineageNode {
    pub name: String,
    /// Second line: role, version, relation.
    pub detail: String,
    pub purl: Option<String>,
    /// Where the link comes from (`pedigree.ancestors`, `dependencies`, a property).
    pub source: String,
    pub kind: NodeKind,
    /// Something an auditor should look at (unknown dataset, no identity).
    pub flagged: bool,
    pub column: usize,
    pub row: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageEdge {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// Datasets named by the model.
#[derive(Debug, Clone, Default)]
pub struct Datasets {
    pub rows: Vec<DatasetRow>,
}

#[derive(Debug, Clone, Default)]
pub struct DatasetRow {
    pub name: String,
    pub version: Option<String>,
    pub role: Option<String>,
    pub description: Option<String>,
    pub licenses: Vec<String>,
    pub owners: Vec<String>,
    pub source_url: Option<String>,
    pub provenance_note: Option<String>,
    pub classification: Option<String>,
    pub sensitive_data: Vec<String>,
    /// aibom's `aibom:dataset:unknown` statement.
    pub unknown: Option<String>,
    /// Typed fields that are missing: licence, provenance, classification.
    pub missing: Vec<&'static str>,
    /// Named by the model but not described anywhere in the document.
    pub unresolved: bool,
    pub declared_by: Option<String>,
}

/// Licences of everything the AIBOM names.
#[derive(Debug, Clone, Default)]
pub struct Licenses {
    pub rows: Vec<LicenseRow>,
    /// `aibom:license:conflict` and `aibom:license-file` statements.
    pub remarks: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct LicenseRow {
    pub component: String,
    /// "this model", "base model", "dataset", "library", ...
    pub role: String,
    /// `None`: the component records no licence.
    pub license: Option<String>,
    /// An SPDX identifier or expression (`license.id`, `expression`), not a free-text name.
    pub spdx: bool,
    pub non_commercial: bool,
    pub url: Option<String>,
}

impl Licenses {
    pub fn non_commercial(&self) -> usize {
        self.rows.iter().filter(|r| r.non_commercial).count()
    }
    pub fn non_spdx(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.license.is_some() && !r.spdx)
            .count()
    }
    pub fn missing(&self) -> usize {
        self.rows.iter().filter(|r| r.license.is_none()).count()
    }
}

/// A software dependency (library, framework, other non-model, non-data component).
#[derive(Debug, Clone)]
pub struct DependencyRow {
    pub name: String,
    pub kind: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    /// A version or a versioned purl is recorded.
    pub pinned: bool,
    /// The model depends on it directly (`dependencies`).
    pub direct: bool,
}

/// Chat templates and code that ships with the model.
#[derive(Debug, Clone, Default)]
pub struct Prompts {
    /// `cdx:ai-ml:model:template:chat` on the model card.
    pub chat_template_flag: Option<String>,
    /// `aibom:remote-code` on the model card.
    pub remote_code_flag: Option<String>,
    pub templates: Vec<TemplateRow>,
    /// Files with `aibom:file:role` (chat-template, remote-code).
    pub role_files: Vec<(String, String)>,
    /// Python source files in the inventory (run if the model needs trust_remote_code).
    pub python_files: Vec<String>,
    /// Findings about templates and remote code (indices into [`Findings::rows`]).
    pub findings: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct TemplateRow {
    pub name: String,
    pub sha256: Option<String>,
    pub source: Option<String>,
    pub length: Option<String>,
    pub description: Option<String>,
}

/// `vulnerabilities[]`.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Whether the document records findings at all (a `vulnerabilities` array, or a tool that
    /// writes every finding it makes: aibom).
    pub recorded: bool,
    pub rows: Vec<FindingRow>,
}

#[derive(Debug, Clone, Default)]
pub struct FindingRow {
    pub id: String,
    /// The aibom finding code, when the id (or `aibom:finding:code`) is one.
    pub code: Option<Code>,
    pub severity: Option<Severity>,
    /// The affected files or components, resolved to their names.
    pub affected: Vec<String>,
    pub member: Option<String>,
    pub offset: Option<String>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub cwes: Vec<u32>,
    /// Accepted by an exception (or analysed as not exploitable).
    pub accepted: bool,
}

impl Findings {
    /// Counts per severity, most severe first; `None` is "unrated".
    pub fn by_severity(&self) -> Vec<(Option<Severity>, usize)> {
        let mut m: BTreeMap<std::cmp::Reverse<Option<Severity>>, usize> = BTreeMap::new();
        for f in &self.rows {
            let n = m.entry(std::cmp::Reverse(f.severity)).or_default();
            *n = n.saturating_add(1);
        }
        m.into_iter().map(|(k, v)| (k.0, v)).collect()
    }
    pub fn open(&self) -> usize {
        self.rows.iter().filter(|f| !f.accepted).count()
    }
    /// The distinct aibom codes among the findings, in table order.
    pub fn codes(&self) -> Vec<Code> {
        let set: BTreeSet<Code> = self.rows.iter().filter_map(|f| f.code).collect();
        set.into_iter().collect()
    }
}

/// An accepted finding: recorded in the AIBOM, or configured in aibom.toml.
#[derive(Debug, Clone, Default)]
pub struct ExceptionRow {
    pub finding: String,
    pub path: Option<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
    pub owner: Option<String>,
    pub sha256: Option<String>,
    /// `AIBOM (analysis)` or `aibom.toml`.
    pub source: String,
    /// For configured exceptions: whether a finding of this AIBOM matches (code and path).
    pub matches: Option<bool>,
    pub analysis: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Completeness.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Present,
    /// Recorded for some but not all (datasets, files): counts as missing.
    Partial,
    Unknown,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Partial => "partial",
            Status::Unknown => "unknown",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// One thing an auditor or regulator asks for.
#[derive(Debug, Clone)]
pub struct Field {
    pub group: &'static str,
    pub ask: &'static str,
    /// Who asks: EU AI Act, NIST AI RMF, BSI/G7.
    pub asked_by: &'static str,
    /// Where CycloneDX keeps it.
    pub cdx: &'static str,
    pub status: Status,
    /// What was found (or why not).
    pub detail: String,
    /// `false` for asks that have no typed CycloneDX field: shown, never scored.
    pub scored: bool,
}

#[derive(Debug, Clone)]
pub struct Completeness {
    pub fields: Vec<Field>,
    /// Scored rows that are present.
    pub present: usize,
    /// Scored rows that apply (the denominator).
    pub applicable: usize,
    /// `present * 100 / applicable`, rounded down.
    pub score: u32,
}

/// How the score is computed, printed under it.
pub const SCORING_RULE: &[&str] = &[
    "The score is the share of applicable scored fields that are present: present / applicable x 100, rounded down.",
    "Only typed CycloneDX fields count. Properties never raise the score: neither aibom's own (`aibom:*`) nor registered taxonomy names (`cdx:ai-ml:*`), because anyone can add a name-value pair without meaning.",
    "A field about datasets or files counts only when every dataset or file records it (\"partial\" counts as missing).",
    "\"Not applicable\" removes a field from the denominator, and only typed fields can make a field not applicable (sensitive data, when every dataset is classified public).",
    "Fields marked \"not scored\" have no typed CycloneDX home; they are shown for the auditor and left out of the score.",
    "The score measures documentation, not safety: a complete AIBOM may still describe a dangerous model (see Findings).",
];

// ---------------------------------------------------------------------------------------------
// Shared by the renderers.

/// "critical", ..., or "unrated".
pub fn severity_label(s: Option<Severity>) -> &'static str {
    s.map(Severity::as_str).unwrap_or("unrated")
}

/// The section list both renderers follow: (anchor, title).
pub const SECTIONS: &[(&str, &str)] = &[
    ("summary", "Summary"),
    ("identity", "Identity and revision"),
    ("lineage", "Lineage"),
    ("files", "File inventory"),
    ("datasets", "Datasets"),
    ("licences", "Licences"),
    ("dependencies", "Dependencies"),
    ("templates", "Chat templates and remote code"),
    ("findings", "Findings"),
    ("exceptions", "Exceptions"),
    ("approvals", "Signatures and approvals"),
    ("completeness", "Completeness"),
    ("mapping", "Appendix: finding codes mapped to frameworks"),
];

/// Fixtures shared by the auditor's unit tests.
#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests_support {
    use serde_json::Value;

    /// The LoRA adapter sample's AIBOM, as pinned in the snapshot tests.
    pub fn lora() -> Value {
        serde_json::from_str(include_str!(
            "../../../tests/snapshots/lora_adapter.cdx.json"
        ))
        .unwrap()
    }
}
