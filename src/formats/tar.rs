//! Tar archives: SageMaker `model.tar.gz` bundles, NVIDIA NeMo `.nemo` files, PyTorch's oldest
//! `torch.save` layout (`storages`, `tensors`, `pickle` and `sys_info` members), any tar.
//!
//! The header parser is written here, to the layouts of POSIX.1-2001 (`pax`, ustar) and GNU tar
//! (`info tar`, "Standard" and "GNU Extensions"), with Python's `tarfile` (which SageMaker,
//! NeMo and `torch.load` use) as the reference for what a loader sees:
//!
//! - 512-byte headers; numbers are octal text or, with the top bit of the first byte set,
//!   base-256 (`0x80` positive, `0xff` negative); the checksum is the sum of the header bytes
//!   with its own field taken as spaces, unsigned or signed;
//! - ustar names are `prefix/name`; GNU long names (`L`) and long link targets (`K`) and pax
//!   extended headers (`x`, per member; `g`, global) carry `path`, `linkpath` and `size` for
//!   the header that follows. As in `tarfile`, the first extension header in a chain wins, and
//!   global values apply to members that have their own pax header;
//! - only regular members (and types `tarfile` does not know, which it reads as regular) have
//!   data; `tarfile` reads the next header right after a link, directory or device header
//!   whatever size it declares;
//! - an all-zero block ends the archive for `tarfile`; `tar --ignore-zeros` and GNU tar's
//!   recovery after a broken header read on. Members found there are scanned and reported
//!   (`tar-trailing-data`), so no reader sees a member the scan did not.
//!
//! Every member is inspected by content through [`super::inspect_source`], whatever its name,
//! with the same guards as zip members ([`super::member`]): path traversal, links that leave the
//! extraction directory, device and FIFO members, duplicate names, sizes, nesting depth.
//!
//! The archive is read once, forward, either from a [`Source`] (a file: member data are windows
//! on it, never copied) or from a stream (a decompressed `.tar.gz`: members up to
//! [`Limits::max_in_memory`] are held in memory, larger ones analysed as a stream when they are
//! a pickle or a tar, skipped otherwise with a finding). Memory per member is bounded by
//! [`Limits::max_tar_header_data`] for extension headers; work is linear in the archive.
//!
//! [`Limits::max_in_memory`]: crate::limits::Limits::max_in_memory
//! [`Limits::max_tar_header_data`]: crate::limits::Limits::max_tar_header_data
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::member::{
    MAX_NAME, escapes, inspect_member, inspect_streamed, needs_content, read_capped,
};
use super::{Ctx, Member};
use crate::detect::{self, Format, TAR_BLOCK};
use crate::digest::Sha256;
use crate::finding::{Code, Evidence};
use crate::source::{Source, Window};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};

const BLOCK: u64 = TAR_BLOCK as u64;

/// Member names up to this length are kept whole to find duplicates; longer ones by digest.
const SHORT_NAME: usize = 256;

/// What the inspection of a tar in a source found out about its layout.
pub struct Inspected {
    pub format: Format,
    /// Where each regular member's data lies, in archive order: `[start, end)`.
    extents: Vec<(u64, u64)>,
}

impl Inspected {
    /// Whether `[start, end)` lies within one member's data (a zip stored as a member is found
    /// again from the end of the file; it was scanned as that member).
    pub fn within_member(&self, start: u64, end: u64) -> bool {
        let i = self.extents.partition_point(|&(s, _)| s <= start);
        i.checked_sub(1)
            .and_then(|i| self.extents.get(i))
            .is_some_and(|&(s, e)| s <= start && end <= e)
    }
}

/// Inspects a tar archive read from a source (a file, a member of another archive).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Inspected> {
    let mut input = Positioned { src, pos: 0 };
    let mut tar = Tar::new(ctx);
    tar.extents = Some(Vec::new());
    let format = tar.run(&mut input, ctx)?;
    Ok(Inspected {
        format,
        extents: tar.extents.unwrap_or_default(),
    })
}

