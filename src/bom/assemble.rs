//! ScanReport + directory metadata -> CycloneDX 1.6 AIBOM.
//!
//! Layout (all bom-refs unique, every reference resolvable):
//! - `metadata.component`: the model being shipped (for an adapter directory, the adapter),
//!   with every file of the directory nested as a `file` component (SHA-256, size, format,
//!   verdict) and `compositions[{aggregate: complete, assemblies: [model]}]`, so a verifier can
//!   reject any file that is not listed;
//! - top-level `components`: base models (`machine-learning-model`), datasets (`data`) and
//!   Python libraries (`library`, `pkg:pypi`), each linked from the model by `dependencies`;
//!   the model's `pedigree.ancestors` names its base models;
//! - `vulnerabilities`: one entry per inspection finding, `affects` the file it is about.
//!
//! Values come from the files (see the README's mapping table); nothing is invented. Properties
//! use the registered `cdx:ai-ml:*` names where one exists, in `modelCard.properties`, and the
//! `aibom:` namespace otherwise.

use super::card::{self, DirInfo};
use super::model::*;
use crate::config::{DeclaredDataset, DeclaredModel};
use crate::finding::{Finding, Severity};
use crate::release::ReleaseReport;
use crate::scan::{FileReport, ScanReport, TargetReport, Verdict};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Choices that are not derived from the directory.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// RFC 3339 UTC timestamp, written only when given.
    pub timestamp: Option<String>,
    /// Facts the owners declared in `aibom.toml` (`[model]`, `[[dataset]]`).
    pub declared_model: Option<DeclaredModel>,
    pub declared_datasets: Vec<DeclaredDataset>,
    /// The artifacts shipped with the model (`[release]`), walked and hashed.
    pub release: Option<ReleaseReport>,
}

/// Marks facts that come from the owners' declaration rather than from the directory.
const DECLARED: &str = "aibom:declared-by";
const DECLARED_SOURCE: &str = "owner (aibom.toml)";

const TOOL: &str = "aibom";

pub(super) fn prop(name: &str, value: impl Into<String>) -> Property {
    Property::new(name, value)
}

/// `pkg:huggingface/<namespace>/<name>[@<revision>]` for a hub repo id `namespace/name`.
pub fn hf_purl(repo_id: &str, revision: Option<&str>) -> Option<String> {
    let (ns, name) = repo_id.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !ok(ns) || !ok(name) || name.contains('/') {
        return None;
    }
    Some(match revision {
        Some(r) => format!("pkg:huggingface/{ns}/{name}@{}", r.to_ascii_lowercase()),
        None => format!("pkg:huggingface/{ns}/{name}"),
    })
}

/// An SPDX licence id for a card's licence string (case-insensitive), from the SPDX list
/// CycloneDX ships (`schemas/cyclonedx/spdx.SNAPSHOT.schema.json`).
pub fn spdx_id(s: &str) -> Option<&'static str> {
    static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!(
            "../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json"
        ))
        .unwrap_or(Value::Null);
        schema["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    });
    ids.iter()
        .find(|id| id.eq_ignore_ascii_case(s.trim()))
        .map(String::as_str)
}

/// A declared licence: its SPDX id when it is one, else its name (and URL).
fn declared_license(lic: &str, name: Option<String>, url: Option<String>) -> LicenseChoice {
    let license = match spdx_id(lic) {
        Some(id) => License {
            id: Some(id.to_owned()),
            acknowledgement: Some(Acknowledgement::Declared),
            ..License::default()
        },
        None => License {
            name: Some(name.unwrap_or_else(|| lic.to_owned())),
            url: url.filter(|u| u.starts_with("http")),
            acknowledgement: Some(Acknowledgement::Declared),
            ..License::default()
        },
    };
    LicenseChoice::License { license }
}

fn license_choice(card: Option<&Value>) -> Vec<LicenseChoice> {
    let Some(lic) = card::scalar(card, "license") else {
        return Vec::new();
    };
    // `other` points at license_name / license_link.
    let name = lic
        .eq_ignore_ascii_case("other")
        .then(|| card::scalar(card, "license_name"))
        .flatten();
    vec![declared_license(
        &lic,
        name,
        card::scalar(card, "license_link"),
    )]
}

