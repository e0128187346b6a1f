//! MessagePack documents (spaCy and thinc weights through `srsly`, `msgpack-numpy` caches):
//! recognised by a strict parse of the whole file as one map or array, since the format has
//! no magic number.
//!
//! What can run code: `msgpack-numpy` (`msgpack_numpy.decode`, the `object_hook` its users
//! install) rebuilds a map `{b"nd": True, b"kind": b"O", b"data": ...}` with
//! `pickle.loads(data)`. Each such map's data is scanned as a nested file (the pickle it is)
//! and reported as an object array (`npy-object-array`). Keys and values are matched whether
//! packed as `bin` or `str`: unpacking with `raw=True` turns both into bytes. `srsly`'s own
//! decoder (spaCy) never unpickles, but the bytes are the same, so the map is reported
//! whichever library reads it.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::Format;
use crate::finding::{Code, Evidence};
use crate::source::Source;
use serde::Serialize;
use std::io;

/// Object arrays whose pickles are scanned per file; past it the rest are counted.
const MAX_OBJECT_ARRAYS: usize = 1000;

/// What the document holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MsgpackFacts {
    /// Values of any kind.
    pub values: u64,
    /// `msgpack-numpy` arrays (`{nd: True, ...}` maps).
    pub numpy_arrays: u64,
    /// Of those, object arrays (`kind` `O`), which `msgpack-numpy` unpickles.
    pub object_arrays: u64,
}

impl crate::formats::FormatFacts for MsgpackFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("aibom:msgpack:values", self.values.to_string()));
        if self.numpy_arrays > 0 {
            out.push(("aibom:msgpack:numpy-arrays", self.numpy_arrays.to_string()));
        }
        if self.object_arrays > 0 {
            out.push((
                "aibom:msgpack:object-arrays",
                self.object_arrays.to_string(),
            ));
        }
    }
}

/// The first byte of a map or an array: the only documents taken for MessagePack.
pub fn may_start(head: &[u8]) -> bool {
    matches!(head.first(), Some(0x80..=0x9f | 0xdc..=0xdf))
}

