//! Reading the report model from a CycloneDX document ([`read::Document`]): leniently, noting
//! what is present but unreadable, never requiring aibom's own properties.

use super::completeness::assess;
use super::*;
use crate::bom::read::{
    self, FileRule, MAX_DEPTH, Note, Object, PathRule, Problem, Sha256Rule, TemplateRule,
};
use crate::digest::Sha256;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod components;
mod datasets;
mod findings;
mod identity;
mod lineage;
#[cfg(test)]
mod tests;

use components::{read_dependencies, read_licenses, read_prompts};
use datasets::read_datasets;
pub(super) use datasets::{dataset_from, dataset_row};
use findings::{read_exceptions, read_findings};
use identity::{read_files, read_identity};
use lineage::read_lineage;

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
    /// The approval ledger, when `--ledger` was given.
    pub ledger: Option<super::ledger::LedgerView>,
    /// The release gate's policy, when `--config` names one with `[verify]`.
    pub release_policy: Option<super::release::ReleasePolicy>,
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
        let name = c.shown_name().unwrap_or_else(|| "(unnamed)".into());
        Comp {
            v: c.object,
            kind: c.get("type").text().unwrap_or_default(),
            bom_ref: c.get("bom-ref").text(),
            name,
            in_model: c.in_model,
        }
    }
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

/// A purl without version, qualifiers and subpath, for matching.
/// A purl without its version, compared case-insensitively here.
fn purl_base(p: &str) -> String {
    crate::bom::read::purl_base(p).to_ascii_lowercase()
}

fn purl_versioned(p: &str) -> bool {
    purl_base(p).len() < p.split(['?', '#']).next().unwrap_or(p).len()
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
    let lineage = d.lineage();

    // Dependencies: what the model uses directly.
    let mut direct: BTreeSet<String> = BTreeSet::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    for dep in &lineage.dependencies {
        let Some(from) = dep.from.text() else {
            continue;
        };
        for to in dep.depends_on.iter().filter_map(|to| to.text()) {
            if Some(&from) == model_ref.as_ref() {
                direct.insert(to.clone());
            }
            edges.push((from.clone(), to));
        }
    }

    let identity = read_identity(d, model, card, params, &lineage, &inputs);
    let file_entries = d.files(FileRule::AnyDepth);
    let files = read_files(&file_entries);
    let datasets = read_datasets(d, &comps, &by_ref, &direct);
    let findings = read_findings(d, &comps, &by_ref, &identity);
    let graph = read_lineage(model, &lineage, &comps, &edges, &datasets, &identity);
    let licenses = read_licenses(model, &comps, &identity);
    let dependencies = read_dependencies(&comps, &direct);
    let prompts = read_prompts(card, &comps, &file_entries, &files, &findings);
    let exceptions = read_exceptions(d, &findings, &files, &inputs.configured_exceptions);
    let release = super::release::view(
        d,
        inputs.release_policy.as_ref(),
        inputs.approvals.as_deref(),
    );
    let completeness = assess(
        d, model, card, params, &lineage, &comps, &by_ref, &files, &findings, &identity,
    );

    AuditReport {
        identity,
        files,
        release,
        lineage: graph,
        datasets,
        licenses,
        dependencies,
        prompts,
        findings,
        exceptions,
        approvals: inputs.approvals,
        completeness,
        ledger: inputs.ledger,
        notes,
    }
}
