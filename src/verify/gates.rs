//! Which roles must sign this release: the entry of the policy for the tier the release
//! attestations sign (`[verify.tier.<tier>]`, else `[verify.tier.default]`, else refused), plus
//! the roles each change since the previous release requires (`[[verify.on-change]]`); and the
//! evaluation gates (`[[verify.metric]]`) on the metrics the signed AIBOM records.
#![warn(clippy::indexing_slicing)]

use super::checks::{CheckKind, Checks};
use super::roles::{fill_roles, push_role_checks};
use super::{Model, Policy, RoleOutcome, Signer};
use crate::bom::read::Document;
use crate::bom::read::artifacts::MetricSource;
use crate::config::{Gates, MetricGate, Regression, TierRule};
use crate::sign::trust::Trust;
use std::collections::BTreeMap;

/// A change since the previous release, of one of the kinds `[[verify.on-change]]` names
/// (computed by `diff::release_changes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `dataset`, `base-model`, `runtime-policy`, `prompts`, `evaluation`, `model-files`.
    pub kind: &'static str,
    /// What changed, for people.
    pub what: String,
}

/// The entry of `gates` for `tier`: `[verify.tier.<tier>]`, else `[verify.tier.default]`, with
/// the name of the entry that applies; `None` when neither exists (the tier is refused).
pub fn tier_rule<'g>(gates: &'g Gates, tier: &'g str) -> Option<(&'g str, &'g TierRule)> {
    gates
        .tiers
        .get(tier)
        .map(|r| (tier, r))
        .or_else(|| gates.tiers.get("default").map(|r| ("default", r)))
}

/// The role checks under the tier and change rules; `None` when the policy has neither (the
/// plain roles and threshold apply).
pub(super) fn gated_roles(
    checks: &mut Checks,
    signers: &[Signer],
    approving: &[&Model],
    policy: &Policy,
    trust: &Trust,
    tier: Option<&str>,
    changes: &[Change],
) -> Option<Vec<RoleOutcome>> {
    let gates = &policy.gates;
    if gates.tiers.is_empty() && gates.on_change.is_empty() {
        return None;
    }
    let all = fill_roles(signers, approving, policy, trust);
    let outcome = |role: &str| all.iter().find(|o| o.role == role);
    let every: Vec<String> = policy.roles.iter().map(|r| r.name.clone()).collect();
    let (tier_roles, need) = if gates.tiers.is_empty() {
        let need = policy.threshold.unwrap_or(every.len());
        (every, need)
    } else {
        let rule = tier.and_then(|t| tier_rule(gates, t));
        match (tier, rule) {
            (Some(t), Some((entry, r))) => {
                checks.push(
                    CheckKind::TierPolicy,
                    true,
                    &format!("tier {t}"),
                    "an entry for the signed tier",
                    &format!(
                        "[verify.tier.{entry}]: {} of {}",
                        r.threshold,
                        r.roles.join(", ")
                    ),
                );
                (r.roles.clone(), r.threshold)
            }
            (t, _) => {
                checks.push(
                    CheckKind::TierPolicy,
                    false,
                    &t.map_or("the release".to_owned(), |t| format!("tier {t}")),
                    "an entry for the signed tier ([verify.tier.<tier>] or [verify.tier.default])",
                    &match t {
                        None => "no tier signed by a valid release attestation".to_owned(),
                        Some(t) => format!("no [verify.tier.{t}] and no [verify.tier.default]"),
                    },
                );
                let need = every.len();
                (every, need)
            }
        }
    };

    // Roles every change requires, with the changes that require them.
    let mut by_change: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        by_change.entry(c.kind).or_default().push(c);
    }
    let mut extra: Vec<String> = Vec::new();
    for rule in &gates.on_change {
        let Some(found) = by_change.get(rule.change.as_str()) else {
            continue;
        };
        let missing: Vec<&str> = rule
            .roles
            .iter()
            .filter(|r| !outcome(r).is_some_and(|o| o.satisfied))
            .map(String::as_str)
            .collect();
        let what: Vec<&str> = found.iter().map(|c| c.what.as_str()).collect();
        checks.push(
            CheckKind::Change,
            missing.is_empty(),
            &format!("{} changed", rule.change),
            &format!("signed by {} as well", rule.roles.join(", ")),
            &if missing.is_empty() {
                format!("signed; changes: {}", what.join("; "))
            } else {
                format!("missing {} for: {}", missing.join(", "), what.join("; "))
            },
        );
        extra.extend(rule.roles.iter().cloned());
    }

    let shown: Vec<RoleOutcome> = tier_roles
        .iter()
        .filter_map(|r| outcome(r).cloned())
        .collect();
    push_role_checks(checks, &shown, need);
    let mut out = shown;
    for r in extra {
        if !out.iter().any(|o| o.role == r)
            && let Some(o) = outcome(&r)
        {
            out.push(o.clone());
        }
    }
    Some(out)
}

