//! Reading what `verify` is given beside the model: signatures, AIBOM attestations, the AIBOM,
//! the policy and the trust files it names. Each must be a regular file (symbolic links to one
//! are followed: key and secret mounts are links); it is opened non-blocking, so a FIFO is
//! refused instead of waited on, and read only up to its cap in [`crate::limits::VerifyLimits`].

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

fn kind(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// The bytes of the regular file at `path`, at most `cap` of them.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} (only regular files are read)", kind(&meta.file_type())),
        ));
    }
    crate::source::read_capped(file, cap)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_directories_and_files_over_the_cap_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = read_regular(&fifo, 100).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        assert!(read_regular(d.path(), 100).is_err());
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'x'; 101]).unwrap();
        assert_eq!(
            read_regular(&big, 100).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(read_regular(&big, 101).unwrap().len(), 101);
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&big, &link).unwrap();
        assert_eq!(read_regular(&link, 101).unwrap().len(), 101);
        let zero = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_regular(&zero, 100).is_err());
    }
}