fn rating(s: Severity) -> RatingSeverity {
    match s {
        Severity::Critical => RatingSeverity::Critical,
        Severity::High => RatingSeverity::High,
        Severity::Medium => RatingSeverity::Medium,
        Severity::Low => RatingSeverity::Low,
        Severity::Info => RatingSeverity::Info,
    }
}

fn file_ref(path: &str) -> String {
    format!("file:{path}")
}

/// The files whose metadata describes the model: at the root, or in the pinned snapshot of a
/// hub cache repo folder.
fn model_root_prefix(info: &DirInfo, target: &TargetReport) -> String {
    if let Some(rev) = info.hub.as_ref().and_then(|h| h.revision.as_ref()) {
        let prefix = format!("snapshots/{rev}/");
        if target.files.iter().any(|f| f.path.starts_with(&prefix)) {
            return prefix;
        }
    }
    String::new()
}

/// Reads the metadata files of the model root into `info`.
pub fn absorb_metadata(info: &mut DirInfo, target: &TargetReport) {
    let prefix = model_root_prefix(info, target);
    for f in &target.files {
        let Some(rel) = f.path.strip_prefix(&prefix) else {
            continue;
        };
        if rel.contains('/') {
            continue;
        }
        if let Some(bytes) = &f.content {
            card::absorb(info, &f.path, bytes);
        }
    }
}

fn file_component(f: &FileReport) -> Component {
    let mut properties = vec![
        prop("aibom:file:size", f.size.to_string()),
        prop("aibom:file:format", f.format.describe()),
        prop("aibom:file:verdict", f.verdict.as_str()),
    ];
    if let Some(l) = &f.link {
        properties.push(prop("aibom:file:symlink", l.clone()));
    }
    if f.sha256.is_none() {
        properties.push(prop(
            "aibom:file:inspection",
            "not inspected: the file could not be read",
        ));
    } else if f.verdict == Verdict::Unsupported {
        properties.push(prop(
            "aibom:file:inspection",
            "not fully inspected: format not supported for inspection",
        ));
    }
    let mut format_props = Vec::new();
    for facts in f.facts.formats() {
        facts.properties(&mut format_props);
    }
    properties.extend(format_props.into_iter().map(|(k, v)| prop(k, v)));
    if !f.facts.globals.is_empty() {
        let mut imports: Vec<String> = f
            .facts
            .globals
            .iter()
            .map(|g| format!("{}.{}", g.module, g.name))
            .collect();
        imports.sort();
        imports.dedup();
        properties.push(prop("aibom:pickle:imports", imports.join(",")));
    }
    // Findings counted but not listed (a per-file cap): the count per code, so the AIBOM says
    // what its vulnerabilities leave out.
    for (code, n) in &f.capped_findings {
        properties.push(prop(
            &format!("aibom:file:capped-findings:{}", code.as_str()),
            n.to_string(),
        ));
    }
    properties.sort();
    Component {
        kind: Some(ComponentType::File),
        bom_ref: Some(file_ref(&f.path)),
        name: f.path.clone(),
        hashes: f
            .sha256
            .map(|d| Hash {
                alg: HashAlg::Sha256,
                content: d.to_hex(),
            })
            .into_iter()
            .collect(),
        properties,
        ..Component::default()
    }
}

fn vulnerability(n: usize, f: &Finding, affects: &str) -> Vulnerability {
    let ev = &f.evidence;
    let mut detail = vec![format!("location: {}", f.location)];
    for (k, v) in [
        ("module", &ev.module),
        ("name", &ev.name),
        ("opcode", &ev.opcode),
        ("rule", &ev.rule),
        ("expected", &ev.expected),
        ("actual", &ev.actual),
    ] {
        if let Some(v) = v {
            detail.push(format!("{k}: {v}"));
        }
    }
    let mut properties = vec![
        prop("aibom:finding:code", f.code.as_str()),
        prop(
            "aibom:finding:kind",
            format!("{:?}", f.code.kind()).to_lowercase(),
        ),
        prop("aibom:finding:path", f.location.path.clone()),
    ];
    if let Some(m) = &f.location.member {
        properties.push(prop("aibom:finding:member", m.clone()));
    }
    if let Some(o) = f.location.offset {
        properties.push(prop("aibom:finding:offset", o.to_string()));
    }
    Vulnerability {
        bom_ref: format!("finding:{n}"),
        id: f.code.as_str().to_owned(),
        source: Source {
            name: TOOL.to_owned(),
            url: None,
        },
        ratings: vec![Rating {
            source: Source {
                name: TOOL.to_owned(),
                url: None,
            },
            severity: rating(f.severity),
            method: "other".to_owned(),
        }],
        cwes: f.code.cwe().into_iter().collect(),
        description: f.message.clone(),
        detail: Some(detail.join("; ")),
        analysis: None,
        affects: vec![Affects {
            reference: affects.to_owned(),
        }],
        properties,
    }
}

