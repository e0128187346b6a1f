//! 7z archives (a PyTorch checkpoint repacked as 7z loads through tools that unpack it first;
//! the nullifAI samples used this). Every member with data is inspected by content, whatever
//! its name: members up to [`Limits::max_in_memory`] as a whole, larger ones streamed through the
//! pickle engine when they start like a pickle.
//!
//! The 7z structure itself is parsed by `sevenz-rust2`. Because that parser is a dependency and
//! not written to this project's never-panic rules, it runs under `catch_unwind`: a panic on
//! hostile bytes becomes an `archive-malformed` finding instead of ending the scan.
//!
//! [`Limits::max_in_memory`]: crate::limits::Limits::max_in_memory
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::{self, Format};
use crate::finding::Code;
use crate::source::Source;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// `Read + Seek` over a [`Source`].
/// Real read failures of the file are flagged, so that they are not taken for corrupt data.
struct Seekable<'a> {
    src: &'a dyn Source,
    pos: u64,
    failed: Rc<Cell<bool>>,
}

impl Read for Seekable<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .src
            .read_at(self.pos, buf)
            .inspect_err(|_| self.failed.set(true))?;
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

impl Seek for Seekable<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.src.len();
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the archive",
            )),
        }
    }
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let outcome = catch_unwind(AssertUnwindSafe(|| scan(src, ctx)));
    match outcome {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(msg))) => {
            ctx.report(Code::ArchiveMalformed, None, format!("7z archive: {msg}"));
            Ok(())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => {
            ctx.report(
                Code::ArchiveMalformed,
                None,
                "7z archive: the 7z parser failed on these bytes; members were not all inspected",
            );
            Ok(())
        }
    }
}

/// Outer error: the file could not be read. Inner error: the archive is malformed.
fn scan(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Result<(), String>> {
    let failed = Rc::new(Cell::new(false));
    let seekable = Seekable {
        src,
        pos: 0,
        failed: failed.clone(),
    };
    let mut reader =
        match sevenz_rust2::ArchiveReader::new(seekable, sevenz_rust2::Password::empty()) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
    let entries = reader.archive().files.len();
    if entries > ctx.limits.max_archive_entries {
        return Ok(Err(format!(
            "{entries} entries exceed the limit of {}",
            ctx.limits.max_archive_entries
        )));
    }
    let mut io_error: Option<io::Error> = None;
    let max = ctx.limits.max_in_memory;
    let result = reader.for_each_entries(|entry, data| {
        if entry.is_directory() || !entry.has_stream() {
            return Ok(true);
        }
        let name = entry.name().to_owned();
        let res = member(ctx, &name, entry.size(), data, max);
        match res {
            Ok(()) => Ok(true),
            Err(e) if !failed.get() => {
                ctx.report(
                    Code::ArchiveMalformed,
                    None,
                    format!("7z member {name:?} does not decompress: {e}"),
                );
                Ok(true)
            }
            Err(e) => {
                io_error = Some(e);
                Ok(false)
            }
        }
    });
    if let Some(e) = io_error {
        return Err(e);
    }
    Ok(result.map_err(|e| e.to_string()))
}

fn member(ctx: &mut Ctx, name: &str, size: u64, data: &mut dyn Read, max: u64) -> io::Result<()> {
    let budget = ctx.limits.max_decompressed.min(
        ctx.limits
            .max_decompressed_total
            .saturating_sub(ctx.decompressed),
    );
    let mut capped = data.take(budget);
    let full = format!(
        "{}{name}",
        ctx.member().map(|m| m + "!").unwrap_or_default()
    );
    if size <= max {
        let mut buf = Vec::new();
        capped.read_to_end(&mut buf)?;
        ctx.spend_decompressed(buf.len() as u64);
        let fmt = ctx
            .enter(name, |ctx| super::inspect_source(&buf, ctx, name))?
            .unwrap_or(Format::Unknown);
        ctx.facts.members.push(super::Member {
            name: full,
            size: buf.len() as u64,
            format: fmt,
        });
        return Ok(());
    }
    let mut r = BufReader::with_capacity(256 << 10, capped);
    let head = r.fill_buf()?.to_vec();
    let fmt = detect::detect(&head, size, name);
    // Read once, as the archive is decoded.
    super::member::inspect_streamed(ctx, name, fmt, &mut r, None)?;
    let rest = io::copy(&mut r, &mut io::sink())?;
    ctx.spend_decompressed(rest.saturating_add(head.len() as u64));
    ctx.facts.members.push(super::Member {
        name: full,
        size,
        format: fmt,
    });
    Ok(())
}
