//! The release the AIBOM records (`[release]` of `aibom generate`), as the report shows it:
//! the declared risk tier, each artifact with its files, and the evaluation metrics with their
//! source, read with the shared reader ([`crate::bom::read::Document::release_tier`],
//! [`release_artifacts`](crate::bom::read::Document::release_artifacts),
//! [`metrics`](crate::bom::read::Document::metrics)).
//!
//! With `--signature` and a policy (`--config`), it also shows what the release gate asks of
//! this release: the roles `[verify.tier.*]` requires for the tier and the roles valid
//! signatures fill, and each `[[verify.metric]]` gate judged by the verifier's own rule
//! ([`crate::verify::metric_outcome`]), never a second copy of it.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Approval, AttestationState};
use crate::bom::read::Document;
use crate::bom::read::artifacts::MetricSource;
use crate::config::{Gates, Signer};

/// How many file paths an artifact of several files lists before "+N more".
pub const LISTED_FILES: usize = 5;

/// The release part; absent from the report when the AIBOM records no release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseView {
    /// `aibom:release:tier`.
    pub tier: Option<String>,
    pub artifacts: Vec<ArtifactRow>,
    pub metrics: Vec<MetricRow>,
    /// What the policy asks of this release; only with `--signature` and `--config`.
    pub gate: Option<GateView>,
}

/// One artifact of the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRow {
    /// `dataset`, `prompts`, `evaluation`, `runtime-policy`.
    pub role: String,
    pub path: Option<String>,
    /// The files read and hashed by the generator.
    pub files: usize,
    /// Their total size; `None` when a file records no size.
    pub size: Option<u64>,
    /// The SHA-256 of the file, for an artifact of exactly one file.
    pub sha256: Option<String>,
    /// For an artifact of several files: the first [`LISTED_FILES`] paths.
    pub listing: Vec<String>,
    /// Files not in `listing`.
    pub more: usize,
}

/// One recorded evaluation result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricRow {
    /// The task (slice) it was measured on.
    pub task: String,
    /// `acc`, or `acc [none]` with lm-eval's filter.
    pub metric: String,
    pub value: String,
    /// `model card`, or the evaluation file's path.
    pub source: String,
}

/// What the release gate's policy asks of this release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateView {
    pub tier: TierRoles,
    /// Roles whose signer made a valid signature with an attestation binding this AIBOM.
    pub present: Vec<String>,
    pub metrics: Vec<GateRow>,
}

/// The roles the policy requires for the release's tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierRoles {
    /// The policy has no `[verify.tier.*]` entries: its plain roles and threshold apply.
    NoTierRules,
    /// No entry for the tier and no `[verify.tier.default]` (or no tier): `verify` refuses.
    NoEntry,
    Entry {
        /// The entry that applies: the tier's, or `default`.
        entry: String,
        roles: Vec<String>,
        threshold: usize,
    },
}

/// One `[[verify.metric]]` gate: its bounds, or its regression limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRow {
    pub label: String,
    pub expected: String,
    pub actual: String,
    /// `None`: not judged here (a regression limit needs the previous release, which only
    /// `verify --previous` is given).
    pub passed: Option<bool>,
}

/// What the report needs of the policy given with `--config`.
#[derive(Debug, Clone, Default)]
pub struct ReleasePolicy {
    pub gates: Gates,
    pub signers: Vec<Signer>,
}

/// The release part of `d`, or `None` when it records neither a tier nor an artifact (a
/// model card's metrics alone are not a release). `policy` and `approvals` add the gate when both are given.
pub fn view(
    d: &Document<'_>,
    policy: Option<&ReleasePolicy>,
    approvals: Option<&[Approval]>,
) -> Option<ReleaseView> {
    let tier = d.release_tier().map(str::to_owned);
    let artifacts: Vec<ArtifactRow> = d.release_artifacts().iter().map(artifact_row).collect();
    // Metrics on the model card alone (model-index) are not a release.
    if tier.is_none() && artifacts.is_empty() {
        return None;
    }
    let metrics: Vec<MetricRow> = d.metrics().0.iter().map(metric_row).collect();
    let gate = match (policy, approvals) {
        (Some(p), Some(a)) => Some(gate(d, tier.as_deref(), p, a)),
        _ => None,
    };
    Some(ReleaseView {
        tier,
        artifacts,
        metrics,
        gate,
    })
}

fn artifact_row(a: &crate::bom::read::artifacts::ArtifactEntry<'_>) -> ArtifactRow {
    let size = a
        .files
        .iter()
        .try_fold(0u64, |n, f| f.size.and_then(|s| n.checked_add(s)));
    let (sha256, listing, more) = match a.files.as_slice() {
        [one] => (one.sha256.map(|s| s.to_hex()), Vec::new(), 0),
        many => (
            None,
            many.iter()
                .take(LISTED_FILES)
                .map(|f| f.path.to_owned())
                .collect(),
            many.len().saturating_sub(LISTED_FILES),
        ),
    };
    ArtifactRow {
        role: a.role.to_owned(),
        path: a.path.map(str::to_owned),
        files: a.files.len(),
        size,
        more,
        sha256,
        listing,
    }
}

