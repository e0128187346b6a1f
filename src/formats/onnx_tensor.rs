//! ONNX `TensorProto` files: one serialized tensor (onnx test data `input_0.pb`), recognised
//! by the strict walk of [`crate::detect::onnx_tensor`]. Loading one (`onnx.load_tensor`,
//! `numpy_helper.to_array`) decodes numbers and strings: nothing in it runs code. Its one reach
//! outside the file is external data (`data_location` EXTERNAL), a path the loader opens under
//! a base directory, checked as in ONNX models (`onnx-external-data-escape`).
//!
//! Detection walks the first bytes; `formats::inspect_source` confirms the walk over the whole
//! file before this runs and detects the bytes again without it when it fails, so the
//! `unknown-format` finding here is only for a file that changed in between.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::onnx::{LocationCheck, check_location};
use super::{Ctx, Walked};
use crate::detect::Format;
use crate::detect::onnx_tensor::{NotATensor, Tensor, data_type_name};
use crate::detect::protobuf::{Input, WireError};
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use serde::Serialize;
use std::io;

/// What the tensor says about itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OnnxTensorFacts {
    /// Element type (`TensorProto.DataType` name: FLOAT, INT64, STRING, ...).
    pub data_type: String,
    pub dims: Vec<u64>,
    /// Elements: the product of the dimensions.
    pub elements: u64,
    /// Where the values are: `raw_data`, a typed field (`float_data`, ...), `external`, or
    /// `none` for a tensor without elements.
    pub storage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// External data locations (`data_location` EXTERNAL), as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_locations: Vec<String>,
}

impl crate::formats::FormatFacts for OnnxTensorFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        let dims: Vec<String> = self.dims.iter().map(u64::to_string).collect();
        out.push(("aibom:onnx-tensor:data-type", self.data_type.clone()));
        out.push(("aibom:onnx-tensor:dims", dims.join(",")));
    }
}

