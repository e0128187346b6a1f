//! CycloneDX AIBOM -> SPDX 3.0.1 JSON-LD (Core, Software, AI and Dataset profiles).
//!
//! The SPDX document is a translation of the AIBOM [`super::assemble`] built from the scan, so
//! both formats state the same facts from the same pass: nothing is re-scanned or re-derived.
//! Spec: <https://spdx.github.io/spdx-spec/v3.0.1/> (model:
//! <https://spdx.org/rdf/3.0.1/spdx-model.ttl>).
//!
//! Mapping (every element shares one `CreationInfo` blank node):
//! - the model (`metadata.component`) -> `ai_AIPackage`, the document's root element;
//!   hyperparameters (`cdx:ai-ml:model:hyperparameter:*`, parameter count) ->
//!   `ai_hyperparameter`, performance metrics -> `ai_metric`, technical limitations ->
//!   `ai_limitation`, the task (`pipeline_tag`) -> `ai_domain`, architecture family and class ->
//!   `ai_typeOfModel`, intended uses -> `ai_informationAboutApplication`;
//! - each file -> `software_File` with a SHA-256 `Hash` in `verifiedUsing`; one `contains`
//!   relationship (`completeness: complete`) from the model to all of them;
//! - datasets -> `dataset_DatasetPackage` (`dataset_datasetType: noAssertion`: the type is not
//!   recorded); a release dataset `contains` its hashed files (or its manifest's entries, with
//!   the digests the manifest states); `trainedOn` / `testedOn` from the model by the declared
//!   role (evaluation, test, validation, benchmark roles are `testedOn`);
//! - base models -> `ai_AIPackage`, the model `descendantOf` them;
//! - libraries, other release artifacts and the chat template -> `software_Package`, the
//!   model `dependsOn` them;
//! - declared owners of the model (`aibom:declared:owner`) and of a dataset (governance
//!   owners) -> `Organization` agents in the element's `originatedBy`;
//! - licences -> `simplelicensing_LicenseExpression` + `hasDeclaredLicense` (a name that is
//!   not an SPDX id becomes `LicenseRef-<name>`);
//! - findings -> `Annotation` (`annotationType: review`) on the file (or artifact, or model)
//!   they are about, statement `<severity> <code>: <message> (<detail>)`. They are not SPDX
//!   Security vulnerabilities: a finding is an observation about one file with no vulnerability
//!   identifier to assess.
//!
//! `profileConformance` names only the profiles whose rules every element of theirs meets
//! (`conformance`): the AI and Dataset classes are used, but their profiles require release
//! times, suppliers and licence conclusions a scan does not know, so they are not claimed.
//!
//! `spdxId`s are IRIs under `https://aibom.invalid/spdx3/<model name>/<uuid>/`, the uuid being
//! that of the AIBOM's serial (a UUIDv5 of its content), each followed by the percent-encoded
//! CycloneDX `bom-ref`, so the same directory gives the same ids and the same bytes.

use super::model::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION_INFO: &str = "_:creationinfo";
const NOASSERTION: &str = "NOASSERTION";
/// `created` when no time was given: fixed, so the output is reproducible.
const EPOCH: &str = "1970-01-01T00:00:00Z";

/// Whether a parsed document is SPDX 3 JSON-LD (commands that read only CycloneDX refuse it).
pub fn is_spdx3(doc: &Value) -> bool {
    doc.get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.starts_with("https://spdx.org/rdf/3."))
        || doc.get("@graph").is_some()
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SPDX 3 `DateTime`: `YYYY-MM-DDThh:mm:ssZ`, UTC, no fraction.
fn spdx_time(t: Option<&str>) -> String {
    t.and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| EPOCH.to_owned())
}

fn prop<'a>(props: &'a [Property], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

fn props<'a>(props: &'a [Property], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    props
        .iter()
        .filter(move |p| p.name == name)
        .map(|p| p.value.as_str())
}

