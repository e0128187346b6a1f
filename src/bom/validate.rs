//! Is this JSON a well-formed CycloneDX 1.6 AIBOM? Owns the embedded official schemas and the
//! checks a JSON schema cannot express.
//!
//! Two layers, both reported as [`Problem`]s (data, not errors: an invalid BOM is a result):
//!
//! 1. [`ProblemKind::Schema`]: the document against the official CycloneDX 1.6 JSON schema
//!    (draft-07, formats checked), as vendored in `schemas/cyclonedx/` (see its README for
//!    provenance). Nothing is fetched over the network: the schema's two `$ref`ed files are
//!    embedded too and served by [`EmbeddedSchemas`].
//! 2. [`ProblemKind::Semantic`]: rules the schema cannot state (research notes §6.4):
//!    `specVersion` is `"1.6"`; every `bom-ref` is unique in the whole document; every
//!    reference (`dependencies`, `compositions`, dataset refs, `vulnerabilities[].affects`)
//!    resolves, and dataset refs name a component of type `data`; a hash's length fits its
//!    algorithm (the schema's `hash-content` pattern accepts any of 32/40/64/96/128 hex digits
//!    for any `alg`); every `purl` parses; `modelCard` only on `machine-learning-model`
//!    components and `data` only on `data` components (spec text for `component.data`: "must
//!    not be specified for other types").
//!
//! The input is untrusted: every lookup is `.get()`, the walk is iterative, and a value of the
//! wrong type is left to the schema layer rather than reported twice. The semantic layer reads
//! fields through the shared reader's views ([`crate::bom::read`]); only its walk, which visits
//! every value to find each `bom-ref` and `hashes` list wherever the schema allows one, works on
//! the JSON value itself.
//!
//! Spec: <https://cyclonedx.org/docs/1.6/json/>; purl:
//! <https://github.com/package-url/purl-spec/blob/main/PURL-SPECIFICATION.rst>.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

use super::read::{self, Hash, Object};

/// The CycloneDX 1.6 schema, byte-for-byte as shipped in cyclonedx-python-lib.
const BOM_1_6_SCHEMA: &str = include_str!("../../schemas/cyclonedx/bom-1.6.SNAPSHOT.schema.json");

/// The files the 1.6 schema `$ref`s, by file name (the last segment of the resolved URI, e.g.
/// `http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json`). 1.6 does not reference
/// `cryptography-defs` (1.7 does), so it is not embedded.
const REFERENCED_SCHEMAS: [(&str, &str); 2] = [
    (
        "spdx.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json"),
    ),
    (
        "jsf-0.82.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/jsf-0.82.SNAPSHOT.schema.json"),
    ),
];

/// The only `specVersion` this validator accepts.
const SPEC_VERSION: &str = "1.6";

/// Schema-layer messages quote the offending value; above this many characters of JSON the value
/// is named by its type instead (a `oneOf` failure on a component would otherwise quote all of it).
const MAX_QUOTED_VALUE: usize = 160;

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// JSON pointer (RFC 6901) to the offending value; `""` is the whole document.
    pub path: String,
    pub message: String,
    pub kind: ProblemKind,
}

/// Which layer found a [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The CycloneDX 1.6 JSON schema rejects the document.
    Schema,
    /// The schema accepts it, but CycloneDX semantics do not (dangling ref, wrong hash length...).
    Semantic,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Schema validation against CycloneDX 1.6 plus the checks a schema cannot do.
///
/// Returns every problem found, schema problems first; an empty vector means the document is a
/// valid CycloneDX 1.6 BOM. Semantic problems come in walk order (object keys in `serde_json`'s
/// map order, sorted unless its `preserve_order` feature is on), so of two equal bom-refs the
/// one visited second is reported, naming the first.
#[must_use]
pub fn validate(doc: &Value) -> Vec<Problem> {
    let mut problems = schema_problems(doc);
    problems.extend(semantic_problems(doc));
    problems
}

// ---------------------------------------------------------------------------------------------
// Schema layer

/// Serves the embedded files the 1.6 schema `$ref`s; any other URI is refused, so validation
/// never touches the network or the file system.
struct EmbeddedSchemas;

