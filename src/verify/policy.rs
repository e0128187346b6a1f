//! The release policy, with the time it is applied at: the caller reads the clock once
//! ([`crate::date::now`]) and every check uses [`Policy::now`], so no check reads the clock itself and tests
//! can fix the time.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::roles::Role;
use crate::finding::Severity;
use crate::sign::statement;
use globset::GlobSet;

/// The release policy.
pub struct Policy {
    pub roles: Vec<Role>,
    pub threshold: Option<usize>,
    pub allow_unsigned: Option<GlobSet>,
    /// Paths a signer may leave out of its manifest (`signed-ignores`); a signer's other
    /// ignores are not honoured. `None`: model-signing's defaults only.
    pub signed_ignores: Option<GlobSet>,
    pub fail_on: Severity,
    pub exceptions: Vec<crate::config::Exception>,
    /// Refuse a release verified without an AIBOM.
    pub require_bom: bool,
    /// The signed subject name must be this.
    pub model_name: Option<String>,
    /// The AIBOM's model version must be at least this.
    pub min_version: Option<crate::config::NumericVersion>,
    /// The AIBOM's model version must be exactly this.
    pub version: Option<String>,
    /// Every signature must carry a verified time no older than this many seconds.
    pub max_signature_age: Option<u64>,
    /// The time the policy is applied at; `None` when the clock cannot be read (dated
    /// exceptions then expire, and no signature age can be checked). Set once, by [`Policy::at`].
    now: Option<jiff::Timestamp>,
    /// Roles per signed tier, evaluation gates, roles per change.
    pub gates: crate::config::Gates,
}

impl Policy {
    /// The default policy (no roles, fail on high), applied at `now`: [`crate::date::now`] in the command,
    /// a fixed time in tests.
    pub fn at(now: Option<jiff::Timestamp>) -> Self {
        Policy {
            roles: Vec::new(),
            threshold: None,
            allow_unsigned: None,
            signed_ignores: None,
            fail_on: Severity::High,
            exceptions: Vec::new(),
            require_bom: false,
            model_name: None,
            min_version: None,
            version: None,
            max_signature_age: None,
            now,
            gates: crate::config::Gates::default(),
        }
    }

    /// The time the policy is applied at; `None` when the clock could not be read.
    pub fn now(&self) -> Option<jiff::Timestamp> {
        self.now
    }

    /// Today (UTC), for exception expiry; `None` when the clock cannot be read.
    pub fn today(&self) -> Option<jiff::civil::Date> {
        self.now.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
    }

    /// Whether the signer-recorded ignore `path` is honoured.
    pub(super) fn allows_signed_ignore(&self, path: &str) -> bool {
        let p = path.trim_end_matches('/');
        match &self.signed_ignores {
            Some(g) => g.is_match(p),
            None => statement::DEFAULT_IGNORES.contains(&p),
        }
    }
}
