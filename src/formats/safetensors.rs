//! safetensors: header validation without reading the tensor data.
//!
//! Layout: 8-byte little-endian header length `n`, `n` bytes of UTF-8 JSON, then the data
//! section (<https://github.com/huggingface/safetensors#format>). The JSON is parsed and
//! validated by the `safetensors` crate's [`Metadata`] (known dtypes, `__metadata__` string to
//! string, offsets sorted and contiguous with no gaps or overlaps, shape x dtype size equal to
//! each byte range). Checks made here beyond the crate:
//! - the header length against the file size and [`Limits::max_safetensors_header`] *before*
//!   reading it (the crate wants the whole file in memory);
//! - duplicate keys in the JSON object (serde keeps the last one silently; loaders disagree);
//! - the data section is covered exactly: the last offset is the end of the file (the crate
//!   checks this only when given the whole buffer);
//! - the header starts with `{` (the reference loader requires it).
//!
//! [`Limits::max_safetensors_header`]: crate::limits::Limits::max_safetensors_header
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence};
use crate::source::Source;
use safetensors::tensor::Metadata;
use serde::Serialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io;

/// What a valid safetensors header says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SafetensorsFacts {
    pub header_len: u64,
    pub tensor_count: u64,
    /// Sum of the elements of all tensors.
    pub parameter_count: u64,
    /// Tensors per dtype.
    pub dtypes: BTreeMap<String, u64>,
    /// The `__metadata__` table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl crate::formats::FormatFacts for SafetensorsFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        out.push((
            "aibom:safetensors:tensor-count",
            self.tensor_count.to_string(),
        ));
        out.push((
            "aibom:safetensors:parameter-count",
            self.parameter_count.to_string(),
        ));
        let dtypes: Vec<&str> = self.dtypes.keys().map(String::as_str).collect();
        out.push(("aibom:safetensors:dtypes", dtypes.join(",")));
    }
}

fn malformed(ctx: &mut Ctx, offset: Option<u64>, msg: String, ev: Evidence) {
    ctx.report_with(
        Code::SafetensorsMalformed,
        Code::SafetensorsMalformed.default_severity(),
        offset,
        msg,
        ev,
    );
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let len = src.len();
    if len < 8 {
        malformed(
            ctx,
            Some(0),
            format!("file of {len} bytes is shorter than the 8-byte header length"),
            Evidence::default(),
        );
        return Ok(());
    }
    let mut le = [0u8; 8];
    src.read_exact_at(0, &mut le)?;
    let n = u64::from_le_bytes(le);
    let room = len.saturating_sub(8); // len >= 8, checked above
    let max = ctx.limits.max_safetensors_header;
    if n > max {
        malformed(
            ctx,
            Some(0),
            format!("header length {n} exceeds the limit of {max} bytes"),
            Evidence::mismatch(format!("<= {max}"), n.to_string()),
        );
        return Ok(());
    }
    if n > room {
        malformed(
            ctx,
            Some(0),
            format!("header length {n} runs past the end of the {len}-byte file"),
            Evidence::mismatch(format!("<= {room}"), n.to_string()),
        );
        return Ok(());
    }
    let header = src.read_vec(8, n as usize)?;
    let Ok(text) = std::str::from_utf8(&header) else {
        malformed(
            ctx,
            Some(8),
            "header is not valid UTF-8".into(),
            Evidence::default(),
        );
        return Ok(());
    };
    if !text.starts_with('{') {
        malformed(
            ctx,
            Some(8),
            "header does not start with '{'".into(),
            Evidence::default(),
        );
        return Ok(());
    }
    if let Err(e) = check_duplicate_keys(text) {
        malformed(
            ctx,
            Some(8),
            format!("header JSON: {e}"),
            Evidence::default(),
        );
        return Ok(());
    }
    let meta: Metadata = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            malformed(
                ctx,
                Some(8),
                format!("header rejected: {e}"),
                Evidence::default(),
            );
            return Ok(());
        }
    };
    let data_len = room.saturating_sub(n); // n <= room, checked above
    let covered = meta.data_len() as u64;
    if covered != data_len {
        let what = if covered < data_len {
            "bytes after the last tensor are not covered by any tensor"
        } else {
            "tensor offsets run past the end of the file"
        };
        malformed(
            ctx,
            Some(n.saturating_add(8)),
            format!("data section is {data_len} bytes but the tensors cover {covered}: {what}"),
            Evidence::mismatch(covered.to_string(), data_len.to_string()),
        );
        return Ok(());
    }
    let mut facts = SafetensorsFacts {
        header_len: n,
        ..SafetensorsFacts::default()
    };
    for info in meta.tensors().values() {
        facts.tensor_count = facts.tensor_count.saturating_add(1);
        let elems = info
            .shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .unwrap_or(u64::MAX);
        facts.parameter_count = facts.parameter_count.saturating_add(elems);
        let dtype = facts.dtypes.entry(format!("{:?}", info.dtype)).or_default();
        *dtype = dtype.saturating_add(1);
    }
    if let Some(m) = meta.metadata() {
        facts.metadata = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    ctx.facts.safetensors = Some(facts);
    Ok(())
}

