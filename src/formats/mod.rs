//! Format parsers. Every parser has the same entry shape:
//!
//! ```text
//! fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()>
//! ```
//!
//! It reads untrusted bytes from `src` within [`Limits`], records findings and facts in `ctx`,
//! and returns `Err` only when the underlying file cannot be read (malformed bytes are findings).
//! Containers call back into [`inspect_source`] for their members, so every member goes through
//! the same content detection, whatever its name.

pub mod compressed;
pub mod gguf;
pub mod keras;
pub mod npy;
pub mod onnx;
pub mod pickle;
pub mod protobuf;
pub mod safetensors;
pub mod savedmodel;
pub mod sevenz;
pub mod template;
pub mod text;
pub mod zip;

use crate::detect::{self, Claim, Format};
use crate::finding::{Code, Evidence, Finding, Location, Severity};
use crate::limits::Limits;
use crate::scan::policy::Policy;
use crate::source::Source;
use serde::Serialize;
use std::io;

/// Facts extracted for the report and the AIBOM.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Facts {
    /// Every global a pickle imports (deduplicated per member), with its classification.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub globals: Vec<pickle::GlobalUse>,
    /// Every call site in the pickles (deduplicated per member and callee).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<pickle::CallSite>,
    /// Pickle streams analysed (back to back, nested and in members).
    #[serde(skip_serializing_if = "is_zero")]
    pub pickle_streams: u64,
    /// Opcodes interpreted.
    #[serde(skip_serializing_if = "is_zero")]
    pub pickle_opcodes: u64,
    /// Archive members, in archive order, with their detected format.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safetensors: Option<safetensors::SafetensorsFacts>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arrays: Vec<npy::NpyFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gguf: Option<gguf::GgufFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onnx: Option<onnx::OnnxFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keras: Option<keras::KerasFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savedmodel: Option<savedmodel::SavedModelFacts>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One member of an archive.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Member path, `!`-joined for nested archives.
    pub name: String,
    pub size: u64,
    pub format: Format,
}

/// The state a parser works in: where it is, what it may spend, where its results go.
pub struct Ctx<'a> {
    pub limits: &'a Limits,
    pub policy: &'a Policy,
    /// The file, relative to the scanned root.
    pub path: &'a str,
    /// Members entered so far (archive members, nested pickles).
    member: Vec<String>,
    pub findings: Vec<Finding>,
    pub facts: Facts,
    /// Findings dropped because `max_findings` was reached.
    pub dropped_findings: u64,
    /// Decompressed bytes produced so far in this file.
    pub decompressed: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(limits: &'a Limits, policy: &'a Policy, path: &'a str) -> Self {
        Ctx {
            limits,
            policy,
            path,
            member: Vec::new(),
            findings: Vec::new(),
            facts: Facts::default(),
            dropped_findings: 0,
            decompressed: 0,
        }
    }

    /// Nesting depth: 0 for the file itself.
    pub fn depth(&self) -> u32 {
        self.member.len() as u32
    }

    /// The current member chain, `!`-joined.
    pub fn member(&self) -> Option<String> {
        (!self.member.is_empty()).then(|| self.member.join("!"))
    }

    pub fn location(&self, offset: Option<u64>) -> Location {
        Location {
            path: self.path.to_owned(),
            member: self.member(),
            offset,
        }
    }

    /// Records a finding at the current location with the code's default severity.
    pub fn report(&mut self, code: Code, offset: Option<u64>, message: impl Into<String>) {
        self.report_with(
            code,
            code.default_severity(),
            offset,
            message,
            Evidence::default(),
        );
    }

    pub fn report_with(
        &mut self,
        code: Code,
        severity: Severity,
        offset: Option<u64>,
        message: impl Into<String>,
        evidence: Evidence,
    ) {
        if self.findings.len() >= self.limits.max_findings {
            self.dropped_findings += 1;
            return;
        }
        let finding = Finding {
            code,
            severity,
            location: self.location(offset),
            message: message.into(),
            evidence,
        };
        // The same thing found twice at the same place (e.g. a zip member seen through both
        // the central directory and its local header) is one finding.
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    /// Runs `f` inside a member; refuses (with a finding) past the depth limit.
    pub fn enter<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self) -> io::Result<T>,
    ) -> io::Result<Option<T>> {
        if self.depth() >= self.limits.max_depth {
            self.report(
                Code::ArchiveDepthExceeded,
                None,
                format!(
                    "{name:?} is nested more than {} levels deep; not inspected",
                    self.limits.max_depth
                ),
            );
            return Ok(None);
        }
        self.member.push(name.to_owned());
        let out = f(self);
        self.member.pop();
        out.map(Some)
    }

    /// Accounts for decompressed output; returns false once the per-file total is spent.
    pub fn spend_decompressed(&mut self, n: u64) -> bool {
        self.decompressed = self.decompressed.saturating_add(n);
        self.decompressed <= self.limits.max_decompressed_total
    }
}

