//! Sigstore bundle v0.3 with a DSSE envelope, as OpenSSF model-signing writes it
//! (protobuf-JSON camelCase names). Reading is lenient where model-signing is (a `keyid` that
//! is `""`, absent or null; `tlogEntries` absent or empty; pre-1.1 `rawBytes` public keys) and
//! strict where it matters (media type, payload type, exactly what was signed).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, Error)]
pub enum BundleError {
    #[error("not a JSON signature bundle: {0}")]
    Json(String),
    #[error("media type is {0:?}, expected {MEDIA_TYPE:?}")]
    MediaType(String),
    #[error("payload type is {0:?}, expected {PAYLOAD_TYPE:?}")]
    PayloadType(String),
    #[error("the envelope carries no signature")]
    NoSignature,
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("no verification material (public key, certificate chain or certificate)")]
    NoMaterial,
    #[error("more than one kind of verification material ({0}); a bundle carries one")]
    SeveralMaterials(String),
}

/// Exactly the three members an OMS bundle has. Any other member is refused, in particular a
/// second content type (`messageSignature`): a Sigstore library reading the same file could
/// verify that one while aibom reads the statement of the `dsseEnvelope`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    pub dsse_envelope: Envelope,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertificateChain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawBytes>,
    #[serde(default)]
    pub tlog_entries: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyIdentifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Pre-1.1 bundles carried the key itself; never trusted, only reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CertificateChain {
    #[serde(default)]
    pub certificates: Vec<RawBytes>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBytes {
    pub raw_bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload: String,
    pub payload_type: String,
    #[serde(default)]
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub sig: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
}

/// How the bundle says it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Key {
        hint: Option<String>,
    },
    /// DER certificates, leaf first.
    Certificate {
        chain: Vec<Vec<u8>>,
    },
    /// Sigstore keyless (Fulcio certificate + Rekor entry).
    Sigstore,
}

/// A parsed bundle with the exact bytes that were signed.
#[derive(Debug, Clone)]
pub struct Opened {
    pub bundle: Bundle,
    pub method: Method,
    /// The statement bytes as stored (base64-decoded payload).
    pub payload: Vec<u8>,
    /// The first signature (model-signing verifies only `signatures[0]`), DER.
    pub signature: Vec<u8>,
    /// The bundle file's bytes, for verifiers that parse it themselves (keyless).
    pub raw: Vec<u8>,
}

/// DSSE pre-authentication encoding (DSSE v1 protocol): what the signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Parses a bundle file and checks its envelope; the signature itself is checked by the caller
/// against the configured trust.
pub fn open(bytes: &[u8]) -> Result<Opened, BundleError> {
    let bundle: Bundle =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Json(e.to_string()))?;
    if bundle.media_type != MEDIA_TYPE {
        return Err(BundleError::MediaType(bundle.media_type));
    }
    let env = &bundle.dsse_envelope;
    if env.payload_type != PAYLOAD_TYPE {
        return Err(BundleError::PayloadType(env.payload_type.clone()));
    }
    let payload = STANDARD
        .decode(env.payload.as_bytes())
        .map_err(|_| BundleError::Base64("the payload"))?;
    let first = env.signatures.first().ok_or(BundleError::NoSignature)?;
    let signature = STANDARD
        .decode(first.sig.as_bytes())
        .map_err(|_| BundleError::Base64("the signature"))?;
    let vm = &bundle.verification_material;
    let kinds: Vec<&str> = [
        ("publicKey", vm.public_key.is_some()),
        ("x509CertificateChain", vm.x509_certificate_chain.is_some()),
        ("certificate", vm.certificate.is_some()),
    ]
    .iter()
    .filter(|(_, present)| *present)
    .map(|(k, _)| *k)
    .collect();
    if kinds.len() > 1 {
        return Err(BundleError::SeveralMaterials(kinds.join(", ")));
    }
    let method = if let Some(chain) = &vm.x509_certificate_chain {
        let certs = chain
            .certificates
            .iter()
            .map(|c| STANDARD.decode(c.raw_bytes.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| BundleError::Base64("a certificate"))?;
        Method::Certificate { chain: certs }
    } else if vm.certificate.is_some() {
        Method::Sigstore
    } else if let Some(pk) = &vm.public_key {
        Method::Key {
            hint: pk.hint.clone().filter(|h| !h.is_empty()),
        }
    } else {
        return Err(BundleError::NoMaterial);
    };
    Ok(Opened {
        bundle,
        method,
        payload,
        signature,
        raw: bytes.to_vec(),
    })
}

/// A key-method bundle over `payload`, signed with `sig` (DER), in model-signing's layout.
pub fn key_bundle(payload: &[u8], sig: &[u8], hint: &str) -> Bundle {
    let material = VerificationMaterial {
        public_key: Some(PublicKeyIdentifier {
            hint: Some(hint.to_owned()),
            raw_bytes: None,
        }),
        ..VerificationMaterial::default()
    };
    signed_bundle(material, payload, sig)
}

