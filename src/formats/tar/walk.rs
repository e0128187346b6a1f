//! The walk over a tar's headers and members: extension headers applied to the member that
//! follows, every member inspected by content and checked (names, links, devices, duplicates,
//! limits), bytes after the end marker, and the format.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::header::{
    BadHeader, Kind, NameKey, Overrides, display, field, kind, link_escapes, normalised,
    parse_header, pax_records, text,
};
use super::input::Input;
use super::{BLOCK, Ctx, Member};
use crate::detect::{Format, TAR_BLOCK};
use crate::finding::{Code, Evidence};
use crate::formats::member::escapes;
use std::collections::HashMap;
use std::io;

/// The state of one archive's inspection.
pub(super) struct Tar {
    /// Findings when the archive's inspection began.
    before: usize,
    /// The member chain the archive sits in, for member facts.
    parent: Option<String>,
    /// Per name: how many members have it, the first one's index and a printable name.
    names: HashMap<NameKey, (u32, u32, String)>,
    members: u32,
    /// Top-level members of PyTorch's legacy tar layout seen.
    torch: [bool; 3],
    /// Offset of the first all-zero block (the end for tarfile).
    end_at: Option<u64>,
    /// Offset where bytes that are not a header began, since the last member.
    junk_at: Option<u64>,
    reported_trailing: bool,
    reported_limit: bool,
    /// Pax global values (`g`), applied to members with their own pax header.
    globals: Overrides,
    /// Where regular members' data lie, when the caller asks (a tar in a source).
    pub(super) extents: Option<Vec<(u64, u64)>>,
}

const TORCH_MEMBERS: [&[u8]; 3] = [b"storages", b"tensors", b"pickle"];

impl Tar {
    pub(super) fn new(ctx: &Ctx) -> Self {
        Tar {
            before: ctx.findings.len(),
            parent: ctx.member(),
            names: HashMap::new(),
            members: 0,
            torch: [false; 3],
            end_at: None,
            junk_at: None,
            reported_trailing: false,
            reported_limit: false,
            globals: Overrides::default(),
            extents: None,
        }
    }

    fn full_name(&self, name: &str) -> String {
        match &self.parent {
            Some(p) => format!("{p}!{name}"),
            None => name.to_owned(),
        }
    }

    fn limit(&mut self, ctx: &mut Ctx, at: u64, msg: String) {
        if !self.reported_limit {
            self.reported_limit = true;
            ctx.report(Code::TarLimitExceeded, Some(at), msg);
        }
    }