/// `software_primaryPurpose` of a scanned file, from its detected format and name.
fn file_purpose(c: &Component) -> &'static str {
    let format = prop(&c.properties, "aibom:file:format").unwrap_or("");
    let base = c.name.rsplit('/').next().unwrap_or(&c.name);
    let lower = base.to_ascii_lowercase();
    if lower.starts_with("readme") || lower.ends_with(".md") || lower.starts_with("license") {
        "documentation"
    } else if lower.starts_with("requirements") && lower.ends_with(".txt") {
        "requirement"
    } else if lower.ends_with(".py") {
        "source"
    } else if [".json", ".yaml", ".yml", ".toml", ".jinja", ".cfg", ".ini"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        "configuration"
    } else if matches!(format, "text" | "empty" | "unknown" | "") {
        "data"
    } else {
        "model"
    }
}

fn is_dataset(c: &Component) -> bool {
    c.data.first().is_some_and(|d| d.kind == DataType::Dataset)
}

fn tested_role(role: &str) -> bool {
    let r = role.to_ascii_lowercase();
    ["eval", "test", "validation", "benchmark"]
        .iter()
        .any(|k| r.contains(k))
}

fn license_expression(l: &LicenseChoice) -> Option<String> {
    let LicenseChoice::License { license } = l else {
        return None;
    };
    if let Some(id) = &license.id {
        return Some(id.clone());
    }
    let name = license.name.as_deref()?;
    let idstring: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Some(format!("LicenseRef-{idstring}"))
}

/// The document being built: elements by spdxId (sorted output), relationships numbered.
struct Doc {
    ns: String,
    elements: BTreeMap<String, Value>,
}

impl Doc {
    fn id(&self, local: &str) -> String {
        format!("{}{}", self.ns, encode(local))
    }

    fn element(&mut self, kind: &str, local: &str, mut fields: Map<String, Value>) -> String {
        let id = self.id(local);
        fields.insert("type".into(), json!(kind));
        fields.insert("spdxId".into(), json!(id));
        fields.insert("creationInfo".into(), json!(CREATION_INFO));
        self.elements.insert(id.clone(), Value::Object(fields));
        id
    }

    fn relationship(&mut self, from: &str, kind: &str, to: Vec<String>, complete: bool) {
        if to.is_empty() {
            return;
        }
        let local = format!(
            "relationship/{kind}/{}",
            from.strip_prefix(&self.ns).unwrap_or(from)
        );
        let mut f = Map::new();
        f.insert("from".into(), json!(from));
        f.insert("relationshipType".into(), json!(kind));
        f.insert("to".into(), json!(to));
        if complete {
            f.insert("completeness".into(), json!("complete"));
        }
        self.element("Relationship", &local, f);
    }

    /// Declared owners as `Organization` agents, named by the element's `originatedBy`.
    fn owners<'a>(&mut self, of: &str, names: impl Iterator<Item = &'a str>) {
        let ids: Vec<String> = names
            .map(|n| {
                let mut f = Map::new();
                f.insert("name".into(), json!(n));
                self.element("Organization", &format!("organization/{n}"), f)
            })
            .collect();
        if let (false, Some(Value::Object(e))) = (ids.is_empty(), self.elements.get_mut(of)) {
            e.insert("originatedBy".into(), json!(ids));
        }
    }

    fn licenses(&mut self, of: &str, licenses: &[LicenseChoice]) {
        let exprs: Vec<String> = licenses.iter().filter_map(license_expression).collect();
        let mut to = Vec::new();
        for e in exprs {
            let mut f = Map::new();
            f.insert("simplelicensing_licenseExpression".into(), json!(e));
            to.push(self.element(
                "simplelicensing_LicenseExpression",
                &format!("license/{e}"),
                f,
            ));
        }
        self.relationship(of, "hasDeclaredLicense", to, false);
    }
}

fn hashes(c: &Component) -> Vec<Value> {
    c.hashes
        .iter()
        .filter(|h| h.alg == HashAlg::Sha256)
        .map(|h| json!({"type": "Hash", "algorithm": "sha256", "hashValue": h.content}))
        .collect()
}

fn file_fields(name: &str, purpose: &str, verified: Vec<Value>) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("name".into(), json!(name));
    f.insert("software_primaryPurpose".into(), json!(purpose));
    if !verified.is_empty() {
        f.insert("verifiedUsing".into(), Value::Array(verified));
    }
    f
}

