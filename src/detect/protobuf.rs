//! A protobuf wire-format walker over a [`Source`], shared by the ONNX and TensorFlow
//! SavedModel parsers (<https://protobuf.dev/programming-guides/encoding/>).
//!
//! [`Input::walk`] visits the fields of a message in order; a length-delimited field is only
//! described (start and length), and the walker jumps past it unless the visitor descends into
//! it with [`Input::message`] or reads it. Every length is checked against the end of the
//! enclosing message before use, nesting is capped, and reads go through a 64 KiB window, so a
//! multi-gigabyte model costs one sequential pass and constant memory.

#![allow(clippy::len_without_is_empty)]
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::source::Source;
use std::io;

const WINDOW: usize = 64 << 10;

/// The largest field number protobuf allows (2^29 - 1).
const MAX_FIELD: u64 = (1 << 29) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    /// Length-delimited: `len` bytes at `start`, already checked to lie in the message.
    Len {
        start: u64,
        len: u64,
    },
}

impl Value {
    fn wire_name(&self) -> &'static str {
        match self {
            Value::Varint(_) => "a varint",
            Value::Fixed64(_) => "a fixed64",
            Value::Fixed32(_) => "a fixed32",
            Value::Len { .. } => "length-delimited",
        }
    }
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub number: u32,
    /// Offset of the field's key in the source.
    pub offset: u64,
    pub value: Value,
}

/// The wire types a strict schema allows for one field (see [`Field::expect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Varint,
    Fixed32,
    Len,
    /// A repeated varint field: one value, or packed.
    RepeatedVarint,
    /// A repeated 32-bit field (`float`, `fixed32`): one value, or packed.
    RepeatedFixed32,
    /// A repeated 64-bit field (`double`, `fixed64`): one value, or packed.
    RepeatedFixed64,
}

impl Field {
    /// Checks the field's wire type against what a strict schema allows for it.
    pub fn expect(&self, wire: Wire) -> Result<(), WireError> {
        let ok = matches!(
            (wire, self.value),
            (Wire::Varint | Wire::RepeatedVarint, Value::Varint(_))
                | (Wire::Fixed32 | Wire::RepeatedFixed32, Value::Fixed32(_))
                | (Wire::RepeatedFixed64, Value::Fixed64(_))
                | (
                    Wire::Len
                        | Wire::RepeatedVarint
                        | Wire::RepeatedFixed32
                        | Wire::RepeatedFixed64,
                    Value::Len { .. },
                )
        );
        if ok {
            return Ok(());
        }
        Err(WireError::WrongWireType {
            field: self.number,
            offset: self.offset,
            expected: match wire {
                Wire::Varint => "a varint",
                Wire::Fixed32 => "a fixed32",
                Wire::Len => "length-delimited",
                Wire::RepeatedVarint => "a varint or packed varints",
                Wire::RepeatedFixed32 => "a fixed32 or packed fixed32s",
                Wire::RepeatedFixed64 => "a fixed64 or packed fixed64s",
            },
            actual: self.value.wire_name(),
        })
    }

    /// Length of a length-delimited field's payload (0 for the other wire types).
    pub fn len(&self) -> u64 {
        match self.value {
            Value::Len { len, .. } => len,
            _ => 0,
        }
    }
}

