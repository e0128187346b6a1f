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

use super::{Ctx, template};
use crate::digest::Sha256;
use crate::finding::{Code, Evidence};
use crate::limits::Limits;
use crate::source::Source;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Display};
use std::io;

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

const READ_BUF: usize = 64 << 10;

/// Sequential reads with explicit bounds: every read first proves that its bytes are in the
/// file ([`Reader::need`]), so truncation is a precise finding rather than an I/O error.
struct Reader<'a> {
    src: &'a dyn Source,
    len: u64,
    /// Invariant: `pos <= len`.
    pos: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_at: u64,
}

impl<'a> Reader<'a> {
    fn new(src: &'a dyn Source) -> Self {
        Reader {
            src,
            len: src.len(),
            pos: 0,
            buf: Vec::new(),
            buf_at: 0,
        }
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Fails unless `n` more bytes are in the file; `what` names the field for the message.
    fn need(&self, n: u64, what: &dyn Display) -> Result<()> {
        if n > self.remaining() {
            return Err(bad_with(
                self.pos,
                format!(
                    "the file ends inside {what}: {n} bytes needed at offset {}, {} left",
                    self.pos,
                    self.remaining()
                ),
                n,
                self.remaining(),
            ));
        }
        Ok(())
    }

    /// Fills `out` from the current position; the caller has checked [`Reader::need`].
    fn fill(&mut self, out: &mut [u8]) -> io::Result<()> {
        if out.len() >= READ_BUF {
            self.src.read_exact_at(self.pos, out)?;
            self.pos = self.pos.saturating_add(out.len() as u64);
            return Ok(());
        }
        let mut done = 0usize;
        while let Some(rest) = out.get_mut(done..)
            && !rest.is_empty()
        {
            let from = self
                .pos
                .checked_sub(self.buf_at)
                .and_then(|d| usize::try_from(d).ok());
            let avail = from.and_then(|f| self.buf.get(f..)).unwrap_or(&[]);
            if avail.is_empty() {
                let n = self.remaining().min(READ_BUF as u64) as usize;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "read past the end of the source",
                    ));
                }
                self.buf.resize(n, 0);
                self.src.read_exact_at(self.pos, &mut self.buf)?;
                self.buf_at = self.pos;
                continue;
            }
            let n = avail.len().min(rest.len());
            if let (Some(dst), Some(src)) = (rest.get_mut(..n), avail.get(..n)) {
                dst.copy_from_slice(src);
            }
            done = done.saturating_add(n);
            self.pos = self.pos.saturating_add(n as u64);
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &dyn Display) -> Result<[u8; N]> {
        self.need(N as u64, what)?;
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    fn u32(&mut self, what: &dyn Display) -> Result<u32> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &dyn Display) -> Result<u64> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Reads `n` bytes (the caller bounds `n` by a limit first).
    fn bytes(&mut self, n: u64, what: &dyn Display) -> Result<Vec<u8>> {
        self.need(n, what)?;
        let n = usize::try_from(n).map_err(|_| {
            bad(
                self.pos,
                format!("{what} of {n} bytes does not fit in memory"),
            )
        })?;
        let mut v = vec![0u8; n];
        self.fill(&mut v)?;
        Ok(v)
    }

    fn skip(&mut self, n: u64, what: &dyn Display) -> Result<()> {
        self.need(n, what)?;
        self.pos = self.pos.saturating_add(n);
        Ok(())
    }
}

