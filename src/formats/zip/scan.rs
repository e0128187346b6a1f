//! Member content: each view of a member's data (as the local header, the central directory or
//! the walk sees it) scanned once, stored members as windows on the source, deflated ones through
//! [`Inflate`], bzip2, LZMA and zstd ones decoded into memory; the CRC-32 and size of what they
//! hold; and where members overlap.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Dir;
use super::inflate::{CrcTracker, Inflate, Stop, decode_member, finish_crc};
use super::records::{DEFLATED, EOCD_LEN, STORED, decoded_method, method_name};
use super::walk::Walked;
use super::{Ctx, Member, Zip};
use crate::detect::{self, Format};
use crate::finding::{Code, Evidence};
use crate::formats::member::{
    CHUNK, inspect_member, inspect_streamed, is_pickle, needs_content, read_capped,
};
use crate::source::{Source, Window};
use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

/// One member's bytes as scanned (one per distinct view of the data).
pub(super) struct Scanned {
    /// Bytes of (compressed) data the view covers.
    pub(super) window: u64,
    /// Bytes of data read (deflate: consumed by the inflater).
    pub(super) consumed: u64,
    /// Deflate: the stream ended.
    pub(super) finished: bool,
    /// The data ran out (end of the view or of the file) before the content did.
    input_ended: bool,
    /// Index of the member's entry in `ctx.facts.members`.
    pub(super) fact: usize,
    /// Bytes of (decompressed) content produced.
    pub(super) out_len: u64,
    /// CRC-32 of the whole content, when computed.
    pub(super) crc: Option<u32>,
    /// The whole content was produced (not truncated, capped or corrupt).
    pub(super) complete: bool,
    pub(super) format: Format,
    /// The next view of the same data, if any.
    pub(super) next: Option<usize>,
}

/// A view of a member's data to scan.
pub(super) struct View {
    pub(super) name: String,
    pub(super) data_off: u64,
    pub(super) method: u16,
    pub(super) window: u64,
    pub(super) declared_usize: Option<u64>,
    /// CRC already computed while finding the member's end.
    pub(super) crc: Option<u32>,
    pub(super) overlap: Overlap,
}

/// Whether a member's data overlaps other zip structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overlap {
    No,
    /// It holds another member's local header.
    Member,
    /// It runs into the central directory or the end records.
    Directory,
}

/// Where the data `[data_off, data_off + window)` of a member overlaps other
/// structures. Members never overlap in a well-formed archive; when they do, loaders read the
/// shared bytes once per member, and nested archives in them could make the scan's work grow
/// with the product of the entry counts of every level: such members are scanned without
/// opening archives inside them.
pub(super) fn overlap(dir: Option<&Dir>, walked: &[Walked], data_off: u64, window: u64) -> Overlap {
    let end = data_off.saturating_add(window);
    // Offsets are sorted (the walk goes forward); a member's own header lies before its data.
    if let Some(d) = dir {
        let i = d.offsets.partition_point(|o| *o < data_off);
        if d.offsets.get(i).is_some_and(|o| *o < end) {
            return Overlap::Member;
        }
    }
    let i = walked.partition_point(|w| w.local.offset < data_off);
    if walked.get(i).is_some_and(|w| w.local.offset < end) {
        return Overlap::Member;
    }
    if let Some(e) = dir.and_then(|d| d.eocd) {
        let tail_end = e.end.max(e.offset.saturating_add(EOCD_LEN));
        if data_off < tail_end && e.cd_offset < end {
            return Overlap::Directory;
        }
    }
    Overlap::No
}

