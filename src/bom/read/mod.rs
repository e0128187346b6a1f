//! The one lenient reader of CycloneDX JSON (any generator, spec 1.4-1.7), for the parts that
//! read AIBOMs rather than write them: `verify`, `diff` and the audit report.
//!
//! [`Document::from_value`] is the boundary. It refuses only a value that is not an object or
//! that names another `bomFormat` ([`Error`]); everything else is read as far as it goes. It
//! walks the document once, in this order: `bomFormat`, `metadata`, `metadata.component` (the
//! model) and its `pedigree.ancestors`, the model's nested `components`, the top-level
//! `components` (both recursively, at most [`MAX_DEPTH`] levels, without recursion on the call
//! stack), `dependencies`, the model card's `datasets` and `vulnerabilities`. Whatever has the
//! wrong JSON type is written down as a [`Note`], in that order; nothing panics.
//!
//! What every consumer needs of the release is read here once, as typed entries that carry
//! notes on what of them could not be read: the files ([`Document::files`], [`FileRule`],
//! [`PathRule`]), the findings ([`Document::findings`]), the exceptions recorded on them
//! ([`Document::exceptions`]), the lineage (base models, their relation and
//! `dependencies[]`: [`Document::lineage`]) and the datasets the model card names
//! ([`Document::dataset_refs`]), and the release around the model with its evaluation
//! metrics ([`Document::release_artifacts`], [`Document::metrics`]). The consumers word the
//! notes and apply their own lenses.
//!
//! The typed views ([`Object`], [`Field`], `License`, [`Hash`]) borrow the parsed value. A
//! field is kept as written and read through one of three documented lenses
//! ([`Field::str`], [`Field::trimmed`], [`Field::text`]), because the readers differ on what
//! they accept and their outputs are pinned. What several readers derive from a component is
//! here once, with the difference as a documented parameter: licence names through a lens
//! ([`Object::license_names`]), the SHA-256 ([`Object::sha256`], [`Sha256Rule`]), prompt
//! templates ([`Object::is_template`], [`TemplateRule`]), datasets and the name to show.
//!
//! CycloneDX JSON reference: <https://cyclonedx.org/docs/1.6/json/>.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod artifacts;
mod release;
mod view;

pub use release::{FileEntry, FileRule, Lineage, PathRule};
pub use view::{Field, Hash, Object, Sha256Rule, TemplateRule};

use serde_json::Value;

/// How deep components may nest (`components[].components[]...`) before the rest is noted
/// and not read.
pub const MAX_DEPTH: usize = 16;

/// A document that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the document is not a JSON object but {found}")]
    NotAnObject { found: &'static str },
    #[error("bomFormat is {found:?}, not \"CycloneDX\"")]
    NotCycloneDx { found: String },
}

/// Why an AIBOM's bytes could not be parsed ([`parse`]).
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("JSON nested deeper than {max} levels: not read")]
    TooDeep { max: usize },
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Whether the JSON text `bytes` nests arrays and objects deeper than `max`, by one pass over
/// the bytes (nothing is parsed or kept).
pub fn nests_deeper_than(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth = depth.saturating_add(1);
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses an AIBOM's bytes (already read under the size cap,
/// [`crate::limits::VerifyLimits::max_bom`]), refusing first, without parsing, one nested
/// deeper than `max_depth` ([`crate::limits::VerifyLimits::max_bom_depth`]).
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Value, ParseError> {
    if nests_deeper_than(bytes, max_depth) {
        return Err(ParseError::TooDeep { max: max_depth });
    }
    Ok(serde_json::from_slice(bytes)?)
}

/// Whether the AIBOM text `json` records a release (`aibom:release:*` on the model or on a
/// top-level component), read with typed, borrowed structs that keep nothing else: for a
/// signed AIBOM that is not otherwise read. `Err` when it cannot be read that far.
pub fn peek_release(json: &str) -> Result<bool, serde_json::Error> {
    use serde::de::IgnoredAny;
    use std::borrow::Cow;
    #[derive(serde::Deserialize)]
    struct Prop<'a> {
        #[serde(borrow, default)]
        name: Option<Cow<'a, str>>,
        #[serde(default)]
        #[allow(dead_code)]
        value: Option<IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    struct Comp<'a> {
        #[serde(borrow, default)]
        properties: Option<Vec<Prop<'a>>>,
    }
    #[derive(serde::Deserialize)]
    struct Meta<'a> {
        #[serde(borrow, default)]
        component: Option<Comp<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default)]
        metadata: Option<Meta<'a>>,
        #[serde(borrow, default)]
        components: Option<Vec<Comp<'a>>>,
    }
    let p: Peek<'_> = serde_json::from_str(json)?;
    let model = p.metadata.and_then(|m| m.component);
    Ok(model
        .into_iter()
        .chain(p.components.into_iter().flatten())
        .flat_map(|c| c.properties.into_iter().flatten())
        .any(|pr| {
            pr.name
                .is_some_and(|n| n == "aibom:release:tier" || n == "aibom:release:role")
        }))
}

