//! `aibom sign` / `aibom verify`: interop vectors, the tamper matrix, AIBOM binding, the
//! multi-party release gate and the findings policy. Every case runs the real binary.

use crate::support::*;
use base64::Engine;
use std::fs;
use std::path::{Path, PathBuf};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn vectors() -> PathBuf {
    repo().join("tests/vectors")
}

fn aibom(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fresh model directory, a key pair, and a signature with a bound AIBOM.
struct Release {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    model: PathBuf,
    key: PathBuf,
    pubkey: PathBuf,
    sig: PathBuf,
    bom: PathBuf,
}

fn release() -> Release {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let model = dir.join("model");
    fs::create_dir_all(model.join("tokenizer")).unwrap();
    fs::create_dir_all(model.join("a-b")).unwrap();
    for (f, _) in [
        ("README.md", 0),
        ("config.json", 0),
        ("model.safetensors", 0),
    ] {
        fs::copy(samples().join("benign/hf_model").join(f), model.join(f)).unwrap();
    }
    fs::write(model.join("tokenizer/vocab.txt"), "a\nb\n").unwrap();
    fs::write(model.join("a-b/c.txt"), "c").unwrap();
    fs::write(model.join("a.b"), "d").unwrap();
    let key = dir.join("k.pem");
    let pubkey = dir.join("k.pub");
    assert_eq!(
        aibom(&[
            "keygen",
            "--private-key",
            s(&key),
            "--public-key",
            s(&pubkey)
        ])
        .0,
        0
    );
    let bom = dir.join("model.cdx.json");
    assert_eq!(
        aibom(&["generate", s(&model), "-o", s(&bom), "--no-progress"]).0,
        0
    );
    let sig = dir.join("model.sig");
    let (code, _, err) = aibom(&[
        "sign",
        s(&model),
        "--private-key",
        s(&key),
        "--signature",
        s(&sig),
        "--bom",
        s(&bom),
    ]);
    assert_eq!(code, 0, "{err}");
    Release {
        _tmp: tmp,
        dir,
        model,
        key,
        pubkey,
        sig,
        bom,
    }
}

fn verify(r: &Release, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "verify",
        s(&r.model),
        "--signature",
        s(&r.sig),
        "--public-key",
        s(&r.pubkey),
        "--bom",
        s(&r.bom),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = aibom(&args);
    let v = serde_json::from_str(&out).unwrap_or_else(|_| panic!("not JSON: {out} {err}"));
    (code, v)
}

fn failed(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn accepts_an_untouched_release() {
    let r = release();
    let (code, v) = verify(&r, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["accepted"], true);
    assert_eq!(v["signers"][0]["bom_bound"], true);
}

#[test]
fn refuses_each_kind_of_tampering() {
    type Tamper = fn(&Release);
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "byte flipped",
            |r| {
                let p = r.model.join("config.json");
                let mut b = fs::read(&p).unwrap();
                b[3] ^= 1;
                fs::write(p, b).unwrap();
            },
            "file-changed",
        ),
        (
            "file added",
            |r| fs::write(r.model.join("extra.txt"), "x").unwrap(),
            "file-extra",
        ),
        (
            "file removed",
            |r| fs::remove_file(r.model.join("a.b")).unwrap(),
            "file-missing",
        ),
        (
            "file renamed",
            |r| fs::rename(r.model.join("a.b"), r.model.join("renamed.b")).unwrap(),
            "file-renamed",
        ),
        (
            "contents swapped",
            |r| {
                let (a, b) = (r.model.join("a.b"), r.model.join("a-b/c.txt"));
                let (x, y) = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
                fs::write(&a, y).unwrap();
                fs::write(&b, x).unwrap();
            },
            "files-swapped",
        ),
        (
            "symlink added",
            |r| std::os::unix::fs::symlink("/etc/hostname", r.model.join("host")).unwrap(),
            "symlink",
        ),
        (
            "partial download",
            |r| fs::write(r.model.join("model.safetensors.incomplete"), "x").unwrap(),
            "partial-download",
        ),
        (
            "payload edited",
            |r| {
                let mut b: serde_json::Value =
                    serde_json::from_slice(&fs::read(&r.sig).unwrap()).unwrap();
                let payload = B64
                    .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
                    .unwrap();
                let text = String::from_utf8(payload)
                    .unwrap()
                    .replacen("\"a.b\"", "\"a.c\"", 1);
                b["dsseEnvelope"]["payload"] = B64.encode(text).into();
                fs::write(&r.sig, serde_json::to_vec(&b).unwrap()).unwrap();
            },
            "signature",
        ),
        (
            "hint altered",
            |r| {
                let mut b: serde_json::Value =
                    serde_json::from_slice(&fs::read(&r.sig).unwrap()).unwrap();
                b["verificationMaterial"]["publicKey"]["hint"] = "00".repeat(32).into();
                fs::write(&r.sig, serde_json::to_vec(&b).unwrap()).unwrap();
            },
            "signature",
        ),
        (
            "signature truncated",
            |r| {
                let b = fs::read(&r.sig).unwrap();
                fs::write(&r.sig, &b[..b.len() / 2]).unwrap();
            },
            "signature",
        ),
        (
            "media type changed",
            |r| {
                let mut b: serde_json::Value =
                    serde_json::from_slice(&fs::read(&r.sig).unwrap()).unwrap();
                b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
                fs::write(&r.sig, serde_json::to_vec(&b).unwrap()).unwrap();
            },
            "signature",
        ),
        (
            "AIBOM edited",
            |r| {
                let t = fs::read_to_string(&r.bom).unwrap().replacen(
                    "\"aibom:model:kind\"",
                    "\"aibom:model:kinds\"",
                    1,
                );
                fs::write(&r.bom, t).unwrap();
            },
            "aibom-bound",
        ),
        (
            "AIBOM attestation removed",
            |r| fs::remove_file(r.dir.join("model.sig.bom")).unwrap(),
            "aibom-bound",
        ),
    ];
    for (name, tamper, expect) in cases {
        let r = release();
        tamper(&r);
        let (code, v) = verify(&r, &[]);
        assert_eq!(code, 1, "{name}: {v:#}");
        assert_eq!(v["accepted"], false, "{name}");
        let f = failed(&v);
        assert!(
            f.iter().any(|c| c == expect),
            "{name}: expected a failed {expect} check, got {f:?}"
        );
    }
}