/// The values `doc` records for a gate's metric (task and filter when the gate names them),
/// in the reader's order (the model card's, then each evaluation file's), with their source.
fn values_of(doc: &Document<'_>, g: &MetricGate) -> Vec<(String, String)> {
    doc.metrics()
        .0
        .into_iter()
        .filter(|e| {
            e.metric.metric == g.metric
                && g.task.as_ref().is_none_or(|t| *t == e.metric.task)
                && g.filter
                    .as_ref()
                    .is_none_or(|f| Some(f) == e.metric.filter.as_ref())
        })
        .map(|e| {
            let from = match e.source {
                MetricSource::ModelCard => "the model card".to_owned(),
                MetricSource::File { path, .. } => path.to_owned(),
            };
            (e.metric.value, from)
        })
        .collect()
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

fn bounds(g: &MetricGate) -> String {
    match (g.min, g.max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "recorded".to_owned(),
    }
}

/// A `[[verify.metric]]` gate's bounds applied to the metrics `bom` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricOutcome {
    pub passed: bool,
    /// The bounds, for people (`at least 0.55 (required)`).
    pub expected: String,
    /// The recorded values with their source, or why there are none.
    pub actual: String,
}

/// The bounds check of gate `g` (`min`, `max`, `required`) on the values `bom` records;
/// `None` when the gate has no bounds (only `max-regression`). `bom` is `None` when no AIBOM
/// bound by a verified signature could be read: the gate fails.
pub fn metric_outcome(g: &MetricGate, bom: Option<&Document<'_>>) -> Option<MetricOutcome> {
    if !(g.min.is_some() || g.max.is_some() || g.required) {
        return None;
    }
    let current = bom.map(|d| values_of(d, g));
    let expected = format!(
        "{}{}",
        bounds(g),
        if g.required { " (required)" } else { "" }
    );
    let (ok, actual) = match &current {
        None => (
            false,
            "no AIBOM bound by a verified signature to read it from".to_owned(),
        ),
        Some(vals) if vals.is_empty() => (
            !g.required,
            if g.required {
                "not recorded in the AIBOM".to_owned()
            } else {
                "not recorded (not required)".to_owned()
            },
        ),
        Some(vals) => {
            let mut ok = true;
            let shown: Vec<String> = vals
                .iter()
                .map(|(v, from)| {
                    let good = number(v).is_some_and(|x| {
                        g.min.is_none_or(|m| x >= m) && g.max.is_none_or(|m| x <= m)
                    });
                    ok &= good;
                    if number(v).is_none() {
                        format!("{v:?} (not a number) from {from}")
                    } else {
                        format!("{v} from {from}")
                    }
                })
                .collect();
            (ok, shown.join("; "))
        }
    };
    Some(MetricOutcome {
        passed: ok,
        expected,
        actual,
    })
}

