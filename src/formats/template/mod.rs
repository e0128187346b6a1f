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
//!
//! The files follow the check: `lex.rs` cuts blocks out and tokenises them, `analyse.rs` walks
//! the tokens for the constructs above, and `fold.rs` evaluates the constant strings it is
//! handed; this file turns what they find into findings.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod analyse;
mod fold;
mod lex;
#[cfg(test)]
mod tests;

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use analyse::scan;

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
