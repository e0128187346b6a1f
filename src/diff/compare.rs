//! Two readings -> a [`Diff`]: components, findings, files, templates and edges paired across
//! the documents.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::model::{Comp, Document, Found};
use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// Matches components of two lists: by purl without version, else by type and name. A
/// component without a purl joins the purl identity of the same type and name when there is
/// exactly one, so a document with purls and one without still line up.
fn match_components(
    old: &[Comp],
    new: &[Comp],
) -> (Changes<ComponentEntry, VersionChange>, Vec<(Comp, Comp)>) {
    let mut purls_by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in old.iter().chain(new) {
        if let Some(p) = c.purl_key() {
            purls_by_name.entry(c.name_key()).or_default().insert(p);
        }
    }
    let bucket = |c: &Comp| -> String {
        if let Some(p) = c.purl_key() {
            return format!("purl|{p}");
        }
        match purls_by_name.get(&c.name_key()) {
            Some(set) if set.len() == 1 => {
                format!("purl|{}", set.iter().next().cloned().unwrap_or_default())
            }
            _ => format!("name|{}", c.name_key()),
        }
    };
    let mut buckets: BTreeMap<String, (Vec<&Comp>, Vec<&Comp>)> = BTreeMap::new();
    for c in old {
        buckets.entry(bucket(c)).or_default().0.push(c);
    }
    for c in new {
        buckets.entry(bucket(c)).or_default().1.push(c);
    }
    let mut out = Changes::default();
    let mut pairs = Vec::new();
    for (_, (mut o, mut n)) in buckets {
        let id = |c: &&Comp| (c.version.clone(), c.purl.clone());
        o.sort_by_key(id);
        o.dedup_by_key(|c| id(c));
        n.sort_by_key(id);
        n.dedup_by_key(|c| id(c));
        let common: Vec<(&Comp, &Comp)> = o
            .iter()
            .filter_map(|a| n.iter().find(|b| id(a) == id(b)).map(|b| (*a, *b)))
            .collect();
        let only_o: Vec<&Comp> = o
            .iter()
            .filter(|a| !n.iter().any(|b| id(a) == id(b)))
            .copied()
            .collect();
        let only_n: Vec<&Comp> = n
            .iter()
            .filter(|b| !o.iter().any(|a| id(a) == id(b)))
            .copied()
            .collect();
        pairs.extend(common.into_iter().map(|(a, b)| (a.clone(), b.clone())));
        if let ([a], [b]) = (only_o.as_slice(), only_n.as_slice()) {
            out.changed.push(VersionChange {
                category: b.category,
                kind: b.kind.clone(),
                name: b.name.clone(),
                old_version: a.version.clone(),
                new_version: b.version.clone(),
                old_purl: a.purl.clone(),
                new_purl: b.purl.clone(),
            });
            pairs.push(((*a).clone(), (*b).clone()));
        } else {
            out.removed.extend(only_o.iter().map(|c| c.entry()));
            out.added.extend(only_n.iter().map(|c| c.entry()));
        }
    }
    out.added.sort();
    out.removed.sort();
    out.changed.sort();
    (out, pairs)
}

