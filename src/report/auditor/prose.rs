//! The words of the audit report, written once: headings, labels, column names, the sentences
//! that explain a section, what a section says when the AIBOM has nothing for it, and counts
//! phrased as text. The HTML and Markdown renderers put them into their markup and keep only
//! that: a wording change is made here, and both outputs follow.
//!
//! Everything here is plain text. Sentences that carry emphasis or a literal name take a
//! [`Markup`] from the renderer, and hold nothing from the AIBOM; sentences that quote the AIBOM
//! (ids, names) are plain text that each renderer escapes whole. The report's own words may be
//! written out as they are, so they stay clear of what HTML or Markdown would read as markup
//! (`<`, `&`, `*`, `_`, `|`, backticks, brackets); a test checks it.

use super::*;

/// What a renderer supplies to put a sentence into its markup.
pub trait Markup {
    /// Emphasis on text already in the output format.
    fn strong(&self, s: &str) -> String;
    /// A literal name in a sentence: a CycloneDX field, a command, an option.
    fn code(&self, s: &str) -> String;
}

// ---------------------------------------------------------------------------------------------
// Title and footer.

/// The name shown for a model that has none.
pub const UNNAMED_MODEL: &str = "(unnamed model)";

/// The title, before the model's name.
pub const TITLE: &str = "AIBOM audit report";

/// The model's name, or [`UNNAMED_MODEL`].
pub fn model_name(r: &AuditReport) -> &str {
    r.identity.name.as_deref().unwrap_or(UNNAMED_MODEL)
}

/// How a value under a label is set: as text, as a name to copy, or as a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Text,
    /// A name or identifier (monospace in HTML, a code span in Markdown).
    Mono,
    /// A reference: a code span in Markdown, text in HTML.
    Ref,
    /// A hex digest.
    Digest,
}

/// The line under the title: `(words before the value, value, look)`, in order.
pub fn subtitle(id: &Identity) -> Vec<(&'static str, &str, Look)> {
    let mut v = Vec::new();
    if let Some(x) = &id.version {
        v.push(("version", x.as_str(), Look::Text));
    }
    if let Some(x) = &id.file_name {
        v.push(("from", x.as_str(), Look::Mono));
    }
    if let Some(x) = &id.file_sha256 {
        v.push(("AIBOM SHA-256", x.as_str(), Look::Digest));
    }
    v
}

/// Between the parts of the subtitle.
pub const SUBTITLE_SEPARATOR: &str = " · ";

/// The heading of the notes on what could not be read, and what they are.
pub const READING_NOTES: &str = "Reading notes";
pub const READING_NOTES_WHAT: &str = "parts of the AIBOM that could not be read";

/// The last paragraph.
pub fn footer() -> String {
    format!(
        "Written by aibom {} from the AIBOM alone: nothing was fetched, and the report carries no date of its own (the AIBOM's timestamp is shown when recorded). Fields the AIBOM does not record are marked \"{NOT_RECORDED}\".",
        env!("CARGO_PKG_VERSION")
    )
}

/// The title of a section by its anchor (the anchor itself when unknown).
pub fn section_title(id: &str) -> &str {
    SECTIONS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| *t)
        .unwrap_or(id)
}

/// An empty cell or list.
pub const NONE_DASH: &str = "—";

/// Yes or no.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

// ---------------------------------------------------------------------------------------------
// Summary.

/// How a value reads at a glance: fine, worth a look, or bad news (summary cards, attestations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Bad,
}

/// One line of the summary: what it is about, the value, and what the value means.
#[derive(Debug, Clone)]
pub struct Card {
    pub key: &'static str,
    /// `None`: not recorded.
    pub value: Option<String>,
    pub detail: String,
    pub tone: Tone,
    /// The score: shown larger or in bold.
    pub headline: bool,
}

