//! Unit tests: a valid AIBOM broken one thing at a time, and purls.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use serde_json::json;

use super::purl::{PurlError, check_purl};
use super::schema::{EmbeddedSchemas, validator};
use super::semantic::{child, semantic_problems};
use super::*;

const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A small but complete AIBOM: a model whose card names a dataset component, a weights file,
/// dependencies and a composition. Every test below breaks exactly one thing in it.
fn valid_bom() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2025-01-01T00:00:00Z",
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "model",
                "name": "tiny-model",
                "version": "0123456789abcdef0123456789abcdef01234567",
                "purl": "pkg:huggingface/acme/tiny-model@0123456789abcdef0123456789abcdef01234567",
                "modelCard": {
                    "bom-ref": "model-card",
                    "modelParameters": {
                        "task": "text-generation",
                        "datasets": [{ "ref": "dataset" }]
                    }
                }
            }
        },
        "components": [
            {
                "type": "data",
                "bom-ref": "dataset",
                "name": "tiny-dataset",
                "data": [{
                    "type": "dataset",
                    "bom-ref": "dataset-contents",
                    "name": "train split",
                    "sensitiveData": ["none known"]
                }]
            },
            {
                "type": "file",
                "bom-ref": "file:model.safetensors",
                "name": "model.safetensors",
                "hashes": [{ "alg": "SHA-256", "content": SHA256 }]
            }
        ],
        "dependencies": [
            { "ref": "model", "dependsOn": ["dataset", "file:model.safetensors"] },
            { "ref": "dataset" },
            { "ref": "file:model.safetensors" }
        ],
        "compositions": [
            { "aggregate": "complete", "assemblies": ["model"], "dependencies": ["model"] }
        ]
    })
}

/// `valid_bom()` with `value` set at `pointer` (an existing value, or a new key of an
/// existing object).
fn with(pointer: &str, value: Value) -> Value {
    let mut doc = valid_bom();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    match doc.pointer_mut(parent).expect("parent exists in valid_bom") {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => {
            let index: usize = key.parse().expect("array index");
            *items.get_mut(index).expect("index exists in valid_bom") = value;
        }
        _ => panic!("{parent} is neither object nor array"),
    }
    doc
}

/// `valid_bom()` with `value` pushed onto the array at `pointer`.
fn with_pushed(pointer: &str, value: Value) -> Value {
    let mut doc = valid_bom();
    doc.pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .expect("array exists in valid_bom")
        .push(value);
    doc
}

/// Asserts `doc` has exactly one problem, of `kind`, at `path`; returns its message.
fn only_problem(doc: &Value, kind: ProblemKind, path: &str) -> String {
    let problems = validate(doc);
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    let problem = problems.into_iter().next().expect("one problem");
    assert_eq!(
        (problem.kind, problem.path.as_str()),
        (kind, path),
        "{}",
        problem.message
    );
    problem.message
}

fn has_problem(doc: &Value, kind: ProblemKind, path: &str) -> bool {
    validate(doc)
        .iter()
        .any(|p| p.kind == kind && p.path == path)
}

#[test]
fn compiles_embedded_schema() {
    assert!(validator().is_valid(&valid_bom()));
}

#[test]
fn accepts_minimal_valid_bom() {
    assert_eq!(validate(&valid_bom()), vec![]);
}

#[test]
fn accepts_bom_with_only_required_fields() {
    let doc = json!({ "bomFormat": "CycloneDX", "specVersion": "1.6" });
    assert_eq!(validate(&doc), vec![]);
}

#[test]
fn retriever_refuses_uris_it_does_not_embed() {
    let known = jsonschema::uri::from_str("http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json")
        .expect("valid uri");
    let unknown = jsonschema::uri::from_str("https://example.com/schema/other.schema.json")
        .expect("valid uri");
    assert!(jsonschema::Retrieve::retrieve(&EmbeddedSchemas, &known).is_ok());
    assert!(jsonschema::Retrieve::retrieve(&EmbeddedSchemas, &unknown).is_err());
}

