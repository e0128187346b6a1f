//! Tar archives: the header parser (ustar, GNU long names, pax, base-256 numbers, resync after
//! broken headers), then every member by content; the same bytes read from a source (members
//! as windows) and as a stream (members copied or streamed, as inside a `.tar.gz`).
#![no_main]
use aibom::formats::tar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    let from_source = aibom_fuzz::inspect("fuzz.tar", |ctx| tar::inspect(&bytes, ctx)).format;
    let mut stream = data;
    let from_stream = aibom_fuzz::inspect("fuzz.tar", |ctx| tar::inspect_stream(&mut stream, ctx));
    // Both readings see the same headers, so they agree on the layout.
    assert_eq!(from_source, from_stream);
});