/// Detects the format of `src` from its bytes (the name only breaks ties) and runs its parser.
/// Returns the detected format.
pub fn inspect_source(src: &dyn Source, ctx: &mut Ctx, name: &str) -> io::Result<Format> {
    let head = src.read_vec(0, detect::HEAD_LEN)?;
    let format = detect::detect(&head, src.len(), name);
    let claimed = detect::claimed_by_name(name);

    if let Some(claim) = claimed {
        if format == Format::Empty {
            ctx.report_with(
                Code::EmptyFile,
                Severity::High,
                None,
                format!("the file is empty but its name says {}", claim.describe()),
                Evidence::mismatch(claim.describe(), "0 bytes"),
            );
        } else if !claim.accepts(format) {
            ctx.report_with(
                Code::FormatMismatch,
                Code::FormatMismatch.default_severity(),
                None,
                format!(
                    "the name says {} but the bytes are {}",
                    claim.describe(),
                    format.describe()
                ),
                Evidence::mismatch(claim.describe(), format.describe()),
            );
        }
    }

    let refined = match format {
        Format::Empty => {
            if claimed.is_none() {
                ctx.report(Code::EmptyFile, None, "the file is empty");
            }
            format
        }
        Format::Pickle | Format::PytorchLegacy => pickle::inspect(src, ctx)?,
        Format::Zip => {
            let refined = zip::inspect(src, ctx, None)?;
            if refined == Format::Keras {
                keras::inspect_zip(src, ctx)?;
            }
            refined
        }
        Format::Gguf => {
            gguf::inspect(src, ctx)?;
            format
        }
        Format::Onnx => {
            onnx::inspect(src, ctx)?;
            format
        }
        Format::SavedModel => {
            savedmodel::inspect(src, ctx)?;
            format
        }
        Format::Hdf5 => {
            keras::inspect_h5(src, ctx)?;
            format
        }
        Format::Json | Format::Text => {
            text::inspect(src, ctx, name, format)?;
            format
        }
        Format::Safetensors => {
            safetensors::inspect(src, ctx)?;
            // The same bytes also start like a pickle: a pickle loader would run them.
            if head.first() == Some(&0x80) && head.get(1).is_some_and(|p| *p <= 5) {
                let mut scratch = Ctx::new(ctx.limits, ctx.policy, ctx.path);
                pickle::inspect(src, &mut scratch)?;
                if scratch
                    .findings
                    .iter()
                    .any(|f| f.code.kind() == crate::finding::Kind::Security)
                {
                    ctx.report(
                        Code::Polyglot,
                        None,
                        "the bytes are safetensors and also a pickle that imports or calls something; both were scanned",
                    );
                    ctx.enter("<as pickle>", |ctx| pickle::inspect(src, ctx))?;
                }
            }
            format
        }
        Format::Npy => {
            npy::inspect(src, ctx)?;
            format
        }
        Format::Gzip | Format::Zlib | Format::Bzip2 | Format::Xz | Format::Lzma | Format::Zstd => {
            compressed::inspect(src, ctx, format)?
        }
        Format::SevenZ => {
            sevenz::inspect(src, ctx)?;
            format
        }
        // Unrecognised bytes under a name that claims a format aibom parses: the parser says
        // what is wrong with them.
        Format::Unknown if claimed == Some(Claim::Safetensors) => {
            safetensors::inspect(src, ctx)?;
            format
        }
        Format::Unknown if claimed == Some(Claim::Npy) => {
            npy::inspect(src, ctx)?;
            format
        }
        Format::Unknown => {
            if claimed.is_none() {
                ctx.report(
                    Code::UnknownFormat,
                    None,
                    "format not recognised from the bytes; hashed only",
                );
            }
            format
        }
        _ => format,
    };

    // A zip end-of-central-directory record behind bytes that are not a zip: a loader that
    // looks for the directory at the end (Python's zipfile, miniz) sees an archive where the
    // format detected from the start saw something else. Scan that interpretation too.
    // This runs after the main parser so that the read of the file's end is part of the hash
    // pass rather than a second read.
    if format != Format::Zip
        && format != Format::Empty
        && let Some(eocd) = zip::find_eocd(src)?
    {
        ctx.report(
                Code::Polyglot,
                None,
                format!(
                    "the bytes are {} from the start and also a zip archive found from its end; both were scanned",
                    format.describe()
                ),
            );
        zip::inspect(src, ctx, Some(eocd))?;
    }
    Ok(refined)
}