#[test]
fn rejects_spec_version_other_than_1_6() {
    let message = only_problem(
        &with("/specVersion", json!("1.5")),
        ProblemKind::Semantic,
        "/specVersion",
    );
    assert!(
        message.contains("\"1.5\"") && message.contains("1.6"),
        "{message}"
    );
}

#[test]
fn rejects_duplicate_bom_ref_of_nested_component() {
    let nested = json!([{ "type": "library", "bom-ref": "dataset", "name": "inner" }]);
    let doc = with("/components/1/components", nested);
    let message = only_problem(
        &doc,
        ProblemKind::Semantic,
        "/components/1/components/0/bom-ref",
    );
    assert!(message.contains("/components/0/bom-ref"), "{message}");
}

#[test]
fn rejects_duplicate_bom_ref_of_pedigree_ancestor() {
    let pedigree = json!({ "ancestors": [
        { "type": "machine-learning-model", "bom-ref": "model", "name": "base-model" }
    ]});
    let doc = with("/metadata/component/pedigree", pedigree);
    only_problem(
        &doc,
        ProblemKind::Semantic,
        "/metadata/component/pedigree/ancestors/0/bom-ref",
    );
}

#[test]
fn rejects_duplicate_bom_ref_of_model_card() {
    let doc = with("/metadata/component/modelCard/bom-ref", json!("model"));
    let message = only_problem(
        &doc,
        ProblemKind::Semantic,
        "/metadata/component/modelCard/bom-ref",
    );
    assert!(message.contains("/metadata/component/bom-ref"), "{message}");
}

#[test]
fn rejects_duplicate_bom_ref_of_component_data() {
    let doc = with("/components/0/data/0/bom-ref", json!("dataset"));
    only_problem(&doc, ProblemKind::Semantic, "/components/0/data/0/bom-ref");
}

#[test]
fn rejects_dangling_dependency_ref() {
    let doc = with("/dependencies/1/ref", json!("nowhere"));
    let message = only_problem(&doc, ProblemKind::Semantic, "/dependencies/1/ref");
    assert!(message.contains("\"nowhere\""), "{message}");
}

#[test]
fn rejects_dangling_depends_on() {
    let doc = with_pushed("/dependencies/0/dependsOn", json!("nowhere"));
    only_problem(&doc, ProblemKind::Semantic, "/dependencies/0/dependsOn/2");
}

#[test]
fn rejects_dangling_provides() {
    let doc = with("/dependencies/1/provides", json!(["nowhere"]));
    only_problem(&doc, ProblemKind::Semantic, "/dependencies/1/provides/0");
}

#[test]
fn rejects_dangling_composition_assembly() {
    let doc = with_pushed("/compositions/0/assemblies", json!("nowhere"));
    only_problem(&doc, ProblemKind::Semantic, "/compositions/0/assemblies/1");
}

#[test]
fn rejects_dangling_composition_dependency() {
    let doc = with("/compositions/0/dependencies/0", json!("nowhere"));
    only_problem(
        &doc,
        ProblemKind::Semantic,
        "/compositions/0/dependencies/0",
    );
}

#[test]
fn rejects_dangling_dataset_ref() {
    let doc = with(
        "/metadata/component/modelCard/modelParameters/datasets/0/ref",
        json!("nowhere"),
    );
    only_problem(
        &doc,
        ProblemKind::Semantic,
        "/metadata/component/modelCard/modelParameters/datasets/0/ref",
    );
}

#[test]
fn rejects_dataset_ref_to_component_not_of_type_data() {
    let path = "/metadata/component/modelCard/modelParameters/datasets/0/ref";
    let doc = with(path, json!("file:model.safetensors"));
    let message = only_problem(&doc, ProblemKind::Semantic, path);
    assert!(message.contains("\"file\""), "{message}");
}