/// The summary, card by card.
pub fn summary(r: &AuditReport) -> Vec<Card> {
    let mut cards = Vec::new();
    let card = |key, value, detail, tone| Card {
        key,
        value,
        detail,
        tone,
        headline: false,
    };
    // Findings.
    let f = &r.findings;
    cards.push(if !f.recorded {
        card(
            "Findings",
            None,
            "the AIBOM has no findings section".to_owned(),
            Tone::Warn,
        )
    } else if f.rows.is_empty() {
        card(
            "Findings",
            Some("none".to_owned()),
            "no inspection finding recorded".to_owned(),
            Tone::Ok,
        )
    } else {
        let open_bad = f
            .rows
            .iter()
            .any(|x| !x.accepted && x.severity >= Some(Severity::High));
        card(
            "Findings",
            Some(format!("{} open", f.open())),
            format!("{} in all: {}", f.rows.len(), severity_counts(f)),
            if open_bad { Tone::Bad } else { Tone::Warn },
        )
    });
    // Completeness.
    let c = &r.completeness;
    cards.push(Card {
        headline: true,
        ..card(
            "Completeness score",
            Some(format!("{} / 100", c.score)),
            format!(
                "{} of {} applicable typed fields present",
                c.present, c.applicable
            ),
            if c.score >= 70 {
                Tone::Ok
            } else if c.score >= 40 {
                Tone::Warn
            } else {
                Tone::Bad
            },
        )
    });
    // Datasets.
    let ds = &r.datasets.rows;
    let unknown = ds
        .iter()
        .filter(|d| !d.missing.is_empty() || d.unknown.is_some())
        .count();
    cards.push(if ds.is_empty() {
        card(
            "Datasets",
            Some("none named".to_owned()),
            "training data is not recorded".to_owned(),
            Tone::Warn,
        )
    } else {
        card(
            "Datasets",
            Some(format!("{} named", ds.len())),
            format!("{unknown} with unknown provenance, licence or classification"),
            if unknown > 0 { Tone::Warn } else { Tone::Ok },
        )
    });
    // Licences.
    let l = &r.licenses;
    let model_lic: Vec<&str> = l
        .rows
        .iter()
        .filter(|x| x.role == "this model")
        .filter_map(|x| x.license.as_deref())
        .collect();
    let flagged = l
        .non_commercial()
        .saturating_add(l.non_spdx())
        .saturating_add(l.missing());
    cards.push(card(
        "Model licence",
        (!model_lic.is_empty()).then(|| model_lic.join(", ")),
        format!(
            "{} non-commercial, {} not SPDX, {} without licence",
            l.non_commercial(),
            l.non_spdx(),
            l.missing()
        ),
        if l.non_commercial() > 0 || model_lic.is_empty() {
            Tone::Bad
        } else if flagged > 0 {
            Tone::Warn
        } else {
            Tone::Ok
        },
    ));
    // Dependencies.
    let unpinned = r.dependencies.iter().filter(|d| !d.pinned).count();
    cards.push(card(
        "Dependencies",
        Some(r.dependencies.len().to_string()),
        format!("{unpinned} without a pinned version"),
        if unpinned > 0 { Tone::Warn } else { Tone::Ok },
    ));
    // Templates and code.
    let p = &r.prompts;
    let chat = p.chat_template_flag.is_some() || !p.templates.is_empty();
    let remote =
        p.remote_code_flag.is_some() || p.role_files.iter().any(|(_, r)| r == "remote-code");
    cards.push(card(
        "Chat template / remote code",
        Some(format!("{} / {}", yes_no(chat), yes_no(remote))),
        match p.python_files.len() {
            1 => "1 Python file in the release".to_owned(),
            n => format!("{n} Python files in the release"),
        },
        if remote || !p.findings.is_empty() {
            Tone::Warn
        } else {
            Tone::Ok
        },
    ));
    // Approvals.
    cards.push(match &r.approvals {
        None => card(
            "Signatures",
            Some("not given".to_owned()),
            "no --signature was given".to_owned(),
            Tone::Warn,
        ),
        Some(a) => {
            let valid = a.iter().filter(|x| x.valid).count();
            let bound = a
                .iter()
                .filter(|x| x.attestation == AttestationState::Binds)
                .count();
            card(
                "Signatures",
                Some(format!("{valid} of {} valid", a.len())),
                format!("{bound} bind this AIBOM"),
                if valid == a.len() && valid > 0 {
                    Tone::Ok
                } else {
                    Tone::Bad
                },
            )
        }
    });
    if let Some((_, v)) = r.identity.scan.iter().find(|(k, _)| k == "verdict") {
        cards.push(card(
            "Inspection verdict",
            Some(v.clone()),
            "as recorded by the generating tool".to_owned(),
            if v == "clean" { Tone::Ok } else { Tone::Bad },
        ));
    }
    cards
}