/// What a regression limit asks, for people (`at most 0.02 lower than the previous release`).
pub fn regression_expected(g: &MetricGate, limit: Regression) -> String {
    let worse = if g.lower_is_better { "higher" } else { "lower" };
    match limit {
        Regression::Absolute(a) => format!("at most {a} {worse} than the previous release"),
        Regression::Relative(r) => {
            format!("at most {}% {worse} than the previous release", r * 100.0)
        }
    }
}

/// The evaluation gates (`[[verify.metric]]`): one `metric` check per gate with bounds or
/// `required`, one `metric-regression` check per gate with `max-regression`. Values come only
/// from `bom`, which the caller passes only when a verified signature binds its bytes; `None`
/// fails every gate (missing evidence fails closed), as does a required metric that is absent,
/// a value that is not a number, and a regression limit with no previous value.
pub(super) fn metric_checks(
    checks: &mut Checks,
    policy: &Policy,
    bom: Option<&Document<'_>>,
    previous: Option<Result<&Document<'_>, &str>>,
) {
    let unread = bom.map(Document::unread_evaluations).unwrap_or_default();
    for g in &policy.gates.metrics {
        let label = g.label();
        let current = bom.map(|d| values_of(d, g));
        if let Some(o) = metric_outcome(g, bom) {
            checks.push(CheckKind::Metric, o.passed, &label, &o.expected, &o.actual);
        }
        // An evaluation file whose metrics were not read may hold this metric: missing
        // evidence fails the gate, required or not.
        for (path, notes) in &unread {
            checks.push(
                CheckKind::Metric,
                false,
                &label,
                &format!("every evaluation file read ({path})"),
                &format!("{path}: {}", notes.join("; ")),
            );
        }
        if let Some(limit) = g.max_regression {
            let expected = regression_expected(g, limit);
            // Every recorded value counts (the model card's and each evaluation file's): the
            // worst one of this release against the best one of the previous release, and
            // one value that is not a number makes the metric unreadable (fail closed).
            let pick = |vals: &[(String, String)], worst: bool| -> Option<f64> {
                let nums = vals
                    .iter()
                    .map(|(v, _)| number(v))
                    .collect::<Option<Vec<f64>>>()?;
                let lowest = worst != g.lower_is_better;
                nums.into_iter()
                    .reduce(|a, b| if lowest { a.min(b) } else { a.max(b) })
            };
            let first = |vals: &[(String, String)]| pick(vals, true);
            let best = |vals: &[(String, String)]| pick(vals, false);
            let (ok, actual) = match (&current, previous) {
                (None, _) => (
                    false,
                    "no AIBOM bound by a verified signature to read it from".to_owned(),
                ),
                (_, None) => (
                    false,
                    "no previous release to compare with (give --previous)".to_owned(),
                ),
                (_, Some(Err(e))) => (false, format!("the previous AIBOM: {e}")),
                (Some(cur), Some(Ok(prev))) => match (first(cur), best(&values_of(prev, g))) {
                    (None, _) => (
                        false,
                        format!("{label} is not recorded (as a number) in this release"),
                    ),
                    (_, None) => (
                        false,
                        format!("{label} is not recorded (as a number) in the previous release"),
                    ),
                    (Some(c), Some(p)) => {
                        let worse = if g.lower_is_better { c - p } else { p - c };
                        let allowed = match limit {
                            Regression::Absolute(a) => a,
                            Regression::Relative(r) => r * p.abs(),
                        };
                        // A tolerance for the decimal values as written (0.583 - 0.563).
                        (
                            worse <= allowed + 1e-9,
                            format!("{c}, previously {p} (worse by {worse:.6})"),
                        )
                    }
                },
            };
            checks.push(CheckKind::MetricRegression, ok, &label, &expected, &actual);
        }
    }
}

/// Every kind of change, each with `why`: what the rules see when nothing could be compared.
pub(super) fn every_change(why: &str) -> Vec<Change> {
    crate::config::CHANGES
        .iter()
        .map(|k| Change {
            kind: k,
            what: why.to_owned(),
        })
        .collect()
}
