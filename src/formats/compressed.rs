//! Single-stream compression: gzip, zlib, bzip2, xz, lzma-alone, zstd, LZ4 frames.
//!
//! joblib compresses its pickles with these and sniffs the compressor from the first bytes
//! (`joblib/compressor.py`: `x` zlib, `\x1f\x8b` gzip, `BZ` bz2, `\xfd7zXZ` xz, `]\x00` lzma,
//! `\x04\x22\x4d\x18` lz4), so a compressed pickle loads whatever its name. Decompression is
//! streamed through a hard cap ([`Limits::max_decompressed`] and the per-file total); a pickle inside is analysed as it is
//! decompressed, in constant memory. Other content is inspected as a file of its own when it
//! fits in [`Limits::max_in_memory`].
//!
//! [`Limits::max_decompressed`]: crate::limits::Limits::max_decompressed
//! [`Limits::max_in_memory`]: crate::limits::Limits::max_in_memory
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::{self, Format};
use crate::finding::Code;
use crate::source::{Source, SourceReader};
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Caps a decompressing reader: past `cap` bytes it reports `InvalidData` and remembers it.
/// Every other error of the decoder becomes `InvalidData` (corrupt input is a property of the
/// bytes), unless the file itself failed to read (`io_failed`).
struct Capped<R> {
    inner: R,
    cap: u64,
    produced: u64,
    hit: bool,
    io_failed: Rc<Cell<bool>>,
    /// The first error the decoder returned: a parser reading through this may stop at it
    /// without saying so (a pickle reader ends at a stream boundary on a read error), and a
    /// decoder need not repeat it (a gzip CRC is checked once, at the end).
    corrupt: Option<String>,
    /// Set by the first error: every later read returns it again without calling the
    /// decoder. A decoder left in an inconsistent state by an error may spin when read again
    /// (lzma-rust2's LZMA2 reader loops forever on a chunk whose input was consumed), and
    /// callers do read again (`BufReader`, the drain after the parser).
    failed: Option<(io::ErrorKind, String)>,
}

impl<R> Capped<R> {
    fn new(inner: R, cap: u64, io_failed: Rc<Cell<bool>>) -> Self {
        Capped {
            inner,
            cap,
            produced: 0,
            hit: false,
            io_failed,
            corrupt: None,
            failed: None,
        }
    }
}

/// Marks real read failures of the underlying file, so they are not taken for corrupt data:
/// any other error a decoder returns is about the data, whatever its `ErrorKind`.
pub(super) struct Tagged<R> {
    pub(super) inner: R,
    pub(super) failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed.set(true))
    }
}

impl<R: BufRead> BufRead for Tagged<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let failed = self.failed.clone();
        self.inner.fill_buf().inspect_err(|_| failed.set(true))
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n)
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        let res = self.read_through(buf);
        if let Err(e) = &res
            && e.kind() != io::ErrorKind::Interrupted
        {
            self.failed = Some((e.kind(), e.to_string()));
        }
        res
    }
}

impl<R: Read> Capped<R> {
    fn read_through(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.produced >= self.cap {
            // One more byte would exceed the cap: check whether the stream really goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.hit = true;
                    Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("decompressed output exceeds the {}-byte limit", self.cap),
                    ))
                }
            };
        }
        let room = self.cap.saturating_sub(self.produced).min(buf.len() as u64) as usize;
        let buf = buf.get_mut(..room).unwrap_or_default();
        let n = self.inner.read(buf).map_err(|e| {
            if self.io_failed.get() {
                e
            } else {
                self.corrupt.get_or_insert_with(|| e.to_string());
                io::Error::new(io::ErrorKind::InvalidData, e.to_string())
            }
        })?;
        self.produced = self.produced.saturating_add(n as u64);
        Ok(n)
    }
}