/// What kind of JSON value this is, for messages ("expected an array, found a string").
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Every `(name, value)` of an object's `properties` whose name and value are strings.
pub fn properties(v: &Value) -> impl Iterator<Item = (&str, &str)> {
    v.get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get("name")?.as_str()?, p.get("value")?.as_str()?)))
}

/// The values of the properties called `name`.
pub fn property_values<'a>(v: &'a Value, name: &str) -> impl Iterator<Item = &'a str> {
    properties(v)
        .filter(move |(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A purl without its version, qualifiers and subpath (`pkg:pypi/peft@0.11.1` ->
/// `pkg:pypi/peft`), case preserved (purl types such as `huggingface` are case-sensitive).
pub fn purl_base(purl: &str) -> String {
    let p = purl.split(['?', '#']).next().unwrap_or(purl);
    let name = p.rsplit_once('/').map_or(p, |(_, name)| name);
    let version = name.find('@').and_then(|at| name.get(at..)).unwrap_or("");
    p.strip_suffix(version).unwrap_or(p).to_owned()
}

/// A part of the document as found: absent, an array, or a value of another type.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    Absent,
    Array(&'a [Value]),
    /// Present but not an array: what it is ([`kind_of`]).
    Other(&'static str),
}

impl<'a> Shape<'a> {
    pub fn of(v: Option<&'a Value>) -> Shape<'a> {
        match v {
            None => Shape::Absent,
            Some(Value::Array(a)) => Shape::Array(a),
            Some(other) => Shape::Other(kind_of(other)),
        }
    }

    /// The entries; none unless this is an array.
    pub fn items(self) -> &'a [Value] {
        match self {
            Shape::Array(a) => a,
            _ => &[],
        }
    }

    pub fn is_array(self) -> bool {
        matches!(self, Shape::Array(_))
    }
}

/// What was wrong with a part of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No `bomFormat`: read as CycloneDX anyway.
    NoBomFormat,
    /// A section that is expected is absent (`metadata.component`, `dependencies`,
    /// `vulnerabilities`).
    Missing,
    /// Present, but not an object: what it is instead.
    NotAnObject { found: &'static str },
    /// Present, but not an array: what it is instead.
    NotAnArray { found: &'static str },
    /// Components nested below [`MAX_DEPTH`]: not read.
    TooDeep,
    /// A file or base model without a name ([`Document::files`], [`Document::lineage`]).
    Unnamed,
    /// Present, but not a string: what it is instead.
    NotAString { found: &'static str },
    /// A recorded JSON value (an `aibom:dataset:file` or `aibom:evaluation:metric` property)
    /// that does not parse as one.
    Unparsable,
}

/// Something that could not be read, and where (`components[2].components`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at: String,
    pub problem: Problem,
}

/// A component anywhere in the document, with where it was found.
#[derive(Debug, Clone)]
pub struct Component<'a> {
    pub object: Object<'a>,
    /// Its place: `components[0].components[1]`, `metadata.component.components[3]`.
    pub at: String,
    /// 0 for the entries of a top-level list.
    pub depth: usize,
    /// Nested under `metadata.component` (the model's own parts).
    pub in_model: bool,
}

impl<'a> std::ops::Deref for Component<'a> {
    type Target = Object<'a>;
    fn deref(&self) -> &Object<'a> {
        &self.object
    }
}

/// One CycloneDX document, read once: typed views over the parsed value and notes on what
/// could not be read.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// The whole document.
    pub root: Object<'a>,
    /// `metadata`, when it is an object (else an empty view).
    pub metadata: Object<'a>,
    /// `metadata.component`: the model the document describes, when it is an object.
    pub model: Option<Object<'a>>,
    /// Every component that is an object, depth first in document order: the model's nested
    /// components, then the top-level ones.
    pub components: Vec<Component<'a>>,
    pub dependencies: Shape<'a>,
    /// `metadata.component.modelCard.modelParameters.datasets`.
    pub datasets: Shape<'a>,
    pub vulnerabilities: Shape<'a>,
    /// What could not be read, in reading order.
    pub notes: Vec<Note>,
}

impl<'a> Document<'a> {
    /// Reads a parsed CycloneDX JSON document. Only a value that is not an object, or an
    /// object whose `bomFormat` names another format, is refused.
    pub fn from_value(doc: &'a Value) -> Result<Document<'a>, Error> {
        let Value::Object(_) = doc else {
            return Err(Error::NotAnObject {
                found: kind_of(doc),
            });
        };
        match doc.get("bomFormat") {
            None | Some(Value::String(_)) => {}
            Some(other) => {
                return Err(Error::NotCycloneDx {
                    found: kind_of(other).to_owned(),
                });
            }
        }
        if let Some(Value::String(s)) = doc.get("bomFormat")
            && s != "CycloneDX"
        {
            return Err(Error::NotCycloneDx { found: s.clone() });
        }
        Ok(Document::read_any(doc))
    }

    /// Reads whatever is there, without checking that this is CycloneDX: for a document that
    /// is judged elsewhere (`verify` validates it against the schema and reads it anyway).
    pub fn read_any(doc: &'a Value) -> Document<'a> {
        let mut notes = Vec::new();
        let mut note = |at: &str, problem| {
            notes.push(Note {
                at: at.to_owned(),
                problem,
            })
        };
        if doc.is_object() && doc.get("bomFormat").is_none() {
            note("bomFormat", Problem::NoBomFormat);
        }
        let metadata = match doc.get("metadata") {
            Some(m @ Value::Object(_)) => Some(m),
            Some(other) => {
                note(
                    "metadata",
                    Problem::NotAnObject {
                        found: kind_of(other),
                    },
                );
                None
            }
            None => None,
        };
        let model = match metadata.and_then(|m| m.get("component")) {
            Some(c @ Value::Object(_)) => Some(Object::new(c)),
            Some(other) => {
                note(
                    "metadata.component",
                    Problem::NotAnObject {
                        found: kind_of(other),
                    },
                );
                None
            }
            None => {
                note("metadata.component", Problem::Missing);
                None
            }
        };
        let mut d = Document {
            root: Object::new(doc),
            metadata: metadata.map_or_else(Object::empty, Object::new),
            model,
            components: Vec::new(),
            dependencies: Shape::of(doc.get("dependencies")),
            datasets: Shape::Absent,
            vulnerabilities: Shape::of(doc.get("vulnerabilities")),
            notes,
        };
        if let Some(m) = d.model {
            if let Shape::Other(found) = m.get("pedigree").object().get("ancestors").shape() {
                d.note(
                    "metadata.component.pedigree.ancestors",
                    Problem::NotAnArray { found },
                );
            }
            d.walk(
                m.get("components").value(),
                "metadata.component.components",
                true,
            );
        }
        d.walk(doc.get("components"), "components", false);
        d.list_note("dependencies", d.dependencies);
        if let Some(m) = d.model {
            let datasets = m
                .get("modelCard")
                .object()
                .get("modelParameters")
                .object()
                .get("datasets");
            d.datasets = datasets.shape();
            if let Shape::Other(found) = d.datasets {
                d.note(
                    "metadata.component.modelCard.modelParameters.datasets",
                    Problem::NotAnArray { found },
                );
            }
        }
        d.list_note("vulnerabilities", d.vulnerabilities);
        d
    }

    fn note(&mut self, at: &str, problem: Problem) {
        self.notes.push(Note {
            at: at.to_owned(),
            problem,
        });
    }

    /// A top-level section: absent, or not an array.
    fn list_note(&mut self, key: &str, shape: Shape<'a>) {
        match shape {
            Shape::Absent => self.note(key, Problem::Missing),
            Shape::Other(found) => self.note(key, Problem::NotAnArray { found }),
            Shape::Array(_) => {}
        }
    }

    /// Components, depth first in document order, with an explicit stack (bounded by
    /// [`MAX_DEPTH`]).
    fn walk(&mut self, list: Option<&'a Value>, at: &str, in_model: bool) {
        let items = match Shape::of(list) {
            Shape::Array(a) => a,
            Shape::Absent => return,
            Shape::Other(found) => return self.note(at, Problem::NotAnArray { found }),
        };
        // (remaining entries of one list, where the list is, its depth, next index)
        let mut stack: Vec<(std::slice::Iter<'a, Value>, String, usize, usize)> =
            vec![(items.iter(), at.to_owned(), 0, 0)];
        while let Some((iter, list_at, depth, index)) = stack.last_mut() {
            let Some(c) = iter.next() else {
                stack.pop();
                continue;
            };
            let here = format!("{list_at}[{index}]");
            *index = index.saturating_add(1);
            let depth = *depth;
            if !c.is_object() {
                self.note(&here, Problem::NotAnObject { found: kind_of(c) });
                continue;
            }
            self.components.push(Component {
                object: Object::new(c),
                at: here.clone(),
                depth,
                in_model,
            });
            let nested_at = format!("{here}.components");
            match Shape::of(c.get("components")) {
                Shape::Absent => {}
                Shape::Other(found) => self.note(&nested_at, Problem::NotAnArray { found }),
                Shape::Array(a) if depth >= MAX_DEPTH => {
                    if !a.is_empty() {
                        self.note(&nested_at, Problem::TooDeep);
                    }
                }
                Shape::Array(a) => stack.push((a.iter(), nested_at, depth.saturating_add(1), 0)),
            }
        }
    }

    /// The model's `bom-ref`, as written.
    pub fn model_ref(&self) -> Option<&'a str> {
        self.model.and_then(|m| m.get("bom-ref").str())
    }

    /// `vulnerabilities[]`, every entry (an entry that is not an object reads as empty).
    pub fn vulnerabilities(&self) -> impl Iterator<Item = Object<'a>> + use<'a> {
        self.vulnerabilities.items().iter().map(Object::new)
    }

    /// `compositions[]`, every entry (not part of the notes: only validation reads it).
    pub fn compositions(&self) -> impl Iterator<Item = Object<'a>> + use<'a> {
        self.root.get("compositions").objects()
    }

    /// `dependencies[]`, every entry.
    pub fn dependencies(&self) -> impl Iterator<Item = Object<'a>> + use<'a> {
        self.dependencies.items().iter().map(Object::new)
    }

    /// `metadata.tools`: a 1.4-style array of `{vendor, name, version}`, or the 1.5+ object
    /// of `components[]` and `services[]`. `legacy` says which.
    pub fn tools(&self) -> (bool, Vec<Object<'a>>) {
        match self.metadata.get("tools").value() {
            Some(Value::Array(a)) => (true, a.iter().map(Object::new).collect()),
            Some(Value::Object(o)) => (
                false,
                ["components", "services"]
                    .iter()
                    .filter_map(|k| o.get(*k).and_then(Value::as_array))
                    .flatten()
                    .map(Object::new)
                    .collect(),
            ),
            _ => (false, Vec::new()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_version_qualifiers_and_subpath_only() {
        assert_eq!(purl_base("pkg:pypi/peft@0.11.1"), "pkg:pypi/peft");
        assert_eq!(
            purl_base("pkg:huggingface/Org/Name@abc?x=1#sub"),
            "pkg:huggingface/Org/Name"
        );
        assert_eq!(purl_base("pkg:pypi/torch"), "pkg:pypi/torch");
        assert_eq!(purl_base("pkg:npm/%40scope/x@1"), "pkg:npm/%40scope/x");
    }

    #[test]
    fn reads_properties_by_name() {
        let v = json!({"properties": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}, {"name": "b"}]});
        assert_eq!(property_values(&v, "a").collect::<Vec<_>>(), vec!["1", "2"]);
        assert_eq!(properties(&v).count(), 2);
        assert_eq!(kind_of(&v), "an object");
    }

    #[test]
    fn refuses_a_value_that_is_not_an_object() {
        assert!(matches!(
            Document::from_value(&json!([1, 2])),
            Err(Error::NotAnObject { found: "an array" })
        ));
    }

    #[test]
    fn refuses_another_format() {
        let spdx = json!({"spdxVersion": "SPDX-2.3", "bomFormat": "SPDX"});
        assert!(matches!(
            Document::from_value(&spdx),
            Err(Error::NotCycloneDx { found }) if found == "SPDX"
        ));
        let odd = json!({"bomFormat": 5});
        assert!(matches!(
            Document::from_value(&odd),
            Err(Error::NotCycloneDx { found }) if found == "a number"
        ));
    }

    #[test]
    fn notes_sections_of_the_wrong_type_in_reading_order() {
        let v = json!({"metadata": {"component": {"name": "m", "components": {}}},
                       "components": [1, {"name": "a", "components": "x"}],
                       "dependencies": 3});
        let d = Document::from_value(&v).unwrap();
        let notes: Vec<(&str, Problem)> =
            d.notes.iter().map(|n| (n.at.as_str(), n.problem)).collect();
        assert_eq!(
            notes,
            [
                ("bomFormat", Problem::NoBomFormat),
                (
                    "metadata.component.components",
                    Problem::NotAnArray { found: "an object" }
                ),
                ("components[0]", Problem::NotAnObject { found: "a number" }),
                (
                    "components[1].components",
                    Problem::NotAnArray { found: "a string" }
                ),
                ("dependencies", Problem::NotAnArray { found: "a number" }),
                ("vulnerabilities", Problem::Missing),
            ]
        );
        assert_eq!(d.components.len(), 1);
        assert_eq!(d.components[0].at, "components[1]");
    }

    #[test]
    fn depth_is_counted_on_the_bytes_outside_strings() {
        assert!(!nests_deeper_than(br#"{"a": [[1]]}"#, 3));
        assert!(nests_deeper_than(br#"{"a": [[[1]]]}"#, 3));
        assert!(!nests_deeper_than(br#"{"a": "[[[[[\"{{{{"}"#, 1));
        assert!(matches!(
            parse(b"[[[]]]", 2),
            Err(ParseError::TooDeep { max: 2 })
        ));
        assert!(matches!(parse(b"[[", 5), Err(ParseError::Json(_))));
        assert_eq!(parse(b"[[]]", 2).unwrap(), json!([[]]));
    }

    #[test]
    fn peeks_whether_an_aibom_records_a_release() {
        let tier = r#"{"metadata": {"component": {"properties": [
            {"name": "aibom:release:tier", "value": "high"}]}}, "vulnerabilities": [1]}"#;
        assert!(peek_release(tier).unwrap());
        let role = r#"{"components": [{"name": "x"},
            {"properties": [{"name": "aibom:release:role", "value": "prompts"}]}]}"#;
        assert!(peek_release(role).unwrap());
        let none = r#"{"metadata": {"component": {"properties": [
            {"name": "aibom:file:size", "value": "1"}]}}, "components": []}"#;
        assert!(!peek_release(none).unwrap());
        assert!(peek_release(r#"{"components": 3}"#).is_err());
    }

    #[test]
    fn walks_nested_components_depth_first_and_stops_below_the_limit() {
        let mut c = json!({"name": "leaf"});
        for i in (0..=MAX_DEPTH + 2).rev() {
            c = json!({"name": format!("n{i}"), "components": [c]});
        }
        let v = json!({"bomFormat": "CycloneDX", "components": [c, {"name": "last"}]});
        let d = Document::from_value(&v).unwrap();
        let names: Vec<&str> = d
            .components
            .iter()
            .filter_map(|c| c.get("name").str())
            .collect();
        assert_eq!(names.len(), MAX_DEPTH + 2);
        assert_eq!(names[0], "n0");
        assert_eq!(names[MAX_DEPTH], format!("n{MAX_DEPTH}"));
        assert_eq!(names[MAX_DEPTH + 1], "last");
        assert!(d.notes.iter().any(|n| n.problem == Problem::TooDeep));
    }
}
