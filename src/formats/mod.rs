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
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod compressed;
pub(crate) mod coreml;
pub(crate) mod embedded;
pub mod gguf;
pub mod hdf5;
pub(crate) mod hydra;
pub mod keras;
pub(crate) mod matlab4;
mod member;
pub mod npy;
pub mod onnx;
pub(crate) mod onnx_tensor;
pub mod pickle;
/// The protobuf walker lives with detection, which walks magic-less protobufs too.
pub(crate) use crate::detect::protobuf;
pub(crate) mod msgpack;
pub mod safetensors;
pub mod savedmodel;
pub(crate) mod sentencepiece;
pub mod sevenz;
pub mod tar;
pub mod template;
pub mod text;
pub(crate) mod tf_checkpoint;
pub(crate) mod tflite;
pub mod torchscript;
pub mod zip;

// Facts of the formats whose parsers are not part of the public API: their types are, as
// fields of the public `Facts`.
pub use coreml::CoremlFacts;
pub use hydra::HydraFacts;
pub use matlab4::Matlab4Facts;
pub use onnx_tensor::OnnxTensorFacts;
pub use sentencepiece::SentencePieceFacts;
pub use tf_checkpoint::TfCheckpointFacts;
pub use tflite::TfliteFacts;

use crate::detect::{self, Claim, Format};
use crate::finding::{Code, Evidence, Finding, Location, Severity};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::source::{Source, Window};
use serde::Serialize;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::rc::Rc;

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
    pub onnx_tensor: Option<onnx_tensor::OnnxTensorFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentencepiece: Option<sentencepiece::SentencePieceFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tf_checkpoint: Option<tf_checkpoint::TfCheckpointFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msgpack: Option<msgpack::MsgpackFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matlab4: Option<matlab4::Matlab4Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coreml: Option<coreml::CoremlFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keras: Option<keras::KerasFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savedmodel: Option<savedmodel::SavedModelFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tflite: Option<tflite::TfliteFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torchscript: Option<torchscript::TorchScriptFacts>,
    /// Callables named by Hydra/OmegaConf `_target_` keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hydra: Option<hydra::HydraFacts>,
    /// Files legacy joblib `NDArrayWrapper`s load with `numpy.load(allow_pickle=True)`, as the
    /// pickle names them (relative to its directory): `scan` checks that each is a file it
    /// inspected.
    #[serde(skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub joblib_array_files: std::collections::BTreeSet<String>,
    /// Bytes of ASCII whitespace after the last pickle stream (old NumPy wrote a newline after
    /// an object array's pickle): no loader reads them.
    #[serde(skip_serializing_if = "is_zero")]
    pub pickle_trailing_whitespace: u64,
    /// Set on the facts of a file read back from a report (`aibom merge`): the facts were not
    /// parsed, and the report's own text for them is written instead (the file report's
    /// `facts_raw`).
    #[serde(skip)]
    pub(crate) stub: bool,
}

impl Facts {
    pub(crate) fn stub() -> Facts {
        Facts {
            stub: true,
            ..Facts::default()
        }
    }

    pub(crate) fn is_stub(&self) -> bool {
        self.stub
    }
}

impl Facts {
    /// Every format's facts this file has, for what they add to the AIBOM. A new format's
    /// facts get a field above and a line here; nothing outside `formats` changes.
    pub fn formats(&self) -> impl Iterator<Item = &dyn FormatFacts> {
        let one: [Option<&dyn FormatFacts>; 14] = [
            self.safetensors.as_ref().map(|f| f as _),
            self.gguf.as_ref().map(|f| f as _),
            self.onnx.as_ref().map(|f| f as _),
            self.onnx_tensor.as_ref().map(|f| f as _),
            self.sentencepiece.as_ref().map(|f| f as _),
            self.tf_checkpoint.as_ref().map(|f| f as _),
            self.msgpack.as_ref().map(|f| f as _),
            self.matlab4.as_ref().map(|f| f as _),
            self.coreml.as_ref().map(|f| f as _),
            self.keras.as_ref().map(|f| f as _),
            self.savedmodel.as_ref().map(|f| f as _),
            self.tflite.as_ref().map(|f| f as _),
            self.torchscript.as_ref().map(|f| f as _),
            self.hydra.as_ref().map(|f| f as _),
        ];
        let arrays = self.arrays.iter().map(|f| f as &dyn FormatFacts);
        one.into_iter().flatten().chain(arrays)
    }
}

