//! The zip records and their fields: signatures and flag bits, the end-of-central-directory
//! record (zip64 included) and where it is found, local file headers, data descriptors, central
//! directory entries and their extra fields, and the little-endian readers they share.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::formats::member::MAX_NAME;
use crate::source::Source;
use std::io;
use std::rc::Rc;

pub(super) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(super) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(super) const EOCD_SIG: u32 = 0x0605_4b50;
pub(super) const Z64_EOCD_SIG: u32 = 0x0606_4b50;
pub(super) const Z64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(super) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

const LOCAL_LEN: u64 = 30;
pub(super) const CENTRAL_LEN: usize = 46;
pub(super) const EOCD_LEN: u64 = 22;
const Z64_EOCD_LEN: u64 = 56;
const Z64_LOCATOR_LEN: u64 = 20;
const MAX_COMMENT: u64 = 0xffff;
/// End-record signatures examined from the end of a file before giving up.
const MAX_EOCD_CANDIDATES: usize = 32;

pub(super) const FLAG_ENCRYPTED: u16 = 1;
pub(super) const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_MASKED_HEADERS: u16 = 1 << 13;
pub(super) const FLAGS_ENCRYPTION: u16 =
    FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS;

pub(super) const STORED: u16 = 0;
pub(super) const DEFLATED: u16 = 8;
pub(super) const BZIP2: u16 = 12;
pub(super) const LZMA: u16 = 14;
pub(super) const ZSTD: u16 = 93;

/// Methods Python's zipfile (and NumPy, Keras through it) also reads: 12 bzip2, 14 LZMA,
/// 93 zstd (3.14). Members using them are decompressed into memory and inspected.
pub(super) fn decoded_method(m: u16) -> bool {
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

pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

pub(super) fn to_usize(n: u64) -> usize {
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
pub(super) struct Local {
    /// Absolute offset of the header.
    pub(super) offset: u64,
    pub(super) flags: u16,
    pub(super) method: u16,
    pub(super) crc: u32,
    pub(super) csize: u64,
    pub(super) usize: u64,
    /// The name (at most [`MAX_NAME`] bytes of it); shared by a member's local header and
    /// directory entry when they agree.
    pub(super) name: Rc<[u8]>,
    /// The name's full length (a 16-bit field).
    pub(super) name_len: u16,
    /// Absolute offset of the member's data.
    pub(super) data_off: u64,
    pub(super) zip64: bool,
}

impl Local {
    // With bit 3 the sizes and CRC follow the data (in a data descriptor) and the header holds
    // zeros for them (Info-ZIP's `-fd` keeps the uncompressed size): a zero there is unknown.
    pub(super) fn csize_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.csize != 0
    }
    pub(super) fn usize_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.usize != 0
    }
    pub(super) fn crc_known(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR == 0 || self.crc != 0
    }
}

pub(super) enum LocalRead {
    NotHere,
    Truncated,
    Found(Local),
}

/// The data descriptor that follows a member's data when flag bit 3 is set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Descriptor {
    pub(super) crc: u32,
    pub(super) csize: u64,
    pub(super) usize: u64,
    /// Its length in the file.
    pub(super) len: u64,
}

/// A central directory entry.
#[derive(Debug, Clone)]
pub(super) struct Central {
    pub(super) flags: u16,
    pub(super) method: u16,
    pub(super) crc: u32,
    pub(super) csize: u64,
    pub(super) usize: u64,
    /// The name (at most [`MAX_NAME`] bytes of it); shared by a member's local header and
    /// directory entry when they agree.
    pub(super) name: Rc<[u8]>,
    /// The name's full length (a 16-bit field).
    pub(super) name_len: u16,
    /// Absolute offset of the local header it points at.
    pub(super) local_off: u64,
}

pub(super) fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

pub(super) fn method_name(m: u16) -> &'static str {
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
pub(super) fn extra_field(extra: &[u8], id: u16) -> Option<&[u8]> {
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

pub(super) fn read_local(src: &dyn Source, off: u64) -> io::Result<LocalRead> {
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
pub(super) fn read_descriptor(
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
