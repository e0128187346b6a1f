//! GGUF (llama.cpp / ggml model files): header, metadata and tensor table, validated without
//! reading the tensor data; chat templates found in the metadata go to [`template`].
//!
//! Layout, little-endian (<https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>):
//!
//! ```text
//! "GGUF"  u32 version  u64 tensor_count  u64 metadata_kv_count
//! metadata_kv_count x { string key, u32 value_type, value }
//! tensor_count x { string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset }
//! padding to `general.alignment` (default 32), then the data section
//! string = u64 length + UTF-8 bytes; array = u32 element type + u64 count + elements
//! ```
//!
//! Versions 2 and 3 share this layout (3 added big-endian files, which are not parsed here);
//! version 1 had 32-bit counts and lengths and is no longer loaded by llama.cpp.
//!
//! Every declared count and length is checked against [`Limits`] and against the bytes left in
//! the file before anything is allocated or skipped, so a header declaring 2^60 tensors costs
//! nothing. Arrays (tokenizer vocabularies of 100k+ strings) are skipped, never stored. Beyond
//! the spec, the checks follow what ggml's loader (`gguf_init_from_file_impl` in
//! `ggml/src/gguf.cpp`) refuses, since a file it refuses is not the model it claims to be:
//! duplicate keys and tensor names, tensor names of 64 bytes or more, more than
//! `GGML_MAX_DIMS` dimensions, rows that are not whole quantization blocks, a
//! `general.alignment` that is not a power-of-two u32, and tensor data that is not laid out
//! in table order, each tensor padded to the alignment. Tensor byte sizes use ggml's block
//! sizes (`ggml/src/ggml.c` `type_traits`, `ggml-common.h` block structs).
//!
//! Parsing stops at the first malformation (one `gguf-malformed` finding naming the field and
//! its offset); the facts read up to there are kept and the templates read are still checked.
//!
//! [`Limits`]: crate::limits::Limits
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod metadata;
mod reader;
mod tensors;
#[cfg(test)]
mod tests;
mod types;

use super::{Ctx, template};
use crate::finding::{Code, Evidence};
use crate::limits::Limits;
use crate::source::Source;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Display;
use std::io;

use metadata::Template;
use reader::Reader;

const MAGIC: &[u8; 4] = b"GGUF";
/// `GGUF_DEFAULT_ALIGNMENT`.
const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml's `GGML_MAX_NAME` is 64 including the terminating NUL.
const MAX_TENSOR_NAME: u64 = 63;
/// The spec caps keys at 65535 bytes.
const MAX_KEY: u64 = 65_535;
/// The smallest encodings of a metadata pair (empty key, u8 value) and of a tensor info (empty
/// name, no dimensions): declared counts times these must fit in the bytes left.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;
/// Smallest encodings of a string and of an array (element type and count).
const MIN_STRING_BYTES: u64 = 8;
const MIN_ARRAY_BYTES: u64 = 4 + 8;
/// Longest metadata string kept in the facts (names, licences, URLs); longer ones keep a prefix.
const MAX_FACT_STRING: u64 = 1024;
const TEMPLATE_KEY: &str = "tokenizer.chat_template";

/// What a GGUF header says (for the report and the AIBOM). Fields are filled as far as the
/// file could be parsed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GgufFacts {
    pub version: u32,
    pub tensor_count: u64,
    pub kv_count: u64,
    /// `general.architecture` (`llama`, `qwen2`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// `general.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `general.basename`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basename: Option<String>,
    /// `general.license` (an SPDX id or free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `general.size_label` (`8B`, `8x7B`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_label: Option<String>,
    /// `general.file_type` (llama.cpp's `llama_ftype`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<u64>,
    /// The llama.cpp name of `file_type` (`MOSTLY_Q4_K_M`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type_name: Option<String>,
    /// `general.quantization_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantization_version: Option<u64>,
    /// `<architecture>.context_length`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// `general.base_model.count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model_count: Option<u64>,
    /// `general.base_model.{i}.*`, by index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub base_models: Vec<GgufBaseModel>,
    /// Sum of the elements of all tensors read.
    #[serde(skip_serializing_if = "is_zero")]
    pub parameter_count: u64,
    /// Tensors per ggml type (`F32`, `Q4_K`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tensor_types: BTreeMap<String, u64>,
    /// SHA-256 of the bytes of `tokenizer.chat_template`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_template_sha256: Option<String>,
    /// Named templates (`tokenizer.chat_template.<name>`): name -> SHA-256 of their bytes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub named_chat_templates: BTreeMap<String, String>,
}

