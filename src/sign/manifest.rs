//! The file list a signature covers: every regular file under the model directory (hidden
//! ones too), relative `/`-separated names, minus ignored paths, in model-signing 1.1.1's
//! order (sorted by path components), hashed in parallel with streamed reads.
//!
//! Sign and verify list a directory with the same function and the same rules, so `sign` never
//! writes a name `verify` refuses:
//! - ignored subtrees are pruned before their names are read (a `.git/` with odd names or
//!   unreadable directories is never entered);
//! - every name must pass [`check_name`] (the rule `verify` applies to a signed manifest);
//! - symbolic links, FIFOs, sockets, device nodes, non-UTF-8 names and unfinished downloads are
//!   reported ([`Irregular`]), so the signer refuses and the verifier fails.
//!
//! A listed file is opened without following links (`O_NOFOLLOW`) and without blocking
//! (`O_NONBLOCK`), the opened descriptor must be a regular file of the size the walk saw, and
//! no more than that size is read: a file swapped for a link to `/dev/zero` or a FIFO after the
//! walk is refused, never read forever.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::statement::{Resource, check_name};
use crate::digest::Sha256;
use rayon::prelude::*;
use sha2::Digest;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// A file to sign or check.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// Where to read it: the file itself, or for an allowed link the file it resolves to.
    pub path: PathBuf,
    /// The size the walk saw; the opened file must have exactly this size.
    pub size: u64,
    /// Reached through a symbolic link (only with `allow_symlinks`).
    pub link: bool,
}

/// Something in the directory that is not a plain file to hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Irregular {
    Symlink {
        name: String,
        target: String,
    },
    Incomplete {
        name: String,
    },
    NotUtf8 {
        path: String,
    },
    /// A FIFO, socket or device node: `kind` says which.
    Special {
        name: String,
        kind: &'static str,
    },
    /// A name the manifest rule refuses (`a\b.bin`, `C:x.bin`).
    BadName {
        name: String,
        why: &'static str,
    },
}

impl fmt::Display for Irregular {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Irregular::Symlink { name, target } => {
                write!(f, "{name:?} is a symbolic link to {target:?}")
            }
            Irregular::Incomplete { name } => write!(f, "{name:?} is an unfinished download"),
            Irregular::NotUtf8 { path } => write!(f, "the name {path:?} is not UTF-8"),
            Irregular::Special { name, kind } => write!(f, "{name:?} is a {kind}"),
            Irregular::BadName { name, why } => {
                write!(
                    f,
                    "the file name {name:?} is not allowed in a manifest: {why}"
                )
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub irregular: Vec<Irregular>,
}

/// Why a listed file could not be hashed.
#[derive(Debug)]
pub enum HashError {
    /// It is no longer the file the walk listed (a link, a FIFO, another size): refused.
    Changed { name: String, why: String },
    /// It could not be read at all.
    Io { name: String, source: io::Error },
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::Changed { name, why } => write!(f, "{name}: {why}"),
            HashError::Io { name, source } => write!(f, "{name}: {source}"),
        }
    }
}

impl std::error::Error for HashError {}

impl From<HashError> for io::Error {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Changed { .. } => io::Error::other(e.to_string()),
            HashError::Io { ref source, .. } => io::Error::new(source.kind(), e.to_string()),
        }
    }
}

/// Whether `name` is `ignored` or below it (path-component prefix).
pub fn is_ignored(name: &str, ignored: &[String]) -> bool {
    ignored.iter().any(|i| ignores(i, name))
}

/// Whether the ignore entry `ignore` covers `name` (itself or below it).
pub fn ignores(ignore: &str, name: &str) -> bool {
    let i = ignore.trim_end_matches('/');
    !i.is_empty() && (name == i || name.strip_prefix(i).is_some_and(|r| r.starts_with('/')))
}

/// Sorts names the way model-signing 1.1.1 does (by path components).
pub fn sort_names<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| name(a).split('/').cmp(name(b).split('/')));
}

/// The `/`-joined name of `rel`, if every component is UTF-8.
fn utf8_name(rel: &Path) -> Option<String> {
    rel.components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()
        .map(|v| v.join("/"))
}

