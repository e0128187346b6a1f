//! X.509 certificate chains for the OMS certificate method.
//!
//! A bundle's `x509CertificateChain` carries the signing (leaf) certificate first, then any
//! intermediates. The verifier is configured with trust anchors (CA certificates) and may be
//! given more intermediates; [`verify_chain`] builds a path from the leaf to an anchor and
//! checks it at one point in time (by default the leaf's notBefore, as model-signing does).
//!
//! Checks, all fail-closed:
//! - every certificate on the path is valid at that time (notBefore <= t <= notAfter);
//! - no certificate on the path has an unknown critical extension or a repeated extension;
//! - every issuer has basicConstraints CA=true, keyCertSign when it has a keyUsage extension,
//!   and its pathLenConstraint (if any) is respected;
//! - every signature verifies, checked by rustls-webpki with one of [`SIGNATURE_ALGORITHMS`]
//!   (ECDSA P-256/P-384, RSA PKCS#1 v1.5 and PSS of 2048 to 8192 bits, Ed25519); anything else
//!   is [`ChainError::UnsupportedAlgorithm`];
//! - the leaf has keyUsage digitalSignature or extendedKeyUsage codeSigning, and a P-256 or
//!   P-384 key.
//!
//! Path building matches an issuer name to subject names by their DER bytes (no RFC 5280
//! string folding: a PrintableString and a UTF8String of the same text differ), tries every
//! candidate, never uses a certificate twice in one path, and stops at 8 certificates. A path
//! ends at a certificate that is byte-equal to an anchor (the anchor's own signature is not
//! checked). Revocation is not checked.
//!
//! Why path building is here and not `webpki::EndEntityCert::verify_for_usage`: webpki refuses
//! any end-entity certificate with basicConstraints CA=true (`CaUsedAsEndEntity`, with no
//! option to allow it), and model-signing's own certificate-method vectors
//! (`tests/vectors/oms-v1.1.0/keys/signing-key-cert.pem`) sign with exactly such a
//! certificate, which model-signing (OpenSSL's verifier) accepts. webpki also checks neither
//! keyUsage (keyCertSign, digitalSignature) nor the validity of the trust anchor, and its EKU
//! hook sees every certificate of the path but not keyUsage, so the OMS rule "digitalSignature
//! or codeSigning" cannot be expressed through it. The cryptography (every signature, every
//! algorithm and key-size rule) is webpki's.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::keys::VerifyingKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::SignatureVerificationAlgorithm;
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;
use webpki::aws_lc_rs as algs;
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{DateTime, Decode, Encode, Header, Reader, SliceReader, Tag};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

/// Most certificates in one path, leaf and anchor included.
pub const MAX_PATH_LEN: usize = 8;
/// Most issuer candidates examined while building one path (bounds hostile inputs that offer
/// many certificates with the same name and key).
const MAX_CANDIDATES: usize = 256;
/// Longest subject shown in messages, in characters.
const MAX_SUBJECT_CHARS: usize = 200;
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// Certificate signature algorithms accepted, as rustls-webpki (aws-lc-rs backend) implements
/// them: what CAs of the certificate method use (ECDSA P-256/P-384 with SHA-256/384; RSA
/// PKCS#1 v1.5 with SHA-256/384/512, parameters NULL or absent, 2048 to 8192 bits), and
/// RSA-PSS and Ed25519. Anything else is [`ChainError::UnsupportedAlgorithm`].
static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P384_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA512,
    algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    algs::ED25519,
];
/// Extensions this module either enforces or that carry no constraint it could ignore:
/// keyUsage, basicConstraints, extKeyUsage (enforced); subjectKeyIdentifier,
/// authorityKeyIdentifier, subjectAltName (informational). Any other critical extension
/// (nameConstraints, certificatePolicies, policyConstraints, ...) is rejected.
const UNDERSTOOD_EXTENSIONS: [&str; 6] = [
    "2.5.29.15", // keyUsage
    "2.5.29.19", // basicConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.17", // subjectAltName
];

