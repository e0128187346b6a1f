//! Approvals for the auditor report: signatures given with `--signature`, checked against the
//! configured trust only, over the exact bytes of the files, and compared with one AIBOM. The
//! same checks as `aibom verify` ([`authenticate`], [`bom_file_mismatches`],
//! [`statement::bom_binding`]); the report only draws what comes out ([`Approval`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Attestation, SignatureFile, bom_file_mismatches};
use crate::bom::read;
use crate::sign::bundle::{self, Method};
use crate::sign::statement::{self, Resource, Statement};
use crate::sign::trust::{Trust, authenticate};

/// A signature given with `--signature`, checked against the configured trust.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// The signature file as given.
    pub signature: String,
    /// key, certificate, keyless.
    pub method: Option<String>,
    pub signer: Option<String>,
    /// The policy's roles this signer fills, by the verifier's rule ([`super::roles::fills`]).
    pub roles: Vec<String>,
    pub valid: bool,
    pub problem: Option<String>,
    /// The model digest (statement subject) the signature covers.
    pub model_digest: Option<String>,
    /// How the signed file list compares with the AIBOM's file inventory.
    pub inventory: Option<String>,
    pub inventory_matches: Option<bool>,
    /// The `.bom` attestation next to the signature.
    pub attestation: AttestationState,
    pub attestation_file: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AttestationState {
    /// No `<signature>.bom` file.
    #[default]
    Missing,
    /// Valid, same subject as the model signature, predicate equal to this AIBOM.
    Binds,
    /// Valid, but it binds another document or another model digest.
    Other(String),
    /// It does not verify.
    Invalid(String),
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Key { .. } => "key",
        Method::Certificate { .. } => "certificate",
        Method::Sigstore => "keyless",
    }
}

/// Who signed a bundle: the identity shown, and the roles of the policy the signer fills.
type SignedBy = (String, Vec<String>);

/// Opens, authenticates and parses one bundle: `(method, signer, statement)`, with the roles
/// of `roles` the signer fills.
fn check_bundle(
    bytes: &[u8],
    trust: &Trust,
    roles: &[super::Role],
) -> Result<(String, SignedBy, Statement), (Option<String>, String)> {
    let opened = bundle::open(bytes).map_err(|e| (None, e.to_string()))?;
    let method = method_name(&opened.method).to_owned();
    // The same check as `aibom verify`.
    let accepted = authenticate(&opened, trust).map_err(|e| (Some(method.clone()), e))?;
    let filled = roles
        .iter()
        .filter(|r| super::roles::fills(r, &accepted.signer, trust))
        .map(|r| r.name.clone())
        .collect();
    let st = statement::parse(&opened.payload)
        .map_err(|e| (Some(method.clone()), format!("signed statement: {e}")))?;
    Ok((method, (accepted.identity, filled), st))
}

fn inventory(bom: &read::Document<'_>, resources: &[Resource]) -> (bool, String) {
    let mismatches = bom_file_mismatches(bom, resources);
    match mismatches.first() {
        None => (
            true,
            format!(
                "the {} signed files are exactly the AIBOM's files, with the same SHA-256",
                resources.len()
            ),
        ),
        Some(first) => (
            false,
            format!(
                "{} differences between the signed files and the AIBOM's files, first: {first}",
                mismatches.len()
            ),
        ),
    }
}

/// Checks each signature against `trust` and against this AIBOM. The model digest is what the
/// signature covers; only `aibom verify DIR` can recompute it from the files.
/// `bom_sha256` is the SHA-256 of the AIBOM file's bytes: attestations that name it bind
/// those exact bytes. A signature whose bytes could not be read is an approval with that
/// reason as its problem; an attestation that could not be read is invalid for that reason.
pub fn approvals(
    signatures: &[SignatureFile],
    trust: &Trust,
    roles: &[super::Role],
    doc: &read::Document<'_>,
    bom_sha256: &crate::digest::Sha256,
) -> Vec<Approval> {
    let bom = doc.root.value();
    let mut out = Vec::new();
    for s in signatures {
        let shown = s.path.display().to_string();
        let mut a = Approval {
            signature: shown.clone(),
            attestation_file: match &s.attestation {
                Attestation::Absent => None,
                Attestation::Unreadable(p, _) | Attestation::Present(p, _) => {
                    Some(p.display().to_string())
                }
            },
            ..Approval::default()
        };
        let bytes = match &s.bytes {
            Ok(b) => b,
            Err(why) => {
                a.problem = Some(why.clone());
                out.push(a);
                continue;
            }
        };
        let mut model_subject = None;
        match check_bundle(bytes, trust, roles) {
            Err((method, e)) => {
                a.method = method;
                a.problem = Some(e);
            }
            Ok((method, (signer, filled), st)) => {
                a.method = Some(method);
                a.signer = Some(signer);
                a.roles = filled;
                a.model_digest = Some(st.subject().to_hex());
                match &st {
                    Statement::Model {
                        resources, subject, ..
                    } => {
                        a.valid = true;
                        model_subject = Some(*subject);
                        let (ok, text) = inventory(doc, resources);
                        a.inventory_matches = Some(ok);
                        a.inventory = Some(text);
                    }
                    Statement::Bom {
                        bom: predicate,
                        bom_sha256: signed,
                        ..
                    } => {
                        // An AIBOM attestation given directly.
                        a.valid = true;
                        a.attestation_file = Some(shown.clone());
                        a.attestation = match statement::bom_binding(
                            predicate,
                            signed.as_ref(),
                            bom,
                            bom_sha256,
                        ) {
                            Ok(_) => AttestationState::Binds,
                            Err(_) => AttestationState::Other(
                                "this is an AIBOM attestation of another document".into(),
                            ),
                        };
                        a.problem =
                            Some("this is an AIBOM attestation, not a model signature".into());
                    }
                }
            }
        }
        if let Attestation::Unreadable(_, why) = &s.attestation {
            a.attestation = AttestationState::Invalid(why.clone());
        }
        if let Attestation::Present(_, att) = &s.attestation {
            a.attestation = match check_bundle(att, trust, &[]) {
                Err((_, e)) => AttestationState::Invalid(e),
                Ok((_, _, Statement::Model { .. })) => {
                    AttestationState::Invalid("it carries a model signature, not an AIBOM".into())
                }
                Ok((
                    _,
                    _,
                    Statement::Bom {
                        subject,
                        bom: predicate,
                        bom_sha256: signed,
                    },
                )) => {
                    if let Err(e) =
                        statement::bom_binding(&predicate, signed.as_ref(), bom, bom_sha256)
                    {
                        AttestationState::Other(format!(
                            "it binds another AIBOM than this one: {e}"
                        ))
                    } else if model_subject.is_some_and(|m| m != subject) {
                        AttestationState::Other(format!(
                            "it binds this AIBOM to model digest {}, not to the signed {}",
                            subject.to_hex(),
                            model_subject.map(|m| m.to_hex()).unwrap_or_default()
                        ))
                    } else if model_subject.is_none() {
                        AttestationState::Other(
                            "it binds this AIBOM, but the model signature beside it is not valid"
                                .into(),
                        )
                    } else {
                        AttestationState::Binds
                    }
                }
            };
        }
        out.push(a);
    }
    out
}
