//! Format detection from content. The file name never decides; it only breaks ties between
//! formats the bytes cannot tell apart, and it tells what the file *claims* to be, so that a
//! mismatch (a pickle named `model.safetensors`) is reported.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub(crate) mod coreml;
pub(crate) mod matlab4;
pub(crate) mod onnx_tensor;
pub(crate) mod pickle;
pub(crate) mod protobuf;
pub(crate) mod sentencepiece;

use serde::Serialize;

/// Bytes read from the start of a file for detection.
pub const HEAD_LEN: usize = 4096;

/// The formats aibom recognises.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Empty,
    Pickle,
    /// Legacy (non-zip) `torch.save`: back-to-back pickles starting with the magic number.
    PytorchLegacy,
    /// Raw joblib dump (a pickle with `joblib.numpy_pickle` wrappers) or a compressed one.
    Joblib,
    Zip,
    /// `torch.save` zip: `<prefix>/data.pkl` plus tensor storages.
    PytorchZip,
    /// `torch.jit.save` archive: code, constants and data pickles.
    TorchScript,
    Npz,
    Keras,
    Npy,
    Safetensors,
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    Lzma,
    Zstd,
    /// LZ4 frame (magic `04 22 4D 18`): joblib's `compress='lz4'`.
    Lz4,
    #[serde(rename = "7z")]
    SevenZ,
    /// POSIX/GNU tar archive (ustar or GNU magic, or a v7 header with a valid checksum).
    Tar,
    /// PyTorch's oldest `torch.save` layout: a tar with `storages`, `tensors` and `pickle`.
    PytorchTar,
    Gguf,
    Hdf5,
    Onnx,
    /// One serialized ONNX `TensorProto` (onnx test data `input_0.pb`): a strict protobuf walk.
    OnnxTensor,
    /// Raw tensor bytes an ONNX model in the same directory names as its external data
    /// (`external_data` `location`): recognised through the model, never by its own bytes.
    OnnxExternalData,
    /// SentencePiece `ModelProto` (tokenizer `.model`): a strict protobuf walk.
    #[serde(rename = "sentencepiece")]
    SentencePiece,
    /// Core ML model (`.mlmodel`): a strict walk of the protobuf `Model`'s top level.
    Coreml,
    /// The weight file of a Core ML package (`<name>.mlpackage/Data/com.apple.CoreML/weights/`,
    /// beside the package's `Manifest.json` and its ML program `model.mlmodel`, which reads
    /// its constants from it by offset): raw blob storage, recognised through the package.
    CoremlWeights,
    /// TensorFlow checkpoint index (`variables.index`): a table recognised by its footer
    /// (magic `0xdb4775248b80fb57`) and the CRC-32C of its blocks, in `formats::tf_checkpoint`.
    TfCheckpointIndex,
    /// A `.data-NNNNN-of-MMMMM` shard a TensorFlow checkpoint index in the same directory names
    /// (`<prefix>.index` with `num_shards` M): raw tensor bytes, recognised through the index.
    TfCheckpointData,
    /// One MessagePack map or array spanning the whole file (spaCy/thinc weights, msgpack-numpy
    /// caches), in `formats::msgpack`: no magic number, a strict parse of every byte.
    Msgpack,
    /// TensorFlow `saved_model.pb` (protobuf; recognised by name and a plausible first field).
    SavedModel,
    /// TensorFlow Lite flatbuffer (`TFL3` file identifier).
    Tflite,
    /// fastText binary model (magic number 0x2f4f16ba).
    #[serde(rename = "fasttext")]
    FastText,
    /// word2vec C binary vectors (`<count> <dimensions>` line, then float32 rows).
    #[serde(rename = "word2vec")]
    Word2Vec,
    /// MATLAB MAT-file (level 5 or 7.3, by its text header).
    Matlab,
    /// MATLAB level 4 MAT-file (no header): matrix headers chaining to the end of the file.
    Matlab4,
    /// IDL SAVE file (`SR\0\x04`, compressed `SR\0\x06`).
    IdlSave,
    /// NetCDF classic or 64-bit offset file (`CDF\x01`, `CDF\x02`, `CDF\x05`).
    #[serde(rename = "netcdf")]
    NetCdf,
    Json,
    Text,
    Unknown,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::Empty => "empty",
            Format::Pickle => "pickle",
            Format::PytorchLegacy => "legacy PyTorch checkpoint",
            Format::Joblib => "joblib",
            Format::Zip => "zip",
            Format::PytorchZip => "PyTorch zip checkpoint",
            Format::TorchScript => "TorchScript archive",
            Format::Npz => "NumPy .npz",
            Format::Keras => "Keras archive",
            Format::Npy => "NumPy .npy",
            Format::Safetensors => "safetensors",
            Format::Gzip => "gzip",
            Format::Zlib => "zlib",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Lzma => "lzma",
            Format::Zstd => "zstd",
            Format::Lz4 => "lz4",
            Format::SevenZ => "7z",
            Format::Tar => "tar",
            Format::PytorchTar => "legacy PyTorch tar checkpoint",
            Format::Gguf => "GGUF",
            Format::Hdf5 => "HDF5",
            Format::Onnx => "ONNX",
            Format::OnnxTensor => "ONNX TensorProto",
            Format::OnnxExternalData => "ONNX external data",
            Format::SentencePiece => "SentencePiece model",
            Format::Coreml => "Core ML model",
            Format::CoremlWeights => "Core ML package weights",
            Format::TfCheckpointIndex => "TensorFlow checkpoint index",
            Format::TfCheckpointData => "TensorFlow checkpoint data",
            Format::Msgpack => "MessagePack",
            Format::SavedModel => "TensorFlow SavedModel",
            Format::Tflite => "TensorFlow Lite",
            Format::FastText => "fastText binary",
            Format::Word2Vec => "word2vec binary",
            Format::Matlab => "MATLAB MAT-file",
            Format::Matlab4 => "MATLAB level 4 MAT-file",
            Format::IdlSave => "IDL SAVE file",
            Format::NetCdf => "NetCDF",
            Format::Json => "JSON",
            Format::Text => "text",
            Format::Unknown => "unknown",
        }
    }

    /// Formats whose content aibom inspects in depth (the rest are recognised and hashed).
    /// The data-only formats (fastText, word2vec, MATLAB, IDL, NetCDF) count as inspected:
    /// their loaders read numbers and strings and have no way to run code, so recognising the
    /// header is the whole of what there is to check.
    pub fn is_inspected(self) -> bool {
        !matches!(self, Format::Unknown)
    }

    /// Formats whose documented layout appends a zip archive: TFLite metadata packs the
    /// model's associated files (labels, vocabularies) as a zip after the FlatBuffer. A zip
    /// found from the end of such a file is not a disguise (its members are still scanned).
    pub fn appends_zip_by_design(self) -> bool {
        matches!(self, Format::Tflite)
    }

    /// Formats some loader runs code from (pickles, the archives and compressed streams that
    /// carry them, object arrays, HDF5 Keras models): bytes of one of these under a name that
    /// claims another format are a disguise worth reporting.
    pub fn can_run_code_on_load(self) -> bool {
        use Format as F;
        matches!(
            self,
            F::Pickle
                | F::PytorchLegacy
                | F::Joblib
                | F::Zip
                | F::PytorchZip
                | F::TorchScript
                | F::Npz
                | F::Keras
                | F::Npy
                | F::Gzip
                | F::Zlib
                | F::Bzip2
                | F::Xz
                | F::Lzma
                | F::Zstd
                | F::Lz4
                | F::SevenZ
                | F::Tar
                | F::PytorchTar
                | F::Hdf5
        )
    }
}

