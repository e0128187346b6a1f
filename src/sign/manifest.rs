//! The file list a signature covers: every regular file under the model directory (hidden
//! ones too), relative `/`-separated names, minus ignored paths, in model-signing 1.1.1's
//! order (sorted by path components), hashed in parallel with streamed reads.
//!
//! Symbolic links and unfinished downloads are never signed or accepted silently: they are
//! reported so the signer refuses and the verifier fails.

use super::statement::Resource;
use crate::digest::{Sha256, hash_file};
use rayon::prelude::*;
use std::io;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// A file to sign or check.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub path: PathBuf,
}

/// Something in the directory that is not a plain file to hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Irregular {
    Symlink { name: String, target: String },
    Incomplete { name: String },
    NotUtf8 { path: String },
}

#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub irregular: Vec<Irregular>,
}

/// Whether `name` is `ignored` or below it (path-component prefix).
pub fn is_ignored(name: &str, ignored: &[String]) -> bool {
    ignored.iter().any(|i| {
        let i = i.trim_end_matches('/');
        name == i || name.strip_prefix(i).is_some_and(|r| r.starts_with('/'))
    })
}

/// Sorts names the way model-signing 1.1.1 does (by path components).
pub fn sort_names<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| name(a).split('/').cmp(name(b).split('/')));
}

/// Lists the files under `root`. With `allow_symlinks`, a link whose target resolves to a
/// regular file inside `root` is hashed under the link's name (as model-signing does with
/// `allow_symlinks`); every other link is reported and never followed.
pub fn list(root: &Path, ignored: &[String], allow_symlinks: bool) -> io::Result<Listing> {
    let mut out = Listing::default();
    let real_root = std::fs::canonicalize(root)?;
    for e in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let e = e.map_err(|e| {
            e.into_io_error()
                .unwrap_or_else(|| io::Error::other("walk failed"))
        })?;
        if e.depth() == 0 || e.file_type().is_dir() {
            continue;
        }
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        let Some(name) = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join("/"))
        else {
            out.irregular.push(Irregular::NotUtf8 {
                path: rel.to_string_lossy().into_owned(),
            });
            continue;
        };
        if is_ignored(&name, ignored) {
            continue;
        }
        if e.file_type().is_symlink() {
            let target = std::fs::read_link(e.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inside = std::fs::canonicalize(e.path())
                .ok()
                .filter(|real| real.starts_with(&real_root) && real.is_file());
            match inside {
                Some(real) if allow_symlinks => out.entries.push(Entry { name, path: real }),
                _ => out.irregular.push(Irregular::Symlink { name, target }),
            }
            continue;
        }
        if !e.file_type().is_file() {
            continue;
        }
        if name.ends_with(".incomplete") {
            out.irregular
                .push(Irregular::Incomplete { name: name.clone() });
        }
        out.entries.push(Entry {
            name,
            path: e.path().to_path_buf(),
        });
    }
    sort_names(&mut out.entries, |e| &e.name);
    Ok(out)
}

/// Hashes every entry in parallel, largest files first and one task each (so a few large
/// shards keep every core busy); returns the results in the entries' order.
pub fn hash(entries: &[Entry]) -> Vec<(String, io::Result<Sha256>)> {
    let mut order: Vec<(usize, u64)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (i, std::fs::metadata(&e.path).map(|m| m.len()).unwrap_or(0)))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut done: Vec<(usize, String, io::Result<Sha256>)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(i, _)| {
            let e = &entries[i];
            (i, e.name.clone(), hash_file(&e.path).map(|(d, _)| d))
        })
        .collect();
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, n, d)| (n, d)).collect()
}

/// Hashes every entry; the first unreadable file is an error.
pub fn resources(entries: &[Entry]) -> io::Result<Vec<Resource>> {
    hash(entries)
        .into_iter()
        .map(|(name, d)| {
            d.map(|digest| Resource {
                name: name.clone(),
                digest,
            })
            .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))
        })
        .collect()
}

#[cfg(test)]
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
        let ign = vec![".git".to_owned(), "model.sig".to_owned()];
        assert!(is_ignored(".git/HEAD", &ign));
        assert!(is_ignored("model.sig", &ign));
        assert!(!is_ignored(".github", &ign));
        assert!(!is_ignored("model.sig.bak", &ign));
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
}
