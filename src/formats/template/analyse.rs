//! Analysis: the names, attributes, filters and built strings within a block's tokens that
//! reach interpreter internals.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::fold::{CVal, Folder};
use super::lex::{Block, Kind, Tok, Token, blocks};
use super::{Hit, MAX_HITS, quote};
use std::collections::HashMap;

/// Dunder names that sandbox escapes walk through; a string containing one is suspicious
/// wherever it is.
pub(super) const DUNDERS: &[&str] = &[
    "__class__",
    "__mro__",
    "__base__",
    "__bases__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__import__",
    "__init__",
    "__dict__",
    "__getattribute__",
    "__getattr__",
    "__getitem__",
    "__code__",
    "__closure__",
    "__func__",
    "__self__",
    "__module__",
    "__loader__",
    "__spec__",
    "__reduce__",
    "__reduce_ex__",
    "__call__",
    "__new__",
    "__qualname__",
    "_TemplateReference__context",
];

/// Attributes that lead to code execution or interpreter internals.
pub(super) const BAD_ATTRS: &[&str] = &[
    "os",
    "sys",
    "system",
    "modules",
    "environ",
    "popen",
    "popen2",
    "subprocess",
    "eval",
    "exec",
    "import",
    "import_module",
    "builtins",
    "globals",
    "getattr",
    "setattr",
    "delattr",
    "mro",
    "subclasses",
    "func_globals",
    "func_code",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "cr_code",
    "ag_frame",
    "tb_frame",
    "tb_next",
    "co_code",
    "im_func",
    "im_class",
    "load_module",
    "check_output",
    "getoutput",
    "spawnv",
    "spawnl",
    "execv",
    "execve",
    "startfile",
    "fork",
];

/// The first [`BAD_ATTRS`], which are also plain words (`ns.system`, `ns.sys` hold loop state):
/// flagged as attributes only when used as objects or called (`x.os.popen`, `x.system('id')`).
pub(super) const WORD_ATTRS: usize = 5;

/// Names no chat template needs except to run code.
pub(super) const BAD_NAMES: &[&str] = &[
    "subprocess",
    "popen",
    "eval",
    "exec",
    "execfile",
    "builtins",
    "importlib",
    "import",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "compile",
    "breakpoint",
    "func_globals",
    "f_globals",
];

/// Modules, flagged when used as objects.
pub(super) const MODULES: &[&str] = &["os", "sys"];
/// Functions, flagged when called.
pub(super) const BAD_CALLS: &[&str] = &["system", "open", "os", "sys"];
/// Framework objects of classic Jinja SSTI payloads (Flask's `request`, `config`, `url_for`,
/// `get_flashed_messages`; Jinja's `self`), flagged when used as objects.
pub(super) const CONTEXT_OBJECTS: &[&str] = &[
    "self",
    "request",
    "config",
    "url_for",
    "get_flashed_messages",
];
/// Jinja globals whose `__init__.__globals__` reach `os`; flagged when used as objects rather
/// than called (`namespace(...)` is how templates keep loop state).
pub(super) const GLOBALS: &[&str] = &["lipsum", "cycler", "joiner", "namespace", "range", "dict"];

pub(super) fn is_dunder(v: &str) -> bool {
    let v = v.trim();
    v.len() > 4
        && v.starts_with("__")
        && v.ends_with("__")
        && v.chars().all(|c| c == '_' || c.is_alphanumeric())
        && v.chars().any(char::is_alphanumeric)
}

pub(super) fn has_dunder(v: &str) -> bool {
    is_dunder(v) || DUNDERS.iter().any(|d| v.contains(d))
}

pub(super) fn is_bad_word(v: &str) -> bool {
    let v = v.trim();
    BAD_ATTRS.contains(&v) || BAD_NAMES.contains(&v)
}

/// Every suspicious construct, grouped by block (blocks without any are left out).
pub(super) fn scan(text: &str) -> Vec<Vec<Hit>> {
    let blocks = blocks(text);
    let mut binds: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for (n, block) in blocks.iter().enumerate() {
        let mut hits = Vec::new();
        analyse(&block.toks, &binds, &mut hits);
        update_binds(text, &blocks, n, &mut binds);
        if !hits.is_empty() {
            out.push(hits);
        }
    }
    out
}

pub(super) fn name_at(t: &[Token], i: usize) -> Option<&str> {
    match t.get(i).map(|t| &t.tok) {
        Some(Tok::Name(n)) => Some(n),
        _ => None,
    }
}

pub(super) fn op_at(t: &[Token], i: usize) -> Option<&'static str> {
    match t.get(i).map(|t| &t.tok) {
        Some(Tok::Op(o)) => Some(o),
        _ => None,
    }
}