/// What a file name says the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Safetensors,
    /// `.bin`, `.pt`, `.pth`, `.ckpt`: any PyTorch checkpoint (zip, legacy or plain pickle).
    Torch,
    Pickle,
    Npy,
    Npz,
    Gguf,
    Keras,
    Joblib,
    Onnx,
    H5,
    /// `.tar`, `.tgz`, `.nemo`: a tar, possibly compressed (Python's `tarfile.open` detects
    /// gzip, bzip2 and xz; NeMo wrote `.nemo` files both ways).
    Tar,
}

impl Claim {
    pub fn describe(self) -> &'static str {
        match self {
            Claim::Safetensors => "safetensors",
            Claim::Torch => "a PyTorch checkpoint",
            Claim::Pickle => "pickle",
            Claim::Npy => "NumPy .npy",
            Claim::Npz => "NumPy .npz",
            Claim::Gguf => "GGUF",
            Claim::Keras => "a Keras archive",
            Claim::Joblib => "joblib",
            Claim::Onnx => "ONNX",
            Claim::H5 => "HDF5",
            Claim::Tar => "a tar archive",
        }
    }

    /// The name implies exactly one format (`*.safetensors`, `*.gguf`, `*.npy`, ...): any other
    /// bytes are a mismatch. Names such as `.bin`, `.pt`, `.pkl` are used by many formats
    /// (fastText, word2vec, sentencepiece tables, CoreML weights, ...): for those only bytes of
    /// a *different* format that can run code on load are a mismatch (see [`Claim::mismatch`]).
    pub fn is_exclusive(self) -> bool {
        !matches!(self, Claim::Torch | Claim::Pickle | Claim::Joblib)
    }

    /// Whether bytes of format `f` under this name are reported as a mismatch.
    pub fn mismatch(self, f: Format) -> bool {
        !self.accepts(f) && (self.is_exclusive() || f.can_run_code_on_load())
    }

    /// Whether content of format `f` is a legitimate instance of what the name claims.
    pub fn accepts(self, f: Format) -> bool {
        use Format as F;
        match self {
            Claim::Safetensors => f == F::Safetensors,
            // torch.load reads a tar first (`legacy_load`), then a pickle.
            Claim::Torch => matches!(
                f,
                F::PytorchZip
                    | F::TorchScript
                    | F::PytorchLegacy
                    | F::Pickle
                    | F::Zip
                    | F::PytorchTar
                    | F::Tar
            ),
            // `torch.save(obj, "x.pkl")` writes a zip (fastai's `export.pkl`, for one).
            Claim::Pickle => matches!(
                f,
                F::Pickle | F::PytorchLegacy | F::Joblib | F::PytorchZip | F::Zip
            ),
            Claim::Joblib => matches!(
                f,
                F::Pickle
                    | F::Joblib
                    | F::Zlib
                    | F::Gzip
                    | F::Bzip2
                    | F::Xz
                    | F::Lzma
                    | F::Zstd
                    | F::Lz4
            ),
            Claim::Npy => f == F::Npy,
            Claim::Npz => matches!(f, F::Npz | F::Zip),
            Claim::Gguf => f == F::Gguf,
            Claim::Keras => matches!(f, F::Keras | F::Zip),
            Claim::Onnx => f == F::Onnx,
            Claim::H5 => f == F::Hdf5,
            Claim::Tar => matches!(f, F::Tar | F::PytorchTar | F::Gzip | F::Bzip2 | F::Xz),
        }
    }
}

