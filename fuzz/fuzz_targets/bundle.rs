//! OMS / Sigstore bundles: the JSON envelope, base64 payload, signature and verification
//! material; then the statement inside. A bundle that opens, written back, opens the same.
#![no_main]
use aibom::sign::{bundle, statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(opened) = bundle::open(data) else {
        return;
    };
    let again = serde_json::to_vec(&opened.bundle).expect("a parsed bundle serialises");
    let reopened = bundle::open(&again).expect("a bundle written back opens again");
    assert_eq!(opened.payload, reopened.payload);
    assert_eq!(opened.signature, reopened.signature);
    assert_eq!(opened.method, reopened.method);
    let _ = statement::parse(&opened.payload);
});