impl Zip<'_> {
    /// Scans a view of a member's data unless the same bytes were scanned already; returns the
    /// index of the result.
    pub(super) fn scan(&mut self, ctx: &mut Ctx, v: View) -> io::Result<Option<usize>> {
        match v.overlap {
            Overlap::No => {}
            Overlap::Member => ctx.report(
                Code::ZipBomb,
                Some(v.data_off),
                format!(
                    "the data of {:?} holds other members' headers: members overlap, so loaders read the same bytes once per member (the overlapping-member zip bomb technique); archives inside such members are not opened",
                    v.name
                ),
            ),
            Overlap::Directory => ctx.report(
                Code::ZipMalformed,
                Some(v.data_off),
                format!(
                    "the data of {:?} runs into the central directory; archives inside it are not opened",
                    v.name
                ),
            ),
        }
        let mut next = self
            .scanned_at
            .get(&(v.data_off, v.method))
            .map(|&(first, _)| first);
        while let Some(i) = next {
            let Some(s) = self.scanned.get(i) else {
                break;
            };
            next = s.next;
            // The inflater's output depends only on the input it consumed: a view that holds
            // all of it gives the same result.
            let same = s.window == v.window
                || (v.method == DEFLATED && !s.input_ended && s.consumed <= v.window);
            if same {
                if !s.complete
                    && let (Some(size), Some(m)) =
                        (v.declared_usize, ctx.facts.members.get_mut(s.fact))
                {
                    m.size = size;
                }
                return Ok(Some(i));
            }
        }
        if v.method != STORED && v.method != DEFLATED && !decoded_method(v.method) {
            return Ok(None);
        }
        // The member's facts go before those of anything nested in it.
        let fact = ctx.facts.members.len();
        ctx.facts.members.push(Member {
            name: self.full_name(&v.name),
            size: v.declared_usize.unwrap_or(v.window),
            format: Format::Unknown,
        });
        let mut s = match v.method {
            STORED => self.scan_stored(ctx, &v)?,
            DEFLATED => self.scan_deflated(ctx, &v)?,
            _ => self.scan_decoded(ctx, &v)?,
        };
        s.fact = fact;
        if let Some(m) = ctx.facts.members.get_mut(fact) {
            if s.complete || v.declared_usize.is_none() {
                m.size = s.out_len;
            }
            m.format = s.format;
        }
        let idx = self.scanned.len();
        match self.scanned_at.get_mut(&(v.data_off, v.method)) {
            Some((_, last)) => {
                let prev = std::mem::replace(last, idx);
                if let Some(p) = self.scanned.get_mut(prev) {
                    p.next = Some(idx);
                }
            }
            None => {
                self.scanned_at.insert((v.data_off, v.method), (idx, idx));
            }
        }
        self.scanned.push(s);
        Ok(Some(idx))
    }

    fn truncated(&self, ctx: &mut Ctx, v: &View) {
        let avail = self.len.saturating_sub(v.data_off);
        if v.window > avail {
            ctx.report_with(
                Code::ZipMalformed,
                Code::ZipMalformed.default_severity(),
                Some(v.data_off),
                format!(
                    "{:?} is truncated: {} bytes of data declared, {avail} present",
                    v.name, v.window
                ),
                Evidence::mismatch(v.window.to_string(), avail.to_string()),
            );
        }
    }

    fn scan_stored(&mut self, ctx: &mut Ctx, v: &View) -> io::Result<Scanned> {
        self.truncated(ctx, v);
        let win = Window::new(self.src, v.data_off, v.window);
        let n = win.len();
        let mut s = Scanned {
            window: v.window,
            consumed: n,
            finished: true,
            input_ended: n < v.window,
            fact: 0,
            out_len: n,
            crc: None,
            complete: n == v.window,
            format: Format::Empty,
            next: None,
        };
        if n == 0 {
            // Directories and empty files: nothing to scan.
            s.crc = Some(0);
            return Ok(s);
        }
        // While the walk is sequential, the member's bytes are next in the hash pass: read them
        // for the CRC now, in order, before the inspection's head and tail reads jump ahead.
        let early = match v.crc {
            Some(c) => Some(c),
            None if self.sequential => Some(finish_crc(&win, flate2::Crc::new(), 0)?),
            None => None,
        };
        let tracked = CrcTracker::new(&win);
        let entered = inspect_member(ctx, &tracked, &v.name, v.overlap != Overlap::No)?;
        s.format = match entered {
            Some(f) => f,
            None => detect::detect(&win.read_vec(0, detect::HEAD_LEN)?, n, &v.name),
        };
        let (crc, pos) = tracked.state.into_inner();
        s.crc = match early {
            Some(c) => Some(c),
            None if pos >= n => Some(crc.sum()),
            // Out of order, a large stored member (tensor data) would cost a second full read of
            // its bytes just for the CRC. Those bytes are covered by the file's SHA-256, and what
            // a loader executes (pickles) is always checked.
            None if n <= ctx.limits.max_in_memory || is_pickle(s.format) => {
                Some(finish_crc(&win, crc, pos)?)
            }
            None => None,
        };
        Ok(s)
    }

    /// bzip2, LZMA and zstd members: decompressed into memory (up to the in-memory and
    /// decompression caps) and inspected like a stored member.
    fn scan_decoded(&mut self, ctx: &mut Ctx, v: &View) -> io::Result<Scanned> {
        self.truncated(ctx, v);
        let limits = ctx.limits;
        let per_file_left = limits
            .max_decompressed_total
            .saturating_sub(ctx.decompressed);
        let cap = limits
            .max_decompressed
            .min(per_file_left)
            .min(limits.max_in_memory);
        let win = Window::new(self.src, v.data_off, v.window);
        let method = method_name(v.method);
        let mut s = Scanned {
            window: v.window,
            consumed: win.len(),
            finished: true,
            input_ended: win.len() < v.window,
            fact: 0,
            out_len: 0,
            crc: None,
            complete: false,
            format: Format::Unknown,
            next: None,
        };
        let mut data = Vec::new();
        let failed = Rc::new(Cell::new(false));
        let read = decode_member(&win, v.method, v.declared_usize, cap, &mut data, &failed);
        ctx.spend_decompressed(data.len() as u64);
        match read {
            Ok(()) if data.len() as u64 > cap => {
                ctx.report(
                    Code::ArchiveDepthExceeded,
                    Some(v.data_off),
                    format!(
                        "{:?} ({method}) expands past {cap} bytes, the most a {method} member is decompressed into memory; its content was not inspected",
                        v.name
                    ),
                );
                s.out_len = data.len() as u64;
                return Ok(s);
            }
            Ok(()) => {}
            Err(e) if !failed.get() => {
                ctx.report(
                    Code::ZipMalformed,
                    Some(v.data_off),
                    format!(
                        "the {method} data of {:?} is corrupt: {e}; it was not inspected",
                        v.name
                    ),
                );
                s.out_len = data.len() as u64;
                return Ok(s);
            }
            Err(e) => return Err(e),
        }
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        s.crc = Some(crc.sum());
        s.out_len = data.len() as u64;
        s.complete = true;
        s.format = if data.is_empty() {
            Format::Empty
        } else {
            match inspect_member(ctx, &data, &v.name, v.overlap != Overlap::No)? {
                Some(f) => f,
                None => detect::detect(
                    data.get(..detect::HEAD_LEN).unwrap_or(&data),
                    data.len() as u64,
                    &v.name,
                ),
            }
        };
        Ok(s)
    }

    fn scan_deflated(&mut self, ctx: &mut Ctx, v: &View) -> io::Result<Scanned> {
        self.truncated(ctx, v);
        let limits = ctx.limits;
        let per_file_left = limits
            .max_decompressed_total
            .saturating_sub(ctx.decompressed);
        let cap = limits.max_decompressed.min(per_file_left);
        let mem = limits.max_in_memory;
        let win = Window::new(self.src, v.data_off, v.window);
        let mut inf = Inflate::new(&win, cap, limits);

        // Small (or undeclared) members are decompressed into memory and inspected as a whole;
        // larger ones only as a pickle stream.
        let declared_large = v.declared_usize.is_some_and(|d| d > mem);
        let first = if declared_large {
            detect::HEAD_LEN as u64
        } else {
            mem.saturating_add(1)
        };
        let mut buf = Vec::new();
        read_capped(&mut inf, &mut buf, first)?;
        let format = if (buf.len() as u64) < first {
            if buf.is_empty() {
                Format::Empty
            } else {
                let entered = inspect_member(ctx, &buf, &v.name, v.overlap != Overlap::No)?;
                match entered {
                    Some(f) => f,
                    None => detect::detect(&buf, buf.len() as u64, &v.name),
                }
            }
        } else {
            let head = buf.get(..detect::HEAD_LEN).unwrap_or(&buf);
            let det = detect::detect(head, v.declared_usize.unwrap_or(u64::MAX), &v.name);
            if matches!(det, Format::Pickle | Format::PytorchLegacy | Format::Tar) {
                let mut r = BufReader::with_capacity(CHUNK, io::Cursor::new(buf).chain(&mut inf));
                // Read again from the start through a new inflater, when needed.
                let mut reopen = || -> io::Result<Box<dyn io::BufRead + '_>> {
                    let again = Inflate::new(&win, cap, limits);
                    Ok(Box::new(BufReader::with_capacity(CHUNK, again)))
                };
                let entered = inspect_streamed(ctx, &v.name, det, &mut r, Some(&mut reopen))?;
                // The rest, for the CRC, the size and the end of the stream.
                io::copy(&mut r, &mut io::sink())?;
                entered.unwrap_or(det)
            } else {
                if needs_content(det) {
                    ctx.report(
                        Code::ArchiveDepthExceeded,
                        Some(v.data_off),
                        format!(
                            "{:?} is deflated, larger than {mem} bytes and not a pickle: its {} content was not inspected",
                            v.name,
                            det.describe()
                        ),
                    );
                }
                det
            }
        };
        ctx.spend_decompressed(inf.out);
        match &inf.stop {
            Some(Stop::Cap) => {
                let why = if cap < limits.max_decompressed {
                    format!(
                        "the per-file decompression budget ({} bytes) is spent",
                        limits.max_decompressed_total
                    )
                } else {
                    format!("it expands past {cap} bytes")
                };
                ctx.report(
                    Code::ZipBomb,
                    Some(v.data_off),
                    format!(
                        "{:?}: {why}; decompression stopped there and the first {} bytes were scanned",
                        v.name, inf.out
                    ),
                );
            }
            Some(Stop::Ratio) => ctx.report(
                Code::ZipBomb,
                Some(v.data_off),
                format!(
                    "{:?} expands more than {}:1 ({} bytes from {}); decompression stopped there and what it produced was scanned",
                    v.name,
                    limits.max_ratio,
                    inf.out,
                    inf.z.total_in()
                ),
            ),
            Some(Stop::Corrupt(e)) => ctx.report(
                Code::ZipMalformed,
                Some(v.data_off),
                format!(
                    "the deflate data of {:?} is corrupt after {} bytes of output: {e}",
                    v.name, inf.out
                ),
            ),
            None if inf.truncated => ctx.report(
                Code::ZipMalformed,
                Some(v.data_off),
                format!(
                    "the deflate data of {:?} ends before its stream does ({} bytes of output)",
                    v.name, inf.out
                ),
            ),
            None => {}
        }
        let complete = inf.finished && inf.stop.is_none();
        Ok(Scanned {
            window: v.window,
            consumed: inf.z.total_in(),
            finished: inf.finished,
            input_ended: inf.truncated,
            fact: 0,
            out_len: inf.out,
            crc: complete.then(|| inf.crc.sum()),
            complete,
            format,
            next: None,
        })
    }
}
