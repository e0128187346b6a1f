//! aibom: inspect ML model releases for code that runs on load, without loading them.
//!
//! The pipelines, as the modules are laid out:
//!
//! ```text
//! scan:     paths -> discover (walk, links) -> detect (bytes -> Format)
//!                 -> formats::* (pickle, zip, 7z, compressed, npy, safetensors, gguf, onnx,
//!                    onnx_tensor, sentencepiece,
//!                    savedmodel, tflite, torchscript, keras/hdf5, text; chat templates through
//!                    formats::template: lex -> analyse -> fold; members go back through detect)
//!                 -> scan::ScanReport -> report::{human, json, sarif}
//!           [--shard K/N: scan::shard keeps one part of the models after discover;
//!            merge: shard reports -> scan::merge (same order, same summarize) -> ScanReport]
//! generate: ScanReport + directory metadata (bom::card)
//!                 + [release] artifacts (release: walk + hash, manifest, evaluation)
//!                 -> bom::assemble -> bom::to_json (stable bytes) -> [sign]
//!                 [--format spdx3: the assembled AIBOM -> bom::spdx3 (SPDX 3.0.1 JSON-LD)]
//! validate: AIBOM -> bom::validate (CycloneDX 1.6 schema, then semantic checks read through
//!                 bom::read) -> problems
//! sign:     discover -> sign::manifest (names, hashes) -> sign::statement -> sign::bundle
//!                 (DSSE, key or certificate) [+ the AIBOM attestation, validated first]
//! verify:   signature bytes -> sign::{bundle, keys, x509, keyless} (who signed what)
//!                 -> verify (walk + hash, per-signer manifests, roles, the AIBOM read through
//!                    bom::read, findings policy) -> Verdict -> human/json
//!                 [-> verify::revocation: signed revocations from the policy's directory]
//!                 [-> ledger: the decision appended to a hash-chained JSON Lines log]
//! review:   AIBOM(s) -> bom::read (the one lenient reader)
//!                 -> diff: model (each release) -> compare -> gates (--fail-on)
//!                    / report::auditor (the audit model)
//!                 -> report::{diff, html, markdown}
//! ```
//!
//! Entry points: `src/main.rs` and, with the `python` feature, the Python extension module
//! (`python`: the wheel's console script and `aibom.scan`/`generate`/`verify`), both through
//! [`main_with_args`] or the same `commands` functions.
//!
//! Every file is read once: [`digest::HashingFile`] computes the SHA-256 in the same pass as the
//! inspection. Every limit is in [`limits`]; reaching one is a finding that can only make a
//! verdict worse. Findings are data ([`finding::Finding`] with a stable [`finding::Code`]); `Err`
//! means the tool could not do its job. The exit status is computed once, per command, from the
//! report.

pub mod bom;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod date;
pub mod detect;
pub mod diff;
pub mod digest;
pub(crate) mod discover;
pub mod finding;
pub mod formats;
pub(crate) mod ledger;
pub mod limits;
pub mod policy;
#[cfg(feature = "python")]
mod python;
pub(crate) mod release;
pub mod report;
pub mod scan;
pub mod sign;
pub(crate) mod source;
pub(crate) mod units;
pub(crate) mod verify;

/// How a run ended, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: nothing at or above the fail-on level.
    Success,
    /// 1: findings at or above the fail-on level.
    Failure,
    /// 2: the tool could not run (bad arguments, unreadable input).
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// The whole command line, as the `aibom` binary runs it: parse `args` (the first is the
/// program name), run, print the error chain; the exit code. The Python console script calls
/// this too (src/python.rs), so both give the same output and exit codes.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // What `Cli::parse` does before it exits: help and version on stdout, usage
            // errors on stderr.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(ExitStatus::Error.code());
        }
    };
    match run(cli) {
        Ok(status) => status.code(),
        Err(e) => {
            eprintln!("aibom: error: {e:#}");
            ExitStatus::Error.code()
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitStatus> {
    commands::set_quiet(cli.quiet);
    match cli.command {
        cli::Command::Scan(args) => commands::scan::run(args),
        cli::Command::Generate(args) => commands::generate::run(args),
        cli::Command::Validate(args) => commands::validate::run(args),
        cli::Command::Sign(args) => commands::sign::run(args),
        cli::Command::Verify(args) => commands::verify::run(args),
        cli::Command::Keygen(args) => commands::keygen::run(args),
        cli::Command::Diff(args) => commands::diff::run(args),
        cli::Command::Init { path } => commands::init::run(&path),
        cli::Command::Report(args) => commands::report::run(args),
        cli::Command::Ledger(cmd) => commands::ledger::run(cmd),
        cli::Command::Revoke(args) => commands::revoke::run(args),
        cli::Command::Merge(args) => commands::merge::run(args),
        cli::Command::Completions(args) => commands::completions::run(args),
        cli::Command::Man(args) => commands::man::run(args),
    }
}
