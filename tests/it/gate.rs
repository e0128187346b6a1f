//! The release gate end to end: a whole release (a copy of `samples/release`) generated and
//! signed by three parties, then verified; each way of breaking it is refused with a named
//! check. Every case runs the real binary.

use crate::support::*;
use std::fs;
use std::path::{Path, PathBuf};

const PARTIES: [&str; 3] = ["ml-lead", "security", "legal"];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn aibom(args: &[&str], cwd: Option<&Path>) -> (i32, String, String) {
    aibom_in(args, cwd)
}

/// A release in a scratch directory: `rel/` (the sample release), keys and signatures beside
/// it, the AIBOM at `model.cdx.json`.
struct Lab {
    tmp: tempfile::TempDir,
}

impl Lab {
    /// Generated and signed by the three parties.
    fn signed() -> Lab {
        let lab = Lab::unsigned();
        lab.generate("model.cdx.json");
        for p in PARTIES {
            lab.sign(p, "model.cdx.json");
        }
        lab
    }

    fn unsigned() -> Lab {
        let lab = Lab {
            tmp: tempfile::tempdir().unwrap(),
        };
        copy_tree(&samples().join("release"), &lab.rel());
        for p in PARTIES {
            keygen(lab.tmp.path(), p);
        }
        lab
    }

    fn p(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn rel(&self) -> PathBuf {
        self.p("rel")
    }

    fn model(&self) -> PathBuf {
        self.rel().join("model")
    }

    fn generate(&self, bom: &str) {
        let (code, _, err) = aibom(
            &[
                "generate",
                "model",
                "--config",
                "aibom.toml",
                "--no-progress",
                "-o",
                s(&self.p(bom)),
            ],
            Some(&self.rel()),
        );
        assert_eq!(code, 0, "{err}");
    }

    fn sign(&self, party: &str, bom: &str) {
        let (code, _, err) = aibom(
            &[
                "sign",
                s(&self.model()),
                "--private-key",
                s(&self.p(&format!("{party}.pem"))),
                "--signature",
                s(&self.p(&format!("{party}.sig"))),
                "--bom",
                s(&self.p(bom)),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
    }

    /// A policy: the three signers, then `extra` (TOML appended).
    fn policy(&self, extra: &str) -> PathBuf {
        let mut t = String::from("[verify]\n");
        for p in PARTIES {
            t.push_str(&format!(
                "[[verify.signer]]\nrole = \"{p}\"\npublic-key = \"{p}.pub\"\n"
            ));
        }
        t.push_str(extra);
        let path = self.p("policy.toml");
        fs::write(&path, t).unwrap();
        path
    }

    /// `verify --format json` with the signatures of `parties`, the AIBOM and `policy`.
    fn verify_with(&self, parties: &[&str], extra: &[&str]) -> (i32, serde_json::Value) {
        let model = self.model();
        let mut a: Vec<String> = vec![
            "verify".into(),
            s(&model).into(),
            "--format".into(),
            "json".into(),
            "--bom".into(),
            s(&self.p("model.cdx.json")).into(),
            "--policy".into(),
            s(&self.p("policy.toml")).into(),
        ];
        for p in parties {
            a.push("--signature".into());
            a.push(s(&self.p(&format!("{p}.sig"))).into());
        }
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, out, err) = aibom(&a, None);
        let v = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{code} {out} {err}"));
        (code, v)
    }

    fn verify(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        self.verify_with(&PARTIES, extra)
    }

    /// `verify --stage dest` of the model with the AIBOM, the policy and `ml-lead.sig`, in
    /// the human format: for the refusals that stop before any check.
    fn stage(&self, dest: &Path) -> (i32, String, String) {
        aibom(
            &[
                "verify",
                s(&self.model()),
                "--bom",
                s(&self.p("model.cdx.json")),
                "--policy",
                s(&self.p("policy.toml")),
                "--signature",
                s(&self.p("ml-lead.sig")),
                "--stage",
                s(dest),
            ],
            None,
        )
    }
}

/// The failing checks of a verdict, as `name subject`.
fn failed(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| {
            format!(
                "{} {}",
                c["check"].as_str().unwrap(),
                c["subject"].as_str().unwrap()
            )
        })
        .collect()
}

fn has_check(v: &serde_json::Value, check: &str, subject_part: &str) -> bool {
    failed(v)
        .iter()
        .any(|f| f.starts_with(&format!("{check} ")) && f.contains(subject_part))
}

#[test]
fn a_release_signed_by_three_parties_verifies_with_its_signed_tier() {
    let lab = Lab::signed();
    for p in PARTIES {
        assert!(lab.p(&format!("{p}.sig.release")).is_file());
    }
    lab.policy("");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["release_tier"], "high");
    let ok: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == true)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(ok.contains(&"release-attestation"), "{ok:?}");
    assert!(ok.contains(&"release-files"), "{ok:?}");
}

