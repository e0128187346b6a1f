//! The deploy gate against the December 2026 red-team matrix
//! (research note `verify-red-team-2026-12.md`): every row that was a bug or a design gap, one
//! test each, with inputs built at run time. Every case runs the real binary.

use crate::support::*;
use aibom::sign::{bundle, keys::SigningKey, statement};
use base64::Engine;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn aibom_in(args: &[&str], cwd: Option<&Path>) -> (i32, String, String) {
    let mut c = bin();
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn aibom(args: &[&str]) -> (i32, String, String) {
    aibom_in(args, None)
}

/// Runs `aibom` and kills it after `limit`: `None` when it had to be killed.
fn aibom_within(args: &[&str], limit: Duration) -> Option<(i32, String)> {
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
            return Some((status.code().unwrap_or(-1), out));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The red team's setup: two keys and a small model directory.
struct Lab {
    tmp: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        let lab = Lab {
            tmp: tempfile::tempdir().unwrap(),
        };
        keygen(lab.tmp.path(), "k");
        keygen(lab.tmp.path(), "k2");
        lab
    }

    fn p(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// A model directory: config, tokenizer and a tiny safetensors file.
    fn mk(&self, name: &str) -> PathBuf {
        let m = self.p(name);
        let _ = fs::remove_dir_all(&m);
        fs::create_dir_all(&m).unwrap();
        fs::write(m.join("config.json"), r#"{"model_type":"bert"}"#).unwrap();
        fs::write(m.join("tokenizer.json"), r#"{"version":"1.0"}"#).unwrap();
        let mut h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.to_vec();
        while !h.len().is_multiple_of(8) {
            h.push(b' ');
        }
        let mut st = (h.len() as u64).to_le_bytes().to_vec();
        st.extend_from_slice(&h);
        st.extend_from_slice(&[0u8; 8]);
        fs::write(m.join("model.safetensors"), st).unwrap();
        m
    }

    fn generate(&self, m: &Path, bom: &str) -> PathBuf {
        let out = self.p(bom);
        let (code, _, err) = aibom(&["generate", s(m), "-o", s(&out), "--no-progress"]);
        assert!(code == 0 || code == 1, "{err}");
        out
    }

    /// `aibom sign` with key `key` into `sig`; extra flags appended.
    fn sign(&self, m: &Path, key: &str, sig: &str, extra: &[&str]) -> (i32, String) {
        let mut a = vec![
            "sign".to_owned(),
            s(m).to_owned(),
            "--private-key".into(),
            s(&self.p(&format!("{key}.pem"))).into(),
            "--signature".into(),
            s(&self.p(sig)).into(),
        ];
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, _, err) = aibom(&a);
        (code, err)
    }

    /// `verify --format json` of `m` with `m.sig` and key `k`, extra flags appended.
    fn verify_k(&self, m: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
        let sig = self.p("m.sig");
        let key = self.p("k.pub");
        let mut a = vec![s(m), "--signature", s(&sig), "--public-key", s(&key)];
        a.extend_from_slice(extra);
        verify(&a)
    }

    fn policy(&self, text: &str) -> PathBuf {
        let p = self.p("policy.toml");
        fs::write(&p, text).unwrap();
        p
    }

    /// A forged OMS bundle over `stmt` (JSON), signed with `key` as model-signing would.
    fn forge(&self, key: &str, stmt: &serde_json::Value, sig: &str) -> PathBuf {
        let k = SigningKey::from_pem(&fs::read_to_string(self.p(&format!("{key}.pem"))).unwrap())
            .unwrap();
        let payload = serde_json::to_vec(stmt).unwrap();
        let der = k.sign(&bundle::pae(bundle::PAYLOAD_TYPE, &payload));
        let b = bundle::key_bundle(&payload, &der, &k.verifying_key().hint().unwrap());
        let out = self.p(sig);
        fs::write(&out, serde_json::to_vec(&b).unwrap()).unwrap();
        out
    }
}

/// `aibom verify --format json`: exit code and verdict.
fn verify(args: &[&str]) -> (i32, serde_json::Value) {
    verify_in(args, None)
}

fn verify_in(args: &[&str], cwd: Option<&Path>) -> (i32, serde_json::Value) {
    let mut a = vec!["verify", "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = aibom_in(&a, cwd);
    let v = serde_json::from_str(&out).unwrap_or_else(|_| panic!("exit {code}: {out}{err}"));
    (code, v)
}

/// Kinds of the checks that failed and refuse the release.
fn blocking(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false && c["blocking"] != false)
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

fn payload_of(sig: &Path) -> serde_json::Value {
    let b: serde_json::Value = serde_json::from_slice(&fs::read(sig).unwrap()).unwrap();
    serde_json::from_slice(
        &B64.decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn mkfifo(p: &Path) {
    assert!(
        std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success()
    );
}

// --- B1: one signer's ignores never widen another's approval (4f, 4f2, 4h) ---------------

fn two_role_policy(lab: &Lab) -> PathBuf {
    lab.policy(&format!(
        "[verify]\n[[verify.signer]]\nrole = \"security\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"{}\"\n",
        s(&lab.p("k.pub")),
        s(&lab.p("k2.pub"))
    ))
}

#[test]
fn a_file_one_party_ignores_is_not_approved_by_the_other_party_4f2() {
    let lab = Lab::new();
    let m = lab.mk("m");
    let bom = lab.generate(&m, "bom.json");
    assert_eq!(lab.sign(&m, "k", "security.sig", &["--bom", s(&bom)]).0, 0);
    fs::write(m.join("modeling_evil.py"), "import os; os.system('id')\n").unwrap();
    let (code, err) = lab.sign(
        &m,
        "k2",
        "mlp.sig",
        &["--bom", s(&bom), "--ignore-path", "modeling_evil.py"],
    );
    assert_eq!(code, 0, "{err}");
    let policy = two_role_policy(&lab);
    let signed_ignores = lab.policy(&format!(
        "{}\n",
        fs::read_to_string(&policy).unwrap().replacen(
            "[verify]\n",
            "[verify]\nsigned-ignores = [\"modeling_evil.py\"]\n",
            1
        )
    ));
    // Even when the policy lets signers leave that path out: security's manifest does not
    // cover it, and security never ignored it.
    for p in [&policy, &signed_ignores] {
        let (code, v) = verify(&[
            s(&m),
            "--signature",
            s(&lab.p("security.sig")),
            "--signature",
            s(&lab.p("mlp.sig")),
            "--bom",
            s(&bom),
            "--policy",
            s(p),
        ]);
        assert_eq!(code, 1, "{v:#}");
        let security = &v["roles"][0];
        assert_eq!(security["role"], "security");
        assert_eq!(security["satisfied"], false, "{v:#}");
    }
}

#[test]
fn a_forged_statement_that_ignores_an_added_file_does_not_satisfy_the_other_role_4f() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "security.sig", &[]).0, 0);
    fs::write(m.join("modeling_evil.py"), "x").unwrap();
    let mut stmt = payload_of(&lab.p("security.sig"));
    stmt["predicate"]["serialization"]["ignore_paths"] =
        serde_json::json!([".git", "modeling_evil.py"]);
    lab.forge("k2", &stmt, "mlp.sig");
    let policy = two_role_policy(&lab);
    let (code, v) = verify(&[
        s(&m),
        "--signature",
        s(&lab.p("security.sig")),
        "--signature",
        s(&lab.p("mlp.sig")),
        "--policy",
        s(&policy),
    ]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["roles"][0]["satisfied"], false, "{v:#}");
}

#[test]
fn an_extra_trusted_key_cannot_widen_the_role_signature_4h() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "release.sig", &[]).0, 0);
    fs::write(m.join("modeling_evil.py"), "x").unwrap();
    assert_eq!(
        lab.sign(&m, "k2", "ci.sig", &["--ignore-path", "modeling_evil.py"])
            .0,
        0
    );
    let policy = lab.policy(&format!(
        "[verify]\nsigned-ignores = [\"modeling_evil.py\"]\n[[verify.signer]]\nrole = \"release\"\npublic-key = \"{}\"\n",
        s(&lab.p("k.pub"))
    ));
    let (code, v) = verify(&[
        s(&m),
        "--signature",
        s(&lab.p("release.sig")),
        "--signature",
        s(&lab.p("ci.sig")),
        "--public-key",
        s(&lab.p("k2.pub")),
        "--policy",
        s(&policy),
    ]);
    assert_eq!(code, 1, "{v:#}");
    // Without roles, every signature must hold on its own.
    let (code, v) = verify(&[
        s(&m),
        "--signature",
        s(&lab.p("release.sig")),
        "--signature",
        s(&lab.p("ci.sig")),
        "--public-key",
        s(&lab.p("k.pub")),
        "--public-key",
        s(&lab.p("k2.pub")),
    ]);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"file-extra".to_owned()), "{v:#}");
}

