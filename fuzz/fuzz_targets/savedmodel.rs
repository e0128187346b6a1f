//! TensorFlow SavedModel: the protobuf walk over meta graphs, op defs and functions.
#![no_main]
use aibom::formats::savedmodel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("saved_model.pb", |ctx| savedmodel::inspect(&bytes, ctx));
});
