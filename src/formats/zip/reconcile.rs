//! Both views together: every central directory entry matched with its local header by offset
//! and compared field by field, local headers the directory does not list, names, flag bits,
//! CRCs and sizes checked against the content, duplicate names, and bytes after the archive.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::records::{
    Central, DEFLATED, Descriptor, FLAG_DESCRIPTOR, FLAGS_ENCRYPTION, Local, LocalRead, STORED,
    decoded_method, lossy, read_descriptor, read_local,
};
use super::scan::{View, overlap};
use super::{Ctx, Member, Zip};
use crate::detect::Format;
use crate::finding::{Code, Evidence};
use crate::formats::member::{escapes, inspect_member};
use crate::source::{Source, Window};
use std::io;
use std::rc::Rc;

impl Zip<'_> {
    pub(super) fn reconcile(&mut self, ctx: &mut Ctx) -> io::Result<()> {
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
            self.check_flags(ctx, &name, off, Some(c.flags), local.flags);
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
            self.check_flags(ctx, &name, l.offset, None, l.flags);
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
        let mut dups = if has_dir {
            duplicates(dir.entries.len(), |i| {
                dir.entries.get(i).map_or(&[][..], |c| &c.name[..])
            })
        } else {
            duplicates(self.walked.len(), |i| {
                self.walked.get(i).map_or(&[][..], |w| &w.local.name[..])
            })
        };
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
    pub(super) fn scan_unlisted(&self, ctx: &mut Ctx, start: u64, end: u64) -> io::Result<()> {
        let win = Window::new(self.src, start, end.saturating_sub(start));
        if !win.is_empty() {
            let name = format!("<{} unlisted bytes at offset {start}>", win.len());
            inspect_member(ctx, &win, &name, false)?;
        }
        Ok(())
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

    /// Encryption flags, where readers disagree (checked with torch 2.15.0 and CPython's
    /// zipfile): a flag in the central directory makes PyTorch (miniz: "unsupported
    /// encryption"; masked headers refuse the whole archive) and zipfile refuse the member; a
    /// flag only in the local header is ignored by PyTorch, which reads members through the
    /// central directory, while zipfile refuses strong encryption there. Either way the scan
    /// read the bytes as they are, so a reader that ignores the flag sees nothing unscanned.
    fn check_flags(&self, ctx: &mut Ctx, name: &str, off: u64, central: Option<u16>, local: u16) {
        let listed = central.unwrap_or(0) & FLAGS_ENCRYPTION;
        let bits = (central.unwrap_or(0) | local) & FLAGS_ENCRYPTION;
        if bits == 0 {
            return;
        }
        let readers = if listed != 0 {
            "the central directory flags it: PyTorch and Python's zipfile refuse to read it"
        } else if central.is_some() {
            "only its local header flags it: PyTorch reads through the central directory and ignores the flag (Python's zipfile refuses strong encryption or masked headers there)"
        } else {
            "the flag is in a local header that the central directory does not list: sequential readers decide what it means"
        };
        ctx.report(
            Code::ZipEncryptedFlag,
            Some(off),
            format!(
                "{name:?} has general-purpose flag bits {bits:#06x} (encrypted, strong encryption or masked headers); {readers}; this scan read the bytes as they are"
            ),
        );
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
}

/// Names given more than once among `count` members (`name(i)` is member i's): (first member,
/// name, how many). The members' indices are sorted by name (a stable sort keeps each name's
/// first member first), so equal names are neighbours: 4 bytes a member, where a map of the
/// names cost about 60.
fn duplicates<'n>(count: usize, name: impl Fn(usize) -> &'n [u8]) -> Vec<(usize, &'n [u8], usize)> {
    let mut order: Vec<u32> = (0..u32::try_from(count).unwrap_or(u32::MAX)).collect();
    order.sort_by(|&a, &b| name(a as usize).cmp(name(b as usize)));
    order
        .chunk_by(|&a, &b| name(a as usize) == name(b as usize))
        .filter_map(|group| match group {
            [first, _, ..] => Some((*first as usize, name(*first as usize), group.len())),
            _ => None,
        })
        .collect()
}
