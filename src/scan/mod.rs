//! The scan: discover -> detect -> formats -> [`ScanReport`], the one model every renderer reads.
//!
//! Files are processed in parallel (one file per task, rayon); each file is read once, its
//! SHA-256 computed in the same pass as its inspection (see [`crate::digest::HashingFile`]).

pub(crate) mod exceptions;

pub mod merge;
pub(crate) mod progress;
pub mod shard;

use crate::detect::Format;
use crate::digest::{HashingFile, Sha256};
use crate::discover::{self, Artifact, DiscoverError, Discovery, WalkOptions};
use crate::finding::{Code, Finding, Kind, Severity};
use crate::formats::{self, Ctx, Facts};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::source::Source;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The version of the JSON report format (`schemas/scan-report.schema.json`).
pub const REPORT_VERSION: &str = "1";

/// A file's verdict, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Inspected and nothing at or above the fail-on level.
    Clean,
    /// Recognised or not, but its content could not be (fully) inspected.
    Unsupported,
    /// The bytes are broken, ambiguous or inconsistent.
    Malformed,
    /// A security finding at or above the fail-on level.
    Unsafe,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Unsupported => "unsupported",
            Verdict::Malformed => "malformed",
            Verdict::Unsafe => "unsafe",
        }
    }
}

/// Everything known about one file. Read back from a report (`aibom merge`), the facts are
/// kept as the report's text ([`FileReport::facts_raw`]), not parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    /// The link text, when the file was reached through a symbolic link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub format: Format,
    pub size: u64,
    /// Absent only when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Findings counted but not listed because a per-file cap was reached, per code (only
    /// findings below the gate are capped before `max_gate_findings`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub capped_findings: std::collections::BTreeMap<Code, u64>,
    /// Findings accepted by an exception of the configuration (not counted for the verdict).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excepted: Vec<exceptions::Excepted>,
    #[serde(
        skip_deserializing,
        default = "Facts::stub",
        skip_serializing_if = "Facts::is_stub"
    )]
    pub facts: Facts,
    /// The facts as a report wrote them, written back byte for byte (`aibom merge`); `None`
    /// for a file inspected by this run.
    #[serde(rename = "facts", default, skip_serializing_if = "Option::is_none")]
    pub facts_raw: Option<Box<serde_json::value::RawValue>>,
    /// The bytes of small metadata files (model card, configs, requirements, licences), read
    /// in the same pass, for `generate`. Never serialised.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
}

/// Metadata files whose content `generate` reads (by base name).
pub fn is_metadata_file(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    matches!(
        base,
        "README.md"
            | "config.json"
            | "generation_config.json"
            | "adapter_config.json"
            | "tokenizer_config.json"
            | "requirements.txt"
            | "pyproject.toml"
            | "chat_template.jinja"
            | "model.safetensors.index.json"
    ) || lower.starts_with("license")
        || lower.starts_with("copying")
}

/// Largest metadata file kept in memory.
const MAX_METADATA: u64 = 1 << 20;

/// One scan target (a directory or a file as given on the command line).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetReport {
    pub root: String,
    pub files: Vec<FileReport>,
    /// Findings about the tree itself: links, partial downloads.
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excepted: Vec<exceptions::Excepted>,
}

/// Totals of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub verdict: Option<Verdict>,
    pub clean: u64,
    pub unsupported: u64,
    pub malformed: u64,
    pub unsafe_files: u64,
    /// Findings per severity, including those about the tree.
    pub findings: std::collections::BTreeMap<Severity, u64>,
    /// Files that could not be read: the scan is incomplete.
    pub unreadable: u64,
}

/// The scan's result. Read back (`aibom merge`) only when this version wrote it; the summary
/// is then computed again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport {
    #[serde(deserialize_with = "this_report_version")]
    pub report_version: Fixed,
    pub tool: Tool,
    pub fail_on: Severity,
    pub strict: bool,
    pub targets: Vec<TargetReport>,
    /// What became of each configured exception.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<exceptions::Outcome>,
    #[serde(skip_deserializing)]
    pub summary: Summary,
    /// The summary as a report read back wrote it (`aibom merge` checks it against the files);
    /// `None` for a report of this run.
    #[serde(rename = "summary", default, skip_serializing)]
    pub recorded_summary: Option<Summary>,
    /// The part of the work a `--shard K/N` run did; absent from a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<shard::ShardInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    #[serde(deserialize_with = "this_tool_name")]
    pub name: Fixed,
    #[serde(deserialize_with = "this_tool_version")]
    pub version: Fixed,
    pub policy_version: String,
}

