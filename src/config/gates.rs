//! The release gate's rules beyond signer roles (`[verify]`): which roles each signed risk tier
//! requires, evaluation gates on recorded metrics, and extra roles a change since the previous
//! release requires. Checked at load: unknown keys, an unknown tier or change kind, a role that
//! no `[[verify.signer]]` defines, a threshold out of range, a metric gate without a bound, a
//! relative regression that is not `<n>%`.
//!
//! ```toml
//! [verify.tier.low]
//! roles = ["ml-lead"]
//! [verify.tier.high]
//! roles = ["ml-lead", "security", "legal"]
//! threshold = 3                     # optional [default: every role listed]
//! [verify.tier.default]             # optional: tiers without an entry [default: refused]
//! roles = ["ml-lead", "security"]
//!
//! [[verify.metric]]
//! metric = "acc"
//! task = "arc_easy"                 # optional: the task (slice) the metric is recorded for
//! filter = "none"                   # optional: lm-eval's filter
//! min = 0.55                        # and/or max
//! required = true                   # absent from the AIBOM: refused [default: false]
//! max-regression = 0.02             # with --previous: at most this much worse (absolute),
//!                                   # or "5%" (relative to the previous value)
//! lower-is-better = false           # a regression is a rise instead of a fall
//!
//! [[verify.on-change]]
//! change = "dataset"                # dataset, base-model, runtime-policy, prompts,
//!                                   # evaluation, model-files
//! roles = ["security"]              # each must sign as well
//! ```

use super::ConfigError;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The risk tiers a rule may name, and `default`.
const TIERS: [&str; 5] = ["low", "medium", "high", "critical", "default"];

/// The kinds of change `[[verify.on-change]]` may name.
pub const CHANGES: [&str; 6] = [
    "dataset",
    "base-model",
    "runtime-policy",
    "prompts",
    "evaluation",
    "model-files",
];

/// `[verify.tier.<tier>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTier {
    roles: Vec<String>,
    threshold: Option<usize>,
}

/// A regression limit as written: a number, or `"<n>%"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawRegression {
    Absolute(f64),
    Text(String),
}

/// `[[verify.metric]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawMetric {
    metric: String,
    task: Option<String>,
    filter: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(default)]
    required: bool,
    max_regression: Option<RawRegression>,
    #[serde(default)]
    lower_is_better: bool,
}

/// `[[verify.on-change]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawOnChange {
    change: String,
    roles: Vec<String>,
}

/// The roles a tier requires and how many of them must sign.
#[derive(Debug, Clone, PartialEq)]
pub struct TierRule {
    pub roles: Vec<String>,
    /// Between 1 and `roles.len()`.
    pub threshold: usize,
}

/// How much worse a metric may get than in the previous release.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regression {
    /// In the metric's own unit.
    Absolute(f64),
    /// A fraction of the previous value (`"5%"` is 0.05).
    Relative(f64),
}

/// An evaluation gate.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricGate {
    pub metric: String,
    pub task: Option<String>,
    pub filter: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub required: bool,
    pub max_regression: Option<Regression>,
    pub lower_is_better: bool,
}

impl MetricGate {
    /// How the gate names its metric: `acc` or `arc_easy/acc` (`[filter]`).
    pub fn label(&self) -> String {
        let mut s = match &self.task {
            Some(t) => format!("{t}/{}", self.metric),
            None => self.metric.clone(),
        };
        if let Some(f) = &self.filter {
            s.push_str(&format!(" [{f}]"));
        }
        s
    }
}

/// A kind of change and the roles it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnChange {
    pub change: String,
    pub roles: Vec<String>,
}

/// The gate's rules beyond roles; empty when none are configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    /// By tier name (`low`..`critical`, `default`).
    pub tiers: BTreeMap<String, TierRule>,
    pub metrics: Vec<MetricGate>,
    pub on_change: Vec<OnChange>,
}

