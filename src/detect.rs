//! Format detection from content. The file name never decides; it only breaks ties between
//! formats the bytes cannot tell apart, and it tells what the file *claims* to be, so that a
//! mismatch (a pickle named `model.safetensors`) is reported.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod pickle;

use serde::Serialize;

/// Bytes read from the start of a file for detection.
pub const HEAD_LEN: usize = 4096;

/// The formats aibom recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    #[serde(rename = "7z")]
    SevenZ,
    Gguf,
    Hdf5,
    Onnx,
    /// TensorFlow `saved_model.pb` (protobuf; recognised by name and a plausible first field).
    SavedModel,
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
            Format::SevenZ => "7z",
            Format::Gguf => "GGUF",
            Format::Hdf5 => "HDF5",
            Format::Onnx => "ONNX",
            Format::SavedModel => "TensorFlow SavedModel",
            Format::Json => "JSON",
            Format::Text => "text",
            Format::Unknown => "unknown",
        }
    }

    /// Formats whose content aibom inspects in depth (the rest are recognised and hashed).
    pub fn is_inspected(self) -> bool {
        !matches!(self, Format::Hdf5 | Format::Unknown)
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
        }
    }

    /// Whether content of format `f` is a legitimate instance of what the name claims.
    pub fn accepts(self, f: Format) -> bool {
        use Format as F;
        match self {
            Claim::Safetensors => f == F::Safetensors,
            Claim::Torch => matches!(
                f,
                F::PytorchZip | F::TorchScript | F::PytorchLegacy | F::Pickle | F::Zip
            ),
            Claim::Pickle => matches!(f, F::Pickle | F::PytorchLegacy | F::Joblib),
            Claim::Joblib => matches!(
                f,
                F::Pickle | F::Joblib | F::Zlib | F::Gzip | F::Bzip2 | F::Xz | F::Lzma | F::Zstd
            ),
            Claim::Npy => f == F::Npy,
            Claim::Npz => matches!(f, F::Npz | F::Zip),
            Claim::Gguf => f == F::Gguf,
            Claim::Keras => matches!(f, F::Keras | F::Zip),
            Claim::Onnx => f == F::Onnx,
            Claim::H5 => f == F::Hdf5,
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
    if starts(pickle::LEGACY_TORCH_PREFIX) {
        return Format::PytorchLegacy;
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
    if looks_like_zlib(head) {
        return Format::Zlib;
    }
    // lzma-alone: properties byte 0x5d and a dictionary size, as written by xz's lzma_alone
    // encoder and Python's lzma.FORMAT_ALONE (joblib's "lzma" compressor).
    if starts(b"\x5d\x00\x00") {
        return Format::Lzma;
    }
    if let Ok(text) = std::str::from_utf8(head_text(head, len)) {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && (len as usize <= head.len() || !text.contains('\0'))
        {
            return Format::Json;
        }
        if !text.contains('\0') {
            return Format::Text;
        }
    }
    // ONNX is a protobuf with no magic number: a `.onnx` name plus a plausible first field
    // (ir_version, field 1 varint) is the tie-break.
    if extension(name) == "onnx" && head.first() == Some(&0x08) {
        return Format::Onnx;
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    if base == "saved_model.pb" && matches!(head.first(), Some(&0x08) | Some(&0x12)) {
        return Format::SavedModel;
    }
    Format::Unknown
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
    n >= 2 && len >= 9 && head.get(8) == Some(&b'{') && n < (1 << 40)
}

/// zlib: CMF/FLG with deflate, a window of at most 32 KiB and a valid check value.
fn looks_like_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8
                && (cmf >> 4) <= 7
                && ((*cmf as u16) << 8 | *flg as u16).is_multiple_of(31)
        }
        _ => false,
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
            (b"\x80\x04\x95\x05\0\0\0\0\0\0\0N.", Format::Pickle),
            (b"\x80\x02N.", Format::Pickle),
            (b"(lp0\nI1\na.", Format::Pickle),
            (b"x\x9c\xcb\x48\xcd", Format::Zlib),
            (b"\x5d\x00\x00\x80\x00", Format::Lzma),
            (b"{\"a\": 1}", Format::Json),
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
