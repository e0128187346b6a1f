//! `aibom sign --signing-certificate`: a release (a copy of `samples/release`) signed with the
//! OMS certificate method under a CA made at run time ([`crate::pki`]), verified against that
//! CA and refused against another; certificates refused at sign time; a release gate where
//! one role is a key and another a CA; and `aibom revoke --signing-certificate`, counted for a
//! `certificate-ca` revoker only under its CA.

use crate::pki::{self, Ca};
use crate::support::*;
use aibom::sign::keys::SigningKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::fs;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn aibom(args: &[&str]) -> (i32, String, String) {
    aibom_in(args, None)
}

/// A generated release in a scratch directory (`rel/`, AIBOM `model.cdx.json`), a root CA
/// (`root.pem`) with an intermediate (`int.pem`), and a signer `sec` whose key
/// (`sec.key`) the intermediate certified (`sec.crt`).
struct Lab {
    tmp: tempfile::TempDir,
    root: Ca,
    int: Ca,
}

impl Lab {
    fn new() -> Lab {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&samples().join("release"), &tmp.path().join("rel"));
        let root = Ca::root("aibom-test-root");
        let int = root.intermediate("aibom-test-intermediate");
        let lab = Lab { tmp, root, int };
        lab.root.write(&lab.p("root.pem"));
        lab.int.write(&lab.p("int.pem"));
        let key = pki::key_file(&lab.p("sec.key"));
        fs::write(
            lab.p("sec.crt"),
            pki::pem(&lab.int.signing_now("security-signer", &key)),
        )
        .unwrap();
        let bom = lab.p("model.cdx.json");
        let (code, _, err) = aibom_in(
            &[
                "generate",
                "model",
                "--config",
                "aibom.toml",
                "--no-progress",
                "-o",
                s(&bom),
            ],
            Some(&lab.p("rel")),
        );
        assert_eq!(code, 0, "{err}");
        lab
    }

    fn p(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn model(&self) -> PathBuf {
        self.p("rel/model")
    }

    /// `aibom sign` of the model and AIBOM into `<sig>` with the key file `key` and `extra`.
    fn sign(&self, key: &str, sig: &str, extra: &[&str]) -> (i32, String, String) {
        let (k, g, b) = (self.p(key), self.p(sig), self.p("model.cdx.json"));
        let m = self.model();
        let mut a = vec![
            "sign",
            s(&m),
            "--private-key",
            s(&k),
            "--signature",
            s(&g),
            "--bom",
            s(&b),
        ];
        a.extend_from_slice(extra);
        aibom(&a)
    }

    /// `sec.sig` (and its `.bom` and `.release`) signed with `sec.crt` and `int.pem`.
    fn sign_with_certificate(&self) {
        let (crt, int) = (self.p("sec.crt"), self.p("int.pem"));
        let (code, out, err) = self.sign(
            "sec.key",
            "sec.sig",
            &[
                "--signing-certificate",
                s(&crt),
                "--certificate-chain",
                s(&int),
                "--format",
                "json",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["method"], "certificate");
    }

    /// `verify --format json` of the model with the AIBOM, the signatures and `extra`.
    fn verify(&self, sigs: &[&str], extra: &[&str]) -> (i32, serde_json::Value) {
        let (m, b) = (self.model(), self.p("model.cdx.json"));
        let paths: Vec<PathBuf> = sigs.iter().map(|g| self.p(g)).collect();
        let mut a = vec!["verify", s(&m), "--format", "json", "--bom", s(&b)];
        for g in &paths {
            a.extend_from_slice(&["--signature", s(g)]);
        }
        a.extend_from_slice(extra);
        let (code, out, err) = aibom(&a);
        let v = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{code} {out} {err}"));
        (code, v)
    }
}

/// The failing checks of a verdict, as `name subject`.
fn failed(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| format!("{} {}", c["check"].as_str().unwrap(), c["subject"]))
        .collect()
}