#[derive(Debug, thiserror::Error)]
#[error("no embedded schema for {0} (aibom embeds only the files CycloneDX 1.6 references)")]
struct NotEmbedded(String);

impl jsonschema::Retrieve for EmbeddedSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        let without_fragment = uri.split('#').next().unwrap_or(uri);
        let file_name = without_fragment
            .rsplit('/')
            .next()
            .unwrap_or(without_fragment);
        let text = REFERENCED_SCHEMAS
            .iter()
            .find(|(name, _)| *name == file_name)
            .map(|(_, text)| *text)
            .ok_or_else(|| NotEmbedded(uri.to_owned()))?;
        Ok(serde_json::from_str(text)?)
    }
}

/// The compiled 1.6 validator, built on first use.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The embedded schemas are constants; `compiles_embedded_schema` proves this cannot fail.
        let schema: Value = serde_json::from_str(BOM_1_6_SCHEMA)
            .expect("embedded CycloneDX 1.6 schema is valid JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_retriever(EmbeddedSchemas)
            .should_validate_formats(true)
            // Built without the crate's `idna` feature, `idn-email` would be silently skipped.
            // Check it the way python-jsonschema (behind cyclonedx-python-lib) does: an `@`.
            .with_format("idn-email", |s: &str| s.contains('@'))
            .build(&schema)
            .expect("embedded CycloneDX 1.6 schema compiles")
    })
}

fn schema_problems(doc: &Value) -> Vec<Problem> {
    validator()
        .iter_errors(doc)
        .map(|error| {
            let quoted = serde_json::to_string(error.instance().as_ref()).map_or(0, |s| s.len());
            let message = if quoted > MAX_QUOTED_VALUE {
                error.masked_with(type_name(error.instance())).to_string()
            } else {
                error.to_string()
            };
            Problem {
                path: error.instance_path().as_str().to_owned(),
                message,
                kind: ProblemKind::Schema,
            }
        })
        .collect()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "this boolean",
        Value::Number(_) => "this number",
        Value::String(_) => "this string",
        Value::Array(_) => "this array",
        Value::Object(_) => "this object",
    }
}

// ---------------------------------------------------------------------------------------------
// Semantic layer

