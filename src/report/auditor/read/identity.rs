//! The model's identity and its files.

use super::*;

pub(super) fn read_identity(
    d: &read::Document<'_>,
    model: Object<'_>,
    card: Object<'_>,
    params: Object<'_>,
    lineage: &read::Lineage<'_>,
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
        .or_else(|| lineage.relation.clone());
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

pub(super) fn read_files(files: &[read::FileEntry<'_>]) -> Files {
    let mut rows: Vec<FileRow> = files
        .iter()
        .map(|f| FileRow {
            path: f
                .path(PathRule::Shown)
                .unwrap_or_else(|| "(unnamed)".into()),
            hashes: f.hashes_shown(),
            size: f.size,
            format: f.format.map(str::to_owned),
            verdict: f.verdict.map(str::to_owned),
            role: f.role.map(str::to_owned),
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
