//! Accountable exceptions (`[[exception]]`, `[[verify.exception]]`): a finding accepted on
//! purpose, with a reason, optionally pinned to the file's SHA-256 (changed bytes bring the
//! finding back) and a last day it applies. One type and one matching rule for every
//! consumer: `scan` and `generate` apply them, `verify` checks the AIBOM against them, and
//! `report` lists them.

use crate::digest::Sha256;
use crate::finding::Code;
use jiff::civil::Date;

/// An accepted finding, parsed and checked at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub code: Code,
    /// The file (relative, `/`-separated) the finding is in.
    pub path: String,
    /// The file's bytes it was accepted for; other bytes bring the finding back.
    pub sha256: Option<Sha256>,
    pub reason: String,
    /// Who accepted the risk (a person or team), for the audit trail.
    pub owner: Option<String>,
    /// The last day it applies (a real calendar date).
    pub expires: Option<Date>,
}

/// A finding as an exception sees it: wherever it comes from (a scan, the AIBOM, a rescan).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The finding code or the AIBOM's vulnerability id (any text: only a finding code can
    /// match).
    pub code: &'a str,
    pub path: &'a str,
    /// The SHA-256 of the file's bytes, when known. A pinned exception never matches a
    /// finding whose bytes are unknown.
    pub sha256: Option<&'a Sha256>,
}

impl Exception {
    /// Whether it accepts `s`: the same code and path, and, if pinned, the same bytes. Expiry
    /// is separate ([`Exception::expired`]): an expired exception still matches, and says so.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.code.as_str() == s.code
            && self.path == s.path
            && self.sha256.as_ref().is_none_or(|pin| s.sha256 == Some(pin))
    }

    /// Whether its last day has passed. `today` is `None` when the clock cannot be read: a
    /// dated exception then counts as expired (fail closed); an undated one never expires.
    pub fn expired(&self, today: Option<Date>) -> bool {
        match (self.expires, today) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(last), Some(today)) => last < today,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exception() -> Exception {
        Exception {
            code: Code::PickleDangerousCall,
            path: "w.pkl".into(),
            sha256: None,
            reason: "r".into(),
            owner: None,
            expires: Some(jiff::civil::date(2099, 12, 31)),
        }
    }

    #[test]
    fn a_clock_that_cannot_be_read_expires_dated_exceptions() {
        let x = exception();
        assert!(x.expired(None));
        assert!(!x.expired(Some(jiff::civil::date(2099, 12, 31))));
        assert!(x.expired(Some(jiff::civil::date(2100, 1, 1))));
        let undated = Exception { expires: None, ..x };
        assert!(!undated.expired(None));
    }

    #[test]
    fn matches_code_path_and_pinned_bytes() {
        let pin = Sha256::of(b"weights");
        let x = Exception {
            sha256: Some(pin),
            ..exception()
        };
        let s = |code, path, sha256| Subject { code, path, sha256 };
        assert!(x.matches(&s("pickle-dangerous-call", "w.pkl", Some(&pin))));
        assert!(!x.matches(&s("pickle-dangerous-call", "w.pkl", None)));
        let other = Sha256::of(b"other");
        assert!(!x.matches(&s("pickle-dangerous-call", "w.pkl", Some(&other))));
        assert!(!x.matches(&s("pickle-dangerous-global", "w.pkl", Some(&pin))));
        assert!(!x.matches(&s("pickle-dangerous-call", "other.pkl", Some(&pin))));
        assert!(exception().matches(&s("pickle-dangerous-call", "w.pkl", None)));
    }
}
