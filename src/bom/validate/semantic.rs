//! The semantic layer: what the schema cannot state (spec version, unique and resolving
//! references, hash lengths, purls, fields only some component types may carry).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::HashMap;

use serde_json::Value;

use super::purl::check_purl;
use super::{Problem, ProblemKind, SPEC_VERSION};
use crate::bom::read::{self, Hash, Object};

pub(super) fn semantic_problems(doc: &Value) -> Vec<Problem> {
    // Validation judges any JSON, so read it without refusing another `bomFormat`: the schema
    // layer reports that.
    let read = read::Document::read_any(doc);
    let mut checks = Semantic::default();
    checks.spec_version(read.root);
    checks.walk(doc);
    checks.references(&read);
    checks.problems
}

/// What a `bom-ref` names, as far as the reference checks care.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// A component, with its `type` if that is a string.
    Component(Option<&'a str>),
    /// Anything else that carries a `bom-ref` (service, vulnerability, modelCard, ...).
    Other,
}

#[derive(Default)]
struct Semantic<'a> {
    problems: Vec<Problem>,
    /// Every `bom-ref`, mapped to the first place it occurs and what it names.
    bom_refs: HashMap<&'a str, (String, Target<'a>)>,
    /// `modelCard.modelParameters.datasets[].ref` values with their paths, resolved after the walk.
    dataset_refs: Vec<(String, &'a str)>,
}

/// A value still to visit in [`Semantic::walk`].
struct Frame<'a> {
    value: &'a Value,
    path: String,
    /// The object key this value sits under (for an array element: the array's key).
    key: Option<&'a str>,
    /// For an object: it is a component. For an array: its elements are components.
    component: bool,
}

impl<'a> Semantic<'a> {
    fn report(&mut self, path: String, message: String) {
        self.problems.push(Problem {
            path,
            message,
            kind: ProblemKind::Semantic,
        });
    }

    fn spec_version(&mut self, doc: Object<'_>) {
        // Missing or not a string: the schema layer says so.
        if let Some(version) = doc.get("specVersion").str()
            && version != SPEC_VERSION
        {
            self.report(
                "/specVersion".to_owned(),
                format!(
                    "specVersion is {version:?}; aibom validates CycloneDX {SPEC_VERSION} \
                     documents only"
                ),
            );
        }
    }

