//! The central directory: found from its end record and read entry by entry. [`Entries`] is the
//! one reader of the directory: [`Zip::read_dir`] reads it for the inspection (reporting what is
//! wrong) and [`super::read_member`] to look a member up.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::records::{
    CENTRAL_LEN, CENTRAL_SIG, Central, Eocd, extra_field, find_eocd, lossy, u16_at, u32_at, u64_at,
};
use super::{Ctx, Zip};
use crate::finding::{Code, Evidence};
use crate::formats::member::MAX_NAME;
use crate::source::{Source, SourceReader, Window};
use std::collections::HashMap;
use std::io::{self, Read};
use std::rc::Rc;

/// The central directory as read (possibly absent or broken).
#[derive(Default)]
pub(super) struct Dir {
    pub(super) eocd: Option<Eocd>,
    pub(super) entries: Vec<Central>,
    /// The first entry index at each local header offset.
    pub(super) at: HashMap<u64, usize>,
    /// Local header offsets, sorted.
    pub(super) offsets: Vec<u64>,
    /// Found and parsed without structural errors: "not in the directory" means something.
    pub(super) complete: bool,
}

/// What an entry's zip64 extra field made of its sizes and offset.
#[derive(Debug, Clone, Copy)]
pub(super) enum Zip64 {
    /// Not needed, or it held every value it had to.
    Read,
    /// Too short for the values it must hold: the 32-bit fields stand. `csize` is the compressed
    /// size it does hold when only a value after it is cut off ([`super::read_member`] reads the
    /// member with it).
    Short { csize: Option<u64> },
    /// Sizes or offset are 0xFFFFFFFF but there is no zip64 extra field.
    Missing,
}

/// One central directory entry as read.
pub(super) struct Entry {
    /// The entry, its `local_off` left 0: see [`Entry::local_off`].
    pub(super) central: Central,
    /// Absolute offset of the local header it points at (None: past 64 bits).
    pub(super) local_off: Option<u64>,
    pub(super) zip64: Zip64,
    /// Name, extra field and comment as stored: the name in full.
    var: Vec<u8>,
}

impl Entry {
    /// The whole name ([`Central::name`] keeps at most [`MAX_NAME`] bytes of it).
    pub(super) fn full_name(&self) -> Option<&[u8]> {
        self.var.get(..usize::from(self.central.name_len))
    }
}

/// How reading the next entry went.
pub(super) enum Next {
    Entry(Entry),
    /// The bytes end before the entry's fixed part.
    End,
    /// No central header signature where the entry should start.
    NotCentral,
    /// The bytes end inside the entry's name, extra field or comment.
    Truncated,
}

/// Reads central directory entries in order: the one reader of the directory, for
/// [`Zip::read_dir`] (which decides where the directory ends and reports what is wrong with it)
/// and for [`super::read_member`] (which looks a name up).
pub(super) struct Entries<'a> {
    r: SourceReader<'a>,
    /// Bytes in front of the archive ([`Eocd::base`]).
    base: u64,
    /// Bytes read so far (whole entries only).
    pos: u64,
}

impl<'a> Entries<'a> {
    /// `dir`: the directory's bytes, from its first entry.
    pub(super) fn new(dir: &'a dyn Source, base: u64) -> Self {
        Entries {
            r: SourceReader::new(dir, 0),
            base,
            pos: 0,
        }
    }