fn lower_set(v: &[String]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn license_change(is_model: bool, a: &Comp, b: &Comp) -> Option<LicenseChange> {
    (lower_set(&a.licenses) != lower_set(&b.licenses)).then(|| LicenseChange {
        is_model,
        category: b.category,
        name: b.name.clone(),
        old: a.licenses.clone(),
        new: b.licenses.clone(),
    })
}

/// Pairs findings with the same id, path and member. Equal severities cancel out; what is left
/// is paired highest with highest (an escalation or de-escalation), and the rest is new or
/// resolved.
fn compare_findings(old: &[Found], new: &[Found]) -> FindingChanges {
    type Key = (String, Option<String>, Option<String>);
    let key = |f: &Found| -> Key { (f.id.clone(), f.path.clone(), f.member.clone()) };
    let mut groups: BTreeMap<Key, (Vec<&Found>, Vec<&Found>)> = BTreeMap::new();
    for f in old {
        groups.entry(key(f)).or_default().0.push(f);
    }
    for f in new {
        groups.entry(key(f)).or_default().1.push(f);
    }
    let mut out = FindingChanges::default();
    for (_, (mut o, mut n)) in groups {
        let order = |a: &&Found, b: &&Found| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.offset.cmp(&b.offset))
                .then_with(|| a.description.cmp(&b.description))
        };
        o.sort_by(order);
        n.sort_by(order);
        // Cancel equal severities.
        let mut left_o = Vec::new();
        for f in o {
            match n.iter().position(|g| g.severity == f.severity) {
                Some(i) => {
                    n.remove(i);
                }
                None => left_o.push(f),
            }
        }
        let mut n = n.into_iter();
        for a in left_o {
            match n.next() {
                Some(b) => {
                    let change = SeverityChange {
                        id: b.id.clone(),
                        path: b.path.clone(),
                        member: b.member.clone(),
                        old: a.severity,
                        new: b.severity,
                        description: b.description.clone(),
                    };
                    if b.severity > a.severity {
                        out.escalated.push(change);
                    } else {
                        out.deescalated.push(change);
                    }
                }
                None => out.resolved.push(a.entry()),
            }
        }
        out.new.extend(n.map(Found::entry));
    }
    let by_severity = |a: &FindingEntry, b: &FindingEntry| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.member.cmp(&b.member))
            .then_with(|| a.offset.cmp(&b.offset))
    };
    out.new.sort_by(by_severity);
    out.resolved.sort_by(by_severity);
    let by_new = |a: &SeverityChange, b: &SeverityChange| {
        b.new
            .cmp(&a.new)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.member.cmp(&b.member))
    };
    out.escalated.sort_by(by_new);
    out.deescalated.sort_by(by_new);
    out
}

