//! Command line (clap derive). The `///` comments are the help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Inspect ML model releases for code that runs on load, without loading them.
#[derive(Debug, Parser)]
#[command(name = "aibom", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors and the machine output: no progress, no notes on stderr, no readable
    /// report on stdout (JSON, SARIF, Markdown, HTML, AIBOMs and files named by --output are
    /// still written). The exit status is unchanged.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan model directories or files for unsafe deserialization.
    Scan(ScanArgs),
    /// Write a CycloneDX 1.6 AIBOM of a model directory.
    Generate(GenerateArgs),
    /// Check an AIBOM against the CycloneDX 1.6 schema and the rules a schema cannot express.
    Validate(ValidateArgs),
    /// Sign a model directory (OpenSSF model signing bundle) and bind its AIBOM to it.
    Sign(SignArgs),
    /// Verify a model directory against its signatures, its AIBOM and a release policy.
    Verify(VerifyArgs),
    /// Write a new ECDSA key pair (private key readable by the owner only).
    Keygen(KeygenArgs),
    /// What changed between two releases' AIBOMs.
    Diff(DiffArgs),
    /// Render an AIBOM for auditors: one self-contained HTML file, or Markdown.
    Report(ReportArgs),
    /// Check or print an approval ledger (`aibom verify --ledger`).
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Write a signed revocation of a release (checked by `verify` through the policy's
    /// `revocations` directory).
    Revoke(RevokeArgs),
    /// Write a commented default aibom.toml.
    Init {
        /// Where to write it.
        #[arg(default_value = "aibom.toml")]
        path: PathBuf,
    },
    /// Combine the reports of `scan --shard K/N` runs into the report of one run.
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Write the man pages (aibom.1 and one per subcommand), or print aibom.1 to stdout.
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write aibom.1 and aibom-SUBCOMMAND.1 for every subcommand into this directory
    /// (created if absent) [default: print aibom.1 to stdout].
    #[arg(long = "output", short = 'o', alias = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The AIBOM of the earlier release (CycloneDX 1.5-1.7 JSON, from any generator).
    pub old: PathBuf,
    /// The AIBOM of the new release.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Fail (exit 1) on these kinds of drift; repeatable: `new-finding` (at or above
    /// --fail-on-severity), `escalated-finding`, `weights-changed-same-version`,
    /// `license-changed`, `base-model-changed`, `file-added`, `file-removed`, `file-changed`,
    /// `dataset-changed`, `dependency-changed`, `any`.
    #[arg(
        long = "fail-on",
        value_name = "KIND",
        value_delimiter = ',',
        value_parser = Trimmed::<crate::diff::Drift>::default(),
        ignore_case = true,
        hide_possible_values = true
    )]
    pub fail_on: Vec<crate::diff::Drift>,
    /// The severity from which `new-finding` and `escalated-finding` count.
    #[arg(long, value_enum, default_value_t = crate::finding::Severity::High)]
    pub fail_on_severity: crate::finding::Severity,
    /// Colour in the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The model directory.
    pub dir: PathBuf,
    /// Private key (PEM: SEC1 or PKCS#8, P-256 or P-384).
    #[arg(long)]
    pub private_key: PathBuf,
    #[command(flatten)]
    pub certificate: SigningCertificate,
    /// Where to write the model signature (Sigstore bundle JSON).
    #[arg(long)]
    pub signature: PathBuf,
    /// Also sign this AIBOM, bound to the same model digest.
    #[arg(long)]
    pub bom: Option<PathBuf>,
    /// Where to write the AIBOM attestation [default: the signature path + ".bom"].
    #[arg(long)]
    pub bom_signature: Option<PathBuf>,
    /// Paths (relative to DIR) to leave out, besides .git, .gitattributes, .github, .gitignore
    /// and the signature files; repeatable.
    #[arg(long = "ignore-path", value_name = "PATH")]
    pub ignore_paths: Vec<String>,
    /// Sign symbolic links that resolve to files inside DIR, under the link's name (links that
    /// leave DIR are always refused).
    #[arg(long)]
    pub allow_symlinks: bool,
    /// The release root (the directory of the aibom.toml with `[release]`): when the AIBOM
    /// records a release, its artifacts are re-hashed under this directory and a release
    /// attestation is written to the signature path + ".release" [default: DIR minus the model
    /// path the AIBOM records, e.g. the parent of `model/`].
    #[arg(long, value_name = "DIR")]
    pub release_root: Option<PathBuf>,
    /// Output format of what was signed (`json`: the signature paths and file count on stdout).
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// Who may sign: the trust flags of `verify` and `report`, written once.
#[derive(Debug, Default, clap::Args)]
pub struct TrustArgs {
    /// A trusted public key (PEM); repeatable.
    #[arg(long = "public-key")]
    pub public_keys: Vec<PathBuf>,
    /// Trusted CA certificates (PEM) for certificate-method signatures; repeatable.
    #[arg(long = "certificate-chain")]
    pub certificate_chains: Vec<PathBuf>,
    /// Sigstore trusted root (trusted_root.json) for keyless signatures; read from the file,
    /// never fetched.
    #[arg(long)]
    pub trust_root: Option<PathBuf>,
    /// Keyless signer identity (certificate SAN) to accept; with --issuer.
    #[arg(long, requires = "issuer")]
    pub identity: Option<String>,
    /// OIDC issuer of the keyless identity; with --identity.
    #[arg(long, requires = "identity")]
    pub issuer: Option<String>,
}

