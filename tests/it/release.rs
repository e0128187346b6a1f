//! `aibom generate` with `[release]`: every artifact file recorded with its SHA-256, manifests
//! and metrics recorded with their source, schema-valid, byte-stable (samples/release).

use crate::support::*;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

fn generate_release(root: &Path) -> (i32, Vec<u8>, String) {
    let out = bin()
        .current_dir(root)
        .args([
            "generate",
            "model",
            "--config",
            "aibom.toml",
            "--no-progress",
        ])
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256_hex(p: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// Every file under `dir`, relative to `root`, `/`-separated.
fn files_under(root: &Path, dir: &str) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(root.join(dir))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

fn property<'a>(v: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    v["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .filter_map(|p| p["value"].as_str())
        .collect()
}

#[test]
fn release_aibom_records_every_artifact_file_with_its_sha256_and_validates() {
    let root = samples().join("release");
    let (code, bytes, stderr) = generate_release(&root);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let problems = aibom::bom::validate::validate(&doc);
    assert!(problems.is_empty(), "{problems:#?}");

    let model = &doc["metadata"]["component"];
    assert_eq!(property(model, "aibom:release:tier"), ["high"]);
    assert_eq!(property(model, "aibom:release:path"), ["model"]);

    // Every artifact file, by role, with its digest as sha256sum computes it.
    let mut recorded: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut roles: BTreeMap<String, String> = BTreeMap::new();
    for c in doc["components"].as_array().unwrap() {
        let Some(role) = property(c, "aibom:release:role").first().copied() else {
            continue;
        };
        roles.insert(c["bom-ref"].as_str().unwrap().to_owned(), role.to_owned());
        let files = c["components"].as_array().unwrap();
        assert_eq!(
            property(c, "aibom:release:file-count"),
            [files.len().to_string()]
        );
        for f in files {
            assert_eq!(f["type"], "file");
            assert_eq!(f["hashes"][0]["alg"], "SHA-256");
            let old = recorded.insert(
                f["name"].as_str().unwrap().to_owned(),
                (
                    role.to_owned(),
                    f["hashes"][0]["content"].as_str().unwrap().to_owned(),
                ),
            );
            assert!(old.is_none(), "{} recorded twice", f["name"]);
        }
    }
    let mut expected = Vec::new();
    for (dir, role) in [
        ("data/tickets", "dataset"),
        ("data/web-crawl-v3.sha256", "dataset"),
        ("data/synthetic-dialogues-v1.json", "dataset"),
        ("prompts", "prompts"),
        ("eval", "evaluation"),
        ("serving", "runtime-policy"),
    ] {
        for f in files_under(&root, dir) {
            expected.push((f.clone(), (role.to_owned(), sha256_hex(&root.join(&f)))));
        }
    }
    assert_eq!(recorded, expected.into_iter().collect::<BTreeMap<_, _>>());
    assert!(recorded.contains_key("prompts/templates/answer.jinja"));

    // The model's own files stay where they were, not mixed with the release's.
    let model_files: Vec<&str> = model["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        model_files,
        ["README.md", "config.json", "model.safetensors"]
    );

    // Data types per role, and the complete composition lists every artifact.
    for c in doc["components"].as_array().unwrap() {
        let Some(role) = roles.get(c["bom-ref"].as_str().unwrap()) else {
            continue;
        };
        assert_eq!(c["type"], "data");
        let want = match role.as_str() {
            "dataset" => "dataset",
            "prompts" | "runtime-policy" => "configuration",
            _ => "other",
        };
        assert_eq!(c["data"][0]["type"], want, "{role}");
    }
    let assemblies: Vec<&str> = doc["compositions"][0]["assemblies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for r in roles.keys() {
        assert!(assemblies.contains(&r.as_str()), "{r}");
    }
}

#[test]
fn datasets_carry_governance_manifest_contents_and_stay_apart_from_declared_ones() {
    let root = samples().join("release");
    let (_, bytes, _) = generate_release(&root);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let comp = |r: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"] == r)
            .unwrap_or_else(|| panic!("no component {r}"))
            .clone()
    };
    let tickets = comp("release:dataset:support-tickets-2026-05");
    assert_eq!(property(&tickets, "aibom:dataset:content"), ["hashed"]);
    assert_eq!(
        property(&tickets, "aibom:release:declared"),
        ["aibom/support-tickets"]
    );
    assert_eq!(
        tickets["data"][0]["governance"]["owners"][0]["organization"]["name"],
        "Support operations"
    );
    assert_eq!(tickets["data"][0]["classification"], "confidential");
    // The declaration the release dataset stands for is not listed a second time.
    assert!(
        !doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["bom-ref"] == "dataset:aibom/support-tickets")
    );
    let refs: Vec<&str> = doc["metadata"]["component"]["modelCard"]["modelParameters"]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["ref"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&"release:dataset:support-tickets-2026-05"));

    let crawl = comp("release:dataset:web-crawl-v3");
    assert_eq!(property(&crawl, "aibom:dataset:content"), ["manifest"]);
    assert_eq!(
        property(&crawl, "aibom:release:layout"),
        ["manifest-sha256sum"]
    );
    let listed: Vec<serde_json::Value> = crawl["data"][0]["contents"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["name"], "aibom:dataset:file");
            serde_json::from_str(p["value"].as_str().unwrap()).unwrap()
        })
        .collect();
    let manifest = std::fs::read_to_string(root.join("data/web-crawl-v3.sha256")).unwrap();
    let want: Vec<(String, String)> = manifest
        .lines()
        .map(|l| {
            let (h, p) = l.split_once("  ").unwrap();
            (p.to_owned(), h.to_owned())
        })
        .collect();
    let got: Vec<(String, String)> = listed
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_owned(),
                v["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let synthetic = comp("release:dataset:synthetic-dialogues-v1");
    assert_eq!(
        property(&synthetic, "aibom:release:layout"),
        ["manifest-json"]
    );
    let first: serde_json::Value = serde_json::from_str(
        synthetic["data"][0]["contents"]["properties"][0]["value"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["size"], 1024);
}

#[test]
fn metrics_are_recorded_with_their_source_file_and_digest_or_the_model_card() {
    let root = samples().join("release");
    let (_, bytes, _) = generate_release(&root);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let eval = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| property(c, "aibom:release:role") == ["evaluation"])
        .unwrap();
    let file = &eval["components"][0];
    assert_eq!(file["name"], "eval/results_2026-05-01T12-00-00.json");
    assert_eq!(
        file["hashes"][0]["content"],
        sha256_hex(&root.join("eval/results_2026-05-01T12-00-00.json"))
    );
    assert_eq!(
        property(file, "aibom:evaluation:format"),
        ["lm-evaluation-harness"]
    );
    let metrics: Vec<serde_json::Value> = property(file, "aibom:evaluation:metric")
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    let arc = metrics
        .iter()
        .find(|m| m["task"] == "arc_easy" && m["metric"] == "acc")
        .unwrap();
    assert_eq!(arc["value"], "0.583");
    assert_eq!(arc["stderr"], "0.0156");
    assert_eq!(arc["n-shot"], "0");
    assert_eq!(arc["filter"], "none");
    let flexible = metrics
        .iter()
        .find(|m| m["filter"] == "flexible-extract")
        .unwrap();
    assert!(flexible.get("stderr").is_none(), "N/A is not a number");
    assert_eq!(metrics.len(), 4);

    let card = &doc["metadata"]["component"]["modelCard"];
    let card_metric: serde_json::Value =
        serde_json::from_str(property(card, "aibom:evaluation:metric")[0]).unwrap();
    assert_eq!(card_metric["metric"], "accuracy");
    assert_eq!(card_metric["value"], "0.81");
    let performance: Vec<(&str, &str, &str)> = card["quantitativeAnalysis"]["performanceMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["type"].as_str().unwrap(),
                m["value"].as_str().unwrap(),
                m["slice"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        performance,
        [
            ("accuracy", "0.81", "support eval (test)"),
            ("acc", "0.583", "arc_easy"),
            ("acc_norm", "0.549", "arc_easy"),
            ("exact_match", "0.12", "gsm8k (flexible-extract)"),
            ("exact_match", "0.1", "gsm8k (strict-match)"),
        ]
    );
}

#[test]
fn release_aibom_is_byte_identical_across_runs_and_names_no_local_path() {
    let root = samples().join("release");
    let (_, a, _) = generate_release(&root);
    let (_, b, _) = generate_release(&root);
    assert_eq!(a, b);
    assert!(!String::from_utf8_lossy(&a).contains(samples().to_str().unwrap()));
    snapshot("release.cdx.json", &a);
}

/// A copy of the sample release in a scratch directory, to break.
fn scratch_release() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let src = samples().join("release");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let to = t.path().join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    t
}