/// GGUF metadata value types (`gguf_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    Str,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    fn from_u32(v: u32) -> Option<Self> {
        use ValueType::*;
        Some(match v {
            0 => U8,
            1 => I8,
            2 => U16,
            3 => I16,
            4 => U32,
            5 => I32,
            6 => F32,
            7 => Bool,
            8 => Str,
            9 => Array,
            10 => U64,
            11 => I64,
            12 => F64,
            _ => return None,
        })
    }

    /// Encoded size of a fixed-size value; `None` for strings and arrays.
    fn fixed_size(self) -> Option<u64> {
        use ValueType::*;
        match self {
            U8 | I8 | Bool => Some(1),
            U16 | I16 => Some(2),
            U32 | I32 | F32 => Some(4),
            U64 | I64 | F64 => Some(8),
            Str | Array => None,
        }
    }

    /// Smallest encoding of one value, to bound a declared element count by the file size.
    fn min_size(self) -> u64 {
        match self {
            ValueType::Str => MIN_STRING_BYTES,
            ValueType::Array => MIN_ARRAY_BYTES,
            t => t.fixed_size().unwrap_or(1),
        }
    }

    fn name(self) -> &'static str {
        use ValueType::*;
        match self {
            U8 => "uint8",
            I8 => "int8",
            U16 => "uint16",
            I16 => "int16",
            U32 => "uint32",
            I32 => "int32",
            F32 => "float32",
            Bool => "bool",
            Str => "string",
            Array => "array",
            U64 => "uint64",
            I64 => "int64",
            F64 => "float64",
        }
    }
}

impl Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A ggml tensor type: name, elements per block, bytes per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GgmlType {
    name: &'static str,
    block: u64,
    size: u64,
}

enum TypeLookup {
    Known(GgmlType),
    /// An id ggml once had and has removed (its loader rejects it).
    Removed(&'static str),
    Unknown,
}

/// `enum ggml_type` with the block sizes of `ggml-common.h`.
fn ggml_type(id: u32) -> TypeLookup {
    let t = |name, block, size| TypeLookup::Known(GgmlType { name, block, size });
    match id {
        0 => t("F32", 1, 4),
        1 => t("F16", 1, 2),
        2 => t("Q4_0", 32, 18),
        3 => t("Q4_1", 32, 20),
        4 => TypeLookup::Removed("Q4_2"),
        5 => TypeLookup::Removed("Q4_3"),
        6 => t("Q5_0", 32, 22),
        7 => t("Q5_1", 32, 24),
        8 => t("Q8_0", 32, 34),
        9 => t("Q8_1", 32, 36),
        10 => t("Q2_K", 256, 84),
        11 => t("Q3_K", 256, 110),
        12 => t("Q4_K", 256, 144),
        13 => t("Q5_K", 256, 176),
        14 => t("Q6_K", 256, 210),
        15 => t("Q8_K", 256, 292),
        16 => t("IQ2_XXS", 256, 66),
        17 => t("IQ2_XS", 256, 74),
        18 => t("IQ3_XXS", 256, 98),
        19 => t("IQ1_S", 256, 50),
        20 => t("IQ4_NL", 32, 18),
        21 => t("IQ3_S", 256, 110),
        22 => t("IQ2_S", 256, 82),
        23 => t("IQ4_XS", 256, 136),
        24 => t("I8", 1, 1),
        25 => t("I16", 1, 2),
        26 => t("I32", 1, 4),
        27 => t("I64", 1, 8),
        28 => t("F64", 1, 8),
        29 => t("IQ1_M", 256, 56),
        30 => t("BF16", 1, 2),
        31 => TypeLookup::Removed("Q4_0_4_4"),
        32 => TypeLookup::Removed("Q4_0_4_8"),
        33 => TypeLookup::Removed("Q4_0_8_8"),
        34 => t("TQ1_0", 256, 54),
        35 => t("TQ2_0", 256, 66),
        36 => TypeLookup::Removed("IQ4_NL_4_4"),
        37 => TypeLookup::Removed("IQ4_NL_4_8"),
        38 => TypeLookup::Removed("IQ4_NL_8_8"),
        39 => t("MXFP4", 32, 17),
        40 => t("NVFP4", 64, 36),
        41 => t("Q1_0", 128, 18),
        _ => TypeLookup::Unknown,
    }
}

/// llama.cpp's `llama_ftype` names (`general.file_type`).
fn file_type_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "ALL_F32",
        1 => "MOSTLY_F16",
        2 => "MOSTLY_Q4_0",
        3 => "MOSTLY_Q4_1",
        4 => "MOSTLY_Q4_1_SOME_F16",
        5 => "MOSTLY_Q4_2",
        6 => "MOSTLY_Q4_3",
        7 => "MOSTLY_Q8_0",
        8 => "MOSTLY_Q5_0",
        9 => "MOSTLY_Q5_1",
        10 => "MOSTLY_Q2_K",
        11 => "MOSTLY_Q3_K_S",
        12 => "MOSTLY_Q3_K_M",
        13 => "MOSTLY_Q3_K_L",
        14 => "MOSTLY_Q4_K_S",
        15 => "MOSTLY_Q4_K_M",
        16 => "MOSTLY_Q5_K_S",
        17 => "MOSTLY_Q5_K_M",
        18 => "MOSTLY_Q6_K",
        19 => "MOSTLY_IQ2_XXS",
        20 => "MOSTLY_IQ2_XS",
        21 => "MOSTLY_Q2_K_S",
        22 => "MOSTLY_IQ3_XS",
        23 => "MOSTLY_IQ3_XXS",
        24 => "MOSTLY_IQ1_S",
        25 => "MOSTLY_IQ4_NL",
        26 => "MOSTLY_IQ3_S",
        27 => "MOSTLY_IQ3_M",
        28 => "MOSTLY_IQ2_S",
        29 => "MOSTLY_IQ2_M",
        30 => "MOSTLY_IQ4_XS",
        31 => "MOSTLY_IQ1_M",
        32 => "MOSTLY_BF16",
        33 => "MOSTLY_Q4_0_4_4",
        34 => "MOSTLY_Q4_0_4_8",
        35 => "MOSTLY_Q4_0_8_8",
        36 => "MOSTLY_TQ1_0",
        37 => "MOSTLY_TQ2_0",
        38 => "MOSTLY_MXFP4_MOE",
        39 => "MOSTLY_NVFP4",
        40 => "MOSTLY_Q1_0",
        1024 => "GUESSED",
        _ => return None,
    })
}

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

