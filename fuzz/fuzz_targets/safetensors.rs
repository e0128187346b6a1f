//! safetensors: the JSON header, offsets, dtypes and shapes.
#![no_main]
use aibom::formats::safetensors;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.safetensors", |ctx| safetensors::inspect(&bytes, ctx));
});