#[test]
fn rejects_dataset_ref_to_something_not_a_component() {
    let path = "/metadata/component/modelCard/modelParameters/datasets/0/ref";
    let doc = with(path, json!("dataset-contents"));
    only_problem(&doc, ProblemKind::Semantic, path);
}

#[test]
fn rejects_dangling_vulnerability_affects_ref() {
    let vulnerabilities = json!([{
        "bom-ref": "vuln-1",
        "id": "CVE-2025-0001",
        "affects": [{ "ref": "model" }, { "ref": "nowhere" }]
    }]);
    let doc = with("/vulnerabilities", vulnerabilities);
    only_problem(
        &doc,
        ProblemKind::Semantic,
        "/vulnerabilities/0/affects/1/ref",
    );
}

#[test]
fn skips_bom_link_refs() {
    let link = "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#dataset";
    let mut doc = with_pushed("/dependencies/0/dependsOn", json!(link));
    *doc.pointer_mut("/metadata/component/modelCard/modelParameters/datasets/0/ref")
        .expect("dataset ref exists") = json!(link);
    assert_eq!(validate(&doc), vec![]);
}

#[test]
fn rejects_hash_whose_length_does_not_fit_alg() {
    // 40 hex digits pass the schema's pattern (it allows any listed length for any alg).
    let doc = with("/components/1/hashes/0/content", json!(SHA256.get(..40)));
    let message = only_problem(
        &doc,
        ProblemKind::Semantic,
        "/components/1/hashes/0/content",
    );
    assert!(
        message.contains("40") && message.contains("64"),
        "{message}"
    );
}

#[test]
fn rejects_hash_that_is_not_hex() {
    let doc = with("/components/1/hashes/0/content", json!("z".repeat(64)));
    assert!(has_problem(
        &doc,
        ProblemKind::Semantic,
        "/components/1/hashes/0/content"
    ));
    assert!(has_problem(
        &doc,
        ProblemKind::Schema,
        "/components/1/hashes/0/content"
    ));
}

#[test]
fn checks_hashes_outside_components() {
    let reference = json!({
        "type": "distribution",
        "url": "https://huggingface.co/acme/tiny-model",
        "hashes": [{ "alg": "MD5", "content": SHA256 }]
    });
    let doc = with("/components/1/externalReferences", json!([reference]));
    only_problem(
        &doc,
        ProblemKind::Semantic,
        "/components/1/externalReferences/0/hashes/0/content",
    );
}

#[test]
fn accepts_uppercase_hex_and_every_alg_length() {
    for (alg, digits) in [
        ("MD5", 32),
        ("SHA-1", 40),
        ("SHA-256", 64),
        ("SHA-384", 96),
        ("SHA-512", 128),
        ("SHA3-256", 64),
        ("SHA3-384", 96),
        ("SHA3-512", 128),
        ("BLAKE2b-256", 64),
        ("BLAKE2b-384", 96),
        ("BLAKE2b-512", 128),
        ("BLAKE3", 64),
    ] {
        let hash = json!([{ "alg": alg, "content": "AB".repeat(digits / 2) }]);
        assert_eq!(
            validate(&with("/components/1/hashes", hash)),
            vec![],
            "{alg}"
        );
    }
}

#[test]
fn rejects_unparseable_purl() {
    let doc = with(
        "/metadata/component/purl",
        json!("huggingface/acme/tiny-model"),
    );
    let message = only_problem(&doc, ProblemKind::Semantic, "/metadata/component/purl");
    assert!(message.contains("pkg:"), "{message}");
}

#[test]
fn rejects_model_card_on_component_not_a_model() {
    let card = json!({ "modelParameters": { "task": "classification" } });
    let doc = with("/components/1/modelCard", card);
    let message = only_problem(&doc, ProblemKind::Semantic, "/components/1/modelCard");
    assert!(message.contains("\"file\""), "{message}");
}

#[test]
fn rejects_data_on_component_not_of_type_data() {
    let data = json!([{ "type": "configuration", "name": "config.json" }]);
    let doc = with("/components/1/data", data);
    only_problem(&doc, ProblemKind::Semantic, "/components/1/data");
}

