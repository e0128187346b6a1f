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
    ("release", 4),
    ("bom", 5),
    ("sign", 6),
    ("verify", 7),
    ("ledger", 8),
    ("diff", 8),
    ("report", 8),
    ("commands", 9),
    ("cli", 9),
    // The Python bindings (feature `python`) are an entry point beside main.rs.
    ("python", 10),
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

/// `code` with every item gated by `#[cfg(test)]` cut out, and only that item: the attribute,
/// any attributes after it, and the item up to its `;` or the `}` closing its first block
/// (`mod tests;`, `mod tests { .. }`, `fn f() { .. }`, `use a::b;`). Strings, characters and
/// comments are stepped over so that a brace or `;` inside them does not end the item early.
fn without_test_items(code: &str) -> String {
    const GATE: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = code;
    while let Some(i) = rest.find(GATE) {
        out.push_str(&rest[..i]);
        rest = &rest[i + GATE.len()..];
        rest = &rest[item_len(rest)..];
    }
    out.push_str(rest);
    out
}

/// Whether an `r` after `before` can open a raw string (`r"`, `br#"`), not end a name (`for"`).
fn raw_string_may_start(before: &str) -> bool {
    let before = before.strip_suffix('b').unwrap_or(before);
    !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
}

/// Bytes from the start of `s` to the end of the first item in it (after any attributes).
fn item_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut k = 0;
    while k < b.len() {
        match b[k] {
            b'/' if b.get(k + 1) == Some(&b'/') => {
                k = s[k..].find('\n').map_or(b.len(), |n| k + n);
                continue;
            }
            b'/' if b.get(k + 1) == Some(&b'*') => {
                k = s[k + 2..].find("*/").map_or(b.len(), |n| k + 2 + n + 2);
                continue;
            }
            b'"' => {
                k += 1;
                while k < b.len() && b[k] != b'"' {
                    k += if b[k] == b'\\' { 2 } else { 1 };
                }
            }
            b'r' if raw_string_may_start(&s[..k]) && matches!(b.get(k + 1), Some(b'#' | b'"')) => {
                let hashes = s[k + 1..].bytes().take_while(|c| *c == b'#').count();
                if b.get(k + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let body = k + 2 + hashes;
                    k = s[body..]
                        .find(&close)
                        .map_or(b.len(), |n| body + n + close.len());
                    continue;
                }
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
                if b.get(k + 1) == Some(&b'\\') {
                    k = s[k + 3..].find('\'').map_or(b.len(), |n| k + 3 + n);
                } else if let Some(c) = s[k + 1..].chars().next()
                    && s[k + 1 + c.len_utf8()..].starts_with('\'')
                {
                    k += c.len_utf8() + 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            b';' if depth == 0 => return k + 1,
            _ => {}
        }
        k += 1;
    }
    b.len()
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
        let code = without_test_items(&text);
        for r in crate_refs(&code) {
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
fn only_the_gated_item_is_skipped() {
    let code = "use crate::a;\n#[cfg(test)]\nmod tests;\nuse crate::b;\n\
        #[cfg(test)]\n#[allow(x)]\nmod t { fn f() { let s = \"}\"; let c = '}'; } // }\n}\n\
        use crate::c;\n#[cfg(test)]\npub fn g<'a>(x: &'a [u8; 2]) -> &'a str { r#\"}\"# }\n\
        use crate::d;";
    assert_eq!(crate_refs(&without_test_items(code)), ["a", "b", "c", "d"]);
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
