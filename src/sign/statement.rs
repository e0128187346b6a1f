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
pub const DEFAULT_IGNORES: &[&str] = crate::discover::TOP_LEVEL_IGNORES;

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
        /// The predicate as signed: JSON text, never parsed whole (an AIBOM of tens of MB
        /// would take ten times that as a [`Value`]); compared with [`bom_binding`].
        bom: RawJson,
        /// The SHA-256 of the AIBOM file's exact bytes (the second subject); absent in
        /// attestations written before the bytes were bound.
        bom_sha256: Option<Sha256>,
    },
}

/// A JSON value kept as its text (a signed AIBOM predicate); `None`: absent or `null`.
#[derive(Debug, Clone)]
pub struct RawJson(Option<Box<serde_json::value::RawValue>>);

impl RawJson {
    /// The JSON text, as signed (`null` when there was none).
    pub fn get(&self) -> &str {
        self.0
            .as_deref()
            .map_or("null", serde_json::value::RawValue::get)
    }

    /// Whether this text is the JSON value `v` (objects compared without regard to key
    /// order, as [`Value`] compares them), read in one streaming pass: nothing of it is
    /// kept but the key being compared.
    pub fn same_as(&self, v: &Value) -> bool {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(self.get());
        matches!(SameAs(v).deserialize(&mut de), Ok(true)) && de.end().is_ok()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.get() == other.get()
    }
}

/// Compares the JSON being read with a [`Value`] (see [`RawJson::same_as`]). A mismatch stops
/// the read (the deserializer then reports an error, read as "not the same").
struct SameAs<'v>(&'v Value);