fn semantic_problems(doc: &Value) -> Vec<Problem> {
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
        for (i, dependency) in doc.dependencies().enumerate() {
            let at = format!("/dependencies/{i}");
            if let Some(reference) = dependency.get("ref").str() {
                self.resolve(format!("{at}/ref"), reference);
            }
            for field in ["dependsOn", "provides"] {
                for (j, reference) in dependency.get(field).strings() {
                    self.resolve(format!("{at}/{field}/{j}"), reference);
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
        for (i, vulnerability) in doc.vulnerabilities().enumerate() {
            for (j, affected) in vulnerability.get("affects").objects().enumerate() {
                if let Some(reference) = affected.get("ref").str() {
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
fn child(path: &str, key: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// purl

/// Why a string is not a package URL; displayed after `purl "<text>"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PurlError {
    #[error("does not start with \"pkg:\"")]
    Scheme,
    #[error("contains {0:?}, which must be percent-encoded")]
    Unencoded(char),
    #[error("has a malformed percent-escape in {0:?}")]
    BadEscape(String),
    #[error("percent-decodes to invalid UTF-8")]
    NotUtf8,
    #[error("has type {0:?}; types are [a-z][a-z0-9.+-]*")]
    Type(String),
    #[error("has no name")]
    MissingName,
    #[error("has an empty namespace segment")]
    EmptyNamespaceSegment,
    #[error("has an empty version after '@'")]
    EmptyVersion,
    #[error("has qualifier {0:?}, which is not key=value")]
    Qualifier(String),
    #[error("has qualifier key {0:?}; keys are [a-z0-9._-]+, not starting with a digit")]
    QualifierKey(String),
    #[error("repeats qualifier key {0:?}")]
    DuplicateQualifier(String),
    #[error("has subpath segment {0:?}")]
    SubpathSegment(String),
}

/// Parses `text` as a package URL, strictly: `pkg:type/namespace/name@version?qualifiers#subpath`
/// with a lowercase type, a non-empty name, lowercase unique qualifier keys, no `.`/`..` subpath
/// segments, and every character outside the URL-safe set percent-encoded as valid UTF-8.
/// Follows the spec's parse order (subpath, qualifiers, scheme, type, version, name, namespace).
fn check_purl(text: &str) -> Result<(), PurlError> {
    if let Some(c) = text.chars().find(|c| !is_url_char(*c)) {
        return Err(PurlError::Unencoded(c));
    }
    let (rest, subpath) = split_off(text, '#')?;
    let (rest, qualifiers) = split_off(rest, '?')?;
    let rest = rest.strip_prefix("pkg:").ok_or(PurlError::Scheme)?;
    // "purl parsers must accept URLs such as 'pkg://' and must ignore the '//'".
    let rest = rest.trim_start_matches('/');

    let (kind, rest) = rest.split_once('/').ok_or(PurlError::MissingName)?;
    let type_ok = kind.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    if !type_ok {
        return Err(PurlError::Type(kind.to_owned()));
    }

    let rest = match rest.rsplit_once('@') {
        Some((rest, version)) => {
            if version.is_empty() {
                return Err(PurlError::EmptyVersion);
            }
            check_escapes(version)?;
            rest
        }
        None => rest,
    };
    let (namespace, name) = match rest.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, rest),
    };
    if check_escapes(name)?.is_empty() {
        return Err(PurlError::MissingName);
    }
    for segment in namespace
        .into_iter()
        .flat_map(|namespace| namespace.split('/'))
    {
        if check_escapes(segment)?.is_empty() {
            return Err(PurlError::EmptyNamespaceSegment);
        }
    }

    let mut keys = HashSet::new();
    for pair in qualifiers
        .into_iter()
        .flat_map(|qualifiers| qualifiers.split('&'))
    {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| PurlError::Qualifier(pair.into()))?;
        let key_ok = key.chars().next().is_some_and(|c| !c.is_ascii_digit())
            && key.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
            });
        if !key_ok {
            return Err(PurlError::QualifierKey(key.to_owned()));
        }
        if !keys.insert(key) {
            return Err(PurlError::DuplicateQualifier(key.to_owned()));
        }
        check_escapes(value)?;
    }

    // Leading, trailing and doubled '/' in a subpath are insignificant; '.' and '..' are not
    // allowed (they would let a subpath climb out of the package).
    for segment in subpath.into_iter().flat_map(|subpath| subpath.split('/')) {
        let decoded = check_escapes(segment)?;
        if decoded == "." || decoded == ".." {
            return Err(PurlError::SubpathSegment(decoded));
        }
    }
    Ok(())
}

/// Splits `text` at the only `separator` in it; a second one should have been percent-encoded.
fn split_off(text: &str, separator: char) -> Result<(&str, Option<&str>), PurlError> {
    match text.split_once(separator) {
        Some((_, after)) if after.contains(separator) => Err(PurlError::Unencoded(separator)),
        Some((before, after)) => Ok((before, Some(after))),
        None => Ok((text, None)),
    }
}

/// Characters a purl may contain unencoded: RFC 3986 unreserved, sub-delims, and the
/// separators `: / ? # @` plus `%` for escapes.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:/?#@%".contains(c)
}

/// Percent-decodes `text`, requiring every `%` to start a two-hex-digit escape and the result to
/// be UTF-8.
fn check_escapes(text: &str) -> Result<String, PurlError> {
    let mut rest = text.as_bytes();
    let mut decoded = Vec::with_capacity(rest.len());
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'%' {
            decoded.push(b);
            continue;
        }
        let [high, low, after @ ..] = tail else {
            return Err(PurlError::BadEscape(text.to_owned()));
        };
        let (high, low) = hex_value(*high)
            .zip(hex_value(*low))
            .ok_or_else(|| PurlError::BadEscape(text.to_owned()))?;
        decoded.push(high << 4 | low);
        rest = after;
    }
    String::from_utf8(decoded).map_err(|_| PurlError::NotUtf8)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use serde_json::json;

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
        let known =
            jsonschema::uri::from_str("http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json")
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
}
