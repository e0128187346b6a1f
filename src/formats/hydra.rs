//! Hydra / OmegaConf configs: `_target_` names a callable that `hydra.utils.instantiate` imports
//! and calls.
//!
//! NeMo (`model_config.yaml` inside `.nemo` archives), Lightning-Hydra templates and many research
//! checkpoints describe their objects as `{_target_: package.module.Class, arg: ...}`.
//! `instantiate` resolves the dotted path with `hydra._internal.utils._locate` (import the first
//! component, then attribute by attribute, importing submodules on the way) and calls it with the
//! other keys as arguments; `_partial_: true` returns a `functools.partial` instead of calling,
//! but the import already ran and the partial calls it later
//! (<https://hydra.cc/docs/advanced/instantiate_objects/overview/>). No other key lowers the
//! judgment: `_recursive_: false` hands nested configs to the outer callable, which
//! instantiates them itself as a rule; nested targets in `_args_` are instantiated; `_convert_`
//! only changes container types; and Hydra has no `_call_` key (`_call_: false` is passed to the
//! target as one more keyword argument). `samples/check_hydra_targets.py` checks this with Hydra.
//! So a `_target_` is a pickle `GLOBAL` plus `REDUCE` written in YAML, and is classified with
//! the same [`Policy`](crate::policy::Policy): denylisted or reaching a dunder attribute is
//! critical, on neither list low (high under `--strict`), allowlisted a fact only. A value that
//! cannot be read without composing the config (an interpolation `${...}`, a YAML alias) is
//! high: what it resolves to is imported just the same.
//!
//! The reader is line-oriented and bounded, not a YAML parser: one forward pass over the bytes
//! keeps the line number, whether a comment has started and whether a quoted scalar is open
//! (a quote opens only where a scalar can start, so `don't` opens nothing; every state ends at
//! the line's end). A `_target_` key counts when it starts a key: at the start of a line or
//! after `{`, `,`, `- ` or a quote (JSON). Its value may be plain, single- or double-quoted (YAML
//! and JSON escapes decoded, so `"\x6fs.system"` is `os.system`), tagged (`!!str`), anchored
//! (`&a`), in flow style (`{_target_: os.system}`) or on the next, more indented line (after
//! `_target_:`, `_target_: |` or `_target_: >-`). Quoted keys with escapes
//! (`"\x5ftarget_":`) are decoded and recognised too. Values are read up to [`MAX_VALUE`] bytes.
//! Each key is examined once and every look-ahead is bounded, so the pass is linear.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use crate::policy::Class;
use crate::units::clip;
use serde::Serialize;
use std::collections::HashMap;

/// The key whose value is imported and called.
const KEY: &[u8] = b"_target_";
/// Longest value read (a dotted path is far shorter; longer ones are cut and still classified).
pub const MAX_VALUE: usize = 1024;
/// Longest quoted key decoded when it holds escapes.
const MAX_QUOTED_KEY: usize = 64;

/// The callables a config names, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HydraFacts {
    /// Distinct `_target_` values (at most `max_fact_entries`), first seen first.
    pub targets: Vec<Target>,
}

/// No AIBOM properties yet: what the scan report holds is enough.
impl crate::formats::FormatFacts for HydraFacts {}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub target: String,
    /// The pickle policy's verdict: `allowed`, `denied`, `higher-order`, `dunder`, `unknown`,
    /// or `unreadable` (an interpolation or alias).
    pub class: String,
    pub count: u64,
}

/// A `_target_` value as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A dotted path.
    Path(String),
    /// Resolved only when the config is composed; the reason and the raw text.
    Unreadable(&'static str, String),
}

/// One `_target_` key found: its value, byte offset (of the key) and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub value: Value,
    pub offset: u64,
    pub line: u64,
}

/// Whether a file of this base name is read for `_target_` keys: configs, not prose or code
/// that may quote one (a README showing a Hydra example, a Python file building a dict).
pub fn wanted(base: &str) -> bool {
    let ext = base
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    !matches!(
        ext.as_str(),
        "md" | "markdown" | "rst" | "txt" | "py" | "ipynb" | "html" | "htm" | "jinja" | "j2"
    )
}

