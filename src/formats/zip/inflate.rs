//! Decompression of member data: raw deflate through a cap on size and ratio with a running
//! CRC-32 ([`Inflate`]), bzip2, LZMA and zstd into memory ([`decode_member`]), and the CRC-32 of
//! stored data from the reads its inspection makes anyway ([`CrcTracker`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::records::{BZIP2, LZMA, ZSTD, to_usize};
use crate::formats::compressed::Tagged;
use crate::source::{Source, SourceReader};
use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Finishes a CRC-32 over `src[pos..]`.
pub(super) fn finish_crc(src: &dyn Source, mut crc: flate2::Crc, pos: u64) -> io::Result<u32> {
    let mut r = SourceReader::new(src, pos);
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        crc.update(buf);
        r.consume(n);
    }
    Ok(crc.sum())
}

/// A source that computes the CRC-32 of its bytes from the reads its user makes anyway, as long
/// as they go forward contiguously (a detector's head read, a pickle parse, a nested walk).
pub(super) struct CrcTracker<'a> {
    inner: &'a dyn Source,
    pub(super) state: RefCell<(flate2::Crc, u64)>,
}

impl<'a> CrcTracker<'a> {
    pub(super) fn new(inner: &'a dyn Source) -> Self {
        CrcTracker {
            inner,
            state: RefCell::new((flate2::Crc::new(), 0)),
        }
    }
}

impl Source for CrcTracker<'_> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(off, buf)?;
        let mut st = self.state.borrow_mut();
        let (crc, pos) = &mut *st;
        let end = off.saturating_add(n as u64);
        if off <= *pos
            && *pos < end
            && let Some(new) = buf.get(to_usize(pos.saturating_sub(off))..n)
        {
            crc.update(new);
            *pos = end;
        }
        Ok(n)
    }
}

pub(super) enum Stop {
    Cap,
    Ratio,
    Corrupt(String),
}

/// Raw deflate decompression of a member, with a hard cap on output, a ratio limit and a
/// running CRC. Corrupt data ends the stream (recorded in `stop`); only a failure to read the
/// source is an `Err`.
pub(super) struct Inflate<'a> {
    input: SourceReader<'a>,
    pub(super) z: flate2::Decompress,
    pub(super) crc: flate2::Crc,
    pub(super) out: u64,
    cap: u64,
    max_ratio: u64,
    ratio_min_output: u64,
    /// The deflate stream ended.
    pub(super) finished: bool,
    /// The input ended before the deflate stream did.
    pub(super) truncated: bool,
    pub(super) stop: Option<Stop>,
}

impl<'a> Inflate<'a> {
    pub(super) fn new(src: &'a dyn Source, cap: u64, limits: &crate::limits::Limits) -> Self {
        Inflate {
            input: SourceReader::new(src, 0),
            z: flate2::Decompress::new(false),
            crc: flate2::Crc::new(),
            out: 0,
            cap,
            max_ratio: limits.max_ratio,
            ratio_min_output: limits.ratio_min_output,
            finished: false,
            truncated: false,
            stop: None,
        }
    }

    fn done(&self) -> bool {
        self.finished || self.truncated || self.stop.is_some()
    }

    fn step(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut idle = 0u32;
        loop {
            let input = self.input.fill_buf()?;
            let eof = input.is_empty();
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let res = self.z.decompress(input, out, flate2::FlushDecompress::None);
            let used = to_usize(self.z.total_in().saturating_sub(in0));
            let made = to_usize(self.z.total_out().saturating_sub(out0));
            self.input.consume(used);
            match res {
                Ok(flate2::Status::StreamEnd) => self.finished = true,
                Ok(_) => {}
                Err(e) => self.stop = Some(Stop::Corrupt(e.to_string())),
            }
            if made > 0 || self.done() {
                return Ok(made);
            }
            if eof {
                self.truncated = true;
                return Ok(0);
            }
            if used == 0 {
                idle = idle.saturating_add(1);
                if idle > 2 {
                    self.stop = Some(Stop::Corrupt("the inflater makes no progress".into()));
                    return Ok(0);
                }
            }
        }
    }
}

impl Read for Inflate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.done() {
            return Ok(0);
        }
        let room = self.cap.saturating_sub(self.out);
        if room == 0 {
            // One more byte would pass the cap: does the stream go on?
            let mut probe = [0u8; 1];
            if self.step(&mut probe)? > 0 {
                self.stop = Some(Stop::Cap);
            }
            return Ok(0);
        }
        let want = buf.len().min(to_usize(room));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.step(buf)?;
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.out = self.out.saturating_add(n as u64);
        if self.out > self.ratio_min_output
            && self.out > self.max_ratio.saturating_mul(self.z.total_in())
        {
            self.stop = Some(Stop::Ratio);
        }
        Ok(n)
    }
}

/// Decompresses a bzip2 (12), LZMA (14) or zstd (93) member's data into `out`, reading at most
/// `cap` + 1 bytes of output (more than `cap` means the member is larger).
pub(super) fn decode_member(
    win: &dyn Source,
    method: u16,
    declared: Option<u64>,
    cap: u64,
    out: &mut Vec<u8>,
    failed: &Rc<Cell<bool>>,
) -> io::Result<()> {
    // Dictionary memory of the LZMA decoder is bounded, as for joblib's streams.
    const MEM_LIMIT_KB: u32 = 256 * 1024;
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let limit = cap.saturating_add(1);
    let r = Tagged {
        inner: SourceReader::new(win, 0),
        failed: Rc::clone(failed),
    };
    match method {
        BZIP2 => bzip2::read::MultiBzDecoder::new(r)
            .take(limit)
            .read_to_end(out)
            .map(|_| ()),
        ZSTD => ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| invalid(e.to_string()))?
            .take(limit)
            .read_to_end(out)
            .map(|_| ()),
        LZMA => {
            // The zip LZMA header (APPNOTE 5.8.8): version (2 bytes), size of the properties
            // (2 bytes, 5), the properties (lc/lp/pb, dictionary size). Rewritten as the
            // lzma-alone header the decoder reads: properties, then the uncompressed size, or
            // "unknown" when the stream ends with a marker.
            let head = win.read_vec(0, 4)?;
            let props_len = match head.as_slice() {
                [_, _, a, b] => usize::from(u16::from_le_bytes([*a, *b])),
                _ => return Err(invalid("the LZMA header is truncated".into())),
            };
            if props_len != 5 {
                return Err(invalid(format!(
                    "the LZMA properties are {props_len} bytes, not 5"
                )));
            }
            let props = win.read_vec(4, 5)?;
            if props.len() != 5 {
                return Err(invalid("the LZMA properties are truncated".into()));
            }
            let mut alone = props;
            alone.extend_from_slice(&declared.unwrap_or(u64::MAX).to_le_bytes());
            let body = Tagged {
                inner: SourceReader::new(win, 9),
                failed: Rc::clone(failed),
            };
            let chained = io::Cursor::new(alone).chain(body);
            lzma_rust2::LzmaReader::new_mem_limit(chained, MEM_LIMIT_KB, None)
                .map_err(|e| invalid(e.to_string()))?
                .take(limit)
                .read_to_end(out)
                .map(|_| ())
        }
        m => Err(io::Error::other(format!("method {m} is not decoded"))),
    }
}
