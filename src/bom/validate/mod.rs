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

mod purl;
mod schema;
mod semantic;
#[cfg(test)]
mod tests;

use std::fmt;

use serde_json::Value;

use schema::schema_problems;
use semantic::semantic_problems;

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
