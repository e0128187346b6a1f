//! ECDSA keys for signing and verifying (P-256 with SHA-256, P-384 with SHA-384, as the OMS
//! format and model-signing use them). Private keys load from SEC1 (`EC PRIVATE KEY`) or PKCS#8
//! (`PRIVATE KEY`) PEM; public keys from SPKI (`PUBLIC KEY`) PEM. Signatures are DER.
//!
//! The bundle's `publicKey.hint` is the SHA-256 of the public key's PEM text as Python's
//! `cryptography` writes it (64-column base64, LF line endings), which is what
//! `to_public_key_pem(LineEnding::LF)` produces; it is computed from the key, so a key file
//! with other line endings or comments still matches.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::digest::Sha256;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("not a P-256 or P-384 private key in SEC1 or PKCS#8 PEM")]
    PrivateKey,
    #[error("not a P-256 or P-384 public key in SPKI PEM")]
    PublicKey,
    #[error("encoding the key failed: {0}")]
    Encode(String),
}

/// A private signing key.
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// A public verifying key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// The first PEM block with one of `labels` (key files may carry other blocks, such as the
/// `EC PARAMETERS` block `openssl ecparam -genkey` writes before the key).
fn pem_block<'a>(text: &'a str, labels: &[&str]) -> Option<&'a str> {
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        if let Some(a) = text.find(&begin)
            && let Some(from_begin) = text.get(a..)
            && let Some(b) = from_begin.find(&end)
        {
            // `b` is where `end` starts in `from_begin`, so the block ends inside it.
            return from_begin.get(..b.checked_add(end.len())?);
        }
    }
    None
}

impl SigningKey {
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let pem =
            pem_block(text, &["PRIVATE KEY", "EC PRIVATE KEY"]).ok_or(KeyError::PrivateKey)?;
        if let Ok(k) =
            p256::SecretKey::from_pkcs8_pem(pem).or_else(|_| p256::SecretKey::from_sec1_pem(pem))
        {
            return Ok(SigningKey::P256(k.into()));
        }
        if let Ok(k) =
            p384::SecretKey::from_pkcs8_pem(pem).or_else(|_| p384::SecretKey::from_sec1_pem(pem))
        {
            return Ok(SigningKey::P384(k.into()));
        }
        Err(KeyError::PrivateKey)
    }

    /// DER-encoded ECDSA signature over `msg` (SHA-256 for P-256, SHA-384 for P-384).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match self {
            SigningKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            SigningKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            SigningKey::P384(k) => VerifyingKey::P384(*k.verifying_key()),
        }
    }

    /// PKCS#8 PEM of the private key.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        let pem = match self {
            SigningKey::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
            SigningKey::P384(k) => k.to_pkcs8_pem(LineEnding::LF),
        };
        pem.map(|z| z.to_string())
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// A new random key.
    pub fn generate(curve: Curve) -> Self {
        match curve {
            Curve::P256 => {
                SigningKey::P256(p256::ecdsa::SigningKey::from(p256::SecretKey::generate()))
            }
            Curve::P384 => {
                SigningKey::P384(p384::ecdsa::SigningKey::from(p384::SecretKey::generate()))
            }
        }
    }
}

/// The curves aibom signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

impl VerifyingKey {
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let pem = pem_block(text, &["PUBLIC KEY"]).ok_or(KeyError::PublicKey)?;
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P384(k));
        }
        Err(KeyError::PublicKey)
    }

    /// From a DER SubjectPublicKeyInfo (a certificate's key).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(VerifyingKey::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(VerifyingKey::P384(k));
        }
        Err(KeyError::PublicKey)
    }

    /// Verifies a DER ECDSA signature over `msg`.
    pub fn verify(&self, msg: &[u8], der_sig: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            VerifyingKey::P256(k) => {
                p256::ecdsa::Signature::from_der(der_sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
            VerifyingKey::P384(k) => {
                p384::ecdsa::Signature::from_der(der_sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
        }
    }

    /// SPKI PEM with LF line endings (the form whose SHA-256 is the bundle hint).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        match self {
            VerifyingKey::P256(k) => k.to_public_key_pem(LineEnding::LF),
            VerifyingKey::P384(k) => k.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// `publicKey.hint`: hex SHA-256 of [`VerifyingKey::to_pem`].
    pub fn hint(&self) -> Result<String, KeyError> {
        Ok(Sha256::of(self.to_pem()?.as_bytes()).to_hex())
    }

    pub fn curve_name(&self) -> &'static str {
        match self {
            VerifyingKey::P256(_) => "P-256",
            VerifyingKey::P384(_) => "P-384",
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_on_both_curves_and_round_trips_pem() {
        for curve in [Curve::P256, Curve::P384] {
            let k = SigningKey::generate(curve);
            let again = SigningKey::from_pem(&k.to_pem().unwrap()).unwrap();
            let sig = again.sign(b"payload");
            let vk = VerifyingKey::from_pem(&k.verifying_key().to_pem().unwrap()).unwrap();
            assert!(vk.verify(b"payload", &sig));
            assert!(!vk.verify(b"payloaD", &sig));
            assert_eq!(vk.hint().unwrap().len(), 64);
        }
    }

    #[test]
    fn reads_sec1_keys_after_an_ec_parameters_block() {
        // As written by `openssl ecparam -name prime256v1 -genkey` (test key, not a secret).
        let k = SigningKey::generate(Curve::P256);
        let SigningKey::P256(inner) = &k else {
            panic!()
        };
        let sec1 = p256::SecretKey::from(inner.as_nonzero_scalar())
            .to_sec1_pem(LineEnding::LF)
            .unwrap();
        let text = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            sec1.as_str()
        );
        let back = SigningKey::from_pem(&text).unwrap();
        assert_eq!(back.verifying_key(), k.verifying_key());
        assert!(
            SigningKey::from_pem(
                "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
            )
            .is_err()
        );
    }
}