/// Under the summary.
pub const SUMMARY_NOTE: &str = "Digests, formats and findings were computed from the bytes by the tool that wrote the AIBOM; licences, datasets, base models and model-card fields are the authors' declarations and are shown as declared.";

/// `2 critical, 1 unrated`.
pub fn severity_counts(f: &Findings) -> String {
    f.by_severity()
        .iter()
        .map(|(s, n)| format!("{n} {}", severity_label(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Identity.

/// A value in a table of labelled values.
#[derive(Debug, Clone)]
pub enum Cell {
    NotRecorded,
    Text(String, Look),
    /// One entry a line in HTML, joined with commas in Markdown.
    Lines(Vec<String>),
}

fn cell(v: &Option<String>, look: Look) -> Cell {
    match v {
        Some(s) => Cell::Text(s.clone(), look),
        None => Cell::NotRecorded,
    }
}

fn joined(v: &[String], sep: &str) -> Cell {
    if v.is_empty() {
        Cell::NotRecorded
    } else {
        Cell::Text(v.join(sep), Look::Text)
    }
}

/// The identity table in two parts: the model, and the AIBOM itself.
pub fn identity(id: &Identity) -> [(&'static str, Vec<(&'static str, Cell)>); 2] {
    let mut model = vec![
        ("Name", cell(&id.name, Look::Text)),
        ("Version / revision", cell(&id.version, Look::Text)),
        ("Package URL", cell(&id.purl, Look::Mono)),
        ("Kind", cell(&id.kind, Look::Text)),
        ("Component type", cell(&id.component_type, Look::Text)),
        ("bom-ref", cell(&id.bom_ref, Look::Ref)),
        ("Provider", joined(&id.provider, "; ")),
        ("Description", cell(&id.description, Look::Text)),
        ("Task", cell(&id.task, Look::Text)),
        ("Architecture", cell(&id.architecture, Look::Text)),
        ("Parameters", cell(&id.parameters, Look::Text)),
    ];
    if !id.tags.is_empty() {
        model.push(("Tags", joined(&id.tags, ", ")));
    }
    let tools: Vec<String> = id
        .tools
        .iter()
        .map(|t| {
            let mut x = t.name.clone();
            if let Some(v) = &t.version {
                x.push(' ');
                x.push_str(v);
            }
            if let Some(p) = &t.policy_version {
                x.push_str(&format!(" (policy {p})"));
            }
            x
        })
        .collect();
    let mut bom = vec![
        ("Serial number", cell(&id.serial, Look::Mono)),
        ("BOM version", cell(&id.bom_version, Look::Text)),
        ("CycloneDX spec version", cell(&id.spec_version, Look::Text)),
        ("Timestamp", cell(&id.timestamp, Look::Text)),
        ("Lifecycle", joined(&id.lifecycles, ", ")),
        (
            "Generated by",
            if tools.is_empty() {
                Cell::NotRecorded
            } else {
                Cell::Lines(tools)
            },
        ),
    ];
    if !id.scan.is_empty() {
        let v: Vec<String> = id.scan.iter().map(|(k, v)| format!("{k} {v}")).collect();
        bom.push(("Inspection", joined(&v, ", ")));
    }
    if let Some(f) = &id.file_name {
        bom.push(("AIBOM file", Cell::Text(f.clone(), Look::Mono)));
    }
    if let Some(d) = &id.file_sha256 {
        bom.push(("AIBOM SHA-256", Cell::Text(d.clone(), Look::Digest)));
    }
    [("The model", model), ("The AIBOM", bom)]
}

// ---------------------------------------------------------------------------------------------
// Lineage.

/// Where the lineage comes from, after the legend.
pub fn lineage_source(m: &impl Markup) -> String {
    format!(
        "Built from {}, base-model components and {}.",
        m.code("pedigree.ancestors"),
        m.code("dependencies")
    )
}

/// The legend of the drawing (HTML).
pub const LINEAGE_DRAWING_LEGEND: &str = "Boxes are models and datasets; a solid arrow points from a base model to the model derived from it (labelled with the relation), a dashed arrow from a dataset to the model it trained or evaluated. Amber: identity or provenance unknown.";

/// The legend of the nested list (Markdown).
pub const LINEAGE_LIST_LEGEND: &str = "Read upwards: each entry lists what the model above it was derived from (base models, labelled with the relation) or trained on (datasets). ⚠ marks an unknown identity or provenance.";

/// When the lineage names no base model.
pub const NO_BASE_MODEL: &str = "No base model is recorded (pedigree.ancestors and model dependencies are empty): trained from scratch, or not declared.";

/// The title of the drawing.
pub fn lineage_title(model: &str) -> String {
    format!("Lineage of {model}")
}

pub const BASE_MODEL_COLUMNS: &[&str] = &["Base model", "Package URL", "Derived", "Recorded in"];
pub const NO_PACKAGE_URL: &str = "no package URL";
/// A node's tooltip: where its link was recorded.
pub const FROM: &str = "from";
/// The list's entries: how a node relates to the one above it.
pub const TRAINED_ON: &str = "trained or evaluated on";
pub const DERIVED_FROM: &str = "derived from";
pub const RELATION: &str = "relation";

// ---------------------------------------------------------------------------------------------
// Files.

pub fn files_not_recorded(m: &impl Markup) -> String {
    format!(
        "No file inventory is recorded (no {} components).",
        m.code("file")
    )
}

/// `12 files, 3.1 MiB in total; every file has a SHA-256 digest.`
pub fn files_intro(m: &impl Markup, f: &Files) -> String {
    let missing = f.without_digest();
    format!(
        "{}{}; {}.",
        plural(f.rows.len(), "file", "files"),
        f.total_size
            .map(|s| format!(", {} in total", human_size(s)))
            .unwrap_or_default(),
        if missing == 0 {
            "every file has a SHA-256 digest".to_owned()
        } else {
            m.strong(&format!("{missing} without a digest"))
        }
    )
}

pub fn all_files(n: usize) -> String {
    format!("All {n} files with digests")
}

pub const FILE_COLUMNS: &[&str] = &["Path", "Size", "Format", "Verdict", "Role", "Digest"];
pub const NO_DIGEST: &str = "no digest";

// ---------------------------------------------------------------------------------------------
// Release (only when the AIBOM records one).

/// The release part's anchor and heading.
pub const RELEASE_ID: &str = "release";
pub const RELEASE_TITLE: &str = "Release";

/// `Risk tier high; 4 artifacts; 3 evaluation results.` Plain text quoting the AIBOM: the
/// renderers escape it whole.
pub fn release_intro(v: &release::ReleaseView) -> String {
    format!(
        "{}; {}; {}.",
        match &v.tier {
            Some(t) => format!("Risk tier {t}"),
            None => "No risk tier is recorded".to_owned(),
        },
        plural(v.artifacts.len(), "artifact", "artifacts"),
        plural(v.metrics.len(), "evaluation result", "evaluation results")
    )
}

pub const ARTIFACTS_HEADING: &str = "Artifacts";
pub const ARTIFACT_COLUMNS: &[&str] = &["Role", "Path", "Files", "Size", "Digest or files"];
/// After a short listing of an artifact's files.
pub fn more_files(n: usize) -> String {
    format!("+{n} more")
}
pub const METRICS_HEADING: &str = "Evaluation results";
pub const NO_METRIC: &str = "No evaluation result is recorded.";
pub const METRIC_COLUMNS: &[&str] = &["Task", "Metric", "Value", "Source"];
/// The source of a metric read from the model card's model-index.
pub const MODEL_CARD: &str = "model card";

pub const GATE_HEADING: &str = "What the release gate requires";
/// The roles the policy requires for the tier. Plain text quoting the AIBOM and the policy:
/// the renderers escape it whole.
pub fn gate_roles(tier: Option<&str>, t: &release::TierRoles) -> String {
    use release::TierRoles;
    match t {
        TierRoles::NoTierRules => {
            "The policy has no verify.tier entries: its signer roles and threshold apply."
                .to_owned()
        }
        TierRoles::NoEntry => format!(
            "{}: the policy has no entry for it and no verify.tier.default, so verify refuses the release.",
            tier.map_or_else(|| "No tier".to_owned(), |t| format!("Tier {t}"))
        ),
        TierRoles::Entry {
            entry,
            roles,
            threshold,
        } => format!(
            "Tier {} requires {} of {} (policy entry verify.tier.{entry}).",
            tier.unwrap_or(entry),
            threshold,
            roles.join(", ")
        ),
    }
}
/// The roles valid signatures binding this AIBOM fill.
pub fn roles_present(present: &[String]) -> String {
    format!(
        "Roles present (valid signatures whose attestation binds this AIBOM): {}.",
        if present.is_empty() {
            NONE.to_owned()
        } else {
            present.join(", ")
        }
    )
}
pub const NO_METRIC_GATE: &str = "The policy sets no evaluation gate.";
pub const GATE_COLUMNS: &[&str] = &["Gate", "Threshold", "Recorded", "Result"];
pub fn gate_result(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "pass",
        Some(false) => "fail",
        None => "not judged here",
    }
}

/// What a regression limit shows: the report has no previous release to compare with.
pub const REGRESSION_NOT_JUDGED: &str =
    "compared with the previous approved release by `aibom verify --previous`";

// ---------------------------------------------------------------------------------------------
// Datasets.

pub const NO_DATASET: &str = "No dataset is recorded (modelCard.modelParameters.datasets and data components are empty): the training and evaluation data are unknown.";
pub const DATASET_COLUMNS: &[&str] = &[
    "Dataset",
    "Licence",
    "Provenance",
    "Classification",
    "Sensitive data",
    "What is unknown",
];
pub fn dataset_role(role: &str) -> String {
    format!("role: {role}")
}
pub fn declared_by(by: &str) -> String {
    format!("declared by {by}")
}
/// After a provenance taken from a property.
pub const PROPERTY: &str = "(property)";
pub const NOT_DESCRIBED: &str = "not described in the AIBOM";
/// Nothing about the dataset is unknown.
pub const NOTHING: &str = "nothing";

/// `Maps to (gap): MITRE ATLAS ...; OWASP LLM Top 10 2025 ...; ....`
pub fn gap_mapping(g: &GapMapping) -> String {
    let mut parts = Vec::new();
    if !g.atlas.is_empty() {
        parts.push(format!("MITRE ATLAS {}", g.atlas.join(", ")));
    }
    if !g.owasp.is_empty() {
        parts.push(format!(
            "OWASP LLM Top 10 2025 {}",
            named(g.owasp, owasp_name).join(", ")
        ));
    }
    if !g.nist.is_empty() {
        parts.push(format!("NIST AI RMF {}", g.nist.join(", ")));
    }
    if !g.eu_ai_act.is_empty() {
        parts.push(format!("EU AI Act {}", g.eu_ai_act.join(", ")));
    }
    format!("Maps to ({}): {}.", g.gap, parts.join("; "))
}

// ---------------------------------------------------------------------------------------------
// Licences.

pub fn licences_intro(m: &impl Markup, l: &Licenses) -> String {
    let recorded = l.rows.iter().filter(|x| x.license.is_some()).count();
    format!(
        "Licences recorded: {recorded}. Non-commercial: {}; not SPDX identifiers (free-text names): {}; components without a licence: {}.",
        m.strong(&l.non_commercial().to_string()),
        m.strong(&l.non_spdx().to_string()),
        m.strong(&l.missing().to_string())
    )
}

pub const LICENCE_COLUMNS: &[&str] = &["Component", "Role", "Licence", "Kind", "Attention"];
pub const NON_COMMERCIAL: &str = "non-commercial";
pub const NOT_SPDX: &str = "not SPDX";
pub const NO_LICENCE: &str = "no licence";

/// What kind of licence entry a row has.
pub fn licence_kind(x: &LicenseRow) -> &'static str {
    match (&x.license, x.spdx) {
        (None, _) => NONE_DASH,
        (Some(_), true) => "SPDX",
        (Some(_), false) => "name only",
    }
}

/// Whether any licence needs attention (and the licence gap mapping applies).
pub fn licence_gap(l: &Licenses) -> bool {
    l.non_commercial() > 0 || l.non_spdx() > 0 || l.missing() > 0
}

// ---------------------------------------------------------------------------------------------
// Dependencies.

pub const NO_DEPENDENCY: &str = "No software dependency is recorded.";

pub fn dependencies_intro(d: &[DependencyRow]) -> String {
    let unpinned = d.iter().filter(|x| !x.pinned).count();
    format!(
        "Components: {}; without a pinned version: {unpinned}.",
        d.len()
    )
}

pub const DEPENDENCY_COLUMNS: &[&str] = &[
    "Name",
    "Type",
    "Version",
    "Package URL",
    "Pinned",
    "Used by the model",
];
pub fn pinned(p: bool) -> &'static str {
    if p { "pinned" } else { "unpinned" }
}
pub fn used_directly(d: bool) -> &'static str {
    if d { "directly" } else { NONE_DASH }
}

