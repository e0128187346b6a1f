//! Where a tar's bytes come from: a [`Source`] (member data are windows on it) or a stream
//! (member data held in memory up to a cap, or analysed as a stream), both read forward.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{BLOCK, Ctx};
use crate::detect::{self, Format, TAR_BLOCK};
use crate::finding::Code;
use crate::formats::member::{inspect_member, inspect_streamed, needs_content, read_capped};
use crate::source::{Source, Window};
use std::io::{self, BufRead, BufReader, Read};

/// The archive's bytes, read forward.
pub(super) trait Input {
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
pub(super) struct Positioned<'a> {
    pub(super) src: &'a dyn Source,
    pub(super) pos: u64,
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
        // From the start (no header was read): these are the bytes just inspected as this
        // archive, pickle readings included. A member of them would be detected as this
        // archive again, in itself, as deep as the depth limit goes (a 14 KB file ran its
        // pickle readings six times and ended at `archive-depth-exceeded`).
        if !win.is_empty() && from > 0 {
            let name = format!("<{} bytes after the archive at offset {from}>", win.len());
            inspect_member(ctx, &win, &name, false)?;
        }
        self.pos = self.src.len();
        Ok(())
    }
}

/// A tar read once from a stream: small members are copied into memory, large ones streamed.
pub(super) struct Streamed<'a> {
    pub(super) r: &'a mut dyn BufRead,
    pub(super) pos: u64,
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
        // A member of a compressed tar is read once, as the tar is decompressed.
        let format = match inspect_streamed(ctx, name, det, &mut r, None)? {
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
