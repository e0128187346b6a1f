//! Who signs: a private key alone (the key method: the bundle names the key by its hint), or a
//! private key with its signing certificate and the intermediates above it (the OMS
//! certificate method: the bundle carries the certificates, leaf first, as model-signing's
//! `sign certificate` writes them). Every bundle `sign` writes (the model signature, the AIBOM
//! attestation and the release attestation) is made by one [`Signer`], so all of them carry
//! the same verification material.
//!
//! A certificate is checked before anything is signed: its key must be the private key's, and
//! it must be one the verifier would accept as a signing certificate on its own
//! ([`x509::check_signing_leaf`]), valid at the signing time. The chain is carried as given;
//! building the path to a trusted CA is the verifier's part.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::bundle::{self, Bundle};
use super::keys::{KeyError, SigningKey};
use super::x509::{self, ChainError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SignerError {
    /// The certificate's own error, in the message (not as a source, which would print it
    /// twice in the error chain).
    #[error("{file}: {reason}")]
    Certificate { file: String, reason: ChainError },
    #[error(
        "{file} holds {count} certificates; the signing certificate file holds the signing certificate alone (intermediates go in --certificate-chain)"
    )]
    SeveralCertificates { file: String, count: usize },
    #[error(
        "the public key of the signing certificate {file} ('{subject}') is not the public key of the private key {key_file}"
    )]
    KeyMismatch {
        file: String,
        subject: String,
        key_file: String,
    },
    #[error(
        "the system clock cannot be read, so the validity of the signing certificate {file} cannot be checked"
    )]
    NoClock { file: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What the bundles carry besides the signature.
enum Material {
    /// `publicKey.hint`: see [`super::keys`].
    Key { hint: String },
    /// DER certificates: the signing certificate, then the chain as given; the signing
    /// certificate's subject and issuer names, and its key's hint (for [`Signer::identity`]).
    Certificate {
        chain: Vec<Vec<u8>>,
        subject: String,
        issuer: String,
        hint: String,
    },
}

/// A private key and what the bundles it signs carry.
pub struct Signer {
    key: SigningKey,
    material: Material,
}

/// The signing certificate: its PEM text and the file it came from (for messages).
pub struct CertificateFiles<'a> {
    pub leaf: (&'a str, &'a str),
    /// `(file, PEM text)` of each `--certificate-chain` file, in order; a file may hold several
    /// certificates.
    pub chain: Vec<(&'a str, &'a str)>,
}

impl Signer {
    /// The key method.
    pub fn with_key(key: SigningKey) -> Result<Self, SignerError> {
        let hint = key.verifying_key().hint()?;
        Ok(Signer {
            key,
            material: Material::Key { hint },
        })
    }

    /// The certificate method: `key` (read from `key_file`) with the certificate and chain of
    /// `files`, checked at `now` (Unix seconds; `None` when the clock cannot be read, which
    /// refuses).
    pub fn with_certificate(
        key: SigningKey,
        key_file: &str,
        files: &CertificateFiles<'_>,
        now: Option<u64>,
    ) -> Result<Self, SignerError> {
        let (leaf_file, leaf_text) = files.leaf;
        let cert_err = |file: &str, reason| SignerError::Certificate {
            file: file.to_owned(),
            reason,
        };
        let leaf = x509::pem_certificates(leaf_text).map_err(|e| cert_err(leaf_file, e))?;
        let [leaf] =
            <[Vec<u8>; 1]>::try_from(leaf).map_err(|all| SignerError::SeveralCertificates {
                file: leaf_file.to_owned(),
                count: all.len(),
            })?;
        let now = now.ok_or_else(|| SignerError::NoClock {
            file: leaf_file.to_owned(),
        })?;
        let checked = x509::check_signing_leaf(&leaf, now).map_err(|e| cert_err(leaf_file, e))?;
        if checked.key != key.verifying_key() {
            return Err(SignerError::KeyMismatch {
                file: leaf_file.to_owned(),
                subject: checked.subject,
                key_file: key_file.to_owned(),
            });
        }
        let mut chain = vec![leaf];
        for (file, text) in &files.chain {
            chain.extend(x509::pem_certificates(text).map_err(|e| cert_err(file, e))?);
        }
        let hint = checked.key.hint()?;
        Ok(Signer {
            key,
            material: Material::Certificate {
                chain,
                subject: checked.subject,
                issuer: checked.issuer,
                hint,
            },
        })
    }

    /// A bundle over `payload` (the statement's exact bytes), signed over its DSSE PAE.
    pub fn bundle(&self, payload: &[u8]) -> Bundle {
        let sig = self.key.sign(&bundle::pae(bundle::PAYLOAD_TYPE, payload));
        match &self.material {
            Material::Key { hint } => bundle::key_bundle(payload, &sig, hint),
            Material::Certificate { chain, .. } => bundle::certificate_bundle(payload, &sig, chain),
        }
    }