/// Why the bytes are not a valid message. Each variant names the offset of the culprit.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("varint at offset {offset} runs past the end of its message")]
    TruncatedVarint { offset: u64 },
    #[error("varint at offset {offset} is longer than 10 bytes")]
    VarintTooLong { offset: u64 },
    #[error(
        "field {field} at offset {offset} declares {len} bytes but its message has {left} left"
    )]
    LengthPastEnd {
        field: u32,
        offset: u64,
        len: u64,
        left: u64,
    },
    #[error("field {field} at offset {offset} is {actual}, expected {expected}")]
    WrongWireType {
        field: u32,
        offset: u64,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("invalid wire type {wire_type} at offset {offset}")]
    InvalidWireType { offset: u64, wire_type: u8 },
    #[error(
        "deprecated group (wire type {wire_type}) at offset {offset}, which this format never uses"
    )]
    Group { offset: u64, wire_type: u8 },
    /// A strict walk met a field its schema does not define.
    #[error("field {field} at offset {offset} is not a field of {message}")]
    UnknownField {
        message: &'static str,
        field: u32,
        offset: u64,
    },
    #[error("invalid field number {field} at offset {offset}")]
    InvalidFieldNumber { offset: u64, field: u64 },
    #[error("{what} nested more than {limit} deep at offset {offset}")]
    TooDeep {
        what: &'static str,
        offset: u64,
        limit: u32,
    },
    #[error("{what} at offset {offset} is {len} bytes, over the limit of {limit}")]
    TooLarge {
        what: &'static str,
        offset: u64,
        len: u64,
        limit: u64,
    },
    #[error("{what} at offset {offset}: {source}")]
    Decode {
        what: &'static str,
        offset: u64,
        source: prost::DecodeError,
    },
    /// The source could not be read: not a property of the bytes.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl WireError {
    pub fn offset(&self) -> Option<u64> {
        match self {
            WireError::TruncatedVarint { offset }
            | WireError::VarintTooLong { offset }
            | WireError::LengthPastEnd { offset, .. }
            | WireError::WrongWireType { offset, .. }
            | WireError::InvalidWireType { offset, .. }
            | WireError::Group { offset, .. }
            | WireError::InvalidFieldNumber { offset, .. }
            | WireError::UnknownField { offset, .. }
            | WireError::TooDeep { offset, .. }
            | WireError::TooLarge { offset, .. }
            | WireError::Decode { offset, .. } => Some(*offset),
            WireError::Io(_) => None,
        }
    }

    /// The bytes ran out before the message did: what a walk over the first bytes of a file
    /// (format detection) meets when the file is longer.
    pub fn is_end_of_input(&self) -> bool {
        matches!(self, WireError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof)
    }

    /// The error for a field `message` does not define.
    pub fn unknown(message: &'static str, f: &Field) -> Self {
        WireError::UnknownField {
            message,
            field: f.number,
            offset: f.offset,
        }
    }
}

/// A cursor over a source with a read window and a nesting counter.
pub struct Input<'a> {
    src: &'a dyn Source,
    len: u64,
    pos: u64,
    window: Vec<u8>,
    window_at: u64,
    depth: u32,
    max_depth: u32,
}

