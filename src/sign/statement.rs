//! The in-toto Statement v1 inside a model signature: the OMS predicate
//! (`https://model_signing/signature/v1.0`: every file with its digest) or an AIBOM
//! attestation (`https://cyclonedx.org/bom`), both over the same subject, the model's root
//! digest: SHA-256 over the raw per-file digests in the order the resources are listed.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::digest::Sha256;
use serde_json::{Value, json};
use thiserror::Error;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const OMS_PREDICATE: &str = "https://model_signing/signature/v1.0";
pub const BOM_PREDICATE: &str = "https://cyclonedx.org/bom";

/// Paths model-signing ignores by default (top-level prefixes).
pub const DEFAULT_IGNORES: &[&str] = &[".git", ".gitattributes", ".github", ".gitignore"];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StatementError {
    #[error("the payload is not JSON: {0}")]
    Json(String),
    #[error("_type is {0:?}, expected {STATEMENT_TYPE:?}")]
    Type(String),
    #[error("predicateType {0:?} is neither a model signature nor an AIBOM attestation")]
    PredicateType(String),
    #[error("the statement must have exactly one subject with a sha256 digest")]
    Subject,
    #[error("resource {index} is malformed: {why}")]
    Resource { index: usize, why: String },
    #[error("resource name {name:?} is not allowed: {why}")]
    Name { name: String, why: &'static str },
    #[error("resource {0:?} is listed twice")]
    Duplicate(String),
    #[error("serialization {0} is not supported (only method files with sha256)")]
    Serialization(String),
    #[error("the subject digest {subject} is not the root of the listed digests {computed}")]
    Root { subject: String, computed: String },
}

/// One signed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub digest: Sha256,
}

/// What a statement says.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Model {
        subject: Sha256,
        /// `subject[0].name`: the model's name as the signer gave it.
        subject_name: String,
        resources: Vec<Resource>,
        ignore_paths: Vec<String>,
        allow_symlinks: bool,
    },
    Bom {
        subject: Sha256,
        bom: Value,
    },
}

impl Statement {
    pub fn subject(&self) -> Sha256 {
        match self {
            Statement::Model { subject, .. } | Statement::Bom { subject, .. } => *subject,
        }
    }
}

/// SHA-256 over the raw digests, in order.
pub fn root_digest<'a>(digests: impl IntoIterator<Item = &'a Sha256>) -> Sha256 {
    let mut all = Vec::new();
    for d in digests {
        all.extend_from_slice(&d.0);
    }
    Sha256::of(&all)
}

/// Checks a manifest name: relative, `/`-separated, no `.`/`..`/empty components.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err("absolute, or with a backslash or NUL");
    }
    if name.as_bytes().get(1) == Some(&b':') {
        return Err("a drive path");
    }
    for c in name.split('/') {
        match c {
            "" => return Err("has an empty component"),
            "." => return Err("has a '.' component"),
            ".." => return Err("climbs out with '..'"),
            _ => {}
        }
    }
    Ok(())
}

/// The OMS statement for a model directory named `subject_name`.
pub fn model_statement(
    subject_name: &str,
    resources: &[Resource],
    ignore_paths: &[String],
    allow_symlinks: bool,
) -> serde_json::Result<Vec<u8>> {
    let root = root_digest(resources.iter().map(|r| &r.digest));
    let res: Vec<Value> = resources
        .iter()
        .map(|r| json!({"name": r.name, "algorithm": "sha256", "digest": r.digest.to_hex()}))
        .collect();
    let v = json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject_name, "digest": {"sha256": root.to_hex()}}],
        "predicateType": OMS_PREDICATE,
        "predicate": {
            "resources": res,
            "serialization": {
                "method": "files",
                "hash_type": "sha256",
                "allow_symlinks": allow_symlinks,
                "ignore_paths": ignore_paths,
            }
        }
    });
    serde_json::to_vec(&v)
}

/// The AIBOM attestation: the AIBOM as predicate, the model's root digest as subject.
pub fn bom_statement(
    subject_name: &str,
    root: &Sha256,
    bom: &Value,
) -> serde_json::Result<Vec<u8>> {
    let v = json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject_name, "digest": {"sha256": root.to_hex()}}],
        "predicateType": BOM_PREDICATE,
        "predicate": bom,
    });
    serde_json::to_vec(&v)
}

