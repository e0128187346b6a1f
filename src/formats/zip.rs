//! Zip archives: PyTorch checkpoints (`torch.save`), TorchScript (`torch.jit.save`), NumPy
//! `.npz`, Keras v3 and plain zips.
//!
//! A zip has two descriptions of its members: the local file headers in front of each member's
//! data, and the central directory at the end. Loaders disagree on which one they trust and on
//! how strict they are: PyTorch's miniz-based reader takes names, sizes and offsets from the
//! central directory, ignores CRCs and flag bits, and reads names that Python's `zipfile`
//! rejects; sequential readers see only the local headers. A scanner that reads one view, or
//! gives up where `zipfile` gives up, misses what a loader sees (CVE-2025-1944, -1945, -10156).
//!
//! So this parser reads both views and scans every member either of them shows:
//!
//! 1. It walks the local headers in order from the start of the archive. This is a forward,
//!    sequential read: for a file being hashed ([`crate::digest::HashingFile`]) it is the hash
//!    pass itself, so members are scanned and CRC-checked without a second read of the file.
//! 2. It reads the central directory (found from its end record, zip64 included) and matches
//!    its entries to the local headers by offset. Entries that only one view has, fields the
//!    two views disagree on, duplicate names, unsafe names, flag bits, CRCs, broken structure
//!    and bytes that belong to no member are findings; every member is scanned regardless,
//!    as PyTorch would read it.
//! 3. Member bytes go through [`super::inspect_source`], so each member is detected by content,
//!    whatever its name (a pickle named `weights.txt` is a pickle), and nested archives are
//!    inspected recursively up to [`Limits::max_depth`]. Stored members are windows on the
//!    source (no copy); deflated ones are decompressed through a hard cap on size and ratio.
//!
//! Every offset and size read from the file is untrusted: arithmetic is checked, reads are
//! bounded by the source, allocations by the limits, and every loop advances.
//!
//! [`Limits::max_depth`]: crate::limits::Limits::max_depth
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::compressed::Tagged;
use super::member::{
    CHUNK, MAX_NAME, escapes, inspect_member, inspect_streamed, is_pickle, needs_content,
    read_capped,
};
use super::{Ctx, Member, torchscript};
use crate::detect::{self, Format};
use crate::finding::{Code, Evidence};
use crate::source::{Source, SourceReader, Window};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const Z64_EOCD_SIG: u32 = 0x0606_4b50;
const Z64_LOCATOR_SIG: u32 = 0x0706_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

const LOCAL_LEN: u64 = 30;
const CENTRAL_LEN: usize = 46;
const EOCD_LEN: u64 = 22;
const Z64_EOCD_LEN: u64 = 56;
const Z64_LOCATOR_LEN: u64 = 20;
const MAX_COMMENT: u64 = 0xffff;
/// End-record signatures examined from the end of a file before giving up.
const MAX_EOCD_CANDIDATES: usize = 32;

const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_MASKED_HEADERS: u16 = 1 << 13;
const FLAGS_ENCRYPTION: u16 = FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS;

const STORED: u16 = 0;
const DEFLATED: u16 = 8;
const BZIP2: u16 = 12;
const LZMA: u16 = 14;
const ZSTD: u16 = 93;

/// Methods Python's zipfile (and NumPy, Keras through it) also reads: 12 bzip2, 14 LZMA,
/// 93 zstd (3.14). Members using them are decompressed into memory and inspected.
fn decoded_method(m: u16) -> bool {
    matches!(m, BZIP2 | LZMA | ZSTD)
}

/// The end-of-central-directory record and what it says about the archive's layout.
#[derive(Debug, Clone, Copy)]
pub struct Eocd {
    /// Offset of the end record.
    pub offset: u64,
    /// Offset just past the record and its declared comment (past the end of a truncated file).
    pub end: u64,
    /// Absolute offset of the central directory.
    pub cd_offset: u64,
    /// Declared size of the central directory.
    pub cd_size: u64,
    /// Declared number of entries.
    pub entries: u64,
    /// Bytes in front of the archive: offsets recorded in the archive are relative to this
    /// (0 for a plain zip; the prefix length for data prepended to a zip, as Python's `zipfile`
    /// computes it).
    pub base: u64,
    /// Offset of the zip64 end record, when the archive uses one.
    pub zip64: Option<u64>,
    /// Where the central directory should end: the zip64 end record or this record.
    pub tail: u64,
    /// The disk fields describe a multi-disk (spanned) archive.
    pub multi_disk: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Finds the end-of-central-directory record in the last 64 KiB + 22 bytes of src (None if
/// absent/not plausible).
///
/// This runs on every file and member (to find zips hidden behind other content), so it reads
/// only the tail and accepts a record only when the central directory it describes lies within
/// the file and starts with a central header signature (or the archive is empty and the record
/// ends the file). Like Python's `zipfile`, it accepts a directory shifted by data prepended to
/// the archive ([`Eocd::base`]).
pub fn find_eocd(src: &dyn Source) -> io::Result<Option<Eocd>> {
    let len = src.len();
    if len < EOCD_LEN {
        return Ok(None);
    }
    let tail_len = len.min(EOCD_LEN + MAX_COMMENT);
    let tail_start = len.saturating_sub(tail_len); // tail_len <= len
    let tail = src.read_vec(tail_start, to_usize(tail_len))?;
    let sig = EOCD_SIG.to_le_bytes();
    let last = tail.len().saturating_sub(EOCD_LEN as usize);
    let mut tried = 0usize;
    for i in (0..=last).rev() {
        if tail.get(i..i.saturating_add(4)) != Some(&sig[..]) {
            continue;
        }
        tried = tried.saturating_add(1);
        let rec = tail.get(i..).unwrap_or_default();
        if let Some(e) = parse_eocd(src, tail_start.saturating_add(i as u64), rec)? {
            return Ok(Some(e));
        }
        if tried >= MAX_EOCD_CANDIDATES {
            break;
        }
    }
    Ok(None)
}

/// Validates the end record at `off` (`rec` holds it and what follows, up to the file's end).
fn parse_eocd(src: &dyn Source, off: u64, rec: &[u8]) -> io::Result<Option<Eocd>> {
    let len = src.len();
    let fields = (
        u16_at(rec, 4),
        u16_at(rec, 6),
        u16_at(rec, 8),
        u16_at(rec, 10),
        u32_at(rec, 12),
        u32_at(rec, 16),
        u16_at(rec, 20),
    );
    let (
        Some(disk),
        Some(cd_disk),
        Some(disk_entries),
        Some(entries),
        Some(cd_size),
        Some(cd_rel),
        Some(comment),
    ) = fields
    else {
        return Ok(None);
    };
    let mut entries = u64::from(entries);
    let mut cd_size = u64::from(cd_size);
    let mut cd_rel = u64::from(cd_rel);
    let mut multi_disk = disk != 0 || cd_disk != 0 || disk_entries != entries as u16;
    let mut tail = off;
    let mut zip64 = None;

    // zip64: a locator right before the end record points at the zip64 end record. Python
    // expects that record right before the locator, miniz where the locator says: try both.
    if let Some(loc_off) = off.checked_sub(Z64_LOCATOR_LEN) {
        let loc = src.read_vec(loc_off, Z64_LOCATOR_LEN as usize)?;
        if u32_at(&loc, 0) == Some(Z64_LOCATOR_SIG) {
            let declared = u64_at(&loc, 8);
            let disks = u32_at(&loc, 16).unwrap_or(0);
            let before = loc_off.checked_sub(Z64_EOCD_LEN);
            for cand in [before, declared].into_iter().flatten() {
                if cand.checked_add(Z64_EOCD_LEN).is_none_or(|e| e > loc_off) {
                    continue;
                }
                let r = src.read_vec(cand, Z64_EOCD_LEN as usize)?;
                if u32_at(&r, 0) != Some(Z64_EOCD_SIG) {
                    continue;
                }
                let (Some(e), Some(s), Some(o)) = (u64_at(&r, 32), u64_at(&r, 40), u64_at(&r, 48))
                else {
                    continue;
                };
                entries = e;
                cd_size = s;
                cd_rel = o;
                multi_disk |= u32_at(&r, 16) != Some(0) || u32_at(&r, 20) != Some(0) || disks > 1;
                tail = cand;
                zip64 = Some(cand);
                break;
            }
        }
    }

    // `off` is inside the file; the rest is at most 64 KiB.
    let end = off
        .saturating_add(EOCD_LEN)
        .saturating_add(u64::from(comment));
    // Python's layout: the directory ends right before the end records and every recorded
    // offset is shifted by whatever precedes the archive. Then the recorded offsets as they are.
    let mut layouts = Vec::with_capacity(2);
    if let Some(start) = tail.checked_sub(cd_size)
        && let Some(base) = start.checked_sub(cd_rel)
    {
        layouts.push((start, base));
    }
    if cd_rel.checked_add(cd_size).is_some_and(|e| e <= tail) {
        layouts.push((cd_rel, 0));
    }
    for (start, base) in layouts {
        let plausible = if entries == 0 && cd_size == 0 {
            // An empty archive: only when the record ends the file exactly.
            end == len && !multi_disk
        } else {
            let s = src.read_vec(start, 4)?;
            u32_at(&s, 0) == Some(CENTRAL_SIG)
        };
        if plausible {
            return Ok(Some(Eocd {
                offset: off,
                end,
                cd_offset: start,
                cd_size,
                entries,
                base,
                zip64,
                tail,
                multi_disk,
            }));
        }
    }
    Ok(None)
}

/// A local file header.
#[derive(Debug, Clone)]
struct Local {
    /// Absolute offset of the header.
    offset: u64,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    /// The name (at most [`MAX_NAME`] bytes of it); shared by a member's local header and
    /// directory entry when they agree.
    name: Rc<[u8]>,
    /// The name's full length (a 16-bit field).
    name_len: u16,
    /// Absolute offset of the member's data.
    data_off: u64,
    zip64: bool,
}

impl Local {
    // With bit 3 the sizes and CRC follow the data (in a data descriptor) and the header holds
    // zeros for them (Info-ZIP's `-fd` keeps the uncompressed size): a zero there is unknown.
    fn csize_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.csize != 0
    }
    fn usize_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.usize != 0
    }
    fn crc_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.crc != 0
    }
}