/// Fails on a repeated key in the top-level JSON object.
fn check_duplicate_keys(text: &str) -> Result<(), String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = HashSet::new();
            while let Some(k) = map.next_key::<String>()? {
                if !seen.insert(k.clone()) {
                    return Err(de::Error::custom(format!("duplicate key {k:?}")));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Keys).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn file(header: &str, data_len: usize) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend(std::iter::repeat_n(0u8, data_len));
        v
    }

    fn run(bytes: &[u8]) -> (Vec<String>, Option<SafetensorsFacts>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.safetensors");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        (
            ctx.findings.iter().map(|f| f.message.clone()).collect(),
            ctx.facts.safetensors,
        )
    }

    #[test]
    fn accepts_valid_header_and_extracts_facts() {
        let h = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}"#;
        let (msgs, facts) = run(&file(h, 24));
        assert!(msgs.is_empty(), "{msgs:?}");
        let f = facts.unwrap();
        assert_eq!(f.tensor_count, 2);
        assert_eq!(f.parameter_count, 5);
        assert_eq!(f.dtypes["F32"], 1);
        assert_eq!(f.metadata["format"], "pt");
    }

    #[test]
    fn rejects_header_longer_than_file() {
        let mut v = 1000u64.to_le_bytes().to_vec();
        v.extend_from_slice(b"{}");
        let (msgs, _) = run(&v);
        assert!(msgs[0].contains("runs past the end"), "{msgs:?}");
    }

    #[test]
    fn rejects_header_over_limit() {
        let v = (200_000_000u64).to_le_bytes().to_vec();
        let (msgs, _) = run(&v);
        assert!(msgs[0].contains("exceeds the limit"), "{msgs:?}");
    }

    #[test]
    fn rejects_duplicate_keys() {
        let h = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        let (msgs, _) = run(&file(h, 4));
        assert!(msgs[0].contains("duplicate key"), "{msgs:?}");
    }

    #[test]
    fn rejects_overlapping_and_gapped_offsets() {
        let overlap = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
        assert!(!run(&file(overlap, 12)).0.is_empty());
        let gap = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#;
        assert!(!run(&file(gap, 12)).0.is_empty());
    }

    #[test]
    fn rejects_shape_size_mismatch_unknown_dtype_and_non_string_metadata() {
        for h in [
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            r#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#,
            r#"{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
        ] {
            assert!(!run(&file(h, 8)).0.is_empty(), "{h}");
        }
    }

    #[test]
    fn rejects_uncovered_trailing_bytes_and_out_of_bounds_offsets() {
        let h = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        assert!(run(&file(h, 8)).0[0].contains("not covered"));
        let h = r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
        assert!(run(&file(h, 4)).0[0].contains("past the end"));
    }

    #[test]
    fn rejects_non_utf8_and_non_object_headers() {
        let mut v = 4u64.to_le_bytes().to_vec();
        v.extend_from_slice(b"{\xff\xfe}");
        assert!(run(&v).0[0].contains("UTF-8"));
        assert!(!run(&file("[1]", 0)).0.is_empty());
        assert!(run(b"\x01\x02").0[0].contains("shorter"));
    }
}
