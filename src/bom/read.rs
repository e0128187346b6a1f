//! Lenient readers over CycloneDX JSON (any generator, spec 1.4-1.7), shared by the parts that
//! read AIBOMs rather than write them (`diff`, `report`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use serde_json::Value;

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

/// Every `(name, value)` of an object's `properties`.
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

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
        let v = serde_json::json!({"properties": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}, {"name": "b"}]});
        assert_eq!(property_values(&v, "a").collect::<Vec<_>>(), vec!["1", "2"]);
        assert_eq!(properties(&v).count(), 2);
        assert_eq!(kind_of(&v), "an object");
    }
}
