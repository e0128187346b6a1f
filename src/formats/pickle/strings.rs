//! Protocol 0 text arguments: memo indices, quoted `STRING` literals, raw-unicode-escape
//! `UNICODE` (CPython `Lib/pickle.py`, `load_string`, `load_unicode`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Res, invalid};

pub(super) fn parse_index(line: &[u8], what: &str) -> Res<u64> {
    let t = line.trim_ascii();
    // Leading zeros aside, no index is longer than an i64 (lines can be a megabyte long).
    let zeros = t.iter().take_while(|&&b| b == b'0').count();
    let t = t.get(zeros.min(t.len().saturating_sub(1))..).unwrap_or(t);
    if t.len() > 24 {
        return invalid(format!("invalid {what} argument ({} bytes)", line.len()));
    }
    let s = std::str::from_utf8(t).unwrap_or("");
    match s.parse::<i64>() {
        Ok(i) if i >= 0 => Ok(i as u64),
        Ok(_) => invalid(format!("negative {what} argument")),
        Err(_) => invalid(format!("invalid {what} argument {s:?}")),
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