// --- B2: no implicit trust (4e) ----------------------------------------------------------

#[test]
fn verify_never_reads_an_aibom_toml_from_the_working_directory_4e() {
    let lab = Lab::new();
    let m = lab.mk("m");
    fs::write(m.join("modeling_evil.py"), "x").unwrap();
    fs::copy(lab.p("k2.pub"), m.join("attacker.pub")).unwrap();
    fs::write(
        m.join("aibom.toml"),
        "[verify]\n[[verify.signer]]\nrole = \"release\"\npublic-key = \"attacker.pub\"\n",
    )
    .unwrap();
    assert_eq!(lab.sign(&m, "k2", "attacker.sig", &[]).0, 0);
    let (code, v) = verify_in(
        &[
            ".",
            "--signature",
            s(&lab.p("attacker.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
        ],
        Some(&m),
    );
    assert_eq!(code, 1, "{v:#}");
    assert!(v["roles"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn a_policy_or_key_inside_the_verified_directory_is_refused_4e() {
    let lab = Lab::new();
    let m = lab.mk("m");
    fs::copy(lab.p("k2.pub"), m.join("attacker.pub")).unwrap();
    fs::write(
        m.join("aibom.toml"),
        format!(
            "[verify]\n[[verify.signer]]\nrole = \"release\"\npublic-key = \"{}\"\n",
            s(&lab.p("k.pub"))
        ),
    )
    .unwrap();
    assert_eq!(lab.sign(&m, "k2", "attacker.sig", &[]).0, 0);
    let sig = lab.p("attacker.sig");
    let policy = m.join("aibom.toml");
    let key = m.join("attacker.pub");
    for args in [
        vec![s(&m), "--signature", s(&sig), "--policy", s(&policy)],
        vec![s(&m), "--signature", s(&sig), "--public-key", s(&key)],
    ] {
        let mut a = vec!["verify"];
        a.extend(args);
        let (code, _, err) = aibom(&a);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("inside the directory being verified"), "{err}");
    }
}

// --- B3: one content type, and the statement read is the one verified (3r, 3r2, 3s) -----

#[test]
fn a_bundle_with_a_message_signature_beside_the_envelope_is_refused_3r() {
    let v = repo().join("tests/vectors");
    let model = v.join("oms-v1.1.0/sigstore");
    let mut b: serde_json::Value =
        serde_json::from_slice(&fs::read(model.join("model.sig")).unwrap()).unwrap();
    let d = tempfile::tempdir().unwrap();
    for (name, digest) in [
        (
            "hybrid.sig",
            serde_json::json!({"algorithm": "SHA2_256", "digest": B64.encode([0u8; 32])}),
        ),
        ("hybrid-nodigest.sig", serde_json::Value::Null),
    ] {
        // messageSignature listed first: a Sigstore library would verify that one.
        let mut hybrid = serde_json::Map::new();
        hybrid.insert("mediaType".into(), b["mediaType"].clone());
        hybrid.insert(
            "verificationMaterial".into(),
            b["verificationMaterial"].clone(),
        );
        let mut ms = serde_json::json!({"signature": B64.encode(b"sig")});
        if !digest.is_null() {
            ms["messageDigest"] = digest;
        }
        hybrid.insert("messageSignature".into(), ms);
        hybrid.insert("dsseEnvelope".into(), b["dsseEnvelope"].take());
        b["dsseEnvelope"] = hybrid["dsseEnvelope"].clone();
        let sig = d.path().join(name);
        fs::write(&sig, serde_json::to_vec(&hybrid).unwrap()).unwrap();
        let (code, v) = verify(&[
            s(&model),
            "--signature",
            s(&sig),
            "--trust-root",
            s(&v.join("sigstore-public-good-trusted_root.json")),
            "--identity",
            "stefanb@us.ibm.com",
            "--issuer",
            "https://sigstore.verify.ibm.com/oauth2",
            "--ignore-path",
            "ignore-me",
        ]);
        assert_eq!(code, 1, "{v:#}");
        let why = v["signers"][0]["error"].as_str().unwrap();
        assert!(why.contains("messageSignature"), "{name}: {why}");
    }
}

#[test]
fn a_signed_statement_that_lists_nothing_and_ignores_everything_is_refused_3s() {
    let lab = Lab::new();
    let m = lab.mk("m");
    fs::write(m.join("evil.py"), "x").unwrap();
    let ignore: Vec<String> = fs::read_dir(&m)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let stmt: serde_json::Value =
        serde_json::from_slice(&statement::model_statement("m", &[], &ignore, false).unwrap())
            .unwrap();
    let sig = lab.forge("k", &stmt, "m.sig");
    let (code, v) = verify(&[
        s(&m),
        "--signature",
        s(&sig),
        "--public-key",
        s(&lab.p("k.pub")),
    ]);
    assert_eq!(code, 1, "{v:#}");
    let failed = blocking(&v);
    assert!(failed.contains(&"manifest-empty".to_owned()), "{failed:?}");
    assert!(failed.contains(&"file-extra".to_owned()), "{failed:?}");
}

// --- B4: one signer fills one role (4d-samekey, 4d-samekey-copy, 4d-duprole, 4g) ---------

#[test]
fn one_key_under_two_roles_is_refused_at_policy_load_4d_samekey() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    fs::copy(lab.p("k.pub"), lab.p("security.pub")).unwrap();
    for second in ["k.pub", "security.pub"] {
        let policy = lab.policy(&format!(
            "[verify]\n[[verify.signer]]\nrole = \"ml-platform\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"security\"\npublic-key = \"{}\"\n",
            s(&lab.p("k.pub")),
            s(&lab.p(second))
        ));
        let (code, _, err) = aibom(&[
            "verify",
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--policy",
            s(&policy),
        ]);
        assert_eq!(code, 2, "{second}: {err}");
        assert!(err.contains("allow-overlapping-roles"), "{err}");
        // Allowed explicitly, the two roles still need two signers.
        let allowed = fs::read_to_string(&policy).unwrap().replacen(
            "[verify]\n",
            "[verify]\nallow-overlapping-roles = true\n",
            1,
        );
        fs::write(&policy, allowed).unwrap();
        let (code, v) = verify(&[
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--signature",
            s(&lab.p("m.sig")),
            "--policy",
            s(&policy),
        ]);
        assert_eq!(code, 1, "{second}: {v:#}");
        let filled = v["roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["satisfied"] == true)
            .count();
        assert_eq!(filled, 1, "{v:#}");
    }
}

#[test]
fn a_role_listed_twice_is_refused_4d_duprole() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    let policy = lab.policy(&format!(
        "[verify]\nthreshold = 2\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"{0}\"\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"{0}\"\n",
        s(&lab.p("k.pub"))
    ));
    let (code, _, err) = aibom(&[
        "verify",
        s(&m),
        "--signature",
        s(&lab.p("m.sig")),
        "--policy",
        s(&policy),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("twice"), "{err}");
}

#[test]
fn a_ca_role_and_its_sub_ca_role_are_not_filled_by_one_leaf_4g() {
    let v = repo().join("tests/vectors/oms-v1.1.0");
    let lab = Lab::new();
    let policy = lab.policy(&format!(
        "[verify]\n[[verify.signer]]\nrole = \"security\"\ncertificate-ca = \"{}\"\n[[verify.signer]]\nrole = \"risk\"\ncertificate-ca = \"{}\"\n",
        s(&v.join("keys/ca-cert.pem")),
        s(&v.join("keys/int-ca-cert.pem"))
    ));
    let args = |p: &Path| {
        vec![
            "verify".to_owned(),
            s(&v.join("certificate")).into(),
            "--signature".into(),
            s(&v.join("certificate/model.sig")).into(),
            "--ignore-path".into(),
            "ignore-me".into(),
            "--policy".into(),
            s(p).into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let a = args(&policy);
    let (code, _, err) = aibom(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sub-CA"), "{err}");
    let allowed = fs::read_to_string(&policy).unwrap().replacen(
        "[verify]\n",
        "[verify]\nallow-overlapping-roles = true\n",
        1,
    );
    fs::write(&policy, allowed).unwrap();
    let (code, out, err) = aibom(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let filled = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["satisfied"] == true)
        .count();
    assert_eq!(filled, 1, "{v:#}");
}

// --- B5: FIFOs, sockets and devices are refused (2f, 2g, 2h) -----------------------------

#[test]
fn fifos_sockets_and_device_nodes_in_the_directory_are_refused_2f_2g_2h() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    let run = || lab.verify_k(&m, &[]);
    mkfifo(&m.join("tokenizer_config.json"));
    let (code, v) = run();
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"special-file".to_owned()), "{v:#}");
    fs::remove_file(m.join("tokenizer_config.json")).unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(m.join("sock")).unwrap();
    let (code, v) = run();
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"special-file".to_owned()), "{v:#}");
    fs::remove_file(m.join("sock")).unwrap();
    // A /dev/zero clone needs the right to create device nodes.
    let made = std::process::Command::new("mknod")
        .arg(m.join("pytorch_model.bin"))
        .args(["c", "1", "5"])
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let (code, v) = run();
        assert_eq!(code, 1, "{v:#}");
        assert!(blocking(&v).contains(&"special-file".to_owned()), "{v:#}");
    }
}

// --- B6: a file swapped for a link to /dev/zero never hangs verify (2r-zero) -------------

#[test]
fn a_listed_file_swapped_for_a_link_to_dev_zero_is_refused_not_read_forever_2r_zero() {
    // Deterministic form of the race: with one hashing thread, files are hashed largest
    // first, so a.bin is opened only after big.bin (64 MiB, sparse) has been read; it is
    // swapped for a link to /dev/zero once verify has big.bin open (after the walk listed
    // a.bin as a regular file). A fixed sleep lost the race to a release build.
    let lab = Lab::new();
    let m = lab.mk("m");
    fs::File::create(m.join("big.bin"))
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    fs::write(m.join("a.bin"), "x").unwrap();
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    let mut child = bin()
        .env("RAYON_NUM_THREADS", "1")
        .args([
            "verify",
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (polling its open files) until verify is hashing big.bin.
    let fds = format!("/proc/{}/fd", child.id());
    let hashing_big = || {
        fs::read_dir(&fds).is_ok_and(|d| {
            d.flatten()
                .any(|e| fs::read_link(e.path()).is_ok_and(|t| t.ends_with("big.bin")))
        })
    };
    let waiting = Instant::now();
    while !hashing_big() && waiting.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_micros(100));
    }
    let tmp = m.join(".swap");
    std::os::unix::fs::symlink("/dev/zero", &tmp).unwrap();
    fs::rename(&tmp, m.join("a.bin")).unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("verify read /dev/zero through a swapped-in link");
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed = blocking(&v);
    // Normally caught at open (file-unstable); if the walk was slower than the sleep, the
    // link itself is reported.
    assert!(
        failed
            .iter()
            .any(|c| c == "file-unstable" || c == "symlink"),
        "{failed:?}"
    );
}

// --- B7 / D5: side inputs are regular and capped; unsigned files are not read -------------

#[test]
fn a_fifo_as_attestation_or_aibom_and_dev_zero_as_signature_are_refused_promptly_6a_6b2_6b() {
    let lab = Lab::new();
    let m = lab.mk("m");
    let bom = lab.generate(&m, "bom.json");
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    let base = |sig: &Path, bom: &Path| {
        aibom_within(
            &[
                "verify",
                s(&m),
                "--signature",
                s(sig),
                "--public-key",
                s(&lab.p("k.pub")),
                "--bom",
                s(bom),
            ],
            Duration::from_secs(20),
        )
    };
    // 6a: <signature>.bom is a FIFO.
    let att = lab.p("m.sig.bom");
    fs::remove_file(&att).unwrap();
    mkfifo(&att);
    let r = base(&lab.p("m.sig"), &bom).expect("verify hung on a FIFO attestation");
    assert_eq!(r.0, 1, "{}", r.1);
    assert!(r.1.contains("FIFO"), "{}", r.1);
    // 6b2: --bom is a FIFO.
    let fifo_bom = lab.p("bom.fifo");
    mkfifo(&fifo_bom);
    let r = base(&lab.p("m.sig"), &fifo_bom).expect("verify hung on a FIFO AIBOM");
    assert_eq!(r.0, 2, "{}", r.1);
    // 6b: --signature is a link to /dev/zero.
    let zero = lab.p("zero.sig");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let r = base(&zero, &bom).expect("verify read /dev/zero");
    assert_eq!(r.0, 1, "{}", r.1);
}

#[test]
fn an_extra_file_is_refused_without_being_read_2o() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    // Sparse: 64 GiB that take no disk, and minutes to hash.
    let f = fs::File::create(m.join("huge.bin")).unwrap();
    f.set_len(64 << 30).unwrap();
    let start = Instant::now();
    let r = aibom_within(
        &[
            "verify",
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
            "--format",
            "json",
        ],
        Duration::from_secs(30),
    )
    .expect("verify hashed the extra file");
    assert_eq!(r.0, 1, "{}", r.1);
    assert!(r.1.contains("not read"), "{}", r.1);
    assert!(start.elapsed() < Duration::from_secs(30));
}

