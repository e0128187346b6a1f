//! Approvals: signatures given with `--signature`, checked against the configured trust only,
//! over the exact bytes of the files, and compared with this AIBOM.

use super::{Approval, AttestationState};
use crate::bom::read;
use crate::sign::bundle::{self, Method};
use crate::sign::statement::{self, Resource, Statement};
use crate::verify::Trust;

/// A signature file, as given: its name for display and its bytes (`None`: missing), with
/// its `<signature>.bom` attestation when there is one.
pub struct SignatureInput {
    pub shown: String,
    pub bytes: Option<Vec<u8>>,
    pub attestation: Option<(String, Vec<u8>)>,
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Key { .. } => "key",
        Method::Certificate { .. } => "certificate",
        Method::Sigstore => "keyless",
    }
}

/// Opens, authenticates and parses one bundle: `(method, signer, statement)`.
fn check_bundle(
    bytes: &[u8],
    trust: &Trust,
) -> Result<(String, String, Statement), (Option<String>, String)> {
    let opened = bundle::open(bytes).map_err(|e| (None, e.to_string()))?;
    let method = method_name(&opened.method).to_owned();
    // The same check as `aibom verify`.
    let signer = crate::verify::authenticate(&opened, trust)
        .map_err(|e| (Some(method.clone()), e))?
        .identity;
    let st = statement::parse(&opened.payload)
        .map_err(|e| (Some(method.clone()), format!("signed statement: {e}")))?;
    Ok((method, signer, st))
}

fn inventory(bom: &read::Document<'_>, resources: &[Resource]) -> (bool, String) {
    let mismatches = crate::verify::bom_file_mismatches(bom, resources);
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
/// those exact bytes.
pub fn approvals(
    signatures: &[SignatureInput],
    trust: &Trust,
    doc: &read::Document<'_>,
    bom_sha256: &crate::digest::Sha256,
) -> Vec<Approval> {
    let bom = doc.root.value();
    let mut out = Vec::new();
    for s in signatures {
        let mut a = Approval {
            signature: s.shown.clone(),
            attestation_file: s.attestation.as_ref().map(|(p, _)| p.clone()),
            ..Approval::default()
        };
        let Some(bytes) = &s.bytes else {
            a.problem = Some("the signature file is missing".into());
            out.push(a);
            continue;
        };
        let mut model_subject = None;
        match check_bundle(bytes, trust) {
            Err((method, e)) => {
                a.method = method;
                a.problem = Some(e);
            }
            Ok((method, signer, st)) => {
                a.method = Some(method);
                a.signer = Some(signer);
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
                        a.attestation_file = Some(s.shown.clone());
                        a.attestation = match crate::sign::statement::bom_binding(
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
        if let Some((_, att)) = &s.attestation {
            a.attestation = match check_bundle(att, trust) {
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
                    if let Err(e) = crate::sign::statement::bom_binding(
                        &predicate,
                        signed.as_ref(),
                        bom,
                        bom_sha256,
                    ) {
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