/// A value as far as the object-array rule needs it.
#[derive(Clone, Copy)]
enum Val<'a> {
    True,
    /// `str` or `bin` (both bytes under `raw=True`), with its offset.
    Bytes(&'a [u8], usize),
    Other,
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
    max_depth: u32,
    facts: MsgpackFacts,
    /// Data of object arrays (offset, bytes), at most [`MAX_OBJECT_ARRAYS`].
    objects: Vec<(usize, &'a [u8])>,
}

impl<'a> Parser<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn uint(&mut self, n: usize) -> Option<usize> {
        let s = self.take(n)?;
        let v = s.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x));
        usize::try_from(v).ok()
    }

    fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }

    /// One value; `None` when the bytes are not MessagePack (or nest past the limit).
    fn value(&mut self, depth: u32) -> Option<Val<'a>> {
        if depth > self.max_depth {
            return None;
        }
        self.facts.values = self.facts.values.saturating_add(1);
        let tag = *self.take(1)?.first()?;
        let skip = |p: &mut Self, n: usize| p.take(n).map(|_| Val::Other);
        match tag {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 => Some(Val::Other),
            0xc3 => Some(Val::True),
            0x80..=0x8f => self.map(usize::from(tag & 0x0f), depth),
            0x90..=0x9f => self.array(usize::from(tag & 0x0f), depth),
            0xa0..=0xbf => self.bytes(usize::from(tag & 0x1f)),
            0xc4 | 0xd9 => {
                let n = self.uint(1)?;
                self.bytes(n)
            }
            0xc5 | 0xda => {
                let n = self.uint(2)?;
                self.bytes(n)
            }
            0xc6 | 0xdb => {
                let n = self.uint(4)?;
                self.bytes(n)
            }
            // ext 8/16/32: length, type byte, data.
            0xc7 => {
                let n = self.uint(1)?;
                skip(self, n.checked_add(1)?)
            }
            0xc8 => {
                let n = self.uint(2)?;
                skip(self, n.checked_add(1)?)
            }
            0xc9 => {
                let n = self.uint(4)?;
                skip(self, n.checked_add(1)?)
            }
            0xca => skip(self, 4),
            0xcb => skip(self, 8),
            0xcc | 0xd0 => skip(self, 1),
            0xcd | 0xd1 => skip(self, 2),
            0xce | 0xd2 => skip(self, 4),
            0xcf | 0xd3 => skip(self, 8),
            // fixext 1, 2, 4, 8, 16: type byte and data.
            0xd4 => skip(self, 2),
            0xd5 => skip(self, 3),
            0xd6 => skip(self, 5),
            0xd7 => skip(self, 9),
            0xd8 => skip(self, 17),
            0xdc => {
                let n = self.uint(2)?;
                self.array(n, depth)
            }
            0xdd => {
                let n = self.uint(4)?;
                self.array(n, depth)
            }
            0xde => {
                let n = self.uint(2)?;
                self.map(n, depth)
            }
            0xdf => {
                let n = self.uint(4)?;
                self.map(n, depth)
            }
            // 0xc1 is never used.
            _ => None,
        }
    }

    fn bytes(&mut self, n: usize) -> Option<Val<'a>> {
        let at = self.at;
        self.take(n).map(|s| Val::Bytes(s, at))
    }

    fn array(&mut self, n: usize, depth: u32) -> Option<Val<'a>> {
        // Every value takes at least one byte: a count past the bytes left is not MessagePack
        // (and is refused before any work).
        if n > self.remaining() {
            return None;
        }
        for _ in 0..n {
            self.value(depth.checked_add(1)?)?;
        }
        Some(Val::Other)
    }

    fn map(&mut self, n: usize, depth: u32) -> Option<Val<'a>> {
        if n.checked_mul(2)? > self.remaining() {
            return None;
        }
        let (mut nd, mut kind_o, mut data) = (false, false, None);
        for _ in 0..n {
            let k = self.value(depth.checked_add(1)?)?;
            let v = self.value(depth.checked_add(1)?)?;
            // The last entry of a key wins, as in the dict the loader builds.
            match k {
                Val::Bytes(b"nd", _) => nd = matches!(v, Val::True),
                Val::Bytes(b"kind", _) => kind_o = matches!(v, Val::Bytes(b"O", _)),
                Val::Bytes(b"data", _) => {
                    data = match v {
                        Val::Bytes(d, at) => Some((at, d)),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        if nd {
            self.facts.numpy_arrays = self.facts.numpy_arrays.saturating_add(1);
            if kind_o {
                self.facts.object_arrays = self.facts.object_arrays.saturating_add(1);
                if let Some(d) = data
                    && self.objects.len() < MAX_OBJECT_ARRAYS
                {
                    self.objects.push(d);
                }
            }
        }
        Some(Val::Other)
    }
}

/// Parses `b` as exactly one map or array; `None` when it is not that.
fn parse(b: &[u8], max_depth: u32) -> Option<Parser<'_>> {
    if !may_start(b) {
        return None;
    }
    let mut p = Parser {
        b,
        at: 0,
        max_depth,
        facts: MsgpackFacts::default(),
        objects: Vec::new(),
    };
    p.value(0)?;
    (p.at == b.len()).then_some(p)
}

/// Recognises a file of no other format as one MessagePack document; returns
/// [`Format::Msgpack`] with its facts (and the object arrays' pickles scanned), or
/// [`Format::Unknown`] when the bytes are not that (the caller reports it).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Format> {
    if src.len() > ctx.limits.max_in_memory {
        return Ok(Format::Unknown);
    }
    let bytes = src.read_vec(0, usize::try_from(src.len()).unwrap_or(0))?;
    let max_depth = u32::try_from(ctx.limits.max_json_depth).unwrap_or(u32::MAX);
    let Some(p) = parse(&bytes, max_depth) else {
        return Ok(Format::Unknown);
    };
    let objects = p.objects;
    let facts = p.facts;
    let skipped = facts.object_arrays.saturating_sub(objects.len() as u64);
    for (at, data) in objects {
        ctx.report_with(
            Code::NpyObjectArray,
            Code::NpyObjectArray.default_severity(),
            Some(at as u64),
            format!(
                "a msgpack-numpy object array ({} bytes of data): msgpack_numpy.decode unpickles it; its pickle was scanned",
                data.len()
            ),
            Evidence::default(),
        );
        let name = format!("<msgpack-numpy object array at {at}>");
        super::member::inspect_member(ctx, &data.to_vec(), &name, false)?;
    }
    if skipped > 0 {
        ctx.report(
            Code::PickleLimitExceeded,
            None,
            format!(
                "{skipped} more msgpack-numpy object arrays than the {MAX_OBJECT_ARRAYS} scanned per file: their pickles were not analysed"
            ),
        );
    }
    ctx.facts.msgpack = Some(facts);
    Ok(Format::Msgpack)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_map_or_array_is_msgpack_and_anything_else_is_not() {
        // {"a": [1, 2.5, "x"]}
        let doc = b"\x81\xa1a\x93\x01\xcb\x40\x04\x00\x00\x00\x00\x00\x00\xa1x";
        let p = parse(doc, 64).unwrap();
        assert_eq!(p.facts.values, 6);
        // A trailing byte, a cut value, a scalar document, JSON text, the unused tag.
        assert!(parse(b"\x81\xa1a\x01\x00", 64).is_none());
        assert!(parse(&doc[..doc.len() - 1], 64).is_none());
        assert!(parse(b"\x01", 64).is_none());
        assert!(parse(b"{\"a\": 1}", 64).is_none());
        assert!(parse(b"\x91\xc1", 64).is_none());
    }

    #[test]
    fn counts_past_the_bytes_left_and_deep_nesting_are_refused_at_once() {
        // An array32 of 4 billion items in 5 bytes; a map32 likewise.
        assert!(parse(b"\xdd\xff\xff\xff\xff", 64).is_none());
        assert!(parse(b"\xdf\xff\xff\xff\xff\x00", 64).is_none());
        let deep = vec![0x91u8; 100_000];
        assert!(parse(&deep, 64).is_none());
        let mut ok = vec![0x91u8; 64];
        ok.push(0xc0);
        assert!(parse(&ok, 64).is_some());
    }

    #[test]
    fn an_object_array_map_gives_its_data_in_either_encoding() {
        // msgpack-numpy's map with bin keys, then the same with str keys and values.
        let mut bin = b"\x85\xc4\x02nd\xc3\xc4\x04type\xa2|O\xc4\x04kind\xc4\x01O".to_vec();
        bin.extend_from_slice(b"\xc4\x05shape\x91\x01\xc4\x04data\xc4\x02\x80\x04");
        let p = parse(&bin, 64).unwrap();
        assert_eq!((p.facts.numpy_arrays, p.facts.object_arrays), (1, 1));
        assert_eq!(p.objects.len(), 1);
        assert_eq!(p.objects[0].1, b"\x80\x04");
        let s = b"\x83\xa2nd\xc3\xa4kind\xa1O\xa4data\xa3abc";
        let p = parse(s, 64).unwrap();
        assert_eq!(p.objects[0].1, b"abc");
        // A float array (kind f) or nd false: nothing to unpickle.
        let f = b"\x83\xa2nd\xc3\xa4kind\xa1f\xa4data\xa3abc";
        let p = parse(f, 64).unwrap();
        assert_eq!((p.facts.numpy_arrays, p.objects.len()), (1, 0));
        let off = b"\x83\xa2nd\xc2\xa4kind\xa1O\xa4data\xa3abc";
        assert_eq!(parse(off, 64).unwrap().objects.len(), 0);
    }
}
