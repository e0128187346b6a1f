//! Constant folding: the strings an expression builds from literals (`~`, `+`, `*`, filters,
//! `.format()`, slices, variables set to constants), bounded in length, depth and steps.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::analyse::{name_at, op_at};
use super::lex::{Tok, Token};
use super::{MAX_FOLD_DEPTH, MAX_FOLD_LEN, MAX_FOLD_STEPS};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum CVal {
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
pub(super) struct Folder<'a> {
    pub(super) t: &'a [Token],
    pub(super) binds: &'a HashMap<String, String>,
    pub(super) steps: usize,
    /// Whether any operation was applied (as opposed to a single literal).
    pub(super) built: bool,
}

pub(super) fn short(s: String) -> Option<String> {
    (s.len() <= MAX_FOLD_LEN).then_some(s)
}

impl<'a> Folder<'a> {
    pub(super) fn new(t: &'a [Token], binds: &'a HashMap<String, String>) -> Self {
        Folder {
            t,
            binds,
            steps: 0,
            built: false,
        }
    }

    /// The value of the whole slice, if it is one constant string expression.
    pub(super) fn whole(&mut self) -> Option<String> {
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
    pub(super) fn expr(&mut self, i: usize, depth: u32) -> Option<(CVal, usize)> {
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
pub(super) fn apply(name: &str, v: &CVal, args: &[CVal]) -> Option<CVal> {
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
pub(super) fn percent_format(f: &str, args: &[CVal]) -> Option<String> {
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
pub(super) fn brace_format(f: &str, args: &[CVal]) -> Option<String> {
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
