//! NumPy `.npy`: parse the header (a Python dict literal); an object dtype means the data is a
//! pickle, which `numpy.load(allow_pickle=True)` unpickles, so it is scanned.
//!
//! Layout (numpy `lib/format.py`): `\x93NUMPY`, major, minor, header length (u16 LE for 1.0,
//! u32 LE for 2.0 and 3.0), the header `{'descr': ..., 'fortran_order': ..., 'shape': (...), }`
//! padded with spaces and ending in `\n`, then the data.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence};
use crate::source::{Source, Window};
use serde::Serialize;
use std::io;

#[derive(Debug, Clone, Serialize)]
pub struct NpyFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub descr: String,
    pub shape: Vec<u64>,
    pub fortran_order: bool,
    pub object: bool,
}

/// No AIBOM properties yet: what the scan report holds is enough.
impl crate::formats::FormatFacts for NpyFacts {}

/// A Python literal, as far as .npy headers use them.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Int(u64),
    Bool(bool),
    Seq(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

const MAX_NESTING: u32 = 16;

impl P<'_> {
    /// Steps past one byte the caller has just seen (so `i` stays at most `s.len()`).
    fn bump(&mut self) {
        self.i = self.i.saturating_add(1);
    }
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.bump();
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn lit(&mut self, depth: u32) -> Result<Lit, String> {
        if depth > MAX_NESTING {
            return Err("header nests too deeply".into());
        }
        let deeper = depth.saturating_add(1); // at most MAX_NESTING + 1
        self.ws();
        match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => {
                self.bump();
                let start = self.i;
                while self.s.get(self.i).is_some_and(|&c| c != q) {
                    self.bump();
                }
                let body = self.s.get(start..self.i).ok_or("unterminated string")?;
                if self.s.get(self.i) != Some(&q) {
                    return Err("unterminated string".into());
                }
                self.bump();
                Ok(Lit::Str(String::from_utf8_lossy(body).into_owned()))
            }
            Some(b'{') => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(Lit::Dict(items));
                    }
                    let k = self.lit(deeper)?;
                    if !self.eat(b':') {
                        return Err("expected ':' in dict".into());
                    }
                    let v = self.lit(deeper)?;
                    items.push((k, v));
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            return Ok(Lit::Dict(items));
                        }
                        return Err("expected ',' or '}' in dict".into());
                    }
                }
            }
            Some(&open @ (b'(' | b'[')) => {
                self.bump();
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        return Ok(Lit::Seq(items));
                    }
                    items.push(self.lit(deeper)?);
                    if !self.eat(b',') {
                        if self.eat(close) {
                            return Ok(Lit::Seq(items));
                        }
                        return Err("expected ',' in sequence".into());
                    }
                }
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
                // Python 2 headers may write longs as `3L`.
                if self.s.get(self.i) == Some(&b'L') {
                    self.bump();
                }
                let digits = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
                    .unwrap_or("")
                    .trim_end_matches('L');
                digits
                    .parse::<u64>()
                    .map(Lit::Int)
                    .map_err(|_| format!("dimension {digits} is out of range"))
            }
            _ => {
                for (word, v) in [("True", true), ("False", false)] {
                    let rest = self.s.get(self.i..).unwrap_or_default();
                    if rest.starts_with(word.as_bytes()) {
                        self.i = self.i.saturating_add(word.len());
                        return Ok(Lit::Bool(v));
                    }
                }
                Err(format!("unexpected byte at {} of the header", self.i))
            }
        }
    }
}

/// Bytes per element of a simple dtype string such as `<f4`, `|S10`, `<U3`, `|b1`.
pub(crate) fn itemsize(descr: &str) -> Option<u64> {
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let kind = body.chars().next()?;
    let n: u64 = body.get(1..)?.parse().ok()?;
    match kind {
        'U' => n.checked_mul(4),
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' | 'M' | 'm' => Some(n),
        _ => None,
    }
}

/// Whether a dtype description (a string, or a structured list of `(name, dtype[, shape])`)
/// holds Python objects anywhere.
fn has_object(d: &Lit) -> bool {
    match d {
        Lit::Str(s) => s.trim_start_matches(['<', '>', '|', '=']).starts_with('O'),
        Lit::Seq(items) => match items.as_slice() {
            [Lit::Str(_), dtype, ..] => has_object(dtype),
            items => items.iter().any(has_object),
        },
        _ => false,
    }
}

