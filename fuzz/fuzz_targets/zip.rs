//! Zip: the local-header walk, the central directory, their reconciliation, members by content
//! (nested formats included) and the single-member reader Keras uses.
#![no_main]
use aibom::formats::zip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    aibom_fuzz::inspect("fuzz.zip", |ctx| zip::inspect(&bytes, ctx, None));
    if let Ok(Some(eocd)) = zip::find_eocd(&bytes) {
        aibom_fuzz::inspect("fuzz.bin", |ctx| zip::inspect(&bytes, ctx, Some(eocd)));
    }
    let max = 1 << 20;
    if let Ok(Some(member)) = zip::read_member(&bytes, "config.json", max, &Default::default()) {
        // Cut at `max + 1` bytes: one byte past the cap says "too large".
        assert!(
            member.len() as u64 <= max + 1,
            "read_member returned more than its cap and the one byte that marks too large"
        );
    }
});
