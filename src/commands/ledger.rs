//! `aibom ledger verify|show FILE`, and the entry `aibom verify --ledger FILE` appends for
//! each decision ([`entry`], [`record`]); the chain itself is [`crate::ledger`].

use crate::ExitStatus;
use crate::cli::{LedgerCommand, LedgerFormat, OutputFormat};
use crate::digest::Sha256;
use crate::ledger::{self, LedgerError};
use crate::report::escape::terminal;
use crate::verify::{Attestation, Inputs, SignatureFile, Verdict};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `type` of every entry this version writes.
pub const ENTRY_TYPE: &str = "https://aibom.dev/ledger/v1";

pub fn run(cmd: LedgerCommand) -> Result<ExitStatus> {
    match cmd {
        LedgerCommand::Verify {
            file,
            format: OutputFormat::Json,
        } => {
            let bytes = read_existing(&file)?;
            let (v, status) = match ledger::check(&bytes) {
                Ok(chain) => (
                    json!({
                        "file": file.display().to_string(),
                        "intact": true,
                        "entries": chain.entries,
                        "head": chain.head.to_string(),
                    }),
                    ExitStatus::Success,
                ),
                Err(broken) => (
                    json!({
                        "file": file.display().to_string(),
                        "intact": false,
                        "broken_line": broken.line(),
                        "reason": broken.to_string(),
                    }),
                    ExitStatus::Failure,
                ),
            };
            super::write_stdout((serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
            Ok(status)
        }
        LedgerCommand::Verify {
            file,
            format: OutputFormat::Human,
        } => {
            let bytes = read_existing(&file)?;
            match ledger::check(&bytes) {
                Ok(chain) => {
                    let out = format!(
                        "{}: intact, {} entries, head {}\n",
                        file.display(),
                        chain.entries,
                        chain.head
                    );
                    super::write_human_stdout(out.as_bytes())?;
                    Ok(ExitStatus::Success)
                }
                Err(broken) => {
                    let out = format!(
                        "{}: BROKEN at line {}: {}\n",
                        file.display(),
                        broken.line(),
                        terminal(&broken.to_string())
                    );
                    super::write_human_stdout(out.as_bytes())?;
                    Ok(ExitStatus::Failure)
                }
            }
        }
        LedgerCommand::Show {
            file,
            format,
            release,
        } => {
            let bytes = read_existing(&file)?;
            let entries = ledger::entries(&bytes)
                .map_err(|broken| LedgerError::Damaged {
                    path: file.clone(),
                    broken,
                })
                .context("run `aibom ledger verify` for the first broken line")?;
            let shown: Vec<&Value> = entries
                .iter()
                .filter(|e| release.is_none_or(|d| about(e, &d)))
                .collect();
            let out = match format {
                LedgerFormat::Json => serde_json::to_string_pretty(&shown)? + "\n",
                LedgerFormat::Human => shown.iter().map(|e| text(e)).collect::<String>(),
            };
            if format == LedgerFormat::Human {
                super::write_human_stdout(out.as_bytes())?;
            } else {
                super::write_stdout(out.as_bytes())?;
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn read_existing(file: &Path) -> Result<Vec<u8>> {
    if !file.exists() {
        bail!("ledger {}: no such file", file.display());
    }
    Ok(ledger::read(file)?)
}

/// Whether entry `e` is about the release with model digest or AIBOM SHA-256 `d`.
fn about(e: &Value, d: &Sha256) -> bool {
    let hex = d.to_hex();
    ["model_digest", "aibom_sha256"]
        .iter()
        .any(|k| e["release"][*k].as_str() == Some(hex.as_str()))
}

/// One readable block per entry; every text from the ledger escaped.
fn text(e: &Value) -> String {
    let s = |v: &Value| terminal(v.as_str().unwrap_or("-")).into_owned();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#{} {} {} (exit {})",
        e["seq"],
        s(&e["time"]),
        s(&e["verdict"]).to_uppercase(),
        e["exit_code"]
    );
    let _ = writeln!(out, "  directory: {}", s(&e["directory"]));
    let _ = writeln!(
        out,
        "  release:   model {}, aibom {}",
        s(&e["release"]["model_digest"]),
        s(&e["release"]["aibom_sha256"])
    );
    for sg in e["signers"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  signer:    {} role {} ({}{})",
            s(&sg["identity"]),
            s(&sg["role"]),
            if sg["valid"] == true {
                "valid"
            } else {
                "invalid"
            },
            if sg["approves"] == true {
                ", approves"
            } else {
                ""
            }
        );
    }
    for c in e["checks"].as_array().into_iter().flatten() {
        let mark = match (c["ok"] == true, c["blocking"] != false) {
            (true, _) => "ok  ",
            (false, true) => "FAIL",
            (false, false) => "warn",
        };
        let _ = writeln!(out, "  {mark} {:<18} {}", s(&c["check"]), s(&c["subject"]));
        if c["ok"] != true {
            let _ = writeln!(out, "       actual: {}", s(&c["actual"]));
        }
    }
    for ev in e["evidence"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  evidence:  {} {} sha256 {}",
            s(&ev["kind"]),
            s(&ev["path"]),
            s(&ev["sha256"])
        );
    }
    let _ = writeln!(out, "  prev:      {}\n", s(&e["prev"]));
    out
}

/// A file the decision rests on.
fn evidence(kind: &str, path: &Path, bytes: &[u8]) -> Value {
    json!({"kind": kind, "path": path.display().to_string(), "sha256": Sha256::of(bytes)})
}

/// The model digest a signature that verified signs: the subject of the statement in its
/// envelope (the very bytes the signature covers), so a refused release still records what was
/// signed.
fn signed_digest(sf: &SignatureFile) -> Option<Sha256> {
    let b = sf.bytes.as_ref().ok()?;
    let opened = crate::sign::bundle::open(b).ok()?;
    crate::sign::statement::parse(&opened.payload)
        .ok()
        .map(|s| s.subject())
}

/// The ledger entry for one decision (without `seq` and `prev`, which the append adds):
/// `now` is the time the policy was applied at (`null` when the clock could not be read).
pub fn entry(
    verdict: &Verdict,
    inputs: &Inputs,
    policy: Option<(&Path, &[u8])>,
    revocations: &[(PathBuf, Vec<u8>)],
    now: Option<jiff::Timestamp>,
    status: ExitStatus,
) -> Value {
    let mut files = Vec::new();
    if let Some((p, b)) = &inputs.bom {
        files.push(evidence("aibom", p, b));
    }
    for sf in &inputs.signatures {
        if let Ok(b) = &sf.bytes {
            files.push(evidence("signature", &sf.path, b));
        }
        if let Attestation::Present(p, b) = &sf.attestation {
            files.push(evidence("attestation", p, b));
        }
        if let Attestation::Present(p, b) = &sf.release {
            files.push(evidence("release-attestation", p, b));
        }
    }
    if let Some((p, b)) = &inputs.previous {
        files.push(evidence("previous-aibom", p, b));
    }
    if let Some((p, b)) = policy {
        files.push(evidence("policy", p, b));
    }
    for (p, b) in revocations {
        files.push(evidence("revocation", p, b));
    }
    // Signers are reported one per signature given, in order.
    let signers: Vec<Value> = verdict
        .signers
        .iter()
        .zip(&inputs.signatures)
        .map(|(s, sf)| {
            let role = verdict
                .roles
                .iter()
                .find(|r| r.by.as_deref() == Some(s.signature.as_str()))
                .map(|r| r.role.clone());
            json!({
                "signature": s.signature,
                "identity": s.identity,
                "role": role,
                "valid": s.valid,
                "approves": s.approves,
                "signed_model_digest": if s.valid { signed_digest(sf) } else { None },
            })
        })
        .collect();
    json!({
        "type": ENTRY_TYPE,
        "time": now.map(|t| crate::date::rfc3339(t.as_second())),
        "directory": verdict.directory,
        "release": {
            "model_digest": verdict.model_digest,
            "aibom_sha256": inputs.bom.as_ref().map(|(_, b)| Sha256::of(b)),
        },
        "signers": signers,
        "checks": verdict.checks,
        "evidence": files,
        "verdict": if verdict.accepted { "pass" } else { "refuse" },
        "exit_code": status.code(),
    })
}

/// Appends `entry` to the ledger at `path`; a damaged ledger is an error naming the line.
pub fn record(path: &Path, entry: &Value) -> Result<()> {
    let chain = ledger::append(path, entry)?;
    super::note!(
        "ledger {}: entry {} appended, head {}",
        path.display(),
        chain.entries,
        chain.head
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::limits::VerifyLimits;

    #[test]
    fn an_entry_records_release_signers_checks_evidence_and_verdict_at_the_time_given() {
        let verdict = Verdict {
            accepted: false,
            directory: "model".into(),
            model_digest: None,
            signers: Vec::new(),
            roles: Vec::new(),
            checks: Vec::new(),
            release_tier: None,
            staged_model_path: None,
            unstaged: Vec::new(),
            release_staged: false,
            bom_bound_as_json: false,
        };
        let inputs = Inputs {
            dir: "model".into(),
            signatures: vec![SignatureFile {
                path: "model.sig".into(),
                bytes: Ok(b"sig".to_vec()),
                attestation: Attestation::Absent,
                release: Attestation::Absent,
            }],
            bom: Some(("model.cdx.json".into(), b"{}".to_vec())),
            extra_ignores: Vec::new(),
            allow_symlinks: false,
            rescan: None,
            limits: VerifyLimits::default(),
            release_root: None,
            previous: None,
            changes: None,
            stage: None,
            release_configured: false,
        };
        let now = jiff::Timestamp::from_second(1_796_000_000).unwrap();
        let e = entry(
            &verdict,
            &inputs,
            Some((Path::new("aibom.toml"), b"[verify]\n")),
            &[],
            Some(now),
            ExitStatus::Failure,
        );
        assert_eq!(e["time"], "2026-11-30T00:53:20Z");
        assert_eq!(e["verdict"], "refuse");
        assert_eq!(e["exit_code"], 1);
        assert_eq!(e["release"]["aibom_sha256"], Sha256::of(b"{}").to_hex());
        let kinds: Vec<&str> = e["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["aibom", "signature", "policy"]);
        assert_eq!(
            e["evidence"][1]["sha256"],
            Sha256::of(b"sig").to_hex(),
            "{e}"
        );
    }
}
