//! The lineage: base models, adapters and datasets as an inline SVG of boxes and arrows.

use super::{Html, clip, esc, section, thead, txt};
use crate::report::auditor::prose;
use crate::report::auditor::*;
use std::fmt::Write as _;

// Lineage geometry.
const BOX_W: usize = 250;
const BOX_H: usize = 54;
const COL_GAP: usize = 96;
const ROW_GAP: usize = 22;
const PAD: usize = 14;

fn node_xy(l: &Lineage, n: &LineageNode) -> (usize, usize) {
    let in_col = l.nodes.iter().filter(|m| m.column == n.column).count();
    let step = BOX_H + ROW_GAP;
    let offset = (l.rows.saturating_sub(in_col)) * step / 2;
    (
        PAD + n.column * (BOX_W + COL_GAP),
        PAD + offset + n.row * step,
    )
}

/// The lineage as an inline SVG: boxes and arrows, laid out by [`Lineage`].
pub fn lineage_svg(l: &Lineage, model: &str) -> String {
    let mut s = String::new();
    let cols = l.columns.max(1);
    let rows = l.rows.max(1);
    let width = 2 * PAD + cols * BOX_W + (cols - 1) * COL_GAP;
    let height = 2 * PAD + rows * BOX_H + (rows - 1) * ROW_GAP;
    w!(
        s,
        "<svg class=\"lineage-graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"lineage-title\">\n<title id=\"lineage-title\">{}</title>\n",
        esc(&prose::lineage_title(model))
    );
    w!(
        s,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#4a5568\"/></marker>\
         <marker id=\"arrow-data\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#a0aec0\"/></marker></defs>\n"
    );
    // Edges first, so boxes sit on top of them.
    for e in &l.edges {
        let (Some(a), Some(b)) = (l.nodes.get(e.from), l.nodes.get(e.to)) else {
            continue;
        };
        let (ax, ay) = node_xy(l, a);
        let (bx, by) = node_xy(l, b);
        let (x1, y1) = (ax + BOX_W, ay + BOX_H / 2);
        let (x2, y2) = (bx.saturating_sub(2), by + BOX_H / 2);
        let dx = x2.saturating_sub(x1) / 2;
        let data =
            a.kind == NodeKind::Dataset || (a.kind == NodeKind::More && a.name.contains("dataset"));
        w!(
            s,
            "<path class=\"edge{}\" d=\"M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}\" marker-end=\"url(#{})\"/>\n",
            if data { " data" } else { "" },
            x1 + dx,
            x2.saturating_sub(dx),
            if data { "arrow-data" } else { "arrow" }
        );
        if !data {
            w!(
                s,
                "<text class=\"elabel\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                (x1 + x2) / 2,
                (y1 + y2) / 2 - 5,
                esc(&clip(&e.label, 16))
            );
        }
    }
    for n in &l.nodes {
        let (x, y) = node_xy(l, n);
        let mut class = match n.kind {
            NodeKind::Subject => "node subject",
            NodeKind::Model => "node model",
            NodeKind::Dataset => "node dataset",
            NodeKind::More => "node more",
        }
        .to_owned();
        if n.flagged {
            class.push_str(" flagged");
        }
        let mut tip = n.name.clone();
        if let Some(p) = &n.purl {
            w!(tip, "\n{p}");
        }
        if !n.source.is_empty() {
            w!(tip, "\n{} {}", prose::FROM, n.source);
        }
        w!(
            s,
            "<g class=\"{class}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"7\"/>\
             <text class=\"name\" x=\"{}\" y=\"{}\">{}</text><text class=\"detail\" x=\"{}\" y=\"{}\">{}</text></g>\n",
            esc(&tip),
            x + 12,
            y + 22,
            esc(&clip(&n.name, 30)),
            x + 12,
            y + 41,
            esc(&clip(&n.detail, 40)),
        );
    }
    s.push_str("</svg>");
    s
}

pub(super) fn lineage(h: &mut String, r: &AuditReport) {
    section(h, "lineage");
    let l = &r.lineage;
    w!(
        h,
        "<div class=\"lineage\">{}</div>\n<p class=\"legend\">{} {}</p>\n",
        lineage_svg(l, prose::model_name(r)),
        txt(prose::LINEAGE_DRAWING_LEGEND),
        prose::lineage_source(&Html)
    );
    let others: Vec<&LineageNode> = l
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Model)
        .collect();
    if others.is_empty() {
        w!(h, "<p class=\"nr\">{}</p>\n", txt(prose::NO_BASE_MODEL));
    } else {
        w!(h, "<table>{}<tbody>\n", thead(prose::BASE_MODEL_COLUMNS));
        for (i, n) in l.nodes.iter().enumerate() {
            if n.kind != NodeKind::Model {
                continue;
            }
            let to: Vec<String> = l
                .children(i)
                .filter_map(|e| {
                    l.nodes
                        .get(e.to)
                        .map(|t| format!("{} ({})", esc(&t.name), esc(&e.label)))
                })
                .collect();
            w!(
                h,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                if n.flagged { " class=\"flag\"" } else { "" },
                esc(&n.name),
                n.purl
                    .as_ref()
                    .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                    .unwrap_or_else(|| format!(
                        "<span class=\"nr\">{}</span>",
                        prose::NO_PACKAGE_URL
                    )),
                to.join("<br>"),
                esc(&n.source)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "</section>\n");
}