/// An LZ4 frame decoder that reads to the end of its input, frame after frame, as liblz4
/// (python-lz4's `lz4.frame.open`, hence joblib) does.
///
/// Memory: `lz4_flex::frame::FrameDecoder` sizes its buffers from the frame descriptor's block
/// maximum size alone, which the BD byte can only set to 64 KiB, 256 KiB, 1 MiB or 4 MiB (other
/// values are errors). On each frame header it reserves that much for compressed input, and
/// that much (independent blocks) or twice that plus the 64 KiB window (linked blocks) for
/// output: about 12 MiB at most. The legacy format (magic `02 21 4C 18`) is never decoded: a
/// stream whose first frame is legacy is not detected as LZ4, and a legacy frame after a frame
/// is an error, as liblz4's frame decoder has it (an unknown frame type; `FrameDecoder` alone
/// would read it on, with 8 MiB blocks). A block's
/// declared length is checked against the maximum before any buffer grows, buffers are reused
/// from frame to frame, and the frame's content size field is only compared with the output at
/// the end mark, never used to allocate. Output is capped by [`Capped`] as for every codec.
///
/// `FrameDecoder::read` returns `Ok(0)` at every end mark and for a block that decodes to
/// nothing (a stored block of length 0, for one), which `Read` takes for the end of the
/// stream; liblz4 reads on into the next block or frame. A zero read is therefore passed on
/// only once the compressed input is exhausted: each retry consumes at least a 4-byte block
/// header or end mark, so the loop ends with the input.
///
/// Two frame kinds `FrameDecoder` stops at, liblz4 reads through
/// (lz4_Frame_format.md, "Skippable Frames" and "Dictionary ID"):
/// - a skippable frame (magic `0x184D2A50..=0x184D2A5F`, a 4-byte size, that many bytes of user
///   data) between frames: its data is skipped, read through rather than held, so the file's
///   size bounds the work, and the next frame is read;
/// - a frame whose descriptor names a dictionary: `lz4.frame` never supplies one, and liblz4
///   then decodes the frame without it (a frame with no reference into the dictionary loads
///   whole). The descriptor is handed on without the dictionary ID, so the frame is decoded the
///   same way; a reference before the start of the output is an error, reported as such.
///
/// A frame of another kind after a frame: liblz4 reads only frames (and skippable frames), so a
/// legacy frame there fails the load (`LZ4F_ERROR_frameType_unknown`); [`LZ4_LEGACY_MAGIC`] is
/// looked for wherever `FrameDecoder` could start one.
///
/// Errors are sticky: `FrameDecoder` would read on past a failed content size or checksum check
/// at an end mark as if nothing happened, so a later read (the drain after a pickle's STOP)
/// would lose it.
struct Lz4<R: Read> {
    dec: lz4_flex::frame::FrameDecoder<Ended<R>>,
    ended: Rc<Cell<bool>>,
    failed: Option<(io::ErrorKind, String)>,
    /// The dictionary ID of the frame being decoded without its dictionary, for the message
    /// should that frame fail.
    dict_id: Option<u32>,
}

/// The magic number of the legacy LZ4 format (`lz4 -l`), little-endian.
const LZ4_LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];

/// The longest LZ4 frame header: magic, FLG, BD, content size, dictionary ID, checksum.
const LZ4_MAX_HEADER: usize = 4 + 2 + 8 + 4 + 1;

/// Remembers that the underlying reader reached its end, keeps the last bytes read (the header
/// of a frame `FrameDecoder` just refused), and serves bytes put back in front of the input.
struct Ended<R> {
    inner: R,
    ended: Rc<Cell<bool>>,
    tail: [u8; LZ4_MAX_HEADER],
    tail_len: usize,
    pending: Vec<u8>,
}