fn metric_row(e: &crate::bom::read::artifacts::MetricEntry<'_>) -> MetricRow {
    let m = &e.metric;
    MetricRow {
        task: m.task.clone(),
        metric: match &m.filter {
            Some(f) => format!("{} [{f}]", m.metric),
            None => m.metric.clone(),
        },
        value: m.value.clone(),
        source: match e.source {
            MetricSource::ModelCard => super::prose::MODEL_CARD.to_owned(),
            MetricSource::File { path, .. } => path.to_owned(),
        },
    }
}

/// Whether an approval signs this AIBOM: a valid model signature whose attestation binds it.
fn binds(a: &Approval) -> bool {
    a.valid && a.attestation == AttestationState::Binds
}

/// The roles whose configured signer made an approval that signs this AIBOM, in the policy's
/// order: the roles each approval's signer fills, by the verifier's own rule
/// ([`crate::verify::roles::fills`]: the role's key, a chain to the role's CA, or its keyless
/// identity and issuer).
pub fn roles_present(signers: &[Signer], approvals: &[Approval]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in signers {
        let filled = approvals
            .iter()
            .filter(|a| binds(a))
            .any(|a| a.roles.contains(&s.role));
        if filled && !out.contains(&s.role) {
            out.push(s.role.clone());
        }
    }
    out
}

