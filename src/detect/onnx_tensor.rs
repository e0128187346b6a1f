//! ONNX `TensorProto` recognition: one serialized tensor, as onnx's backend test data stores
//! each input and output (`test_data_set_0/input_0.pb`) and as
//! `onnx.numpy_helper.from_array(..).SerializeToString()` writes one.
//!
//! A protobuf has no magic number and `.pb` names anything, so the bytes are a TensorProto only
//! when a strict walk of `message TensorProto`
//! (<https://github.com/onnx/onnx/blob/main/onnx/onnx.proto>) accepts them:
//! - every field is one TensorProto defines, with its wire type (repeated numbers packed or
//!   not): no unknown field, no group;
//! - `data_type` is set and names an element type;
//! - the values agree with the shape, product(dims) elements: `raw_data` holds exactly that
//!   many elements' bytes (sub-byte types rounded up to a byte), or the typed field the data
//!   type uses (`float_data` for FLOAT, `int64_data` for INT64, ...) holds exactly that many
//!   values; at most one of them is present; or the data is external.
//!
//! [`sniff`] runs the walk over the first bytes of a file against its length: a payload
//! beyond them is skipped by its declared length, and a walk cut short by their end must
//! already have met the data type and a data field whose counts fit. The format's parser
//! (`formats::onnx_tensor`) runs the same walk over the whole file for its facts.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::protobuf::{Field, Input, Value, Wire, WireError};

/// `TensorProto.DataType`: name and element size in bits, indexed by value. UNDEFINED (0) is
/// not a data type a tensor can have; STRING has no fixed size (`string_data` only).
pub const DATA_TYPES: [(&str, u64); 25] = [
    ("UNDEFINED", 0),
    ("FLOAT", 32),
    ("UINT8", 8),
    ("INT8", 8),
    ("UINT16", 16),
    ("INT16", 16),
    ("INT32", 32),
    ("INT64", 64),
    ("STRING", 0),
    ("BOOL", 8),
    ("FLOAT16", 16),
    ("DOUBLE", 64),
    ("UINT32", 32),
    ("UINT64", 64),
    ("COMPLEX64", 64),
    ("COMPLEX128", 128),
    ("BFLOAT16", 16),
    ("FLOAT8E4M3FN", 8),
    ("FLOAT8E4M3FNUZ", 8),
    ("FLOAT8E5M2", 8),
    ("FLOAT8E5M2FNUZ", 8),
    ("UINT4", 4),
    ("INT4", 4),
    ("FLOAT4E2M1", 4),
    ("FLOAT8E8M0", 8),
];
pub const FLOAT: u64 = 1;
pub const INT64: u64 = 7;
pub const STRING: u64 = 8;
pub const DOUBLE: u64 = 11;
const UINT32: u64 = 12;
const UINT64: u64 = 13;
const COMPLEX64: u64 = 14;
const COMPLEX128: u64 = 15;
/// `TensorProto.data_location` EXTERNAL.
pub const EXTERNAL: u64 = 1;
/// Dimensions a tensor may have: NumPy's limit (`NPY_MAXDIMS`), so no loader of these files
/// holds more.
const MAX_DIMS: usize = 64;
/// External data locations kept per tensor.
const MAX_LOCATIONS: usize = 16;
/// `raw_data`'s field number.
const FIELD_RAW: u32 = 9;

/// Why the bytes are not a TensorProto, past the wire format.
#[derive(Debug, thiserror::Error)]
pub enum NotATensor {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("no data_type, or data type {0} is not one TensorProto defines")]
    DataType(u64),
    #[error("more than {MAX_DIMS} dimensions, or their product overflows")]
    Shape,
    #[error("values in more than one field ({0} and {1})")]
    TwoStorages(&'static str, &'static str),
    #[error("{field} is not the field a {dtype} tensor stores its values in")]
    WrongStorage {
        field: &'static str,
        dtype: &'static str,
    },
    #[error("{field} holds {actual} values (or bytes) where the shape needs {expected}")]
    Count {
        field: &'static str,
        expected: u64,
        actual: u64,
    },
    #[error("{0} elements declared and no values")]
    NoValues(u64),
}

/// The fields seen by a walk, before the checks that tie them together.
#[derive(Default)]
pub struct Tensor {
    pub dims: Vec<u64>,
    pub data_type: Option<u64>,
    /// The field holding the values and how many values (bytes for `raw_data`) it has.
    storage: Option<(u32, u64)>,
    pub external: bool,
    pub name: Option<String>,
    /// External data `location` entries and their offsets.
    pub locations: Vec<(Vec<u8>, u64)>,
}