fn passed(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == true)
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

/// The DER certificates of a bundle's `x509CertificateChain`, and whether it has any other
/// verification material.
fn chain_of(sig: &Path) -> Vec<Vec<u8>> {
    let b: serde_json::Value = serde_json::from_slice(&fs::read(sig).unwrap()).unwrap();
    let vm = b["verificationMaterial"].as_object().unwrap();
    let mut members: Vec<&str> = vm.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["tlogEntries", "x509CertificateChain"], "{sig:?}");
    assert_eq!(vm["tlogEntries"], serde_json::json!([]));
    vm["x509CertificateChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| B64.decode(c["rawBytes"].as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn a_certificate_signed_release_carries_the_chain_in_every_bundle_and_is_accepted() {
    let lab = Lab::new();
    lab.sign_with_certificate();
    let leaf = fs::read_to_string(lab.p("sec.crt")).unwrap();
    let expected = vec![
        aibom::sign::x509::pem_certificates(&leaf)
            .unwrap()
            .remove(0),
        lab.int.der.clone(),
    ];
    for ext in ["", ".bom", ".release"] {
        assert_eq!(
            chain_of(&lab.p(&format!("sec.sig{ext}"))),
            expected,
            "{ext}"
        );
    }
    let root = lab.p("root.pem");
    let (code, v) = lab.verify(&["sec.sig"], &["--certificate-chain", s(&root)]);
    assert_eq!(code, 0, "{:?}", failed(&v));
    let ok = passed(&v);
    for check in [
        "signature",
        "aibom-bound",
        "release-attestation",
        "release-files",
    ] {
        assert!(ok.iter().any(|c| c == check), "{check}: {ok:?}");
    }
}

