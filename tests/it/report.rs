//! `aibom report`: the Markdown of two samples pinned in `tests/snapshots/report/`
//! (regenerate with `AIBOM_BLESS=1 cargo test --test it report::markdown`), the HTML's
//! structure (self-contained, offline, escaped), determinism, other generators' documents,
//! exceptions and signatures.
//! `tests/browser/render.py` checks the HTML in a real browser.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// `aibom generate DIR -o OUT [extra]`; findings (exit 1) are fine.
fn generate(dir: &Path, out: &Path, extra: &[&str], cwd: &Path) {
    let o = bin()
        .args(["generate", "--no-progress", "-o"])
        .arg(out)
        .arg(dir)
        .args(extra)
        .env_remove("SOURCE_DATE_EPOCH")
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        o.status.code() != Some(2),
        "generate failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `aibom report ARGS`, run in `cwd` (which has no aibom.toml unless the test writes one).
fn report(args: &[&str], cwd: &Path) -> Run {
    let o = bin()
        .arg("report")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The AIBOM of a sample, generated into `tmp` under a fixed name.
fn sample_bom(sample: &str, tmp: &Path) -> PathBuf {
    let name = Path::new(sample).file_name().unwrap().to_string_lossy();
    let out = tmp.join(format!("{name}.cdx.json"));
    generate(&samples().join(sample), &out, &[], tmp);
    out
}

fn html_of(bom: &Path, cwd: &Path) -> String {
    let r = report(&[bom.to_str().unwrap()], cwd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

/// Pins `text` as `tests/snapshots/report/<name>`.
fn snapshot(name: &str, text: &str) {
    crate::support::snapshot(&format!("report/{name}"), text.as_bytes());
}

#[test]
fn markdown_of_the_lora_adapter_is_pinned() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("benign/lora_adapter", tmp.path());
    let r = report(&[bom.to_str().unwrap(), "--format", "markdown"], tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(tmp.path().to_str().unwrap()));
    snapshot("lora_adapter.md", &r.stdout);
}

#[test]
fn markdown_of_the_model_with_a_payload_is_pinned() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("malicious/hf_dir_with_payload", tmp.path());
    let r = report(&[bom.to_str().unwrap(), "-f", "markdown"], tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(tmp.path().to_str().unwrap()));
    snapshot("hf_dir_with_payload.md", &r.stdout);
}

#[test]
fn markdown_has_the_same_sections_as_html() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("benign/lora_adapter", tmp.path());
    let md = report(&[bom.to_str().unwrap(), "-f", "markdown"], tmp.path()).stdout;
    let html = html_of(&bom, tmp.path());
    for (id, title) in aibom::report::auditor::SECTIONS {
        assert!(
            md.contains(&format!("\n## {title}\n")),
            "markdown lacks {title}"
        );
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "html lacks {id}"
        );
    }
}