/// A value this version always writes (report format, tool name and version). Through an
/// alias, so serde does not borrow it from the input: a report read back must say the same.
pub type Fixed = &'static str;

/// The report format this version writes; another is refused when read back.
fn this_report_version<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    same(d, REPORT_VERSION, "report_version")
}

fn this_tool_name<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    same(d, "aibom", "tool name")
}

fn this_tool_version<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    same(d, env!("CARGO_PKG_VERSION"), "tool version")
}

fn same<'de, D: Deserializer<'de>>(
    d: D,
    ours: &'static str,
    what: &str,
) -> Result<&'static str, D::Error> {
    let theirs = String::deserialize(d)?;
    if theirs == ours {
        Ok(ours)
    } else {
        Err(serde::de::Error::custom(format!(
            "{what} {theirs:?}, where this aibom writes {ours:?}"
        )))
    }
}

impl ScanReport {
    pub fn files(&self) -> impl Iterator<Item = &FileReport> {
        self.targets.iter().flat_map(|t| t.files.iter())
    }

    /// Every finding, of files and of trees.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.targets.iter().flat_map(|t| {
            t.findings
                .iter()
                .chain(t.files.iter().flat_map(|f| f.findings.iter()))
        })
    }
}

/// How to scan.
pub struct ScanOptions {
    pub limits: Limits,
    pub policy: Policy,
    pub fail_on: Severity,
    pub walk: WalkOptions,
    pub progress: bool,
    /// Keep the bytes of small metadata files (see [`is_metadata_file`]).
    pub keep_metadata: bool,
    /// Accepted findings (`[[exception]]`), and today's date for their expiry (`None`: the
    /// clock cannot be read, and dated exceptions expire).
    pub exceptions: Vec<crate::config::Exception>,
    pub today: Option<jiff::civil::Date>,
    /// `--shard K/N`: scan only this part of the models.
    pub shard: Option<shard::Shard>,
    /// What a shard's report records of the settings (`allow-globals`, `skip`, `include-git`):
    /// made by `aibom scan` from the same values as `policy` and `walk`.
    pub settings: shard::Settings,
}

/// Verdict of one file from its findings and format.
pub fn verdict(findings: &[Finding], format: Format, fail_on: Severity) -> Verdict {
    if findings
        .iter()
        .any(|f| f.code.kind() == Kind::Security && f.severity >= fail_on)
    {
        Verdict::Unsafe
    } else if findings.iter().any(|f| f.code.kind() == Kind::Integrity) {
        Verdict::Malformed
    } else if findings.iter().any(|f| f.code.kind() == Kind::Coverage) || !format.is_inspected() {
        Verdict::Unsupported
    } else {
        Verdict::Clean
    }
}

fn inspect_artifact(a: &Artifact, opts: &ScanOptions) -> FileReport {
    let mut ctx = Ctx::new(&opts.limits, &opts.policy, &a.rel).with_gate(opts.fail_on);
    // Metadata files are kept for the directory-level checks (remote code) and `generate`.
    let keep = a.size <= MAX_METADATA && is_metadata_file(&a.rel);
    let result = File::open(&a.path).and_then(|file| {
        let src = HashingFile::new(file, a.size);
        let format = formats::inspect_source(&src, &mut ctx, &a.rel)?;
        // Small files sit in the hash pass's first chunk: this is not a second disk read.
        let content = if keep {
            Some(src.read_vec(0, a.size as usize)?)
        } else {
            None
        };
        let (digest, _) = src.finish()?;
        Ok((format, digest, content))
    });
    let (format, sha256, content) = match result {
        Ok((f, d, c)) => (f, Some(d), c),
        Err(e) => {
            ctx.report(
                Code::ReadError,
                None,
                format!("could not read the file: {e}"),
            );
            (Format::Unknown, None, None)
        }
    };
    let capped = std::mem::take(&mut ctx.capped);
    if !capped.is_empty() {
        let total: u64 = capped.values().sum();
        let per_code: Vec<String> = capped
            .iter()
            .map(|(c, n)| format!("{} {n}", c.as_str()))
            .collect();
        // Listed whatever the caps: it is the only record of what was counted.
        ctx.findings.push(Finding {
            code: Code::FindingsCapped,
            severity: Code::FindingsCapped.default_severity(),
            location: ctx.location(None),
            message: format!(
                "{total} more findings were counted, not listed (per-file cap): {}",
                per_code.join(", ")
            ),
            evidence: crate::finding::Evidence::default(),
        });
    }
    let mut findings = std::mem::take(&mut ctx.findings);
    findings.sort_by(|a, b| {
        (a.location.member.as_deref(), a.location.offset, a.code).cmp(&(
            b.location.member.as_deref(),
            b.location.offset,
            b.code,
        ))
    });
    let facts = std::mem::take(&mut ctx.facts);
    FileReport {
        path: a.rel.clone(),
        link: a.link.clone(),
        format,
        size: a.size,
        sha256,
        verdict: verdict(&findings, format, opts.fail_on),
        findings,
        capped_findings: capped,
        excepted: Vec::new(),
        facts,
        facts_raw: None,
        content,
    }
}

