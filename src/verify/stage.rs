//! Reading a listed file for verification, and `--stage DEST`: no gap between check and use.
//!
//! Without a stage a listed file is opened as the walk listed it and hashed. With a stage,
//! every signed file is copied into a fresh directory next to DEST in the same read that
//! hashes it (one read per file: the digest is of the bytes written), so the verdict is about
//! the copy; [`finish`] moves the copy to DEST only when every check holds, and the copy is
//! removed otherwise. A source changed during or after the check cannot reach DEST.
//!
//! Layout: without a release, DEST is the model directory. With a release, DEST mirrors the
//! release root: the model under the model path the signed release records, each artifact
//! file under its path.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::checks::{Check, CheckKind};
use super::{Inputs, Verdict};
use crate::digest::Sha256;
use crate::sign::manifest::{self, Entry, HashError};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where the model's files are copied inside the staging directory until the layout is known.
const MODEL_DIR: &str = crate::sign::release::STAGE_MODEL_DIR;

/// A staging directory next to DEST, removed when dropped unless moved into place.
pub struct Stage {
    root: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Stage {
    /// Creates a fresh staging directory next to `dest`. Every rule on DEST is here: it is
    /// refused when it exists (never overwritten), and when it lies inside one of `verified`
    /// (the model directory, the release root): staging there would change what is verified,
    /// and the copy would be part of the next check.
    pub fn create(dest: &Path, verified: &[&Path]) -> io::Result<Stage> {
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists: --stage never overwrites", dest.display()),
            ));
        }
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::other(format!("{}: no file name", dest.display())))?
            .to_string_lossy()
            .into_owned();
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let real = std::fs::canonicalize(&parent).unwrap_or_else(|_| parent.clone());
        for inside in verified {
            if std::fs::canonicalize(inside).is_ok_and(|r| real.starts_with(r)) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: inside {}, which is being verified",
                        dest.display(),
                        inside.display()
                    ),
                ));
            }
        }
        remove_abandoned(&parent, &name);
        let root = parent.join(format!(".{name}.aibom-stage.{}", std::process::id()));
        std::fs::create_dir(&root)?;
        let stage = Stage {
            root,
            dest: dest.to_path_buf(),
            done: false,
        };
        std::fs::create_dir(stage.root.join(MODEL_DIR))?;
        Ok(stage)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Removes staging directories for the same DEST left by runs that were killed (their
/// process is gone): each holds a partial, unverified copy, and every retry would add one.
/// Only on a system with `/proc`, where a live process can be told; a directory whose process
/// still runs (or whose number was reused) is left alone.
fn remove_abandoned(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!(".{name}.aibom-stage.");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let ours = e.file_type().is_ok_and(|t| t.is_dir());
        if ours && !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Copies exactly `e.size` bytes of `file` to `to` (a new file) and returns their SHA-256; a
/// file that ends early or goes on is refused, as in [`manifest::hash_exact`].
fn copy_exact(file: File, e: &Entry, to: &Path) -> Result<Sha256, HashError> {
    let io_err = |source| HashError::Io {
        name: e.name.clone(),
        source,
    };
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).map_err(io_err)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(to)
        .map_err(io_err)?;
    let digest = manifest::hash_exact_with(file, e, |chunk| out.write_all(chunk))?;
    out.sync_all().map_err(io_err)?;
    Ok(digest)
}

impl Inputs {
    /// A release artifact file (name relative to the release root): opened as listed, hashed,
    /// and with a stage copied under the staging directory in the same read.
    pub(super) fn read_release_file(&self, e: &Entry) -> Result<Sha256, HashError> {
        let file = manifest::open_listed(e)?;
        match &self.stage {
            Some(s) => copy_exact(file, e, &s.join(&e.name)),
            None => manifest::hash_exact(file, e),
        }
    }

    /// A signed model file, opened: hashed, and with a stage copied in the same read.
    pub(super) fn hash_model_file(&self, file: File, e: &Entry) -> Result<Sha256, HashError> {
        match &self.stage {
            Some(s) => copy_exact(file, e, &s.join(MODEL_DIR).join(&e.name)),
            None => manifest::hash_exact(file, e),
        }
    }
}

fn stage_check(v: &mut Verdict, ok: bool, subject: &str, actual: String) {
    v.checks.push(Check {
        check: CheckKind::Stage,
        ok,
        blocking: true,
        signature: None,
        subject: subject.to_owned(),
        expected: "the verified copy moved to a path that did not exist".to_owned(),
        actual,
    });
    if !ok {
        v.accepted = false;
    }
}

/// Moves the verified copy to DEST when the verdict accepts the release (adding a `stage`
/// check); otherwise (and on any failure) the copy is removed and DEST is left untouched.
pub fn finish(mut stage: Stage, v: &mut Verdict) {
    let dest = stage.dest.display().to_string();
    if !v.accepted {
        stage_check(
            v,
            false,
            &dest,
            "not staged: the release was refused; the copy was removed".to_owned(),
        );
        return;
    }
    let model = stage.root.join(MODEL_DIR);
    let result = (|| -> Result<(), String> {
        // Only what a counting signature covers reaches DEST: a file some other signature
        // lists (admitted here by allow-unsigned, say) was hashed and copied, but is removed.
        for name in &v.unstaged {
            let f = model.join(name);
            std::fs::remove_file(&f).map_err(|e| format!("{name}: {e}"))?;
            let mut dir = f.parent();
            while let Some(d) = dir.filter(|d| *d != model) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        let from = if v.release_staged {
            let mp = v
                .staged_model_path
                .clone()
                .ok_or("the signed release records no model path to place the model at")?;
            let to = stage.root.join(&mp);
            if std::fs::symlink_metadata(&to).is_ok() {
                return Err(format!("the model path {mp:?} is also a release artifact"));
            }
            if let Some(p) = to.parent() {
                std::fs::create_dir_all(p).map_err(|e| e.to_string())?;
            }
            std::fs::rename(&model, &to).map_err(|e| e.to_string())?;
            stage.root.clone()
        } else {
            model
        };
        if std::fs::symlink_metadata(&stage.dest).is_ok() {
            return Err(format!("{dest} appeared meanwhile: never overwritten"));
        }
        std::fs::rename(&from, &stage.dest).map_err(|e| e.to_string())?;
        if !v.release_staged {
            let _ = std::fs::remove_dir_all(&stage.root);
        }
        stage.done = true;
        Ok(())
    })();
    match result {
        Ok(()) if v.unstaged.is_empty() => {
            stage_check(v, true, &dest, "moved into place".to_owned())
        }
        Ok(()) => {
            let left = format!(
                "moved into place, without {} (no signature that counts covers it)",
                v.unstaged.join(", ")
            );
            stage_check(v, true, &dest, left)
        }
        Err(e) => stage_check(v, false, &dest, format!("not staged: {e}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(path: &Path, size: u64) -> Entry {
        Entry {
            name: "f.bin".into(),
            path: path.to_path_buf(),
            size,
            link: false,
        }
    }

    #[test]
    fn a_staging_directory_left_by_a_killed_run_is_removed_and_a_live_ones_is_kept() {
        let d = tempfile::tempdir().unwrap();
        // No process has number 4,000,000,000 (above any pid_max); this one is alive.
        let dead = d.path().join(".dest.aibom-stage.4000000000");
        let live = d
            .path()
            .join(format!(".dest.aibom-stage.{}", std::process::id()));
        let other = d.path().join(".other.aibom-stage.4000000000");
        for p in [&dead, &live, &other] {
            std::fs::create_dir_all(p.join("model")).unwrap();
        }
        remove_abandoned(d.path(), "dest");
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }

    #[test]
    fn the_digest_is_of_the_bytes_written() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src.bin");
        std::fs::write(&src, b"weights").unwrap();
        let to = d.path().join("out/f.bin");
        let got = copy_exact(File::open(&src).unwrap(), &entry(&src, 7), &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"weights");
        assert_eq!(got, Sha256::of(b"weights"));
    }

    #[test]
    fn a_file_longer_than_listed_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src.bin");
        std::fs::write(&src, b"weights and more").unwrap();
        let err = copy_exact(
            File::open(&src).unwrap(),
            &entry(&src, 7),
            &d.path().join("f.bin"),
        )
        .unwrap_err();
        assert!(matches!(err, HashError::Changed { .. }));
    }

    #[test]
    fn a_stage_refuses_an_existing_destination_and_is_removed_when_dropped() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("dest");
        std::fs::create_dir(&dest).unwrap();
        assert!(Stage::create(&dest, &[]).is_err());
        std::fs::remove_dir(&dest).unwrap();
        let s = Stage::create(&dest, &[]).unwrap();
        let root = s.root().to_path_buf();
        assert!(root.is_dir());
        drop(s);
        assert!(!root.exists());
        assert!(!dest.exists());
        // Inside a directory being verified: refused, nothing created.
        let model = d.path().join("model");
        std::fs::create_dir(&model).unwrap();
        let inside = model.join("deploy");
        let err = Stage::create(&inside, &[&model]).err().unwrap();
        assert!(err.to_string().contains("which is being verified"), "{err}");
        assert_eq!(std::fs::read_dir(&model).unwrap().count(), 0);
    }
}
