//! Every cap on work and memory, in one place.
//!
//! All parsers take untrusted bytes. Each limit below bounds one resource; reaching a limit is a
//! finding (`*-limit-exceeded`, `zip-bomb`, `archive-depth-exceeded`), never a crash or a hang.
//! The defaults are documented in the README and were chosen so that real model files (multi-GB
//! checkpoints, million-object pickles) stay far below them.

/// What a side reading of a pickle is charged per byte it read, in opcodes of the file's
/// re-read budget ([`Limits::max_reread_opcodes`]): about what an opcode costs.
pub const REREAD_BYTES_PER_OPCODE: u64 = 64;

/// Caps applied while inspecting one file.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Opcodes interpreted per file, over all pickle streams in it (nested ones included).
    pub max_pickle_opcodes: u64,
    /// Objects on the pickle stack at once.
    pub max_pickle_stack: usize,
    /// Memo entries (MEMOIZE/PUT) per pickle stream.
    pub max_memo_entries: u64,
    /// Bytes of strings and bytes held at once (stack, memo, attributes) while inspecting one
    /// file; values past it are not kept whole.
    pub max_pickle_kept_bytes: usize,
    /// Bytes of tuples, dicts and dtypes held at once while inspecting one file, counted apart
    /// from strings so that a file of many containers leaves its names whole. Past it, a new
    /// one is not made (lost: used as a name, a callable or an argument it fails closed) and a
    /// dict takes no more entries; the analysis goes on.
    pub max_pickle_container_bytes: usize,
    /// Bytes one pickle's analysis holds at once, everything counted: its stack, MARKs and
    /// memo (those of the pickles it is nested in too) and the strings, bytes and containers
    /// alive. The stack, MARKs and memo stop at their own limits; strings, bytes and containers
    /// get what they leave, so a pickle that fills every limit at once stays within this
    /// (past it they are not kept, and fail closed where used).
    pub max_pickle_memory: usize,
    /// Of `max_pickle_memory`, bytes strings, bytes and containers always leave to the stack,
    /// MARKs and memo: a tuple of a million items is read whatever the strings alive.
    pub min_pickle_table_bytes: usize,
    /// Longest string or bytes value kept whole (longer ones keep a prefix and their length).
    /// Side readings keep no more than `max_global_name`: they only ask whether anything
    /// dangerous is there, and a value not kept fails closed.
    pub max_kept_value: usize,
    /// Longest text line (protocol 0 opcodes GLOBAL, INST, STRING, ...).
    pub max_line: usize,
    /// Longest import (module and name together, GLOBAL, INST, STACK_GLOBAL). No real module
    /// path comes near it; a longer one stops the analysis (`pickle-limit-exceeded`), so a
    /// flood of long unique names cannot make the facts, findings and stack hold the file. (A
    /// side reading does not keep such a name: for it the import is dynamic, which makes the
    /// reading one read in full.)
    pub max_global_name: usize,
    /// Pickle streams read back to back from one file or member.
    pub max_pickle_streams: usize,
    /// Nesting depth of archives in archives and pickles in pickles.
    pub max_depth: u32,
    /// Members listed in one zip, 7z or tar archive.
    pub max_archive_entries: usize,
    /// Bytes of one tar extension header (pax `x`/`g`, GNU long name `L`/`K`) held in memory;
    /// real ones hold a path or a few attributes.
    pub max_tar_header_data: u64,
    /// Extension headers chained in front of one tar member (real archives use at most two;
    /// Python's tarfile recurses once per header).
    pub max_tar_extension_chain: u32,
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
    /// Findings below the gate (`--fail-on`) listed per file; past this they are counted per
    /// code (`findings-capped`). Findings at or above the gate, and every critical one, are
    /// never capped by this.
    pub max_findings: usize,
    /// Findings at or above the gate listed per file. Only a file that already holds this many
    /// gate-failing findings reaches it; the rest are counted per code, and the verdict is
    /// already the worst.
    pub max_gate_findings: usize,
    /// Pickle opcodes per file spent on side readings: the positions after a FRAME overrun
    /// and the pickles after a break. Every position is a candidate start, but a reading stops
    /// where an earlier one already passed in the same (inert) state, so the work stays
    /// linear; this caps what an adversary can still force. Spent, it is a
    /// `pickle-limit-exceeded` finding.
    ///
    /// A side reading is charged its opcodes plus one per [`REREAD_BYTES_PER_OPCODE`] bytes
    /// it read: one opcode can carry a long argument (a text line, a byte string) that starts
    /// inside another reading's argument, where no earlier reading stopped, so without the
    /// byte charge a file of one long line would be read once per position (quadratic).
    pub max_reread_opcodes: u64,
    /// Bytes of memo values kept for resolving later imports and calls, per pickle stream.
    /// Past it, strings, bytes, tuples and dicts are no longer kept (their memo slots are
    /// marked); references to globals and call results always are. A later import whose
    /// operand was not kept is reported as dynamic (critical): it fails closed.
    pub max_memo_kept_bytes: usize,
    /// Bytes of memo values kept past `max_memo_kept_bytes` because a judge took them from the
    /// stack just after they were memoized (a module or attribute name that `STACK_GLOBAL`
    /// imports, bytes a nested loader reads): a pickler memoizes such a value when it first
    /// writes it and fetches it from the memo each time after, so a later import or load of
    /// it resolves instead of failing closed because data memoized before it spent the budget.
    pub max_memo_rescued_bytes: usize,
    /// Metadata key-value pairs declared in one GGUF file (published models have a few dozen).
    pub max_gguf_kv: u64,
    /// Tensors declared in one GGUF file (the largest published models have a few thousand).
    pub max_gguf_tensors: u64,
    /// Longest GGUF string: keys, values, array elements and tensor names (a whole
    /// `tokenizer.huggingface.json` stored as one string is a few MB).
    pub max_gguf_string: u64,
    /// Elements of one GGUF array (vocabularies and merge lists have a few hundred thousand).
    pub max_gguf_array: u64,
    /// Nesting depth of GGUF arrays in arrays (the spec allows nesting; llama.cpp reads none).
    pub max_gguf_array_depth: u32,
    /// Dimensions of one GGUF tensor (ggml's `GGML_MAX_DIMS` is 4; llama.cpp rejects more).
    pub max_gguf_dims: u32,
    /// Bytes of one chat template checked for template injection; the rest of a longer one is
    /// not checked, and a finding says so (real templates are a few KB to a few tens of KB).
    pub max_template: usize,
    /// Protobuf messages nested in messages (ONNX, TensorFlow SavedModel). The reference
    /// protobuf parsers stop at 100 (`SetRecursionLimit` default, prost's `RECURSION_LIMIT`),
    /// so nothing deeper loads anyway; the walker is recursive and this bounds its stack.
    pub max_proto_depth: u32,
    /// ONNX graphs nested in node attributes (If/Loop/Scan bodies). Each level costs three
    /// protobuf messages (graph, node, attribute), so 100 messages allow about 33 levels.
    pub max_onnx_graph_depth: u32,
    /// Longest small protobuf message decoded in memory as a whole (opset ids, metadata
    /// entries, external-data entries, TensorFlow `MetaInfoDef` and `OpDef`). Containers
    /// (graphs, nodes, tensors) are walked field by field instead and never loaded.
    pub max_proto_message: u64,
    /// Entries kept in one table of facts (op histograms, metadata, names listed in a finding);
    /// past this only counts are kept.
    pub max_fact_entries: usize,
    /// Longest string kept in facts and messages (names, op types, metadata values).
    pub max_fact_string: usize,
    /// Bytes of a Keras model config (`config.json`, `metadata.json`, the HDF5 `model_config`
    /// attribute) parsed as JSON; a larger config is reported, not parsed.
    pub max_keras_config: u64,
    /// Bytes from the start of an HDF5 file read to find its root attributes (Keras writes
    /// them before the weights, so they sit near the start).
    pub max_hdf5_metadata: u64,
    /// Nesting depth walked in a model config or JSON document (serde_json stops at 128).
    pub max_json_depth: usize,
    /// Bytes of a text or JSON file held in memory at once: smaller files are parsed whole
    /// (notebooks, tokenizer configs, templates); larger ones are scanned for secrets in
    /// overlapping windows of this size.
    pub max_text_window: u64,
    /// Bytes of one TorchScript source file (`code/**/*.py`) lexed for the ops it calls (the
    /// printed source of large real models is a few hundred KB per file); a larger file is
    /// not analysed, and a finding says so.
    pub max_torchscript_code: u64,
    /// Bytes one base64 or hex string in a config may decode to and still be inspected as a
    /// nested file (Keras' `TorchModuleWrapper` stores a whole `torch.save` archive that way);
    /// a longer one that starts like a model file is reported as not inspected.
    pub max_embedded_payload: u64,
    /// Embedded payloads (base64 or hex strings that decode to a model file) inspected per
    /// file. Past it the rest are not inspected and a high finding says so: a config of a
    /// million such strings would otherwise cost a nested inspection and a member each.
    pub max_embedded_payloads: usize,
    /// Bytes of TorchScript source lexed over one archive; past it the rest is not analysed,
    /// and a finding says so.
    pub max_torchscript_code_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pickle_opcodes: 200_000_000,
            max_pickle_stack: 1_000_000,
            max_memo_entries: 50_000_000,
            max_pickle_kept_bytes: 24 << 20,
            max_pickle_container_bytes: 16 << 20,
            max_pickle_memory: 46 << 20,
            min_pickle_table_bytes: 24 << 20,
            max_kept_value: 16 << 20,
            max_line: 1 << 20,
            max_global_name: 4096,
            max_pickle_streams: 64,
            max_depth: 6,
            max_archive_entries: 100_000,
            max_tar_header_data: 1 << 20,
            max_tar_extension_chain: 32,
            max_decompressed: 4 << 30,
            max_decompressed_total: 16 << 30,
            max_ratio: 1000,
            ratio_min_output: 256 << 20,
            max_safetensors_header: 100_000_000,
            max_npy_header: 1 << 20,
            max_in_memory: 256 << 20,
            max_findings: 1000,
            max_gate_findings: 10_000,
            max_reread_opcodes: 4_000_000,
            max_memo_kept_bytes: 16 << 20,
            max_memo_rescued_bytes: 4 << 20,
            max_gguf_kv: 1 << 16,
            max_gguf_tensors: 1 << 20,
            max_gguf_string: 64 << 20,
            max_gguf_array: 1 << 24,
            max_gguf_array_depth: 3,
            max_gguf_dims: 4,
            max_template: 1 << 20,
            max_proto_depth: 100,
            max_onnx_graph_depth: 32,
            max_proto_message: 16 << 20,
            max_fact_entries: 1000,
            max_fact_string: 4096,
            max_keras_config: 32 << 20,
            max_hdf5_metadata: 32 << 20,
            max_json_depth: 64,
            max_text_window: 16 << 20,
            max_torchscript_code: 16 << 20,
            max_torchscript_code_total: 256 << 20,
            max_embedded_payload: 64 << 20,
            max_embedded_payloads: 1000,
        }
    }
}

