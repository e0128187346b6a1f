//! The sequential walk of the local headers from the start of the archive, as a streaming reader
//! sees the members: each member's end found from its header, its data descriptor or the central
//! directory, and bytes that belong to no member.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::records::{
    CENTRAL_SIG, DEFLATED, DESCRIPTOR_SIG, Descriptor, EOCD_SIG, FLAG_DESCRIPTOR, LOCAL_SIG, Local,
    LocalRead, STORED, Z64_EOCD_SIG, decoded_method, lossy, method_name, read_descriptor,
    read_local, u32_at, u64_at,
};
use super::scan::{Overlap, View, overlap};
use super::{Ctx, Zip};
use crate::finding::Code;
use crate::formats::member::CHUNK;
use crate::source::Source;
use std::io;

/// A local header found by the sequential walk.
pub(super) struct Walked {
    pub(super) local: Local,
    /// Boxed: most members have none, and one is kept per member walked.
    pub(super) desc: Option<Box<Descriptor>>,
}

/// Reads as much of `buf` as the source holds at `off`.
fn read_full(src: &dyn Source, off: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0usize;
    while let Some(rest) = buf.get_mut(done..).filter(|rest| !rest.is_empty()) {
        let n = src.read_at(off.saturating_add(done as u64), rest)?;
        if n == 0 {
            break;
        }
        done = done.saturating_add(n);
    }
    Ok(done)
}