/// A certificate-method bundle over `payload`, signed with `sig` (DER) by the key of the first
/// certificate of `chain` (DER, the signing certificate then the intermediates), in
/// model-signing's layout: `x509CertificateChain.certificates`, each as base64 `rawBytes`,
/// and an empty `tlogEntries`.
pub fn certificate_bundle(payload: &[u8], sig: &[u8], chain: &[Vec<u8>]) -> Bundle {
    let material = VerificationMaterial {
        x509_certificate_chain: Some(CertificateChain {
            certificates: chain
                .iter()
                .map(|der| RawBytes {
                    raw_bytes: STANDARD.encode(der),
                })
                .collect(),
        }),
        ..VerificationMaterial::default()
    };
    signed_bundle(material, payload, sig)
}

/// The envelope as model-signing writes it: one signature, with an empty `keyid`.
fn signed_bundle(material: VerificationMaterial, payload: &[u8], sig: &[u8]) -> Bundle {
    Bundle {
        media_type: MEDIA_TYPE.to_owned(),
        verification_material: material,
        dsse_envelope: Envelope {
            payload: STANDARD.encode(payload),
            payload_type: PAYLOAD_TYPE.to_owned(),
            signatures: vec![EnvelopeSignature {
                sig: STANDARD.encode(sig),
                keyid: Some(String::new()),
            }],
        },
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn rejects_wrong_media_and_payload_types_and_bad_base64() {
        let b = key_bundle(b"{}", b"sig", "h");
        let mut j = serde_json::to_value(&b).unwrap();
        j["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
        assert!(matches!(
            open(&serde_json::to_vec(&j).unwrap()),
            Err(BundleError::MediaType(_))
        ));
        let mut j = serde_json::to_value(&b).unwrap();
        j["dsseEnvelope"]["payloadType"] = "text/plain".into();
        assert!(matches!(
            open(&serde_json::to_vec(&j).unwrap()),
            Err(BundleError::PayloadType(_))
        ));
        let mut j = serde_json::to_value(&b).unwrap();
        j["dsseEnvelope"]["signatures"][0]["sig"] = "***".into();
        assert!(matches!(
            open(&serde_json::to_vec(&j).unwrap()),
            Err(BundleError::Base64(_))
        ));
        assert!(matches!(
            open(b"{\"mediaType\": 1"),
            Err(BundleError::Json(_))
        ));
    }

    #[test]
    fn refuses_a_second_content_type_and_unknown_members() {
        let b = key_bundle(b"{}", b"sig", "h");
        for (key, value) in [
            (
                "messageSignature",
                serde_json::json!({"messageDigest": {"algorithm": "SHA2_256", "digest": ""}, "signature": ""}),
            ),
            ("extra", serde_json::json!([[[]]])),
        ] {
            let mut j = serde_json::to_value(&b).unwrap();
            j[key] = value;
            assert!(
                matches!(
                    open(&serde_json::to_vec(&j).unwrap()),
                    Err(BundleError::Json(_))
                ),
                "{key}"
            );
        }
        let mut j = serde_json::to_value(&b).unwrap();
        j["verificationMaterial"]["certificate"] = serde_json::json!({"rawBytes": "AAAA"});
        assert!(matches!(
            open(&serde_json::to_vec(&j).unwrap()),
            Err(BundleError::SeveralMaterials(_))
        ));
    }

    #[test]
    fn a_certificate_bundle_has_the_layout_of_model_signings_certificate_method() {
        // The OMS v1.1.0 certificate vector, rebuilt from its own chain, payload and
        // signature: the same JSON, member for member.
        let vector: &[u8] = include_bytes!("../../tests/vectors/oms-v1.1.0/certificate/model.sig");
        let o = open(vector).unwrap();
        let Method::Certificate { chain } = &o.method else {
            panic!("{:?}", o.method)
        };
        assert_eq!(chain.len(), 2);
        let rebuilt = certificate_bundle(&o.payload, &o.signature, chain);
        let expected: serde_json::Value = serde_json::from_slice(vector).unwrap();
        assert_eq!(serde_json::to_value(&rebuilt).unwrap(), expected);
        let again = open(&serde_json::to_vec(&rebuilt).unwrap()).unwrap();
        assert_eq!(again.method, o.method);
    }

    #[test]
    fn opens_key_bundle_with_hint() {
        let b = key_bundle(b"{\"x\":1}", b"\x30\x00", "abc");
        let o = open(&serde_json::to_vec(&b).unwrap()).unwrap();
        assert_eq!(o.payload, b"{\"x\":1}");
        assert_eq!(o.signature, b"\x30\x00");
        assert_eq!(
            o.method,
            Method::Key {
                hint: Some("abc".into())
            }
        );
    }
}