/// Why a chain was refused. `subject` fields name the certificate concerned (RFC 4514 form).
#[derive(Debug, Error)]
pub enum ChainError {
    #[error("PEM: {0}")]
    Pem(String),
    #[error("no `-----BEGIN CERTIFICATE-----` block in the PEM text")]
    NoPemCertificates,
    #[error("the certificate chain is empty")]
    EmptyChain,
    #[error("no trust anchor (CA certificate) is configured")]
    NoAnchors,
    #[error("{what} is not a valid DER X.509 certificate: {reason}")]
    Malformed { what: String, reason: String },
    #[error("certificate '{subject}': extension {oid} is malformed: {reason}")]
    BadExtension {
        subject: String,
        oid: String,
        reason: String,
    },
    #[error("certificate '{subject}': extension {oid} appears more than once")]
    DuplicateExtension { subject: String, oid: String },
    #[error("certificate '{subject}': unsupported critical extension {oid}")]
    UnknownCriticalExtension { subject: String, oid: String },
    #[error("certificate '{subject}' is not valid before {not_before} (checked at {at})")]
    NotYetValid {
        subject: String,
        not_before: String,
        at: String,
    },
    #[error("certificate '{subject}' expired at {not_after} (checked at {at})")]
    Expired {
        subject: String,
        not_after: String,
        at: String,
    },
    #[error(
        "signing certificate '{subject}' allows neither keyUsage digitalSignature nor extendedKeyUsage codeSigning"
    )]
    LeafUsage { subject: String },
    #[error(
        "signing certificate '{subject}' has an unsupported key ({reason}); P-256 or P-384 is required"
    )]
    UnsupportedKey { subject: String, reason: String },
    #[error(
        "certificate '{subject}' issued '{child}' but is not a CA (basicConstraints CA=true missing)"
    )]
    NotCa { subject: String, child: String },
    #[error("certificate '{subject}' issued '{child}' but its keyUsage lacks keyCertSign")]
    NoCertSign { subject: String, child: String },
    #[error(
        "certificate '{subject}': pathLenConstraint {limit} allows fewer intermediates than the {found} below it"
    )]
    PathLenExceeded {
        subject: String,
        limit: u8,
        found: usize,
    },
    #[error(
        "certificate '{subject}': signature algorithm field differs from the signed tbsCertificate's"
    )]
    AlgorithmMismatch { subject: String },
    #[error("certificate '{subject}': unsupported {what} {algorithm}")]
    UnsupportedAlgorithm {
        subject: String,
        what: &'static str,
        algorithm: String,
    },
    #[error(
        "certificate '{subject}': signature does not verify with the key of '{issuer}' ({reason})"
    )]
    BadSignature {
        subject: String,
        issuer: String,
        reason: String,
    },
    #[error("certificate '{subject}': no certificate named '{issuer}' (its issuer) is available")]
    NoIssuer { subject: String, issuer: String },
    #[error("certificate '{subject}': no trust anchor within {MAX_PATH_LEN} certificates")]
    PathTooLong { subject: String },
    #[error("gave up building a path after examining {MAX_CANDIDATES} issuer candidates")]
    SearchLimit,
}

/// What a verified chain vouches for.
#[derive(Debug, Clone)]
pub struct VerifiedLeaf {
    /// The signing key of the leaf certificate.
    pub key: VerifyingKey,
    /// The leaf's subject (RFC 4514 form).
    pub subject: String,
    /// The leaf's issuer name (RFC 4514 form), as the leaf states it.
    pub issuer: String,
    /// Subjects from the leaf up to the anchor.
    pub path: Vec<String>,
}

/// Parses every `-----BEGIN CERTIFICATE-----` block of a PEM text into DER.
///
/// Text outside the blocks (comments, `openssl x509 -text` output) is ignored. A block that is
/// not terminated, not base64, or not a DER certificate is an error, and so is a text without
/// any certificate block.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, ChainError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        match body.as_mut() {
            None => {
                if line == BEGIN {
                    body = Some(String::new());
                }
            }
            Some(b) => {
                if line == END {
                    let n = out.len().saturating_add(1);
                    let der = STANDARD
                        .decode(b.as_bytes())
                        .map_err(|e| ChainError::Pem(format!("certificate block {n}: {e}")))?;
                    Certificate::from_der(&der).map_err(|e| ChainError::Malformed {
                        what: format!("PEM certificate block {n}"),
                        reason: e.to_string(),
                    })?;
                    out.push(der);
                    body = None;
                } else if line.starts_with("-----") {
                    return Err(ChainError::Pem(format!(
                        "certificate block {} has no `{END}` line",
                        out.len().saturating_add(1)
                    )));
                } else if line.contains(':') {
                    return Err(ChainError::Pem(format!(
                        "certificate block {} has headers (encrypted or non-standard PEM)",
                        out.len().saturating_add(1)
                    )));
                } else {
                    b.push_str(line);
                }
            }
        }
    }
    if body.is_some() {
        return Err(ChainError::Pem(format!(
            "certificate block {} has no `{END}` line",
            out.len().saturating_add(1)
        )));
    }
    if out.is_empty() {
        return Err(ChainError::NoPemCertificates);
    }
    Ok(out)
}