/// Caps on what `verify` (and `sign`) read beside the model directory: signatures, AIBOM
/// attestations, the AIBOM, the policy and the trust files it names. Each is read only if it is
/// a regular file (opened non-blocking, so a FIFO is refused instead of waited on), and only up
/// to its cap; a larger file is refused, never read whole.
#[derive(Debug, Clone)]
pub struct VerifyLimits {
    /// A model signature (an OMS bundle lists every file: 100,000 files take about 20 MB).
    pub max_signature: u64,
    /// An AIBOM attestation (the AIBOM itself, base64-encoded inside the bundle).
    pub max_attestation: u64,
    /// The AIBOM given with `--bom` (and `--previous`; the AIBOMs `diff` and `report` read).
    /// It is parsed whole, at about ten times its size in memory, so this bounds what reading
    /// one costs; a larger file is refused, naming it.
    pub max_bom: u64,
    /// Nesting depth of arrays and objects in an AIBOM, checked on the bytes before parsing
    /// (real AIBOMs nest a few dozen levels; serde_json itself stops at 128).
    pub max_bom_depth: usize,
    /// The policy file, public keys, CA certificates and the Sigstore trusted root.
    pub max_trust_file: u64,
    /// Bytes of unsigned files hashed to tell a renamed file from a missing one (only when a
    /// signed file is missing; larger extra files are refused without being read).
    pub max_rename_probe: u64,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        VerifyLimits {
            max_signature: 64 << 20,
            max_attestation: 256 << 20,
            max_bom: 128 << 20,
            max_bom_depth: 96,
            max_trust_file: 16 << 20,
            max_rename_probe: 256 << 20,
        }
    }
}

