//! Dataset manifests: the files of a dataset version and their digests, as data pipelines write
//! them. The listed digests are recorded as the dataset's content (the files themselves need not
//! be here); the manifest file itself is hashed like any other file.
//!
//! Two formats, told apart by the first byte that is not white space (`[` or `{`: JSON):
//! - JSON: an array of entries, or an object whose `files` is that array. An entry is an object
//!   with `path` (string), `sha256` (64 hex digits, optionally prefixed `sha256:`) and, when
//!   known, `size` (bytes); other keys are ignored (pipelines add row counts and other digests).
//! - `sha256sum` text (GNU coreutils): `<64 hex><space><space or *><path>` per line, a leading
//!   `\` meaning the path escapes `\\`, `\n` and `\r`
//!   (<https://www.gnu.org/software/coreutils/manual/html_node/md5sum-invocation.html>), or the
//!   BSD tag form `SHA256 (<path>) = <64 hex>`. Blank lines and lines starting with `#` are
//!   skipped.
//!
//! The input is untrusted: its size and entry count are capped ([`ReleaseLimits`]), every
//! failure names the line (text) or line and column (JSON), and a path listed twice is refused.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::digest::Sha256;
use crate::limits::ReleaseLimits;
use serde::Deserialize;
use thiserror::Error;

/// How a manifest was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    Json,
    Sha256Sum,
}

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    pub path: String,
    pub sha256: Sha256,
    pub size: Option<u64>,
}

/// A parsed manifest: its entries sorted by path, each path once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub format: ManifestFormat,
    pub entries: Vec<ListedFile>,
}

/// Why a manifest could not be read; each names where.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("the manifest is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the manifest lists more than {max} files")]
    TooManyEntries { max: usize },
    #[error("the manifest lists no files")]
    Empty,
    #[error("line {line}: not UTF-8")]
    NotUtf8 { line: usize },
    #[error("line {line}: not `<sha256>  <path>` or `SHA256 (<path>) = <sha256>`")]
    Line { line: usize },
    #[error("JSON: {0}")]
    Json(String),
    #[error("{at}: sha256 {sha256:?} is not 64 hex digits")]
    Digest { at: String, sha256: String },
    #[error("{at}: the path is empty")]
    EmptyPath { at: String },
    #[error("{at}: the path is longer than {max} bytes")]
    LongPath { at: String, max: usize },
    #[error("{path:?} is listed twice")]
    Twice { path: String },
}

