//! Signer roles of the release policy: who may fill a role, and which signatures fill which
//! role.
//!
//! A role is filled by a distinct signer: one key, one certificate key, or one keyless identity
//! fills at most one role, however many signature files it made and however many roles would
//! accept it (a bipartite matching of roles to signers). At policy load, [`overlaps`] lists the
//! roles one signer could fill together (the same key, the same keyless identity, one CA that
//! issued the other); the policy is refused unless it sets `allow-overlapping-roles`, and even
//! then each role needs its own signer.

use super::checks::{CheckKind, Checks};
use super::{Model, Policy, RoleOutcome, Signer};
use crate::sign::keys::VerifyingKey;
use crate::sign::trust::{SignerId, Trust};

/// How a role is recognised.
pub enum RoleTrust {
    Key(VerifyingKey),
    /// DER CA certificates: a certificate signature whose chain ends at one of them.
    Ca(Vec<Vec<u8>>),
    Keyless {
        identity: String,
        issuer: String,
    },
}

pub struct Role {
    pub name: String,
    pub trust: RoleTrust,
}

/// Whether `signer` is one the role accepts.
pub fn fills(role: &Role, signer: &SignerId, trust: &Trust) -> bool {
    match (&role.trust, signer) {
        (RoleTrust::Key(k), SignerId::Key(s)) => k == s,
        (RoleTrust::Ca(anchors), SignerId::Certificate(key, chain)) => {
            crate::sign::x509::verify_chain(chain, &trust.intermediates, anchors, None)
                .is_ok_and(|leaf| leaf.key == *key)
        }
        (
            RoleTrust::Keyless { identity, issuer },
            SignerId::Keyless {
                identity: i,
                issuer: s,
            },
        ) => identity == i && issuer == s,
        _ => false,
    }
}

/// Pairs of roles one signer could fill together, with why.
pub fn overlaps(roles: &[Role]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = roles;
    while let Some((a, later)) = rest.split_first() {
        rest = later;
        for b in later {
            let why = match (&a.trust, &b.trust) {
                (RoleTrust::Key(x), RoleTrust::Key(y)) if x == y => {
                    Some("the same public key".to_owned())
                }
                (
                    RoleTrust::Keyless {
                        identity: i1,
                        issuer: s1,
                    },
                    RoleTrust::Keyless {
                        identity: i2,
                        issuer: s2,
                    },
                ) if i1 == i2 && s1 == s2 => Some(format!("the same keyless identity {i1}")),
                (RoleTrust::Ca(x), RoleTrust::Ca(y)) => ca_overlap(x, y),
                (RoleTrust::Key(k), RoleTrust::Ca(certs))
                | (RoleTrust::Ca(certs), RoleTrust::Key(k))
                    if certs
                        .iter()
                        .any(|c| crate::sign::x509::ec_key(c).as_ref() == Some(k)) =>
                {
                    Some(
                        "the same public key (a key role's key is in the other's certificate)"
                            .to_owned(),
                    )
                }
                _ => None,
            };
            if let Some(why) = why {
                out.push((a.name.clone(), b.name.clone(), why));
            }
        }
    }
    out
}