#[test]
fn a_certificate_signed_release_is_refused_with_another_ca_even_of_the_same_name() {
    let lab = Lab::new();
    lab.sign_with_certificate();
    let impostor = Ca::root("aibom-test-root");
    impostor.write(&lab.p("impostor.pem"));
    let other = lab.p("impostor.pem");
    let (code, v) = lab.verify(&["sec.sig"], &["--certificate-chain", s(&other)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        failed(&v).iter().any(|c| c.starts_with("signature ")),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn attestations_certified_under_another_ca_are_refused_beside_a_trusted_model_signature() {
    let lab = Lab::new();
    lab.sign_with_certificate();
    // The same key certified by another CA signs the AIBOM and release attestations, which
    // then replace the trusted signer's.
    let other_root = Ca::root("aibom-other-root");
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("sec.key")).unwrap()).unwrap();
    fs::write(
        lab.p("other.crt"),
        pki::pem(&other_root.signing_now("security-signer", &key)),
    )
    .unwrap();
    let crt = lab.p("other.crt");
    let (code, _, err) = lab.sign("sec.key", "other.sig", &["--signing-certificate", s(&crt)]);
    assert_eq!(code, 0, "{err}");
    for ext in [".bom", ".release"] {
        fs::copy(
            lab.p(&format!("other.sig{ext}")),
            lab.p(&format!("sec.sig{ext}")),
        )
        .unwrap();
    }
    let root = lab.p("root.pem");
    let (code, v) = lab.verify(&["sec.sig"], &["--certificate-chain", s(&root)]);
    assert_eq!(code, 1, "{v:#}");
    let f = failed(&v);
    assert!(f.iter().any(|c| c.starts_with("aibom-bound ")), "{f:?}");
    assert!(
        f.iter().any(|c| c.starts_with("release-attestation ")),
        "{f:?}"
    );
    assert!(!f.iter().any(|c| c.starts_with("signature ")), "{f:?}");
}

#[test]
fn sign_refuses_a_certificate_of_another_key_naming_the_file_and_writes_nothing() {
    let lab = Lab::new();
    pki::key_file(&lab.p("other.key"));
    let crt = lab.p("sec.crt");
    let (code, _, err) = lab.sign("other.key", "m.sig", &["--signing-certificate", s(&crt)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(s(&crt)) && err.contains("other.key"), "{err}");
    assert!(
        err.contains("is not the public key of the private key"),
        "{err}"
    );
    assert!(!lab.p("m.sig").exists());
}

#[test]
fn sign_refuses_an_expired_or_not_yet_valid_signing_certificate_naming_the_file() {
    let lab = Lab::new();
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("sec.key")).unwrap()).unwrap();
    let t = pki::now();
    for (name, from, to, says) in [
        ("old.crt", t - 400 * 86_400, t - 35 * 86_400, "expired"),
        (
            "future.crt",
            t + 86_400,
            t + 30 * 86_400,
            "not valid before",
        ),
    ] {
        fs::write(lab.p(name), pki::pem(&lab.int.signing("s", &key, from, to))).unwrap();
        let crt = lab.p(name);
        let (code, _, err) = lab.sign("sec.key", "m.sig", &["--signing-certificate", s(&crt)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(s(&crt)) && err.contains(says), "{err}");
        assert_eq!(err.matches(says).count(), 1, "said once: {err}");
        assert!(!lab.p("m.sig").exists());
    }
    // A chain file without --signing-certificate is a usage error.
    let int = lab.p("int.pem");
    let (code, _, err) = lab.sign("sec.key", "m.sig", &["--certificate-chain", s(&int)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--signing-certificate"), "{err}");
}

#[test]
fn a_release_gate_takes_a_key_signer_and_a_certificate_signer_for_their_roles() {
    let lab = Lab::new();
    keygen(lab.tmp.path(), "mlp");
    let (code, _, err) = lab.sign("mlp.pem", "mlp.sig", &[]);
    assert_eq!(code, 0, "{err}");
    lab.sign_with_certificate();
    let policy = lab.p("policy.toml");
    fs::write(
        &policy,
        "[verify]\n[[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"mlp.pub\"\n\
         [[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"root.pem\"\n",
    )
    .unwrap();
    let pol = ["--policy", s(&policy)];
    let (code, v) = lab.verify(&["mlp.sig", "sec.sig"], &pol);
    assert_eq!(code, 0, "{:?}", failed(&v));
    let roles = v["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 2, "{v:#}");
    assert!(roles.iter().all(|r| r["satisfied"] == true), "{roles:?}");
    let ok = passed(&v);
    assert_eq!(
        ok.iter().filter(|c| *c == "release-attestation").count(),
        2,
        "{ok:?}"
    );

    // Without the certificate signer, its role is missing.
    let (code, v) = lab.verify(&["mlp.sig"], &pol);
    assert_eq!(code, 1, "{v:#}");
    let sec = roles_named(&v, "security");
    assert_eq!(sec["satisfied"], false, "{sec}");

    // A certificate from another CA does not fill the role.
    let other_root = Ca::root("aibom-other-root");
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("sec.key")).unwrap()).unwrap();
    fs::write(
        lab.p("other.crt"),
        pki::pem(&other_root.signing_now("security-signer", &key)),
    )
    .unwrap();
    let crt = lab.p("other.crt");
    let (code, _, err) = lab.sign("sec.key", "sec.sig", &["--signing-certificate", s(&crt)]);
    assert_eq!(code, 0, "{err}");
    let (code, v) = lab.verify(&["mlp.sig", "sec.sig"], &pol);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(roles_named(&v, "security")["satisfied"], false);
}

#[test]
fn one_key_signing_bare_and_in_a_certificate_fills_one_role() {
    // The same private key signs once with its certificate (for the CA role) and once bare
    // (for the key role): one party, so only one role is filled.
    let lab = Lab::new();
    lab.sign_with_certificate();
    let (code, _, err) = lab.sign("sec.key", "bare.sig", &[]);
    assert_eq!(code, 0, "{err}");
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("sec.key")).unwrap()).unwrap();
    fs::write(lab.p("sec.pub"), key.verifying_key().to_pem().unwrap()).unwrap();
    let policy = lab.p("policy.toml");
    fs::write(
        &policy,
        "[verify]\n[[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"root.pem\"\n\
         [[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"sec.pub\"\n",
    )
    .unwrap();
    let (code, v) = lab.verify(&["sec.sig", "bare.sig"], &["--policy", s(&policy)]);
    assert_eq!(code, 1, "{v:#}");
    let filled = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["satisfied"] == true)
        .count();
    assert_eq!(filled, 1, "{v:#}");

    // A policy whose key role holds the key of a certificate it pins as a CA role is refused
    // at load: one signer could fill both.
    fs::write(
        &policy,
        "[verify]\n[[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"sec.crt\"\n\
         [[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"sec.pub\"\n",
    )
    .unwrap();
    let (m, b) = (lab.model(), lab.p("model.cdx.json"));
    let sig = lab.p("sec.sig");
    let (code, _, err) = aibom(&[
        "verify",
        s(&m),
        "--bom",
        s(&b),
        "--signature",
        s(&sig),
        "--policy",
        s(&policy),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the same public key"), "{err}");
}

fn roles_named<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == name)
        .unwrap_or_else(|| panic!("no role {name}: {v:#}"))
}