enum LocalRead {
    NotHere,
    Truncated,
    Found(Local),
}

/// The data descriptor that follows a member's data when flag bit 3 is set.
#[derive(Debug, Clone, Copy)]
struct Descriptor {
    crc: u32,
    csize: u64,
    usize: u64,
    /// Its length in the file.
    len: u64,
}

/// A central directory entry.
#[derive(Debug, Clone)]
struct Central {
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    /// The name (at most [`MAX_NAME`] bytes of it); shared by a member's local header and
    /// directory entry when they agree.
    name: Rc<[u8]>,
    /// The name's full length (a 16-bit field).
    name_len: u16,
    /// Absolute offset of the local header it points at.
    local_off: u64,
}

/// The central directory as read (possibly absent or broken).
#[derive(Default)]
struct Dir {
    eocd: Option<Eocd>,
    entries: Vec<Central>,
    /// The first entry index at each local header offset.
    at: HashMap<u64, usize>,
    /// Local header offsets, sorted.
    offsets: Vec<u64>,
    /// Found and parsed without structural errors: "not in the directory" means something.
    complete: bool,
}

/// A local header found by the sequential walk.
struct Walked {
    local: Local,
    /// Boxed: most members have none, and one is kept per member walked.
    desc: Option<Box<Descriptor>>,
}

/// One member's bytes as scanned (one per distinct view of the data).
struct Scanned {
    /// Bytes of (compressed) data the view covers.
    window: u64,
    /// Bytes of data read (deflate: consumed by the inflater).
    consumed: u64,
    /// Deflate: the stream ended.
    finished: bool,
    /// The data ran out (end of the view or of the file) before the content did.
    input_ended: bool,
    /// Index of the member's entry in `ctx.facts.members`.
    fact: usize,
    /// Bytes of (decompressed) content produced.
    out_len: u64,
    /// CRC-32 of the whole content, when computed.
    crc: Option<u32>,
    /// The whole content was produced (not truncated, capped or corrupt).
    complete: bool,
    format: Format,
    /// The next view of the same data, if any.
    next: Option<usize>,
}

/// A view of a member's data to scan.
struct View {
    name: String,
    data_off: u64,
    method: u16,
    window: u64,
    declared_usize: Option<u64>,
    /// CRC already computed while finding the member's end.
    crc: Option<u32>,
    overlap: Overlap,
}

/// Whether a member's data overlaps other zip structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlap {
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
fn overlap(dir: Option<&Dir>, walked: &[Walked], data_off: u64, window: u64) -> Overlap {
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

fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

fn method_name(m: u16) -> &'static str {
    match m {
        0 => "stored",
        1 => "shrunk",
        6 => "imploded",
        8 => "deflate",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        93 => "zstd",
        95 => "xz",
        98 => "ppmd",
        99 => "AES-encrypted",
        _ => "unknown",
    }
}

/// The data of extra field `id` in an extra block.
fn extra_field(extra: &[u8], id: u16) -> Option<&[u8]> {
    let mut i = 0usize;
    // Indices into `extra` plus at most 64 KiB: they cannot overflow.
    while let (Some(fid), Some(size)) = (u16_at(extra, i), u16_at(extra, i.saturating_add(2))) {
        let start = i.saturating_add(4);
        let end = start.saturating_add(usize::from(size));
        let data = extra.get(start..end)?;
        if fid == id {
            return Some(data);
        }
        i = end;
    }
    None
}

fn read_local(src: &dyn Source, off: u64) -> io::Result<LocalRead> {
    let h = src.read_vec(off, LOCAL_LEN as usize)?;
    if u32_at(&h, 0) != Some(LOCAL_SIG) {
        return Ok(LocalRead::NotHere);
    }
    let fields = (
        u16_at(&h, 6),
        u16_at(&h, 8),
        u32_at(&h, 14),
        u32_at(&h, 18),
        u32_at(&h, 22),
        u16_at(&h, 26),
        u16_at(&h, 28),
    );
    let (Some(flags), Some(method), Some(crc), Some(csize), Some(usize), Some(nlen), Some(xlen)) =
        fields
    else {
        return Ok(LocalRead::Truncated);
    };
    let (nlen, xlen) = (usize::from(nlen), usize::from(xlen));
    let var_len = nlen.saturating_add(xlen); // two u16 lengths
    let var = src.read_vec(off.saturating_add(LOCAL_LEN), var_len)?;
    if var.len() < var_len {
        return Ok(LocalRead::Truncated);
    }
    let (name, extra) = var.split_at(nlen);
    let Some(data_off) = off.checked_add(LOCAL_LEN.saturating_add(var_len as u64)) else {
        return Ok(LocalRead::Truncated);
    };
    let mut l = Local {
        offset: off,
        flags,
        method,
        crc,
        csize: u64::from(csize),
        usize: u64::from(usize),
        name: name.get(..MAX_NAME).unwrap_or(name).into(),
        name_len: u16::try_from(nlen).unwrap_or(u16::MAX),
        data_off,
        zip64: false,
    };
    if let Some(z) = extra_field(extra, 1) {
        l.zip64 = true;
        // The zip64 values count where the 32-bit fields are 0xFFFFFFFF. In a local header the
        // field should hold both sizes; tolerate writers that store only the one that overflows.
        if usize == u32::MAX {
            l.usize = u64_at(z, 0).unwrap_or(l.usize);
        }
        if csize == u32::MAX {
            let at = if z.len() >= 16 || usize == u32::MAX {
                8
            } else {
                0
            };
            l.csize = u64_at(z, at).unwrap_or(l.csize);
        }
    }
    Ok(LocalRead::Found(l))
}

fn known_sig(s: Option<u32>) -> bool {
    matches!(
        s,
        Some(LOCAL_SIG | CENTRAL_SIG | EOCD_SIG | Z64_EOCD_SIG | DESCRIPTOR_SIG)
    )
}

/// Reads the data descriptor at `at`: optional signature, CRC, then 4- or 8-byte sizes. The
/// size width is not recorded anywhere reliable, so the form that matches the expected size,
/// is followed by another zip structure, or matches the zip64 hint wins.
fn read_descriptor(
    src: &dyn Source,
    at: u64,
    zip64: bool,
    expect_csize: Option<u64>,
) -> io::Result<Option<Descriptor>> {
    let b = src.read_vec(at, 28)?;
    let o = if u32_at(&b, 0) == Some(DESCRIPTOR_SIG) {
        4
    } else {
        0
    };
    let Some(crc) = u32_at(&b, o) else {
        return Ok(None);
    };
    let at_end = |n: usize| at.saturating_add(n as u64) >= src.len();
    let mut best: Option<(u32, Descriptor)> = None;
    let forms = [
        (
            false,
            u32_at(&b, o.saturating_add(4)).map(u64::from),
            u32_at(&b, o.saturating_add(8)).map(u64::from),
            o.saturating_add(12),
        ),
        (
            true,
            u64_at(&b, o.saturating_add(4)),
            u64_at(&b, o.saturating_add(12)),
            o.saturating_add(20),
        ),
    ];
    for (wide, cs, us, n) in forms {
        let (Some(csize), Some(usize)) = (cs, us) else {
            continue;
        };
        // One bit per criterion, the most telling highest.
        let mut score = 0u32;
        if expect_csize == Some(csize) {
            score |= 4;
        }
        if known_sig(u32_at(&b, n)) || at_end(n) {
            score |= 2;
        }
        if wide == zip64 {
            score |= 1;
        }
        let d = Descriptor {
            crc,
            csize,
            usize,
            len: n as u64,
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, d));
        }
    }
    Ok(best.map(|(_, d)| d))
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

/// Finishes a CRC-32 over `src[pos..]`.
fn finish_crc(src: &dyn Source, mut crc: flate2::Crc, pos: u64) -> io::Result<u32> {
    let mut r = SourceReader::new(src, pos);
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        crc.update(buf);
        r.consume(n);
    }
    Ok(crc.sum())
}

/// A source that computes the CRC-32 of its bytes from the reads its user makes anyway, as long
/// as they go forward contiguously (a detector's head read, a pickle parse, a nested walk).
struct CrcTracker<'a> {
    inner: &'a dyn Source,
    state: RefCell<(flate2::Crc, u64)>,
}

impl<'a> CrcTracker<'a> {
    fn new(inner: &'a dyn Source) -> Self {
        CrcTracker {
            inner,
            state: RefCell::new((flate2::Crc::new(), 0)),
        }
    }
}

impl Source for CrcTracker<'_> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(off, buf)?;
        let mut st = self.state.borrow_mut();
        let (crc, pos) = &mut *st;
        let end = off.saturating_add(n as u64);
        if off <= *pos
            && *pos < end
            && let Some(new) = buf.get(to_usize(pos.saturating_sub(off))..n)
        {
            crc.update(new);
            *pos = end;
        }
        Ok(n)
    }
}

enum Stop {
    Cap,
    Ratio,
    Corrupt(String),
}

