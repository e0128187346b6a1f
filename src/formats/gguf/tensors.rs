//! The tensor table, and the data section laid out as ggml's loader requires.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::types::{TypeLookup, ggml_type};
use super::{MAX_TENSOR_NAME, Parser, Result, bad, bad_with};
use std::collections::HashSet;

pub(super) struct TensorInfo {
    name: String,
    /// Where its entry starts in the tensor table.
    at: u64,
    offset: u64,
    nbytes: u64,
}

impl Parser<'_> {
    /// One tensor info entry.
    pub(super) fn tensor_info(
        &mut self,
        i: u64,
        names: &mut HashSet<String>,
    ) -> Result<TensorInfo> {
        let at = self.r.pos;
        let len = self.r.u64(&format_args!("the name length of tensor {i}"))?;
        if len > MAX_TENSOR_NAME {
            return Err(bad_with(
                at,
                format!(
                    "the name of tensor {i} is {len} bytes; ggml allows at most {MAX_TENSOR_NAME}"
                ),
                format!("<= {MAX_TENSOR_NAME}"),
                len,
            ));
        }
        let raw = self.r.bytes(len, &format_args!("the name of tensor {i}"))?;
        let name = String::from_utf8(raw).map_err(|e| {
            bad(
                at,
                format!(
                    "the name of tensor {i} ({:?}) is not valid UTF-8",
                    String::from_utf8_lossy(e.as_bytes())
                ),
            )
        })?;
        if !names.insert(name.clone()) {
            return Err(bad(
                at,
                format!("tensor name {name:?} appears twice (llama.cpp refuses the file)"),
            ));
        }
        let dims_at = self.r.pos;
        let n_dims = self
            .r
            .u32(&format_args!("the dimension count of tensor {name:?}"))?;
        let max_dims = self.limits.max_gguf_dims;
        if n_dims > max_dims {
            return Err(bad_with(
                dims_at,
                format!("tensor {name:?} has {n_dims} dimensions; at most {max_dims} are allowed"),
                format!("<= {max_dims}"),
                n_dims,
            ));
        }
        let mut dims = Vec::new();
        for j in 0..n_dims {
            let d_at = self.r.pos;
            let d = self
                .r
                .u64(&format_args!("dimension {j} of tensor {name:?}"))?;
            if i64::try_from(d).is_err() {
                return Err(bad_with(
                    d_at,
                    format!("dimension {j} of tensor {name:?} is {d}, negative as ggml's int64"),
                    format!("<= {}", i64::MAX),
                    d,
                ));
            }
            dims.push(d);
        }
        let elements = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&n| i64::try_from(n).is_ok())
            .ok_or_else(|| {
                bad(
                    dims_at,
                    format!("tensor {name:?} of shape {dims:?} has 2^63 elements or more"),
                )
            })?;
        let type_at = self.r.pos;
        let raw_type = self.r.u32(&format_args!("the type of tensor {name:?}"))?;
        let t = match ggml_type(raw_type) {
            TypeLookup::Known(t) => t,
            TypeLookup::Removed(old) => {
                return Err(bad_with(
                    type_at,
                    format!(
                        "tensor {name:?} has ggml type {raw_type} ({old}), which ggml has removed"
                    ),
                    "a current ggml type",
                    raw_type,
                ));
            }
            TypeLookup::Unknown => {
                return Err(bad_with(
                    type_at,
                    format!("tensor {name:?} has unknown ggml type {raw_type}"),
                    "a ggml type id",
                    raw_type,
                ));
            }
        };
        let row = dims.first().copied().unwrap_or(1);
        if row.checked_rem(t.block) != Some(0) {
            return Err(bad_with(
                type_at,
                format!(
                    "tensor {name:?} of type {} has {row} elements per row, not a multiple of \
                     its block size {}",
                    t.name, t.block
                ),
                format!("a multiple of {}", t.block),
                row,
            ));
        }
        let nbytes = row
            .checked_div(t.block)
            .and_then(|blocks| blocks.checked_mul(t.size))
            .and_then(|b| {
                dims.iter()
                    .skip(1)
                    .try_fold(b, |acc, &d| acc.checked_mul(d))
            })
            .ok_or_else(|| {
                bad(
                    dims_at,
                    format!(
                        "the byte size of tensor {name:?} ({} of shape {dims:?}) overflows 64 bits",
                        t.name
                    ),
                )
            })?;
        let offset = self
            .r
            .u64(&format_args!("the data offset of tensor {name:?}"))?;
        let f = self.facts();
        f.parameter_count = f.parameter_count.saturating_add(elements);
        let n = f.tensor_types.entry(t.name.to_owned()).or_default();
        *n = n.saturating_add(1);
        Ok(TensorInfo {
            name,
            at,
            offset,
            nbytes,
        })
    }

    /// The data section starts at the next multiple of the alignment; every tensor must lie
    /// inside it, aligned, in table order with each tensor padded to the alignment.
    pub(super) fn check_data(&self, tensors: &[TensorInfo]) -> Result<()> {
        if tensors.is_empty() {
            return Ok(());
        }
        let len = self.r.len;
        let a = self.alignment;
        let start = align(self.r.pos, a).filter(|&s| s <= len).ok_or_else(|| {
            bad(
                self.r.pos,
                format!(
                    "the data section would start at the next multiple of {a} after offset {}, \
                     past the end of the {len}-byte file",
                    self.r.pos
                ),
            )
        })?;
        let data_len = len.saturating_sub(start);
        let outside: Vec<&TensorInfo> = tensors
            .iter()
            .filter(|t| t.offset.checked_add(t.nbytes).is_none_or(|e| e > data_len))
            .collect();
        if let Some(t) = outside.first() {
            let more = match outside.len() {
                1 => String::new(),
                n => format!(" ({} more tensors are outside too)", n.saturating_sub(1)),
            };
            return Err(bad_with(
                t.at,
                format!(
                    "tensor {:?} occupies data bytes [{}, {}+{}) but the data section at offset \
                     {start} has {data_len} bytes{more}",
                    t.name, t.offset, t.offset, t.nbytes
                ),
                format!("end <= {data_len}"),
                t.offset
                    .checked_add(t.nbytes)
                    .map_or_else(|| "overflow".to_owned(), |e| e.to_string()),
            ));
        }
        let mut expected = 0u64;
        for t in tensors {
            if t.offset.checked_rem(a) != Some(0) {
                return Err(bad_with(
                    t.at,
                    format!(
                        "tensor {:?} starts at data offset {}, not a multiple of the alignment {a}",
                        t.name, t.offset
                    ),
                    format!("a multiple of {a}"),
                    t.offset,
                ));
            }
            if t.offset != expected {
                return Err(bad_with(
                    t.at,
                    format!(
                        "tensor {:?} starts at data offset {} but ggml expects {expected}: \
                         tensors follow one another in table order, each padded to {a} bytes",
                        t.name, t.offset
                    ),
                    expected,
                    t.offset,
                ));
            }
            // In bounds (checked above), so the padded end cannot overflow.
            expected = align(t.offset.saturating_add(t.nbytes), a).unwrap_or(u64::MAX);
        }
        Ok(())
    }
}

/// `n` rounded up to a multiple of `a` (a power of two).
fn align(n: u64, a: u64) -> Option<u64> {
    let mask = a.checked_sub(1)?;
    n.checked_add(mask).map(|v| v & !mask)
}