fn storage_name(field: u32) -> &'static str {
    match field {
        4 => "float_data",
        5 => "int32_data",
        6 => "string_data",
        7 => "int64_data",
        FIELD_RAW => "raw_data",
        10 => "double_data",
        11 => "uint64_data",
        _ => "none",
    }
}

/// A `StringStringEntryProto` (key = 1, value = 2), each string at most 64 KiB.
fn entry(inp: &mut Input, f: &Field) -> Result<(Vec<u8>, Vec<u8>), WireError> {
    let (mut key, mut value) = (Vec::new(), Vec::new());
    inp.message(f, |inp, g| {
        match g.number {
            1 => key = inp.bytes(&g, 1 << 16, "entry key")?,
            2 => value = inp.bytes(&g, 1 << 16, "entry value")?,
            _ => return Err(WireError::unknown("StringStringEntryProto", &g)),
        }
        Ok(())
    })?;
    Ok((key, value))
}

/// Values in a repeated numeric field: one unpacked value, or a packed run.
fn count_values(inp: &mut Input, f: &Field, wire: Wire) -> Result<u64, WireError> {
    f.expect(wire)?;
    let width = match wire {
        Wire::RepeatedFixed32 => 4,
        Wire::RepeatedFixed64 => 8,
        _ => 0,
    };
    match f.value {
        Value::Len { len, .. } if width > 0 => {
            if len.checked_rem(width) != Some(0) {
                return Err(WireError::WrongWireType {
                    field: f.number,
                    offset: f.offset,
                    expected: "a whole number of packed values",
                    actual: "a run of another length",
                });
            }
            Ok(len.checked_div(width).unwrap_or(0))
        }
        Value::Len { .. } => {
            let mut n = 0u64;
            inp.varints(f, |_| n = n.saturating_add(1))?;
            Ok(n)
        }
        _ => Ok(1),
    }
}

impl Tensor {
    /// Walks the message `[0, end)` field by field, strictly.
    pub fn walk(&mut self, inp: &mut Input, end: u64, max_string: usize) -> Result<(), NotATensor> {
        let mut shape_ok = true;
        let mut two: Option<(u32, u32)> = None;
        inp.walk(0, end, |inp, f| {
            let mut add = |field: u32, n: u64| match self.storage {
                Some((g, m)) if g == field => self.storage = Some((g, m.saturating_add(n))),
                Some((g, _)) => two = Some((g, field)),
                None => self.storage = Some((field, n)),
            };
            match f.number {
                1 => {
                    f.expect(Wire::RepeatedVarint)?;
                    inp.varints(&f, |d| {
                        if self.dims.len() < MAX_DIMS {
                            self.dims.push(d);
                        } else {
                            shape_ok = false;
                        }
                    })?;
                }
                2 => {
                    f.expect(Wire::Varint)?;
                    self.data_type = Some(inp.varint(&f)?);
                }
                3 => {
                    // Segment { begin = 1, end = 2 }.
                    inp.message(&f, |_, g| match g.number {
                        1 | 2 => g.expect(Wire::Varint),
                        _ => Err(WireError::unknown("TensorProto.Segment", &g)),
                    })?;
                }
                4 => add(4, count_values(inp, &f, Wire::RepeatedFixed32)?),
                5 | 7 | 11 => add(f.number, count_values(inp, &f, Wire::RepeatedVarint)?),
                10 => add(10, count_values(inp, &f, Wire::RepeatedFixed64)?),
                6 => {
                    f.expect(Wire::Len)?;
                    add(6, 1);
                }
                FIELD_RAW => add(FIELD_RAW, inp.expect_len(&f)?.1),
                8 => self.name = Some(inp.string(&f, max_string)?),
                12 => f.expect(Wire::Len)?,
                13 => {
                    let (key, value) = entry(inp, &f)?;
                    if key == b"location" && self.locations.len() < MAX_LOCATIONS {
                        self.locations.push((value, f.offset));
                    }
                }
                14 => {
                    f.expect(Wire::Varint)?;
                    self.external = inp.varint(&f)? == EXTERNAL;
                }
                16 => {
                    entry(inp, &f)?;
                }
                _ => return Err(WireError::unknown("TensorProto", &f)),
            }
            Ok(())
        })?;
        if !shape_ok {
            return Err(NotATensor::Shape);
        }
        if let Some((a, b)) = two {
            return Err(NotATensor::TwoStorages(storage_name(a), storage_name(b)));
        }
        Ok(())
    }