// --- B8: allow-unsigned files are left out of the AIBOM comparison (4a6) ------------------

#[test]
fn files_allowed_unsigned_are_not_required_in_the_aibom_4a6() {
    let lab = Lab::new();
    let m = lab.mk("m");
    let bom = lab.generate(&m, "bom.json");
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    fs::create_dir(m.join("logs")).unwrap();
    fs::write(m.join("logs/run.log"), "run\n").unwrap();
    let policy = lab.policy("[verify]\nallow-unsigned = [\"logs/**\"]\n");
    let (code, v) = lab.verify_k(&m, &["--bom", s(&bom), "--policy", s(&policy)]);
    assert_eq!(code, 0, "{v:#}");
}

// --- B9: a missing or invalid signature is counted, the threshold decides (4i, 4i2) ------

#[test]
fn a_missing_or_garbage_signature_does_not_defeat_a_met_threshold_4i_4i2() {
    let lab = Lab::new();
    keygen(lab.tmp.path(), "k3");
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "a.sig", &[]).0, 0);
    assert_eq!(lab.sign(&m, "k2", "b.sig", &[]).0, 0);
    let policy = lab.policy(&format!(
        "[verify]\nthreshold = 2\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"b\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"c\"\npublic-key = \"{}\"\n",
        s(&lab.p("k.pub")),
        s(&lab.p("k2.pub")),
        s(&lab.p("k3.pub"))
    ));
    let run = || {
        verify(&[
            s(&m),
            "--signature",
            s(&lab.p("a.sig")),
            "--signature",
            s(&lab.p("b.sig")),
            "--signature",
            s(&lab.p("c.sig")),
            "--policy",
            s(&policy),
        ])
    };
    let (code, v) = run();
    assert_eq!(code, 0, "missing c.sig: {v:#}");
    assert_eq!(v["signers"][2]["valid"], false);
    assert_eq!(v["roles"][2]["satisfied"], false, "{v:#}");
    fs::write(lab.p("c.sig"), "garbage").unwrap();
    let (code, v) = run();
    assert_eq!(code, 0, "garbage c.sig: {v:#}");
    // Below the threshold it is refused, and says which role is missing.
    fs::remove_file(lab.p("b.sig")).unwrap();
    let (code, v) = run();
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"approvals".to_owned()), "{v:#}");
}

