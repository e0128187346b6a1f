//! Buffered sequential reads in which every read first proves its bytes are in the file.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Result, bad, bad_with};
use crate::source::Source;
use std::fmt::Display;
use std::io;

const READ_BUF: usize = 64 << 10;

/// Sequential reads with explicit bounds: every read first proves that its bytes are in the
/// file ([`Reader::need`]), so truncation is a precise finding rather than an I/O error.
pub(super) struct Reader<'a> {
    src: &'a dyn Source,
    pub(super) len: u64,
    /// Invariant: `pos <= len`.
    pub(super) pos: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_at: u64,
}

impl<'a> Reader<'a> {
    pub(super) fn new(src: &'a dyn Source) -> Self {
        Reader {
            src,
            len: src.len(),
            pos: 0,
            buf: Vec::new(),
            buf_at: 0,
        }
    }

    pub(super) fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Fails unless `n` more bytes are in the file; `what` names the field for the message.
    fn need(&self, n: u64, what: &dyn Display) -> Result<()> {
        if n > self.remaining() {
            return Err(bad_with(
                self.pos,
                format!(
                    "the file ends inside {what}: {n} bytes needed at offset {}, {} left",
                    self.pos,
                    self.remaining()
                ),
                n,
                self.remaining(),
            ));
        }
        Ok(())
    }

    /// Fills `out` from the current position; the caller has checked [`Reader::need`].
    fn fill(&mut self, out: &mut [u8]) -> io::Result<()> {
        if out.len() >= READ_BUF {
            self.src.read_exact_at(self.pos, out)?;
            self.pos = self.pos.saturating_add(out.len() as u64);
            return Ok(());
        }
        let mut done = 0usize;
        while let Some(rest) = out.get_mut(done..)
            && !rest.is_empty()
        {
            let from = self
                .pos
                .checked_sub(self.buf_at)
                .and_then(|d| usize::try_from(d).ok());
            let avail = from.and_then(|f| self.buf.get(f..)).unwrap_or(&[]);
            if avail.is_empty() {
                let n = self.remaining().min(READ_BUF as u64) as usize;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "read past the end of the source",
                    ));
                }
                self.buf.resize(n, 0);
                self.src.read_exact_at(self.pos, &mut self.buf)?;
                self.buf_at = self.pos;
                continue;
            }
            let n = avail.len().min(rest.len());
            if let (Some(dst), Some(src)) = (rest.get_mut(..n), avail.get(..n)) {
                dst.copy_from_slice(src);
            }
            done = done.saturating_add(n);
            self.pos = self.pos.saturating_add(n as u64);
        }
        Ok(())
    }

    pub(super) fn array<const N: usize>(&mut self, what: &dyn Display) -> Result<[u8; N]> {
        self.need(N as u64, what)?;
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    pub(super) fn u32(&mut self, what: &dyn Display) -> Result<u32> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub(super) fn u64(&mut self, what: &dyn Display) -> Result<u64> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Reads `n` bytes (the caller bounds `n` by a limit first).
    pub(super) fn bytes(&mut self, n: u64, what: &dyn Display) -> Result<Vec<u8>> {
        self.need(n, what)?;
        let n = usize::try_from(n).map_err(|_| {
            bad(
                self.pos,
                format!("{what} of {n} bytes does not fit in memory"),
            )
        })?;
        let mut v = vec![0u8; n];
        self.fill(&mut v)?;
        Ok(v)
    }

    pub(super) fn skip(&mut self, n: u64, what: &dyn Display) -> Result<()> {
        self.need(n, what)?;
        self.pos = self.pos.saturating_add(n);
        Ok(())
    }
}