/// Revocations signed with a certificate: a revoker CA (`revokers.pem`, a root) with an
/// intermediate (`revokers-int.pem`) certifying the key `rev.key` as `security-revoker`
/// (`rev.crt`), and a policy (`policy.toml`) taking the certificate-signed release
/// (`sec.sig`) and counting the revocations in `revoked/` that the revoker CA certifies.
fn revocation_lab() -> (Lab, SigningKey) {
    let lab = Lab::new();
    lab.sign_with_certificate();
    let root = Ca::root("aibom-test-revokers");
    let int = root.intermediate("aibom-test-revokers-intermediate");
    root.write(&lab.p("revokers.pem"));
    int.write(&lab.p("revokers-int.pem"));
    let key = pki::key_file(&lab.p("rev.key"));
    fs::write(
        lab.p("rev.crt"),
        pki::pem(&int.signing_now("security-revoker", &key)),
    )
    .unwrap();
    fs::create_dir(lab.p("revoked")).unwrap();
    fs::write(
        lab.p("policy.toml"),
        "[verify]\nrevocations = \"revoked\"\n\
         [[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"root.pem\"\n\
         [[verify.revoker]]\nrole = \"incident-response\"\ncertificate-ca = \"revokers.pem\"\n",
    )
    .unwrap();
    (lab, key)
}

impl Lab {
    /// `revoke --model-digest <digest>` with the key file `key`, writing `revoked/<out>`.
    fn revoke(&self, digest: &str, key: &str, out: &str, extra: &[&str]) -> (i32, String) {
        let (k, o) = (self.p(key), self.p(&format!("revoked/{out}")));
        let mut a = vec![
            "revoke",
            "--model-digest",
            digest,
            "--reason",
            "CVE-2026-0002 in the tokenizer",
            "--private-key",
            s(&k),
            "-o",
            s(&o),
        ];
        a.extend_from_slice(extra);
        let (code, _, err) = aibom(&a);
        (code, err)
    }

    /// `verify` of `sec.sig` with `policy.toml`: the exit code, the verdict and its model digest.
    fn verify_with_policy(&self) -> (i32, serde_json::Value, String) {
        let policy = self.p("policy.toml");
        let (code, v) = self.verify(&["sec.sig"], &["--policy", s(&policy)]);
        let digest = v["model_digest"].as_str().unwrap_or_default().to_owned();
        (code, v, digest)
    }
}

/// The predicate of a revocation bundle.
fn revocation_predicate(file: &Path) -> serde_json::Value {
    let b: serde_json::Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    let payload = B64
        .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    statement["predicate"].clone()
}