/// For each opening bracket, the index of the bracket that closes it (computed once per block,
/// so that looking it up stays linear in the block however brackets nest).
pub(super) fn bracket_pairs(t: &[Token]) -> Vec<Option<usize>> {
    let mut pairs = vec![None; t.len()];
    let mut open = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        match tok.tok {
            Tok::Op("(" | "[" | "{") => open.push(i),
            Tok::Op(")" | "]" | "}") => {
                if let Some(o) = open.pop()
                    && let Some(p) = pairs.get_mut(o)
                {
                    *p = Some(i);
                }
            }
            _ => {}
        }
    }
    pairs
}

pub(super) fn analyse(t: &[Token], binds: &HashMap<String, String>, hits: &mut Vec<Hit>) {
    let mut hit = |at: usize, reason: String| {
        if hits.len() < MAX_HITS {
            hits.push(Hit { at, reason });
        }
    };
    let pairs = bracket_pairs(t);
    let matching = |open: usize| pairs.get(open).copied().flatten();
    let mut attr_filters = 0usize;
    for (i, tok) in t.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| op_at(t, p));
        let next = op_at(t, i.saturating_add(1));
        match &tok.tok {
            Tok::Name(n) if prev == Some(".") => {
                let bad = match BAD_ATTRS.iter().position(|a| a == n) {
                    Some(k) if k < WORD_ATTRS => matches!(next, Some("." | "[" | "|" | "(")),
                    Some(_) => true,
                    None => n.starts_with('_'),
                };
                if bad {
                    hit(tok.at, format!("accesses the attribute `{}`", quote(n)));
                }
            }
            Tok::Name(n)
                if n == "attr"
                    && (prev == Some("|")
                        || i.checked_sub(1).and_then(|p| name_at(t, p)) == Some("filter")) =>
            {
                attr_filters = attr_filters.saturating_add(1);
                let close = matching(i.saturating_add(1));
                attr_filter(t, i, close, binds, &mut hit);
            }
            // Other filter names.
            Tok::Name(_) if prev == Some("|") => {}
            Tok::Name(n) => {
                let n = n.as_str();
                let as_object = matches!(next, Some("." | "[" | "|"));
                if n.starts_with("__") {
                    hit(tok.at, format!("uses the name `{}`", quote(n)));
                } else if BAD_NAMES.contains(&n) {
                    hit(tok.at, format!("uses `{n}`"));
                } else if MODULES.contains(&n) && as_object {
                    hit(tok.at, format!("uses the `{n}` module"));
                } else if BAD_CALLS.contains(&n) && next == Some("(") {
                    hit(tok.at, format!("calls `{n}(...)`"));
                } else if CONTEXT_OBJECTS.contains(&n) && as_object {
                    hit(tok.at, format!("reaches into the `{n}` object"));
                } else if GLOBALS.contains(&n) && as_object {
                    hit(
                        tok.at,
                        format!(
                            "uses the Jinja global `{n}` as an object (a route to `__globals__`)"
                        ),
                    );
                } else if n == "dict"
                    && next == Some("(")
                    && let Some(close) = matching(i.saturating_add(1))
                    && op_at(t, close.saturating_add(1)) == Some("|")
                    && matches!(
                        name_at(t, close.saturating_add(2)),
                        Some("join" | "first" | "last" | "list" | "string")
                    )
                {
                    hit(
                        tok.at,
                        "builds a string from `dict(...)` keyword names".into(),
                    );
                }
            }
            Tok::Str { value, .. }
                if value == "attr"
                    && prev == Some("(")
                    && i.checked_sub(2).and_then(|p| name_at(t, p)) == Some("map") =>
            {
                hit(tok.at, "applies the `attr` filter through `map`".into());
            }
            Tok::Str {
                value,
                escaped: true,
            } => {
                hit(
                    tok.at,
                    format!("writes `{}` with escape sequences", quote(value)),
                );
            }
            _ => {}
        }
    }
    if attr_filters >= 2 {
        let at = t
            .iter()
            .enumerate()
            .find(|(i, tok)| {
                matches!(&tok.tok, Tok::Name(n) if n == "attr")
                    && i.checked_sub(1).and_then(|p| op_at(t, p)) == Some("|")
            })
            .map_or(0, |(_, tok)| tok.at);
        hit(at, "chains `attr` filters".into());
    }
    fold_all(t, binds, &mut hit);
}