/// Inspects a tar archive read once from a stream (a decompressed `.tar.gz`). A read error of
/// kind `InvalidData` (corrupt compressed data, a decompression cap) ends the archive; the
/// caller reports it.
pub fn inspect_stream(r: &mut dyn BufRead, ctx: &mut Ctx) -> io::Result<Format> {
    let mut input = Streamed { r, pos: 0 };
    let mut tar = Tar::new(ctx);
    match tar.run(&mut input, ctx) {
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(tar.finish(ctx)),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Where the bytes come from

/// The archive's bytes, read forward.
trait Input {
    /// Offset of the next byte in the archive.
    fn pos(&self) -> u64;
    /// Reads up to one block; returns how many bytes were read (fewer than 512 only at the end).
    fn block(&mut self, buf: &mut [u8; TAR_BLOCK]) -> io::Result<usize>;
    /// Reads the next `n` bytes (fewer at the end) into `out`; `n` is bounded by the caller.
    fn read_data(&mut self, n: u64, out: &mut Vec<u8>) -> io::Result<()>;
    /// Skips up to `n` bytes; returns how many there were.
    fn skip(&mut self, n: u64) -> io::Result<u64>;
    /// Inspects the next `n` bytes as member `name` (inside it, see [`Ctx::enter`]) and moves
    /// past them. Returns the member's format and how many of its bytes were present.
    fn member(&mut self, ctx: &mut Ctx, name: &str, n: u64) -> io::Result<(Format, u64)>;
    /// Inspects everything from offset `from` to the end: bytes after the archive.
    fn unlisted(&mut self, ctx: &mut Ctx, from: u64) -> io::Result<()>;
}

/// A tar in a [`Source`]: member data are windows on it.
struct Positioned<'a> {
    src: &'a dyn Source,
    pos: u64,
}

impl Input for Positioned<'_> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn block(&mut self, buf: &mut [u8; TAR_BLOCK]) -> io::Result<usize> {
        let n = self.src.len().saturating_sub(self.pos).min(BLOCK) as usize;
        let Some(part) = buf.get_mut(..n) else {
            return Ok(0);
        };
        self.src.read_exact_at(self.pos, part)?;
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }

    fn read_data(&mut self, n: u64, out: &mut Vec<u8>) -> io::Result<()> {
        let n = n.min(self.src.len().saturating_sub(self.pos));
        *out = self
            .src
            .read_vec(self.pos, usize::try_from(n).unwrap_or(0))?;
        self.pos = self.pos.saturating_add(out.len() as u64);
        Ok(())
    }

    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let n = n.min(self.src.len().saturating_sub(self.pos));
        self.pos = self.pos.saturating_add(n);
        Ok(n)
    }

    fn member(&mut self, ctx: &mut Ctx, name: &str, n: u64) -> io::Result<(Format, u64)> {
        let win = Window::new(self.src, self.pos, n);
        let present = win.len();
        self.pos = self.pos.saturating_add(present);
        if present == 0 {
            return Ok((Format::Empty, 0));
        }
        let format = match inspect_member(ctx, &win, name, false)? {
            Some(f) => f,
            None => detect::detect(&win.read_vec(0, detect::HEAD_LEN)?, present, name),
        };
        Ok((format, present))
    }

    fn unlisted(&mut self, ctx: &mut Ctx, from: u64) -> io::Result<()> {
        let win = Window::new(self.src, from, self.src.len().saturating_sub(from));
        if !win.is_empty() {
            let name = format!("<{} bytes after the archive at offset {from}>", win.len());
            inspect_member(ctx, &win, &name, false)?;
        }
        self.pos = self.src.len();
        Ok(())
    }
}

/// A tar read once from a stream: small members are copied into memory, large ones streamed.
struct Streamed<'a> {
    r: &'a mut dyn BufRead,
    pos: u64,
}

impl Streamed<'_> {
    /// Reads until `buf` is full or the stream ends.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0usize;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            match self.r.read(rest) {
                Ok(0) => break,
                Ok(n) => done = done.saturating_add(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pos = self.pos.saturating_add(done as u64);
        Ok(done)
    }
}

