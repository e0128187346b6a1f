//! Reading the report model from a CycloneDX document ([`read::Document`]): leniently, noting
//! what is present but unreadable, never requiring aibom's own properties.

use super::completeness::assess;
use super::*;
use crate::bom::read::{self, MAX_DEPTH, Note, Object, Problem};
use crate::digest::Sha256;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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
pub(super) struct Comp<'a> {
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
pub(super) fn licenses_of(v: Object<'_>) -> Vec<(String, bool, Option<String>)> {
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

pub(super) fn dataset_row(c: &Comp<'_>) -> DatasetRow {
    let data: Vec<Object<'_>> = c.v.get("data").objects().collect();
    dataset_from(c.v, &data, c.name.clone())
}

/// A dataset from its component (`holder`) and `data[]` entries (or an inline dataset).
pub(super) fn dataset_from(holder: Object<'_>, data: &[Object<'_>], name: String) -> DatasetRow {
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
                .unwrap_or_else(|| format!("inline dataset {}", i.saturating_add(1)));
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
            self.ancestors(&k, a, "base model", keys, depth.saturating_add(1));
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
            let next = la.saturating_add(1);
            if lb < next && next <= keep.len() {
                layer.insert(b.clone(), next);
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
    let subject_col = layer
        .get(SUBJECT)
        .copied()
        .unwrap_or(0)
        .saturating_add(shift);

    let mut out = Lineage::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_col: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (k, l) in &layer {
        per_col
            .entry(l.saturating_add(shift))
            .or_default()
            .push(k.clone());
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
            .take(MAX_PER_COLUMN.saturating_sub(usize::from(hidden > 0)))
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
                name: format!("+{} more models", hidden.saturating_add(1)),
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
        let shown = datasets
            .rows
            .len()
            .saturating_sub(hidden)
            .saturating_sub(usize::from(hidden > 0));
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
                row: first_row.saturating_add(i),
            });
        }
        if hidden > 0 {
            out.edges.push(LineageEdge {
                from: out.nodes.len(),
                to: subject,
                label: "data".into(),
            });
            out.nodes.push(LineageNode {
                name: format!("+{} more datasets", hidden.saturating_add(1)),
                detail: "see Datasets".into(),
                purl: None,
                source: String::new(),
                kind: NodeKind::More,
                flagged: false,
                column: col,
                row: first_row.saturating_add(shown),
            });
        }
    }
    // How many columns and rows the nodes span.
    let extent = |at: fn(&LineageNode) -> usize| {
        out.nodes
            .iter()
            .map(|n| at(n).saturating_add(1))
            .max()
            .unwrap_or(0)
    };
    out.columns = extent(|n| n.column);
    out.rows = extent(|n| n.row);
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::super::tests_support::lora;

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
}