fn special_kind(ft: &std::fs::FileType) -> &'static str {
    if ft.is_fifo() {
        "FIFO (named pipe)"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// Lists the files under `root`. With `allow_symlinks`, a link whose target resolves to a
/// regular file inside `root` is listed under the link's name (as model-signing does with
/// `allow_symlinks`); every other link is reported and never followed. `ignored` subtrees are
/// pruned before anything below them is read.
pub fn list(root: &Path, ignored: &[String], allow_symlinks: bool) -> io::Result<Listing> {
    let mut out = Listing::default();
    let real_root = std::fs::canonicalize(root)?;
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e
                    .path()
                    .strip_prefix(root)
                    .ok()
                    .and_then(utf8_name)
                    .is_some_and(|n| is_ignored(&n, ignored))
        });
    for e in walker {
        let e = e.map_err(|e| {
            e.into_io_error()
                .unwrap_or_else(|| io::Error::other("walk failed"))
        })?;
        if e.depth() == 0 || e.file_type().is_dir() {
            continue;
        }
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        let Some(name) = utf8_name(rel) else {
            out.irregular.push(Irregular::NotUtf8 {
                path: rel.to_string_lossy().into_owned(),
            });
            continue;
        };
        if let Err(why) = check_name(&name) {
            out.irregular.push(Irregular::BadName { name, why });
            continue;
        }
        let ft = e.file_type();
        if ft.is_symlink() {
            let target = std::fs::read_link(e.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inside = std::fs::canonicalize(e.path()).ok().and_then(|real| {
                let m = std::fs::symlink_metadata(&real).ok()?;
                (real.starts_with(&real_root) && m.is_file()).then_some((real, m.len()))
            });
            match inside {
                Some((real, size)) if allow_symlinks => out.entries.push(Entry {
                    name,
                    path: real,
                    size,
                    link: true,
                }),
                _ => out.irregular.push(Irregular::Symlink { name, target }),
            }
            continue;
        }
        if !ft.is_file() {
            out.irregular.push(Irregular::Special {
                name,
                kind: special_kind(&ft),
            });
            continue;
        }
        let size = e
            .metadata()
            .map_err(|err| {
                err.into_io_error()
                    .unwrap_or_else(|| io::Error::other("metadata failed"))
            })?
            .len();
        if name.ends_with(".incomplete") {
            out.irregular
                .push(Irregular::Incomplete { name: name.clone() });
        }
        out.entries.push(Entry {
            name,
            path: e.path().to_path_buf(),
            size,
            link: false,
        });
    }
    sort_names(&mut out.entries, |e| &e.name);
    Ok(out)
}

/// Opens a listed file: no link followed, no blocking open, and the descriptor must be a
/// regular file of the size the walk saw.
pub fn open_listed(e: &Entry) -> Result<File, HashError> {
    let changed = |why: String| HashError::Changed {
        name: e.name.clone(),
        why,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&e.path)
        .map_err(|source| {
            // ELOOP: the last component became a symbolic link after the walk.
            if source.raw_os_error() == Some(libc::ELOOP) {
                changed("became a symbolic link after it was listed; not followed".into())
            } else {
                HashError::Io {
                    name: e.name.clone(),
                    source,
                }
            }
        })?;
    let meta = file.metadata().map_err(|source| HashError::Io {
        name: e.name.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(changed(format!(
            "became a {} after it was listed",
            special_kind(&meta.file_type())
        )));
    }
    if meta.len() != e.size {
        return Err(changed(format!(
            "was {} bytes when listed and is {} bytes when opened",
            e.size,
            meta.len()
        )));
    }
    Ok(file)
}

/// SHA-256 of exactly `size` bytes of `file`; a file that ends early or goes on is refused.
pub fn hash_exact(file: File, e: &Entry) -> Result<Sha256, HashError> {
    hash_exact_with(file, e, |_| Ok(()))
}

/// [`hash_exact`], handing every chunk read to `sink` as well (in the same read: a stage
/// copies the very bytes it hashes).
pub fn hash_exact_with(
    file: File,
    e: &Entry,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<Sha256, HashError> {
    let io_err = |source| HashError::Io {
        name: e.name.clone(),
        source,
    };
    let mut h = sha2::Sha256::new();
    let mut reader = file.take(e.size);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_err(err)),
        };
        let Some(read) = buf.get(..n) else {
            return Err(io_err(io::Error::other(
                "read reported more bytes than its buffer holds",
            )));
        };
        h.update(read);
        sink(read).map_err(io_err)?;
        total = total.saturating_add(n as u64);
    }
    if total != e.size {
        return Err(HashError::Changed {
            name: e.name.clone(),
            why: format!("shrank from {} to {total} bytes while being read", e.size),
        });
    }
    let mut probe = [0u8; 1];
    if reader.into_inner().read(&mut probe).map_err(io_err)? != 0 {
        return Err(HashError::Changed {
            name: e.name.clone(),
            why: format!("grew past {} bytes while being read", e.size),
        });
    }
    Ok(Sha256(h.finalize().into()))
}

/// Runs `f` on every entry in parallel, largest files first and one task each (so a few
/// large shards keep every core busy); returns the results in the entries' order.
pub fn par_map<T: Send>(entries: &[&Entry], f: impl Fn(&Entry) -> T + Sync) -> Vec<T> {
    let mut order: Vec<(usize, &Entry)> = entries.iter().map(|e| &**e).enumerate().collect();
    order.sort_by(|(a, ea), (b, eb)| eb.size.cmp(&ea.size).then(a.cmp(b)));
    let mut done: Vec<(usize, T)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(i, e)| (i, f(e)))
        .collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

/// Hashes every entry (opened as [`open_listed`] says).
pub fn hash(entries: &[&Entry]) -> Vec<Result<Sha256, HashError>> {
    par_map(entries, |e| open_listed(e).and_then(|f| hash_exact(f, e)))
}

