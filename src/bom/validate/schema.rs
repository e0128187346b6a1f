//! The schema layer: the document against the embedded official CycloneDX 1.6 JSON schema.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::sync::OnceLock;

use serde_json::Value;

use super::{MAX_QUOTED_VALUE, Problem, ProblemKind};

/// The CycloneDX 1.6 schema, byte-for-byte as shipped in cyclonedx-python-lib.
const BOM_1_6_SCHEMA: &str =
    include_str!("../../../schemas/cyclonedx/bom-1.6.SNAPSHOT.schema.json");

/// The files the 1.6 schema `$ref`s, by file name (the last segment of the resolved URI, e.g.
/// `http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json`). 1.6 does not reference
/// `cryptography-defs` (1.7 does), so it is not embedded.
const REFERENCED_SCHEMAS: [(&str, &str); 2] = [
    (
        "spdx.SNAPSHOT.schema.json",
        include_str!("../../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json"),
    ),
    (
        "jsf-0.82.SNAPSHOT.schema.json",
        include_str!("../../../schemas/cyclonedx/jsf-0.82.SNAPSHOT.schema.json"),
    ),
];

/// Serves the embedded files the 1.6 schema `$ref`s; any other URI is refused, so validation
/// never touches the network or the file system.
pub(super) struct EmbeddedSchemas;

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
pub(super) fn validator() -> &'static jsonschema::Validator {
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

pub(super) fn schema_problems(doc: &Value) -> Vec<Problem> {
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