/// The format a file name claims, from its extension.
pub fn claimed_by_name(name: &str) -> Option<Claim> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let ext = base.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "safetensors" => Claim::Safetensors,
        "bin" | "pt" | "pth" | "ckpt" => Claim::Torch,
        "pkl" | "pickle" | "dill" => Claim::Pickle,
        "joblib" => Claim::Joblib,
        "npy" => Claim::Npy,
        "npz" => Claim::Npz,
        "gguf" => Claim::Gguf,
        "keras" => Claim::Keras,
        "onnx" => Claim::Onnx,
        "h5" | "hdf5" => Claim::H5,
        "tar" | "tgz" | "tbz2" | "txz" | "nemo" => Claim::Tar,
        _ => return None,
    })
}

fn extension(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Detects the format from the first bytes of the content (`head`, up to [`HEAD_LEN`]), the
/// total length, and — only to break ties — the name.
pub fn detect(head: &[u8], len: u64, name: &str) -> Format {
    detect_with(head, len, name, true)
}

/// What the bytes are without the walks of formats with no magic number: the reading to fall
/// back on when such a walk, run over the whole file, fails (so a prefix that walks never
/// turns text, zlib, ... into `unknown`).
pub fn detect_without_walks(head: &[u8], len: u64, name: &str) -> Format {
    detect_with(head, len, name, false)
}

/// A format recognised by walking its structure from the first bytes (no magic number): the
/// walk of the whole file must confirm it (see [`detect_without_walks`]).
pub fn is_walked(f: Format) -> bool {
    matches!(
        f,
        Format::OnnxTensor | Format::SentencePiece | Format::Coreml | Format::Matlab4
    )
}

fn detect_with(head: &[u8], len: u64, name: &str, walks: bool) -> Format {
    if len == 0 {
        return Format::Empty;
    }
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return Format::Zip;
    }
    if starts(b"\x93NUMPY") {
        return Format::Npy;
    }
    if starts(b"GGUF") {
        return Format::Gguf;
    }
    if starts(b"\x89HDF\r\n\x1a\n") {
        return Format::Hdf5;
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return Format::SevenZ;
    }
    if starts(b"\x1f\x8b") {
        return Format::Gzip;
    }
    if starts(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        return Format::Bzip2;
    }
    if starts(b"\xfd7zXZ\x00") {
        return Format::Xz;
    }
    if starts(b"\x28\xb5\x2f\xfd") {
        return Format::Zstd;
    }
    // LZ4 frame (lz4_Frame_format.md; joblib's `LZ4_MAGIC`). Legacy and skippable frames have
    // other magic numbers and are not what `lz4.frame` or joblib write.
    if starts(b"\x04\x22\x4d\x18") {
        return Format::Lz4;
    }
    // Before the pickle checks: a tar whose first member name is a pickle is read as a tar by
    // torch.load (it tries `tarfile` first); the pickle reading is scanned as a polyglot.
    if looks_like_tar(head) {
        return Format::Tar;
    }
    if starts(pickle::LEGACY_TORCH_PREFIX) {
        return Format::PytorchLegacy;
    }
    if joblib_zfile_header(head).is_some() {
        return Format::Joblib;
    }
    if head.get(4..8) == Some(b"TFL3") {
        return Format::Tflite;
    }
    // fastText: magic 793712314 (0x2f4f16ba) little-endian, then a small version number.
    if starts(b"\xba\x16\x4f\x2f") && head.get(5..8) == Some(&[0, 0, 0][..]) {
        return Format::FastText;
    }
    // MAT-file level 5 and 7.3: a 116-byte text header `MATLAB <version> MAT-file, ...`.
    if starts(b"MATLAB ")
        && head
            .get(..32)
            .is_some_and(|h| h.windows(9).any(|w| w == b" MAT-file"))
    {
        return Format::Matlab;
    }
    // IDL SAVE: `SR`, then 0x0004, or 0x0006 for a compressed file.
    if starts(b"SR\x00\x04") || starts(b"SR\x00\x06") {
        return Format::IdlSave;
    }
    if starts(b"CDF\x01") || starts(b"CDF\x02") || starts(b"CDF\x05") {
        return Format::NetCdf;
    }
    // A safetensors header length of 128, 384, ... starts with the bytes of a pickle PROTO
    // opcode: a header that fits the file and opens a JSON object decides for safetensors (the
    // pickle reading is still tried, see formats::inspect_source).
    if looks_like_safetensors(head, len)
        && head
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .is_some_and(|b: [u8; 8]| u64::from_le_bytes(b) <= len.saturating_sub(8))
    {
        return Format::Safetensors;
    }
    if head.first() == Some(&0x80) && head.get(1).is_some_and(|p| *p <= 5) {
        return Format::Pickle;
    }
    if looks_like_safetensors(head, len) {
        return Format::Safetensors;
    }
    // Protocol 0/1 pickles have no magic: a short dry run of the opcode grammar decides. It
    // comes before the zlib and lzma checks because a protocol-0 pickle can start with bytes
    // that are also a valid zlib header (`(S` is 0x28 0x53).
    if pickle::looks_like_pickle(head, len) {
        return Format::Pickle;
    }
    // Protobufs with no magic number, recognised by a strict walk of their schema as far as
    // the head goes (see each module). Before zlib, whose two-byte header is weaker evidence.
    if walks && onnx_tensor::sniff(head, len) {
        return Format::OnnxTensor;
    }
    if walks && sentencepiece::sniff(head, len) {
        return Format::SentencePiece;
    }
    if walks && coreml::sniff(head, len) {
        return Format::Coreml;
    }
    // MATLAB level 4: no magic either; headers, names and sizes chaining to the end.
    if walks && matlab4::sniff(head, len) {
        return Format::Matlab4;
    }
    if looks_like_zlib(head) {
        return Format::Zlib;
    }
    // lzma-alone: properties byte 0x5d and a dictionary size, as written by xz's lzma_alone
    // encoder and Python's lzma.FORMAT_ALONE (joblib's "lzma" compressor).
    if starts(b"\x5d\x00\x00") {
        return Format::Lzma;
    }
    // ONNX is a protobuf with no magic number: a `.onnx` name plus a plausible first field
    // (ir_version, field 1 varint) is the tie-break. It comes before the text check: a
    // single-operator model of 100 bytes can be all valid UTF-8.
    if extension(name) == "onnx" && head.first() == Some(&0x08) {
        return Format::Onnx;
    }
    if looks_like_word2vec(head, len) {
        return Format::Word2Vec;
    }
    if let Ok(text) = std::str::from_utf8(head_text(head, len))
        && !has_binary_controls(text)
    {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if looks_like_json(trimmed) && (len as usize <= head.len() || !text.contains('\0')) {
            return Format::Json;
        }
        if !text.contains('\0') {
            return Format::Text;
        }
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    if base == "saved_model.pb" && matches!(head.first(), Some(&0x08) | Some(&0x12)) {
        return Format::SavedModel;
    }
    Format::Unknown
}

/// Text that opens like a JSON document: an object, or an array whose first item (after any
/// nested openings) is a JSON value or its end. An INI or TOML section header (`[model]`,
/// `[[verify.signer]]`, spaCy's `config.cfg`) opens with a bracket too, followed by a name.
fn looks_like_json(text: &str) -> bool {
    if text.starts_with('{') {
        return true;
    }
    let Some(rest) = text.strip_prefix('[') else {
        return false;
    };
    let item = rest.trim_start_matches(|c: char| c == '[' || c.is_ascii_whitespace());
    let literal = |word: &str| {
        item.strip_prefix(word).is_some_and(|after| {
            after.is_empty()
                || after.starts_with(|c: char| c == ',' || c == ']' || c.is_ascii_whitespace())
        })
    };
    item.is_empty()
        || item.starts_with(|c: char| matches!(c, '"' | '{' | ']' | '-' | '0'..='9'))
        || literal("true")
        || literal("false")
        || literal("null")
}

/// Size of a tar header block.
pub const TAR_BLOCK: usize = 512;

/// A tar header: the POSIX ustar (`ustar\0`) or GNU (`ustar  \0`) magic at offset 257, or an
/// old v7 header (no magic) whose checksum is valid and whose type and mode are plausible.
/// A header with the magic but a bad checksum is still a tar: the parser reports it.
fn looks_like_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..TAR_BLOCK) else {
        return false;
    };
    if block.get(257..263) == Some(b"ustar\0") || block.get(257..265) == Some(b"ustar  \0") {
        return true;
    }
    let typeflag = block.get(156).copied().unwrap_or(0);
    let octal = |f: &[u8]| {
        f.iter().all(|b| matches!(b, b'0'..=b'7' | b' ' | 0)) && f.iter().any(u8::is_ascii_digit)
    };
    block.first().is_some_and(|b| *b != 0)
        && matches!(typeflag, 0 | b'0'..=b'7')
        && block.get(100..108).is_some_and(octal)
        && block.get(124..136).is_some_and(octal)
        && tar_checksum_ok(block)
}

