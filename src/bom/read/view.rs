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

    /// `hashes[]`, every entry (see [`Object::get`]`("hashes")` for its shape).
    pub fn hashes(self) -> impl Iterator<Item = Hash<'a>> + use<'a> {
        self.get("hashes").objects().map(Hash::of)
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
