//! Findings: what the inspection found, as data.
//!
//! A malicious pickle is a [`Finding`], not an error: `Err` is reserved for "the tool could not
//! do its job". Every finding carries a stable [`Code`]; codes are public API (config keys, SARIF
//! rule ids, the README table) and never change meaning once released.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`. Also a command-line
/// value (`--fail-on high`), parsed once by clap.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity {s:?} (info, low, medium, high, critical)"))
    }
}

/// What a finding says about the file: it decides the file's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Loading the file could run code or touch the system.
    Security,
    /// The bytes are broken, ambiguous or inconsistent.
    Integrity,
    /// The file could not be fully inspected.
    Coverage,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $kind:ident, $sev:ident, $cwe:expr, $summary:literal; )*) => {
        /// Stable finding codes. See the README table; a test keeps them unique.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The kebab-case identifier used in every output.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }
            /// Whether the finding is about danger, broken bytes or missing coverage.
            pub fn kind(self) -> Kind {
                match self { $( Code::$variant => Kind::$kind, )* }
            }
            /// The analysis stopped at one of the tool's limits: what was not read may hold
            /// anything, so the finding meets whatever gate the run sets (its severity is raised
            /// to `--fail-on` when that is higher).
            pub fn cuts_analysis(self) -> bool {
                matches!(
                    self,
                    Code::PickleLimitExceeded
                        | Code::TarLimitExceeded
                        | Code::ArchiveDepthExceeded
                        | Code::ZipBomb
                )
            }
            /// Severity unless the policy says otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
            /// The CWE this code maps to, if any.
            pub fn cwe(self) -> Option<u32> {
                match self { $( Code::$variant => $cwe, )* }
            }
            /// One line for documentation and rule descriptions.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    // Pickle: code that runs on load.
    PickleDangerousGlobal = "pickle-dangerous-global", Security, Critical, Some(502),
        "the pickle imports a global on the denylist (runs code, reaches files, network or other loaders)";
    PickleDangerousCall = "pickle-dangerous-call", Security, Critical, Some(502),
        "the pickle calls a denylisted callable while loading";
    PickleUnknownGlobal = "pickle-unknown-global", Security, Medium, Some(502),
        "the pickle imports a global that is not on the allowlist of globals known to be safe in model files";
    PickleDynamicGlobal = "pickle-dynamic-global", Security, Critical, Some(502),
        "STACK_GLOBAL operands are not constant strings: the imported name is computed at load time";
    PickleDynamicCall = "pickle-dynamic-call", Security, High, Some(502),
        "the pickle calls what a callable not on the allowlist returned, or hands what a function on neither list returned to another callable: what runs is chosen while loading";
    PickleDunderAccess = "pickle-dunder-access", Security, Critical, Some(502),
        "a global's dotted name or an attribute lookup reaches interpreter internals (dunder attributes)";
    PickleBuildOnGlobal = "pickle-build-on-global", Security, Critical, Some(502),
        "BUILD or an item/append opcode mutates a class, function or module object (gadget rewiring)";
    PickleExtensionCode = "pickle-extension-code", Security, High, Some(502),
        "EXT1/EXT2/EXT4 fetches a callable from the copyreg extension registry, which depends on the loading process";
    PickleNestedUnscannable = "pickle-nested-unscannable", Security, High, Some(502),
        "bytes passed to a loader inside the pickle could not be scanned";
    PickleFrameOverrun = "pickle-frame-overrun", Integrity, High, None,
        "an opcode or its argument crosses the end of a declared FRAME (scanners and loaders disagree here)";
    PickleMalformed = "pickle-malformed", Integrity, High, None,
        "the pickle stream breaks (invalid opcode, truncation, stack underflow, missing memo entry); anything before the break ran when loaded";
    PickleTrailingData = "pickle-trailing-data", Integrity, Medium, None,
        "bytes follow the last pickle stream and are not another pickle";
    PickleOutOfBandBuffer = "pickle-out-of-band-buffer", Integrity, Medium, None,
        "the pickle expects out-of-band buffers (protocol 5 NEXT_BUFFER) that a plain loader does not supply";
    PickleLimitExceeded = "pickle-limit-exceeded", Coverage, High, Some(400),
        "a pickle analysis limit was reached; the rest of the stream was not analysed";
    PickleLoaderExhaustion = "pickle-loader-exhaustion", Integrity, High, Some(789),
        "a memo index or declared frame length would make CPython's unpickler allocate far more memory than the file holds";
    JoblibArrayUnresolved = "joblib-array-unresolved", Integrity, High, None,
        "a joblib array's byte count (shape, dtype, padding) cannot be worked out from the pickle as joblib reads it; every later position was tried as a pickle start";
    JoblibExternalArray = "joblib-external-array", Security, High, Some(73),
        "a legacy joblib NDArrayWrapper loads a .npy file (allow_pickle=True) from a path outside the pickle's directory or not known from the pickle";
    FindingsCapped = "findings-capped", Coverage, Low, None,
        "more findings below the gate than the per-file cap: the rest are counted per code, not listed";
    // Containers.
    Polyglot = "polyglot", Integrity, High, Some(434),
        "the bytes have more than one valid interpretation (e.g. pickle and zip); every interpretation was scanned";
    ZipCrcMismatch = "zip-crc-mismatch", Integrity, High, None,
        "a zip member's CRC-32 does not match its bytes (PyTorch loads it anyway, Python's zipfile refuses it)";
    ZipHeaderMismatch = "zip-header-mismatch", Integrity, High, None,
        "a zip member's local header disagrees with its central directory entry";
    ZipDuplicateName = "zip-duplicate-name", Integrity, High, None,
        "two zip members share a name; loaders disagree on which one they read";
    ZipPathTraversal = "zip-path-traversal", Security, High, Some(22),
        "a zip member name is absolute or climbs out with '..'";
    ZipEncryptedFlag = "zip-encrypted-flag", Integrity, High, None,
        "a zip member is flagged encrypted (or strong encryption, masked headers): PyTorch and zipfile refuse the flag in the central directory, PyTorch ignores it in a local header; the bytes were scanned as they are";
    ZipHiddenEntry = "zip-hidden-entry", Integrity, High, None,
        "a zip member is present in the local headers but absent from the central directory (or the other way round)";
    ZipTrailingData = "zip-trailing-data", Integrity, High, None,
        "bytes before the first or after the last zip structure carry content";
    ZipBomb = "zip-bomb", Integrity, High, Some(409),
        "a compressed member expands past the size or ratio limit; decompression stopped at the cap";
    ZipMalformed = "zip-malformed", Integrity, High, None,
        "the zip structure is broken or uses an unsupported compression method";
    TorchStorageMismatch = "torch-storage-mismatch", Integrity, High, Some(130),
        "a PyTorch checkpoint's storage record does not hold the bytes its pickle declares (element count x element size), is missing, or is not referenced by the pickle";
    TfCheckpointDataMismatch = "tf-checkpoint-data-mismatch", Integrity, High, Some(130),
        "a TensorFlow checkpoint data shard is shorter than its index says: the index places tensor bytes past the shard's end";
    TarPathTraversal = "tar-path-traversal", Security, High, Some(22),
        "a tar member name is absolute or climbs out with '..'";
    TarLinkEscape = "tar-link-escape", Security, High, Some(59),
        "a tar symbolic or hard link points outside the extraction directory (absolute, or '..' past its root); extraction writes or reads through it";
    TarSpecialFile = "tar-special-file", Security, High, None,
        "a tar member is a character or block device or a FIFO: extraction creates a device node or a pipe that blocks the loader";
    TarDuplicateName = "tar-duplicate-name", Integrity, High, None,
        "two tar members share a name; extraction keeps the last, readers that look a name up may take either";
    TarTrailingData = "tar-trailing-data", Integrity, High, None,
        "content follows the tar end-of-archive marker or a broken header: members there are read by `tar --ignore-zeros` (and were scanned), not by Python's tarfile";
    TarMalformed = "tar-malformed", Integrity, High, None,
        "the tar structure is broken: a bad header checksum or number, a truncated header or member, an invalid pax record, or data behind a link or directory";
    TarLimitExceeded = "tar-limit-exceeded", Coverage, High, Some(400),
        "a tar limit was reached (members, pax or long-name header size, chained extension headers); the rest was not inspected";
    ArchiveDepthExceeded = "archive-depth-exceeded", Coverage, High, Some(400),
        "archives or nested pickles are nested deeper than the limit; the inner content was not inspected";
    ArchiveMalformed = "archive-malformed", Integrity, High, None,
        "a compressed stream or archive (gzip, bzip2, xz, lzma, zstd, lz4, 7z) is broken";
    TorchScriptCode = "torchscript-code", Security, High, Some(94),
        "a TorchScript archive carries code that could not be analysed (too large, unreadable, not UTF-8, or reaching an operator through a computed name); torch.jit.load compiles and runs it";
    NpyObjectArray = "npy-object-array", Security, Low, Some(502),
        "a NumPy array has an object dtype: loading it unpickles (allow_pickle=True); its pickle was scanned";
    NpyMalformed = "npy-malformed", Integrity, High, None,
        "the NumPy .npy header is invalid or the data does not match the declared shape";
    SafetensorsMalformed = "safetensors-malformed", Integrity, High, None,
        "the safetensors header is invalid (length, JSON, dtypes, shapes, offsets or metadata)";
    // Other model formats and what they carry.
    GgufMalformed = "gguf-malformed", Integrity, High, None,
        "the GGUF header, metadata or tensor table is invalid or exceeds a limit";
    ChatTemplateInjection = "chat-template-injection", Security, Critical, Some(1336),
        "a Jinja chat template reaches Python internals (dunder attributes, os, subprocess, imports): template injection runs code when the template is rendered";
    OnnxMalformed = "onnx-malformed", Integrity, High, None,
        "the ONNX protobuf is invalid, truncated or nested past the limit";
    OnnxExternalDataEscape = "onnx-external-data-escape", Security, High, Some(22),
        "an ONNX tensor's external data location is absolute, climbs out with '..' or leaves the model directory";
    OnnxCustomOperator = "onnx-custom-operator", Security, Low, None,
        "an ONNX node uses an operator domain outside the standard ones; running it needs a custom operator library";
    KerasLambda = "keras-lambda", Security, Critical, Some(94),
        "a Keras model has a Lambda layer: loading it unmarshals and runs Python bytecode";
    KerasCustomObject = "keras-custom-object", Security, Medium, Some(502),
        "a Keras config names a class or function outside Keras (module or registered_name), imported when the model loads";
    KerasEmbeddedObject = "keras-embedded-object", Security, Critical, Some(502),
        "a Keras layer carries a serialized object that loading deserializes (TorchModuleWrapper: base64 of a torch.save archive passed to torch.load); the bytes are scanned as a nested file";
    KerasExternalLoad = "keras-external-load", Security, High, Some(829),
        "a Keras config loads an artifact from outside the model: a TFSMLayer's SavedModel path, or a function that loads or downloads files (get_file, load_model); critical for a function";
    KerasMalformed = "keras-malformed", Integrity, High, None,
        "the Keras archive or HDF5 model config is invalid";
    SavedModelDangerousOp = "savedmodel-dangerous-op", Security, High, Some(94),
        "a TensorFlow SavedModel graph uses operations that touch the file system or run Python (ReadFile, WriteFile, PyFunc, ...)";
    SavedModelMalformed = "savedmodel-malformed", Integrity, High, None,
        "the TensorFlow SavedModel protobuf is invalid";
    CoremlCustomLayer = "coreml-custom-layer", Security, Low, Some(829),
        "a Core ML model uses a custom layer or custom model: the application must implement and register it as native code";
    TfliteCustomOp = "tflite-custom-op", Security, Low, Some(829),
        "a TensorFlow Lite model uses a custom operator: the application must register a native kernel for it";
    TfliteFlexOp = "tflite-flex-op", Security, Medium, Some(829),
        "a TensorFlow Lite model runs a full TensorFlow kernel through the Flex delegate (high when the kernel reads or writes files)";
    TfliteMalformed = "tflite-malformed", Integrity, Medium, None,
        "the TensorFlow Lite FlatBuffer's offsets to its operator codes are broken; they were not checked";
    ConfigCallableTarget = "config-callable-target", Security, Low, Some(470),
        "a Hydra/OmegaConf config names a callable in _target_ that hydra.utils.instantiate imports and calls: critical when on the pickle denylist, high when it cannot be read statically, low when on neither list";
    ConfigEmbeddedPayload = "config-embedded-payload", Security, Medium, Some(502),
        "a base64 or hex string in a config decodes to a pickle, archive or other model file; it was inspected as a nested file (high when it could not be)";
    RemoteCode = "remote-code", Security, High, Some(94),
        "the model needs trust_remote_code: auto_map points at Python files in the repository that run when it loads";
    LfsPointer = "lfs-pointer", Integrity, High, None,
        "a Git LFS pointer file stands where the weights should be: the release is incomplete";
    SecretExposed = "secret-exposed", Security, High, Some(798),
        "a credential (access token, API key, private key) is committed in the model repository";
    TorchScriptDangerousOp = "torchscript-dangerous-op", Security, High, Some(94),
        "TorchScript code calls an operator that touches the host: files (aten::from_file, aten::save) or the network (RPC, c10d collectives); critical inside __setstate__, which runs while loading";
    TorchScriptCustomOp = "torchscript-custom-op", Security, Medium, Some(829),
        "TorchScript code uses an operator or custom class outside libtorch's namespaces: loading needs a native library the deployment must load first; high inside __setstate__";
    // Files and directories.
    FormatMismatch = "format-mismatch", Integrity, High, None,
        "the file name claims a model format that its bytes are not";
    EmptyFile = "empty-file", Integrity, Low, None,
        "the file is empty";
    UnknownFormat = "unknown-format", Coverage, Info, None,
        "the format was not recognised; the file is hashed but not inspected";
    Hdf5DuplicateHeapObject = "hdf5-duplicate-heap-object", Integrity, High, None,
        "a global heap collection holds two objects with one index: libhdf5 reads the last, other readers may read the first (scanners and loaders disagree here)";
    Hdf5Incomplete = "hdf5-incomplete", Coverage, Medium, None,
        "an HDF5 file was not inspected whole: its structure could not be walked within the limits, or it holds PyTables object arrays whose rows are pickles (not read)";
    SymlinkEscape = "symlink-escape", Security, High, Some(59),
        "a symbolic link points outside the scanned root (absolute or '..' past the root); it was not followed";
    SymlinkBroken = "symlink-broken", Integrity, High, Some(59),
        "a symbolic link points at nothing";
    PartialDownload = "partial-download", Integrity, High, None,
        "an unfinished download (*.incomplete) is present: the release is incomplete";
    ReadError = "read-error", Coverage, High, None,
        "the file could not be read completely; it was not fully inspected";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Read back from a report (`aibom merge`): only the codes of this version.
impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown finding code {s:?}"))
    }
}

