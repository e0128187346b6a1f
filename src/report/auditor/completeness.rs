//! The completeness assessment: the fields an auditor or regulator asks for, each present /
//! partial / unknown / not applicable, from **typed CycloneDX fields only**.

use super::read::{Comp, dataset_from, dataset_row};
use super::*;
use crate::bom::read::{self, Object};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

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

/// What the rows are read from.
#[derive(Clone, Copy)]
struct Sources<'s, 'a> {
    doc: &'s read::Document<'a>,
    model: Object<'a>,
    card: Object<'a>,
    params: Object<'a>,
    considerations: Object<'a>,
    lineage: &'s read::Lineage<'a>,
    comps: &'s [Comp<'a>],
    by_ref: &'s BTreeMap<&'s str, usize>,
    files: &'s Files,
    findings: &'s Findings,
    identity: &'s Identity,
}

/// Adds one row: `(group, ask, asked_by, cdx, status, detail, scored)`.
type Add<'f> =
    dyn FnMut(&'static str, &'static str, &'static str, &'static str, Status, String, bool) + 'f;

fn shown(v: Option<String>) -> String {
    v.unwrap_or_else(|| NOT_RECORDED.into())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn assess(
    doc: &read::Document<'_>,
    model: Object<'_>,
    card: Object<'_>,
    params: Object<'_>,
    lineage: &read::Lineage<'_>,
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
    let s = Sources {
        doc,
        model,
        card,
        params,
        considerations: card.get("considerations").object(),
        lineage,
        comps,
        by_ref,
        files,
        findings,
        identity,
    };
    identity_rows(s, &mut add);
    purpose_rows(s, &mut add);
    architecture_rows(s, &mut add);
    training_rows(s, &mut add);
    evaluation_rows(s, &mut add);

    let scored: Vec<&Field> = fields.iter().filter(|f| f.scored).collect();
    let applicable = scored
        .iter()
        .filter(|f| f.status != Status::NotApplicable)
        .count();
    let present = scored
        .iter()
        .filter(|f| f.status == Status::Present)
        .count();
    let score = present
        .saturating_mul(100)
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

/// Identity and release rows.
fn identity_rows(s: Sources<'_, '_>, add: &mut Add<'_>) {
    let Sources {
        doc,
        model,
        files,
        identity,
        ..
    } = s;
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
}

/// Intended purpose and licence rows.
fn purpose_rows(s: Sources<'_, '_>, add: &mut Add<'_>) {
    let Sources {
        model,
        params,
        considerations,
        ..
    } = s;
    let refs = ext_ref_types(model);
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
    let lic: Vec<_> = model.license_names(read::Field::text).collect();
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
                .map(|l| l.text.clone())
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
}

/// Architecture and interface rows.
fn architecture_rows(s: Sources<'_, '_>, add: &mut Add<'_>) {
    let Sources {
        card,
        params,
        identity,
        ..
    } = s;
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
}

/// Training and data rows.
fn training_rows(s: Sources<'_, '_>, add: &mut Add<'_>) {
    let Sources {
        doc,
        params,
        considerations,
        lineage,
        comps,
        by_ref,
        ..
    } = s;
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
    let ancestors = lineage.base_models.len();
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
    let (named, _) = doc.dataset_refs();
    let resolved: Vec<DatasetRow> = named
        .iter()
        .map(|d| match d.reference.text() {
            Some(r) => match by_ref.get(r.as_str()).and_then(|&i| comps.get(i)) {
                Some(c) => dataset_row(c),
                None => DatasetRow {
                    missing: vec!["licence", "provenance", "classification"],
                    unresolved: true,
                    ..DatasetRow::default()
                },
            },
            None => dataset_from(Object::empty(), &[d.entry], String::new()),
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
}

/// Evaluation and risk rows.
fn evaluation_rows(s: Sources<'_, '_>, add: &mut Add<'_>) {
    let Sources {
        doc,
        card,
        considerations,
        lineage,
        findings,
        identity,
        ..
    } = s;
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
        Some(r) => lineage
            .dependencies
            .iter()
            .filter(|d| d.from.text().as_deref() == Some(r))
            .map(|d| d.depends_on.len())
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
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::super::tests_support::lora;

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
}
