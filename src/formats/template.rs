//! Chat templates: static detection of Jinja2 template injection (server-side template
//! injection and sandbox escapes) in the templates that tokenizers ship.
//!
//! Loaders render a model's chat template with Jinja2 on every request. A template that walks
//! from a Python object to its class and on to `__subclasses__()` or `__globals__` reaches `os`
//! and runs commands; llama-cpp-python rendered GGUF templates without the sandbox
//! (CVE-2024-34359, payload `{{ ''.__class__.__mro__[1].__subclasses__() }}`), and published
//! sandbox escapes show that even sandboxed renderers are a target.
//!
//! The check works on a tokenised view, not on raw substrings: `{{ }}` and `{% %}` blocks are
//! lexed the way Jinja's lexer does (string literals with Python escapes decoded, brackets
//! balanced before a block may end, `{# #}` comments and `{% raw %}` bodies skipped), so text
//! that is only printed never matches. Within blocks it looks for:
//! - attribute access to names starting with `_` and to interpreter internals (`.popen`,
//!   `.f_globals`, ...), and names starting with `__` anywhere;
//! - names that exist only to run code (`eval`, `exec`, `__import__`, `subprocess`, `import`),
//!   the `os`/`sys` modules, Flask's `request`/`config` and Jinja's `self`, and the globals
//!   `lipsum`/`cycler`/`joiner`/`namespace` used as objects (their `__globals__` lead to `os`);
//! - the `attr` filter (also as `{% filter attr(...) %}` and `map('attr', ...)`) with an
//!   underscore or internal name, a computed name, or in chains;
//! - strings that are, or are built into, dunder or internal names: constant expressions are
//!   folded (adjacent literals, `~`, `+`, `*`, `|reverse`, `|join`, `|replace`, `|format`,
//!   `.format()`, `[::-1]`, variables set to constants), so `'__cla' ~ 'ss__'`, `'_'*2`,
//!   `'ssalc__'|reverse` and `'%c'|format(95)` are seen for what they build;
//! - identifier characters written as escapes (`'\x5f\x5f'`), and strings built from
//!   `dict(...)` keyword names.
//!
//! Benign templates of real models (Llama 3, Mistral, Qwen2, ChatML, Gemma, Phi-3, Zephyr)
//! use `messages`, `loop`, `namespace(...)`, `raise_exception`, `.strip()`, `|trim` and
//! `|tojson`, none of which match; the tests keep copies of them.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use std::collections::HashMap;

/// Longest snippet put in the evidence.
const SNIPPET: usize = 120;
/// Longest value quoted in a message.
const QUOTE: usize = 60;
/// Bounds on constant folding: result length, nesting and tokens looked at per expression.
const MAX_FOLD_LEN: usize = 4096;
const MAX_FOLD_DEPTH: u32 = 8;
const MAX_FOLD_STEPS: usize = 256;
/// Constructs kept per block (one finding per block names the first three).
const MAX_HITS: usize = 64;

/// Checks a Jinja chat template for injection; `origin` names where it came from
/// (`tokenizer.chat_template`, `tokenizer_config.json: chat_template`, ...). `offset` is where
/// the template text starts in the file, if it is stored there verbatim.
pub fn check_template(template: &str, origin: &str, offset: Option<u64>, ctx: &mut Ctx) {
    let max = ctx.limits.max_template;
    let text = if template.len() > max {
        ctx.report_with(
            Code::ChatTemplateInjection,
            Severity::Medium,
            offset,
            format!(
                "{origin}: the chat template is {} bytes; only the first {max} were checked for \
                 template injection",
                template.len()
            ),
            Evidence::mismatch(format!("<= {max}"), template.len().to_string()),
        );
        prefix(template, max)
    } else {
        template
    };
    for block in scan(text) {
        let Some(first) = block.first() else {
            continue;
        };
        let mut reasons: Vec<&str> = Vec::new();
        for h in &block {
            if !reasons.contains(&h.reason.as_str()) {
                reasons.push(&h.reason);
            }
        }
        let more = reasons.len().saturating_sub(3);
        let mut said = reasons
            .iter()
            .take(3)
            .copied()
            .collect::<Vec<_>>()
            .join("; ");
        if more > 0 {
            said.push_str(&format!(" (and {more} more)"));
        }
        ctx.report_with(
            Code::ChatTemplateInjection,
            Code::ChatTemplateInjection.default_severity(),
            offset.map(|o| o.saturating_add(first.at as u64)),
            format!(
                "{origin}: the chat template {said}: Jinja template injection, which runs code \
                 when the template is rendered (CVE-2024-34359 class)"
            ),
            Evidence {
                actual: Some(snippet(text, first.at)),
                ..Evidence::default()
            },
        );
    }
}

/// Up to `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut cut = max.min(s.len());
    while !s.is_char_boundary(cut) {
        cut = cut.saturating_sub(1);
    }
    s.get(..cut).unwrap_or("")
}

/// [`SNIPPET`] characters of `text` around byte `at` (a little context before it).
fn snippet(text: &str, at: usize) -> String {
    let mut start = at.saturating_sub(40);
    while !text.is_char_boundary(start) {
        start = start.saturating_sub(1);
    }
    let rest = text.get(start..).unwrap_or("");
    let mut s: String = rest.chars().take(SNIPPET).collect();
    if rest.chars().nth(SNIPPET).is_some() {
        s.pop();
        s.push('…');
    }
    s
}

fn quote(v: &str) -> String {
    let mut s: String = v.chars().take(QUOTE).collect();
    if v.chars().nth(QUOTE).is_some() {
        s.push('…');
    }
    s.escape_debug().to_string()
}