/// Whether a tar header block's checksum field (octal, at 148) matches the sum of its bytes
/// with that field taken as spaces, unsigned or signed (Python's `tarfile` accepts both, for
/// old Sun tars).
pub fn tar_checksum_ok(block: &[u8]) -> bool {
    let Some(field) = block.get(148..156) else {
        return false;
    };
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    let digits = field.get(..end).unwrap_or_default().trim_ascii();
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return false;
    }
    let stored = digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(8)?
            .checked_add(u64::from(d.wrapping_sub(b'0')))
    });
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, b) in block.iter().take(TAR_BLOCK).enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { *b };
        unsigned = unsigned.saturating_add(u64::from(b));
        signed = signed.saturating_add(i64::from(b as i8));
    }
    stored.is_some_and(|s| s == unsigned || i64::try_from(s).is_ok_and(|s| s == signed))
}

/// C0 control characters that text files do not hold (everything below 0x20 but tab, line
/// feed, form feed, carriage return and escape): their presence makes bytes binary.
fn has_binary_controls(text: &str) -> bool {
    text.bytes()
        .any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | 0x1b))
}

/// word2vec's C binary format: an ASCII header `<count> <dimensions>\n` (both positive), then
/// `count` rows of a word, a space and `dimensions` float32 values. The header must be short,
/// and the row after it must start with a word: the bytes after the header are not text.
fn looks_like_word2vec(head: &[u8], len: u64) -> bool {
    let Some(nl) = head.iter().take(40).position(|&b| b == b'\n') else {
        return false;
    };
    let Ok(line) = std::str::from_utf8(head.get(..nl).unwrap_or_default()) else {
        return false;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(count), Some(dims), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(count), Ok(dims)) = (count.parse::<u64>(), dims.parse::<u64>()) else {
        return false;
    };
    if count == 0 || dims == 0 || dims > 100_000 {
        return false;
    }
    // Each row holds at least a one-byte word, a space and 4 bytes per dimension.
    let row = dims.saturating_mul(4).saturating_add(2);
    let body = len.saturating_sub(nl as u64).saturating_sub(1);
    if body < row.min(count.saturating_mul(row)) {
        return false;
    }
    // The float data makes the rest binary: text with a numeric first line is not word2vec.
    let rest = head.get(nl.saturating_add(1)..).unwrap_or_default();
    std::str::from_utf8(rest).is_err() || has_binary_controls(&String::from_utf8_lossy(rest))
}