/// Model-card properties: registered `cdx:ai-ml:*` names, then `aibom:*`.
fn card_properties(info: &DirInfo, params: Option<u64>) -> Vec<Property> {
    let card = info.card.as_ref();
    let cfg = info.config.as_ref();
    let mut p = Vec::new();
    let langs = card::strings(card, "language");
    if !langs.is_empty() {
        p.push(prop("cdx:ai-ml:model:language", langs.join(",")));
    }
    if let Some(n) = params {
        p.push(prop("cdx:ai-ml:model:parameter:count", n.to_string()));
    }
    let ctx_len = [
        "max_position_embeddings",
        "n_positions",
        "max_seq_len",
        "seq_length",
    ]
    .iter()
    .find_map(|k| card::scalar(cfg, k));
    if let Some(c) = ctx_len {
        p.push(prop("cdx:ai-ml:model:hyperparameter:context_length", c));
    }
    for (key, name) in [
        ("hidden_size", "hidden_size"),
        ("num_hidden_layers", "num_hidden_layers"),
        ("num_attention_heads", "num_attention_heads"),
        ("num_key_value_heads", "num_key_value_heads"),
        ("intermediate_size", "intermediate_size"),
        ("vocab_size", "vocab_size"),
        ("hidden_act", "hidden_act"),
    ] {
        if let Some(v) = card::scalar(cfg, key) {
            p.push(prop(&format!("cdx:ai-ml:model:hyperparameter:{name}"), v));
        }
    }
    let quant = cfg
        .and_then(|c| c.get("quantization_config"))
        .and_then(|q| {
            let method = card::scalar(Some(q), "quant_method")?;
            Some(match card::scalar(Some(q), "bits") {
                Some(b) => format!("{method}-{b}bit"),
                None => method,
            })
        })
        .or_else(|| card::scalar(cfg, "torch_dtype"))
        .or_else(|| card::scalar(cfg, "dtype"));
    if let Some(q) = quant {
        p.push(prop("cdx:ai-ml:model:hyperparameter:quantization", q));
    }
    if let Some(t) = card::scalar(info.tokenizer_config.as_ref(), "tokenizer_class") {
        p.push(prop(
            "cdx:ai-ml:tokenizer:hyperparameter:tokenizer_class",
            t,
        ));
    }
    if info.adapter_config.is_some() {
        let peft = card::scalar(info.adapter_config.as_ref(), "peft_type")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_else(|| "adapter".into());
        p.push(prop("cdx:ai-ml:model:parameter:tune_method", peft));
    }
    // Not registered: own namespace.
    for key in ["library_name", "base_model_relation"] {
        if let Some(v) = card::scalar(card, key) {
            p.push(prop(&format!("aibom:card:{key}"), v));
        }
    }
    if let Some(v) = card::scalar(cfg, "transformers_version") {
        p.push(prop("aibom:config:transformers_version", v));
    }
    let ac = info.adapter_config.as_ref();
    for key in [
        "peft_type",
        "task_type",
        "r",
        "lora_alpha",
        "lora_dropout",
        "use_dora",
        "base_model_name_or_path",
        "revision",
    ] {
        if let Some(v) = card::scalar(ac, key) {
            p.push(prop(&format!("aibom:adapter:{key}"), v));
        }
    }
    for key in ["target_modules", "modules_to_save"] {
        let v = card::strings(ac, key);
        if !v.is_empty() {
            p.push(prop(&format!("aibom:adapter:{key}"), v.join(",")));
        }
    }
    let gc = info.generation_config.as_ref();
    for key in [
        "temperature",
        "top_p",
        "top_k",
        "max_new_tokens",
        "do_sample",
    ] {
        if let Some(v) = card::scalar(gc, key) {
            p.push(prop(&format!("aibom:generation:{key}"), v));
        }
    }
    p.sort();
    p
}

