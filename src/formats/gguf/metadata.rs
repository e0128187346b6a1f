//! The metadata key-value pairs: each value read or skipped within the limits, and what the
//! facts and the chat-template check need kept.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::types::{ValueType, file_type_name};
use super::{
    Bad, GgufBaseModel, MAX_FACT_STRING, MAX_KEY, Parser, Result, TEMPLATE_KEY, bad, bad_with,
};
use crate::digest::Sha256;
use crate::finding::Evidence;
use std::fmt::Display;

/// What the parser keeps of a metadata value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Nothing,
    /// A string for the facts (a prefix of a long one).
    Text,
    /// A whole string: a chat template.
    Template,
    /// An integer of any width.
    Int,
}

/// A kept value.
enum Value {
    Skipped,
    Text(String),
    Bytes(Vec<u8>),
    Int(i128),
}

pub(super) struct Template {
    pub(super) origin: String,
    pub(super) offset: u64,
    pub(super) text: String,
}

impl Parser<'_> {
    /// One metadata pair.
    pub(super) fn kv(&mut self, i: u64) -> Result<()> {
        let key_at = self.r.pos;
        let len = self
            .r
            .u64(&format_args!("the key length of metadata pair {i}"))?;
        let max = MAX_KEY.min(self.limits.max_gguf_string);
        if len > max {
            return Err(bad_with(
                key_at,
                format!("the key of metadata pair {i} is {len} bytes, over the limit of {max}"),
                format!("<= {max}"),
                len,
            ));
        }
        let raw = self
            .r
            .bytes(len, &format_args!("the key of metadata pair {i}"))?;
        let key = String::from_utf8(raw).map_err(|e| {
            bad(
                key_at,
                format!(
                    "the key of metadata pair {i} ({:?}) is not valid UTF-8",
                    String::from_utf8_lossy(e.as_bytes())
                ),
            )
        })?;
        if !self.keys.insert(key.clone()) {
            return Err(bad(
                key_at,
                format!(
                    "metadata key {key:?} appears twice (llama.cpp refuses the file; other \
                     readers keep either value)"
                ),
            ));
        }
        let type_at = self.r.pos;
        let raw_type = self.r.u32(&format_args!("the value type of {key:?}"))?;
        let ty = ValueType::from_u32(raw_type).ok_or_else(|| {
            bad_with(
                type_at,
                format!("metadata {key:?} has unknown value type {raw_type}"),
                "0..=12",
                raw_type,
            )
        })?;
        let value_at = self.r.pos;
        let value = self.value(ty, &key, wanted(&key))?;
        self.record(&key, ty, value, value_at)
    }

    /// Reads (or skips) one value of type `ty`.
    fn value(&mut self, ty: ValueType, key: &str, want: Want) -> Result<Value> {
        let what = format_args!("the value of {key:?}");
        match ty {
            ValueType::Str => {
                let len = self.string_len(&what)?;
                match want {
                    Want::Template => Ok(Value::Bytes(self.r.bytes(len, &what)?)),
                    Want::Text => {
                        let keep = len.min(MAX_FACT_STRING);
                        let b = self.r.bytes(keep, &what)?;
                        self.r.skip(len.saturating_sub(keep), &what)?;
                        Ok(Value::Text(String::from_utf8_lossy(&b).into_owned()))
                    }
                    _ => {
                        self.r.skip(len, &what)?;
                        Ok(Value::Skipped)
                    }
                }
            }
            ValueType::Array => {
                self.skip_array(key, 1)?;
                Ok(Value::Skipped)
            }
            _ if want == Want::Int => {
                let int = |b: &[u8]| -> i128 {
                    let mut le = [0u8; 8];
                    for (d, s) in le.iter_mut().zip(b) {
                        *d = *s;
                    }
                    match ty {
                        ValueType::I8 => i128::from(b.first().copied().unwrap_or(0) as i8),
                        ValueType::I16 => i128::from(i16::from_le_bytes([le[0], le[1]])),
                        ValueType::I32 => {
                            i128::from(i32::from_le_bytes([le[0], le[1], le[2], le[3]]))
                        }
                        ValueType::I64 => i128::from(i64::from_le_bytes(le)),
                        _ => i128::from(u64::from_le_bytes(le)),
                    }
                };
                let size = ty.fixed_size().unwrap_or(0);
                let b = self.r.bytes(size, &what)?;
                Ok(match ty {
                    ValueType::F32 | ValueType::F64 | ValueType::Bool => Value::Skipped,
                    _ => Value::Int(int(&b)),
                })
            }
            _ => {
                self.r.skip(ty.fixed_size().unwrap_or(0), &what)?;
                Ok(Value::Skipped)
            }
        }
    }

    /// Reads a string length and proves the string is within the limit and the file.
    fn string_len(&mut self, what: &dyn Display) -> Result<u64> {
        let at = self.r.pos;
        let len = self.r.u64(&format_args!("the length of {what}"))?;
        let max = self.limits.max_gguf_string;
        if len > max {
            return Err(bad_with(
                at,
                format!("{what} is a string of {len} bytes, over the limit of {max}"),
                format!("<= {max}"),
                len,
            ));
        }
        if len > self.r.remaining() {
            return Err(bad_with(
                at,
                format!(
                    "{what} declares a string of {len} bytes at offset {}, past the end of the \
                     file ({} bytes left)",
                    self.r.pos,
                    self.r.remaining()
                ),
                format!("<= {}", self.r.remaining()),
                len,
            ));
        }
        Ok(len)
    }

    /// Skips an array value (element type, count, elements), nested `depth` levels deep.
    fn skip_array(&mut self, key: &str, depth: u32) -> Result<()> {
        let at = self.r.pos;
        let max_depth = self.limits.max_gguf_array_depth;
        if depth > max_depth {
            return Err(bad_with(
                at,
                format!("arrays in {key:?} are nested more than {max_depth} levels deep"),
                format!("<= {max_depth}"),
                depth,
            ));
        }
        let raw = self
            .r
            .u32(&format_args!("the element type of an array in {key:?}"))?;
        let ty = ValueType::from_u32(raw).ok_or_else(|| {
            bad_with(
                at,
                format!("an array in {key:?} has unknown element type {raw}"),
                "0..=12",
                raw,
            )
        })?;
        let count_at = self.r.pos;
        let count = self
            .r
            .u64(&format_args!("the length of an array in {key:?}"))?;
        let max = self.limits.max_gguf_array;
        if count > max {
            return Err(bad_with(
                count_at,
                format!("an array in {key:?} declares {count} elements, over the limit of {max}"),
                format!("<= {max}"),
                count,
            ));
        }
        // Every element takes at least its smallest encoding: prove the count fits the file
        // before looping over it.
        let min = count.checked_mul(ty.min_size());
        if min.is_none_or(|m| m > self.r.remaining()) {
            return Err(bad_with(
                count_at,
                format!(
                    "an array in {key:?} declares {count} {ty} elements, which need at least {} \
                     bytes, past the end of the file ({} bytes left)",
                    min.map_or_else(|| "2^64".to_owned(), |m| m.to_string()),
                    self.r.remaining()
                ),
                format!("<= {}", self.r.remaining()),
                min.map_or_else(|| "overflow".to_owned(), |m| m.to_string()),
            ));
        }
        match ty {
            ValueType::Str => {
                for j in 0..count {
                    let what = format_args!("element {j} of {key:?}");
                    let len = self.string_len(&what)?;
                    self.r.skip(len, &what)?;
                }
            }
            ValueType::Array => {
                for _ in 0..count {
                    self.skip_array(key, depth.saturating_add(1))?;
                }
            }
            fixed => {
                let n = count.saturating_mul(fixed.fixed_size().unwrap_or(1));
                self.r.skip(n, &format_args!("the elements of {key:?}"))?;
            }
        }
        Ok(())
    }

    /// Keeps what the facts and the template check need from one value.
    fn record(&mut self, key: &str, ty: ValueType, value: Value, at: u64) -> Result<()> {
        let text = |v: Value| match v {
            Value::Text(s) => Some(s),
            _ => None,
        };
        let uint = |v: &Value| match v {
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        };
        match key {
            "general.alignment" => {
                // ggml reads it with gguf_get_val_u32, which aborts on any other type.
                if ty != ValueType::U32 {
                    return Err(bad_with(
                        at,
                        format!("general.alignment is a {ty}; ggml requires a uint32"),
                        "uint32",
                        ty,
                    ));
                }
                let a = uint(&value).unwrap_or(0);
                if !a.is_power_of_two() {
                    return Err(bad_with(
                        at,
                        format!("general.alignment {a} is not a power of two"),
                        "a power of two",
                        a,
                    ));
                }
                self.alignment = a;
            }
            "general.architecture" => self.facts().architecture = text(value),
            "general.name" => self.facts().name = text(value),
            "general.basename" => self.facts().basename = text(value),
            "general.license" => self.facts().license = text(value),
            "general.size_label" => self.facts().size_label = text(value),
            "general.file_type" => {
                let v = uint(&value);
                let f = self.facts();
                f.file_type = v;
                f.file_type_name = v.and_then(file_type_name).map(str::to_owned);
            }
            "general.quantization_version" => self.facts().quantization_version = uint(&value),
            "general.base_model.count" => self.facts().base_model_count = uint(&value),
            _ => {
                if let Some((index, field)) = base_model_field(key) {
                    let entry = self.base_models.entry(index).or_insert(GgufBaseModel {
                        index,
                        ..GgufBaseModel::default()
                    });
                    let v = text(value);
                    match field {
                        "name" => entry.name = v,
                        "organization" => entry.organization = v,
                        _ => entry.repo_url = v,
                    }
                } else if let Value::Bytes(b) = value {
                    self.template(key, b, at);
                } else if let Some(arch) = key.strip_suffix(".context_length")
                    && let Some(n) = uint(&value)
                {
                    self.context_lengths.insert(arch.to_owned(), n);
                }
            }
        }
        Ok(())
    }

    /// Keeps a chat template for the check and its digest for the facts. `at` is the offset of
    /// its length field; the text starts 8 bytes later.
    fn template(&mut self, key: &str, bytes: Vec<u8>, at: u64) {
        let digest = Sha256::of(&bytes).to_hex();
        let offset = at.saturating_add(8);
        match key
            .strip_prefix(TEMPLATE_KEY)
            .and_then(|r| r.strip_prefix('.'))
        {
            Some(name) => {
                self.facts()
                    .named_chat_templates
                    .insert(name.to_owned(), digest);
            }
            None => self.facts().chat_template_sha256 = Some(digest),
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                self.warnings.push(Bad {
                    offset,
                    msg: format!("{key} is not valid UTF-8 (checked with replacement characters)"),
                    evidence: Evidence::default(),
                });
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        self.templates.push(Template {
            origin: key.to_owned(),
            offset,
            text,
        });
    }
}

/// What to keep of the value under `key`.
fn wanted(key: &str) -> Want {
    match key {
        "general.architecture"
        | "general.name"
        | "general.basename"
        | "general.license"
        | "general.size_label" => Want::Text,
        "general.alignment"
        | "general.file_type"
        | "general.quantization_version"
        | "general.base_model.count" => Want::Int,
        TEMPLATE_KEY => Want::Template,
        _ if key
            .strip_prefix(TEMPLATE_KEY)
            .is_some_and(|r| r.starts_with('.')) =>
        {
            Want::Template
        }
        _ if base_model_field(key).is_some() => Want::Text,
        _ if key.ends_with(".context_length") => Want::Int,
        _ => Want::Nothing,
    }
}

/// `general.base_model.{index}.{name|organization|repo_url}` -> (index, field).
fn base_model_field(key: &str) -> Option<(u32, &str)> {
    let rest = key.strip_prefix("general.base_model.")?;
    let (index, field) = rest.split_once('.')?;
    let index = index.parse().ok()?;
    matches!(field, "name" | "organization" | "repo_url").then_some((index, field))
}