/// Where a finding is: the file (relative to the scanned root, `/`-separated), the member chain
/// inside archives or nested pickles, and a byte offset within the innermost stream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Location {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(m) = &self.member {
            write!(f, "!{m}")?;
        }
        if let Some(o) = self.offset {
            write!(f, "@{o}")?;
        }
        Ok(())
    }
}

/// Machine-readable evidence. Fields are optional; each code documents which it fills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Evidence {
    /// Module of an imported or called global, after CPython's `fix_imports` mapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Name within the module (may be dotted: attribute traversal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The opcode that did it (`REDUCE`, `STACK_GLOBAL`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<String>,
    /// Which rule of the policy matched (a denylist entry, an allowlist miss, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What was expected, for integrity findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found, for integrity findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Evidence {
    fn fields(&mut self) -> [&mut Option<String>; 6] {
        [
            &mut self.module,
            &mut self.name,
            &mut self.opcode,
            &mut self.rule,
            &mut self.expected,
            &mut self.actual,
        ]
    }

    pub fn global(module: &str, name: &str, opcode: &str) -> Self {
        Evidence {
            module: Some(module.to_owned()),
            name: Some(name.to_owned()),
            opcode: Some(opcode.to_owned()),
            ..Evidence::default()
        }
    }

    pub fn mismatch(expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Evidence {
            expected: Some(expected.into()),
            actual: Some(actual.into()),
            ..Evidence::default()
        }
    }
}

