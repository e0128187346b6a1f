//! What every archive does with a member, whatever the container (zip, tar): the checks on a
//! member's name and the inspection of its bytes by content through [`super::inspect_source`].
//! Zip and tar members go through the same code, so a guard added for one holds for both.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::{self, Format};
use crate::finding::Code;
use crate::source::Source;
use std::io::{self, Read};

/// Member names longer than this keep only this prefix (with their full length), so that a
/// directory of huge names cannot make the scan hold gigabytes.
pub(super) const MAX_NAME: usize = 1024;

/// Bytes read at a time when a member is copied into memory.
pub(super) const CHUNK: usize = 64 << 10;

/// Formats read by a loader that unpickles: their content is always analysed, whatever its size.
pub(super) fn is_pickle(f: Format) -> bool {
    matches!(f, Format::Pickle | Format::PytorchLegacy | Format::Joblib)
}

/// Formats whose content is inspected in depth beyond their first bytes.
pub(super) fn needs_content(f: Format) -> bool {
    matches!(
        f,
        Format::Zip
            | Format::PytorchZip
            | Format::TorchScript
            | Format::Npz
            | Format::Keras
            | Format::Npy
            | Format::Safetensors
            | Format::Gzip
            | Format::Zlib
            | Format::Bzip2
            | Format::Xz
            | Format::Lzma
            | Format::Zstd
            | Format::Lz4
            | Format::SevenZ
            | Format::Tar
            | Format::PytorchTar
    )
}

/// An absolute path, a drive letter, or a `..` component (with `/` or `\` separators).
pub(super) fn escapes(name: &[u8]) -> bool {
    let drive = matches!(name, [l, b':', ..] if l.is_ascii_alphabetic());
    name.first().is_some_and(|c| *c == b'/' || *c == b'\\')
        || drive
        || name
            .split(|c| *c == b'/' || *c == b'\\')
            .any(|c| c == b"..")
}

/// Inspects a member's bytes inside the member (`ctx.enter`): detected by content and parsed,
/// recursively. `flat`: parse pickles, .npy and safetensors only, and open no archive (nested
/// zip, zip found from the end, compressed stream) inside it.
///
/// Inside an archive, members of no recognised format are normal (tensor storages, vocabulary
/// files): they are listed in the member facts rather than reported one by one as
/// `unknown-format`.
pub(super) fn inspect_member(
    ctx: &mut Ctx,
    src: &dyn Source,
    name: &str,
    flat: bool,
) -> io::Result<Option<Format>> {
    let before = ctx.findings.len();
    let out = if flat {
        let head = src.read_vec(0, detect::HEAD_LEN)?;
        let f = detect::detect(&head, src.len(), name);
        ctx.enter(name, |ctx| match f {
            Format::Pickle | Format::PytorchLegacy => super::pickle::inspect(src, ctx),
            Format::Npy => super::npy::inspect(src, ctx).map(|()| f),
            Format::Safetensors => super::safetensors::inspect(src, ctx).map(|()| f),
            _ => Ok(f),
        })?
    } else {
        ctx.enter(name, |ctx| super::inspect_source(src, ctx, name))?
    };
    if out == Some(Format::Unknown) {
        let chain = match ctx.member() {
            Some(p) => format!("{p}!{name}"),
            None => name.to_owned(),
        };
        ctx.retain_findings_from(before, |f| {
            !(f.code == Code::UnknownFormat && f.location.member.as_deref() == Some(chain.as_str()))
        });
    }
    Ok(out)
}

/// Reads `r` to its end or `max` bytes into `out`, growing it no further than needed.
pub(super) fn read_capped(r: &mut impl Read, out: &mut Vec<u8>, max: u64) -> io::Result<()> {
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let room = max.saturating_sub(out.len() as u64);
        if room == 0 {
            return Ok(());
        }
        let want = chunk.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = r.read(chunk.get_mut(..want).unwrap_or_default())?;
        let Some(read) = chunk.get(..n) else {
            return Ok(());
        };
        if read.is_empty() {
            return Ok(());
        }
        if out.spare_capacity_mut().len() < n {
            let target = out
                .len()
                .saturating_add(n)
                .max(out.capacity().saturating_mul(2))
                .min(usize::try_from(max).unwrap_or(usize::MAX));
            out.reserve_exact(target.saturating_sub(out.len()));
        }
        out.extend_from_slice(read);
    }
}

/// Inspects a member too large to hold in memory, read once from `r`, when its format can be
/// analysed as a stream (`det`, detected from its first bytes): pickles and tar archives.
/// Returns the refined format, or `None` when nothing could be analysed this way (the caller
/// decides whether that is a finding) or the depth limit stopped it.
/// `reopen` opens the member again from its start, when it can be (see
/// [`super::pickle::inspect_stream`]).
pub(super) fn inspect_streamed(
    ctx: &mut Ctx,
    name: &str,
    det: Format,
    r: &mut dyn io::BufRead,
    reopen: Option<&mut super::pickle::Reopen<'_>>,
) -> io::Result<Option<Format>> {
    match det {
        Format::Pickle | Format::PytorchLegacy => {
            ctx.enter(name, |ctx| super::pickle::inspect_stream(r, reopen, ctx))
        }
        Format::Tar => ctx.enter(name, |ctx| super::tar::inspect_stream(r, ctx)),
        _ => Ok(None),
    }
}
