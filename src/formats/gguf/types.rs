//! The GGUF metadata value types and the ggml tensor type table (block sizes), and llama.cpp's
//! `llama_ftype` names.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{MIN_ARRAY_BYTES, MIN_STRING_BYTES};
use std::fmt::{self, Display};

/// GGUF metadata value types (`gguf_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueType {
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
    pub(super) fn from_u32(v: u32) -> Option<Self> {
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
    pub(super) fn fixed_size(self) -> Option<u64> {
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
    pub(super) fn min_size(self) -> u64 {
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
pub(super) struct GgmlType {
    pub(super) name: &'static str,
    pub(super) block: u64,
    pub(super) size: u64,
}

pub(super) enum TypeLookup {
    Known(GgmlType),
    /// An id ggml once had and has removed (its loader rejects it).
    Removed(&'static str),
    Unknown,
}

/// `enum ggml_type` with the block sizes of `ggml-common.h`.
pub(super) fn ggml_type(id: u32) -> TypeLookup {
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
pub(super) fn file_type_name(v: u64) -> Option<&'static str> {
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