/// What a format's facts add to the AIBOM component of their file: `aibom:<format>:<key>`
/// properties. Each format names them beside its facts struct, so the AIBOM assembly needs no
/// edit when a format is added or its facts grow.
pub trait FormatFacts {
    /// Appends (name, value) properties; the AIBOM sorts them.
    fn properties(&self, _out: &mut Vec<(&'static str, String)>) {}
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

/// The work a whole file may cost, shared by every context that inspects it: the file itself,
/// its members, nested pickles and the side readings tried after a frame overrun or a break.
/// A scratch context (see [`Ctx::scratch`]) spends from the same budget, so no re-reading gets
/// a fresh allowance.
#[derive(Debug)]
pub struct Budget {
    /// Pickle opcodes interpreted, by every context of the file.
    pickle_opcodes: Cell<u64>,
    max_pickle_opcodes: u64,
    /// Opcodes left for side readings (frame-overrun and after-break re-readings).
    reread_left: Cell<u64>,
    /// Dangerous side readings that may still be read in full.
    full_readings_left: Cell<u32>,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Budget {
            pickle_opcodes: Cell::new(0),
            max_pickle_opcodes: limits.max_pickle_opcodes,
            reread_left: Cell::new(limits.max_reread_opcodes),
            full_readings_left: Cell::new(pickle::MAX_FULL_READINGS),
        }
    }

    /// Takes one of the file's full readings of a dangerous side reading; false when none is
    /// left.
    pub fn take_full_reading(&self) -> bool {
        let left = self.full_readings_left.get();
        self.full_readings_left.set(left.saturating_sub(1));
        left > 0
    }

    /// Pickle opcodes the file may still interpret.
    pub fn pickle_opcodes_left(&self) -> u64 {
        self.max_pickle_opcodes
            .saturating_sub(self.pickle_opcodes.get())
    }

    /// Charges `n` pickle opcodes (at most what is left: see [`Budget::pickle_opcodes_left`]).
    pub fn spend_opcodes(&self, n: u64) {
        self.pickle_opcodes
            .set(self.pickle_opcodes.get().saturating_add(n));
    }

    /// Pickle opcodes interpreted so far, by every context of the file.
    pub fn pickle_opcodes(&self) -> u64 {
        self.pickle_opcodes.get()
    }

    /// The file's opcode allowance.
    pub fn max_pickle_opcodes(&self) -> u64 {
        self.max_pickle_opcodes
    }

    /// Opcodes left for side readings.
    pub fn reread_left(&self) -> u64 {
        self.reread_left.get()
    }

    /// Charges `n` opcodes of side readings.
    pub fn spend_reread(&self, n: u64) {
        self.reread_left
            .set(self.reread_left.get().saturating_sub(n));
    }
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
    /// Heap bytes the listed findings hold (a pickle's analysis counts them against its
    /// memory budget: 10,000 critical findings of long names hold tens of MB).
    pub findings_bytes: usize,
    pub facts: Facts,
    /// Findings not listed because a cap was reached, per code (see [`Ctx::report_with`]).
    pub capped: BTreeMap<Code, u64>,
    /// Codes with at least one listed finding: the first of each code is always listed, so
    /// the listed findings alone give the file's verdict.
    listed: BTreeMap<Code, usize>,
    /// Findings listed below the gate, and at or above it.
    below_gate: usize,
    at_gate: usize,
    /// Severity from which findings are always kept (the run's `--fail-on`; criticals always).
    gate: Severity,
    /// Index of listed findings by hash, to drop exact repeats without a linear search.
    seen: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
    /// Decompressed bytes produced so far in this file.
    pub decompressed: u64,
    budget: Rc<Budget>,
    /// A side reading only asks whether anything dangerous is there: it keeps security
    /// findings and drops the rest unbuilt.
    security_only: bool,
    /// Storages the pickles read so far name in their persistent ids (torch's `('storage',
    /// type, key, location, numel)`), for the archive holding them to check its `data/<key>`
    /// records against; at most `max_fact_entries`, then `storages_dropped`.
    pub storages: Vec<StorageRef>,
    pub storages_dropped: bool,
    /// A pickle may have set attributes on a module or class: it called something other than
    /// an unmarked entry of the built-in allowlist, or a BUILD (SETITEM, APPEND, ...) had a
    /// target that may be a module or class (a call result not known to be a new object, a
    /// global, a value not kept). From then on the analysis no longer takes the allowlist's
    /// globals, and what its classes make from nothing, to be no strings
    /// (`setattr(collections, "UserString", "os")`, or a class's `__new__` replaced), for the
    /// rest of this reading of the file; a reading of it in a process of its own starts
    /// without (the plain reading of a joblib file).
    pub pickle_globals_changed: bool,
    /// A side reading's share of the file's re-read budget: the opcodes it may run (see
    /// [`Ctx::restart_side`]); unbounded otherwise.
    side_opcodes: u64,
    /// Critical findings reported, listed or only counted.
    criticals: u64,
}

/// A storage a torch checkpoint's pickle loads through `persistent_load`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageRef {
    /// The member whose pickle names it (`archive/data.pkl`).
    pub member: Option<String>,
    /// `torch.FloatStorage`, `torch.UntypedStorage`, ...
    pub storage_type: String,
    /// The record key; None when the pickle's key is not a string (torch names the record
    /// after `str(key)`, which this check does not reproduce).
    pub key: Option<String>,
    /// Elements (bytes for an untyped storage).
    pub numel: u64,
    /// Offset of the persistent id's opcode in the pickle.
    pub offset: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(limits: &'a Limits, policy: &'a Policy, path: &'a str) -> Self {
        Ctx {
            limits,
            policy,
            path,
            member: Vec::new(),
            findings: Vec::new(),
            findings_bytes: 0,
            facts: Facts::default(),
            capped: BTreeMap::new(),
            listed: BTreeMap::new(),
            below_gate: 0,
            at_gate: 0,
            gate: Severity::High,
            seen: HashMap::new(),
            hasher: RandomState::new(),
            decompressed: 0,
            pickle_globals_changed: false,
            budget: Rc::new(Budget::new(limits)),
            security_only: false,
            storages: Vec::new(),
            storages_dropped: false,
            side_opcodes: u64::MAX,
            criticals: 0,
        }
    }

    /// Sets the severity from which findings are never capped (the run's `--fail-on`).
    pub fn with_gate(mut self, gate: Severity) -> Self {
        self.gate = gate;
        self
    }

    /// The severity of a finding that says analysis stopped at a limit where it may have missed
    /// anything: `floor`, raised to the run's gate, so that a limit hit never lets a file pass
    /// a gate that what was not analysed might have failed.
    pub fn at_least_gate(&self, floor: Severity) -> Severity {
        floor.max(self.gate)
    }

    /// A context for the side readings of the same file: its own findings (security ones only)
    /// and facts, tighter `limits`, but the file's budget. One context serves every reading of
    /// a window, each readied by [`Ctx::restart_side`] (making a context per start cost more
    /// than the readings that break at once).
    pub fn scratch<'b>(&'b self, limits: &'b Limits) -> Ctx<'b> {
        Ctx {
            member: self.member.clone(),
            gate: self.gate,
            hasher: self.hasher.clone(),
            decompressed: self.decompressed,
            budget: Rc::clone(&self.budget),
            security_only: true,
            pickle_globals_changed: self.pickle_globals_changed,
            ..Ctx::new(limits, self.policy, self.path)
        }
    }

    /// Readies a scratch context for its next side reading, which may run `opcodes` opcodes:
    /// what earlier readings found and counted is forgotten, and the decompressed total is the
    /// parent's (`decompressed`) again, as in a fresh scratch context.
    pub fn restart_side(&mut self, decompressed: u64, opcodes: u64) {
        // Every field named: a new one is a compile error here until it is reset or kept.
        let Ctx {
            limits: _,
            policy: _,
            path: _,
            member: _,
            findings,
            findings_bytes,
            facts,
            capped,
            listed,
            below_gate,
            at_gate,
            gate: _,
            seen,
            hasher: _,
            decompressed: total,
            budget: _,
            security_only: _,
            storages,
            storages_dropped,
            // Kept: what a reading may have changed stays changed (it fails closed).
            pickle_globals_changed: _,
            side_opcodes,
            criticals,
        } = self;
        findings.clear();
        *findings_bytes = 0;
        *facts = Facts::default();
        capped.clear();
        listed.clear();
        *below_gate = 0;
        *at_gate = 0;
        seen.clear();
        *total = decompressed;
        storages.clear();
        *storages_dropped = false;
        *side_opcodes = opcodes;
        *criticals = 0;
    }

    /// Critical findings reported so far, listed or only counted (see [`Ctx::report_with`]).
    pub fn criticals(&self) -> u64 {
        self.criticals
    }

    /// Pickle opcodes this context may interpret: `max_pickle_opcodes`, or a side reading's
    /// share (the file's budget bounds both).
    pub fn pickle_opcode_limit(&self) -> u64 {
        self.limits.max_pickle_opcodes.min(self.side_opcodes)
    }

    /// The file's work budget.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Nesting depth: 0 for the file itself.
    pub fn depth(&self) -> u32 {
        u32::try_from(self.member.len()).unwrap_or(u32::MAX)
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
    /// Whether a finding of `code` would be recorded (a scratch context records only security
    /// findings): lets a caller skip building a message nobody reads.
    pub fn records(&self, code: Code) -> bool {
        !self.security_only || code.kind() == crate::finding::Kind::Security
    }

    pub fn report(&mut self, code: Code, offset: Option<u64>, message: impl Into<String>) {
        self.report_with(
            code,
            code.default_severity(),
            offset,
            message,
            Evidence::default(),
        );
    }

    /// Records a finding. Findings at or above the gate (and every critical one) are kept up
    /// to `max_gate_findings`; the others up to `max_findings`; the first of each code always.
    /// Past a cap a finding is only counted, per code, so a flood of minor findings can never
    /// push out a dangerous one, nor hide a kind of finding that decides the verdict.
    pub fn report_with(
        &mut self,
        code: Code,
        severity: Severity,
        offset: Option<u64>,
        message: impl Into<String>,
        evidence: Evidence,
    ) {
        if self.security_only && code.kind() != crate::finding::Kind::Security {
            return;
        }
        // A limit never makes the verdict better: an analysis cut short meets the gate, however
        // high it is set (`--fail-on critical` does not pass what was never read).
        let severity = if code.cuts_analysis() {
            severity.max(self.gate)
        } else {
            severity
        };
        if severity == Severity::Critical {
            self.criticals = self.criticals.saturating_add(1);
        }
        let full = self.is_full(code, severity);
        let mut finding = Finding {
            code,
            severity,
            location: self.location(offset),
            message: message.into(),
            evidence,
        };
        finding.clip();
        // The same thing found twice at the same place (e.g. a zip member seen through both
        // the central directory and its local header) is one finding.
        let h = self.hasher.hash_one(&finding);
        if self
            .seen
            .get(&h)
            .is_some_and(|same| same.iter().any(|&i| self.findings.get(i) == Some(&finding)))
        {
            return;
        }
        if full {
            // Counted only: nothing is kept per capped finding, so a flood costs no memory.
            let capped = self.capped.entry(code).or_insert(0);
            *capped = capped.saturating_add(1);
            return;
        }
        self.seen.entry(h).or_default().push(self.findings.len());
        self.count(&finding, true);
        self.findings_bytes = self.findings_bytes.saturating_add(listed_cost(&finding));
        self.findings.push(finding);
    }

    /// Whether one more finding of `code` at `severity` would only be counted: its code is
    /// listed already and the cap of its side of the gate is reached.
    fn is_full(&self, code: Code, severity: Severity) -> bool {
        let keep = severity >= self.gate || severity == Severity::Critical;
        self.listed.get(&code).is_some_and(|n| *n > 0)
            && if keep {
                self.at_gate >= self.limits.max_gate_findings
            } else {
                self.below_gate >= self.limits.max_findings
            }
    }

    /// Adds (or, with `add` false, removes) a listed finding to the per-code and per-side counts.
    fn count(&mut self, f: &Finding, add: bool) {
        let keep = f.severity >= self.gate || f.severity == Severity::Critical;
        let side = if keep {
            &mut self.at_gate
        } else {
            &mut self.below_gate
        };
        let n = self.listed.entry(f.code).or_insert(0);
        if add {
            *side = side.saturating_add(1);
            *n = n.saturating_add(1);
        } else {
            *side = side.saturating_sub(1);
            *n = n.saturating_sub(1);
        }
    }

    /// Keeps, of the findings from index `start` on, those `keep` accepts; the index of
    /// repeats and the counts follow. Costs the length of that tail, not of all findings.
    pub fn retain_findings_from(&mut self, start: usize, mut keep: impl FnMut(&Finding) -> bool) {
        let start = start.min(self.findings.len());
        let tail = self.findings.split_off(start);
        for (k, f) in tail.iter().enumerate() {
            self.findings_bytes = self.findings_bytes.saturating_sub(listed_cost(f));
            let i = start.saturating_add(k);
            let h = self.hasher.hash_one(f);
            if let Some(v) = self.seen.get_mut(&h) {
                v.retain(|&j| j != i);
                if v.is_empty() {
                    self.seen.remove(&h);
                }
            }
            self.count(f, false);
            if f.severity == Severity::Critical {
                self.criticals = self.criticals.saturating_sub(1);
            }
        }
        for f in tail {
            if keep(&f) {
                let h = self.hasher.hash_one(&f);
                self.seen.entry(h).or_default().push(self.findings.len());
                self.count(&f, true);
                if f.severity == Severity::Critical {
                    self.criticals = self.criticals.saturating_add(1);
                }
                self.findings_bytes = self.findings_bytes.saturating_add(listed_cost(&f));
                self.findings.push(f);
            }
        }
    }

    /// Counts a finding of `code` at `severity` without building it when it would only be
    /// counted anyway (see [`Ctx::is_full`]); returns whether it did. Hot reporters call this
    /// first so that a flood costs no formatting.
    pub fn count_if_capped(&mut self, code: Code, severity: Severity) -> bool {
        let full = self.is_full(code, severity);
        if full {
            let capped = self.capped.entry(code).or_insert(0);
            *capped = capped.saturating_add(1);
            if severity == Severity::Critical {
                self.criticals = self.criticals.saturating_add(1);
            }
        }
        full
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

/// Scans bytes of `format` that also start like a pickle as a pickle, on the side; when that
/// reading imports or calls something, reports a polyglot and scans it in full.
fn also_as_pickle(src: &dyn Source, ctx: &mut Ctx, format: Format) -> io::Result<()> {
    let dangerous = {
        let mut scratch = ctx.scratch(ctx.limits);
        pickle::inspect(src, &mut scratch)?;
        scratch
            .findings
            .iter()
            .any(|f| f.code.kind() == crate::finding::Kind::Security)
    };
    if dangerous {
        ctx.report(
            Code::Polyglot,
            None,
            format!(
                "the bytes are {} and also a pickle that imports or calls something; both were scanned",
                format.describe()
            ),
        );
        ctx.enter("<as pickle>", |ctx| pickle::inspect(src, ctx))?;
    }
    Ok(())
}

/// The bytes read as pickle opcodes, through arguments longer than the head.
fn pickle_past_head(src: &dyn Source, head: &[u8]) -> io::Result<bool> {
    detect::pickle::looks_like_pickle_in(head, src.len(), &mut |at, n| src.read_vec(at, n))
}

/// Detects the format of `src` from its bytes (the name only breaks ties) and runs its parser.
/// Returns the detected format.
pub fn inspect_source(src: &dyn Source, ctx: &mut Ctx, name: &str) -> io::Result<Format> {
    let head = src.read_vec(0, detect::HEAD_LEN)?;
    let mut format = detect::detect(&head, src.len(), name);
    // A format with no magic number is detected from the walk of its first bytes, and its
    // parser walks the whole file (once); when that walk fails, the bytes are what they are
    // without that reading, and are dispatched as such below.
    let mut walked = None;
    let mut not_walked = None;
    if detect::is_walked(format) {
        match inspect_walked(src, ctx, format)? {
            Walked::Is(f) => walked = Some(f),
            Walked::Not(why) => {
                format = detect::detect_without_walks(&head, src.len(), name);
                not_walked = Some(why);
            }
        }
    }
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
        } else if claim.mismatch(format) {
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

    let mut tar_layout = None;
    let refined = match format {
        _ if let Some(f) = walked => f,
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
            // Opened once: Keras's root attributes and the attribute walk read the same
            // structure and share its global heap collections.
            hdf5::inspect(src, ctx)?;
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
                also_as_pickle(src, ctx, format)?;
            }
            format
        }
        Format::Tar => {
            let t = tar::inspect(src, ctx)?;
            let refined = t.format;
            tar_layout = Some(t);
            // A first member name can be a whole pickle: `pickle.load` runs it, torch.load
            // reads the tar; so can a pickle whose first string carries the tar magic.
            if head.first() == Some(&0x80)
                || detect::pickle::looks_like_pickle(head.get(..100).unwrap_or(&head), src.len())
                || pickle_past_head(src, &head)?
            {
                also_as_pickle(src, ctx, format)?;
            }
            refined
        }
        Format::Npy => {
            npy::inspect(src, ctx)?;
            format
        }
        Format::Gzip
        | Format::Zlib
        | Format::Bzip2
        | Format::Xz
        | Format::Lzma
        | Format::Zstd
        | Format::Lz4 => compressed::inspect(src, ctx, format)?,
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
        // A TensorFlow table's magic number is in its footer, out of detection's sight.
        Format::Unknown if tf_checkpoint::has_footer(src) => tf_checkpoint::inspect(src, ctx)?,
        // MessagePack has no magic: a whole-file parse, for bytes that start like a map or array.
        Format::Unknown
            if msgpack::may_start(&head) && msgpack::inspect(src, ctx)? == Format::Msgpack =>
        {
            Format::Msgpack
        }
        Format::Tflite => {
            tflite::inspect(src, ctx)?;
            format
        }
        // joblib < 0.10 `write_zfile`: a 21-byte header, then zlib (the pickle, or an array).
        Format::Joblib => {
            let start = detect::joblib_zfile_header(&head).map_or(0, |(at, _)| at as u64);
            let body = Window::new(src, start, src.len().saturating_sub(start));
            compressed::inspect(&body, ctx, Format::Zlib)?;
            format
        }
        // A pickle whose first argument runs past the window detection reads (a long string,
        // then the payload): the grammar goes on where that argument ends.
        Format::Unknown if pickle_past_head(src, &head)? => pickle::inspect(src, ctx)?,
        Format::Unknown => {
            if !claimed.is_some_and(Claim::is_exclusive) {
                let why = not_walked
                    .unwrap_or_else(|| "format not recognised from the bytes; hashed only".into());
                ctx.report(Code::UnknownFormat, None, why);
            }
            format
        }
        _ => format,
    };

    // Another format's magic number at the start of bytes that are also a pickle (`CDF\x01`,
    // `GGUF`, `BZh` and TFLite's root offset all read as opcodes): `pickle.load` runs them
    // whatever they claim to be. (Safetensors and tar check their own way above.)
    if !matches!(
        format,
        Format::Pickle
            | Format::PytorchLegacy
            | Format::Safetensors
            | Format::Tar
            | Format::Empty
            | Format::Unknown
    ) && pickle_past_head(src, &head)?
    {
        also_as_pickle(src, ctx, format)?;
    }

    // A zip end-of-central-directory record behind bytes that are not a zip: a loader that
    // looks for the directory at the end (Python's zipfile, miniz) sees an archive where the
    // format detected from the start saw something else. Scan that interpretation too.
    // This runs after the main parser so that the read of the file's end is part of the hash
    // pass rather than a second read.
    if format != Format::Zip
        && format != Format::Empty
        && let Some(eocd) = zip::find_eocd(src)?
        // A zip stored whole as a tar member (a `.nemo` file's checkpoint) was scanned as that
        // member.
        && !tar_layout
            .as_ref()
            .is_some_and(|t: &tar::Inspected| t.within_member(eocd.base, eocd.end))
    {
        if !format.appends_zip_by_design() {
            ctx.report(
                Code::Polyglot,
                None,
                format!(
                    "the bytes are {} from the start and also a zip archive found from its end; both were scanned",
                    format.describe()
                ),
            );
        }
        zip::inspect(src, ctx, Some(eocd))?;
    }
    Ok(refined)
}

/// What the parser of a format with no magic number found, walking the whole file.
#[derive(Debug, PartialEq, Eq)]
pub enum Walked {
    /// The bytes are this format (its facts and findings are in the context).
    Is(Format),
    /// They only started like it (why, as a sentence); nothing was reported.
    Not(String),
}

/// Runs the parser of a walked format (one of [`detect::is_walked`]).
fn inspect_walked(src: &dyn Source, ctx: &mut Ctx, format: Format) -> io::Result<Walked> {
    match format {
        Format::OnnxTensor => onnx_tensor::inspect(src, ctx),
        Format::SentencePiece => sentencepiece::inspect(src, ctx),
        Format::Coreml => coreml::inspect(src, ctx),
        Format::Matlab4 => matlab4::inspect(src, ctx),
        _ => Ok(Walked::Is(format)),
    }
}

/// Heap bytes a listed finding holds, with its entry in `Ctx::seen`.
fn listed_cost(f: &Finding) -> usize {
    f.heap_bytes().saturating_add(32)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn ctx<'a>(limits: &'a Limits, policy: &'a Policy) -> Ctx<'a> {
        Ctx::new(limits, policy, "f").with_gate(Severity::High)
    }

    #[test]
    fn findings_at_the_gate_are_never_capped_and_the_rest_are_counted() {
        let limits = Limits {
            max_findings: 3,
            ..Limits::default()
        };
        let policy = Policy::new(&[], false).unwrap();
        let mut c = ctx(&limits, &policy);
        for i in 0..10 {
            c.report(Code::PickleUnknownGlobal, Some(i), "minor");
        }
        c.report(Code::PickleTrailingData, Some(99), "first of its code");
        c.report(Code::PickleDangerousCall, Some(100), "gate");
        let listed: Vec<Code> = c.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            listed
                .iter()
                .filter(|c| **c == Code::PickleUnknownGlobal)
                .count(),
            3
        );
        assert!(
            listed.contains(&Code::PickleTrailingData),
            "first of a code is listed"
        );
        assert!(listed.contains(&Code::PickleDangerousCall));
        assert_eq!(c.capped.get(&Code::PickleUnknownGlobal), Some(&7));
    }

    /// What inspecting `b` as a file finds: its format and finding codes.
    fn inspect_bytes(b: &[u8]) -> (Format, Vec<Code>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut c = ctx(&limits, &policy);
        let f = inspect_source(&b.to_vec(), &mut c, "x").unwrap();
        (f, c.findings.iter().map(|f| f.code).collect())
    }

    const PAYLOAD: &[u8] = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";

    #[test]
    fn bytes_with_another_formats_magic_that_are_also_a_pickle_are_scanned_as_one() {
        // Each runs os.system under pickle.load (CPython 3.11); detection took them for
        // NetCDF, TFLite, GGUF and bzip2, whose parsers saw nothing.
        let mut bzip2 = b"BZh1\x00".to_vec();
        bzip2.resize(5 + 0x0031_685a, 0);
        let cases: Vec<Vec<u8>> = vec![
            [&b"CDF\x01"[..], &[0; 0x42], b"0"].concat(),
            [&b"C\x07\0\0TFL3\0"[..], b"0"].concat(),
            [&b"GGUF\x03\0\0\0\0"[..], b"0"].concat(),
            [&bzip2[..], b"0"].concat(),
        ];
        for mut b in cases {
            b.extend_from_slice(PAYLOAD);
            let (f, codes) = inspect_bytes(&b);
            assert!(codes.contains(&Code::Polyglot), "{f:?} {codes:?}");
            assert!(
                codes.contains(&Code::PickleDangerousCall),
                "{f:?} {codes:?}"
            );
        }
    }

    #[test]
    fn a_pickle_whose_first_argument_runs_past_the_head_is_a_pickle() {
        // A 5,000-byte string first: the 4 KiB detection reads held one opcode.
        let mut b = b"X".to_vec();
        b.extend_from_slice(&5000u32.to_le_bytes());
        b.resize(b.len() + 5000, b'a');
        b.push(b'0');
        b.extend_from_slice(PAYLOAD);
        let (f, codes) = inspect_bytes(&b);
        assert_eq!(f, Format::Pickle);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        // Random bytes after a long first argument are still not a pickle.
        let mut b = b"X".to_vec();
        b.extend_from_slice(&5000u32.to_le_bytes());
        b.resize(b.len() + 5000, b'a');
        b.extend_from_slice(&[0xff; 100]);
        assert_eq!(inspect_bytes(&b).0, Format::Unknown);
    }

    #[test]
    fn text_whose_first_bytes_walk_as_a_sentencepiece_model_is_still_text() {
        // `\n"\n ` + 32 letters is a piece message of printable bytes; a file of them walks as
        // a model as far as the first 4 KiB go, but the line after breaks the whole walk.
        let mut b = Vec::new();
        for _ in 0..120 {
            b.extend_from_slice(b"\n\"\n abcdefghijklmnopqrstuvwxyzabcdef");
        }
        b.extend_from_slice(b"\n_target_: os.system\n");
        assert_eq!(
            detect::detect(&b[..detect::HEAD_LEN], b.len() as u64, "notes.txt"),
            Format::SentencePiece
        );
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut c = ctx(&limits, &policy);
        assert_eq!(
            inspect_source(&b, &mut c, "notes.txt").unwrap(),
            Format::Text
        );
    }

    #[test]
    fn binary_whose_first_bytes_walk_as_a_sentencepiece_model_is_unknown_and_says_why() {
        // Pieces as far as detection looks, then bytes no protobuf walk accepts: the parser
        // walks the file once, and the bytes are reported for what they are without it.
        let mut b = Vec::new();
        for _ in 0..120 {
            b.extend_from_slice(b"\n\"\n ");
            b.extend((1u8..=32).map(|c| if c == b'\n' { 0x0b } else { c }));
        }
        b.extend_from_slice(&[0xff, 0x00, 0xfe, 0x01, 0x07]);
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut c = ctx(&limits, &policy);
        assert_eq!(
            inspect_source(&b, &mut c, "blob.bin").unwrap(),
            Format::Unknown
        );
        let messages: Vec<(Code, &str)> = c
            .findings
            .iter()
            .map(|f| (f.code, f.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(messages[0].0, Code::UnknownFormat);
        assert!(
            messages[0]
                .1
                .starts_with("the bytes start like a SentencePiece model but are not one"),
            "{messages:?}"
        );
        assert!(c.facts.sentencepiece.is_none());
    }

    #[test]
    fn exact_repeats_are_one_finding_even_after_findings_are_removed() {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut c = ctx(&limits, &policy);
        c.report(Code::UnknownFormat, Some(1), "a");
        c.report(Code::PickleMalformed, Some(2), "b");
        c.report(Code::PickleMalformed, Some(2), "b");
        assert_eq!(c.findings.len(), 2);
        c.retain_findings_from(0, |f| f.code != Code::UnknownFormat);
        assert_eq!(c.findings.len(), 1);
        // The index follows the shift: the repeat is still recognised, the removed one is new.
        c.report(Code::PickleMalformed, Some(2), "b");
        c.report(Code::UnknownFormat, Some(1), "a");
        assert_eq!(c.findings.len(), 2);
        assert_eq!(c.listed.get(&Code::UnknownFormat), Some(&1));
    }
}
