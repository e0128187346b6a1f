//! Keyless (Sigstore) OMS bundles: the cryptography, checked offline.
//!
//! A keyless bundle carries a short-lived Fulcio certificate (`verificationMaterial.certificate`)
//! and a Rekor entry (`tlogEntries`). [`verify`] hands the exact bundle bytes to
//! `sigstore-verify` together with a `trusted_root.json` supplied by the caller, and accepts only
//! when all of these hold:
//!
//! - the certificate chains to a Fulcio CA of the trusted root, has the code-signing EKU and was
//!   valid at the signing time, which is taken from the Rekor entry's integrated time once its
//!   signed entry timestamp (SET) verifies under a Rekor key of the root (and from any RFC 3161
//!   timestamps, which must then verify too);
//! - the certificate's embedded SCT verifies under a CT log key of the root;
//! - the certificate's SAN equals `identity` and its OIDC-issuer extension equals `issuer`;
//! - the Rekor inclusion proof recomputes the signed checkpoint's root hash, and the checkpoint
//!   is signed by the log;
//! - the DSSE signature (exactly one) verifies over the PAE with the certificate's key;
//! - the in-toto statement carries `subject_digest` as a SHA-256 subject digest;
//! - the Rekor entry's body describes this envelope and certificate.
//!
//! Nothing is fetched: the crate is built without its `tuf`/HTTP features, and the trust material
//! is only what the caller passes in. The statement itself (predicate, resources, one subject) is
//! the caller's to check (see `statement.rs`); this module says only that the bundle is a valid
//! Sigstore signature by the expected signer over a statement about `subject_digest`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, MediaType, Sha256Hash, SignatureContent};
use sigstore_verify::{Error as SigstoreError, VerificationPolicy, Verifier};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeylessError {
    #[error("the Sigstore trusted root is not usable: {0}")]
    TrustedRoot(String),
    #[error("the signature is not a Sigstore bundle: {0}")]
    Bundle(String),
    #[error(
        "the certificate's identity is {}, expected {expected:?}",
        shown(actual)
    )]
    Identity {
        expected: String,
        actual: Option<String>,
    },
    #[error(
        "the certificate's OIDC issuer is {}, expected {expected:?}",
        shown(actual)
    )]
    Issuer {
        expected: String,
        actual: Option<String>,
    },
    #[error("the signed statement is not about the model digest {0}")]
    Subject(String),
    #[error("Sigstore verification failed: {0}")]
    Verification(String),
}

fn shown(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or_else(|| "absent".to_owned(), |v| format!("{v:?}"))
}

/// Who signed, as the verified Fulcio certificate says, and what the library verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessSigner {
    pub identity: String,
    pub issuer: String,
    /// The DSSE payload whose signature the library verified (the caller must read exactly
    /// this statement).
    pub payload: Vec<u8>,
    /// The earliest verified signing time (Rekor integrated time or an RFC 3161 timestamp),
    /// Unix seconds.
    pub signed_at: Option<i64>,
}

