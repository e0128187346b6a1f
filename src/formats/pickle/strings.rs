//! Protocol 0 text arguments: memo indices, quoted `STRING` literals, raw-unicode-escape
//! `UNICODE` (CPython `Lib/pickle.py`, `load_string`, `load_unicode`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Res, invalid};

/// A PUT/GET index as the pure-Python unpickler (joblib's) keys its memo dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Index {
    /// At most `i64::MAX`: both unpicklers take it.
    Small(u64),
    /// Past an i64: only the pure-Python unpickler takes it (CPython's C unpickler fails on
    /// it), as a dict key of its own. Named by the first 16 bytes of the SHA-256 of its digits
    /// (no sign, underscore or leading zero): distinct indices stay distinct, however long.
    Huge(u128),
}

/// A PUT/GET index line as Python's `int()` reads it, which both unpicklers use: whitespace
/// around it (space, tab, newline, vertical tab, form feed, carriage return), a sign, decimal
/// digits with single underscores between them (`1_0` is 10), of any length.
///
/// CPython's C unpickler reads the line as a C string (`PyLong_FromString`): a NUL ends it, so
/// `1\0x` is index 1 there while `int()` fails on it. The bytes before a NUL are read, so that
/// the stream goes on as it does under `pickle.load` (found by review: a payload after such a
/// PUT ran under `pickle.load` while the analysis stopped at a break).
pub(super) fn parse_index(line: &[u8], what: &str) -> Res<Index> {
    let line = line.split(|&b| b == 0).next().unwrap_or(line);
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let start = line.iter().position(|b| !space(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |e| e.saturating_add(1));
    let t = line.get(start..end).unwrap_or_default();
    let (negative, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, t),
    };
    let well_formed = digits.first().is_some_and(u8::is_ascii_digit)
        && digits.last().is_some_and(u8::is_ascii_digit)
        && digits.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.windows(2).any(|w| w == b"__");
    if !well_formed {
        let shown = String::from_utf8_lossy(t.get(..t.len().min(40)).unwrap_or_default());
        return invalid(format!("invalid {what} argument {shown:?}"));
    }
    let mut value: Option<u64> = Some(0);
    for d in digits.iter().filter(|&&b| b != b'_') {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(d.saturating_sub(b'0'))));
    }
    match value {
        Some(0) => Ok(Index::Small(0)),
        _ if negative => invalid(format!("negative {what} argument")),
        Some(v) if v <= i64::MAX as u64 => Ok(Index::Small(v)),
        _ => {
            use sha2::Digest;
            // The digits as `int()` reads them: no underscore, no leading zero.
            let canonical: Vec<u8> = digits
                .iter()
                .copied()
                .filter(|&b| b != b'_')
                .skip_while(|&b| b == b'0')
                .collect();
            let d = sha2::Sha256::digest(&canonical);
            let mut first = [0u8; 16];
            first.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
            Ok(Index::Huge(u128::from_le_bytes(first)))
        }
    }
}

/// Protocol 0 `STRING`: a quoted Python literal with backslash escapes.
pub(super) fn unquote_string(line: &[u8]) -> Res<Vec<u8>> {
    let inner = match line {
        [q, inner @ .., q2] if line.len() >= 2 && q == q2 && (*q == b'\'' || *q == b'"') => inner,
        _ => return invalid("the STRING opcode argument must be quoted"),
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some((&c, tail)) = rest.split_first() {
        rest = tail;
        if c != b'\\' {
            // A run without a backslash is copied whole (lines can be a megabyte long).
            let run = memchr::memchr(b'\\', rest).unwrap_or(rest.len());
            out.push(c);
            out.extend_from_slice(rest.get(..run).unwrap_or_default());
            rest = rest.get(run..).unwrap_or_default();
            continue;
        }
        let Some((&e, tail)) = rest.split_first() else {
            // A backslash that ends the string is kept.
            out.push(c);
            continue;
        };
        rest = tail;
        let octal = |d: &u8| char::from(*d).to_digit(8);
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'0'..=b'7' => {
                // Up to three octal digits: at most 0o777.
                let mut v = octal(&e).unwrap_or(0);
                for _ in 0..2 {
                    let Some((d, tail)) =
                        rest.split_first().and_then(|(d, t)| Some((octal(d)?, t)))
                    else {
                        break;
                    };
                    v = v.saturating_mul(8).saturating_add(d);
                    rest = tail;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = rest.get(..2).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        rest = rest.get(2..).unwrap_or_default();
                    }
                    None => return invalid("invalid \\x escape in STRING"),
                }
            }
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Protocol 0 `UNICODE`: raw-unicode-escape (`\uXXXX`, `\UXXXXXXXX`, other bytes latin-1).
/// Linear in the line: every byte up to the next backslash is copied in one pass (a run that
/// is not ASCII byte by byte, as latin-1), so no byte is searched twice.
pub(super) fn raw_unicode_escape(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    loop {
        let run = memchr::memchr(b'\\', rest).unwrap_or(rest.len());
        let (text, tail) = rest.split_at(run);
        match std::str::from_utf8(text) {
            Ok(t) if t.is_ascii() => out.push_str(t),
            _ => out.extend(text.iter().map(|&b| char::from(b))),
        }
        // `tail` is empty or starts with the backslash.
        let Some((_, after)) = tail.split_first() else {
            return out;
        };
        if let Some((&u @ (b'u' | b'U'), hex)) = after.split_first() {
            let n = if u == b'u' { 4 } else { 8 };
            if let Some(ch) = hex
                .get(..n)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
            {
                out.push(ch);
                rest = hex.get(n..).unwrap_or_default();
                continue;
            }
        }
        out.push('\\');
        rest = after;
    }
}