#[test]
fn reports_component_data_object_as_schema_problem() {
    let doc = with(
        "/components/0/data",
        json!({ "type": "dataset", "name": "train split" }),
    );
    let message = only_problem(&doc, ProblemKind::Schema, "/components/0/data");
    assert!(message.contains("array"), "{message}");
}

#[test]
fn reports_bare_string_dataset_ref_as_schema_problem() {
    let doc = with(
        "/metadata/component/modelCard/modelParameters/datasets/0",
        json!("dataset"),
    );
    only_problem(
        &doc,
        ProblemKind::Schema,
        "/metadata/component/modelCard/modelParameters/datasets/0",
    );
}

#[test]
fn reports_string_sensitive_data_as_schema_problem() {
    let doc = with("/components/0/data/0/sensitiveData", json!("none known"));
    let message = only_problem(
        &doc,
        ProblemKind::Schema,
        "/components/0/data/0/sensitiveData",
    );
    assert!(message.contains("array"), "{message}");
}

#[test]
fn reports_unknown_property_as_schema_problem() {
    let doc = with(
        "/metadata/component/modelCard/modelParameters/properties",
        json!([]),
    );
    let message = only_problem(
        &doc,
        ProblemKind::Schema,
        "/metadata/component/modelCard/modelParameters",
    );
    assert!(message.contains("properties"), "{message}");
}

#[test]
fn checks_formats() {
    let doc = with("/metadata/timestamp", json!("yesterday"));
    only_problem(&doc, ProblemKind::Schema, "/metadata/timestamp");
    let doc = with(
        "/metadata/component/authors",
        json!([{ "email": "nobody" }]),
    );
    only_problem(
        &doc,
        ProblemKind::Schema,
        "/metadata/component/authors/0/email",
    );
}

#[test]
fn names_large_values_by_type_instead_of_quoting_them() {
    let doc = with("/metadata/component/name", json!(["x".repeat(500)]));
    let message = only_problem(&doc, ProblemKind::Schema, "/metadata/component/name");
    assert!(message.len() < 200, "{message}");
}

#[test]
fn does_not_panic_on_garbage() {
    let garbage = [
        json!(null),
        json!(0),
        json!(-1.5),
        json!("pkg:npm/foo"),
        json!([]),
        json!([1, [2, [3]], {"bom-ref": "x"}]),
        json!({}),
        json!({
            "specVersion": 1.6, "components": 5, "dependencies": "x", "compositions": [1]
        }),
        json!({ "components": [1, "a", null, [], {
            "type": 7, "bom-ref": 3, "purl": 9, "modelCard": [], "data": "x",
            "hashes": [{ "alg": 1 }, 7, { "alg": "SHA-256" }]
        }] }),
        json!({
            "dependencies": [null, { "ref": "a", "dependsOn": [1, null, {}] }],
            "vulnerabilities": [{ "affects": "all" }, { "affects": [null, { "ref": [] }] }],
            "metadata": { "component": {
                "modelCard": { "modelParameters": { "datasets": 3 } }
            } }
        }),
        json!({ "metadata": { "component": {
            "pedigree": { "ancestors": { "bom-ref": "a" } }
        } } }),
        json!({ "~/": { "bom-ref": "a" }, "x": [{ "bom-ref": "a" }] }),
    ];
    for doc in &garbage {
        let problems = validate(doc);
        assert!(!problems.is_empty(), "{doc} should be invalid");
    }
}

#[test]
fn escapes_pointer_segments() {
    let doc = json!({ "a/b~c": { "bom-ref": "x" }, "z": { "bom-ref": "x" } });
    let semantic: Vec<_> = semantic_problems(&doc)
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(semantic, ["/z/bom-ref"]);
    assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
}

