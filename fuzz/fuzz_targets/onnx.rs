//! ONNX: the protobuf walk over model, graphs, nodes, attributes and tensors.
#![no_main]
use aibom::formats::onnx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.onnx", |ctx| onnx::inspect(&bytes, ctx));
});