#[test]
fn a_revocation_signed_with_a_certificate_under_the_revokers_ca_refuses_naming_the_revoker() {
    let (lab, _) = revocation_lab();
    let (code, v, digest) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    let (crt, int) = (lab.p("rev.crt"), lab.p("revokers-int.pem"));
    let (code, err) = lab.revoke(
        &digest,
        "rev.key",
        "cve.json",
        &[
            "--signing-certificate",
            s(&crt),
            "--certificate-chain",
            s(&int),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("with certificate 'CN=security-revoker'"),
        "{err}"
    );

    // The bundle carries the certificate and its intermediate, as a signature would, and the
    // revoker it names is the certificate's holder, issuer and key.
    let file = lab.p("revoked/cve.json");
    let der = |p: &Path| aibom::sign::x509::pem_certificates(&fs::read_to_string(p).unwrap());
    let expected = [der(&crt).unwrap(), der(&int).unwrap()].concat();
    assert_eq!(expected.len(), 2);
    assert_eq!(chain_of(&file), expected);
    let revoker = revocation_predicate(&file)["revoker"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("rev.key")).unwrap()).unwrap();
    assert_eq!(
        revoker,
        format!(
            "certificate 'CN=security-revoker' issued by 'CN=aibom-test-revokers-intermediate' (key {})",
            key.verifying_key().hint().unwrap()
        )
    );

    let (code, v, _) = lab.verify_with_policy();
    assert_eq!(code, 1, "{v:#}");
    let revoked = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "release-revoked" && c["ok"] == false)
        .unwrap_or_else(|| panic!("{v:#}"));
    let actual = revoked["actual"].as_str().unwrap();
    assert!(
        actual.contains("incident-response")
            && actual.contains("CN=security-revoker")
            && actual.contains("CVE-2026-0002 in the tokenizer"),
        "{actual}"
    );
}

