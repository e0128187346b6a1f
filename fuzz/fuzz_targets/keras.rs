//! Keras: a `.keras` zip (config.json, metadata.json) or a legacy HDF5 `.h5` (root attributes
//! read by hdf5-reader, then the byte-scan fallback), and the model config walk; for HDF5 also
//! the walk of every node's attributes (those PyTables unpickles), all through
//! `formats::hdf5::inspect`, which opens the file once.
#![no_main]
use aibom::formats::{hdf5, keras};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    if bytes.starts_with(b"PK") {
        aibom_fuzz::inspect("fuzz.keras", |ctx| keras::inspect_zip(&bytes, ctx));
    } else {
        aibom_fuzz::inspect("fuzz.h5", |ctx| hdf5::inspect(&bytes, ctx));
    }
});
