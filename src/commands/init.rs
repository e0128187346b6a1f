//! `aibom init`: writes a commented default `aibom.toml`; never overwrites one.

use crate::ExitStatus;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The default configuration, every key commented. A test parses it.
pub const DEFAULT: &str = r#"# aibom configuration. Unknown keys are an error. Command-line flags override these.

[scan]
# Findings at or above this severity fail scan and generate (exit 1):
# info | low | medium | high | critical
fail-on = "high"
# Globals that are on neither the allowlist nor the denylist fail the scan too.
strict = false
# Relative paths (globs) not to scan.
skip = []
# Also scan the .git directory.
include-git = false

[pickle]
# Globals your models legitimately use, beyond the built-in allowlist.
allow-globals = []

# Accepted findings: each names the finding code and the path, a reason and, best, an
# expiry date. With sha256, changed bytes bring the finding back. Expired exceptions stop
# applying and say so; unused ones are reported.
# [[exception]]
# code = "pickle-unknown-global"
# path = "legacy/model.bin"
# sha256 = "..."
# reason = "vendor model, loaded in a sandbox; ticket SEC-123"
# owner = "security team"
# expires = "2027-06-30"

# Facts only the model's owners can state; recorded in the AIBOM as declared by the owner.
# [model]
# description = "..."
# owners = ["ML platform"]
# users = ["support agents"]
# intended-use = ["..."]
# limitations = ["..."]
#
# [[dataset]]
# name = "org/dataset"
# url = "https://..."
# role = "fine-tuning"
# provenance = "..."
# license = "cc-by-4.0"
# classification = "internal"
# sensitive-data = ["..."]
# owners = ["..."]

# The release around the model, recorded by generate: every file of every artifact hashed.
# Paths are relative to this file and stay under its directory (no "..", not absolute).
# [release]
# model = "model"                        # must be the directory given to generate
# tier = "high"                          # low | medium | high | critical
# prompts = "prompts"                    # system prompts, templates, tool definitions
# evaluations = ["eval/results.json"]    # lm-evaluation-harness results JSON is parsed
# runtime-policy = ["serving"]           # serving config, guardrails, tools and scopes
#
# [[release.dataset]]
# name = "tickets-2026-05"
# path = "data/tickets"                  # a directory, or a manifest (JSON or sha256sum)
# declared = "org/dataset"               # the [[dataset]] whose governance applies

# The deploy gate (aibom verify --policy).
# [verify]
# threshold = 2
# fail-on = "high"
# allow-unsigned = []
# trust-root = "trusted_root.json"
# Refuse a release verified without its AIBOM (so its findings are always checked).
# require-bom = true
# Paths a signer may leave out of its manifest (default: VCS metadata only).
# signed-ignores = [".git", ".gitattributes", ".github", ".gitignore"]
# Let one signer identity be listed under several roles (each role still needs its own).
# allow-overlapping-roles = false
# Rollback and substitution pins: the statement's model name, the lowest AIBOM version, and
# the oldest signature time accepted (keyless signatures carry a verified time).
# model-name = "org/model"
# min-version = "1.4"
# version = "0123456789abcdef0123456789abcdef01234567"
# max-signature-age = "90d"
# Signed revocations (aibom revoke), read on every verify; only [[verify.revoker]] count.
# revocations = "revoked"
#
# [[verify.signer]]
# role = "ml-platform"
# public-key = "keys/ml-platform.pub"
#
# [[verify.signer]]
# role = "security"
# certificate-ca = "keys/security-ca.pem"
#
# [[verify.signer]]
# role = "risk"
# identity = "risk-approvals@example.com"
# issuer = "https://accounts.google.com"
#
# [[verify.revoker]]
# role = "security"
# public-key = "keys/security-revoke.pub"
# Roles per release tier, the tier being the one the release attestations sign.
# [verify.tier.low]
# roles = ["ml-platform"]
# [verify.tier.high]
# roles = ["ml-platform", "security", "risk"]
#
# Evaluation gates on the signed AIBOM's metrics (max-regression needs --previous).
# [[verify.metric]]
# metric = "acc"
# task = "arc_easy"
# min = 0.55
# required = true
# max-regression = "5%"
#
# Roles a change since the previous release (--previous) requires as well.
# [[verify.on-change]]
# change = "dataset"
# roles = ["security"]
"#;

pub fn run(path: &Path) -> Result<ExitStatus> {
    if path.exists() {
        bail!("{} exists; not overwriting it", path.display());
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut f, DEFAULT.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    super::note!("wrote {}", path.display());
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_configuration_parses_and_so_does_every_commented_key() {
        crate::config::Config::parse(super::DEFAULT).unwrap();
        // Uncomment every commented key line: the full file must parse too.
        let full: String = super::DEFAULT
            .lines()
            .map(|l| {
                let t = l.trim_start_matches("# ");
                if t.starts_with('[') || t.contains(" = ") {
                    t.to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = crate::config::Config::parse(&full.replace("sha256 = \"...\"\n", ""))
            .unwrap_or_else(|e| panic!("{e}\n{full}"));
        assert_eq!(c.exceptions.len(), 1);
        assert!(c.model.is_some());
        assert_eq!(c.release.unwrap().artifacts.len(), 4);
        let v = c.verify.unwrap();
        assert_eq!(v.signers.len(), 3);
        assert_eq!(v.revokers.len(), 1);
    }
}
