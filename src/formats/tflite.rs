//! TensorFlow Lite models: a FlatBuffer (`TFL3` file identifier) whose operator codes say which
//! kernels the interpreter runs. Builtin operators are part of the runtime; a model cannot carry
//! code. What it can ask for:
//! - **custom operators** (`builtin_code` CUSTOM with a `custom_code` name): native kernels the
//!   application must register before the interpreter allocates tensors;
//! - **Flex (select TensorFlow) operators** (`custom_code` `Flex<Op>`): full TensorFlow kernels
//!   run through the Flex delegate, among them file and system operations (`ReadFile`,
//!   `WriteFile`, `Save`, ...).
//!
//! Only the operator codes are read (root table field 1), by FlatBuffer offsets checked against
//! the file: no tensor data is read. The TFLite metadata zip that may follow the FlatBuffer is
//! scanned by the caller like any zip found from the end.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use serde::Serialize;
use std::io;

/// Bytes of the FlatBuffer read for the operator codes (tables sit before the tensor buffers
/// in files written by the TFLite converter; a model whose codes lie beyond is reported).
const MAX_READ: u64 = 16 << 20;
/// Operator codes read.
const MAX_CODES: usize = 4096;
/// `BuiltinOperator_CUSTOM` in the TFLite schema.
const CUSTOM: i32 = 32;
/// `BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES`: the real code is in `builtin_code`.
const PLACEHOLDER: i32 = 127;

/// TensorFlow operations that read or write files, reach the network or the process
/// environment: as Flex operators they run with the serving process's rights.
const FLEX_HOST_OPS: &[&str] = &[
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "Save",
    "SaveV2",
    "SaveSlices",
    "Restore",
    "RestoreV2",
    "RestoreSlice",
    "MergeV2Checkpoints",
    "ShardedFilename",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "FixedLengthRecordDataset",
    "TextLineDataset",
    "PrintV2",
    "Print",
    "ImmutableConst",
    "LoadAndRemapMatrix",
    "SummaryWriter",
    "CreateSummaryFileWriter",
    "WriteSummary",
    "DebugIdentityV2",
    "EagerPyFunc",
    "PyFunc",
    "PyFuncStateless",
];

/// What the operator codes say.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TfliteFacts {
    /// The schema version field.
    pub version: u32,
    /// Operator codes in the model.
    pub operator_codes: usize,
    /// Custom operator names (Flex ones included), in the order of the codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_ops: Vec<String>,
}

/// No AIBOM properties yet: what the scan report holds is enough.
impl crate::formats::FormatFacts for TfliteFacts {}

struct Buf<'a>(&'a [u8]);

impl Buf<'_> {
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.0.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }
    fn i32(&self, at: usize) -> Option<i32> {
        self.u32(at).map(|v| v as i32)
    }
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.0.get(at..at.checked_add(2)?)?;
        Some(u16::from_le_bytes(b.try_into().ok()?))
    }
    /// A `uoffset` stored at `at`, resolved.
    fn follow(&self, at: usize) -> Option<usize> {
        at.checked_add(usize::try_from(self.u32(at)?).ok()?)
    }
    /// Position of field `i` of the table at `table`, when present.
    fn field(&self, table: usize, i: usize) -> Option<usize> {
        let soff = i64::from(self.i32(table)?);
        let vtable = usize::try_from(i64::try_from(table).ok()?.checked_sub(soff)?).ok()?;
        let vlen = usize::from(self.u16(vtable)?);
        let slot = i.checked_mul(2)?.checked_add(4)?;
        if slot.checked_add(2)? > vlen {
            return None;
        }
        let off = usize::from(self.u16(vtable.checked_add(slot)?)?);
        if off == 0 {
            return None;
        }
        table.checked_add(off)
    }
    fn string(&self, at: usize) -> Option<String> {
        let s = self.follow(at)?;
        let n = usize::try_from(self.u32(s)?).ok()?;
        let bytes = self
            .0
            .get(s.checked_add(4)?..s.checked_add(4)?.checked_add(n)?)?;
        Some(String::from_utf8_lossy(bytes.get(..n.min(256))?).into_owned())
    }
}

