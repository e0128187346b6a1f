//! Unit tests: `.keras` archives and `.h5` files built in memory, and config trees.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::config::{
    describe_code, foreign_registration, is_dangerous, is_external_loader, is_keras_module,
};
use super::*;
use crate::finding::{Finding, Severity};
use crate::limits::Limits;
use crate::policy::Policy;
use base64::Engine;
use std::io::Write;

fn policy() -> Policy {
    Policy::new(&[], false).unwrap()
}

/// A zip of stored (or deflated) members, enough for the Keras layout.
pub(crate) fn zip(members: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for (name, data) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let body = if deflate {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let off = out.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&method.to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&crc.sum().to_le_bytes());
        h.extend_from_slice(&(body.len() as u32).to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&20u16.to_le_bytes());
        cd.extend_from_slice(&h[4..30]);
        cd.extend_from_slice(&[0; 10]);
        cd.extend_from_slice(&off.to_le_bytes());
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let n = members.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

const METADATA: &[u8] = br#"{"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"}"#;
const H5: &[u8] = b"\x89HDF\r\n\x1a\n";

fn keras(config: &str) -> Vec<u8> {
    zip(
        &[
            ("metadata.json", METADATA),
            ("config.json", config.as_bytes()),
            ("model.weights.h5", H5),
        ],
        false,
    )
}

struct Run {
    findings: Vec<Finding>,
    facts: Option<KerasFacts>,
}

impl Run {
    fn codes(&self) -> Vec<Code> {
        self.findings.iter().map(|f| f.code).collect()
    }
    fn count(&self, c: Code) -> usize {
        self.findings.iter().filter(|f| f.code == c).count()
    }
}

fn run_with(bytes: &[u8], name: &str, limits: &Limits) -> Run {
    let p = policy();
    let mut ctx = Ctx::new(limits, &p, name);
    super::super::inspect_source(&bytes.to_vec(), &mut ctx, name).unwrap();
    Run {
        findings: ctx.findings,
        facts: ctx.facts.keras,
    }
}

#[test]
fn clips_and_long_paths_cut_at_character_boundaries() {
    assert_eq!(clip("abc", 3), "abc");
    assert_eq!(clip("abcd", 3), "abc…");
    // 'é' is two bytes: a cut inside it keeps the text before it.
    assert_eq!(clip("aéb", 2), "a…");
    assert_eq!(clip("éé", 1), "…");
    let limits = Limits::default();
    let p = policy();
    let ctx = Ctx::new(&limits, &p, "m.keras");
    let mut w = Walk::new(&ctx);
    // 243 bytes: the last 240 start inside the second 'é', so the cut moves past it.
    w.path = vec!["é".repeat(120), "xy".into()];
    assert_eq!(w.path(), format!("…{}.xy", "é".repeat(118)));
}

fn run(bytes: &[u8], name: &str) -> Run {
    run_with(bytes, name, &Limits::default())
}

fn layer(class: &str, name: &str) -> String {
    format!(
        r#"{{"module": "keras.layers", "class_name": "{class}", "config": {{"name": "{name}", "units": 4, "kernel_initializer": {{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {{"seed": null}}, "registered_name": null}}}}, "registered_name": null}}"#
    )
}

fn sequential(layers: &[String]) -> String {
    format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "sequential", "layers": [{}]}}, "registered_name": null, "compile_config": {{"loss": {{"module": "keras.losses", "class_name": "MeanSquaredError", "config": {{}}, "registered_name": null}}}}}}"#,
        layers.join(", ")
    )
}

// base64 of b"\xe3" + 15 zero bytes: shaped like a marshalled code object, harmless.
const CODE: &str = "4wAAAAAAAAAAAAAAAAAAAA==";

fn lambda_layer(name: &str) -> String {
    format!(
        r#"{{"module": "keras.layers", "class_name": "Lambda", "config": {{"name": "{name}", "function": {{"class_name": "__lambda__", "config": {{"code": "{CODE}", "defaults": null, "closure": null}}}}, "arguments": {{}}}}, "registered_name": null}}"#
    )
}

