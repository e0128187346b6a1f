//! Unit tests of the text scanners, on fake tokens that have the shape of real ones.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::chat::chat_templates;
use super::lfs::{LfsPointer, lfs_pointer};
use super::matchers::secret_key_name;
use super::*;
use crate::finding::Code;
use crate::finding::Finding;
use crate::limits::Limits;
use crate::policy::Policy;

// Fake, pattern-valid tokens (never real credentials): "AibomFake" plus filler.
const HF: &str = "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1";
const AWS_ID: &str = "AKIAAIBOMFAKE7Q2W3XY";
const AWS_SECRET: &str = "AibomFake9sQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9";
const GHP: &str = "ghp_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbNm1";
const GH_PAT: &str =
    "github_pat_11AIBOMFAKE0QwErTyUiOpAs_DfGhJkLzXcVbNm7301928465QwErTyUiOpAsDfGhJkLzXcVbNm73019Qw";
const GLPAT: &str = "glpat-AibomFake1QwErTyUiOp";
const SLACK: &str = "xoxb-730192846501-5820394817263-AibomFakeQwErTyUi";
const GOOGLE: &str = "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXcV";
const OPENAI: &str = "sk-proj-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm";
const ANTHROPIC: &str = "sk-ant-api03-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm";

fn run_with(text: &[u8], name: &str, limits: &Limits) -> Vec<Finding> {
    let p = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(limits, &p, name);
    let format = if text.first() == Some(&b'{') {
        Format::Json
    } else {
        Format::Text
    };
    inspect(&text.to_vec(), &mut ctx, name, format).unwrap();
    ctx.findings
}

fn run(text: &str, name: &str) -> Vec<Finding> {
    run_with(text.as_bytes(), name, &Limits::default())
}

fn kinds(f: &[Finding]) -> Vec<String> {
    f.iter().filter_map(|f| f.evidence.name.clone()).collect()
}

/// The finding, serialized whole, never holds the secret or its end, and the message
/// shows at most its first 4 characters.
fn assert_hidden(f: &[Finding], secret: &str) {
    for x in f {
        let json = serde_json::to_string(x).unwrap();
        assert!(!json.contains(secret), "{json}");
        assert!(!json.contains(&secret[secret.len() - 12..]), "{json}");
        assert!(!x.message.contains(&secret[..5]), "{}", x.message);
    }
}

#[test]
fn finds_each_kind_of_token_and_never_shows_it() {
    let table = [
        (HF, "huggingface-token"),
        (AWS_ID, "aws-access-key-id"),
        (GHP, "github-token"),
        (GH_PAT, "github-token"),
        (GLPAT, "gitlab-token"),
        (SLACK, "slack-token"),
        (GOOGLE, "google-api-key"),
        (OPENAI, "openai-api-key"),
        (ANTHROPIC, "anthropic-api-key"),
    ];
    for (secret, kind) in table {
        for wrap in [
            "token = \"{}\"\n",
            "{}",
            "x\n\n  url: https://u:{}@host\n",
            "'{}',",
        ] {
            let text = wrap.replace("{}", secret);
            let f = run(&text, "config.yaml");
            assert_eq!(kinds(&f), vec![kind], "{text:?}: {f:?}");
            assert_eq!(f[0].code, Code::SecretExposed);
            assert_eq!(f[0].severity, crate::finding::Severity::High);
            assert!(
                f[0].message.contains(&format!("{}…", &secret[..4])),
                "{}",
                f[0].message
            );
            assert!(f[0].message.contains("config.yaml"));
            assert_hidden(&f, secret);
        }
    }
}

#[test]
fn reports_the_line_number() {
    let text = format!("a\nb\n\nkey: {HF}\n");
    let f = run(&text, "notes.md");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.actual.as_deref(), Some("line 4"));
    assert!(f[0].message.contains("line 4"), "{}", f[0].message);
    assert_eq!(f[0].location.offset, Some(10));
}

