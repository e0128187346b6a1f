//! Text from the inspected files (names, messages quoting their contents) made safe to print on
//! a terminal: a file may be named `x\nm: ACCEPTED\n\x1b[8m`, and a human report must show that
//! name, not obey it.
//!
//! [`terminal`] escapes every character that moves the cursor, ends a line, starts an escape
//! sequence or reorders text: C0 controls and DEL, C1 controls (U+0080..U+009F, which include the
//! one-character CSI U+009B), line and paragraph separators, and the Unicode bidirectional
//! controls used in "Trojan Source" attacks (CVE-2021-42574). Backslash is escaped too, so an
//! escaped name cannot be confused with a name that contains the escape's text. Everything else,
//! including non-ASCII letters, is kept as is. The JSON outputs need none of this: JSON strings
//! escape controls already.

use std::borrow::Cow;

/// Whether `c` must be escaped before it reaches a terminal.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{200E}' | '\u{200F}' | '\u{061C}' // LRM, RLM, ALM
                | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
                | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
        )
}

/// `s` with terminal controls escaped: `\n`, `\r`, `\t`, `\\`, and `\u{..}` for the rest.
/// Borrows when nothing needs escaping.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_line_breaks_and_terminal_sequences() {
        assert_eq!(
            terminal("x\nm: ACCEPTED\n\x1b[8m"),
            "x\\nm: ACCEPTED\\n\\u{1b}[8m"
        );
        assert_eq!(terminal("a\rb\tc\u{7f}"), "a\\rb\\tc\\u{7f}");
        assert_eq!(terminal("csi\u{9b}31m"), "csi\\u{9b}31m");
    }

    #[test]
    fn escapes_bidi_controls_and_backslashes() {
        assert_eq!(terminal("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(terminal("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(terminal("a\\nb"), "a\\\\nb");
    }

    #[test]
    fn keeps_ordinary_text_borrowed() {
        assert!(matches!(terminal("modèle/вес.bin"), Cow::Borrowed(_)));
        assert!(matches!(terminal(""), Cow::Borrowed(_)));
    }
}
