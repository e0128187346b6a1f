//! Compressed streams (gzip, zlib, bzip2, xz, lzma-alone, zstd, LZ4 frames): the first byte picks
//! the decoder, the rest is the stream; the content is inspected by format as a scan would.
//! Decompression is capped at 1 MiB per stream here (a scan allows 4 GiB, which a few KB of
//! bzip2 reach and which takes seconds to produce): the cap itself is what is checked.
#![no_main]
use aibom::detect::Format;
use aibom::formats::compressed;
use aibom::limits::Limits;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const CAP: u64 = 1 << 20;

fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| Limits {
        max_decompressed: CAP,
        ..Limits::default()
    })
}

const FORMATS: [Format; 7] = [
    Format::Gzip,
    Format::Zlib,
    Format::Bzip2,
    Format::Xz,
    Format::Lzma,
    Format::Zstd,
    Format::Lz4,
];

fuzz_target!(|data: &[u8]| {
    let Some((sel, rest)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(*sel) % FORMATS.len()];
    let bytes = rest.to_vec();
    aibom_fuzz::inspect_with(limits(), "fuzz.joblib", |ctx| {
        let out = compressed::inspect(&bytes, ctx, format)?;
        assert!(
            ctx.decompressed <= CAP,
            "{} bytes decompressed, over the cap of {CAP}",
            ctx.decompressed
        );
        Ok(out)
    });
});
