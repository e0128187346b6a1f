//! `aibom generate` and `aibom validate`: schema-valid, complete, byte-stable AIBOMs.

use crate::support::*;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

fn generate(dir: &Path, extra: &[&str]) -> (i32, Vec<u8>) {
    generate_in(&repo(), dir, extra)
}

/// The sample directories an AIBOM is generated for.
fn sample_dirs() -> Vec<std::path::PathBuf> {
    [
        "benign/hf_model",
        "benign/lora_adapter",
        "benign/hub_cache/models--aibom--tiny",
        "benign",
        "malicious/hf_dir_with_payload",
        "malicious",
        "malformed",
    ]
    .iter()
    .map(|d| samples().join(d))
    .collect()
}

#[test]
fn every_sample_aibom_validates_against_the_cyclonedx_schema_and_rules() {
    for dir in sample_dirs() {
        let (_, bytes) = generate(&dir, &[]);
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let problems = aibom::bom::validate::validate(&doc);
        assert!(problems.is_empty(), "{}: {problems:#?}", dir.display());
    }
}

#[test]
fn generating_twice_gives_identical_bytes_and_reserialising_changes_nothing() {
    for dir in sample_dirs() {
        let (_, a) = generate(&dir, &[]);
        let (_, b) = generate(&dir, &[]);
        assert_eq!(a, b, "{}", dir.display());
        let parsed: aibom::bom::model::Bom = serde_json::from_slice(&a).unwrap();
        assert_eq!(
            aibom::bom::to_json(&parsed).unwrap(),
            a,
            "{}",
            dir.display()
        );
        let doc: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert!(doc["metadata"].get("timestamp").is_none());
        assert!(!String::from_utf8_lossy(&a).contains(samples().to_str().unwrap()));
    }
}