    /// Reads the next entry.
    pub(super) fn next_entry(&mut self) -> io::Result<Next> {
        let mut fixed = [0u8; CENTRAL_LEN];
        match self.r.read_exact(&mut fixed) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(Next::End),
            Err(err) => return Err(err),
        }
        if u32_at(&fixed, 0) != Some(CENTRAL_SIG) {
            return Ok(Next::NotCentral);
        }
        let g16 = |i| u16_at(&fixed, i).unwrap_or(0);
        let g32 = |i| u32_at(&fixed, i).unwrap_or(0);
        let (nlen, xlen, clen) = (
            usize::from(g16(28)),
            usize::from(g16(30)),
            usize::from(g16(32)),
        );
        let mut var = vec![0u8; nlen.saturating_add(xlen).saturating_add(clen)]; // u16 lengths
        match self.r.read_exact(&mut var) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(Next::Truncated),
            Err(err) => return Err(err),
        }
        self.pos = self
            .pos
            .saturating_add(CENTRAL_LEN.saturating_add(var.len()) as u64);
        let name = var.get(..nlen.min(MAX_NAME)).unwrap_or_default();
        let extra = var.get(nlen..nlen.saturating_add(xlen)).unwrap_or_default();
        let (csize32, usize32, off32, disk16) = (g32(20), g32(24), g32(42), g16(34));
        let mut c = Central {
            flags: g16(8),
            method: g16(10),
            crc: g32(16),
            csize: u64::from(csize32),
            usize: u64::from(usize32),
            name: name.into(),
            name_len: u16::try_from(nlen).unwrap_or(u16::MAX),
            local_off: 0,
        };
        let mut rel = u64::from(off32);
        let mut zip64 = Zip64::Read;
        if csize32 == u32::MAX || usize32 == u32::MAX || off32 == u32::MAX || disk16 == 0xffff {
            match extra_field(extra, 1) {
                Some(z) => {
                    // Only the fields that overflow are present, in this order.
                    let mut i = 0;
                    let mut next = |present: bool| -> Option<Option<u64>> {
                        if !present {
                            return Some(None);
                        }
                        let v = u64_at(z, i)?;
                        i = i.saturating_add(8);
                        Some(Some(v))
                    };
                    let u = next(usize32 == u32::MAX);
                    let cs = next(csize32 == u32::MAX);
                    let o = next(off32 == u32::MAX);
                    match (u, cs, o) {
                        (Some(u), Some(cs), Some(o)) => {
                            c.usize = u.unwrap_or(c.usize);
                            c.csize = cs.unwrap_or(c.csize);
                            rel = o.unwrap_or(rel);
                        }
                        (_, cs, _) => {
                            zip64 = Zip64::Short {
                                csize: cs.flatten(),
                            }
                        }
                    }
                }
                None if csize32 == u32::MAX || usize32 == u32::MAX || off32 == u32::MAX => {
                    zip64 = Zip64::Missing;
                }
                None => {}
            }
        }
        Ok(Next::Entry(Entry {
            central: c,
            local_off: self.base.checked_add(rel),
            zip64,
            var,
        }))
    }
}