/// Discovers every target first (so a missing path fails before any work), then inspects all
/// files in parallel.
pub fn scan(targets: &[PathBuf], opts: &ScanOptions) -> Result<ScanReport, DiscoverError> {
    let mut discoveries: Vec<Discovery> = targets
        .iter()
        .map(|t| discover::discover(t, &opts.walk))
        .collect::<Result<_, _>>()?;
    // What every shard inspects, for the checks of one file's references to another (a
    // file another shard inspects is inspected).
    let whole_targets: Option<Vec<BTreeSet<String>>> = opts.shard.map(|_| {
        discoveries
            .iter()
            .map(|d| d.artifacts.iter().map(|a| a.rel.clone()).collect())
            .collect()
    });
    let shard = opts
        .shard
        .map(|s| shard::partition(&mut discoveries, s, &opts.settings));
    let total_bytes: u64 = discoveries
        .iter()
        .flat_map(|d| d.artifacts.iter())
        .map(|a| a.size)
        .sum();
    let total_files: u64 = discoveries.iter().map(|d| d.artifacts.len() as u64).sum();
    let progress = progress::Progress::new(opts.progress, total_files, total_bytes);
    let done_bytes = AtomicU64::new(0);

    let mut out = Vec::new();
    for (target, d) in discoveries.into_iter().enumerate() {
        // Largest files first, one task each: a few multi-GB shards among small files keep
        // every core busy to the end (the report is sorted by path afterwards).
        let mut order: Vec<&Artifact> = d.artifacts.iter().collect();
        order.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.rel.cmp(&b.rel)));
        let mut files: Vec<FileReport> = order
            .par_iter()
            .with_max_len(1)
            .map(|a| {
                let r = inspect_artifact(a, opts);
                let b = done_bytes.fetch_add(a.size, Ordering::Relaxed) + a.size;
                progress.file_done(b);
                r
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        remote_code(&mut files, opts.fail_on);
        onnx_external_data(&mut files, opts.fail_on);
        tf_checkpoint_data(&mut files, opts.fail_on);
        coreml_package_weights(&mut files, opts.fail_on);
        let shards = whole_targets.as_ref().and_then(|w| w.get(target));
        joblib_array_files(&mut files, shards, opts.fail_on);
        if !opts.keep_metadata {
            for f in &mut files {
                f.content = None;
            }
        }
        let mut tree_findings = d.findings;
        tree_findings.sort_by(|a, b| (&a.location, a.code).cmp(&(&b.location, b.code)));
        out.push(TargetReport {
            root: d.root,
            files,
            findings: tree_findings,
            excepted: Vec::new(),
        });
    }
    progress.finish();
    let outcomes = exceptions::apply(&mut out, &opts.exceptions, opts.today, opts.fail_on);
    let mut report = ScanReport {
        report_version: REPORT_VERSION,
        tool: Tool {
            name: "aibom",
            version: env!("CARGO_PKG_VERSION"),
            policy_version: opts.policy.version().to_owned(),
        },
        fail_on: opts.fail_on,
        strict: opts.policy.strict,
        targets: out,
        exceptions: outcomes,
        summary: Summary::default(),
        recorded_summary: None,
        shard,
    };
    report.summary = summarize(&report);
    Ok(report)
}

