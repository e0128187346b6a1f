//! Tar headers: the header block and its numbers (octal or base-256), GNU and pax extension
//! records, member kinds, link targets and names.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::detect::{self, TAR_BLOCK};
use crate::digest::Sha256;
use crate::formats::member::MAX_NAME;

/// Member names up to this length are kept whole to find duplicates; longer ones by digest.
const SHORT_NAME: usize = 256;

/// A header block that passed its checksum and whose numbers parse.
#[derive(Debug)]
pub(super) struct Header {
    /// `prefix/name` (ustar), cut at the first NUL.
    pub(super) name: Vec<u8>,
    pub(super) linkname: Vec<u8>,
    pub(super) size: u64,
    pub(super) typeflag: u8,
}

/// Why a block is not a usable header.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BadHeader {
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
pub(super) fn number(field: &[u8]) -> Result<Option<u64>, ()> {
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
pub(super) fn text(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or_default()
}

pub(super) fn field(b: &[u8; TAR_BLOCK], from: usize, to: usize) -> &[u8] {
    b.get(from..to).unwrap_or_default()
}

pub(super) fn parse_header(b: &[u8; TAR_BLOCK]) -> Result<Header, BadHeader> {
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
pub(super) struct Overrides {
    pub(super) path: Option<Vec<u8>>,
    pub(super) linkpath: Option<Vec<u8>>,
    pub(super) size: Option<u64>,
}

impl Overrides {
    /// Takes the values `other` has and this one does not (the first header in a chain wins).
    pub(super) fn fill_from(&mut self, other: Overrides) {
        self.path = self.path.take().or(other.path);
        self.linkpath = self.linkpath.take().or(other.linkpath);
        self.size = self.size.or(other.size);
    }
}

/// Parses pax extended header records (`"%d %s=%s\n"`, the length counting the whole record).
pub(super) fn pax_records(data: &[u8]) -> Result<Overrides, String> {
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
pub(super) enum Kind {
    Regular,
    Directory,
    Symlink,
    Hardlink,
    Device,
    Fifo,
}

pub(super) fn kind(typeflag: u8, name: &[u8]) -> Kind {
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
pub(super) fn link_escapes(name: &[u8], target: &[u8], symbolic: bool) -> bool {
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
pub(super) fn normalised(name: &[u8]) -> &[u8] {
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
pub(super) fn display(name: &[u8]) -> String {
    let cut = name.get(..MAX_NAME).unwrap_or(name);
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < name.len() {
        s.push_str(&format!("...<{} bytes>", name.len()));
    }
    s
}

/// How duplicates are found without holding every long name.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) enum NameKey {
    Short(Box<[u8]>),
    Long([u8; 32]),
}

impl NameKey {
    pub(super) fn of(name: &[u8]) -> Self {
        if name.len() <= SHORT_NAME {
            NameKey::Short(name.into())
        } else {
            NameKey::Long(Sha256::of(name).0)
        }
    }
}
