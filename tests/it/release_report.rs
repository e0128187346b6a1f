//! The release in `aibom report` and `aibom diff`: two AIBOMs of a copied `samples/release`,
//! the second after the tier, a prompt and a metric value changed.

use crate::support::*;
use std::fs;
use std::path::Path;

fn copy_release(to: &Path) {
    let src = samples().join("release");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

const EVAL: &str = "eval/results_2026-05-01T12-00-00.json";

fn generate(root: &Path, out: &str) {
    let o = run(
        &[
            "generate",
            "model",
            "--config",
            "aibom.toml",
            "--no-progress",
            "-o",
            out,
        ],
        root,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `a.cdx.json` as sampled, `b.cdx.json` after: tier high -> medium, `prompts/system.txt`
/// rewritten, arc_easy acc 0.583 -> 0.6.
fn two_releases() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    copy_release(root);
    generate(root, "a.cdx.json");
    let toml = fs::read_to_string(root.join("aibom.toml")).unwrap();
    fs::write(
        root.join("aibom.toml"),
        toml.replace("tier = \"high\"", "tier = \"medium\""),
    )
    .unwrap();
    fs::write(root.join("prompts/system.txt"), "Answer briefly.\n").unwrap();
    let eval = fs::read_to_string(root.join(EVAL)).unwrap();
    assert!(eval.contains("\"acc,none\": 0.583"));
    fs::write(
        root.join(EVAL),
        eval.replace("\"acc,none\": 0.583", "\"acc,none\": 0.6"),
    )
    .unwrap();
    generate(root, "b.cdx.json");
    t
}

fn stdout(args: &[&str], cwd: &Path) -> String {
    let o = run(args, cwd);
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_report_names_the_tier_artifacts_and_metric_values_of_a_release() {
    let t = two_releases();
    let md = stdout(&["report", "a.cdx.json", "--format", "markdown"], t.path());
    let part = md
        .split("\n## Release\n")
        .nth(1)
        .expect("a Release part")
        .split("\n## ")
        .next()
        .unwrap();
    assert!(part.contains("Risk tier high"), "{part}");
    for role in ["dataset", "prompts", "evaluation", "runtime-policy"] {
        assert!(part.contains(&format!("| {role} |")), "{role}: {part}");
    }
    assert!(part.contains("`prompts`"), "{part}");
    assert!(part.contains("`data/tickets`"), "{part}");
    assert!(
        part.contains("| arc\\_easy | acc \\[none\\] | `0.583` |"),
        "{part}"
    );
    assert!(part.contains(&format!("`{EVAL}`")), "{part}");
    // No policy given: nothing about the gate.
    assert!(!part.contains("release gate"), "{part}");

    let b = stdout(&["report", "b.cdx.json", "--format", "markdown"], t.path());
    assert!(b.contains("Risk tier medium"));
    assert!(b.contains("`0.6`"));
}

#[test]
fn the_html_report_shows_the_same_release_facts() {
    let t = two_releases();
    let html = stdout(&["report", "a.cdx.json", "--format", "html"], t.path());
    let part = html
        .split("<section id=\"release\">")
        .nth(1)
        .expect("a release section")
        .split("</section>")
        .next()
        .unwrap();
    assert!(part.contains("Risk tier high"), "{part}");
    for fact in [
        "runtime-policy",
        "data/tickets",
        "arc_easy",
        "acc [none]",
        "0.583",
        EVAL,
    ] {
        assert!(part.contains(fact), "{fact}: {part}");
    }
    assert!(html.contains("<a href=\"#release\">Release</a>"));
}

#[test]
fn a_report_of_an_aibom_without_a_release_has_no_release_part() {
    let t = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "generate",
            s(&samples().join("benign/hf_model")),
            "--no-progress",
            "-o",
            "a.cdx.json",
        ],
        t.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = stdout(&["report", "a.cdx.json", "--format", "markdown"], t.path());
    assert!(!md.contains("## Release"));
    let html = stdout(&["report", "a.cdx.json"], t.path());
    assert!(!html.contains("id=\"release\""));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn diff_names_the_tier_change_and_the_metric_change_with_its_delta() {
    let t = two_releases();
    let text = stdout(&["diff", "a.cdx.json", "b.cdx.json"], t.path());
    assert!(text.contains("tier     high -> medium"), "{text}");
    assert!(
        text.contains("metric   arc_easy/acc [none]: 0.583 -> 0.6 (+0.017)"),
        "{text}"
    );
    assert!(text.contains("prompts/system.txt"), "{text}");
    assert!(text.contains("release: tier high -> medium"), "{text}");

    let md = stdout(
        &["diff", "a.cdx.json", "b.cdx.json", "--format", "markdown"],
        t.path(),
    );
    let part = md.split("### Release\n").nth(1).expect("a Release table");
    assert!(part.contains("| tier changed |"), "{part}");
    assert!(part.contains("`high` → **`medium`**"), "{part}");
    assert!(
        part.contains("| metric changed | `arc_easy/acc [none]` | `0.583` → `0.6` (+0.017) |"),
        "{part}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(
        &["diff", "a.cdx.json", "b.cdx.json", "--format", "json"],
        t.path(),
    ))
    .unwrap();
    let r = &json["release"];
    assert_eq!(r["tier"]["old"], "high");
    assert_eq!(r["tier"]["new"], "medium");
    let m = &r["metrics"][0];
    assert_eq!(
        (m["task"].as_str(), m["metric"].as_str()),
        (Some("arc_easy"), Some("acc"))
    );
    assert_eq!(
        (m["old"].as_str(), m["new"].as_str()),
        (Some("0.583"), Some("0.6"))
    );
    assert_eq!(m["delta"].as_f64(), Some(0.017));
}

#[test]
fn diff_names_an_artifact_added_to_the_release() {
    let t = two_releases();
    let root = t.path();
    fs::create_dir_all(root.join("extra")).unwrap();
    fs::write(root.join("extra/notes.txt"), "more prompts\n").unwrap();
    let toml = fs::read_to_string(root.join("aibom.toml")).unwrap();
    fs::write(
        root.join("aibom.toml"),
        toml.replace(
            "runtime-policy = [\"serving\"]",
            "runtime-policy = [\"serving\", \"extra\"]",
        ),
    )
    .unwrap();
    generate(root, "c.cdx.json");
    let text = stdout(&["diff", "b.cdx.json", "c.cdx.json"], root);
    assert!(text.contains("+ artifact"), "{text}");
    assert!(text.contains("(runtime-policy extra)"), "{text}");
    assert!(text.contains("release: artifacts: 1 added"), "{text}");
}

#[test]
fn diff_of_aiboms_without_a_release_has_no_release_key() {
    let t = tempfile::tempdir().unwrap();
    for name in ["a.cdx.json", "b.cdx.json"] {
        let o = run(
            &[
                "generate",
                s(&samples().join("benign/hf_model")),
                "--no-progress",
                "-o",
                name,
            ],
            t.path(),
        );
        assert!(o.status.success());
    }
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &["diff", "a.cdx.json", "b.cdx.json", "--format", "json"],
        t.path(),
    ))
    .unwrap();
    assert!(json.get("release").is_none());
}
