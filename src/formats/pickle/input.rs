//! The byte reader under the interpreter, and why a stream stops early ([`Break`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::value::Blob;
use crate::detect::pickle::memchr;
use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, BufRead};
use std::rc::Rc;

/// Why a stream stopped early.
pub(super) enum Break {
    /// The loader would raise here: the rest of the stream never runs.
    Invalid(String),
    /// An analysis limit was reached.
    Limit(String),
    /// Where the stream goes on cannot be told (a joblib array that cannot be sized; already
    /// reported): every later position is tried as a pickle start.
    Resync,
    /// Reading the underlying file failed: the tool cannot do its job.
    Io(io::Error),
}

impl From<io::Error> for Break {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            // Short data and corrupt compressed input are properties of the bytes.
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => {
                Break::Invalid(format!("read failed: {e}"))
            }
            _ => Break::Io(e),
        }
    }
}

pub(super) type Res<T> = Result<T, Break>;

pub(super) fn invalid<T>(msg: impl Into<String>) -> Res<T> {
    Err(Break::Invalid(msg.into()))
}

pub(super) struct Input<'r> {
    r: &'r mut dyn BufRead,
    /// Bytes taken from `r` and not yet consumed: `buf[start..end]`. Reading through a local
    /// buffer keeps the per-opcode cost to a bounds check instead of two dynamic calls.
    buf: Cow<'r, [u8]>,
    start: usize,
    end: usize,
    pub(super) pos: u64,
    /// Bytes the stream holds from its start, when known (random-access sources).
    len: Option<u64>,
    /// Side readings: where the reading starts in the source, and the line ends the readings
    /// of one window share.
    lines: Option<(u64, LineEnds)>,
    /// Read by a plan ([`Input::read_frames`]): the end of the frame being read, while bytes
    /// of it are left; `NO_FRAME` otherwise (and always without a plan).
    frame_buf_end: u64,
    plan: Option<FramePlan>,
    /// The frame being read is run on: its order among the smaller frames (its end is
    /// watched: reading it whole would read other bytes past it).
    watched: Option<u32>,
    /// Smaller frames read so far, and those of them read run on that diverged.
    small_frames: u32,
    diverged: Vec<u32>,
}

/// How a loader reads the frames of a file object (`_pickle.c`): a frame of `PREFETCH`
/// (8 KiB) or more, or any frame when the object cannot `peek` (`io.BytesIO`), is read whole
/// with `read(n)`; a smaller one is peeked, and read run on when `peek` returns all of it,
/// whole otherwise (which depends on where the file's buffer happens to end).
#[derive(Clone, Debug, Default)]
pub(super) struct FramePlan {
    /// Frames of this many bytes or more are read whole.
    pub(super) whole_from: u64,
    /// The smaller frames, in order: read whole when true; run on past the list.
    pub(super) small_whole: Vec<bool>,
}

const NO_FRAME: u64 = u64::MAX;

/// What the side readings of one window last learnt of line ends, as source offsets
/// `(from, to, newline)`: no newline lies in `[from, to)`, and one lies at `to` when `newline`.
/// Every position inside a line is a possible start, and each reading that starts there reads
/// to the same newline, or finds none as far as its bytes go: that is searched for once, not
/// once per start.
pub(super) type LineEnds = Rc<Cell<(u64, u64, bool)>>;

const INPUT_BUF: usize = 64 << 10;

/// The first bytes of a number's line could be a number's (`int(x, 0)`, `float`, a LONG's
/// `L`): what `strtol` and its fallbacks read stops at a NUL.
fn number(first: &[u8]) -> bool {
    let number = first.split(|&c| c == 0).next().unwrap_or(first);
    number.iter().all(|c| {
        c.is_ascii_hexdigit() || b"xXoObBlLinftyINFTY_+-.".contains(c) || c.is_ascii_whitespace()
    })
}

