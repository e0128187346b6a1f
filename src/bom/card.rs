//! What a model directory says about itself: the model card's YAML front matter, `config.json`,
//! `generation_config.json`, `adapter_config.json`, `tokenizer_config.json`, requirements, licence
//! files and the Hugging Face hub cache layout. Every value here comes from a file; nothing is
//! guessed. Parse failures are kept as notes, never fatal.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Facts read from the metadata files of one model directory.
#[derive(Debug, Default, Clone)]
pub struct DirInfo {
    /// YAML front matter of `README.md`, as JSON values.
    pub card: Option<Value>,
    pub config: Option<Value>,
    pub generation_config: Option<Value>,
    pub adapter_config: Option<Value>,
    pub tokenizer_config: Option<Value>,
    /// `name -> pinned version (None when unpinned)` from requirements.txt / pyproject.toml.
    pub requirements: BTreeMap<String, Option<String>>,
    /// Licence files by path.
    pub license_files: Vec<String>,
    /// Repo id and revision when the directory is (in) a Hugging Face hub cache.
    pub hub: Option<HubIdentity>,
    /// Problems met while reading metadata (unparsable YAML, JSON ...).
    pub notes: Vec<String>,
    /// Licence each licence file appears to be (`None`: not recognised), by path.
    pub license_texts: BTreeMap<String, Option<&'static str>>,
    /// Use cases and limitations stated in the model card's body.
    pub use_cases: Vec<String>,
    pub limitations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubIdentity {
    pub kind: String,
    pub repo_id: String,
    /// A 40-hex commit, only when the layout pins one.
    pub revision: Option<String>,
}

fn is_commit(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Finds `models--org--name` (or datasets/spaces) in the path and a pinned revision: the
/// snapshot directory the root is in, or the only snapshot / `refs/main` of a repo folder.
pub fn hub_identity(root: &Path) -> Option<HubIdentity> {
    let real = std::fs::canonicalize(root).ok()?;
    let comps: Vec<String> = real
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let (i, folder) = comps.iter().enumerate().rev().find(|(_, c)| {
        c.starts_with("models--") || c.starts_with("datasets--") || c.starts_with("spaces--")
    })?;
    let mut parts = folder.split("--");
    let kind = parts.next()?.trim_end_matches('s').to_owned();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() || rest.iter().any(|p| p.is_empty()) {
        return None;
    }
    let repo_id = rest.join("/");
    // `i` indexes `comps`, so the split is in range; `after` is what follows the repo folder.
    let (upto, after) = comps.split_at_checked(i.checked_add(1)?)?;
    let repo_dir: std::path::PathBuf = upto.iter().collect();
    let revision = match after.split_first() {
        Some((snapshots, tail)) if snapshots == "snapshots" => {
            tail.first().filter(|r| is_commit(r)).cloned()
        }
        None => {
            let snaps: Vec<String> = std::fs::read_dir(repo_dir.join("snapshots"))
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| is_commit(n))
                .collect();
            let main = std::fs::read_to_string(repo_dir.join("refs/main"))
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| is_commit(s));
            match (snaps.as_slice(), main) {
                ([only], Some(m)) if *only == m => Some(m),
                ([only], None) => Some(only.clone()),
                _ => None,
            }
        }
        _ => None,
    };
    Some(HubIdentity {
        kind,
        repo_id,
        revision,
    })
}

/// The YAML front matter of a model card (`---` ... `---` at the top of README.md).
pub fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return rest.get(..offset); // `offset` ends a line, a character boundary
        }
        offset = offset.saturating_add(line.len()); // at most rest.len()
    }
    None
}

/// Parses one metadata file into `info`, by base name.
pub fn absorb(info: &mut DirInfo, path: &str, bytes: &[u8]) {
    let base = path.rsplit('/').next().unwrap_or(path);
    let lower = base.to_ascii_lowercase();
    if lower.starts_with("license") || lower.starts_with("copying") {
        info.license_files.push(path.to_owned());
        let text = String::from_utf8_lossy(bytes);
        info.license_texts
            .insert(path.to_owned(), recognise_license(&text));
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        info.notes.push(format!("{path}: not UTF-8; ignored"));
        return;
    };
    let json = |info: &mut DirInfo| match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => Some(v),
        Ok(_) => {
            info.notes
                .push(format!("{path}: not a JSON object; ignored"));
            None
        }
        Err(e) => {
            info.notes
                .push(format!("{path}: invalid JSON ({e}); ignored"));
            None
        }
    };
    match base {
        "README.md" => {
            let body = front_matter(text)
                .map(|fm| {
                    let start = text.find(fm).unwrap_or(0).saturating_add(fm.len());
                    text.get(start..)
                        .and_then(|t| t.split_once('\n'))
                        .map(|(_, b)| b)
                        .unwrap_or("")
                })
                .unwrap_or(text);
            let (uses, limits) = card_sections(body);
            info.use_cases = uses;
            info.limitations = limits;
            if let Some(fm) = front_matter(text) {
                match serde_saphyr::from_str::<Value>(fm) {
                    Ok(v) if v.is_object() => info.card = Some(v),
                    Ok(_) => info
                        .notes
                        .push(format!("{path}: front matter is not a mapping; ignored")),
                    Err(e) => info.notes.push(format!(
                        "{path}: front matter is not valid YAML ({e}); ignored"
                    )),
                }
            }
        }
        "config.json" => info.config = json(info),
        "generation_config.json" => info.generation_config = json(info),
        "adapter_config.json" => info.adapter_config = json(info),
        "tokenizer_config.json" => info.tokenizer_config = json(info),
        "requirements.txt" => requirements_txt(info, text),
        "pyproject.toml" => pyproject(info, path, text),
        _ => {}
    }
}

