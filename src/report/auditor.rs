//! The auditor's view of one AIBOM: [`AuditReport`], read once from CycloneDX JSON, drawn by
//! both [`super::html`] and [`super::markdown`] (one report model, many renderers).
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
//! Signatures given with `--signature` are checked here too ([`approvals`]): against the
//! configured trust only, over the exact bytes of the files, and compared with this AIBOM.
//!
//! CycloneDX JSON reference: <https://cyclonedx.org/docs/1.6/json/>.

use crate::bom::read::{self, MAX_DEPTH, Note, Object, Problem};
use crate::digest::Sha256;
use crate::finding::{Code, Severity};
use crate::sign::bundle::{self, Method};
use crate::sign::statement::{self, Resource, Statement};
use crate::verify::Trust;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
            *m.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
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

/// A signature given with `--signature`, checked against the configured trust.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// The signature file as given.
    pub signature: String,
    /// key, certificate, keyless.
    pub method: Option<String>,
    pub signer: Option<String>,
    pub valid: bool,
    pub problem: Option<String>,
    /// The model digest (statement subject) the signature covers.
    pub model_digest: Option<String>,
    /// How the signed file list compares with the AIBOM's file inventory.
    pub inventory: Option<String>,
    pub inventory_matches: Option<bool>,
    /// The `.bom` attestation next to the signature.
    pub attestation: AttestationState,
    pub attestation_file: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AttestationState {
    /// No `<signature>.bom` file.
    #[default]
    Missing,
    /// Valid, same subject as the model signature, predicate equal to this AIBOM.
    Binds,
    /// Valid, but it binds another document or another model digest.
    Other(String),
    /// It does not verify.
    Invalid(String),
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
// Mapping of finding codes to frameworks.

/// One finding code and the entries of each framework it maps to.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    pub code: Code,
    pub cwe: &'static [u32],
    pub atlas: &'static [&'static str],
    pub owasp: &'static [&'static str],
    pub nist: &'static [&'static str],
    pub eu_ai_act: &'static [&'static str],
}

// The shared rows, by finding class (`ecosystem.md` §4 mapping table).
const CODE_ON_LOAD_ATLAS: &[&str] = &["AML.T0011.000", "AML.T0010.003", "AML.T0018"];
const SUPPLY_CHAIN: &[&str] = &["LLM03"];
const POISONING: &[&str] = &["LLM03", "LLM04"];
const SECURITY_NIST: &[&str] = &["MEASURE 2.7", "MANAGE 3.2"];
const INTEGRITY_NIST: &[&str] = &["MEASURE 2.7", "MANAGE 3.1"];
const COVERAGE_NIST: &[&str] = &["MEASURE 1.1", "MEASURE 2.7"];
const ART15_5: &[&str] = &["Art. 15(5)"];
const ART15_4: &[&str] = &["Art. 15(4)"];
const MODEL_ATLAS: &[&str] = &["AML.T0010.003"];
const NONE: &[&str] = &[];

macro_rules! mapping {
    ($code:ident, $cwe:expr, $atlas:expr, $owasp:expr, $nist:expr, $eu:expr) => {
        Mapping {
            code: Code::$code,
            cwe: $cwe,
            atlas: $atlas,
            owasp: $owasp,
            nist: $nist,
            eu_ai_act: $eu,
        }
    };
}