// --- B10: sign refuses what verify would refuse (1s-odd-names) ----------------------------

#[test]
fn sign_refuses_names_verify_cannot_accept_and_names_the_file_1s() {
    for odd in ["a\\b.bin", "C:x.bin"] {
        let lab = Lab::new();
        let m = lab.mk("m");
        fs::write(m.join(odd), "x").unwrap();
        let (code, err) = lab.sign(&m, "k", "m.sig", &[]);
        assert_eq!(code, 2, "{odd}: {err}");
        assert!(err.contains(&odd.replace('\\', "\\\\")), "{odd}: {err}");
        assert!(!lab.p("m.sig").exists());
    }
}

// --- B11: ignored subtrees are pruned, not walked (2m, 2n) -------------------------------

#[test]
fn odd_names_under_git_do_not_refuse_the_release_2m() {
    use std::os::unix::ffi::OsStrExt;
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    fs::create_dir_all(m.join(".git")).unwrap();
    fs::write(
        m.join(".git").join(std::ffi::OsStr::from_bytes(b"\xff")),
        "x",
    )
    .unwrap();
    let (code, v) = lab.verify_k(&m, &[]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn an_unreadable_directory_under_git_is_never_entered_2n() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    fs::set_permissions(lab.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    for p in [lab.p("m.sig"), lab.p("k.pub")] {
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    }
    fs::create_dir_all(m.join(".git/locked")).unwrap();
    fs::write(m.join(".git/locked/x"), "x").unwrap();
    fs::set_permissions(m.join(".git/locked"), fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any directory: run as nobody when possible, so the permission bites.
    let mut c = if running_as_root() && Path::new("/usr/bin/setpriv").exists() {
        let mut c = std::process::Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_aibom"));
        c
    } else {
        bin()
    };
    let out = c
        .args([
            "verify",
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
        ])
        .output()
        .unwrap();
    fs::set_permissions(m.join(".git/locked"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the tests run as root (the owner of `/proc/self` is uid 0).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

// --- B12: names are escaped in the human output (6c) --------------------------------------

#[test]
fn a_file_name_cannot_inject_lines_or_escapes_into_the_human_verdict_6c() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    fs::write(
        m.join("x\nok   files              the directory\nm: ACCEPTED\n\x1b[8m"),
        "",
    )
    .unwrap();
    let (code, out, _) = aibom(&[
        "verify",
        s(&m),
        "--signature",
        s(&lab.p("m.sig")),
        "--public-key",
        s(&lab.p("k.pub")),
    ]);
    assert_eq!(code, 1);
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(!out.lines().any(|l| l.ends_with(": ACCEPTED")), "{out}");
    assert!(out.contains("x\\nok   files"), "{out}");
}

#[test]
fn scan_human_output_escapes_file_names_6c() {
    let d = tempfile::tempdir().unwrap();
    fs::copy(
        samples().join("malicious/reduce_os_system_p4.pkl"),
        d.path().join("w\n\x1b[8mhidden\u{202e}lkp.pkl"),
    )
    .unwrap();
    let (_, out, _) = aibom(&["scan", "--no-progress", s(d.path())]);
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(!out.contains('\u{202e}'), "{out:?}");
    assert!(
        out.contains("w\\n\\u{1b}[8mhidden\\u{202e}lkp.pkl"),
        "{out}"
    );
}

// --- B13: the signed allow_symlinks binds; the README states the hint rule (2b-flag, 3a) --

#[test]
fn allow_symlinks_at_verify_alone_does_not_accept_links_signed_without_it_2b_flag() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    fs::create_dir(m.join(".git")).unwrap();
    fs::rename(m.join("model.safetensors"), m.join(".git/blob")).unwrap();
    std::os::unix::fs::symlink(".git/blob", m.join("model.safetensors")).unwrap();
    let (code, v) = lab.verify_k(&m, &["--allow-symlinks"]);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"symlink".to_owned()), "{v:#}");
}

#[test]
fn a_bundle_without_a_key_hint_is_verified_with_the_configured_key_as_the_readme_says_3a() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    for hint in [None, Some("")] {
        let mut b: serde_json::Value =
            serde_json::from_slice(&fs::read(lab.p("m.sig")).unwrap()).unwrap();
        match hint {
            None => {
                b["verificationMaterial"]["publicKey"]
                    .as_object_mut()
                    .unwrap()
                    .remove("hint");
            }
            Some(h) => b["verificationMaterial"]["publicKey"]["hint"] = h.into(),
        }
        let sig = lab.p("nohint.sig");
        fs::write(&sig, serde_json::to_vec(&b).unwrap()).unwrap();
        let (code, v) = verify(&[
            s(&m),
            "--signature",
            s(&sig),
            "--public-key",
            s(&lab.p("k.pub")),
        ]);
        assert_eq!(code, 0, "{v:#}");
        let (code, v) = verify(&[
            s(&m),
            "--signature",
            s(&sig),
            "--public-key",
            s(&lab.p("k2.pub")),
        ]);
        assert_eq!(code, 1, "{v:#}");
    }
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains("`publicKey.hint`, if present, must name it"),
        "the README must state the hint rule verify applies"
    );
}