/// Reads the `_target_` keys that start in `buf[from..to]` (values may run past `to`, up to the
/// end of `buf`) and hands each to `sink`. `buf` sits at file offset `base`; `line` is the line
/// number of `buf[0]`.
pub fn read_targets(
    buf: &[u8],
    from: usize,
    to: usize,
    base: u64,
    line: u64,
    mut sink: impl FnMut(Hit),
) {
    let to = to.min(buf.len());
    let mut st = State {
        line,
        line_start: 0,
        indent: None,
        comment: false,
        quote: None,
        quote_at: 0,
        before_quote: b'\n',
        last: b'\n',
    };
    let mut i = 0usize;
    while i < to {
        let Some(&b) = buf.get(i) else { break };
        if i >= from && !st.comment {
            // The literal key, bare or just inside the quote that opened before it (JSON).
            let bare = st.quote.is_none() && st.key_may_start(st.last);
            let quoted_key = st.quote.is_some()
                && st.quote_at.checked_add(1) == Some(i)
                && st.key_may_start(st.before_quote);
            if b == b'_' && (bare || quoted_key) && buf.get(i..).is_some_and(|r| r.starts_with(KEY))
            {
                let after = i.saturating_add(KEY.len());
                let key_quote = quoted_key.then(|| buf.get(st.quote_at).copied()).flatten();
                let indent = st.indent(buf);
                if let Some(hit) = value_after_key(buf, after, key_quote, i, st.line, indent) {
                    sink(Hit {
                        offset: base.saturating_add(hit.offset),
                        ..hit
                    });
                }
            } else if bare
                && (b == b'"' || b == b'\'')
                && let Some(after) = escaped_key(buf, i)
            {
                let indent = st.indent(buf);
                if let Some(hit) = value_after_key(buf, after, None, i, st.line, indent) {
                    sink(Hit {
                        offset: base.saturating_add(hit.offset),
                        ..hit
                    });
                }
            }
        }
        st.step(buf, i);
        i = i.saturating_add(1);
    }
}

/// The reader's state at a byte.
struct State {
    line: u64,
    line_start: usize,
    /// The current line's indentation, once computed.
    indent: Option<usize>,
    comment: bool,
    /// The open quote character of a scalar, where it opened and what came before it.
    quote: Option<u8>,
    quote_at: usize,
    before_quote: u8,
    /// The last byte that is not a space or tab (a newline at the start of a line).
    last: u8,
}

impl State {
    /// A key can start after these.
    fn key_may_start(&self, last: u8) -> bool {
        matches!(last, b'\n' | b'{' | b',' | b'-' | b'[' | b'?')
    }

    /// Moves past `buf[i]`.
    fn step(&mut self, buf: &[u8], i: usize) {
        let Some(&b) = buf.get(i) else { return };
        if b == b'\n' {
            self.line = self.line.saturating_add(1);
            self.line_start = i.saturating_add(1);
            self.indent = None;
            self.comment = false;
            self.quote = None;
            self.last = b'\n';
            return;
        }
        if self.comment {
            return;
        }
        match self.quote {
            Some(q) if b == q => {
                let escaped = q == b'"' && prev(buf, i) == Some(b'\\');
                if !escaped {
                    self.quote = None;
                }
            }
            Some(_) => {}
            None => {
                if b == b'#' && (self.last == b'\n' || matches!(prev(buf, i), Some(b' ' | b'\t'))) {
                    self.comment = true;
                } else if (b == b'"' || b == b'\'')
                    && (self.key_may_start(self.last) || self.last == b':')
                {
                    self.quote = Some(b);
                    self.quote_at = i;
                    self.before_quote = self.last;
                }
            }
        }
        // A byte order mark before the first key is no content (PyYAML skips it).
        let bom = self.last == b'\n' && matches!(b, 0xEF | 0xBB | 0xBF);
        if b != b' ' && b != b'\t' && b != b'\r' && !bom {
            self.last = b;
        }
    }

    /// Columns of indentation of the current line (counted once per line).
    fn indent(&mut self, buf: &[u8]) -> usize {
        *self.indent.get_or_insert_with(|| {
            buf.get(self.line_start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| **b == b' ')
                .count()
        })
    }
}

fn prev(buf: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| buf.get(j)).copied()
}