#[test]
fn benign_sequential_gives_facts_and_no_findings() {
    let r = run(
        keras(&sequential(&[
            layer("InputLayer", "in"),
            layer("Dense", "d1"),
            layer("Dense", "d2"),
        ]))
        .as_slice(),
        "m.keras",
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let f = r.facts.unwrap();
    assert_eq!(f.keras_version.as_deref(), Some("3.6.0"));
    assert_eq!(f.model_class.as_deref(), Some("Sequential"));
    assert_eq!(f.layer_count, 3);
    assert_eq!(f.layer_classes.get("Dense"), Some(&2));
    assert!(f.custom_objects.is_empty());
    assert_eq!(f.config_source.as_deref(), Some("config.json"));
}

#[test]
fn flags_every_lambda_layer_with_its_code_size() {
    let cfg = sequential(&[layer("Dense", "d"), lambda_layer("l1"), lambda_layer("l2")]);
    let r = run(&keras(&cfg), "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 2, "{:?}", r.findings);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::KerasLambda)
        .unwrap();
    assert!(
        f.message.contains("16 bytes of marshalled Python bytecode"),
        "{}",
        f.message
    );
    assert!(f.message.contains("safe_mode"), "{}", f.message);
    assert_eq!(f.location.member.as_deref(), Some("config.json"));
    assert_eq!(f.evidence.name.as_deref(), Some("l1"));
    assert_eq!(r.facts.unwrap().lambda_layers, 2);
}

#[test]
fn flags_lambdas_in_nested_functional_models_and_wrappers() {
    let inner = format!(
        r#"{{"module": "keras.src.models.functional", "class_name": "Functional", "config": {{"name": "inner", "layers": [{}], "input_layers": [["in", 0, 0]]}}, "registered_name": "Functional", "inbound_nodes": [{{"args": [{{"class_name": "__keras_tensor__", "config": {{"shape": [null, 3], "keras_history": ["in", 0, 0]}}}}], "kwargs": {{}}}}]}}"#,
        lambda_layer("deep")
    );
    let wrapped = format!(
        r#"{{"module": "keras.layers", "class_name": "TimeDistributed", "config": {{"name": "td", "layer": {}}}, "registered_name": null}}"#,
        lambda_layer("wrapped")
    );
    let r = run(&keras(&sequential(&[inner, wrapped])), "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 2, "{:?}", r.findings);
    let f = r.facts.unwrap();
    // Sequential's two layers, the inner model's Lambda and the wrapped Lambda.
    assert_eq!(f.layer_count, 4);
    assert_eq!(f.layer_classes.get("Lambda"), Some(&2));
}

#[test]
fn flags_legacy_lambda_forms() {
    // Keras 2: [code, defaults, closure] with newlines in the base64.
    let legacy = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam", "function": ["4wAAAAAA\nAAAAAAAAAAAAAA==\n", null, null], "function_type": "lambda", "module": "__main__"}}]}}"#;
    let r = run(&keras(legacy), "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
    assert!(
        r.findings[0].message.contains("16 bytes"),
        "{}",
        r.findings[0].message
    );
    // Keras 2: a named function looked up in a module that load_model imports.
    let named = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam", "function": "system", "function_type": "function", "module": "os"}}]}}"#;
    let r = run(&keras(named), "m.keras");
    assert!(r.codes().contains(&Code::KerasLambda), "{:?}", r.findings);
    let c = r
        .findings
        .iter()
        .find(|f| f.code == Code::KerasCustomObject)
        .unwrap();
    assert_eq!(c.evidence.module.as_deref(), Some("os"));
    assert_eq!(c.evidence.name.as_deref(), Some("system"));
}

#[test]
fn stray_marshalled_lambda_outside_a_layer_is_flagged() {
    let cfg = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": []}, "compile_config": {"loss": {"class_name": "__lambda__", "config": {"code": "4wAAAAAAAAAAAAAAAAAAAA=="}}}}"#;
    let r = run(&keras(cfg), "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
    assert!(
        r.findings[0].message.contains("compile_config.loss"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.facts.unwrap().lambda_layers, 0);
}

#[test]
fn flags_custom_modules_and_registered_names_once_each() {
    let custom = r#"{"module": "evil_pkg.layers", "class_name": "Backdoor", "config": {"name": "b"}, "registered_name": "evil_pkg>Backdoor"}"#;
    let func = r#"{"module": "keras.layers", "class_name": "Activation", "config": {"name": "a", "activation": {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}, "registered_name": null}"#;
    let reg_only = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}, "registered_name": "MyPkg>Dense"}"#;
    let hub = r#"{"module": "keras_hub.src.models.bert.bert_backbone", "class_name": "BertBackbone", "config": {"name": "bb"}, "registered_name": "keras_hub>BertBackbone"}"#;
    let cfg = sequential(&[
        custom.into(),
        custom.into(),
        func.into(),
        reg_only.into(),
        hub.into(),
    ]);
    let r = run(&keras(&cfg), "m.keras");
    assert_eq!(r.count(Code::KerasCustomObject), 3, "{:?}", r.findings);
    assert!(!r.codes().contains(&Code::KerasLambda));
    let msgs: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("Backdoor from module evil_pkg.layers (2 times)")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("exec from module builtins")),
        "{msgs:?}"
    );
    let exec = r
        .findings
        .iter()
        .find(|f| f.message.contains("exec"))
        .unwrap();
    assert_eq!(exec.severity, Severity::Critical);
    let evil = r
        .findings
        .iter()
        .find(|f| f.message.contains("Backdoor"))
        .unwrap();
    assert_eq!(evil.severity, Severity::Medium);
    assert!(
        msgs.iter().any(|m| m.contains("registered as MyPkg>Dense")),
        "{msgs:?}"
    );
    let facts = r.facts.unwrap();
    assert_eq!(facts.custom_objects.len(), 3);
    assert_eq!(facts.custom_objects[0].count, 2);
}

#[test]
fn keras_functions_used_by_safe_mode_bypasses_are_critical() {
    let gadget = r#"{"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization", "registered_name": "function"}"#;
    let cfg = format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"layers": [{}]}}, "compile_config": {{"loss": {gadget}}}}}"#,
        layer("Dense", "d")
    );
    let r = run(&keras(&cfg), "m.keras");
    assert_eq!(r.count(Code::KerasCustomObject), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message
            .contains("enable_unsafe_deserialization from module keras.config"),
        "{}",
        f.message
    );
    assert!(is_dangerous(Some("os.path"), "join") && is_dangerous(Some("subprocess"), "run"));
    assert!(!is_dangerous(Some("ossify"), "x") && !is_dangerous(Some("keras.layers"), "Dense"));
}