/// One thing the inspection found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    #[serde(default, skip_serializing_if = "is_empty_evidence")]
    pub evidence: Evidence,
}

/// Longest message a finding keeps, and longest evidence field: past them the text is cut
/// (`units::clip_noting_len`), so a finding about a hostile name is not as large as the name.
pub const MAX_MESSAGE: usize = 512;
pub const MAX_EVIDENCE: usize = 256;

impl Finding {
    /// Cuts the message and every evidence field to [`MAX_MESSAGE`] / [`MAX_EVIDENCE`] bytes.
    /// Heap bytes this finding holds, itself included (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let e = &self.evidence;
        [
            self.message.capacity(),
            self.location.path.capacity(),
            text(&self.location.member),
            text(&e.module),
            text(&e.name),
            text(&e.opcode),
            text(&e.rule),
            text(&e.expected),
            text(&e.actual),
        ]
        .iter()
        .fold(std::mem::size_of::<Self>(), |n, &b| n.saturating_add(b))
    }

    pub fn clip(&mut self) {
        if let std::borrow::Cow::Owned(m) =
            crate::units::clip_noting_len(&self.message, MAX_MESSAGE)
        {
            self.message = m;
        }
        for field in self.evidence.fields().into_iter().flatten() {
            if let std::borrow::Cow::Owned(v) = crate::units::clip_noting_len(field, MAX_EVIDENCE) {
                *field = v;
            }
        }
    }
}