fn malformed(ctx: &mut Ctx, msg: String) {
    ctx.report(Code::NpyMalformed, Some(0), msg);
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let len = src.len();
    let pre = src.read_vec(0, 12)?;
    let [_, _, _, _, _, _, major, minor, h0, h1, ref rest @ ..] = pre[..] else {
        malformed(ctx, "file ends inside the .npy preamble".into());
        return Ok(());
    };
    let (hlen, start) = match (major, rest) {
        (1, _) => (u64::from(u16::from_le_bytes([h0, h1])), 10u64),
        (2 | 3, &[h2, h3, ..]) => (u64::from(u32::from_le_bytes([h0, h1, h2, h3])), 12u64),
        _ => {
            malformed(ctx, format!("unsupported .npy version {major}.{minor}"));
            return Ok(());
        }
    };
    let data_start = start.saturating_add(hlen); // below 2^32 + 12
    if hlen > ctx.limits.max_npy_header || data_start > len {
        ctx.report_with(
            Code::NpyMalformed,
            Code::NpyMalformed.default_severity(),
            Some(8),
            format!("header length {hlen} does not fit the {len}-byte file or the limit"),
            Evidence::mismatch(
                format!("<= {}", len.saturating_sub(start)),
                hlen.to_string(),
            ),
        );
        return Ok(());
    }
    let header = src.read_vec(start, hlen as usize)?;
    let mut p = P { s: &header, i: 0 };
    let dict = match p.lit(0) {
        Ok(Lit::Dict(d)) => d,
        Ok(_) => {
            malformed(ctx, "header is not a dict".into());
            return Ok(());
        }
        Err(e) => {
            malformed(ctx, format!("header does not parse: {e}"));
            return Ok(());
        }
    };
    let get = |k: &str| {
        dict.iter()
            .find(|(key, _)| *key == Lit::Str(k.into()))
            .map(|(_, v)| v.clone())
    };
    let (Some(descr), Some(Lit::Bool(fortran_order)), Some(Lit::Seq(shape))) =
        (get("descr"), get("fortran_order"), get("shape"))
    else {
        malformed(
            ctx,
            "header lacks 'descr', 'fortran_order' or 'shape' of the right type".into(),
        );
        return Ok(());
    };
    let Some(shape) = shape
        .iter()
        .map(|d| match d {
            Lit::Int(n) => Some(*n),
            _ => None,
        })
        .collect::<Option<Vec<u64>>>()
    else {
        malformed(ctx, "shape is not a tuple of integers".into());
        return Ok(());
    };
    let descr_text = match &descr {
        Lit::Str(s) => s.clone(),
        other => format!("{other:?}"),
    };
    // Object dtypes: `|O`, `O8`, or any field of a structured dtype.
    let object = has_object(&descr);
    ctx.facts.arrays.push(NpyFacts {
        member: ctx.member(),
        descr: descr_text.clone(),
        shape: shape.clone(),
        fortran_order,
        object,
    });
    if object {
        ctx.report(
            Code::NpyObjectArray,
            Some(data_start),
            format!("object array ({descr_text}): numpy.load(allow_pickle=True) unpickles the data; scanned below"),
        );
        let data = Window::new(src, data_start, len.saturating_sub(data_start));
        super::pickle::inspect(&data, ctx)?;
        return Ok(());
    }
    if let Some(size) = itemsize(&descr_text) {
        let expected = shape.iter().try_fold(size, |acc, &d| acc.checked_mul(d));
        let actual = len.saturating_sub(data_start);
        if expected != Some(actual) {
            ctx.report_with(
                Code::NpyMalformed,
                Code::NpyMalformed.default_severity(),
                Some(data_start),
                format!(
                    "data is {actual} bytes but dtype {descr_text} and shape {shape:?} need {}",
                    expected.map_or("more than 2^64".to_owned(), |e| e.to_string())
                ),
                Evidence::mismatch(
                    expected.map_or("overflow".to_owned(), |e| e.to_string()),
                    actual.to_string(),
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.to_owned();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(data);
        v
    }

    fn run(bytes: &[u8]) -> Vec<Code> {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "a.npy");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        ctx.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn accepts_float_array_with_matching_data() {
        let b = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
            &[0; 16],
        );
        assert!(run(&b).is_empty());
    }

    #[test]
    fn rejects_data_shorter_than_shape() {
        let b = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
            &[0; 8],
        );
        assert_eq!(run(&b), vec![Code::NpyMalformed]);
    }

    #[test]
    fn rejects_unparsable_header_and_bad_version() {
        let b = npy("{'descr': '<f4', 'shape': (4,", &[]);
        assert_eq!(run(&b), vec![Code::NpyMalformed]);
        assert_eq!(run(b"\x93NUMPY\x09\x00\x10\x00"), vec![Code::NpyMalformed]);
        assert_eq!(run(b"\x93NUMPY\x01\x00\xff\xff{"), vec![Code::NpyMalformed]);
    }

    #[test]
    fn scans_the_pickle_of_an_object_array() {
        let mal = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";
        let b = npy(
            "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
            mal,
        );
        let codes = run(&b);
        assert!(codes.contains(&Code::NpyObjectArray));
        assert!(codes.contains(&Code::PickleDangerousGlobal));
        assert!(codes.contains(&Code::PickleDangerousCall));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let h = format!("{{'descr': {}'<f4'{}, }}", "[".repeat(100), "]".repeat(100));
        assert_eq!(run(&npy(&h, &[])), vec![Code::NpyMalformed]);
    }
}
