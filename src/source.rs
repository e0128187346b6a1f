//! Random-access byte sources that the format parsers read from.
//!
//! A [`Source`] is a file being hashed ([`crate::digest::HashingFile`]), a byte buffer (a
//! decompressed member, a nested pickle) or a [`Window`] onto part of another source (a stored
//! zip member). Parsers never assume one read fills a buffer: [`Source::read_exact_at`] and
//! [`SourceReader`] report short data as `UnexpectedEof`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::io::{self, BufRead, Read};

/// The whole content of an opened file, at most `cap` bytes: refused unread when its size is
/// over the cap, and refused when the read passes it (a pipe, or a file that grows meanwhile).
/// The one bounded whole-file read for the small files read beside a model (shard reports,
/// signatures and policies, release manifests and evaluation results).
pub fn read_capped(file: std::fs::File, cap: u64) -> io::Result<Vec<u8>> {
    let too_big = |n: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{n} bytes or more, more than the limit of {cap} bytes"),
        )
    };
    let len = file.metadata()?.len();
    if len > cap {
        return Err(too_big(len));
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(too_big(out.len() as u64));
    }
    Ok(out)
}

pub trait Source {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// Reads up to `buf.len()` bytes at `off`; returns 0 at or past the end.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads exactly `buf.len()` bytes at `off`.
    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0usize;
        while let Some(rest) = buf.get_mut(done..).filter(|rest| !rest.is_empty()) {
            // `off + done` never passes the source's length: each read is within it.
            let n = self.read_at(off.saturating_add(done as u64), rest)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "wanted {} bytes at offset {off}, data ends first",
                        buf.len()
                    ),
                ));
            }
            done = done.saturating_add(n);
        }
        Ok(())
    }

    /// Reads up to `n` bytes at `off` into a new vector (shorter at the end of the source).
    fn read_vec(&self, off: u64, n: usize) -> io::Result<Vec<u8>> {
        let avail = self.len().saturating_sub(off);
        let n = (n as u64).min(avail) as usize;
        let mut v = vec![0u8; n];
        self.read_exact_at(off, &mut v)?;
        Ok(v)
    }
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(off) = usize::try_from(off) else {
            return Ok(0);
        };
        let Some(rest) = self.get(off..) else {
            return Ok(0);
        };
        Ok(copy_prefix(buf, rest))
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.as_slice().read_at(off, buf)
    }
}

/// A part `[start, start + len)` of another source.
pub struct Window<'a> {
    inner: &'a dyn Source,
    start: u64,
    len: u64,
}

impl<'a> Window<'a> {
    /// The window is clamped to the inner source's length.
    pub fn new(inner: &'a dyn Source, start: u64, len: u64) -> Self {
        let start = start.min(inner.len());
        let len = len.min(inner.len().saturating_sub(start));
        Window { inner, start, len }
    }
}

impl Source for Window<'_> {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        if off >= self.len {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(self.len.saturating_sub(off)) as usize;
        let Some(buf) = buf.get_mut(..n) else {
            return Ok(0);
        };
        // Below `start + len`, which `new` clamped to the inner length.
        self.inner.read_at(self.start.saturating_add(off), buf)
    }
}

/// Sequential, buffered reading of a source from an offset, as `Read + BufRead`.
pub struct SourceReader<'a> {
    src: &'a dyn Source,
    pos: u64,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

const READ_BUF: usize = 64 << 10;

impl<'a> SourceReader<'a> {
    pub fn new(src: &'a dyn Source, pos: u64) -> Self {
        SourceReader {
            src,
            pos,
            // Allocated at the first read: a reader that is never read costs nothing.
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = copy_prefix(out, avail);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SourceReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            if self.buf.is_empty() {
                // Sized by what is left (a zip of a million tiny members reads each through
                // its own reader: zeroing 64 KiB for each was a fifth of the scan).
                let left = self.src.len().saturating_sub(self.pos);
                if left == 0 {
                    return Ok(&[]);
                }
                self.buf = vec![0; usize::try_from(left).map_or(READ_BUF, |l| l.min(READ_BUF))];
            }
            let n = self.src.read_at(self.pos, &mut self.buf)?;
            self.pos = self.pos.saturating_add(n as u64);
            self.start = 0;
            self.end = n;
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or_default())
    }
    fn consume(&mut self, amt: usize) {
        self.start = self.start.saturating_add(amt).min(self.end);
    }
}

/// Copies as many bytes as both slices hold; returns how many.
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(dst), Some(src)) = (dst.get_mut(..n), src.get(..n)) {
        dst.copy_from_slice(src);
    }
    n
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn window_clamps_to_inner_length() {
        let data = b"0123456789".to_vec();
        let w = Window::new(&data, 7, 100);
        assert_eq!(w.len(), 3);
        assert_eq!(w.read_vec(0, 10).unwrap(), b"789");
        let w = Window::new(&data, 50, 5);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn read_exact_at_reports_short_data() {
        let data = b"abc".to_vec();
        let mut buf = [0u8; 4];
        let err = data.read_exact_at(0, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn source_reader_reads_sequentially_from_offset() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut r = SourceReader::new(&data, 5);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, &data[5..]);
    }
}