/// Compares two documents.
pub fn compare(old: &Document, new: &Document) -> Diff {
    let mut unsupported: Vec<Unsupported> = Vec::new();
    for (side, doc) in [(Side::Old, old), (Side::New, new)] {
        for (section, reason, items) in &doc.notes {
            unsupported.push(Unsupported {
                side: Some(side),
                section: *section,
                reason: reason.clone(),
                items: items.clone(),
            });
        }
    }

    // The model itself.
    let mut model = Vec::new();
    let mut licenses = Vec::new();
    if let (Some(a), Some(b)) = (&old.info.model, &new.info.model) {
        for (field, x, y) in [
            ("name", Some(a.name.clone()), Some(b.name.clone())),
            ("version", a.version.clone(), b.version.clone()),
            ("purl", a.purl.clone(), b.purl.clone()),
        ] {
            if x != y {
                model.push(FieldChange {
                    field,
                    old: x,
                    new: y,
                });
            }
        }
    }
    if let (Some(a), Some(b)) = (&old.root, &new.root) {
        licenses.extend(license_change(true, a, b));
    }

    // Files.
    let mut files = Changes::default();
    let mut no_hash = Vec::new();
    for (path, a) in &old.files {
        match new.files.get(path) {
            None => files.removed.push(a.clone()),
            Some(b) => match (a.sha256, b.sha256) {
                (Some(x), Some(y)) if x != y => files.changed.push(FileChange {
                    path: path.clone(),
                    old_sha256: x,
                    new_sha256: y,
                    format: b.format.clone().or_else(|| a.format.clone()),
                    weights: a.weights || b.weights,
                }),
                (Some(_), Some(_)) => {}
                (x, y) => no_hash.push((path.clone(), x.is_none(), y.is_none())),
            },
        }
    }
    for (path, b) in &new.files {
        if !old.files.contains_key(path) {
            files.added.push(b.clone());
        }
    }
    for (side, pick) in [(Side::Old, 1usize), (Side::New, 2usize)] {
        let items: Vec<String> = no_hash
            .iter()
            .filter(|(_, o, n)| if pick == 1 { *o } else { *n })
            .map(|(p, _, _)| p.clone())
            .collect();
        if !items.is_empty() {
            unsupported.push(Unsupported {
                side: Some(side),
                section: Section::Files,
                reason: format!(
                    "{} files listed in both documents have no SHA-256 here: their contents are not compared",
                    items.len()
                ),
                items,
            });
        }
    }

    // Components and base models.
    let (components, pairs) = match_components(&old.components, &new.components);
    for (a, b) in &pairs {
        licenses.extend(license_change(false, a, b));
    }
    let (base_models, _) = match_components(&old.ancestors, &new.ancestors);
    licenses.sort();

    // Findings.
    let findings = compare_findings(
        old.findings.as_deref().unwrap_or_default(),
        new.findings.as_deref().unwrap_or_default(),
    );

    // Chat templates.
    let mut chat_templates = Vec::new();
    let mut no_digest = Vec::new();
    let names: BTreeSet<&String> = old.templates.keys().chain(new.templates.keys()).collect();
    for name in names {
        let a = old.templates.get(name);
        let b = new.templates.get(name);
        match (a, b) {
            (Some(Some(x)), Some(Some(y))) if x == y => {}
            (Some(None), _) | (_, Some(None)) => no_digest.push(name.clone()),
            _ => chat_templates.push(TemplateChange {
                name: name.clone(),
                old_sha256: a.copied().flatten(),
                new_sha256: b.copied().flatten(),
            }),
        }
    }
    if !no_digest.is_empty() {
        unsupported.push(Unsupported {
            side: None,
            section: Section::ChatTemplates,
            reason: "chat templates without a SHA-256: not compared".to_owned(),
            items: no_digest,
        });
    }

    // Dependency edges, by component name; the model by its name in the new document.
    let root_label = new
        .info
        .model
        .as_ref()
        .or(old.info.model.as_ref())
        .map(|m| m.name.clone());
    let edges = |d: &Document| -> BTreeSet<Edge> {
        d.edges
            .iter()
            .flatten()
            .map(|(f, t)| Edge {
                from: d.label(f, root_label.as_deref()),
                to: d.label(t, root_label.as_deref()),
            })
            .collect()
    };
    let (ea, eb) = (edges(old), edges(new));
    let dependencies = EdgeChanges {
        added: eb.difference(&ea).cloned().collect(),
        removed: ea.difference(&eb).cloned().collect(),
    };

    unsupported.sort();
    let mut diff = Diff {
        old: old.info.clone(),
        new: new.info.clone(),
        summary: Summary::default(),
        model,
        files,
        components,
        base_models,
        licenses,
        findings,
        chat_templates,
        dependencies,
        release: super::release::compare_release(&old.release, &new.release),
        unsupported,
    };
    diff.summary = Summary {
        changed: diff.change_count() > 0,
        model_fields_changed: diff.model.len(),
        files_added: diff.files.added.len(),
        files_removed: diff.files.removed.len(),
        files_changed: diff.files.changed.len(),
        weight_files_changed: total(&[
            diff.files.added.iter().filter(|f| f.weights).count(),
            diff.files.removed.iter().filter(|f| f.weights).count(),
            diff.files.changed.iter().filter(|f| f.weights).count(),
        ]),
        components_added: diff.components.added.len(),
        components_removed: diff.components.removed.len(),
        components_changed: diff.components.changed.len(),
        base_models_changed: diff.base_models.len(),
        licenses_changed: diff.licenses.len(),
        findings_new: diff.findings.new.len(),
        findings_resolved: diff.findings.resolved.len(),
        findings_escalated: diff.findings.escalated.len(),
        findings_deescalated: diff.findings.deescalated.len(),
        chat_templates_changed: diff.chat_templates.len(),
        dependencies_added: diff.dependencies.added.len(),
        dependencies_removed: diff.dependencies.removed.len(),
        unsupported: diff.unsupported.len(),
    };
    diff
}
