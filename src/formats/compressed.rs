//! Single-stream compression: gzip, zlib, bzip2, xz, lzma-alone, zstd.
//!
//! joblib compresses its pickles with these and sniffs the compressor from the first bytes
//! (`joblib/compressor.py`: `x` zlib, `\x1f\x8b` gzip, `BZ` bz2, `\xfd7zXZ` xz, `]\x00` lzma), so
//! a compressed pickle loads whatever its name. Decompression is streamed through a hard cap
//! ([`Limits::max_decompressed`] and the per-file total); a pickle inside is analysed as it is
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
                io::Error::new(io::ErrorKind::InvalidData, e.to_string())
            }
        })?;
        self.produced = self.produced.saturating_add(n as u64);
        Ok(n)
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
    } else if let Err(e) = drained {
        if e.kind() == io::ErrorKind::InvalidData {
            ctx.report(
                Code::ArchiveMalformed,
                None,
                format!("{what} stream is corrupt: {e}"),
            );
        } else {
            return Err(e);
        }
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

    fn run(bytes: &[u8], format: Format, limits: Limits) -> (Format, Vec<Code>) {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.joblib");
        let f = inspect(&bytes.to_vec(), &mut ctx, format).unwrap();
        (f, ctx.findings.iter().map(|f| f.code).collect())
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