fn known_roles(
    key: &str,
    roles: &[String],
    defined: &BTreeSet<&str>,
) -> Result<Vec<String>, ConfigError> {
    if roles.is_empty() {
        return Err(ConfigError::Gate(format!("{key}: roles must not be empty")));
    }
    let mut seen = BTreeSet::new();
    for r in roles {
        if !defined.contains(r.as_str()) {
            return Err(ConfigError::Gate(format!(
                "{key}: role {r:?} is not a [[verify.signer]] role"
            )));
        }
        if !seen.insert(r) {
            return Err(ConfigError::Gate(format!(
                "{key}: role {r:?} is listed twice"
            )));
        }
    }
    Ok(roles.to_vec())
}

/// Checks the raw rules against the signer roles defined.
pub(super) fn gates(
    tiers: BTreeMap<String, RawTier>,
    metrics: Vec<RawMetric>,
    on_change: Vec<RawOnChange>,
    defined: &BTreeSet<&str>,
) -> Result<Gates, ConfigError> {
    let mut out = Gates::default();
    for (name, t) in tiers {
        let key = format!("verify.tier.{name}");
        if !TIERS.contains(&name.as_str()) {
            return Err(ConfigError::Gate(format!(
                "{key}: give one of low, medium, high, critical, default"
            )));
        }
        let roles = known_roles(&key, &t.roles, defined)?;
        let threshold = t.threshold.unwrap_or(roles.len());
        if threshold == 0 || threshold > roles.len() {
            return Err(ConfigError::Gate(format!(
                "{key}: threshold {threshold} must be between 1 and the number of roles ({})",
                roles.len()
            )));
        }
        out.tiers.insert(name, TierRule { roles, threshold });
    }
    for m in metrics {
        let key = format!("verify.metric {:?}", m.metric);
        if m.metric.trim().is_empty() {
            return Err(ConfigError::Gate(
                "verify.metric: metric must not be empty".into(),
            ));
        }
        if m.min.is_none() && m.max.is_none() && m.max_regression.is_none() && !m.required {
            return Err(ConfigError::Gate(format!(
                "{key}: give min, max, max-regression or required = true"
            )));
        }
        if [m.min, m.max].iter().flatten().any(|v| !v.is_finite()) {
            return Err(ConfigError::Gate(format!(
                "{key}: bounds must be finite numbers"
            )));
        }
        let max_regression = match m.max_regression {
            None => None,
            Some(RawRegression::Absolute(v)) if v.is_finite() && v >= 0.0 => {
                Some(Regression::Absolute(v))
            }
            Some(RawRegression::Text(t)) => {
                match t
                    .strip_suffix('%')
                    .and_then(|n| n.trim().parse::<f64>().ok())
                {
                    Some(p) if p.is_finite() && p >= 0.0 => Some(Regression::Relative(p / 100.0)),
                    _ => {
                        return Err(ConfigError::Gate(format!(
                            "{key}: max-regression {t:?}: give a number (absolute) or \"<n>%\" (relative)"
                        )));
                    }
                }
            }
            Some(RawRegression::Absolute(v)) => {
                return Err(ConfigError::Gate(format!(
                    "{key}: max-regression {v} must be a finite number, at least 0"
                )));
            }
        };
        out.metrics.push(MetricGate {
            metric: m.metric,
            task: m.task,
            filter: m.filter,
            min: m.min,
            max: m.max,
            required: m.required,
            max_regression,
            lower_is_better: m.lower_is_better,
        });
    }
    for c in on_change {
        let key = format!("verify.on-change {:?}", c.change);
        if !CHANGES.contains(&c.change.as_str()) {
            return Err(ConfigError::Gate(format!(
                "{key}: give one of {}",
                CHANGES.join(", ")
            )));
        }
        let roles = known_roles(&key, &c.roles, defined)?;
        out.on_change.push(OnChange {
            change: c.change,
            roles,
        });
    }
    Ok(out)
}