#[test]
fn aws_secret_key_beside_its_id_or_named() {
    let csv = format!("Access key ID,Secret access key\n{AWS_ID},{AWS_SECRET}\n");
    let f = run(&csv, "credentials.csv");
    assert_eq!(
        kinds(&f),
        vec!["aws-access-key-id", "aws-secret-access-key"],
        "{f:?}"
    );
    assert_hidden(&f, AWS_SECRET);
    let ini = format!("[default]\naws_secret_access_key = {AWS_SECRET}\n");
    let f = run(&ini, "credentials");
    assert_eq!(kinds(&f), vec!["aws-secret-access-key"], "{f:?}");
    assert_eq!(f[0].evidence.actual.as_deref(), Some("line 2"));
    let json = format!("{{\"SecretAccessKey\": \"{AWS_SECRET}\"}}");
    assert_eq!(kinds(&run(&json, "c.json")), vec!["aws-secret-access-key"]);
    // A 40-character string alone is not a key.
    assert!(run(&format!("sha: {AWS_SECRET}\n"), "x.txt").is_empty());
}

#[test]
fn private_key_headers_need_key_data() {
    for kind in ["", "RSA ", "EC ", "OPENSSH ", "DSA ", "ENCRYPTED "] {
        let pem = format!(
            "-----BEGIN {kind}PRIVATE KEY-----\nQWlib20gZmFrZSBrZXkgZGF0YSwgbm90IGEga2V5IGF0IGFsbA==\n-----END {kind}PRIVATE KEY-----\n"
        );
        let f = run(&pem, "id_rsa");
        assert_eq!(kinds(&f), vec!["private-key"], "{kind}: {f:?}");
        assert!(!f[0].message.contains("QWlib20g"), "{}", f[0].message);
    }
    // In a JSON string with escaped line breaks.
    let json = r#"{"key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----"}"#;
    assert_eq!(kinds(&run(json, "sa.json")), vec!["private-key"]);
    // Encrypted PEM with headers.
    let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nabc\n";
    assert_eq!(kinds(&run(enc, "k.pem")), vec!["private-key"]);
    // Documentation: no key data.
    for doc in [
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
        "-----BEGIN PRIVATE KEY-----\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    ] {
        assert!(run(doc, "README.md").is_empty(), "{doc}");
    }
}

#[test]
fn placeholders_and_look_alikes_do_not_match() {
    let negatives = [
        "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "hf_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "HF_TOKEN=<your-token>",
        "hf_YOUR_TOKEN_HERE",
        "use hf_hub_download to fetch",
        "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVb", // 33 characters
        "myhf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1",
        "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1_suffix",
        "hf_alllowercaseletterswithoutanycaps",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY beside AKIAIOSFODNN7EXAMPLE",
        "AKIAAIBOMFAKE7Q2W3XYZ", // 17 characters
        "AKIAAIBOMFAKE7Q2W3X",   // 15 characters
        "XAKIAAIBOMFAKE7Q2W3XY",
        "MY_AKIAAIBOMFAKE7Q2W3XY",
        "AKIAAAAABBBBCCCCDDDD",
        "sk-...",
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "pip install scikit-learn; task-manager-configuration-for-the-cluster-v2",
        "sk-this-is-a-long-kebab-case-identifier-name",
        "disk-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm",
        "ghp_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbNm", // 35 characters
        "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXc",  // 34 characters
        "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXcV1", // 36 characters
        "glpat-short",
        "xoxb-your-bot-token-goes-here",
        "the tokenizer uses a special token for padding",
        "password=hunter22xyz",
    ];
    for n in negatives {
        let f = run(n, "README.md");
        assert!(f.is_empty(), "{n}: {f:?}");
    }
}

#[test]
fn env_assignments_only_in_env_files() {
    let env = "# settings\nexport DB_PASSWORD='s3cr3t-Pa55word'\nOPENAI_API_KEY=\"Zm9vYmFyYmF6cXV4MTIz\"\nMAX_TOKENS=4096\nTOKENIZER_NAME=bert-base\nPASSWORD=\nAPI_KEY=${FROM_VAULT}\nSECRET_KEY=changeme\nDEBUG=true\n";
    let f = run(env, ".env");
    assert_eq!(kinds(&f), vec!["credential-assignment"; 2], "{f:?}");
    assert!(
        f[0].message.contains("assigned to DB_PASSWORD"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].evidence.actual.as_deref(), Some("line 2"));
    assert_eq!(f[1].evidence.actual.as_deref(), Some("line 3"));
    assert_hidden(&f, "s3cr3t-Pa55word");
    assert_hidden(&f, "Zm9vYmFyYmF6cXV4MTIz");
    assert!(run(env, "settings.txt").is_empty());
    assert_eq!(run(env, "prod.env").len(), 2);
    assert_eq!(run(env, ".env.local").len(), 2);
    // A recognised token on the line is reported as that token, once.
    let f = run(&format!("HF_TOKEN={HF}\n"), ".env");
    assert_eq!(kinds(&f), vec!["huggingface-token"]);
    assert!(secret_key_name("hf_token") && secret_key_name("AWS_ACCESS_KEY"));
    assert!(!secret_key_name("MAX_TOKENS") && !secret_key_name("TOKENIZER"));
}