/// The model card's `model-index` results, typed once ([`crate::release::evaluation`]).
fn model_index(card: Option<&Value>) -> Option<crate::release::evaluation::Evaluation> {
    crate::release::evaluation::model_index(card, &crate::limits::ReleaseLimits::default())
}

pub(super) fn dataset_component(
    r: &str,
    name: &str,
    source: &str,
    declared: Option<&DeclaredDataset>,
) -> Component {
    let mut properties = vec![prop("aibom:source", source)];
    let mut data = ComponentData {
        kind: DataType::Dataset,
        name: Some(name.to_owned()),
        ..ComponentData::default()
    };
    let mut licenses = Vec::new();
    if let Some(d) = declared {
        properties.push(prop(DECLARED, DECLARED_SOURCE));
        for (k, v) in [("role", &d.role), ("provenance", &d.provenance)] {
            if let Some(v) = v {
                properties.push(prop(&format!("aibom:dataset:{k}"), v.clone()));
            }
        }
        data.description = d.description.clone();
        data.contents = d.url.clone().map(|u| DataContents {
            url: Some(u),
            properties: Vec::new(),
        });
        data.classification = d.classification.clone();
        data.sensitive_data = d.sensitive_data.clone();
        if !d.owners.is_empty() {
            data.governance = Some(DataGovernance {
                owners: d
                    .owners
                    .iter()
                    .map(|o| DataGovernanceParty {
                        organization: OrganizationalEntity { name: o.clone() },
                    })
                    .collect(),
            });
        }
        if let Some(l) = &d.license {
            licenses.push(declared_license(l, None, None));
        }
    } else {
        properties.push(prop(
            "aibom:dataset:unknown",
            "provenance, licence, classification and owners not declared",
        ));
    }
    properties.sort();
    Component {
        kind: Some(ComponentType::Data),
        bom_ref: Some(r.to_owned()),
        name: name.to_owned(),
        licenses,
        data: vec![data],
        properties,
        ..Component::default()
    }
}

/// The licence a GGUF file declares (`general.license`), when the card declares none.
fn gguf_license(g: Option<&crate::formats::gguf::GgufFacts>) -> Vec<LicenseChoice> {
    g.and_then(|g| g.license.as_ref())
        .map(|l| declared_license(l, None, None))
        .into_iter()
        .collect()
}