/// Every `src=` / `href=` value inside a tag, and the tags that would load something. (Text
/// is escaped, so every `<` in the document opens a tag.)
fn assert_offline(html: &str) {
    let lower = html.to_ascii_lowercase();
    for (start, _) in lower.match_indices('<') {
        let tag = &lower[start..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        for attr in [
            " src=",
            " href=",
            " xlink:href=",
            " srcset=",
            " action=",
            " poster=",
        ] {
            for (i, _) in tag.match_indices(attr) {
                let value = tag[i + attr.len()..].trim_start_matches(['"', '\'']);
                assert!(value.starts_with('#'), "{attr} loads something: {tag}");
            }
        }
    }
    assert!(
        !lower.contains("<link"),
        "no <link> (stylesheets, fonts, icons)"
    );
    assert!(!lower.contains("<script src"), "no external script");
    assert!(!lower.contains("<img"), "no images");
    assert!(!lower.contains("<iframe"));
    assert!(!lower.contains("@import"));
    assert!(!lower.contains("url(http"), "no remote CSS resources");
    assert!(!lower.contains("url(//"));
    for tag in lower.match_indices("<script").map(|(i, _)| &lower[i..]) {
        assert!(tag.starts_with("<script>"), "scripts are inline and bare");
    }
}

#[test]
fn html_of_the_lora_adapter_is_self_contained_and_draws_the_lineage() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("benign/lora_adapter", tmp.path());
    let html = html_of(&bom, tmp.path());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>AIBOM report: lora_adapter</title>"));
    assert!(html.contains("<style>"));
    assert_offline(&html);
    // The lineage is a picture: an inline SVG with boxes for the base model and the adapter.
    let svg_start = html
        .find("<svg class=\"lineage-graph\"")
        .expect("lineage svg");
    let svg = &html[svg_start..svg_start + html[svg_start..].find("</svg>").unwrap()];
    assert!(svg.contains(">aibom/tiny-base</text>"), "{svg}");
    assert!(svg.contains(">lora_adapter</text>"));
    assert!(svg.contains(">aibom/tiny-instructions</text>"));
    assert!(svg.contains("<rect") && svg.contains("<path class=\"edge"));
    assert!(
        svg.contains(">adapter</text>"),
        "the edge says how it was derived"
    );
    // The sections an auditor reads.
    assert!(html.contains("id=\"completeness-score\">31<"));
    assert!(html.contains("<table class=\"completeness\">"));
    assert!(html.contains("modelCard.modelParameters.task"));
    assert!(
        html.contains("not SPDX"),
        "llama2 is a name, not an SPDX id"
    );
    assert!(html.contains("provenance, licence, classification and owners not declared"));
    assert!(html.contains("unpinned"), "torch has no version");
    assert!(html.contains("939eb77628e783ff19383cac98ac8e4d52cc4cd096455a939d4644bca83e3f46"));
    assert!(html.contains("2b49b7590070a12d9222ebfc382fea53ccc1825272397460acd5a26d168f6e1c"));
    assert!(html.contains("@media print"));
}

#[test]
fn html_of_a_model_with_findings_shows_them_with_evidence_and_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("malicious/hf_dir_with_payload", tmp.path());
    let html = html_of(&bom, tmp.path());
    assert_offline(&html);
    assert!(html.contains("hf_dir_with_payload"));
    let table = &html[html
        .find("<table class=\"findings\">")
        .expect("findings table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("pickle-dangerous-call"));
    assert!(table.contains("pytorch_model.bin"));
    assert!(table.contains("sev-critical"));
    assert!(table.contains("opcode: REDUCE"), "evidence is shown");
    let mapping = &html[html
        .find("<table class=\"mapping\">")
        .expect("mapping table")..];
    for id in [
        "CWE-502",
        "AML.T0011.000",
        "AML.T0010.003",
        "AML.T0018",
        "LLM03",
        "MEASURE 2.7",
    ] {
        assert!(
            mapping[..mapping.find("</table>").unwrap()].contains(id),
            "{id}"
        );
    }
    assert!(html.contains("<section id=\"completeness\">"));
    assert!(html.contains("<svg class=\"lineage-graph\""));
}

#[test]
fn a_script_in_the_model_name_comes_out_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("benign/lora_adapter", tmp.path());
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let evil = "<script>alert(\"x\")</script><img src=https://evil.example/x.png>";
    doc["metadata"]["component"]["name"] = json!(evil);
    doc["components"][0]["name"] = json!("</text></svg><script>alert(2)</script>");
    doc["metadata"]["component"]["licenses"][0]["license"]["url"] =
        json!("javascript:alert(3)\" onclick=\"x");
    let path = tmp.path().join("evil.cdx.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();

    let html = html_of(&path, tmp.path());
    assert_offline(&html);
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("</svg><script>"));
    assert!(!html.contains("\" onclick=\""));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(html.contains("&lt;/text&gt;&lt;/svg&gt;&lt;script&gt;alert(2)"));

    let md = report(&[path.to_str().unwrap(), "-f", "markdown"], tmp.path()).stdout;
    assert!(!md.contains("<script>"));
    assert!(!md.contains("<img"));
    assert!(md.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;"));
}

#[test]
fn output_is_deterministic_and_written_to_the_file_given() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = sample_bom("malicious/hf_dir_with_payload", tmp.path());
    for format in ["html", "markdown"] {
        let out = tmp.path().join(format!("report.{format}"));
        let args = [
            bom.to_str().unwrap(),
            "-f",
            format,
            "-o",
            out.to_str().unwrap(),
        ];
        let first = report(&args, tmp.path());
        assert_eq!(first.code, 0, "{}", first.stderr);
        assert!(first.stdout.is_empty(), "-o writes the file, not stdout");
        let a = std::fs::read(&out).unwrap();
        assert_eq!(report(&args, tmp.path()).code, 0);
        let b = std::fs::read(&out).unwrap();
        assert_eq!(a, b, "{format}: same input, same bytes");
        let stdout = report(&[bom.to_str().unwrap(), "-f", format], tmp.path()).stdout;
        assert_eq!(stdout.as_bytes(), a.as_slice());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
    }
}