impl<'de> serde::de::DeserializeSeed<'de> for SameAs<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SameAs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<bool, E> {
        Ok(self.0.as_bool() == Some(b) && self.0.is_boolean())
    }
    fn visit_u64<E>(self, n: u64) -> Result<bool, E> {
        Ok(matches!(self.0, Value::Number(x) if x.is_u64() && x.as_u64() == Some(n)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<bool, E> {
        Ok(matches!(self.0, Value::Number(x) if x.is_i64() && x.as_i64() == Some(n)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<bool, E> {
        Ok(matches!(self.0, Value::Number(x) if x.is_f64() && x.as_f64() == Some(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<bool, E> {
        Ok(self.0.as_str() == Some(s))
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(self.0.is_null())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let Value::Array(items) = self.0 else {
            return Ok(false);
        };
        for item in items {
            if seq.next_element_seed(SameAs(item))? != Some(true) {
                return Ok(false);
            }
        }
        Ok(seq.next_element::<serde::de::IgnoredAny>()?.is_none())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Value::Object(o) = self.0 else {
            return Ok(false);
        };
        let mut seen = 0usize;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(v) = o.get(key.as_ref()) else {
                return Ok(false);
            };
            if !map.next_value_seed(SameAs(v))? {
                return Ok(false);
            }
            seen = seen.saturating_add(1);
        }
        // A key written twice is not the value (a Value keeps one of them).
        Ok(seen == o.len())
    }
}

/// The statement as read: the small parts as values, the predicate as text.
#[derive(serde::Deserialize)]
struct RawStatement {
    #[serde(rename = "_type", default)]
    ty: Option<Value>,
    #[serde(default)]
    subject: Option<Value>,
    #[serde(rename = "predicateType", default)]
    predicate_type: Option<Value>,
    #[serde(default)]
    predicate: Option<Box<serde_json::value::RawValue>>,
}

/// How an AIBOM attestation binds the AIBOM it is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BomBinding {
    /// The file's exact bytes, by SHA-256 (and the predicate is that document).
    Bytes,
    /// An older attestation without the digest: the predicate equals the document as JSON.
    Json,
}

impl BomBinding {
    pub fn describe(self) -> &'static str {
        match self {
            BomBinding::Bytes => "bound: the AIBOM's exact bytes (SHA-256)",
            BomBinding::Json => {
                "bound: an older attestation without the AIBOM's digest, compared as JSON"
            }
        }
    }
}

/// Whether an attestation's predicate and signed digest bind the AIBOM `bom`, whose file bytes
/// hash to `bom_sha256`.
pub fn bom_binding(
    predicate: &RawJson,
    signed_sha256: Option<&Sha256>,
    bom: &Value,
    bom_sha256: &Sha256,
) -> Result<BomBinding, String> {
    match signed_sha256 {
        Some(d) if d != bom_sha256 => Err(format!(
            "the signed AIBOM bytes have SHA-256 {d}; the AIBOM given has {bom_sha256}"
        )),
        Some(_) if !predicate.same_as(bom) => {
            Err("the attestation's predicate is not the AIBOM its digest names".to_owned())
        }
        Some(_) => Ok(BomBinding::Bytes),
        None if !predicate.same_as(bom) => {
            Err("the signed AIBOM differs from the AIBOM given".to_owned())
        }
        None => Ok(BomBinding::Json),
    }
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

/// The AIBOM attestation: the AIBOM as predicate; the model's root digest as first subject and
/// the AIBOM file's exact bytes (`bom_name`, `bom_sha256`) as the second, so a document that
/// parses the same but reads differently (duplicate keys, other number forms) is not it.
pub fn bom_statement(
    subject_name: &str,
    root: &Sha256,
    bom: &Value,
    bom_name: &str,
    bom_sha256: &Sha256,
) -> serde_json::Result<Vec<u8>> {
    let v = json!({
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": subject_name, "digest": {"sha256": root.to_hex()}},
            {"name": bom_name, "digest": {"sha256": bom_sha256.to_hex()}},
        ],
        "predicateType": BOM_PREDICATE,
        "predicate": bom,
    });
    serde_json::to_vec(&v)
}

/// Parses and checks a statement (names, duplicates, root digest).
pub fn parse(payload: &[u8]) -> Result<Statement, StatementError> {
    // Typed, with the predicate kept as text: an AIBOM attestation carries the whole AIBOM.
    let v: RawStatement =
        serde_json::from_slice(payload).map_err(|e| StatementError::Json(e.to_string()))?;
    let ty = v.ty.as_ref().and_then(Value::as_str).unwrap_or("");
    if ty != STATEMENT_TYPE {
        return Err(StatementError::Type(ty.to_owned()));
    }
    let subjects = v
        .subject
        .as_ref()
        .and_then(Value::as_array)
        .ok_or(StatementError::Subject)?;
    let pt = v
        .predicate_type
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("");
    // A model statement has one subject (OMS); an AIBOM attestation one or two (the AIBOM's
    // own bytes second).
    let (subject, bom_subject) = match (subjects.as_slice(), pt) {
        ([s], _) => (s, None),
        ([s, b], BOM_PREDICATE) => (s, Some(b)),
        _ => return Err(StatementError::Subject),
    };
    let bom_sha256 = match bom_subject {
        None => None,
        Some(b) => Some(
            b.get("digest")
                .and_then(|d| d.get("sha256"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Sha256>().ok())
                .ok_or(StatementError::Subject)?,
        ),
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
    match pt {
        BOM_PREDICATE => Ok(Statement::Bom {
            subject,
            bom: RawJson(v.predicate),
            bom_sha256,
        }),
        OMS_PREDICATE => {
            let predicate: Value = match &v.predicate {
                Some(p) => serde_json::from_str(p.get())
                    .map_err(|e| StatementError::Json(e.to_string()))?,
                None => Value::Null,
            };
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
    fn a_signed_predicate_is_compared_with_the_aibom_as_json_without_parsing_it_whole() {
        let raw = |t: &str| {
            RawJson(Some(
                serde_json::value::RawValue::from_string(t.into()).unwrap(),
            ))
        };
        let v = json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}});
        assert!(raw(r#"{"b": {"c": {}}, "a": [1, -2, 2.5, "x", null, true]}"#).same_as(&v));
        for other in [
            r#"{"a": [1, -2, 2.5, "x", null, true]}"#,
            r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}, "d": 1}"#,
            r#"{"a": [1, -2, 2.5, "x", null], "b": {"c": {}}}"#,
            r#"{"a": [1, -2, 2.5, "x", null, true, 7], "b": {"c": {}}}"#,
            r#"{"a": [1, 2, 2.5, "x", null, true], "b": {"c": {}}}"#,
            r#"{"a": [1, -2, 2.5, "y", null, true], "b": {"c": []}}"#,
            r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}, "b": {"c": {}}}"#,
        ] {
            assert!(!raw(other).same_as(&v), "{other}");
        }
        assert!(RawJson(None).same_as(&Value::Null));
    }

    #[test]
    fn an_aibom_attestation_names_the_aibom_bytes_and_a_model_statement_has_one_subject() {
        let root = Sha256::of(b"model");
        let doc = json!({"bomFormat": "CycloneDX"});
        let digest = Sha256::of(b"{\"bomFormat\": \"CycloneDX\"}");
        let bytes = bom_statement("m", &root, &doc, "model.cdx.json", &digest).unwrap();
        let Statement::Bom {
            subject,
            bom,
            bom_sha256,
        } = parse(&bytes).unwrap()
        else {
            panic!("not an AIBOM attestation");
        };
        assert_eq!((subject, bom_sha256), (root, Some(digest)));
        assert_eq!(
            bom_binding(&bom, bom_sha256.as_ref(), &doc, &digest),
            Ok(BomBinding::Bytes)
        );
        // The same JSON from other bytes is not the signed AIBOM.
        let other = Sha256::of(b"{\"bomFormat\":\"CycloneDX\"}");
        assert!(bom_binding(&bom, bom_sha256.as_ref(), &doc, &other).is_err());
        // Without the digest (older attestations), the JSON value decides.
        assert_eq!(bom_binding(&bom, None, &doc, &other), Ok(BomBinding::Json));
        // A model statement with a second subject is refused.
        let mut v: Value =
            serde_json::from_slice(&model_statement("m", &[res("a", b"x")], &[], false).unwrap())
                .unwrap();
        let second = v["subject"][0].clone();
        v["subject"].as_array_mut().unwrap().push(second);
        assert!(parse(&serde_json::to_vec(&v).unwrap()).is_err());
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