/// Every finding code, mapped. A test keeps it complete and consistent with [`Code::cwe`].
///
/// ATLAS ids are pinned to the technique names listed in [`atlas_name`] (ATLAS data as of
/// 2025; newer releases rename "ML" to "AI" and add AML.T0115 "Publish Poisoned AI Artifacts"
/// beside AML.T0058). OWASP ids are the 2025 edition of the Top 10 for LLM Applications.
#[rustfmt::skip]
// (code, CWE, MITRE ATLAS, OWASP LLM Top 10 2025, NIST AI RMF 1.0, EU AI Act)
pub const MAPPINGS: &[Mapping] = &[
    mapping!(PickleDangerousGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleDangerousCall, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleUnknownGlobal, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(PickleDynamicGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleDunderAccess, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleBuildOnGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleExtensionCode, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleNestedUnscannable, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 1.1", "MEASURE 2.7", "MANAGE 3.2"], ART15_5),
    mapping!(PickleFrameOverrun, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleMalformed, &[436], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleTrailingData, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleOutOfBandBuffer, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(PickleLimitExceeded, &[400], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(PickleLoaderExhaustion, &[789, 400], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(FindingsCapped, &[], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(Polyglot, &[434, 436], &["AML.T0010.003", "AML.T0011.000"], SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipCrcMismatch, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipHeaderMismatch, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipDuplicateName, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipPathTraversal, &[22], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(ZipEncryptedFlag, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipHiddenEntry, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipTrailingData, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipBomb, &[409], MODEL_ATLAS, SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_4),
    mapping!(ZipMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(ArchiveDepthExceeded, &[400], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(ArchiveMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(TorchScriptCode, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(NpyObjectArray, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(NpyMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(SafetensorsMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(GgufMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(ChatTemplateInjection, &[1336], &["AML.T0051", "AML.T0010.003", "AML.T0011.000"], &["LLM01", "LLM03"], SECURITY_NIST, ART15_5),
    mapping!(OnnxMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(OnnxExternalDataEscape, &[22], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(OnnxCustomOperator, &[], &["AML.T0010.001"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], NONE),
    mapping!(KerasLambda, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(KerasCustomObject, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(KerasMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(SavedModelDangerousOp, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(SavedModelMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(TfliteCustomOp, &[829], &["AML.T0010.001"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], NONE),
    mapping!(TfliteFlexOp, &[829], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(TfliteMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(RemoteCode, &[94], &["AML.T0010.001", "AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7", "MANAGE 3.1"], ART15_5),
    mapping!(LfsPointer, &[], MODEL_ATLAS, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(SecretExposed, &[798], &["AML.T0055"], &["LLM02"], &["MEASURE 2.7", "MEASURE 2.10"], ART15_5),
    mapping!(TorchScriptDangerousOp, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(TorchScriptCustomOp, &[829], &["AML.T0010.001", "AML.T0011.000"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], ART15_5),
    mapping!(FormatMismatch, &[646], &["AML.T0010.003", "AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(EmptyFile, &[], NONE, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(UnknownFormat, &[], NONE, SUPPLY_CHAIN, &["MEASURE 1.1"], NONE),
    mapping!(SymlinkEscape, &[59], &["AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(SymlinkBroken, &[59], NONE, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(PartialDownload, &[], MODEL_ATLAS, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(ReadError, &[], NONE, SUPPLY_CHAIN, &["MEASURE 1.1"], NONE),
];

/// Observations of the report that are not findings, mapped the same way.
pub struct GapMapping {
    pub gap: &'static str,
    pub atlas: &'static [&'static str],
    pub owasp: &'static [&'static str],
    pub nist: &'static [&'static str],
    pub eu_ai_act: &'static [&'static str],
}

pub const DATASET_GAP: GapMapping = GapMapping {
    gap: "dataset with unknown provenance, licence or classification",
    atlas: &["AML.T0010.002", "AML.T0019"],
    owasp: &["LLM04"],
    nist: &["MAP 4.1"],
    eu_ai_act: &["Art. 10", "Art. 53(1)(d) + Annex XI"],
};

pub const LICENSE_GAP: GapMapping = GapMapping {
    gap: "licence missing, non-commercial or not an SPDX identifier",
    atlas: &[],
    owasp: &["LLM03"],
    nist: &["GOVERN 6.1"],
    eu_ai_act: &["Art. 53(1)(c)"],
};

pub const DEPENDENCY_GAP: GapMapping = GapMapping {
    gap: "dependency without a pinned version",
    atlas: &["AML.T0010.001"],
    owasp: &["LLM03"],
    nist: &["MAP 4.1", "MANAGE 3.1"],
    eu_ai_act: &[],
};

/// The mapping of a finding code.
pub fn mapping(code: Code) -> Option<&'static Mapping> {
    MAPPINGS.iter().find(|m| m.code == code)
}

/// Names of the MITRE ATLAS techniques used above.
pub fn atlas_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "AML.T0010" => "AI Supply Chain Compromise",
        "AML.T0010.001" => "AI Supply Chain Compromise: AI Software",
        "AML.T0010.002" => "AI Supply Chain Compromise: Data",
        "AML.T0010.003" => "AI Supply Chain Compromise: Model",
        "AML.T0011.000" => "User Execution: Unsafe AI Artifacts",
        "AML.T0018" => "Manipulate AI Model (backdoor)",
        "AML.T0019" => "Publish Poisoned Datasets",
        "AML.T0051" => "LLM Prompt Injection",
        "AML.T0055" => "Unsecured Credentials",
        "AML.T0058" => "Publish Poisoned Models",
        _ => return None,
    })
}

/// Names of the OWASP Top 10 for LLM Applications 2025 entries used above.
pub fn owasp_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "LLM01" => "Prompt Injection",
        "LLM02" => "Sensitive Information Disclosure",
        "LLM03" => "Supply Chain",
        "LLM04" => "Data and Model Poisoning",
        _ => return None,
    })
}

/// What the NIST AI RMF 1.0 subcategories used above ask for (paraphrased).
pub fn nist_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "GOVERN 1.6" => "AI systems are inventoried",
        "GOVERN 6.1" => "third-party risks, including intellectual property, are addressed",
        "MAP 4.1" => {
            "legal and technology risks of components, incl. third-party data and software, are mapped"
        }
        "MEASURE 1.1" => "risks that are not or cannot be measured are documented",
        "MEASURE 2.3" => "performance is measured and demonstrated",
        "MEASURE 2.7" => "security and resilience are evaluated and documented",
        "MEASURE 2.10" => "privacy risk is examined and documented",
        "MEASURE 2.11" => "fairness and bias are evaluated",
        "MANAGE 3.1" => "third-party resources are monitored",
        "MANAGE 3.2" => "pre-trained models are monitored",
        _ => return None,
    })
}

/// Names of the CWE entries used above.
pub fn cwe_name(id: u32) -> Option<&'static str> {
    Some(match id {
        22 => "Path Traversal",
        59 => "Link Following",
        94 => "Code Injection",
        400 => "Uncontrolled Resource Consumption",
        409 => "Improper Handling of Highly Compressed Data",
        434 => "Unrestricted Upload of File with Dangerous Type",
        436 => "Interpretation Conflict",
        502 => "Deserialization of Untrusted Data",
        646 => "Reliance on File Name or Extension of Externally-Supplied File",
        789 => "Memory Allocation with Excessive Size Value",
        829 => "Inclusion of Functionality from Untrusted Control Sphere",
        798 => "Use of Hard-coded Credentials",
        1336 => "Improper Neutralization of Special Elements Used in a Template Engine",
        _ => return None,
    })
}

/// `id` followed by its name when known: `AML.T0019 Publish Poisoned Datasets`.
pub fn labelled(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{id} {n}"),
        None => id.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// What the command adds to the document.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The AIBOM's file name (no directories: the report must not depend on where it lies).
    pub file_name: Option<String>,
    /// The exact bytes of the AIBOM file.
    pub bytes: Option<Vec<u8>>,
    /// Exceptions configured in aibom.toml.
    pub configured_exceptions: Vec<crate::config::Exception>,
    /// Checked signatures, when `--signature` was given.
    pub approvals: Option<Vec<Approval>>,
}

/// A JSON scalar as display text ([`read::Field::text`]).
fn text(v: &Value) -> Option<String> {
    read::Field::from(v).text()
}

/// The reader's notes, worded for the report, in reading order. The report reads no further
/// than the reader does, and says nothing of parts it does not show (the diff's remarks on
/// `metadata` and `pedigree.ancestors`); a section that is `null` counts as absent.
fn worded(n: &Note) -> Option<String> {
    let at = n.at.as_str();
    Some(match n.problem {
        Problem::NoBomFormat => "bomFormat is missing; the document was read as CycloneDX".into(),
        Problem::Missing | Problem::NotAnObject { found: "null" } if at == "metadata.component" => {
            "metadata.component is missing: the document does not say which model it describes"
                .into()
        }
        Problem::NotAnObject { found } if at.ends_with(']') => {
            format!("a component is {found} instead of an object; it was not read")
        }
        Problem::NotAnArray { found } if found != "null" => {
            let place = match at {
                "components" | "dependencies" | "vulnerabilities" => format!("document.{at}"),
                "metadata.component.components" => at.to_owned(),
                "metadata.component.modelCard.modelParameters.datasets" => {
                    "modelCard.modelParameters.datasets".to_owned()
                }
                "metadata.component.pedigree.ancestors" => return None,
                _ => "component.components".to_owned(),
            };
            format!("{place} is {found} instead of an array; it was not read")
        }
        Problem::TooDeep => {
            format!("components nest deeper than {MAX_DEPTH} levels; the rest was not read")
        }
        _ => return None,
    })
}

/// A component anywhere in the document.
struct Comp<'a> {
    v: Object<'a>,
    kind: String,
    bom_ref: Option<String>,
    name: String,
    /// Nested under `metadata.component` (the model's own parts).
    in_model: bool,
}

impl<'a> Comp<'a> {
    fn of(c: &read::Component<'a>) -> Comp<'a> {
        let name = match (c.get("group").text(), c.get("name").text()) {
            (Some(g), Some(n)) if !n.starts_with(&format!("{g}/")) => format!("{g}/{n}"),
            (_, Some(n)) => n,
            (_, None) => c
                .get("bom-ref")
                .text()
                .unwrap_or_else(|| "(unnamed)".into()),
        };
        Comp {
            v: c.object,
            kind: c.get("type").text().unwrap_or_default(),
            bom_ref: c.get("bom-ref").text(),
            name,
            in_model: c.in_model,
        }
    }
}

/// `(algorithm, hex)` of each hash, SHA-256 first.
fn hashes(v: Object<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .hashes()
        .filter_map(|h| Some((h.alg.text()?, h.content.text()?.to_ascii_lowercase())))
        .collect();
    out.sort_by_key(|(alg, _)| (alg != "SHA-256", alg.clone()));
    out
}

fn sha256(v: Object<'_>) -> Option<String> {
    hashes(v)
        .into_iter()
        .find(|(a, _)| a == "SHA-256")
        .map(|(_, h)| h)
}

/// Non-commercial licences: `cc-by-nc-*`, "noncommercial", "non-commercial".
pub fn is_non_commercial(license: &str) -> bool {
    let l = license.to_ascii_lowercase();
    l.contains("noncommercial")
        || l.contains("non-commercial")
        || l.contains("non commercial")
        || l.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| t == "nc")
}

/// `(text, spdx, url)` of each licence of a component.
fn licenses_of(v: Object<'_>) -> Vec<(String, bool, Option<String>)> {
    let mut out = Vec::new();
    for l in v.licenses() {
        if let Some(e) = l.expression.text() {
            out.push((e, true, None));
        } else if l.has_license {
            if let Some(id) = l.id.text() {
                out.push((id, true, l.url.text()));
            } else if let Some(name) = l.name.text() {
                out.push((name, false, l.url.text()));
            }
        }
    }
    out
}

/// A purl without version, qualifiers and subpath, for matching.
/// A purl without its version, compared case-insensitively here.
fn purl_base(p: &str) -> String {
    crate::bom::read::purl_base(p).to_ascii_lowercase()
}

fn purl_versioned(p: &str) -> bool {
    purl_base(p).len() < p.split(['?', '#']).next().unwrap_or(p).len()
}

fn is_dataset(c: &Comp<'_>) -> bool {
    c.kind == "data"
        && (c
            .v
            .data()
            .any(|d| d.get("type").text().as_deref() == Some("dataset"))
            || c.bom_ref
                .as_deref()
                .is_some_and(|r| r.starts_with("dataset:")))
}

fn is_template(c: &Comp<'_>) -> bool {
    c.kind == "data"
        && !is_dataset(c)
        && (c
            .bom_ref
            .as_deref()
            .is_some_and(|r| r.starts_with("template:"))
            || c.name.to_ascii_lowercase().contains("template"))
}

/// Reads the report model from an AIBOM (see [`report`]).
pub fn read(doc: &Value, inputs: Inputs) -> Result<AuditReport, ReadError> {
    read::Document::from_value(doc).map(|d| report(&d, inputs))
}

/// The report model of a document read by [`read::Document`].
pub fn report(d: &read::Document<'_>, inputs: Inputs) -> AuditReport {
    let notes: Vec<String> = d.notes.iter().filter_map(worded).collect();
    let model = d.model.unwrap_or_else(Object::empty);
    let card = model.get("modelCard").object();
    let params = card.get("modelParameters").object();

    // Every component, once.
    let comps: Vec<Comp<'_>> = d.components.iter().map(Comp::of).collect();
    let by_ref: BTreeMap<&str, usize> = comps
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.bom_ref.as_deref().map(|r| (r, i)))
        .collect();
    let model_ref = model.get("bom-ref").text();

    // Dependencies: what the model uses directly.
    let mut direct: BTreeSet<String> = BTreeSet::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    for dep in d.dependencies() {
        let Some(from) = dep.get("ref").text() else {
            continue;
        };
        for to in dep.get("dependsOn").items().iter().filter_map(text) {
            if Some(&from) == model_ref.as_ref() {
                direct.insert(to.clone());
            }
            edges.push((from.clone(), to));
        }
    }

    let identity = read_identity(d, model, card, params, &inputs);
    let files = read_files(&comps);
    let datasets = read_datasets(d, &comps, &by_ref, &direct);
    let findings = read_findings(d, &comps, &by_ref, &identity);
    let lineage = read_lineage(model, &comps, &edges, &datasets, &identity);
    let licenses = read_licenses(model, &comps, &identity);
    let dependencies = read_dependencies(&comps, &direct);
    let prompts = read_prompts(card, &comps, &files, &findings);
    let exceptions = read_exceptions(d, &findings, &files, &inputs.configured_exceptions);
    let completeness = assess(
        d, model, card, params, &comps, &by_ref, &files, &findings, &identity,
    );

    AuditReport {
        identity,
        files,
        lineage,
        datasets,
        licenses,
        dependencies,
        prompts,
        findings,
        exceptions,
        approvals: inputs.approvals,
        completeness,
        notes,
    }
}

fn read_identity(
    d: &read::Document<'_>,
    model: Object<'_>,
    card: Object<'_>,
    params: Object<'_>,
    inputs: &Inputs,
) -> Identity {
    let (doc, meta) = (d.root, d.metadata);
    let mut provider = Vec::new();
    for (holder, key, label) in [
        (model, "supplier", "supplier"),
        (model, "manufacturer", "manufacturer"),
        (meta, "supplier", "supplier"),
        (meta, "manufacturer", "manufacturer"),
    ] {
        if let Some(n) = holder.get(key).object().get("name").text() {
            provider.push(format!("{label}: {n}"));
        }
    }
    if let Some(p) = model.get("publisher").text() {
        provider.push(format!("publisher: {p}"));
    }
    if let Some(a) = model.get("author").text() {
        provider.push(format!("author: {a}"));
    }
    for a in model.get("authors").objects() {
        if let Some(n) = a.get("name").text().or_else(|| a.get("email").text()) {
            provider.push(format!("author: {n}"));
        }
    }
    provider.dedup();

    let mut tools = Vec::new();
    match d.tools() {
        (true, legacy) => {
            for t in legacy {
                tools.push(Tool {
                    name: match (t.get("vendor").text(), t.get("name").text()) {
                        (Some(v), Some(n)) => format!("{v} {n}"),
                        (_, Some(n)) => n,
                        (Some(v), None) => v,
                        (None, None) => continue,
                    },
                    version: t.get("version").text(),
                    policy_version: t.property("aibom:policy-version").map(str::to_owned),
                });
            }
        }
        (false, current) => {
            for t in current {
                let Some(name) = t.get("name").text() else {
                    continue;
                };
                tools.push(Tool {
                    name: match t.get("group").text() {
                        Some(g) => format!("{g}/{name}"),
                        None => name,
                    },
                    version: t.get("version").text(),
                    policy_version: t.property("aibom:policy-version").map(str::to_owned),
                });
            }
        }
    }

    let kind = model
        .property("aibom:model:kind")
        .map(str::to_owned)
        .or_else(|| {
            model
                .at("/pedigree/notes")
                .text()
                .and_then(|n| n.strip_prefix("base_model_relation: ").map(str::to_owned))
        });
    let architecture = match (
        params.get("modelArchitecture").text(),
        params.get("architectureFamily").text(),
    ) {
        (Some(a), Some(f)) => Some(format!("{a} ({f})")),
        (a, f) => a.or(f),
    };
    let scan = meta
        .properties()
        .filter_map(|(n, v)| Some((n.strip_prefix("aibom:scan:")?.to_owned(), v.to_owned())))
        .collect();
    Identity {
        name: model.get("name").text(),
        version: model.get("version").text(),
        purl: model.get("purl").text(),
        bom_ref: model.get("bom-ref").text(),
        component_type: model.get("type").text(),
        description: model.get("description").text(),
        provider,
        kind,
        task: params.get("task").text(),
        architecture,
        parameters: card
            .property("cdx:ai-ml:model:parameter:count")
            .map(str::to_owned),
        tags: model.get("tags").items().iter().filter_map(text).collect(),
        serial: doc.get("serialNumber").text(),
        bom_version: doc.get("version").text(),
        spec_version: doc.get("specVersion").text(),
        timestamp: meta.get("timestamp").text(),
        lifecycles: meta
            .get("lifecycles")
            .objects()
            .filter_map(|l| l.get("phase").text().or_else(|| l.get("name").text()))
            .collect(),
        tools,
        scan,
        file_name: inputs.file_name.clone(),
        file_sha256: inputs.bytes.as_ref().map(|b| Sha256::of(b).to_hex()),
    }
}

fn read_files(comps: &[Comp<'_>]) -> Files {
    let mut rows: Vec<FileRow> = comps
        .iter()
        .filter(|c| c.kind == "file")
        .map(|c| FileRow {
            path: c.name.clone(),
            hashes: hashes(c.v),
            size: c
                .v
                .property("aibom:file:size")
                .map(str::to_owned)
                .and_then(|s| s.parse().ok()),
            format: c.v.property("aibom:file:format").map(str::to_owned),
            verdict: c.v.property("aibom:file:verdict").map(str::to_owned),
            role: c.v.property("aibom:file:role").map(str::to_owned),
        })
        .collect();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    let sizes: Vec<u64> = rows.iter().filter_map(|f| f.size).collect();
    Files {
        recorded: !rows.is_empty(),
        total_size: (sizes.len() == rows.len() && !rows.is_empty())
            .then(|| sizes.iter().fold(0u64, |a, b| a.saturating_add(*b))),
        rows,
    }
}

fn dataset_row(c: &Comp<'_>) -> DatasetRow {
    let data: Vec<Object<'_>> = c.v.get("data").objects().collect();
    dataset_from(c.v, &data, c.name.clone())
}

/// A dataset from its component (`holder`) and `data[]` entries (or an inline dataset).
fn dataset_from(holder: Object<'_>, data: &[Object<'_>], name: String) -> DatasetRow {
    let mut row = DatasetRow {
        name,
        version: holder.get("version").text(),
        role: holder.property("aibom:dataset:role").map(str::to_owned),
        description: holder.get("description").text(),
        licenses: licenses_of(holder).into_iter().map(|l| l.0).collect(),
        provenance_note: holder
            .property("aibom:dataset:provenance")
            .map(str::to_owned),
        unknown: holder.property("aibom:dataset:unknown").map(str::to_owned),
        declared_by: holder.property("aibom:declared-by").map(str::to_owned),
        ..DatasetRow::default()
    };
    for d in data {
        row.description = row.description.or_else(|| d.get("description").text());
        row.classification = row
            .classification
            .or_else(|| d.get("classification").text());
        row.source_url = row
            .source_url
            .or_else(|| d.at("/contents/url").text())
            .or_else(|| d.at("/contents/attachment/url").text());
        for s in d.get("sensitiveData").items().iter().filter_map(text) {
            row.sensitive_data.push(s);
        }
        if let Some(g) = d.get("governance").value().map(Object::new) {
            for (key, label) in [
                ("owners", "owner"),
                ("custodians", "custodian"),
                ("stewards", "steward"),
            ] {
                for p in g.get(key).objects() {
                    if let Some(n) = p
                        .at("/organization/name")
                        .text()
                        .or_else(|| p.at("/contact/name").text())
                    {
                        row.owners.push(format!("{n} ({label})"));
                    }
                }
            }
        }
    }
    if row.source_url.is_none()
        && let Some(u) = holder
            .get("externalReferences")
            .objects()
            .find_map(|e| e.get("url").text())
    {
        row.source_url = Some(u);
    }
    if row.licenses.is_empty() {
        row.missing.push("licence");
    }
    if row.owners.is_empty() && row.source_url.is_none() {
        row.missing.push("provenance");
    }
    if row.classification.is_none() {
        row.missing.push("classification");
    }
    row
}

fn read_datasets(
    doc: &read::Document<'_>,
    comps: &[Comp<'_>],
    by_ref: &BTreeMap<&str, usize>,
    direct: &BTreeSet<String>,
) -> Datasets {
    let mut rows = Vec::new();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    for (i, d) in doc.datasets.items().iter().map(Object::new).enumerate() {
        if let Some(reference) = d.get("ref").text() {
            match by_ref.get(reference.as_str()) {
                Some(&ci) => {
                    if seen.insert(ci)
                        && let Some(c) = comps.get(ci)
                    {
                        rows.push(dataset_row(c));
                    }
                }
                None => rows.push(DatasetRow {
                    name: reference.trim_start_matches("dataset:").to_owned(),
                    unresolved: true,
                    missing: vec!["licence", "provenance", "classification"],
                    ..DatasetRow::default()
                }),
            }
        } else if d.is_object() {
            let name = d
                .get("name")
                .text()
                .unwrap_or_else(|| format!("inline dataset {}", i + 1));
            rows.push(dataset_from(Object::empty(), &[d], name));
        }
    }
    // Data components the model depends on, or that no model card names (other generators).
    for (ci, c) in comps.iter().enumerate() {
        if !is_dataset(c) || seen.contains(&ci) {
            continue;
        }
        let linked = c.bom_ref.as_ref().is_some_and(|r| direct.contains(r));
        if linked || !c.in_model {
            seen.insert(ci);
            rows.push(dataset_row(c));
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Datasets { rows }
}

fn read_findings(
    doc: &read::Document<'_>,
    comps: &[Comp<'_>],
    by_ref: &BTreeMap<&str, usize>,
    identity: &Identity,
) -> Findings {
    let recorded =
        doc.vulnerabilities.is_array() || identity.tools.iter().any(|t| t.name == "aibom");
    let mut rows = Vec::new();
    for v in doc.vulnerabilities() {
        let id = v.get("id").text().unwrap_or_else(|| "(no id)".into());
        let code = v
            .property("aibom:finding:code")
            .map(str::to_owned)
            .and_then(|c| c.parse::<Code>().ok())
            .or_else(|| id.parse::<Code>().ok());
        let mut affected: Vec<String> = v
            .get("affects")
            .objects()
            .filter_map(|a| a.get("ref").text())
            .map(|reference| match by_ref.get(reference.as_str()) {
                Some(&i) => comps.get(i).map(|c| c.name.clone()).unwrap_or(reference),
                None if Some(&reference) == identity.bom_ref.as_ref() => {
                    identity.name.clone().unwrap_or(reference)
                }
                None => reference,
            })
            .collect();
        if affected.is_empty()
            && let Some(p) = v.property("aibom:finding:path").map(str::to_owned)
        {
            affected.push(p);
        }
        let analysis = v.get("analysis").object();
        let state = analysis.get("state").text();
        let responses: Vec<String> = analysis
            .get("response")
            .items()
            .iter()
            .filter_map(text)
            .collect();
        let accepted = v
            .property("aibom:exception:reason")
            .map(str::to_owned)
            .is_some()
            || matches!(
                state.as_deref(),
                Some("not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree")
            )
            || responses
                .iter()
                .any(|x| x == "will_not_fix" || x == "can_not_fix");
        rows.push(FindingRow {
            id,
            code,
            severity: v.severity(),
            affected,
            member: v.property("aibom:finding:member").map(str::to_owned),
            offset: v.property("aibom:finding:offset").map(str::to_owned),
            description: v.get("description").text(),
            detail: v.get("detail").text(),
            cwes: v
                .get("cwes")
                .items()
                .iter()
                .filter_map(Value::as_u64)
                .filter_map(|c| u32::try_from(c).ok())
                .collect(),
            accepted,
        });
    }
    // Most severe first; the document's order otherwise.
    rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Findings {
        recorded: recorded || !rows.is_empty(),
        rows,
    }
}

/// Node identity for matching ancestors with components: purl without version, else name.
fn node_key(v: Object<'_>) -> Option<String> {
    v.get("purl")
        .text()
        .map(|p| format!("purl:{}", purl_base(&p)))
        .or_else(|| v.get("name").text().map(|n| format!("name:{n}")))
}

#[derive(Default)]
struct Graph {
    /// key -> (name, version, purl, source)
    nodes: BTreeMap<String, (String, Option<String>, Option<String>, String)>,
    /// (parent, child) -> label
    edges: BTreeMap<(String, String), String>,
}

impl Graph {
    fn node(&mut self, key: &str, v: Object<'_>, source: &str) {
        let entry = self.nodes.entry(key.to_owned()).or_insert_with(|| {
            (
                v.get("name").text().unwrap_or_else(|| key.to_owned()),
                v.get("version").text(),
                v.get("purl").text(),
                source.to_owned(),
            )
        });
        if entry.2.is_none() {
            entry.2 = v.get("purl").text();
        }
        if entry.1.is_none() {
            entry.1 = v.get("version").text();
        }
    }

    /// `v`'s pedigree ancestors as parents of `child`, recursively.
    fn ancestors(
        &mut self,
        child: &str,
        v: Object<'_>,
        label: &str,
        keys: &BTreeMap<String, String>,
        depth: usize,
    ) {
        if depth > 8 {
            return;
        }
        for a in v.at("/pedigree/ancestors").objects() {
            let Some(k) = node_key(a) else {
                continue;
            };
            let k = keys.get(&k).cloned().unwrap_or(k);
            self.node(&k, a, "pedigree.ancestors");
            self.edges
                .entry((k.clone(), child.to_owned()))
                .or_insert_with(|| label.to_owned());
            self.ancestors(&k, a, "base model", keys, depth + 1);
        }
    }

    /// Whether `to` is reachable from `from` without the direct edge `from -> to`.
    fn reachable_indirectly(&self, from: &str, to: &str) -> bool {
        let mut stack: Vec<&str> = self
            .edges
            .keys()
            .filter(|(a, b)| a == from && b != to)
            .map(|(_, b)| b.as_str())
            .collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if !seen.insert(n) {
                continue;
            }
            stack.extend(
                self.edges
                    .keys()
                    .filter(|(a, _)| a == n)
                    .map(|(_, b)| b.as_str()),
            );
        }
        false
    }
}

const MAX_PER_COLUMN: usize = 6;

fn read_lineage(
    model: Object<'_>,
    comps: &[Comp<'_>],
    deps: &[(String, String)],
    datasets: &Datasets,
    identity: &Identity,
) -> Lineage {
    const SUBJECT: &str = "#subject";
    let mut g = Graph::default();
    // Model components, keyed by purl (without version) or name; refs map to those keys.
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut ref_key: BTreeMap<String, String> = BTreeMap::new();
    for c in comps.iter().filter(|c| c.kind == "machine-learning-model") {
        let Some(k) = node_key(c.v) else {
            continue;
        };
        let source =
            c.v.property("aibom:source")
                .map(str::to_owned)
                .unwrap_or_else(|| "components".into());
        g.node(&k, c.v, &source);
        keys.insert(k.clone(), k.clone());
        if let Some(n) = c.v.get("name").text() {
            keys.entry(format!("name:{n}")).or_insert_with(|| k.clone());
        }
        if let Some(r) = &c.bom_ref {
            ref_key.insert(r.clone(), k);
        }
    }
    if let Some(r) = &identity.bom_ref {
        ref_key.insert(r.clone(), SUBJECT.into());
    }
    let relation = model
        .at("/pedigree/notes")
        .text()
        .and_then(|n| n.strip_prefix("base_model_relation: ").map(str::to_owned))
        .or_else(|| {
            model
                .get("modelCard")
                .object()
                .property("aibom:card:base_model_relation")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "base model".into());
    g.ancestors(SUBJECT, model, &relation, &keys, 0);
    for c in comps.iter().filter(|c| c.kind == "machine-learning-model") {
        if let Some(k) = node_key(c.v) {
            g.ancestors(&k, c.v, "base model", &keys, 0);
        }
    }
    for (from, to) in deps {
        if let (Some(child), Some(parent)) = (ref_key.get(from), ref_key.get(to))
            && child != parent
        {
            g.edges
                .entry((parent.clone(), child.clone()))
                .or_insert_with(|| "depends on".into());
        }
    }
    // Keep what leads to the model; drop edges implied by longer paths.
    let mut keep: BTreeSet<String> = BTreeSet::from([SUBJECT.to_owned()]);
    let mut stack = vec![SUBJECT.to_owned()];
    while let Some(n) = stack.pop() {
        for (a, b) in g.edges.keys() {
            if *b == n && keep.insert(a.clone()) {
                stack.push(a.clone());
            }
        }
    }
    g.edges
        .retain(|(a, b), _| keep.contains(a) && keep.contains(b));
    let implied: Vec<(String, String)> = g
        .edges
        .keys()
        .filter(|(a, b)| g.reachable_indirectly(a, b))
        .cloned()
        .collect();
    for e in implied {
        g.edges.remove(&e);
    }

    // Columns: longest path from a root (bounded, so a cycle cannot loop).
    let mut layer: BTreeMap<String, usize> = keep.iter().map(|k| (k.clone(), 0)).collect();
    for _ in 0..keep.len() {
        let mut changed = false;
        for (a, b) in g.edges.keys() {
            let la = layer.get(a).copied().unwrap_or(0);
            let lb = layer.get(b).copied().unwrap_or(0);
            if lb < la + 1 && la + 1 < keep.len() + 1 {
                layer.insert(b.clone(), la + 1);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let subject_layer = layer.get(SUBJECT).copied().unwrap_or(0);
    layer.insert(
        SUBJECT.into(),
        layer
            .values()
            .copied()
            .max()
            .unwrap_or(0)
            .max(subject_layer),
    );
    let shift = usize::from(subject_layer == 0 && !datasets.rows.is_empty());
    let subject_col = layer.get(SUBJECT).copied().unwrap_or(0) + shift;

    let mut out = Lineage::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_col: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (k, l) in &layer {
        per_col.entry(l + shift).or_default().push(k.clone());
    }
    for (col, mut ks) in per_col {
        ks.sort_by_key(|k| {
            (
                k != SUBJECT,
                g.nodes.get(k).map(|n| n.0.clone()).unwrap_or_default(),
            )
        });
        let hidden = ks.len().saturating_sub(MAX_PER_COLUMN);
        for (row, k) in ks
            .iter()
            .take(MAX_PER_COLUMN - usize::from(hidden > 0))
            .enumerate()
        {
            let node = if k == SUBJECT {
                let mut detail = vec!["this model".to_owned()];
                detail.extend(identity.kind.clone());
                detail.extend(identity.version.clone());
                LineageNode {
                    name: identity
                        .name
                        .clone()
                        .unwrap_or_else(|| "(unnamed model)".into()),
                    detail: detail.join(" · "),
                    purl: identity.purl.clone(),
                    source: "metadata.component".into(),
                    kind: NodeKind::Subject,
                    flagged: identity.name.is_none(),
                    column: col,
                    row,
                }
            } else {
                let (name, version, purl, source) = g
                    .nodes
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| (k.clone(), None, None, String::new()));
                let mut detail = vec!["base model".to_owned()];
                detail.extend(version.map(|v| format!("rev {v}")));
                LineageNode {
                    flagged: purl.is_none(),
                    name,
                    detail: detail.join(" · "),
                    purl,
                    source,
                    kind: NodeKind::Model,
                    column: col,
                    row,
                }
            };
            index.insert(k.clone(), out.nodes.len());
            out.nodes.push(node);
        }
        if hidden > 0 {
            out.nodes.push(LineageNode {
                name: format!("+{} more models", hidden + 1),
                detail: "see the table below".into(),
                purl: None,
                source: String::new(),
                kind: NodeKind::More,
                flagged: false,
                column: col,
                row: MAX_PER_COLUMN - 1,
            });
        }
    }
    for ((a, b), label) in &g.edges {
        if let (Some(&from), Some(&to)) = (index.get(a), index.get(b)) {
            out.edges.push(LineageEdge {
                from,
                to,
                label: label.clone(),
            });
        }
    }
    // Datasets feed the model from the column before it, below the models there.
    if let (Some(&subject), Some(col)) = (index.get(SUBJECT), subject_col.checked_sub(1)) {
        let first_row = out.nodes.iter().filter(|n| n.column == col).count();
        let hidden = datasets.rows.len().saturating_sub(MAX_PER_COLUMN);
        let shown = datasets.rows.len() - hidden - usize::from(hidden > 0);
        for (i, d) in datasets.rows.iter().take(shown).enumerate() {
            let flagged = !d.missing.is_empty() || d.unknown.is_some();
            out.edges.push(LineageEdge {
                from: out.nodes.len(),
                to: subject,
                label: d.role.clone().unwrap_or_else(|| "data".into()),
            });
            out.nodes.push(LineageNode {
                name: d.name.clone(),
                detail: if flagged {
                    "dataset · provenance unknown".into()
                } else {
                    "dataset".into()
                },
                purl: None,
                source: "modelCard.modelParameters.datasets".into(),
                kind: NodeKind::Dataset,
                flagged,
                column: col,
                row: first_row + i,
            });
        }
        if hidden > 0 {
            out.edges.push(LineageEdge {
                from: out.nodes.len(),
                to: subject,
                label: "data".into(),
            });
            out.nodes.push(LineageNode {
                name: format!("+{} more datasets", hidden + 1),
                detail: "see Datasets".into(),
                purl: None,
                source: String::new(),
                kind: NodeKind::More,
                flagged: false,
                column: col,
                row: first_row + shown,
            });
        }
    }
    out.columns = out.nodes.iter().map(|n| n.column + 1).max().unwrap_or(0);
    out.rows = out.nodes.iter().map(|n| n.row + 1).max().unwrap_or(0);
    out
}

impl Lineage {
    /// Nodes without an incoming edge, in column order (for text trees).
    pub fn roots(&self) -> Vec<usize> {
        let mut r: Vec<usize> = (0..self.nodes.len())
            .filter(|i| !self.edges.iter().any(|e| e.to == *i))
            .collect();
        r.sort_by_key(|&i| {
            self.nodes
                .get(i)
                .map(|n| (n.kind == NodeKind::Dataset, n.column, n.row))
        });
        r
    }
    /// Edges leaving `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = &LineageEdge> {
        self.edges.iter().filter(move |e| e.from == i)
    }
    pub fn subject(&self) -> Option<usize> {
        self.nodes.iter().position(|n| n.kind == NodeKind::Subject)
    }
}

fn read_licenses(model: Object<'_>, comps: &[Comp<'_>], identity: &Identity) -> Licenses {
    let mut rows = Vec::new();
    let mut add = |name: &str, role: &str, v: Object<'_>, always: bool| {
        let ls = licenses_of(v);
        if ls.is_empty() {
            if always {
                rows.push(LicenseRow {
                    component: name.to_owned(),
                    role: role.to_owned(),
                    license: None,
                    spdx: false,
                    non_commercial: false,
                    url: None,
                });
            }
            return;
        }
        for (l, spdx, url) in ls {
            rows.push(LicenseRow {
                component: name.to_owned(),
                role: role.to_owned(),
                non_commercial: is_non_commercial(&l),
                license: Some(l),
                spdx,
                url,
            });
        }
    };
    add(
        identity.name.as_deref().unwrap_or("(unnamed model)"),
        "this model",
        model,
        true,
    );
    for c in comps.iter().filter(|c| c.kind != "file") {
        let role = match c.kind.as_str() {
            "machine-learning-model" => "base model",
            "data" if is_dataset(c) => "dataset",
            "data" => "data",
            "library" => "library",
            "framework" => "framework",
            other => other,
        };
        // Models and datasets must state a licence; software often is not recorded at all.
        let always = matches!(role, "base model" | "dataset");
        add(&c.name, role, c.v, always);
    }
    let mut remarks: Vec<String> = model
        .properties()
        .filter(|(n, _)| *n == "aibom:license:conflict")
        .map(|(_, v)| format!("conflict: {v}"))
        .collect();
    remarks.extend(
        model
            .properties()
            .filter(|(n, _)| *n == "aibom:license-file")
            .map(|(_, v)| format!("licence file {v}")),
    );
    Licenses { rows, remarks }
}

fn read_dependencies(comps: &[Comp<'_>], direct: &BTreeSet<String>) -> Vec<DependencyRow> {
    let mut rows: Vec<DependencyRow> = comps
        .iter()
        .filter(|c| !matches!(c.kind.as_str(), "file" | "machine-learning-model" | "data"))
        .map(|c| {
            let version = c.v.get("version").text();
            let purl = c.v.get("purl").text();
            DependencyRow {
                name: c.name.clone(),
                kind: if c.kind.is_empty() {
                    "component".into()
                } else {
                    c.kind.clone()
                },
                pinned: version.is_some() || purl.as_deref().is_some_and(purl_versioned),
                version,
                purl,
                direct: c.bom_ref.as_ref().is_some_and(|r| direct.contains(r)),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    rows
}

fn read_prompts(
    card: Object<'_>,
    comps: &[Comp<'_>],
    files: &Files,
    findings: &Findings,
) -> Prompts {
    let mut p = Prompts {
        chat_template_flag: card
            .property("cdx:ai-ml:model:template:chat")
            .map(str::to_owned),
        remote_code_flag: card.property("aibom:remote-code").map(str::to_owned),
        ..Prompts::default()
    };
    for c in comps.iter().filter(|c| is_template(c)) {
        p.templates.push(TemplateRow {
            name: c.name.clone(),
            sha256: sha256(c.v),
            source: c.v.property("aibom:source").map(str::to_owned),
            length: c.v.property("aibom:template:length").map(str::to_owned),
            description: c
                .v
                .get("data")
                .objects()
                .find_map(|d| d.get("description").text()),
        });
    }
    for c in comps.iter().filter(|c| c.kind == "file") {
        if let Some(h) =
            c.v.property("aibom:gguf:chat-template-sha256")
                .map(str::to_owned)
        {
            p.templates.push(TemplateRow {
                name: format!("{} (embedded chat template)", c.name),
                sha256: Some(h),
                source: Some("GGUF metadata: tokenizer.chat_template".into()),
                ..TemplateRow::default()
            });
        }
    }
    for f in &files.rows {
        if let Some(role) = &f.role {
            p.role_files.push((f.path.clone(), role.clone()));
        }
        if f.path.ends_with(".py") {
            p.python_files.push(f.path.clone());
        }
    }
    p.findings = findings
        .rows
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.code, Some(Code::ChatTemplateInjection | Code::RemoteCode)))
        .map(|(i, _)| i)
        .collect();
    p
}

fn read_exceptions(
    doc: &read::Document<'_>,
    findings: &Findings,
    files: &Files,
    configured: &[crate::config::Exception],
) -> Vec<ExceptionRow> {
    let mut rows = Vec::new();
    for v in doc.vulnerabilities() {
        let analysis = v.get("analysis");
        let reason = v.property("aibom:exception:reason").map(str::to_owned);
        if analysis.value().is_none() && reason.is_none() {
            continue;
        }
        let a = analysis.object();
        let mut analysed = Vec::new();
        if let Some(s) = a.get("state").text() {
            analysed.push(format!("state {s}"));
        }
        let responses: Vec<String> = a.get("response").items().iter().filter_map(text).collect();
        if !responses.is_empty() {
            analysed.push(format!("response {}", responses.join(", ")));
        }
        if let Some(j) = a.get("justification").text() {
            analysed.push(format!("justification {j}"));
        }
        rows.push(ExceptionRow {
            finding: v.get("id").text().unwrap_or_else(|| "(no id)".into()),
            path: v
                .property("aibom:finding:path")
                .map(str::to_owned)
                .or_else(|| v.at("/affects/0/ref").text()),
            reason: reason.or_else(|| a.get("detail").text()),
            expires: v.property("aibom:exception:expires").map(str::to_owned),
            owner: v.property("aibom:exception:owner").map(str::to_owned),
            sha256: None,
            source: "AIBOM (vulnerabilities[].analysis)".into(),
            matches: None,
            analysis: (!analysed.is_empty()).then(|| analysed.join("; ")),
        });
    }
    // The SHA-256 the AIBOM records for each file, for exceptions pinned to bytes.
    let recorded: BTreeMap<&str, crate::digest::Sha256> = files
        .rows
        .iter()
        .filter_map(|f| {
            let (_, hex) = f.hashes.iter().find(|(alg, _)| alg == "SHA-256")?;
            Some((f.path.as_str(), hex.parse().ok()?))
        })
        .collect();
    for x in configured {
        let matches = findings.rows.iter().any(|f| {
            let codes = std::iter::once(f.id.as_str()).chain(f.code.map(|c| c.as_str()));
            codes.into_iter().any(|code| {
                f.affected.iter().any(|path| {
                    x.matches(&crate::config::Subject {
                        code,
                        path,
                        sha256: recorded.get(path.as_str()),
                    })
                })
            })
        });
        rows.push(ExceptionRow {
            finding: x.code.to_string(),
            path: Some(x.path.clone()),
            reason: Some(x.reason.clone()),
            expires: x.expires.map(|d| d.to_string()),
            owner: x.owner.clone(),
            sha256: x.sha256.map(|d| d.to_hex()),
            source: "aibom.toml".into(),
            matches: Some(matches),
            analysis: None,
        });
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// Completeness: typed fields only.

fn ext_ref_types(v: Object<'_>) -> BTreeSet<String> {
    v.get("externalReferences")
        .objects()
        .filter(|e| e.get("url").text().is_some())
        .filter_map(|e| e.get("type").text())
        .collect()
}

fn status(ok: bool) -> Status {
    if ok { Status::Present } else { Status::Unknown }
}

#[allow(clippy::too_many_arguments)]
fn assess(
    doc: &read::Document<'_>,
    model: Object<'_>,
    card: Object<'_>,
    params: Object<'_>,
    comps: &[Comp<'_>],
    by_ref: &BTreeMap<&str, usize>,
    files: &Files,
    findings: &Findings,
    identity: &Identity,
) -> Completeness {
    let mut fields = Vec::new();
    let mut add = |group: &'static str,
                   ask: &'static str,
                   asked_by: &'static str,
                   cdx: &'static str,
                   status: Status,
                   detail: String,
                   scored: bool| {
        fields.push(Field {
            group,
            ask,
            asked_by,
            cdx,
            status,
            detail,
            scored,
        });
    };
    let considerations = card.get("considerations").object();
    let shown = |v: Option<String>| v.unwrap_or_else(|| NOT_RECORDED.into());

    // Identity.
    const ID: &str = "Identity and release";
    const XI_1C: &str = "EU AI Act Annex XI §1(c), XII §1(c); NIST GOVERN 1.6";
    add(
        ID,
        "Model name",
        XI_1C,
        "metadata.component.name",
        status(model.at("/name").is_recorded()),
        shown(model.get("name").text()),
        true,
    );
    add(
        ID,
        "Version or revision",
        XI_1C,
        "metadata.component.version",
        status(model.at("/version").is_recorded()),
        shown(model.get("version").text()),
        true,
    );
    add(
        ID,
        "Package URL (identity)",
        "NIST MANAGE 3.2; BSI/G7 minimum elements",
        "metadata.component.purl",
        status(model.at("/purl").is_recorded()),
        shown(model.get("purl").text()),
        true,
    );
    let provider = [
        "/supplier/name",
        "/manufacturer/name",
        "/publisher",
        "/authors/0/name",
        "/author",
    ]
    .iter()
    .any(|p| model.at(p).is_recorded())
        || doc.metadata.at("/supplier/name").is_recorded()
        || doc.metadata.at("/manufacturer/name").is_recorded();
    add(
        ID,
        "Provider",
        "EU AI Act Annex XI §1(c), XII §1(c)",
        "metadata.component.supplier / manufacturer / publisher / authors",
        status(provider),
        if provider {
            identity.provider.join("; ")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    add(
        ID,
        "Date of the record",
        "EU AI Act Annex XI §1(c) (date of release)",
        "metadata.timestamp",
        status(doc.metadata.at("/timestamp").is_recorded()),
        shown(doc.metadata.get("timestamp").text()),
        true,
    );
    let refs = ext_ref_types(model);
    let dist: Vec<&String> = refs
        .iter()
        .filter(|t| {
            matches!(
                t.as_str(),
                "distribution" | "distribution-intake" | "vcs" | "website"
            )
        })
        .collect();
    add(
        ID,
        "Distribution (where it is obtained)",
        "EU AI Act Annex XII §1(c)",
        "metadata.component.externalReferences[type=distribution|vcs|website]",
        status(!dist.is_empty()),
        if dist.is_empty() {
            NOT_RECORDED.into()
        } else {
            dist.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        true,
    );
    let hashed = files.rows.iter().filter(|f| !f.hashes.is_empty()).count();
    let digests = if files.rows.is_empty() {
        Status::Unknown
    } else if hashed == files.rows.len() {
        Status::Present
    } else {
        Status::Partial
    };
    add(
        ID,
        "File digests (hash value and algorithm)",
        "BSI/G7 minimum elements; EU AI Act Art. 15(5)",
        "components[type=file].hashes",
        digests,
        if files.rows.is_empty() {
            "no file components".into()
        } else {
            format!("{hashed} of {} files hashed", files.rows.len())
        },
        true,
    );

    // Intended purpose.
    const USE: &str = "Intended purpose and licence";
    add(
        USE,
        "Intended task",
        "EU AI Act Annex XI §1(a)",
        "modelCard.modelParameters.task",
        status(params.at("/task").is_recorded()),
        shown(params.get("task").text()),
        true,
    );
    let uses = considerations.get("useCases").items().len();
    add(
        USE,
        "Intended use cases",
        "EU AI Act Annex XI §1(a), XII §1(a); NIST MAP 1.1",
        "modelCard.considerations.useCases",
        status(uses > 0),
        if uses > 0 {
            plural(uses, "use case", "use cases")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let users = considerations.get("users").items().len();
    add(
        USE,
        "Intended users",
        "NIST MAP 1.1",
        "modelCard.considerations.users",
        status(users > 0),
        if users > 0 {
            plural(users, "user group", "user groups")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let lic = licenses_of(model);
    add(
        USE,
        "Licence / acceptable-use terms",
        "EU AI Act Annex XI §1(b),(f); NIST GOVERN 6.1",
        "metadata.component.licenses",
        status(!lic.is_empty()),
        if lic.is_empty() {
            NOT_RECORDED.into()
        } else {
            lic.iter()
                .map(|l| l.0.clone())
                .collect::<Vec<_>>()
                .join(", ")
        },
        true,
    );
    let docs: Vec<&String> = refs
        .iter()
        .filter(|t| matches!(t.as_str(), "documentation" | "model-card"))
        .collect();
    add(
        USE,
        "Documentation / model card link",
        "EU AI Act Annex XII §1",
        "metadata.component.externalReferences[type=model-card|documentation]",
        status(!docs.is_empty()),
        if docs.is_empty() {
            NOT_RECORDED.into()
        } else {
            docs.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        true,
    );

    // Architecture.
    const ARCH: &str = "Architecture and interface";
    let arch = params.at("/modelArchitecture").is_recorded()
        || params.at("/architectureFamily").is_recorded();
    add(
        ARCH,
        "Architecture",
        "EU AI Act Annex XI §1(d)",
        "modelCard.modelParameters.modelArchitecture / architectureFamily",
        status(arch),
        shown(identity.architecture.clone()),
        true,
    );
    let params_count = card
        .property("cdx:ai-ml:model:parameter:count")
        .map(str::to_owned);
    add(
        ARCH,
        "Number of parameters",
        "EU AI Act Annex XI §1(d)",
        "property cdx:ai-ml:model:parameter:count (no typed field)",
        status(params_count.is_some()),
        shown(params_count),
        false,
    );
    let io = |key: &str| {
        params
            .get(key)
            .value()
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|x| Object::new(x).get("format").text().is_some())
            })
    };
    let (i, o) = (io("inputs"), io("outputs"));
    add(
        ARCH,
        "Input and output format",
        "EU AI Act Annex XI §1(e), XII §2(b)",
        "modelCard.modelParameters.inputs[].format, outputs[].format",
        match (i, o) {
            (true, true) => Status::Present,
            (false, false) => Status::Unknown,
            _ => Status::Partial,
        },
        match (i, o) {
            (true, true) => "inputs and outputs".into(),
            (true, false) => "inputs only".into(),
            (false, true) => "outputs only".into(),
            _ => NOT_RECORDED.into(),
        },
        true,
    );

    // Training.
    const TRAIN: &str = "Training and data";
    add(
        TRAIN,
        "Training approach",
        "EU AI Act Annex XI §2(b)",
        "modelCard.modelParameters.approach.type",
        status(params.at("/approach/type").is_recorded()),
        shown(params.at("/approach/type").text()),
        true,
    );
    let ancestors = model.at("/pedigree/ancestors").items().len();
    add(
        TRAIN,
        "Pre-trained (base) models",
        "EU AI Act Annex IV §2(a); NIST GOVERN 6.1, MANAGE 3.2",
        "metadata.component.pedigree.ancestors",
        status(ancestors > 0),
        if ancestors > 0 {
            format!("{ancestors} named")
        } else {
            "none named (trained from scratch, or not declared)".into()
        },
        true,
    );
    // The datasets the model card names, resolved.
    let named: Vec<Object<'_>> = params.get("datasets").objects().collect();
    let resolved: Vec<DatasetRow> = named
        .iter()
        .map(|d| match d.get("ref").text() {
            Some(r) => match by_ref.get(r.as_str()).and_then(|&i| comps.get(i)) {
                Some(c) => dataset_row(c),
                None => DatasetRow {
                    missing: vec!["licence", "provenance", "classification"],
                    unresolved: true,
                    ..DatasetRow::default()
                },
            },
            None => dataset_from(Object::empty(), &[*d], String::new()),
        })
        .collect();
    add(
        TRAIN,
        "Training and evaluation data named",
        "EU AI Act Annex XI §2(c), Art. 53(1)(d)",
        "modelCard.modelParameters.datasets",
        status(!named.is_empty()),
        if named.is_empty() {
            NOT_RECORDED.into()
        } else {
            plural(named.len(), "dataset", "datasets")
        },
        true,
    );
    let per_dataset = |ok: &dyn Fn(&DatasetRow) -> bool| -> (Status, String) {
        if resolved.is_empty() {
            return (Status::Unknown, "no dataset is named".into());
        }
        let n = resolved.iter().filter(|d| ok(d)).count();
        let s = if n == resolved.len() {
            Status::Present
        } else if n == 0 {
            Status::Unknown
        } else {
            Status::Partial
        };
        (s, format!("{n} of {} datasets", resolved.len()))
    };
    let (s, d) = per_dataset(&|d| !d.owners.is_empty());
    add(
        TRAIN,
        "Dataset provenance and ownership",
        "EU AI Act Annex XI §2(c), Art. 10(2); NIST MAP 4.1",
        "components[type=data].data[].governance",
        s,
        d,
        true,
    );
    let (s, d) = per_dataset(&|d| d.source_url.is_some());
    add(
        TRAIN,
        "Dataset source (how obtained)",
        "EU AI Act Annex XI §2(c)",
        "data[].contents.url or the data component's externalReferences",
        s,
        d,
        true,
    );
    let (s, d) = per_dataset(&|d| !d.licenses.is_empty());
    add(
        TRAIN,
        "Dataset licences",
        "EU AI Act Art. 53(1)(c); NIST GOVERN 6.1",
        "components[type=data].licenses",
        s,
        d,
        true,
    );
    let (s, d) = per_dataset(&|d| d.classification.is_some());
    add(
        TRAIN,
        "Dataset classification",
        "EU AI Act Art. 10; NIST MEASURE 2.10",
        "data[].classification",
        s,
        d,
        true,
    );
    let all_public = !resolved.is_empty()
        && resolved.iter().all(|d| {
            d.classification
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("public"))
        });
    if all_public {
        add(
            TRAIN,
            "Sensitive / personal data in datasets",
            "EU AI Act Art. 10(5); NIST MEASURE 2.10",
            "data[].sensitiveData",
            Status::NotApplicable,
            "every dataset is classified public".into(),
            true,
        );
    } else {
        let (s, d) = per_dataset(&|d| !d.sensitive_data.is_empty());
        add(
            TRAIN,
            "Sensitive / personal data in datasets",
            "EU AI Act Art. 10(5); NIST MEASURE 2.10",
            "data[].sensitiveData",
            s,
            d,
            true,
        );
    }
    let energy = considerations
        .at("/environmentalConsiderations/energyConsumptions")
        .is_recorded();
    add(
        TRAIN,
        "Compute and energy used in training",
        "EU AI Act Annex XI §2(d),(e)",
        "modelCard.considerations.environmentalConsiderations.energyConsumptions",
        status(energy),
        if energy {
            "recorded".into()
        } else {
            NOT_RECORDED.into()
        },
        true,
    );

    // Evaluation and risk.
    const EVAL: &str = "Evaluation and risk";
    let metrics = card
        .at("/quantitativeAnalysis/performanceMetrics")
        .items()
        .len();
    add(
        EVAL,
        "Evaluation results",
        "EU AI Act Annex XI §2(1); NIST MEASURE 2.3",
        "modelCard.quantitativeAnalysis.performanceMetrics",
        status(metrics > 0),
        if metrics > 0 {
            plural(metrics, "metric", "metrics")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let count = |k: &str| considerations.get(k).items().len();
    let lim = count("technicalLimitations");
    add(
        EVAL,
        "Known limitations",
        "EU AI Act Annex IV §3; NIST MAP 2.2",
        "modelCard.considerations.technicalLimitations",
        status(lim > 0),
        if lim > 0 {
            plural(lim, "limitation", "limitations")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let eth = count("ethicalConsiderations");
    add(
        EVAL,
        "Ethical considerations and risks",
        "NIST MAP 5.1",
        "modelCard.considerations.ethicalConsiderations",
        status(eth > 0),
        if eth > 0 {
            plural(eth, "consideration", "considerations")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let fair = count("fairnessAssessments");
    add(
        EVAL,
        "Fairness and bias assessment",
        "EU AI Act Art. 10(2)(f); NIST MEASURE 2.11",
        "modelCard.considerations.fairnessAssessments",
        status(fair > 0),
        if fair > 0 {
            plural(fair, "assessment", "assessments")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    add(
        EVAL,
        "Security evaluation",
        "EU AI Act Art. 15(5); NIST MEASURE 2.7",
        "vulnerabilities[] (or an inspection tool in metadata.tools that records every finding)",
        status(findings.recorded),
        if findings.recorded {
            format!(
                "{} recorded",
                plural(findings.rows.len(), "finding", "findings")
            )
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let model_deps = match &identity.bom_ref {
        Some(r) => doc
            .dependencies()
            .filter(|d| d.get("ref").text().as_deref() == Some(r))
            .filter_map(|d| d.get("dependsOn").value().and_then(Value::as_array))
            .map(Vec::len)
            .sum(),
        None => 0,
    };
    add(
        EVAL,
        "Third-party components the model uses",
        "EU AI Act Annex IV §2(a); NIST GOVERN 6.1, MAP 4.1",
        "dependencies[ref=model].dependsOn",
        status(model_deps > 0),
        if model_deps > 0 {
            plural(model_deps, "direct dependency", "direct dependencies")
        } else {
            NOT_RECORDED.into()
        },
        true,
    );
    let claims = doc.root.at("/declarations/claims").is_recorded()
        || doc.root.at("/declarations/attestations").is_recorded();
    add(
        EVAL,
        "Copyright policy (general-purpose AI)",
        "EU AI Act Art. 53(1)(c)",
        "declarations (no dedicated field)",
        status(claims),
        if claims {
            "declarations recorded".into()
        } else {
            NOT_RECORDED.into()
        },
        false,
    );

    let scored: Vec<&Field> = fields.iter().filter(|f| f.scored).collect();
    let applicable = scored
        .iter()
        .filter(|f| f.status != Status::NotApplicable)
        .count();
    let present = scored
        .iter()
        .filter(|f| f.status == Status::Present)
        .count();
    let score = (present * 100)
        .checked_div(applicable)
        .and_then(|s| u32::try_from(s).ok())
        .unwrap_or(0);

    Completeness {
        fields,
        present,
        applicable,
        score,
    }
}

// ---------------------------------------------------------------------------------------------
// Approvals: signatures given with --signature.

/// A signature file, as given: its name for display and its bytes (`None`: missing), with
/// its `<signature>.bom` attestation when there is one.
pub struct SignatureInput {
    pub shown: String,
    pub bytes: Option<Vec<u8>>,
    pub attestation: Option<(String, Vec<u8>)>,
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Key { .. } => "key",
        Method::Certificate { .. } => "certificate",
        Method::Sigstore => "keyless",
    }
}

/// Opens, authenticates and parses one bundle: `(method, signer, statement)`.
fn check_bundle(
    bytes: &[u8],
    trust: &Trust,
) -> Result<(String, String, Statement), (Option<String>, String)> {
    let opened = bundle::open(bytes).map_err(|e| (None, e.to_string()))?;
    let method = method_name(&opened.method).to_owned();
    // The same check as `aibom verify`.
    let signer = crate::verify::authenticate(&opened, trust)
        .map_err(|e| (Some(method.clone()), e))?
        .identity;
    let st = statement::parse(&opened.payload)
        .map_err(|e| (Some(method.clone()), format!("signed statement: {e}")))?;
    Ok((method, signer, st))
}

fn inventory(bom: &read::Document<'_>, resources: &[Resource]) -> (bool, String) {
    let mismatches = crate::verify::bom_file_mismatches(bom, resources);
    match mismatches.first() {
        None => (
            true,
            format!(
                "the {} signed files are exactly the AIBOM's files, with the same SHA-256",
                resources.len()
            ),
        ),
        Some(first) => (
            false,
            format!(
                "{} differences between the signed files and the AIBOM's files, first: {first}",
                mismatches.len()
            ),
        ),
    }
}

/// Checks each signature against `trust` and against this AIBOM. The model digest is what the
/// signature covers; only `aibom verify DIR` can recompute it from the files.
/// `bom_sha256` is the SHA-256 of the AIBOM file's bytes: attestations that name it bind
/// those exact bytes.
pub fn approvals(
    signatures: &[SignatureInput],
    trust: &Trust,
    doc: &read::Document<'_>,
    bom_sha256: &crate::digest::Sha256,
) -> Vec<Approval> {
    let bom = doc.root.value();
    let mut out = Vec::new();
    for s in signatures {
        let mut a = Approval {
            signature: s.shown.clone(),
            attestation_file: s.attestation.as_ref().map(|(p, _)| p.clone()),
            ..Approval::default()
        };
        let Some(bytes) = &s.bytes else {
            a.problem = Some("the signature file is missing".into());
            out.push(a);
            continue;
        };
        let mut model_subject = None;
        match check_bundle(bytes, trust) {
            Err((method, e)) => {
                a.method = method;
                a.problem = Some(e);
            }
            Ok((method, signer, st)) => {
                a.method = Some(method);
                a.signer = Some(signer);
                a.model_digest = Some(st.subject().to_hex());
                match &st {
                    Statement::Model {
                        resources, subject, ..
                    } => {
                        a.valid = true;
                        model_subject = Some(*subject);
                        let (ok, text) = inventory(doc, resources);
                        a.inventory_matches = Some(ok);
                        a.inventory = Some(text);
                    }
                    Statement::Bom {
                        bom: predicate,
                        bom_sha256: signed,
                        ..
                    } => {
                        // An AIBOM attestation given directly.
                        a.valid = true;
                        a.attestation_file = Some(s.shown.clone());
                        a.attestation = match crate::sign::statement::bom_binding(
                            predicate,
                            signed.as_ref(),
                            bom,
                            bom_sha256,
                        ) {
                            Ok(_) => AttestationState::Binds,
                            Err(_) => AttestationState::Other(
                                "this is an AIBOM attestation of another document".into(),
                            ),
                        };
                        a.problem =
                            Some("this is an AIBOM attestation, not a model signature".into());
                    }
                }
            }
        }
        if let Some((_, att)) = &s.attestation {
            a.attestation = match check_bundle(att, trust) {
                Err((_, e)) => AttestationState::Invalid(e),
                Ok((_, _, Statement::Model { .. })) => {
                    AttestationState::Invalid("it carries a model signature, not an AIBOM".into())
                }
                Ok((
                    _,
                    _,
                    Statement::Bom {
                        subject,
                        bom: predicate,
                        bom_sha256: signed,
                    },
                )) => {
                    if let Err(e) = crate::sign::statement::bom_binding(
                        &predicate,
                        signed.as_ref(),
                        bom,
                        bom_sha256,
                    ) {
                        AttestationState::Other(format!(
                            "it binds another AIBOM than this one: {e}"
                        ))
                    } else if model_subject.is_some_and(|m| m != subject) {
                        AttestationState::Other(format!(
                            "it binds this AIBOM to model digest {}, not to the signed {}",
                            subject.to_hex(),
                            model_subject.map(|m| m.to_hex()).unwrap_or_default()
                        ))
                    } else if model_subject.is_none() {
                        AttestationState::Other(
                            "it binds this AIBOM, but the model signature beside it is not valid"
                                .into(),
                        )
                    } else {
                        AttestationState::Binds
                    }
                }
            };
        }
        out.push(a);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Shared by the renderers.

/// Bytes as B, KiB, MiB, GiB.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in UNITS.iter().skip(1) {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lora() -> Value {
        serde_json::from_str(include_str!("../../tests/snapshots/lora_adapter.cdx.json")).unwrap()
    }

    #[test]
    fn every_finding_code_has_exactly_one_mapping() {
        for code in Code::ALL {
            let n = MAPPINGS.iter().filter(|m| m.code == *code).count();
            assert_eq!(n, 1, "{code} has {n} mappings");
        }
        assert_eq!(MAPPINGS.len(), Code::ALL.len());
    }

    #[test]
    fn mapping_cwes_include_the_cwe_of_the_code() {
        for m in MAPPINGS {
            if let Some(c) = m.code.cwe() {
                assert!(m.cwe.contains(&c), "{}: CWE-{c} missing", m.code);
            }
        }
    }

    #[test]
    fn every_framework_id_in_the_mapping_has_a_name() {
        let gaps = [&DATASET_GAP, &LICENSE_GAP, &DEPENDENCY_GAP];
        for m in MAPPINGS {
            for c in m.cwe {
                assert!(cwe_name(*c).is_some(), "CWE-{c}");
            }
            for a in m.atlas {
                assert!(atlas_name(a).is_some(), "{a}");
            }
            for o in m.owasp {
                assert!(owasp_name(o).is_some(), "{o}");
            }
            for n in m.nist {
                assert!(nist_name(n).is_some(), "{n}");
            }
            // Every finding is at least a supply-chain matter.
            assert!(!m.owasp.is_empty(), "{}", m.code);
        }
        for g in gaps {
            assert!(g.atlas.iter().all(|a| atlas_name(a).is_some()));
            assert!(g.owasp.iter().all(|a| owasp_name(a).is_some()));
            assert!(g.nist.iter().all(|a| nist_name(a).is_some()));
        }
    }

    #[test]
    fn pickle_payloads_templates_and_secrets_map_to_their_owasp_and_atlas_entries() {
        let m = mapping(Code::PickleDangerousCall).unwrap();
        assert!(m.atlas.contains(&"AML.T0011.000") && m.atlas.contains(&"AML.T0018"));
        assert!(m.owasp.contains(&"LLM03"));
        let t = mapping(Code::ChatTemplateInjection).unwrap();
        assert!(t.owasp.contains(&"LLM01"));
        let s = mapping(Code::SecretExposed).unwrap();
        assert!(s.owasp.contains(&"LLM02"));
    }

    #[test]
    fn properties_never_raise_the_score() {
        let base = read(&lora(), Inputs::default()).unwrap().completeness;
        let mut doc = lora();
        // Every ask, stuffed into properties: aibom's and registered names alike.
        let stuffed: Vec<Value> = [
            "cdx:ai-ml:model:task",
            "cdx:ai-ml:model:energy",
            "aibom:dataset:governance",
            "aibom:dataset:classification",
            "aibom:supplier",
            "aibom:use-cases",
            "aibom:limitations",
            "energyConsumption",
            "safetyRiskAssessment",
        ]
        .iter()
        .map(|n| json!({"name": n, "value": "yes"}))
        .collect();
        for p in [
            "/metadata/component/properties",
            "/metadata/component/modelCard/properties",
            "/metadata/properties",
        ] {
            doc.pointer_mut(p)
                .unwrap()
                .as_array_mut()
                .unwrap()
                .extend(stuffed.iter().cloned());
        }
        for c in doc["components"].as_array_mut().unwrap() {
            c["properties"] = Value::Array(stuffed.clone());
        }
        let after = read(&doc, Inputs::default()).unwrap().completeness;
        assert_eq!(base.score, after.score);
        assert_eq!(base.present, after.present);
        assert_eq!(base.applicable, after.applicable);
    }

    #[test]
    fn typed_fields_raise_the_score() {
        let base = read(&lora(), Inputs::default()).unwrap().completeness;
        let mut doc = lora();
        doc["metadata"]["component"]["version"] = json!("1.0.0");
        doc["metadata"]["component"]["modelCard"]["considerations"] =
            json!({"useCases": ["summaries"], "technicalLimitations": ["english only"]});
        let after = read(&doc, Inputs::default()).unwrap().completeness;
        assert_eq!(after.present, base.present + 3);
        assert!(after.score > base.score);
    }

    #[test]
    fn sensitive_data_is_not_applicable_only_when_every_dataset_is_public() {
        let mut doc = lora();
        for c in doc["components"].as_array_mut().unwrap() {
            if c["type"] == "data" {
                c["data"][0]["classification"] = json!("public");
            }
        }
        let find = |d: &Value| {
            read(d, Inputs::default())
                .unwrap()
                .completeness
                .fields
                .into_iter()
                .find(|f| f.ask.starts_with("Sensitive"))
                .unwrap()
                .status
        };
        assert_eq!(find(&doc), Status::NotApplicable);
        assert_eq!(find(&lora()), Status::Unknown);
    }

    #[test]
    fn reads_the_lora_lineage_as_base_to_adapter_with_datasets() {
        let r = read(&lora(), Inputs::default()).unwrap();
        let l = &r.lineage;
        let base = l
            .nodes
            .iter()
            .position(|n| n.name == "aibom/tiny-base")
            .unwrap();
        let subject = l.subject().unwrap();
        assert!(
            l.edges
                .iter()
                .any(|e| e.from == base && e.to == subject && e.label == "adapter")
        );
        assert!(l.nodes[base].column < l.nodes[subject].column);
        let datasets = l
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Dataset)
            .count();
        assert_eq!(datasets, 2);
        assert!(
            l.nodes
                .iter()
                .all(|n| n.kind != NodeKind::Dataset || n.flagged)
        );
    }

    #[test]
    fn lineage_chains_base_fine_tune_and_adapter_without_shortcuts() {
        let doc = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "metadata": {"component": {
                "type": "machine-learning-model", "bom-ref": "m", "name": "adapter",
                "pedigree": {"ancestors": [
                    {"name": "org/base", "purl": "pkg:huggingface/org/base@abc"},
                    {"name": "org/chat", "purl": "pkg:huggingface/org/chat"}
                ]}
            }},
            "components": [
                {"type": "machine-learning-model", "bom-ref": "c", "name": "org/chat",
                 "purl": "pkg:huggingface/org/chat",
                 "pedigree": {"ancestors": [{"name": "org/base", "purl": "pkg:huggingface/org/base"}]}}
            ]
        });
        let l = read(&doc, Inputs::default()).unwrap().lineage;
        let pos = |n: &str| l.nodes.iter().position(|x| x.name == n).unwrap();
        let (base, chat, subject) = (pos("org/base"), pos("org/chat"), l.subject().unwrap());
        assert_eq!(
            (
                l.nodes[base].column,
                l.nodes[chat].column,
                l.nodes[subject].column
            ),
            (0, 1, 2)
        );
        assert!(l.edges.iter().any(|e| e.from == base && e.to == chat));
        assert!(l.edges.iter().any(|e| e.from == chat && e.to == subject));
        assert!(!l.edges.iter().any(|e| e.from == base && e.to == subject));
    }

    #[test]
    fn a_foreign_minimal_document_reads_with_everything_not_recorded() {
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "oops"});
        let r = read(&doc, Inputs::default()).unwrap();
        assert!(r.identity.name.is_none());
        assert!(!r.findings.recorded);
        assert!(!r.files.recorded);
        assert!(r.notes.iter().any(|n| n.contains("components")));
        assert!(r.notes.iter().any(|n| n.contains("metadata.component")));
        assert_eq!(r.completeness.score, 0);
        assert!(matches!(
            read(&json!([]), Inputs::default()),
            Err(ReadError::NotAnObject { .. })
        ));
        assert!(matches!(
            read(&json!({"bomFormat": "SPDX"}), Inputs::default()),
            Err(ReadError::NotCycloneDx { .. })
        ));
    }

    #[test]
    fn flags_non_commercial_licences() {
        for l in [
            "cc-by-nc-4.0",
            "CC-BY-NC-SA-4.0",
            "Research NonCommercial",
            "non-commercial use",
        ] {
            assert!(is_non_commercial(l), "{l}");
        }
        for l in [
            "Apache-2.0",
            "llama2",
            "openrail++",
            "cc-by-4.0",
            "bsd-3-clause",
        ] {
            assert!(!is_non_commercial(l), "{l}");
        }
    }

    #[test]
    fn purls_without_a_version_are_unpinned() {
        assert!(purl_versioned("pkg:pypi/peft@0.11.1"));
        assert!(!purl_versioned("pkg:pypi/torch"));
        assert!(!purl_versioned("pkg:npm/%40scope/name"));
        assert_eq!(
            purl_base("pkg:huggingface/org/m@ABC?x=1"),
            "pkg:huggingface/org/m"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(582), "582 B");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