/// A torch.save zip whose data.pkl calls os.system('echo aibom-sample').
fn torch_zip_with_payload() -> Vec<u8> {
    let pkl: &[u8] = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";
    zip(
        &[("archive/data.pkl", pkl), ("archive/version", b"3\n")],
        false,
    )
}

fn torch_wrapper(module: &str) -> String {
    format!(
        r#"{{"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {{"name": "torch_net", "module": "{module}", "output_shape": null}}, "registered_name": "TorchModuleWrapper"}}"#
    )
}

#[test]
fn torch_module_wrapper_payload_is_scanned_as_a_nested_file() {
    let b64 = base64::engine::general_purpose::STANDARD.encode(torch_zip_with_payload());
    let r = run(&keras(&sequential(&[torch_wrapper(&b64)])), "m.keras");
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::KerasEmbeddedObject)
        .expect("the wrapper is reported");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message.contains("TorchModuleWrapper layer \"torch_net\""),
        "{}",
        f.message
    );
    assert!(f.message.contains("-byte zip"), "{}", f.message);
    // The pickle inside: reported where it is, critical.
    let inner = r
        .findings
        .iter()
        .find(|f| f.code == Code::PickleDangerousGlobal)
        .expect("the nested pickle is scanned");
    let member = inner.location.member.as_deref().unwrap();
    assert!(
        member.starts_with("config.json!<base64 at ") && member.ends_with("!archive/data.pkl"),
        "{member}"
    );
    assert!(r.codes().contains(&Code::ConfigEmbeddedPayload));
    // A module string that is no model file is still the embedded object.
    let r = run(
        &keras(&sequential(&[torch_wrapper("bm90IGEgbW9kZWw=")])),
        "m.keras",
    );
    assert_eq!(r.count(Code::KerasEmbeddedObject), 1, "{:?}", r.findings);
    // In the HDF5 config too.
    // (The fallback reader starts at the first `{"class_name"`, as Keras 2 writes it.)
    let legacy = format!(
        r#"{{"class_name": "Sequential", "config": {{"layers": [{}]}}}}"#,
        torch_wrapper(&b64)
    );
    let r = run(&h5_bytes(&legacy), "m.h5");
    assert!(
        r.codes().contains(&Code::KerasEmbeddedObject),
        "{:?}",
        r.findings
    );
    assert!(
        r.codes().contains(&Code::PickleDangerousGlobal),
        "{:?}",
        r.findings
    );
}