/// The subject and issuer names (DER) of a certificate, to tell whether one configured CA
/// issued another (a policy whose roles one signer could fill).
pub fn names(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ChainError> {
    let c = Cert::parse(der, "a configured CA certificate".to_string())?;
    Ok((c.subject_name, c.issuer_name))
}

/// The EC public key a certificate holds, when it is a P-256 or P-384 key (to tell whether a
/// configured CA or pinned certificate holds the same key as a key role).
pub fn ec_key(der: &[u8]) -> Option<VerifyingKey> {
    Cert::parse(der, "a configured certificate".to_string())
        .ok()?
        .signing_key()
        .ok()
}

/// Verifies `chain` (leaf first, then any intermediates, all DER, as carried in a bundle's
/// x509CertificateChain) up to one of `anchors` (DER CA certificates the verifier was configured
/// with; `extra` are intermediates the verifier was given, e.g. from --certificate-chain files).
/// The time of validity checking is the leaf's notBefore (what model-signing does), unless `at`
/// (Unix seconds) is given.
///
/// Any malformed certificate among the inputs is an error, even one the path would not use.
pub fn verify_chain(
    chain: &[Vec<u8>],
    extra: &[Vec<u8>],
    anchors: &[Vec<u8>],
    at: Option<u64>,
) -> Result<VerifiedLeaf, ChainError> {
    let Some((leaf_der, intermediates)) = chain.split_first() else {
        return Err(ChainError::EmptyChain);
    };
    if anchors.is_empty() {
        return Err(ChainError::NoAnchors);
    }
    let leaf = Cert::parse(leaf_der, "the signing (leaf) certificate".to_string())?;
    let anchors: Vec<Cert<'_>> = anchors
        .iter()
        .zip(1u64..)
        .map(|(d, n)| Cert::parse(d, format!("trust anchor {n}")))
        .collect::<Result<_, _>>()?;
    let mut pool: Vec<Cert<'_>> = Vec::new();
    // Numbered as in the bundle's chain, where the leaf is certificate 1.
    for (d, n) in intermediates.iter().zip(2u64..) {
        pool.push(Cert::parse(d, format!("bundle chain certificate {n}"))?);
    }
    for (d, n) in extra.iter().zip(1u64..) {
        pool.push(Cert::parse(d, format!("extra chain certificate {n}"))?);
    }
    pool.extend(anchors.iter().cloned());

    // One entry per distinct certificate; index 0 is the leaf.
    let mut certs: Vec<Cert<'_>> = vec![leaf];
    for c in pool {
        if !certs.iter().any(|k| k.der == c.der) {
            certs.push(c);
        }
    }
    for c in &mut certs {
        c.anchor = anchors.iter().any(|a| a.der == c.der);
    }

    let leaf = certs.first().ok_or(ChainError::EmptyChain)?;
    let t = at.unwrap_or(leaf.not_before);

    // The leaf on its own.
    leaf.check_extensions()?;
    leaf.check_validity(t)?;
    leaf.check_signing_usage()?;
    let key = leaf.signing_key()?;

    let mut search = Search {
        certs: &certs,
        t,
        signatures: HashMap::new(),
        examined: 0,
    };
    let mut path = vec![0usize];
    search.extend(&mut path)?;

    let names = path
        .iter()
        .filter_map(|&i| certs.get(i))
        .map(|c| c.subject.clone())
        .collect();
    Ok(VerifiedLeaf {
        key,
        subject: leaf.subject.clone(),
        issuer: leaf.issuer_display(),
        path: names,
    })
}

/// The checks [`verify_chain`] makes on a leaf on its own, for a signer about to sign with it
/// at `at` (Unix seconds): no repeated or unknown critical extension, valid at `at`,
/// keyUsage digitalSignature or extendedKeyUsage codeSigning, a P-256 or P-384 key. Returns
/// the leaf's key, subject and issuer name (`path` is the leaf alone: the chain is the
/// verifier's to build). A signer knows the signing time, so the leaf is checked then; a verifier, which is
/// given no trusted time, checks the path at the leaf's notBefore.
pub fn check_signing_leaf(der: &[u8], at: u64) -> Result<VerifiedLeaf, ChainError> {
    let leaf = Cert::parse(der, "the signing certificate".to_string())?;
    leaf.check_extensions()?;
    leaf.check_validity(at)?;
    leaf.check_signing_usage()?;
    let key = leaf.signing_key()?;
    Ok(VerifiedLeaf {
        key,
        subject: leaf.subject.clone(),
        issuer: leaf.issuer_display(),
        path: vec![leaf.subject],
    })
}

/// A parsed certificate with the pieces path building compares.
#[derive(Clone)]
struct Cert<'a> {
    der: &'a [u8],
    /// The exact signed bytes (tbsCertificate TLV as found in `der`).
    tbs: &'a [u8],
    cert: Certificate,
    subject: String,
    subject_name: Vec<u8>,
    issuer_name: Vec<u8>,
    not_before: u64,
    not_after: u64,
    anchor: bool,
}