/// Hugging Face remote code: `auto_map` in `config.json` / `tokenizer_config.json` names
/// classes in Python files of the repository (or of another repository, `org/repo--module.Class`)
/// that `from_pretrained(..., trust_remote_code=True)` imports and runs.
/// Files an ONNX model of the same target names as its external data (`external_data`
/// `location`, relative to the model's directory) are its tensors' raw bytes: a file whose
/// own bytes were not recognised is recognised through the model (`onnx-external-data`),
/// and the `unknown-format` note goes. A location that leaves the directory is the model's
/// finding (`onnx-external-data-escape`), never resolved here.
fn onnx_external_data(files: &mut [FileReport], fail_on: Severity) {
    let mut named: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for f in files.iter() {
        let Some(onnx) = &f.facts.onnx else { continue };
        let dir = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for loc in &onnx.external_data_locations {
            let loc = loc.strip_prefix("./").unwrap_or(loc);
            // The model's own check of the location (escapes are its finding): only a plain
            // relative path names a file here, never one with a backslash, `.` or `..`.
            if !matches!(
                crate::formats::onnx::check_location(loc.as_bytes()),
                crate::formats::onnx::LocationCheck::Inside
            ) || loc.contains('\\')
                || loc.split('/').any(|p| p == "." || p.is_empty())
            {
                continue;
            }
            named.insert(if dir.is_empty() {
                loc.to_owned()
            } else {
                format!("{dir}/{loc}")
            });
        }
    }
    for f in files.iter_mut() {
        if f.format != Format::Unknown || !named.contains(&f.path) {
            continue;
        }
        f.format = Format::OnnxExternalData;
        f.findings.retain(|x| x.code != Code::UnknownFormat);
        f.verdict = verdict(&f.findings, f.format, fail_on);
    }
}

/// Where a Core ML package (`.mlpackage`, as coremltools saves it) keeps its model and the
/// weights its ML program reads by offset, below the package's directory.
const COREML_MODEL: &str = "Data/com.apple.CoreML/model.mlmodel";
const COREML_WEIGHTS: &str = "Data/com.apple.CoreML/weights/";

/// The files of a Core ML package: a directory holding `Manifest.json` and
/// `Data/com.apple.CoreML/model.mlmodel` (recognised as a Core ML model by its bytes) keeps its
/// weights in `Data/com.apple.CoreML/weights/` (`weight.bin`): blob storage that Core ML reads
/// as numbers at the offsets the model gives, never as code. Such a file whose own bytes were
/// not recognised is recognised through the package (`coreml-weights`), and the
/// `unknown-format` note goes; one recognised as something else keeps that reading.
fn coreml_package_weights(files: &mut [FileReport], fail_on: Severity) {
    let paths: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let packages: Vec<String> = files
        .iter()
        .filter(|f| f.format == Format::Coreml)
        .filter_map(|f| {
            let dir = f.path.strip_suffix(COREML_MODEL)?;
            paths
                .contains(format!("{dir}Manifest.json").as_str())
                .then(|| format!("{dir}{COREML_WEIGHTS}"))
        })
        .collect();
    if packages.is_empty() {
        return;
    }
    for f in files.iter_mut() {
        if f.format != Format::Unknown || !packages.iter().any(|w| f.path.starts_with(w.as_str())) {
            continue;
        }
        f.format = Format::CoremlWeights;
        f.findings.retain(|x| x.code != Code::UnknownFormat);
        f.verdict = verdict(&f.findings, f.format, fail_on);
    }
}