impl crate::formats::FormatFacts for GgufFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        let pairs = [
            ("aibom:gguf:version", Some(self.version.to_string())),
            ("aibom:gguf:architecture", self.architecture.clone()),
            ("aibom:gguf:name", self.name.clone()),
            ("aibom:gguf:license", self.license.clone()),
            ("aibom:gguf:file-type", self.file_type_name.clone()),
            ("aibom:gguf:size-label", self.size_label.clone()),
            (
                "aibom:gguf:context-length",
                self.context_length.map(|c| c.to_string()),
            ),
            (
                "aibom:gguf:tensor-count",
                Some(self.tensor_count.to_string()),
            ),
            (
                "aibom:gguf:parameter-count",
                Some(self.parameter_count.to_string()),
            ),
            (
                "aibom:gguf:chat-template-sha256",
                self.chat_template_sha256.clone(),
            ),
        ];
        out.extend(pairs.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One `general.base_model.{index}.*` entry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GgufBaseModel {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo_url: Option<String>,
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let mut p = Parser {
        r: Reader::new(src),
        limits: ctx.limits,
        facts: None,
        templates: Vec::new(),
        warnings: Vec::new(),
        keys: HashSet::new(),
        context_lengths: BTreeMap::new(),
        base_models: BTreeMap::new(),
        alignment: DEFAULT_ALIGNMENT,
    };
    let outcome = p.run();
    let Parser {
        mut facts,
        templates,
        warnings,
        context_lengths,
        base_models,
        ..
    } = p;
    if let Some(f) = facts.as_mut() {
        f.context_length = f
            .architecture
            .as_ref()
            .and_then(|a| context_lengths.get(a).copied());
        f.base_models = base_models.into_values().collect();
    }
    ctx.facts.gguf = facts;
    for w in warnings {
        malformed(ctx, w);
    }
    let io_error = match outcome {
        Ok(()) => None,
        Err(Stop::Bad(b)) => {
            malformed(ctx, *b);
            None
        }
        Err(Stop::Io(e)) => Some(e),
    };
    // Templates read before a malformation (or a read error) are checked all the same: they are
    // what a lenient loader would render.
    for t in templates {
        template::check_template(&t.text, &t.origin, Some(t.offset), ctx);
    }
    io_error.map_or(Ok(()), Err)
}

fn malformed(ctx: &mut Ctx, b: Bad) {
    ctx.report_with(
        Code::GgufMalformed,
        Code::GgufMalformed.default_severity(),
        Some(b.offset),
        b.msg,
        b.evidence,
    );
}

/// Why parsing stopped: the file could not be read, or its bytes are malformed.
enum Stop {
    Io(io::Error),
    Bad(Box<Bad>),
}

/// A malformation: where, what, and the expected/actual values when there are some.
struct Bad {
    offset: u64,
    msg: String,
    evidence: Evidence,
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

fn bad(offset: u64, msg: String) -> Stop {
    Stop::Bad(Box::new(Bad {
        offset,
        msg,
        evidence: Evidence::default(),
    }))
}

fn bad_with(offset: u64, msg: String, expected: impl Display, actual: impl Display) -> Stop {
    Stop::Bad(Box::new(Bad {
        offset,
        msg,
        evidence: Evidence::mismatch(expected.to_string(), actual.to_string()),
    }))
}

type Result<T> = std::result::Result<T, Stop>;

struct Parser<'a> {
    r: Reader<'a>,
    limits: &'a Limits,
    facts: Option<GgufFacts>,
    templates: Vec<Template>,
    /// Malformations that do not stop the parse (a template that is not UTF-8).
    warnings: Vec<Bad>,
    keys: HashSet<String>,
    /// `<arch>.context_length` values, resolved once the architecture is known.
    context_lengths: BTreeMap<String, u64>,
    base_models: BTreeMap<u32, GgufBaseModel>,
    alignment: u64,
}

impl Parser<'_> {
    fn facts(&mut self) -> &mut GgufFacts {
        self.facts.get_or_insert_with(GgufFacts::default)
    }

    fn run(&mut self) -> Result<()> {
        if self.r.len < 4 || self.r.array::<4>(&"the magic")? != *MAGIC {
            return Err(bad(0, "the file does not start with the GGUF magic".into()));
        }
        let version = self.r.u32(&"the version")?;
        match version {
            2 | 3 => {}
            1 => {
                return Err(bad_with(
                    4,
                    "GGUF version 1 is obsolete (32-bit counts and lengths) and no longer \
                     loaded by llama.cpp; not inspected"
                        .into(),
                    "2 or 3",
                    1,
                ));
            }
            v if v != 0 && v & 0xFFFF == 0 => {
                return Err(bad_with(
                    4,
                    format!(
                        "version {v:#010x} reads as a byte-swapped small number: a big-endian \
                         GGUF, which is not parsed"
                    ),
                    "2 or 3",
                    v,
                ));
            }
            v => {
                return Err(bad_with(
                    4,
                    format!("unsupported GGUF version {v}"),
                    "2 or 3",
                    v,
                ));
            }
        }
        let tensor_count = self.r.u64(&"the tensor count")?;
        let kv_count = self.r.u64(&"the metadata pair count")?;
        *self.facts() = GgufFacts {
            version,
            tensor_count,
            kv_count,
            ..GgufFacts::default()
        };
        self.check_counts(kv_count, tensor_count)?;
        for i in 0..kv_count {
            self.kv(i)?;
        }
        // Now that the metadata is read, the tensor table alone must fit in what is left.
        self.check_counts(0, tensor_count)?;
        let mut tensors = Vec::new();
        let mut names = HashSet::new();
        for i in 0..tensor_count {
            tensors.push(self.tensor_info(i, &mut names)?);
        }
        self.check_data(&tensors)
    }

    /// Declared counts against the limits and against the smallest bytes they need.
    fn check_counts(&self, kv_count: u64, tensor_count: u64) -> Result<()> {
        let (max_kv, max_t) = (self.limits.max_gguf_kv, self.limits.max_gguf_tensors);
        if kv_count > max_kv {
            return Err(bad_with(
                16,
                format!(
                    "the header declares {kv_count} metadata pairs, over the limit of {max_kv}"
                ),
                format!("<= {max_kv}"),
                kv_count,
            ));
        }
        if tensor_count > max_t {
            return Err(bad_with(
                8,
                format!("the header declares {tensor_count} tensors, over the limit of {max_t}"),
                format!("<= {max_t}"),
                tensor_count,
            ));
        }
        let min = kv_count
            .checked_mul(MIN_KV_BYTES)
            .zip(tensor_count.checked_mul(MIN_TENSOR_INFO_BYTES))
            .and_then(|(a, b)| a.checked_add(b));
        let left = self.r.remaining();
        if min.is_none_or(|m| m > left) {
            let what = if kv_count == 0 {
                format!("{tensor_count} tensor infos")
            } else {
                format!("{kv_count} metadata pairs and {tensor_count} tensor infos")
            };
            return Err(bad_with(
                self.r.pos,
                format!(
                    "{what} need at least {} bytes from offset {}, but only {left} are left",
                    min.map_or_else(|| "2^64".to_owned(), |m| m.to_string()),
                    self.r.pos
                ),
                format!("<= {left}"),
                min.map_or_else(|| "overflow".to_owned(), |m| m.to_string()),
            ));
        }
        Ok(())
    }
}