    pub(super) fn run(&mut self, inp: &mut dyn Input, ctx: &mut Ctx) -> io::Result<Format> {
        let mut block = [0u8; TAR_BLOCK];
        // Values set by the extension headers read since the last member, and how many.
        let mut pending = Overrides::default();
        let mut pax = false;
        let mut chain = 0u32;
        let max_entries = u32::try_from(ctx.limits.max_archive_entries).unwrap_or(u32::MAX);
        loop {
            let at = inp.pos();
            let n = inp.block(&mut block)?;
            if n == 0 {
                break;
            }
            let got = block.get(..n).unwrap_or_default();
            if n < TAR_BLOCK {
                if got.iter().any(|b| *b != 0) {
                    if self.end_at.is_some() || self.junk_at.is_some() {
                        self.junk_at.get_or_insert(at);
                        self.trailing(ctx, at);
                    } else {
                        ctx.report(
                            Code::TarMalformed,
                            Some(at),
                            format!(
                                "the archive ends inside a header ({n} of 512 bytes at offset {at})"
                            ),
                        );
                    }
                }
                break;
            }
            if block.iter().all(|b| *b == 0) {
                self.end_at.get_or_insert(at);
                continue;
            }
            let h = match parse_header(&block) {
                Ok(h) => h,
                Err(why) => {
                    if self.end_at.is_some() {
                        self.trailing(ctx, at);
                    } else if self.junk_at.is_none() {
                        ctx.report_with(
                            Code::TarMalformed,
                            Code::TarMalformed.default_severity(),
                            Some(at),
                            format!(
                                "the header at offset {at} is invalid: {why}; Python's tarfile stops here, GNU tar looks for the next header, and so did this scan"
                            ),
                            if why == BadHeader::Checksum {
                                Evidence::mismatch(
                                    String::from_utf8_lossy(text(field(&block, 148, 156)))
                                        .trim()
                                        .to_owned(),
                                    "the sum of the header bytes",
                                )
                            } else {
                                Evidence::default()
                            },
                        );
                    }
                    self.junk_at.get_or_insert(at);
                    continue;
                }
            };
            if let Some(end) = self.end_at
                && !self.reported_trailing
            {
                self.reported_trailing = true;
                ctx.report(
                    Code::TarTrailingData,
                    Some(at),
                    format!(
                        "a member header at offset {at} follows the end-of-archive marker at {end}: Python's tarfile stops at the marker, `tar --ignore-zeros` reads on; it was scanned"
                    ),
                );
            }
            self.junk_at = None;

            // Extension headers: their data describe the next header.
            if matches!(h.typeflag, b'L' | b'K' | b'x' | b'X' | b'g') {
                chain = chain.saturating_add(1);
                let over_chain = chain > ctx.limits.max_tar_extension_chain;
                if over_chain {
                    self.limit(
                        ctx,
                        at,
                        format!(
                            "more than {} extension headers in a row at offset {at}; the rest of them were skipped, not applied",
                            ctx.limits.max_tar_extension_chain
                        ),
                    );
                }
                let data = if h.size > ctx.limits.max_tar_header_data || over_chain {
                    if !over_chain {
                        self.limit(
                            ctx,
                            at,
                            format!(
                                "the extension header at offset {at} holds {} bytes, more than the {} read; it was skipped, not applied",
                                h.size, ctx.limits.max_tar_header_data
                            ),
                        );
                    }
                    let skipped = inp.skip(h.size)?;
                    if skipped < h.size {
                        self.truncated(ctx, at, "extension header", h.size, skipped);
                        break;
                    }
                    None
                } else {
                    let mut data = Vec::new();
                    inp.read_data(h.size, &mut data)?;
                    if (data.len() as u64) < h.size {
                        self.truncated(ctx, at, "extension header", h.size, data.len() as u64);
                        break;
                    }
                    Some(data)
                };
                inp.skip(padding(h.size))?;
                let Some(data) = data else {
                    continue;
                };
                match h.typeflag {
                    b'L' => pending.fill_from(Overrides {
                        path: Some(text(&data).to_vec()),
                        ..Overrides::default()
                    }),
                    b'K' => pending.fill_from(Overrides {
                        linkpath: Some(text(&data).to_vec()),
                        ..Overrides::default()
                    }),
                    t => {
                        let parsed = pax_records(&data);
                        let values = match parsed {
                            Ok(v) => v,
                            Err(why) => {
                                ctx.report(
                                    Code::TarMalformed,
                                    Some(at),
                                    format!("the pax header at offset {at} is invalid: {why}"),
                                );
                                Overrides::default()
                            }
                        };
                        if t == b'g' {
                            let mut g = values;
                            g.fill_from(std::mem::take(&mut self.globals));
                            self.globals = g;
                        } else {
                            pax = true;
                            pending.fill_from(values);
                        }
                    }
                }
                continue;
            }

            // A member.
            let mut over = std::mem::take(&mut pending);
            if pax {
                over.fill_from(self.globals.clone());
            }
            pax = false;
            chain = 0;
            self.members = self.members.saturating_add(1);
            if self.members > max_entries {
                self.limit(
                    ctx,
                    at,
                    format!("more than {max_entries} members; the rest were not inspected"),
                );
                break;
            }
            let raw_name = over.path.unwrap_or(h.name);
            let kind = kind(h.typeflag, &raw_name);
            let size = over.size.unwrap_or(h.size);
            let name = display(&raw_name);
            self.check_name(ctx, &raw_name, &name, at);
            match kind {
                Kind::Symlink | Kind::Hardlink => {
                    let target = over.linkpath.unwrap_or(h.linkname);
                    if link_escapes(&raw_name, &target, kind == Kind::Symlink) {
                        ctx.report(
                            Code::TarLinkEscape,
                            Some(at),
                            format!(
                                "{} {name:?} points at {:?}, outside the extraction directory",
                                if kind == Kind::Symlink {
                                    "symbolic link"
                                } else {
                                    "hard link"
                                },
                                display(&target)
                            ),
                        );
                    }
                }
                Kind::Device | Kind::Fifo => ctx.report(
                    Code::TarSpecialFile,
                    Some(at),
                    format!(
                        "{name:?} is a {}",
                        if kind == Kind::Fifo {
                            "FIFO"
                        } else {
                            "device node"
                        }
                    ),
                ),
                Kind::Regular | Kind::Directory => {}
            }
            if kind != Kind::Directory {
                self.count_name(&raw_name, &name);
            }
            if kind != Kind::Regular {
                if size > 0 {
                    ctx.report(
                        Code::TarMalformed,
                        Some(at),
                        format!(
                            "{name:?} is not a regular file but declares {size} bytes of data: Python's tarfile reads the next header there, other readers skip the data"
                        ),
                    );
                }
                continue;
            }
            if let Some(i) = TORCH_MEMBERS
                .iter()
                .position(|t| normalised(&raw_name) == *t)
                && let Some(seen) = self.torch.get_mut(i)
            {
                *seen = true;
            }
            let fact = ctx.facts.members.len();
            ctx.facts.members.push(Member {
                name: self.full_name(&name),
                size,
                format: Format::Unknown,
            });
            let start = inp.pos();
            let (format, present) = inp.member(ctx, &name, size)?;
            if let Some(e) = self.extents.as_mut() {
                e.push((start, start.saturating_add(present)));
            }
            if let Some(m) = ctx.facts.members.get_mut(fact) {
                m.format = format;
            }
            if present < size {
                self.truncated(ctx, at, "member", size, present);
                break;
            }
            inp.skip(padding(size))?;
        }
        if let Some(from) = self.junk_at {
            inp.unlisted(ctx, from)?;
        }
        Ok(self.finish(ctx))
    }