impl<'a> Input<'a> {
    /// `max_depth` counts messages, the top-level one included.
    pub fn new(src: &'a dyn Source, max_depth: u32) -> Self {
        Input {
            src,
            len: src.len(),
            pos: 0,
            window: Vec::new(),
            window_at: 0,
            depth: 1,
            max_depth,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// The next byte; callers have checked that `pos` is inside the current message, which
    /// is inside the source, so running out is an I/O error (the file shrank).
    fn byte(&mut self) -> Result<u8, WireError> {
        let in_window = self
            .pos
            .checked_sub(self.window_at)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.window.get(i).copied());
        let b = match in_window {
            Some(b) => b,
            None => {
                let n = self.len.saturating_sub(self.pos).min(WINDOW as u64) as usize;
                self.window.resize(n, 0);
                self.src.read_exact_at(self.pos, &mut self.window)?;
                self.window_at = self.pos;
                *self.window.first().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::UnexpectedEof, "protobuf source ended")
                })?
            }
        };
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }

    /// A varint that must end before `end`.
    fn read_varint(&mut self, end: u64) -> Result<u64, WireError> {
        let offset = self.pos;
        let mut v = 0u64;
        for shift in (0..70u32).step_by(7) {
            if self.pos >= end {
                return Err(WireError::TruncatedVarint { offset });
            }
            let b = self.byte()?;
            // The tenth byte's high bits fall off, as in protobuf's own parsers.
            v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(WireError::VarintTooLong { offset })
    }

    fn read_fixed(&mut self, n: u32, end: u64, field: u32, offset: u64) -> Result<u64, WireError> {
        let left = end.saturating_sub(self.pos);
        if left < u64::from(n) {
            return Err(WireError::LengthPastEnd {
                field,
                offset,
                len: u64::from(n),
                left,
            });
        }
        let mut v = 0u64;
        for shift in (0..64u32).step_by(8).take(n as usize) {
            v |= u64::from(self.byte()?).checked_shl(shift).unwrap_or(0);
        }
        Ok(v)
    }

    /// The next field of a message ending at `end`.
    fn field(&mut self, end: u64) -> Result<Field, WireError> {
        let offset = self.pos;
        let key = self.read_varint(end)?;
        let number = key >> 3;
        let wire_type = (key & 7) as u8;
        if number == 0 || number > MAX_FIELD {
            return Err(WireError::InvalidFieldNumber {
                offset,
                field: number,
            });
        }
        let number = number as u32;
        let value = match wire_type {
            0 => Value::Varint(self.read_varint(end)?),
            1 => Value::Fixed64(self.read_fixed(8, end, number, offset)?),
            2 => {
                let len = self.read_varint(end)?;
                let start = self.pos;
                let left = end.saturating_sub(start);
                if len > left {
                    return Err(WireError::LengthPastEnd {
                        field: number,
                        offset,
                        len,
                        left,
                    });
                }
                Value::Len { start, len }
            }
            3 | 4 => return Err(WireError::Group { offset, wire_type }),
            5 => Value::Fixed32(self.read_fixed(4, end, number, offset)? as u32),
            _ => return Err(WireError::InvalidWireType { offset, wire_type }),
        };
        Ok(Field {
            number,
            offset,
            value,
        })
    }

    /// Calls `visit` for each field of the message `[start, end)`, then moves past it.
    pub fn walk<F>(&mut self, start: u64, end: u64, mut visit: F) -> Result<(), WireError>
    where
        F: FnMut(&mut Self, Field) -> Result<(), WireError>,
    {
        self.pos = start;
        while self.pos < end {
            let field = self.field(end)?;
            let next = match field.value {
                Value::Len { start, len } => start.saturating_add(len),
                _ => self.pos,
            };
            visit(self, field)?;
            self.pos = next;
        }
        Ok(())
    }

    /// Walks the embedded message `f`, one level deeper.
    pub fn message<F>(&mut self, f: &Field, visit: F) -> Result<(), WireError>
    where
        F: FnMut(&mut Self, Field) -> Result<(), WireError>,
    {
        let (start, len) = self.expect_len(f)?;
        if self.depth >= self.max_depth {
            return Err(WireError::TooDeep {
                what: "messages",
                offset: f.offset,
                limit: self.max_depth,
            });
        }
        self.depth = self.depth.saturating_add(1);
        let out = self.walk(start, start.saturating_add(len), visit);
        self.depth = self.depth.saturating_sub(1);
        out
    }

    /// The payload of a length-delimited field, or a wire-type error.
    pub fn expect_len(&self, f: &Field) -> Result<(u64, u64), WireError> {
        match f.value {
            Value::Len { start, len } => Ok((start, len)),
            other => Err(WireError::WrongWireType {
                field: f.number,
                offset: f.offset,
                expected: "length-delimited",
                actual: other.wire_name(),
            }),
        }
    }

    /// A varint field (int32, int64, uint64, enum, bool).
    pub fn varint(&self, f: &Field) -> Result<u64, WireError> {
        match f.value {
            Value::Varint(v) => Ok(v),
            other => Err(WireError::WrongWireType {
                field: f.number,
                offset: f.offset,
                expected: "a varint",
                actual: other.wire_name(),
            }),
        }
    }

    /// A repeated varint field, packed or not.
    pub fn varints(&mut self, f: &Field, mut each: impl FnMut(u64)) -> Result<(), WireError> {
        match f.value {
            Value::Varint(v) => {
                each(v);
                Ok(())
            }
            Value::Len { start, len } => {
                let end = start.saturating_add(len);
                self.pos = start;
                while self.pos < end {
                    each(self.read_varint(end)?);
                }
                Ok(())
            }
            other => Err(WireError::WrongWireType {
                field: f.number,
                offset: f.offset,
                expected: "a varint or packed varints",
                actual: other.wire_name(),
            }),
        }
    }

    /// The payload of `f` (at most `limit` bytes, else [`WireError::TooLarge`]).
    pub fn bytes(
        &mut self,
        f: &Field,
        limit: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, WireError> {
        let (start, len) = self.expect_len(f)?;
        if len > limit {
            return Err(WireError::TooLarge {
                what,
                offset: f.offset,
                len,
                limit,
            });
        }
        self.read_at(start, len)
    }

    fn read_at(&mut self, start: u64, len: u64) -> Result<Vec<u8>, WireError> {
        let n = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "field larger than memory"))?;
        let from = start
            .checked_sub(self.window_at)
            .and_then(|i| usize::try_from(i).ok());
        if let Some(bytes) = from.and_then(|i| self.window.get(i..i.checked_add(n)?)) {
            return Ok(bytes.to_vec());
        }
        let mut v = vec![0u8; n];
        self.src.read_exact_at(start, &mut v)?;
        Ok(v)
    }

    /// A string field, UTF-8 (lossy), cut after `max` bytes with a marker saying so (so a
    /// cut name never equals a real one).
    pub fn string(&mut self, f: &Field, max: usize) -> Result<String, WireError> {
        let (start, len) = self.expect_len(f)?;
        let keep = len.min(max as u64);
        let bytes = self.read_at(start, keep)?;
        let mut s = String::from_utf8_lossy(&bytes).into_owned();
        if keep < len {
            s.push_str(&format!("... ({len} bytes)"));
        }
        Ok(s)
    }

    /// Decodes the small message `f` whole with prost.
    pub fn decode<M: prost::Message + Default>(
        &mut self,
        f: &Field,
        limit: u64,
        what: &'static str,
    ) -> Result<M, WireError> {
        let bytes = self.bytes(f, limit, what)?;
        M::decode(bytes.as_slice()).map_err(|source| WireError::Decode {
            what,
            offset: f.offset,
            source,
        })
    }
}

