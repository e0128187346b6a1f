//! Licences, dependencies and prompt templates.

use super::*;

pub(super) fn read_licenses(
    model: Object<'_>,
    comps: &[Comp<'_>],
    identity: &Identity,
) -> Licenses {
    let mut rows = Vec::new();
    let mut add = |name: &str, role: &str, v: Object<'_>, always: bool| {
        let ls: Vec<_> = v.license_names(read::Field::text).collect();
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
        for l in ls {
            rows.push(LicenseRow {
                component: name.to_owned(),
                role: role.to_owned(),
                non_commercial: is_non_commercial(&l.text),
                license: Some(l.text),
                spdx: l.spdx,
                url: l.url,
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
            "data" if c.v.is_dataset() => "dataset",
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

pub(super) fn read_dependencies(
    comps: &[Comp<'_>],
    direct: &BTreeSet<String>,
) -> Vec<DependencyRow> {
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

pub(super) fn read_prompts(
    card: Object<'_>,
    comps: &[Comp<'_>],
    file_entries: &[read::FileEntry<'_>],
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
    for c in comps
        .iter()
        .filter(|c| c.v.is_template(TemplateRule::Mentioned))
    {
        p.templates.push(TemplateRow {
            name: c.name.clone(),
            sha256: c.v.sha256(Sha256Rule::ExactShown),
            source: c.v.property("aibom:source").map(str::to_owned),
            length: c.v.property("aibom:template:length").map(str::to_owned),
            description: c
                .v
                .get("data")
                .objects()
                .find_map(|d| d.get("description").text()),
        });
    }
    for f in file_entries {
        if let Some(h) = f.chat_template_sha256 {
            let name = f
                .path(PathRule::Shown)
                .unwrap_or_else(|| "(unnamed)".into());
            p.templates.push(TemplateRow {
                name: format!("{name} (embedded chat template)"),
                sha256: Some(h.to_owned()),
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