/// A card licence that a licence file contradicts, or licence files that disagree.
fn license_conflict(info: &DirInfo) -> Option<String> {
    let recognised: BTreeSet<&str> = info.license_texts.values().flatten().copied().collect();
    if recognised.len() > 1 {
        return Some(format!(
            "licence files disagree: {}",
            recognised.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let card = card::scalar(info.card.as_ref(), "license")?.to_ascii_lowercase();
    let file = recognised.into_iter().next()?;
    let same = card == file
        || card.starts_with(file)
        || (file == "bsd" && card.starts_with("bsd"))
        || (file == "lgpl" && card.starts_with("lgpl"))
        || (file == "openrail" && card.contains("openrail"));
    (!same && card != "other")
        .then(|| format!("the model card declares {card} but a licence file reads as {file}"))
}

/// Builds the AIBOM of one scanned directory.
pub fn assemble(
    report: &ScanReport,
    target: &TargetReport,
    info: &DirInfo,
    opts: &Options,
) -> serde_json::Result<Bom> {
    let card = info.card.as_ref();
    let cfg = info.config.as_ref();
    let hub = info.hub.as_ref();
    let is_adapter = info.adapter_config.is_some();

    // Identity.
    let dir_name = std::path::Path::new(&target.root)
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| target.root.clone());
    let dm = opts.declared_model.as_ref();
    let name = hub
        .map(|h| h.repo_id.clone())
        .or_else(|| dm.and_then(|m| m.name.clone()))
        .unwrap_or(dir_name);
    let version = hub
        .and_then(|h| h.revision.clone())
        .or_else(|| dm.and_then(|m| m.version.clone()));
    let purl = hub
        .filter(|h| h.kind == "model")
        .and_then(|h| hf_purl(&h.repo_id, h.revision.as_deref()));
    let model_ref = format!("model:{name}");

    let mut components: BTreeMap<String, Component> = BTreeMap::new();
    let mut depends: BTreeSet<String> = BTreeSet::new();

    // Datasets named by the card, and those the owners declared.
    let mut dataset_refs = Vec::new();
    let mut names: Vec<(String, &str)> = card::strings(card, "datasets")
        .into_iter()
        .map(|d| (d, "README.md front matter: datasets"))
        .collect();
    for d in &opts.declared_datasets {
        if !names.iter().any(|(n, _)| *n == d.name) {
            names.push((d.name.clone(), DECLARED_SOURCE));
        }
    }
    // A release dataset that names its declaration stands for it: hashed, with its governance.
    let release = opts.release.as_ref();
    let stands_for = |name: &str| {
        release.is_some_and(|rel| {
            rel.artifacts
                .iter()
                .any(|a| a.declared.as_deref() == Some(name))
        })
    };
    names.retain(|(n, _)| !stands_for(n));
    for a in release.iter().flat_map(|r| r.artifacts.iter()) {
        let r = super::release::artifact_ref(a);
        components.insert(
            r.clone(),
            super::release::artifact_component(a, &opts.declared_datasets),
        );
        depends.insert(r.clone());
        if a.role == crate::config::ArtifactRole::Dataset {
            dataset_refs.push(DatasetRef { reference: r });
        }
    }
    for (ds, source) in names {
        let r = format!("dataset:{ds}");
        let declared = opts.declared_datasets.iter().find(|d| d.name == ds);
        components
            .entry(r.clone())
            .or_insert_with(|| dataset_component(&r, &ds, source, declared));
        depends.insert(r.clone());
        dataset_refs.push(DatasetRef { reference: r });
    }

    // A GGUF file's own metadata stands in for a model card and config it has none of.
    let gguf = target.files.iter().find_map(|f| f.facts.gguf.as_ref());

    // Base models: the card's base_model and the adapter's base_model_name_or_path.
    let mut bases: Vec<(String, Option<String>, &str)> = card::strings(card, "base_model")
        .into_iter()
        .map(|b| (b, None, "README.md front matter: base_model"))
        .collect();
    if let Some(b) = card::scalar(info.adapter_config.as_ref(), "base_model_name_or_path") {
        let rev = card::scalar(info.adapter_config.as_ref(), "revision");
        if let Some(existing) = bases.iter_mut().find(|(n, _, _)| *n == b) {
            existing.1 = existing.1.take().or(rev);
        } else {
            bases.push((b, rev, "adapter_config.json: base_model_name_or_path"));
        }
    }
    for b in gguf.map(|g| g.base_models.as_slice()).unwrap_or(&[]) {
        let id = match (&b.organization, &b.name) {
            (Some(o), Some(n)) => format!("{o}/{n}"),
            (None, Some(n)) => n.clone(),
            _ => continue,
        };
        if !bases.iter().any(|(n, _, _)| *n == id) {
            bases.push((id, None, "GGUF metadata: general.base_model"));
        }
    }
    let relation = card::scalar(card, "base_model_relation")
        .or_else(|| is_adapter.then(|| "adapter".to_owned()));
    let mut ancestors = Vec::new();
    for (b, rev, source) in &bases {
        let r = format!("model:{b}");
        let base_purl = hf_purl(b, rev.as_deref());
        components.entry(r.clone()).or_insert_with(|| Component {
            kind: Some(ComponentType::MachineLearningModel),
            bom_ref: Some(r.clone()),
            name: b.clone(),
            version: rev.clone(),
            purl: base_purl.clone(),
            properties: vec![prop("aibom:source", *source)],
            ..Component::default()
        });
        depends.insert(r);
        ancestors.push(Component {
            kind: Some(ComponentType::MachineLearningModel),
            name: b.clone(),
            version: rev.clone(),
            purl: base_purl,
            ..Component::default()
        });
    }

    // Libraries: pinned requirements, the card's library, transformers from config.json.
    let mut libs: BTreeMap<String, Option<String>> = info.requirements.clone();
    if let Some(l) = card::scalar(card, "library_name") {
        libs.entry(l.to_ascii_lowercase()).or_insert(None);
    }
    if card::scalar(cfg, "transformers_version").is_some() {
        libs.entry("transformers".into()).or_insert(None);
    }
    if is_adapter {
        libs.entry("peft".into()).or_insert(None);
    }
    for (lib, ver) in libs {
        let purl = match &ver {
            Some(v) => format!("pkg:pypi/{lib}@{v}"),
            None => format!("pkg:pypi/{lib}"),
        };
        components.entry(purl.clone()).or_insert_with(|| Component {
            kind: Some(ComponentType::Library),
            bom_ref: Some(purl.clone()),
            name: lib.clone(),
            version: ver.clone(),
            purl: Some(purl.clone()),
            ..Component::default()
        });
        depends.insert(purl);
    }

    // Parameter count: the sum over safetensors weights.
    let params: Option<u64> = {
        let counts: Vec<u64> = target
            .files
            .iter()
            .filter_map(|f| f.facts.safetensors.as_ref().map(|s| s.parameter_count))
            .collect();
        (!counts.is_empty()).then(|| counts.iter().fold(0u64, |a, b| a.saturating_add(*b)))
    };

    let params = params.or_else(|| gguf.map(|g| g.parameter_count).filter(|n| *n > 0));
    let mut card_props = card_properties(info, params);
    // The card's own results, typed, so they read back with their source (the model card).
    let card_eval = model_index(card);
    if let Some(e) = &card_eval {
        for n in &e.notes {
            card_props.push(prop("aibom:evaluation:note", n.clone()));
        }
        for m in &e.metrics {
            card_props.push(prop(
                "aibom:evaluation:metric",
                super::release::metric_json(m),
            ));
        }
    }
    if let Some(g) = gguf {
        let has = |p: &[Property], n: &str| p.iter().any(|x| x.name == n);
        if let Some(c) = g.context_length
            && !has(&card_props, "cdx:ai-ml:model:hyperparameter:context_length")
        {
            card_props.push(prop(
                "cdx:ai-ml:model:hyperparameter:context_length",
                c.to_string(),
            ));
        }
        if let Some(q) = &g.file_type_name
            && !has(&card_props, "cdx:ai-ml:model:hyperparameter:quantization")
        {
            card_props.push(prop(
                "cdx:ai-ml:model:hyperparameter:quantization",
                q.clone(),
            ));
        }
        if let Some(sz) = &g.size_label {
            card_props.push(prop("aibom:gguf:size-label", sz.clone()));
        }
    }
    let chat_template = gguf.is_some_and(|g| g.chat_template_sha256.is_some())
        || info
            .tokenizer_config
            .as_ref()
            .is_some_and(|t| t.get("chat_template").is_some())
        || target
            .files
            .iter()
            .any(|f| f.path.rsplit('/').next() == Some("chat_template.jinja"));
    if chat_template {
        card_props.push(prop("cdx:ai-ml:model:template:chat", "true"));
    }
    let remote_code = [cfg, info.tokenizer_config.as_ref()]
        .iter()
        .any(|c| c.and_then(|c| c.get("auto_map")).is_some())
        && target.files.iter().any(|f| f.path.ends_with(".py"));
    if remote_code {
        card_props.push(prop("aibom:remote-code", "true"));
    }
    card_props.sort();

    let model_card = ModelCard {
        model_parameters: Some(ModelParameters {
            task: card::scalar(card, "pipeline_tag"),
            architecture_family: card::scalar(cfg, "model_type")
                .or_else(|| gguf.and_then(|g| g.architecture.clone())),
            model_architecture: card::strings(cfg, "architectures").into_iter().next(),
            datasets: dataset_refs,
        }),
        quantitative_analysis: {
            let m: Vec<PerformanceMetric> = card_eval
                .iter()
                .flat_map(|e| e.metrics.iter())
                .chain(release.into_iter().flat_map(super::release::metrics))
                .map(super::release::performance_metric)
                .collect();
            (!m.is_empty()).then_some(QuantitativeAnalysis {
                performance_metrics: m,
            })
        },
        considerations: {
            // The owners' declaration first, then what the card states.
            let mut c = Considerations::default();
            if let Some(m) = dm {
                c.users = m.users.clone();
                c.use_cases = m.intended_use.clone();
                c.technical_limitations = m.limitations.clone();
            }
            c.use_cases.extend(info.use_cases.iter().cloned());
            c.technical_limitations
                .extend(info.limitations.iter().cloned());
            (c != Considerations::default()).then_some(c)
        },
        properties: card_props,
    };

    let mut model_props = vec![prop(
        "aibom:model:kind",
        if is_adapter { "adapter" } else { "model" },
    )];
    for n in &info.notes {
        model_props.push(prop("aibom:metadata:note", n.clone()));
    }
    for (path, recognised) in &info.license_texts {
        model_props.push(prop(
            "aibom:license-file",
            format!("{path}: {}", recognised.unwrap_or("not recognised")),
        ));
    }
    if let Some(conflict) = license_conflict(info) {
        model_props.push(prop("aibom:license:conflict", conflict));
    }
    if let Some(r) = release {
        model_props.push(prop("aibom:release:tier", r.tier.as_str()));
        if let Some(m) = &r.model {
            model_props.push(prop("aibom:release:path", m.clone()));
        }
    }
    if let Some(m) = dm {
        model_props.push(prop(DECLARED, DECLARED_SOURCE));
        for o in &m.owners {
            model_props.push(prop("aibom:declared:owner", o.clone()));
        }
        if hub.is_some() {
            if let Some(n) = &m.name {
                model_props.push(prop("aibom:declared:name", n.clone()));
            }
            if let Some(v) = &m.version {
                model_props.push(prop("aibom:declared:version", v.clone()));
            }
        }
    }
    model_props.sort();

    // Prompts and code that steer behaviour: the chat template as a component of its own
    // (hashed, so a changed template is a changed AIBOM), remote code files flagged.
    if let Some(t) = info
        .tokenizer_config
        .as_ref()
        .and_then(|t| t.get("chat_template"))
    {
        let text = match t {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let r = "template:tokenizer_config.json#chat_template".to_owned();
        components.insert(
            r.clone(),
            Component {
                kind: Some(ComponentType::Data),
                bom_ref: Some(r.clone()),
                name: "chat_template".to_owned(),
                hashes: vec![Hash {
                    alg: HashAlg::Sha256,
                    content: crate::digest::Sha256::of(text.as_bytes()).to_hex(),
                }],
                data: vec![ComponentData {
                    kind: DataType::Configuration,
                    name: Some("chat_template".to_owned()),
                    description: Some(
                        "Jinja chat template from tokenizer_config.json; it shapes every prompt"
                            .to_owned(),
                    ),
                    ..ComponentData::default()
                }],
                properties: vec![
                    prop("aibom:source", "tokenizer_config.json: chat_template"),
                    prop("aibom:template:length", text.len().to_string()),
                ],
                ..Component::default()
            },
        );
        depends.insert(r);
    }
    let mut files: Vec<Component> = target.files.iter().map(file_component).collect();
    for f in &mut files {
        let base = f.name.rsplit('/').next().unwrap_or(&f.name).to_owned();
        let role = if base == "chat_template.jinja" {
            Some("chat-template")
        } else if remote_code && base.ends_with(".py") {
            Some("remote-code")
        } else {
            None
        };
        if let Some(role) = role {
            f.properties.push(prop("aibom:file:role", role));
            f.properties.sort();
        }
    }

    let model = Component {
        kind: Some(ComponentType::MachineLearningModel),
        bom_ref: Some(model_ref.clone()),
        name: name.clone(),
        version,
        description: dm.and_then(|m| m.description.clone()),
        licenses: {
            let l = license_choice(card);
            if l.is_empty() { gguf_license(gguf) } else { l }
        },
        purl,
        properties: model_props,
        components: files,
        pedigree: (!ancestors.is_empty()).then(|| Pedigree {
            ancestors,
            notes: relation.map(|r| format!("base_model_relation: {r}")),
        }),
        model_card: Some(model_card),
        tags: card::strings(card, "tags"),
        ..Component::default()
    };

    // Findings.
    let mut vulnerabilities = Vec::new();
    for f in &target.files {
        for x in &f.findings {
            vulnerabilities.push(vulnerability(
                vulnerabilities.len() + 1,
                x,
                &file_ref(&f.path),
            ));
        }
    }
    // Findings an exception accepted: recorded, with the owners' reason and expiry.
    for f in &target.files {
        for x in &f.excepted {
            let mut v = vulnerability(vulnerabilities.len() + 1, &x.finding, &file_ref(&f.path));
            v.analysis = Some(Analysis {
                state: "exploitable".into(),
                response: vec!["will_not_fix".into()],
                detail: Some(match &x.expires {
                    Some(e) => format!("accepted by an exception until {e}: {}", x.reason),
                    None => format!("accepted by an exception: {}", x.reason),
                }),
            });
            v.properties
                .push(prop("aibom:exception:reason", x.reason.clone()));
            if let Some(e) = &x.expires {
                v.properties
                    .push(prop("aibom:exception:expires", e.to_string()));
            }
            vulnerabilities.push(v);
        }
    }
    // What the walks of the release's artifacts found (links): about the artifact.
    for a in release.iter().flat_map(|r| r.artifacts.iter()) {
        for x in &a.findings {
            let affected = super::release::artifact_ref(a);
            vulnerabilities.push(vulnerability(vulnerabilities.len() + 1, x, &affected));
        }
    }
    for x in &target.findings {
        let affected = target
            .files
            .iter()
            .find(|f| f.path == x.location.path)
            .map(|f| file_ref(&f.path))
            .unwrap_or_else(|| model_ref.clone());
        vulnerabilities.push(vulnerability(vulnerabilities.len() + 1, x, &affected));
    }

    let mut dependencies = vec![Dependency {
        reference: model_ref.clone(),
        depends_on: depends.into_iter().collect(),
    }];
    for r in components.keys() {
        dependencies.push(Dependency {
            reference: r.clone(),
            depends_on: Vec::new(),
        });
    }
    dependencies.sort();

    let mut meta_props = vec![
        prop(
            "aibom:scan:verdict",
            report
                .summary
                .verdict
                .map(Verdict::as_str)
                .unwrap_or("clean"),
        ),
        prop("aibom:scan:fail-on", report.fail_on.as_str()),
        prop("aibom:scan:strict", report.strict.to_string()),
    ];
    meta_props.sort();

    let mut bom = Bom {
        schema: SCHEMA_URL.to_owned(),
        bom_format: "CycloneDX".to_owned(),
        spec_version: SPEC_VERSION.to_owned(),
        serial_number: None,
        version: 1,
        metadata: Metadata {
            timestamp: opts.timestamp.clone(),
            lifecycles: vec![Lifecycle {
                phase: Phase::Build,
            }],
            tools: Some(Tools {
                components: vec![Component {
                    kind: Some(ComponentType::Application),
                    name: TOOL.to_owned(),
                    version: Some(report.tool.version.to_owned()),
                    properties: vec![prop(
                        "aibom:policy-version",
                        report.tool.policy_version.clone(),
                    )],
                    ..Component::default()
                }],
            }),
            component: Some(model),
            properties: meta_props,
        },
        components: components.into_values().collect(),
        dependencies,
        compositions: vec![Composition {
            aggregate: Aggregate::Complete,
            assemblies: std::iter::once(model_ref)
                .chain(
                    release
                        .iter()
                        .flat_map(|r| r.artifacts.iter())
                        .map(super::release::artifact_ref),
                )
                .collect(),
            dependencies: Vec::new(),
        }],
        vulnerabilities,
        properties: Vec::new(),
    };
    bom.serial_number = Some(serial_of(&bom)?);
    Ok(bom)
}

/// `urn:uuid:` + UUIDv5 of the document's canonical bytes without the serial: the same
/// content always gets the same serial, different content a different one.
pub fn serial_of(bom: &Bom) -> serde_json::Result<String> {
    let mut b = bom.clone();
    b.serial_number = None;
    let bytes = serde_json::to_vec(&b)?;
    // A fixed namespace for aibom documents (UUIDv5 of the DNS name "aibom").
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, b"aibom");
    Ok(format!("urn:uuid:{}", uuid::Uuid::new_v5(&ns, &bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_hugging_face_purls_only_for_repo_ids() {
        assert_eq!(
            hf_purl("org/name", Some("ABCDEF")).as_deref(),
            Some("pkg:huggingface/org/name@abcdef")
        );
        assert_eq!(
            hf_purl("org/name", None).as_deref(),
            Some("pkg:huggingface/org/name")
        );
        assert_eq!(hf_purl("./local/path", None), None);
        assert_eq!(hf_purl("name-only", None), None);
    }

    #[test]
    fn normalises_spdx_ids_case_insensitively() {
        assert_eq!(spdx_id("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_id("MIT"), Some("MIT"));
        assert_eq!(spdx_id("llama2"), None);
        assert_eq!(spdx_id("openrail"), None);
    }
}
