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
                // Python reads escapes (`'\x4f'` is `'O'`, `\'` does not end the string);
                // numpy never writes one, and a header read otherwise than numpy reads it is
                // not trusted.
                if body.contains(&b'\\') {
                    return Err("a string holds a backslash escape".into());
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

/// Bytes per element of a simple dtype string such as `<f4`, `|S10`, `<U3`, `|b1` (in
/// numpy's own form, [`dtype_kind`]; not for objects or a datetime with a unit).
pub(crate) fn itemsize(descr: &str) -> Option<u64> {
    let (kind, digits, unit) = dtype_parts(descr)?;
    let n: u64 = digits.parse().ok().filter(|_| unit.is_empty())?;
    match kind {
        'U' => n.checked_mul(4),
        'O' => None,
        _ => Some(n),
    }
}

/// The kind letter of a dtype string in the one form numpy writes (`dtype.str`, `descr`, and
/// the spec `dtype.__reduce__` gives): an optional byte order (`<`, `>`, `|`, `=`), a kind
/// letter, the item size in digits, and for datetimes a unit in brackets (`<M8[ns]`). Any
/// other string (`'object'`, `'u1,O'`, `'(2,)O'`, `'float64'`) is one `numpy.dtype` also
/// takes, and may hold objects: `None`, never a guess.
pub(crate) fn dtype_kind(spec: &str) -> Option<char> {
    dtype_parts(spec).map(|(kind, _, _)| kind)
}

/// A dtype string in numpy's own form as (kind, item size digits, datetime unit).
fn dtype_parts(spec: &str) -> Option<(char, &str, &str)> {
    let body = spec.strip_prefix(['<', '>', '|', '=']).unwrap_or(spec);
    let mut chars = body.chars();
    let kind = chars.next().filter(|k| "biufcSaUVMmO".contains(*k))?;
    let rest = chars.as_str();
    let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = rest.strip_suffix(after).unwrap_or_default();
    let unit = match after {
        "" => "",
        u if matches!(kind, 'M' | 'm') => u
            .strip_prefix('[')
            .and_then(|u| u.strip_suffix(']'))
            .filter(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_alphanumeric()))?,
        _ => return None,
    };
    Some((kind, digits, unit))
}

/// Whether a dtype description is proven free of Python objects: a string in numpy's own
/// form ([`dtype_kind`]) of a kind other than `O`, or a structured list of `(name, dtype)` or
/// `(name, dtype, shape)` fields (a name may be a `(title, name)` pair) each free of them.
/// Anything else (`'object'`, `'u1,O'`, a tuple form, a shape where a dtype goes) is read as
/// holding objects: the data is then scanned as the pickle numpy would unpickle.
fn object_free(d: &Lit) -> bool {
    let name = |n: &Lit| match n {
        Lit::Str(_) => true,
        Lit::Seq(pair) => matches!(pair.as_slice(), [Lit::Str(_), Lit::Str(_)]),
        _ => false,
    };
    let dims = |s: &Lit| match s {
        Lit::Int(_) => true,
        Lit::Seq(d) => d.iter().all(|x| matches!(x, Lit::Int(_))),
        _ => false,
    };
    match d {
        Lit::Str(s) => dtype_kind(s).is_some_and(|k| k != 'O'),
        Lit::Seq(fields) => fields.iter().all(|f| match f {
            Lit::Seq(parts) => match parts.as_slice() {
                [n, dtype] => name(n) && object_free(dtype),
                [n, dtype, shape] => name(n) && object_free(dtype) && dims(shape),
                _ => false,
            },
            _ => false,
        }),
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
    // A key given twice is the last one given, as in Python's dict literal.
    let get = |k: &str| {
        dict.iter()
            .rev()
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
    // Object dtypes: `|O`, `O8`, any field of a structured dtype, and every description not
    // in the form numpy writes (numpy reads `'object'` or `'u1,O'` as holding objects too).
    let object = !object_free(&descr);
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

    /// Found by review: numpy reads each of these as an object array (a duplicate key is the
    /// last one given), and each was clean with the pickle in its data never scanned.
    #[test]
    fn every_description_numpy_may_read_as_objects_has_its_data_scanned() {
        let mal = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";
        for descr in [
            "'object'",
            "'u1,O'",
            "'(1,)O'",
            "'<f4', 'descr': '|O'",
            "[('a', '<f4'), ('b', 'O')]",
            "[(('t', 'a'), '|O')]",
            "[('a', '<f4', (2,)), ('b', [('c', '|O')])]",
            "('<f4', (2,))",
            "'float64'",
        ] {
            let h = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            let codes = run(&npy(&h, mal));
            assert!(codes.contains(&Code::NpyObjectArray), "{descr}: {codes:?}");
            assert!(
                codes.contains(&Code::PickleDangerousCall),
                "{descr}: {codes:?}"
            );
        }
    }

    #[test]
    fn a_header_string_with_an_escape_is_malformed() {
        for descr in ["'\\x4f'", "'<f4\\', 'descr': '|O'"] {
            let h = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            assert_eq!(run(&npy(&h, &[0; 4])), vec![Code::NpyMalformed], "{descr}");
        }
    }

    #[test]
    fn descriptions_in_numpys_own_form_are_read_as_numbers() {
        for (descr, size) in [
            ("'<f8'", 8),
            ("'|b1'", 1),
            ("'<M8[ns]'", 8),
            ("'<U3'", 12),
            ("[('a', '<i4'), ('', '|V4'), ('b', '<f8', (2,))]", 0),
            ("[(('title', 'a'), '<f4')]", 0),
        ] {
            let h = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            let codes = run(&npy(&h, &vec![0; size]));
            assert!(!codes.contains(&Code::NpyObjectArray), "{descr}: {codes:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let h = format!("{{'descr': {}'<f4'{}, }}", "[".repeat(100), "]".repeat(100));
        assert_eq!(run(&npy(&h, &[])), vec![Code::NpyMalformed]);
    }
}
