//! The whole-file entry point, as `scan` inspects one file: content detection (the name only
//! breaks ties, and is checked against the content), the format's parser, nested members and
//! the end-of-file zip check; then the verdict. The first byte picks the file name.
#![no_main]
use aibom::formats;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 24] = [
    "model.pkl",
    "pytorch_model.bin",
    "model.pt",
    "model.ckpt",
    "model.safetensors",
    "array.npy",
    "arrays.npz",
    "model.gguf",
    "model.onnx",
    "saved_model.pb",
    "model.keras",
    "model.h5",
    "model.joblib",
    "model.7z",
    "tokenizer_config.json",
    "config.json",
    "chat_template.json",
    "notebook.ipynb",
    ".env",
    "README.md",
    "weights.bin.gz",
    "weights",
    "data/archive/data.pkl",
    "model.dill",
];

fuzz_target!(|data: &[u8]| {
    let Some((sel, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(*sel) % NAMES.len()];
    let bytes = rest.to_vec();
    aibom_fuzz::inspect(name, |ctx| {
        let format = formats::inspect_source(&bytes, ctx, name)?;
        let _ = aibom_fuzz::verdict(ctx, format);
        Ok(())
    });
});
