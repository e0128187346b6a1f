//! The approval ledger: an append-only, hash-chained record of every deploy decision
//! (`aibom verify --ledger FILE`), checked by `aibom ledger verify`.
//!
//! Format: JSON Lines. Each line is one JSON object written compactly with its keys sorted
//! (serde_json's map is ordered), followed by `\n`. Every entry carries
//! - `seq`: 1 for the first entry, then consecutive;
//! - `prev`: the SHA-256 (hex) of the previous line's exact bytes, without its `\n`; the first
//!   entry carries [`GENESIS`] (64 zeros);
//! - the decision itself (time, release, signers, checks, evidence, verdict, exit code),
//!   assembled by the caller (`commands::ledger`).
//!
//! Appending ([`append`]) takes an exclusive lock on the file, re-reads and checks the whole
//! chain under it, and writes the new line with one `write_all` (the file is opened
//! `O_APPEND`) followed by `sync_data`. A damaged ledger (a line that is not a JSON object, a
//! broken chain, a last line without its `\n`) is never rewritten or truncated: the append is
//! refused, naming the line.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::digest::Sha256;
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The largest ledger read (to check its chain before an append or on `ledger verify`).
pub const MAX_LEDGER: u64 = 1 << 30;
/// Longest line taken for an entry.
pub const MAX_ENTRY: u64 = 1 << 20;

/// Why a ledger's chain does not hold, at which line (1-based).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Broken {
    #[error("line {line}: not a JSON object: {why}")]
    Json { line: usize, why: String },
    #[error("line {line}: seq is {found}, expected {expected}")]
    Seq {
        line: usize,
        expected: u64,
        found: String,
    },
    #[error("line {line}: prev is {found}, but the SHA-256 of the previous line is {expected}")]
    Prev {
        line: usize,
        expected: String,
        found: String,
    },
    #[error("line {line}: the last line ends without a newline (a truncated or partial write)")]
    Truncated { line: usize },
}

impl Broken {
    /// The line the chain breaks at.
    pub fn line(&self) -> usize {
        match self {
            Broken::Json { line, .. }
            | Broken::Seq { line, .. }
            | Broken::Prev { line, .. }
            | Broken::Truncated { line } => *line,
        }
    }
}

#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("ledger {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("ledger {path} is damaged and is left as it is: {broken}")]
    Damaged { path: PathBuf, broken: Broken },
    #[error("ledger {path} is larger than {MAX_LEDGER} bytes")]
    TooLarge { path: PathBuf },
    #[error("ledger {path} is not a regular file (a symbolic link is not followed)")]
    NotAFile { path: PathBuf },
    #[error("a ledger entry must be a JSON object")]
    NotAnObject,
}

/// An intact chain: how many entries, and the digest of the last line (the head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub entries: u64,
    /// SHA-256 of the last line's bytes; [`GENESIS`] for an empty ledger.
    pub head: String,
}

/// Checks a whole ledger: every line a JSON object, `seq` consecutive from 1, every `prev`
/// the SHA-256 of the previous line's bytes, the last line ended by `\n`.
pub fn check(bytes: &[u8]) -> Result<Chain, Broken> {
    walk(bytes, None)
}

/// [`check`], handing each entry parsed to `keep` when given (so `entries` parses once).
fn walk(bytes: &[u8], mut keep: Option<&mut Vec<Value>>) -> Result<Chain, Broken> {
    let mut head = GENESIS.to_owned();
    let mut entries: u64 = 0;
    let mut rest = bytes;
    let mut line_no: usize = 0;
    while !rest.is_empty() {
        line_no = line_no.saturating_add(1);
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            return Err(Broken::Truncated { line: line_no });
        };
        let (line, tail) = rest.split_at(end);
        rest = tail.get(1..).unwrap_or_default();
        // An entry is a few KB; a line past the cap is damage (or an attempt to make every
        // later verify parse it into memory), never parsed.
        if u64::try_from(line.len()).unwrap_or(u64::MAX) > MAX_ENTRY {
            return Err(Broken::Json {
                line: line_no,
                why: format!("longer than {MAX_ENTRY} bytes (an entry is a few KB)"),
            });
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| Broken::Json {
            line: line_no,
            why: e.to_string(),
        })?;
        let Some(obj) = v.as_object() else {
            return Err(Broken::Json {
                line: line_no,
                why: "not an object".into(),
            });
        };
        let expected = entries.saturating_add(1);
        match obj.get("seq").and_then(Value::as_u64) {
            Some(s) if s == expected => {}
            other => {
                return Err(Broken::Seq {
                    line: line_no,
                    expected,
                    found: other.map_or_else(
                        || obj.get("seq").map_or("absent".into(), Value::to_string),
                        |s| s.to_string(),
                    ),
                });
            }
        }
        let prev = obj.get("prev").and_then(Value::as_str).unwrap_or("");
        if prev != head {
            return Err(Broken::Prev {
                line: line_no,
                expected: head,
                found: obj.get("prev").map_or("absent".into(), Value::to_string),
            });
        }
        head = Sha256::of(line).to_hex();
        entries = expected;
        if let Some(k) = keep.as_deref_mut() {
            k.push(v);
        }
    }
    Ok(Chain { entries, head })
}