    /// Visits every value once, parents before children, without recursion (the input may be
    /// deep). Records bom-refs, checks components and hash lists, and collects dataset refs.
    fn walk(&mut self, doc: &'a Value) {
        let mut stack = vec![Frame {
            value: doc,
            path: String::new(),
            key: None,
            component: false,
        }];
        while let Some(frame) = stack.pop() {
            match frame.value {
                Value::Object(map) => {
                    self.object(Object::new(frame.value), &frame);
                    for (key, value) in map.iter().rev() {
                        let path = child(&frame.path, key);
                        let component = match key.as_str() {
                            // Arrays of components: top level, nested, metadata.tools,
                            // formulation, declarations.targets, vulnerabilities[].tools.
                            "components" => true,
                            "ancestors" | "descendants" | "variants" => {
                                frame.key == Some("pedigree")
                            }
                            "component" => path == "/metadata/component",
                            _ => false,
                        };
                        stack.push(Frame {
                            value,
                            path,
                            key: Some(key),
                            component,
                        });
                    }
                }
                Value::Array(items) => {
                    if frame.key == Some("hashes") {
                        self.hashes(items, &frame.path);
                    }
                    for (i, value) in items.iter().enumerate().rev() {
                        stack.push(Frame {
                            value,
                            path: format!("{}/{i}", frame.path),
                            key: frame.key,
                            component: frame.component,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn object(&mut self, map: Object<'a>, frame: &Frame<'a>) {
        // An array of components holds objects that are components; the array frame passes the
        // flag on to its elements, so here `component` is only true for component objects.
        let kind = if frame.component {
            map.get("type").str()
        } else {
            None
        };
        if let Some(bom_ref) = map.get("bom-ref").str() {
            let path = child(&frame.path, "bom-ref");
            let target = if frame.component {
                Target::Component(kind)
            } else {
                Target::Other
            };
            match self.bom_refs.get(bom_ref) {
                Some((first, _)) => {
                    let message = format!("bom-ref {bom_ref:?} is already used at {first}");
                    self.report(path, message);
                }
                None => {
                    self.bom_refs.insert(bom_ref, (path, target));
                }
            }
        }
        if frame.component {
            self.component(map, &frame.path, kind);
        }
    }

    fn component(&mut self, map: Object<'a>, path: &str, kind: Option<&str>) {
        if let Some(model_card) = map.get("modelCard").value() {
            if let Some(kind) = kind
                && kind != "machine-learning-model"
            {
                self.report(
                    child(path, "modelCard"),
                    format!(
                        "modelCard is only allowed on components of type \
                         \"machine-learning-model\", not {kind:?}"
                    ),
                );
            }
            let datasets = Object::new(model_card)
                .get("modelParameters")
                .object()
                .get("datasets");
            for (i, dataset) in datasets.objects().enumerate() {
                if let Some(reference) = dataset.get("ref").str() {
                    let at = format!("{path}/modelCard/modelParameters/datasets/{i}/ref");
                    self.dataset_refs.push((at, reference));
                }
            }
        }
        if map.get("data").value().is_some()
            && let Some(kind) = kind
            && kind != "data"
        {
            self.report(
                child(path, "data"),
                format!("data is only allowed on components of type \"data\", not {kind:?}"),
            );
        }
        if let Some(purl) = map.get("purl").str()
            && let Err(error) = check_purl(purl)
        {
            self.report(child(path, "purl"), format!("purl {purl:?} {error}"));
        }
    }

    fn hashes(&mut self, items: &[Value], path: &str) {
        for (i, hash) in items.iter().map(Object::new).map(Hash::of).enumerate() {
            let alg = hash.alg.str();
            let content = hash.content.str();
            // Unknown algorithm or wrong types: the schema's enum and types report it.
            let (Some(alg), Some(content)) = (alg, content) else {
                continue;
            };
            let Some(expected) = hex_digits(alg) else {
                continue;
            };
            let message = if !content.bytes().all(|b| b.is_ascii_hexdigit()) {
                format!("{alg} hash content is not hexadecimal")
            } else if content.len() != expected {
                format!(
                    "{alg} hash content has {} hex digits, but {alg} has {expected}",
                    content.len()
                )
            } else {
                continue;
            };
            self.report(format!("{path}/{i}/content"), message);
        }
    }

    /// Checks every reference the document makes; runs after [`Self::walk`] has seen every
    /// `bom-ref`.
    fn references(&mut self, doc: &read::Document<'a>) {
        for (i, dependency) in doc.lineage().dependencies.iter().enumerate() {
            let at = format!("/dependencies/{i}");
            if let Some(reference) = dependency.from.str() {
                self.resolve(format!("{at}/ref"), reference);
            }
            for (field, refs) in [
                ("dependsOn", &dependency.depends_on),
                ("provides", &dependency.provides),
            ] {
                for (j, reference) in refs.iter().enumerate() {
                    if let Some(reference) = reference.str() {
                        self.resolve(format!("{at}/{field}/{j}"), reference);
                    }
                }
            }
        }
        for (i, composition) in doc.compositions().enumerate() {
            for field in ["assemblies", "dependencies", "vulnerabilities"] {
                for (j, reference) in composition.get(field).strings() {
                    self.resolve(format!("/compositions/{i}/{field}/{j}"), reference);
                }
            }
        }
        for (i, finding) in doc.findings().0.iter().enumerate() {
            for (j, affected) in finding.affects.iter().enumerate() {
                if let Some(reference) = affected.str() {
                    self.resolve(format!("/vulnerabilities/{i}/affects/{j}/ref"), reference);
                }
            }
        }
        for (path, reference) in std::mem::take(&mut self.dataset_refs) {
            if let Some(target) = self.resolve(path.clone(), reference) {
                match target {
                    // No type: the schema layer reports the missing `type`.
                    Target::Component(Some("data") | None) => {}
                    Target::Component(Some(kind)) => self.report(
                        path,
                        format!(
                            "dataset ref {reference:?} names a component of type {kind:?}; \
                             datasets must be components of type \"data\""
                        ),
                    ),
                    Target::Other => self.report(
                        path,
                        format!(
                            "dataset ref {reference:?} names something that is not a \
                             component; datasets must be components of type \"data\""
                        ),
                    ),
                }
            }
        }
    }

    /// Reports `reference` at `path` if no `bom-ref` in the document matches it; returns what it
    /// names when it does. BOM-Links (`urn:cdx:...`) point into other documents and are skipped.
    fn resolve(&mut self, path: String, reference: &str) -> Option<Target<'a>> {
        if reference.starts_with("urn:cdx:") {
            return None;
        }
        if let Some((_, target)) = self.bom_refs.get(reference) {
            return Some(*target);
        }
        let message = format!("ref {reference:?} matches no bom-ref in the document");
        self.report(path, message);
        None
    }
}

/// `path` extended by one object key, escaped per RFC 6901.
pub(super) fn child(path: &str, key: &str) -> String {
    let mut out = String::with_capacity(path.len().saturating_add(key.len()).saturating_add(1));
    out.push_str(path);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Hex digits in a digest of each `hash-alg` the 1.6 schema allows.
fn hex_digits(alg: &str) -> Option<usize> {
    Some(match alg {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" | "BLAKE3" => 64,
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => 96,
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" => 128,
        _ => return None,
    })
}