/// One suspicious construct: where it is in the template and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hit {
    at: usize,
    reason: String,
}

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    /// A string literal, escapes decoded; `escaped` when an escape wrote an ASCII letter, digit,
    /// `_` or `.` (nobody writes `\x5f` for `_` except to hide it).
    Str {
        value: String,
        escaped: bool,
    },
    Int(i64),
    Float,
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `{{ ... }}`
    Expr,
    /// `{% ... %}`
    Stmt,
}

#[derive(Debug)]
struct Block {
    kind: Kind,
    start: usize,
    end: usize,
    toks: Vec<Token>,
}

const OPS2: [&str; 6] = ["**", "//", "==", "!=", "<=", ">="];
const OPS1: [&str; 22] = [
    "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "=", "<", ">",
    "!", ";", "?",
];

/// Splits a template into its blocks; text, comments and `{% raw %}` bodies are dropped.
fn blocks(text: &str) -> Vec<Block> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(p) = find_open(b, i) {
        let kind = match b.get(p.saturating_add(1)) {
            Some(b'#') => {
                i = find(b, b"#}", p.saturating_add(2)).map_or(b.len(), |e| e.saturating_add(2));
                continue;
            }
            Some(b'{') => Kind::Expr,
            _ => Kind::Stmt,
        };
        let (toks, end) = lex_block(text, p.saturating_add(2), kind);
        i = end;
        if kind == Kind::Stmt
            && matches!(toks.first(), Some(Token { tok: Tok::Name(n), .. }) if n == "raw")
        {
            i = find_endraw(text, end).unwrap_or(b.len());
            continue;
        }
        out.push(Block {
            kind,
            start: p,
            end,
            toks,
        });
    }
    out
}

/// The next `{{`, `{%` or `{#` at or after `from`.
fn find_open(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let p = i.saturating_add(b.get(i..)?.iter().position(|&c| c == b'{')?);
        if matches!(b.get(p.saturating_add(1)), Some(b'{' | b'%' | b'#')) {
            return Some(p);
        }
        i = p.saturating_add(1);
    }
}

fn find(b: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p.saturating_add(from))
}

/// The end of the `{% endraw %}` block after `from`.
fn find_endraw(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    while let Some(p) = find(b, b"{%", i) {
        let (toks, end) = lex_block(text, p.saturating_add(2), Kind::Stmt);
        if matches!(toks.first(), Some(Token { tok: Tok::Name(n), .. }) if n == "endraw") {
            return Some(end);
        }
        i = p.saturating_add(2);
    }
    None
}

/// Lexes one block from just after its opening delimiter; returns its tokens and the offset
/// after its closing delimiter (the end of the text if it has none). As in Jinja's lexer, the
/// block ends only where no bracket is open.
fn lex_block(text: &str, from: usize, kind: Kind) -> (Vec<Token>, usize) {
    let b = text.as_bytes();
    let close: &[u8] = match kind {
        Kind::Expr => b"}}",
        Kind::Stmt => b"%}",
    };
    let mut toks = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut i = from;
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i = i.saturating_add(1);
    }
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i = i.saturating_add(1);
        }
        let Some(&c) = b.get(i) else {
            return (toks, b.len());
        };
        let rest = b.get(i..).unwrap_or(&[]);
        if stack.is_empty() {
            if rest.starts_with(close) {
                return (toks, i.saturating_add(2));
            }
            if matches!(c, b'-' | b'+') && rest.get(1..).is_some_and(|r| r.starts_with(close)) {
                return (toks, i.saturating_add(3));
            }
        }
        let at = i;
        if c == b'\'' || c == b'"' {
            let (value, escaped, next) = lex_string(text, i);
            toks.push(Token {
                tok: Tok::Str { value, escaped },
                at,
            });
            i = next;
        } else if c.is_ascii_digit() {
            let (tok, next) = lex_number(text, i);
            toks.push(Token { tok, at });
            i = next;
        } else if let Some(ch) = text.get(i..).and_then(|r| r.chars().next())
            && (ch == '_' || ch.is_alphabetic())
        {
            let len: usize = text
                .get(i..)
                .unwrap_or("")
                .chars()
                .take_while(|&ch| ch == '_' || ch.is_alphanumeric())
                .map(char::len_utf8)
                .sum();
            let end = i.saturating_add(len);
            toks.push(Token {
                tok: Tok::Name(text.get(i..end).unwrap_or("").to_owned()),
                at,
            });
            i = end;
        } else if let Some(op) = OPS2
            .iter()
            .chain(OPS1.iter())
            .find(|op| rest.starts_with(op.as_bytes()))
        {
            match *op {
                "(" | "[" | "{" => stack.push(c),
                ")" | "]" | "}" => {
                    let open = match c {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if stack.last() == Some(&open) {
                        stack.pop();
                    }
                }
                _ => {}
            }
            toks.push(Token {
                tok: Tok::Op(op),
                at,
            });
            i = i.saturating_add(op.len());
        } else {
            // A character Jinja would reject; skip it whole.
            let n = text
                .get(i..)
                .and_then(|r| r.chars().next())
                .map_or(1, char::len_utf8);
            i = i.saturating_add(n);
        }
    }
}

/// A string literal at `i` (its quote): decoded value, whether escapes wrote identifier
/// characters, and the offset after it. An unterminated literal runs to the end of the text
/// (Jinja refuses such a template).
fn lex_string(text: &str, i: usize) -> (String, bool, usize) {
    let b = text.as_bytes();
    let q = b.get(i).copied().unwrap_or(b'\'');
    let mut j = i.saturating_add(1);
    let mut close = None;
    while let Some(&c) = b.get(j) {
        if c == b'\\' {
            j = j.saturating_add(2);
        } else if c == q {
            close = Some(j);
            break;
        } else {
            j = j.saturating_add(1);
        }
    }
    let inner_end = close.unwrap_or(b.len());
    let inner = text.get(i.saturating_add(1)..inner_end).unwrap_or("");
    let (value, escaped) = unescape(inner);
    (
        value,
        escaped,
        close.map_or(b.len(), |c| c.saturating_add(1)),
    )
}

