//! The drift gates (`aibom diff --fail-on`): which changes each [`Drift`] kind counts, and which
//! parts that could not be compared leave it undecided (fail-closed).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Category, Diff, Section, Side, Unsupported, total};
use crate::finding::Severity;
use serde::Serialize;
use std::fmt;

/// Kinds of drift `--fail-on` can gate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum Drift {
    /// A new finding at or above the severity threshold.
    NewFinding,
    /// A finding whose severity rose to at or above the threshold.
    EscalatedFinding,
    /// A weight file changed, was added or was removed while the model's version and purl
    /// stayed the same: new weights shipped under an old name.
    WeightsChangedSameVersion,
    /// A licence of the model or of any component present in both documents changed.
    LicenseChanged,
    /// Base models (pedigree ancestors, model components) added, removed or re-versioned.
    BaseModelChanged,
    FileAdded,
    FileRemoved,
    /// A file's SHA-256 changed.
    FileChanged,
    /// A dataset added, removed, re-versioned, or its licence changed.
    DatasetChanged,
    /// A library (or other software component) added, removed or re-versioned, or a
    /// dependency edge added or removed.
    DependencyChanged,
    /// Any change at all (tool and spec versions aside).
    Any,
}

impl Drift {
    pub const ALL: [Drift; 11] = [
        Drift::NewFinding,
        Drift::EscalatedFinding,
        Drift::WeightsChangedSameVersion,
        Drift::LicenseChanged,
        Drift::BaseModelChanged,
        Drift::FileAdded,
        Drift::FileRemoved,
        Drift::FileChanged,
        Drift::DatasetChanged,
        Drift::DependencyChanged,
        Drift::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Drift::NewFinding => "new-finding",
            Drift::EscalatedFinding => "escalated-finding",
            Drift::WeightsChangedSameVersion => "weights-changed-same-version",
            Drift::LicenseChanged => "license-changed",
            Drift::BaseModelChanged => "base-model-changed",
            Drift::FileAdded => "file-added",
            Drift::FileRemoved => "file-removed",
            Drift::FileChanged => "file-changed",
            Drift::DatasetChanged => "dataset-changed",
            Drift::DependencyChanged => "dependency-changed",
            Drift::Any => "any",
        }
    }

    /// Whether a part of the documents that could not be compared leaves this gate undecided.
    fn undecided_by(self, u: &Unsupported) -> bool {
        use Section as S;
        match self {
            // A missing findings section on the old side makes every new finding new, which
            // the gate counts; only the new side not recording findings hides any.
            Drift::NewFinding | Drift::EscalatedFinding => {
                u.section == S::Findings && u.side == Some(Side::New)
            }
            Drift::WeightsChangedSameVersion => matches!(u.section, S::Files | S::Model),
            Drift::FileAdded | Drift::FileRemoved | Drift::FileChanged => u.section == S::Files,
            Drift::LicenseChanged => matches!(u.section, S::Licenses | S::Model | S::Components),
            Drift::BaseModelChanged => {
                matches!(u.section, S::BaseModels | S::Model | S::Components)
            }
            Drift::DatasetChanged => u.section == S::Components,
            Drift::DependencyChanged => matches!(u.section, S::Components | S::Dependencies),
            Drift::Any => u.section != S::Document,
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Drift {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Drift::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let all: Vec<&str> = Drift::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown drift kind {s:?} (one of: {})", all.join(", "))
            })
    }
}

impl Diff {
    /// How many changes match a gate (findings counted from `threshold` up).
    pub fn count(&self, drift: Drift, threshold: Severity) -> usize {
        let comps = |pred: &dyn Fn(Category) -> bool| {
            total(&[
                self.components
                    .added
                    .iter()
                    .chain(&self.components.removed)
                    .filter(|c| pred(c.category))
                    .count(),
                self.components
                    .changed
                    .iter()
                    .filter(|c| pred(c.category))
                    .count(),
            ])
        };
        match drift {
            Drift::NewFinding => self
                .findings
                .new
                .iter()
                .filter(|f| f.severity.reaches(threshold))
                .count(),
            Drift::EscalatedFinding => self
                .findings
                .escalated
                .iter()
                .filter(|f| f.new.reaches(threshold))
                .count(),
            Drift::WeightsChangedSameVersion => {
                if self
                    .model
                    .iter()
                    .any(|f| f.field == "version" || f.field == "purl")
                {
                    0
                } else {
                    self.summary.weight_files_changed
                }
            }
            Drift::LicenseChanged => self.licenses.len(),
            Drift::BaseModelChanged => total(&[
                self.base_models.len(),
                comps(&|c| matches!(c, Category::Model | Category::Adapter)),
            ]),
            Drift::FileAdded => self.files.added.len(),
            Drift::FileRemoved => self.files.removed.len(),
            Drift::FileChanged => self.files.changed.len(),
            Drift::DatasetChanged => total(&[
                comps(&|c| c == Category::Dataset),
                self.licenses
                    .iter()
                    .filter(|l| !l.is_model && l.category == Category::Dataset)
                    .count(),
            ]),
            Drift::DependencyChanged => total(&[
                comps(&|c| matches!(c, Category::Library | Category::Other)),
                self.dependencies.added.len(),
                self.dependencies.removed.len(),
            ]),
            Drift::Any => self.change_count(),
        }
    }

    /// The parts that could not be compared and that leave a gate undecided: the gate trips
    /// on them too (fail-closed).
    pub fn undecided(&self, drift: Drift) -> Vec<&Unsupported> {
        self.unsupported
            .iter()
            .filter(|u| drift.undecided_by(u))
            .collect()
    }

    pub(super) fn change_count(&self) -> usize {
        total(&[
            self.model.len(),
            self.files.len(),
            self.components.len(),
            self.base_models.len(),
            self.licenses.len(),
            self.findings.len(),
            self.chat_templates.len(),
            self.dependencies.added.len(),
            self.dependencies.removed.len(),
            self.release.len(),
        ])
    }
}