impl Zip<'_> {
    pub(super) fn ensure_dir(&mut self, ctx: &mut Ctx, given: Option<Eocd>) -> io::Result<()> {
        if self.dir.is_some() {
            return Ok(());
        }
        self.sequential = false;
        let eocd = match given {
            Some(e) => Some(e),
            None => find_eocd(self.src)?,
        };
        let Some(e) = eocd else {
            ctx.report(
                Code::ZipMalformed,
                None,
                "no valid end-of-central-directory record: zipfile and PyTorch cannot open this archive; its members were found from their local headers and scanned",
            );
            self.dir = Some(Dir::default());
            return Ok(());
        };
        let dir = self.read_dir(ctx, e)?;
        self.dir = Some(dir);
        Ok(())
    }

    fn read_dir(&mut self, ctx: &mut Ctx, e: Eocd) -> io::Result<Dir> {
        if e.multi_disk {
            ctx.report(
                Code::ZipMalformed,
                Some(e.offset),
                "the end record describes a multi-disk (spanned) archive",
            );
        }
        if e.end > self.len {
            ctx.report_with(
                Code::ZipMalformed,
                Code::ZipMalformed.default_severity(),
                Some(e.offset),
                "the archive comment runs past the end of the file (truncated archive)",
                Evidence::mismatch(e.end.to_string(), self.len.to_string()),
            );
        } else if e.end < self.len {
            ctx.report(
                Code::ZipTrailingData,
                Some(e.end),
                format!(
                    "{} bytes follow the end-of-central-directory record and its comment",
                    self.len.saturating_sub(e.end)
                ),
            );
        }
        let cd_end = e.cd_offset.saturating_add(e.cd_size);
        if cd_end < e.tail {
            ctx.report(
                Code::ZipTrailingData,
                Some(cd_end),
                format!(
                    "{} bytes between the central directory and its end record belong to no zip structure",
                    e.tail.saturating_sub(cd_end)
                ),
            );
        }

        let max = ctx.limits.max_archive_entries;
        let win = Window::new(self.src, e.cd_offset, self.len.saturating_sub(e.cd_offset));
        let mut entries = Entries::new(&win, e.base);
        let mut dir = Dir {
            eocd: Some(e),
            complete: true,
            ..Dir::default()
        };
        // Sized once for the entries the directory can hold (each takes at least 46 bytes),
        // rather than grown by doubling: 100,000 entries would leave a quarter of it spare.
        let hint = e
            .entries
            .min(e.cd_size / 46)
            .min(u64::try_from(max).unwrap_or(u64::MAX));
        let hint = usize::try_from(hint).unwrap_or(0);
        dir.entries.reserve_exact(hint);
        dir.offsets.reserve_exact(hint);
        let mut broken = false;
        loop {
            let count = dir.entries.len() as u64;
            if count >= e.entries && entries.pos >= e.cd_size {
                break;
            }
            if dir.entries.len() >= max {
                ctx.report(
                    Code::ZipMalformed,
                    Some(e.cd_offset.saturating_add(entries.pos)),
                    format!(
                        "the central directory has more than {max} entries; the rest were not inspected"
                    ),
                );
                dir.complete = false;
                broken = true;
                break;
            }
            // Inside the file: the directory was found there, `pos` is what was read of it.
            let at = e.cd_offset.saturating_add(entries.pos);
            let entry = match entries.next_entry()? {
                Next::Entry(entry) => entry,
                Next::End => {
                    if count < e.entries {
                        ctx.report(
                            Code::ZipMalformed,
                            Some(at),
                            format!(
                                "the central directory is truncated after {count} of {} entries",
                                e.entries
                            ),
                        );
                        dir.complete = false;
                        broken = true;
                    }
                    break;
                }
                Next::NotCentral => {
                    if count < e.entries {
                        ctx.report(
                            Code::ZipMalformed,
                            Some(at),
                            format!(
                                "central directory entry {count} has no central header signature; the directory is broken"
                            ),
                        );
                        dir.complete = false;
                        broken = true;
                    }
                    break;
                }
                Next::Truncated => {
                    ctx.report(
                        Code::ZipMalformed,
                        Some(at),
                        "the central directory is truncated inside an entry",
                    );
                    dir.complete = false;
                    broken = true;
                    break;
                }
            };
            let mut c = entry.central;
            let nlen = c.name_len;
            if usize::from(nlen) > MAX_NAME {
                ctx.report(
                    Code::ZipMalformed,
                    Some(at),
                    format!(
                        "a member name is {nlen} bytes long; only its first {MAX_NAME} bytes are shown"
                    ),
                );
            }
            match entry.zip64 {
                Zip64::Read => {}
                Zip64::Short { .. } => ctx.report(
                    Code::ZipMalformed,
                    Some(at),
                    format!(
                        "zip64 extra field of {:?} is too short for the sizes it must hold",
                        lossy(&c.name)
                    ),
                ),
                Zip64::Missing => ctx.report(
                    Code::ZipMalformed,
                    Some(at),
                    format!(
                        "{:?} has 0xFFFFFFFF sizes or offset but no zip64 extra field",
                        lossy(&c.name)
                    ),
                ),
            }
            let Some(local_off) = entry.local_off else {
                ctx.report(
                    Code::ZipMalformed,
                    Some(at),
                    format!("{:?} has an impossible local header offset", lossy(&c.name)),
                );
                continue;
            };
            c.local_off = local_off;
            if let Some(w) = self
                .walked_at
                .get(&local_off)
                .and_then(|&i| self.walked.get(i))
                && w.local.name == c.name
            {
                c.name = Rc::clone(&w.local.name);
            }
            let idx = dir.entries.len();
            dir.at.entry(local_off).or_insert(idx);
            dir.offsets.push(local_off);
            dir.entries.push(c);
        }
        let pos = entries.pos;
        if !broken {
            let n = dir.entries.len() as u64;
            if n != e.entries {
                ctx.report_with(
                    Code::ZipMalformed,
                    Code::ZipMalformed.default_severity(),
                    Some(e.offset),
                    format!(
                        "the end record declares {} entries but the central directory holds {n} (miniz counts entries, Python's zipfile reads by size)",
                        e.entries
                    ),
                    Evidence::mismatch(e.entries.to_string(), n.to_string()),
                );
            } else if pos != e.cd_size {
                ctx.report_with(
                    Code::ZipMalformed,
                    Code::ZipMalformed.default_severity(),
                    Some(e.offset),
                    format!(
                        "the central directory is {pos} bytes but the end record says {}",
                        e.cd_size
                    ),
                    Evidence::mismatch(e.cd_size.to_string(), pos.to_string()),
                );
            }
        }
        dir.offsets.sort_unstable();
        dir.offsets.dedup();
        Ok(dir)
    }
}