impl Input for Streamed<'_> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn block(&mut self, buf: &mut [u8; TAR_BLOCK]) -> io::Result<usize> {
        self.fill(buf)
    }

    fn read_data(&mut self, n: u64, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        read_capped(&mut (&mut self.r).take(n), out, n)?;
        self.pos = self.pos.saturating_add(out.len() as u64);
        Ok(())
    }

    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let n = io::copy(&mut (&mut self.r).take(n), &mut io::sink())?;
        self.pos = self.pos.saturating_add(n);
        Ok(n)
    }

    fn member(&mut self, ctx: &mut Ctx, name: &str, n: u64) -> io::Result<(Format, u64)> {
        let max = ctx.limits.max_in_memory;
        if n <= max {
            let mut data = Vec::new();
            self.read_data(n, &mut data)?;
            let present = data.len() as u64;
            if data.is_empty() {
                return Ok((Format::Empty, 0));
            }
            let format = match inspect_member(ctx, &data, name, false)? {
                Some(f) => f,
                None => {
                    detect::detect(data.get(..detect::HEAD_LEN).unwrap_or(&data), present, name)
                }
            };
            return Ok((format, present));
        }
        let mut r = BufReader::with_capacity(256 << 10, (&mut self.r).take(n));
        let head = r.fill_buf()?;
        let det = detect::detect(head.get(..detect::HEAD_LEN).unwrap_or(head), n, name);
        let format = match inspect_streamed(ctx, name, det, &mut r)? {
            Some(f) => f,
            None => {
                if needs_content(det) {
                    ctx.report(
                        Code::ArchiveDepthExceeded,
                        Some(self.pos),
                        format!(
                            "{name:?} is larger than {max} bytes in a compressed tar and not a pickle or a tar: its {} content was not inspected",
                            det.describe()
                        ),
                    );
                }
                det
            }
        };
        io::copy(&mut r, &mut io::sink())?;
        // What the inner parser read plus the rest: the member's bytes present in the stream.
        let present = n.saturating_sub(r.into_inner().limit());
        self.pos = self.pos.saturating_add(present);
        Ok((format, present))
    }

    fn unlisted(&mut self, ctx: &mut Ctx, from: u64) -> io::Result<()> {
        // Only the bytes still ahead can be read; `from` is behind in a stream.
        let mut data = Vec::new();
        read_capped(&mut self.r, &mut data, ctx.limits.max_in_memory)?;
        self.pos = self.pos.saturating_add(data.len() as u64);
        if !data.is_empty() {
            let name = format!("<{} bytes after the archive at offset {from}>", data.len());
            inspect_member(ctx, &data, &name, false)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Headers

/// A header block that passed its checksum and whose numbers parse.
#[derive(Debug)]
struct Header {
    /// `prefix/name` (ustar), cut at the first NUL.
    name: Vec<u8>,
    linkname: Vec<u8>,
    size: u64,
    typeflag: u8,
}

/// Why a block is not a usable header.
#[derive(Debug, PartialEq, Eq)]
enum BadHeader {
    Checksum,
    Number(&'static str),
    NegativeSize,
}

impl std::fmt::Display for BadHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadHeader::Checksum => f.write_str("its checksum does not match its bytes"),
            BadHeader::Number(field) => write!(f, "its {field} field is not a number"),
            BadHeader::NegativeSize => f.write_str("it declares a negative size (base-256)"),
        }
    }
}

/// A tar number: `Ok(Some(n))`, `Ok(None)` for a negative base-256 value, `Err` when the field
/// is neither octal text nor base-256, or does not fit 64 bits.
fn number(field: &[u8]) -> Result<Option<u64>, ()> {
    match field.split_first() {
        Some((0x80, rest)) | Some((0xff, rest)) => {
            if field.first() == Some(&0xff) {
                return Ok(None);
            }
            rest.iter().try_fold(Some(0u64), |n, b| {
                n.and_then(|n| n.checked_mul(256)?.checked_add(u64::from(*b)))
                    .map(Some)
                    .ok_or(())
            })
        }
        _ => {
            let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
            let digits = field.get(..end).unwrap_or_default().trim_ascii();
            digits
                .iter()
                .try_fold(0u64, |n, d| {
                    if !(b'0'..=b'7').contains(d) {
                        return None;
                    }
                    n.checked_mul(8)?
                        .checked_add(u64::from(d.wrapping_sub(b'0')))
                })
                .map(Some)
                .ok_or(())
        }
    }
}

/// A string field, cut at its first NUL.
fn text(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or_default()
}

fn field(b: &[u8; TAR_BLOCK], from: usize, to: usize) -> &[u8] {
    b.get(from..to).unwrap_or_default()
}

fn parse_header(b: &[u8; TAR_BLOCK]) -> Result<Header, BadHeader> {
    if !detect::tar_checksum_ok(b) {
        return Err(BadHeader::Checksum);
    }
    // Python's tarfile parses every number field and refuses the header if one does not parse.
    for (name, from, to) in [
        ("mode", 100, 108),
        ("uid", 108, 116),
        ("gid", 116, 124),
        ("mtime", 136, 148),
        ("devmajor", 329, 337),
        ("devminor", 337, 345),
    ] {
        number(field(b, from, to)).map_err(|()| BadHeader::Number(name))?;
    }
    let size = number(field(b, 124, 136))
        .map_err(|()| BadHeader::Number("size"))?
        .ok_or(BadHeader::NegativeSize)?;
    let typeflag = b.get(156).copied().unwrap_or(0);
    let mut name = text(field(b, 0, 100)).to_vec();
    let prefix = text(field(b, 345, 500));
    if !prefix.is_empty() && !matches!(typeflag, b'L' | b'K' | b'S') {
        let mut full = prefix.to_vec();
        full.push(b'/');
        full.extend_from_slice(&name);
        name = full;
    }
    Ok(Header {
        name,
        linkname: text(field(b, 157, 257)).to_vec(),
        size,
        typeflag,
    })
}

