//! `aibom generate --format spdx3`: SPDX 3.0.1 JSON-LD stating the same facts as the CycloneDX
//! AIBOM, byte-stable, every scanned file present with its digest. Validation against the
//! SPDX 3.0.1 model itself is `tests/spdx/validate.py` (spdx-python-model) and
//! `tests/spdx/shacl.py` (the model's SHACL shapes, `schemas/spdx3/`), both run by `.ci/run`.

use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn generate_spdx(cwd: &Path, dir: &str, extra: &[&str]) -> Vec<u8> {
    let extra = [&["--format", "spdx3"], extra].concat();
    generate_in(cwd, dir, &extra).1
}

fn graph(bytes: &[u8]) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    doc["@graph"].as_array().unwrap().clone()
}

fn of_type<'a>(g: &'a [Value], kind: &str) -> Vec<&'a Value> {
    g.iter().filter(|o| o["type"] == kind).collect()
}

/// `to` of the relationships of one type from one element.
fn related(g: &[Value], from: &str, kind: &str) -> BTreeSet<String> {
    of_type(g, "Relationship")
        .into_iter()
        .filter(|r| r["from"] == from && r["relationshipType"] == kind)
        .flat_map(|r| r["to"].as_array().unwrap().iter())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn sha256_of(o: &Value) -> Option<&str> {
    o["verifiedUsing"]
        .as_array()?
        .iter()
        .find(|h| h["algorithm"] == "sha256")?["hashValue"]
        .as_str()
}

fn root_model(g: &[Value]) -> &Value {
    let docs = of_type(g, "SpdxDocument");
    assert_eq!(docs.len(), 1);
    let root = docs[0]["rootElement"][0].as_str().unwrap();
    let model = g.iter().find(|o| o["spdxId"] == root).unwrap();
    assert_eq!(model["type"], "ai_AIPackage");
    assert_eq!(model["software_primaryPurpose"], "model");
    model
}

#[test]
fn spdx_output_is_byte_identical_across_runs_and_honours_the_timestamp() {
    let repo = repo();
    for dir in [
        "samples/benign/hf_model",
        "samples/malicious/hf_dir_with_payload",
    ] {
        let a = generate_spdx(&repo, dir, &[]);
        let b = generate_spdx(&repo, dir, &[]);
        assert_eq!(a, b, "{dir}");
        let g = graph(&a);
        assert_eq!(g[0]["type"], "CreationInfo");
        assert_eq!(g[0]["specVersion"], "3.0.1");
        assert_eq!(g[0]["created"], "1970-01-01T00:00:00Z");
    }
    let t = generate_spdx(
        &repo,
        "samples/benign/hf_model",
        &["--timestamp", "2026-05-01T12:00:00Z"],
    );
    assert_eq!(graph(&t)[0]["created"], "2026-05-01T12:00:00Z");
    let release = samples().join("release");
    let a = generate_spdx(&release, "model", &["--config", "aibom.toml"]);
    let b = generate_spdx(&release, "model", &["--config", "aibom.toml"]);
    assert_eq!(a, b);
}

#[test]
fn every_scanned_file_is_a_software_file_with_the_scans_digest() {
    let dir = samples().join("benign/hf_model");
    let (_, report) = scan_json(&dir, &[]);
    let scanned: BTreeMap<String, String> = report["targets"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!scanned.is_empty());
    let g = graph(&generate_spdx(&repo(), dir.to_str().unwrap(), &[]));
    let model = root_model(&g);
    assert_eq!(model["name"], "hf_model");
    let files: BTreeMap<String, (String, String)> = of_type(&g, "software_File")
        .into_iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                (
                    f["spdxId"].as_str().unwrap().to_owned(),
                    sha256_of(f).unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let digests: BTreeMap<String, String> = files
        .iter()
        .map(|(k, (_, d))| (k.clone(), d.clone()))
        .collect();
    assert_eq!(digests, scanned);
    let contained = related(&g, model["spdxId"].as_str().unwrap(), "contains");
    let ids: BTreeSet<String> = files.values().map(|(id, _)| id.clone()).collect();
    assert_eq!(contained, ids);
    assert_eq!(
        of_type(&g, "software_File")
            .iter()
            .find(|f| f["name"] == "model.safetensors")
            .unwrap()["software_primaryPurpose"],
        "model"
    );
    // Each element is listed by the document, and every reference resolves.
    let all: BTreeSet<&str> = g.iter().filter_map(|o| o["spdxId"].as_str()).collect();
    for r in of_type(&g, "Relationship") {
        for to in r["to"].as_array().unwrap() {
            assert!(all.contains(to.as_str().unwrap()), "{to}");
        }
    }
}

#[test]
fn release_datasets_are_dataset_packages_the_model_was_trained_on_with_their_file_digests() {
    let release = samples().join("release");
    let g = graph(&generate_spdx(
        &release,
        "model",
        &["--config", "aibom.toml"],
    ));
    let model = root_model(&g);
    assert_eq!(model["name"], "aibom/support-assistant");
    assert_eq!(model["software_packageVersion"], "2026.05.1");
    assert!(
        model["ai_hyperparameter"]
            .as_array()
            .is_some_and(|h| !h.is_empty())
    );
    assert!(model["ai_metric"].as_array().is_some_and(|m| !m.is_empty()));
    let model_id = model["spdxId"].as_str().unwrap();
    let datasets = of_type(&g, "dataset_DatasetPackage");
    let names: BTreeSet<&str> = datasets
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "support-tickets-2026-05",
            "synthetic-dialogues-v1",
            "web-crawl-v3"
        ])
    );
    let ids: BTreeSet<String> = datasets
        .iter()
        .map(|d| d["spdxId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(related(&g, model_id, "trainedOn"), ids);
    // The hashed dataset's files: each with the digest of the file on disk.
    let tickets = datasets
        .iter()
        .find(|d| d["name"] == "support-tickets-2026-05")
        .unwrap();
    assert!(tickets["dataset_datasetType"].as_array().is_some());
    let held = related(&g, tickets["spdxId"].as_str().unwrap(), "contains");
    assert!(!held.is_empty());
    for id in &held {
        let f = g.iter().find(|o| o["spdxId"] == id.as_str()).unwrap();
        let path = release.join(f["name"].as_str().unwrap());
        let want = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            std::fs::read(&path).unwrap(),
        ));
        assert_eq!(sha256_of(f), Some(want.as_str()), "{}", path.display());
    }
    // Libraries and the other artifacts are dependencies; the licence is declared.
    assert!(!related(&g, model_id, "dependsOn").is_empty());
    let licences = related(&g, model_id, "hasDeclaredLicense");
    assert_eq!(licences.len(), 1);
    // Declared owners are organisations the model and the dataset originate from.
    let org = |id: &Value| {
        g.iter()
            .find(|o| o["spdxId"] == *id && o["type"] == "Organization")
            .map(|o| o["name"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        org(&model["originatedBy"][0]).as_deref(),
        Some("ML platform <mlp@example.com>")
    );
    assert_eq!(
        org(&tickets["originatedBy"][0]).as_deref(),
        Some("Support operations")
    );
}

#[test]
fn an_adapter_descends_from_its_base_model() {
    let dir = samples().join("benign/lora_adapter");
    let g = graph(&generate_spdx(&repo(), dir.to_str().unwrap(), &[]));
    let model = root_model(&g);
    let bases = related(&g, model["spdxId"].as_str().unwrap(), "descendantOf");
    assert_eq!(bases.len(), 1);
    let base = g
        .iter()
        .find(|o| o["spdxId"] == bases.iter().next().unwrap().as_str())
        .unwrap();
    assert_eq!(base["type"], "ai_AIPackage");
    assert_eq!(base["name"], "aibom/tiny-base");
    assert_eq!(
        base["software_packageUrl"],
        "pkg:huggingface/aibom/tiny-base"
    );
}

#[test]
fn findings_are_review_annotations_on_the_file_they_are_about() {
    let dir = samples().join("malicious/hf_dir_with_payload");
    let g = graph(&generate_spdx(&repo(), dir.to_str().unwrap(), &[]));
    let notes = of_type(&g, "Annotation");
    assert!(!notes.is_empty());
    for n in notes {
        assert_eq!(n["annotationType"], "review");
        let subject = g.iter().find(|o| o["spdxId"] == n["subject"]).unwrap();
        assert_eq!(subject["type"], "software_File", "{n}");
        assert!(!n["statement"].as_str().unwrap().is_empty());
    }
}

#[test]
fn diff_and_validate_refuse_spdx_input_naming_the_cyclonedx_aibom() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("m.spdx.json");
    std::fs::write(&p, generate_spdx(&repo(), "samples/benign/hf_model", &[])).unwrap();
    let p = p.to_str().unwrap();
    for args in [vec!["diff", p, p], vec!["validate", p]] {
        let out = run(&args, t.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("SPDX 3 input is not supported") && err.contains("CycloneDX AIBOM"),
            "{err}"
        );
    }
}

#[test]
fn the_ai_and_dataset_profiles_are_not_claimed_without_release_times_and_suppliers() {
    let release = samples().join("release");
    let adapter = samples().join("benign/lora_adapter");
    for (cwd, dir, extra) in [
        (release.clone(), "model", &["--config", "aibom.toml"][..]),
        (repo(), adapter.to_str().unwrap(), &[][..]),
    ] {
        let g = graph(&generate_spdx(&cwd, dir, extra));
        // The classes are used; what their profiles require is not known to a scan.
        let packages: Vec<&Value> = of_type(&g, "ai_AIPackage")
            .into_iter()
            .chain(of_type(&g, "dataset_DatasetPackage"))
            .collect();
        assert!(packages.len() >= 2, "{dir}");
        for p in &packages {
            assert!(p.get("releaseTime").is_none(), "{dir}: {}", p["name"]);
            assert!(p.get("suppliedBy").is_none(), "{dir}: {}", p["name"]);
        }
        let claimed = &of_type(&g, "SpdxDocument")[0]["profileConformance"];
        // both declare a licence: a SimpleLicensing expression
        assert_eq!(
            claimed,
            &serde_json::json!(["core", "software", "simpleLicensing"]),
            "{dir}"
        );
    }
}
