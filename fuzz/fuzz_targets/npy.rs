//! NumPy .npy: the header dictionary, dtype and shape against the data length.
#![no_main]
use aibom::formats::npy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.npy", |ctx| npy::inspect(&bytes, ctx));
});