impl<'a> Cert<'a> {
    fn parse(der: &'a [u8], what: String) -> Result<Self, ChainError> {
        let bad = |reason: String| ChainError::Malformed {
            what: what.clone(),
            reason,
        };
        let cert = Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
        let tbs = tbs_bytes(der).map_err(|e| bad(e.to_string()))?;
        let tbs_cert = cert.tbs_certificate();
        let subject_name = tbs_cert
            .subject()
            .to_der()
            .map_err(|e| bad(e.to_string()))?;
        let issuer_name = tbs_cert.issuer().to_der().map_err(|e| bad(e.to_string()))?;
        let validity = tbs_cert.validity();
        Ok(Cert {
            der,
            tbs,
            subject: display_name(tbs_cert.subject()),
            subject_name,
            issuer_name,
            not_before: validity.not_before.to_unix_duration().as_secs(),
            not_after: validity.not_after.to_unix_duration().as_secs(),
            anchor: false,
            cert,
        })
    }

    fn issuer_display(&self) -> String {
        display_name(self.cert.tbs_certificate().issuer())
    }

    fn self_issued(&self) -> bool {
        self.subject_name == self.issuer_name
    }

    /// Rejects repeated extensions and critical extensions this module does not process.
    fn check_extensions(&self) -> Result<(), ChainError> {
        let exts = self
            .cert
            .tbs_certificate()
            .extensions()
            .map(|e| e.as_slice())
            .unwrap_or(&[]);
        let mut rest = exts;
        while let Some((e, later)) = rest.split_first() {
            rest = later;
            let oid = e.extn_id.to_string();
            if later.iter().any(|o| o.extn_id == e.extn_id) {
                return Err(ChainError::DuplicateExtension {
                    subject: self.subject.clone(),
                    oid,
                });
            }
            if e.critical && !UNDERSTOOD_EXTENSIONS.contains(&oid.as_str()) {
                return Err(ChainError::UnknownCriticalExtension {
                    subject: self.subject.clone(),
                    oid,
                });
            }
        }
        Ok(())
    }

    fn check_validity(&self, t: u64) -> Result<(), ChainError> {
        let v = self.cert.tbs_certificate().validity();
        if t < self.not_before {
            return Err(ChainError::NotYetValid {
                subject: self.subject.clone(),
                not_before: display_time(v.not_before),
                at: display_unix(t),
            });
        }
        if t > self.not_after {
            return Err(ChainError::Expired {
                subject: self.subject.clone(),
                not_after: display_time(v.not_after),
                at: display_unix(t),
            });
        }
        Ok(())
    }

    fn bad_extension(&self, oid: ObjectIdentifier, e: impl std::fmt::Display) -> ChainError {
        ChainError::BadExtension {
            subject: self.subject.clone(),
            oid: oid.to_string(),
            reason: e.to_string(),
        }
    }

    fn key_usage(&self) -> Result<Option<KeyUsage>, ChainError> {
        self.cert
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .map(|o| o.map(|(_, ku)| ku))
            .map_err(|e| self.bad_extension(OID_KEY_USAGE, e))
    }