fn gate(
    d: &Document<'_>,
    tier: Option<&str>,
    policy: &ReleasePolicy,
    approvals: &[Approval],
) -> GateView {
    let gates = &policy.gates;
    let tier = if gates.tiers.is_empty() {
        TierRoles::NoTierRules
    } else {
        match tier.and_then(|t| crate::verify::tier_rule(gates, t)) {
            Some((entry, r)) => TierRoles::Entry {
                entry: entry.to_owned(),
                roles: r.roles.clone(),
                threshold: r.threshold,
            },
            None => TierRoles::NoEntry,
        }
    };
    // As `verify` does: metrics are read only from an AIBOM a verified signature binds.
    let bound = approvals.iter().any(binds).then_some(d);
    let mut metrics = Vec::new();
    for g in &gates.metrics {
        if let Some(o) = crate::verify::metric_outcome(g, bound) {
            metrics.push(GateRow {
                label: g.label(),
                expected: o.expected,
                actual: o.actual,
                passed: Some(o.passed),
            });
        }
        if let Some(limit) = g.max_regression {
            metrics.push(GateRow {
                label: g.label(),
                expected: crate::verify::regression_expected(g, limit),
                actual: super::prose::REGRESSION_NOT_JUDGED.to_owned(),
                passed: None,
            });
        }
    }
    GateView {
        tier,
        present: roles_present(&policy.signers, approvals),
        metrics,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{MetricGate, SignerTrust, TierRule};
    use serde_json::{Value, json};

    const A: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn release() -> Value {
        let metric = r#"{"task":"arc_easy","metric":"acc","filter":"none","value":"0.583"}"#;
        let file = |name: &str, size: u64| {
            json!({"type": "file", "name": name,
                   "hashes": [{"alg": "SHA-256", "content": A}],
                   "properties": [{"name": "aibom:file:size", "value": size.to_string()}]})
        };
        let mut eval = file("eval/results.json", 10);
        eval["properties"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "aibom:evaluation:metric", "value": metric}));
        json!({
            "bomFormat": "CycloneDX",
            "metadata": {"component": {
                "type": "machine-learning-model", "name": "m",
                "properties": [{"name": "aibom:release:tier", "value": "high"}]}},
            "components": [
                {"type": "data", "name": "prompts", "properties": [
                    {"name": "aibom:release:role", "value": "prompts"},
                    {"name": "aibom:release:path", "value": "prompts"}],
                 "components": (0..7).map(|i| file(&format!("prompts/p{i}.txt"), 3)).collect::<Vec<_>>()},
                {"type": "data", "name": "eval", "properties": [
                    {"name": "aibom:release:role", "value": "evaluation"},
                    {"name": "aibom:release:path", "value": "eval/results.json"}],
                 "components": [eval]}
            ]
        })
    }

    fn approval(signer: &str, roles: &[&str]) -> Approval {
        Approval {
            signature: "s.sig".into(),
            signer: Some(signer.into()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            valid: true,
            attestation: AttestationState::Binds,
            ..Approval::default()
        }
    }

    #[test]
    fn shows_the_tier_each_artifact_and_each_metric_with_its_source() {
        let doc = release();
        let d = Document::from_value(&doc).unwrap();
        let v = view(&d, None, None).unwrap();
        assert_eq!(v.tier.as_deref(), Some("high"));
        assert_eq!(v.artifacts.len(), 2);
        let p = &v.artifacts[0];
        assert_eq!((p.role.as_str(), p.files, p.size), ("prompts", 7, Some(21)));
        assert_eq!(p.listing.len(), LISTED_FILES);
        assert_eq!(p.more, 2);
        assert_eq!(p.sha256, None);
        let e = &v.artifacts[1];
        assert_eq!(e.sha256.as_deref(), Some(A));
        assert!(e.listing.is_empty());
        assert_eq!(e.more, 0);
        assert_eq!(
            v.metrics,
            [MetricRow {
                task: "arc_easy".into(),
                metric: "acc [none]".into(),
                value: "0.583".into(),
                source: "eval/results.json".into(),
            }]
        );
        assert_eq!(v.gate, None);
    }

    #[test]
    fn is_absent_when_the_aibom_records_no_release_only_model_card_metrics() {
        let metric = r#"{"task":"t","metric":"accuracy","value":"0.4"}"#;
        let doc = json!({"bomFormat": "CycloneDX",
            "metadata": {"component": {"type": "machine-learning-model", "name": "m",
                "modelCard": {"properties": [
                    {"name": "aibom:evaluation:metric", "value": metric}]}}}});
        let d = Document::from_value(&doc).unwrap();
        assert_eq!(view(&d, None, None), None);
    }

    #[test]
    fn judges_metric_gates_and_names_the_roles_the_tier_requires_and_those_present() {
        let doc = release();
        let d = Document::from_value(&doc).unwrap();
        let gate = |min: f64| MetricGate {
            metric: "acc".into(),
            task: Some("arc_easy".into()),
            filter: None,
            min: Some(min),
            max: None,
            required: true,
            max_regression: None,
            lower_is_better: false,
        };
        let mut policy = ReleasePolicy::default();
        policy.gates.tiers.insert(
            "high".into(),
            TierRule {
                roles: vec!["ml-lead".into(), "security".into()],
                threshold: 2,
            },
        );
        policy.gates.metrics = vec![gate(0.55), gate(0.6)];
        policy.signers = vec![
            Signer {
                role: "ml-lead".into(),
                trust: SignerTrust::PublicKey("lead.pub".into()),
            },
            Signer {
                role: "security".into(),
                trust: SignerTrust::PublicKey("sec.pub".into()),
            },
        ];
        let approvals = [approval(
            "key role ml-lead (P-256 0123456789abcdef…)",
            &["ml-lead"],
        )];
        let g = view(&d, Some(&policy), Some(&approvals))
            .unwrap()
            .gate
            .unwrap();
        assert_eq!(
            g.tier,
            TierRoles::Entry {
                entry: "high".into(),
                roles: vec!["ml-lead".into(), "security".into()],
                threshold: 2
            }
        );
        assert_eq!(g.present, ["ml-lead"]);
        assert_eq!(g.metrics.len(), 2);
        assert_eq!(g.metrics[0].passed, Some(true));
        assert_eq!(g.metrics[0].expected, "at least 0.55 (required)");
        assert!(g.metrics[0].actual.contains("0.583"));
        assert_eq!(g.metrics[1].passed, Some(false));
    }

    #[test]
    fn metric_gates_fail_when_no_signature_binds_the_aibom() {
        let doc = release();
        let d = Document::from_value(&doc).unwrap();
        let mut policy = ReleasePolicy::default();
        policy.gates.metrics = vec![MetricGate {
            metric: "acc".into(),
            task: None,
            filter: None,
            min: Some(0.1),
            max: None,
            required: false,
            max_regression: None,
            lower_is_better: false,
        }];
        let mut unbound = approval("key role x (P-256 0…)", &["x"]);
        unbound.attestation = AttestationState::Missing;
        let g = view(&d, Some(&policy), Some(&[unbound]))
            .unwrap()
            .gate
            .unwrap();
        assert_eq!(g.tier, TierRoles::NoTierRules);
        assert!(g.present.is_empty());
        assert_eq!(g.metrics[0].passed, Some(false));
    }

    #[test]
    fn shows_a_certificate_ca_role_present_and_each_regression_limit() {
        let doc = release();
        let d = Document::from_value(&doc).unwrap();
        let mut policy = ReleasePolicy::default();
        policy.gates.metrics = vec![MetricGate {
            metric: "acc".into(),
            task: Some("arc_easy".into()),
            filter: None,
            min: None,
            max: None,
            required: false,
            max_regression: Some(crate::config::Regression::Absolute(0.02)),
            lower_is_better: false,
        }];
        policy.signers = vec![
            Signer {
                role: "ml-lead".into(),
                trust: SignerTrust::PublicKey("lead.pub".into()),
            },
            Signer {
                role: "legal".into(),
                trust: SignerTrust::CertificateCa("legal-ca.pem".into()),
            },
        ];
        let approvals = [approval("certificate CN=counsel", &["legal"])];
        let g = view(&d, Some(&policy), Some(&approvals))
            .unwrap()
            .gate
            .unwrap();
        assert_eq!(g.present, ["legal"]);
        assert_eq!(
            g.metrics,
            [GateRow {
                label: "arc_easy/acc".into(),
                expected: "at most 0.02 lower than the previous release".into(),
                actual: crate::report::auditor::prose::REGRESSION_NOT_JUDGED.into(),
                passed: None,
            }]
        );
    }
}