/// A quoted key at `buf[i]` with escapes that decodes to `_target_`: the index after its
/// closing quote. (A key without escapes is found by the literal scan.)
fn escaped_key(buf: &[u8], i: usize) -> Option<usize> {
    let q = *buf.get(i)?;
    let body_start = i.checked_add(1)?;
    let window = buf.get(body_start..)?;
    let window = window
        .get(..window.len().min(MAX_QUOTED_KEY))
        .unwrap_or(window);
    let (text, used) = quoted(window, q)?;
    (window.get(..used)?.contains(&b'\\') && text.as_bytes() == KEY)
        .then(|| body_start.checked_add(used))
        .flatten()
}

/// The value after a key that ends at `after` (before the closing `key_quote` of a quoted key).
fn value_after_key(
    buf: &[u8],
    after: usize,
    key_quote: Option<u8>,
    key_at: usize,
    line: u64,
    indent: usize,
) -> Option<Hit> {
    let mut k = after;
    if let Some(q) = key_quote {
        if buf.get(k) != Some(&q) {
            return None;
        }
        k = k.checked_add(1)?;
    }
    k = skip_blanks(buf, k);
    // An explicit key (`? _target_`) has its `:` at the start of the next line.
    if buf.get(k) == Some(&b'\r') {
        k = k.checked_add(1)?;
    }
    if buf.get(k) == Some(&b'\n') {
        k = k.checked_add(1)?;
        while buf.get(k) == Some(&b' ') {
            k = k.checked_add(1)?;
        }
    }
    if buf.get(k) != Some(&b':') {
        return None;
    }
    k = skip_blanks(buf, k.checked_add(1)?);
    let value = match read_value(buf, k, indent)? {
        Value::Path(p) => {
            let p = p.trim().to_owned();
            if p.contains("${") {
                Value::Unreadable("an interpolation resolved when the config is composed", p)
            } else if p.is_empty() || p.split('.').any(str::is_empty) {
                // Hydra's `_locate` refuses empty parts; an empty value is null.
                return None;
            } else {
                Value::Path(p)
            }
        }
        u => u,
    };
    Some(Hit {
        value,
        offset: key_at as u64,
        line,
    })
}

fn skip_blanks(buf: &[u8], mut k: usize) -> usize {
    while matches!(buf.get(k), Some(b' ' | b'\t')) {
        k = k.saturating_add(1);
    }
    k
}

/// Reads a scalar starting at `buf[k]`; `indent` is the key's line indentation (for a value
/// on the next line). `None` for values that are no callable (a mapping, a list, null).
fn read_value(buf: &[u8], mut k: usize, indent: usize) -> Option<Value> {
    // Tags and anchors before the scalar.
    for _ in 0..2 {
        match buf.get(k) {
            Some(b'!' | b'&') => {
                while buf
                    .get(k)
                    .is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                {
                    k = k.saturating_add(1);
                }
                k = skip_blanks(buf, k);
            }
            _ => break,
        }
    }
    match buf.get(k) {
        None => None,
        Some(b'*') => Some(Value::Unreadable(
            "a YAML alias of a value elsewhere",
            plain(buf, k),
        )),
        Some(b'{' | b'[') => None,
        Some(&q @ (b'"' | b'\'')) => {
            let body = buf.get(k.saturating_add(1)..)?;
            let body = body.get(..body.len().min(MAX_VALUE)).unwrap_or(body);
            quoted(body, q).map(|(s, _)| Value::Path(s))
        }
        // Block scalars and empty values continue on the next, more indented line.
        Some(b'|' | b'>' | b'\n' | b'\r' | b'#') => next_line_value(buf, k, indent),
        Some(_) => Some(Value::Path(plain(buf, k))),
    }
}

/// A plain scalar: up to the end of the line, a comment, or a flow indicator.
fn plain(buf: &[u8], k: usize) -> String {
    let rest = buf.get(k..).unwrap_or_default();
    let rest = rest.get(..rest.len().min(MAX_VALUE)).unwrap_or(rest);
    let mut end = 0usize;
    // Braces of an interpolation (`${a.b}`, `${oc.env:X,y}`) belong to the scalar.
    let mut depth = 0usize;
    for (j, b) in rest.iter().enumerate() {
        let before = j.checked_sub(1).and_then(|i| rest.get(i));
        let comment = *b == b'#' && matches!(before, Some(b' ' | b'\t'));
        match b {
            b'{' if before == Some(&b'$') || depth > 0 => depth = depth.saturating_add(1),
            b'}' if depth > 0 => depth = depth.saturating_sub(1),
            b',' if depth > 0 => {}
            b'\n' | b'\r' | b',' | b'}' | b']' => break,
            _ if comment => break,
            _ => {}
        }
        end = j.saturating_add(1);
    }
    String::from_utf8_lossy(rest.get(..end).unwrap_or_default())
        .trim()
        .to_owned()
}