/// A joblib < 0.10 compressed file (`write_zfile`): `ZF`, the hex length of the data (`0x...`,
/// Python 2 may add `L`) left-justified in a space-padded field (19 or 20 bytes, by version),
/// then a zlib stream. Returns where the zlib stream starts and the declared length.
pub fn joblib_zfile_header(head: &[u8]) -> Option<(usize, u64)> {
    let rest = head.strip_prefix(b"ZF0x")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let hex = std::str::from_utf8(rest.get(..digits)?).ok()?;
    let n = u64::from_str_radix(hex, 16).ok()?;
    let mut at = 4usize.checked_add(digits)?;
    if head.get(at) == Some(&b'L') {
        at = at.checked_add(1)?;
    }
    let pad = head.get(at..)?.iter().take_while(|&&b| b == b' ').count();
    at = at.checked_add(pad)?;
    (digits > 0 && (21..=24).contains(&at) && looks_like_zlib(head.get(at..)?)).then_some((at, n))
}

/// The head without a UTF-8 sequence cut at the end of the read window.
fn head_text(head: &[u8], len: u64) -> &[u8] {
    if (head.len() as u64) < len {
        let cut = match std::str::from_utf8(head) {
            Ok(_) => head.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => head.len(),
        };
        head.get(..cut).unwrap_or(head)
    } else {
        head
    }
}

/// safetensors: 8-byte little-endian header length, then a JSON object.
fn looks_like_safetensors(head: &[u8], len: u64) -> bool {
    let Some(n) = head.get(..8) else { return false };
    let mut le = [0u8; 8];
    le.copy_from_slice(n);
    let n = u64::from_le_bytes(le);
    // A header that does not fit is still safetensors (a malformed one), as long as the JSON
    // object starts where it should.
    // The JSON object opens with a key or closes (`{"` in every file the library writes): a
    // gettext `.mo` file has `{` there by chance (its string count), then a NUL.
    n >= 2
        && len >= 10
        && head.get(8) == Some(&b'{')
        && matches!(
            head.get(9),
            Some(b'"' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
        )
        && n < (1 << 40)
}

/// zlib: CMF/FLG with deflate, a window of at most 32 KiB and a valid check value, and a
/// deflate stream that inflates without error as far as the head goes. The two header bytes
/// alone are weak evidence: text starting `(S` or `x ` has them, and fails to inflate within
/// a few bytes.
fn looks_like_zlib(head: &[u8]) -> bool {
    let header = match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8
                && (cmf >> 4) <= 7
                && ((*cmf as u16) << 8 | *flg as u16).is_multiple_of(31)
        }
        _ => false,
    };
    header && inflates(head)
}