// --- B14: real dates only (4c3) ----------------------------------------------------------

#[test]
fn an_exception_that_expires_on_an_impossible_date_is_a_policy_error_4c3() {
    let lab = Lab::new();
    let m = lab.p("m");
    fs::create_dir(&m).unwrap();
    fs::copy(
        samples().join("malicious/reduce_os_system_p4.pkl"),
        m.join("weights.pkl"),
    )
    .unwrap();
    let bom = lab.generate(&m, "bom.json");
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    for date in ["9999-99-99", "2026-99-99", "2027-02-29"] {
        let mut text = "[verify]\n".to_owned();
        for c in ["pickle-dangerous-global", "pickle-dangerous-call"] {
            text.push_str(&format!(
                "[[verify.exception]]\ncode = \"{c}\"\npath = \"weights.pkl\"\nreason = \"r\"\nexpires = \"{date}\"\n"
            ));
        }
        let policy = lab.policy(&text);
        let (code, _, err) = aibom(&[
            "verify",
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
            "--bom",
            s(&bom),
            "--policy",
            s(&policy),
        ]);
        assert_eq!(code, 2, "{date}: {err}");
        assert!(err.contains("not a calendar date"), "{err}");
    }
}

// --- D2: the findings gate cannot be skipped (4c8, 6d, rescan) ----------------------------

