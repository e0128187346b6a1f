//! Text and JSON files: secrets, Git LFS pointers, notebooks and the chat templates of tokenizer
//! configs; the first byte picks the file name (which decides what is looked for). Model cards
//! (README.md front matter) are read the way `generate` reads them.
#![no_main]
use aibom::bom::card::{self, DirInfo};
use aibom::detect::{self, Format};
use aibom::formats::text;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 12] = [
    "config.json",
    "tokenizer_config.json",
    "chat_template.json",
    "processor_config.json",
    "notebook.ipynb",
    ".env",
    "prod.env",
    "README.md",
    "notes.txt",
    "params.yaml",
    "train.py",
    "tokenizer.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((sel, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(*sel) % NAMES.len()];
    let bytes = rest.to_vec();
    let format = match detect::detect(&bytes, bytes.len() as u64, name) {
        Format::Json => Format::Json,
        _ => Format::Text,
    };
    aibom_fuzz::inspect(name, |ctx| text::inspect(&bytes, ctx, name, format));
    let mut info = DirInfo::default();
    card::absorb(&mut info, name, &bytes);
});