fn package_fields(c: &Component, purpose: &str) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("name".into(), json!(c.name));
    if let Some(v) = &c.version {
        f.insert("software_packageVersion".into(), json!(v));
    }
    if let Some(p) = &c.purl {
        f.insert("software_packageUrl".into(), json!(p));
    }
    let download = c
        .data
        .first()
        .and_then(|d| d.contents.as_ref())
        .and_then(|c| c.url.clone())
        .unwrap_or_else(|| NOASSERTION.to_owned());
    f.insert("software_downloadLocation".into(), json!(download));
    f.insert("software_primaryPurpose".into(), json!(purpose));
    let description = c
        .description
        .clone()
        .or_else(|| c.data.first().and_then(|d| d.description.clone()));
    if let Some(d) = description {
        f.insert("description".into(), json!(d));
    }
    let verified = hashes(c);
    if !verified.is_empty() {
        f.insert("verifiedUsing".into(), Value::Array(verified));
    }
    f
}

fn dictionary(entries: Vec<(String, String)>) -> Value {
    Value::Array(
        entries
            .into_iter()
            .map(|(k, v)| json!({"type": "DictionaryEntry", "key": k, "value": v}))
            .collect(),
    )
}

/// The model's AI profile fields from its model card.
fn ai_fields(f: &mut Map<String, Value>, model: &Component) {
    let Some(card) = &model.model_card else {
        return;
    };
    let mut hyper = Vec::new();
    for p in &card.properties {
        if let Some(k) = p.name.strip_prefix("cdx:ai-ml:model:hyperparameter:") {
            hyper.push((k.to_owned(), p.value.clone()));
        } else if p.name == "cdx:ai-ml:model:parameter:count" {
            hyper.push(("parameter_count".to_owned(), p.value.clone()));
        } else if let Some(k) = p.name.strip_prefix("aibom:adapter:") {
            hyper.push((format!("adapter_{k}"), p.value.clone()));
        }
    }
    if !hyper.is_empty() {
        f.insert("ai_hyperparameter".into(), dictionary(hyper));
    }
    let metrics: Vec<(String, String)> = card
        .quantitative_analysis
        .iter()
        .flat_map(|q| q.performance_metrics.iter())
        .filter_map(|m| {
            let kind = m.kind.clone()?;
            let key = match &m.slice {
                Some(s) => format!("{kind} ({s})"),
                None => kind,
            };
            Some((key, m.value.clone().unwrap_or_default()))
        })
        .collect();
    if !metrics.is_empty() {
        f.insert("ai_metric".into(), dictionary(metrics));
    }
    if let Some(c) = &card.considerations {
        if !c.technical_limitations.is_empty() {
            f.insert(
                "ai_limitation".into(),
                json!(c.technical_limitations.join("\n")),
            );
        }
        if !c.use_cases.is_empty() {
            f.insert(
                "ai_informationAboutApplication".into(),
                json!(format!("intended use: {}", c.use_cases.join("; "))),
            );
        }
    }
    if let Some(p) = &card.model_parameters {
        if let Some(t) = &p.task {
            f.insert("ai_domain".into(), json!([t]));
        }
        let types: Vec<&String> = p
            .architecture_family
            .iter()
            .chain(p.model_architecture.iter())
            .collect();
        if !types.is_empty() {
            f.insert("ai_typeOfModel".into(), json!(types));
        }
    }
}

/// A dataset's Dataset profile fields.
fn dataset_fields(c: &Component) -> Map<String, Value> {
    let mut f = package_fields(c, "data");
    f.insert("dataset_datasetType".into(), json!(["noAssertion"]));
    if let Some(d) = c.data.first() {
        if !d.sensitive_data.is_empty() {
            f.insert(
                "dataset_hasSensitivePersonalInformation".into(),
                json!("yes"),
            );
        }
        if let Some(p) = prop(&c.properties, "aibom:dataset:provenance") {
            f.insert("dataset_dataCollectionProcess".into(), json!(p));
        }
        if let Some(r) = prop(&c.properties, "aibom:dataset:role") {
            f.insert("dataset_intendedUse".into(), json!(r));
        }
    }
    f
}