/// Verifies a keyless Sigstore bundle (the exact bytes of the signature file) offline against the
/// trusted root JSON (bytes of a `trusted_root.json`): Fulcio chain, SCT, Rekor inclusion
/// proof/SET, signature over the DSSE envelope, and that the certificate's identity (SAN) and
/// OIDC issuer equal `identity` and `issuer`. `subject_digest` is the in-toto statement's subject
/// digest (the model's root digest, 32 bytes), which the DSSE statement must carry.
pub fn verify(
    bundle_json: &[u8],
    trusted_root_json: &[u8],
    subject_digest: &[u8; 32],
    identity: &str,
    issuer: &str,
) -> Result<KeylessSigner, KeylessError> {
    let root_text = std::str::from_utf8(trusted_root_json)
        .map_err(|e| KeylessError::TrustedRoot(format!("not UTF-8: {e}")))?;
    let root =
        TrustedRoot::from_json(root_text).map_err(|e| KeylessError::TrustedRoot(e.to_string()))?;
    // A root that trusts nothing would fail later with a less useful message.
    for (missing, what) in [
        (
            root.certificate_authorities.is_empty(),
            "Fulcio certificate authority",
        ),
        (root.tlogs.is_empty(), "Rekor transparency log"),
        (root.ctlogs.is_empty(), "certificate transparency log"),
    ] {
        if missing {
            return Err(KeylessError::TrustedRoot(format!("it lists no {what}")));
        }
    }
    let verifier = Verifier::new(&root).map_err(|e| KeylessError::TrustedRoot(e.to_string()))?;

    let bundle_text = std::str::from_utf8(bundle_json)
        .map_err(|e| KeylessError::Bundle(format!("not UTF-8: {e}")))?;
    let bundle = Bundle::from_json(bundle_text).map_err(|e| KeylessError::Bundle(e.to_string()))?;
    // OMS bundles are v0.3; sigstore-types reads a missing media type as v0.1.
    if bundle.media_type() != MediaType::Bundle0_3 {
        return Err(KeylessError::Bundle(format!(
            "media type is {} (a missing one reads as v0.1), expected {}",
            bundle.media_type(),
            MediaType::Bundle0_3
        )));
    }

    // Only a DSSE envelope: a bundle that also carries a message signature would have the
    // library verify one content and the caller read the other.
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Err(KeylessError::Bundle(
            "the content is a message signature, not a DSSE envelope".into(),
        ));
    };
    let payload = envelope.payload.as_bytes().to_vec();

    // The default policy verifies everything (chain, SCT, tlog); no `skip_*` is ever applied.
    let policy = VerificationPolicy::new(identity, issuer);
    let result = verifier
        .verify(Sha256Hash::new(*subject_digest), &bundle, &policy)
        .map_err(|e| match e {
            SigstoreError::IdentityMismatch { actual, .. } => KeylessError::Identity {
                expected: identity.to_owned(),
                actual: actual.map(|a| a.as_str().to_owned()),
            },
            SigstoreError::IssuerMismatch { actual, .. } => KeylessError::Issuer {
                expected: issuer.to_owned(),
                actual,
            },
            SigstoreError::ArtifactMismatch(_) => {
                KeylessError::Subject(hex::encode(subject_digest))
            }
            other => KeylessError::Verification(other.to_string()),
        })?;

    // Belt and braces: the result must say that every check ran and what it matched.
    if !(result.certificate_verified()
        && result.sct_verified()
        && result.tlog_verified()
        && result.identity_policy_checked())
    {
        return Err(KeylessError::Verification(
            "the verifier skipped a check (certificate chain, SCT or transparency log)".into(),
        ));
    }
    let actual_identity = result.identity().map(|s| s.as_str().to_owned());
    if actual_identity.as_deref() != Some(identity) {
        return Err(KeylessError::Identity {
            expected: identity.to_owned(),
            actual: actual_identity,
        });
    }
    if result.issuer() != Some(issuer) {
        return Err(KeylessError::Issuer {
            expected: issuer.to_owned(),
            actual: result.issuer().map(str::to_owned),
        });
    }
    let signed_at = result
        .integrated_time()
        .into_iter()
        .chain(result.verified_timestamps().iter().copied())
        .map(|t| t.as_second())
        .min();
    Ok(KeylessSigner {
        identity: identity.to_owned(),
        issuer: issuer.to_owned(),
        payload,
        signed_at,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::Value;

    const BUNDLE: &[u8] = include_bytes!("../../tests/vectors/oms-v1.1.0/sigstore/model.sig");
    const ROOT: &[u8] =
        include_bytes!("../../tests/vectors/sigstore-public-good-trusted_root.json");
    const IDENTITY: &str = "stefanb@us.ibm.com";
    const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";

    fn bundle_json() -> Value {
        serde_json::from_slice(BUNDLE).unwrap()
    }

    fn statement(bundle: &Value) -> Value {
        let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
        serde_json::from_slice(&STANDARD.decode(payload).unwrap()).unwrap()
    }

    /// `subject[0].digest.sha256` of the statement in the vector.
    fn subject() -> [u8; 32] {
        let hex_digest = statement(&bundle_json())["subject"][0]["digest"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned();
        hex::decode(hex_digest).unwrap().try_into().unwrap()
    }

    fn check(bundle: &[u8]) -> Result<KeylessSigner, KeylessError> {
        verify(bundle, ROOT, &subject(), IDENTITY, ISSUER)
    }

    #[test]
    fn accepts_the_model_signing_v1_1_0_keyless_vector() {
        let signer = check(BUNDLE).unwrap();
        assert_eq!(signer.identity, IDENTITY);
        assert_eq!(signer.issuer, ISSUER);
        let payload = bundle_json()["dsseEnvelope"]["payload"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(signer.payload, STANDARD.decode(payload).unwrap());
        assert!(signer.signed_at.is_some_and(|t| t > 1_700_000_000));
    }

    #[test]
    fn refuses_another_identity() {
        let err = verify(BUNDLE, ROOT, &subject(), "mallory@example.com", ISSUER).unwrap_err();
        match err {
            KeylessError::Identity { expected, actual } => {
                assert_eq!(expected, "mallory@example.com");
                assert_eq!(actual.as_deref(), Some(IDENTITY));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_another_issuer() {
        let err = verify(
            BUNDLE,
            ROOT,
            &subject(),
            IDENTITY,
            "https://accounts.google.com",
        )
        .unwrap_err();
        match err {
            KeylessError::Issuer { expected, actual } => {
                assert_eq!(expected, "https://accounts.google.com");
                assert_eq!(actual.as_deref(), Some(ISSUER));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_another_subject_digest() {
        let mut digest = subject();
        digest[31] ^= 1;
        let err = verify(BUNDLE, ROOT, &digest, IDENTITY, ISSUER).unwrap_err();
        assert!(matches!(err, KeylessError::Subject(_)), "{err:?}");
    }

    /// The check `sigstore` 0.15 does not make: the Rekor inclusion proof must recompute the
    /// checkpoint's root hash.
    #[test]
    fn refuses_zeroed_inclusion_proof_hashes() {
        let mut b = bundle_json();
        let hashes = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
            .as_array_mut()
            .unwrap();
        assert!(!hashes.is_empty());
        let zero = Value::from(STANDARD.encode([0u8; 32]));
        for h in hashes.iter_mut() {
            *h = zero.clone();
        }
        let err = check(&serde_json::to_vec(&b).unwrap()).unwrap_err();
        match &err {
            KeylessError::Verification(msg) => {
                assert!(msg.contains("inclusion proof"), "{msg}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_a_tampered_dsse_payload() {
        // Change one listed file digest and keep the subject: the DSSE signature no longer holds.
        let mut b = bundle_json();
        let mut st = statement(&b);
        let d = st["predicate"]["resources"][0]["digest"]
            .as_str()
            .unwrap()
            .to_owned();
        let flipped = if d.starts_with('0') { "1" } else { "0" };
        st["predicate"]["resources"][0]["digest"] = format!("{flipped}{}", &d[1..]).into();
        b["dsseEnvelope"]["payload"] = STANDARD.encode(serde_json::to_vec(&st).unwrap()).into();
        let err = check(&serde_json::to_vec(&b).unwrap()).unwrap_err();
        assert!(matches!(err, KeylessError::Verification(_)), "{err:?}");

        // Also a payload with the same statement re-serialized (bytes differ, meaning does not).
        let mut b = bundle_json();
        let st = statement(&b);
        b["dsseEnvelope"]["payload"] = STANDARD.encode(serde_json::to_vec(&st).unwrap()).into();
        let err = check(&serde_json::to_vec(&b).unwrap()).unwrap_err();
        assert!(matches!(err, KeylessError::Verification(_)), "{err:?}");
    }

    #[test]
    fn refuses_a_garbage_trusted_root() {
        let empty = r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#;
        let bad_key = r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"x","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2021-01-12T11:53:27Z"}},"logId":{"keyId":"AAAA"}}],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#;
        let mut roots: Vec<Vec<u8>> = [
            &b""[..],
            b"\xff\xfe",
            b"null",
            b"{}",
            b"[]",
            b"{\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}",
            empty.as_bytes(),
            bad_key.as_bytes(),
            &ROOT[..ROOT.len() / 2],
        ]
        .iter()
        .map(|r| r.to_vec())
        .collect();
        // The real root with one kind of authority removed.
        for key in ["tlogs", "certificateAuthorities", "ctlogs"] {
            let mut r: Value = serde_json::from_slice(ROOT).unwrap();
            r.as_object_mut().unwrap().remove(key);
            roots.push(serde_json::to_vec(&r).unwrap());
        }
        for root in &roots {
            let err = verify(BUNDLE, root, &subject(), IDENTITY, ISSUER).unwrap_err();
            assert!(
                matches!(err, KeylessError::TrustedRoot(_)),
                "{}: {err:?}",
                String::from_utf8_lossy(root)
            );
        }
        // Without its timestamp authorities the root cannot verify the bundle's RFC 3161
        // timestamp; a timestamp that is present must verify, so this fails too.
        let mut r: Value = serde_json::from_slice(ROOT).unwrap();
        r["timestampAuthorities"] = Value::Array(Vec::new());
        let err = verify(
            BUNDLE,
            &serde_json::to_vec(&r).unwrap(),
            &subject(),
            IDENTITY,
            ISSUER,
        )
        .unwrap_err();
        assert!(matches!(err, KeylessError::Verification(_)), "{err:?}");
    }

    /// The vector carries two independent signing times: the Rekor SET (inclusion promise) over
    /// the integrated time, and an RFC 3161 timestamp. Either suffices; with neither there is no
    /// verified time to check the short-lived certificate against.
    #[test]
    fn refuses_a_bundle_without_a_verified_signing_time() {
        let mut b = bundle_json();
        let vm = b["verificationMaterial"].as_object_mut().unwrap();
        vm.remove("timestampVerificationData");
        vm["tlogEntries"][0]
            .as_object_mut()
            .unwrap()
            .remove("inclusionPromise");
        let err = check(&serde_json::to_vec(&b).unwrap()).unwrap_err();
        match &err {
            KeylessError::Verification(msg) => {
                assert!(msg.contains("no verified timestamp"), "{msg}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_other_media_types() {
        for media_type in [
            None,
            Some("application/vnd.dev.sigstore.bundle+json;version=0.2"),
            Some("application/json"),
        ] {
            let mut b = bundle_json();
            match media_type {
                Some(m) => b["mediaType"] = m.into(),
                None => {
                    b.as_object_mut().unwrap().remove("mediaType");
                }
            }
            let err = check(&serde_json::to_vec(&b).unwrap()).unwrap_err();
            assert!(matches!(err, KeylessError::Bundle(_)), "{err:?}");
        }
    }

    #[test]
    fn refuses_bundles_of_other_kinds() {
        for path in [
            "tests/vectors/oms-v1.1.0/elliptic-key/model.sig",
            "tests/vectors/oms-v1.1.0/certificate/model.sig",
        ] {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
            let bytes = std::fs::read(&p).unwrap();
            assert!(check(&bytes).is_err(), "{path}");
        }
    }

    /// Every leaf of the bundle JSON (and of the base64 JSON inside it) replaced by hostile
    /// values, every key removed, every array emptied, and raw truncations and byte garbage:
    /// never a panic, and an acceptance only where the change is not covered by any signature
    /// and carries no trust (see `UNSIGNED`).
    #[test]
    fn never_panics_on_garbage_bundles() {
        let mut inputs: Vec<(String, Vec<u8>)> = [
            &b""[..],
            b"\xff\xfe\x00",
            b"null",
            b"[]",
            b"{}",
            b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
        ]
        .iter()
        .map(|b| (String::from_utf8_lossy(b).into_owned(), b.to_vec()))
        .collect();
        for cut in (0..BUNDLE.len()).step_by(97) {
            inputs.push((format!("first {cut} bytes"), BUNDLE[..cut].to_vec()));
        }
        let base = bundle_json();
        for (at, mutated) in mutations(&base) {
            inputs.push((at, serde_json::to_vec(&mutated).unwrap()));
        }
        // The two base64-wrapped JSON documents: the DSSE statement and the Rekor body.
        for pointer in [
            "/dsseEnvelope/payload",
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
        ] {
            let inner_b64 = base.pointer(pointer).unwrap().as_str().unwrap();
            let inner: Value =
                serde_json::from_slice(&STANDARD.decode(inner_b64).unwrap()).unwrap();
            for (at, m) in mutations(&inner) {
                let mut b = base.clone();
                *b.pointer_mut(pointer).unwrap() =
                    STANDARD.encode(serde_json::to_vec(&m).unwrap()).into();
                inputs.push((format!("{pointer}:{at}"), serde_json::to_vec(&b).unwrap()));
            }
        }
        assert!(inputs.len() > 300, "{}", inputs.len());
        let mut accepted = Vec::new();
        for (at, input) in &inputs {
            if check(input).is_ok() {
                accepted.push(at.clone());
            }
        }
        let unexpected: Vec<_> = accepted
            .iter()
            .filter(|at| !UNSIGNED.iter().any(|u| at.starts_with(u)))
            .collect();
        assert!(unexpected.is_empty(), "accepted: {unexpected:#?}");
    }

    /// Single removals that leave the bundle valid: each drops one of the two signing-time
    /// sources, and the other one still verifies (see
    /// `refuses_a_bundle_without_a_verified_signing_time`).
    const UNSIGNED: &[&str] = &[
        "/verificationMaterial/timestampVerificationData",
        "/verificationMaterial/tlogEntries/0/inclusionPromise = null",
        "/verificationMaterial/tlogEntries/0/inclusionPromise removed",
    ];

    /// Single-point mutations of a JSON document.
    fn mutations(doc: &Value) -> Vec<(String, Value)> {
        let mut pointers = Vec::new();
        collect(doc, String::new(), &mut pointers);
        let hostile = [
            Value::Null,
            Value::from(""),
            Value::from("AAAA"),
            Value::from("!!not base64!!"),
            Value::from(0),
            Value::from(-1),
            Value::from(u64::MAX),
            Value::from(1e300),
            Value::from("18446744073709551616"),
            Value::from("-1"),
            Value::Array(Vec::new()),
            Value::Object(serde_json::Map::new()),
        ];
        let mut out = Vec::new();
        for p in &pointers {
            for h in &hostile {
                let mut m = doc.clone();
                *m.pointer_mut(p).unwrap() = h.clone();
                if m != *doc {
                    out.push((format!("{p} = {h}"), m));
                }
            }
            // Remove the member or element.
            if let Some((parent, last)) = p.rsplit_once('/') {
                let mut m = doc.clone();
                match m.pointer_mut(parent).unwrap() {
                    Value::Object(o) => {
                        o.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Value::Array(a) => {
                        a.remove(last.parse::<usize>().unwrap());
                    }
                    _ => {}
                }
                out.push((format!("{p} removed"), m));
            }
        }
        out
    }

    fn collect(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    collect(child, format!("{at}/{key}"), out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    collect(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        if !at.is_empty() {
            out.push(at);
        }
    }
}
