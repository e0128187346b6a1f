//! The checks a verdict is made of: a stable kind, whether it held, what it is about, and what
//! was expected and found.

use serde::Serialize;

/// What a check is about. The kebab-case names are public (the JSON verdict, the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// A signature verifies against the configured trust and carries a model statement.
    Signature,
    /// The signed subject name is the one the policy pins (`model-name`).
    ModelName,
    /// The signature's verified time is within the policy's `max-signature-age`.
    SignatureAge,
    /// A signed statement lists at least one file.
    ManifestEmpty,
    /// A path the signer left out of its manifest, and whether the policy honours it.
    SignedIgnore,
    /// Every approving signature covers the same model digest.
    SignaturesAgree,
    /// At least one valid model signature (without roles).
    Signed,
    FileChanged,
    FileMissing,
    FileExtra,
    FileRenamed,
    FilesSwapped,
    /// A listed file changed type or size between the walk and the read.
    FileUnstable,
    /// One signature's manifest against the directory, in sum.
    Files,
    Symlink,
    /// A FIFO, socket or device node.
    SpecialFile,
    PartialDownload,
    NameNotUtf8,
    /// A name the manifest rule refuses (`a\b.bin`, `C:x.bin`).
    NameNotAllowed,
    /// The AIBOM is JSON.
    Aibom,
    /// The policy requires an AIBOM (`require-bom`).
    AibomRequired,
    AibomValid,
    AibomFile,
    AibomBound,
    /// The AIBOM's model version is at least the policy's `min-version`.
    ModelVersion,
    Finding,
    FindingExcepted,
    ExceptionUnused,
    /// A finding `--rescan` found that the AIBOM does not record.
    RescanFinding,
    Role,
    Approvals,
    /// A listed revoker revoked this release (or the revocations could not be read).
    ReleaseRevoked,
    /// A revocation that does not verify against a listed revoker: a warning, ignored.
    Revocation,
    /// A signer's release attestation (`<signature>.release`): verified with that signer's
    /// trust, over the signed model digest and the AIBOM's bytes, recording the AIBOM's release.
    ReleaseAttestation,
    /// The release root the artifacts are re-hashed under.
    ReleaseRoot,
    /// One release attestation's artifact files against the release root, in sum.
    ReleaseFiles,
    /// The risk tier the valid release attestations sign (they must agree).
    ReleaseTier,
    /// The policy's entry for the signed tier (`[verify.tier.<tier>]`).
    TierPolicy,
    /// An evaluation gate (`[[verify.metric]]`) on a metric of the signed AIBOM.
    Metric,
    /// A metric's regression against the previous release (`--previous`, `max-regression`).
    MetricRegression,
    /// A change since the previous release that requires more roles (`[[verify.on-change]]`).
    Change,
    /// `--stage`: the verified bytes were copied and moved into place.
    Stage,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Signature => "signature",
            CheckKind::ModelName => "model-name",
            CheckKind::SignatureAge => "signature-age",
            CheckKind::ManifestEmpty => "manifest-empty",
            CheckKind::SignedIgnore => "signed-ignore",
            CheckKind::SignaturesAgree => "signatures-agree",
            CheckKind::Signed => "signed",
            CheckKind::FileChanged => "file-changed",
            CheckKind::FileMissing => "file-missing",
            CheckKind::FileExtra => "file-extra",
            CheckKind::FileRenamed => "file-renamed",
            CheckKind::FilesSwapped => "files-swapped",
            CheckKind::FileUnstable => "file-unstable",
            CheckKind::Files => "files",
            CheckKind::Symlink => "symlink",
            CheckKind::SpecialFile => "special-file",
            CheckKind::PartialDownload => "partial-download",
            CheckKind::NameNotUtf8 => "name-not-utf8",
            CheckKind::NameNotAllowed => "name-not-allowed",
            CheckKind::Aibom => "aibom",
            CheckKind::AibomRequired => "aibom-required",
            CheckKind::AibomValid => "aibom-valid",
            CheckKind::AibomFile => "aibom-file",
            CheckKind::AibomBound => "aibom-bound",
            CheckKind::ModelVersion => "model-version",
            CheckKind::Finding => "finding",
            CheckKind::FindingExcepted => "finding-excepted",
            CheckKind::ExceptionUnused => "exception-unused",
            CheckKind::RescanFinding => "rescan-finding",
            CheckKind::Role => "role",
            CheckKind::Approvals => "approvals",
            CheckKind::ReleaseRevoked => "release-revoked",
            CheckKind::Revocation => "revocation",
            CheckKind::ReleaseAttestation => "release-attestation",
            CheckKind::ReleaseRoot => "release-root",
            CheckKind::ReleaseFiles => "release-files",
            CheckKind::ReleaseTier => "release-tier",
            CheckKind::TierPolicy => "tier-policy",
            CheckKind::Metric => "metric",
            CheckKind::MetricRegression => "metric-regression",
            CheckKind::Change => "change",
            CheckKind::Stage => "stage",
        }
    }

    /// Checks about the files of one manifest (summed up by [`CheckKind::Files`]).
    pub fn is_file_check(self) -> bool {
        matches!(
            self,
            CheckKind::FileChanged
                | CheckKind::FileMissing
                | CheckKind::FileExtra
                | CheckKind::FileRenamed
                | CheckKind::FilesSwapped
                | CheckKind::Symlink
        )
    }
}

impl std::fmt::Display for CheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One check, with what was expected and what was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub check: CheckKind,
    pub ok: bool,
    /// `false` for a failure that does not refuse the release by itself: with signer roles, a
    /// signature that fails a check only stops counting towards its role, and the
    /// `approvals` check decides. Omitted when `true`.
    #[serde(skip_serializing_if = "is_true")]
    pub blocking: bool,
    /// The signature (index into the inputs) this check is about, if it is about one.
    #[serde(skip)]
    pub signature: Option<usize>,
    /// What the check is about (a signature file, a path, a role).
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

/// The checks of one run, in the order they were made.
#[derive(Debug, Default)]
pub struct Checks(pub Vec<Check>);

impl Checks {
    /// A check about the release as a whole.
    pub fn push(&mut self, kind: CheckKind, ok: bool, subject: &str, expected: &str, actual: &str) {
        self.push_for(None, kind, ok, subject, expected, actual);
    }

    /// A check about the signature `signature` (or the release, for `None`).
    pub fn push_for(
        &mut self,
        signature: Option<usize>,
        kind: CheckKind,
        ok: bool,
        subject: &str,
        expected: &str,
        actual: &str,
    ) {
        self.0.push(Check {
            check: kind,
            ok,
            blocking: true,
            signature,
            subject: subject.to_owned(),
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        });
    }

    /// Whether every check about signature `i` held.
    pub fn all_ok_for(&self, i: usize) -> bool {
        self.0
            .iter()
            .filter(|c| c.signature == Some(i))
            .all(|c| c.ok)
    }
}