// ---------------------------------------------------------------------------------------------
// Templates and remote code.

pub const CHAT_TEMPLATE: &str = "Chat template";
pub const CHAT_TEMPLATE_PROPERTY: &str = "cdx:ai-ml:model:template:chat";
pub const TEMPLATE_COMPONENT: &str = "yes (template component)";
pub const REMOTE_CODE: &str = "Remote code (trust_remote_code)";
pub const REMOTE_CODE_PROPERTY: &str = "aibom:remote-code";
pub const NOT_FLAGGED: &str = "not flagged";
pub const PYTHON_FILES: &str = "Python files in the release";
pub const ROLE_FILES: &str = "Files with a role";
/// An empty list of files.
pub const NONE: &str = "none";
pub const TEMPLATE_COLUMNS: &[&str] = &["Template", "Source", "Length", "SHA-256"];
pub fn chars(length: &str) -> String {
    format!("{length} chars")
}
pub const NO_TEMPLATE_FINDING: &str = "No finding about templates or remote code.";
/// Before the findings about templates, and after them.
pub const TEMPLATE_FINDINGS: &str = "Findings:";
pub const SEE_FINDINGS: &str = "(see Findings)";

/// `#3 pickle-dangerous-call, #4 ...`: the findings about templates and remote code.
pub fn template_findings(r: &AuditReport) -> String {
    r.prompts
        .findings
        .iter()
        .filter_map(|i| {
            r.findings
                .rows
                .get(*i)
                .map(|f| format!("#{} {}", i.saturating_add(1), f.id))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Findings.

pub const FINDINGS_NOT_RECORDED: &str = "Not recorded: the AIBOM has no vulnerabilities section and does not name a tool that records every finding.";
pub const NO_FINDING: &str = "No finding: the inspection recorded nothing to report.";

/// `4 findings, 2 open`.
pub fn findings_count(f: &Findings) -> String {
    format!(
        "{}, {} open",
        plural(f.rows.len(), "finding", "findings"),
        f.open()
    )
}

pub fn all_findings(n: usize) -> String {
    format!("All {n} findings with evidence")
}

pub const FINDING_COLUMNS: &[&str] = &[
    "#",
    "Severity",
    "Finding",
    "Affected file",
    "What and evidence",
    "CWE",
    "Status",
];
pub const MEMBER: &str = "member";
pub const OFFSET: &str = "offset";
pub fn finding_status(accepted: bool) -> &'static str {
    if accepted { "accepted" } else { "open" }
}

/// `CWE-502`, or with `named` `CWE-502 Deserialization of Untrusted Data`.
pub fn cwe_ids(c: &[u32], named: bool) -> Vec<String> {
    c.iter()
        .map(|n| {
            let id = format!("CWE-{n}");
            if named {
                labelled(&id, cwe_name(*n))
            } else {
                id
            }
        })
        .collect()
}

/// Framework entries with their names: `AML.T0019 Publish Poisoned Datasets`.
pub fn named(ids: &[&str], name: fn(&str) -> Option<&'static str>) -> Vec<String> {
    ids.iter().map(|i| labelled(i, name(i))).collect()
}

pub const MAPPING_HEADING: &str = "Mapping of these findings";
pub const NONE_MAPPED: &str =
    "None of these findings carries an aibom finding code, so none is mapped.";
pub const MAPPING_COLUMNS: &[&str] = &[
    "Finding code",
    "CWE",
    "MITRE ATLAS",
    "OWASP LLM Top 10 (2025)",
    "NIST AI RMF 1.0",
    "EU AI Act",
];

/// The ids of findings that are not aibom codes, as a sentence; `None` when there are none.
pub fn unmapped(f: &Findings) -> Option<String> {
    let ids: BTreeSet<&str> = f
        .rows
        .iter()
        .filter(|x| x.code.is_none())
        .map(|x| x.id.as_str())
        .collect();
    (!ids.is_empty()).then(|| {
        format!(
            "Not mapped (not aibom finding codes): {}.",
            ids.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Exceptions.

pub const NO_EXCEPTION: &str =
    "No exception: no finding of this AIBOM was accepted, and no exception is configured.";
pub const EXCEPTION_COLUMNS: &[&str] = &[
    "Finding",
    "Path",
    "Reason",
    "Expires",
    "Owner",
    "Recorded in",
    "Applies here",
];
pub const PINNED_TO: &str = "pinned to";
pub const NO_EXPIRY: &str = "no expiry";
/// Whether an exception applies to this AIBOM.
pub fn applies(matches: Option<bool>) -> &'static str {
    match matches {
        None => "yes",
        Some(true) => "a finding matches",
        Some(false) => "no finding matches",
    }
}
pub const EXPIRY_NOTE: &str = "Expiry dates are shown as recorded; the report reads no clock, so check them against the date of the change.";

// ---------------------------------------------------------------------------------------------
// Approvals.

pub fn no_signature(m: &impl Markup) -> String {
    format!(
        "No signature was given. Pass the release's signatures with {} (and the trusted {} or {}) to list them here.",
        m.code("--signature"),
        m.code("--public-key"),
        m.code("--certificate-chain")
    )
}

pub const APPROVAL_COLUMNS: &[&str] = &[
    "Signature",
    "Signer",
    "Signature check",
    "Signed model digest",
    "Signed files vs. this AIBOM",
    "AIBOM attestation",
];
pub fn validity(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}
/// How the signed file list compares with the inventory.
pub fn inventory_match(matches: bool) -> &'static str {
    if matches { "match" } else { "differ" }
}
/// The attestation's state, how it reads (`Warn`: there is none), and why it does not bind.
pub fn attestation(a: &AttestationState) -> (&'static str, Tone, Option<&str>) {
    match a {
        AttestationState::Binds => ("binds exactly this AIBOM", Tone::Ok, None),
        AttestationState::Missing => ("no .bom attestation", Tone::Warn, None),
        AttestationState::Other(why) => ("does not bind this AIBOM", Tone::Bad, Some(why)),
        AttestationState::Invalid(why) => ("invalid", Tone::Bad, Some(why)),
    }
}

pub fn approvals_note(m: &impl Markup) -> String {
    format!(
        "A signature is checked against the configured trust only. The model digest it covers is recomputed from the files by {}, not here: this report only compares the signed file list with the AIBOM's inventory.",
        m.code("aibom verify DIR")
    )
}

// ---------------------------------------------------------------------------------------------
// Completeness.

pub fn score_of(c: &Completeness) -> String {
    format!(
        "{} of {} applicable scored fields present",
        c.present, c.applicable
    )
}

pub const COMPLETENESS_COLUMNS: &[&str] = &[
    "Asked for",
    "Status",
    "Found",
    "CycloneDX field",
    "Asked by",
];
pub const NOT_SCORED: &str = "not scored";

// ---------------------------------------------------------------------------------------------
// Appendix.

pub fn all_codes(n: usize) -> String {
    format!("All {n} finding codes")
}

/// The appendix's columns; [`APPENDIX_MEANING`] goes after the code where a renderer shows it.
pub const APPENDIX_COLUMNS: &[&str] = &[
    "Code",
    "CWE",
    "MITRE ATLAS",
    "OWASP LLM",
    "NIST AI RMF",
    "EU AI Act",
];
pub const APPENDIX_MEANING: &str = "Meaning";

/// Every framework entry the mappings use, named: `(framework, "id name; id name")`.
pub fn legends() -> [(&'static str, String); 3] {
    let atlas: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.atlas.iter().copied())
        .chain(DATASET_GAP.atlas.iter().copied())
        .collect();
    let owasp: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.owasp.iter().copied())
        .chain(DATASET_GAP.owasp.iter().copied())
        .collect();
    let nist: BTreeSet<&str> = MAPPINGS
        .iter()
        .flat_map(|m| m.nist.iter().copied())
        .chain(DATASET_GAP.nist.iter().copied())
        .chain(LICENSE_GAP.nist.iter().copied())
        .collect();
    let legend = |ids: &BTreeSet<&str>, name: fn(&str) -> Option<&'static str>| {
        named(&ids.iter().copied().collect::<Vec<_>>(), name).join("; ")
    };
    [
        ("MITRE ATLAS", legend(&atlas, atlas_name)),
        (
            "OWASP Top 10 for LLM Applications 2025",
            legend(&owasp, owasp_name),
        ),
        ("NIST AI RMF 1.0", legend(&nist, nist_name)),
    ]
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Marks emphasis and code so the test can tell them from the words.
    struct Plain;

    impl Markup for Plain {
        fn strong(&self, s: &str) -> String {
            format!("{{{s}}}")
        }
        fn code(&self, s: &str) -> String {
            format!("{{{s}}}")
        }
    }

    #[test]
    fn the_reports_own_words_hold_no_markup() {
        let r = read(
            &serde_json::json!({"bomFormat": "CycloneDX"}),
            Inputs::default(),
        )
        .unwrap();
        let mut words: Vec<String> = [
            UNNAMED_MODEL,
            TITLE,
            READING_NOTES,
            READING_NOTES_WHAT,
            SUMMARY_NOTE,
            LINEAGE_DRAWING_LEGEND,
            LINEAGE_LIST_LEGEND,
            NO_BASE_MODEL,
            NO_DATASET,
            NO_DEPENDENCY,
            NO_TEMPLATE_FINDING,
            FINDINGS_NOT_RECORDED,
            NO_FINDING,
            NONE_MAPPED,
            NO_EXCEPTION,
            EXPIRY_NOTE,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        words.extend([
            footer(),
            lineage_source(&Plain),
            files_not_recorded(&Plain),
            files_intro(&Plain, &r.files),
            licences_intro(&Plain, &r.licenses),
            no_signature(&Plain),
            approvals_note(&Plain),
        ]);
        for c in summary(&r) {
            words.push(c.key.to_owned());
            words.push(c.detail);
        }
        for cols in [
            FILE_COLUMNS,
            DATASET_COLUMNS,
            LICENCE_COLUMNS,
            DEPENDENCY_COLUMNS,
            TEMPLATE_COLUMNS,
            FINDING_COLUMNS,
            MAPPING_COLUMNS,
            EXCEPTION_COLUMNS,
            APPROVAL_COLUMNS,
            COMPLETENESS_COLUMNS,
            APPENDIX_COLUMNS,
            BASE_MODEL_COLUMNS,
        ] {
            words.extend(cols.iter().map(|c| c.to_string()));
        }
        for w in &words {
            assert!(
                !w.contains(['<', '>', '&', '*', '_', '|', '`', '[', ']', '\\']),
                "{w}"
            );
        }
    }

    #[test]
    fn the_summary_says_what_a_bare_document_lacks() {
        let r = read(
            &serde_json::json!({"bomFormat": "CycloneDX"}),
            Inputs::default(),
        )
        .unwrap();
        let cards = summary(&r);
        let findings = &cards[0];
        assert_eq!(findings.key, "Findings");
        assert_eq!(findings.value, None);
        assert_eq!(findings.detail, "the AIBOM has no findings section");
        assert!(
            cards
                .iter()
                .any(|c| c.key == "Signatures" && c.tone == Tone::Warn)
        );
    }
}