    /// keyUsage digitalSignature or extendedKeyUsage codeSigning (either is enough, as in
    /// model-signing); neither extension present is a refusal.
    fn check_signing_usage(&self) -> Result<(), ChainError> {
        if self.key_usage()?.is_some_and(|ku| ku.digital_signature()) {
            return Ok(());
        }
        let eku = self
            .cert
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|e| self.bad_extension(OID_EXT_KEY_USAGE, e))?;
        if eku.is_some_and(|(_, eku)| eku.0.contains(&OID_KP_CODE_SIGNING)) {
            return Ok(());
        }
        Err(ChainError::LeafUsage {
            subject: self.subject.clone(),
        })
    }

    fn signing_key(&self) -> Result<VerifyingKey, ChainError> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        let unsupported = |reason: String| ChainError::UnsupportedKey {
            subject: self.subject.clone(),
            reason,
        };
        if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(unsupported(format!(
                "key algorithm {}",
                algorithm_name(spki.algorithm.oid)
            )));
        }
        let der = spki.to_der().map_err(|e| unsupported(e.to_string()))?;
        VerifyingKey::from_spki_der(&der)
            .map_err(|_| unsupported("not a P-256 or P-384 EC key".to_string()))
    }

    /// What an issuer of `child` must be; `below` is how many non-self-issued intermediates
    /// lie between this certificate and the leaf.
    fn check_issuer(&self, child: &Cert<'_>, below: usize) -> Result<(), ChainError> {
        self.check_extensions()?;
        let bc = self
            .cert
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map_err(|e| self.bad_extension(OID_BASIC_CONSTRAINTS, e))?;
        let Some((_, bc)) = bc.filter(|(_, bc)| bc.ca) else {
            return Err(ChainError::NotCa {
                subject: self.subject.clone(),
                child: child.subject.clone(),
            });
        };
        if let Some(ku) = self.key_usage()?
            && !ku.key_cert_sign()
        {
            return Err(ChainError::NoCertSign {
                subject: self.subject.clone(),
                child: child.subject.clone(),
            });
        }
        if let Some(limit) = bc.path_len_constraint
            && below > usize::from(limit)
        {
            return Err(ChainError::PathLenExceeded {
                subject: self.subject.clone(),
                limit,
                found: below,
            });
        }
        Ok(())
    }

    /// Verifies `child`'s signature with this certificate's key, through rustls-webpki: the
    /// algorithm is the entry of [`SIGNATURE_ALGORITHMS`] whose AlgorithmIdentifiers (signature
    /// and key) are byte-equal to the child's signature algorithm and this certificate's key.
    fn verify_signature_of(&self, child: &Cert<'_>) -> Result<(), ChainError> {
        let alg = child.cert.signature_algorithm();
        if alg != child.cert.tbs_certificate().signature() {
            return Err(ChainError::AlgorithmMismatch {
                subject: child.subject.clone(),
            });
        }
        let bad = |reason: String| ChainError::BadSignature {
            subject: child.subject.clone(),
            issuer: self.subject.clone(),
            reason,
        };
        let unsupported =
            |what: &'static str, oid: ObjectIdentifier| ChainError::UnsupportedAlgorithm {
                subject: child.subject.clone(),
                what,
                algorithm: algorithm_name(oid),
            };
        let sig = child
            .cert
            .signature()
            .as_bytes()
            .ok_or_else(|| bad("signature BIT STRING has unused bits".to_string()))?;
        let alg_id = algorithm_id_contents(alg).map_err(|e| bad(e.to_string()))?;
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        let key_alg_id = algorithm_id_contents(&spki.algorithm).map_err(|e| bad(e.to_string()))?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| bad("issuer key BIT STRING has unused bits".to_string()))?;
        let mut known = false;
        for a in SIGNATURE_ALGORITHMS
            .iter()
            .filter(|a| a.signature_alg_id().as_ref() == alg_id.as_slice())
        {
            known = true;
            // As webpki's own `verify_signed_data`: the entry must be for the issuer's key type
            // (and curve); the same signature algorithm may have one entry per curve.
            if a.public_key_alg_id().as_ref() != key_alg_id.as_slice() {
                continue;
            }
            return a
                .verify_signature(key, child.tbs, sig)
                .map_err(|_| bad(algorithm_name(alg.oid)));
        }
        if known {
            Err(unsupported(
                "issuer key type or curve for its signature",
                spki.algorithm.oid,
            ))
        } else {
            Err(unsupported("signature algorithm", alg.oid))
        }
    }
}

