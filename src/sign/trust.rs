//! What a verifier trusts, and checking one signature against it: the signing layer's own
//! answer to "who signed this bundle", used by `verify` (checks, roles, approvals).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::bundle::{self, Method};
use super::keys::VerifyingKey;
use super::statement;

/// What a verifier trusts.
#[derive(Default)]
pub struct Trust {
    /// A Sigstore `trusted_root.json` (bytes) for keyless signatures.
    pub trusted_root: Option<Vec<u8>>,
    /// Keyless identities (certificate identity, OIDC issuer) that may sign.
    pub identities: Vec<(String, String)>,
    /// Public keys, with a label (their file) for messages.
    pub keys: Vec<(String, VerifyingKey)>,
    /// DER CA certificates (anchors) and intermediates.
    pub anchors: Vec<Vec<u8>>,
    pub intermediates: Vec<Vec<u8>>,
}

/// Who a verified signature came from.
pub struct Accepted {
    /// For people: `key <file> (P-256 …)`, `certificate <path>`, `keyless <id> (<issuer>)`.
    pub identity: String,
    pub(crate) signer: SignerId,
    /// A verified signing time (keyless only), Unix seconds.
    pub(crate) signed_at: Option<i64>,
}

/// Who a verified signature came from, as signer roles match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    Key(VerifyingKey),
    /// The leaf key and the chain as carried in the bundle (re-checked per role's CA).
    Certificate(VerifyingKey, Vec<Vec<u8>>),
    Keyless {
        identity: String,
        issuer: String,
    },
}

impl SignerId {
    /// The same party: the same key (bare or in a certificate, whatever the chain), or the same
    /// keyless identity.
    pub fn same_party(&self, other: &SignerId) -> bool {
        match (self, other) {
            (
                SignerId::Certificate(a, _) | SignerId::Key(a),
                SignerId::Certificate(b, _) | SignerId::Key(b),
            ) => a == b,
            _ => self == other,
        }
    }
}

/// Verifies an opened bundle's signature over its stored payload against the configured
/// trust (never a key taken from the bundle); returns who signed, or why it is refused.
pub fn authenticate(opened: &bundle::Opened, trust: &Trust) -> Result<Accepted, String> {
    let pae = bundle::pae(bundle::PAYLOAD_TYPE, &opened.payload);
    match &opened.method {
        Method::Key { hint } => {
            if trust.keys.is_empty() {
                return Err(
                    "signed with a key, but no --public-key or key role was configured".into(),
                );
            }
            let mut tried = Vec::new();
            for (label, key) in &trust.keys {
                let key_hint = key.hint().map_err(|e| e.to_string())?;
                if let Some(h) = hint
                    && *h != key_hint
                {
                    tried.push(format!("{label} (hint {}…)", &key_hint[..12]));
                    continue;
                }
                if key.verify(&pae, &opened.signature) {
                    return Ok(Accepted {
                        identity: format!(
                            "key {label} ({} {}…)",
                            key.curve_name(),
                            &key_hint[..16]
                        ),
                        signer: SignerId::Key(key.clone()),
                        signed_at: None,
                    });
                }
                tried.push(format!("{label} (signature does not verify)"));
            }
            Err(match hint {
                Some(h) if tried.iter().all(|t| t.contains("hint")) => format!(
                    "the bundle names key hint {h}, which is none of the configured keys: {}",
                    tried.join(", ")
                ),
                _ => format!(
                    "no configured key verifies the signature: {}",
                    tried.join(", ")
                ),
            })
        }
        Method::Certificate { chain } => {
            if trust.anchors.is_empty() {
                return Err(
                    "signed with a certificate, but no --certificate-chain CA was configured"
                        .into(),
                );
            }
            let leaf = super::x509::verify_chain(chain, &trust.intermediates, &trust.anchors, None)
                .map_err(|e| format!("certificate chain: {e}"))?;
            if !leaf.key.verify(&pae, &opened.signature) {
                return Err(format!(
                    "the signature does not verify with the certificate of {}",
                    leaf.subject
                ));
            }
            Ok(Accepted {
                identity: format!("certificate {}", leaf.path.join(" <- ")),
                signer: SignerId::Certificate(leaf.key, chain.clone()),
                signed_at: None,
            })
        }
        Method::Sigstore => {
            let Some(root) = &trust.trusted_root else {
                return Err(
                    "a keyless (Sigstore) signature, but no --trust-root was configured".into(),
                );
            };
            if trust.identities.is_empty() {
                return Err("a keyless (Sigstore) signature, but no --identity/--issuer (or keyless role) was configured".into());
            }
            // The subject the signature must cover; the library checks the envelope's
            // signature over these exact payload bytes.
            let subject = statement::parse(&opened.payload)
                .map_err(|e| format!("signed statement: {e}"))?
                .subject();
            let mut errors = Vec::new();
            for (identity, issuer) in &trust.identities {
                match super::keyless::verify(&opened.raw, root, &subject.0, identity, issuer) {
                    Ok(signer) if signer.payload != opened.payload => {
                        return Err(
                            "the statement Sigstore verified is not the one in the bundle's envelope"
                                .into(),
                        );
                    }
                    Ok(signer) => {
                        return Ok(Accepted {
                            identity: format!("keyless {} ({})", signer.identity, signer.issuer),
                            signer: SignerId::Keyless {
                                identity: signer.identity,
                                issuer: signer.issuer,
                            },
                            signed_at: signer.signed_at,
                        });
                    }
                    Err(e) => errors.push(format!("{identity} ({issuer}): {e}")),
                }
            }
            Err(format!(
                "keyless verification failed: {}",
                errors.join("; ")
            ))
        }
    }
}