impl<R: Read> Read for Ended<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.pending.is_empty() {
            let n = buf.len().min(self.pending.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(self.pending.get(..n).unwrap_or_default());
            self.pending.drain(..n);
            return Ok(n);
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.set(true);
        }
        self.remember(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<R> Ended<R> {
    fn remember(&mut self, read: &[u8]) {
        let keep = LZ4_MAX_HEADER;
        let new = read.get(read.len().saturating_sub(keep)..).unwrap_or(read);
        let old = self.tail_len.min(keep.saturating_sub(new.len()));
        let mut next = [0u8; LZ4_MAX_HEADER];
        let from = self.tail_len.saturating_sub(old);
        let (head, rest) = next.split_at_mut(old);
        head.copy_from_slice(self.tail.get(from..self.tail_len).unwrap_or_default());
        rest.get_mut(..new.len())
            .unwrap_or_default()
            .copy_from_slice(new);
        self.tail = next;
        self.tail_len = old.saturating_add(new.len());
    }

    /// The last `n` bytes read, if that many were kept.
    fn last(&self, n: usize) -> Option<&[u8]> {
        self.tail.get(self.tail_len.checked_sub(n)?..self.tail_len)
    }
}

/// xxHash32 with seed 0 (what an LZ4 frame header's checksum byte is taken from), from the
/// `twox-hash` crate that `lz4_flex` already uses for the same checksum.
fn xxh32(data: &[u8]) -> u32 {
    twox_hash::XxHash32::oneshot(0, data)
}

/// Whether `h` is exactly one LZ4 frame header with a dictionary ID and a right checksum.
fn lz4_header_with_dictionary(h: &[u8]) -> bool {
    let Some((&checksum, descriptor)) = h.split_last() else {
        return false;
    };
    let Some(&flg) = h.get(4) else {
        return false;
    };
    let len = if flg & 0x08 != 0 { LZ4_MAX_HEADER } else { 11 };
    h.get(..4) == Some(&[0x04, 0x22, 0x4d, 0x18][..])
        && flg & 0x01 != 0
        && h.len() == len
        && descriptor
            .get(4..)
            .is_some_and(|d| (xxh32(d) >> 8) as u8 == checksum)
}

/// The frame header `header` (one with a dictionary ID, checksum already checked) without
/// its dictionary ID, with the header checksum that goes with that.
fn without_dictionary(header: &[u8]) -> Option<(Vec<u8>, u32)> {
    const FLG_DICTIONARY_ID: u8 = 0x01;
    const FLG_CONTENT_SIZE: u8 = 0x08;
    let flg = *header.get(4)?;
    let bd = *header.get(5)?;
    let size_len = if flg & FLG_CONTENT_SIZE != 0 { 8 } else { 0 };
    let size = header.get(6..6usize.checked_add(size_len)?)?;
    let dict_at = 6usize.checked_add(size_len)?;
    let dict = header.get(dict_at..dict_at.checked_add(4)?)?;
    let dict_id = u32::from_le_bytes(dict.try_into().ok()?);
    let mut out = header.get(..4)?.to_vec();
    out.push(flg & !FLG_DICTIONARY_ID);
    out.push(bd);
    out.extend_from_slice(size);
    let checksum = (xxh32(out.get(4..)?) >> 8) as u8;
    out.push(checksum);
    Some((out, dict_id))
}

impl<R: Read> Ended<R> {
    /// The next `n` bytes of the input (fewer at its end), read ahead into `pending` so that
    /// the decoder still reads them; remembered as read, in input order.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        let mut chunk = [0u8; LZ4_MAX_HEADER];
        while self.pending.len() < n {
            let want = n.saturating_sub(self.pending.len()).min(chunk.len());
            let got = self.inner.read(chunk.get_mut(..want).unwrap_or_default())?;
            if got == 0 {
                break;
            }
            let got = chunk.get(..got).unwrap_or_default();
            self.remember(got);
            self.pending.extend_from_slice(got);
        }
        Ok(self.pending.get(..n).unwrap_or(&self.pending))
    }

    /// Reads and drops `n` bytes; `false` when the input ends first.
    fn skip(&mut self, n: u64) -> io::Result<bool> {
        let skipped = io::copy(&mut self.by_ref().take(n), &mut io::sink())?;
        Ok(skipped == n)
    }
}

impl<R: Read> Lz4<R> {
    fn new(inner: R) -> Self {
        let ended = Rc::new(Cell::new(false));
        let dec = lz4_flex::frame::FrameDecoder::new(Ended {
            inner,
            ended: ended.clone(),
            tail: [0; LZ4_MAX_HEADER],
            tail_len: 0,
            pending: Vec::new(),
        });
        Lz4 {
            dec,
            ended,
            failed: None,
            dict_id: None,
        }
    }

    /// Fails the stream (sticky) when the next bytes start a legacy frame: called wherever
    /// `FrameDecoder` could read a frame header next.
    fn refuse_legacy_next(&mut self) -> io::Result<()> {
        if self.dec.get_mut().peek(LZ4_LEGACY_MAGIC.len())? != LZ4_LEGACY_MAGIC {
            return Ok(());
        }
        Err(self.fail(io::Error::new(
            io::ErrorKind::InvalidData,
            "a legacy LZ4 frame (magic 02 21 4C 18) follows a frame: liblz4's frame decoder (python-lz4's lz4.frame, which joblib uses) refuses it as an unknown frame type",
        )))
    }

    /// Makes `e` the stream's sticky error (every later read returns it) and hands it back.
    fn fail(&mut self, e: io::Error) -> io::Error {
        self.failed = Some((e.kind(), e.to_string()));
        e
    }