/// Licence texts recognised by their opening words (id as on Hugging Face cards, lowercase,
/// so it compares with a card's `license`).
fn recognise_license(text: &str) -> Option<&'static str> {
    let head: String = text
        .chars()
        .take(4000)
        .collect::<String>()
        .to_ascii_lowercase();
    let has = |s: &str| head.contains(s);
    Some(if has("apache license") && has("version 2.0") {
        "apache-2.0"
    } else if has("mit license") || has("permission is hereby granted, free of charge") {
        "mit"
    } else if has("gnu lesser general public license") {
        "lgpl"
    } else if has("gnu affero general public license") {
        "agpl-3.0"
    } else if has("gnu general public license") && has("version 3") {
        "gpl-3.0"
    } else if has("gnu general public license") && has("version 2") {
        "gpl-2.0"
    } else if has("attribution-noncommercial-sharealike 4.0") {
        "cc-by-nc-sa-4.0"
    } else if has("attribution-noncommercial 4.0") || has("attribution-noncommercial-4.0") {
        "cc-by-nc-4.0"
    } else if has("attribution-sharealike 4.0") {
        "cc-by-sa-4.0"
    } else if has("creative commons attribution 4.0") {
        "cc-by-4.0"
    } else if has("llama 2 community license") {
        "llama2"
    } else if has("llama 3.1 community license") {
        "llama3.1"
    } else if has("llama 3 community license") {
        "llama3"
    } else if has("gemma terms of use") {
        "gemma"
    } else if has("openrail") || has("responsible ai license") {
        "openrail"
    } else if has("redistribution and use in source and binary forms") {
        "bsd"
    } else {
        return None;
    })
}

/// Paragraphs under the card's "Uses" / "Limitations" headings (the Hugging Face model card
/// template's sections), first 1,000 characters of each section.
fn card_sections(body: &str) -> (Vec<String>, Vec<String>) {
    #[derive(PartialEq)]
    enum In {
        None,
        Uses,
        Limits,
    }
    let mut cur = In::None;
    let mut uses = String::new();
    let mut limits = String::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix('#') {
            let h = h.trim_start_matches('#').trim().to_ascii_lowercase();
            cur = if h.contains("limitation") || h.contains("risks") || h.contains("bias") {
                In::Limits
            } else if h == "uses" || h.contains("intended use") || h.contains("direct use") {
                In::Uses
            } else {
                In::None
            };
            continue;
        }
        let target = match cur {
            In::Uses => &mut uses,
            In::Limits => &mut limits,
            In::None => continue,
        };
        let t = line.trim();
        if t.is_empty() || t.starts_with("<!--") || t.starts_with("[More Information Needed]") {
            continue;
        }
        if target.len() < 1000 {
            if !target.is_empty() {
                target.push(' ');
            }
            target.push_str(t);
        }
    }
    let clip = |s: String| -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            vec![s.chars().take(1000).collect()]
        }
    };
    (clip(uses), clip(limits))
}

/// `name==version` pins get a version; anything else is recorded unpinned.
fn requirement(info: &mut DirInfo, spec: &str) {
    let spec = spec.split(';').next().unwrap_or("").trim();
    let spec = spec.split('#').next().unwrap_or("").trim();
    if spec.is_empty() || spec.starts_with('-') || spec.contains("://") {
        return;
    }
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(spec.len());
    // `find` returns a character boundary, so the split succeeds.
    let Some((name, rest)) = spec.split_at_checked(end) else {
        return;
    };
    let name = name.to_ascii_lowercase().replace('_', "-");
    if name.is_empty() {
        return;
    }
    let rest = rest.trim();
    let rest = match rest.strip_prefix('[') {
        Some(r) => r
            .split_once(']')
            .map(|(_, after)| after.trim())
            .unwrap_or(""),
        None => rest,
    };
    let pinned = rest
        .strip_prefix("==")
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains(['*', ',', ' ']))
        .map(str::to_owned);
    info.requirements.insert(name, pinned);
}

