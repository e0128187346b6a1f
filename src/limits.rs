//! Every cap on work and memory, in one place.
//!
//! All parsers take untrusted bytes. Each limit below bounds one resource; reaching a limit is a
//! finding (`*-limit-exceeded`, `zip-bomb`, `archive-depth-exceeded`), never a crash or a hang.
//! The defaults are documented in the README and were chosen so that real model files (multi-GB
//! checkpoints, million-object pickles) stay far below them.

/// Caps applied while inspecting one file.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Opcodes interpreted per file, over all pickle streams in it (nested ones included).
    pub max_pickle_opcodes: u64,
    /// Objects on the pickle stack at once.
    pub max_pickle_stack: usize,
    /// Memo entries (MEMOIZE/PUT) per pickle stream.
    pub max_memo_entries: u64,
    /// Bytes of strings and bytes kept in the memo and on the stack of one stream.
    pub max_pickle_kept_bytes: usize,
    /// Longest string or bytes value kept whole (longer ones keep a prefix and their length).
    pub max_kept_value: usize,
    /// Longest text line (protocol 0 opcodes GLOBAL, INST, STRING, ...).
    pub max_line: usize,
    /// Pickle streams read back to back from one file or member.
    pub max_pickle_streams: usize,
    /// Nesting depth of archives in archives and pickles in pickles.
    pub max_depth: u32,
    /// Members listed in one zip or 7z archive.
    pub max_archive_entries: usize,
    /// Bytes produced by decompressing one member or stream.
    pub max_decompressed: u64,
    /// Bytes produced by decompression in one top-level file, over all members.
    pub max_decompressed_total: u64,
    /// Compression ratio above which a member is a bomb, once its output passes
    /// `ratio_min_output` (plain deflate tops out near 1032:1, reached only by runs of one
    /// byte, so sparse but legitimate arrays stay below both).
    pub max_ratio: u64,
    pub ratio_min_output: u64,
    /// Longest safetensors JSON header (the reference implementation caps it at 100 MB).
    pub max_safetensors_header: u64,
    /// Longest NumPy .npy header.
    pub max_npy_header: u64,
    /// Bytes of a member or nested blob loaded into memory to be scanned as a whole.
    pub max_in_memory: u64,
    /// Findings kept per file; past this only a count is kept.
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pickle_opcodes: 200_000_000,
            max_pickle_stack: 1_000_000,
            max_memo_entries: 50_000_000,
            max_pickle_kept_bytes: 256 << 20,
            max_kept_value: 64 << 20,
            max_line: 1 << 20,
            max_pickle_streams: 64,
            max_depth: 6,
            max_archive_entries: 100_000,
            max_decompressed: 4 << 30,
            max_decompressed_total: 16 << 30,
            max_ratio: 1000,
            ratio_min_output: 256 << 20,
            max_safetensors_header: 100_000_000,
            max_npy_header: 1 << 20,
            max_in_memory: 256 << 20,
            max_findings: 1000,
        }
    }
}