#[test]
fn refuses_another_key() {
    let r = release();
    let other = r.dir.join("other.pub");
    aibom(&[
        "keygen",
        "--private-key",
        s(&r.dir.join("other.pem")),
        "--public-key",
        s(&other),
    ]);
    let (code, out, _) = aibom(&[
        "verify",
        s(&r.model),
        "--signature",
        s(&r.sig),
        "--public-key",
        s(&other),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("none of the configured keys"), "{out}");
}

#[test]
fn verifies_signatures_made_by_model_signing_vectors() {
    let v = vectors();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "verify".into(),
            s(&v.join("oms-v1.1.0/elliptic-key")).into(),
            "--signature".into(),
            s(&v.join("oms-v1.1.0/elliptic-key/model.sig")).into(),
            "--public-key".into(),
            s(&v.join("oms-v1.1.0/keys/signing-key-pub.pem")).into(),
            "--ignore-path".into(),
            "ignore-me".into(),
        ],
        vec![
            "verify".into(),
            s(&v.join("oms-v1.1.0/certificate")).into(),
            "--signature".into(),
            s(&v.join("oms-v1.1.0/certificate/model.sig")).into(),
            "--certificate-chain".into(),
            s(&v.join("oms-v1.1.0/keys/ca-cert.pem")).into(),
            "--ignore-path".into(),
            "ignore-me".into(),
        ],
        vec![
            "verify".into(),
            s(&v.join("oms-key-ordering/tiny-model")).into(),
            "--signature".into(),
            s(&v.join("oms-key-ordering/model.sig")).into(),
            "--public-key".into(),
            s(&v.join("oms-key-ordering/key.pub")).into(),
        ],
        vec![
            "verify".into(),
            s(&v.join("oms-key-ordering/tiny-model")).into(),
            "--signature".into(),
            s(&v.join("oms-key-ordering/model.spec-order.sig")).into(),
            "--public-key".into(),
            s(&v.join("oms-key-ordering/key.pub")).into(),
        ],
    ];
    for args in cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = aibom(&a);
        assert_eq!(code, 0, "{args:?}\n{out}\n{err}");
    }
    // The signed ignore_paths name ignore-me, so it may be present without --ignore-path;
    // any other unsigned file is refused.
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("elliptic-key");
    fs::create_dir(&m).unwrap();
    for f in ["signme-1", "signme-2", "ignore-me", "model.sig"] {
        fs::copy(v.join("oms-v1.1.0/elliptic-key").join(f), m.join(f)).unwrap();
    }
    fs::write(m.join("smuggled.bin"), "x").unwrap();
    let (code, out, _) = aibom(&[
        "verify",
        s(&m),
        "--signature",
        s(&m.join("model.sig")),
        "--public-key",
        s(&v.join("oms-v1.1.0/keys/signing-key-pub.pem")),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("smuggled.bin"), "{out}");
    // A keyless bundle is refused, never accepted unchecked.
    let (code, out, _) = aibom(&[
        "verify",
        s(&v.join("oms-v1.1.0/sigstore")),
        "--signature",
        s(&v.join("oms-v1.1.0/sigstore/model.sig")),
        "--public-key",
        s(&v.join("oms-key-ordering/key.pub")),
        "--ignore-path",
        "ignore-me",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_flipped_byte_in_a_vector_model_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("tiny-model");
    fs::create_dir_all(m.join("tokenizer")).unwrap();
    for f in ["model.safetensors", "tokenizer.json", "tokenizer/vocab.txt"] {
        fs::copy(
            vectors().join("oms-key-ordering/tiny-model").join(f),
            m.join(f),
        )
        .unwrap();
    }
    let p = m.join("tokenizer.json");
    let mut b = fs::read(&p).unwrap();
    b[0] ^= 0x20;
    fs::write(&p, b).unwrap();
    let (code, out, _) = aibom(&[
        "verify",
        s(&m),
        "--signature",
        s(&vectors().join("oms-key-ordering/model.sig")),
        "--public-key",
        s(&vectors().join("oms-key-ordering/key.pub")),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("file-changed"), "{out}");
}

fn sign_as(r: &Release, name: &str) -> (PathBuf, PathBuf) {
    let key = r.dir.join(format!("{name}.pem"));
    let pubkey = r.dir.join(format!("{name}.pub"));
    aibom(&[
        "keygen",
        "--private-key",
        s(&key),
        "--public-key",
        s(&pubkey),
        "--curve",
        "p384",
    ]);
    let sig = r.dir.join(format!("{name}.sig"));
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&key),
        "--signature",
        s(&sig),
        "--bom",
        s(&r.bom),
    ]);
    assert_eq!(code, 0, "{err}");
    (sig, pubkey)
}