/// Depth-first path building over `certs` (index 0 is the leaf).
struct Search<'c, 'a> {
    certs: &'c [Cert<'a>],
    t: u64,
    /// (child, issuer) -> signature verified
    signatures: HashMap<(usize, usize), bool>,
    examined: usize,
}

impl Search<'_, '_> {
    /// Extends `path` (whose last element is the current certificate) up to an anchor.
    fn extend(&mut self, path: &mut Vec<usize>) -> Result<(), ChainError> {
        let certs = self.certs;
        let Some(cur) = path.last().and_then(|&i| certs.get(i)) else {
            return Err(ChainError::EmptyChain);
        };
        if cur.anchor {
            return Ok(());
        }
        if path.len() >= MAX_PATH_LEN {
            return Err(ChainError::PathTooLong {
                subject: cur.subject.clone(),
            });
        }
        // Non-self-issued intermediates between a new issuer and the leaf.
        let below = path
            .iter()
            .skip(1)
            .filter_map(|&i| certs.get(i))
            .filter(|c| !c.self_issued())
            .count();
        let mut first_error = None;
        for (idx, cand) in certs.iter().enumerate() {
            if cand.subject_name != cur.issuer_name || path.contains(&idx) {
                continue;
            }
            self.examined = self.examined.saturating_add(1);
            if self.examined > MAX_CANDIDATES {
                return Err(ChainError::SearchLimit);
            }
            let step = self.try_issuer(path, idx, cur, cand, below);
            match step {
                Ok(()) => return Ok(()),
                Err(ChainError::SearchLimit) => return Err(ChainError::SearchLimit),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| ChainError::NoIssuer {
            subject: cur.subject.clone(),
            issuer: cur.issuer_display(),
        }))
    }

    fn try_issuer(
        &mut self,
        path: &mut Vec<usize>,
        idx: usize,
        cur: &Cert<'_>,
        cand: &Cert<'_>,
        below: usize,
    ) -> Result<(), ChainError> {
        cand.check_issuer(cur, below)?;
        cand.check_validity(self.t)?;
        let cur_idx = path.last().copied().unwrap_or_default();
        match self.signatures.get(&(cur_idx, idx)) {
            Some(true) => {}
            Some(false) => {
                return Err(ChainError::BadSignature {
                    subject: cur.subject.clone(),
                    issuer: cand.subject.clone(),
                    reason: "already refused".to_string(),
                });
            }
            None => {
                let r = cand.verify_signature_of(cur);
                self.signatures.insert((cur_idx, idx), r.is_ok());
                r?;
            }
        }
        path.push(idx);
        let r = self.extend(path);
        if r.is_err() {
            path.pop();
        }
        r
    }
}

/// The contents of an AlgorithmIdentifier (without its SEQUENCE header): the form in which
/// webpki's table names algorithms, parameters included.
fn algorithm_id_contents(alg: &AlgorithmIdentifierOwned) -> x509_cert::der::Result<Vec<u8>> {
    let der = alg.to_der()?;
    let mut reader = SliceReader::new(&der)?;
    let header = Header::decode(&mut reader)?;
    Ok(reader.read_slice(header.length())?.to_vec())
}

/// The tbsCertificate TLV exactly as it appears in `der` (re-encoding could differ).
fn tbs_bytes(der: &[u8]) -> x509_cert::der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    let header = Header::decode(&mut reader)?;
    header.tag().assert_eq(Tag::Sequence)?;
    reader.tlv_bytes()
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        _ => return oid.to_string(),
    };
    format!("{name} ({oid})")
}

/// RFC 4514 form, with control characters escaped and long names cut, since subjects come
/// from untrusted input and end up on a terminal.
fn display_name(name: &x509_cert::name::Name) -> String {
    // `to_string` would panic if the Display impl failed; `fmt::write` reports it instead.
    let mut raw = String::new();
    if std::fmt::write(&mut raw, format_args!("{name}")).is_err() {
        return "(unprintable subject)".to_string();
    }
    if raw.is_empty() {
        return "(empty subject)".to_string();
    }
    let mut out = String::new();
    for (n, c) in raw.chars().enumerate() {
        if n >= MAX_SUBJECT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn display_time(t: Time) -> String {
    t.to_date_time().to_string()
}

fn display_unix(t: u64) -> String {
    DateTime::from_unix_duration(Duration::from_secs(t))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("Unix time {t}"))
}

#[cfg(test)]
mod tests;