/// Walks the whole tensor: an ONNX tensor, or bytes that only started like one (nothing
/// reported; the caller detects them again without this reading).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Walked> {
    let mut inp = Input::new(src, ctx.limits.max_proto_depth);
    let mut seen = Tensor::default();
    let checked = seen
        .walk(&mut inp, src.len(), ctx.limits.max_fact_string)
        .and_then(|()| seen.check(true));
    let (elements, storage) = match checked {
        Ok(v) => v,
        Err(NotATensor::Wire(WireError::Io(e))) => return Err(e),
        Err(e) => {
            return Ok(Walked::Not(format!(
                "the bytes start like an ONNX TensorProto but are not one ({e}); hashed only"
            )));
        }
    };
    let dtype = seen.data_type.unwrap_or(0);
    let mut facts = OnnxTensorFacts {
        data_type: data_type_name(dtype).to_owned(),
        dims: seen.dims,
        elements,
        storage,
        name: seen.name.filter(|n| !n.is_empty()),
        external_locations: Vec::new(),
    };
    let tensor = facts.name.clone().unwrap_or_default();
    for (loc, offset) in seen.locations.iter().filter(|_| seen.external) {
        let shown = String::from_utf8_lossy(loc).into_owned();
        let ev = Evidence {
            name: Some(tensor.clone()),
            actual: Some(shown.clone()),
            ..Evidence::default()
        };
        let (severity, why) = match check_location(loc) {
            LocationCheck::Inside | LocationCheck::Empty => (None, ""),
            LocationCheck::Escapes(why) => (Some(Severity::High), why),
            LocationCheck::DotDotInside => (
                Some(Severity::Medium),
                "contains '..': it stays in the tensor's directory only if no directory before the '..' is a symbolic link",
            ),
        };
        if let Some(severity) = severity {
            ctx.report_with(
                Code::OnnxExternalDataEscape,
                severity,
                Some(*offset),
                format!(
                    "tensor {tensor:?} reads its data from {shown:?}, which {why}: loading the tensor reads that file"
                ),
                ev,
            );
        }
        facts.external_locations.push(shown);
    }
    ctx.facts.onnx_tensor = Some(facts);
    Ok(Walked::Is(Format::OnnxTensor))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::protobuf::enc::*;
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;

    use crate::detect::onnx_tensor::tests::float_tensor;
    use crate::detect::onnx_tensor::{DOUBLE, EXTERNAL, FLOAT, INT64, STRING, sniff};

    fn run(b: &[u8]) -> (Format, Vec<(Code, Severity)>, Option<OnnxTensorFacts>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "input_0.pb");
        let f = match inspect(&b.to_vec(), &mut ctx).unwrap() {
            Walked::Is(f) => f,
            Walked::Not(_) => Format::Unknown,
        };
        let codes = ctx.findings.iter().map(|f| (f.code, f.severity)).collect();
        (f, codes, ctx.facts.onnx_tensor)
    }

    #[test]
    fn a_float_tensor_with_matching_raw_data_is_recognised_with_its_shape() {
        let b = float_tensor(&[2, 3], 24);
        assert!(sniff(&b, b.len() as u64));
        let (f, codes, facts) = run(&b);
        assert_eq!(f, Format::OnnxTensor);
        assert!(codes.is_empty(), "{codes:?}");
        let facts = facts.unwrap();
        assert_eq!(
            (facts.data_type.as_str(), facts.dims, facts.elements),
            ("FLOAT", vec![2, 3], 6)
        );
        assert_eq!(facts.storage, "raw_data");
    }

    #[test]
    fn typed_fields_count_values_packed_or_not() {
        // INT64 [3] in packed int64_data; STRING [2] in two string_data entries.
        let mut b = int(1, 3);
        b.extend(int(2, INT64));
        b.extend(bytes(7, &[1, 0x80, 0x01, 3]));
        assert!(sniff(&b, b.len() as u64));
        assert_eq!(run(&b).0, Format::OnnxTensor);
        let mut s = int(1, 2);
        s.extend(int(2, STRING));
        s.extend(bytes(6, b"a"));
        s.extend(bytes(6, b"bc"));
        assert_eq!(run(&s).2.unwrap().storage, "string_data");
        // A scalar (no dims) holds one element.
        let mut scalar = int(2, DOUBLE);
        scalar.extend(bytes(10, &[0; 8]));
        assert_eq!(run(&scalar).2.unwrap().elements, 1);
    }

    #[test]
    fn raw_data_that_disagrees_with_the_shape_is_not_a_tensor() {
        for raw in [23, 25, 0] {
            let b = float_tensor(&[2, 3], raw);
            assert!(!sniff(&b, b.len() as u64), "{raw} bytes");
            assert_eq!(run(&b).0, Format::Unknown);
            assert_eq!(run(&b).1, vec![]);
        }
    }

    #[test]
    fn unknown_fields_wrong_wire_types_and_missing_data_types_are_rejected() {
        let ok = float_tensor(&[4], 16);
        // Field 15 is not a TensorProto field.
        let mut unknown = ok.clone();
        unknown.extend(int(15, 1));
        // data_type as a length-delimited field.
        let mut wrong = int(1, 4);
        wrong.extend(bytes(2, b"\x01"));
        wrong.extend(bytes(9, &[0; 16]));
        // No data_type.
        let mut none = int(1, 4);
        none.extend(bytes(9, &[0; 16]));
        // Values in the field another data type uses (float_data for INT64).
        let mut typed = int(1, 1);
        typed.extend(int(2, INT64));
        typed.extend(bytes(4, &[0; 4]));
        // Two places for the values.
        let mut two = float_tensor(&[1], 4);
        two.extend(bytes(4, &[0; 4]));
        // A group.
        let mut group = ok.clone();
        group.extend([0x0b, 0x0c]);
        for b in [unknown, wrong, none, typed, two, group] {
            assert!(!sniff(&b, b.len() as u64), "{b:?}");
            assert_eq!(run(&b).0, Format::Unknown, "{b:?}");
        }
    }

    #[test]
    fn truncated_and_huge_declared_lengths_are_rejected_without_a_panic() {
        let b = float_tensor(&[10], 40);
        for cut in 0..b.len() {
            let part = &b[..cut];
            assert!(!sniff(part, part.len() as u64), "cut at {cut}");
            assert_eq!(run(part).0, Format::Unknown, "cut at {cut}");
        }
        // raw_data declaring 2^62 bytes.
        let mut huge = int(1, 1 << 60);
        huge.extend(int(2, FLOAT));
        huge.extend([0x4a]);
        huge.extend(varint(1 << 62));
        assert!(!sniff(&huge, huge.len() as u64));
        assert_eq!(run(&huge).0, Format::Unknown);
        // Dimensions whose product overflows.
        let mut over = int(1, u64::MAX);
        over.extend(int(1, 3));
        over.extend(int(2, 2));
        over.extend(bytes(9, &[0; 3]));
        assert!(!sniff(&over, over.len() as u64));
    }

    #[test]
    fn external_data_that_escapes_the_directory_is_reported() {
        let entry = |k: &[u8], v: &[u8]| msg(13, &[bytes(1, k), bytes(2, v)]);
        let mut b = int(1, 4);
        b.extend(int(2, FLOAT));
        b.extend(bytes(8, b"w"));
        b.extend(entry(b"location", b"../../etc/passwd"));
        b.extend(int(14, EXTERNAL));
        let (f, codes, facts) = run(&b);
        assert_eq!(f, Format::OnnxTensor);
        assert_eq!(codes, vec![(Code::OnnxExternalDataEscape, Severity::High)]);
        assert_eq!(facts.unwrap().storage, "external");
    }
}