#[test]
fn reads_another_generators_document_and_says_what_is_not_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    // As cdxgen or a hand-written tool might write it: CycloneDX 1.5, legacy tools array, no
    // aibom properties, a dataset with governance, a licence expression, a CVE.
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 3,
        "metadata": {
            "timestamp": "2025-01-02T03:04:05Z",
            "tools": [{"vendor": "acme", "name": "bom-maker", "version": "9"}],
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "pkg:huggingface/acme/chat@0123abcd",
                "name": "chat",
                "group": "acme",
                "version": "0123abcd",
                "purl": "pkg:huggingface/acme/chat@0123abcd",
                "licenses": [{"license": {"id": "CC-BY-NC-4.0"}}],
                "modelCard": {"modelParameters": {
                    "task": "text-generation",
                    "datasets": [{"ref": "ds-1"}, {"ref": "missing-ds"}]
                }}
            }
        },
        "components": [
            {"type": "data", "bom-ref": "ds-1", "name": "corpus",
             "licenses": [{"expression": "CC-BY-4.0"}],
             "data": [{"type": "dataset", "classification": "public",
                       "governance": {"owners": [{"organization": {"name": "Acme Data"}}]}}]},
            {"type": "library", "bom-ref": "pkg:pypi/torch@2.3.0", "name": "torch",
             "purl": "pkg:pypi/torch@2.3.0"}
        ],
        "dependencies": [
            {"ref": "pkg:huggingface/acme/chat@0123abcd", "dependsOn": ["ds-1", "pkg:pypi/torch@2.3.0"]}
        ],
        "vulnerabilities": [
            {"id": "CVE-2025-0001", "ratings": [{"severity": "high"}],
             "affects": [{"ref": "pkg:pypi/torch@2.3.0"}], "description": "a torch bug"}
        ]
    });
    let path = tmp.path().join("foreign.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let html = html_of(&path, tmp.path());
    assert_offline(&html);
    assert!(html.contains("acme/chat"));
    assert!(html.contains("acme bom-maker 9"));
    assert!(html.contains("2025-01-02T03:04:05Z"));
    assert!(html.contains("non-commercial"), "CC-BY-NC-4.0 stands out");
    assert!(html.contains("Acme Data (owner)"));
    assert!(
        html.contains("not described in the AIBOM"),
        "missing-ds is a dangling ref"
    );
    assert!(html.contains("CVE-2025-0001"));
    assert!(html.contains("Not mapped (not aibom finding codes): CVE-2025-0001"));
    assert!(html.contains("No file inventory is recorded"));

    let md = report(&[path.to_str().unwrap(), "-f", "markdown"], tmp.path()).stdout;
    assert!(md.contains("**NON-COMMERCIAL**"));
    assert!(md.contains("| Timestamp | 2025-01-02T03:04:05Z |"));
    assert!(md.contains("*not recorded*"));
    snapshot("foreign.md", &md);
}

