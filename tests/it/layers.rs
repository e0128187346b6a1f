//! The modules form layers that only point down: a stage may use the stages before it in the
//! pipeline, never those after it. This reads every `crate::` path in `src/` (test modules
//! excluded) and fails on an edge that points up, so the layering cannot rot silently.

use crate::support::repo;
use std::path::Path;

/// Top-level modules, lowest layer first. A module may use its own layer and the ones below.
const LAYERS: &[(&str, u32)] = &[
    ("finding", 0),
    ("limits", 0),
    ("digest", 0),
    ("source", 0),
    ("date", 0),
    ("policy", 0),
    ("units", 0),
    ("config", 1),
    ("discover", 1),
    ("detect", 2),
    ("formats", 3),
    ("scan", 4),
    ("bom", 5),
    ("sign", 6),
    ("verify", 7),
    ("diff", 8),
    ("report", 8),
    ("commands", 9),
    ("cli", 9),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The first path segments named after `crate::` in `code` (`crate::a::b` and
/// `crate::{a, b::c}` give `a` and `a`, `b`).
fn crate_refs(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        out.push(ident(&group[k..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

#[test]
fn no_module_uses_a_module_of_a_higher_layer() {
    let src = repo().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let own = layer(&top).unwrap_or_else(|| panic!("src/{top}: add it to LAYERS"));
        let text = std::fs::read_to_string(f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for r in crate_refs(code) {
            if let Some(l) = layer(&r)
                && l > own
            {
                upward.push(format!(
                    "{} (layer {own}) uses crate::{r} (layer {l})",
                    rel.display()
                ));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "edges that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn crate_paths_are_read_from_groups_too() {
    assert_eq!(
        crate_refs(
            "use crate::{detect::{self, Format}, finding::Code};\nlet x = crate::scan::f();"
        ),
        ["detect", "finding", "scan"]
    );
}