impl TrustArgs {
    /// Whether any trust was given on the command line.
    pub fn is_empty(&self) -> bool {
        self.public_keys.is_empty()
            && self.certificate_chains.is_empty()
            && self.trust_root.is_none()
            && self.identity.is_none()
    }
}

/// `--signature` of `verify` and `report`, written once: its name, value and repetition. What
/// it is for and whether it is required differ by command (`verify`: the model signatures that
/// must approve, at least one; `report`: signatures to show as approvals, none needed), so
/// each command states its help and `required` with `mut_arg` where it flattens this.
#[derive(Debug, clap::Args)]
pub struct SignatureArgs {
    #[arg(long = "signature")]
    pub signatures: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[command(mut_arg("signatures", |a| a
    .required(true)
    .help("A model signature (repeatable: one per signing party)")))]
pub struct VerifyArgs {
    /// The model directory as it is about to be deployed.
    pub dir: PathBuf,
    #[command(flatten)]
    pub signature: SignatureArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The AIBOM that must be signed for this model and match the directory.
    #[arg(long)]
    pub bom: Option<PathBuf>,
    /// Release policy (required signers, findings, exceptions, pins). Never read implicitly:
    /// without it, only the trust given by flags applies and ./aibom.toml is ignored. Refused
    /// when it lies inside DIR (the directory being verified cannot vouch for itself).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Inspect every signed file again in the same read that hashes it, and refuse findings at
    /// or above the policy's fail-on that the AIBOM does not record.
    #[arg(long)]
    pub rescan: bool,
    /// Paths (relative to DIR) to leave out, besides the defaults and the signature files.
    #[arg(long = "ignore-path", value_name = "PATH")]
    pub ignore_paths: Vec<String>,
    /// Accept symbolic links that resolve to files inside DIR (hashed under the link's name),
    /// where the signature was made with --allow-symlinks too; links that leave DIR are always
    /// refused.
    #[arg(long)]
    pub allow_symlinks: bool,
    /// The release root when the AIBOM records a release: every artifact file is re-hashed
    /// under it [default: DIR minus the model path the signed release records].
    #[arg(long, value_name = "DIR")]
    pub release_root: Option<PathBuf>,
    /// The AIBOM of the last approved release: metric regressions (max-regression) and
    /// changes that require more roles ([[verify.on-change]]) are computed against it.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Copy every signed file (and the release's artifact files, DEST then mirroring the
    /// release root) into a new directory next to DEST while hashing the bytes copied, and
    /// move it to DEST only when every check holds; DEST must not exist.
    #[arg(long, value_name = "DEST", conflicts_with = "rescan")]
    pub stage: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Append this decision (pass or refuse) to the approval ledger FILE (JSON Lines, hash
    /// chained; created if absent). A damaged ledger is never rewritten: exit 2.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CurveChoice {
    P256,
    P384,
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600); never overwritten.
    #[arg(long)]
    pub private_key: PathBuf,
    /// Where to write the public key (SPKI PEM); never overwritten.
    #[arg(long)]
    pub public_key: PathBuf,
    /// The curve.
    #[arg(long, value_enum, default_value_t = CurveChoice::P256)]
    pub curve: CurveChoice,
    /// Output format of what was written (`json`: the key paths and curve on stdout).
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The model directory.
    pub dir: PathBuf,
    /// Write the AIBOM here (atomically) instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Record this time (RFC 3339, UTC) as metadata.timestamp (SPDX: CreationInfo.created)
    /// [default: SOURCE_DATE_EPOCH if set, otherwise no timestamp (SPDX: 1970-01-01T00:00:00Z),
    /// so the output is reproducible].
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Document format: CycloneDX 1.6 JSON, or SPDX 3.0.1 JSON-LD (AI and Dataset profiles)
    /// stating the same facts.
    #[arg(long, short = 'f', value_enum, default_value = "cyclonedx")]
    pub format: BomFormat,
    #[command(flatten)]
    pub inspection: InspectionArgs,
}

/// The AIBOM document format `generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BomFormat {
    /// CycloneDX 1.6 JSON (signable, read by verify, diff and validate).
    Cyclonedx,
    /// SPDX 3.0.1 JSON-LD with the Core, Software, AI and Dataset profiles.
    Spdx3,
}