/// The value on the first non-blank, non-comment line after `buf[k]`'s line, when it is more
/// indented than the key (YAML's continuation of an empty or block value).
fn next_line_value(buf: &[u8], k: usize, indent: usize) -> Option<Value> {
    let mut pos = k;
    // Look ahead at most a few lines and MAX_VALUE bytes.
    let limit = k.saturating_add(MAX_VALUE).min(buf.len());
    loop {
        let nl = buf.get(pos..limit)?.iter().position(|b| *b == b'\n')?;
        pos = pos.saturating_add(nl).saturating_add(1);
        let line = buf.get(pos..limit)?;
        let spaces = line.iter().take_while(|b| **b == b' ').count();
        let first = line.get(spaces).copied();
        match first {
            None | Some(b'\n' | b'\r') => continue,
            Some(b'#') => continue,
            _ if spaces <= indent => return None,
            _ => {}
        }
        let start = pos.saturating_add(spaces);
        let v = plain(buf, start);
        // A key on that line means the value was null and a mapping follows.
        if v.contains(": ") || v.ends_with(':') || v.starts_with("- ") {
            return None;
        }
        return match first {
            Some(b'"' | b'\'') => read_value(buf, start, indent),
            _ => Some(Value::Path(v)),
        };
    }
}

/// A quoted scalar's text from the byte after its opening quote `q`; returns the text and the
/// bytes used (closing quote included). `None` when it does not close within `body`.
fn quoted(body: &[u8], q: u8) -> Option<(String, usize)> {
    let mut out: Vec<u8> = Vec::new();
    let mut j = 0usize;
    while let Some(&b) = body.get(j) {
        j = j.saturating_add(1);
        if b == q {
            if q == b'\'' && body.get(j) == Some(&b'\'') {
                out.push(b'\'');
                j = j.saturating_add(1);
                continue;
            }
            return Some((String::from_utf8_lossy(&out).into_owned(), j));
        }
        if b == b'\\' && q == b'"' {
            let e = *body.get(j)?;
            j = j.saturating_add(1);
            let hex_len = match e {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => 0,
            };
            if hex_len > 0 {
                let digits = body.get(j..j.saturating_add(hex_len))?;
                let n = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
                let c = char::from_u32(n)?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                j = j.saturating_add(hex_len);
                continue;
            }
            out.push(match e {
                b'n' => b'\n',
                b't' => b'\t',
                b'0' => 0,
                other => other,
            });
            continue;
        }
        out.push(b);
    }
    None
}

/// Classifies the hits of one file as they come, once per distinct value, and reports them at
/// the end with their counts. Memory is bounded by `max_fact_entries` distinct values: past
/// that, each new value is judged and reported on its own.
pub struct Targets {
    origin: String,
    seen: Vec<Seen>,
    index: HashMap<Value, usize>,
}

struct Seen {
    first: Hit,
    class: Option<Class>,
    count: u64,
}