/// The data shards of a TensorFlow checkpoint: for an index `<prefix>.index` whose header
/// says `num_shards` M, TensorFlow opens `<prefix>.data-NNNNN-of-MMMMM` (N from 0, both five
/// digits at least) beside it. Such a file whose own bytes were not recognised is recognised
/// through the index (`tf-checkpoint-data`); one shorter than the furthest tensor bytes the
/// index places in it is `tf-checkpoint-data-mismatch` (a truncated or substituted shard). A
/// shard the directory lacks is not reported: indexes ship alone in test data.
fn tf_checkpoint_data(files: &mut [FileReport], fail_on: Severity) {
    let mut named: std::collections::BTreeMap<String, (String, u64)> =
        std::collections::BTreeMap::new();
    for f in files.iter() {
        let Some(tf) = &f.facts.tf_checkpoint else {
            continue;
        };
        let (Some(prefix), Some(n)) = (f.path.strip_suffix(".index"), tf.num_shards) else {
            continue;
        };
        if n == 0 || n > crate::formats::tf_checkpoint::MAX_SHARDS {
            continue;
        }
        for i in 0..n {
            let end = tf.shard_ends.get(&i).copied().unwrap_or(0);
            named.insert(
                format!("{prefix}.data-{i:05}-of-{n:05}"),
                (f.path.clone(), end),
            );
        }
    }
    if named.is_empty() {
        return;
    }
    for f in files.iter_mut() {
        let Some((index, end)) = named.get(&f.path) else {
            continue;
        };
        if f.format == Format::Unknown {
            f.format = Format::TfCheckpointData;
            f.findings.retain(|x| x.code != Code::UnknownFormat);
        }
        if f.format == Format::TfCheckpointData && f.size < *end {
            f.findings.push(file_finding(
                &f.path,
                Code::TfCheckpointDataMismatch,
                format!(
                    "{index} places tensor bytes up to offset {end} in this shard, but it holds {} bytes",
                    f.size
                ),
                crate::finding::Evidence::mismatch(
                    format!("at least {end} bytes"),
                    f.size.to_string(),
                ),
            ));
        }
        f.verdict = verdict(&f.findings, f.format, fail_on);
    }
}

/// A legacy joblib `NDArrayWrapper` (joblib < 0.10) makes `joblib.load` load the file its
/// pickle names, relative to the pickle's directory, with `numpy.load(allow_pickle=True)`: a
/// pickle in that file runs. The file's own report stands for it when this scan inspected it;
/// when not (outside the target, skipped as `.git/` is by default, or absent), the pickle gets
/// `joblib-external-array`: what runs was never looked at (found by review: a wrapper naming
/// `.git/x` was clean, file and directory scans alike). Names that leave the directory are
/// the pickle's own finding already.
fn joblib_array_files(
    files: &mut [FileReport],
    shards: Option<&BTreeSet<String>>,
    fail_on: Severity,
) {
    if files.iter().all(|f| f.facts.joblib_array_files.is_empty()) {
        return;
    }
    let own: BTreeSet<String>;
    let inspected = match shards {
        Some(all) => all,
        None => {
            own = files.iter().map(|f| f.path.clone()).collect();
            &own
        }
    };
    for f in files.iter_mut() {
        if f.facts.joblib_array_files.is_empty() {
            continue;
        }
        let dir = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for name in &f.facts.joblib_array_files {
            // `..` is not resolved by its text: through a symlink it goes elsewhere.
            let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
            let mut leaves = false;
            for p in name.split('/') {
                match p {
                    "" | "." => {}
                    ".." => leaves = true,
                    p => parts.push(p),
                }
            }
            let path = parts.join("/");
            if leaves || !inspected.contains(&path) {
                f.findings.push(file_finding(
                    &f.path,
                    Code::JoblibExternalArray,
                    format!(
                        "a legacy joblib NDArrayWrapper loads {name:?} ({path}) with allow_pickle=True, a file this scan did not inspect (not in the target, skipped, or absent): a pickle in it would run"
                    ),
                    crate::finding::Evidence {
                        rule: Some("NDArrayWrapper.filename".into()),
                        actual: Some(name.clone()),
                        ..Default::default()
                    },
                ));
            }
        }
        f.verdict = verdict(&f.findings, f.format, fail_on);
    }
}

/// A finding of a directory-level check about the whole file at `path` (no member, no
/// offset), cut as every finding is ([`Finding::clip`]).
fn file_finding(
    path: &str,
    code: Code,
    message: String,
    evidence: crate::finding::Evidence,
) -> Finding {
    let mut f = Finding {
        code,
        severity: code.default_severity(),
        location: crate::finding::Location {
            path: path.to_owned(),
            member: None,
            offset: None,
        },
        message,
        evidence,
    };
    f.clip();
    f
}

