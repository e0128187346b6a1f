//! GGUF: metadata key-values, arrays, tensor infos and the chat template it carries.
#![no_main]
use aibom::formats::gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.gguf", |ctx| gguf::inspect(&bytes, ctx));
});