impl Zip<'_> {
    pub(super) fn walk_start(&mut self, ctx: &mut Ctx, polyglot: bool) -> io::Result<u64> {
        if !polyglot {
            // A spanned-archive marker in front of a single-segment archive is harmless.
            if self.sig_at(0)? == Some(DESCRIPTOR_SIG) && self.sig_at(4)? == Some(LOCAL_SIG) {
                return Ok(4);
            }
            return Ok(0);
        }
        // A zip behind other content (reported as a polyglot by the caller): start where the
        // archive starts.
        self.ensure_dir(ctx, None)?;
        let Some(dir) = self.dir.as_ref() else {
            return Ok(self.len);
        };
        let Some(e) = dir.eocd else {
            return Ok(self.len);
        };
        if e.base > 0 && self.sig_at(e.base)? == Some(LOCAL_SIG) {
            return Ok(e.base);
        }
        Ok(dir.offsets.first().copied().unwrap_or(e.cd_offset))
    }

    pub(super) fn walk(&mut self, ctx: &mut Ctx, start: u64) -> io::Result<()> {
        let max = ctx.limits.max_archive_entries;
        let mut pos = start;
        loop {
            if pos >= self.walk_limit() {
                break;
            }
            let sig = self.sig_at(pos)?;
            if sig == Some(LOCAL_SIG) {
                if self.walked.len() >= max {
                    ctx.report(
                        Code::ZipMalformed,
                        Some(pos),
                        format!("more than {max} local headers; the rest were not inspected"),
                    );
                    self.walk_complete = false;
                    break;
                }
                match read_local(self.src, pos)? {
                    LocalRead::Found(l) => match self.walk_entry(ctx, l)? {
                        Some(end) if end > pos => {
                            pos = end;
                            continue;
                        }
                        _ => {
                            self.walk_complete = false;
                            break;
                        }
                    },
                    LocalRead::Truncated => {
                        ctx.report(
                            Code::ZipMalformed,
                            Some(pos),
                            "a local file header is truncated",
                        );
                        self.walk_complete = false;
                        break;
                    }
                    LocalRead::NotHere => {}
                }
            }
            // Not a local header: the central directory, or bytes that belong to no member.
            self.ensure_dir(ctx, None)?;
            let limit = self.walk_limit();
            if pos >= limit {
                break;
            }
            let Some(dir) = self.dir.as_ref() else {
                break;
            };
            if dir.eocd.is_none() && matches!(sig, Some(CENTRAL_SIG | EOCD_SIG | Z64_EOCD_SIG)) {
                // The directory of an archive whose end record is missing (already reported).
                break;
            }
            // Inside the previous member as the central directory sees it (its local header
            // disagrees, which is reported): not a gap.
            if let Some(last) = self.walked.last()
                && let Some(end) = self.central_end(&last.local)?
                && end > pos
            {
                pos = end;
                continue;
            }
            let Some(dir) = self.dir.as_ref() else {
                break;
            };
            let i = dir.offsets.partition_point(|o| *o <= pos);
            let bound = dir.offsets.get(i).copied().unwrap_or(limit).min(limit);
            // pos < limit and pos < bound: the gap is not empty.
            let next = self
                .find_sig(pos.saturating_add(1), bound, LOCAL_SIG)?
                .unwrap_or(bound);
            ctx.report(
                Code::ZipTrailingData,
                Some(pos),
                format!(
                    "{} bytes at offset {pos} belong to no member (not a local header, not the central directory); they were scanned",
                    next.saturating_sub(pos)
                ),
            );
            self.scan_unlisted(ctx, pos, next)?;
            pos = next;
        }
        Ok(())
    }

    /// The first offset in `[from, to)` where signature `sig` starts.
    fn find_sig(&self, from: u64, to: u64, sig: u32) -> io::Result<Option<u64>> {
        let pat = sig.to_le_bytes();
        let mut buf = vec![0u8; CHUNK + 3];
        let mut at = from;
        while at < to {
            let n = read_full(self.src, at, &mut buf)?;
            let got = buf.get(..n).unwrap_or_default();
            if let Some(i) = got.windows(4).position(|w| w == pat) {
                let found = at.saturating_add(i as u64);
                return Ok((found < to).then_some(found));
            }
            if n < buf.len() {
                break;
            }
            at = at.saturating_add(CHUNK as u64);
        }
        Ok(None)
    }

    /// Finds the end of a stored member whose sizes follow its data: the first data descriptor
    /// (with its signature) whose sizes equal the distance from the start of the data. Returns
    /// the length, the CRC of the data and the descriptor.
    fn find_stored_end(
        &self,
        data_off: u64,
        limit: u64,
    ) -> io::Result<Option<(u64, u32, Descriptor)>> {
        let pat = DESCRIPTOR_SIG.to_le_bytes();
        let mut crc = flate2::Crc::new();
        let mut buf = vec![0u8; CHUNK + 24];
        let mut at = data_off;
        while at < limit {
            let n = read_full(self.src, at, &mut buf)?;
            let got = buf.get(..n).unwrap_or_default();
            let scan = got.len().min(CHUNK);
            for i in 0..scan {
                // `i` is below CHUNK; `at` is a file offset at or after `data_off`.
                if got.get(i..i.saturating_add(4)) != Some(&pat[..]) {
                    continue;
                }
                if at.saturating_add(i as u64) >= limit {
                    return Ok(None);
                }
                let dist = at.saturating_sub(data_off).saturating_add(i as u64);
                let narrow = (
                    u32_at(got, i.saturating_add(8)).map(u64::from),
                    u32_at(got, i.saturating_add(12)).map(u64::from),
                    16,
                );
                let wide = (
                    u64_at(got, i.saturating_add(8)),
                    u64_at(got, i.saturating_add(16)),
                    24,
                );
                for (cs, us, len) in [narrow, wide] {
                    if cs == Some(dist) && us == Some(dist) {
                        crc.update(got.get(..i).unwrap_or_default());
                        let d = Descriptor {
                            crc: u32_at(got, i.saturating_add(4)).unwrap_or(0),
                            csize: dist,
                            usize: dist,
                            len,
                        };
                        return Ok(Some((dist, crc.sum(), d)));
                    }
                }
            }
            crc.update(got.get(..scan).unwrap_or_default());
            if n < buf.len() && scan == n {
                break;
            }
            at = at.saturating_add(scan as u64);
        }
        Ok(None)
    }

    /// Scans the member behind one local header found by the walk; returns where the next
    /// structure starts, or None when the walk cannot go on.
    fn walk_entry(&mut self, ctx: &mut Ctx, l: Local) -> io::Result<Option<u64>> {
        let name = lossy(&l.name);
        let limit = self.walk_limit();
        let central = self.central_at(l.offset).map(|c| (c.csize, c.usize));
        let known = if l.csize_known() {
            Some(l.csize)
        } else {
            central.map(|c| c.0)
        };
        let declared_usize = if l.usize_known() {
            Some(l.usize)
        } else {
            central.map(|c| c.1)
        };
        let mut desc = None;
        let data_len = match l.method {
            STORED => {
                let mut crc = None;
                let len = match known {
                    Some(n) => Some(n),
                    None => match self.find_stored_end(l.data_off, limit)? {
                        Some((n, c, d)) => {
                            crc = Some(c);
                            desc = Some(d);
                            Some(n)
                        }
                        None => self.central_size(ctx, l.offset)?,
                    },
                };
                if let Some(n) = len {
                    self.scan_window(ctx, &name, l.data_off, STORED, n, declared_usize, crc)?;
                }
                len
            }
            DEFLATED => {
                let window = known.unwrap_or(limit.saturating_sub(l.data_off));
                // Without a size the window runs to the directory; the deflate stream ends first.
                let overlap = match known {
                    Some(n) => overlap(self.dir.as_ref(), &self.walked, l.data_off, n),
                    None => Overlap::No,
                };
                let idx = self.scan(
                    ctx,
                    View {
                        name: name.clone(),
                        data_off: l.data_off,
                        method: DEFLATED,
                        window,
                        declared_usize,
                        crc: None,
                        overlap,
                    },
                )?;
                let ended = idx
                    .and_then(|i| self.scanned.get(i))
                    .and_then(|s| s.finished.then_some(s.consumed));
                match known.or(ended) {
                    Some(n) => Some(n),
                    None => self.central_size(ctx, l.offset)?,
                }
            }
            m if decoded_method(m) => {
                let len = match known {
                    Some(n) => Some(n),
                    None => self.central_size(ctx, l.offset)?,
                };
                if let Some(n) = len {
                    self.scan_window(ctx, &name, l.data_off, m, n, declared_usize, None)?;
                }
                len
            }
            m => {
                self.unsupported(ctx, &name, l.offset, m);
                match known {
                    Some(n) => Some(n),
                    None => self.central_size(ctx, l.offset)?,
                }
            }
        };
        let Some(data_len) = data_len else {
            ctx.report(
                Code::ZipMalformed,
                Some(l.offset),
                format!(
                    "the end of {name:?} cannot be found (no sizes in its local header, no data descriptor, no central directory entry); the local headers after it were not walked"
                ),
            );
            self.push_walked(l, None);
            return Ok(None);
        };
        let Some(mut end) = l.data_off.checked_add(data_len) else {
            self.push_walked(l, desc);
            return Ok(None);
        };
        if l.flags & FLAG_DESCRIPTOR != 0 {
            if desc.is_none() {
                desc = read_descriptor(self.src, end, l.zip64, Some(data_len))?;
            }
            match desc {
                Some(d) => end = end.saturating_add(d.len),
                None => ctx.report(
                    Code::ZipMalformed,
                    Some(end),
                    format!("the data descriptor of {name:?} is missing (the file ends)"),
                ),
            }
        }
        // A sequential reader goes on after the local view of the member; PyTorch reads the
        // central one. Where they differ (reported), walk on after the longer one.
        if let Some(c) = self.central_end(&l)? {
            end = end.max(c);
        }
        self.push_walked(l, desc);
        Ok(Some(end))
    }

    /// Where a member ends according to the central directory (if it is read and lists it).
    fn central_end(&self, l: &Local) -> io::Result<Option<u64>> {
        let Some(c) = self.central_at(l.offset) else {
            return Ok(None);
        };
        let Some(end) = l.data_off.checked_add(c.csize) else {
            return Ok(None);
        };
        if (l.flags | c.flags) & FLAG_DESCRIPTOR != 0
            && let Some(d) = read_descriptor(self.src, end, l.zip64, Some(c.csize))?
        {
            return Ok(Some(end.saturating_add(d.len)));
        }
        Ok(Some(end))
    }

    /// The compressed size the central directory gives the member at `offset`.
    fn central_size(&mut self, ctx: &mut Ctx, offset: u64) -> io::Result<Option<u64>> {
        self.ensure_dir(ctx, None)?;
        Ok(self.central_at(offset).map(|c| c.csize))
    }

    /// Scans `n` bytes of member data at `data_off`, stored or compressed with a method
    /// decoded into memory.
    #[allow(clippy::too_many_arguments)]
    fn scan_window(
        &mut self,
        ctx: &mut Ctx,
        name: &str,
        data_off: u64,
        method: u16,
        n: u64,
        declared_usize: Option<u64>,
        crc: Option<u32>,
    ) -> io::Result<Option<usize>> {
        let overlap = overlap(self.dir.as_ref(), &self.walked, data_off, n);
        self.scan(
            ctx,
            View {
                name: name.to_owned(),
                data_off,
                method,
                window: n,
                declared_usize,
                crc,
                overlap,
            },
        )
    }

    fn push_walked(&mut self, local: Local, desc: Option<Descriptor>) {
        self.walked_at
            .entry(local.offset)
            .or_insert(self.walked.len());
        self.walked.push(Walked {
            local,
            desc: desc.map(Box::new),
        });
    }

    pub(super) fn unsupported(&mut self, ctx: &mut Ctx, name: &str, off: u64, method: u16) {
        ctx.report(
            Code::ZipMalformed,
            Some(off),
            format!(
                "{name:?} uses compression method {method} ({}), which aibom does not decompress; it was not inspected",
                method_name(method)
            ),
        );
    }
}