/// Raw deflate decompression of a member, with a hard cap on output, a ratio limit and a
/// running CRC. Corrupt data ends the stream (recorded in `stop`); only a failure to read the
/// source is an `Err`.
struct Inflate<'a> {
    input: SourceReader<'a>,
    z: flate2::Decompress,
    crc: flate2::Crc,
    out: u64,
    cap: u64,
    max_ratio: u64,
    ratio_min_output: u64,
    /// The deflate stream ended.
    finished: bool,
    /// The input ended before the deflate stream did.
    truncated: bool,
    stop: Option<Stop>,
}

impl<'a> Inflate<'a> {
    fn new(src: &'a dyn Source, cap: u64, limits: &crate::limits::Limits) -> Self {
        Inflate {
            input: SourceReader::new(src, 0),
            z: flate2::Decompress::new(false),
            crc: flate2::Crc::new(),
            out: 0,
            cap,
            max_ratio: limits.max_ratio,
            ratio_min_output: limits.ratio_min_output,
            finished: false,
            truncated: false,
            stop: None,
        }
    }

    fn done(&self) -> bool {
        self.finished || self.truncated || self.stop.is_some()
    }

    fn step(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut idle = 0u32;
        loop {
            let input = self.input.fill_buf()?;
            let eof = input.is_empty();
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let res = self.z.decompress(input, out, flate2::FlushDecompress::None);
            let used = to_usize(self.z.total_in().saturating_sub(in0));
            let made = to_usize(self.z.total_out().saturating_sub(out0));
            self.input.consume(used);
            match res {
                Ok(flate2::Status::StreamEnd) => self.finished = true,
                Ok(_) => {}
                Err(e) => self.stop = Some(Stop::Corrupt(e.to_string())),
            }
            if made > 0 || self.done() {
                return Ok(made);
            }
            if eof {
                self.truncated = true;
                return Ok(0);
            }
            if used == 0 {
                idle = idle.saturating_add(1);
                if idle > 2 {
                    self.stop = Some(Stop::Corrupt("the inflater makes no progress".into()));
                    return Ok(0);
                }
            }
        }
    }
}

impl Read for Inflate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.done() {
            return Ok(0);
        }
        let room = self.cap.saturating_sub(self.out);
        if room == 0 {
            // One more byte would pass the cap: does the stream go on?
            let mut probe = [0u8; 1];
            if self.step(&mut probe)? > 0 {
                self.stop = Some(Stop::Cap);
            }
            return Ok(0);
        }
        let want = buf.len().min(to_usize(room));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.step(buf)?;
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.out = self.out.saturating_add(n as u64);
        if self.out > self.ratio_min_output
            && self.out > self.max_ratio.saturating_mul(self.z.total_in())
        {
            self.stop = Some(Stop::Ratio);
        }
        Ok(n)
    }
}

/// Decompresses a bzip2 (12), LZMA (14) or zstd (93) member's data into `out`, reading at most
/// `cap` + 1 bytes of output (more than `cap` means the member is larger).
fn decode_member(
    win: &dyn Source,
    method: u16,
    declared: Option<u64>,
    cap: u64,
    out: &mut Vec<u8>,
    failed: &Rc<Cell<bool>>,
) -> io::Result<()> {
    // Dictionary memory of the LZMA decoder is bounded, as for joblib's streams.
    const MEM_LIMIT_KB: u32 = 256 * 1024;
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let limit = cap.saturating_add(1);
    let r = Tagged {
        inner: SourceReader::new(win, 0),
        failed: Rc::clone(failed),
    };
    match method {
        BZIP2 => bzip2::read::MultiBzDecoder::new(r)
            .take(limit)
            .read_to_end(out)
            .map(|_| ()),
        ZSTD => ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| invalid(e.to_string()))?
            .take(limit)
            .read_to_end(out)
            .map(|_| ()),
        LZMA => {
            // The zip LZMA header (APPNOTE 5.8.8): version (2 bytes), size of the properties
            // (2 bytes, 5), the properties (lc/lp/pb, dictionary size). Rewritten as the
            // lzma-alone header the decoder reads: properties, then the uncompressed size, or
            // "unknown" when the stream ends with a marker.
            let head = win.read_vec(0, 4)?;
            let props_len = match head.as_slice() {
                [_, _, a, b] => usize::from(u16::from_le_bytes([*a, *b])),
                _ => return Err(invalid("the LZMA header is truncated".into())),
            };
            if props_len != 5 {
                return Err(invalid(format!(
                    "the LZMA properties are {props_len} bytes, not 5"
                )));
            }
            let props = win.read_vec(4, 5)?;
            if props.len() != 5 {
                return Err(invalid("the LZMA properties are truncated".into()));
            }
            let mut alone = props;
            alone.extend_from_slice(&declared.unwrap_or(u64::MAX).to_le_bytes());
            let body = Tagged {
                inner: SourceReader::new(win, 9),
                failed: Rc::clone(failed),
            };
            let chained = io::Cursor::new(alone).chain(body);
            lzma_rust2::LzmaReader::new_mem_limit(chained, MEM_LIMIT_KB, None)
                .map_err(|e| invalid(e.to_string()))?
                .take(limit)
                .read_to_end(out)
                .map(|_| ())
        }
        m => Err(io::Error::other(format!("method {m} is not decoded"))),
    }
}

/// The state of one archive's inspection.
struct Zip<'s> {
    src: &'s dyn Source,
    len: u64,
    /// The member chain the archive itself sits in, for member facts.
    parent: Option<String>,
    /// None until read.
    dir: Option<Dir>,
    walked: Vec<Walked>,
    walked_at: HashMap<u64, usize>,
    /// The walk reached the directory (or the end) without stopping early.
    walk_complete: bool,
    scanned: Vec<Scanned>,
    /// The first and last scanned view of each (data offset, method); views of the same data
    /// are chained through [`Scanned::next`].
    scanned_at: HashMap<(u64, u16), (usize, usize)>,
    /// Names (as the loader sees them) and the content scanned for each, for the format.
    /// (Raw names shared with the directory entries and local headers; read as text in
    /// [`Zip::refine`].)
    listing: Vec<(Rc<[u8]>, Option<usize>)>,
    /// No read so far went backwards or jumped ahead: member data is read as the hash pass
    /// reads it, so checking even large members' CRCs costs no extra I/O.
    sequential: bool,
}

impl<'s> Zip<'s> {
    fn new(src: &'s dyn Source, ctx: &Ctx) -> Self {
        Zip {
            src,
            len: src.len(),
            parent: ctx.member(),
            dir: None,
            walked: Vec::new(),
            walked_at: HashMap::new(),
            walk_complete: true,
            scanned: Vec::new(),
            scanned_at: HashMap::new(),
            listing: Vec::new(),
            sequential: true,
        }
    }

    fn sig_at(&self, off: u64) -> io::Result<Option<u32>> {
        Ok(u32_at(&self.src.read_vec(off, 4)?, 0))
    }

    /// Where the local headers end: the central directory, or the end of the source.
    fn walk_limit(&self) -> u64 {
        match self.dir.as_ref().and_then(|d| d.eocd) {
            Some(e) => e.cd_offset,
            None => self.len,
        }
    }

    fn central_at(&self, off: u64) -> Option<&Central> {
        let d = self.dir.as_ref()?;
        let i = *d.at.get(&off)?;
        d.entries.get(i)
    }

    // -----------------------------------------------------------------------------------------
    // The central directory