#[test]
fn tfsm_layers_and_file_loading_functions_are_external_loads() {
    let tfsm = r#"{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "ext", "filepath": "/tmp/aibom-sample/saved_model", "call_endpoint": "serve"}, "registered_name": "TFSMLayer"}"#;
    let get_file = r#"{"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"}"#;
    let cfg = format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"layers": [{tfsm}]}}, "compile_config": {{"loss": {get_file}}}}}"#
    );
    let r = run(&keras(&cfg), "m.keras");
    assert_eq!(r.count(Code::KerasExternalLoad), 2, "{:?}", r.findings);
    let t = r
        .findings
        .iter()
        .find(|f| f.message.contains("TFSMLayer"))
        .unwrap();
    assert_eq!(t.severity, Severity::High);
    assert!(
        t.message
            .contains("\"/tmp/aibom-sample/saved_model\" (absolute"),
        "{}",
        t.message
    );
    let g = r
        .findings
        .iter()
        .find(|f| f.message.contains("get_file"))
        .unwrap();
    assert_eq!(g.severity, Severity::Critical);
    assert!(
        !r.codes().contains(&Code::KerasCustomObject),
        "{:?}",
        r.findings
    );
    assert!(is_external_loader("keras.saving>load_model") && !is_external_loader("loader"));
}

#[test]
fn keras_modules_are_recognised_exactly() {
    for m in [
        "keras",
        "keras.layers",
        "keras.src.models.functional",
        "keras_hub",
        "keras_nlp.models",
        "keras_cv.layers",
        "tf_keras.layers",
    ] {
        assert!(is_keras_module(m), "{m}");
    }
    for m in [
        "kerasx",
        "keras_evil",
        "evil.keras",
        "builtins",
        "os",
        "__main__",
        "",
    ] {
        assert!(!is_keras_module(m), "{m}");
    }
    assert_eq!(foreign_registration("Custom>Layer"), Some("Custom"));
    assert_eq!(foreign_registration("keras_hub>GemmaBackbone"), None);
    assert_eq!(foreign_registration("Functional"), None);
}

#[test]
fn malformed_config_is_reported() {
    let r = run(&keras("{\"class_name\": \"Sequential\", "), "m.keras");
    assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
    assert!(
        r.findings[0]
            .message
            .contains("config.json is not valid JSON")
    );
    let r = run(&keras("[1, 2]"), "m.keras");
    assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
    let bad_meta = zip(
        &[
            ("metadata.json", b"nope"),
            ("config.json", sequential(&[]).as_bytes()),
            ("model.weights.h5", H5),
        ],
        false,
    );
    let r = run(&bad_meta, "m.keras");
    assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
}