/// Parses and checks a statement (names, duplicates, root digest).
pub fn parse(payload: &[u8]) -> Result<Statement, StatementError> {
    let v: Value =
        serde_json::from_slice(payload).map_err(|e| StatementError::Json(e.to_string()))?;
    let ty = v.get("_type").and_then(Value::as_str).unwrap_or("");
    if ty != STATEMENT_TYPE {
        return Err(StatementError::Type(ty.to_owned()));
    }
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or(StatementError::Subject)?;
    let [subject] = subjects.as_slice() else {
        return Err(StatementError::Subject);
    };
    let subject_name = subject
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let subject: Sha256 = subject
        .get("digest")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or(StatementError::Subject)?;
    let pt = v.get("predicateType").and_then(Value::as_str).unwrap_or("");
    let predicate = v.get("predicate").cloned().unwrap_or(Value::Null);
    match pt {
        BOM_PREDICATE => Ok(Statement::Bom {
            subject,
            bom: predicate,
        }),
        OMS_PREDICATE => {
            let ser = predicate
                .get("serialization")
                .cloned()
                .unwrap_or(Value::Null);
            let method = ser.get("method").and_then(Value::as_str).unwrap_or("");
            let hash = ser.get("hash_type").and_then(Value::as_str).unwrap_or("");
            if method != "files" || hash != "sha256" {
                return Err(StatementError::Serialization(format!(
                    "{method:?}/{hash:?}"
                )));
            }
            let ignore_paths = ser
                .get("ignore_paths")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let allow_symlinks = ser
                .get("allow_symlinks")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let list = predicate
                .get("resources")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut resources = Vec::with_capacity(list.len());
            let mut seen = std::collections::HashSet::new();
            for (index, r) in list.iter().enumerate() {
                let bad = |why: &str| StatementError::Resource {
                    index,
                    why: why.to_owned(),
                };
                let name = r
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("no name"))?;
                let alg = r.get("algorithm").and_then(Value::as_str).unwrap_or("");
                if alg != "sha256" {
                    return Err(bad(&format!("algorithm {alg:?} is not sha256")));
                }
                let digest: Sha256 = r
                    .get("digest")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("digest is not 64 hex digits"))?;
                check_name(name).map_err(|why| StatementError::Name {
                    name: name.to_owned(),
                    why,
                })?;
                if !seen.insert(name.to_owned()) {
                    return Err(StatementError::Duplicate(name.to_owned()));
                }
                resources.push(Resource {
                    name: name.to_owned(),
                    digest,
                });
            }
            let computed = root_digest(resources.iter().map(|r| &r.digest));
            if computed != subject {
                return Err(StatementError::Root {
                    subject: subject.to_hex(),
                    computed: computed.to_hex(),
                });
            }
            Ok(Statement::Model {
                subject,
                subject_name,
                resources,
                ignore_paths,
                allow_symlinks,
            })
        }
        other => Err(StatementError::PredicateType(other.to_owned())),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn res(name: &str, content: &[u8]) -> Resource {
        Resource {
            name: name.into(),
            digest: Sha256::of(content),
        }
    }

    #[test]
    fn round_trips_a_model_statement() {
        let r = vec![res("a.bin", b"a"), res("sub/b.json", b"b")];
        let bytes = model_statement("m", &r, &[".git".into()], false).unwrap();
        let Statement::Model {
            subject, resources, ..
        } = parse(&bytes).unwrap()
        else {
            panic!("not a model statement");
        };
        assert_eq!(resources, r);
        assert_eq!(subject, root_digest(r.iter().map(|x| &x.digest)));
    }

    #[test]
    fn empty_model_root_is_the_hash_of_nothing() {
        assert_eq!(
            root_digest(std::iter::empty()).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn rejects_traversal_absolute_duplicate_names_and_a_wrong_root() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "./a",
            "C:/x",
            "a\\b",
        ] {
            let bytes = model_statement("m", &[res(bad, b"x")], &[], false).unwrap();
            assert!(
                matches!(parse(&bytes), Err(StatementError::Name { .. })),
                "{bad}"
            );
        }
        let bytes = model_statement("m", &[res("a", b"x"), res("a", b"y")], &[], false).unwrap();
        assert!(matches!(parse(&bytes), Err(StatementError::Duplicate(_))));
        let mut v: Value =
            serde_json::from_slice(&model_statement("m", &[res("a", b"x")], &[], false).unwrap())
                .unwrap();
        v["subject"][0]["digest"]["sha256"] = Sha256::of(b"other").to_hex().into();
        assert!(matches!(
            parse(&serde_json::to_vec(&v).unwrap()),
            Err(StatementError::Root { .. })
        ));
    }

    #[test]
    fn rejects_unknown_types_and_serializations() {
        let mut v: Value =
            serde_json::from_slice(&model_statement("m", &[], &[], false).unwrap()).unwrap();
        v["predicate"]["serialization"]["method"] = "shards".into();
        assert!(matches!(
            parse(&serde_json::to_vec(&v).unwrap()),
            Err(StatementError::Serialization(_))
        ));
        v["predicateType"] = "https://example.com/x".into();
        assert!(matches!(
            parse(&serde_json::to_vec(&v).unwrap()),
            Err(StatementError::PredicateType(_))
        ));
        v["_type"] = "x".into();
        assert!(matches!(
            parse(&serde_json::to_vec(&v).unwrap()),
            Err(StatementError::Type(_))
        ));
    }
}