struct Template {
    origin: String,
    offset: u64,
    text: String,
}

struct TensorInfo {
    name: String,
    /// Where its entry starts in the tensor table.
    at: u64,
    offset: u64,
    nbytes: u64,
}

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

    /// One metadata pair.
    fn kv(&mut self, i: u64) -> Result<()> {
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

    /// One tensor info entry.
    fn tensor_info(&mut self, i: u64, names: &mut HashSet<String>) -> Result<TensorInfo> {
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
    fn check_data(&self, tensors: &[TensorInfo]) -> Result<()> {
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::policy::Policy;

    /// Builds GGUF bytes field by field.
    #[derive(Default, Clone)]
    struct G(Vec<u8>);

    impl G {
        fn header(version: u32, tensors: u64, kvs: u64) -> Self {
            G(Vec::new())
                .raw(b"GGUF")
                .u32(version)
                .u64(tensors)
                .u64(kvs)
        }
        fn raw(mut self, b: &[u8]) -> Self {
            self.0.extend_from_slice(b);
            self
        }
        fn u32(self, v: u32) -> Self {
            self.raw(&v.to_le_bytes())
        }
        fn u64(self, v: u64) -> Self {
            self.raw(&v.to_le_bytes())
        }
        fn str(self, s: &str) -> Self {
            self.u64(s.len() as u64).raw(s.as_bytes())
        }
        fn kv_str(self, k: &str, v: &str) -> Self {
            self.str(k).u32(8).str(v)
        }
        fn kv_u32(self, k: &str, v: u32) -> Self {
            self.str(k).u32(4).u32(v)
        }
        fn tensor(self, name: &str, dims: &[u64], ty: u32, offset: u64) -> Self {
            let mut g = self.str(name).u32(dims.len() as u32);
            for d in dims {
                g = g.u64(*d);
            }
            g.u32(ty).u64(offset)
        }
        /// Pads to the 32-byte alignment and appends `n` data bytes.
        fn data(mut self, n: usize) -> Self {
            while !self.0.len().is_multiple_of(32) {
                self.0.push(0);
            }
            self.0.extend(std::iter::repeat_n(0u8, n));
            self
        }
    }

    fn run_with(bytes: &[u8], limits: &Limits) -> (Vec<Finding>, Option<GgufFacts>) {
        run_in(bytes, limits, &Policy::new(&[], false).unwrap())
    }

    fn run_in(bytes: &[u8], limits: &Limits, policy: &Policy) -> (Vec<Finding>, Option<GgufFacts>) {
        let mut ctx = Ctx::new(limits, policy, "m.gguf");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        (ctx.findings, ctx.facts.gguf)
    }

    fn run(bytes: &[u8]) -> (Vec<Finding>, Option<GgufFacts>) {
        run_with(bytes, &Limits::default())
    }

    /// The single malformation message for `bytes`.
    fn malformed_msg(bytes: &[u8]) -> String {
        let (f, _) = run(bytes);
        let m: Vec<_> = f.iter().filter(|f| f.code == Code::GgufMalformed).collect();
        assert_eq!(m.len(), 1, "{f:#?}");
        m[0].message.clone()
    }

    fn valid() -> G {
        valid_table().data(32 + 144)
    }

    /// Everything of [`valid`] before the data padding.
    fn valid_table() -> G {
        G::header(3, 2, 6)
            .kv_str("general.architecture", "llama")
            .kv_str("general.name", "Tiny")
            .kv_u32("general.file_type", 15)
            .kv_u32("llama.context_length", 4096)
            .str("tokenizer.ggml.tokens")
            .u32(9)
            .u32(8)
            .u64(3)
            .str("a")
            .str("b")
            .str("c")
            .kv_str(
                "tokenizer.chat_template",
                "{% for m in messages %}{{ m['content'] }}{% endfor %}",
            )
            .tensor("a", &[4, 2], 0, 0)
            .tensor("b", &[256], 12, 32)
    }

    #[test]
    fn accepts_valid_file_and_extracts_facts() {
        let (f, facts) = run(&valid().0);
        assert!(f.is_empty(), "{f:#?}");
        let facts = facts.unwrap();
        assert_eq!(facts.version, 3);
        assert_eq!(facts.tensor_count, 2);
        assert_eq!(facts.kv_count, 6);
        assert_eq!(facts.architecture.as_deref(), Some("llama"));
        assert_eq!(facts.name.as_deref(), Some("Tiny"));
        assert_eq!(facts.file_type, Some(15));
        assert_eq!(facts.file_type_name.as_deref(), Some("MOSTLY_Q4_K_M"));
        assert_eq!(facts.context_length, Some(4096));
        assert_eq!(facts.parameter_count, 8 + 256);
        assert_eq!(facts.tensor_types["F32"], 1);
        assert_eq!(facts.tensor_types["Q4_K"], 1);
        assert_eq!(facts.chat_template_sha256.unwrap().len(), 64);
    }

    #[test]
    fn accepts_version_2_and_extracts_base_models() {
        let g = G::header(2, 0, 4)
            .u64(0) // an empty key is legal
            .u32(0)
            .raw(&[1])
            .str("general.base_model.count")
            .u32(4)
            .u32(1)
            .kv_str("general.base_model.0.name", "Llama 3")
            .kv_str("general.base_model.0.organization", "Meta");
        let (f, facts) = run(&g.0);
        assert!(f.is_empty(), "{f:#?}");
        let facts = facts.unwrap();
        assert_eq!(facts.base_model_count, Some(1));
        assert_eq!(facts.base_models[0].name.as_deref(), Some("Llama 3"));
        assert_eq!(facts.base_models[0].organization.as_deref(), Some("Meta"));
    }

    #[test]
    fn rejects_obsolete_zero_unknown_and_byte_swapped_versions() {
        assert!(malformed_msg(&G::header(1, 0, 0).0).contains("version 1 is obsolete"));
        assert!(malformed_msg(&G::header(0, 0, 0).0).contains("unsupported GGUF version 0"));
        assert!(malformed_msg(&G::header(4, 0, 0).0).contains("unsupported GGUF version 4"));
        assert!(malformed_msg(&G::header(3 << 24, 0, 0).0).contains("big-endian"));
    }

    #[test]
    fn rejects_wrong_magic() {
        assert!(malformed_msg(b"GGUX\x03\0\0\0").contains("magic"));
        assert!(malformed_msg(b"GG").contains("magic"));
    }

    #[test]
    fn reports_truncation_at_every_field() {
        let full = valid().0;
        let (limits, policy) = (Limits::default(), Policy::new(&[], false).unwrap());
        for cut in 4..valid_table().0.len() {
            let (f, _) = run_in(&full[..cut], &limits, &policy);
            let m: Vec<_> = f.iter().filter(|f| f.code == Code::GgufMalformed).collect();
            assert_eq!(m.len(), 1, "cut at {cut}: {f:#?}");
        }
    }

    #[test]
    fn never_panics_on_mutated_files() {
        let (limits, policy) = (Limits::default(), Policy::new(&[], false).unwrap());
        let base = valid().0;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut b = base.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % b.len();
                b[at] = match next() % 3 {
                    0 => next() as u8,
                    1 => 0xff,
                    _ => 0,
                };
            }
            let cut = b.len() - (next() as usize) % 16;
            run_in(&b[..cut], &limits, &policy);
        }
    }

    #[test]
    fn names_the_field_that_is_cut() {
        let name = "blk.0.attn_output.weight.and.then.some";
        let g = G::header(3, 1, 1).kv_u32("general.alignment", 32).str(name);
        let msg = malformed_msg(&g.raw(&[2, 0]).0);
        assert!(
            msg.contains(&format!("dimension count of tensor {name:?}")),
            "{msg}"
        );
        let msg = malformed_msg(&G::header(3, 0, 1).str("general.name").raw(&[8]).0);
        assert!(msg.contains("value type of \"general.name\""), "{msg}");
        let msg = malformed_msg(&G(Vec::new()).raw(b"GGUF").u32(3).u64(0).raw(&[0; 3]).0);
        assert!(msg.contains("metadata pair count"), "{msg}");
    }

    #[test]
    fn rejects_counts_over_the_limits_without_allocating() {
        let msg = malformed_msg(&G::header(3, 1 << 60, 0).0);
        assert!(msg.contains("tensors, over the limit"), "{msg}");
        let msg = malformed_msg(&G::header(3, 0, 1 << 60).0);
        assert!(msg.contains("metadata pairs, over the limit"), "{msg}");
        let limits = Limits {
            max_gguf_kv: u64::MAX,
            max_gguf_tensors: u64::MAX,
            ..Limits::default()
        };
        let (f, _) = run_with(&G::header(3, u64::MAX, u64::MAX).0, &limits);
        assert!(f[0].message.contains("need at least 2^64 bytes"), "{f:#?}");
    }

    #[test]
    fn rejects_counts_that_cannot_fit_in_the_file() {
        let msg = malformed_msg(&G::header(3, 1000, 2).0);
        assert!(msg.contains("need at least"), "{msg}");
        // After the metadata, the tensor table alone is checked again.
        let msg = malformed_msg(
            &G::header(3, 2, 1)
                .kv_str("general.name", &"x".repeat(60))
                .raw(&[0; 30])
                .0,
        );
        assert!(
            msg.contains("2 tensor infos need at least 48 bytes"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_strings_past_end_of_file_and_over_the_limit() {
        let msg = malformed_msg(&G::header(3, 0, 1).str("general.name").u32(8).u64(1000).0);
        assert!(msg.contains("past the end of the file"), "{msg}");
        let msg = malformed_msg(&G::header(3, 0, 1).u64(1 << 40).raw(&[0; 8]).0);
        assert!(
            msg.contains("key of metadata pair 0 is 1099511627776 bytes"),
            "{msg}"
        );
        let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(8).u64(1 << 40).0);
        assert!(msg.contains("over the limit"), "{msg}");
    }

    #[test]
    fn rejects_unknown_value_and_element_types() {
        let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(13).u64(0).0);
        assert!(msg.contains("unknown value type 13"), "{msg}");
        let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(99).u64(0).0);
        assert!(msg.contains("unknown element type 99"), "{msg}");
    }

    #[test]
    fn rejects_arrays_too_long_or_past_the_end() {
        let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(0).u64(1 << 40).0);
        assert!(msg.contains("over the limit"), "{msg}");
        let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(8).u64(1000).0);
        assert!(msg.contains("1000 string elements"), "{msg}");
        let msg = malformed_msg(
            &G::header(3, 0, 1)
                .str("k")
                .u32(9)
                .u32(8)
                .u64(2)
                .str("a")
                .u64(500)
                .raw(&[0; 8])
                .0,
        );
        assert!(msg.contains("element 1 of \"k\""), "{msg}");
    }

    #[test]
    fn rejects_arrays_nested_too_deep() {
        let mut g = G::header(3, 0, 1).str("k").u32(9);
        for _ in 0..3 {
            g = g.u32(9).u64(1);
        }
        let g = g.u32(0).u64(0);
        let msg = malformed_msg(&g.clone().0);
        assert!(msg.contains("nested more than 3 levels"), "{msg}");
        // Two levels are within the limit.
        let ok = G::header(3, 0, 1)
            .str("k")
            .u32(9)
            .u32(9)
            .u64(1)
            .u32(0)
            .u64(2)
            .raw(&[1, 2]);
        assert!(run(&ok.0).0.is_empty());
    }

    #[test]
    fn rejects_duplicate_keys_and_tensor_names() {
        let msg = malformed_msg(&G::header(3, 0, 2).kv_u32("a", 1).kv_u32("a", 2).0);
        assert!(msg.contains("\"a\" appears twice"), "{msg}");
        let g = G::header(3, 2, 0)
            .tensor("w", &[1], 0, 0)
            .tensor("w", &[1], 0, 32)
            .data(64);
        assert!(malformed_msg(&g.0).contains("tensor name \"w\" appears twice"));
    }

    #[test]
    fn rejects_bad_alignment() {
        let g = G::header(3, 0, 1).kv_u32("general.alignment", 24);
        assert!(malformed_msg(&g.0).contains("not a power of two"));
        let g = G::header(3, 0, 1).str("general.alignment").u32(10).u64(32);
        assert!(malformed_msg(&g.0).contains("requires a uint32"));
    }

    #[test]
    fn rejects_unknown_and_removed_ggml_types() {
        let g = G::header(3, 1, 0).tensor("w", &[32], 99, 0).data(64);
        assert!(malformed_msg(&g.0).contains("unknown ggml type 99"));
        let g = G::header(3, 1, 0).tensor("w", &[32], 4, 0).data(64);
        assert!(malformed_msg(&g.0).contains("(Q4_2), which ggml has removed"));
    }

    #[test]
    fn rejects_rows_that_are_not_whole_blocks() {
        let g = G::header(3, 1, 0).tensor("w", &[33], 2, 0).data(64);
        assert!(malformed_msg(&g.0).contains("not a multiple of its block size 32"));
    }

    #[test]
    fn rejects_too_many_dims_huge_dims_and_long_names() {
        let g = G::header(3, 1, 0)
            .tensor("w", &[1, 1, 1, 1, 1], 0, 0)
            .data(4);
        assert!(malformed_msg(&g.0).contains("5 dimensions"));
        let g = G::header(3, 1, 0).tensor("w", &[1 << 63], 0, 0).data(4);
        assert!(malformed_msg(&g.0).contains("negative"));
        let g = G::header(3, 1, 0)
            .tensor("w", &[1 << 40, 1 << 40], 0, 0)
            .data(4);
        assert!(malformed_msg(&g.0).contains("2^63 elements"));
        let g = G::header(3, 1, 0).tensor("w", &[1 << 62], 0, 0).data(4);
        assert!(malformed_msg(&g.0).contains("overflows 64 bits"));
        let g = G::header(3, 1, 0)
            .tensor(&"n".repeat(64), &[1], 0, 0)
            .data(4);
        assert!(malformed_msg(&g.0).contains("at most 63"));
    }

    #[test]
    fn rejects_tensor_data_out_of_bounds() {
        let g = G::header(3, 1, 0).tensor("w", &[16], 0, 0).data(32);
        let msg = malformed_msg(&g.0);
        assert!(msg.contains("\"w\" occupies data bytes [0, 0+64)"), "{msg}");
        let g = G::header(3, 1, 0).tensor("w", &[1], 0, u64::MAX).data(32);
        assert!(malformed_msg(&g.0).contains("occupies"));
        // No room even for the padding before the data section.
        let g = G::header(3, 1, 0).tensor("w", &[0], 0, 0);
        assert!(malformed_msg(&g.0).contains("past the end"));
    }

    #[test]
    fn rejects_misaligned_and_out_of_order_tensors() {
        let g = G::header(3, 1, 0).tensor("w", &[1], 0, 4).data(64);
        assert!(malformed_msg(&g.0).contains("not a multiple of the alignment 32"));
        let g = G::header(3, 2, 0)
            .tensor("a", &[1], 0, 32)
            .tensor("b", &[1], 0, 0)
            .data(64);
        assert!(malformed_msg(&g.0).contains("\"a\" starts at data offset 32 but ggml expects 0"));
    }

    #[test]
    fn checks_chat_templates_even_when_the_tensor_table_is_broken() {
        let g = G::header(3, 1, 2)
            .kv_str(
                TEMPLATE_KEY,
                "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            )
            .kv_str("tokenizer.chat_template.tool_use", "{{ messages }}")
            .raw(&[1, 0]);
        let (f, facts) = run(&g.0);
        let codes: Vec<_> = f.iter().map(|f| f.code).collect();
        assert!(codes.contains(&Code::ChatTemplateInjection), "{f:#?}");
        assert!(codes.contains(&Code::GgufMalformed), "{f:#?}");
        let inj = f
            .iter()
            .find(|f| f.code == Code::ChatTemplateInjection)
            .unwrap();
        assert!(inj.message.contains("tokenizer.chat_template"));
        // The offset points into the template text.
        assert!(inj.location.offset.unwrap() >= 24 + 8 + 23 + 4 + 8);
        let facts = facts.unwrap();
        assert!(facts.chat_template_sha256.is_some());
        assert!(facts.named_chat_templates.contains_key("tool_use"));
    }

    #[test]
    fn flags_named_templates_and_reports_non_utf8_templates() {
        let g = G::header(3, 0, 1).kv_str(
            "tokenizer.chat_template.rag",
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        );
        let (f, _) = run(&g.0);
        assert!(f.iter().any(|f| f.code == Code::ChatTemplateInjection
            && f.message.contains("tokenizer.chat_template.rag")));
        let g = G::header(3, 0, 1)
            .str(TEMPLATE_KEY)
            .u32(8)
            .u64(3)
            .raw(b"\xff{{");
        assert!(malformed_msg(&g.0).contains("not valid UTF-8"));
    }
}
