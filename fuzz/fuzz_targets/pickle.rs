//! Pickle: random-access inspection of a whole file (back-to-back streams, frame and break
//! re-reading) and the streaming path used for decompressed and 7z members.
#![no_main]
use aibom::formats::pickle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.pkl", |ctx| pickle::inspect(&bytes, ctx));
    aibom_fuzz::inspect("fuzz.pkl", |ctx| {
        pickle::inspect_stream(&mut &bytes[..], ctx)
    });
});
