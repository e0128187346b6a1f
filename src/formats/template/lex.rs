//! Lexing: `{{ }}` and `{% %}` blocks cut out of the template and tokenised the way Jinja's
//! lexer does (strings with Python escapes decoded, brackets balanced, comments and `raw` bodies
//! skipped).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `{{ ... }}`
    Expr,
    /// `{% ... %}`
    Stmt,
}

#[derive(Debug)]
pub(super) struct Block {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) toks: Vec<Token>,
}

pub(super) const OPS2: [&str; 6] = ["**", "//", "==", "!=", "<=", ">="];
pub(super) const OPS1: [&str; 22] = [
    "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "=", "<", ">",
    "!", ";", "?",
];

/// Splits a template into its blocks; text, comments and `{% raw %}` bodies are dropped.
pub(super) fn blocks(text: &str) -> Vec<Block> {
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
pub(super) fn find_open(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let p = i.saturating_add(b.get(i..)?.iter().position(|&c| c == b'{')?);
        if matches!(b.get(p.saturating_add(1)), Some(b'{' | b'%' | b'#')) {
            return Some(p);
        }
        i = p.saturating_add(1);
    }
}

pub(super) fn find(b: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p.saturating_add(from))
}

/// The end of the `{% endraw %}` block after `from`.
pub(super) fn find_endraw(text: &str, from: usize) -> Option<usize> {
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
pub(super) fn lex_block(text: &str, from: usize, kind: Kind) -> (Vec<Token>, usize) {
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
pub(super) fn lex_string(text: &str, i: usize) -> (String, bool, usize) {
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
pub(super) fn unescape(s: &str) -> (String, bool) {
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
pub(super) fn char_named(name: &str) -> Option<char> {
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
pub(super) fn lex_number(text: &str, i: usize) -> (Tok, usize) {
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
