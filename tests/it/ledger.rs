//! `aibom verify --ledger`, `aibom ledger verify|show` and `aibom revoke`, end to end with the
//! real binary and keys made by `aibom keygen`.

use crate::support::*;
use std::fs;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn aibom(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A signed release (model, AIBOM, signature), a release key and a revoker key.
struct Release {
    tmp: tempfile::TempDir,
    model: PathBuf,
    bom: PathBuf,
    sig: PathBuf,
}

impl Release {
    fn p(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `verify --format json` with the release key, the AIBOM and `extra` flags.
    fn verify(&self, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let key = self.p("k.pub");
        let mut a = vec![
            "verify",
            s(&self.model),
            "--signature",
            s(&self.sig),
            "--public-key",
            s(&key),
            "--bom",
            s(&self.bom),
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        let (code, out, err) = aibom(&a);
        let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
        (code, v, err)
    }
}

fn release() -> Release {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    fs::create_dir_all(&model).unwrap();
    for f in ["README.md", "config.json", "model.safetensors"] {
        fs::copy(samples().join("benign/hf_model").join(f), model.join(f)).unwrap();
    }
    let r = Release {
        bom: tmp.path().join("model.cdx.json"),
        sig: tmp.path().join("model.sig"),
        model,
        tmp,
    };
    keygen(r.tmp.path(), "k");
    keygen(r.tmp.path(), "sec");
    keygen(r.tmp.path(), "other");
    let (code, _, err) = aibom(&["generate", s(&r.model), "-o", s(&r.bom), "--no-progress"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&r.p("k.pem")),
        "--signature",
        s(&r.sig),
        "--bom",
        s(&r.bom),
    ]);
    assert_eq!(code, 0, "{err}");
    r
}

fn lines(p: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_pass_and_a_refusal_are_both_recorded_and_the_chain_verifies() {
    let r = release();
    let ledger = r.p("ledger.jsonl");
    let (code, v, err) = r.verify(&["--ledger", s(&ledger)]);
    assert_eq!(code, 0, "{err}");
    let digest = v["model_digest"].as_str().unwrap().to_owned();
    fs::write(r.model.join("config.json"), "{\"tampered\": true}").unwrap();
    let (code, _, err) = r.verify(&["--ledger", s(&ledger)]);
    assert_eq!(code, 1, "{err}");

    let entries = lines(&ledger);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["verdict"], "pass");
    assert_eq!(entries[0]["exit_code"], 0);
    assert_eq!(entries[0]["release"]["model_digest"], digest.as_str());
    assert_eq!(entries[0]["seq"], 1);
    assert!(
        entries[0]["signers"][0]["identity"]
            .as_str()
            .unwrap()
            .starts_with("key ")
    );
    let kinds: Vec<&str> = entries[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["aibom", "signature", "attestation"]);
    assert_eq!(entries[1]["verdict"], "refuse");
    assert_eq!(entries[1]["exit_code"], 1);
    // Refused, yet the ledger says what was signed and who tried to deploy it.
    assert_eq!(
        entries[1]["release"]["model_digest"],
        serde_json::Value::Null
    );
    assert_eq!(
        entries[1]["signers"][0]["signed_model_digest"],
        digest.as_str()
    );
    assert!(
        entries[1]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "file-changed" && c["ok"] == false)
    );

    let (code, out, err) = aibom(&["ledger", "verify", s(&ledger)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("intact, 2 entries, head "), "{out}");

    let (code, out, _) = aibom(&["ledger", "show", s(&ledger), "--release", &digest]);
    assert_eq!(code, 0);
    assert!(
        out.contains("#1 ") && out.contains("PASS (exit 0)"),
        "{out}"
    );
    assert!(!out.contains("#2 "), "{out}");
    let (code, out, _) = aibom(&["ledger", "show", s(&ledger), "--format", "json"]);
    assert_eq!(code, 0);
    let all: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[test]
fn a_byte_edited_in_the_ledger_breaks_it_and_verify_refuses_to_append() {
    let r = release();
    let ledger = r.p("ledger.jsonl");
    for _ in 0..3 {
        assert_eq!(r.verify(&["--ledger", s(&ledger)]).0, 0);
    }
    let mut bytes = fs::read(&ledger).unwrap();
    let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let at = second
        + bytes[second..]
            .windows(6)
            .position(|w| w == b"\"pass\"")
            .unwrap();
    bytes[at + 1] = b'P';
    fs::write(&ledger, &bytes).unwrap();

    let (code, out, _) = aibom(&["ledger", "verify", s(&ledger)]);
    assert_eq!(code, 1);
    assert!(out.contains("BROKEN at line 3"), "{out}");

    let (code, _, err) = r.verify(&["--ledger", s(&ledger)]);
    assert_eq!(code, 2);
    assert!(
        err.contains(s(&ledger)) && err.contains("line 3") && err.contains("damaged"),
        "{err}"
    );
    assert_eq!(fs::read(&ledger).unwrap(), bytes, "never rewritten");
}

#[test]
fn two_verify_processes_appending_at_once_both_land_in_one_chain() {
    let r = release();
    let ledger = r.p("ledger.jsonl");
    let key = r.p("k.pub");
    let spawn = || {
        bin()
            .args([
                "verify",
                s(&r.model),
                "--signature",
                s(&r.sig),
                "--public-key",
                s(&key),
                "--ledger",
                s(&ledger),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..4).map(|_| spawn()).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let (code, out, _) = aibom(&["ledger", "verify", s(&ledger)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4 entries"), "{out}");
}

/// A policy with the release key as signer, `revoked/` as revocations and `sec` as revoker.
fn revocation_policy(r: &Release) -> PathBuf {
    fs::create_dir_all(r.p("revoked")).unwrap();
    let p = r.p("policy.toml");
    fs::write(
        &p,
        r#"[verify]
revocations = "revoked"

[[verify.revoker]]
role = "security"
public-key = "sec.pub"
"#,
    )
    .unwrap();
    p
}

#[test]
fn a_revocation_by_a_listed_revoker_refuses_naming_the_reason_and_is_logged() {
    let r = release();
    let policy = revocation_policy(&r);
    let ledger = r.p("ledger.jsonl");
    let (code, v, err) = r.verify(&["--policy", s(&policy)]);
    assert_eq!(code, 0, "{err}");
    let digest = v["model_digest"].as_str().unwrap().to_owned();

    // Someone not listed: reported, ignored.
    let (code, _, err) = aibom(&[
        "revoke",
        "--model-digest",
        &digest,
        "--reason",
        "not my call",
        "--key",
        s(&r.p("other.pem")),
        "--out",
        s(&r.p("revoked/other.sigstore.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = r.verify(&["--policy", s(&policy)]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "revocation" && c["ok"] == false && c["blocking"] == false)
    );

    // The security team: refused, naming who and why.
    let (code, _, err) = aibom(&[
        "revoke",
        "--model-digest",
        &digest,
        "--reason",
        "CVE-2026-0001 in the tokenizer",
        "--key",
        s(&r.p("sec.pem")),
        "--out",
        s(&r.p("revoked/cve.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = r.verify(&["--policy", s(&policy), "--ledger", s(&ledger)]);
    assert_eq!(code, 1);
    let revoked = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "release-revoked" && c["ok"] == false)
        .unwrap_or_else(|| panic!("{v}"));
    let actual = revoked["actual"].as_str().unwrap();
    assert!(
        actual.contains("security") && actual.contains("CVE-2026-0001 in the tokenizer"),
        "{actual}"
    );
    let entries = lines(&ledger);
    assert_eq!(entries[0]["verdict"], "refuse");
    assert!(
        entries[0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "policy")
    );

    let (_, human, _) = aibom(&[
        "verify",
        s(&r.model),
        "--signature",
        s(&r.sig),
        "--public-key",
        s(&r.p("k.pub")),
        "--policy",
        s(&policy),
    ]);
    assert!(human.contains("FAIL release-revoked"), "{human}");
    assert!(human.contains("CVE-2026-0001"), "{human}");
}

#[test]
fn rolling_back_passes_only_for_a_release_that_is_not_revoked_and_meets_todays_policy() {
    let r = release();
    let policy = revocation_policy(&r);
    let (code, v, _) = r.verify(&["--policy", s(&policy)]);
    assert_eq!(code, 0);
    let v1 = v["model_digest"].as_str().unwrap().to_owned();
    // Keep release 1 aside, then ship release 2 and revoke it.
    let old = r.p("model-v1");
    fs::create_dir_all(&old).unwrap();
    for f in ["README.md", "config.json", "model.safetensors"] {
        fs::copy(r.model.join(f), old.join(f)).unwrap();
    }
    fs::copy(&r.sig, r.p("v1.sig")).unwrap();
    fs::copy(r.p("model.sig.bom"), r.p("v1.sig.bom")).unwrap();
    fs::copy(&r.bom, r.p("v1.cdx.json")).unwrap();
    fs::write(r.model.join("README.md"), "release 2\n").unwrap();
    assert_eq!(
        aibom(&["generate", s(&r.model), "-o", s(&r.bom), "--no-progress"]).0,
        0
    );
    let (code, _, err) = aibom(&[
        "sign",
        s(&r.model),
        "--private-key",
        s(&r.p("k.pem")),
        "--signature",
        s(&r.sig),
        "--bom",
        s(&r.bom),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = r.verify(&["--policy", s(&policy)]);
    assert_eq!(code, 0);
    let v2 = v["model_digest"].as_str().unwrap().to_owned();
    assert_ne!(v1, v2);
    let (code, _, err) = aibom(&[
        "revoke",
        "--model-digest",
        &v2,
        "--reason",
        "regression in release 2",
        "--key",
        s(&r.p("sec.pem")),
        "--out",
        s(&r.p("revoked/v2.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r.verify(&["--policy", s(&policy)]).0, 1);

    let rollback = |policy: &Path| {
        let (code, out, _) = aibom(&[
            "verify",
            s(&old),
            "--signature",
            s(&r.p("v1.sig")),
            "--public-key",
            s(&r.p("k.pub")),
            "--bom",
            s(&r.p("v1.cdx.json")),
            "--policy",
            s(policy),
            "--format",
            "json",
        ]);
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        )
    };
    // Release 1 is not revoked and meets the policy: the rollback passes.
    assert_eq!(rollback(&policy).0, 0);
    // Today's policy pins a version release 1 does not have: the rollback is refused too.
    let stricter = r.p("stricter.toml");
    fs::write(
        &stricter,
        fs::read_to_string(&policy)
            .unwrap()
            .replace("[verify]\n", "[verify]\nversion = \"2.0\"\n"),
    )
    .unwrap();
    let (code, v) = rollback(&stricter);
    assert_eq!(code, 1, "{v}");
    // And once release 1 is revoked as well, it is refused.
    let (code, _, _) = aibom(&[
        "revoke",
        "--bom",
        s(&r.p("v1.cdx.json")),
        "--reason",
        "superseded",
        "--key",
        s(&r.p("sec.pem")),
        "--out",
        s(&r.p("revoked/v1.json")),
    ]);
    assert_eq!(code, 0);
    assert_eq!(rollback(&policy).0, 1);
}

#[test]
fn an_unreadable_revocations_directory_refuses_the_release() {
    let r = release();
    let policy = revocation_policy(&r);
    fs::remove_dir(r.p("revoked")).unwrap();
    let (code, v, _) = r.verify(&["--policy", s(&policy)]);
    assert_eq!(code, 1);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "release-revoked" && c["ok"] == false),
        "{v}"
    );
}

#[test]
fn a_policy_whose_revocations_could_never_count_is_refused_at_load() {
    let r = release();
    for (text, says) in [
        (
            "[verify]\nrevocations = \"revoked\"\n",
            "no [[verify.revoker]]",
        ),
        (
            "[verify]\n[[verify.revoker]]\nrole = \"security\"\npublic-key = \"sec.pub\"\n",
            "no `revocations` directory",
        ),
        (
            "[verify]\nrevocations = \"revoked\"\n[[verify.revoker]]\nrole = \"security\"\nidentity = \"a@example.com\"\nissuer = \"https://accounts.google.com\"\n",
            "keyless revokers are not supported",
        ),
    ] {
        let p = r.p("policy.toml");
        fs::write(&p, text).unwrap();
        let (code, _, err) = r.verify(&["--policy", s(&p)]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn the_auditor_report_shows_the_decisions_the_ledger_records_about_the_aibom() {
    let r = release();
    let ledger = r.p("ledger.jsonl");
    assert_eq!(r.verify(&["--ledger", s(&ledger)]).0, 0);
    fs::write(r.model.join("config.json"), "{}").unwrap();
    assert_eq!(r.verify(&["--ledger", s(&ledger)]).0, 1);
    let (code, md, err) = aibom(&[
        "report",
        s(&r.bom),
        "--format",
        "markdown",
        "--ledger",
        s(&ledger),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("### Deploy decisions (`ledger.jsonl`)"), "{md}");
    assert!(md.contains("2 entries") && md.contains("2 of them"), "{md}");
    assert!(
        md.contains("| 2 |") && md.contains("**refuse** (exit 1)"),
        "{md}"
    );
    assert!(md.contains("file-changed: config.json"), "{md}");
    let (code, html, _) = aibom(&["report", s(&r.bom), "--ledger", s(&ledger)]);
    assert_eq!(code, 0);
    assert!(html.contains("<section id=\"ledger\">"));

    let mut bytes = fs::read(&ledger).unwrap();
    bytes.pop();
    fs::write(&ledger, &bytes).unwrap();
    let (code, md, _) = aibom(&[
        "report",
        s(&r.bom),
        "--format",
        "markdown",
        "--ledger",
        s(&ledger),
    ]);
    assert_eq!(code, 0);
    assert!(md.contains("chain is broken"), "{md}");
}

/// `verify --format json` of the release under `policy`, given 60 s to answer (killed and
/// failed past them); as root with `unprivileged`, without the capabilities that override
/// file modes (so a mode-000 file cannot be read, as for any other user).
fn verify_within(r: &Release, policy: &Path, unprivileged: bool) -> (i32, serde_json::Value) {
    use std::os::unix::fs::MetadataExt;
    let as_root = fs::metadata(&r.bom).unwrap().uid() == 0;
    let mut c = if unprivileged && as_root {
        let mut c = std::process::Command::new("setpriv");
        c.arg("--bounding-set=-dac_override,-dac_read_search")
            .arg(env!("CARGO_BIN_EXE_aibom"));
        c
    } else {
        bin()
    };
    let key = r.p("k.pub");
    let mut child = c
        .args(["verify", s(&r.model), "--signature", s(&r.sig)])
        .args(["--public-key", s(&key), "--bom", s(&r.bom)])
        .args(["--policy", s(policy), "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("verify blocked on the revocations directory");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("{out:?}");
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The failing `release-revoked` check whose subject ends with `name`.
fn revoked_naming<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    v["checks"].as_array().unwrap().iter().find(|c| {
        c["check"] == "release-revoked"
            && c["ok"] == false
            && c["subject"].as_str().unwrap().ends_with(name)
    })
}

#[test]
fn a_revocation_entry_that_cannot_be_read_as_a_file_refuses_at_once_naming_it() {
    let r = release();
    let policy = revocation_policy(&r);
    let revoked = r.p("revoked");
    let (code, v) = verify_within(&r, &policy, false);
    assert_eq!(code, 0, "{v:#}");
    fs::create_dir(r.p("elsewhere")).unwrap();
    let link = |to: &str, name: &str| std::os::unix::fs::symlink(to, revoked.join(name)).unwrap();
    type Make<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, &str, Make)> = vec![
        (
            "dir.json",
            "a link to a directory",
            Box::new(|| link("../elsewhere", "dir.json")),
        ),
        (
            "archive",
            "a link to a directory",
            Box::new(|| link("../elsewhere", "archive")),
        ),
        (
            "big.json",
            "more than the limit",
            Box::new(|| fs::write(revoked.join("big.json"), vec![b' '; (1 << 20) + 1]).unwrap()),
        ),
        (
            "pipe.json",
            "FIFO",
            Box::new(|| {
                let ok = std::process::Command::new("mkfifo")
                    .arg(revoked.join("pipe.json"))
                    .status()
                    .unwrap()
                    .success();
                assert!(ok);
            }),
        ),
        (
            "zero.json",
            "a device",
            Box::new(|| link("/dev/zero", "zero.json")),
        ),
        (
            "loop.json",
            "symbolic links",
            Box::new(|| {
                link("loop2.json", "loop.json");
                link("loop.json", "loop2.json");
            }),
        ),
        (
            "gone.json",
            "No such file",
            Box::new(|| link("nowhere.json", "gone.json")),
        ),
    ];
    for (name, why, make) in cases {
        make();
        let (code, v) = verify_within(&r, &policy, false);
        assert_eq!(code, 1, "{name}: {v:#}");
        let c = revoked_naming(&v, name).unwrap_or_else(|| panic!("{name}: {v:#}"));
        assert!(c["actual"].as_str().unwrap().contains(why), "{name}: {c:#}");
        for e in fs::read_dir(&revoked).unwrap() {
            fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
    // Nothing left: accepted again.
    assert_eq!(verify_within(&r, &policy, false).0, 0);
}

#[test]
fn a_listed_revokers_revocation_that_cannot_be_read_refuses_and_one_that_does_not_verify_warns() {
    use std::os::unix::fs::PermissionsExt;
    let r = release();
    let policy = revocation_policy(&r);
    let (code, v) = verify_within(&r, &policy, true);
    assert_eq!(code, 0, "{v:#}");
    let digest = v["model_digest"].as_str().unwrap().to_owned();
    let file = r.p("revoked/cve.json");
    let (code, _, err) = aibom(&[
        "revoke",
        "--model-digest",
        &digest,
        "--reason",
        "CVE-2026-0001 in the tokenizer",
        "--key",
        s(&r.p("sec.pem")),
        "--out",
        s(&file),
    ]);
    assert_eq!(code, 0, "{err}");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    let (code, v) = verify_within(&r, &policy, true);
    assert_eq!(code, 1, "{v:#}");
    let c = revoked_naming(&v, "cve.json").unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        c["actual"].as_str().unwrap().contains("Permission denied"),
        "{c:#}"
    );
    // Readable, but not a revocation anyone listed signed: a warning, the release passes.
    fs::remove_file(&file).unwrap();
    fs::write(&file, b"{\"not\": \"a bundle\"}").unwrap();
    let (code, v) = verify_within(&r, &policy, true);
    assert_eq!(code, 0, "{v:#}");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "revocation" && c["blocking"] == false),
        "{v:#}"
    );
}
