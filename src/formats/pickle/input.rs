//! The byte reader under the interpreter, and why a stream stops early ([`Break`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::value::Blob;
use crate::detect::pickle::memchr;
use crate::source::Skip;
use std::borrow::Cow;
use std::cell::Cell;
use std::io;
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
    /// A reading as a file object is read has read the same bytes as the first reading, and
    /// is past the last place the two could part ([`FileModel::converge`]): it would read on
    /// as the first did, which found what is there.
    Converged,
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
    r: &'r mut dyn Skip,
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
    /// Read as a file object is read ([`Input::read_as`]): the end of the unpickler's buffer
    /// (`ALL` without a model: everything is in reach).
    ub_end: u64,
    model: Option<FileModel>,
    /// The file object is at `pos` (the unpickler's buffer was peeked, or is spent), not at
    /// `ub_end` (it was read whole with `read(n)`, and bytes of it are left).
    file_at_pos: bool,
    /// The file object's position, and the end of what its own buffer holds.
    fpos: u64,
    br_end: u64,
    /// Bytes were dropped (what was left of a buffer read whole): this reading has parted
    /// from the first.
    dropped: bool,
}

/// A file object as CPython's C unpickler reads it (`_pickle.c`). The unpickler has a buffer
/// of its own and no notion of frames: a `FRAME` only fills that buffer. A read that the
/// buffer cannot serve (`_Unpickler_ReadFromFile`) first skips what was consumed, then, for
/// less than 128 KiB (`PREFETCH`) from an object that can `peek`, takes what `peek` returns when
/// that holds it (the bytes then run on: the object's position follows the unpickler's);
/// otherwise `read(n)` returns exactly the bytes asked for, and a later read past them drops
/// what is left of them and goes on from their end. A byte string's data is read with
/// `readinto` after what is buffered (on across the end), a line with `readline` from where
/// the object is. `io.BytesIO` (so `torch.load`) cannot peek; a file from `open()` is a
/// `BufferedReader` of some buffer size (`st_blksize`, often 4 KiB; joblib reads compressed
/// files through one of 1 MiB), whose `peek` returns only what it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct FileModel {
    /// The `BufferedReader`'s buffer size; `None`: `io.BytesIO`.
    pub(super) buffer: Option<u64>,
    /// The object has `readinto` (a byte string's data is read with it); `gzip.open`'s and
    /// `lzma.open`'s do not, and the unpickler falls back to `read`.
    pub(super) readinto: bool,
    /// Where the first reading (bytes one after another) last read an opcode across a frame's
    /// end or stopped inside a frame: the only places a file object's reading can part from
    /// it, by dropping bytes. A reading that has dropped none by then stops there
    /// ([`Break::Converged`]). `None`: it reads to the end.
    pub(super) converge: Option<u64>,
}

/// Reads of less than this are peeked (`PREFETCH` in `_pickle.c`, 8192 * 16: a frame of
/// 131,071 bytes is peeked, one of 131,072 read whole, CPython 3.11).
const PREFETCH: u64 = 8192 * 16;

const ALL: u64 = u64::MAX;

/// What the side readings of one window last learnt of line ends, as source offsets
/// `(from, to, newline)`: no newline lies in `[from, to)`, and one lies at `to` when `newline`.
/// Every position inside a line is a possible start, and each reading that starts there reads
/// to the same newline, or finds none as far as its bytes go: that is searched for once, not
/// once per start.
pub(super) type LineEnds = Rc<Cell<(u64, u64, bool)>>;

const INPUT_BUF: usize = 64 << 10;