fn malicious_release(lab: &Lab) -> (PathBuf, PathBuf) {
    let m = lab.p("m");
    fs::create_dir(&m).unwrap();
    fs::copy(
        samples().join("malicious/reduce_os_system_p4.pkl"),
        m.join("weights.pkl"),
    )
    .unwrap();
    let bom = lab.generate(&m, "bom.json");
    (m, bom)
}

#[test]
fn the_policy_can_require_the_aibom_so_findings_are_always_checked_4c8() {
    let lab = Lab::new();
    let (m, bom) = malicious_release(&lab);
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    let policy = lab.policy("[verify]\nrequire-bom = true\nfail-on = \"high\"\n");
    let (code, v) = lab.verify_k(&m, &["--policy", s(&policy)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"aibom-required".to_owned()), "{v:#}");
}

#[test]
fn a_finding_with_an_unknown_severity_fails_closed_6d() {
    let lab = Lab::new();
    let (m, bom) = malicious_release(&lab);
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&bom).unwrap()).unwrap();
    for v in doc["vulnerabilities"].as_array_mut().unwrap() {
        for r in v["ratings"].as_array_mut().unwrap() {
            r["severity"] = "unknown".into();
        }
    }
    fs::write(&bom, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    let (code, v) = lab.verify_k(&m, &["--bom", s(&bom)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"finding".to_owned()), "{v:#}");
}

#[test]
fn rescan_refuses_findings_the_signed_aibom_does_not_record() {
    let lab = Lab::new();
    let (m, bom) = malicious_release(&lab);
    // An AIBOM that describes the files but leaves the findings out, signed as is.
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&bom).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("vulnerabilities");
    fs::write(&bom, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let (code, err) = lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]);
    assert_eq!(code, 0, "{err}");
    let (sig, key) = (lab.p("m.sig"), lab.p("k.pub"));
    let base = [
        s(&m),
        "--signature",
        s(&sig),
        "--public-key",
        s(&key),
        "--bom",
        s(&bom),
    ];
    let (code, v) = verify(&base);
    assert_eq!(
        code, 0,
        "without --rescan the recorded findings are trusted: {v:#}"
    );
    let mut rescan = base.to_vec();
    rescan.push("--rescan");
    let (code, v) = verify(&rescan);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"rescan-finding".to_owned()), "{v:#}");
    // A clean release passes a rescan.
    let lab2 = Lab::new();
    let m2 = lab2.mk("m");
    let bom2 = lab2.generate(&m2, "bom.json");
    assert_eq!(lab2.sign(&m2, "k", "m.sig", &["--bom", s(&bom2)]).0, 0);
    let (code, v) = verify(&[
        s(&m2),
        "--signature",
        s(&lab2.p("m.sig")),
        "--public-key",
        s(&lab2.p("k.pub")),
        "--bom",
        s(&bom2),
        "--rescan",
    ]);
    assert_eq!(code, 0, "{v:#}");
}

// --- D7: `*` stays within one path component (4a1, 4a2) ----------------------------------

#[test]
fn allow_unsigned_star_does_not_cross_directories_4a1_4a2() {
    for (glob, extra) in [
        ("logs/*", "logs/sub/modeling_evil.py"),
        ("*.txt", "sub/evil.txt"),
    ] {
        let lab = Lab::new();
        let m = lab.mk("m");
        assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
        fs::create_dir_all(m.join(extra).parent().unwrap()).unwrap();
        fs::write(m.join(extra), "x").unwrap();
        let policy = lab.policy(&format!("[verify]\nallow-unsigned = [\"{glob}\"]\n"));
        let (code, v) = lab.verify_k(&m, &["--policy", s(&policy)]);
        assert_eq!(code, 1, "{glob} admitted {extra}: {v:#}");
    }
}

// --- D1: rollback pins (5a, 3e3) ---------------------------------------------------------

#[test]
fn the_policy_pins_the_model_name_and_a_minimum_version_5a_3e3() {
    let lab = Lab::new();
    let m = lab.mk("m");
    // v1: an older release, validly signed.
    fs::write(
        lab.p("v1.toml"),
        "[model]\nname = \"org/model\"\nversion = \"1.2.0\"\n",
    )
    .unwrap();
    let bom = lab.p("bom.json");
    let (code, _, err) = aibom(&[
        "generate",
        s(&m),
        "-o",
        s(&bom),
        "--no-progress",
        "--config",
        s(&lab.p("v1.toml")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    let run = |policy: &str| {
        let p = lab.policy(policy);
        lab.verify_k(&m, &["--bom", s(&bom), "--policy", s(&p)])
    };
    let (code, v) = run("[verify]\nmin-version = \"1.2\"\nmodel-name = \"m\"\n");
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = run("[verify]\nmin-version = \"1.3\"\n");
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"model-version".to_owned()), "{v:#}");
    let (code, v) = run("[verify]\nmodel-name = \"other-model\"\n");
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"model-name".to_owned()), "{v:#}");
    // An exact pin, for versions without an order (a hub revision).
    let (code, v) = run("[verify]\nversion = \"1.2.0\"\n");
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = run("[verify]\nversion = \"0123abc\"\n");
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"model-version".to_owned()), "{v:#}");
    // A key signature carries no verified time: a maximum age cannot be met.
    let (code, v) = run("[verify]\nmax-signature-age = \"3650d\"\n");
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"signature-age".to_owned()), "{v:#}");
}