#[test]
fn a_revocation_certified_by_another_ca_of_the_same_name_is_a_warning_and_does_not_refuse() {
    let (lab, key) = revocation_lab();
    let (code, v, digest) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    // The same revoker key and subject, under a root and intermediate of the same names but
    // other keys.
    let impostor = Ca::root("aibom-test-revokers");
    let impostor_int = impostor.intermediate("aibom-test-revokers-intermediate");
    impostor_int.write(&lab.p("impostor-int.pem"));
    fs::write(
        lab.p("impostor.crt"),
        pki::pem(&impostor_int.signing_now("security-revoker", &key)),
    )
    .unwrap();
    let (crt, int) = (lab.p("impostor.crt"), lab.p("impostor-int.pem"));
    let (code, err) = lab.revoke(
        &digest,
        "rev.key",
        "forged.json",
        &[
            "--signing-certificate",
            s(&crt),
            "--certificate-chain",
            s(&int),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    let checks = v["checks"].as_array().unwrap();
    let warning = checks
        .iter()
        .find(|c| c["check"] == "revocation")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(warning["ok"], false, "{warning}");
    assert_eq!(warning["blocking"], false, "{warning}");
    assert!(
        warning["subject"]
            .as_str()
            .unwrap()
            .ends_with("forged.json"),
        "{warning}"
    );
    let why = warning["actual"].as_str().unwrap();
    assert!(
        why.contains("incident-response: certificate chain")
            && why.contains("signature does not verify"),
        "{why}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "release-revoked" && c["ok"] == true),
        "{v:#}"
    );
}

#[test]
fn revoke_refuses_a_certificate_of_another_key_or_out_of_validity_and_writes_nothing() {
    let (lab, key) = revocation_lab();
    let digest = "ab".repeat(32);
    pki::key_file(&lab.p("other.key"));
    let crt = lab.p("rev.crt");
    let (code, err) = lab.revoke(
        &digest,
        "other.key",
        "r.json",
        &["--signing-certificate", s(&crt)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(s(&crt)) && err.contains("other.key"), "{err}");
    assert!(
        err.contains("is not the public key of the private key"),
        "{err}"
    );
    assert!(!lab.p("revoked/r.json").exists());

    let t = pki::now();
    let old = Ca::root("aibom-test-revokers").signing(
        "security-revoker",
        &key,
        t - 400 * 86_400,
        t - 35 * 86_400,
    );
    fs::write(lab.p("old.crt"), pki::pem(&old)).unwrap();
    let old = lab.p("old.crt");
    let (code, err) = lab.revoke(
        &digest,
        "rev.key",
        "r.json",
        &["--signing-certificate", s(&old)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(s(&old)) && err.contains("expired"), "{err}");
    assert!(!lab.p("revoked/r.json").exists());

    // A chain file without --signing-certificate is a usage error, as for sign.
    let int = lab.p("revokers-int.pem");
    let (code, err) = lab.revoke(
        &digest,
        "rev.key",
        "r.json",
        &["--certificate-chain", s(&int)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--signing-certificate"), "{err}");
    assert!(!lab.p("revoked/r.json").exists());
}

#[test]
fn a_revocation_whose_bundle_lacks_the_intermediate_warns_naming_what_is_missing() {
    let (lab, _) = revocation_lab();
    let (code, v, digest) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    // The certificate alone: the revoker CA file holds only the root, so the chain breaks
    // at the intermediate the bundle does not carry.
    let crt = lab.p("rev.crt");
    let (code, err) = lab.revoke(
        &digest,
        "rev.key",
        "cve.json",
        &["--signing-certificate", s(&crt)],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    let warning = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "revocation")
        .unwrap_or_else(|| panic!("{v:#}"));
    let why = warning["actual"].as_str().unwrap();
    assert!(
        why.contains("does not carry the certificate of 'CN=aibom-test-revokers-intermediate'")
            && why.contains("--certificate-chain"),
        "{why}"
    );
}

#[test]
fn a_revocation_a_public_key_revoker_signed_counts_though_its_bundle_carries_a_certificate() {
    let (lab, _) = revocation_lab();
    let (code, v, digest) = lab.verify_with_policy();
    assert_eq!(code, 0, "{:?}", failed(&v));
    // The revoker is listed by its public key; the revocation is signed by that key with the
    // OMS certificate method.
    keygen(lab.tmp.path(), "pk");
    let key = SigningKey::from_pem(&fs::read_to_string(lab.p("pk.pem")).unwrap()).unwrap();
    let int = Ca::root("aibom-test-other-revokers").intermediate("aibom-test-other-int");
    int.write(&lab.p("other-int.pem"));
    fs::write(
        lab.p("pk.crt"),
        pki::pem(&int.signing_now("security-revoker", &key)),
    )
    .unwrap();
    fs::write(
        lab.p("policy.toml"),
        "[verify]\nrevocations = \"revoked\"\n\
         [[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"root.pem\"\n\
         [[verify.revoker]]\nrole = \"incident-response\"\npublic-key = \"pk.pub\"\n",
    )
    .unwrap();
    let (crt, chain) = (lab.p("pk.crt"), lab.p("other-int.pem"));
    let (code, err) = lab.revoke(
        &digest,
        "pk.pem",
        "cve.json",
        &[
            "--signing-certificate",
            s(&crt),
            "--certificate-chain",
            s(&chain),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = lab.verify_with_policy();
    assert_eq!(code, 1, "{v:#}");
    let revoked = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "release-revoked" && c["ok"] == false)
        .unwrap_or_else(|| panic!("{v:#}"));
    let actual = revoked["actual"].as_str().unwrap();
    assert!(
        actual.contains("incident-response")
            && actual.contains("CVE-2026-0002 in the tokenizer")
            && actual.contains("certificate, not checked"),
        "{actual}"
    );
}
