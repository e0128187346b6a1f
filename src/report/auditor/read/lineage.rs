//! The lineage graph: ancestors, adapters and datasets laid out in columns.

use super::*;

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
        for a in v.ancestors().objects() {
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

pub(super) fn read_lineage(
    model: Object<'_>,
    lineage: &read::Lineage<'_>,
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
    let relation = lineage
        .relation
        .clone()
        .or_else(|| lineage.card_relation.map(str::to_owned))
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
