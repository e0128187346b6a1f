//! The release the AIBOM records (only when it records one): tier, artifacts, evaluation
//! results and, with `--signature` and `--config`, what the release gate requires.

use super::{badge, esc, nr, thead, txt};
use crate::report::auditor::{AuditReport, human_size, prose};
use std::fmt::Write as _;

pub(super) fn release(h: &mut String, r: &AuditReport) {
    let Some(v) = &r.release else {
        return;
    };
    w!(
        h,
        "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>\n",
        prose::RELEASE_ID,
        txt(prose::RELEASE_TITLE),
        esc(&prose::release_intro(v))
    );
    if !v.artifacts.is_empty() {
        w!(
            h,
            "<h3>{}</h3>\n<table>{}<tbody>\n",
            txt(prose::ARTIFACTS_HEADING),
            thead(prose::ARTIFACT_COLUMNS)
        );
        for a in &v.artifacts {
            let digest = match (&a.sha256, a.listing.is_empty()) {
                (Some(hex), _) => format!("<span class=\"mono digest\">{}</span>", esc(hex)),
                (None, false) => {
                    let mut l: Vec<String> = a
                        .listing
                        .iter()
                        .map(|p| format!("<span class=\"mono\">{}</span>", esc(p)))
                        .collect();
                    if a.more > 0 {
                        l.push(txt(&prose::more_files(a.more)));
                    }
                    l.join("<br>")
                }
                (None, true) if a.files == 1 => badge("b-bad", prose::NO_DIGEST),
                (None, true) => prose::NONE_DASH.into(),
            };
            w!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{digest}</td></tr>\n",
                esc(&a.role),
                a.path
                    .as_deref()
                    .map_or_else(nr, |p| format!("<span class=\"mono\">{}</span>", esc(p))),
                a.files,
                a.size.map_or_else(nr, human_size),
            );
        }
        w!(h, "</tbody></table>\n");
    }
    w!(h, "<h3>{}</h3>\n", txt(prose::METRICS_HEADING));
    if v.metrics.is_empty() {
        w!(h, "<p class=\"nr\">{}</p>\n", txt(prose::NO_METRIC));
    } else {
        w!(h, "<table>{}<tbody>\n", thead(prose::METRIC_COLUMNS));
        for m in &v.metrics {
            w!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>\n",
                esc(&m.task),
                esc(&m.metric),
                esc(&m.value),
                esc(&m.source)
            );
        }
        w!(h, "</tbody></table>\n");
    }
    if let Some(g) = &v.gate {
        w!(
            h,
            "<h3>{}</h3>\n<p>{}</p>\n<p>{}</p>\n",
            txt(prose::GATE_HEADING),
            esc(&prose::gate_roles(v.tier.as_deref(), &g.tier)),
            esc(&prose::roles_present(&g.present))
        );
        if g.metrics.is_empty() {
            w!(h, "<p class=\"nr\">{}</p>\n", txt(prose::NO_METRIC_GATE));
        } else {
            w!(h, "<table>{}<tbody>\n", thead(prose::GATE_COLUMNS));
            for x in &g.metrics {
                w!(
                    h,
                    "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    if x.passed == Some(false) {
                        " class=\"bad\""
                    } else {
                        ""
                    },
                    esc(&x.label),
                    esc(&x.expected),
                    esc(&x.actual),
                    badge(
                        match x.passed {
                            Some(true) => "b-ok",
                            Some(false) => "b-bad",
                            None => "b-na",
                        },
                        prose::gate_result(x.passed)
                    )
                );
            }
            w!(h, "</tbody></table>\n");
        }
    }
    w!(h, "</section>\n");
}
