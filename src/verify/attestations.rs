//! Binding the AIBOM to each valid signer through its attestation.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{CheckKind, Checks};
use super::{Attestation, Inputs, Model, Signer};
use crate::sign::bundle;
use crate::sign::statement::{self, Statement};
use crate::sign::trust::{Trust, authenticate};
use serde_json::Value;

/// Each valid signer's AIBOM attestation: verified with the same trust, signed by the same
/// signer, subject equal to the signed model digest, and the AIBOM given: its exact bytes by
/// SHA-256 (older attestations without the digest: its JSON value).
pub(super) fn bind_attestations(
    checks: &mut Checks,
    signers: &mut [Signer],
    inputs: &Inputs,
    trust: &Trust,
    models: &[Model],
    bom: &Value,
    bom_sha256: &crate::digest::Sha256,
) {
    for m in models {
        let Some(sf) = inputs.signatures.get(m.index) else {
            continue;
        };
        let sig_shown = sf.path.display().to_string();
        let expected = "this AIBOM, signed by the model's signer for this model digest";
        let (shown, res) = by_model_signer(
            &sf.attestation,
            sig_shown,
            "no AIBOM attestation beside the signature (<signature>.bom)",
            trust,
            m,
        );
        let res = res.and_then(|payload| {
            statement::parse(&payload)
                .map_err(|e| format!("attestation statement: {e}"))
                .and_then(|s| match s {
                    Statement::Bom {
                        subject,
                        bom: predicate,
                        bom_sha256: signed,
                    } => {
                        if subject != m.subject {
                            Err(format!(
                                "binds model digest {subject}, the signed model is {}",
                                m.subject
                            ))
                        } else {
                            statement::bom_binding(&predicate, signed.as_ref(), bom, bom_sha256)
                        }
                    }
                    Statement::Model { .. } => {
                        Err("a model signature, not an AIBOM attestation".to_owned())
                    }
                })
        });
        let ok = res.is_ok();
        let binding = res.as_ref().ok().copied();
        let actual = match res {
            Ok(b) => b.describe().to_owned(),
            Err(e) => e,
        };
        checks.push_for(
            Some(m.index),
            CheckKind::AibomBound,
            ok,
            &shown,
            expected,
            &actual,
        );
        if let Some(s) = signers.get_mut(m.index) {
            s.bom_bound = Some(ok);
            s.bom_binding = binding;
        }
    }
}

/// An attestation beside a model signature (`.bom`, `.release`), opened and authenticated:
/// its payload when it verifies with `trust` and is signed by the same party as the model
/// signature `m`; with the path to show (the signature's when the attestation is absent).
pub(super) fn by_model_signer(
    att: &Attestation,
    sig_shown: String,
    absent: &str,
    trust: &Trust,
    m: &Model,
) -> (String, Result<Vec<u8>, String>) {
    match att {
        Attestation::Absent => (sig_shown, Err(absent.to_owned())),
        Attestation::Unreadable(p, e) => (p.display().to_string(), Err(e.clone())),
        Attestation::Present(p, bytes) => (
            p.display().to_string(),
            bundle::open(bytes)
                .map_err(|e| e.to_string())
                .and_then(|o| authenticate(&o, trust).map(|a| (o, a)))
                .and_then(|(o, a)| {
                    if a.signer.same_party(&m.accepted.signer) {
                        Ok(o.payload)
                    } else {
                        Err(format!(
                            "signed by {}, not by the model's signer {}",
                            a.identity, m.accepted.identity
                        ))
                    }
                }),
        ),
    }
}