/// Two sets of CA certificates overlap when they share a certificate or a subject, or one
/// names the other as its issuer (a CA and its sub-CA): one leaf could then chain to both.
fn ca_overlap(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<String> {
    let names = |certs: &[Vec<u8>]| -> Vec<(Vec<u8>, Vec<u8>)> {
        certs
            .iter()
            .filter_map(|c| crate::sign::x509::names(c).ok())
            .collect()
    };
    if a.iter().any(|x| b.contains(x)) {
        return Some("the same CA certificate".to_owned());
    }
    let (na, nb) = (names(a), names(b));
    for (sa, ia) in &na {
        for (sb, ib) in &nb {
            if sa == sb {
                return Some("CA certificates with the same subject".to_owned());
            }
            if ib == sa || ia == sb {
                return Some("one CA issued the other (a CA and its sub-CA)".to_owned());
            }
        }
    }
    None
}

/// Assigns roles to distinct signers. `parties` are the distinct signers of the signatures
/// that count; returns, per role, the index of the party that fills it.
pub fn assign(roles: &[Role], parties: &[&SignerId], trust: &Trust) -> Vec<Option<usize>> {
    let adj: Vec<Vec<usize>> = roles
        .iter()
        .map(|r| {
            parties
                .iter()
                .enumerate()
                .filter(|(_, party)| fills(r, party, trust))
                .map(|(p, _)| p)
                .collect()
        })
        .collect();
    let mut party_role: Vec<Option<usize>> = vec![None; parties.len()];
    for r in 0..roles.len() {
        let mut seen = vec![false; parties.len()];
        augment(r, &adj, &mut seen, &mut party_role);
    }
    let mut out = vec![None; roles.len()];
    for (p, r) in party_role.iter().enumerate() {
        if let Some(slot) = r.and_then(|r| out.get_mut(r)) {
            *slot = Some(p);
        }
    }
    out
}

/// Kuhn's augmenting path: gives role `r` a party, moving others along if needed.
fn augment(
    r: usize,
    adj: &[Vec<usize>],
    seen: &mut [bool],
    party_role: &mut [Option<usize>],
) -> bool {
    for &p in adj.get(r).into_iter().flatten() {
        match seen.get_mut(p) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        let Some(&holder) = party_role.get(p) else {
            continue;
        };
        if holder.is_none_or(|other| augment(other, adj, seen, party_role)) {
            if let Some(slot) = party_role.get_mut(p) {
                *slot = Some(r);
            }
            return true;
        }
    }
    false
}

/// Fills the roles with distinct signers among the approving signatures; then the threshold.
pub(super) fn role_outcomes(
    checks: &mut Checks,
    signers: &[Signer],
    approving: &[&Model],
    policy: &Policy,
    trust: &Trust,
) -> Vec<RoleOutcome> {
    let out = fill_roles(signers, approving, policy, trust);
    let need = policy.threshold.unwrap_or(policy.roles.len());
    push_role_checks(checks, &out, need);
    out
}

/// Each of the policy's roles, filled by a distinct signer among the approving signatures or
/// not, with why.
pub(super) fn fill_roles(
    signers: &[Signer],
    approving: &[&Model],
    policy: &Policy,
    trust: &Trust,
) -> Vec<RoleOutcome> {
    // Distinct parties, each with the first approving signature it made.
    let mut parties: Vec<&Model> = Vec::new();
    for m in approving {
        if !parties
            .iter()
            .any(|p| p.accepted.signer.same_party(&m.accepted.signer))
        {
            parties.push(m);
        }
    }
    let ids: Vec<&SignerId> = parties.iter().map(|p| &p.accepted.signer).collect();
    let assigned = assign(&policy.roles, &ids, trust);
    let mut out = Vec::new();
    for (role, party) in policy.roles.iter().zip(&assigned) {
        let outcome = match party.and_then(|p| parties.get(p)) {
            Some(party) => RoleOutcome {
                role: role.name.clone(),
                satisfied: true,
                by: signers.get(party.index).map(|s| s.signature.clone()),
                reason: format!("signed by {}", party.accepted.identity),
            },
            None => {
                let taken = ids
                    .iter()
                    .position(|id| fills(role, id, trust))
                    .and_then(|p| {
                        let other = assigned
                            .iter()
                            .position(|a| *a == Some(p))
                            .and_then(|r| policy.roles.get(r))
                            .map_or("another role", |r| r.name.as_str());
                        Some(format!(
                            "its only signer, {}, already fills role {other}: one signer fills one role",
                            parties.get(p)?.accepted.identity
                        ))
                    });
                RoleOutcome {
                    role: role.name.clone(),
                    satisfied: false,
                    by: None,
                    reason: taken.unwrap_or_else(|| match &role.trust {
                        RoleTrust::Keyless { identity, issuer } => {
                            format!("no signature by {identity} ({issuer}) that passed every check")
                        }
                        _ => "no signature from this role's key or CA that passed every check"
                            .to_owned(),
                    }),
                }
            }
        };
        out.push(outcome);
    }
    out
}

/// One `role` check per role (not blocking), then the `approvals` check: at least `need` of
/// `out` satisfied.
pub(super) fn push_role_checks(checks: &mut Checks, out: &[RoleOutcome], need: usize) {
    let satisfied = out.iter().filter(|r| r.satisfied).count();
    for r in out {
        checks.push(
            CheckKind::Role,
            r.satisfied,
            &r.role,
            "a signature by a signer of this role, filling no other role",
            &r.reason,
        );
        if let Some(c) = checks.0.last_mut() {
            // The approvals check decides.
            c.blocking = false;
        }
    }
    checks.push(
        CheckKind::Approvals,
        satisfied >= need,
        "required signers",
        &format!("{need} of {} roles, each by a distinct signer", out.len()),
        &format!("{satisfied} signed"),
    );
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::sign::keys::{Curve, SigningKey};

    fn key() -> VerifyingKey {
        SigningKey::generate(Curve::P256).verifying_key()
    }

    fn role(name: &str, k: &VerifyingKey) -> Role {
        Role {
            name: name.into(),
            trust: RoleTrust::Key(k.clone()),
        }
    }

    #[test]
    fn one_signer_fills_one_role() {
        let k = key();
        let roles = vec![role("a", &k), role("b", &k)];
        let id = SignerId::Key(k.clone());
        let got = assign(&roles, &[&id], &Trust::default());
        assert_eq!(got.iter().filter(|x| x.is_some()).count(), 1);
    }

    #[test]
    fn the_matching_moves_a_signer_to_let_every_role_be_filled() {
        // Party 0 fills a or b, party 1 only a: a greedy pass would give a to party 0.
        let (k0, k1) = (key(), key());
        let roles = vec![
            Role {
                name: "a".into(),
                trust: RoleTrust::Key(k0.clone()),
            },
            role("b", &k1),
        ];
        let (p0, p1) = (SignerId::Key(k0), SignerId::Key(k1));
        let got = assign(&roles, &[&p0, &p1], &Trust::default());
        assert_eq!(got, vec![Some(0), Some(1)]);
    }

    #[test]
    fn overlapping_keys_and_identities_are_found() {
        let k = key();
        let roles = vec![
            role("a", &k),
            role("b", &k),
            role("c", &key()),
            Role {
                name: "d".into(),
                trust: RoleTrust::Keyless {
                    identity: "x@example.com".into(),
                    issuer: "https://i".into(),
                },
            },
            Role {
                name: "e".into(),
                trust: RoleTrust::Keyless {
                    identity: "x@example.com".into(),
                    issuer: "https://i".into(),
                },
            },
        ];
        let pairs: Vec<(String, String)> = overlaps(&roles)
            .into_iter()
            .map(|(a, b, _)| (a, b))
            .collect();
        assert_eq!(
            pairs,
            vec![("a".into(), "b".into()), ("d".into(), "e".into())]
        );
    }
}