/// How files are inspected: shared by `scan` and `generate`.
#[derive(Debug, clap::Args)]
pub struct InspectionArgs {
    /// Fail (exit 1) on findings at or above this severity [default: high].
    #[arg(long, value_enum)]
    pub fail_on: Option<crate::finding::Severity>,
    /// Globals that are not on the allowlist fail the scan.
    #[arg(long)]
    pub strict: bool,
    /// Treat this pickle global (dotted path) as safe; repeatable.
    #[arg(long = "allow-global", value_name = "MODULE.NAME")]
    pub allow_globals: Vec<crate::policy::AllowedGlobal>,
    /// Skip relative paths matching this glob; repeatable.
    #[arg(long = "skip", value_name = "GLOB")]
    pub skip: Vec<globset::Glob>,
    /// Also scan the .git directory.
    #[arg(long)]
    pub include_git: bool,
    /// Configuration file [default: ./aibom.toml if present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Never show progress.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The AIBOM (CycloneDX 1.6 JSON).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable table.
    Human,
    /// The JSON report (schemas/scan-report.schema.json).
    Json,
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Readable table.
    Human,
    /// The JSON report (schemas/scan-report.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained, offline HTML file.
    Html,
    /// Markdown.
    Markdown,
}

#[derive(Debug, clap::Args)]
#[command(mut_arg("signatures", |a| a.help(
    "Signature files to show as approvals (verified with --public-key / --certificate-chain \
     / --trust-root with --identity and --issuer, as in verify); repeatable"
)))]
pub struct ReportArgs {
    /// The AIBOM (CycloneDX JSON).
    pub bom: PathBuf,
    /// Where to write the report (atomically) [default: stdout].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub signature: SignatureArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Configuration with the exceptions to show [default: ./aibom.toml if present]; its
    /// signer roles are trusted for approvals only when it is named here (`--policy`, as in
    /// verify, names it too).
    #[arg(long, visible_alias = "policy")]
    pub config: Option<PathBuf>,
    /// Show the deploy decisions this approval ledger records about the AIBOM (its chain is
    /// checked first; a broken one is shown as broken).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Readable table.
    Human,
    /// The changes as data.
    Json,
    /// A Markdown summary for a pull-request comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Directories or files to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Colour in the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub inspection: InspectionArgs,
    /// Scan only shard K of N (K from 0): each top-level directory under a root (and the
    /// root's own files) is a model that one shard scans whole, chosen by a hash of its name;
    /// `aibom merge` combines the shards' JSON reports.
    #[arg(long, value_name = "K/N", conflicts_with = "shard_from_env")]
    pub shard: Option<crate::scan::shard::Shard>,
    /// `--shard K/N` with K from the environment variable JOB_COMPLETION_INDEX (set by a
    /// Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    pub shard_from_env: Option<u32>,
    /// Exit 0 when findings reach --fail-on (exit 1 without this flag). The report is the
    /// same: the findings, their verdicts and the fail-on level it records. Exit 2 (bad
    /// arguments or configuration, a missing path, a file that could not be read) is kept.
    /// For a step that only collects reports, such as a shard of a fleet scan whose
    /// `aibom merge` decides the exit status.
    #[arg(long)]
    pub exit_zero: bool,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The JSON reports of `aibom scan --shard K/N` (every K of one N, in any order), or
    /// directories holding them: every `*.json` file directly in a directory is read (in
    /// name order; other files and subdirectories are left out).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Json)]
    pub format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Colour in the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn severities_are_parsed_once_by_the_command_line() {
        let cli = Cli::try_parse_from(["aibom", "scan", "--fail-on", "critical", "."]).unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan");
        };
        assert_eq!(
            args.inspection.fail_on,
            Some(crate::finding::Severity::Critical)
        );
        assert!(Cli::try_parse_from(["aibom", "scan", "--fail-on", "severe", "."]).is_err());
    }
}