/// Python's `unicode_escape` decoding, which Jinja applies to string literals.
fn unescape(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let coded = match it.next() {
            None => {
                out.push('\\');
                None
            }
            Some('\n') => None,
            Some(e @ ('\\' | '\'' | '"')) => {
                out.push(e);
                None
            }
            Some('a') => Some('\u{7}'),
            Some('b') => Some('\u{8}'),
            Some('f') => Some('\u{c}'),
            Some('n') => Some('\n'),
            Some('r') => Some('\r'),
            Some('t') => Some('\t'),
            Some('v') => Some('\u{b}'),
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v.saturating_mul(8).saturating_add(x);
                            it.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(v)
            }
            Some(k @ ('x' | 'u' | 'U')) => {
                let n = match k {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut digits = String::new();
                while digits.len() < n {
                    match it.peek() {
                        Some(c) if c.is_ascii_hexdigit() => {
                            digits.push(*c);
                            it.next();
                        }
                        _ => break,
                    }
                }
                let v = (digits.len() == n)
                    .then(|| u32::from_str_radix(&digits, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                if v.is_none() {
                    // Python refuses the literal; keep the text.
                    out.push('\\');
                    out.push(k);
                    out.push_str(&digits);
                }
                v
            }
            Some('N') if it.peek() == Some(&'{') => {
                it.next();
                let name: String = it.by_ref().take_while(|&c| c != '}').collect();
                // Any named escape in a chat template is suspicious; decode the ones that
                // spell identifiers.
                escaped = true;
                Some(char_named(&name).unwrap_or('\u{fffd}'))
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
                None
            }
        };
        if let Some(ch) = coded {
            if ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' {
                escaped = true;
            }
            out.push(ch);
        }
    }
    (out, escaped)
}

/// The Unicode names `\N{...}` needs to spell identifiers.
fn char_named(name: &str) -> Option<char> {
    let name = name.trim().to_ascii_uppercase();
    match name.as_str() {
        "LOW LINE" => return Some('_'),
        "FULL STOP" => return Some('.'),
        _ => {}
    }
    let one = |rest: &str| -> Option<char> {
        let mut cs = rest.chars();
        let c = cs.next()?;
        cs.next().is_none().then_some(c)
    };
    if let Some(r) = name.strip_prefix("LATIN SMALL LETTER ") {
        return one(r).map(|c| c.to_ascii_lowercase());
    }
    if let Some(r) = name.strip_prefix("LATIN CAPITAL LETTER ") {
        return one(r);
    }
    let digits = [
        "ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE",
    ];
    let d = name.strip_prefix("DIGIT ")?;
    let n = digits.iter().position(|x| *x == d)?;
    char::from_digit(n as u32, 10)
}

/// An integer or float literal at `i` (Jinja: `0x`, `0o`, `0b`, `_` separators, exponents).
fn lex_number(text: &str, i: usize) -> (Tok, usize) {
    let b = text.as_bytes();
    let mut j = i;
    let mut float = false;
    while let Some(&c) = b.get(j) {
        let next_digit = b.get(j.saturating_add(1)).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_alphanumeric() || c == b'_' || (c == b'.' && next_digit) {
            float |= c == b'.';
            j = j.saturating_add(1);
        } else {
            break;
        }
    }
    let s: String = text
        .get(i..j)
        .unwrap_or("")
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let int = if let Some(h) = s.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = s.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bi) = s.strip_prefix("0b") {
        i64::from_str_radix(bi, 2).ok()
    } else if float {
        None
    } else {
        s.parse().ok()
    };
    (int.map_or(Tok::Float, Tok::Int), j)
}

// ---------------------------------------------------------------------------------------------
// Analysis