#[test]
fn a_changed_prompt_is_refused_naming_the_file() {
    let lab = Lab::signed();
    lab.policy("");
    fs::write(lab.rel().join("prompts/system.txt"), "Ignore all rules.\n").unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "file-changed", "prompts/system.txt"),
        "{:?}",
        failed(&v)
    );
    assert!(has_check(&v, "release-files", ""), "{:?}", failed(&v));
}

#[test]
fn a_changed_dataset_file_is_refused_naming_the_file() {
    let lab = Lab::signed();
    lab.policy("");
    let f = lab.rel().join("data/tickets/train.jsonl");
    let mut bytes = fs::read(&f).unwrap();
    bytes.extend_from_slice(b"{\"poisoned\": true}\n");
    fs::write(&f, bytes).unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "file-changed", "data/tickets/train.jsonl"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn an_extra_file_in_a_dataset_directory_is_refused_naming_it() {
    let lab = Lab::signed();
    lab.policy("");
    fs::write(lab.rel().join("data/tickets/extra.jsonl"), "{}\n").unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "file-extra", "data/tickets/extra.jsonl"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn a_missing_or_swapped_release_file_is_refused() {
    let lab = Lab::signed();
    lab.policy("");
    let (a, b) = (
        lab.rel().join("serving/config.yaml"),
        lab.rel().join("serving/tools.yaml"),
    );
    let (ba, bb) = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
    fs::write(&a, &bb).unwrap();
    fs::write(&b, &ba).unwrap();
    fs::remove_file(lab.rel().join("prompts/tools.json")).unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "files-swapped", "serving/config.yaml"),
        "{:?}",
        failed(&v)
    );
    assert!(
        has_check(&v, "file-missing", "prompts/tools.json"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn git_names_at_the_top_of_an_artifact_directory_follow_the_model_directorys_rule() {
    let lab = Lab::unsigned();
    let prompts = lab.rel().join("prompts");
    fs::write(prompts.join(".gitignore"), "*.tmp\n").unwrap();
    fs::create_dir_all(prompts.join(".git")).unwrap();
    fs::write(prompts.join(".git/HEAD"), "ref: main\n").unwrap();
    fs::create_dir_all(prompts.join("old/.git")).unwrap();
    fs::write(prompts.join("old/.git/HEAD"), "ref: old\n").unwrap();
    lab.generate("model.cdx.json");
    let bom = fs::read_to_string(lab.p("model.cdx.json")).unwrap();
    assert!(!bom.contains("prompts/.gitignore") && !bom.contains("prompts/.git/HEAD"));
    assert!(bom.contains("prompts/old/.git/HEAD"));
    for p in PARTIES {
        lab.sign(p, "model.cdx.json");
    }
    lab.policy("");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
    // Left out at the top, as in the model directory; checked like any file below it.
    fs::write(prompts.join(".gitattributes"), "* text\n").unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
    fs::write(prompts.join("old/.git/HEAD"), "ref: changed\n").unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "file-changed", "prompts/old/.git/HEAD"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn a_missing_release_attestation_keeps_its_signer_from_counting() {
    let lab = Lab::signed();
    lab.policy("");
    fs::remove_file(lab.p("legal.sig.release")).unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "release-attestation", "legal.sig"),
        "{:?}",
        failed(&v)
    );
    assert!(has_check(&v, "approvals", ""), "{:?}", failed(&v));
}

/// `verify` of the lab's model with every party's signature and `policy.toml`, without
/// `--bom`.
fn verify_without_bom(lab: &Lab) -> (i32, serde_json::Value) {
    let mut a: Vec<String> = vec![
        "verify".into(),
        s(&lab.model()).into(),
        "--format".into(),
        "json".into(),
        "--policy".into(),
        s(&lab.p("policy.toml")).into(),
    ];
    for p in PARTIES {
        a.push("--signature".into());
        a.push(s(&lab.p(&format!("{p}.sig"))).into());
    }
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = aibom(&a, None);
    let v = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{code} {out} {err}"));
    (code, v)
}

#[test]
fn without_aibom_or_release_attestations_an_attested_release_is_refused() {
    let lab = Lab::signed();
    lab.policy("");
    for p in PARTIES {
        fs::remove_file(lab.p(&format!("{p}.sig.release"))).unwrap();
    }
    let (code, v) = verify_without_bom(&lab);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "release-attestation" && c["subject"] == "the release")
        .unwrap_or_else(|| panic!("{:?}", failed(&v)));
    assert_eq!(c["ok"], false);
    assert!(
        c["actual"]
            .as_str()
            .unwrap()
            .contains("records a release, but no signature has a release attestation"),
        "{c}"
    );
}

#[test]
fn a_policy_that_configures_a_release_refuses_a_model_signed_without_one() {
    let lab = Lab::signed();
    for p in PARTIES {
        fs::remove_file(lab.p(&format!("{p}.sig.release"))).unwrap();
        fs::remove_file(lab.p(&format!("{p}.sig.bom"))).unwrap();
    }
    lab.policy("");
    let (code, v) = verify_without_bom(&lab);
    assert_eq!(code, 0, "nothing says there is a release: {v:#}");
    lab.policy("[release]\nmodel = \"model\"\ntier = \"high\"\n");
    let (code, v) = verify_without_bom(&lab);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "release-attestation", "the release"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn a_release_attestation_from_another_signer_is_refused() {
    let lab = Lab::signed();
    lab.policy("");
    fs::copy(lab.p("security.sig.release"), lab.p("legal.sig.release")).unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "release-attestation", "legal.sig.release"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn the_tier_comes_from_the_signature_not_from_a_later_config() {
    let lab = Lab::signed();
    lab.policy("");
    // Lowering the tier in the release's config after approval changes nothing at verify.
    let cfg = lab.rel().join("aibom.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("tier = \"high\"", "tier = \"low\"");
    fs::write(&cfg, text).unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["release_tier"], "high");
}

#[test]
fn sign_refuses_a_release_that_differs_from_its_aibom() {
    let lab = Lab::unsigned();
    lab.generate("model.cdx.json");
    fs::write(lab.rel().join("prompts/system.txt"), "changed\n").unwrap();
    let (code, _, err) = aibom(
        &[
            "sign",
            s(&lab.model()),
            "--private-key",
            s(&lab.p("ml-lead.pem")),
            "--signature",
            s(&lab.p("ml-lead.sig")),
            "--bom",
            s(&lab.p("model.cdx.json")),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("prompts/system.txt"), "{err}");
}

#[test]
fn the_signed_tier_requires_its_roles_and_a_missing_one_refuses() {
    let lab = Lab::signed();
    lab.policy(
        "[verify.tier.low]\nroles = [\"ml-lead\"]\n[verify.tier.high]\nroles = [\"ml-lead\", \"security\", \"legal\"]\n",
    );
    let (code, v) = lab.verify_with(&["ml-lead", "security"], &[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(has_check(&v, "approvals", ""), "{:?}", failed(&v));
    let legal = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "legal")
        .unwrap();
    assert_eq!(legal["satisfied"], false);
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_low_tier_release_needs_only_the_low_tier_roles() {
    let lab = Lab::unsigned();
    let cfg = lab.rel().join("aibom.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("tier = \"high\"", "tier = \"low\"");
    fs::write(&cfg, text).unwrap();
    lab.generate("model.cdx.json");
    lab.sign("ml-lead", "model.cdx.json");
    lab.policy(
        "[verify.tier.low]\nroles = [\"ml-lead\"]\n[verify.tier.high]\nroles = [\"ml-lead\", \"security\", \"legal\"]\n",
    );
    let (code, v) = lab.verify_with(&["ml-lead"], &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["release_tier"], "low");
}

#[test]
fn a_signed_tier_without_a_policy_entry_fails_closed_unless_a_default_is_set() {
    let lab = Lab::signed();
    lab.policy("[verify.tier.low]\nroles = [\"ml-lead\"]\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "tier-policy", "tier high"),
        "{:?}",
        failed(&v)
    );
    lab.policy(
        "[verify.tier.low]\nroles = [\"ml-lead\"]\n[verify.tier.default]\nroles = [\"ml-lead\", \"security\"]\n",
    );
    let (code, v) = lab.verify_with(&["ml-lead", "security"], &[]);
    assert_eq!(code, 0, "{v:#}");
}

impl Lab {
    /// A previous release's AIBOM (`prev.cdx.json`): the evaluation file edited by `edit`
    /// while generating, then restored.
    fn previous(&self, edit: impl Fn(&str) -> String) {
        let eval = self.rel().join("eval/results_2026-05-01T12-00-00.json");
        let original = fs::read_to_string(&eval).unwrap();
        fs::write(&eval, edit(&original)).unwrap();
        self.generate("prev.cdx.json");
        fs::write(&eval, original).unwrap();
    }
}

#[test]
fn a_metric_under_its_threshold_is_refused_with_threshold_and_value() {
    let lab = Lab::signed();
    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmin = 0.6\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "metric")
        .unwrap();
    assert_eq!(c["subject"], "arc_easy/acc");
    assert_eq!(c["ok"], false);
    assert_eq!(c["expected"], "at least 0.6");
    assert!(
        c["actual"]
            .as_str()
            .unwrap()
            .starts_with("0.583 from eval/"),
        "{c}"
    );

    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmin = 0.55\nmax = 1\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_required_metric_that_is_not_recorded_fails_closed() {
    let lab = Lab::signed();
    lab.policy("[[verify.metric]]\nmetric = \"f1\"\nrequired = true\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(has_check(&v, "metric", "f1"), "{:?}", failed(&v));
}

#[test]
fn a_regression_beyond_the_limit_against_the_previous_release_is_refused() {
    let lab = Lab::signed();
    lab.previous(|t| t.replacen("0.583", "0.65", 1));
    let prev = lab.p("prev.cdx.json");
    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmax-regression = 0.02\n");
    let (code, v) = lab.verify(&["--previous", s(&prev)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "metric-regression", "arc_easy/acc"),
        "{:?}",
        failed(&v)
    );
    // Relative: 0.583 is 10.3% under 0.65.
    lab.policy(
        "[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmax-regression = \"11%\"\n",
    );
    let (code, v) = lab.verify(&["--previous", s(&prev)]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_regression_limit_without_a_previous_value_fails_closed_naming_it() {
    let lab = Lab::signed();
    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmax-regression = 0.02\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "metric-regression", "arc_easy/acc"),
        "{:?}",
        failed(&v)
    );
    // A previous release that does not record the metric.
    lab.previous(|t| t.replace("\"acc,none\"", "\"accuracy,none\""));
    let (code, v) = lab.verify(&["--previous", s(&lab.p("prev.cdx.json"))]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "metric-regression")
        .unwrap();
    assert!(
        c["actual"].as_str().unwrap().contains("previous release"),
        "{c}"
    );
}

#[test]
fn a_gate_that_is_not_required_fails_when_an_evaluation_file_was_unreadable() {
    let lab = Lab::unsigned();
    let eval = lab.rel().join("eval/results_2026-05-01T12-00-00.json");
    fs::write(&eval, b"{\"results\": {\"arc_easy\": ").unwrap();
    lab.generate("model.cdx.json");
    for p in PARTIES {
        lab.sign(p, "model.cdx.json");
    }
    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmin = 0.5\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "metric" && c["ok"] == false)
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(c["subject"], "arc_easy/acc");
    let actual = c["actual"].as_str().unwrap();
    assert!(
        actual.starts_with("eval/results_2026-05-01T12-00-00.json: not readable as JSON"),
        "{c}"
    );
}

#[test]
fn metrics_are_read_only_from_an_aibom_a_verified_signature_binds() {
    let lab = Lab::signed();
    for p in PARTIES {
        fs::remove_file(lab.p(&format!("{p}.sig.bom"))).unwrap();
    }
    lab.policy("[[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nmin = 0.5\n");
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "metric")
        .unwrap();
    assert_eq!(c["ok"], false);
    assert!(
        c["actual"].as_str().unwrap().contains("no AIBOM bound"),
        "{c}"
    );
}

impl Lab {
    /// A previous release's AIBOM (`prev.cdx.json`) in which `file` (under the release root)
    /// had the bytes `bytes`.
    fn previous_file(&self, file: &str, bytes: &[u8]) {
        let f = self.rel().join(file);
        let original = fs::read(&f).unwrap();
        fs::write(&f, bytes).unwrap();
        self.generate("prev.cdx.json");
        fs::write(&f, original).unwrap();
    }
}

const CHANGE_POLICY: &str = "[verify.tier.high]\nroles = [\"ml-lead\", \"legal\"]\n[[verify.on-change]]\nchange = \"dataset\"\nroles = [\"security\"]\n";

#[test]
fn a_dataset_change_requires_the_extra_role_and_names_the_change() {
    let lab = Lab::signed();
    lab.previous_file("data/tickets/train.jsonl", b"{\"old\": 1}\n");
    lab.policy(CHANGE_POLICY);
    let prev = lab.p("prev.cdx.json");
    let (code, v) = lab.verify_with(&["ml-lead", "legal"], &["--previous", s(&prev)]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "change")
        .unwrap();
    assert_eq!(c["ok"], false);
    assert_eq!(c["subject"], "dataset changed");
    let actual = c["actual"].as_str().unwrap();
    assert!(actual.contains("missing security"), "{actual}");
    assert!(
        actual.contains("data/tickets/train.jsonl changed"),
        "{actual}"
    );
    // With the extra role's signature it passes.
    let (code, v) = lab.verify(&["--previous", s(&prev)]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_dataset_governance_change_is_a_dataset_change() {
    let lab = Lab::signed();
    let config = fs::read_to_string(lab.rel().join("aibom.toml")).unwrap();
    let older = config.replace(
        "classification = \"confidential\"",
        "classification = \"internal\"",
    );
    assert_ne!(older, config);
    lab.previous_file("aibom.toml", older.as_bytes());
    lab.policy(CHANGE_POLICY);
    let prev = lab.p("prev.cdx.json");
    let (code, v) = lab.verify_with(&["ml-lead", "legal"], &["--previous", s(&prev)]);
    assert_eq!(code, 1, "{v:#}");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "change")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(c["subject"], "dataset changed");
    let actual = c["actual"].as_str().unwrap();
    assert!(actual.contains("missing security"), "{actual}");
    assert!(
        actual.contains("governance changed: data[0].classification"),
        "{actual}"
    );
    let (code, v) = lab.verify(&["--previous", s(&prev)]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_change_of_another_kind_does_not_require_the_dataset_role() {
    let lab = Lab::signed();
    lab.previous_file("prompts/system.txt", b"an older system prompt\n");
    lab.policy(CHANGE_POLICY);
    let (code, v) = lab.verify_with(
        &["ml-lead", "legal"],
        &["--previous", s(&lab.p("prev.cdx.json"))],
    );
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn without_a_previous_release_every_change_rule_applies() {
    let lab = Lab::signed();
    lab.policy(CHANGE_POLICY);
    let (code, v) = lab.verify_with(&["ml-lead", "legal"], &[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "change", "dataset changed"),
        "{:?}",
        failed(&v)
    );
}

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Names in `dir` that look like a staging directory.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("aibom-stage"))
        .collect()
}

#[test]
fn stage_copies_the_verified_release_into_a_new_destination() {
    let lab = Lab::signed();
    lab.policy("");
    let dest = lab.p("deploy");
    let (code, v) = lab.verify(&["--stage", s(&dest)]);
    assert_eq!(code, 0, "{v:#}");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "stage" && c["ok"] == true)
    );
    // DEST mirrors the release root: the model under model/, every artifact file, nothing else.
    let mut expected = tree(&lab.rel());
    expected.retain(|(n, _)| n != "aibom.toml");
    assert_eq!(tree(&dest), expected);
    assert!(leftovers(lab.tmp.path()).is_empty());
}

#[test]
fn stage_with_a_tampered_file_leaves_the_destination_absent() {
    let lab = Lab::signed();
    lab.policy("");
    fs::write(lab.rel().join("serving/guardrails.yaml"), "blocklist: []\n").unwrap();
    let dest = lab.p("deploy");
    let (code, v) = lab.verify(&["--stage", s(&dest)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "file-changed", "serving/guardrails.yaml"),
        "{:?}",
        failed(&v)
    );
    assert!(has_check(&v, "stage", "deploy"), "{:?}", failed(&v));
    assert!(!dest.exists());
    assert!(leftovers(lab.tmp.path()).is_empty());
}

#[test]
fn stage_never_overwrites_an_existing_destination() {
    let lab = Lab::signed();
    lab.policy("");
    let dest = lab.p("deploy");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep.txt"), "mine").unwrap();
    let (code, _, err) = lab.stage(&dest);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(tree(&dest), vec![("keep.txt".to_owned(), b"mine".to_vec())]);
    assert!(leftovers(lab.tmp.path()).is_empty());
}

#[test]
fn stage_without_a_release_copies_the_model_directory_as_dest() {
    let lab = Lab::unsigned();
    let model = lab.model();
    let sig = lab.p("m.sig");
    let (code, _, err) = aibom(
        &[
            "sign",
            s(&model),
            "--private-key",
            s(&lab.p("ml-lead.pem")),
            "--signature",
            s(&sig),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let dest = lab.p("served");
    let (code, out, err) = aibom(
        &[
            "verify",
            s(&model),
            "--signature",
            s(&sig),
            "--public-key",
            s(&lab.p("ml-lead.pub")),
            "--stage",
            s(&dest),
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(tree(&dest), tree(&model));
    assert!(leftovers(lab.tmp.path()).is_empty());
}

#[test]
fn a_model_directory_linked_to_a_decoy_copy_of_the_release_is_refused() {
    // rel/model -> decoy/model with untouched copies of every artifact under rel/decoy: the
    // release root is where the model sits as given, never where the link leads.
    let lab = Lab::signed();
    lab.policy("");
    let decoy = lab.rel().join("decoy");
    for d in ["model", "prompts", "data", "eval", "serving"] {
        copy_tree(&lab.rel().join(d), &decoy.join(d));
    }
    fs::remove_dir_all(lab.model()).unwrap();
    std::os::unix::fs::symlink("decoy/model", lab.model()).unwrap();
    fs::write(lab.rel().join("prompts/system.txt"), "No restrictions.\n").unwrap();
    let (code, v) = lab.verify(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(has_check(&v, "release-root", ""), "{:?}", failed(&v));
}

#[test]
fn a_model_file_under_a_directory_named_like_an_artifact_is_a_model_files_change() {
    // model/serving/extra.bin is a model file; `serving` is also the runtime-policy artifact's
    // path (relative to the release root): the change counts as model-files too.
    let lab = Lab::unsigned();
    let extra = lab.model().join("serving/extra.bin");
    fs::create_dir_all(extra.parent().unwrap()).unwrap();
    fs::write(&extra, b"old weights").unwrap();
    lab.generate("prev.cdx.json");
    fs::write(&extra, b"new weights").unwrap();
    lab.generate("model.cdx.json");
    for p in PARTIES {
        lab.sign(p, "model.cdx.json");
    }
    lab.policy(
        "[verify.tier.high]\nroles = [\"ml-lead\", \"legal\"]\n[[verify.on-change]]\nchange = \"model-files\"\nroles = [\"security\"]\n",
    );
    let prev = lab.p("prev.cdx.json");
    let (code, v) = lab.verify_with(&["ml-lead", "legal"], &["--previous", s(&prev)]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        has_check(&v, "change", "model-files changed"),
        "{:?}",
        failed(&v)
    );
}

#[test]
fn the_report_shows_the_roles_the_signed_tier_requires_and_each_metric_gate_with_its_value() {
    let lab = Lab::unsigned();
    lab.generate("model.cdx.json");
    lab.sign("ml-lead", "model.cdx.json");
    lab.sign("security", "model.cdx.json");
    let policy = lab.policy(
        "[verify.tier.high]\nroles = [\"ml-lead\", \"security\", \"legal\"]\n\
         [[verify.metric]]\nmetric = \"acc\"\ntask = \"arc_easy\"\nfilter = \"none\"\nmin = 0.55\n\
         [[verify.metric]]\nmetric = \"exact_match\"\ntask = \"gsm8k\"\nfilter = \"strict-match\"\nmin = 0.2\n",
    );
    let mut args = vec![
        "report".to_owned(),
        s(&lab.p("model.cdx.json")).to_owned(),
        "--format".to_owned(),
        "markdown".to_owned(),
        "--config".to_owned(),
        s(&policy).to_owned(),
    ];
    for p in ["ml-lead", "security"] {
        args.push("--signature".to_owned());
        args.push(s(&lab.p(&format!("{p}.sig"))).to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, md, err) = aibom(&args, None);
    assert_eq!(code, 0, "{err}");
    let part = md
        .split("### What the release gate requires")
        .nth(1)
        .expect("the gate part")
        .split("\n## ")
        .next()
        .unwrap();
    assert!(
        part.contains("Tier high requires 3 of ml-lead, security, legal"),
        "{part}"
    );
    assert!(part.contains("this AIBOM): ml-lead, security."), "{part}");
    assert!(
        part.contains("| arc\\_easy/acc \\[none\\] | at least 0.55 | 0.583 from eval/results"),
        "{part}"
    );
    assert!(part.contains("| pass |"), "{part}");
    assert!(
        part.contains("| gsm8k/exact\\_match \\[strict-match\\] | at least 0.2 | 0.1 from"),
        "{part}"
    );
    assert!(part.contains("| **fail** |"), "{part}");

    // The HTML says the same.
    let html_args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "markdown" { "html" } else { a })
        .collect();
    let (code, html, err) = aibom(&html_args, None);
    assert_eq!(code, 0, "{err}");
    let section = html
        .split("<section id=\"release\">")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    for fact in [
        "Tier high requires 3 of ml-lead, security, legal",
        "this AIBOM): ml-lead, security.",
        "arc_easy/acc [none]",
        "at least 0.55",
        "0.583 from eval/results",
        "gsm8k/exact_match [strict-match]",
        ">pass<",
        ">fail<",
    ] {
        assert!(section.contains(fact), "{fact}: {section}");
    }
}

#[test]
fn stage_into_the_model_directory_is_refused_and_writes_nothing() {
    let lab = Lab::signed();
    lab.policy("");
    let model = lab.model();
    let before = tree(&model);
    let dest = model.join("deploy");
    let (code, _, err) = lab.stage(&dest);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("which is being verified"), "{err}");
    assert_eq!(tree(&model), before);
}