    /// Goes on after what `FrameDecoder` refused where liblz4 reads on: `Ok(true)` when it did.
    fn read_on(&mut self, e: &io::Error) -> io::Result<bool> {
        use lz4_flex::frame::Error as E;
        let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<E>()) else {
            return Ok(false);
        };
        match inner {
            // The 8-byte skippable header was read; its data follows.
            E::SkippableFrame(len) => {
                if self.dec.get_mut().skip(u64::from(*len))? {
                    self.dict_id = None;
                    Ok(true)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "a skippable frame declares {len} bytes of data, more than the rest of the stream"
                        ),
                    ))
                }
            }
            // The whole header was read (its checksum checked): hand it on without the ID.
            E::DictionaryNotSupported => {
                let src = self.dec.get_mut();
                // 19 bytes with a content size, 11 without; the one whose magic, FLG byte
                // and checksum agree is the header just read.
                let header = [LZ4_MAX_HEADER, 11]
                    .into_iter()
                    .filter_map(|n| src.last(n))
                    .find(|h| lz4_header_with_dictionary(h))
                    .and_then(without_dictionary);
                let Some((header, dict_id)) = header else {
                    return Ok(false);
                };
                let mut header = header;
                header.append(&mut src.pending);
                src.pending = header;
                self.dict_id = Some(dict_id);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl<R: Read> Read for Lz4<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = match self.dec.read(buf) {
                Ok(n) => n,
                Err(e) => {
                    let res = self.read_on(&e);
                    if matches!(res, Ok(true)) {
                        // After a skippable frame, `FrameDecoder` reads the next magic itself.
                        self.refuse_legacy_next()?;
                        continue;
                    }
                    let e = res.err().unwrap_or(e);
                    let e = match self.dict_id {
                        Some(id) => io::Error::new(
                            e.kind(),
                            format!(
                                "{e} (after a frame naming dictionary {id:#x}, which is decoded without it as liblz4 does: a reference into the dictionary fails)"
                            ),
                        ),
                        None => e,
                    };
                    return Err(self.fail(e));
                }
            };
            if n > 0 || self.ended.get() {
                return Ok(n);
            }
            // An end mark, or a block that decoded to nothing: where `FrameDecoder` reads a
            // frame header next. (A block size equal to the magic is past every block maximum,
            // an error to both decoders.)
            self.refuse_legacy_next()?;
        }
    }
}

fn decoder<'a>(format: Format, r: Tagged<SourceReader<'a>>) -> io::Result<Box<dyn Read + 'a>> {
    // Dictionary memory of xz/lzma decoders is bounded (joblib uses the default presets).
    const MEM_LIMIT_KB: u32 = 256 * 1024;
    Ok(match format {
        Format::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Format::Zlib => Box::new(flate2::bufread::ZlibDecoder::new(r)),
        Format::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(r, true, MEM_LIMIT_KB)),
        Format::Lzma => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(r, MEM_LIMIT_KB, None)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        ),
        Format::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        ),
        Format::Lz4 => Box::new(Lz4::new(r)),
        other => {
            return Err(io::Error::other(format!(
                "{} is not a compression format",
                other.describe()
            )));
        }
    })
}