    /// Ties the fields together. `complete` is false for a walk cut short by the end of the
    /// bytes it was given: repeated fields may then hold fewer values than the shape needs,
    /// but some values must have been seen.
    pub fn check(&self, complete: bool) -> Result<(u64, &'static str), NotATensor> {
        let dtype = self.data_type.unwrap_or(0);
        let (name, bits) = usize::try_from(dtype)
            .ok()
            .and_then(|i| DATA_TYPES.get(i))
            .filter(|_| dtype != 0)
            .copied()
            .ok_or(NotATensor::DataType(dtype))?;
        let elements = self
            .dims
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .ok_or(NotATensor::Shape)?;
        if self.external {
            return Ok((elements, "external"));
        }
        let Some((field, actual)) = self.storage else {
            if elements == 0 && complete {
                return Ok((0, "none"));
            }
            return Err(NotATensor::NoValues(elements));
        };
        let field_name = storage_name(field);
        // The typed field each data type uses (onnx.proto, TensorProto comments), and how many
        // values per element: complex numbers take two, 4-bit types pack two to an int32.
        let expected = match field {
            FIELD_RAW if dtype == STRING => None,
            FIELD_RAW => elements.checked_mul(bits).map(|b| b.div_ceil(8)),
            4 if dtype == FLOAT => Some(elements),
            4 if dtype == COMPLEX64 => elements.checked_mul(2),
            10 if dtype == DOUBLE => Some(elements),
            10 if dtype == COMPLEX128 => elements.checked_mul(2),
            6 if dtype == STRING => Some(elements),
            7 if dtype == INT64 => Some(elements),
            11 if dtype == UINT32 || dtype == UINT64 => Some(elements),
            5 if bits == 4 => Some(elements.div_ceil(2)),
            5 if matches!(bits, 8 | 16) || dtype == 6 => Some(elements),
            _ => None,
        }
        .ok_or(NotATensor::WrongStorage {
            field: field_name,
            dtype: name,
        })?;
        // `raw_data` and packed runs declare their whole length up front; only repeated
        // entries can be cut short by the end of a detection window.
        let fits = if complete || field == FIELD_RAW {
            actual == expected
        } else {
            actual > 0 && actual <= expected
        };
        if !fits {
            return Err(NotATensor::Count {
                field: field_name,
                expected,
                actual,
            });
        }
        Ok((elements, field_name))
    }
}

/// The name of a `TensorProto.DataType` value (`UNDEFINED` for one not defined).
pub fn data_type_name(dtype: u64) -> &'static str {
    usize::try_from(dtype)
        .ok()
        .and_then(|i| DATA_TYPES.get(i))
        .map_or("UNDEFINED", |t| t.0)
}

/// Whether the first bytes of a file (`head`, of a file `len` long) are a TensorProto as far
/// as they go (see the module docs).
pub fn sniff(head: &[u8], len: u64) -> bool {
    // A TensorProto starts with its dims (field 1) or, for a scalar, its data type (field 2).
    if !matches!(head.first(), Some(0x08 | 0x0a | 0x10)) {
        return false;
    }
    let bytes = head.to_vec();
    let mut inp = Input::new(&bytes, 4);
    let mut seen = Tensor::default();
    let complete = match seen.walk(&mut inp, len, 256) {
        Ok(()) => true,
        Err(NotATensor::Wire(e)) if e.is_end_of_input() => false,
        Err(_) => return false,
    };
    seen.check(complete).is_ok()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
pub(crate) mod tests {
    use super::super::protobuf::enc::*;
    use super::*;

    pub(crate) fn float_tensor(dims: &[u64], raw_len: usize) -> Vec<u8> {
        let mut b: Vec<u8> = dims.iter().flat_map(|d| int(1, *d)).collect();
        b.extend(int(2, FLOAT));
        b.extend(bytes(9, &vec![0x3f; raw_len]));
        b
    }

    #[test]
    fn a_tensor_longer_than_the_detection_window_is_sniffed_from_its_head() {
        let b = float_tensor(&[1000, 10], 40_000);
        let head = &b[..crate::detect::HEAD_LEN];
        assert!(sniff(head, b.len() as u64));
        // The declared raw_data must still end inside the file.
        assert!(!sniff(head, b.len() as u64 - 1));
    }

    #[test]
    fn a_walk_cut_short_needs_the_data_type_and_values_that_fit() {
        // Repeated string_data entries cut by the window: fewer than the shape needs is fine,
        // none is not.
        let mut s = int(1, 1000);
        s.extend(int(2, STRING));
        let before_values = s.clone();
        for _ in 0..1000 {
            s.extend(bytes(6, b"word"));
        }
        let len = s.len() as u64;
        assert!(sniff(&s[..crate::detect::HEAD_LEN], len));
        assert!(!sniff(&before_values, len));
    }
}
