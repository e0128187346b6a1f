//! `aibom diff`: two releases of a sample model, generated, changed and compared; exit codes of
//! `--fail-on`; Markdown and JSON pinned in `tests/snapshots/diff/` (regenerate with
//! `AIBOM_BLESS=1 cargo test --test it diff`); a foreign CycloneDX 1.5 document.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dst = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// `aibom generate DIR [extra]` -> the AIBOM written to `out`.
fn generate(dir: &Path, out: &Path, extra: &[&str]) {
    let o = bin()
        .args(["generate", "--no-progress", "-o"])
        .arg(out)
        .arg(dir)
        .args(extra)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert_ne!(
        o.status.code(),
        Some(2),
        "generate failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Run {
    let o = bin()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn diff_json(old: &Path, new: &Path) -> Value {
    let r = diff(old, new, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Pins `text` as `tests/snapshots/diff/<name>`.
fn snapshot(name: &str, text: &str) {
    crate::support::snapshot(&format!("diff/{name}"), text.as_bytes());
}

fn snapshots(name: &str, old: &Path, new: &Path, tmp: &Path) {
    for (format, ext) in [("json", "json"), ("markdown", "md")] {
        let r = diff(old, new, &["--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            !r.stdout.contains(tmp.to_str().unwrap()),
            "no temporary paths in the output"
        );
        snapshot(&format!("{name}.{ext}"), &r.stdout);
    }
}

fn strs(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

/// Two releases of `samples/benign/hf_model`: the new one has changed weights, a pickle that
/// runs `os.system`, no generation config, an MIT licence and one more dataset.
struct HfRelease {
    tmp: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
}

fn hf_release(old_cfg: &[&str], new_cfg: &[&str]) -> HfRelease {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a/hf_model"), tmp.path().join("b/hf_model"));
    copy_dir(&samples().join("benign/hf_model"), &a);
    copy_dir(&samples().join("benign/hf_model"), &b);
    let weights = b.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    std::fs::write(&weights, bytes).unwrap();
    std::fs::copy(
        samples().join("malicious/reduce_os_system_p4.pkl"),
        b.join("evil.pkl"),
    )
    .unwrap();
    std::fs::remove_file(b.join("generation_config.json")).unwrap();
    let readme = std::fs::read_to_string(b.join("README.md")).unwrap();
    let readme = readme
        .replace("license: apache-2.0", "license: mit")
        .replace(
            "  - aibom/tiny-corpus\n",
            "  - aibom/tiny-corpus\n  - aibom/tiny-extra\n",
        );
    std::fs::write(b.join("README.md"), readme).unwrap();
    let (old, new) = (
        tmp.path().join("old.cdx.json"),
        tmp.path().join("new.cdx.json"),
    );
    generate(&a, &old, old_cfg);
    generate(&b, &new, new_cfg);
    HfRelease { tmp, old, new }
}

#[test]
fn reports_every_section_of_a_changed_model_release() {
    let r = hf_release(&[], &[]);
    let d = diff_json(&r.old, &r.new);

    assert_eq!(d["old"]["spec_version"], "1.6");
    assert!(d["new"]["tools"][0].as_str().unwrap().starts_with("aibom "));
    assert_eq!(d["new"]["model"]["name"], "hf_model");
    assert_eq!(d["model"], json!([]), "same name, no version");

    let files = &d["files"];
    assert_eq!(strs(&files["added"], "path"), ["evil.pkl"]);
    assert_eq!(
        files["added"][0]["weights"], true,
        "a pickle can carry weights"
    );
    assert_eq!(strs(&files["removed"], "path"), ["generation_config.json"]);
    assert_eq!(
        strs(&files["changed"], "path"),
        ["README.md", "model.safetensors"]
    );
    let w = &files["changed"][1];
    assert_eq!(w["weights"], true);
    assert_eq!(w["format"], "safetensors");
    assert_ne!(w["old_sha256"], w["new_sha256"]);
    assert_eq!(files["changed"][0]["weights"], false);

    assert_eq!(d["licenses"].as_array().unwrap().len(), 1);
    let lic = &d["licenses"][0];
    assert_eq!(lic["model"], true);
    assert_eq!(lic["old"], json!(["Apache-2.0"]));
    assert_eq!(lic["new"], json!(["MIT"]));

    assert_eq!(
        strs(&d["components"]["added"], "name"),
        ["aibom/tiny-extra"]
    );
    assert_eq!(d["components"]["added"][0]["category"], "dataset");
    assert_eq!(d["components"]["removed"], json!([]));
    assert_eq!(d["components"]["changed"], json!([]));
    assert_eq!(d["base_models"]["changed"], json!([]));

    let new = d["findings"]["new"].as_array().unwrap();
    assert!(!new.is_empty());
    for f in new {
        assert_eq!(f["path"], "evil.pkl");
        assert_eq!(f["severity"], "critical");
    }
    assert!(strs(&d["findings"]["new"], "id").contains(&"pickle-dangerous-global".to_owned()));
    assert_eq!(d["findings"]["resolved"], json!([]));

    assert_eq!(
        d["dependencies"]["added"],
        json!([{"from": "hf_model", "to": "aibom/tiny-extra"}])
    );
    assert_eq!(d["dependencies"]["removed"], json!([]));
    assert_eq!(d["chat_templates"], json!([]));
    assert_eq!(
        d["unsupported"],
        json!([]),
        "two aibom documents compare fully"
    );
    assert_eq!(d["summary"]["changed"], true);
    assert_eq!(d["summary"]["weight_files_changed"], 2);

    snapshots("hf_model_release", &r.old, &r.new, r.tmp.path());
}

#[test]
fn human_output_has_a_section_per_kind_of_change_and_a_summary() {
    let r = hf_release(&[], &[]);
    let out = diff(&r.old, &r.new, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        "Findings: ",
        "  + critical",
        "Licences",
        "  ~ the model hf_model: Apache-2.0 -> MIT",
        "Files: 1 added, 1 removed, 2 changed",
        "  ~ model.safetensors",
        "weights",
        "  - generation_config.json",
        "  + dataset  aibom/tiny-extra",
        "  + hf_model -> aibom/tiny-extra",
        "Summary: ",
    ] {
        assert!(out.stdout.contains(needle), "{needle:?} in\n{}", out.stdout);
    }
    assert!(!out.stdout.contains('\x1b'), "no colour off a terminal");
    assert!(!out.stdout.contains(r.tmp.path().to_str().unwrap()));
}

#[test]
fn fail_on_exit_codes_follow_the_drift_kinds() {
    let r = hf_release(&[], &[]);
    for (kinds, want) in [
        (&[][..], 0),
        (&["new-finding"][..], 1),
        (&["escalated-finding"][..], 0),
        (&["weights-changed-same-version"][..], 1),
        (&["license-changed"][..], 1),
        (&["base-model-changed"][..], 0),
        (&["file-added"][..], 1),
        (&["file-removed"][..], 1),
        (&["file-changed"][..], 1),
        (&["dataset-changed"][..], 1),
        (&["dependency-changed"][..], 1),
        (&["any"][..], 1),
        (&["escalated-finding,base-model-changed"][..], 0),
        (&["base-model-changed", "file-added"][..], 1),
        (&["Base-Model-Changed, escalated-finding"][..], 0),
        (&["escalated-finding, File-Added"][..], 1),
    ] {
        let mut args = Vec::new();
        for k in kinds {
            args.extend(["--fail-on", k]);
        }
        let out = diff(&r.old, &r.new, &args);
        assert_eq!(out.code, want, "{kinds:?}: {}", out.stderr);
        if want == 1 {
            assert!(out.stderr.contains("--fail-on"), "{}", out.stderr);
        }
    }
    // The severity threshold: the new findings are critical.
    let out = diff(
        &r.old,
        &r.new,
        &["--fail-on", "new-finding", "--fail-on-severity", "critical"],
    );
    assert_eq!(out.code, 1);
    // Unknown kinds are a usage error, listed in the message.
    let out = diff(&r.old, &r.new, &["--fail-on", "weights"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("weights-changed-same-version"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn new_weights_under_a_new_version_do_not_trip_the_same_version_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = |v: &str| {
        let p = tmp.path().join(format!("aibom-{v}.toml"));
        std::fs::write(&p, format!("[model]\nversion = \"{v}\"\n")).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (c1, c2) = (cfg("1.0"), cfg("1.1"));
    let r = hf_release(&["--config", &c1], &["--config", &c2]);
    let d = diff_json(&r.old, &r.new);
    assert_eq!(
        d["model"],
        json!([{"field": "version", "old": "1.0", "new": "1.1"}])
    );
    let gate = ["--fail-on", "weights-changed-same-version"];
    assert_eq!(diff(&r.old, &r.new, &gate).code, 0);
    // The same version on both sides: the gate trips.
    let r = hf_release(&["--config", &c1], &["--config", &c1]);
    assert_eq!(diff(&r.old, &r.new, &gate).code, 1);
}

#[test]
fn reports_library_bumps_base_model_revisions_and_chat_template_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (
        tmp.path().join("a/lora_adapter"),
        tmp.path().join("b/lora_adapter"),
    );
    copy_dir(&samples().join("benign/lora_adapter"), &a);
    copy_dir(&samples().join("benign/lora_adapter"), &b);
    std::fs::write(
        b.join("requirements.txt"),
        "peft==0.12.0\ntorch>=2.1\nnumpy==1.26.4\n",
    )
    .unwrap();
    let ac = std::fs::read_to_string(b.join("adapter_config.json")).unwrap();
    std::fs::write(
        b.join("adapter_config.json"),
        ac.replace(
            "\"revision\": null",
            "\"revision\": \"0d4c4f9c130b03875f420e4ce1ea220e696a456f\"",
        ),
    )
    .unwrap();
    std::fs::write(
        b.join("tokenizer_config.json"),
        r#"{
  "tokenizer_class": "PreTrainedTokenizerFast",
  "chat_template": "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
}
"#,
    )
    .unwrap();
    let (old, new) = (tmp.path().join("old.json"), tmp.path().join("new.json"));
    generate(&a, &old, &[]);
    generate(&b, &new, &[]);
    let d = diff_json(&old, &new);

    let changed = d["components"]["changed"].as_array().unwrap();
    let peft = changed.iter().find(|c| c["name"] == "peft").unwrap();
    assert_eq!(peft["category"], "library");
    assert_eq!(peft["old_version"], "0.11.1");
    assert_eq!(peft["new_version"], "0.12.0");
    assert_eq!(peft["new_purl"], "pkg:pypi/peft@0.12.0");
    let base = changed
        .iter()
        .find(|c| c["name"] == "aibom/tiny-base")
        .unwrap();
    assert_eq!(base["category"], "model");
    assert_eq!(base["old_version"], Value::Null);
    assert_eq!(
        base["new_version"],
        "0d4c4f9c130b03875f420e4ce1ea220e696a456f"
    );
    assert_eq!(
        strs(&d["components"]["added"], "purl"),
        ["pkg:pypi/numpy@1.26.4"]
    );
    // Lineage: the same base, now pinned.
    assert_eq!(d["base_models"]["changed"].as_array().unwrap().len(), 1);
    assert_eq!(
        d["base_models"]["changed"][0]["new_purl"],
        "pkg:huggingface/aibom/tiny-base@0d4c4f9c130b03875f420e4ce1ea220e696a456f"
    );
    // The template digest changed; the version bump is not a rewired graph.
    assert_eq!(d["chat_templates"].as_array().unwrap().len(), 1);
    assert_eq!(
        d["chat_templates"][0]["name"],
        "tokenizer_config.json#chat_template"
    );
    assert_eq!(
        d["dependencies"],
        json!({"added": [{"from": "lora_adapter", "to": "numpy"}], "removed": []})
    );
    assert_eq!(d["licenses"], json!([]));
    assert_eq!(d["findings"]["new"], json!([]));

    for (kind, want) in [
        ("base-model-changed", 1),
        ("dependency-changed", 1),
        ("license-changed", 0),
        ("dataset-changed", 0),
        ("weights-changed-same-version", 0),
        ("new-finding", 0),
    ] {
        assert_eq!(diff(&old, &new, &["--fail-on", kind]).code, want, "{kind}");
    }
    snapshots("lora_adapter_release", &old, &new, tmp.path());
}

#[test]
fn findings_are_new_resolved_escalated_or_de_escalated() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("gen.json");
    generate(&samples().join("malicious/hf_dir_with_payload"), &path, &[]);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ids: Vec<String> = strs(&doc["vulnerabilities"], "id");
    let esc = ids
        .iter()
        .position(|i| i == "pickle-dangerous-global")
        .unwrap();
    let de = ids
        .iter()
        .position(|i| i == "pickle-dangerous-call")
        .unwrap();
    // Old: the global was rated medium, and a since-fixed finding was there.
    let mut old = doc.clone();
    old["vulnerabilities"][esc]["ratings"][0]["severity"] = "medium".into();
    let mut gone = doc["vulnerabilities"][esc].clone();
    gone["id"] = "zip-duplicate-name".into();
    old["vulnerabilities"].as_array_mut().unwrap().push(gone);
    // New: the call is now rated low.
    let mut new = doc.clone();
    new["vulnerabilities"][de]["ratings"][0]["severity"] = "low".into();
    let (o, n) = (tmp.path().join("old.json"), tmp.path().join("new.json"));
    std::fs::write(&o, serde_json::to_vec(&old).unwrap()).unwrap();
    std::fs::write(&n, serde_json::to_vec(&new).unwrap()).unwrap();

    let d = diff_json(&o, &n);
    let f = &d["findings"];
    assert_eq!(f["new"], json!([]));
    assert_eq!(strs(&f["resolved"], "id"), ["zip-duplicate-name"]);
    assert_eq!(f["escalated"][0]["id"], "pickle-dangerous-global");
    assert_eq!(f["escalated"][0]["old"], "medium");
    assert_eq!(f["escalated"][0]["new"], "critical");
    assert_eq!(f["escalated"][0]["path"], "pytorch_model.bin");
    assert_eq!(f["deescalated"][0]["id"], "pickle-dangerous-call");
    assert_eq!(f["deescalated"][0]["new"], "low");

    assert_eq!(diff(&o, &n, &["--fail-on", "escalated-finding"]).code, 1);
    assert_eq!(diff(&o, &n, &["--fail-on", "new-finding"]).code, 0);
    // Reversed: the resolved finding is new again.
    assert_eq!(diff(&n, &o, &["--fail-on", "new-finding"]).code, 1);
    let md = diff(&o, &n, &["--format", "markdown"]).stdout;
    assert!(md.contains("| escalated | medium → **critical** |"), "{md}");
    assert!(md.contains("| de-escalated | critical → **low** |"), "{md}");
}

/// A cdxgen-style CycloneDX 1.5 document of the same model: no aibom properties, a SHA-1 where
/// aibom writes SHA-256, one file located only by its evidence, no findings section.
fn foreign_cdx15() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2025-03-01T10:00:00Z",
            "tools": {"components": [
                {"type": "application", "group": "@cyclonedx", "name": "cdxgen", "version": "10.10.2"}
            ]},
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "pkg:generic/hf_model@1.0.0",
                "name": "hf_model",
                "licenses": [{"license": {"id": "Apache-2.0"}}]
            }
        },
        "components": [
            {
                "type": "library", "group": "", "name": "transformers", "version": "4.40.0",
                "purl": "pkg:pypi/transformers@4.40.0", "bom-ref": "pkg:pypi/transformers@4.40.0",
                "licenses": [{"license": {"id": "Apache-2.0"}}]
            },
            {
                "type": "data", "name": "aibom/tiny-corpus", "bom-ref": "dataset-corpus",
                "data": [{"type": "dataset", "name": "aibom/tiny-corpus"}]
            },
            {
                "type": "file", "name": "config.json", "bom-ref": "file-config",
                "hashes": [{"alg": "SHA-1", "content": "0123456789abcdef0123456789abcdef01234567"}]
            },
            {
                "type": "file", "name": "weights", "bom-ref": "file-weights",
                "evidence": {"occurrences": [{"location": "model.safetensors"}]}
            }
        ],
        "dependencies": [
            {"ref": "pkg:generic/hf_model@1.0.0", "dependsOn": ["pkg:pypi/transformers@4.40.0", "dataset-corpus"]}
        ]
    })
}

#[test]
fn compares_against_a_foreign_cyclonedx_1_5_document_and_says_what_it_could_not() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("cdxgen.json");
    std::fs::write(&old, serde_json::to_vec_pretty(&foreign_cdx15()).unwrap()).unwrap();
    let new = tmp.path().join("aibom.json");
    let m = tmp.path().join("hf_model");
    copy_dir(&samples().join("benign/hf_model"), &m);
    generate(&m, &new, &[]);

    let d = diff_json(&old, &new);
    assert_eq!(d["old"]["spec_version"], "1.5");
    assert_eq!(d["old"]["tools"], json!(["@cyclonedx/cdxgen 10.10.2"]));
    assert_eq!(d["model"], json!([]));
    // The model is Apache-2.0 on both sides; aibom records no licences for libraries, and a
    // licence that is no longer recorded is drift too.
    assert_eq!(
        d["licenses"],
        json!([{"model": false, "category": "library", "name": "transformers",
                "old": ["Apache-2.0"], "new": []}])
    );
    // Files in both documents: present, but not comparable without SHA-256 on the old side.
    assert_eq!(d["files"]["changed"], json!([]));
    assert!(!strs(&d["files"]["removed"], "path").contains(&"model.safetensors".to_owned()));
    assert_eq!(
        strs(&d["files"]["added"], "path"),
        ["README.md", "generation_config.json", "tokenizer.json"]
    );
    let un = d["unsupported"].as_array().unwrap();
    let files = un
        .iter()
        .find(|u| u["section"] == "files" && u["side"] == "old")
        .expect("missing hashes noted");
    assert_eq!(files["items"], json!(["config.json", "model.safetensors"]));
    assert!(
        un.iter()
            .any(|u| u["section"] == "findings" && u["side"] == "old"),
        "{un:?}"
    );
    // Matched by purl, whatever the version.
    let tf = &d["components"]["changed"][0];
    assert_eq!(tf["name"], "transformers");
    assert_eq!(tf["old_version"], "4.40.0");
    // Dataset matched by type and name; the base model is new.
    assert!(!strs(&d["components"]["removed"], "name").contains(&"aibom/tiny-corpus".to_owned()));
    assert_eq!(
        strs(&d["base_models"]["added"], "name"),
        ["aibom/tiny-base"]
    );
    assert_eq!(
        d["dependencies"]["removed"],
        json!([]),
        "edges resolve to names across generators"
    );

    // Gates on what could not be compared fail closed, and say why.
    let out = diff(&old, &new, &["--fail-on", "file-changed"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("could not be decided"),
        "{}",
        out.stderr
    );
    // The old side recording no findings does not hide any new one.
    assert_eq!(diff(&old, &new, &["--fail-on", "new-finding"]).code, 0);
    assert_eq!(diff(&new, &old, &["--fail-on", "new-finding"]).code, 1);

    let md = diff(&old, &new, &["--format", "markdown"]).stdout;
    assert!(md.contains("### Not compared"), "{md}");
    snapshots("foreign_cdx15", &old, &new, tmp.path());
}

/// A document with a wrong-typed or unreadable entry in every section (`tests/cdx/`), compared
/// with a foreign one: every note and whatever could still be read, pinned.
#[test]
fn reads_what_it_can_of_a_malformed_document_and_notes_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let old = repo().join("tests/cdx/malformed.cdx.json");
    let new = tmp.path().join("cdxgen.json");
    std::fs::write(&new, serde_json::to_vec_pretty(&foreign_cdx15()).unwrap()).unwrap();
    snapshots("malformed_to_foreign", &old, &new, tmp.path());
    snapshots("foreign_to_malformed", &new, &old, tmp.path());
}

#[test]
fn identical_documents_have_no_changes() {
    let old = repo().join("tests/snapshots/lora_adapter.cdx.json");
    let out = diff(&old, &old, &["--fail-on", "any"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Summary: no changes"), "{}", out.stdout);
    let d = diff_json(&old, &old);
    assert_eq!(d["summary"]["changed"], false);
    assert_eq!(d["unsupported"], json!([]));
}

#[test]
fn unreadable_inputs_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let good = repo().join("tests/snapshots/lora_adapter.cdx.json");
    let cases = [
        ("broken.json", "{\"bomFormat\": \"CycloneDX\", "),
        ("array.json", "[]"),
        (
            "spdx.json",
            "{\"bomFormat\": \"SPDX\", \"spdxVersion\": \"SPDX-2.3\"}",
        ),
    ];
    for (name, text) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        for (a, b) in [(&p, &good), (&good, &p)] {
            let out = diff(a, b, &[]);
            assert_eq!(out.code, 2, "{name}: {}", out.stderr);
            assert!(out.stderr.contains(name), "{}", out.stderr);
            assert!(out.stdout.is_empty());
        }
    }
    let out = diff(&tmp.path().join("missing.json"), &good, &[]);
    assert_eq!(out.code, 2);
}