#[test]
fn a_keyless_signature_is_held_to_the_maximum_age_by_its_verified_time() {
    let v = repo().join("tests/vectors");
    let d = tempfile::tempdir().unwrap();
    let run = |age: &str| {
        let policy = d.path().join("policy.toml");
        fs::write(
            &policy,
            format!(
                "[verify]\nmax-signature-age = \"{age}\"\ntrust-root = \"{}\"\n[[verify.signer]]\nrole = \"release\"\nidentity = \"stefanb@us.ibm.com\"\nissuer = \"https://sigstore.verify.ibm.com/oauth2\"\n",
                s(&v.join("sigstore-public-good-trusted_root.json"))
            ),
        )
        .unwrap();
        verify(&[
            s(&v.join("oms-v1.1.0/sigstore")),
            "--signature",
            s(&v.join("oms-v1.1.0/sigstore/model.sig")),
            "--policy",
            s(&policy),
            "--ignore-path",
            "ignore-me",
        ])
    };
    let (code, out) = run("36500d");
    assert_eq!(code, 0, "{out:#}");
    let (code, out) = run("1h");
    assert_eq!(code, 1, "{out:#}");
}

// --- D3: signed ignores are bounded by the policy ------------------------------------------

#[test]
fn a_signer_recorded_ignore_is_honoured_only_when_the_policy_allows_it() {
    let vec = repo().join("tests/vectors/oms-v1.1.0");
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("elliptic-key");
    fs::create_dir(&m).unwrap();
    for f in ["signme-1", "signme-2", "ignore-me"] {
        fs::copy(vec.join("elliptic-key").join(f), m.join(f)).unwrap();
    }
    let (sig, key) = (
        vec.join("elliptic-key/model.sig"),
        vec.join("keys/signing-key-pub.pem"),
    );
    let base = [s(&m), "--signature", s(&sig), "--public-key", s(&key)];
    // model-signing recorded ignore-me: not honoured by default, so it is an unsigned file.
    let (code, v) = verify(&base);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"file-extra".to_owned()), "{v:#}");
    let policy = d.path().join("policy.toml");
    fs::write(
        &policy,
        "[verify]\nsigned-ignores = [\".git\", \"ignore-me\"]\n",
    )
    .unwrap();
    let mut allowed = base.to_vec();
    allowed.extend(["--policy", s(&policy)]);
    let (code, v) = verify(&allowed);
    assert_eq!(code, 0, "{v:#}");
}

// --- D6: the AIBOM is bound by its bytes ---------------------------------------------------

/// The first check of `kind` in a verdict.
fn check(v: &serde_json::Value, kind: &str) -> serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == kind)
        .unwrap_or_else(|| panic!("no {kind} check: {v:#}"))
        .clone()
}

/// A model signed with key `k` together with its AIBOM: (model, AIBOM).
fn signed_with_bom(lab: &Lab) -> (PathBuf, PathBuf) {
    let m = lab.mk("m");
    let bom = lab.generate(&m, "bom.json");
    assert_eq!(lab.sign(&m, "k", "m.sig", &["--bom", s(&bom)]).0, 0);
    (m, bom)
}

/// `verify` of that model with key `k` and the AIBOM at `bom`.
fn verify_with_bom(lab: &Lab, m: &Path, bom: &Path) -> (i32, serde_json::Value) {
    verify(&[
        s(m),
        "--signature",
        s(&lab.p("m.sig")),
        "--public-key",
        s(&lab.p("k.pub")),
        "--bom",
        s(bom),
    ])
}

#[test]
fn an_aibom_with_duplicate_keys_or_reformatted_is_not_the_signed_one_3l() {
    let lab = Lab::new();
    let (m, bom) = signed_with_bom(&lab);
    let att = payload_of(&lab.p("m.sig.bom"));
    let subjects = att["subject"].as_array().unwrap();
    assert_eq!(subjects.len(), 2, "{att:#}");
    let text = fs::read_to_string(&bom).unwrap();
    assert_eq!(
        subjects[1]["digest"]["sha256"],
        aibom::digest::Sha256::of(text.as_bytes()).to_hex()
    );
    let (code, v) = verify_with_bom(&lab, &m, &bom);
    assert_eq!(code, 0, "{v:#}");
    let bound = check(&v, "aibom-bound");
    assert!(
        bound["actual"].as_str().unwrap().contains("exact bytes"),
        "{bound:#}"
    );

    // A fake `metadata` first, the signed one last: serde_json keeps the last, a first-wins
    // reader sees the fake. The bytes differ, so it is not the signed AIBOM.
    let dup = text.replacen(
        '{',
        "{\n  \"metadata\": {\"component\": {\"name\": \"fake\"}},",
        1,
    );
    let dup_p = lab.p("dup.json");
    fs::write(&dup_p, &dup).unwrap();
    // The same document, reformatted.
    let flat: serde_json::Value = serde_json::from_str(&text).unwrap();
    let flat_p = lab.p("flat.json");
    fs::write(&flat_p, serde_json::to_vec(&flat).unwrap()).unwrap();
    for other in [&dup_p, &flat_p] {
        let (code, v) = verify_with_bom(&lab, &m, other);
        assert_eq!(code, 1, "{v:#}");
        assert!(blocking(&v).contains(&"aibom-bound".to_owned()), "{v:#}");
    }
}

#[test]
fn an_older_attestation_without_the_aibom_digest_is_still_read_and_says_so() {
    let lab = Lab::new();
    let (m, bom) = signed_with_bom(&lab);
    // The attestation as earlier releases wrote it: one subject, the model.
    let mut att = payload_of(&lab.p("m.sig.bom"));
    att["subject"].as_array_mut().unwrap().truncate(1);
    lab.forge("k", &att, "m.sig.bom");
    let (code, v) = verify_with_bom(&lab, &m, &bom);
    assert_eq!(code, 0, "{v:#}");
    let bound = check(&v, "aibom-bound");
    assert!(
        bound["actual"]
            .as_str()
            .unwrap()
            .contains("compared as JSON"),
        "{bound:#}"
    );
}

// --- --stage copies only what a signature that counts covers ----------------------------