/// Files a release dataset lists in its manifest: `{"path", "sha256", "size"?}`.
fn manifest_entries(c: &Component) -> Vec<(String, String)> {
    c.data
        .first()
        .and_then(|d| d.contents.as_ref())
        .map(|contents| {
            props(&contents.properties, "aibom:dataset:file")
                .filter_map(|v| {
                    let e: Value = serde_json::from_str(v).ok()?;
                    Some((
                        e.get("path")?.as_str()?.to_owned(),
                        e.get("sha256")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The SPDX 3.0.1 AI and Dataset profiles' requirements on their package classes (spdx-3-model
/// tag 3.0.1, `model/AI/Classes/AIPackage.md`, `model/Dataset/Classes/DatasetPackage.md`,
/// "External properties restrictions"; `model/AI/AI.md`, `model/Dataset/Dataset.md`, "Profile
/// conformance"), as `schemas/spdx3/profile-conformance.ttl` states them for SHACL.
const AI_REQUIRED: &[&str] = &[
    "releaseTime",
    "suppliedBy",
    "software_downloadLocation",
    "software_packageVersion",
    "software_primaryPurpose",
];
const DATASET_REQUIRED: &[&str] = &[
    "builtTime",
    "releaseTime",
    "originatedBy",
    "software_downloadLocation",
    "software_primaryPurpose",
];
/// The Software profile's classes that need a `name` (`model/Software/Classes/File.md`,
/// `Package.md`; the AI and Dataset packages are Packages).
const SOFTWARE_NAMED: &[&str] = &[
    "software_File",
    "software_Package",
    "ai_AIPackage",
    "dataset_DatasetPackage",
];
/// The licence individuals SPDX 3.0.1 defines (ExpandedLicensing `IndividualLicensingInfo`s).
const LICENSE_INDIVIDUALS: &[&str] = &[
    "expandedlicensing_NoAssertionLicense",
    "expandedlicensing_NoneLicense",
];

fn kind(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("")
}

/// How many values an element states for a property (an array counts its members). A
/// `software_downloadLocation` of `NOASSERTION` states none: the property is a URI, and SPDX 3
/// gives that string no meaning there.
fn count(e: &Value, key: &str) -> usize {
    match e.get(key) {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => a.len(),
        Some(Value::String(s)) if key == "software_downloadLocation" && s == NOASSERTION => 0,
        Some(_) => 1,
    }
}

/// Exactly one `rel` relationship from `id`, with exactly one `to`, a licence: a licence
/// element of the document or one of the spec's licence individuals.
fn one_license(all: &[&Value], id: &str, rel: &str) -> bool {
    let mut found = all.iter().filter(|e| {
        kind(e) == "Relationship"
            && e.get("from").and_then(Value::as_str) == Some(id)
            && e.get("relationshipType").and_then(Value::as_str) == Some(rel)
    });
    let (Some(r), None) = (found.next(), found.next()) else {
        return false;
    };
    let to = match r.get("to") {
        Some(Value::Array(a)) if a.len() == 1 => &a[0],
        Some(v @ Value::String(_)) => v,
        _ => return false,
    };
    let Some(to) = to.as_str() else {
        return false;
    };
    LICENSE_INDIVIDUALS.contains(&to)
        || all.iter().any(|e| {
            kind(e) == "simplelicensing_LicenseExpression"
                && e.get("spdxId").and_then(Value::as_str) == Some(to)
        })
}

/// Whether every element of `class` meets its profile's rules, and there is at least one (a
/// profile is claimed for what the document has, not vacuously).
fn profile_holds(all: &[&Value], class: &str, required: &[&str]) -> bool {
    let mut members = all.iter().filter(|e| kind(e) == class).peekable();
    members.peek().is_some()
        && members.all(|e| {
            let id = e.get("spdxId").and_then(Value::as_str).unwrap_or("");
            required.iter().all(|k| count(e, k) >= 1)
                // the Dataset profile: exactly one originatedBy
                && (class != "dataset_DatasetPackage" || count(e, "originatedBy") == 1)
                && one_license(all, id, "hasConcludedLicense")
                && one_license(all, id, "hasDeclaredLicense")
        })
}

/// The document's `profileConformance`: `core`, and each other profile whose classes the
/// document uses and whose rules all of them meet. The AI and Dataset classes are used without
/// their profile's claim when a required fact is unknown (a claim is optional; the classes
/// are not reserved to documents that make it).
fn conformance(all: &[&Value]) -> Vec<&'static str> {
    let mut profiles = vec!["core"];
    let mut software = all
        .iter()
        .filter(|e| SOFTWARE_NAMED.contains(&kind(e)))
        .peekable();
    if software.peek().is_some() && software.all(|e| count(e, "name") >= 1) {
        profiles.push("software");
    }
    if profile_holds(all, "ai_AIPackage", AI_REQUIRED) {
        profiles.push("ai");
    }
    if profile_holds(all, "dataset_DatasetPackage", DATASET_REQUIRED) {
        profiles.push("dataset");
    }
    if all.iter().any(|e| kind(e).starts_with("simplelicensing_")) {
        profiles.push("simpleLicensing");
    }
    profiles
}

/// Builds the SPDX 3.0.1 JSON-LD document of an assembled AIBOM.
pub fn from_bom(bom: &Bom) -> Value {
    let model = bom.metadata.component.clone().unwrap_or_default();
    let serial = bom
        .serial_number
        .as_deref()
        .and_then(|s| s.strip_prefix("urn:uuid:"))
        .unwrap_or("unnumbered");
    let mut doc = Doc {
        ns: format!(
            "https://aibom.invalid/spdx3/{}/{serial}/",
            encode(&model.name)
        ),
        elements: BTreeMap::new(),
    };
    let tool = bom
        .metadata
        .tools
        .as_ref()
        .and_then(|t| t.components.first())
        .cloned()
        .unwrap_or_default();
    let agent = doc.element("SoftwareAgent", "agent/aibom", {
        let mut f = Map::new();
        f.insert("name".into(), json!(tool.name));
        f
    });
    let tool_id = doc.element("Tool", "tool/aibom", {
        let mut f = Map::new();
        f.insert(
            "name".into(),
            json!(match &tool.version {
                Some(v) => format!("{} {v}", tool.name),
                None => tool.name.clone(),
            }),
        );
        f
    });

    // The model.
    let model_ref = model.bom_ref.clone().unwrap_or_else(|| "model".into());
    let mut f = package_fields(&model, "model");
    ai_fields(&mut f, &model);
    let model_id = doc.element("ai_AIPackage", &model_ref, f);
    doc.licenses(&model_id, &model.licenses);
    doc.owners(&model_id, props(&model.properties, "aibom:declared:owner"));

    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    ids.insert(model_ref.clone(), model_id.clone());
    let mut files = Vec::new();
    for c in &model.components {
        let r = c.bom_ref.clone().unwrap_or_else(|| c.name.clone());
        let mut f = file_fields(&c.name, file_purpose(c), hashes(c));
        // A file not read has no digest: the element says why.
        if let Some(why) = prop(&c.properties, "aibom:file:inspection") {
            f.insert("comment".into(), json!(why));
        }
        let id = doc.element("software_File", &r, f);
        ids.insert(r, id.clone());
        files.push(id);
    }
    doc.relationship(&model_id, "contains", files, true);

    // Top-level components: bases, datasets, libraries, release artifacts, templates.
    // Ancestors are written inline (no bom-ref): matched to the base components by name.
    let bases: Vec<&str> = model
        .pedigree
        .iter()
        .flat_map(|p| p.ancestors.iter())
        .map(|a| a.name.as_str())
        .collect();
    let (mut trained, mut tested, mut depends, mut descends) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in &bom.components {
        let r = c.bom_ref.clone().unwrap_or_else(|| c.name.clone());
        let id = if c.kind == Some(ComponentType::MachineLearningModel) {
            let id = doc.element("ai_AIPackage", &r, package_fields(c, "model"));
            if bases.contains(&c.name.as_str()) {
                descends.push(id.clone());
            } else {
                depends.push(id.clone());
            }
            id
        } else if is_dataset(c) {
            let id = doc.element("dataset_DatasetPackage", &r, dataset_fields(c));
            match prop(&c.properties, "aibom:dataset:role") {
                Some(role) if tested_role(role) => tested.push(id.clone()),
                _ => trained.push(id.clone()),
            }
            id
        } else {
            let purpose = match c.kind {
                Some(ComponentType::Library) => "library",
                _ => match c.data.first().map(|d| d.kind) {
                    Some(DataType::Configuration) => "configuration",
                    _ => "other",
                },
            };
            let id = doc.element("software_Package", &r, package_fields(c, purpose));
            depends.push(id.clone());
            id
        };
        doc.licenses(&id, &c.licenses);
        doc.owners(
            &id,
            c.data
                .iter()
                .filter_map(|d| d.governance.as_ref())
                .flat_map(|g| g.owners.iter())
                .map(|o| o.organization.name.as_str()),
        );
        // Files an artifact holds (hashed here), and a manifest's entries.
        let mut held = Vec::new();
        for fc in &c.components {
            let fr = fc
                .bom_ref
                .clone()
                .unwrap_or_else(|| format!("{r}:file:{}", fc.name));
            let purpose = if is_dataset(c) {
                "data"
            } else {
                file_purpose(fc)
            };
            let fid = doc.element(
                "software_File",
                &fr,
                file_fields(&fc.name, purpose, hashes(fc)),
            );
            ids.insert(fr, fid.clone());
            held.push(fid);
        }
        for (path, sha) in manifest_entries(c) {
            let mut ff = file_fields(
                &path,
                "data",
                vec![json!({"type": "Hash", "algorithm": "sha256", "hashValue": sha})],
            );
            ff.insert(
                "comment".into(),
                json!("digest as the dataset's manifest states it"),
            );
            held.push(doc.element("software_File", &format!("{r}:listed:{path}"), ff));
        }
        doc.relationship(&id, "contains", held, true);
        ids.insert(r, id);
    }
    doc.relationship(&model_id, "trainedOn", trained, false);
    doc.relationship(&model_id, "testedOn", tested, false);
    doc.relationship(&model_id, "descendantOf", descends, false);
    doc.relationship(&model_id, "dependsOn", depends, false);

    // Findings: review annotations on what they are about.
    for v in &bom.vulnerabilities {
        let subject = v
            .affects
            .first()
            .and_then(|a| ids.get(&a.reference))
            .cloned()
            .unwrap_or_else(|| model_id.clone());
        let severity = v
            .ratings
            .first()
            .map(|r| format!("{:?}", r.severity).to_ascii_lowercase())
            .unwrap_or_default();
        let mut statement = format!("{severity} {}: {}", v.id, v.description);
        if let Some(d) = &v.detail {
            statement.push_str(&format!(" ({d})"));
        }
        if let Some(a) = v.analysis.as_ref().and_then(|a| a.detail.as_ref()) {
            statement.push_str(&format!("; {a}"));
        }
        let mut f = Map::new();
        f.insert("annotationType".into(), json!("review"));
        f.insert("subject".into(), json!(subject));
        f.insert("statement".into(), json!(statement));
        doc.element("Annotation", &v.bom_ref, f);
    }

    // The document: the model is its root; every other element is listed.
    let verdict = prop(&bom.metadata.properties, "aibom:scan:verdict").unwrap_or("clean");
    let element: Vec<String> = doc.elements.keys().cloned().collect();
    let mut f = Map::new();
    f.insert("name".into(), json!(format!("AIBOM of {}", model.name)));
    f.insert(
        "comment".into(),
        json!(format!(
            "generated from the CycloneDX AIBOM {}; scan verdict: {verdict}",
            bom.serial_number.as_deref().unwrap_or("")
        )),
    );
    let all: Vec<&Value> = doc.elements.values().collect();
    f.insert("profileConformance".into(), json!(conformance(&all)));
    f.insert("rootElement".into(), json!([model_id]));
    f.insert("element".into(), json!(element));
    let document = doc.element("SpdxDocument", "document", f);

    let creation = json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": spdx_time(bom.metadata.timestamp.as_deref()),
        "createdBy": [agent],
        "createdUsing": [tool_id],
    });
    // Document first, then the rest in spdxId order.
    let mut graph = vec![creation];
    if let Some(d) = doc.elements.remove(&document) {
        graph.push(d);
    }
    graph.extend(doc.elements.into_values());
    json!({"@context": CONTEXT, "@graph": graph})
}

/// Serialises as stable, pretty JSON with a trailing newline (object keys sorted).
pub fn to_json(doc: &Value) -> serde_json::Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(doc)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encodes_bom_refs_into_iri_segments() {
        assert_eq!(encode("file:a b/c.json"), "file%3Aa%20b/c.json");
        assert_eq!(encode("pkg:pypi/x@1"), "pkg%3Apypi/x%401");
    }

    #[test]
    fn writes_spdx_datetimes_in_utc_without_fractions() {
        assert_eq!(spdx_time(None), EPOCH);
        assert_eq!(
            spdx_time(Some("2026-01-31T13:00:00.5+01:00")),
            "2026-01-31T12:00:00Z"
        );
    }

    #[test]
    fn evaluation_roles_are_tested_on_and_the_rest_trained_on() {
        for role in ["evaluation", "Test set", "validation", "benchmark"] {
            assert!(tested_role(role), "{role}");
        }
        for role in ["fine-tuning", "pre-training", "training"] {
            assert!(!tested_role(role), "{role}");
        }
    }

    #[test]
    fn file_purposes_follow_format_and_name() {
        let file = |name: &str, format: &str| Component {
            name: name.into(),
            properties: vec![Property::new("aibom:file:format", format)],
            ..Component::default()
        };
        for (name, format, purpose) in [
            ("model.safetensors", "safetensors", "model"),
            ("sub/pytorch_model.bin", "pickle", "model"),
            ("config.json", "text", "configuration"),
            ("README.md", "text", "documentation"),
            ("LICENSE", "text", "documentation"),
            ("modeling_x.py", "text", "source"),
            ("requirements.txt", "text", "requirement"),
            ("vocab.txt", "text", "data"),
        ] {
            assert_eq!(file_purpose(&file(name, format)), purpose, "{name}");
        }
    }

    #[test]
    fn recognises_spdx3_documents() {
        assert!(is_spdx3(&json!({"@context": CONTEXT, "@graph": []})));
        assert!(!is_spdx3(&json!({"bomFormat": "CycloneDX"})));
    }

    #[test]
    fn names_non_spdx_licences_as_license_refs() {
        let l = LicenseChoice::License {
            license: License {
                name: Some("llama 2".into()),
                ..License::default()
            },
        };
        assert_eq!(
            license_expression(&l).as_deref(),
            Some("LicenseRef-llama-2")
        );
    }

    /// A document whose AI and Dataset packages meet their profiles' rules.
    fn conforming() -> Vec<Value> {
        let rel = |id: &str, from: &str, kind: &str, to: &str| {
            json!({"type": "Relationship", "spdxId": id, "from": from,
                   "relationshipType": kind, "to": [to]})
        };
        vec![
            json!({"type": "ai_AIPackage", "spdxId": "m", "name": "m",
                   "releaseTime": "2026-01-01T00:00:00Z", "suppliedBy": "o",
                   "software_downloadLocation": "https://example.invalid/m",
                   "software_packageVersion": "1", "software_primaryPurpose": "model"}),
            json!({"type": "dataset_DatasetPackage", "spdxId": "d", "name": "d",
                   "builtTime": "2025-01-01T00:00:00Z", "releaseTime": "2025-02-01T00:00:00Z",
                   "originatedBy": ["o"], "software_downloadLocation": "https://example.invalid/d",
                   "software_primaryPurpose": "data"}),
            json!({"type": "software_File", "spdxId": "f", "name": "weights.bin"}),
            json!({"type": "Organization", "spdxId": "o", "name": "o"}),
            json!({"type": "simplelicensing_LicenseExpression", "spdxId": "l",
                   "simplelicensing_licenseExpression": "MIT"}),
            rel(
                "r1",
                "m",
                "hasConcludedLicense",
                "expandedlicensing_NoAssertionLicense",
            ),
            rel("r2", "m", "hasDeclaredLicense", "l"),
            rel(
                "r3",
                "d",
                "hasConcludedLicense",
                "expandedlicensing_NoneLicense",
            ),
            rel("r4", "d", "hasDeclaredLicense", "l"),
        ]
    }

    fn claims(graph: &[Value]) -> Vec<&'static str> {
        conformance(&graph.iter().collect::<Vec<_>>())
    }

    fn by_id<'a>(graph: &'a mut [Value], id: &str) -> &'a mut Map<String, Value> {
        graph
            .iter_mut()
            .find(|e| e["spdxId"] == id)
            .and_then(Value::as_object_mut)
            .unwrap()
    }

    #[test]
    fn claims_every_profile_whose_rules_all_its_elements_meet() {
        assert_eq!(
            claims(&conforming()),
            ["core", "software", "ai", "dataset", "simpleLicensing"]
        );
    }

    #[test]
    fn an_ai_package_missing_a_required_property_withdraws_only_the_ai_claim() {
        for key in AI_REQUIRED {
            let mut g = conforming();
            by_id(&mut g, "m").remove(*key);
            assert_eq!(
                claims(&g),
                ["core", "software", "dataset", "simpleLicensing"],
                "{key}"
            );
        }
    }

    #[test]
    fn a_dataset_package_missing_a_required_property_withdraws_only_the_dataset_claim() {
        for key in DATASET_REQUIRED {
            let mut g = conforming();
            by_id(&mut g, "d").remove(*key);
            assert_eq!(
                claims(&g),
                ["core", "software", "ai", "simpleLicensing"],
                "{key}"
            );
        }
        let mut g = conforming();
        by_id(&mut g, "d").insert("originatedBy".into(), json!(["o", "m"]));
        assert!(!claims(&g).contains(&"dataset"), "two originators");
    }

    #[test]
    fn a_noassertion_download_location_is_not_a_download_location() {
        let mut g = conforming();
        by_id(&mut g, "m").insert("software_downloadLocation".into(), json!(NOASSERTION));
        assert!(!claims(&g).contains(&"ai"));
    }

    #[test]
    fn each_package_needs_exactly_one_licence_relationship_of_each_kind_to_one_licence() {
        // (relationship, change) -> the package it is from loses its profile's claim
        type Change = fn(&mut Map<String, Value>);
        let cases: [(&str, Change); 4] = [
            ("r1", |r| {
                r.insert("relationshipType".into(), json!("describes"));
            }),
            ("r2", |r| {
                r.insert("to".into(), json!(["f"]));
            }),
            ("r3", |r| {
                r.insert("to".into(), json!(["l", "expandedlicensing_NoneLicense"]));
            }),
            ("r4", |r| {
                r.insert("to".into(), json!(["unknown"]));
            }),
        ];
        for (id, change) in cases {
            let mut g = conforming();
            change(by_id(&mut g, id));
            let lost = if ["r1", "r2"].contains(&id) {
                "ai"
            } else {
                "dataset"
            };
            let c = claims(&g);
            assert!(!c.contains(&lost), "{id}: {c:?}");
            assert!(
                c.contains(&if lost == "ai" { "dataset" } else { "ai" }),
                "{id}"
            );
        }
        let mut g = conforming();
        let mut again = g[5].clone();
        again["spdxId"] = json!("r1-again");
        g.push(again);
        assert!(!claims(&g).contains(&"ai"), "two hasConcludedLicense");
    }

    #[test]
    fn profiles_without_elements_in_the_document_are_not_claimed() {
        let mut g: Vec<Value> = conforming()
            .into_iter()
            .filter(|e| !matches!(e["spdxId"].as_str(), Some("d" | "r3" | "r4" | "l")))
            .collect();
        by_id(&mut g, "r2").insert("to".into(), json!(["expandedlicensing_NoneLicense"]));
        assert_eq!(claims(&g), ["core", "software", "ai"]);
        assert_eq!(claims(&[]), ["core"]);
    }

    #[test]
    fn a_software_file_without_a_name_withdraws_the_software_claim() {
        let mut g = conforming();
        by_id(&mut g, "f").remove("name");
        assert!(!claims(&g).contains(&"software"));
    }
}