#[test]
fn serializes_problem_kind_in_kebab_case() {
    let problem = Problem {
        path: "/x".into(),
        message: "m".into(),
        kind: ProblemKind::Semantic,
    };
    let json = serde_json::to_value(&problem).expect("serializes");
    assert_eq!(
        json,
        json!({ "path": "/x", "message": "m", "kind": "semantic" })
    );
}

#[test]
fn accepts_valid_purls() {
    for purl in [
        "pkg:huggingface/microsoft/phi-2@7e10f3ea09c0ebd373aebc73bc6e6ca58204628d",
        "pkg:pypi/django@1.11.1",
        "pkg:npm/%40angular/animation@12.3.1",
        "pkg:npm/foobar@12.3.1",
        "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&repository_url=repo.spring.io%2Frelease",
        "pkg:golang/google.golang.org/genproto#googleapis/api/annotations",
        "pkg:docker/cassandra@sha256:244fd47e07d1004f0aed9c",
        "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
        "pkg:gem/ruby-advisory-db-check@0.12.4",
        "pkg:generic/openssl@1.1.10g?download_url=https://openssl.org/source/openssl-1.1.0g.tar.gz&checksum=sha256:de4d501267da",
        "pkg:generic/model.safetensors",
        "pkg:c++/foo@1.0+local",
        "pkg://npm/foo",
        "pkg:pypi/caf%C3%A9",
        "pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c#/src/",
    ] {
        assert_eq!(check_purl(purl), Ok(()), "{purl}");
    }
}

#[test]
fn rejects_malformed_purls() {
    let cases = [
        ("npm/foo", PurlError::Scheme),
        ("PKG:npm/foo", PurlError::Scheme),
        ("pkg:npm", PurlError::MissingName),
        ("pkg:npm/", PurlError::MissingName),
        ("pkg:npm/@1.0", PurlError::MissingName),
        ("pkg:npm/ns/", PurlError::MissingName),
        ("pkg:/foo", PurlError::MissingName),
        ("pkg:NPM/foo", PurlError::Type("NPM".into())),
        ("pkg:1npm/foo", PurlError::Type("1npm".into())),
        ("pkg:n_pm/foo", PurlError::Type("n_pm".into())),
        ("pkg:npm//foo", PurlError::EmptyNamespaceSegment),
        (
            "pkg:maven/org..x/a//b/name",
            PurlError::EmptyNamespaceSegment,
        ),
        ("pkg:npm/foo@", PurlError::EmptyVersion),
        ("pkg:npm/foo?arch", PurlError::Qualifier("arch".into())),
        ("pkg:npm/foo?a=1&&b=2", PurlError::Qualifier(String::new())),
        ("pkg:npm/foo?Arch=x", PurlError::QualifierKey("Arch".into())),
        ("pkg:npm/foo?1a=x", PurlError::QualifierKey("1a".into())),
        ("pkg:npm/foo?=x", PurlError::QualifierKey(String::new())),
        (
            "pkg:npm/foo?a=1&a=2",
            PurlError::DuplicateQualifier("a".into()),
        ),
        ("pkg:npm/foo#a/../b", PurlError::SubpathSegment("..".into())),
        ("pkg:npm/foo#%2E", PurlError::SubpathSegment(".".into())),
        ("pkg:npm/fo o", PurlError::Unencoded(' ')),
        ("pkg:npm/foo\u{e9}", PurlError::Unencoded('\u{e9}')),
        ("pkg:npm/foo#a#b", PurlError::Unencoded('#')),
        ("pkg:npm/foo?a=1?b=2", PurlError::Unencoded('?')),
        ("pkg:npm/fo%zz", PurlError::BadEscape("fo%zz".into())),
        ("pkg:npm/fo%+f", PurlError::BadEscape("fo%+f".into())),
        ("pkg:npm/foo%4", PurlError::BadEscape("foo%4".into())),
        ("pkg:npm/%ff", PurlError::NotUtf8),
    ];
    for (purl, expected) in cases {
        assert_eq!(check_purl(purl), Err(expected), "{purl}");
    }
}
