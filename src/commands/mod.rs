//! One file per subcommand: configuration -> pipeline -> renderer -> status.

pub mod completions;
pub mod diff;
pub mod generate;
pub mod init;
pub mod keygen;
pub mod ledger;
pub mod man;
pub mod merge;
pub mod report;
pub mod revoke;
pub mod scan;
pub mod sign;
pub mod trust;
pub mod validate;
pub mod verify;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// A path given as a directory is not one (`generate`, `verify`): the tool cannot run. A type
/// of its own so that the Python API can tell a bad input from other errors.
#[derive(Debug, thiserror::Error)]
#[error("{}: not a directory", .0.display())]
pub struct NotADirectory(pub std::path::PathBuf);

/// `--quiet`, set once by [`crate::run`] before any command runs.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given: only errors and machine output are printed.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A note for a person on stderr (what was written where); silent under `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::commands::quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// Writes a readable (non-machine) report to stdout, or nothing under `--quiet`.
pub fn write_human_stdout(bytes: &[u8]) -> io::Result<()> {
    if quiet() { Ok(()) } else { write_stdout(bytes) }
}

/// Whether to colour a readable report: `--color always|never` decide; `auto` colours only a
/// terminal, and never when `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
pub fn use_color(
    choice: crate::cli::ColorChoice,
    terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
) -> bool {
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, then a
/// rename), so a reader never sees a half-written file. A path that is not a regular file
/// (`/dev/null`, a FIFO, a terminal) is written in place: renaming over it would replace the
/// device with a file. A symbolic link is followed, and its target replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes).and_then(|_| f.flush());
    }
    let real = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let dir = real
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &real)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Writes to stdout; a closed pipe (`| head`) is a quiet success.
pub fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// An AIBOM's bytes (read under [`crate::limits::VerifyLimits::max_bom`]) parsed, refusing one
/// nested deeper than `max_bom_depth` before parsing; errors name the file.
pub fn parse_bom(
    bytes: &[u8],
    path: &Path,
    limits: &crate::limits::VerifyLimits,
) -> anyhow::Result<serde_json::Value> {
    use crate::bom::read::{ParseError, parse};
    match parse(bytes, limits.max_bom_depth) {
        Ok(v) => Ok(v),
        Err(ParseError::Json(e)) => {
            Err(anyhow::Error::new(e).context(format!("{} is not JSON", path.display())))
        }
        Err(e) => anyhow::bail!("{}: {e}", path.display()),
    }
}

/// Refuses an SPDX 3 document where only the CycloneDX AIBOM is read: the SPDX output is an
/// export, and the gate, the diff and the validator work on the CycloneDX document it came
/// from.
pub fn refuse_spdx3(doc: &serde_json::Value, path: &Path, command: &str) -> anyhow::Result<()> {
    if crate::bom::spdx3::is_spdx3(doc) {
        anyhow::bail!(
            "{}: SPDX 3 input is not supported by {command}; give the CycloneDX AIBOM \
             (aibom generate without --format spdx3)",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_auto_needs_a_terminal_and_no_no_color_and_flags_win() {
        use crate::cli::ColorChoice::*;
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(use_color(Auto, true, None));
        assert!(use_color(Auto, true, empty));
        assert!(!use_color(Auto, true, set));
        assert!(!use_color(Auto, false, None));
        assert!(use_color(Always, false, set));
        assert!(!use_color(Never, true, None));
    }
    use std::os::unix::fs::{FileTypeExt, symlink};

    #[test]
    fn write_atomic_never_replaces_a_device_or_fifo_with_a_file() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"report").unwrap();
        assert_eq!(reader.join().unwrap(), b"report");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }

    #[test]
    fn write_atomic_follows_a_symlink_and_keeps_it() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("real.json");
        std::fs::write(&target, b"old").unwrap();
        let link = d.path().join("link.json");
        symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }
}