#[test]
fn release_gate_requires_every_role_and_names_the_missing_one() {
    let r = release();
    let (sec_sig, sec_pub) = sign_as(&r, "security");
    let (_, risk_pub) = sign_as(&r, "risk");
    let policy = r.dir.join("aibom.toml");
    fs::write(
        &policy,
        format!(
            "[verify]\n[[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"security\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"risk\"\npublic-key = \"{}\"\n",
            s(&r.pubkey), s(&sec_pub), s(&risk_pub)
        ),
    )
    .unwrap();
    let base = |sigs: &[&Path]| {
        let mut a = vec![
            "verify".to_owned(),
            s(&r.model).into(),
            "--bom".into(),
            s(&r.bom).into(),
            "--policy".into(),
            s(&policy).into(),
            "--format".into(),
            "json".into(),
        ];
        for sig in sigs {
            a.push("--signature".into());
            a.push(s(sig).into());
        }
        let a2: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, out, err) = aibom(&a2);
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|_| panic!("{out}{err}")),
        )
    };
    // Two of three roles signed: refused, and the verdict names the missing role.
    let (code, v) = base(&[&r.sig, &sec_sig]);
    assert_eq!(code, 1, "{v:#}");
    let missing: Vec<&str> = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["satisfied"] == false)
        .map(|x| x["role"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec!["risk"]);
    // All three: accepted.
    let risk_sig = r.dir.join("risk.sig");
    let (code, v) = base(&[&r.sig, &sec_sig, &risk_sig]);
    assert_eq!(code, 0, "{v:#}");
    // A threshold of 2 accepts two.
    let t =
        fs::read_to_string(&policy)
            .unwrap()
            .replacen("[verify]\n", "[verify]\nthreshold = 2\n", 1);
    fs::write(&policy, t).unwrap();
    let (code, v) = base(&[&r.sig, &sec_sig]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn findings_in_the_aibom_refuse_the_release_unless_excepted_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    fs::create_dir(&model).unwrap();
    fs::copy(
        samples().join("malicious/reduce_os_system_p4.pkl"),
        model.join("weights.pkl"),
    )
    .unwrap();
    let key = tmp.path().join("k.pem");
    let pubkey = tmp.path().join("k.pub");
    aibom(&[
        "keygen",
        "--private-key",
        s(&key),
        "--public-key",
        s(&pubkey),
    ]);
    let bom = tmp.path().join("model.cdx.json");
    assert_eq!(
        aibom(&["generate", s(&model), "-o", s(&bom), "--no-progress"]).0,
        1
    );
    let sig = tmp.path().join("model.sig");
    aibom(&[
        "sign",
        s(&model),
        "--private-key",
        s(&key),
        "--signature",
        s(&sig),
        "--bom",
        s(&bom),
    ]);
    let run = |policy: Option<&Path>| {
        let mut a = vec![
            "verify",
            s(&model),
            "--signature",
            s(&sig),
            "--public-key",
            s(&pubkey),
            "--bom",
            s(&bom),
            "--format",
            "json",
        ];
        if let Some(p) = policy {
            a.push("--policy");
            a.push(s(p));
        }
        let (code, out, _) = aibom(&a);
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        )
    };
    let (code, v) = run(None);
    assert_eq!(code, 1);
    assert!(failed(&v).contains(&"finding".to_owned()), "{v:#}");
    let policy = tmp.path().join("aibom.toml");
    fs::write(&policy, "[verify]\nfail-on = \"critical\"\n[[verify.exception]]\ncode = \"pickle-dangerous-global\"\npath = \"weights.pkl\"\nreason = \"sandboxed loader, ticket SEC-1\"\n[[verify.exception]]\ncode = \"pickle-dangerous-call\"\npath = \"weights.pkl\"\nreason = \"sandboxed loader, ticket SEC-1\"\nexpires = \"2099-12-31\"\n").unwrap();
    let (code, v) = run(Some(&policy));
    assert_eq!(code, 0, "{v:#}");
    // Expired exceptions stop applying.
    fs::write(&policy, "[verify]\n[[verify.exception]]\ncode = \"pickle-dangerous-global\"\npath = \"weights.pkl\"\nreason = \"r\"\nexpires = \"2001-01-01\"\n[[verify.exception]]\ncode = \"pickle-dangerous-call\"\npath = \"weights.pkl\"\nreason = \"r\"\n").unwrap();
    let (code, v) = run(Some(&policy));
    assert_eq!(code, 1, "{v:#}");
    assert!(serde_json::to_string(&v).unwrap().contains("expired"));
}