/// A line longer than `max` (its first bytes: `head`, then `more`): a limit, unless CPython
/// could not read it anyway, whatever its length (its first bytes decide: a number with a
/// byte no number holds before any NUL, a `GLOBAL`/`INST` name that is not UTF-8, a `PERSID`
/// that is not ASCII, a `STRING` not quoted), which is where the stream breaks. Array bytes
/// read as opcodes are full of such lines; they are no limit of the analysis.
fn too_long(what: &str, max: usize, head: &[u8], more: &[u8]) -> Break {
    const PROBE: usize = 64;
    let mut probe = [0u8; PROBE];
    let mut n = 0usize;
    for (to, from) in probe.iter_mut().zip(head.iter().chain(more)) {
        *to = *from;
        n = n.saturating_add(1);
    }
    let first = probe.get(..n).unwrap_or(&[]);
    let why = match what {
        "INT" | "LONG" | "FLOAT" | "PUT" | "GET" if !number(first) => "not a number",
        "GLOBAL" | "INST" if std::str::from_utf8(first).is_err_and(|e| e.error_len().is_some()) => {
            "not UTF-8"
        }
        "PERSID" if !first.is_ascii() => "not ASCII",
        "STRING" if !matches!(first.first(), Some(b'\'' | b'"')) => "not quoted",
        _ => return Break::Limit(format!("{what} line longer than {max} bytes")),
    };
    Break::Invalid(format!(
        "{what} line longer than {max} bytes that CPython cannot read: {why}"
    ))
}

#[cfg(test)]
thread_local! {
    /// Bytes the side readings of this thread searched for a newline (for tests of the work
    /// they do).
    pub(super) static NEWLINE_SEARCHED: Cell<u64> = const { Cell::new(0) };
}

impl<'r> Input<'r> {
    /// `data`: bytes already in memory that come first (a side reading's window and the bytes
    /// read ahead of it); `r` goes on after them. The local buffer is only allocated when `r`
    /// is read.
    pub(super) fn new(r: &'r mut dyn BufRead, data: &'r [u8], len: Option<u64>) -> Self {
        Input {
            r,
            buf: Cow::Borrowed(data),
            start: 0,
            end: data.len(),
            pos: 0,
            len,
            lines: None,
            frame_buf_end: NO_FRAME,
            plan: None,
            watched: None,
            small_frames: 0,
            diverged: Vec::new(),
        }
    }

    /// Reads as CPython's C unpickler reads frames from a file object, by `plan`. A frame
    /// read whole goes into a buffer of its own: a read that runs past its end drops what is
    /// left of it and takes its bytes from the frame's end on (byte strings excepted: see
    /// [`Input::take_run_on`]), a `FRAME` that does not fit what is left starts at the end,
    /// and a stream that stops inside it leaves the file at its end, where the next
    /// `pickle.load` starts. A frame read run on (peeked) is read as `pickle.loads` reads
    /// every frame: its bytes run on across its end. Without a plan, every frame runs on.
    pub(super) fn read_frames(&mut self, plan: FramePlan) {
        self.plan = Some(plan);
    }

    /// Read by a [`FramePlan`].
    pub(super) fn by_plan(&self) -> bool {
        self.plan.is_some()
    }

    /// The smaller frames read run on where reading them whole would have read other bytes
    /// (by their order among the smaller frames; ascending).
    pub(super) fn diverged(&self) -> &[u32] {
        &self.diverged
    }

    /// The frame read run on being watched has come to where reading it whole would differ.
    fn diverge(&mut self) {
        if let Some(k) = self.watched.take()
            && self.diverged.last().is_none_or(|&l| l < k)
        {
            self.diverged.push(k);
        }
        self.frame_buf_end = NO_FRAME;
    }

    /// A `FRAME` of `n` bytes whose header ends at the current position. One that fits what
    /// is left of the frame being read is served from it; otherwise it is read from the file
    /// (from the end of a frame read whole: what is left of it is dropped), whole or run on
    /// as the plan says. A frame longer than the data left stops the loader, however it reads.
    pub(super) fn frame(&mut self, n: u64) -> Res<()> {
        let Some(whole_from) = self.plan.as_ref().map(|p| p.whole_from) else {
            return Ok(());
        };
        let e = self.frame_buf_end;
        if e != NO_FRAME && self.pos < e {
            if self.pos.saturating_add(n) <= e {
                return Ok(());
            }
            if self.watched.is_some() {
                self.diverge();
            } else {
                self.skip_to(e)?;
            }
        }
        if self.remaining().is_some_and(|r| r < n) {
            return invalid(format!(
                "pickle data was truncated (a FRAME of {n} bytes runs past the end of the data)"
            ));
        }
        let whole = if n >= whole_from {
            true
        } else {
            let k = self.small_frames;
            self.small_frames = k.saturating_add(1);
            let whole = usize::try_from(k)
                .ok()
                .and_then(|i| self.plan.as_ref()?.small_whole.get(i))
                .copied()
                .unwrap_or(false);
            self.watched = (!whole).then_some(k);
            whole
        };
        if whole {
            self.watched = None;
        }
        self.frame_buf_end = self.pos.saturating_add(n);
        Ok(())
    }