/// An operator code: the builtin code and the custom name, if any.
type OpCode = (i32, Option<String>);

/// Reads the schema version, the operator codes (at most [`MAX_CODES`]) and how many are
/// declared; `None` when an offset points outside the bytes read.
fn operator_codes(b: &Buf) -> Option<(u32, Vec<OpCode>, usize)> {
    let root = b.follow(0)?;
    let version = b.field(root, 0).and_then(|p| b.u32(p)).unwrap_or(0);
    let Some(codes_at) = b.field(root, 1) else {
        return Some((version, Vec::new(), 0));
    };
    let vec = b.follow(codes_at)?;
    let n = usize::try_from(b.u32(vec)?).ok()?;
    let mut out = Vec::with_capacity(n.min(MAX_CODES));
    for i in 0..n.min(MAX_CODES) {
        let slot = vec.checked_add(4)?.checked_add(i.checked_mul(4)?)?;
        let t = b.follow(slot)?;
        let deprecated = b
            .field(t, 0)
            .and_then(|p| b.0.get(p).map(|&v| i32::from(v as i8)))
            .unwrap_or(0);
        let builtin = b.field(t, 3).and_then(|p| b.i32(p)).unwrap_or(0);
        let code = if deprecated == PLACEHOLDER {
            builtin
        } else {
            deprecated.max(builtin)
        };
        // A name that is present but unreadable makes the codes unreadable: never skipped.
        let custom = match b.field(t, 1) {
            Some(p) => Some(b.string(p)?),
            None => None,
        };
        out.push((code, custom));
    }
    Some((version, out, n))
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let data = src.read_vec(0, usize::try_from(src.len().min(MAX_READ)).unwrap_or(0))?;
    let b = Buf(&data);
    let Some((version, codes, declared)) = operator_codes(&b) else {
        ctx.report(
            Code::TfliteMalformed,
            None,
            if src.len() > MAX_READ {
                format!(
                    "the operator codes are not within the first {} MiB of the FlatBuffer (or its offsets are broken); they were not checked",
                    MAX_READ >> 20
                )
            } else {
                "the FlatBuffer's offsets to its operator codes point outside the file".to_owned()
            },
        );
        return Ok(());
    };
    if declared > MAX_CODES {
        ctx.report(
            Code::TfliteMalformed,
            None,
            format!("{declared} operator codes declared; the first {MAX_CODES} were checked"),
        );
    }
    let mut facts = TfliteFacts {
        version,
        operator_codes: codes.len(),
        custom_ops: Vec::new(),
    };
    for (code, custom) in codes {
        let Some(name) = custom.filter(|_| code == CUSTOM) else {
            continue;
        };
        facts.custom_ops.push(name.clone());
        if let Some(op) = name.strip_prefix("Flex") {
            let host = FLEX_HOST_OPS.contains(&op);
            ctx.report_with(
                Code::TfliteFlexOp,
                if host {
                    Severity::High
                } else {
                    Code::TfliteFlexOp.default_severity()
                },
                None,
                if host {
                    format!(
                        "Flex operator {name}: the TensorFlow kernel {op} reads or writes files or the process's environment when the model runs"
                    )
                } else {
                    format!(
                        "Flex operator {name}: runs the full TensorFlow kernel {op} through the Flex delegate"
                    )
                },
                Evidence::global("tflite.flex", op, "custom_code"),
            );
        } else {
            ctx.report(
                Code::TfliteCustomOp,
                None,
                format!(
                    "custom operator {name}: the application must register a native kernel for it before the interpreter allocates its tensors (TensorFlow's Interpreter refuses an unresolved custom op there)"
                ),
            );
        }
    }
    ctx.facts.tflite = Some(facts);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    /// A minimal TFLite FlatBuffer: root table with version and operator codes.
    pub(crate) fn model(codes: &[(i8, i32, Option<&str>)]) -> Vec<u8> {
        // Layout: [root uoffset][TFL3][vtable root][root table][codes vector][code tables...]
        let mut b = vec![0u8; 8];
        b[4..8].copy_from_slice(b"TFL3");
        // Root vtable: 2 fields (version, operator_codes).
        let vt = b.len();
        b.extend_from_slice(&8u16.to_le_bytes()); // vtable size
        b.extend_from_slice(&12u16.to_le_bytes()); // table size
        b.extend_from_slice(&4u16.to_le_bytes()); // field 0 at +4
        b.extend_from_slice(&8u16.to_le_bytes()); // field 1 at +8
        let root = b.len();
        b.extend_from_slice(&((root - vt) as i32).to_le_bytes());
        b.extend_from_slice(&3u32.to_le_bytes()); // version
        let codes_slot = b.len();
        b.extend_from_slice(&0u32.to_le_bytes()); // patched
        b[0..4].copy_from_slice(&(root as u32).to_le_bytes());
        let vec = b.len();
        b[codes_slot..codes_slot + 4].copy_from_slice(&((vec - codes_slot) as u32).to_le_bytes());
        b.extend_from_slice(&(codes.len() as u32).to_le_bytes());
        let slots: Vec<usize> = (0..codes.len())
            .map(|_| {
                let at = b.len();
                b.extend_from_slice(&0u32.to_le_bytes());
                at
            })
            .collect();
        for ((dep, builtin, custom), slot) in codes.iter().zip(slots) {
            // Code vtable: fields 0 (i8), 1 (string), 2 (unused), 3 (i32).
            let vt = b.len();
            b.extend_from_slice(&12u16.to_le_bytes());
            b.extend_from_slice(&16u16.to_le_bytes());
            b.extend_from_slice(&4u16.to_le_bytes());
            b.extend_from_slice(&(if custom.is_some() { 8u16 } else { 0 }).to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&12u16.to_le_bytes());
            let t = b.len();
            b[slot..slot + 4].copy_from_slice(&((t - slot) as u32).to_le_bytes());
            b.extend_from_slice(&((t - vt) as i32).to_le_bytes());
            b.extend_from_slice(&[*dep as u8, 0, 0, 0]);
            let str_slot = b.len();
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&builtin.to_le_bytes());
            if let Some(name) = custom {
                let s = b.len();
                b[str_slot..str_slot + 4].copy_from_slice(&((s - str_slot) as u32).to_le_bytes());
                b.extend_from_slice(&(name.len() as u32).to_le_bytes());
                b.extend_from_slice(name.as_bytes());
                b.push(0);
                while !b.len().is_multiple_of(4) {
                    b.push(0);
                }
            }
        }
        b
    }

    fn run(bytes: &[u8]) -> (Vec<(Code, Severity)>, Option<TfliteFacts>) {
        let limits = crate::limits::Limits::default();
        let policy = crate::policy::Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.tflite");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        (
            ctx.findings.iter().map(|f| (f.code, f.severity)).collect(),
            ctx.facts.tflite.clone(),
        )
    }

    #[test]
    fn builtin_operators_only_are_clean_with_facts() {
        let (findings, facts) = run(&model(&[(3, 3, None), (9, 9, None)]));
        assert!(findings.is_empty(), "{findings:?}");
        let f = facts.unwrap();
        assert_eq!((f.version, f.operator_codes), (3, 2));
    }

    #[test]
    fn custom_operator_is_a_low_finding_and_flex_file_io_is_high() {
        let (findings, facts) = run(&model(&[
            (32, 32, Some("MyKernel")),
            (32, 32, Some("FlexAddV2")),
            (32, 32, Some("FlexWriteFile")),
        ]));
        assert_eq!(
            findings,
            vec![
                (Code::TfliteCustomOp, Severity::Low),
                (Code::TfliteFlexOp, Severity::Medium),
                (Code::TfliteFlexOp, Severity::High),
            ]
        );
        assert_eq!(facts.unwrap().custom_ops.len(), 3);
    }

    #[test]
    fn offsets_outside_the_file_are_malformed_not_a_panic() {
        let mut b = model(&[(32, 32, Some("FlexWriteFile"))]);
        b.truncate(b.len() - 12);
        let (findings, _) = run(&b);
        assert_eq!(findings, vec![(Code::TfliteMalformed, Severity::Medium)]);
        for cut in 0..b.len() {
            run(&b[..cut]);
        }
    }
}