#[test]
fn stage_leaves_out_a_file_only_a_signature_that_does_not_count_lists() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "a.sig", &[]).0, 0);
    // b.sig lists notes.txt as it was; it was changed since, so b.sig does not count.
    fs::write(m.join("notes.txt"), "as signed\n").unwrap();
    assert_eq!(lab.sign(&m, "k2", "b.sig", &[]).0, 0);
    fs::write(m.join("notes.txt"), "changed after signing\n").unwrap();
    let policy = lab.policy(&format!(
        "[verify]\nthreshold = 1\nallow-unsigned = [\"notes.txt\"]\n[[verify.signer]]\nrole = \"a\"\npublic-key = \"{}\"\n[[verify.signer]]\nrole = \"b\"\npublic-key = \"{}\"\n",
        s(&lab.p("k.pub")),
        s(&lab.p("k2.pub")),
    ));
    let dest = lab.p("staged");
    let (code, v) = verify(&[
        s(&m),
        "--signature",
        s(&lab.p("a.sig")),
        "--signature",
        s(&lab.p("b.sig")),
        "--policy",
        s(&policy),
        "--stage",
        s(&dest),
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["roles"][1]["satisfied"], false, "{v:#}");
    assert!(dest.join("model.safetensors").is_file());
    assert!(
        !dest.join("notes.txt").exists(),
        "a file no counting signature covers was staged: {v:#}"
    );
    let stage = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "stage")
        .unwrap();
    assert!(
        stage["actual"]
            .as_str()
            .unwrap()
            .contains("without notes.txt"),
        "{stage}"
    );
}

// --- An AIBOM past the size or depth cap is refused, naming the file ----------------------

#[test]
fn an_aibom_too_large_or_too_deep_is_refused_naming_the_file() {
    let lab = Lab::new();
    let m = lab.mk("m");
    assert_eq!(lab.sign(&m, "k", "m.sig", &[]).0, 0);
    let small = lab.generate(&m, "small.json");
    // Past the size cap (sparse: nothing is written to disk, nothing is read).
    let big = lab.p("big.cdx.json");
    let f = fs::File::create(&big).unwrap();
    f.set_len(aibom::limits::VerifyLimits::default().max_bom + 1)
        .unwrap();
    drop(f);
    let key = lab.p("k.pub");
    let (code, _, err) = aibom(&[
        "verify",
        s(&m),
        "--signature",
        s(&lab.p("m.sig")),
        "--public-key",
        s(&key),
        "--bom",
        s(&big),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("big.cdx.json") && err.contains("more than the limit"),
        "{err}"
    );
    for args in [vec!["diff", s(&small), s(&big)], vec!["report", s(&big)]] {
        let (code, _, err) = aibom(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("big.cdx.json"), "{args:?}: {err}");
    }
    // Nested past the depth cap: refused before parsing, naming the file.
    let deep = lab.p("deep.cdx.json");
    let depth = aibom::limits::VerifyLimits::default().max_bom_depth + 1;
    let mut doc = String::from("{\"bomFormat\": \"CycloneDX\", \"x\": ");
    doc.push_str(&"[".repeat(depth));
    doc.push_str(&"]".repeat(depth));
    doc.push('}');
    fs::write(&deep, doc).unwrap();
    let (code, v) = lab.verify_k(&m, &["--bom", s(&deep)]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "aibom")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(c["subject"], s(&deep));
    assert!(
        c["actual"]
            .as_str()
            .unwrap()
            .contains(&format!("nested deeper than {} levels", depth - 1)),
        "{c}"
    );
    for args in [vec!["diff", s(&small), s(&deep)], vec!["report", s(&deep)]] {
        let (code, _, err) = aibom(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(
            err.contains("deep.cdx.json") && err.contains("nested deeper than"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_revoked_aibom_bound_only_as_json_cannot_be_shown_not_revoked_when_written_out_again() {
    let lab = Lab::new();
    let (m, bom) = signed_with_bom(&lab);
    keygen(lab.tmp.path(), "sec");
    fs::create_dir(lab.p("revoked")).unwrap();
    let policy = lab.policy(
        "[verify]\nrevocations = \"revoked\"\n[[verify.revoker]]\nrole = \"security\"\npublic-key = \"sec.pub\"\n",
    );
    let (code, _, err) = aibom(&[
        "revoke",
        "--bom",
        s(&bom),
        "--reason",
        "wrong licence",
        "--private-key",
        s(&lab.p("sec.pem")),
        "-o",
        s(&lab.p("revoked/bom.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    // The same document written out otherwise: other bytes, the same JSON.
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&bom).unwrap()).unwrap();
    let other = lab.p("reformatted.json");
    fs::write(&other, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let run = |b: &Path| {
        verify(&[
            s(&m),
            "--signature",
            s(&lab.p("m.sig")),
            "--public-key",
            s(&lab.p("k.pub")),
            "--bom",
            s(b),
            "--policy",
            s(&policy),
        ])
    };
    // Bound by its bytes: the other bytes are not what the signer attested.
    let (code, v) = run(&other);
    assert_eq!(code, 1, "{v:#}");
    assert!(blocking(&v).contains(&"aibom-bound".to_owned()), "{v:#}");
    // An older attestation (one subject, the AIBOM compared as JSON) binds both forms.
    let mut att = payload_of(&lab.p("m.sig.bom"));
    att["subject"].as_array_mut().unwrap().truncate(1);
    lab.forge("k", &att, "m.sig.bom");
    let (code, v) = run(&bom);
    assert_eq!(code, 1, "{v:#}");
    let (code, v) = run(&other);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(blocking(&v), ["release-revoked"], "{v:#}");
    let why = check(&v, "release-revoked")["actual"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.contains("only as JSON") && why.contains("wrong licence"),
        "{why}"
    );
    // A revocation of a model digest alone does not reach the AIBOM: the release passes.
    fs::remove_file(lab.p("revoked/bom.json")).unwrap();
    let (code, _, err) = aibom(&[
        "revoke",
        "--model-digest",
        &"ab".repeat(32),
        "--reason",
        "another release",
        "--private-key",
        s(&lab.p("sec.pem")),
        "-o",
        s(&lab.p("revoked/model.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, v) = run(&other);
    assert_eq!(code, 0, "{v:#}");
}
