//! Typed views over parts of a parsed CycloneDX document: an [`Object`] whose every field may
//! be missing or of another type, a [`Field`] read through a named lens, [`License`] and
//! [`Hash`] entries, and the severity of a vulnerability.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Shape;
use crate::finding::Severity;
use serde_json::Value;

static NULL: Value = Value::Null;

/// One field of an object, as written: absent, or a value of any type.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a>(Option<&'a Value>);

impl<'a> Field<'a> {
    pub fn value(self) -> Option<&'a Value> {
        self.0
    }

    /// A JSON string exactly as written (possibly empty).
    pub fn str(self) -> Option<&'a str> {
        self.0.and_then(Value::as_str)
    }

    /// A JSON string, trimmed, when something is left.
    pub fn trimmed(self) -> Option<&'a str> {
        self.str().map(str::trim).filter(|s| !s.is_empty())
    }

    /// Text for display: a string that is not blank, as written, or a number or boolean as
    /// its JSON text (`"version": 3` reads as `3`).
    pub fn text(self) -> Option<String> {
        match self.0? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn shape(self) -> Shape<'a> {
        Shape::of(self.0)
    }

    /// The entries when this is an array; none otherwise.
    pub fn items(self) -> &'a [Value] {
        self.shape().items()
    }

    /// The entries of an array that are strings, with their indices in the array.
    pub fn strings(self) -> impl Iterator<Item = (usize, &'a str)> + use<'a> {
        self.items()
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.as_str().map(|s| (i, s)))
    }

    /// The entries of an array, each as an object view.
    pub fn objects(self) -> impl Iterator<Item = Object<'a>> + use<'a> {
        self.items().iter().map(Object::new)
    }

    /// This field as an object view (empty when it is not an object).
    pub fn object(self) -> Object<'a> {
        Object(self.0.unwrap_or(&NULL))
    }

    /// Whether something is recorded: a non-blank string, a non-empty array or object, a
    /// number or a boolean.
    pub fn is_recorded(self) -> bool {
        match self.0 {
            None | Some(Value::Null) => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        }
    }
}

impl<'a> From<&'a Value> for Field<'a> {
    fn from(v: &'a Value) -> Field<'a> {
        Field(Some(v))
    }
}

/// A JSON value read as an object: a field of a value that is not an object is absent.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a>(&'a Value);

/// One entry of `licenses[]`: `{expression}` or `{license: {id | name, url}}`.
#[derive(Debug, Clone, Copy)]
pub struct License<'a> {
    pub expression: Field<'a>,
    /// Whether the entry has a `license` member at all (of any type).
    pub has_license: bool,
    pub id: Field<'a>,
    pub name: Field<'a>,
    pub url: Field<'a>,
}

/// One entry of `hashes[]`.
#[derive(Debug, Clone, Copy)]
pub struct Hash<'a> {
    pub alg: Field<'a>,
    pub content: Field<'a>,
}

/// What a `licenses[]` entry names, read through one lens (see [`Object::license_names`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseName<T> {
    /// The expression, else the licence's SPDX id, else its name.
    pub text: T,
    /// An expression or an SPDX id (not a free-form name).
    pub spdx: bool,
    /// The licence's `url` (none for an expression).
    pub url: Option<T>,
}

/// Which `hashes[]` entry is a component's SHA-256, and how its `content` is read
/// ([`Object::sha256`]). The readers differ on purpose and their outputs are pinned:
///
/// | rule | `alg` accepted | entry taken | `content` |
/// |---|---|---|---|
/// | [`Exact`](Self::Exact) | exactly `SHA-256` | the first with that `alg` | a JSON string as written ([`Field::str`]); none when it is not one |
/// | [`ExactShown`](Self::ExactShown) | exactly `SHA-256` | the first with that `alg` and display text in `content` | [`Field::text`] (a non-blank string as written, or a number or boolean) |
/// | [`AnySpelling`](Self::AnySpelling) | trimmed, any case, `-` and `_` ignored (`sha256`, `Sha_256`) | the first with such an `alg` | trimmed ([`Field::trimmed`]); empty when absent |
///
/// The content is always returned in lower case, never checked as hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha256Rule {
    /// `verify`: the AIBOM's file digests against the signed ones, nothing guessed.
    Exact,
    /// The audit report: the digest shown for a prompt template.
    ExactShown,
    /// The diff: any generator's spelling, so that a renamed algorithm is not a change.
    AnySpelling,
}