/// Parses a manifest read whole (at most `limits.max_manifest` bytes).
pub fn parse(bytes: &[u8], limits: &ReleaseLimits) -> Result<Manifest, ManifestError> {
    if bytes.len() as u64 > limits.max_manifest {
        return Err(ManifestError::TooLarge {
            max: limits.max_manifest,
        });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let (format, mut entries) = match first {
        Some(b'[' | b'{') => (ManifestFormat::Json, json(bytes, limits)?),
        _ => (ManifestFormat::Sha256Sum, sha256sum(bytes, limits)?),
    };
    if entries.is_empty() {
        return Err(ManifestError::Empty);
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    for w in entries.windows(2) {
        if let [a, b] = w
            && a.path == b.path
        {
            return Err(ManifestError::Twice {
                path: a.path.clone(),
            });
        }
    }
    Ok(Manifest { format, entries })
}

#[derive(Deserialize)]
struct RawEntry {
    path: String,
    sha256: String,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct RawFiles {
    files: Vec<RawEntry>,
}

fn json(bytes: &[u8], limits: &ReleaseLimits) -> Result<Vec<ListedFile>, ManifestError> {
    let err = |e: serde_json::Error| ManifestError::Json(e.to_string());
    let starts_with_array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let raw: Vec<RawEntry> = if starts_with_array {
        serde_json::from_slice(bytes).map_err(err)?
    } else {
        serde_json::from_slice::<RawFiles>(bytes)
            .map_err(err)?
            .files
    };
    if raw.len() > limits.max_manifest_entries {
        return Err(ManifestError::TooManyEntries {
            max: limits.max_manifest_entries,
        });
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, e)| {
            let at = format!("entry {i}");
            let hex = e.sha256.strip_prefix("sha256:").unwrap_or(&e.sha256);
            Ok(ListedFile {
                path: checked_path(e.path, &at, limits)?,
                sha256: digest(hex, &at)?,
                size: e.size,
            })
        })
        .collect()
}

fn digest(hex: &str, at: &str) -> Result<Sha256, ManifestError> {
    if hex.len() != 64 {
        return Err(ManifestError::Digest {
            at: at.to_owned(),
            sha256: hex.chars().take(80).collect(),
        });
    }
    hex.to_ascii_lowercase()
        .parse()
        .map_err(|_| ManifestError::Digest {
            at: at.to_owned(),
            sha256: hex.to_owned(),
        })
}

fn checked_path(path: String, at: &str, limits: &ReleaseLimits) -> Result<String, ManifestError> {
    if path.is_empty() {
        return Err(ManifestError::EmptyPath { at: at.to_owned() });
    }
    if path.len() > limits.max_manifest_path {
        return Err(ManifestError::LongPath {
            at: at.to_owned(),
            max: limits.max_manifest_path,
        });
    }
    Ok(path)
}

fn sha256sum(bytes: &[u8], limits: &ReleaseLimits) -> Result<Vec<ListedFile>, ManifestError> {
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i.saturating_add(1);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|_| ManifestError::NotUtf8 { line })?;
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        if out.len() >= limits.max_manifest_entries {
            return Err(ManifestError::TooManyEntries {
                max: limits.max_manifest_entries,
            });
        }
        let at = format!("line {line}");
        let (hex, path) = if let Some(rest) = text.strip_prefix("SHA256 (") {
            let (path, hex) = rest
                .rsplit_once(") = ")
                .ok_or(ManifestError::Line { line })?;
            (hex, path.to_owned())
        } else {
            let (escaped, text) = match text.strip_prefix('\\') {
                Some(t) => (true, t),
                None => (false, text),
            };
            let hex = text.get(..64).ok_or(ManifestError::Line { line })?;
            let rest = text.get(64..).ok_or(ManifestError::Line { line })?;
            let path = rest
                .strip_prefix("  ")
                .or_else(|| rest.strip_prefix(" *"))
                .ok_or(ManifestError::Line { line })?;
            let path = if escaped {
                unescape(path).ok_or(ManifestError::Line { line })?
            } else {
                path.to_owned()
            };
            (hex, path)
        };
        out.push(ListedFile {
            sha256: digest(hex, &at)?,
            path: checked_path(path, &at, limits)?,
            size: None,
        });
    }
    Ok(out)
}

