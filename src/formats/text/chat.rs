//! Chat templates in tokenizer and processor configs, handed to the template analysis.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use serde_json::Value;

/// Base names of JSON files with a `chat_template` key.
pub(super) const TEMPLATE_FILES: &[&str] = &[
    "tokenizer_config.json",
    "chat_template.json",
    "processor_config.json",
];

/// The chat templates of a tokenizer or processor config: a string, or a list of
/// `{"name", "template"}` (named templates such as `default`, `tool_use`, `rag`).
pub(super) fn chat_templates<'v>(base: &str, v: &'v Value) -> Vec<(String, &'v str)> {
    if !TEMPLATE_FILES.contains(&base) {
        return Vec::new();
    }
    match v.get("chat_template") {
        Some(Value::String(t)) => vec![(format!("{base}: chat_template"), t.as_str())],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let t = item.get("template")?.as_str()?;
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                Some((format!("{base}: chat_template[{name}]"), t))
            })
            .collect(),
        _ => Vec::new(),
    }
}