fn is_empty_evidence(e: &Evidence) -> bool {
    *e == Evidence::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn long_messages_and_evidence_are_clipped_at_character_boundaries() {
        let mut f = Finding {
            code: Code::PickleUnknownGlobal,
            severity: Severity::Medium,
            location: Location {
                path: "x.pkl".into(),
                member: None,
                offset: None,
            },
            message: "é".repeat(MAX_MESSAGE),
            evidence: Evidence::global(&"m".repeat(10), &"n".repeat(MAX_EVIDENCE + 1), "GLOBAL"),
        };
        f.clip();
        assert!(f.message.len() < MAX_MESSAGE + 32, "{}", f.message.len());
        assert!(
            f.message
                .ends_with(&format!("... ({} bytes)", 2 * MAX_MESSAGE))
        );
        assert_eq!(f.evidence.module.as_deref(), Some("mmmmmmmmmm"));
        let name = f.evidence.name.unwrap();
        assert!(
            name.ends_with(&format!("... ({} bytes)", MAX_EVIDENCE + 1)),
            "{name}"
        );
    }

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{c} is not kebab-case"
            );
            assert_eq!(c.as_str().parse::<Code>().unwrap(), *c);
        }
    }

    #[test]
    fn severity_orders_from_info_to_critical() {
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::High < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn location_displays_member_and_offset() {
        let l = Location {
            path: "model.pt".into(),
            member: Some("archive/data.pkl".into()),
            offset: Some(12),
        };
        assert_eq!(l.to_string(), "model.pt!archive/data.pkl@12");
    }
}