    fn ensure_dir(&mut self, ctx: &mut Ctx, given: Option<Eocd>) -> io::Result<()> {
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
        let mut r = SourceReader::new(&win, 0);
        let mut pos = 0u64;
        let mut dir = Dir {
            eocd: Some(e),
            complete: true,
            ..Dir::default()
        };
        let mut broken = false;
        loop {
            let count = dir.entries.len() as u64;
            if count >= e.entries && pos >= e.cd_size {
                break;
            }
            if dir.entries.len() >= max {
                ctx.report(
                    Code::ZipMalformed,
                    Some(e.cd_offset.saturating_add(pos)),
                    format!(
                        "the central directory has more than {max} entries; the rest were not inspected"
                    ),
                );
                dir.complete = false;
                broken = true;
                break;
            }
            // Inside the file: the directory was found there, `pos` is what was read of it.
            let at = e.cd_offset.saturating_add(pos);
            let mut fixed = [0u8; CENTRAL_LEN];
            match r.read_exact(&mut fixed) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
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
                Err(err) => return Err(err),
            }
            if u32_at(&fixed, 0) != Some(CENTRAL_SIG) {
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
            let g16 = |i| u16_at(&fixed, i).unwrap_or(0);
            let g32 = |i| u32_at(&fixed, i).unwrap_or(0);
            let (nlen, xlen, clen) = (
                usize::from(g16(28)),
                usize::from(g16(30)),
                usize::from(g16(32)),
            );
            let mut var = vec![0u8; nlen.saturating_add(xlen).saturating_add(clen)]; // u16 lengths
            match r.read_exact(&mut var) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
                    ctx.report(
                        Code::ZipMalformed,
                        Some(at),
                        "the central directory is truncated inside an entry",
                    );
                    dir.complete = false;
                    broken = true;
                    break;
                }
                Err(err) => return Err(err),
            }
            pos = pos.saturating_add(CENTRAL_LEN.saturating_add(var.len()) as u64);
            let name = var.get(..nlen.min(MAX_NAME)).unwrap_or_default().to_vec();
            if nlen > MAX_NAME {
                ctx.report(
                    Code::ZipMalformed,
                    Some(at),
                    format!(
                        "a member name is {nlen} bytes long; only its first {MAX_NAME} bytes are shown"
                    ),
                );
            }
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
                            _ => ctx.report(
                                Code::ZipMalformed,
                                Some(at),
                                format!(
                                    "zip64 extra field of {:?} is too short for the sizes it must hold",
                                    lossy(&c.name)
                                ),
                            ),
                        }
                    }
                    None if csize32 == u32::MAX || usize32 == u32::MAX || off32 == u32::MAX => {
                        ctx.report(
                            Code::ZipMalformed,
                            Some(at),
                            format!(
                                "{:?} has 0xFFFFFFFF sizes or offset but no zip64 extra field",
                                lossy(&c.name)
                            ),
                        );
                    }
                    None => {}
                }
            }
            let Some(local_off) = e.base.checked_add(rel) else {
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

    // -----------------------------------------------------------------------------------------
    // The local headers, in order

    fn walk_start(&mut self, ctx: &mut Ctx, polyglot: bool) -> io::Result<u64> {
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

    fn walk(&mut self, ctx: &mut Ctx, start: u64) -> io::Result<()> {
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

    fn unsupported(&mut self, ctx: &mut Ctx, name: &str, off: u64, method: u16) {
        ctx.report(
            Code::ZipMalformed,
            Some(off),
            format!(
                "{name:?} uses compression method {method} ({}), which aibom does not decompress; it was not inspected",
                method_name(method)
            ),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Member content

    /// Scans a view of a member's data unless the same bytes were scanned already; returns the
    /// index of the result.
    fn scan(&mut self, ctx: &mut Ctx, v: View) -> io::Result<Option<usize>> {
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
                let entered = inspect_streamed(ctx, &v.name, det, &mut r)?;
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

    // -----------------------------------------------------------------------------------------
    // Both views together

    fn reconcile(&mut self, ctx: &mut Ctx) -> io::Result<()> {
        let dir = self.dir.take().unwrap_or_default();
        let has_dir = dir.eocd.is_some();
        if has_dir {
            self.listing.reserve_exact(dir.entries.len());
        }
        let mut matched = vec![false; self.walked.len()];
        for c in &dir.entries {
            let name = lossy(&c.name);
            let off = c.local_off;
            self.check_name(ctx, &c.name, off);
            let (local, desc) = match self.walked_at.get(&off) {
                Some(&i) => {
                    if let Some(m) = matched.get_mut(i) {
                        *m = true;
                    }
                    match self.walked.get(i) {
                        Some(w) => (w.local.clone(), w.desc.as_deref().copied()),
                        None => continue,
                    }
                }
                None => match read_local(self.src, off)? {
                    LocalRead::Found(l) => {
                        if self.walk_complete {
                            ctx.report(
                                Code::ZipHiddenEntry,
                                Some(off),
                                format!(
                                    "{name:?} is in the central directory but a sequential reader of the local headers does not reach it (it lies inside another member or the local headers are broken before it)"
                                ),
                            );
                        }
                        let desc = match l.data_off.checked_add(c.csize) {
                            Some(end) if l.flags & FLAG_DESCRIPTOR != 0 => {
                                read_descriptor(self.src, end, l.zip64, Some(c.csize))?
                            }
                            _ => None,
                        };
                        (l, desc)
                    }
                    _ => {
                        ctx.report(
                            Code::ZipHiddenEntry,
                            Some(off),
                            format!(
                                "the central directory lists {name:?} at offset {off}, where there is no local file header; loaders cannot read it and it was not inspected"
                            ),
                        );
                        self.listing.push((Rc::clone(&c.name), None));
                        continue;
                    }
                },
            };
            self.compare(ctx, c, &local, desc.as_ref());
            self.check_flags(ctx, &name, off, c.flags | local.flags);
            if c.method != STORED && c.method != DEFLATED && !decoded_method(c.method) {
                self.unsupported(ctx, &name, off, c.method);
                ctx.facts.members.push(Member {
                    name: self.full_name(&name),
                    size: c.usize,
                    format: Format::Unknown,
                });
                self.listing.push((Rc::clone(&c.name), None));
                continue;
            }
            let overlap = overlap(Some(&dir), &self.walked, local.data_off, c.csize);
            let idx = self.scan(
                ctx,
                View {
                    name: name.clone(),
                    data_off: local.data_off,
                    method: c.method,
                    window: c.csize,
                    declared_usize: Some(c.usize),
                    crc: None,
                    overlap,
                },
            )?;
            if let Some(i) = idx {
                self.check_data(ctx, &name, off, Some(c.crc), Some(c.usize), i);
            }
            self.listing.push((Rc::clone(&c.name), idx));
        }

        // Local headers the directory does not list.
        for (i, w) in self.walked.iter().enumerate() {
            if matched.get(i).copied().unwrap_or(false) {
                continue;
            }
            let l = &w.local;
            let name = lossy(&l.name);
            if has_dir && dir.complete {
                ctx.report(
                    Code::ZipHiddenEntry,
                    Some(l.offset),
                    format!(
                        "the local header of {name:?} at offset {} is not in the central directory: sequential readers see this member, PyTorch and zipfile do not (it was scanned)",
                        l.offset
                    ),
                );
            }
            self.check_name(ctx, &l.name, l.offset);
            self.check_flags(ctx, &name, l.offset, l.flags);
            let (crc, usize) = match w.desc.as_deref() {
                Some(d) => (Some(d.crc), Some(d.usize)),
                None => (
                    l.crc_known().then_some(l.crc),
                    l.usize_known().then_some(l.usize),
                ),
            };
            let idx = self
                .scanned_at
                .get(&(l.data_off, l.method))
                .map(|&(first, _)| first);
            if let Some(idx) = idx {
                self.check_data(ctx, &name, l.offset, crc, usize, idx);
            }
            if !has_dir {
                self.listing.push((Rc::clone(&l.name), idx));
            }
        }

        // Duplicate names, as the loaders see them.
        let names: Vec<&[u8]> = if has_dir {
            dir.entries.iter().map(|c| &c.name[..]).collect()
        } else {
            self.walked.iter().map(|w| &w.local.name[..]).collect()
        };
        let mut counts: HashMap<&[u8], (usize, usize)> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            let (count, _) = counts.entry(n).or_insert((0, i));
            *count = count.saturating_add(1);
        }
        let mut dups: Vec<(usize, &[u8], usize)> = counts
            .into_iter()
            .filter(|(_, (n, _))| *n > 1)
            .map(|(name, (n, first))| (first, name, n))
            .collect();
        dups.sort_unstable();
        for (_, name, n) in dups {
            ctx.report(
                Code::ZipDuplicateName,
                None,
                format!(
                    "{n} members are named {:?}; loaders disagree on which one they read (all were scanned)",
                    lossy(name)
                ),
            );
        }
        // Bytes after the archive (and between the directory and its end record): content
        // hidden from zip readers, scanned as what it is.
        if let Some(e) = dir.eocd {
            let cd_end = e.cd_offset.saturating_add(e.cd_size);
            if cd_end < e.tail {
                self.scan_unlisted(ctx, cd_end, e.tail)?;
            }
            if e.end < self.len {
                self.scan_unlisted(ctx, e.end, self.len)?;
            }
        }
        self.dir = Some(dir);
        Ok(())
    }

    /// Scans bytes that belong to no member (reported by the caller) for what they hold.
    fn scan_unlisted(&self, ctx: &mut Ctx, start: u64, end: u64) -> io::Result<()> {
        let win = Window::new(self.src, start, end.saturating_sub(start));
        if !win.is_empty() {
            let name = format!("<{} unlisted bytes at offset {start}>", win.len());
            inspect_member(ctx, &win, &name, false)?;
        }
        Ok(())
    }

    fn full_name(&self, name: &str) -> String {
        match &self.parent {
            Some(p) => format!("{p}!{name}"),
            None => name.to_owned(),
        }
    }

    fn check_name(&self, ctx: &mut Ctx, name: &[u8], off: u64) {
        if escapes(name) {
            ctx.report(
                Code::ZipPathTraversal,
                Some(off),
                format!(
                    "member name {:?} is absolute or climbs out of the extraction directory",
                    lossy(name)
                ),
            );
        }
        if name.contains(&0) {
            ctx.report(
                Code::ZipMalformed,
                Some(off),
                format!(
                    "member name {:?} contains a NUL byte: Python's zipfile cuts the name there, miniz keeps it whole",
                    lossy(name)
                ),
            );
        }
    }

    fn check_flags(&self, ctx: &mut Ctx, name: &str, off: u64, flags: u16) {
        let bits = flags & FLAGS_ENCRYPTION;
        if bits != 0 {
            ctx.report(
                Code::ZipEncryptedFlag,
                Some(off),
                format!(
                    "{name:?} has general-purpose flag bits {bits:#06x} (encrypted, strong encryption or masked headers); PyTorch ignores them and reads the bytes as they are, and so did this scan"
                ),
            );
        }
    }

    /// Compares a member's content with what its headers declare.
    fn check_data(
        &self,
        ctx: &mut Ctx,
        name: &str,
        off: u64,
        crc: Option<u32>,
        usize: Option<u64>,
        idx: usize,
    ) {
        let Some(s) = self.scanned.get(idx) else {
            return;
        };
        if !s.complete {
            return;
        }
        if let (Some(want), Some(got)) = (crc, s.crc)
            && want != got
        {
            ctx.report_with(
                Code::ZipCrcMismatch,
                Code::ZipCrcMismatch.default_severity(),
                Some(off),
                format!(
                    "the CRC-32 of {name:?} does not match its bytes (zipfile refuses the member, PyTorch loads it)"
                ),
                Evidence::mismatch(format!("{want:08x}"), format!("{got:08x}")),
            );
        }
        if let Some(want) = usize
            && want != s.out_len
        {
            ctx.report_with(
                Code::ZipMalformed,
                Code::ZipMalformed.default_severity(),
                Some(off),
                format!(
                    "{name:?} declares {want} bytes uncompressed but its data holds {}",
                    s.out_len
                ),
                Evidence::mismatch(want.to_string(), s.out_len.to_string()),
            );
        }
    }

    /// Reports every field on which a local header (and its data descriptor) disagrees with
    /// the central directory.
    fn compare(&self, ctx: &mut Ctx, c: &Central, l: &Local, desc: Option<&Descriptor>) {
        let name = lossy(&c.name);
        let off = Some(c.local_off);
        let mut differ = |field: &str, central: String, local: String| {
            ctx.report_with(
                Code::ZipHeaderMismatch,
                Code::ZipHeaderMismatch.default_severity(),
                off,
                format!(
                    "the local header of {name:?} says {field} {local} but the central directory says {central}"
                ),
                Evidence::mismatch(central, local),
            );
        };
        if l.name != c.name || l.name_len != c.name_len {
            differ(
                "name",
                format!("{:?}", lossy(&c.name)),
                format!("{:?}", lossy(&l.name)),
            );
        }
        if l.method != c.method {
            differ(
                "compression method",
                c.method.to_string(),
                l.method.to_string(),
            );
        }
        if l.flags != c.flags {
            differ(
                "flags",
                format!("{:#06x}", c.flags),
                format!("{:#06x}", l.flags),
            );
        }
        if l.csize_known() && l.csize != c.csize {
            differ("compressed size", c.csize.to_string(), l.csize.to_string());
        }
        if l.usize_known() && l.usize != c.usize {
            differ(
                "uncompressed size",
                c.usize.to_string(),
                l.usize.to_string(),
            );
        }
        if l.crc_known() && l.crc != c.crc {
            differ("CRC-32", format!("{:08x}", c.crc), format!("{:08x}", l.crc));
        }
        if let Some(d) = desc {
            if d.crc != c.crc {
                differ(
                    "(in its data descriptor) CRC-32",
                    format!("{:08x}", c.crc),
                    format!("{:08x}", d.crc),
                );
            }
            if d.csize != c.csize {
                differ(
                    "(in its data descriptor) compressed size",
                    c.csize.to_string(),
                    d.csize.to_string(),
                );
            }
            if d.usize != c.usize {
                differ(
                    "(in its data descriptor) uncompressed size",
                    c.usize.to_string(),
                    d.usize.to_string(),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The format

    /// `before`: the number of findings when the archive's inspection began.
    fn refine(&self, ctx: &mut Ctx, before: usize) -> Format {
        let names: Vec<std::borrow::Cow<str>> = self
            .listing
            .iter()
            .map(|(n, _)| String::from_utf8_lossy(n))
            .collect();
        let names: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
        let base = |n: &str| -> String { n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned() };
        let code_files = names
            .iter()
            .filter(|n| {
                let parts: Vec<&str> = n.split('/').collect();
                !n.ends_with('/')
                    && matches!(parts.as_slice(), ["code", _, ..] | [_, "code", _, ..])
            })
            .count();
        let constants = names.iter().any(|n| base(n) == "constants.pkl");
        if code_files > 0 || constants {
            self.torchscript(ctx, before);
            return Format::TorchScript;
        }
        if names
            .iter()
            .any(|n| *n == "data.pkl" || n.ends_with("/data.pkl"))
        {
            return Format::PytorchZip;
        }
        if names.contains(&"config.json")
            && (names.contains(&"model.weights.h5") || names.contains(&"metadata.json"))
        {
            return Format::Keras;
        }
        let files: Vec<Option<Format>> = self
            .listing
            .iter()
            .filter(|(n, _)| !n.ends_with(b"/"))
            .map(|(_, i)| i.and_then(|i| self.scanned.get(i)).map(|s| s.format))
            .collect();
        if !files.is_empty() && files.iter().all(|f| *f == Some(Format::Npy)) {
            return Format::Npz;
        }
        Format::Zip
    }
}

impl Zip<'_> {
    /// Analyses a TorchScript archive's source ([`torchscript`]): every `code/**/*.py` member
    /// is read again (stored or deflated, capped) and lexed for the operators it calls. The
    /// pickles' `__torch__.*` globals are the archive's own TorchScript classes, resolved by
    /// torch.jit.load against that source and never imported: their "unknown global" findings
    /// give way to this analysis, except custom classes (`__torch__.torch.classes.*`), which it
    /// judges.
    fn torchscript(&self, ctx: &mut Ctx, before: usize) {
        let mut a = torchscript::Analysis::new(ctx.limits);
        // Where each scanned view's data is.
        let mut data_at: HashMap<usize, (u64, u16)> = HashMap::new();
        for (&(off, method), &(first, _)) in &self.scanned_at {
            let mut next = Some(first);
            while let Some(i) = next {
                if data_at.insert(i, (off, method)).is_some() {
                    break;
                }
                next = self.scanned.get(i).and_then(|s| s.next);
            }
        }
        for (raw, idx) in &self.listing {
            let name = String::from_utf8_lossy(raw);
            let is_code = name.ends_with(".py") && name.split('/').any(|p| p == "code");
            if !is_code {
                continue;
            }
            let view = idx.and_then(|i| Some((self.scanned.get(i)?, data_at.get(&i)?)));
            let text = match view {
                Some((s, &(off, method))) if s.complete => {
                    self.read_view(off, s.window, method, a.budget(), ctx.limits)
                }
                _ => None,
            };
            match text {
                Some(t) => a.source(&name, &t),
                None => a.unreadable(&name),
            }
        }
        let prefix = self.parent.as_ref().map(|p| format!("{p}!"));
        let mut classes = Vec::new();
        ctx.retain_findings_from(before, |f| {
            let module = f.evidence.module.as_deref().unwrap_or_default();
            let own = f.code == Code::PickleUnknownGlobal
                && (module == "__torch__" || module.starts_with("__torch__."));
            if own {
                let member = f.location.member.as_deref().unwrap_or_default();
                let member = match &prefix {
                    Some(p) => member.strip_prefix(p.as_str()).unwrap_or(member),
                    None => member,
                };
                let name = f.evidence.name.clone().unwrap_or_default();
                classes.push((member.to_owned(), module.to_owned(), name));
            }
            !own
        });
        for (member, module, name) in &classes {
            a.pickled_class(member, module, name);
        }
        a.finish(ctx);
    }

    /// The content of stored or deflated data at `off` (`window` bytes), cut at `max + 1`
    /// bytes; None if it cannot be read.
    fn read_view(
        &self,
        off: u64,
        window: u64,
        method: u16,
        max: u64,
        limits: &crate::limits::Limits,
    ) -> Option<Vec<u8>> {
        let data = Window::new(self.src, off, window);
        let cap = max.saturating_add(1);
        let mut out = Vec::new();
        let read = match method {
            STORED => read_capped(&mut SourceReader::new(&data, 0), &mut out, cap),
            DEFLATED => read_capped(&mut Inflate::new(&data, cap, limits), &mut out, cap),
            _ => return None,
        };
        read.ok().map(|()| out)
    }
}

/// Inspects a zip archive; `eocd` may be given (already found) or None (find it). Returns the
/// refined format.
///
/// With `eocd` given the archive sits behind other content (a polyglot, reported by the
/// caller): the walk of the local headers starts where the archive does.
pub fn inspect(src: &dyn Source, ctx: &mut Ctx, eocd: Option<Eocd>) -> io::Result<Format> {
    let before = ctx.findings.len();
    let mut z = Zip::new(src, ctx);
    let polyglot = eocd.is_some();
    if let Some(e) = eocd {
        z.ensure_dir(ctx, Some(e))?;
    }
    let start = z.walk_start(ctx, polyglot)?;
    z.walk(ctx, start)?;
    // What the walk grew by doubling is returned before the directory is read (100,000 tiny
    // members hold a few MiB of spare capacity).
    z.walked.shrink_to_fit();
    ctx.facts.members.shrink_to_fit();
    z.ensure_dir(ctx, None)?;
    z.reconcile(ctx)?;
    Ok(z.refine(ctx, before))
}

/// Reads the content of member `name` the way Python's `zipfile` finds it (Keras opens its
/// archives with `zipfile`): the last central directory entry of that name, its local header
/// for the data offset, stored or deflated data. Returns `None` when the archive has no usable
/// central directory, no such member, or the member's header or compression method cannot be
/// read. Content longer than `max` bytes is cut at `max + 1` bytes, so a result longer than
/// `max` means "too large"; corrupt deflate data gives what was decoded before the damage.
///
/// This only reads: what is wrong with the archive is reported by [`inspect`], which has
/// already run over the same bytes. Every size and offset is untrusted and checked; the work is
/// bounded by the central directory's declared size and by `max`.
pub fn read_member(src: &dyn Source, name: &str, max: u64) -> io::Result<Option<Vec<u8>>> {
    let Some(e) = find_eocd(src)? else {
        return Ok(None);
    };
    let len = src.len();
    let cd_end = e.cd_offset.saturating_add(e.cd_size).min(len);
    let win = Window::new(src, e.cd_offset, cd_end.saturating_sub(e.cd_offset));
    let mut r = SourceReader::new(&win, 0);
    let mut found: Option<(u16, u64, u64)> = None;
    let mut count = 0u64;
    while count < e.entries {
        count = count.saturating_add(1); // below e.entries
        let mut fixed = [0u8; CENTRAL_LEN];
        match r.read_exact(&mut fixed) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(err) => return Err(err),
        }
        if u32_at(&fixed, 0) != Some(CENTRAL_SIG) {
            break;
        }
        let g16 = |i| u16_at(&fixed, i).unwrap_or(0);
        let g32 = |i| u32_at(&fixed, i).unwrap_or(0);
        let (nlen, xlen, clen) = (
            usize::from(g16(28)),
            usize::from(g16(30)),
            usize::from(g16(32)),
        );
        let mut var = vec![0u8; nlen.saturating_add(xlen).saturating_add(clen)]; // u16 lengths
        match r.read_exact(&mut var) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(err) => return Err(err),
        }
        if var.get(..nlen) != Some(name.as_bytes()) {
            continue;
        }
        let extra = var.get(nlen..nlen.saturating_add(xlen)).unwrap_or_default();
        let (method, csize32, usize32, off32) = (g16(10), g32(20), g32(24), g32(42));
        let (mut csize, mut rel) = (u64::from(csize32), u64::from(off32));
        if let Some(z) = extra_field(extra, 1) {
            // Only the fields that overflow are present, in this order.
            let mut i = 0;
            let mut next = |present: bool| -> Option<u64> {
                if !present {
                    return None;
                }
                let v = u64_at(z, i);
                i = i.saturating_add(8);
                v
            };
            let _ = next(usize32 == u32::MAX);
            csize = next(csize32 == u32::MAX).unwrap_or(csize);
            rel = next(off32 == u32::MAX).unwrap_or(rel);
        }
        if let Some(local_off) = e.base.checked_add(rel) {
            found = Some((method, csize, local_off));
        }
    }
    let Some((method, csize, local_off)) = found else {
        return Ok(None);
    };
    let LocalRead::Found(l) = read_local(src, local_off)? else {
        return Ok(None);
    };
    let data = Window::new(src, l.data_off, csize);
    let cap = max.saturating_add(1);
    let mut out = Vec::new();
    match method {
        STORED => read_capped(&mut SourceReader::new(&data, 0), &mut out, cap)?,
        DEFLATED => {
            let limits = crate::limits::Limits::default();
            let mut inf = Inflate::new(&data, cap, &limits);
            read_capped(&mut inf, &mut out, cap)?;
        }
        _ => return Ok(None),
    }
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;
    use std::io::Write;

    const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";
    const SAFE: &[u8] = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";

    fn crc(b: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(b);
        c.sum()
    }

    fn deflate(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    /// One member as written by hand, with every field open to corruption.
    #[derive(Clone)]
    struct E {
        name: Vec<u8>,
        local_name: Vec<u8>,
        data: Vec<u8>,
        method: u16,
        flags: u16,
        local_flags: u16,
        crc: u32,
        csize: u32,
        usize: u32,
        in_central: bool,
        /// Write sizes in a data descriptor (with signature) instead of the local header.
        descriptor: bool,
    }

    fn stored(name: &str, content: &[u8]) -> E {
        E {
            name: name.as_bytes().to_vec(),
            local_name: name.as_bytes().to_vec(),
            data: content.to_vec(),
            method: 0,
            flags: 0,
            local_flags: 0,
            crc: crc(content),
            csize: content.len() as u32,
            usize: content.len() as u32,
            in_central: true,
            descriptor: false,
        }
    }

    fn deflated(name: &str, content: &[u8]) -> E {
        let data = deflate(content);
        E {
            csize: data.len() as u32,
            data,
            method: 8,
            ..stored(name, content)
        }
    }

    fn build(entries: &[E]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for e in entries {
            offsets.push(out.len() as u32);
            let (crc, cs, us) = if e.descriptor {
                (0, 0, 0)
            } else {
                (e.crc, e.csize, e.usize)
            };
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&e.local_flags.to_le_bytes());
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&cs.to_le_bytes());
            out.extend_from_slice(&us.to_le_bytes());
            out.extend_from_slice(&(e.local_name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&e.local_name);
            out.extend_from_slice(&e.data);
            if e.descriptor {
                out.extend_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
                out.extend_from_slice(&e.crc.to_le_bytes());
                out.extend_from_slice(&e.csize.to_le_bytes());
                out.extend_from_slice(&e.usize.to_le_bytes());
            }
        }
        let cd_start = out.len() as u32;
        let mut n = 0u16;
        for (e, off) in entries.iter().zip(&offsets) {
            if !e.in_central {
                continue;
            }
            n += 1;
            out.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&e.flags.to_le_bytes());
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&e.crc.to_le_bytes());
            out.extend_from_slice(&e.csize.to_le_bytes());
            out.extend_from_slice(&e.usize.to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0; 12]);
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&e.name);
        }
        let cd_size = out.len() as u32 - cd_start;
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn pytorch(pkl: &[u8]) -> Vec<E> {
        vec![
            stored("archive/data.pkl", pkl),
            stored("archive/version", b"3\n"),
            stored("archive/data/0", &[0u8; 4096]),
        ]
    }

    struct Run {
        format: Format,
        codes: Vec<Code>,
        ctx_members: Vec<Member>,
        findings: Vec<crate::finding::Finding>,
    }

    fn policy() -> &'static Policy {
        static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        POLICY.get_or_init(|| Policy::new(&[], false).unwrap())
    }

    fn run_with(bytes: &[u8], limits: Limits) -> Run {
        let mut ctx = Ctx::new(&limits, policy(), "t.zip");
        let bytes = bytes.to_vec();
        let format = inspect(&bytes, &mut ctx, None).unwrap();
        Run {
            format,
            codes: ctx.findings.iter().map(|f| f.code).collect(),
            ctx_members: ctx.facts.members.clone(),
            findings: ctx.findings.clone(),
        }
    }

    fn run(bytes: &[u8]) -> Run {
        run_with(bytes, Limits::default())
    }

    fn has(r: &Run, c: Code) -> bool {
        r.codes.contains(&c)
    }

    fn zip_codes(r: &Run) -> Vec<Code> {
        r.codes
            .iter()
            .copied()
            .filter(|c| c.as_str().starts_with("zip-"))
            .collect()
    }

    #[test]
    fn clean_pytorch_checkpoint_has_no_zip_findings() {
        let r = run(&build(&pytorch(SAFE)));
        assert_eq!(r.format, Format::PytorchZip);
        assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
        let names: Vec<&str> = r.ctx_members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["archive/data.pkl", "archive/version", "archive/data/0"]
        );
        assert_eq!(r.ctx_members[0].format, Format::Pickle);
        assert_eq!(r.ctx_members[2].size, 4096);
    }

    #[test]
    fn finds_a_pickle_payload_in_a_stored_member_whatever_its_name() {
        let r = run(&build(&[stored("archive/weights.txt", MAL)]));
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        let f = r
            .findings
            .iter()
            .find(|f| f.code == Code::PickleDangerousGlobal)
            .unwrap();
        assert_eq!(f.location.member.as_deref(), Some("archive/weights.txt"));
    }

    #[test]
    fn descriptor_written_members_like_miniz_are_clean() {
        let mut es = pytorch(SAFE);
        for e in &mut es {
            e.descriptor = true;
            e.flags = FLAG_DESCRIPTOR | 1 << 11;
            e.local_flags = e.flags;
        }
        es.push(E {
            descriptor: true,
            flags: FLAG_DESCRIPTOR,
            local_flags: FLAG_DESCRIPTOR,
            ..deflated("archive/extra.pkl", MAL)
        });
        let r = run(&build(&es));
        assert_eq!(r.format, Format::PytorchZip);
        assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert_eq!(r.ctx_members.len(), 4);
    }

    #[test]
    fn finds_a_pickle_payload_in_a_deflated_member() {
        let r = run(&build(&[deflated("archive/data.pkl", MAL)]));
        assert_eq!(r.format, Format::PytorchZip);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
        assert_eq!(r.ctx_members[0].size, MAL.len() as u64);
    }

    #[test]
    fn large_deflated_pickle_is_streamed() {
        // A pickle whose declared size is past the in-memory limit: pad with a long BINBYTES.
        let mut p = b"\x80\x02cos\nsystem\n".to_vec();
        let pad = vec![b'a'; 300_000];
        p.extend_from_slice(b"B");
        p.extend_from_slice(&(pad.len() as u32).to_le_bytes());
        p.extend_from_slice(&pad);
        p.extend_from_slice(b"\x85R.");
        let limits = Limits {
            max_in_memory: 1000,
            ..Limits::default()
        };
        let r = run_with(&build(&[deflated("archive/data.pkl", &p)]), limits);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert!(!has(&r, Code::ZipCrcMismatch), "{:?}", r.findings);
        assert_eq!(r.ctx_members[0].size, p.len() as u64);
    }

    #[test]
    fn crc_mismatch_is_reported_and_the_member_still_scanned() {
        let mut e = stored("archive/data.pkl", MAL);
        e.crc ^= 0xffff_ffff;
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        let mut e = deflated("archive/data.pkl", MAL);
        e.crc ^= 1;
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
    }

    #[test]
    fn encrypted_flag_is_reported_and_the_member_scanned_as_plain() {
        let mut e = stored("archive/data.pkl", MAL);
        e.flags = FLAG_ENCRYPTED;
        e.local_flags = FLAG_ENCRYPTED;
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipEncryptedFlag), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert!(!has(&r, Code::ZipHeaderMismatch), "{:?}", r.findings);
    }

    #[test]
    fn local_and_central_names_that_differ_are_a_mismatch() {
        let mut e = stored("archive/data.pkl", MAL);
        e.local_name = b"archive/datX.pkl".to_vec();
        let r = run(&build(&[e]));
        let f = r
            .findings
            .iter()
            .find(|f| f.code == Code::ZipHeaderMismatch)
            .expect("mismatch");
        assert_eq!(f.evidence.expected.as_deref(), Some("\"archive/data.pkl\""));
        assert_eq!(f.evidence.actual.as_deref(), Some("\"archive/datX.pkl\""));
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        // Flags that differ between the views too.
        let mut e = stored("a.pkl", SAFE);
        e.local_flags = 1 << 11;
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipHeaderMismatch), "{:?}", r.codes);
    }

    #[test]
    fn hidden_local_entry_is_reported_and_scanned() {
        let mut hidden = stored("archive/evil.pkl", MAL);
        hidden.in_central = false;
        let mut es = pytorch(SAFE);
        es.insert(1, hidden);
        let r = run(&build(&es));
        assert!(has(&r, Code::ZipHiddenEntry), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert_eq!(r.format, Format::PytorchZip);
    }

    #[test]
    fn central_entry_without_local_header_is_hidden() {
        let mut bytes = build(&[stored("a.pkl", SAFE), stored("b.pkl", SAFE)]);
        // Point the second central entry into the middle of the first member's data.
        let cd = find_eocd(&bytes).unwrap().unwrap().cd_offset as usize;
        let second = cd + CENTRAL_LEN + "a.pkl".len();
        bytes[second + 42..second + 46].copy_from_slice(&33u32.to_le_bytes());
        let r = run(&bytes);
        assert!(has(&r, Code::ZipHiddenEntry), "{:?}", r.codes);
    }

    #[test]
    fn duplicate_names_are_reported_and_both_scanned() {
        let r = run(&build(&[stored("data.pkl", SAFE), stored("data.pkl", MAL)]));
        assert!(has(&r, Code::ZipDuplicateName), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
        assert_eq!(
            r.codes
                .iter()
                .filter(|c| **c == Code::ZipDuplicateName)
                .count(),
            1
        );
    }

    #[test]
    fn path_traversal_names_are_reported() {
        for name in ["../evil.pkl", "/etc/x", "C:\\x", "a\\..\\b", "a/../../b"] {
            let r = run(&build(&[stored(name, SAFE)]));
            assert!(has(&r, Code::ZipPathTraversal), "{name}: {:?}", r.codes);
        }
        for name in ["a/b..c", "..a/b", "archive/data.pkl"] {
            let r = run(&build(&[stored(name, SAFE)]));
            assert!(!has(&r, Code::ZipPathTraversal), "{name}: {:?}", r.codes);
        }
    }

    #[test]
    fn truncated_archives_never_panic_and_are_malformed() {
        let mut es = pytorch(MAL);
        es.push(deflated("archive/x.pkl", MAL));
        es[0].descriptor = true;
        es[0].flags = FLAG_DESCRIPTOR;
        es[0].local_flags = FLAG_DESCRIPTOR;
        let bytes = build(&es);
        for cut in 0..bytes.len() {
            let r = run(&bytes[..cut]);
            if cut > 4 {
                assert!(has(&r, Code::ZipMalformed), "cut {cut}: {:?}", r.codes);
            }
        }
        // The payload is found from the local headers even without a central directory.
        let cd = find_eocd(&bytes).unwrap().unwrap().cd_offset as usize;
        let r = run(&bytes[..cd]);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        let mut es = pytorch(MAL);
        es.push(deflated("archive/x.pkl", MAL));
        let bytes = build(&es);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            run(&b);
        }
    }

    #[test]
    fn trailing_data_after_the_end_record() {
        let mut bytes = build(&pytorch(SAFE));
        bytes.extend_from_slice(b"junk after the archive");
        let r = run(&bytes);
        assert!(has(&r, Code::ZipTrailingData), "{:?}", r.codes);
        assert_eq!(r.format, Format::PytorchZip);
        // What hides there is scanned for what it is.
        let mut bytes = build(&pytorch(SAFE));
        bytes.extend_from_slice(MAL);
        let r = run(&bytes);
        assert!(has(&r, Code::ZipTrailingData), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    }

    #[test]
    fn bytes_between_members_are_reported() {
        let mut a = stored("a.pkl", SAFE);
        a.csize -= 1; // both views agree on a shorter member; its last byte belongs to none
        a.usize -= 1;
        a.crc = crc(&SAFE[..SAFE.len() - 1]);
        let r = run(&build(&[a, stored("b.pkl", SAFE)]));
        assert!(has(&r, Code::ZipTrailingData), "{:?}", r.findings);
    }

    #[test]
    fn zip_bomb_stops_at_the_cap() {
        let zeros = vec![0u8; 20 << 20];
        let bytes = build(&[deflated("zeros.bin", &zeros)]);
        let limits = Limits {
            max_decompressed: 1 << 20,
            max_ratio: u64::MAX,
            ..Limits::default()
        };
        let r = run_with(&bytes, limits);
        assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
        // The ratio limit alone catches it too.
        let limits = Limits {
            max_ratio: 200,
            ratio_min_output: 1 << 20,
            ..Limits::default()
        };
        let r = run_with(&bytes, limits);
        assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
        // A sparse array of 20 MiB (np.savez_compressed of zeros) is not a bomb by default.
        let r = run(&bytes);
        assert!(!has(&r, Code::ZipBomb), "{:?}", r.codes);
        // So does the per-file budget.
        let limits = Limits {
            max_decompressed_total: 1 << 20,
            max_ratio: u64::MAX,
            ..Limits::default()
        };
        let r = run_with(&bytes, limits);
        assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
    }

    #[test]
    fn unsupported_method_is_malformed_and_skipped() {
        let mut e = stored("a.bin", b"whatever");
        e.method = 98; // PPMd
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
    }

    /// `content` compressed with `method` as a zip member named `name`.
    fn compressed(name: &str, content: &[u8], method: u16, data: Vec<u8>) -> E {
        let mut e = stored(name, content);
        e.method = method;
        e.csize = data.len() as u32;
        e.data = data;
        e
    }

    const EVIL: &[u8] = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";

    #[test]
    fn bzip2_and_zstd_members_are_decompressed_and_inspected() {
        use std::io::Write;
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        bz.write_all(EVIL).unwrap();
        let bz = bz.finish().unwrap();
        let zst =
            ruzstd::encoding::compress_to_vec(EVIL, ruzstd::encoding::CompressionLevel::Fastest);
        for (method, data) in [(BZIP2, bz), (ZSTD, zst)] {
            let r = run(&build(&[compressed(
                "archive/data.pkl",
                EVIL,
                method,
                data,
            )]));
            assert_eq!(r.format, Format::PytorchZip, "method {method}");
            assert!(
                has(&r, Code::PickleDangerousCall),
                "method {method}: {:?}",
                r.codes
            );
            assert!(zip_codes(&r).is_empty(), "method {method}: {:?}", r.codes);
        }
    }

    #[test]
    fn corrupt_or_mislabelled_compressed_member_is_malformed() {
        let mut bad = compressed("archive/data.pkl", EVIL, BZIP2, b"BZh9 not bzip2".to_vec());
        bad.crc = 0;
        let r = run(&build(&[bad]));
        assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
        let r = run(&build(&[compressed(
            "a.pkl",
            EVIL,
            LZMA,
            vec![9, 20, 5, 0, 1],
        )]));
        assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
    }

    #[test]
    fn a_crc_that_does_not_match_the_decompressed_bytes_is_reported() {
        use std::io::Write;
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        bz.write_all(SAFE).unwrap();
        let mut e = compressed("archive/data.pkl", SAFE, BZIP2, bz.finish().unwrap());
        e.crc ^= 1;
        let r = run(&build(&[e]));
        assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
    }

    #[test]
    fn eocd_is_not_found_in_random_bytes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in [0usize, 10, 22, 100, 70_000, 200_000] {
            let mut b = Vec::with_capacity(n);
            while b.len() < n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b.extend_from_slice(&seed.to_le_bytes());
            }
            b.truncate(n);
            assert!(find_eocd(&b).unwrap().is_none(), "{n}");
            // Even with an end-record signature planted in them.
            if n >= 100 {
                b[n - 40..n - 36].copy_from_slice(&EOCD_SIG.to_le_bytes());
                assert!(find_eocd(&b).unwrap().is_none(), "{n} planted");
            }
        }
        let zip = build(&pytorch(SAFE));
        let e = find_eocd(&zip).unwrap().unwrap();
        assert_eq!(e.base, 0);
        assert_eq!(e.entries, 3);
    }

    #[test]
    fn zip_behind_a_pickle_is_found_from_its_end() {
        let zip = build(&[stored("archive/data.pkl", MAL)]);
        let mut poly = SAFE.to_vec();
        poly.extend_from_slice(&zip);
        let e = find_eocd(&poly).unwrap().unwrap();
        assert_eq!(e.base, SAFE.len() as u64);
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
        let f = inspect(&poly, &mut ctx, Some(e)).unwrap();
        assert_eq!(f, Format::PytorchZip);
        let codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        assert!(!codes.contains(&Code::ZipHiddenEntry), "{:?}", ctx.findings);
        assert!(
            !codes.contains(&Code::ZipTrailingData),
            "{:?}",
            ctx.findings
        );
    }

    #[test]
    fn nested_zip_members_are_scanned_with_their_chain() {
        let inner = build(&[stored("evil.pkl", MAL)]);
        let r = run(&build(&[stored("inner.zip", &inner)]));
        let f = r
            .findings
            .iter()
            .find(|f| f.code == Code::PickleDangerousGlobal)
            .expect("payload");
        assert_eq!(f.location.member.as_deref(), Some("inner.zip!evil.pkl"));
        assert!(r.ctx_members.iter().any(|m| m.name == "inner.zip!evil.pkl"));
        // Past the depth limit, a finding instead.
        let limits = Limits {
            max_depth: 1,
            ..Limits::default()
        };
        let r = run_with(&build(&[stored("inner.zip", &inner)]), limits);
        assert!(has(&r, Code::ArchiveDepthExceeded), "{:?}", r.codes);
    }

    #[test]
    fn judges_torchscript_code_and_drops_its_own_class_globals() {
        // data.pkl: GLOBAL '__torch__.m M', EMPTY_TUPLE, NEWOBJ, STOP (a TorchScript class).
        let data = b"\x80\x02c__torch__.m\nM\n)\x81.";
        let code = b"class M(Module):\n  def __setstate__(self: __torch__.m.M,\n    s: Tuple[int]) -> NoneType:\n    _0 = torch.from_file(\"f\")\n    return None\n  def forward(self: __torch__.m.M) -> Tensor:\n    return ops.myns.op(torch.zeros([1]))\n";
        let r = run(&build(&[
            stored("m/data.pkl", data),
            stored("m/constants.pkl", SAFE),
            deflated("m/code/__torch__/m.py", code),
        ]));
        assert_eq!(r.format, Format::TorchScript);
        assert!(has(&r, Code::TorchScriptDangerousOp), "{:?}", r.codes);
        assert!(has(&r, Code::TorchScriptCustomOp), "{:?}", r.codes);
        assert!(!has(&r, Code::PickleUnknownGlobal), "{:?}", r.codes);

        // A code member that cannot be read (unsupported method) fails closed.
        let mut bad = stored("m/code/__torch__/m.py", b"def f(x):\n  pass\n");
        bad.method = 12;
        let r = run(&build(&[stored("m/data.pkl", SAFE), bad]));
        assert!(has(&r, Code::TorchScriptCode), "{:?}", r.codes);
    }

    #[test]
    fn refines_npz_torchscript_and_keras() {
        let npy = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }                                                            \n\0\0\0\0";
        let r = run(&build(&[stored("a.npy", npy), deflated("b.npy", npy)]));
        assert_eq!(r.format, Format::Npz, "{:?}", r.findings);

        let r = run(&build(&[
            stored("m/data.pkl", SAFE),
            stored("m/constants.pkl", SAFE),
            stored("m/code/__torch__/m.py", b"def forward(self):\n  pass\n"),
        ]));
        assert_eq!(r.format, Format::TorchScript);
        assert!(r.codes.is_empty(), "{:?}", r.codes);

        let r = run(&build(&[
            stored("config.json", b"{}"),
            stored("metadata.json", b"{}"),
            stored("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
        ]));
        assert_eq!(r.format, Format::Keras);
        let r = run(&build(&[stored("readme.txt", b"hello")]));
        assert_eq!(r.format, Format::Zip);
    }

    #[test]
    fn zip64_records_are_read() {
        // One stored member with zip64 sizes and offset, and zip64 end records.
        let content = MAL;
        let mut out = Vec::new();
        let name = b"archive/data.pkl";
        let mut z64_local = Vec::new();
        z64_local.extend_from_slice(&1u16.to_le_bytes());
        z64_local.extend_from_slice(&16u16.to_le_bytes());
        z64_local.extend_from_slice(&(content.len() as u64).to_le_bytes());
        z64_local.extend_from_slice(&(content.len() as u64).to_le_bytes());
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc(content).to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(z64_local.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&z64_local);
        out.extend_from_slice(content);
        let cd = out.len() as u64;
        let mut z64c = Vec::new();
        z64c.extend_from_slice(&1u16.to_le_bytes());
        z64c.extend_from_slice(&24u16.to_le_bytes());
        z64c.extend_from_slice(&(content.len() as u64).to_le_bytes());
        z64c.extend_from_slice(&(content.len() as u64).to_le_bytes());
        z64c.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc(content).to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(z64c.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 10]);
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&z64c);
        let cd_size = out.len() as u64 - cd;
        let z64_off = out.len() as u64;
        out.extend_from_slice(&Z64_EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&45u16.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd.to_le_bytes());
        out.extend_from_slice(&Z64_LOCATOR_SIG.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&z64_off.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&0xffffu16.to_le_bytes());
        out.extend_from_slice(&0xffffu16.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());

        let e = find_eocd(&out).unwrap().unwrap();
        assert_eq!(e.zip64, Some(z64_off));
        assert_eq!(e.cd_offset, cd);
        assert_eq!(e.entries, 1);
        let r = run(&out);
        assert_eq!(r.format, Format::PytorchZip);
        assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    }

    #[test]
    fn empty_archive_is_a_clean_zip() {
        let mut b = EOCD_SIG.to_le_bytes().to_vec();
        b.extend_from_slice(&[0; 18]);
        assert!(find_eocd(&b).unwrap().is_some());
        let r = run(&b);
        assert_eq!(r.format, Format::Zip);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    #[test]
    fn a_lying_local_size_is_a_mismatch_not_a_gap() {
        let mut a = stored("a.pkl", MAL);
        a.descriptor = false;
        let mut bytes = build(&[a, stored("b.pkl", SAFE)]);
        // Local compressed and uncompressed size of a.pkl: 10 instead of the real length.
        bytes[18..22].copy_from_slice(&10u32.to_le_bytes());
        bytes[22..26].copy_from_slice(&10u32.to_le_bytes());
        let r = run(&bytes);
        assert!(has(&r, Code::ZipHeaderMismatch), "{:?}", r.findings);
        assert!(!has(&r, Code::ZipTrailingData), "{:?}", r.findings);
        assert!(!has(&r, Code::ZipHiddenEntry), "{:?}", r.findings);
        // The central view (what PyTorch reads) was scanned whole.
        assert!(has(&r, Code::PickleDangerousCall), "{:?}", r.codes);
    }

    #[test]
    fn descriptor_without_signature_uses_the_central_directory() {
        let mut e = stored("archive/data.pkl", MAL);
        e.descriptor = true;
        e.flags = FLAG_DESCRIPTOR;
        e.local_flags = FLAG_DESCRIPTOR;
        let mut bytes = build(&[e, stored("archive/version", b"3\n")]);
        // Drop the descriptor's optional signature.
        let sig = bytes
            .windows(4)
            .position(|w| w == DESCRIPTOR_SIG.to_le_bytes())
            .unwrap();
        bytes.drain(sig..sig + 4);
        // Shift the offsets that followed it.
        let e = {
            let mut b = bytes.clone();
            let n = b.len();
            let cd = u32::from_le_bytes(b[n - 6..n - 2].try_into().unwrap()) - 4;
            b[n - 6..n - 2].copy_from_slice(&cd.to_le_bytes());
            let second = cd as usize + CENTRAL_LEN + "archive/data.pkl".len();
            let off = u32::from_le_bytes(b[second + 42..second + 46].try_into().unwrap()) - 4;
            b[second + 42..second + 46].copy_from_slice(&off.to_le_bytes());
            b
        };
        let r = run(&e);
        assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    }

    #[test]
    fn member_facts_list_parents_before_nested_members() {
        let inner = build(&[stored("x.pkl", SAFE)]);
        let r = run(&build(&[stored("in.zip", &inner), stored("y.pkl", SAFE)]));
        let names: Vec<&str> = r.ctx_members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["in.zip", "in.zip!x.pkl", "y.pkl"]);
        assert_eq!(r.ctx_members[0].format, Format::Zip);
    }

    #[test]
    fn a_checkpoint_on_disk_is_read_once() {
        // miniz-style members (sizes in data descriptors), several MiB of tensor data: the walk
        // reads it in the hash pass, CRCs included, and the directory read adds only the tail.
        let mut es = pytorch(SAFE);
        for (i, n) in [3usize << 20, 5 << 20, 1 << 20].into_iter().enumerate() {
            let data: Vec<u8> = (0..n).map(|j| (j * 31 + i) as u8).collect();
            es.push(stored(&format!("archive/data/{}", i + 1), &data));
        }
        for e in es.iter_mut().skip(1).step_by(2) {
            e.descriptor = true;
            e.flags = FLAG_DESCRIPTOR;
            e.local_flags = FLAG_DESCRIPTOR;
        }
        es[4].crc ^= 1; // a corrupt tensor: its CRC is still checked
        es[5].crc ^= 1;
        let bytes = build(&es);
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&bytes).unwrap();
        let len = bytes.len() as u64;
        let file = crate::digest::HashingFile::new(f, len);
        let limits = Limits::default();
        let mut ctx = Ctx::new(&limits, policy(), "model.pt");
        let format = super::super::inspect_source(&file, &mut ctx, "model.pt").unwrap();
        let (sha, read) = file.finish().unwrap();
        assert_eq!(sha, crate::digest::Sha256::of(&bytes));
        assert_eq!(format, Format::PytorchZip);
        let codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes.iter().filter(|c| **c == Code::ZipCrcMismatch).count(),
            2,
            "{:?}",
            ctx.findings
        );
        assert!(
            read < len + (1 << 20),
            "read {read} bytes of a {len}-byte file"
        );
    }

    #[test]
    fn overlapping_members_are_reported_and_cannot_multiply_the_work() {
        // Many central entries whose data all run over the headers that follow them and over a
        // nested archive at the end (the overlapping-member zip bomb, stored).
        let inner = build(&[stored("evil.pkl", MAL)]);
        let n = 300usize;
        let mut es: Vec<E> = (0..n)
            .map(|i| {
                let mut e = stored(&format!("m{i:03}"), b"");
                e.csize = 0;
                e.usize = 0;
                e
            })
            .collect();
        es.push(stored("inner.zip", &inner));
        let mut bytes = build(&es);
        let e = find_eocd(&bytes).unwrap().unwrap();
        let payload_end = e.cd_offset as usize;
        let mut at = e.cd_offset as usize;
        for i in 0..n {
            let data_off = i * (30 + 4) + 30 + 4;
            let size = (payload_end - data_off) as u32;
            bytes[at + 20..at + 24].copy_from_slice(&size.to_le_bytes());
            bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
            at += CENTRAL_LEN + 4;
        }
        let r = run(&bytes);
        assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
        assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    }
}
