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

/// An LZ4 frame decoder that reads to the end of its input.
///
/// Memory: `lz4_flex::frame::FrameDecoder` sizes its buffers from the frame descriptor's block
/// maximum size alone, which the BD byte can only set to 64 KiB, 256 KiB, 1 MiB or 4 MiB (other
/// values are errors). On each frame header it reserves that much for compressed input, and
/// that much (independent blocks) or twice that plus the 64 KiB window (linked blocks) for
/// output: about 12 MiB at most. The legacy format (magic `02 21 4C 18`, 8 MiB independent
/// blocks), which it also reads as a later concatenated frame, reserves about 16 MiB. A block's
/// declared length is checked against the maximum before any buffer grows, buffers are reused
/// from frame to frame, and the frame's content size field is only compared with the output at
/// the end mark, never used to allocate. Output is capped by [`Capped`] as for every codec.
///
/// `FrameDecoder::read` returns `Ok(0)` at every end mark and for a block that decodes to
/// nothing (a stored block of length 0, for one), which `Read` takes for the end of the
/// stream; liblz4 (python-lz4, hence joblib) reads on into the next block or frame. A zero read
/// is therefore passed on only once the compressed input is exhausted: each retry consumes at
/// least a 4-byte block header or end mark, so the loop ends with the input.
///
/// Errors are sticky: `FrameDecoder` would read on past a failed content size or checksum check
/// at an end mark as if nothing happened, so a later read (the drain after a pickle's STOP)
/// would lose it.
struct Lz4<R: Read> {
    dec: lz4_flex::frame::FrameDecoder<Ended<R>>,
    ended: Rc<Cell<bool>>,
    failed: Option<(io::ErrorKind, String)>,
}

/// Remembers that the underlying reader reached its end.
struct Ended<R> {
    inner: R,
    ended: Rc<Cell<bool>>,
}

impl<R: Read> Read for Ended<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.set(true);
        }
        Ok(n)
    }
}

impl<R: Read> Lz4<R> {
    fn new(inner: R) -> Self {
        let ended = Rc::new(Cell::new(false));
        let dec = lz4_flex::frame::FrameDecoder::new(Ended {
            inner,
            ended: ended.clone(),
        });
        Lz4 {
            dec,
            ended,
            failed: None,
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
            let n = self
                .dec
                .read(buf)
                .inspect_err(|e| self.failed = Some((e.kind(), e.to_string())))?;
            if n > 0 || self.ended.get() {
                return Ok(n);
            }
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
    let capped = Capped {
        inner: dec,
        cap,
        produced: 0,
        hit: false,
        io_failed,
        corrupt: None,
        failed: None,
    };
    let mut r = BufReader::with_capacity(256 << 10, capped);
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
            ctx.enter(&name, |ctx| super::pickle::inspect_stream(&mut r, ctx))?;
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