#[test]
fn repeats_are_one_finding_with_a_count() {
    let text = format!("{HF}\n{HF}\n{HF}\n{GHP}\n");
    let f = run(&text, "x.txt");
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f[0].message.contains("and 2 more times"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].evidence.actual.as_deref(), Some("line 1"));
}

#[test]
fn notebook_outputs_are_scanned_decoded() {
    // Python's json escapes nothing here; another writer escaped '/' as '\/', which
    // hides the secret key from the raw scan.
    let secret_with_slash = format!("{}/{}", &AWS_SECRET[..20], &AWS_SECRET[21..]);
    let escaped_slash = secret_with_slash.replace('/', "\\/");
    let nb = format!(
        r#"{{"cells": [{{"cell_type": "code", "source": ["import os\n"], "outputs": [{{"output_type": "stream", "name": "stdout", "text": ["key {AWS_ID}\n", "aws_secret_access_key={escaped_slash}\n"]}}]}}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#
    );
    let f = run(&nb, "notebook.ipynb");
    assert_eq!(
        kinds(&f),
        vec!["aws-access-key-id", "aws-secret-access-key"],
        "{f:?}"
    );
    // The id was found in the raw bytes (file line), the secret key only decoded.
    assert_eq!(f[0].evidence.actual.as_deref(), Some("line 1"));
    assert_eq!(
        f[1].evidence.actual.as_deref(),
        Some("cell 1, output 1, line 2")
    );
    assert_hidden(&f, &secret_with_slash);
    // The same notebook named otherwise: raw scan only.
    assert_eq!(kinds(&run(&nb, "notebook.json")), vec!["aws-access-key-id"]);
}

#[test]
fn large_files_are_scanned_in_overlapping_windows() {
    // A token placed across each of the first window edges is found exactly once, on its
    // line. Window cores: [0, W - C), then W - 2C long each.
    let limits = Limits {
        max_text_window: MIN_WINDOW,
        ..Limits::default()
    };
    let (w, c) = (MIN_WINDOW as usize, CONTEXT);
    for k in 0..3 {
        let edge = w - c + k * (w - 2 * c);
        for shift in (0..50).step_by(3) {
            let at = edge + shift - 45;
            let mut t = "y\n".repeat(at / 2);
            if at % 2 == 1 {
                t.push(' ');
            }
            t.push_str(HF);
            t.push('\n');
            t.push_str(&"y\n".repeat(w));
            let f = run_with(t.as_bytes(), "big.txt", &limits);
            assert_eq!(f.len(), 1, "edge {k}, shift {shift}: {f:?}");
            let line = format!("line {}", at / 2 + 1);
            assert_eq!(f[0].evidence.actual.as_deref(), Some(line.as_str()));
            assert_eq!(f[0].location.offset, Some(at as u64));
        }
    }
}

#[test]
fn config_scans_see_every_window_of_a_large_file_once() {
    // A base64 pickle across the first window edge and `_target_` keys on both sides of
    // the second: each found once, at its file offset and line.
    use base64::Engine;
    let limits = Limits {
        max_text_window: MIN_WINDOW,
        ..Limits::default()
    };
    let (w, c) = (MIN_WINDOW as usize, CONTEXT);
    let pickle = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";
    let b64 = base64::engine::general_purpose::STANDARD.encode(pickle);
    let first_edge = w - c;
    let mut t = "y\n".repeat((first_edge - 20) / 2);
    let at = t.len();
    t.push_str(&format!("m: {b64}\n"));
    let second_edge = first_edge + (w - 2 * c);
    t.push_str(&"y\n".repeat((second_edge - 6 - t.len()) / 2));
    let key = t.len();
    t.push_str("_target_: os.system\n_target_: os.system\n");
    t.push_str(&"y\n".repeat(w));
    let f = run_with(t.as_bytes(), "big.yaml", &limits);
    let payload: Vec<_> = f
        .iter()
        .filter(|f| f.code == Code::ConfigEmbeddedPayload)
        .collect();
    assert_eq!(payload.len(), 1, "{f:?}");
    assert_eq!(payload[0].location.offset, Some(at as u64 + 3));
    assert!(f.iter().any(|f| f.code == Code::PickleDangerousGlobal));
    let target: Vec<_> = f
        .iter()
        .filter(|f| f.code == Code::ConfigCallableTarget)
        .collect();
    assert_eq!(target.len(), 1, "{f:?}");
    assert_eq!(target[0].location.offset, Some(key as u64));
    let line = format!(
        "big.yaml line {}: _target_ os.system (2 times)",
        t[..key].matches('\n').count() + 1
    );
    assert!(
        target[0].message.starts_with(&line),
        "{} / {line}",
        target[0].message
    );
}