/// An AIBOM recording an analysis stopped at a limit (high at the default gate) refuses the
/// release under a policy that lets high findings through: what was not read may be the
/// payload. Only an exception for it lets the release through.
#[test]
fn a_limit_recorded_in_the_aibom_refuses_the_release_under_a_critical_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    fs::create_dir(&model).unwrap();
    // A tuple of more items than the stack holds: the analysis stops there.
    let mut b = b"\x80\x02(".to_vec();
    b.resize(b.len() + 1_100_000, b'N');
    b.extend_from_slice(b"t.");
    fs::write(model.join("weights.pkl"), &b).unwrap();
    let (key, pubkey) = (tmp.path().join("k.pem"), tmp.path().join("k.pub"));
    aibom(&[
        "keygen",
        "--private-key",
        s(&key),
        "--public-key",
        s(&pubkey),
    ]);
    let bom = tmp.path().join("model.cdx.json");
    let (code, _, err) = aibom(&["generate", s(&model), "-o", s(&bom), "--no-progress"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        fs::read_to_string(&bom)
            .unwrap()
            .contains("pickle-limit-exceeded")
    );
    let sig = tmp.path().join("model.sig");
    let signed = [
        "sign",
        s(&model),
        "--private-key",
        s(&key),
        "--signature",
        s(&sig),
        "--bom",
        s(&bom),
    ];
    assert_eq!(aibom(&signed).0, 0);
    let policy = tmp.path().join("aibom.toml");
    let verify = |policy_text: &str| {
        fs::write(&policy, policy_text).unwrap();
        let (code, out, _) = aibom(&[
            "verify",
            s(&model),
            "--signature",
            s(&sig),
            "--public-key",
            s(&pubkey),
            "--bom",
            s(&bom),
            "--policy",
            s(&policy),
            "--format",
            "json",
        ]);
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        )
    };
    let (code, v) = verify("[verify]\nfail-on = \"critical\"\n");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(failed(&v), ["finding"], "{v:#}");
    let (code, v) = verify(
        "[verify]\nfail-on = \"critical\"\n[[verify.exception]]\ncode = \"pickle-limit-exceeded\"\npath = \"weights.pkl\"\nreason = \"a vocabulary tuple, read in a sandbox, ticket SEC-2\"\n",
    );
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn signing_refuses_symlinks_and_an_aibom_of_other_files() {
    let r = release();
    let other = r.dir.join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("x.bin"), "x").unwrap();
    let (code, _, err) = aibom(&[
        "sign",
        s(&other),
        "--private-key",
        s(&r.key),
        "--signature",
        s(&r.dir.join("o.sig")),
        "--bom",
        s(&r.bom),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("does not describe"), "{err}");
    std::os::unix::fs::symlink("/etc/hostname", r.model.join("link")).unwrap();
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&r.key),
        "--signature",
        s(&r.dir.join("l.sig")),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let (k, p) = (d.path().join("k.pem"), d.path().join("k.pub"));
    assert_eq!(
        aibom(&["keygen", "--private-key", s(&k), "--public-key", s(&p)]).0,
        0
    );
    assert_eq!(
        fs::metadata(&k).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        fs::read_to_string(&k)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(
        fs::read_to_string(&p)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let before = fs::read(&k).unwrap();
    assert_eq!(
        aibom(&["keygen", "--private-key", s(&k), "--public-key", s(&p)]).0,
        2
    );
    assert_eq!(fs::read(&k).unwrap(), before);
}

#[test]
fn a_missing_signature_file_refuses_the_release() {
    let r = release();
    fs::remove_file(&r.sig).unwrap();
    let (code, v) = verify(&r, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(serde_json::to_string(&v).unwrap().contains("missing"));
}

#[test]
fn verifies_a_keyless_signature_offline_against_a_trusted_root() {
    let v = vectors();
    let model = v.join("oms-v1.1.0/sigstore");
    let sig = model.join("model.sig");
    let root = v.join("sigstore-public-good-trusted_root.json");
    let args = |identity: &str| {
        vec![
            "verify".to_owned(),
            s(&model).into(),
            "--signature".into(),
            s(&sig).into(),
            "--trust-root".into(),
            s(&root).into(),
            "--identity".into(),
            identity.into(),
            "--issuer".into(),
            "https://sigstore.verify.ibm.com/oauth2".into(),
            "--ignore-path".into(),
            "ignore-me".into(),
        ]
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        aibom(&a)
    };
    let (code, out, err) = run(args("stefanb@us.ibm.com"));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run(args("someone@example.com"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("identity"), "{out}");
    // A policy role can require that identity.
    let d = tempfile::tempdir().unwrap();
    let policy = d.path().join("aibom.toml");
    fs::write(
        &policy,
        format!(
            "[verify]\ntrust-root = \"{}\"\n[[verify.signer]]\nrole = \"release\"\nidentity = \"stefanb@us.ibm.com\"\nissuer = \"https://sigstore.verify.ibm.com/oauth2\"\n",
            s(&root)
        ),
    )
    .unwrap();
    let (code, out, err) = aibom(&[
        "verify",
        s(&model),
        "--signature",
        s(&sig),
        "--policy",
        s(&policy),
        "--ignore-path",
        "ignore-me",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("role release"), "{out}");
}

#[test]
fn symlinks_inside_the_model_are_signed_and_accepted_only_when_allowed() {
    let r = release();
    std::os::unix::fs::symlink("a.b", r.model.join("alias.b")).unwrap();
    let sig = r.dir.join("links.sig");
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&r.key),
        "--signature",
        s(&sig),
    ]);
    assert_eq!(code, 2, "refused without --allow-symlinks: {err}");
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&r.key),
        "--signature",
        s(&sig),
        "--allow-symlinks",
    ]);
    assert_eq!(code, 0, "{err}");
    let base = [
        "verify",
        s(&r.model),
        "--signature",
        s(&sig),
        "--public-key",
        s(&r.pubkey),
    ];
    let (code, out, _) = aibom(&base);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("symlink"), "{out}");
    let mut allowed = base.to_vec();
    allowed.push("--allow-symlinks");
    let (code, out, _) = aibom(&allowed);
    assert_eq!(code, 0, "{out}");
    // A link that leaves the directory is refused even when links are allowed.
    std::os::unix::fs::symlink("/etc/hostname", r.model.join("host")).unwrap();
    let (code, out, _) = aibom(&allowed);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_policy_value_that_could_only_fail_later_is_refused_at_load_naming_key_and_file() {
    let r = release();
    let policy = r.dir.join("policy.toml");
    for (body, key) in [
        // Read only by --rescan before: now refused whether or not it rescans.
        (
            "[pickle]\nallow-globals = [\"a..b\"]\n",
            "pickle.allow-globals",
        ),
        // Accepted, then refused every release as "cannot be ordered".
        ("[verify]\nmin-version = \"1.v2\"\n", "verify.min-version"),
    ] {
        fs::write(&policy, body).unwrap();
        let (code, out, err) = aibom(&[
            "verify",
            s(&r.model),
            "--signature",
            s(&r.sig),
            "--public-key",
            s(&r.pubkey),
            "--policy",
            s(&policy),
        ]);
        assert_eq!(code, 2, "{body}: {out}");
        assert!(err.contains("policy.toml") && err.contains(key), "{err}");
    }
}