/// The entries of an intact ledger, in order.
pub fn entries(bytes: &[u8]) -> Result<Vec<Value>, Broken> {
    let mut out = Vec::new();
    walk(bytes, Some(&mut out))?;
    Ok(out)
}

/// The line `body` becomes after `chain`: `seq` and `prev` added, keys sorted, compact, `\n`.
pub fn line(chain: &Chain, body: &Value) -> Result<Vec<u8>, LedgerError> {
    let mut obj: Map<String, Value> = body.as_object().ok_or(LedgerError::NotAnObject)?.clone();
    obj.insert("seq".into(), Value::from(chain.entries.saturating_add(1)));
    obj.insert("prev".into(), Value::from(chain.head.clone()));
    let mut out = serde_json::to_vec(&Value::Object(obj)).map_err(|_| LedgerError::NotAnObject)?;
    out.push(b'\n');
    Ok(out)
}

/// Reads a ledger: a regular file (a link to one is followed), opened non-blocking so a FIFO
/// is refused rather than waited on, under the size cap; a missing file is an empty ledger.
pub fn read(path: &Path) -> Result<Vec<u8>, LedgerError> {
    match crate::verify::input::read_regular(path, MAX_LEDGER) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(LedgerError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_all(f: File, path: &Path) -> Result<Vec<u8>, LedgerError> {
    let mut bytes = Vec::new();
    f.take(MAX_LEDGER.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LedgerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_LEDGER {
        return Err(LedgerError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// Checks a ledger without locking it, so a damaged one is reported before any work is done.
pub fn precheck(path: &Path) -> Result<Chain, LedgerError> {
    check(&read(path)?).map_err(|broken| LedgerError::Damaged {
        path: path.to_path_buf(),
        broken,
    })
}

/// Appends `body` (a JSON object) as the next entry of the ledger at `path` (created if
/// absent): exclusive lock, the whole chain checked under it, one `write_all`, `sync_data`.
/// Returns the chain with the new entry as its head.
pub fn append(path: &Path, body: &Value) -> Result<Chain, LedgerError> {
    let io_err = |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    };
    // The path itself, never where a link leads (a dangling link would create its target
    // anywhere): a link is refused, and O_NOFOLLOW keeps one made meanwhile from being opened.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(LedgerError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(io_err)?;
    if !f.metadata().map_err(io_err)?.is_file() {
        return Err(LedgerError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    // Released when `f` is closed, on every path out of this function.
    f.lock().map_err(io_err)?;
    let bytes = read_all(f.try_clone().map_err(io_err)?, path)?;
    let chain = check(&bytes).map_err(|broken| LedgerError::Damaged {
        path: path.to_path_buf(),
        broken,
    })?;
    let line = line(&chain, body)?;
    f.write_all(&line).map_err(io_err)?;
    f.sync_data().map_err(io_err)?;
    let without_newline = line.strip_suffix(b"\n").unwrap_or(&line);
    Ok(Chain {
        entries: chain.entries.saturating_add(1),
        head: Sha256::of(without_newline).to_hex(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ledger_of(n: u64) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        for i in 0..n {
            append(&p, &json!({"verdict": "pass", "n": i})).unwrap();
        }
        (d, p)
    }

    #[test]
    fn a_ledger_path_that_is_a_link_is_refused_and_its_target_never_created() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere.jsonl");
        let link = d.path().join("ledger.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            append(&link, &json!({"verdict": "pass"})),
            Err(LedgerError::NotAFile { .. })
        ));
        assert!(!target.exists());
    }

    #[test]
    fn a_line_longer_than_an_entry_can_be_is_damage_and_is_never_parsed() {
        let mut bytes = vec![b' '; usize::try_from(MAX_ENTRY).unwrap() + 1];
        bytes.push(b'\n');
        let err = check(&bytes).unwrap_err();
        assert_eq!(err.line(), 1);
        assert!(err.to_string().contains("longer than"), "{err}");
    }

    #[test]
    fn appends_chain_each_entry_to_the_bytes_of_the_previous_line() {
        let (_d, p) = ledger_of(3);
        let bytes = std::fs::read(&p).unwrap();
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), 4);
        let first: Value = serde_json::from_slice(lines[0]).unwrap();
        assert_eq!(first["prev"], GENESIS);
        assert_eq!(first["seq"], 1);
        let second: Value = serde_json::from_slice(lines[1]).unwrap();
        assert_eq!(second["prev"], Sha256::of(lines[0]).to_hex());
        let chain = check(&bytes).unwrap();
        assert_eq!(chain.entries, 3);
        assert_eq!(chain.head, Sha256::of(lines[2]).to_hex());
    }

    #[test]
    fn writes_sorted_keys_compactly_one_object_per_line() {
        let (_d, p) = ledger_of(1);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(r#"{"n":0,"prev":"0000"#), "{text}");
        assert!(
            text.ends_with("\"seq\":1,\"verdict\":\"pass\"}\n"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_or_missing_ledger_is_an_intact_chain_at_genesis() {
        assert_eq!(
            check(b"").unwrap(),
            Chain {
                entries: 0,
                head: GENESIS.into()
            }
        );
        let d = tempfile::tempdir().unwrap();
        assert_eq!(precheck(&d.path().join("none")).unwrap().entries, 0);
    }

    #[test]
    fn a_byte_changed_in_a_middle_entry_breaks_the_chain_at_the_next_line() {
        let (_d, p) = ledger_of(3);
        let mut bytes = std::fs::read(&p).unwrap();
        let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        // `"n":1` -> `"n":7` in the second line: still JSON, so the third line's prev breaks.
        let at = second
            + bytes[second..]
                .windows(4)
                .position(|w| w == b"\"n\":")
                .unwrap()
            + 4;
        bytes[at] = b'7';
        assert!(matches!(check(&bytes), Err(Broken::Prev { line: 3, .. })));
    }

    #[test]
    fn a_byte_that_breaks_the_json_names_its_own_line() {
        let (_d, p) = ledger_of(3);
        let mut bytes = std::fs::read(&p).unwrap();
        let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        bytes[second] = b'[';
        assert!(matches!(check(&bytes), Err(Broken::Json { line: 2, .. })));
    }

    #[test]
    fn a_truncated_last_line_is_damage_and_the_append_is_refused_untouched() {
        let (_d, p) = ledger_of(2);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() - 10);
        std::fs::write(&p, &bytes).unwrap();
        let err = append(&p, &json!({"verdict": "refuse"})).unwrap_err();
        assert!(
            matches!(
                &err,
                LedgerError::Damaged {
                    broken: Broken::Truncated { line: 2 },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("line 2"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
    }

    #[test]
    fn a_skipped_or_repeated_seq_is_a_broken_chain() {
        let (_d, p) = ledger_of(2);
        let bytes = std::fs::read(&p).unwrap();
        let first = bytes.split(|b| *b == b'\n').next().unwrap();
        let mut doubled = Vec::new();
        doubled.extend_from_slice(first);
        doubled.push(b'\n');
        doubled.extend_from_slice(first);
        doubled.push(b'\n');
        assert!(matches!(
            check(&doubled),
            Err(Broken::Seq {
                line: 2,
                expected: 2,
                ..
            })
        ));
    }

    #[test]
    fn two_threads_appending_at_once_both_land_and_the_chain_holds() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        append(&p, &json!({"writer": t, "i": i})).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let chain = check(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(chain.entries, 50);
    }

    #[test]
    fn a_fifo_is_refused_not_waited_on() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success();
        assert!(made);
        assert!(matches!(precheck(&fifo), Err(LedgerError::Io { .. })));
        assert!(matches!(
            append(&fifo, &json!({})),
            Err(LedgerError::NotAFile { .. })
        ));
    }

    #[test]
    fn an_entry_must_be_an_object() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            append(&d.path().join("l"), &json!([1])),
            Err(LedgerError::NotAnObject)
        ));
    }
}