/// A document with a wrong-typed or unreadable entry in every section (`tests/cdx/`): the
/// report says what it could not read and shows the rest, pinned in both formats.
#[test]
fn reports_what_it_can_of_a_malformed_document() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("malformed.cdx.json");
    std::fs::copy(repo().join("tests/cdx/malformed.cdx.json"), &path).unwrap();
    let md = report(&[path.to_str().unwrap(), "-f", "markdown"], tmp.path());
    assert_eq!(md.code, 0, "{}", md.stderr);
    snapshot("malformed.md", &md.stdout);
    snapshot("malformed.html", &html_of(&path, tmp.path()));
}

#[test]
fn rejects_input_that_is_not_a_cyclonedx_json_object() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.json");
    std::fs::write(&p, b"not json").unwrap();
    let r = report(&[p.to_str().unwrap()], tmp.path());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not JSON"), "{}", r.stderr);
    std::fs::write(&p, br#"{"bomFormat": "SPDX"}"#).unwrap();
    let r = report(&[p.to_str().unwrap()], tmp.path());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not \"CycloneDX\""), "{}", r.stderr);
}

#[test]
fn lists_exceptions_recorded_in_the_aibom_and_configured() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("aibom.toml"),
        r#"
[[exception]]
code = "pickle-dangerous-global"
path = "pytorch_model.bin"
reason = "vendor checkpoint, loaded only in the sandbox; ticket SEC-42"
expires = "2099-12-31"
"#,
    )
    .unwrap();
    let out = tmp.path().join("payload.cdx.json");
    generate(
        &samples().join("malicious/hf_dir_with_payload"),
        &out,
        &[],
        tmp.path(),
    );
    let md = report(&[out.to_str().unwrap(), "-f", "markdown"], tmp.path()).stdout;
    let section = &md[md.find("## Exceptions").unwrap()..md.find("## Signatures").unwrap()];
    assert!(section.contains("ticket SEC-42"), "{section}");
    assert!(section.contains("2099-12-31"));
    assert!(
        section.contains("AIBOM (vulnerabilities\\[\\].analysis)"),
        "{section}"
    );
    assert!(section.contains("aibom.toml"));
    assert!(section.contains("a finding matches"));
    assert!(
        md.contains("| accepted |"),
        "the finding is shown as accepted"
    );
}

#[test]
fn a_configured_exception_pinned_to_other_bytes_than_recorded_matches_no_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("payload.cdx.json");
    generate(
        &samples().join("malicious/hf_dir_with_payload"),
        &out,
        &[],
        tmp.path(),
    );
    let bom: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let recorded = bom["metadata"]["component"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "pytorch_model.bin")
        .and_then(|c| {
            c["hashes"]
                .as_array()?
                .iter()
                .find(|h| h["alg"] == "SHA-256")
        })
        .and_then(|h| h["content"].as_str())
        .unwrap()
        .to_owned();
    let section = |pin: &str| {
        std::fs::write(
            tmp.path().join("aibom.toml"),
            format!(
                "[[exception]]\ncode = \"pickle-dangerous-global\"\npath = \"pytorch_model.bin\"\nreason = \"SEC-42\"\nsha256 = \"{pin}\"\n"
            ),
        )
        .unwrap();
        let md = report(&[out.to_str().unwrap(), "-f", "markdown"], tmp.path()).stdout;
        md[md.find("## Exceptions").unwrap()..md.find("## Signatures").unwrap()].to_owned()
    };
    let same = section(&recorded.to_uppercase());
    assert!(same.contains("a finding matches"), "{same}");
    assert!(
        same.contains(&recorded),
        "the pin is shown in lower case: {same}"
    );
    let other = section(&"0".repeat(64));
    assert!(other.contains("no finding matches"), "{other}");
}

