//! 7z archives: the header parsed by sevenz-rust2, then every member by content.
#![no_main]
use aibom::formats::sevenz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.7z", |ctx| sevenz::inspect(&bytes, ctx));
});
