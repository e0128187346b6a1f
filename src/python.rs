//! The Python extension module `aibom._native` (cargo feature `python`; maturin builds it from
//! `pyproject.toml`, and `python/aibom/` wraps it).
//!
//! Everything runs the binary's own code, in-process, with the GIL released
//! ([`Python::detach`]) so other Python threads keep running:
//!
//! ```text
//! console script `aibom`  -> main(argv)              -> crate::main_with_args (as src/main.rs)
//! aibom.scan(path, ...)   -> keywords -> command line -> clap (cli.rs) -> commands::scan::execute
//!                            -> report::json (the bytes `scan --format json` prints)
//! aibom.generate(...)     -> ... -> commands::generate::execute (the AIBOM's exact bytes)
//! aibom.verify(...)       -> ... -> commands::verify::execute -> commands::verify::json
//! ```
//!
//! Keyword arguments are turned into the flags they name (`fail_on="low"` ->
//! `--fail-on=low`) and parsed by the same clap definition as the command line, so a value is
//! checked, and combined with the others, exactly as the CLI checks it. Like the CLI, nothing
//! here imports, unpickles or loads what it inspects.
//!
//! Errors are raised as the classes of `python/aibom/_errors.py`: `UsageError` (the CLI would
//! print its usage and exit 2), `InputError` (a path is missing, is not what it should be, or
//! cannot be read), `AibomError` (any other reason the CLI exits 2).

use crate::cli::{Cli, Command};
use crate::commands;
use clap::Parser;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;

/// Why a call failed: the exception class to raise, and the message (the CLI's error chain).
struct Failure {
    class: &'static str,
    message: String,
}

impl Failure {
    fn usage(e: &clap::Error) -> Failure {
        // clap's rendering is "error: <what>\n\nUsage: ...\n\nFor more information ...":
        // the first paragraph says what was wrong (and may list the arguments missing).
        let text = e.render().to_string();
        let what = text.split("\n\n").next().unwrap_or_default().trim();
        Failure {
            class: "UsageError",
            message: what.strip_prefix("error: ").unwrap_or(what).to_owned(),
        }
    }

    fn from_anyhow(e: &anyhow::Error) -> Failure {
        let input = e.chain().any(|c| {
            c.is::<crate::discover::DiscoverError>()
                || c.is::<commands::NotADirectory>()
                || c.is::<std::io::Error>()
        });
        Failure {
            class: if input { "InputError" } else { "AibomError" },
            message: format!("{e:#}"),
        }
    }

    /// A command line that parsed as another command: cannot happen, but is not a panic.
    fn other(command: &str) -> Failure {
        Failure {
            class: "AibomError",
            message: format!("the {command} arguments did not parse as {command}"),
        }
    }

    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let raised = py
            .import("aibom._errors")
            .and_then(|m| m.getattr(self.class))
            .and_then(|class| class.call1((self.message.clone(),)));
        match raised {
            Ok(exception) => PyErr::from_value(exception),
            // The package is incomplete (the module imported on its own): still an error.
            Err(_) => PyRuntimeError::new_err(self.message),
        }
    }
}

/// A command line being written from keyword arguments; `--flag=value` so that a value
/// starting with `-` is never read as a flag.
struct Argv(Vec<OsString>);

impl Argv {
    fn new(command: &str) -> Argv {
        Argv(vec!["aibom".into(), command.into()])
    }

    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(format!("--{name}").into());
        }
    }

    fn value(&mut self, name: &str, value: impl Into<OsString>) {
        let mut arg = OsString::from(format!("--{name}="));
        arg.push(value.into());
        self.0.push(arg);
    }

    fn option(&mut self, name: &str, value: Option<impl Into<OsString>>) {
        if let Some(v) = value {
            self.value(name, v);
        }
    }

    fn each<V: Into<OsString>>(&mut self, name: &str, values: impl IntoIterator<Item = V>) {
        for v in values {
            self.value(name, v);
        }
    }

    /// The positional arguments, after `--`.
    fn positional<V: Into<OsString>>(mut self, values: impl IntoIterator<Item = V>) -> Argv {
        self.0.push("--".into());
        self.0.extend(values.into_iter().map(Into::into));
        self
    }

    fn parse(self) -> Result<Command, Failure> {
        Cli::try_parse_from(self.0)
            .map(|cli| cli.command)
            .map_err(|e| Failure::usage(&e))
    }
}

/// The flags `scan` and `generate` share (`cli::InspectionArgs`), never progress.
struct Inspection {
    fail_on: Option<String>,
    strict: bool,
    allow_globals: Vec<String>,
    skip: Vec<String>,
    include_git: bool,
    config: Option<PathBuf>,
    jobs: Option<usize>,
}

impl Inspection {
    fn write(self, argv: &mut Argv) {
        argv.option("fail-on", self.fail_on);
        argv.flag("strict", self.strict);
        argv.each("allow-global", self.allow_globals);
        argv.each("skip", self.skip);
        argv.flag("include-git", self.include_git);
        argv.option("config", self.config);
        argv.option("jobs", self.jobs.map(|j| j.to_string()));
        argv.flag("no-progress", true);
    }
}

/// Output text and exit code of a call, or why it failed, computed without the GIL.
type Outcome = Result<(String, u8), Failure>;

fn finish(py: Python<'_>, outcome: Outcome) -> PyResult<(String, u8)> {
    outcome.map_err(|f| f.into_pyerr(py))
}

#[pymodule]
mod _native {
    use super::*;