/// A [`ValueEnum`] value with the spaces around it ignored, so a comma-separated list may be
/// written `file-added, file-removed`.
#[derive(Clone)]
pub struct Trimmed<E>(std::marker::PhantomData<E>);

impl<E> Default for Trimmed<E> {
    fn default() -> Self {
        Trimmed(std::marker::PhantomData)
    }
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Trimmed<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<E, clap::Error> {
        let value = value
            .to_str()
            .map_or(value, |s| std::ffi::OsStr::new(s.trim()));
        clap::builder::EnumValueParser::<E>::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prove the chain unbroken: exit 0 and print the entry count and head digest, or exit 1
    /// naming the first broken line.
    Verify {
        /// The ledger (JSON Lines).
        file: PathBuf,
        /// Output format (`json`: file, intact, entries, head or the broken line and why).
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Print the entries.
    Show {
        /// The ledger (JSON Lines).
        file: PathBuf,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = LedgerFormat::Human)]
        format: LedgerFormat,
        /// Only entries about this release (its model digest or AIBOM SHA-256, hex).
        #[arg(long, value_name = "DIGEST")]
        release: Option<crate::digest::Sha256>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LedgerFormat {
    /// One readable block per entry (`text` is accepted too).
    #[value(alias = "text")]
    Human,
    /// A JSON array of the entries.
    Json,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("release").required(true).multiple(true)))]
pub struct RevokeArgs {
    /// The model digest to revoke (hex SHA-256, as `verify` prints it).
    #[arg(long, value_name = "DIGEST", group = "release")]
    pub model_digest: Option<crate::digest::Sha256>,
    /// Revoke this AIBOM (by the SHA-256 of its exact bytes).
    #[arg(long, value_name = "FILE", group = "release")]
    pub bom: Option<PathBuf>,
    /// Why (recorded, and shown when `verify` refuses the release).
    #[arg(long)]
    pub reason: String,
    /// The revoker's private key (PEM: SEC1 or PKCS#8, P-256 or P-384).
    #[arg(long = "private-key", alias = "key", value_name = "KEY.pem")]
    pub key: PathBuf,
    #[command(flatten)]
    pub certificate: SigningCertificate,
    /// Where to write the revocation (Sigstore bundle JSON, atomically) [default: stdout].
    #[arg(long = "output", short = 'o', alias = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The OMS certificate method, for `sign` and `revoke`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SigningCertificate {
    /// Sign with the OMS certificate method: the signing certificate (PEM) of the private
    /// key, carried in every bundle the command writes (`sign`: the model signature and the
    /// AIBOM and release attestations; `revoke`: the revocation, for a `certificate-ca`
    /// revoker). It must hold the private key's public key, be valid now, and allow
    /// digitalSignature or codeSigning.
    #[arg(long, value_name = "FILE")]
    pub signing_certificate: Option<PathBuf>,
    /// With --signing-certificate: the intermediate certificates (PEM) carried after it, in
    /// order; repeatable, and a file may hold several. The root may be left out: verifiers
    /// are configured with it.
    #[arg(
        long = "certificate-chain",
        value_name = "FILE",
        requires = "signing_certificate"
    )]
    pub certificate_chains: Vec<PathBuf>,
}