#[test]
fn every_file_hash_equals_sha256sum_of_the_file() {
    let dir = samples().join("benign/hf_model");
    let (_, bytes) = generate(&dir, &[]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let files = doc["metadata"]["component"]["components"]
        .as_array()
        .unwrap();
    let mut seen = 0;
    for f in files {
        let name = f["name"].as_str().unwrap();
        let want = hex::encode(sha2::Sha256::digest(std::fs::read(dir.join(name)).unwrap()));
        assert_eq!(f["hashes"][0]["content"], want, "{name}");
        assert_eq!(f["hashes"][0]["alg"], "SHA-256");
        seen += 1;
    }
    let on_disk = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert_eq!(seen, on_disk, "every file is listed");
    assert_eq!(doc["compositions"][0]["aggregate"], "complete");
}

#[test]
fn records_card_config_datasets_lineage_and_libraries() {
    let (_, bytes) = generate(&samples().join("benign/lora_adapter"), &[]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let model = &doc["metadata"]["component"];
    assert_eq!(model["type"], "machine-learning-model");
    // llama2 is not an SPDX id: a declared licence name.
    assert_eq!(model["licenses"][0]["license"]["name"], "llama2");
    assert_eq!(model["tags"], serde_json::json!(["lora", "aibom-sample"]));
    let card = &model["modelCard"];
    assert_eq!(card["modelParameters"]["task"], "text-generation");
    let props: BTreeMap<&str, &str> = card["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(props["cdx:ai-ml:model:language"], "en,fr");
    assert_eq!(props["cdx:ai-ml:model:parameter:tune_method"], "lora");
    assert_eq!(props["cdx:ai-ml:model:parameter:count"], "4");
    assert_eq!(props["cdx:ai-ml:model:template:chat"], "true");
    assert_eq!(props["aibom:adapter:r"], "8");
    assert_eq!(props["aibom:adapter:target_modules"], "q_proj,v_proj");
    let metric = &card["quantitativeAnalysis"]["performanceMetrics"][0];
    assert_eq!(metric["type"], "accuracy");
    assert_eq!(metric["value"], "0.5");
    assert_eq!(metric["slice"], "aibom tiny eval (test)");

    let by_ref: BTreeMap<String, &serde_json::Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["bom-ref"].as_str().unwrap().to_owned(), c))
        .collect();
    let datasets = card["modelParameters"]["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 2);
    for d in datasets {
        assert_eq!(by_ref[d["ref"].as_str().unwrap()]["type"], "data");
    }
    // Lineage: pedigree names the base, which is a component the adapter depends on.
    assert_eq!(model["pedigree"]["ancestors"][0]["name"], "aibom/tiny-base");
    assert_eq!(
        by_ref["model:aibom/tiny-base"]["type"],
        "machine-learning-model"
    );
    // Libraries: a version only when pinned.
    assert_eq!(by_ref["pkg:pypi/peft@0.11.1"]["version"], "0.11.1");
    assert!(by_ref["pkg:pypi/torch"].get("version").is_none());
    let deps = doc["dependencies"].as_array().unwrap();
    let model_deps: Vec<&str> =
        deps.iter().find(|d| d["ref"] == model["bom-ref"]).unwrap()["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
    for r in [
        "model:aibom/tiny-base",
        "dataset:aibom/tiny-eval",
        "pkg:pypi/peft@0.11.1",
    ] {
        assert!(model_deps.contains(&r), "{r} in {model_deps:?}");
    }
}

#[test]
fn findings_become_vulnerabilities_affecting_their_file() {
    let (code, bytes) = generate(&samples().join("malicious/hf_dir_with_payload"), &[]);
    assert_eq!(code, 1, "generate fails on unsafe findings like scan");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let call = vulns
        .iter()
        .find(|v| v["id"] == "pickle-dangerous-call")
        .expect("the os.system call is recorded");
    assert_eq!(call["affects"][0]["ref"], "file:pytorch_model.bin");
    assert_eq!(call["ratings"][0]["severity"], "critical");
    assert_eq!(call["cwes"][0], 502);
    assert!(call["detail"].as_str().unwrap().contains("os"));
}

#[test]
fn timestamp_only_when_asked() {
    let dir = samples().join("benign/hf_model");
    let out = bin()
        .args(["generate", "--no-progress"])
        .arg(&dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let (_, bytes) = generate(&dir, &["--timestamp", "2026-01-31T12:00:00Z"]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["metadata"]["timestamp"], "2026-01-31T12:00:00Z");
    let out = bin()
        .args(["generate", "--timestamp", "yesterday"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hub_cache_gives_a_pinned_hugging_face_purl() {
    let (_, bytes) = generate(&samples().join("benign/hub_cache/models--aibom--tiny"), &[]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let model = &doc["metadata"]["component"];
    assert_eq!(model["name"], "aibom/tiny");
    let purl = model["purl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:huggingface/aibom/tiny@"), "{purl}");
    assert_eq!(purl.len(), "pkg:huggingface/aibom/tiny@".len() + 40);
}

#[test]
fn validate_command_reports_problems_and_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let (_, bytes) = generate(&samples().join("benign/hf_model"), &[]);
    let good = d.path().join("good.json");
    std::fs::write(&good, &bytes).unwrap();
    let out = bin().arg("validate").arg(&good).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Break a reference and a hash.
    let mut doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    doc["dependencies"][0]["ref"] = "model:nowhere".into();
    doc["metadata"]["component"]["components"][0]["hashes"][0]["content"] = "abcd".into();
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = bin()
        .args(["validate", "--format", "json"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["problems"].as_array().unwrap().len() >= 2, "{v}");
}

#[test]
fn writes_the_aibom_atomically() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("model.cdx.json");
    let out = bin()
        .args(["generate", "--no-progress", "-o"])
        .arg(&target)
        .arg(samples().join("benign/hf_model"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(doc["specVersion"], "1.6");
}

fn props(v: &serde_json::Value) -> Vec<(String, String)> {
    v["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn owner_declared_facts_are_recorded_and_marked_as_declared() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("aibom.toml");
    std::fs::write(
        &cfg,
        r#"
[model]
description = "Support assistant adapter"
owners = ["ML platform"]
users = ["support agents"]
intended-use = ["drafting replies to customers"]
limitations = ["English and French only"]

[[dataset]]
name = "aibom/tiny-instructions"
url = "https://example.com/datasets/tiny-instructions"
role = "fine-tuning"
provenance = "written by the support team, 2026-05"
license = "cc-by-4.0"
classification = "internal"
sensitive-data = ["customer names"]
owners = ["Support operations"]

[[dataset]]
name = "internal/red-team-prompts"
role = "evaluation"
"#,
    )
    .unwrap();
    let (_, bytes) = generate(
        &samples().join("benign/lora_adapter"),
        &["--config", cfg.to_str().unwrap()],
    );
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(aibom::bom::validate::validate(&doc).is_empty());
    let model = &doc["metadata"]["component"];
    assert_eq!(model["description"], "Support assistant adapter");
    let mp = props(model);
    assert!(mp.contains(&("aibom:declared-by".into(), "owner (aibom.toml)".into())));
    assert!(mp.contains(&("aibom:declared:owner".into(), "ML platform".into())));
    let cons = &model["modelCard"]["considerations"];
    assert_eq!(cons["users"][0], "support agents");
    assert_eq!(cons["useCases"][0], "drafting replies to customers");
    let ds: Vec<&serde_json::Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "data")
        .collect();
    let tiny = ds
        .iter()
        .find(|c| c["name"] == "aibom/tiny-instructions")
        .unwrap();
    assert_eq!(tiny["data"][0]["classification"], "internal");
    assert_eq!(tiny["data"][0]["sensitiveData"][0], "customer names");
    assert_eq!(
        tiny["data"][0]["governance"]["owners"][0]["organization"]["name"],
        "Support operations"
    );
    assert_eq!(tiny["licenses"][0]["license"]["id"], "CC-BY-4.0");
    assert!(props(tiny).contains(&("aibom:dataset:role".into(), "fine-tuning".into())));
    // Named only by the owners: still a dataset of the model.
    let red = ds
        .iter()
        .find(|c| c["name"] == "internal/red-team-prompts")
        .unwrap();
    let refs: Vec<&str> = model["modelCard"]["modelParameters"]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ref"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&red["bom-ref"].as_str().unwrap()));
    // Undeclared datasets say what is unknown about them.
    let eval = ds.iter().find(|c| c["name"] == "aibom/tiny-eval").unwrap();
    assert!(
        props(eval)
            .iter()
            .any(|(k, _)| k == "aibom:dataset:unknown")
    );
}

#[test]
fn a_licence_file_that_contradicts_the_card_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("model");
    std::fs::create_dir(&m).unwrap();
    for f in ["README.md", "config.json", "model.safetensors"] {
        std::fs::copy(samples().join("benign/hf_model").join(f), m.join(f)).unwrap();
    }
    std::fs::write(
        m.join("LICENSE"),
        "MIT License\n\nPermission is hereby granted, free of charge, to any person",
    )
    .unwrap();
    let (_, bytes) = generate(&m, &[]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mp = props(&doc["metadata"]["component"]);
    let conflict = mp
        .iter()
        .find(|(k, _)| k == "aibom:license:conflict")
        .expect("conflict flagged");
    assert!(
        conflict.1.contains("apache-2.0") && conflict.1.contains("mit"),
        "{conflict:?}"
    );
}

/// Golden AIBOMs: a change in what is recorded shows up as a diff in review. Regenerate with
/// `AIBOM_BLESS=1 cargo test --test it snapshot`.
#[test]
fn snapshot_aiboms_are_pinned() {
    for (dir, name) in [
        ("benign/hf_model", "hf_model"),
        ("benign/lora_adapter", "lora_adapter"),
        ("malicious/hf_dir_with_payload", "hf_dir_with_payload"),
    ] {
        let (_, bytes) = generate(&samples().join(dir), &[]);
        snapshot(&format!("{name}.cdx.json"), &bytes);
    }
}

#[test]
fn gguf_metadata_fills_the_model_card_and_findings_from_other_formats_are_recorded() {
    let (_, bytes) = generate(&samples().join("formats/gguf/benign"), &[]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(aibom::bom::validate::validate(&doc).is_empty());
    let model = &doc["metadata"]["component"];
    assert_eq!(
        model["modelCard"]["modelParameters"]["architectureFamily"],
        "llama"
    );
    assert_eq!(model["licenses"][0]["license"]["id"], "Apache-2.0");
    let p: BTreeMap<String, String> = props(&model["modelCard"]).into_iter().collect();
    assert_eq!(p["cdx:ai-ml:model:hyperparameter:context_length"], "2048");
    assert_eq!(p["cdx:ai-ml:model:template:chat"], "true");
    assert!(p.contains_key("cdx:ai-ml:model:hyperparameter:quantization"));
    assert!(
        model["pedigree"]["ancestors"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    // Findings of every format become vulnerabilities of the AIBOM.
    for (dir, code) in [
        ("formats/gguf/malicious", "chat-template-injection"),
        ("formats/onnx/malicious", "onnx-external-data-escape"),
        ("formats/keras/malicious", "keras-lambda"),
        ("formats/secrets/malicious", "secret-exposed"),
        ("malicious/remote_code", "remote-code"),
    ] {
        let (_, bytes) = generate(&samples().join(dir), &[]);
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(aibom::bom::validate::validate(&doc).is_empty(), "{dir}");
        let ids: Vec<&str> = doc["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&code), "{dir}: {ids:?}");
        // A secret is never copied into the AIBOM.
        assert!(
            !String::from_utf8_lossy(&bytes).contains("AibomFake"),
            "{dir}"
        );
    }
}
