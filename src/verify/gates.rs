//! Which roles must sign this release: the entry of the policy for the tier the release
//! attestations sign (`[verify.tier.<tier>]`, else `[verify.tier.default]`, else refused), plus
//! the roles each change since the previous release requires (`[[verify.on-change]]`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{CheckKind, Checks};
use super::roles::{fill_roles, push_role_checks};
use super::{Model, Policy, RoleOutcome, Signer};
use crate::sign::trust::Trust;
use std::collections::BTreeMap;

/// A change since the previous release, of one of the kinds `[[verify.on-change]]` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    /// `dataset`, `base-model`, `runtime-policy`, `prompts`, `evaluation`, `model-files`.
    pub kind: &'static str,
    /// What changed, for people.
    pub what: String,
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
        let rule = tier.and_then(|t| {
            gates
                .tiers
                .get(t)
                .map(|r| (t, r))
                .or_else(|| gates.tiers.get("default").map(|r| ("default", r)))
        });
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