    /// Before a read of `n` bytes with `_Unpickler_Read`: one that runs past a frame read
    /// whole takes its bytes from the frame's end on (what is left of it is dropped).
    #[inline]
    fn splice(&mut self, n: u64) -> Res<()> {
        let e = self.frame_buf_end;
        if e == NO_FRAME {
            return Ok(());
        }
        if self.pos < e && self.pos.saturating_add(n) <= e {
            return Ok(());
        }
        if self.pos < e {
            if self.watched.is_some() {
                self.diverge();
                return Ok(());
            }
            self.skip_to(e)?;
        }
        self.frame_buf_end = NO_FRAME;
        self.watched = None;
        Ok(())
    }

    /// At the end of a stream: read whole, the file is left at the end of the frame, where
    /// the next load starts; run on, right after the STOP.
    pub(super) fn end_of_load(&mut self) -> Res<()> {
        let e = self.frame_buf_end;
        if e != NO_FRAME && self.pos < e {
            if self.watched.is_some() {
                self.diverge();
                return Ok(());
            }
            self.skip_to(e)?;
        }
        self.frame_buf_end = NO_FRAME;
        self.watched = None;
        Ok(())
    }

    /// Drops the bytes up to `e`.
    fn skip_to(&mut self, e: u64) -> Res<()> {
        let mut left = e.saturating_sub(self.pos);
        while left > 0 {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid("pickle data was truncated (in a frame)");
            }
            let m = usize::try_from((buf.len() as u64).min(left)).unwrap_or(0);
            self.consume(m);
            left = left.saturating_sub(m as u64);
        }
        Ok(())
    }

    /// A side reading starting at `start` in the source, sharing `lines` with the other
    /// readings of its window.
    pub(super) fn share_lines(&mut self, start: u64, lines: LineEnds) {
        self.lines = Some((start, lines));
    }

    /// Where the next newline is in the buffered bytes, from the shared line ends when the
    /// position lies inside a line already searched.
    #[inline]
    fn newline(&mut self) -> Option<usize> {
        let buf = self.buf.get(self.start..self.end)?;
        let Some((start, lines)) = &self.lines else {
            return memchr(buf);
        };
        let at = start.saturating_add(self.pos);
        let (from, to, newline) = lines.get();
        if let Some(i) = to
            .checked_sub(at)
            .filter(|_| from <= at)
            .and_then(|i| usize::try_from(i).ok())
        {
            if newline && buf.get(i) == Some(&b'\n') {
                return Some(i);
            }
            // No newline as far as an earlier reading searched, and these bytes end there.
            if !newline && i >= buf.len() {
                return None;
            }
        }
        #[cfg(test)]
        NEWLINE_SEARCHED.with(|c| c.set(c.get().saturating_add(buf.len() as u64)));
        let found = memchr(buf);
        let end = found.unwrap_or(buf.len());
        lines.set((at, at.saturating_add(end as u64), found.is_some()));
        found
    }

    /// Bytes left after the current position, when the length is known.
    #[inline]
    pub(super) fn remaining(&self) -> Option<u64> {
        self.len.map(|l| l.saturating_sub(self.pos))
    }

    /// The buffered bytes, refilled when empty; empty at the end of the data.
    #[inline]
    pub(super) fn avail(&mut self) -> Res<&[u8]> {
        if self.start >= self.end {
            let src = self.r.fill_buf()?;
            let n = src.len().min(INPUT_BUF);
            if n > 0 {
                // Sized by what the reader hands over (a small member or window needs no
                // 64 KiB buffer zeroed for it), doubling up to `INPUT_BUF`.
                let have = match &self.buf {
                    Cow::Owned(v) => v.len(),
                    Cow::Borrowed(_) => 0,
                };
                if have < n {
                    let size = n.max(have.saturating_mul(2)).min(INPUT_BUF);
                    self.buf = Cow::Owned(vec![0; size]);
                }
                if let (Some(dst), Some(src)) = (self.buf.to_mut().get_mut(..n), src.get(..n)) {
                    dst.copy_from_slice(src);
                }
            }
            self.r.consume(n);
            self.start = 0;
            self.end = n;
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or(&[]))
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        self.pos = self.pos.saturating_add(n as u64); // a stream offset
    }

    #[inline]
    pub(super) fn peek(&mut self) -> Res<Option<u8>> {
        Ok(self.avail()?.first().copied())
    }

    #[inline]
    pub(super) fn byte(&mut self, what: &str) -> Res<u8> {
        if let Some(&b) = self.buf.get(self.start).filter(|_| self.start < self.end) {
            // The per-opcode path: start < end <= buf.len(), and pos is a stream offset.
            self.start = self.start.wrapping_add(1);
            self.pos = self.pos.wrapping_add(1);
            return Ok(b);
        }
        match self.peek()? {
            Some(b) => {
                self.consume(1);
                Ok(b)
            }
            None => invalid(format!("pickle data was truncated (in {what})")),
        }
    }

    #[inline]
    pub(super) fn array<const N: usize>(&mut self, what: &str) -> Res<[u8; N]> {
        // The per-opcode path: the whole argument is in the buffer (a fixed-size copy).
        let end = self.start.wrapping_add(N);
        if end <= self.end
            && self.pos.wrapping_add(N as u64) <= self.frame_buf_end
            && let Some(Ok(out)) = self.buf.get(self.start..end).map(<[u8; N]>::try_from)
        {
            self.start = end;
            self.pos = self.pos.wrapping_add(N as u64);
            return Ok(out);
        }
        let mut out = [0u8; N];
        self.fill(&mut out, what)?;
        Ok(out)
    }

    /// The next `n` bytes when they are all in the buffer (not consumed: see
    /// [`Input::skip_buffered`]); none otherwise (the caller then reads them with
    /// [`Input::fill`]).
    #[inline]
    pub(super) fn buffered(&self, n: usize) -> Option<&[u8]> {
        if self.pos.saturating_add(n as u64) > self.frame_buf_end {
            return None;
        }
        let end = self.start.checked_add(n).filter(|&e| e <= self.end)?;
        self.buf.get(self.start..end)
    }

    /// Consumes `n` bytes [`Input::buffered`] returned.
    #[inline]
    pub(super) fn skip_buffered(&mut self, n: usize) {
        self.consume(n);
    }

    /// Fills `out` from the stream.
    #[inline]
    pub(super) fn fill(&mut self, out: &mut [u8], what: &str) -> Res<()> {
        self.splice(out.len() as u64)?;
        let mut done = 0;
        while let Some(rest) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!("pickle data was truncated (in {what})"));
            }
            let n = buf.len().min(rest.len());
            if let (Some(dst), Some(src)) = (rest.get_mut(..n), buf.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.consume(n);
            done = done.saturating_add(n);
        }
        Ok(())
    }

    /// Reads a `\n`-terminated line (without the newline), borrowed from the buffer when it
    /// lies within it.
    pub(super) fn line(&mut self, max: usize, what: &str) -> Res<Cow<'_, [u8]>> {
        if self.start < self.end
            && self.frame_buf_end == NO_FRAME
            && let Some(i) = self.newline()
        {
            if i > max {
                let line = self.buf.get(self.start..).unwrap_or(&[]);
                return Err(too_long(what, max, line, &[]));
            }
            let from = self.start;
            self.consume(i.saturating_add(1)); // with the newline at `i`
            return Ok(Cow::Borrowed(
                self.buf.get(from..from.saturating_add(i)).unwrap_or(&[]),
            ));
        }
        let mut out = Vec::new();
        self.line_into(&mut out, max, what)?;
        Ok(Cow::Owned(out))
    }

    /// Reads a `\n`-terminated line (without the newline) into `out`, which is cleared first.
    pub(super) fn line_into(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Res<()> {
        out.clear();
        // A frame read run on: the line is read on across its end, which a loader reading the
        // frame whole would not do.
        if let Some(e) =
            Some(self.frame_buf_end).filter(|&e| self.watched.is_some() && self.pos < e)
        {
            self.line_run_on(out, max, what)?;
            if self.pos > e {
                self.diverge();
            }
            return Ok(());
        }
        if self.line_in_frame(out, max, what)? {
            return Ok(());
        }
        self.line_run_on(out, max, what)
    }

    /// [`Input::line_into`] with no frame in the way.
    fn line_run_on(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Res<()> {
        loop {
            if self.avail()?.is_empty() {
                return invalid(format!("pickle data was truncated (in {what})"));
            }
            if let Some(i) = self.newline() {
                if out.len().saturating_add(i) > max {
                    let buf = self.buf.get(self.start..).unwrap_or(&[]);
                    return Err(too_long(what, max, out, buf));
                }
                let from = self.start;
                out.extend_from_slice(self.buf.get(from..from.saturating_add(i)).unwrap_or(&[]));
                self.consume(i.saturating_add(1)); // with the newline at `i`
                return Ok(());
            }
            let buf = self.avail()?;
            let n = buf.len();
            if out.len().saturating_add(n) > max {
                return Err(too_long(what, max, out, buf));
            }
            out.extend_from_slice(buf);
            self.consume(n);
        }
    }

    /// Read whole frames, a line that ends in what is left of the frame buffered is read
    /// from it (true); else what is left is dropped and the line is read from the frame's
    /// end on, as the loader's `readline` does (false, nothing consumed past the frame).
    fn line_in_frame(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Res<bool> {
        let e = std::mem::replace(&mut self.frame_buf_end, NO_FRAME);
        if e == NO_FRAME {
            return Ok(false);
        }
        let mut long = false;
        while let Some(left) = e.checked_sub(self.pos).filter(|&l| l > 0) {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!("pickle data was truncated (in {what})"));
            }
            let n = usize::try_from((buf.len() as u64).min(left)).unwrap_or(0);
            let chunk = buf.get(..n).unwrap_or(&[]);
            if let Some(i) = memchr(chunk) {
                if long || out.len().saturating_add(i) > max {
                    return Err(too_long(what, max, out, chunk));
                }
                out.extend_from_slice(chunk.get(..i).unwrap_or(&[]));
                self.consume(i.saturating_add(1));
                // The rest of the frame is still buffered.
                self.frame_buf_end = e;
                return Ok(true);
            }
            // Kept only while it could still be a line short enough to read.
            if !long && out.len().saturating_add(n) <= max {
                out.extend_from_slice(chunk);
            } else {
                long = true;
                out.clear();
            }
            self.consume(n);
        }
        out.clear();
        Ok(false)
    }

    /// [`Input::take`] as `_Unpickler_ReadInto` reads a byte string's data: what is left of
    /// the frame being read is taken first and the rest read on from its end, however the
    /// frame was read.
    pub(super) fn take_run_on(&mut self, n: u64, keep: usize, what: &str) -> Res<Blob> {
        if self.pos.saturating_add(n) > self.frame_buf_end {
            self.frame_buf_end = NO_FRAME;
            self.watched = None;
        }
        self.take(n, keep, what)
    }

    /// Reads `n` bytes, keeping at most `keep` of them. Nothing is reserved for what the
    /// stream only declares: the first reservation is what is buffered now (a length far
    /// past the data costs no allocation), and the rest grows as bytes arrive.
    pub(super) fn take(&mut self, n: u64, keep: usize, what: &str) -> Res<Blob> {
        self.splice(n)?;
        let first = n
            .min(keep as u64)
            .min(self.end.saturating_sub(self.start) as u64);
        let mut data = Vec::with_capacity(usize::try_from(first).unwrap_or(0));
        let mut left = n;
        while left > 0 {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!(
                    "pickle data was truncated ({what} declares {n} bytes, {left} missing)"
                ));
            }
            let m = usize::try_from((buf.len() as u64).min(left)).unwrap_or(0);
            let room = keep.saturating_sub(data.len()).min(m);
            data.extend_from_slice(buf.get(..room).unwrap_or(&[]));
            self.consume(m);
            left = left.saturating_sub(m as u64); // m <= left
        }
        Ok(Blob::new(data, n))
    }
}