impl Targets {
    pub fn new(origin: &str) -> Self {
        Targets {
            origin: origin.to_owned(),
            seen: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub fn add(&mut self, ctx: &mut Ctx, hit: Hit) {
        if let Some(s) = self
            .index
            .get(&hit.value)
            .and_then(|&i| self.seen.get_mut(i))
        {
            s.count = s.count.saturating_add(1);
            return;
        }
        let class = match &hit.value {
            Value::Path(p) => {
                let (module, name) = p.split_once('.').unwrap_or((p.as_str(), ""));
                Some(ctx.policy.classify(module, name))
            }
            Value::Unreadable(..) => None,
        };
        if self.seen.len() < ctx.limits.max_fact_entries {
            self.index.insert(hit.value.clone(), self.seen.len());
            self.seen.push(Seen {
                first: hit,
                class,
                count: 1,
            });
        } else {
            report_one(ctx, &self.origin, &hit, class.as_ref(), 1);
        }
    }

    /// Reports what was seen and records the facts.
    pub fn finish(self, ctx: &mut Ctx) {
        if self.seen.is_empty() {
            return;
        }
        for s in &self.seen {
            report_one(ctx, &self.origin, &s.first, s.class.as_ref(), s.count);
        }
        let max = ctx.limits.max_fact_entries;
        let max_string = ctx.limits.max_fact_string;
        let facts = ctx.facts.hydra.get_or_insert_with(HydraFacts::default);
        for s in self.seen {
            if facts.targets.len() >= max {
                break;
            }
            let (target, label) = match (&s.first.value, &s.class) {
                (Value::Path(p), Some(c)) => (p.as_str(), c.label()),
                (Value::Path(p), None) | (Value::Unreadable(_, p), _) => (p.as_str(), "unreadable"),
            };
            facts.targets.push(Target {
                target: clip(target, max_string).into_owned(),
                class: label.to_owned(),
                count: s.count,
            });
        }
    }
}

/// Reads and reports the `_target_` keys of a config held in memory.
pub fn check(bytes: &[u8], ctx: &mut Ctx, origin: &str) {
    let mut t = Targets::new(origin);
    read_targets(bytes, 0, bytes.len(), 0, 1, |h| t.add(ctx, h));
    t.finish(ctx);
}

fn report_one(ctx: &mut Ctx, origin: &str, first: &Hit, class: Option<&Class>, count: u64) {
    let value = &first.value;
    let max_string = ctx.limits.max_fact_string;
    let times = if count == 1 {
        String::new()
    } else {
        format!(" ({count} times)")
    };
    let at = format!("{origin} line {}", first.line);
    let (path, severity, rule, what) = match (value, class) {
        (Value::Unreadable(why, raw), _) => (
            raw.clone(),
            Severity::High,
            "unreadable target".to_owned(),
            format!("{why}; hydra.utils.instantiate imports and calls whatever it resolves to"),
        ),
        (Value::Path(_), None) | (Value::Path(_), Some(Class::Allowed)) => return,
        (Value::Path(p), Some(Class::Denied { rule, reason } | Class::HigherOrder { rule, reason })) => (
            p.clone(),
            Severity::Critical,
            format!("denylist: {rule}"),
            format!("on the denylist ({reason}); hydra.utils.instantiate imports and calls it"),
        ),
        (Value::Path(p), Some(Class::Dunder { attr })) => (
            p.clone(),
            Severity::Critical,
            format!("dunder attribute {attr}"),
            format!(
                "hydra.utils.instantiate resolves it attribute by attribute: {attr} exposes interpreter internals"
            ),
        ),
        (Value::Path(p), Some(Class::Unknown)) => (
            p.clone(),
            if ctx.policy.strict {
                ctx.policy.unknown_severity()
            } else {
                Code::ConfigCallableTarget.default_severity()
            },
            "not on the allowlist".to_owned(),
            "on neither list of the pickle policy; hydra.utils.instantiate imports it (running its module's code) and calls it".to_owned(),
        ),
    };
    let path = clip(&path, max_string).into_owned();
    let (module, name) = match path.split_once('.') {
        Some((m, n)) => (Some(m.to_owned()), Some(n.to_owned())),
        None => (None, Some(path.clone())),
    };
    ctx.report_with(
        Code::ConfigCallableTarget,
        severity,
        Some(first.offset),
        format!("{at}: _target_ {path}{times}: {what}"),
        Evidence {
            module,
            name,
            rule: Some(rule),
            ..Evidence::default()
        },
    );
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn hits(text: &str, from: usize) -> Vec<Hit> {
        let mut out = Vec::new();
        read_targets(text.as_bytes(), from, text.len(), 0, 1, |h| out.push(h));
        out
    }

    fn targets(text: &str) -> Vec<String> {
        hits(text, 0)
            .into_iter()
            .map(|h| match h.value {
                Value::Path(p) => p,
                Value::Unreadable(_, raw) => format!("?{raw}"),
            })
            .collect()
    }

    #[test]
    fn reads_block_style_targets_with_nesting_and_indentation() {
        let y = "model:\n  _target_: nemo.collections.asr.models.EncDecCTCModel\n  encoder:\n    _target_: torch.nn.Linear\n    in_features: 4\noptim:\n  name: adam\n";
        assert_eq!(
            targets(y),
            [
                "nemo.collections.asr.models.EncDecCTCModel",
                "torch.nn.Linear"
            ]
        );
        let h = hits(y, 0);
        assert_eq!(h[0].line, 2);
        assert_eq!(h[1].line, 4);
        assert_eq!(h[0].offset, 9);
    }

    #[test]
    fn reads_quoted_values_and_decodes_escapes() {
        assert_eq!(targets("_target_: \"os.system\"\n"), ["os.system"]);
        assert_eq!(targets("_target_: 'os.system'  # quoted\n"), ["os.system"]);
        assert_eq!(
            targets("_target_: \"\\x6fs.sys\\u0074em\"\n"),
            ["os.system"]
        );
        assert_eq!(
            targets("a: {\"_target_\": \"builtins.eval\"}"),
            ["builtins.eval"]
        );
        // Keys whose name is itself escaped.
        assert_eq!(targets("\"\\x5ftarget_\": os.system\n"), ["os.system"]);
        assert_eq!(
            targets("{\"\\u005ftarget_\": \"os.system\"}"),
            ["os.system"]
        );
    }

    #[test]
    fn ignores_comments_strings_and_lookalike_keys() {
        let y = "# _target_: os.system\nname: x  # _target_: os.system\ndoc: \"set _target_: os.system\"\nmy_target_: os.system\n_target_x: os.system\nnote: don't\n_target_: ok.fine\n";
        assert_eq!(targets(y), ["ok.fine"]);
        // A plain value stops at a comment.
        assert_eq!(targets("_target_: a.b # c.d\n"), ["a.b"]);
    }

    #[test]
    fn reads_flow_style_lists_and_tags() {
        assert_eq!(
            targets("cb: {_target_: os.system, command: x}"),
            ["os.system"]
        );
        assert_eq!(
            targets("cbs: [{_target_: a.B}, {_target_: c.D}]\n- _target_: e.F\n"),
            ["a.B", "c.D", "e.F"]
        );
        assert_eq!(targets("_target_: !!str os.system\n"), ["os.system"]);
        assert_eq!(targets("_target_: &t os.system\n"), ["os.system"]);
        // An explicit key, and a byte order mark before the first key.
        assert_eq!(targets("a:\n  ? _target_\n  : os.system\n"), ["os.system"]);
        assert_eq!(targets("\u{feff}_target_: os.system\n"), ["os.system"]);
    }

    #[test]
    fn reads_values_on_the_next_line_and_block_scalars() {
        assert_eq!(targets("x:\n  _target_:\n    os.system\n"), ["os.system"]);
        assert_eq!(
            targets("x:\n  _target_: >-\n    os.system\n"),
            ["os.system"]
        );
        assert_eq!(
            targets("_target_: # later\n  # c\n  'os.system'\n"),
            ["os.system"]
        );
        // Null, then a sibling key at the same indentation: nothing.
        assert!(targets("x:\n  _target_:\n  other: 1\n").is_empty());
        // A mapping or list is no callable (instantiate fails).
        assert!(targets("_target_: {a: b}\n_target_: [1]\n").is_empty());
    }

    #[test]
    fn interpolations_and_aliases_are_unreadable() {
        assert_eq!(
            targets("_target_: ${model.cls}\n_target_: *anchor\n"),
            ["?${model.cls}", "?*anchor"]
        );
        // Empty path parts are refused by Hydra itself.
        assert!(targets("_target_: os..system\n_target_: .os\n").is_empty());
    }

    #[test]
    fn hostile_long_lines_are_read_in_one_pass() {
        // One 4 MB line of flow mappings: every key is found, each value read once.
        let line = "{_target_: a.b}, ".repeat(250_000);
        assert_eq!(hits(&line, 0).len(), 250_000);
        // A value longer than the cap is cut, never read past it.
        let long = format!("_target_: {}\n", "a".repeat(10 * MAX_VALUE));
        assert_eq!(targets(&long)[0].len(), MAX_VALUE);
        // An unclosed quote on a long line: nothing read, no panic.
        let open = format!("_target_: \"{}", "x".repeat(1 << 20));
        assert!(targets(&open).is_empty());
        // Only keys starting in [from, to) are read.
        let y = "_target_: a.b\n_target_: c.d\n";
        assert_eq!(hits(y, 1).len(), 1);
    }

    #[test]
    fn keys_beside_a_target_do_not_lower_its_judgment() {
        // Hydra 1.3 knows _target_, _convert_, _recursive_, _args_ and _partial_ (checked by
        // samples/check_hydra_targets.py with Hydra itself): `_call_: false` is one more
        // keyword argument and the target is called; `_partial_: true` imports it and returns
        // a partial that calls it later; under `_recursive_: false` the outer callable gets
        // the nested config and may instantiate it; targets in `_args_` are instantiated.
        let y = "a:\n  _target_: os.system\n  _partial_: true\nb:\n  _call_: false\n  _target_: builtins.eval\n  _convert_: all\nc:\n  _target_: pkg.Outer\n  _recursive_: false\n  inner:\n    _target_: builtins.exec\nd:\n  _target_: pkg.Args\n  _args_:\n    - _target_: subprocess.Popen\n";
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "config.yaml");
        check(y.as_bytes(), &mut ctx, "config.yaml");
        for t in [
            "os.system",
            "builtins.eval",
            "builtins.exec",
            "subprocess.Popen",
        ] {
            let f = ctx.findings.iter().find(|f| f.message.contains(t));
            assert_eq!(f.map(|f| f.severity), Some(Severity::Critical), "{t}");
        }
    }

    #[test]
    fn classifies_targets_with_the_pickle_policy() {
        let y = "a:\n  _target_: os.system\nb:\n  _target_: torch.optim.Adam\nc:\n  _target_: torch.optim.Adam\nd:\n  _target_: collections.OrderedDict\ne:\n  _target_: builtins.__import__\nf:\n  _target_: ${x}\n";
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "config.yaml");
        check(y.as_bytes(), &mut ctx, "config.yaml");
        let sev = |s: &str| {
            ctx.findings
                .iter()
                .find(|f| f.message.contains(s))
                .map(|f| f.severity)
        };
        assert_eq!(sev("os.system"), Some(Severity::Critical));
        assert_eq!(sev("builtins.__import__"), Some(Severity::Critical));
        assert_eq!(sev("torch.optim.Adam (2 times)"), Some(Severity::Low));
        assert_eq!(sev("${x}"), Some(Severity::High));
        assert_eq!(
            sev("collections.OrderedDict"),
            None,
            "allowlisted: a fact only"
        );
        let facts = ctx.facts.hydra.as_ref().unwrap();
        let classes: Vec<(&str, &str)> = facts
            .targets
            .iter()
            .map(|t| (t.target.as_str(), t.class.as_str()))
            .collect();
        assert!(
            classes.contains(&("collections.OrderedDict", "allowed")),
            "{classes:?}"
        );
        assert!(classes.contains(&("os.system", "denied")), "{classes:?}");
        assert!(classes.contains(&("${x}", "unreadable")), "{classes:?}");
        let os = ctx
            .findings
            .iter()
            .find(|f| f.message.contains("os.system"))
            .unwrap();
        assert!(os.message.contains("config.yaml line 2"), "{}", os.message);
        // --strict: unknown targets fail the scan like unknown pickle globals.
        let strict = Policy::new(&[], true).unwrap();
        let mut ctx = Ctx::new(&limits, &strict, "config.yaml");
        check(y.as_bytes(), &mut ctx, "config.yaml");
        assert!(
            ctx.findings
                .iter()
                .any(|f| f.message.contains("Adam") && f.severity == Severity::High)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        // Pseudo-random bytes drawn mostly from YAML's punctuation, in every split of windows.
        let alphabet = b"_target_:\"'\\x{}[],#&*!|>-? \n\r\tos.system${}\xef\xbb\xbf";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..512)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            for from in [0, 7, 256] {
                read_targets(&bytes, from, bytes.len(), 0, 1, |h| {
                    assert!((h.offset as usize) < bytes.len());
                });
            }
        }
    }

    #[test]
    fn documentation_and_code_files_are_not_read() {
        assert!(wanted("model_config.yaml") && wanted("config.json") && wanted("hparams"));
        assert!(!wanted("README.md") && !wanted("train.py") && !wanted("notes.txt"));
    }
}