/// The zlib stream in `head` inflates without error up to its end or the end of `head`.
/// The output is thrown away as it comes (a head of 4 KiB inflates to at most about 4 MiB).
fn inflates(head: &[u8]) -> bool {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut d = Decompress::new(true);
    let mut out = vec![0u8; 16 << 10];
    let mut input = head;
    loop {
        let (was_in, was_out) = (d.total_in(), d.total_out());
        match d.decompress(input, &mut out, FlushDecompress::None) {
            Ok(Status::StreamEnd) => return true,
            Ok(_) => {
                let used = usize::try_from(d.total_in().saturating_sub(was_in)).unwrap_or(0);
                input = input.get(used..).unwrap_or(&[]);
                // All of the head taken, or no progress: nothing wrong so far.
                if input.is_empty() || (used == 0 && d.total_out() == was_out) {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide_the_format_whatever_the_name() {
        let table: &[(&[u8], Format)] = &[
            (b"PK\x03\x04rest", Format::Zip),
            (b"PK\x05\x06\0\0", Format::Zip),
            (b"\x93NUMPY\x01\x00", Format::Npy),
            (b"GGUF\x03\0\0\0", Format::Gguf),
            (b"\x89HDF\r\n\x1a\n", Format::Hdf5),
            (b"7z\xbc\xaf\x27\x1c\0\x04", Format::SevenZ),
            (b"\x1f\x8b\x08\0", Format::Gzip),
            (b"BZh91AY", Format::Bzip2),
            (b"\xfd7zXZ\x00\0", Format::Xz),
            (b"\x28\xb5\x2f\xfd\0", Format::Zstd),
            (b"\x04\x22\x4d\x18\x64\x40\xa7", Format::Lz4),
            (b"\x80\x04\x95\x05\0\0\0\0\0\0\0N.", Format::Pickle),
            (b"\x80\x02N.", Format::Pickle),
            (b"(lp0\nI1\na.", Format::Pickle),
            (b"x\x9c\xcb\x48\xcd", Format::Zlib),
            (b"\x5d\x00\x00\x80\x00", Format::Lzma),
            (b"{\"a\": 1}", Format::Json),
            (b"[1, 2]", Format::Json),
            (b"[\n  [\"a\", true]\n]", Format::Json),
            (b"[true]", Format::Json),
            (b"[]", Format::Json),
            (b"[paths]\ntrain = null\n", Format::Text),
            (b"[[verify.signer]]\nrole = \"a\"\n", Format::Text),
            (b"[trueish]\nx = 1\n", Format::Text),
            (b"hello world\n", Format::Text),
            (b"\x00\x01\x02\xff\xfe", Format::Unknown),
        ];
        for (bytes, want) in table {
            for name in ["x.txt", "model.safetensors", "weights"] {
                assert_eq!(
                    detect(bytes, bytes.len() as u64, name),
                    *want,
                    "{bytes:?} named {name}"
                );
            }
        }
    }

    #[test]
    fn a_tiny_onnx_model_that_is_all_valid_utf8_is_onnx_not_text() {
        // `08 03 12 07 "pytorch"`: ir_version 3, producer_name, as in onnx's node test models.
        let b = b"\x08\x03\x12\x07pytorch\x1a\x030.2:\x1e\n\x0c\n\x01x\x12\x01y\"\x04Relu";
        assert_eq!(detect(b, b.len() as u64, "model.onnx"), Format::Onnx);
        // Without the name the control bytes still make it binary, never text.
        assert_eq!(detect(b, b.len() as u64, "model"), Format::Unknown);
    }

    #[test]
    fn protobufs_without_magic_are_recognised_only_by_a_strict_walk() {
        // TensorProto: dims [2], data_type FLOAT, raw_data of 8 bytes.
        let t = b"\x08\x02\x10\x01\x4a\x08\0\0\x80\x3f\0\0\0\x40";
        // ModelProto: one piece "<unk>" (score 0, type UNKNOWN).
        let sp = b"\x0a\x0e\x0a\x05<unk>\x15\0\0\0\0\x18\x02";
        for name in ["input_0.pb", "tokenizer.model", "weights"] {
            assert_eq!(detect(t, t.len() as u64, name), Format::OnnxTensor);
            assert_eq!(detect(sp, sp.len() as u64, name), Format::SentencePiece);
        }
        // One byte of raw_data short, or a piece of an undefined type: not recognised.
        let short = &t[..t.len() - 1];
        assert_eq!(
            detect(short, short.len() as u64, "input_0.pb"),
            Format::Unknown
        );
        let mut bad = sp.to_vec();
        bad[15] = 9;
        assert_eq!(detect(&bad, bad.len() as u64, "m.model"), Format::Unknown);
    }

    #[test]
    fn data_only_formats_are_recognised_by_their_headers() {
        let mut ft = vec![0xba, 0x16, 0x4f, 0x2f, 12, 0, 0, 0];
        ft.extend_from_slice(&[0u8; 64]);
        assert_eq!(detect(&ft, ft.len() as u64, "m.bin"), Format::FastText);
        let mut w2v = b"2 3\nhello ".to_vec();
        w2v.extend_from_slice(&[
            0x00, 0x00, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, b'\n',
        ]);
        w2v.extend_from_slice(b"world ");
        w2v.extend_from_slice(&[
            0x00, 0x00, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, b'\n',
        ]);
        assert_eq!(detect(&w2v, w2v.len() as u64, "v.bin"), Format::Word2Vec);
        // A text file whose first line is two numbers stays text.
        let text = b"2 3\nhello world\n";
        assert_eq!(detect(text, text.len() as u64, "v.txt"), Format::Text);
        let mat = b"MATLAB 5.0 MAT-file, Platform: posix, Created on: Mon Jan  1 00:00:00 2024";
        assert_eq!(detect(mat, mat.len() as u64, "a.mat"), Format::Matlab);
        assert_eq!(detect(b"SR\x00\x04\x00\x00", 6, "a.sav"), Format::IdlSave);
        assert_eq!(detect(b"CDF\x01\x00\x00", 6, "a.nc"), Format::NetCdf);
        let mut tfl = vec![0x1c, 0, 0, 0];
        tfl.extend_from_slice(b"TFL3");
        assert_eq!(detect(&tfl, tfl.len() as u64, "m.bin"), Format::Tflite);
    }

    #[test]
    fn a_shared_extension_is_a_mismatch_only_for_bytes_that_can_run_code() {
        // `.bin` is fastText, word2vec, sentencepiece tables, CoreML weights, ... as well.
        for f in [
            Format::Unknown,
            Format::Text,
            Format::FastText,
            Format::Onnx,
        ] {
            assert!(!Claim::Torch.mismatch(f), "{f:?}");
        }
        // A pickle carrier under a name that promises something else is a disguise.
        for f in [Format::Gzip, Format::SevenZ, Format::Npy] {
            assert!(Claim::Torch.mismatch(f), "{f:?}");
        }
        // `torch.save(obj, "export.pkl")` writes a zip.
        assert!(!Claim::Pickle.mismatch(Format::PytorchZip));
        // A name that implies one format: anything else is a mismatch.
        for f in [Format::Unknown, Format::Text, Format::Pickle] {
            assert!(Claim::Safetensors.mismatch(f), "{f:?}");
            assert!(Claim::Gguf.mismatch(f), "{f:?}");
        }
    }

    #[test]
    fn detects_safetensors_header() {
        let mut b = 10u64.to_le_bytes().to_vec();
        b.extend_from_slice(b"{\"a\":1}   ");
        assert_eq!(detect(&b, b.len() as u64, "x"), Format::Safetensors);
    }

    #[test]
    fn protocol0_pickle_starting_like_zlib_is_a_pickle() {
        let b = b"(S'echo aibom-sample'\nios\nsystem\n.";
        assert_eq!(detect(b, b.len() as u64, "x.pkl"), Format::Pickle);
    }

    #[test]
    fn protocol0_pickles_with_lines_cpython_accepts_are_pickles() {
        // Each runs os.system in CPython 3.11 (the last then fails at its second import): a
        // frozen module is found by what precedes a NUL, numbers may carry whitespace and stop
        // at a NUL, names need not be ASCII, and no opcode needs a PROTO before it. The
        // grammar refused them, and the files were only hashed.
        for b in [
            &b"cos\0x\nsystem\n(S'echo aibom-sample'\ntR."[..],
            b"I 1 \n0cos\nsystem\n(S'echo aibom-sample'\ntR.",
            b"I1\0zz\n0cos\nsystem\n(S'echo aibom-sample'\ntR.",
            "cos\nsystem\n(S'echo aibom-sample'\ntR0cm\u{f3}dulo\nf\n.".as_bytes(),
            b"\x8e\x01\x00\x00\x00\x00\x00\x00\x00x0cos\nsystem\n(S'echo aibom-sample'\ntR.",
            b"\x8a\x01\x01\x8b\x01\x00\x00\x00\x01\x86\x940cos\nsystem\n(S'echo aibom-sample'\ntR.",
        ] {
            assert_eq!(detect(b, b.len() as u64, "x"), Format::Pickle, "{b:?}");
        }
        // Text is still text, also where it begins like a short pickle and its STOP.
        for t in [
            "config\nfoo bar\nbaz\n",
            "I am a line\nof text.\n",
            "N.B. This model is released under the MIT licence.\n",
            "(1.5, 2.5)\n",
        ] {
            assert_ne!(
                detect(t.as_bytes(), t.len() as u64, "x"),
                Format::Pickle,
                "{t:?}"
            );
        }
    }

    #[test]
    fn text_the_loader_fails_on_before_it_imports_anything_is_not_a_pickle() {
        // Each fails in CPython's loader at its first opcodes, on an empty stack or a missing
        // MARK, before anything is imported or called (pickletools.dis agrees): `NONE` then
        // `OBJ` (a licence), `UNICODE` then `SETITEMS` (a vim spell file), `MARK` then `STOP`,
        // an odd `SETITEMS`, `REDUCE` on one item, `APPEND` on one.
        for t in [
            &b"Node.js is licensed for use as follows:\n\n\"\"\"\nCopyright"[..],
            b"VIMspell2\x00\x01\x00\x00\x00\nusaucagbnz\x01\x01\x00",
            b"(.",
            b"}(K\x01u.",
            b"NR.",
            b"Na.",
            b"]e.",
        ] {
            assert_ne!(detect(t, t.len() as u64, "x"), Format::Pickle, "{t:?}");
        }
        // What imports before it fails still runs, and is a pickle; so are the stack shapes
        // the loader accepts.
        for b in [
            &b"cos\nsystem\no."[..],
            b"cos\nsystem\n(S'echo aibom-sample'\ntR.",
            b"](K\x01K\x02e.",
            b"}(K\x01K\x02u.",
            b"N(0.",
            b"(N1N.",
            b"N2\x86.",
            b"N\x94N\x86\x85.",
        ] {
            assert_eq!(detect(b, b.len() as u64, "x"), Format::Pickle, "{b:?}");
        }
    }

    #[test]
    fn pickles_cpython_runs_that_the_grammar_refused_are_pickles() {
        // EMPTY_SET and PERSID first (a loader with persistent_load reads on), and an INST
        // with no MARK: the pure-Python unpickler (joblib.load) imports its class first.
        for b in [
            &b"\x8f0cos\nsystem\n(S'echo aibom-sample'\ntR."[..],
            b"P1\n0cos\nsystem\n(S'echo aibom-sample'\ntR.",
            b"ios\nsystem\n.",
        ] {
            assert_eq!(detect(b, b.len() as u64, "x"), Format::Pickle, "{b:?}");
        }
    }

    #[test]
    fn a_line_argument_longer_than_the_head_is_followed_to_its_newline() {
        // `S'aaa...'` of 5,000 bytes, then the payload: the head holds no newline.
        let mut b = b"S'".to_vec();
        b.extend_from_slice(&[b'a'; 5000]);
        b.extend_from_slice(b"'\n0cos\nsystem\n(S'echo aibom-sample'\ntR.");
        let read = |b: &[u8]| {
            let data = b.to_vec();
            move |at: u64, n: usize| -> std::io::Result<Vec<u8>> {
                let at = (at as usize).min(data.len());
                Ok(data[at..(at + n).min(data.len())].to_vec())
            }
        };
        let len = b.len() as u64;
        assert!(!pickle::looks_like_pickle(&b[..HEAD_LEN], len));
        assert!(pickle::looks_like_pickle_in(&b[..HEAD_LEN], len, &mut read(&b)).unwrap());
        // Text with a long first line is still text: unquoted, or with no newline at all.
        let mut t = b"Some words".to_vec();
        t.extend_from_slice(&[b'a'; 5000]);
        t.extend_from_slice(b"\nmore\n");
        let len = t.len() as u64;
        assert!(!pickle::looks_like_pickle_in(&t[..HEAD_LEN], len, &mut read(&t)).unwrap());
        let mut v = b"V".to_vec();
        v.extend_from_slice(&[b'a'; 9000]);
        let len = v.len() as u64;
        assert!(!pickle::looks_like_pickle_in(&v[..HEAD_LEN], len, &mut read(&v)).unwrap());
    }

    #[test]
    fn a_stream_after_a_short_one_may_start_from_the_memo() {
        // An Unpickler loaded again keeps its memo: the second stream fetches the string the
        // first put (`BINGET 0`), then imports and calls. Rejected before, the file was hashed.
        let b = b"\x8c\x02os\x94.h\x00\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.";
        assert_eq!(detect(b, b.len() as u64, "x"), Format::Pickle);
    }

    #[test]
    fn text_with_a_valid_zlib_header_that_does_not_inflate_is_text() {
        // `(S` and `x ` are valid zlib headers; the deflate data after them fails at once.
        for t in [
            "(SSL Certificate Verification)=\n\nBy default, pip will perform SSL certificate verification\n",
            "x = 1\nprint(\"x is:\", x)\n",
        ] {
            assert_ne!(
                detect(t.as_bytes(), t.len() as u64, "x"),
                Format::Zlib,
                "{t:?}"
            );
        }
        // A real stream, whole or cut at the head's end, is zlib.
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, &[7u8; 100_000]).unwrap();
        let z = e.finish().unwrap();
        assert_eq!(detect(&z, z.len() as u64, "x"), Format::Zlib);
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        std::io::Write::write_all(&mut e, &noise).unwrap();
        let z = e.finish().unwrap();
        assert_eq!(detect(&z[..HEAD_LEN], z.len() as u64, "x"), Format::Zlib);
    }

    #[test]
    fn a_gettext_catalog_is_not_safetensors() {
        // Magic 0x950412de, revision 0, then 123 strings: `{` at byte 8 and a NUL after it.
        let mut b = b"\xde\x12\x04\x95\x00\x00\x00\x00\x7b\x00\x00\x00\x1c\x00\x00\x00".to_vec();
        b.resize(4096, 0);
        assert_ne!(detect(&b, b.len() as u64, "x.mo"), Format::Safetensors);
    }

    #[test]
    fn short_pickles_and_pickles_back_to_back_are_pickles() {
        for b in [
            &b"N."[..],
            b"N.\n",
            b"N.(lp0\nI1\na.",
            b"\x80\x02K\x01.\x80\x02M\xe9\x03.",
        ] {
            assert_eq!(detect(b, b.len() as u64, "x"), Format::Pickle, "{b:?}");
        }
    }

    #[test]
    fn safetensors_whose_header_length_looks_like_a_pickle_proto_is_safetensors() {
        let mut b = 384u64.to_le_bytes().to_vec();
        b.push(b'{');
        b.resize(8 + 384, b' ');
        assert_eq!(
            detect(&b, b.len() as u64, "m.safetensors"),
            Format::Safetensors
        );
    }

    #[test]
    fn tar_names_claim_a_tar_compressed_or_not() {
        for name in ["model.tar", "model.tgz", "model.nemo", "x/y.TXZ"] {
            assert_eq!(claimed_by_name(name), Some(Claim::Tar), "{name}");
        }
        // `.tar.gz` is claimed by nothing: `.gz` says only "gzip".
        assert_eq!(claimed_by_name("model.tar.gz"), None);
        for f in [Format::Tar, Format::PytorchTar, Format::Gzip, Format::Xz] {
            assert!(!Claim::Tar.mismatch(f), "{f:?}");
        }
        assert!(Claim::Tar.mismatch(Format::Zip));
        // torch.load reads a tar before it tries a pickle.
        assert!(!Claim::Torch.mismatch(Format::PytorchTar));
    }

    #[test]
    fn empty_file_is_empty() {
        assert_eq!(detect(b"", 0, "pytorch_model.bin"), Format::Empty);
    }

    #[test]
    fn name_claims_and_acceptance() {
        assert_eq!(
            claimed_by_name("a/model.safetensors"),
            Some(Claim::Safetensors)
        );
        assert_eq!(claimed_by_name("pytorch_model.BIN"), Some(Claim::Torch));
        assert_eq!(claimed_by_name("README"), None);
        assert!(!Claim::Safetensors.accepts(Format::Pickle));
        assert!(Claim::Torch.accepts(Format::PytorchZip));
    }
}