#[test]
fn aws_pair_across_a_window_edge_is_counted_once() {
    let limits = Limits {
        max_text_window: MIN_WINDOW,
        ..Limits::default()
    };
    let edge = MIN_WINDOW as usize - CONTEXT;
    for shift in [60usize, 45, 30, 10] {
        let at = edge - shift;
        let mut t = "y\n".repeat(at / 2);
        if at % 2 == 1 {
            t.push(' ');
        }
        t.push_str(&format!("{AWS_ID} aws_secret_access_key={AWS_SECRET}\n"));
        t.push_str(&"y\n".repeat(MIN_WINDOW as usize));
        let f = run_with(t.as_bytes(), "big.txt", &limits);
        assert_eq!(
            kinds(&f),
            vec!["aws-access-key-id", "aws-secret-access-key"],
            "{shift}"
        );
        assert!(
            f.iter().all(|f| !f.message.contains("more")),
            "{shift}: {f:?}"
        );
    }
}

#[test]
fn lfs_pointer_is_reported_with_oid_and_size() {
    let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    let text =
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345678\n");
    let f = run(&text, "pytorch_model.bin");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code, Code::LfsPointer);
    assert_eq!(f[0].severity, crate::finding::Severity::High);
    assert_eq!(
        f[0].evidence.expected.as_deref(),
        Some(format!("sha256:{oid}, 12345678 bytes").as_str())
    );
    assert!(lfs_pointer(b"version 1.0\nsize 3\n").is_none());
    assert!(lfs_pointer(b"just text").is_none());
    let p = lfs_pointer(b"version https://git-lfs.github.com/spec/v1\noid sha256:zz\n").unwrap();
    assert_eq!(
        p,
        LfsPointer {
            oid: None,
            size: None
        }
    );
}

#[test]
fn chat_templates_are_found_in_tokenizer_configs() {
    let v: Value = serde_json::json!({"chat_template": "{{ messages }}"});
    let t = chat_templates("tokenizer_config.json", &v);
    assert_eq!(
        t,
        vec![(
            "tokenizer_config.json: chat_template".to_owned(),
            "{{ messages }}"
        )]
    );
    assert!(chat_templates("config.json", &v).is_empty());
    let v = serde_json::json!({"chat_template": [
        {"name": "default", "template": "a"}, {"name": "tool_use", "template": "b"}, {"name": "x"}
    ]});
    let t = chat_templates("tokenizer_config.json", &v);
    assert_eq!(
        t,
        vec![
            (
                "tokenizer_config.json: chat_template[default]".to_owned(),
                "a"
            ),
            (
                "tokenizer_config.json: chat_template[tool_use]".to_owned(),
                "b"
            ),
        ]
    );
    // Malformed JSON or a number: nothing, no panic.
    assert!(run("{\"chat_template\": ", "tokenizer_config.json").is_empty());
    assert!(run("{\"chat_template\": 3}", "tokenizer_config.json").is_empty());
}

#[test]
fn prefix_triggers_everywhere_stay_within_the_finding_cap() {
    // Every few bytes starts a secret's prefix; only `glpat-` completes one (its 20
    // characters run into the next repetition). How long this
    // takes is the adversarial benchmark's business (benches/adversarial.py), not a test's.
    let mut text = String::new();
    while text.len() < 4 << 20 {
        text.push_str("sk-hf_AKIA-----BEGIN xoxb-glpat-AIza");
    }
    let found = run(&text, "x.txt");
    assert!(
        found.len() <= Limits::default().max_findings.saturating_add(1),
        "{}",
        found.len()
    );
    let kinds = kinds(&found);
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| k == "gitlab-token"),
        "{kinds:?}"
    );
}
