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
//! Layout: `records` holds the zip records and their readers (end record, local headers, data
//! descriptors, the central directory entry); `directory` reads the central directory; `walk`
//! walks the local headers in order; `scan` scans each member's content, through `inflate` for
//! compressed data; `reconcile` compares the two views. This file holds the entry points ([`inspect`],
//! [`find_eocd`], [`read_member`]), the inspection's state and the format choice.
//!
//! [`Limits::max_depth`]: crate::limits::Limits::max_depth
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod directory;
mod inflate;
mod reconcile;
mod records;
mod scan;
mod storages;
#[cfg(test)]
mod tests;
mod walk;

use super::member::read_capped;
use super::{Ctx, Member, torchscript};
use crate::detect::Format;
use crate::finding::Code;
use crate::source::{Source, SourceReader, Window};
use directory::{Dir, Entries, Next, Zip64};
use inflate::Inflate;
use records::{Central, DEFLATED, LocalRead, STORED, read_local, u32_at};
pub use records::{Eocd, find_eocd};
use scan::Scanned;
use std::collections::HashMap;
use std::io;
use std::rc::Rc;
use walk::Walked;

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
    fn full_name(&self, name: &str) -> String {
        match &self.parent {
            Some(p) => format!("{p}!{name}"),
            None => name.to_owned(),
        }
    }

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
        let pickles: Vec<String> = names
            .iter()
            .filter(|n| **n == "data.pkl" || n.ends_with("/data.pkl"))
            .map(|n| (*n).to_owned())
            .collect();
        if code_files > 0 || constants {
            self.torchscript(ctx, before);
            // torch.load takes the TorchScript path only for an archive with constants.pkl;
            // any other is unpickled as a checkpoint, storages and all.
            if !constants && !pickles.is_empty() {
                self.check_storages(ctx, &pickles);
            }
            return Format::TorchScript;
        }
        if !pickles.is_empty() {
            self.check_storages(ctx, &pickles);
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
    z.scanned.shrink_to_fit();
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
/// Deflated data is inflated under `limits` (the ratio caps of the scan in effect).
///
/// This only reads: what is wrong with the archive is reported by [`inspect`], which has
/// already run over the same bytes. Its entries are read by the inspection's reader of the
/// central directory (`directory::Entries`). Every size and offset is untrusted and checked; the
/// work is bounded by the central directory's declared size and by `max`.
pub fn read_member(
    src: &dyn Source,
    name: &str,
    max: u64,
    limits: &crate::limits::Limits,
) -> io::Result<Option<Vec<u8>>> {
    let Some(e) = find_eocd(src)? else {
        return Ok(None);
    };
    let len = src.len();
    let cd_end = e.cd_offset.saturating_add(e.cd_size).min(len);
    let win = Window::new(src, e.cd_offset, cd_end.saturating_sub(e.cd_offset));
    let mut entries = Entries::new(&win, e.base);
    let mut found: Option<(u16, u64, u64)> = None;
    let mut count = 0u64;
    while count < e.entries {
        count = count.saturating_add(1); // below e.entries
        let Next::Entry(entry) = entries.next_entry()? else {
            break;
        };
        if entry.full_name() != Some(name.as_bytes()) {
            continue;
        }
        // A zip64 field cut short after the compressed size: that size is read (the inspection
        // keeps the 32-bit one and reports the field).
        let csize = match entry.zip64 {
            Zip64::Short { csize: Some(cs) } => cs,
            _ => entry.central.csize,
        };
        if let Some(local_off) = entry.local_off {
            found = Some((entry.central.method, csize, local_off));
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
            let mut inf = Inflate::new(&data, cap, limits);
            read_capped(&mut inf, &mut out, cap)?;
        }
        _ => return Ok(None),
    }
    Ok(Some(out))
}