/// Values an extension header sets for what follows.
#[derive(Debug, Default, Clone)]
struct Overrides {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
}

impl Overrides {
    /// Takes the values `other` has and this one does not (the first header in a chain wins).
    fn fill_from(&mut self, other: Overrides) {
        self.path = self.path.take().or(other.path);
        self.linkpath = self.linkpath.take().or(other.linkpath);
        self.size = self.size.or(other.size);
    }
}

/// Parses pax extended header records (`"%d %s=%s\n"`, the length counting the whole record).
fn pax_records(data: &[u8]) -> Result<Overrides, String> {
    let mut out = Overrides::default();
    let mut rest = data;
    // Python's tarfile stops at the first NUL where a record would start.
    while rest.first().is_some_and(|b| *b != 0) {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || rest.get(digits) != Some(&b' ') {
            return Err("a record does not start with its length".into());
        }
        let len = std::str::from_utf8(rest.get(..digits).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n > digits.saturating_add(1) && *n <= rest.len())
            .ok_or_else(|| "a record's length does not fit the header".to_owned())?;
        let (record, tail) = rest.split_at(len);
        rest = tail;
        let Some(kv) = record
            .get(digits.saturating_add(1)..)
            .and_then(|r| r.strip_suffix(b"\n"))
        else {
            return Err("a record does not end with a newline".into());
        };
        let Some(eq) = kv.iter().position(|b| *b == b'=') else {
            return Err("a record has no '='".into());
        };
        let (key, value) = (
            kv.get(..eq).unwrap_or_default(),
            kv.get(eq.saturating_add(1)..).unwrap_or_default(),
        );
        match key {
            b"path" => out.path = Some(value.to_vec()),
            b"linkpath" => out.linkpath = Some(value.to_vec()),
            b"size" => {
                let n = std::str::from_utf8(value)
                    .ok()
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok());
                match n {
                    Some(n) => out.size = Some(n),
                    // tarfile takes an unparsable size as 0.
                    None => {
                        out.size = Some(0);
                        return Err(format!(
                            "the size record {:?} is not a decimal number",
                            String::from_utf8_lossy(value)
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// What a header describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Directory,
    Symlink,
    Hardlink,
    Device,
    Fifo,
}

fn kind(typeflag: u8, name: &[u8]) -> Kind {
    match typeflag {
        // v7 tars mark directories with a trailing slash on a type-NUL header (tarfile does
        // not extend this to type `0`).
        0 if name.ends_with(b"/") => Kind::Directory,
        b'1' => Kind::Hardlink,
        b'2' => Kind::Symlink,
        b'3' | b'4' => Kind::Device,
        b'5' => Kind::Directory,
        b'6' => Kind::Fifo,
        // Regular, contiguous, GNU sparse (its stored data), and every type tarfile does not
        // know: tarfile reads those as regular files.
        _ => Kind::Regular,
    }
}

/// A link target that leaves the extraction directory: absolute, or climbing past the root
/// with `..`. Symbolic links resolve from the link's directory, hard links from the root.
fn link_escapes(name: &[u8], target: &[u8], symbolic: bool) -> bool {
    let drive = matches!(target, [l, b':', ..] if l.is_ascii_alphabetic());
    if drive || target.first().is_some_and(|c| *c == b'/' || *c == b'\\') {
        return true;
    }
    let parts = |s: &[u8]| -> Vec<Vec<u8>> {
        s.split(|c| *c == b'/' || *c == b'\\')
            .filter(|c| !c.is_empty() && *c != b".")
            .map(<[u8]>::to_vec)
            .collect()
    };
    let mut depth = 0u64;
    if symbolic {
        let mut dir = parts(name);
        dir.pop();
        for c in dir {
            depth = if c == b".." {
                depth.saturating_sub(1)
            } else {
                depth.saturating_add(1)
            };
        }
    }
    for c in parts(target) {
        if c == b".." {
            match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            }
        } else {
            depth = depth.saturating_add(1);
        }
    }
    false
}

/// The name as extraction sees it, for duplicates: without `./` in front or `/` behind.
fn normalised(name: &[u8]) -> &[u8] {
    let mut n = name;
    while let Some(rest) = n.strip_prefix(b"./") {
        n = rest;
    }
    while let Some(rest) = n.strip_suffix(b"/") {
        n = rest;
    }
    n
}

/// A member name for messages and facts: lossy UTF-8, at most [`MAX_NAME`] bytes.
fn display(name: &[u8]) -> String {
    let cut = name.get(..MAX_NAME).unwrap_or(name);
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < name.len() {
        s.push_str(&format!("...<{} bytes>", name.len()));
    }
    s
}

/// How duplicates are found without holding every long name.
#[derive(Debug, PartialEq, Eq, Hash)]
enum NameKey {
    Short(Box<[u8]>),
    Long([u8; 32]),
}

impl NameKey {
    fn of(name: &[u8]) -> Self {
        if name.len() <= SHORT_NAME {
            NameKey::Short(name.into())
        } else {
            NameKey::Long(Sha256::of(name).0)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The archive

struct Tar {
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
    extents: Option<Vec<(u64, u64)>>,
}

const TORCH_MEMBERS: [&[u8]; 3] = [b"storages", b"tensors", b"pickle"];

impl Tar {
    fn new(ctx: &Ctx) -> Self {
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

    fn run(&mut self, inp: &mut dyn Input, ctx: &mut Ctx) -> io::Result<Format> {
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
    fn finish(&mut self, ctx: &mut Ctx) -> Format {
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

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;
    use std::io::Write;

    const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";

    /// A ustar header block with a valid checksum; `size` is written as octal text.
    fn header(name: &[u8], size: u64, typeflag: u8, link: &[u8]) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        seal(&mut h);
        h
    }

    /// Writes the checksum of a header whose fields were changed.
    fn seal(h: &mut [u8; 512]) {
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    }

    fn data(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    fn member(out: &mut Vec<u8>, name: &str, bytes: &[u8]) {
        out.extend_from_slice(&header(name.as_bytes(), bytes.len() as u64, b'0', b""));
        data(out, bytes);
    }

    fn end(out: &mut Vec<u8>) {
        out.extend_from_slice(&[0u8; 1024]);
    }

    fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, b) in members {
            member(&mut out, n, b);
        }
        end(&mut out);
        out
    }

    struct Run {
        format: Format,
        codes: Vec<Code>,
        members: Vec<Member>,
    }

    impl Run {
        fn has(&self, c: Code) {
            assert!(self.codes.contains(&c), "{c:?} not in {:?}", self.codes);
        }
        fn lacks(&self, c: Code) {
            assert!(!self.codes.contains(&c), "{c:?} in {:?}", self.codes);
        }
    }

    fn policy() -> &'static Policy {
        static P: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        P.get_or_init(|| Policy::new(&[], false).unwrap())
    }

    fn run_with(bytes: &[u8], limits: Limits) -> Run {
        let mut ctx = Ctx::new(&limits, policy(), "m.tar");
        let format = inspect(&bytes.to_vec(), &mut ctx).unwrap().format;
        Run {
            format,
            codes: ctx.findings.iter().map(|f| f.code).collect(),
            members: ctx.facts.members,
        }
    }

    /// Through the shared entry point, as a file named `name`.
    fn run_file(bytes: &[u8], name: &str, limits: Limits) -> Run {
        let mut ctx = Ctx::new(&limits, policy(), name);
        let format = super::super::inspect_source(&bytes.to_vec(), &mut ctx, name).unwrap();
        Run {
            format,
            codes: ctx.findings.iter().map(|f| f.code).collect(),
            members: ctx.facts.members,
        }
    }

    fn run(bytes: &[u8]) -> Run {
        run_with(bytes, Limits::default())
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(bytes).unwrap();
        g.finish().unwrap()
    }

    #[test]
    fn detects_ustar_gnu_and_checksummed_v7_headers() {
        let t = tar(&[("a.txt", b"hello")]);
        assert_eq!(detect::detect(&t, t.len() as u64, "x"), Format::Tar);
        let mut gnu = t.clone();
        gnu[257..265].copy_from_slice(b"ustar  \0");
        assert_eq!(detect::detect(&gnu, gnu.len() as u64, "x"), Format::Tar);
        let mut v7 = t.clone();
        v7[257..265].fill(0);
        let mut h: [u8; 512] = v7[..512].try_into().unwrap();
        seal(&mut h);
        v7[..512].copy_from_slice(&h);
        assert_eq!(detect::detect(&v7, v7.len() as u64, "x"), Format::Tar);
        // Without the magic, a bad checksum is not a tar.
        v7[0] = b'b';
        assert_ne!(detect::detect(&v7, v7.len() as u64, "x"), Format::Tar);
    }

    #[test]
    fn scans_every_member_by_content_whatever_its_name() {
        let r = run(&tar(&[
            ("config.json", b"{\"a\": 1}"),
            ("weights.txt", MAL),
        ]));
        assert_eq!(r.format, Format::Tar);
        r.has(Code::PickleDangerousCall);
        assert_eq!(r.members.len(), 2);
        assert_eq!(r.members[1].format, Format::Pickle);
    }

    #[test]
    fn reports_a_truncated_header() {
        let mut t = tar(&[("a.txt", b"hello")]);
        t.truncate(1024 + 300);
        t[1024..1324].fill(b'x');
        let r = run(&t[..1324]);
        r.has(Code::TarMalformed);
    }

    #[test]
    fn reports_a_truncated_member_and_scans_what_is_there() {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"big.pkl", 1 << 20, b'0', b""));
        t.extend_from_slice(MAL);
        let r = run(&t);
        r.has(Code::TarMalformed);
        r.has(Code::PickleDangerousCall);
    }

    #[test]
    fn a_bad_checksum_is_malformed_and_the_next_header_is_still_found() {
        let mut t = tar(&[("a.txt", b"hello"), ("b.bin", MAL)]);
        t[0] ^= 1;
        let r = run(&t);
        r.has(Code::TarMalformed);
        r.has(Code::PickleDangerousCall);
    }

    #[test]
    fn a_huge_declared_size_is_truncation_not_an_allocation() {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"huge", 0o77777777777, b'0', b""));
        t.extend_from_slice(b"some bytes");
        let r = run(&t);
        r.has(Code::TarMalformed);
        // Base-256 past 64 bits is not a number.
        let mut h = header(b"huger", 0, b'0', b"");
        h[124] = 0x80;
        h[125..136].fill(0xff);
        seal(&mut h);
        let r = run(&h);
        r.has(Code::TarMalformed);
    }

    #[test]
    fn a_negative_size_never_moves_backwards() {
        let mut t = Vec::new();
        let mut h = header(b"neg", 0, b'0', b"");
        h[124..136].fill(0xff);
        seal(&mut h);
        t.extend_from_slice(&h);
        member(&mut t, "after.bin", MAL);
        end(&mut t);
        assert_eq!(number(&h[124..136]), Ok(None));
        let r = run(&t);
        r.has(Code::TarMalformed);
        r.has(Code::PickleDangerousCall);
    }

    #[test]
    fn a_base256_size_is_read() {
        let mut t = Vec::new();
        let mut h = header(b"b256.pkl", 0, b'0', b"");
        h[124..136].fill(0);
        h[124] = 0x80;
        h[135] = MAL.len() as u8;
        seal(&mut h);
        t.extend_from_slice(&h);
        data(&mut t, MAL);
        end(&mut t);
        let r = run(&t);
        assert_eq!(r.members[0].size, MAL.len() as u64);
        r.has(Code::PickleDangerousCall);
        r.lacks(Code::TarMalformed);
    }

    fn pax(records: &[(&str, &str)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (k, v) in records {
            let kv = format!(" {k}={v}\n");
            let mut n = kv.len() + 1;
            if format!("{n}{kv}").len() != n {
                n += 1;
            }
            body.extend_from_slice(format!("{n}{kv}").as_bytes());
        }
        body
    }

    #[test]
    fn a_pax_size_overrides_the_header_size() {
        let mut t = Vec::new();
        let p = pax(&[("size", &MAL.len().to_string()), ("path", "renamed.pkl")]);
        t.extend_from_slice(&header(b"PaxHeaders/x", p.len() as u64, b'x', b""));
        data(&mut t, &p);
        // The ustar header says 0 bytes: a reader that ignores pax reads the pickle as a header.
        t.extend_from_slice(&header(b"x", 0, b'0', b""));
        data(&mut t, MAL);
        member(&mut t, "next.txt", b"still found");
        end(&mut t);
        let r = run(&t);
        assert_eq!(r.members[0].name, "renamed.pkl");
        assert_eq!(r.members[0].size, MAL.len() as u64);
        assert_eq!(r.members[1].name, "next.txt");
        r.has(Code::PickleDangerousCall);
        r.lacks(Code::TarMalformed);
    }

    #[test]
    fn an_invalid_pax_record_is_malformed() {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"PaxHeaders/x", 11, b'x', b""));
        data(&mut t, b"99 path=a\n\n");
        member(&mut t, "a", b"text\n");
        end(&mut t);
        run(&t).has(Code::TarMalformed);
        assert!(pax_records(b"5 a=\n").is_ok());
        assert!(pax_records(b"6 size=x\n").is_err());
    }

    #[test]
    fn gnu_long_names_name_the_next_member_and_the_first_extension_wins() {
        let long = "d/".repeat(100) + "model.pkl";
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"././@LongLink", long.len() as u64 + 1, b'L', b""));
        data(&mut t, format!("{long}\0").as_bytes());
        let p = pax(&[("path", "loses.pkl")]);
        t.extend_from_slice(&header(b"PaxHeaders/x", p.len() as u64, b'x', b""));
        data(&mut t, &p);
        member(&mut t, "short", MAL);
        end(&mut t);
        let r = run(&t);
        assert_eq!(r.members[0].name, long);
    }

    #[test]
    fn long_name_chains_are_bounded() {
        let mut t = Vec::new();
        for _ in 0..1000 {
            t.extend_from_slice(&header(b"././@LongLink", 4, b'L', b""));
            data(&mut t, b"abc\0");
        }
        member(&mut t, "x", MAL);
        end(&mut t);
        let r = run(&t);
        r.has(Code::TarLimitExceeded);
        r.has(Code::PickleDangerousCall);
        // An extension header larger than the cap is skipped, not read.
        let limits = Limits {
            max_tar_header_data: 16,
            ..Limits::default()
        };
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"././@LongLink", 600, b'L', b""));
        data(&mut t, &[b'a'; 600]);
        member(&mut t, "x", MAL);
        end(&mut t);
        let r = run_with(&t, limits);
        r.has(Code::TarLimitExceeded);
        assert_eq!(r.members[0].name, "x");
    }

    #[test]
    fn links_devices_traversal_and_duplicates_are_reported() {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"ok-link", 0, b'2', b"sub/file"));
        let r = run(&{
            let mut t = t.clone();
            end(&mut t);
            t
        });
        assert!(r.codes.is_empty(), "{:?}", r.codes);
        t.extend_from_slice(&header(b"a/b/up", 0, b'2', b"../../../etc/passwd"));
        t.extend_from_slice(&header(b"hard", 0, b'1', b"/etc/shadow"));
        t.extend_from_slice(&header(b"dev", 0, b'3', b""));
        t.extend_from_slice(&header(b"pipe", 0, b'6', b""));
        member(&mut t, "../escape.txt", b"x");
        member(&mut t, "same", b"1");
        member(&mut t, "./same", b"2");
        end(&mut t);
        let r = run(&t);
        let count = |c: Code| r.codes.iter().filter(|x| **x == c).count();
        assert_eq!(count(Code::TarLinkEscape), 2, "{:?}", r.codes);
        assert_eq!(count(Code::TarSpecialFile), 2, "{:?}", r.codes);
        assert_eq!(count(Code::TarPathTraversal), 1, "{:?}", r.codes);
        assert_eq!(count(Code::TarDuplicateName), 1, "{:?}", r.codes);
    }

    #[test]
    fn link_targets_resolve_from_the_link_directory() {
        assert!(!link_escapes(b"a/b/l", b"../c", true));
        assert!(!link_escapes(b"a/b/l", b"../../c", true));
        assert!(link_escapes(b"a/b/l", b"../../../c", true));
        // Hard links resolve from the root.
        assert!(link_escapes(b"a/b/l", b"../c", false));
        assert!(link_escapes(b"l", b"C:\\x", true));
        assert!(!link_escapes(b"l", b"./x/./y", true));
    }

    #[test]
    fn data_behind_a_link_header_is_malformed() {
        let mut t = Vec::new();
        t.extend_from_slice(&header(b"l", 512, b'2', b"x"));
        data(&mut t, &[b'z'; 512]);
        end(&mut t);
        run(&t).has(Code::TarMalformed);
    }

    #[test]
    fn members_after_the_end_marker_are_scanned_and_reported() {
        let mut t = tar(&[("a.txt", b"hello")]);
        member(&mut t, "hidden.bin", MAL);
        end(&mut t);
        let r = run(&t);
        r.has(Code::TarTrailingData);
        r.has(Code::PickleDangerousCall);
        // Bytes that are no header after the end are scanned for what they are.
        let mut t = tar(&[("a.txt", b"hello")]);
        t.extend_from_slice(MAL);
        let r = run(&t);
        r.has(Code::TarTrailingData);
        r.has(Code::PickleDangerousCall);
    }

    #[test]
    fn the_legacy_torch_layout_is_recognised_and_its_pickles_scanned() {
        // `storages`: a count, then per storage a pickle and raw bytes (8-byte count first).
        let mut storages = b"\x80\x02K\x01.".to_vec();
        storages.extend_from_slice(b"\x80\x02X\x01\x00\x00\x000q\x00.");
        storages.extend_from_slice(&1u64.to_le_bytes());
        storages.extend_from_slice(&[0, 0, 0x80, 0x3f]);
        let r = run(&tar(&[
            ("sys_info", b"\x80\x02}q\x00."),
            ("storages", &storages),
            ("tensors", b"\x80\x02K\x00."),
            ("pickle", MAL),
        ]));
        assert_eq!(r.format, Format::PytorchTar);
        r.has(Code::PickleDangerousCall);
        r.lacks(Code::PickleTrailingData);
    }

    #[test]
    fn a_tar_inside_gzip_is_read_as_a_stream() {
        let gz = gzip(&tar(&[("config.json", b"{}"), ("model.bin", MAL)]));
        let r = run_file(&gz, "model.tar.gz", Limits::default());
        r.has(Code::PickleDangerousCall);
        assert_eq!(r.members[1].name, "<gzip>!model.bin");
        // A member larger than the in-memory cap is streamed when it is a pickle.
        let limits = Limits {
            max_in_memory: 16,
            ..Limits::default()
        };
        run_file(&gz, "model.tar.gz", limits).has(Code::PickleDangerousCall);
    }

    #[test]
    fn nested_tar_in_gzip_in_tar_stops_at_the_depth_limit() {
        // Each level is two: the member `inner.tar.gz`, then its decompressed `<gzip>`.
        let nested = |levels: usize| {
            let mut t = tar(&[("payload.pkl", MAL)]);
            for _ in 0..levels {
                t = tar(&[("inner.tar.gz", &gzip(&t))]);
            }
            t
        };
        let r = run(&nested(4));
        r.has(Code::ArchiveDepthExceeded);
        r.lacks(Code::PickleDangerousCall);
        // Within the limit, the payload is found.
        let r = run(&nested(2));
        r.has(Code::PickleDangerousCall);
        r.lacks(Code::ArchiveDepthExceeded);
    }

    #[test]
    fn a_hundred_thousand_empty_members_stop_at_the_member_limit() {
        let n = 100_001;
        let mut t = Vec::with_capacity(n * 512 + 1024);
        for i in 0..n {
            t.extend_from_slice(&header(format!("f{i}").as_bytes(), 0, b'0', b""));
        }
        end(&mut t);
        let r = run(&t);
        r.has(Code::TarLimitExceeded);
        assert_eq!(r.members.len(), 100_000);
        assert!(r.members.capacity() <= 100_000);
    }

    #[test]
    fn a_zip_stored_as_the_last_member_is_that_member_not_a_polyglot() {
        // The smallest zip: one stored member, its central directory and end record.
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&0xd87f7e0cu32.to_le_bytes());
        z.extend_from_slice(&[4, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0]);
        z.extend_from_slice(b"a.txttest");
        let cd = z.len() as u32;
        z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&0xd87f7e0cu32.to_le_bytes());
        z.extend_from_slice(&[
            4, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        z.extend_from_slice(&[0, 0, 0, 0]);
        z.extend_from_slice(b"a.txt");
        let cd_len = z.len() as u32 - cd;
        z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        z.extend_from_slice(&cd_len.to_le_bytes());
        z.extend_from_slice(&cd.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        let r = run_file(&tar(&[("model.ckpt", &z)]), "model.nemo", Limits::default());
        assert_eq!(r.members[0].format, Format::Zip);
        assert!(r.codes.is_empty(), "{:?}", r.codes);
    }

    #[test]
    fn a_tar_whose_first_name_is_a_pickle_is_a_polyglot() {
        let mut t = tar(&[("x", b"data")]);
        let name = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";
        t[..100].fill(0);
        t[..name.len()].copy_from_slice(name);
        let mut h: [u8; 512] = t[..512].try_into().unwrap();
        seal(&mut h);
        t[..512].copy_from_slice(&h);
        let r = run_file(&t, "x.tar", Limits::default());
        assert_eq!(r.format, Format::Tar);
        r.has(Code::Polyglot);
        r.has(Code::PickleDangerousCall);
    }
}