#[test]
fn deflated_members_are_read() {
    let cfg = sequential(&[lambda_layer("l")]);
    let bytes = zip(
        &[
            ("metadata.json", METADATA),
            ("config.json", cfg.as_bytes()),
            ("model.weights.h5", H5),
        ],
        true,
    );
    let r = run(&bytes, "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
}

#[test]
fn oversized_config_is_reported_not_parsed() {
    let limits = Limits {
        max_keras_config: 64,
        ..Limits::default()
    };
    let r = run_with(
        &keras(&sequential(&[lambda_layer("l")])),
        "m.keras",
        &limits,
    );
    assert!(
        r.codes().contains(&Code::KerasMalformed),
        "{:?}",
        r.findings
    );
    assert!(!r.codes().contains(&Code::KerasLambda));
}

#[test]
fn walk_depth_is_bounded() {
    // A Lambda hidden below the depth limit: reported as malformed, never a stack overflow.
    let mut cfg = lambda_layer("deep");
    for _ in 0..25 {
        cfg = format!(r#"{{"class_name": "Wrapper", "config": {{"layer": {cfg}}}}}"#);
    }
    let cfg = sequential(&[cfg]);
    let limits = Limits {
        max_json_depth: 20,
        ..Limits::default()
    };
    let r = run_with(&keras(&cfg), "m.keras", &limits);
    assert!(
        r.codes().contains(&Code::KerasMalformed),
        "{:?}",
        r.findings
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.message.contains("nests deeper than 20"))
    );
    // Within the default depth it is found.
    let r = run(&keras(&cfg), "m.keras");
    assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
    // Deeper than serde_json's own recursion limit: a parse error, reported.
    let mut deep = String::from("1");
    for _ in 0..200 {
        deep = format!("[{deep}]");
    }
    let r = run(
        &keras(&format!(r#"{{"class_name": "X", "config": {deep}}}"#)),
        "m.keras",
    );
    assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
}

#[test]
fn describes_code_without_running_it() {
    assert_eq!(
        describe_code(Some(&Value::String(CODE.into()))),
        "carries 16 bytes of marshalled Python bytecode"
    );
    assert!(describe_code(Some(&Value::String("aGVsbG8=".into()))).contains("5 bytes of base64"));
    assert!(describe_code(Some(&Value::String("!!".into()))).contains("not valid base64"));
    assert_eq!(describe_code(None), "has no code string");
}

/// A minimal HDF5-like prefix: the signature, the attribute name and its JSON value, the
/// way a small fixed-length string attribute sits in an object header.
fn h5_bytes(config: &str) -> Vec<u8> {
    let mut b = H5.to_vec();
    b.extend_from_slice(&[0u8; 96]);
    b.extend_from_slice(b"model_config\0\0\0\0\x13\x00\x00\x00");
    b.extend_from_slice(config.as_bytes());
    b.extend_from_slice(&[0u8; 64]);
    b
}

#[test]
fn h5_fallback_scan_finds_the_config() {
    let r = run(&h5_bytes(&sequential(&[lambda_layer("l")])), "m.h5");
    assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
    assert_eq!(
        r.facts.unwrap().config_source.as_deref(),
        Some("hdf5 byte scan")
    );
    let r = run(
        &h5_bytes("{\"class_name\": \"Sequential\", \"config\": [1, "),
        "m.h5",
    );
    // The bytes after the signature are no HDF5 structure: not walked (hdf5-incomplete).
    assert_eq!(
        r.codes(),
        vec![Code::KerasMalformed, Code::Hdf5Incomplete],
        "{:?}",
        r.findings
    );
}

#[test]
fn h5_without_config_is_left_uninspected_with_a_note() {
    let mut b = H5.to_vec();
    b.extend_from_slice(&[0u8; 200]);
    let r = run(&b, "weights.h5");
    assert_eq!(r.codes(), vec![Code::Hdf5Incomplete], "{:?}", r.findings);
    let f = r.facts.unwrap();
    assert!(f.note.unwrap().contains("not inspected"));
    assert!(f.config_source.is_none());
}

#[test]
fn h5_samples_are_read_with_the_hdf5_decoder() {
    // Written by h5py (samples/formats/keras/generate.py) the way Keras 2 saves a model.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/formats/keras");
    let lam = std::fs::read(dir.join("malicious/legacy_lambda.h5")).unwrap();
    let r = run(&lam, "legacy_lambda.h5");
    assert!(r.codes().contains(&Code::KerasLambda), "{:?}", r.findings);
    let f = r.facts.unwrap();
    assert_eq!(f.config_source.as_deref(), Some("hdf5 attribute"));
    assert!(f.keras_version.is_some());
    let benign = std::fs::read(dir.join("benign/legacy.h5")).unwrap();
    let r = run(&benign, "legacy.h5");
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(r.facts.unwrap().layer_count > 0);
    // Every truncation of the file: no panic, and at worst nothing found.
    for cut in (0..lam.len()).step_by(97) {
        let _ = run(&lam[..cut], "cut.h5");
    }
}