/// Caps on what `generate` parses of a release's artifacts (`[release]`): dataset manifests and
/// evaluation results. Every artifact file is hashed whatever its size; only parsing is capped.
/// A manifest past its caps is refused (its listed digests are the dataset's recorded content,
/// so half a manifest would record half a dataset); an evaluation file past its cap is hashed
/// and recorded without its metrics, with a note saying why.
#[derive(Debug, Clone)]
pub struct ReleaseLimits {
    /// Bytes of one dataset manifest (a million `sha256sum` lines take about 100 MB).
    pub max_manifest: u64,
    /// Entries listed in one dataset manifest.
    pub max_manifest_entries: usize,
    /// Bytes of one listed path in a manifest.
    pub max_manifest_path: usize,
    /// Bytes of one evaluation results file read to find its metrics.
    pub max_evaluation: u64,
    /// Metrics kept per evaluation file (or per model card); the rest are counted in a note.
    pub max_metrics: usize,
    /// Longest task, metric or filter name kept (longer ones are cut, with a note).
    pub max_metric_text: usize,
    /// Nesting depth of an evaluation JSON document (serde_json itself stops at 128).
    pub max_json_depth: usize,
}

impl Default for ReleaseLimits {
    fn default() -> Self {
        ReleaseLimits {
            max_manifest: 256 << 20,
            max_manifest_entries: 2_000_000,
            max_manifest_path: 4096,
            max_evaluation: 64 << 20,
            max_metrics: 10_000,
            max_metric_text: 256,
            max_json_depth: 64,
        }
    }
}

/// Caps on what `merge` reads: each shard report is parsed whole, at a few times its size in
/// memory, so a larger file is refused, naming it, before it is read.
#[derive(Debug, Clone)]
pub struct MergeLimits {
    /// Bytes of one shard report (a report lists each file in about 1 KB: 1 GiB is a shard of
    /// about a million files).
    pub max_report: u64,
}

impl Default for MergeLimits {
    fn default() -> Self {
        MergeLimits {
            max_report: 1 << 30,
        }
    }
}