    /// Reports bytes after the end-of-archive marker that are not a member header.
    fn trailing(&mut self, ctx: &mut Ctx, at: u64) {
        self.junk_at.get_or_insert(at);
        if !self.reported_trailing {
            self.reported_trailing = true;
            let after = match self.end_at {
                Some(end) => format!("after the end-of-archive marker at {end}"),
                None => "after a broken header".to_owned(),
            };
            ctx.report(
                Code::TarTrailingData,
                Some(at),
                format!(
                    "bytes at offset {at}, {after}, are neither zero nor a header; they were scanned for what they hold"
                ),
            );
        }
    }

    fn truncated(&self, ctx: &mut Ctx, at: u64, what: &str, declared: u64, present: u64) {
        ctx.report_with(
            Code::TarMalformed,
            Code::TarMalformed.default_severity(),
            Some(at),
            format!(
                "the archive ends inside the {what} at offset {at}: {declared} bytes declared, {present} present"
            ),
            Evidence::mismatch(declared.to_string(), present.to_string()),
        );
    }

    fn check_name(&self, ctx: &mut Ctx, raw: &[u8], name: &str, at: u64) {
        if escapes(raw) {
            ctx.report(
                Code::TarPathTraversal,
                Some(at),
                format!(
                    "member name {name:?} is absolute or climbs out of the extraction directory"
                ),
            );
        }
    }

    fn count_name(&mut self, raw: &[u8], name: &str) {
        let index = self.members;
        let entry = self
            .names
            .entry(NameKey::of(normalised(raw)))
            .or_insert_with(|| (0, index, name.to_owned()));
        entry.0 = entry.0.saturating_add(1);
    }

    /// Reports duplicates and refines the format; called once the headers are read.
    pub(super) fn finish(&mut self, ctx: &mut Ctx) -> Format {
        let mut dups: Vec<(u32, u32, String)> = self
            .names
            .drain()
            .filter(|(_, (n, _, _))| *n > 1)
            .map(|(_, (n, first, name))| (first, n, name))
            .collect();
        dups.sort_unstable();
        for (_, n, name) in dups {
            ctx.report(
                Code::TarDuplicateName,
                None,
                format!(
                    "{n} members are named {name:?}; extraction keeps the last, a reader that looks the name up may take another (all were scanned)"
                ),
            );
        }
        ctx.facts.members.shrink_to_fit();
        if self.torch.iter().all(|t| *t) {
            // `storages` and `tensors` hold pickles with raw tensor bytes between them, which
            // torch reads itself: bytes after a pickle there are data, not hidden content.
            let raw = [self.full_name("storages"), self.full_name("tensors")];
            ctx.retain_findings_from(self.before, |f| {
                !(f.code == Code::PickleTrailingData
                    && f.location
                        .member
                        .as_deref()
                        .is_some_and(|m| raw.iter().any(|r| r == m)))
            });
            return Format::PytorchTar;
        }
        Format::Tar
    }
}

/// Bytes of padding after `size` bytes of data, up to the next block.
fn padding(size: u64) -> u64 {
    match size.checked_rem(BLOCK) {
        Some(0) | None => 0,
        Some(r) => BLOCK.saturating_sub(r),
    }
}