/// `|attr(...)` at `i` (the `attr` name): flags underscore and internal names and names that
/// are not a plain literal.
pub(super) fn attr_filter(
    t: &[Token],
    i: usize,
    close: Option<usize>,
    binds: &HashMap<String, String>,
    hit: &mut impl FnMut(usize, String),
) {
    let at = t.get(i).map_or(0, |t| t.at);
    let open = i.saturating_add(1);
    if op_at(t, open) != Some("(") {
        hit(at, "uses the `attr` filter without a literal name".into());
        return;
    }
    let close = close.unwrap_or(t.len());
    let args = t.get(open.saturating_add(1)..close).unwrap_or(&[]);
    match args {
        [
            Token {
                tok: Tok::Str { value, .. },
                ..
            },
        ] => {
            if value.starts_with('_') || has_dunder(value) || is_bad_word(value) {
                hit(
                    at,
                    format!("uses the `attr` filter with `{}`", quote(value)),
                );
            }
        }
        _ => {
            let folded = Folder::new(args, binds).whole();
            let what = folded.map_or_else(
                || "a computed name".to_owned(),
                |v| format!("the computed name `{}`", quote(&v)),
            );
            hit(at, format!("uses the `attr` filter with {what}"));
        }
    }
}

/// Folds every maximal constant expression in the block and checks what it spells.
pub(super) fn fold_all(
    t: &[Token],
    binds: &HashMap<String, String>,
    hit: &mut impl FnMut(usize, String),
) {
    let mut i = 0usize;
    while i < t.len() {
        let starts = match t.get(i).map(|t| &t.tok) {
            Some(Tok::Str { .. } | Tok::Int(_) | Tok::Op("(" | "[")) => true,
            Some(Tok::Name(n)) => binds.contains_key(n),
            _ => false,
        };
        if !starts {
            i = i.saturating_add(1);
            continue;
        }
        let mut f = Folder::new(t, binds);
        match f.expr(i, 0) {
            Some((CVal::Str(v), end)) if end > i => {
                check_value(t, i, end, &v, f.built, hit);
                i = end;
            }
            Some((CVal::List(items), end)) if end > i => {
                for v in items {
                    check_value(t, i, end, &v, f.built, hit);
                }
                i = end;
            }
            _ => i = i.saturating_add(1),
        }
    }
}

pub(super) fn check_value(
    t: &[Token],
    start: usize,
    end: usize,
    v: &str,
    built: bool,
    hit: &mut impl FnMut(usize, String),
) {
    let at = t.get(start).map_or(0, |t| t.at);
    let subscript = start
        .checked_sub(1)
        .and_then(|p| op_at(t, p))
        .is_some_and(|o| o == "[")
        && op_at(t, end) == Some("]")
        && start.checked_sub(2).is_some_and(|p| {
            matches!(
                t.get(p).map(|t| &t.tok),
                Some(Tok::Name(_) | Tok::Str { .. } | Tok::Op(")" | "]"))
            )
        });
    let verb = if built { "builds" } else { "contains" };
    if has_dunder(v) {
        hit(at, format!("{verb} the string `{}`", quote(v)));
    } else if is_bad_word(v) && (built || subscript) {
        let what = if subscript {
            "looks up"
        } else {
            "builds the name"
        };
        hit(at, format!("{what} `{}`", quote(v.trim())));
    } else if subscript && v.starts_with('_') {
        hit(at, format!("looks up `{}`", quote(v)));
    }
}

/// After block `n`: `{% set x = <constant> %}` and `{% set x %}text{% endset %}` bind `x`;
/// any other assignment to `x` unbinds it.
pub(super) fn update_binds(
    text: &str,
    blocks: &[Block],
    n: usize,
    binds: &mut HashMap<String, String>,
) {
    let Some(block) = blocks.get(n) else {
        return;
    };
    if block.kind != Kind::Stmt || name_at(&block.toks, 0) != Some("set") {
        return;
    }
    let Some(var) = name_at(&block.toks, 1) else {
        return;
    };
    let var = var.to_owned();
    match op_at(&block.toks, 2) {
        Some("=") => {
            let rhs = block.toks.get(3..).unwrap_or(&[]);
            match Folder::new(rhs, binds).whole() {
                Some(v) => binds.insert(var, v),
                None => binds.remove(&var),
            };
        }
        None if block.toks.len() == 2 => {
            // Only a body of plain text is a constant, so `endset` is the very next block.
            let body = blocks
                .get(n.saturating_add(1))
                .filter(|b| name_at(&b.toks, 0) == Some("endset"))
                .and_then(|end| text.get(block.end..end.start))
                .filter(|body| !body.contains("{{") && !body.contains("{%"));
            match body {
                Some(b) => binds.insert(var, b.to_owned()),
                None => binds.remove(&var),
            };
        }
        _ => {
            binds.remove(&var);
        }
    }
}
