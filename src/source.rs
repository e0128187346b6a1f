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

/// A reader that can pass over bytes: one over a [`Source`] moves its position without
/// reading them; any other reads and drops them.
pub trait Skip: BufRead {
    /// Passes over `n` bytes; returns how many there were (fewer at the end of the data).
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut done = 0u64;
        while done < n {
            let avail = self.fill_buf()?;
            if avail.is_empty() {
                break;
            }
            let m = usize::try_from((avail.len() as u64).min(n.saturating_sub(done))).unwrap_or(0);
            self.consume(m);
            done = done.saturating_add(m as u64);
        }
        Ok(done)
    }
}

impl Skip for SourceReader<'_> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let held = self.end.saturating_sub(self.start);
        if let Ok(m) = usize::try_from(n)
            && m <= held
        {
            self.consume(m);
            return Ok(n);
        }
        self.start = self.end;
        let rest = n.saturating_sub(held as u64);
        let passed = rest.min(self.src.len().saturating_sub(self.pos));
        self.pos = self.pos.saturating_add(passed);
        Ok((held as u64).saturating_add(passed))
    }
}

/// Any reader, passed over by reading ([`Skip`]'s default).
pub struct ReadOver<'a>(pub &'a mut dyn BufRead);

impl Read for ReadOver<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.0.read(out)
    }
}

impl BufRead for ReadOver<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.0.consume(amt);
    }
}

impl Skip for ReadOver<'_> {}

impl Skip for &[u8] {}

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

    #[test]
    fn a_source_reader_skips_without_reading_and_says_how_far_it_got() {
        /// Counts what is read from it.
        struct Counted(Vec<u8>, std::cell::Cell<u64>);
        impl Source for Counted {
            fn len(&self) -> u64 {
                self.0.len() as u64
            }
            fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.read_at(off, buf)?;
                self.1.set(self.1.get() + n as u64);
                Ok(n)
            }
        }
        let data: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
        let src = Counted(data.clone(), std::cell::Cell::new(0));
        let mut r = SourceReader::new(&src, 0);
        assert_eq!(r.fill_buf().unwrap()[..2], [0, 1]);
        // Within what is buffered, then far past it.
        assert_eq!(r.skip(10).unwrap(), 10);
        assert_eq!(r.fill_buf().unwrap()[0], 10);
        assert_eq!(r.skip(900_000).unwrap(), 900_000);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &data[900_010..]);
        assert!(src.1.get() < 300_000, "{} bytes read", src.1.get());
        // At the end of the data: fewer than asked.
        let mut r = SourceReader::new(&src, 999_990);
        assert_eq!(r.skip(100).unwrap(), 10);
        // Any other reader reads what it skips, and stops at the end as well.
        let mut slice: &[u8] = &data[..50];
        let mut over = ReadOver(&mut slice);
        assert_eq!(over.skip(40).unwrap(), 40);
        assert_eq!(over.fill_buf().unwrap()[0], 40);
        assert_eq!(over.skip(40).unwrap(), 10);
    }
}