/// Dunder names that sandbox escapes walk through; a string containing one is suspicious
/// wherever it is.
const DUNDERS: &[&str] = &[
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
const BAD_ATTRS: &[&str] = &[
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
const WORD_ATTRS: usize = 5;

/// Names no chat template needs except to run code.
const BAD_NAMES: &[&str] = &[
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
const MODULES: &[&str] = &["os", "sys"];
/// Functions, flagged when called.
const BAD_CALLS: &[&str] = &["system", "open", "os", "sys"];
/// Framework objects of classic Jinja SSTI payloads (Flask's `request`, `config`, `url_for`,
/// `get_flashed_messages`; Jinja's `self`), flagged when used as objects.
const CONTEXT_OBJECTS: &[&str] = &[
    "self",
    "request",
    "config",
    "url_for",
    "get_flashed_messages",
];
/// Jinja globals whose `__init__.__globals__` reach `os`; flagged when used as objects rather
/// than called (`namespace(...)` is how templates keep loop state).
const GLOBALS: &[&str] = &["lipsum", "cycler", "joiner", "namespace", "range", "dict"];

fn is_dunder(v: &str) -> bool {
    let v = v.trim();
    v.len() > 4
        && v.starts_with("__")
        && v.ends_with("__")
        && v.chars().all(|c| c == '_' || c.is_alphanumeric())
        && v.chars().any(char::is_alphanumeric)
}

fn has_dunder(v: &str) -> bool {
    is_dunder(v) || DUNDERS.iter().any(|d| v.contains(d))
}

fn is_bad_word(v: &str) -> bool {
    let v = v.trim();
    BAD_ATTRS.contains(&v) || BAD_NAMES.contains(&v)
}

/// Every suspicious construct, grouped by block (blocks without any are left out).
fn scan(text: &str) -> Vec<Vec<Hit>> {
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

fn name_at(t: &[Token], i: usize) -> Option<&str> {
    match t.get(i).map(|t| &t.tok) {
        Some(Tok::Name(n)) => Some(n),
        _ => None,
    }
}

fn op_at(t: &[Token], i: usize) -> Option<&'static str> {
    match t.get(i).map(|t| &t.tok) {
        Some(Tok::Op(o)) => Some(o),
        _ => None,
    }
}

/// For each opening bracket, the index of the bracket that closes it (computed once per block,
/// so that looking it up stays linear in the block however brackets nest).
fn bracket_pairs(t: &[Token]) -> Vec<Option<usize>> {
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

fn analyse(t: &[Token], binds: &HashMap<String, String>, hits: &mut Vec<Hit>) {
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
fn attr_filter(
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
fn fold_all(t: &[Token], binds: &HashMap<String, String>, hit: &mut impl FnMut(usize, String)) {
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

fn check_value(
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
fn update_binds(text: &str, blocks: &[Block], n: usize, binds: &mut HashMap<String, String>) {
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

// ---------------------------------------------------------------------------------------------
// Constant folding

#[derive(Debug, Clone, PartialEq)]
enum CVal {
    Str(String),
    List(Vec<String>),
    Int(i64),
}

impl CVal {
    fn text(&self) -> Option<String> {
        match self {
            CVal::Str(s) => Some(s.clone()),
            CVal::Int(n) => Some(n.to_string()),
            CVal::List(_) => None,
        }
    }
}

/// Evaluates constant string expressions over a token slice. Every method returns the value
/// and the index after it, or `None` where the expression stops being constant.
struct Folder<'a> {
    t: &'a [Token],
    binds: &'a HashMap<String, String>,
    steps: usize,
    /// Whether any operation was applied (as opposed to a single literal).
    built: bool,
}

fn short(s: String) -> Option<String> {
    (s.len() <= MAX_FOLD_LEN).then_some(s)
}

impl<'a> Folder<'a> {
    fn new(t: &'a [Token], binds: &'a HashMap<String, String>) -> Self {
        Folder {
            t,
            binds,
            steps: 0,
            built: false,
        }
    }

    /// The value of the whole slice, if it is one constant string expression.
    fn whole(&mut self) -> Option<String> {
        let (v, end) = self.expr(0, 0)?;
        (end == self.t.len()).then(|| v.text()).flatten()
    }

    fn tick(&mut self) -> Option<()> {
        self.steps = self.steps.saturating_add(1);
        (self.steps <= MAX_FOLD_STEPS).then_some(())
    }

    fn op(&self, i: usize) -> Option<&'static str> {
        op_at(self.t, i)
    }

    /// `term (('~' | '+') term)*`
    fn expr(&mut self, i: usize, depth: u32) -> Option<(CVal, usize)> {
        self.tick()?;
        if depth > MAX_FOLD_DEPTH {
            return None;
        }
        let (mut v, mut i) = self.term(i, depth)?;
        while let Some(op @ ("~" | "+")) = self.op(i) {
            let Some((w, j)) = self.term(i.saturating_add(1), depth) else {
                break;
            };
            let joined = match (op, &v, &w) {
                ("+", CVal::Int(a), CVal::Int(b)) => a.checked_add(*b).map(CVal::Int),
                ("+", CVal::List(a), CVal::List(b)) => {
                    Some(CVal::List(a.iter().chain(b).cloned().collect()))
                }
                ("+", CVal::Str(a), CVal::Str(b)) => short(format!("{a}{b}")).map(CVal::Str),
                ("~", a, b) => a
                    .text()
                    .zip(b.text())
                    .and_then(|(a, b)| short(format!("{a}{b}")))
                    .map(CVal::Str),
                _ => None,
            };
            let Some(joined) = joined else {
                break;
            };
            self.built = true;
            v = joined;
            i = j;
        }
        Some((v, i))
    }

    /// `unary ('*' unary)*`: string repetition.
    fn term(&mut self, i: usize, depth: u32) -> Option<(CVal, usize)> {
        let (mut v, mut i) = self.unary(i, depth)?;
        while self.op(i) == Some("*") {
            let Some((w, j)) = self.unary(i.saturating_add(1), depth) else {
                break;
            };
            let product = match (&v, &w) {
                (CVal::Str(s), CVal::Int(n)) | (CVal::Int(n), CVal::Str(s)) => {
                    let n = usize::try_from(*n).unwrap_or(0);
                    (s.len().saturating_mul(n) <= MAX_FOLD_LEN).then(|| CVal::Str(s.repeat(n)))
                }
                (CVal::Int(a), CVal::Int(b)) => a.checked_mul(*b).map(CVal::Int),
                _ => None,
            };
            let Some(product) = product else {
                break;
            };
            self.built = true;
            v = product;
            i = j;
        }
        Some((v, i))
    }

    /// `atom postfix*`
    fn unary(&mut self, i: usize, depth: u32) -> Option<(CVal, usize)> {
        let (mut v, mut i) = self.atom(i, depth)?;
        while let Some((w, j)) = self.postfix(&v, i, depth) {
            self.built = true;
            v = w;
            i = j;
        }
        Some((v, i))
    }

    fn atom(&mut self, i: usize, depth: u32) -> Option<(CVal, usize)> {
        self.tick()?;
        match &self.t.get(i)?.tok {
            Tok::Str { value, .. } => {
                // Adjacent literals are one string, as in Python.
                let mut s = value.clone();
                let mut j = i.saturating_add(1);
                while let Some(Tok::Str { value, .. }) = self.t.get(j).map(|t| &t.tok) {
                    s.push_str(value);
                    self.built = true;
                    j = j.saturating_add(1);
                }
                Some((CVal::Str(short(s)?), j))
            }
            Tok::Int(n) => Some((CVal::Int(*n), i.saturating_add(1))),
            Tok::Name(n) => {
                let v = self.binds.get(n)?;
                Some((CVal::Str(v.clone()), i.saturating_add(1)))
            }
            Tok::Op("(") => {
                let (v, j) = self.expr(i.saturating_add(1), depth.saturating_add(1))?;
                match self.op(j) {
                    Some(")") => Some((v, j.saturating_add(1))),
                    Some(",") => self.list(v, j, ")", depth),
                    _ => None,
                }
            }
            Tok::Op("[") => {
                if self.op(i.saturating_add(1)) == Some("]") {
                    return Some((CVal::List(Vec::new()), i.saturating_add(2)));
                }
                let (v, j) = self.expr(i.saturating_add(1), depth.saturating_add(1))?;
                self.list(v, j, "]", depth)
            }
            _ => None,
        }
    }

    /// The rest of a list or tuple whose first item is `first` and which continues at `j`.
    fn list(
        &mut self,
        first: CVal,
        mut j: usize,
        close: &str,
        depth: u32,
    ) -> Option<(CVal, usize)> {
        let mut items = vec![first.text()?];
        loop {
            match self.op(j) {
                Some(c) if c == close => return Some((CVal::List(items), j.saturating_add(1))),
                Some(",") => {
                    if self.op(j.saturating_add(1)) == Some(close) {
                        return Some((CVal::List(items), j.saturating_add(2)));
                    }
                    let (v, k) = self.expr(j.saturating_add(1), depth.saturating_add(1))?;
                    items.push(v.text()?);
                    j = k;
                }
                _ => return None,
            }
        }
    }

    /// Comma-separated constant arguments between the parentheses opened at `open`; keyword
    /// arguments are not constant here.
    fn args(&mut self, open: usize, depth: u32) -> Option<(Vec<CVal>, usize)> {
        if self.op(open) != Some("(") {
            return None;
        }
        let mut out = Vec::new();
        let mut j = open.saturating_add(1);
        if self.op(j) == Some(")") {
            return Some((out, j.saturating_add(1)));
        }
        loop {
            let (v, k) = self.expr(j, depth.saturating_add(1))?;
            out.push(v);
            match self.op(k) {
                Some(")") => return Some((out, k.saturating_add(1))),
                Some(",") => j = k.saturating_add(1),
                _ => return None,
            }
        }
    }

    /// One filter, method call or subscript applied to `v` at `i`.
    fn postfix(&mut self, v: &CVal, i: usize, depth: u32) -> Option<(CVal, usize)> {
        self.tick()?;
        match self.op(i)? {
            "|" => {
                let name = name_at(self.t, i.saturating_add(1))?;
                let after = i.saturating_add(2);
                let (args, end) = if self.op(after) == Some("(") {
                    self.args(after, depth)?
                } else {
                    (Vec::new(), after)
                };
                Some((apply(name, v, &args)?, end))
            }
            "." => {
                let name = name_at(self.t, i.saturating_add(1))?;
                let (args, end) = self.args(i.saturating_add(2), depth)?;
                let name = match name {
                    "strip" => "trim",
                    "format" => "str.format",
                    n => n,
                };
                if name == "join" {
                    // `sep.join(items)`
                    let sep = v.text()?;
                    let items = match args.first()? {
                        CVal::List(items) => items.clone(),
                        other => other.text()?.chars().map(String::from).collect(),
                    };
                    return Some((CVal::Str(short(items.join(&sep))?), end));
                }
                Some((apply(name, v, &args)?, end))
            }
            "[" => {
                // Only `[::-1]` and `[n]` are folded: the bracket closes within 5 tokens.
                let t = self.t;
                let close = (i.saturating_add(1)..i.saturating_add(6))
                    .find(|&k| op_at(t, k) == Some("]"))?;
                let inner = t.get(i.saturating_add(1)..close)?;
                let s = v.text();
                // `[::-1]`
                if let [
                    Token {
                        tok: Tok::Op(":"), ..
                    },
                    Token {
                        tok: Tok::Op(":"), ..
                    },
                    Token {
                        tok: Tok::Op("-"), ..
                    },
                    Token {
                        tok: Tok::Int(1), ..
                    },
                ] = inner
                {
                    return match v {
                        CVal::List(items) => Some((
                            CVal::List(items.iter().rev().cloned().collect()),
                            close.saturating_add(1),
                        )),
                        _ => Some((
                            CVal::Str(s?.chars().rev().collect()),
                            close.saturating_add(1),
                        )),
                    };
                }
                if let [
                    Token {
                        tok: Tok::Int(n), ..
                    },
                ] = inner
                {
                    let n = usize::try_from(*n).ok()?;
                    let item = match v {
                        CVal::List(items) => items.get(n).cloned(),
                        _ => s?.chars().nth(n).map(String::from),
                    };
                    return Some((CVal::Str(item?), close.saturating_add(1)));
                }
                None
            }
            _ => None,
        }
    }
}

/// Applies the filter or string method `name` to a constant.
fn apply(name: &str, v: &CVal, args: &[CVal]) -> Option<CVal> {
    let text = || v.text();
    let arg = |n: usize| args.get(n).and_then(CVal::text);
    let out = match name {
        "reverse" => match v {
            CVal::List(items) => return Some(CVal::List(items.iter().rev().cloned().collect())),
            _ => text()?.chars().rev().collect(),
        },
        "lower" => text()?.to_lowercase(),
        "upper" => text()?.to_uppercase(),
        "string" => text()?,
        "trim" => text()?.trim().to_owned(),
        "title" | "capitalize" => text()?,
        "join" => {
            let sep = arg(0).unwrap_or_default();
            match v {
                CVal::List(items) => items.join(&sep),
                _ => text()?
                    .chars()
                    .map(String::from)
                    .collect::<Vec<_>>()
                    .join(&sep),
            }
        }
        "first" => match v {
            CVal::List(items) => items.first()?.clone(),
            _ => text()?.chars().next()?.to_string(),
        },
        "last" => match v {
            CVal::List(items) => items.last()?.clone(),
            _ => text()?.chars().last()?.to_string(),
        },
        "list" => {
            return Some(CVal::List(text()?.chars().map(String::from).collect()));
        }
        "replace" => {
            let (from, to) = (arg(0)?, arg(1)?);
            if from.is_empty() {
                return None;
            }
            text()?.replace(&from, &to)
        }
        "format" => percent_format(&text()?, args)?,
        "str.format" => brace_format(&text()?, args)?,
        _ => return None,
    };
    short(out).map(CVal::Str)
}

/// Python's `str % args` for `%s`, `%d`, `%c` and `%%` (Jinja's `format` filter).
fn percent_format(f: &str, args: &[CVal]) -> Option<String> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut it = f.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next()? {
            '%' => out.push('%'),
            's' | 'r' | 'd' | 'i' => out.push_str(&next.next()?.text()?),
            'c' => match next.next()? {
                CVal::Int(n) => out.push(char::from_u32(u32::try_from(*n).ok()?)?),
                CVal::Str(s) if s.chars().count() == 1 => out.push_str(s),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(out)
}

/// Python's `str.format` for `{}`, `{0}` and `{{`/`}}` (fields with attributes or format specs
/// are left alone: the literal already shows any dunder they name).
fn brace_format(f: &str, args: &[CVal]) -> Option<String> {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut it = f.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
                out.push('{');
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
                out.push('}');
            }
            '{' => {
                let field: String = it.by_ref().take_while(|&c| c != '}').collect();
                let index = if field.is_empty() {
                    auto = auto.saturating_add(1);
                    auto.saturating_sub(1)
                } else {
                    field.parse().ok()?
                };
                out.push_str(&args.get(index)?.text()?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn check_with(template: &str, limits: &Limits) -> Vec<Finding> {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &policy, "model.gguf");
        check_template(template, "tokenizer.chat_template", Some(100), &mut ctx);
        ctx.findings
    }

    fn check(template: &str) -> Vec<Finding> {
        check_with(template, &Limits::default())
    }

    fn assert_flagged(template: &str, needle: &str) {
        let f = check(template);
        assert!(
            f.iter().any(|f| f.code == Code::ChatTemplateInjection
                && f.severity == Severity::Critical
                && f.message.contains(needle)),
            "{template}\nwanted {needle:?} in {f:#?}"
        );
    }

    fn assert_clean(template: &str) {
        let f = check(template);
        assert!(f.is_empty(), "{template}\n{f:#?}");
    }

    #[test]
    fn flags_cve_2024_34359_payload_with_origin_offset_and_snippet() {
        let t = "{% for m in messages %}{{ m['content'] }}{% endfor %}\
                 {{ ''.__class__.__mro__[1].__subclasses__() }}";
        let f = check(t);
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.code, Code::ChatTemplateInjection);
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.message.starts_with("tokenizer.chat_template: "),
            "{}",
            f.message
        );
        assert!(f.message.contains("`__class__`"), "{}", f.message);
        let at = t.find(".__class__").unwrap() + 1;
        assert_eq!(f.location.offset, Some(100 + at as u64));
        let actual = f.evidence.actual.as_deref().unwrap();
        assert!(actual.contains("__subclasses__"), "{actual}");
        assert!(actual.chars().count() <= SNIPPET);
    }

    #[test]
    fn truncates_the_snippet_to_120_characters() {
        let t = format!("{{{{ ''.__class__ ~ '{}' }}}}", "x".repeat(500));
        let f = check(&t);
        let actual = f[0].evidence.actual.as_deref().unwrap();
        assert_eq!(actual.chars().count(), SNIPPET);
        assert!(actual.ends_with('…'));
    }

    #[test]
    fn flags_dunder_attributes_and_names() {
        for (t, needle) in [
            ("{{ x.__globals__ }}", "`__globals__`"),
            ("{{ x.__init__.__globals__ }}", "`__init__`"),
            ("{{ __builtins__ }}", "`__builtins__`"),
            ("{{ __import__('os') }}", "`__import__`"),
            ("{{ x.__dict__ }}", "`__dict__`"),
            ("{{ x.__getattribute__('a') }}", "`__getattribute__`"),
            ("{{ f.__code__ }}", "`__code__`"),
            ("{{ x._private }}", "`_private`"),
            ("{{ x.__base__ }}", "`__base__`"),
        ] {
            assert_flagged(t, needle);
        }
    }

    #[test]
    fn flags_code_execution_names() {
        for (t, needle) in [
            ("{{ x.os.popen('id').read() }}", "`os`"),
            ("{{ os.system('id') }}", "the `os` module"),
            ("{{ eval('1') }}", "uses `eval`"),
            ("{{ exec('1') }}", "uses `exec`"),
            ("{% import 'x' as y %}", "uses `import`"),
            ("{{ subprocess }}", "uses `subprocess`"),
            ("{{ system('id') }}", "calls `system(...)`"),
            ("{{ x.system('id') }}", "`system`"),
            ("{{ y.f_globals }}", "`f_globals`"),
            ("{{ x.sys.modules }}", "`sys`"),
            ("{{ x.environ['HOME'] }}", "`environ`"),
        ] {
            assert_flagged(t, needle);
        }
    }

    #[test]
    fn flags_jinja_globals_used_as_objects() {
        for (t, needle) in [
            (
                "{{ lipsum.__globals__['os'].popen('id').read() }}",
                "`lipsum`",
            ),
            (
                "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                "`cycler`",
            ),
            ("{{ joiner.__init__.__globals__ }}", "`joiner`"),
            ("{{ namespace.__init__.__globals__ }}", "`namespace`"),
            ("{{ lipsum|attr('x') }}", "`lipsum`"),
            ("{{ lipsum['x'] }}", "`lipsum`"),
        ] {
            assert_flagged(t, needle);
        }
    }

    #[test]
    fn flags_framework_and_context_objects() {
        assert_flagged("{{ request.application }}", "`request`");
        assert_flagged("{{ config.items() }}", "`config`");
        assert_flagged("{{ self._TemplateReference__context.cycler }}", "`self`");
        assert_flagged("{{ url_for.__globals__ }}", "`url_for`");
    }

    #[test]
    fn flags_attr_filter_with_dunder_internal_or_computed_names() {
        assert_flagged(
            "{{ ''|attr('__class__') }}",
            "`attr` filter with `__class__`",
        );
        assert_flagged("{{ x|attr('popen') }}", "`attr` filter with `popen`");
        assert_flagged("{{ ''|attr(name) }}", "`attr` filter with a computed name");
        assert_flagged(
            "{{ ''|attr('__cla' ~ 'ss__') }}",
            "`attr` filter with the computed name `__class__`",
        );
        assert_flagged("{{ x|attr('a')|attr('b') }}", "chains `attr` filters");
        assert_flagged("{{ x|attr }}", "without a literal name");
        assert_flagged(
            "{% filter attr(n) %}x{% endfilter %}",
            "`attr` filter with a computed name",
        );
        assert_flagged("{{ [x]|map('attr', n)|list }}", "through `map`");
    }

    #[test]
    fn flags_names_built_by_concatenation_and_repetition() {
        for (t, needle) in [
            ("{{ x['__cla' ~ 'ss__'] }}", "builds the string `__class__`"),
            ("{{ x['__cla' + 'ss__'] }}", "builds the string `__class__`"),
            ("{{ x['__cla' 'ss__'] }}", "builds the string `__class__`"),
            (
                "{{ x['_'*2 ~ 'class' ~ '_'*2] }}",
                "builds the string `__class__`",
            ),
            (
                "{{ x[2*'_' ~ 'globals' ~ '__'] }}",
                "builds the string `__globals__`",
            ),
            ("{{ x['po' ~ 'pen'] }}", "builds the name `popen`"),
            ("{{ x[('o' ~ 's')] }}", "builds the name `os`"),
        ] {
            assert_flagged(t, needle);
        }
    }

    #[test]
    fn flags_names_built_by_filters_and_methods() {
        for (t, needle) in [
            ("{{ x['__ssalc__'|reverse] }}", "`__class__`"),
            ("{{ x[('ssalc__'|reverse) ~ '__'] }}", "`__class__`"),
            ("{{ x['__ssalc__'[::-1]] }}", "`__class__`"),
            ("{{ x[['__','class','__']|join] }}", "`__class__`"),
            ("{{ x[('__','class','__')|join('')] }}", "`__class__`"),
            ("{{ x['xxclassxx'|replace('xx','__')] }}", "`__class__`"),
            (
                "{{ x['%c%cclass%c%c'|format(95,95,95,95)] }}",
                "`__class__`",
            ),
            (
                "{{ x['%s%sglobals%s%s'|format('_','_','_','_')] }}",
                "`__globals__`",
            ),
            (
                "{{ x['{}{}class{}{}'.format('_','_','_','_')] }}",
                "`__class__`",
            ),
            ("{{ x[''.join(['__','init','__'])] }}", "`__init__`"),
            ("{{ x['__CLASS__'|lower] }}", "`__class__`"),
            ("{{ x['{0.__class__}'.format(y)] }}", "`{0.__class__}`"),
        ] {
            assert_flagged(t, needle);
        }
    }

    #[test]
    fn flags_escape_encoded_names() {
        assert_flagged("{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}", "escape sequences");
        assert_flagged(
            "{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}",
            "`__class__`",
        );
        assert_flagged("{{ x['\\137\\137class\\137\\137'] }}", "`__class__`");
        assert_flagged(
            "{{ x['\\N{LOW LINE}\\N{LOW LINE}class__'] }}",
            "`__class__`",
        );
        assert_flagged(
            "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
            "`attr` filter with `__class__`",
        );
        assert_flagged("{{ x['\\x70open'] }}", "escape sequences");
    }

    #[test]
    fn follows_variables_set_to_constants_across_blocks() {
        assert_flagged(
            "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ ''[b] }}",
            "builds the string `__class__`",
        );
        assert_flagged(
            "{% set n %}__globals__{% endset %}{{ lipsum[n] }}",
            "`__globals__`",
        );
        assert_flagged("{% set u = '_' %}{{ x[u*2 ~ 'mro' ~ u*2] }}", "`__mro__`");
        // Reassigned to something non-constant: no longer folded.
        assert_clean("{% set a = '__cla' %}{% set a = m %}{{ a ~ 'ss__' }}");
    }

    #[test]
    fn flags_loops_and_sets_over_subclasses() {
        assert_flagged(
            "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}{{ c(['id']) }}{% endif %}{% endfor %}",
            "`__class__`",
        );
        assert_flagged(
            "{% set s = [].__class__.__base__.__subclasses__() %}{{ s }}",
            "`__class__`",
        );
        assert_flagged("{{ dict(__cl=1,ass__=2)|join }}", "`__cl`");
        assert_flagged(
            "{{ x[dict(po=1,pen=2)|join] }}",
            "`dict(...)` keyword names",
        );
    }

    #[test]
    fn reports_one_finding_per_block() {
        let f = check("{{ x.__class__ }} text {{ y.__mro__ }} {{ ok }}");
        assert_eq!(f.len(), 2, "{f:#?}");
    }

    #[test]
    fn ignores_text_comments_and_raw_blocks() {
        assert_clean("Say __class__ and os.popen('id') in plain text {{ m }}");
        assert_clean("{# {{ ''.__class__ }} #}{{ m }}");
        assert_clean("{% raw %}{{ ''.__class__ }}{% endraw %}{{ m }}");
        assert_clean("{{ 'a }} os.popen(1)' ~ m }}");
        assert_clean("{{ 'system' if m['role'] == 'system' else 'user' }}");
        assert_clean("{{ '__________' ~ '\\n' ~ '<__media__>' ~ m }}");
        // `}}` inside a dict literal does not end the block.
        assert_flagged("{{ {'a': {'b': 1}}.__class__ }}", "`__class__`");
    }

    #[test]
    fn namespace_loop_and_messages_alone_are_benign() {
        assert_clean(
            "{%- set ns = namespace(found=false, sys='') -%}{%- for m in messages -%}\
             {%- if m.role == 'system' %}{% set ns.sys = m.content %}{% endif -%}\
             {{ loop.index0 }}{{ m['content']|trim }}{{ m.content.strip() }}{{ m|tojson }}\
             {%- endfor %}{{ range(3)|list }}{{ dict(a=1)|tojson }}{{ ns.sys }}{{ ns.system }}",
        );
    }

    #[test]
    fn long_templates_are_checked_up_to_the_limit_with_a_medium_finding() {
        let limits = Limits {
            max_template: 64,
            ..Limits::default()
        };
        let t = format!("{{{{ m }}}}{}{{{{ ''.__class__ }}}}", " ".repeat(100));
        let f = check_with(&t, &limits);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Medium);
        assert!(
            f[0].message.contains("only the first 64"),
            "{}",
            f[0].message
        );
        let t = format!("{{{{ ''.__class__ }}}}{}", "é".repeat(100));
        let f = check_with(&t, &limits);
        assert_eq!(f.len(), 2, "{f:#?}");
    }

    #[test]
    fn never_panics_on_any_slice_of_a_template() {
        let t = format!("{LLAMA31}{{{{ x['\\x5f'~'é'|reverse][::-1]|attr('%c'|format(95)) }}}}");
        let policy = Policy::new(&[], false).unwrap();
        let limits = Limits::default();
        let chars: Vec<usize> = t.char_indices().map(|(i, _)| i).collect();
        for (n, &a) in chars.iter().enumerate().step_by(13) {
            for &b in chars.iter().skip(n).step_by(97) {
                let mut ctx = Ctx::new(&limits, &policy, "t");
                check_template(&t[a..b], "t", None, &mut ctx);
            }
        }
    }

    #[test]
    fn stays_linear_on_a_megabyte_of_nested_filters() {
        let start = std::time::Instant::now();
        let t = format!("{{{{ {} }}}}", "x|attr(".repeat(100_000));
        assert!(!check(&t).is_empty());
        let t = "{% set x %}".repeat(80_000);
        assert!(check(&t).is_empty());
        let t = format!("{{{{ {}", "['a'][".repeat(100_000));
        let _ = check(&t);
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    #[test]
    fn survives_pathological_input() {
        let deep = format!("{{{{ {}'a'{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(check(&deep).is_empty());
        let big = format!("{{{{ 'a'*{} }}}}", u32::MAX);
        assert!(check(&big).is_empty());
        for t in [
            "{{",
            "{%",
            "{{ '",
            "{{ '\\",
            "{{ '\\x5",
            "{{ \"\\N{",
            "{#",
            "{% raw %}",
        ] {
            let _ = check(t);
        }
    }

    // Realistic copies of the chat templates of published models. None may raise a finding.

    const LLAMA3: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    const LLAMA31: &str = r#"{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{%- if builtin_tools is defined %}
    {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\n\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"#;

    const MISTRAL: &str = "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n";

    const QWEN2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    const QWEN25_TOOLS: &str = r#"{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"#;

    const CHATML: &str = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    const GEMMA: &str = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

    const PHI3: &str = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

    const ZEPHYR: &str = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    /// DeepSeek-R1 style: full-width bars and U+2581 in tokens, `namespace` state, `split`.
    const DEEPSEEK_R1: &str = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}";

    /// Mistral-7B-Instruct-v0.3 style, with tools: `rejectattr`, `tojson`, slicing, `items()`.
    const MISTRAL_TOOLS: &str = r#"{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}
                        {{- ", " }}
                    {%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- else %}
                    {{- "]" }}
                {%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
            {%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}
                {{- ", " }}
            {%- else %}
                {{- "]" + eos_token }}
            {%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
        {%- if message.content is defined and message.content.content is defined %}
            {%- set content = message.content.content %}
        {%- else %}
            {%- set content = message.content %}
        {%- endif %}
        {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
        {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
"#;

    /// Qwen3 style: reversed message scan, `split`/`rstrip`/`lstrip`, `strftime_now`-free.
    const QWEN3: &str = r#"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- elif '</think>' in content %}
            {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\n') %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index and (loop.last or (not loop.last and reasoning_content)) %}
            {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %}"#;

    #[test]
    fn benign_templates_of_real_models_raise_nothing() {
        for (name, t) in [
            ("llama3", LLAMA3),
            ("llama3.1", LLAMA31),
            ("mistral", MISTRAL),
            ("qwen2", QWEN2),
            ("qwen2.5-tools", QWEN25_TOOLS),
            ("chatml", CHATML),
            ("gemma", GEMMA),
            ("phi3", PHI3),
            ("zephyr", ZEPHYR),
            ("deepseek-r1", DEEPSEEK_R1),
            ("mistral-tools", MISTRAL_TOOLS),
            ("qwen3", QWEN3),
        ] {
            let f = check(t);
            assert!(f.is_empty(), "{name}: {f:#?}");
        }
    }

    #[test]
    fn benign_template_with_payload_appended_is_flagged() {
        let t = format!("{LLAMA3}{{{{ cycler.__init__.__globals__.os.popen('id').read() }}}}");
        let f = check(&t);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].location.offset.unwrap() >= 100 + LLAMA3.len() as u64);
    }
}