/// Protobuf encoding for tests (of this walker and of the parsers built on it).
#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
pub mod enc {
    pub fn varint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    /// A varint field.
    pub fn int(field: u32, v: u64) -> Vec<u8> {
        let mut out = varint(u64::from(field) << 3);
        out.extend(varint(v));
        out
    }

    /// A length-delimited field.
    pub fn bytes(field: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = varint((u64::from(field) << 3) | 2);
        out.extend(varint(payload.len() as u64));
        out.extend_from_slice(payload);
        out
    }

    pub fn msg(field: u32, parts: &[Vec<u8>]) -> Vec<u8> {
        bytes(field, &parts.concat())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::enc::*;
    use super::*;

    fn fields(bytes: &[u8]) -> Result<Vec<(u32, Value)>, WireError> {
        let src = bytes.to_vec();
        let mut inp = Input::new(&src, 100);
        let mut out = Vec::new();
        let end = inp.len();
        inp.walk(0, end, |_, f| {
            out.push((f.number, f.value));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn walks_all_wire_types() {
        let mut b = int(1, 300);
        b.extend(bytes(2, b"hi"));
        b.extend([(3 << 3) | 1, 1, 0, 0, 0, 0, 0, 0, 0]);
        b.extend([(4 << 3) | 5, 2, 0, 0, 0]);
        let got = fields(&b).unwrap();
        assert_eq!(
            got,
            vec![
                (1, Value::Varint(300)),
                (2, Value::Len { start: 5, len: 2 }),
                (3, Value::Fixed64(1)),
                (4, Value::Fixed32(2)),
            ]
        );
    }

    #[test]
    fn rejects_truncated_varint() {
        let e = fields(&[0x08, 0x80, 0x80]).unwrap_err();
        assert!(matches!(e, WireError::TruncatedVarint { offset: 1 }), "{e}");
    }

    #[test]
    fn rejects_varint_longer_than_ten_bytes() {
        let mut b = vec![0x08];
        b.extend([0xff; 11]);
        let e = fields(&b).unwrap_err();
        assert!(matches!(e, WireError::VarintTooLong { offset: 1 }), "{e}");
    }

    #[test]
    fn rejects_length_past_end() {
        let e = fields(&[0x12, 0x05, b'a']).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::LengthPastEnd {
                    field: 2,
                    len: 5,
                    left: 1,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn rejects_huge_declared_length_without_allocating() {
        let mut b = vec![0x12];
        b.extend(varint(u64::MAX >> 1));
        let e = fields(&b).unwrap_err();
        assert!(
            matches!(e, WireError::LengthPastEnd { field: 2, .. }),
            "{e}"
        );
    }

    #[test]
    fn rejects_truncated_fixed64() {
        let e = fields(&[0x09, 1, 2, 3]).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::LengthPastEnd {
                    len: 8,
                    left: 3,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn rejects_invalid_wire_types_groups_and_field_zero() {
        assert!(matches!(
            fields(&[0x0e]).unwrap_err(),
            WireError::InvalidWireType { wire_type: 6, .. }
        ));
        assert!(matches!(
            fields(&[0x0b, 0x0c]).unwrap_err(),
            WireError::Group { wire_type: 3, .. }
        ));
        assert!(matches!(
            fields(&[0x00, 0x00]).unwrap_err(),
            WireError::InvalidFieldNumber { field: 0, .. }
        ));
    }

    #[test]
    fn reports_wrong_wire_type_for_a_known_field() {
        let src = int(7, 1);
        let mut inp = Input::new(&src, 100);
        let end = inp.len();
        let e = inp
            .walk(0, end, |inp, f| inp.message(&f, |_, _| Ok(())))
            .unwrap_err();
        assert!(
            matches!(
                e,
                WireError::WrongWireType {
                    field: 7,
                    actual: "a varint",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn stops_at_the_nesting_limit() {
        let mut b = int(1, 1);
        for _ in 0..10 {
            b = bytes(1, &b);
        }
        let src = b;
        fn dive(inp: &mut Input, f: Field) -> Result<(), WireError> {
            match f.value {
                Value::Len { .. } => inp.message(&f, dive),
                _ => Ok(()),
            }
        }
        let mut inp = Input::new(&src, 5);
        let end = inp.len();
        let e = inp.walk(0, end, dive).unwrap_err();
        assert!(matches!(e, WireError::TooDeep { limit: 5, .. }), "{e}");
        let mut inp = Input::new(&src, 11);
        inp.walk(0, end, dive).unwrap();
    }

    #[test]
    fn reads_packed_and_unpacked_varints() {
        let mut b = bytes(1, &[1, 2, 0x80, 0x01]);
        b.extend(int(1, 7));
        let src = b;
        let mut inp = Input::new(&src, 100);
        let mut got = Vec::new();
        let end = inp.len();
        inp.walk(0, end, |inp, f| inp.varints(&f, |v| got.push(v)))
            .unwrap();
        assert_eq!(got, [1, 2, 128, 7]);
    }

    #[test]
    fn cuts_long_strings_with_a_marker() {
        let src = bytes(1, b"abcdefgh");
        let mut inp = Input::new(&src, 100);
        let mut got = String::new();
        let end = inp.len();
        inp.walk(0, end, |inp, f| {
            got = inp.string(&f, 3)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, "abc... (8 bytes)");
    }

    #[test]
    fn refuses_to_decode_a_message_over_the_limit() {
        let src = bytes(1, &[0u8; 100]);
        let mut inp = Input::new(&src, 100);
        let end = inp.len();
        let e = inp
            .walk(0, end, |inp, f| inp.bytes(&f, 10, "entry").map(drop))
            .unwrap_err();
        assert!(
            matches!(
                e,
                WireError::TooLarge {
                    len: 100,
                    limit: 10,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn reads_across_the_window_boundary() {
        let mut b = bytes(1, &vec![7u8; WINDOW - 3]);
        b.extend(bytes(2, b"across"));
        let src = b;
        let mut inp = Input::new(&src, 100);
        let mut got = String::new();
        let end = inp.len();
        inp.walk(0, end, |inp, f| {
            if f.number == 2 {
                got = inp.string(&f, 100)?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(got, "across");
    }
}
