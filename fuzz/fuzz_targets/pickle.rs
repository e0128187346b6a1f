//! Pickle: random-access inspection of a whole file (back-to-back streams, frame and break
//! re-reading) and the streaming path used for decompressed members, once able to open the
//! stream again (compressed files, large zip members) and once not (7z, compressed tar).
#![no_main]
use aibom::formats::pickle;
use libfuzzer_sys::fuzz_target;
use std::io::{self, BufRead};

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.pkl", |ctx| pickle::inspect(&bytes, ctx));
    aibom_fuzz::inspect("fuzz.pkl", |ctx| {
        let mut reopen = || -> io::Result<Box<dyn BufRead + '_>> { Ok(Box::new(&bytes[..])) };
        pickle::inspect_stream(&mut &bytes[..], Some(&mut reopen), ctx)
    });
    aibom_fuzz::inspect("fuzz.pkl", |ctx| {
        pickle::inspect_stream(&mut &bytes[..], None, ctx)
    });
});