fn remote_code(files: &mut [FileReport], fail_on: Severity) {
    let py: std::collections::BTreeSet<String> = files
        .iter()
        .filter(|f| f.path.ends_with(".py"))
        .map(|f| f.path.clone())
        .collect();
    for f in files.iter_mut() {
        let base = f.path.rsplit('/').next().unwrap_or(&f.path);
        if base != "config.json" && base != "tokenizer_config.json" {
            continue;
        }
        let Some(bytes) = &f.content else { continue };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            continue;
        };
        let Some(map) = v.get("auto_map").and_then(|m| m.as_object()) else {
            continue;
        };
        let dir = f
            .path
            .rsplit_once('/')
            .map(|(d, _)| format!("{d}/"))
            .unwrap_or_default();
        let mut targets: Vec<String> = Vec::new();
        for (key, val) in map {
            let refs: Vec<&str> = match val {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                _ => Vec::new(),
            };
            for r in refs.into_iter().take(64) {
                let (repo, dotted) = match r.split_once("--") {
                    Some((repo, d)) => (Some(repo), d),
                    None => (None, r),
                };
                let module = dotted.rsplit_once('.').map(|(m, _)| m).unwrap_or(dotted);
                let file = format!("{dir}{}.py", module.replace('.', "/"));
                let what = match repo {
                    Some(repo) => format!("{key} -> {r} (code from the repository {repo})"),
                    None if py.contains(&file) => format!("{key} -> {r} ({file})"),
                    None => format!("{key} -> {r} ({file}, not in the directory)"),
                };
                targets.push(what);
            }
        }
        if targets.is_empty() {
            continue;
        }
        let list = targets.join("; ");
        f.findings.push(file_finding(
            &f.path,
            Code::RemoteCode,
            format!(
                "loading needs trust_remote_code and runs the repository's Python code: {list}"
            ),
            crate::finding::Evidence {
                rule: Some("auto_map".into()),
                actual: Some(list.chars().take(500).collect()),
                ..Default::default()
            },
        ));
        f.verdict = verdict(&f.findings, f.format, fail_on);
    }
}

