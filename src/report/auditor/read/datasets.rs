//! Datasets: `data` components and the model card's dataset references.

use super::*;

pub(in crate::report::auditor) fn dataset_row(c: &Comp<'_>) -> DatasetRow {
    let data: Vec<Object<'_>> = c.v.get("data").objects().collect();
    dataset_from(c.v, &data, c.name.clone())
}

/// A dataset from its component (`holder`) and `data[]` entries (or an inline dataset).
pub(in crate::report::auditor) fn dataset_from(
    holder: Object<'_>,
    data: &[Object<'_>],
    name: String,
) -> DatasetRow {
    let mut row = DatasetRow {
        name,
        version: holder.get("version").text(),
        role: holder.property("aibom:dataset:role").map(str::to_owned),
        description: holder.get("description").text(),
        licenses: holder
            .license_names(read::Field::text)
            .map(|l| l.text)
            .collect(),
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

pub(super) fn read_datasets(
    doc: &read::Document<'_>,
    comps: &[Comp<'_>],
    by_ref: &BTreeMap<&str, usize>,
    direct: &BTreeSet<String>,
) -> Datasets {
    let mut rows = Vec::new();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    for (i, r) in doc.dataset_refs().0.iter().enumerate() {
        let d = r.entry;
        if let Some(reference) = r.reference.text() {
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
        if !c.v.is_dataset() || seen.contains(&ci) {
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