/// Longest file name and path (Linux `NAME_MAX`, `PATH_MAX`).
const NAME_MAX: usize = 255;
const PATH_MAX: usize = 4096;

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
///
/// A `GLOBAL`/`INST` line of at least [`PATH_MAX`] bytes whose first [`NAME_MAX`] hold no dot
/// and no NUL names no module and no attribute a loader finds: a module's first component is a
/// file or directory name (at most 255 bytes), builtin and frozen modules have short names
/// (a frozen one is found by what precedes a NUL, hence the NUL), and no module defines such
/// an attribute. The import fails: a break, not a limit (array bytes of a constant 99, `c`).
fn too_long(what: &str, max: usize, head: &[u8], more: &[u8]) -> Break {
    const PROBE: usize = NAME_MAX.saturating_add(1);
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
        "GLOBAL" | "INST"
            if max >= PATH_MAX && n == PROBE && !first.iter().any(|&c| c == b'.' || c == 0) =>
        {
            "a name whose first component is longer than 255 bytes"
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
    pub(super) fn new(r: &'r mut dyn Skip, data: &'r [u8], len: Option<u64>) -> Self {
        Input {
            r,
            buf: Cow::Borrowed(data),
            start: 0,
            end: data.len(),
            pos: 0,
            len,
            lines: None,
            ub_end: ALL,
            model: None,
            file_at_pos: true,
            fpos: 0,
            br_end: 0,
            dropped: false,
        }
    }

    /// Reads as CPython's C unpickler reads `model` from its start. Without a model, the
    /// bytes are read one after another, as `pickle.loads` reads them.
    pub(super) fn read_as(&mut self, model: FileModel) {
        self.model = Some(model);
        self.ub_end = self.pos;
        self.file_at_pos = true;
        self.fpos = self.pos;
        self.br_end = self.pos;
    }

    /// Read as a file object is read.
    pub(super) fn modelled(&self) -> bool {
        self.model.is_some()
    }

    fn capped(&self, end: u64) -> u64 {
        self.len.map_or(end, |l| end.min(l))
    }

    /// Makes `n` bytes from `pos` readable (`_Unpickler_Read` past its buffer), as the model
    /// says: from where the file object is, which after a buffer read whole is its end (what
    /// is left of it is dropped, and `pos` moves there).
    #[cold]
    fn fetch(&mut self, n: u64) -> Res<()> {
        let Some(model) = self.model else {
            return Ok(());
        };
        if self.pos.saturating_add(n) <= self.ub_end {
            return Ok(());
        }
        if !self.dropped && model.converge.is_some_and(|c| self.pos >= c) {
            return Err(Break::Converged);
        }
        self.skip_consumed()?;
        let p = self.pos;
        if let Some(b) = model.buffer
            && n < PREFETCH
        {
            // `peek` returns what the file object holds, or fills its buffer.
            if self.br_end <= p {
                self.br_end = self.capped(p.saturating_add(b));
            }
            if self.br_end.saturating_sub(p) >= n {
                // What `peek` returns is read on from where it starts, so its end may as well
                // be where this reading could meet the first: a peek there again returns the
                // rest, and the reading stops there if it has dropped nothing.
                self.ub_end = match model.converge {
                    Some(c) if !self.dropped && c > p && c.saturating_sub(p) >= n => {
                        self.br_end.min(c)
                    }
                    _ => self.br_end,
                };
                return Ok(());
            }
        }
        // Bytes asked for past the end of the data: the read that follows fails as it does
        // without a model.
        self.file_read(n, false);
        self.ub_end = p.saturating_add(n);
        self.file_at_pos = false;
        Ok(())
    }

    /// `_Unpickler_SkipConsumed`: the file object goes to where the unpickler's reading goes
    /// on; what is left of a buffer read whole is dropped. The unpickler's buffer is then
    /// empty.
    fn skip_consumed(&mut self) -> Res<()> {
        if !self.file_at_pos && self.pos < self.ub_end {
            self.skip_to(self.ub_end)?;
        }
        self.fpos = self.pos;
        self.ub_end = self.pos;
        self.file_at_pos = true;
        Ok(())
    }

    /// `BufferedReader.read(n)` (or `readinto`, which reads directly what its buffer cannot
    /// hold) from the file object's position: what the buffer holds, then whole buffers read
    /// directly, then a buffer filled for the rest.
    fn file_read(&mut self, n: u64, into: bool) {
        let p = self.fpos;
        self.fpos = p.saturating_add(n);
        let Some(b) = self.model.and_then(|m| m.buffer).filter(|&b| b > 0) else {
            self.br_end = self.fpos;
            return;
        };
        let avail = self.br_end.saturating_sub(p);
        if n <= avail {
            return;
        }
        let q = p.saturating_add(avail);
        let rest = n.saturating_sub(avail);
        let (direct, tail) = if into {
            if rest > b { (rest, 0) } else { (0, rest) }
        } else {
            let tail = rest.checked_rem(b).unwrap_or(0);
            (rest.saturating_sub(tail), tail)
        };
        self.br_end = if tail > 0 {
            self.capped(q.saturating_add(direct).saturating_add(b))
        } else {
            self.fpos
        };
    }

    /// `BufferedReader.readline()` from the file object's position to the newline at `nl`: its
    /// buffer is refilled a buffer at a time until it holds the newline.
    fn file_readline(&mut self, nl: u64) {
        self.fpos = nl.saturating_add(1);
        let Some(b) = self.model.and_then(|m| m.buffer).filter(|&b| b > 0) else {
            self.br_end = self.fpos;
            return;
        };
        if nl >= self.br_end {
            let fills = (nl.saturating_add(1).saturating_sub(self.br_end)).div_ceil(b);
            self.br_end = self.capped(self.br_end.saturating_add(fills.saturating_mul(b)));
        }
    }

    /// A `FRAME` of `n` bytes whose header ends at `pos`: the loader reads it into its buffer
    /// (`_Unpickler_Read`) unless the buffer already holds it, and reads on from there.
    pub(super) fn frame(&mut self, n: u64) -> Res<()> {
        // Without a model `ub_end` is `ALL`: nothing to fetch.
        if self.pos.saturating_add(n) > self.ub_end {
            self.fetch(n)?;
            // A frame longer than the data stops the loader, however it reads.
            if self.remaining().is_some_and(|r| r < n) {
                return invalid(format!(
                    "pickle data was truncated (a FRAME of {n} bytes runs past the end of the data)"
                ));
            }
        }
        Ok(())
    }

    /// At the end of a stream read as a file object: the next `pickle.load` starts where the
    /// file object is (after a buffer read whole, at its end).
    pub(super) fn end_of_load(&mut self) -> Res<()> {
        if self.model.is_some() {
            self.skip_consumed()?;
        }
        Ok(())
    }

    /// Drops the bytes up to `e`.
    fn skip_to(&mut self, e: u64) -> Res<()> {
        let left = e.saturating_sub(self.pos);
        self.dropped |= left > 0;
        if self.pass(left)? < left {
            return invalid("pickle data was truncated (in a frame)");
        }
        Ok(())
    }

    /// Passes over `n` bytes without keeping them: what is buffered, then the reader skips
    /// the rest (a file's reader without reading it: a 100 MB string that is not kept costs
    /// no read in each of the readings as file objects). Returns how many there were.
    fn pass(&mut self, n: u64) -> Res<u64> {
        let held = self.end.saturating_sub(self.start);
        let local = usize::try_from(n).map_or(held, |n| n.min(held));
        self.consume(local);
        let rest = n.saturating_sub(local as u64);
        if rest == 0 {
            return Ok(n);
        }
        let skipped = self.r.skip(rest)?;
        self.pos = self.pos.saturating_add(skipped); // a stream offset
        Ok((local as u64).saturating_add(skipped))
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

    /// The next byte. The per-opcode path is inlined into the opcode loop; the rest (the
    /// unpickler's buffer is spent, or the local one) is not.
    #[inline(always)]
    pub(super) fn byte(&mut self, what: &str) -> Res<u8> {
        if self.pos < self.ub_end
            && let Some(&b) = self.buf.get(self.start).filter(|_| self.start < self.end)
        {
            // start < end <= buf.len(), and pos is a stream offset.
            self.start = self.start.wrapping_add(1);
            self.pos = self.pos.wrapping_add(1);
            return Ok(b);
        }
        self.byte_refill(what)
    }

    #[inline(never)]
    fn byte_refill(&mut self, what: &str) -> Res<u8> {
        if self.pos >= self.ub_end {
            self.fetch(1)?;
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
        if self.pos.wrapping_add(N as u64) > self.ub_end {
            self.fetch(N as u64)?;
        }
        let end = self.start.wrapping_add(N);
        if end <= self.end
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
        if self.pos.saturating_add(n as u64) > self.ub_end {
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
        if self.pos.saturating_add(out.len() as u64) > self.ub_end {
            self.fetch(out.len() as u64)?;
        }
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
            && self.model.is_none()
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
        if self.model.is_none() {
            return self.line_run_on(out, max, what);
        }
        // Read as a file object: a line in the unpickler's buffer is read from it; past a
        // buffer read whole, what is left of it is dropped; then `readline` reads on from
        // where the file object is.
        if !self.file_at_pos && self.pos < self.ub_end && self.line_in_buffer(out, max, what)? {
            return Ok(());
        }
        let held = self.ub_end;
        self.line_run_on(out, max, what)?;
        let nl = self.pos.saturating_sub(1);
        if nl >= held {
            self.file_readline(nl);
            self.ub_end = self.pos;
            self.file_at_pos = true;
        }
        Ok(())
    }

    /// [`Input::line_into`] of the bytes one after another.
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

    /// A line that ends in what is left of a buffer read whole is read from it (true); else
    /// what is left is dropped (false: `pos` is the buffer's end).
    fn line_in_buffer(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Res<bool> {
        let e = self.ub_end;
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
            self.dropped = true;
        }
        out.clear();
        Ok(false)
    }

    /// [`Input::take`] as `_Unpickler_ReadInto` reads a byte string's data: what the
    /// unpickler's buffer holds, then the rest from where the file object is, which is the
    /// buffer's end however it was filled: the bytes run on.
    pub(super) fn take_run_on(&mut self, n: u64, keep: usize, what: &str) -> Res<Blob> {
        if let Some(model) = self.model
            && self.pos.saturating_add(n) > self.ub_end
        {
            let held = self.ub_end.saturating_sub(self.pos);
            self.fpos = self.ub_end;
            self.file_read(n.saturating_sub(held), model.readinto);
            self.ub_end = self.pos.saturating_add(n);
            self.file_at_pos = true;
        }
        self.take(n, keep, what)
    }

    /// Reads `n` bytes, keeping at most `keep` of them. Nothing is reserved for what the
    /// stream only declares: the first reservation is what is buffered now (a length far
    /// past the data costs no allocation), and the rest grows as bytes arrive.
    pub(super) fn take(&mut self, n: u64, keep: usize, what: &str) -> Res<Blob> {
        if self.pos.saturating_add(n) > self.ub_end {
            self.fetch(n)?;
        }
        let want = n.min(keep as u64);
        let first = want.min(self.end.saturating_sub(self.start) as u64);
        let mut data = Vec::with_capacity(usize::try_from(first).unwrap_or(0));
        let truncated = |left: u64| {
            invalid(format!(
                "pickle data was truncated ({what} declares {n} bytes, {left} missing)"
            ))
        };
        while (data.len() as u64) < want {
            let buf = self.avail()?;
            if buf.is_empty() {
                return truncated(n.saturating_sub(data.len() as u64));
            }
            let m = usize::try_from((buf.len() as u64).min(want.saturating_sub(data.len() as u64)))
                .unwrap_or(0);
            data.extend_from_slice(buf.get(..m).unwrap_or(&[]));
            self.consume(m);
        }
        // What is not kept is passed over.
        let left = n.saturating_sub(data.len() as u64);
        let passed = self.pass(left)?;
        if passed < left {
            return truncated(left.saturating_sub(passed));
        }
        Ok(Blob::new(data, n))
    }
}