/// Inspects a compressed stream; returns `Joblib` when it holds a pickle.
pub fn inspect(src: &dyn Source, ctx: &mut Ctx, format: Format) -> io::Result<Format> {
    let per_file_left = ctx
        .limits
        .max_decompressed_total
        .saturating_sub(ctx.decompressed);
    let cap = ctx.limits.max_decompressed.min(per_file_left);
    let what = format.describe();
    let io_failed = Rc::new(Cell::new(false));
    let tagged = Tagged {
        inner: SourceReader::new(src, 0),
        failed: io_failed.clone(),
    };
    let dec = match decoder(format, tagged) {
        Ok(d) => d,
        Err(e) if !io_failed.get() => {
            ctx.report(
                Code::ArchiveMalformed,
                Some(0),
                format!("{what} stream: {e}"),
            );
            return Ok(format);
        }
        Err(e) => return Err(e),
    };
    let mut r = BufReader::with_capacity(256 << 10, Capped::new(dec, cap, io_failed));
    let head = match r.fill_buf() {
        Ok(h) => h.get(..detect::HEAD_LEN.min(h.len())).unwrap_or(h).to_vec(),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            ctx.report(
                Code::ArchiveMalformed,
                Some(0),
                format!("{what} stream is corrupt: {e}"),
            );
            return Ok(format);
        }
        Err(e) => return Err(e),
    };
    let inner = detect::detect(&head, u64::MAX, "");
    let name = format!("<{what}>");
    let refined = match inner {
        Format::Pickle | Format::PytorchLegacy => {
            // Read again from the start when frames and opcodes disagree: the same decoder
            // and cap, made anew (the first reading already accounted for the bytes).
            let mut reopen = || -> io::Result<Box<dyn BufRead + '_>> {
                let io_failed = Rc::new(Cell::new(false));
                let tagged = Tagged {
                    inner: SourceReader::new(src, 0),
                    failed: io_failed.clone(),
                };
                let capped = Capped::new(decoder(format, tagged)?, cap, io_failed);
                Ok(Box::new(BufReader::with_capacity(256 << 10, capped)))
            };
            ctx.enter(&name, |ctx| {
                super::pickle::inspect_stream(&mut r, Some(&mut reopen), ctx)
            })?;
            Format::Joblib
        }
        // A .tar.gz: read as it is decompressed, never held whole.
        Format::Tar => {
            ctx.enter(&name, |ctx| super::tar::inspect_stream(&mut r, ctx))?;
            format
        }
        _ => {
            let mut data = Vec::new();
            let max = ctx.limits.max_in_memory;
            let res = (&mut r).take(max.saturating_add(1)).read_to_end(&mut data);
            match res {
                Ok(_) if data.len() as u64 > max => {
                    ctx.report(
                        Code::ArchiveDepthExceeded,
                        None,
                        format!("{what} content is larger than {max} bytes and not a pickle; its content was not inspected"),
                    );
                }
                Ok(_) => {
                    ctx.enter(&name, |ctx| super::inspect_source(&data, ctx, ""))?;
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {}
                Err(e) => return Err(e),
            }
            format
        }
    };
    // Drain what the inner parser did not read, to find corruption and account for the cap.
    let drained = io::copy(&mut r, &mut io::sink());
    let capped = r.into_inner();
    ctx.spend_decompressed(capped.produced);
    if capped.hit {
        ctx.report(
            Code::ZipBomb,
            None,
            format!(
                "{what} stream expands past {} bytes; decompression stopped there",
                capped.cap
            ),
        );
    } else if let Err(e) = drained
        && e.kind() != io::ErrorKind::InvalidData
    {
        return Err(e);
    } else if let Some(e) = capped.corrupt {
        ctx.report(
            Code::ArchiveMalformed,
            None,
            format!("{what} stream is corrupt: {e}"),
        );
    }
    Ok(refined)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::policy::Policy;
    use std::io::Write;

    const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";

    #[test]
    fn a_corrupt_gzip_trailer_after_the_pickle_is_reported() {
        // The pickle ends (STOP) before the stream does; the CRC at the end is wrong.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"\x80\x02}q\x00.").unwrap();
        let mut bytes = gz.finish().unwrap();
        let n = bytes.len();
        bytes[n - 8] ^= 0xff;
        let (f, codes) = run(&bytes, Format::Gzip, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert_eq!(codes, [Code::ArchiveMalformed]);
    }

    fn run(bytes: &[u8], format: Format, limits: Limits) -> (Format, Vec<Code>) {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.joblib");
        let f = inspect(&bytes.to_vec(), &mut ctx, format).unwrap();
        (f, ctx.findings.iter().map(|f| f.code).collect())
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    const SYSTEM: &[u8] = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";

    #[test]
    fn a_compressed_pickle_whose_frames_disagree_is_read_again_frame_by_frame() {
        // SHORT_BINUNICODE of 8 with 4 bytes left in its frame: read frame by frame (as
        // io.BytesIO is), the 8 come from the frame's end and the reading resumes inside the
        // BINSTRING that follows, at the payload. Read on, the payload is a string.
        let mut b = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00\x8c\x08AAAAAAAAU".to_vec();
        b.push(2 + SYSTEM.len() as u8);
        b.extend_from_slice(b"AA");
        b.extend_from_slice(SYSTEM);
        b.push(b'.');
        let (_, codes) = run(&gzip(&b), Format::Gzip, Limits::default());
        assert!(codes.contains(&Code::PickleFrameOverrun), "{codes:?}");
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        assert!(!codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
    }

    #[test]
    fn a_compressed_pickle_is_read_again_after_a_frame_overrun() {
        // A one-byte frame whose BINBYTES runs past it holding the payload: a loader that
        // resumes at the frame's end runs it; the window after the frame end is tried.
        let mut b = b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00B".to_vec();
        b.extend_from_slice(&(SYSTEM.len() as u32).to_le_bytes());
        b.extend_from_slice(SYSTEM);
        b.push(b'.');
        let (_, codes) = run(&gzip(&b), Format::Gzip, Limits::default());
        assert!(codes.contains(&Code::PickleFrameOverrun), "{codes:?}");
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    }

    #[test]
    fn a_decoder_is_never_read_again_after_an_error() {
        // Found by fuzzing: an xz stream whose block checksum fails after 48 bytes of pickle.
        // Read again after its errors, lzma-rust2's LZMA2 reader looped forever; every read
        // after the first error now returns that error.
        const XZ: &[u8] = b"\xfd\x37\x7a\x58\x5a\x00\x00\x04\xe6\xd6\xb4\x46\x02\x00\x21\x01\x16\x00\x00\x00\x74\x2f\
          \xe5\xa3\x01\x00\x2f\x80\x04\x95\x56\x00\x00\x54\x46\x4c\x34\x00\x7d\x94\x28\x8c\x04\x6e\
          \x61\x6d\x65\x94\x69\x61\x8c\x05\x6f\x62\x6d\x94\x8c\x07\x77\x65\x69\x67\x68\x74\x73\x94\
          \xf0\xff\xff\xff\x3f\xe0\x00\x00\x00\x00\x00\x1e\x42\x17\x81\x67\xf5\xd2\x00\x01\x48\x30\
          \x8a\x40\xff\x3e\x1f\xb6\xf3\x7d\x01\x00\x00\x00\x00\x04\xb4\x46\x02\x00\x21\x01\x16\x00\
          \x00\x00\x74\x2f\xe5\xa3\x01\x00\x2c\x80\x00\x74\x2f\xe5\xa3\x01\x00\x2c\x80\x04\x8c\x07\
          \x70\x61\x74\x68\x6c\x69\x62\x8c\x09\x6f\x73\x06\x55\x55\x55\x55\x55\x55\x56\x65\x79\x74\
          \x73\x2e\x6d\x98\x98\x98\x98\x98\x98\x73\x93\x59\x5a";
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(run(XZ, Format::Xz, Limits::default()));
        });
        let (f, codes) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the scan finishes");
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::ArchiveMalformed), "{codes:?}");
    }

    #[test]
    fn scans_pickle_inside_zlib_and_gzip() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(MAL).unwrap();
        let (f, codes) = run(&z.finish().unwrap(), Format::Zlib, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");

        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        g.write_all(MAL).unwrap();
        let (_, codes) = run(&g.finish().unwrap(), Format::Gzip, Limits::default());
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    }

    #[test]
    fn stops_a_decompression_bomb_at_the_cap() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b'N'; 4 << 20]).unwrap();
        let limits = Limits {
            max_decompressed: 1 << 20,
            ..Limits::default()
        };
        let (_, codes) = run(&z.finish().unwrap(), Format::Zlib, limits);
        assert!(codes.contains(&Code::ZipBomb), "{codes:?}");
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn scans_pickle_inside_an_lz4_frame() {
        let frame = lz4(MAL);
        assert_eq!(
            detect::detect(&frame, frame.len() as u64, "m.joblib"),
            Format::Lz4
        );
        let (f, codes) = run(&frame, Format::Lz4, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        assert!(!codes.contains(&Code::ArchiveMalformed), "{codes:?}");
    }

    #[test]
    fn lz4_blocks_and_frames_that_decode_to_nothing_do_not_end_the_stream() {
        // An empty stored block (size 0x80000000) after the 7-byte frame header: liblz4 goes
        // on to the next block, so the payload after it is what joblib loads.
        let frame = lz4(MAL);
        let mut hidden = frame[..7].to_vec();
        hidden.extend_from_slice(&0x8000_0000u32.to_le_bytes());
        hidden.extend_from_slice(&frame[7..]);
        let (f, codes) = run(&hidden, Format::Lz4, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        // An empty frame, then a frame holding the payload.
        let mut two = lz4(b"");
        two.extend_from_slice(&frame);
        let (f, codes) = run(&two, Format::Lz4, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
    }

    #[test]
    fn xxh32_of_short_inputs_matches_the_reference() {
        assert_eq!(xxh32(b""), 0x02cc_5d05);
        assert_eq!(xxh32(b"a"), 0x550d_7456);
        assert_eq!(xxh32(b"abc"), 0x32d1_53ff);
    }

    fn skippable(magic: u32, data: &[u8]) -> Vec<u8> {
        let mut out = magic.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// `frame` (one without a content size) with the dictionary ID `id` in its header.
    fn with_dictionary(frame: &[u8], id: u32) -> Vec<u8> {
        let mut descriptor = vec![frame[4] | 0x01, frame[5]];
        descriptor.extend_from_slice(&id.to_le_bytes());
        let mut out = frame[..4].to_vec();
        out.extend_from_slice(&descriptor);
        out.push((xxh32(&descriptor) >> 8) as u8);
        out.extend_from_slice(&frame[7..]);
        out
    }

    #[test]
    fn skippable_lz4_frames_between_frames_are_read_through() {
        // liblz4 (lz4.frame.open, so joblib) skips a skippable frame by its declared size and
        // reads the next frame: the payload after one is what loads.
        let mut bytes = lz4(b"");
        bytes.extend(skippable(0x184d_2a50, &[0xff; 300]));
        bytes.extend(skippable(0x184d_2a5f, b""));
        bytes.extend(lz4(MAL));
        let (f, codes) = run(&bytes, Format::Lz4, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        assert!(!codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        // A skippable frame declaring more data than there is.
        let mut cut = lz4(b"\x80\x02}q\x00.");
        cut.extend(skippable(0x184d_2a51, &[0; 16]));
        cut.truncate(cut.len() - 1);
        let (_, codes) = run(&cut, Format::Lz4, Limits::default());
        assert_eq!(codes, [Code::ArchiveMalformed]);
    }

    /// `data` in the legacy LZ4 format: the magic, then one block (its compressed size, then
    /// the block).
    fn lz4_legacy(data: &[u8]) -> Vec<u8> {
        let block = lz4_flex::block::compress(data);
        let mut out = LZ4_LEGACY_MAGIC.to_vec();
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(&block);
        out
    }

    #[test]
    fn a_legacy_lz4_frame_after_a_frame_fails_as_liblz4_fails_it() {
        // liblz4's frame decoder (lz4.frame, so joblib) stops at the legacy magic with "frame
        // type unknown": a payload in a legacy frame never loads, and the stream is broken.
        let mut bytes = lz4(b"");
        bytes.extend(lz4_legacy(MAL));
        let (_, codes) = run(&bytes, Format::Lz4, Limits::default());
        assert!(codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        assert!(!codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        // After a frame that holds data.
        let mut after_data = lz4(b"\x80\x02");
        after_data.extend(lz4_legacy(b"}q\x00."));
        let (_, codes) = run(&after_data, Format::Lz4, Limits::default());
        assert!(codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        // After a skippable frame, where the decoder reads the next magic without ending a
        // frame first.
        let mut after_skippable = lz4(b"");
        after_skippable.extend(skippable(0x184d_2a50, b""));
        after_skippable.extend(lz4_legacy(MAL));
        let (_, codes) = run(&after_skippable, Format::Lz4, Limits::default());
        assert!(codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        assert!(!codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        // The same pickle in two ordinary frames loads whole.
        let mut whole = lz4(b"\x80\x02");
        whole.extend(lz4(b"}q\x00."));
        let (_, codes) = run(&whole, Format::Lz4, Limits::default());
        assert!(codes.is_empty(), "{codes:?}");
    }

    #[test]
    fn lz4_frames_naming_a_dictionary_are_decoded_without_it_as_liblz4_does() {
        // python-lz4 never passes a dictionary and liblz4 decodes the frame anyway: a frame
        // that refers to nothing before its own output loads whole.
        let bytes = with_dictionary(&lz4(MAL), 0x1234);
        let (f, codes) = run(&bytes, Format::Lz4, Limits::default());
        assert_eq!(f, Format::Joblib);
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        assert!(!codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        // The same after a first frame, and with a content size in the header.
        let info = lz4_flex::frame::FrameInfo::new().content_size(Some(MAL.len() as u64));
        let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        e.write_all(MAL).unwrap();
        let sized = e.finish().unwrap();
        let mut descriptor = sized[4..14].to_vec();
        descriptor[0] |= 0x01;
        descriptor.extend_from_slice(&7u32.to_le_bytes());
        let mut bytes = lz4(b"");
        bytes.extend_from_slice(&sized[..4]);
        bytes.extend_from_slice(&descriptor);
        bytes.push((xxh32(&descriptor) >> 8) as u8);
        bytes.extend_from_slice(&sized[15..]);
        let (_, codes) = run(&bytes, Format::Lz4, Limits::default());
        assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
        assert!(!codes.contains(&Code::ArchiveMalformed), "{codes:?}");
        // A block that copies from before the output's start needs the dictionary: corrupt.
        let mut refers = lz4(b"")[..7].to_vec();
        let block = [0x10, b'a', 0x10, 0x00, 0x50, b'b', b'c', b'd', b'e', b'f'];
        refers.extend_from_slice(&(block.len() as u32).to_le_bytes());
        refers.extend_from_slice(&block);
        refers.extend_from_slice(&[0; 4]);
        let bytes = with_dictionary(&refers, 9);
        let policy = Policy::new(&[], false).unwrap();
        let limits = Limits::default();
        let mut ctx = Ctx::new(&limits, &policy, "m.joblib");
        inspect(&bytes, &mut ctx, Format::Lz4).unwrap();
        assert_eq!(ctx.findings.len(), 1, "{:?}", ctx.findings);
        assert_eq!(ctx.findings[0].code, Code::ArchiveMalformed);
        assert!(
            ctx.findings[0].message.contains("dictionary 0x9"),
            "{}",
            ctx.findings[0].message
        );
    }

    #[test]
    fn corrupt_lz4_frames_are_findings() {
        let frame = lz4(MAL);
        // Header checksum wrong, reserved bits set, a block larger than the declared maximum,
        // a block cut short, garbage after the end mark, a bare magic number.
        let mut bad_hc = frame.clone();
        bad_hc[6] ^= 0xff;
        let mut reserved = frame.clone();
        reserved[5] |= 0x80;
        let mut too_big = frame[..7].to_vec();
        too_big.extend_from_slice(&0x0100_0000u32.to_le_bytes());
        too_big.extend_from_slice(&[0u8; 64]);
        let cut = frame[..frame.len() - 8].to_vec();
        let mut trailing = frame.clone();
        trailing.extend_from_slice(b"not a frame at all");
        // Checks at the end mark, after the pickle's STOP: a wrong content checksum, a content
        // size one byte more than the content.
        let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
        let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        e.write_all(MAL).unwrap();
        let mut checksum = e.finish().unwrap();
        *checksum.last_mut().unwrap() ^= 1;
        let info = lz4_flex::frame::FrameInfo::new().content_size(Some(MAL.len() as u64 + 1));
        let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        e.write_all(MAL).unwrap();
        e.flush().unwrap();
        let mut size = e.into_inner();
        size.extend_from_slice(&[0; 4]);
        for (what, bytes) in [
            ("header checksum", bad_hc),
            ("reserved bits", reserved),
            ("block too big", too_big),
            ("cut block", cut),
            ("trailing garbage", trailing),
            ("content checksum", checksum),
            ("content size", size),
        ] {
            let (_, codes) = run(&bytes, Format::Lz4, Limits::default());
            assert!(codes.contains(&Code::ArchiveMalformed), "{what}: {codes:?}");
        }
        // Nothing after the magic number: no content, and no panic.
        run(b"\x04\x22\x4d\x18", Format::Lz4, Limits::default());
    }

    #[test]
    fn stops_an_lz4_bomb_at_the_cap() {
        let frame = lz4(&vec![b'N'; 4 << 20]);
        assert!(frame.len() < 64 << 10, "{}", frame.len());
        let limits = Limits {
            max_decompressed: 1 << 20,
            ..Limits::default()
        };
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.joblib");
        inspect(&frame, &mut ctx, Format::Lz4).unwrap();
        let codes: Vec<_> = ctx.findings.iter().map(|f| f.code).collect();
        assert!(codes.contains(&Code::ZipBomb), "{codes:?}");
        assert_eq!(ctx.decompressed, 1 << 20);
    }

    #[test]
    fn reports_corrupt_stream() {
        let (_, codes) = run(
            b"\x1f\x8b\x08\x00garbage-garbage",
            Format::Gzip,
            Limits::default(),
        );
        assert!(codes.contains(&Code::ArchiveMalformed), "{codes:?}");
    }
}