/// Hashes every entry; the first file that cannot be hashed is an error.
pub fn resources(entries: &[Entry]) -> Result<Vec<Resource>, HashError> {
    let refs: Vec<&Entry> = entries.iter().collect();
    hash(&refs)
        .into_iter()
        .zip(entries)
        .map(|(d, e)| {
            d.map(|digest| Resource {
                name: e.name.clone(),
                digest,
            })
        })
        .collect()
}

/// `path` relative to `root` when it lies inside it (so it is left out of the manifest).
pub fn inside(root: &Path, path: &Path) -> Option<String> {
    let root = std::fs::canonicalize(root).ok()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let parent = std::fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()?;
    let full = parent.join(path.file_name()?);
    full.strip_prefix(&root)
        .ok()
        .map(|r| r.to_string_lossy().replace('\\', "/"))
}

/// The ignore list: model-signing's defaults, the signature files, and the user's.
pub fn ignore_list(root: &Path, sig_files: &[&Path], extra: &[String]) -> Vec<String> {
    let mut v: Vec<String> = super::statement::DEFAULT_IGNORES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    v.extend(sig_files.iter().filter_map(|p| inside(root, p)));
    v.extend(extra.iter().map(|e| e.trim_matches('/').to_owned()));
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_model_signing_by_path_components() {
        let mut v = vec![
            "a.b",
            "a/b",
            "a-b/c",
            "tokenizer.json",
            "tokenizer/vocab.txt",
        ];
        sort_names(&mut v, |s| s);
        assert_eq!(
            v,
            vec![
                "a/b",
                "a-b/c",
                "a.b",
                "tokenizer/vocab.txt",
                "tokenizer.json"
            ]
        );
    }

    #[test]
    fn ignores_by_component_prefix_only() {
        let ign = vec![".git".to_owned(), "model.sig".to_owned(), String::new()];
        assert!(is_ignored(".git/HEAD", &ign));
        assert!(is_ignored("model.sig", &ign));
        assert!(!is_ignored(".github", &ign));
        assert!(!is_ignored("model.sig.bak", &ign));
        assert!(!is_ignored("x", &ign), "an empty ignore covers nothing");
    }

    #[test]
    fn lists_hidden_files_and_reports_links_and_partial_downloads() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".cache")).unwrap();
        std::fs::write(d.path().join(".cache/x"), b"x").unwrap();
        std::fs::write(d.path().join("w.bin.incomplete"), b"x").unwrap();
        std::os::unix::fs::symlink("w.bin.incomplete", d.path().join("link")).unwrap();
        let l = list(d.path(), &[], false).unwrap();
        let names: Vec<_> = l.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec![".cache/x", "w.bin.incomplete"]);
        assert!(l.irregular.contains(&Irregular::Incomplete {
            name: "w.bin.incomplete".into()
        }));
        assert!(
            l.irregular
                .iter()
                .any(|i| matches!(i, Irregular::Symlink { .. }))
        );
    }

    #[test]
    fn reports_fifos_and_names_the_manifest_rule_refuses() {
        let d = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(d.path().join("pipe"))
            .status()
            .unwrap()
            .success();
        assert!(ok);
        std::fs::write(d.path().join("a\\b.bin"), b"x").unwrap();
        std::fs::write(d.path().join("C:x.bin"), b"x").unwrap();
        let l = list(d.path(), &[], false).unwrap();
        assert!(l.entries.is_empty(), "{:?}", l.entries);
        assert!(l.irregular.contains(&Irregular::Special {
            name: "pipe".into(),
            kind: "FIFO (named pipe)"
        }));
        let bad: Vec<_> = l
            .irregular
            .iter()
            .filter_map(|i| match i {
                Irregular::BadName { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(bad, vec!["C:x.bin", "a\\b.bin"]);
    }

    #[test]
    fn prunes_ignored_subtrees_before_reading_them() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".git/objects")).unwrap();
        std::fs::write(
            d.path()
                .join(".git")
                .join(std::ffi::OsStr::from_bytes(b"\xff")),
            b"x",
        )
        .unwrap();
        std::fs::write(d.path().join("a.bin"), b"x").unwrap();
        let l = list(d.path(), &[".git".into()], false).unwrap();
        assert!(l.irregular.is_empty(), "{:?}", l.irregular);
        assert_eq!(l.entries.len(), 1);
    }

    #[test]
    fn refuses_a_file_that_changed_after_it_was_listed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        std::fs::write(&p, b"abc").unwrap();
        let l = list(d.path(), &[], false).unwrap();
        let e = &l.entries[0];
        // Swapped for a link to /dev/zero: not followed, never read.
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        assert!(matches!(open_listed(e), Err(HashError::Changed { .. })));
        // Another size.
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, b"abcd").unwrap();
        assert!(matches!(open_listed(e), Err(HashError::Changed { .. })));
        // A FIFO: the open does not block, and it is refused.
        std::fs::remove_file(&p).unwrap();
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&p)
                .status()
                .unwrap()
                .success()
        );
        assert!(matches!(open_listed(e), Err(HashError::Changed { .. })));
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, b"abc").unwrap();
        let f = open_listed(e).unwrap();
        assert_eq!(hash_exact(f, e).unwrap(), Sha256::of(b"abc"));
    }
}