#[test]
fn a_changed_prompt_file_changes_its_recorded_digest() {
    let t = scratch_release();
    let (_, before, _) = generate_release(t.path());
    std::fs::write(t.path().join("prompts/system.txt"), "Share everything.\n").unwrap();
    let (_, after, _) = generate_release(t.path());
    let digest = |bytes: &[u8]| {
        let doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["components"].as_array().cloned().unwrap_or_default())
            .find(|f| f["name"] == "prompts/system.txt")
            .unwrap()["hashes"][0]["content"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(digest(&before), digest(&after));
    assert_eq!(
        digest(&after),
        sha256_hex(&t.path().join("prompts/system.txt"))
    );
}

#[test]
fn broken_release_configs_are_refused_naming_the_path() {
    let t = scratch_release();
    let toml = std::fs::read_to_string(t.path().join("aibom.toml")).unwrap();
    std::fs::remove_dir_all(t.path().join("serving")).unwrap();
    let (code, _, stderr) = generate_release(t.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("release.runtime-policy: ") && stderr.contains("serving: no such file"),
        "{stderr}"
    );
    std::fs::write(
        t.path().join("aibom.toml"),
        toml.replace(
            "runtime-policy = [\"serving\"]",
            "runtime-policy = [\"../serving\"]",
        ),
    )
    .unwrap();
    let (code, _, stderr) = generate_release(t.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("climbs with '..'"), "{stderr}");
    std::fs::create_dir(t.path().join("elsewhere")).unwrap();
    std::fs::write(
        t.path().join("aibom.toml"),
        toml.replace("runtime-policy = [\"serving\"]\n", "")
            .replace("model = \"model\"", "model = \"elsewhere\""),
    )
    .unwrap();
    let (code, _, stderr) = generate_release(t.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("not the model directory [release] names"),
        "{stderr}"
    );
}

#[test]
fn a_link_leaving_an_artifact_is_a_finding_about_it_and_fails_generate() {
    let t = scratch_release();
    std::os::unix::fs::symlink("/etc/hostname", t.path().join("serving/extra.yaml")).unwrap();
    let (code, bytes, stderr) = generate_release(t.path());
    assert_eq!(code, 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(aibom::bom::validate::validate(&doc).is_empty());
    let v = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "symlink-escape")
        .unwrap();
    assert_eq!(v["affects"][0]["ref"], "release:runtime-policy:serving");
    assert_eq!(property(v, "aibom:finding:path"), ["serving/extra.yaml"]);
}