    /// For people: `key P-256 <hint…>` or `certificate '<subject>' (+N chain certificates)`.
    pub fn describe(&self) -> String {
        match &self.material {
            Material::Key { hint } => format!(
                "key {} {}…",
                self.key.verifying_key().curve_name(),
                hint.get(..16).unwrap_or(hint)
            ),
            Material::Certificate { chain, subject, .. } => match chain.len().saturating_sub(1) {
                0 => format!("certificate '{subject}'"),
                1 => format!("certificate '{subject}' (+1 chain certificate)"),
                more => format!("certificate '{subject}' (+{more} chain certificates)"),
            },
        }
    }

    /// What a signed statement says of its signer (a revocation's `revoker`; informational,
    /// since who signed is what the verifier checks): `key <hint>`, or
    /// `certificate '<subject>' issued by '<issuer>' (key <hint>)`, the hint being the full
    /// `publicKey.hint` of the key.
    pub fn identity(&self) -> String {
        match &self.material {
            Material::Key { hint } => format!("key {hint}"),
            Material::Certificate {
                subject,
                issuer,
                hint,
                ..
            } => format!("certificate '{subject}' issued by '{issuer}' (key {hint})"),
        }
    }

    /// `key` or `certificate`, the OMS method name.
    pub fn method(&self) -> &'static str {
        match self.material {
            Material::Key { .. } => "key",
            Material::Certificate { .. } => "certificate",
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::sign::keys::Curve;

    /// model-signing's v1.1.0 signing certificate: P-384, valid 2025-05-02 to 2035-04-30.
    const LEAF: &str = include_str!("../../tests/vectors/oms-v1.1.0/keys/signing-key-cert.pem");
    const INT: &str = include_str!("../../tests/vectors/oms-v1.1.0/keys/int-ca-cert.pem");
    /// 2026-01-01T00:00:00Z, 2024-01-01 and 2036-01-01.
    const IN_VALIDITY: u64 = 1_767_225_600;
    const BEFORE: u64 = 1_704_067_200;
    const AFTER: u64 = 2_082_758_400;

    fn files<'a>(leaf: &'a str, chain: &[&'a str]) -> CertificateFiles<'a> {
        CertificateFiles {
            leaf: ("leaf.pem", leaf),
            chain: chain.iter().map(|t| ("chain.pem", *t)).collect(),
        }
    }

    fn with_cert(leaf: &str, at: Option<u64>) -> Result<Signer, SignerError> {
        let key = SigningKey::generate(Curve::P384);
        Signer::with_certificate(key, "key.pem", &files(leaf, &[INT]), at)
    }

    #[test]
    fn refuses_a_certificate_whose_key_is_not_the_private_keys_naming_both_files() {
        let e = with_cert(LEAF, Some(IN_VALIDITY)).err().unwrap();
        assert!(matches!(e, SignerError::KeyMismatch { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("leaf.pem") && text.contains("key.pem"),
            "{text}"
        );
        assert!(text.contains("CN=intermediate-ca"), "{text}");
    }

    #[test]
    fn refuses_a_signing_certificate_outside_its_validity_naming_the_file() {
        for (at, what) in [(BEFORE, "not valid before"), (AFTER, "expired")] {
            let e = with_cert(LEAF, Some(at)).err().unwrap();
            let text = e.to_string();
            assert!(
                text.starts_with("leaf.pem: ") && text.contains(what),
                "{text}"
            );
        }
        assert!(matches!(
            with_cert(LEAF, None).err().unwrap(),
            SignerError::NoClock { .. }
        ));
    }

    #[test]
    fn the_signing_certificate_file_holds_one_certificate() {
        let both = format!("{LEAF}{INT}");
        let e = with_cert(&both, Some(IN_VALIDITY)).err().unwrap();
        assert!(
            matches!(e, SignerError::SeveralCertificates { count: 2, .. }),
            "{e}"
        );
        let e = with_cert("no certificate here", Some(IN_VALIDITY))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("leaf.pem: "), "{e}");
    }

    #[test]
    fn a_key_signer_writes_a_key_bundle_that_verifies() {
        let key = SigningKey::generate(Curve::P256);
        let vk = key.verifying_key();
        let s = Signer::with_key(key).unwrap();
        assert_eq!(s.method(), "key");
        assert_eq!(s.identity(), format!("key {}", vk.hint().unwrap()));
        let b = s.bundle(b"{}");
        let o = bundle::open(&serde_json::to_vec(&b).unwrap()).unwrap();
        assert_eq!(
            o.method,
            bundle::Method::Key {
                hint: Some(vk.hint().unwrap())
            }
        );
        assert!(vk.verify(&bundle::pae(bundle::PAYLOAD_TYPE, b"{}"), &o.signature));
    }
}