/// `\\` -> `\`, `\n` -> newline, `\r` -> carriage return; any other escape is malformed.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const A: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const B: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn parse_str(s: &str) -> Result<Manifest, ManifestError> {
        parse(s.as_bytes(), &ReleaseLimits::default())
    }

    #[test]
    fn reads_a_json_array_and_a_files_object_sorted_by_path() {
        let arr = format!(
            r#"[{{"path":"b.jsonl","sha256":"{B}","size":5,"rows":1}},{{"path":"a.jsonl","sha256":"sha256:{A}"}}]"#
        );
        let m = parse_str(&arr).unwrap();
        assert_eq!(m.format, ManifestFormat::Json);
        assert_eq!(m.entries[0].path, "a.jsonl");
        assert_eq!(m.entries[0].size, None);
        assert_eq!(m.entries[1].size, Some(5));
        assert_eq!(m.entries[1].sha256.to_hex(), B);
        let obj = format!(r#"{{"version":"3","files":[{{"path":"x","sha256":"{A}"}}]}}"#);
        assert_eq!(parse_str(&obj).unwrap().entries.len(), 1);
    }

    #[test]
    fn reads_sha256sum_text_binary_mode_escapes_and_bsd_tags() {
        let upper = A.to_ascii_uppercase();
        let text = format!(
            "# made by the export job\n{A}  train/part-0.jsonl\r\n\n{B} *train/part-1.bin\n\\{A}  odd\\nname\nSHA256 (eval (v2).csv) = {upper}\n"
        );
        let m = parse_str(&text).unwrap();
        assert_eq!(m.format, ManifestFormat::Sha256Sum);
        let paths: Vec<&str> = m.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "eval (v2).csv",
                "odd\nname",
                "train/part-0.jsonl",
                "train/part-1.bin"
            ]
        );
        assert_eq!(m.entries[0].sha256.to_hex(), A);
    }

    #[test]
    fn rejects_a_line_that_is_not_a_checksum_line_naming_it() {
        let e = parse_str(&format!("{A}  ok\nnot a line\n")).unwrap_err();
        assert_eq!(e, ManifestError::Line { line: 2 });
        assert_eq!(
            parse_str(&format!("{A} one-space\n")).unwrap_err(),
            ManifestError::Line { line: 1 }
        );
        assert_eq!(
            parse_str(&format!("\\{A}  bad\\x\n")).unwrap_err(),
            ManifestError::Line { line: 1 }
        );
    }

    #[test]
    fn rejects_bad_digests_duplicates_and_empty_manifests() {
        let zz = "z".repeat(64);
        assert!(matches!(
            parse_str(&format!("{zz}  a\n")),
            Err(ManifestError::Digest { .. })
        ));
        assert!(matches!(
            parse_str(r#"[{"path":"a","sha256":"abc"}]"#),
            Err(ManifestError::Digest { .. })
        ));
        assert_eq!(
            parse_str(&format!("{A}  a\n{B}  a\n")).unwrap_err(),
            ManifestError::Twice { path: "a".into() }
        );
        assert_eq!(
            parse_str("\n# nothing\n").unwrap_err(),
            ManifestError::Empty
        );
        assert_eq!(parse_str("[]").unwrap_err(), ManifestError::Empty);
        assert!(matches!(
            parse_str(&format!(r#"[{{"path":"","sha256":"{A}"}}]"#)),
            Err(ManifestError::EmptyPath { .. })
        ));
    }

    #[test]
    fn rejects_hostile_json_without_panicking() {
        for bad in [
            format!(r#"[{{"path":"a","sha256":"{A}","size":-1}}]"#),
            format!(r#"[{{"path":"a","sha256":"{A}","size":1e999}}]"#),
            format!(r#"[{{"path":"a","sha256":"{A}","size":99999999999999999999999}}]"#),
            format!(r#"[{{"path":7,"sha256":"{A}"}}]"#),
            r#"{"files":{"a":1}}"#.to_owned(),
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            r#"[{"path":"a""#.to_owned(),
        ] {
            assert!(
                matches!(parse_str(&bad), Err(ManifestError::Json(_))),
                "{}",
                bad.get(..60).unwrap_or(&bad)
            );
        }
    }

    #[test]
    fn rejects_non_utf8_lines_naming_the_line() {
        let mut b = format!("{A}  ok\n{A}  ").into_bytes();
        b.extend_from_slice(&[0xff, 0xfe, b'\n']);
        assert_eq!(
            parse(&b, &ReleaseLimits::default()).unwrap_err(),
            ManifestError::NotUtf8 { line: 2 }
        );
    }

    #[test]
    fn enforces_size_entry_and_path_caps() {
        let small = ReleaseLimits {
            max_manifest: 100,
            max_manifest_entries: 1,
            max_manifest_path: 3,
            ..ReleaseLimits::default()
        };
        let two = format!("{A}  a\n{B}  b\n");
        assert_eq!(
            parse(two.as_bytes(), &small).unwrap_err(),
            ManifestError::TooLarge { max: 100 }
        );
        let roomy = ReleaseLimits {
            max_manifest: 1000,
            ..small.clone()
        };
        assert_eq!(
            parse(two.as_bytes(), &roomy).unwrap_err(),
            ManifestError::TooManyEntries { max: 1 }
        );
        assert!(matches!(
            parse(format!("{A}  long\n").as_bytes(), &roomy),
            Err(ManifestError::LongPath { .. })
        ));
    }
}
