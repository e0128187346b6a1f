//! Tar archives: SageMaker `model.tar.gz` bundles, NVIDIA NeMo `.nemo` files, PyTorch's oldest
//! `torch.save` layout (`storages`, `tensors`, `pickle` and `sys_info` members), any tar.
//!
//! The header parser is written here, to the layouts of POSIX.1-2001 (`pax`, ustar) and GNU tar
//! (`info tar`, "Standard" and "GNU Extensions"), with Python's `tarfile` (which SageMaker,
//! NeMo and `torch.load` use) as the reference for what a loader sees:
//!
//! - 512-byte headers; numbers are octal text or, with the top bit of the first byte set,
//!   base-256 (`0x80` positive, `0xff` negative); the checksum is the sum of the header bytes
//!   with its own field taken as spaces, unsigned or signed;
//! - ustar names are `prefix/name`; GNU long names (`L`) and long link targets (`K`) and pax
//!   extended headers (`x`, per member; `g`, global) carry `path`, `linkpath` and `size` for
//!   the header that follows. As in `tarfile`, the first extension header in a chain wins, and
//!   global values apply to members that have their own pax header;
//! - only regular members (and types `tarfile` does not know, which it reads as regular) have
//!   data; `tarfile` reads the next header right after a link, directory or device header
//!   whatever size it declares;
//! - an all-zero block ends the archive for `tarfile`; `tar --ignore-zeros` and GNU tar's
//!   recovery after a broken header read on. Members found there are scanned and reported
//!   (`tar-trailing-data`), so no reader sees a member the scan did not.
//!
//! Every member is inspected by content through [`super::inspect_source`], whatever its name,
//! with the same guards as zip members ([`super::member`]): path traversal, links that leave the
//! extraction directory, device and FIFO members, duplicate names, sizes, nesting depth.
//!
//! The archive is read once, forward, either from a [`Source`] (a file: member data are windows
//! on it, never copied) or from a stream (a decompressed `.tar.gz`: members up to
//! [`Limits::max_in_memory`] are held in memory, larger ones analysed as a stream when they are
//! a pickle or a tar, skipped otherwise with a finding). Memory per member is bounded by
//! [`Limits::max_tar_header_data`] for extension headers; work is linear in the archive.
//!
//! Layout: `header` parses header blocks, numbers, pax records and names; `input` reads the
//! archive forward from a source or a stream; `walk` walks the headers and members and reports
//! what it finds. This file holds the entry points.
//!
//! [`Limits::max_in_memory`]: crate::limits::Limits::max_in_memory
//! [`Limits::max_tar_header_data`]: crate::limits::Limits::max_tar_header_data
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod header;
mod input;
#[cfg(test)]
mod tests;
mod walk;

use super::{Ctx, Member};
use crate::detect::{Format, TAR_BLOCK};
use crate::source::Source;
use input::{Positioned, Streamed};
use std::io::{self, BufRead};
use walk::Tar;

const BLOCK: u64 = TAR_BLOCK as u64;

/// What the inspection of a tar in a source found out about its layout.
pub struct Inspected {
    pub format: Format,
    /// Where each regular member's data lies, in archive order: `[start, end)`.
    extents: Vec<(u64, u64)>,
}

impl Inspected {
    /// Whether `[start, end)` lies within one member's data (a zip stored as a member is found
    /// again from the end of the file; it was scanned as that member).
    pub fn within_member(&self, start: u64, end: u64) -> bool {
        let i = self.extents.partition_point(|&(s, _)| s <= start);
        i.checked_sub(1)
            .and_then(|i| self.extents.get(i))
            .is_some_and(|&(s, e)| s <= start && end <= e)
    }
}

/// Inspects a tar archive read from a source (a file, a member of another archive).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Inspected> {
    let mut input = Positioned { src, pos: 0 };
    let mut tar = Tar::new(ctx);
    tar.extents = Some(Vec::new());
    let format = tar.run(&mut input, ctx)?;
    Ok(Inspected {
        format,
        extents: tar.extents.unwrap_or_default(),
    })
}

/// Inspects a tar archive read once from a stream (a decompressed `.tar.gz`). A read error of
/// kind `InvalidData` (corrupt compressed data, a decompression cap) ends the archive; the
/// caller reports it.
pub fn inspect_stream(r: &mut dyn BufRead, ctx: &mut Ctx) -> io::Result<Format> {
    let mut input = Streamed { r, pos: 0 };
    let mut tar = Tar::new(ctx);
    match tar.run(&mut input, ctx) {
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(tar.finish(ctx)),
        other => other,
    }
}