pub(crate) fn summarize(r: &ScanReport) -> Summary {
    let mut s = Summary::default();
    for f in r.files() {
        s.files += 1;
        s.bytes = s.bytes.saturating_add(f.size);
        match f.verdict {
            Verdict::Clean => s.clean += 1,
            Verdict::Unsupported => s.unsupported += 1,
            Verdict::Malformed => s.malformed += 1,
            Verdict::Unsafe => s.unsafe_files += 1,
        }
        if f.sha256.is_none() {
            s.unreadable += 1;
        }
        s.verdict = s.verdict.max(Some(f.verdict));
    }
    for t in &r.targets {
        // Findings about the tree count towards the run's verdict as if they were a file's.
        if !t.findings.is_empty() {
            let v = verdict(&t.findings, Format::Empty, r.fail_on);
            s.verdict = s.verdict.max(Some(v));
        }
    }
    for f in r.findings() {
        *s.findings.entry(f.severity).or_default() += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ScanOptions {
        ScanOptions {
            limits: Limits::default(),
            policy: Policy::new(&[], false).unwrap(),
            fail_on: Severity::High,
            walk: WalkOptions::default(),
            progress: false,
            keep_metadata: false,
            exceptions: Vec::new(),
            today: None,
            shard: None,
            settings: Default::default(),
        }
    }

    #[test]
    fn a_file_that_cannot_be_read_completely_is_never_clean() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.pkl");
        std::fs::write(&p, b"\x80\x04N.").unwrap();
        // The walk saw 100 bytes; the file has 4 by the time it is read.
        let a = Artifact {
            rel: "x.pkl".into(),
            path: p,
            size: 100,
            link: None,
        };
        let r = inspect_artifact(&a, &opts());
        assert!(r.sha256.is_none());
        assert!(r.findings.iter().any(|f| f.code == Code::ReadError));
        assert_ne!(r.verdict, Verdict::Clean);
    }

    /// A legacy joblib `NDArrayWrapper` pickle naming `name` (loaded beside it with
    /// `allow_pickle=True`).
    fn legacy_wrapper(name: &str) -> Vec<u8> {
        let mut b =
            b"\x80\x02cjoblib.numpy_pickle_compat\nNDArrayWrapper\n)\x81}(Vfilename\nV".to_vec();
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(b"\nub.");
        b
    }

    fn wrapper_findings(target: &std::path::Path) -> Vec<Finding> {
        let r = scan(&[target.to_path_buf()], &opts()).unwrap();
        r.targets
            .iter()
            .flat_map(|t| t.files.iter())
            .filter(|f| f.path.ends_with("model.pkl"))
            .flat_map(|f| f.findings.iter().cloned())
            .collect()
    }

    /// Found by review: a wrapper naming `.git/x` (a pickle the walk skips) was clean, in a
    /// file scan and a directory scan alike.
    #[test]
    fn a_legacy_joblib_array_file_the_scan_did_not_inspect_fails_the_gate() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join(".git")).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join(".git/x"), b"\x80\x02N.").unwrap();
        std::fs::write(d.path().join("sub/a.npy"), b"\x80\x02N.").unwrap();
        for (name, inspected) in [
            (".git/x", false),
            ("absent.npy", false),
            ("sub/a.npy", true),
            ("./sub//a.npy", true),
            ("sub/../sub/a.npy", false),
        ] {
            std::fs::write(d.path().join("model.pkl"), legacy_wrapper(name)).unwrap();
            let dir_scan = wrapper_findings(d.path());
            let external = dir_scan
                .iter()
                .filter(|f| f.code == Code::JoblibExternalArray)
                .count();
            assert_eq!(external, usize::from(!inspected), "{name}: {dir_scan:?}");
            // Alone, the pickle's side file is never inspected.
            let file_scan = wrapper_findings(&d.path().join("model.pkl"));
            assert!(
                file_scan
                    .iter()
                    .any(|f| f.code == Code::JoblibExternalArray && f.severity == Severity::High),
                "{name}: {file_scan:?}"
            );
        }
    }

    /// Facts keep no name longer than `max_fact_string` (a name as long as the file would be
    /// kept whole): a longer one is reported at once, and no finding is longer than
    /// `MAX_MESSAGE` plus the note of what was cut.
    #[test]
    fn a_legacy_joblib_array_file_name_longer_than_facts_keep_is_reported_short() {
        let d = tempfile::tempdir().unwrap();
        let name = "a".repeat(Limits::default().max_fact_string + 1);
        std::fs::write(d.path().join("model.pkl"), legacy_wrapper(&name)).unwrap();
        let r = scan(&[d.path().to_path_buf()], &opts()).unwrap();
        let f = r.targets[0]
            .files
            .iter()
            .find(|f| f.path == "model.pkl")
            .unwrap();
        assert!(f.facts.joblib_array_files.is_empty());
        let external: Vec<&Finding> = f
            .findings
            .iter()
            .filter(|x| x.code == Code::JoblibExternalArray)
            .collect();
        assert_eq!(external.len(), 1, "{:?}", f.findings);
        assert!(external[0].message.len() < 2 * crate::finding::MAX_MESSAGE);
        // As long as facts keep: checked after the walk, and cut there as well.
        let name = "a".repeat(Limits::default().max_fact_string);
        std::fs::write(d.path().join("model.pkl"), legacy_wrapper(&name)).unwrap();
        let r = scan(&[d.path().to_path_buf()], &opts()).unwrap();
        let f = r.targets[0]
            .files
            .iter()
            .find(|f| f.path == "model.pkl")
            .unwrap();
        assert_eq!(f.facts.joblib_array_files.len(), 1);
        let x = f
            .findings
            .iter()
            .find(|x| x.code == Code::JoblibExternalArray)
            .unwrap();
        assert!(
            x.message.len() < 2 * crate::finding::MAX_MESSAGE,
            "{}",
            x.message.len()
        );
    }

    #[test]
    fn verdict_orders_unsafe_over_malformed_over_unsupported() {
        let f = |code: Code, severity: Severity| Finding {
            code,
            severity,
            location: crate::finding::Location {
                path: "x".into(),
                member: None,
                offset: None,
            },
            message: "m".into(),
            evidence: Default::default(),
        };
        let hi = Severity::High;
        assert_eq!(verdict(&[], Format::Pickle, hi), Verdict::Clean);
        assert_eq!(verdict(&[], Format::Unknown, hi), Verdict::Unsupported);
        assert_eq!(
            verdict(
                &[f(Code::PickleUnknownGlobal, Severity::Medium)],
                Format::Pickle,
                hi
            ),
            Verdict::Clean
        );
        assert_eq!(
            verdict(
                &[
                    f(Code::PickleMalformed, hi),
                    f(Code::PickleDangerousCall, Severity::Critical)
                ],
                Format::Pickle,
                hi
            ),
            Verdict::Unsafe
        );
        assert_eq!(
            verdict(&[f(Code::PickleMalformed, hi)], Format::Pickle, hi),
            Verdict::Malformed
        );
    }
}