fn requirements_txt(info: &mut DirInfo, text: &str) {
    for line in text.lines() {
        requirement(info, line);
    }
}

fn pyproject(info: &mut DirInfo, path: &str, text: &str) {
    match text.parse::<toml::Table>() {
        Ok(t) => {
            let deps = t
                .get("project")
                .and_then(|p| p.get("dependencies"))
                .and_then(|d| d.as_array());
            for d in deps.into_iter().flatten() {
                if let Some(s) = d.as_str() {
                    requirement(info, s);
                }
            }
        }
        Err(e) => info
            .notes
            .push(format!("{path}: invalid TOML ({e}); ignored")),
    }
}

/// A string, or each string of a list, at `key`.
pub fn strings(v: Option<&Value>, key: &str) -> Vec<String> {
    match v.and_then(|v| v.get(key)) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A scalar at `key` as text (strings, numbers, booleans).
pub fn scalar(v: Option<&Value>, key: &str) -> Option<String> {
    match v?.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn reads_front_matter_only_at_the_top() {
        assert_eq!(
            front_matter("---\nlicense: mit\n---\n# T"),
            Some("license: mit\n")
        );
        assert_eq!(front_matter("# T\n---\nlicense: mit\n---\n"), None);
        assert_eq!(front_matter("---\nlicense: mit\n"), None);
    }

    #[test]
    fn parses_card_configs_and_requirements() {
        let mut info = DirInfo::default();
        absorb(
            &mut info,
            "README.md",
            b"---\nlicense: apache-2.0\ndatasets:\n  - org/ds\nbase_model: org/base\n---\n# Model\n",
        );
        absorb(&mut info, "config.json", br#"{"model_type":"llama"}"#);
        absorb(
            &mut info,
            "requirements.txt",
            b"torch==2.3.1\ntransformers>=4.40\n# c\nsafetensors[numpy]==0.4.3 ; python_version>'3'\n",
        );
        absorb(&mut info, "LICENSE", b"MIT");
        let card = info.card.as_ref();
        assert_eq!(scalar(card, "license").as_deref(), Some("apache-2.0"));
        assert_eq!(strings(card, "datasets"), vec!["org/ds"]);
        assert_eq!(strings(card, "base_model"), vec!["org/base"]);
        assert_eq!(
            scalar(info.config.as_ref(), "model_type").as_deref(),
            Some("llama")
        );
        assert_eq!(info.requirements["torch"].as_deref(), Some("2.3.1"));
        assert_eq!(info.requirements["transformers"], None);
        assert_eq!(info.requirements["safetensors"].as_deref(), Some("0.4.3"));
        assert_eq!(info.license_files, vec!["LICENSE"]);
    }

    #[test]
    fn reads_use_and_limitation_sections_and_recognises_licence_texts() {
        let mut info = DirInfo::default();
        absorb(
            &mut info,
            "README.md",
            b"---\nlicense: mit\n---\n# M\n## Uses\nChat about cats.\n\n## Bias, Risks, and Limitations\nMakes things up.\n## Training\nNo.\n",
        );
        assert_eq!(info.use_cases, vec!["Chat about cats."]);
        assert_eq!(info.limitations, vec!["Makes things up."]);
        absorb(&mut info, "LICENSE", b"                                 Apache License\n                           Version 2.0, January 2004");
        assert_eq!(info.license_texts["LICENSE"], Some("apache-2.0"));
        absorb(&mut info, "LICENSE.txt", b"all rights reserved");
        assert_eq!(info.license_texts["LICENSE.txt"], None);
    }

    #[test]
    fn bad_metadata_becomes_notes_not_errors() {
        let mut info = DirInfo::default();
        absorb(&mut info, "README.md", b"---\n: : [\n---\n");
        absorb(&mut info, "config.json", b"{nope");
        absorb(&mut info, "pyproject.toml", b"[project\n");
        assert_eq!(info.notes.len(), 3, "{:?}", info.notes);
        assert!(info.card.is_none() && info.config.is_none());
    }

    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut bomb = String::from("---\na: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut prev = 'a';
        for c in 'b'..='z' {
            bomb.push_str(&format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = c;
        }
        bomb.push_str("---\n");
        let mut info = DirInfo::default();
        absorb(&mut info, "README.md", bomb.as_bytes());
        assert!(info.card.is_none());
        assert_eq!(info.notes.len(), 1);
    }
}