    /// Runs the `aibom` command line (argv[0] is the program name) exactly as the binary
    /// does, printing to the process's stdout and stderr; returns the exit code.
    #[pyfunction]
    fn main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
        py.detach(|| crate::main_with_args(argv))
    }

    /// `aibom scan --format json PATHS...`: the JSON report and the exit code.
    #[pyfunction]
    #[pyo3(signature = (paths, fail_on, strict, allow_globals, skip, include_git, config, jobs, shard))]
    #[allow(clippy::too_many_arguments)]
    fn scan(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        fail_on: Option<String>,
        strict: bool,
        allow_globals: Vec<String>,
        skip: Vec<String>,
        include_git: bool,
        config: Option<PathBuf>,
        jobs: Option<usize>,
        shard: Option<String>,
    ) -> PyResult<(String, u8)> {
        let mut argv = Argv::new("scan");
        argv.value("format", "json");
        Inspection {
            fail_on,
            strict,
            allow_globals,
            skip,
            include_git,
            config,
            jobs,
        }
        .write(&mut argv);
        argv.option("shard", shard);
        let outcome = py.detach(move || -> Outcome {
            let Command::Scan(args) = argv.positional(paths).parse()? else {
                return Err(Failure::other("scan"));
            };
            let run = || -> anyhow::Result<(String, u8)> {
                let report = commands::scan::execute(&args)?;
                let bytes = commands::scan::to_bytes(&report, args.format, false)?;
                let text = String::from_utf8(bytes)?;
                let on_findings = commands::scan::OnFindings::of(&args);
                Ok((text, commands::scan::status(&report, on_findings).code()))
            };
            run().map_err(|e| Failure::from_anyhow(&e))
        });
        finish(py, outcome)
    }

    /// `aibom generate PATH`: the document's exact bytes (UTF-8 JSON) and the exit code;
    /// written atomically to `output` too when given.
    #[pyfunction]
    #[pyo3(signature = (path, format, timestamp, output, fail_on, strict, allow_globals, skip, include_git, config, jobs))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        py: Python<'_>,
        path: PathBuf,
        format: String,
        timestamp: Option<String>,
        output: Option<PathBuf>,
        fail_on: Option<String>,
        strict: bool,
        allow_globals: Vec<String>,
        skip: Vec<String>,
        include_git: bool,
        config: Option<PathBuf>,
        jobs: Option<usize>,
    ) -> PyResult<(String, u8)> {
        let mut argv = Argv::new("generate");
        argv.value("format", format);
        argv.option("timestamp", timestamp);
        argv.option("output", output);
        Inspection {
            fail_on,
            strict,
            allow_globals,
            skip,
            include_git,
            config,
            jobs,
        }
        .write(&mut argv);
        let outcome = py.detach(move || -> Outcome {
            let Command::Generate(args) = argv.positional([path]).parse()? else {
                return Err(Failure::other("generate"));
            };
            let run = || -> anyhow::Result<(String, u8)> {
                let (bytes, status) = commands::generate::execute(&args)?;
                if let Some(p) = &args.output {
                    commands::generate::write_to(p, &bytes)?;
                }
                Ok((String::from_utf8(bytes)?, status.code()))
            };
            run().map_err(|e| Failure::from_anyhow(&e))
        });
        finish(py, outcome)
    }

    /// `aibom verify --format json PATH --signature ...`: the verdict and the exit code.
    #[pyfunction]
    #[pyo3(signature = (path, signatures, public_keys, certificate_chains, trust_root, identity, issuer, bom, policy, rescan, ignore_paths, allow_symlinks, release_root, previous, stage, ledger))]
    #[allow(clippy::too_many_arguments)]
    fn verify(
        py: Python<'_>,
        path: PathBuf,
        signatures: Vec<PathBuf>,
        public_keys: Vec<PathBuf>,
        certificate_chains: Vec<PathBuf>,
        trust_root: Option<PathBuf>,
        identity: Option<String>,
        issuer: Option<String>,
        bom: Option<PathBuf>,
        policy: Option<PathBuf>,
        rescan: bool,
        ignore_paths: Vec<String>,
        allow_symlinks: bool,
        release_root: Option<PathBuf>,
        previous: Option<PathBuf>,
        stage: Option<PathBuf>,
        ledger: Option<PathBuf>,
    ) -> PyResult<(String, u8)> {
        let mut argv = Argv::new("verify");
        argv.value("format", "json");
        argv.each("signature", signatures);
        argv.each("public-key", public_keys);
        argv.each("certificate-chain", certificate_chains);
        argv.option("trust-root", trust_root);
        argv.option("identity", identity);
        argv.option("issuer", issuer);
        argv.option("bom", bom);
        argv.option("policy", policy);
        argv.flag("rescan", rescan);
        argv.each("ignore-path", ignore_paths);
        argv.flag("allow-symlinks", allow_symlinks);
        argv.option("release-root", release_root);
        argv.option("previous", previous);
        argv.option("stage", stage);
        argv.option("ledger", ledger);
        let outcome = py.detach(move || -> Outcome {
            let Command::Verify(args) = argv.positional([path]).parse()? else {
                return Err(Failure::other("verify"));
            };
            let run = || -> anyhow::Result<(String, u8)> {
                let verdict = commands::verify::execute(&args)?;
                let text = commands::verify::json(&verdict)?;
                Ok((text, commands::verify::status(&verdict).code()))
            };
            run().map_err(|e| Failure::from_anyhow(&e))
        });
        finish(py, outcome)
    }
}