#[test]
fn signatures_show_signer_digest_and_whether_they_bind_this_aibom() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = samples().join("benign/lora_adapter");
    let bom = sample_bom("benign/lora_adapter", t);
    let (key, public) = (t.join("k.pem"), t.join("k.pub"));
    let o = run(
        &[
            "keygen",
            "--private-key",
            key.to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
        ],
        t,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sig = t.join("model.sig");
    let o = run(
        &[
            "sign",
            dir.to_str().unwrap(),
            "--private-key",
            key.to_str().unwrap(),
            "--signature",
            sig.to_str().unwrap(),
            "--bom",
            bom.to_str().unwrap(),
        ],
        t,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let args = |b: &Path| {
        vec![
            b.to_str().unwrap().to_owned(),
            "-f".into(),
            "markdown".into(),
            "--signature".into(),
            sig.to_str().unwrap().to_owned(),
            "--public-key".into(),
            public.to_str().unwrap().to_owned(),
        ]
    };
    let argv = args(&bom);
    let r = report(&argv.iter().map(String::as_str).collect::<Vec<_>>(), t);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let section = &r.stdout[r.stdout.find("## Signatures").unwrap()..];
    let row = section.lines().find(|l| l.contains("model.sig")).unwrap();
    assert!(row.contains("| valid |"), "{row}");
    assert!(row.contains("key "), "the signer is named: {row}");
    assert!(
        row.contains("match: the 5 signed files are exactly the AIBOM's files"),
        "{row}"
    );
    assert!(row.contains("binds exactly this AIBOM"), "{row}");
    let digest = row.split('`').nth(3).unwrap();
    assert_eq!(digest.len(), 64, "the signed model digest: {row}");

    // Another AIBOM (one field changed): the attestation does not bind it.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    doc["metadata"]["component"]["version"] = json!("2");
    let other = t.join("other.cdx.json");
    std::fs::write(&other, serde_json::to_vec(&doc).unwrap()).unwrap();
    let argv = args(&other);
    let r = report(&argv.iter().map(String::as_str).collect::<Vec<_>>(), t);
    assert!(
        r.stdout.contains("**does not bind this AIBOM**"),
        "{}",
        r.stdout
    );

    // An untrusted key: the signature is invalid, and the report says why.
    let (k2, p2) = (t.join("k2.pem"), t.join("k2.pub"));
    run(
        &[
            "keygen",
            "--private-key",
            k2.to_str().unwrap(),
            "--public-key",
            p2.to_str().unwrap(),
        ],
        t,
    );
    let r = report(
        &[
            bom.to_str().unwrap(),
            "-f",
            "markdown",
            "--signature",
            sig.to_str().unwrap(),
            "--public-key",
            p2.to_str().unwrap(),
        ],
        t,
    );
    let row = r
        .stdout
        .lines()
        .find(|l| l.contains("model.sig"))
        .unwrap()
        .to_owned();
    assert!(
        row.contains("**invalid**: the bundle names key hint")
            && row.contains("none of the configured keys"),
        "{row}"
    );

    // An aibom.toml found in the working directory (say, shipped on a model volume) names the
    // signer's key as a role: it is not trusted unless given with --config.
    std::fs::write(
        t.join("aibom.toml"),
        format!(
            "[verify]\n[[verify.signer]]\nrole = \"release\"\npublic-key = {:?}\n",
            public.to_str().unwrap()
        ),
    )
    .unwrap();
    let implicit = [
        bom.to_str().unwrap(),
        "-f",
        "markdown",
        "--signature",
        sig.to_str().unwrap(),
    ];
    let r = report(&implicit, t);
    let row = r.stdout.lines().find(|l| l.contains("model.sig")).unwrap();
    assert!(row.contains("**invalid**"), "{row}");
    let mut named = implicit.to_vec();
    named.extend(["--config", "aibom.toml"]);
    let r = report(&named, t);
    let row = r.stdout.lines().find(|l| l.contains("model.sig")).unwrap();
    assert!(row.contains("| valid |"), "{row}");
    std::fs::remove_file(t.join("aibom.toml")).unwrap();

    // A missing signature file is reported, not fatal.
    let r = report(
        &[
            bom.to_str().unwrap(),
            "-f",
            "markdown",
            "--signature",
            "nope.sig",
            "--public-key",
            public.to_str().unwrap(),
        ],
        t,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("the signature file is missing"));
}