/// Which `data` components are prompt templates ([`Object::is_template`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateRule {
    /// `type` `data` (trimmed) marked as aibom marks a chat template: `bom-ref` `template:…`,
    /// or the component or one of its `data[]` named `chat_template` (trimmed, any case). The
    /// diff compares these by digest.
    ChatTemplate,
    /// `type` exactly `data`, not a dataset ([`Object::is_dataset`]), with `bom-ref`
    /// `template:…` or a [shown name](Object::shown_name) that mentions `template` (any
    /// case). The audit report lists every prompt template it can find.
    Mentioned,
}

impl<'a> Hash<'a> {
    /// One `hashes[]` entry (an entry that is not an object reads as empty).
    pub fn of(entry: Object<'a>) -> Hash<'a> {
        Hash {
            alg: entry.get("alg"),
            content: entry.get("content"),
        }
    }
}

impl<'a> Object<'a> {
    pub fn new(v: &'a Value) -> Object<'a> {
        Object(v)
    }

    pub fn empty() -> Object<'a> {
        Object(&NULL)
    }

    pub fn value(self) -> &'a Value {
        self.0
    }

    pub fn is_object(self) -> bool {
        self.0.is_object()
    }

    pub fn get(self, key: &str) -> Field<'a> {
        Field(self.0.get(key))
    }

    /// The value at a JSON pointer (`/pedigree/notes`).
    pub fn at(self, pointer: &str) -> Field<'a> {
        Field(self.0.pointer(pointer))
    }

    /// Every `(name, value)` of `properties` whose name and value are strings.
    pub fn properties(self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        super::properties(self.0)
    }

    /// The first string value of the properties called `name`.
    pub fn property(self, name: &str) -> Option<&'a str> {
        super::property_values(self.0, name).next()
    }

    /// The value of the first property called `name`, of whatever type it is.
    pub fn first_property(self, name: &str) -> Field<'a> {
        Field(
            self.get("properties")
                .items()
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|p| p.get("value")),
        )
    }

    /// `licenses[]`, every entry.
    pub fn licenses(self) -> impl Iterator<Item = License<'a>> + use<'a> {
        self.get("licenses").items().iter().map(|l| {
            let lic = l.get("license");
            let lic_obj = Field(lic).object();
            License {
                expression: Field(l.get("expression")),
                has_license: lic.is_some(),
                id: lic_obj.get("id"),
                name: lic_obj.get("name"),
                url: lic_obj.get("url"),
            }
        })
    }

    /// What each `licenses[]` entry names, read through `lens` ([`Field::trimmed`],
    /// [`Field::text`]): the expression, else the licence's id, else its name, the first the
    /// lens reads; entries where it reads none are left out.
    pub fn license_names<T>(
        self,
        lens: impl Fn(Field<'a>) -> Option<T>,
    ) -> impl Iterator<Item = LicenseName<T>> {
        self.licenses().filter_map(move |l| {
            if let Some(text) = lens(l.expression) {
                return Some(LicenseName {
                    text,
                    spdx: true,
                    url: None,
                });
            }
            let (text, spdx) = match lens(l.id) {
                Some(id) => (id, true),
                None => (lens(l.name)?, false),
            };
            Some(LicenseName {
                text,
                spdx,
                url: lens(l.url),
            })
        })
    }

    /// `hashes[]`, every entry (see [`Object::get`]`("hashes")` for its shape).
    pub fn hashes(self) -> impl Iterator<Item = Hash<'a>> + use<'a> {
        self.get("hashes").objects().map(Hash::of)
    }

    /// The SHA-256 in `hashes[]` as `rule` reads it ([`Sha256Rule`]), in lower case.
    pub fn sha256(self, rule: Sha256Rule) -> Option<String> {
        let content = match rule {
            Sha256Rule::Exact => self
                .hashes()
                .find(|h| h.alg.str() == Some("SHA-256"))?
                .content
                .str()?
                .to_owned(),
            Sha256Rule::ExactShown => self
                .hashes()
                .filter(|h| h.alg.text().as_deref() == Some("SHA-256"))
                .find_map(|h| h.content.text())?,
            Sha256Rule::AnySpelling => self
                .hashes()
                .find(|h| {
                    h.alg
                        .trimmed()
                        .unwrap_or_default()
                        .to_ascii_uppercase()
                        .replace(['-', '_'], "")
                        == "SHA256"
                })?
                .content
                .trimmed()
                .unwrap_or_default()
                .to_owned(),
        };
        Some(content.to_ascii_lowercase())
    }

    /// The name to show: `group/name` (the name alone when it already starts with
    /// `group/`), else the name, else the `bom-ref`; each read with [`Field::text`].
    pub fn shown_name(self) -> Option<String> {
        match (self.get("group").text(), self.get("name").text()) {
            (Some(g), Some(n)) if !n.starts_with(&format!("{g}/")) => Some(format!("{g}/{n}")),
            (_, Some(n)) => Some(n),
            (_, None) => self.get("bom-ref").text(),
        }
    }

    /// A dataset: `type` exactly `data`, with a `data[]` entry of type `dataset` or a
    /// `bom-ref` `dataset:…`.
    pub fn is_dataset(self) -> bool {
        self.get("type").text().as_deref() == Some("data")
            && (self
                .data()
                .any(|d| d.get("type").text().as_deref() == Some("dataset"))
                || self
                    .get("bom-ref")
                    .text()
                    .is_some_and(|r| r.starts_with("dataset:")))
    }

    /// A prompt template, as `rule` recognises one ([`TemplateRule`]).
    pub fn is_template(self, rule: TemplateRule) -> bool {
        match rule {
            TemplateRule::ChatTemplate => {
                let chat = |o: Object<'_>| {
                    o.get("name")
                        .trimmed()
                        .is_some_and(|n| n.eq_ignore_ascii_case("chat_template"))
                };
                self.get("type").trimmed() == Some("data")
                    && (self
                        .get("bom-ref")
                        .trimmed()
                        .is_some_and(|r| r.starts_with("template:"))
                        || chat(self)
                        || self.data().any(chat))
            }
            TemplateRule::Mentioned => {
                self.get("type").text().as_deref() == Some("data")
                    && !self.is_dataset()
                    && (self
                        .get("bom-ref")
                        .text()
                        .is_some_and(|r| r.starts_with("template:"))
                        || self
                            .shown_name()
                            .is_some_and(|n| n.to_ascii_lowercase().contains("template")))
            }
        }
    }

    /// `pedigree.ancestors`.
    pub fn ancestors(self) -> Field<'a> {
        self.get("pedigree").object().get("ancestors")
    }

    /// `data[]` of a data component.
    pub fn data(self) -> impl Iterator<Item = Object<'a>> + use<'a> {
        self.get("data").objects()
    }

    /// The severities written in `ratings[]`, as they are.
    pub fn rated_severities(self) -> impl Iterator<Item = Field<'a>> + use<'a> {
        self.get("ratings").objects().map(|r| r.get("severity"))
    }

    /// The highest severity among `ratings[]` that reads as one; `None` when none does.
    pub fn severity(self) -> Option<Severity> {
        self.rated_severities()
            .filter_map(|s| s.text()?.parse::<Severity>().ok())
            .max()
    }

    /// The highest severity a vulnerability's ratings give, failing closed: a rating that is
    /// absent, `unknown` or not a severity at all is an `Err` saying what was found.
    /// CycloneDX `none` is the lowest severity, `info`.
    pub fn severity_fail_closed(self) -> Result<Severity, String> {
        let ratings = self
            .get("ratings")
            .value()
            .and_then(Value::as_array)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| "no rating".to_owned())?;
        let mut best: Option<Severity> = None;
        for r in ratings {
            let s = r
                .get("severity")
                .and_then(Value::as_str)
                .ok_or_else(|| "a rating without a severity".to_owned())?;
            let sev = match s {
                "none" => Severity::Info,
                other => other
                    .parse::<Severity>()
                    .map_err(|_| format!("severity {other:?}"))?,
            };
            best = best.max(Some(sev));
        }
        best.ok_or_else(|| "no rating".to_owned())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_field_through_each_lens() {
        let v = json!({"s": "  x ", "blank": " ", "n": 3, "b": true, "a": [1]});
        let o = Object::new(&v);
        assert_eq!(o.get("s").str(), Some("  x "));
        assert_eq!(o.get("s").trimmed(), Some("x"));
        assert_eq!(o.get("s").text().as_deref(), Some("  x "));
        assert_eq!(o.get("blank").trimmed(), None);
        assert_eq!(o.get("blank").text(), None);
        assert_eq!(o.get("n").str(), None);
        assert_eq!(o.get("n").text().as_deref(), Some("3"));
        assert_eq!(o.get("b").text().as_deref(), Some("true"));
        assert!(o.get("a").is_recorded() && !o.get("blank").is_recorded());
        assert!(o.get("missing").object().get("x").value().is_none());
        let refs = json!({"a": ["x", 1, "y"]});
        let strings: Vec<_> = Object::new(&refs).get("a").strings().collect();
        assert_eq!(strings, [(0, "x"), (2, "y")]);
    }

    #[test]
    fn each_sha256_rule_reads_its_own_spellings() {
        let read = |v: Value| {
            let o = Object::new(&v);
            [
                o.sha256(Sha256Rule::Exact),
                o.sha256(Sha256Rule::ExactShown),
                o.sha256(Sha256Rule::AnySpelling),
            ]
        };
        let s = |x: &str| Some(x.to_owned());
        assert_eq!(
            read(json!({"hashes": [{"alg": "SHA-256", "content": "AB"}]})),
            [s("ab"), s("ab"), s("ab")]
        );
        assert_eq!(
            read(json!({"hashes": [{"alg": " sha_256 ", "content": " AB "}]})),
            [None, None, s("ab")]
        );
        // The first SHA-256 entry decides, except for the report, which skips one without
        // display text.
        assert_eq!(
            read(
                json!({"hashes": [{"alg": "SHA-256", "content": " "}, {"alg": "SHA-256", "content": "cd"}]})
            ),
            [s(" "), s("cd"), s("")]
        );
        assert_eq!(
            read(json!({"hashes": [{"alg": "SHA-256"}, {"alg": "SHA-256", "content": "cd"}]})),
            [None, s("cd"), s("")]
        );
        assert_eq!(read(json!({"hashes": "x"})), [None, None, None]);
    }

    #[test]
    fn licence_names_through_a_lens() {
        let v = json!({"licenses": [
            {"expression": " MIT OR Apache-2.0 "},
            {"expression": " ", "license": {"id": "MIT", "url": "u"}},
            {"license": {"name": 7}},
            {"license": {"name": " Custom "}},
            {"other": 1}
        ]});
        let o = Object::new(&v);
        let trimmed: Vec<_> = o.license_names(Field::trimmed).map(|l| l.text).collect();
        assert_eq!(trimmed, ["MIT OR Apache-2.0", "MIT", "Custom"]);
        let shown: Vec<_> = o.license_names(Field::text).collect();
        assert_eq!(
            shown[1],
            LicenseName {
                text: "MIT".to_owned(),
                spdx: true,
                url: Some("u".to_owned())
            }
        );
        let texts: Vec<_> = shown.iter().map(|l| (l.text.as_str(), l.spdx)).collect();
        assert_eq!(
            texts,
            [
                (" MIT OR Apache-2.0 ", true),
                ("MIT", true),
                ("7", false),
                (" Custom ", false)
            ]
        );
    }

    #[test]
    fn each_template_rule_recognises_its_own() {
        let is = |v: Value| {
            let o = Object::new(&v);
            (
                o.is_template(TemplateRule::ChatTemplate),
                o.is_template(TemplateRule::Mentioned),
            )
        };
        assert_eq!(
            is(json!({"type": "data", "bom-ref": "template:a"})),
            (true, true)
        );
        assert_eq!(
            is(json!({"type": " data ", "name": "Chat_Template"})),
            (true, false)
        );
        assert_eq!(
            is(json!({"type": "data", "name": "x", "data": [{"name": "chat_template"}]})),
            (true, false)
        );
        assert_eq!(
            is(json!({"type": "data", "name": "prompt-Template"})),
            (false, true)
        );
        assert_eq!(
            is(json!({"type": "data", "group": "templates", "name": "x"})),
            (false, true)
        );
        assert_eq!(
            is(json!({"type": "data", "bom-ref": "dataset:template"})),
            (false, false)
        );
        assert_eq!(
            is(json!({"type": "file", "name": "chat_template"})),
            (false, false)
        );
    }

    #[test]
    fn the_first_property_may_have_any_type() {
        let v = json!({"properties": [{"name": "p", "value": 1}, {"name": "p", "value": "2"}]});
        let o = Object::new(&v);
        assert_eq!(o.property("p"), Some("2"));
        assert_eq!(o.first_property("p").str(), None);
    }

    #[test]
    fn an_unknown_or_missing_severity_fails_closed_only_when_asked() {
        let sev = |v: Value| {
            let o = Object::new(&v);
            (o.severity(), o.severity_fail_closed())
        };
        assert_eq!(
            sev(json!({"ratings": [{"severity": "low"}, {"severity": "bogus"}]})),
            (Some(Severity::Low), Err("severity \"bogus\"".to_owned()))
        );
        assert_eq!(
            sev(json!({"ratings": [{"severity": "none"}]})).1,
            Ok(Severity::Info)
        );
        assert_eq!(sev(json!({})), (None, Err("no rating".to_owned())));
    }
}
