//! X.509 chains of the OMS certificate method. Even first byte: PEM text, which must round
//! trip (DER -> PEM -> the same DER). Odd: DER certificates separated by `SEP`, verified as a
//! bundle chain against the OMS vector root (bit 1: with the vector intermediate as an extra
//! certificate; bit 2: at a fixed time instead of the leaf's notBefore).
#![no_main]
use aibom::sign::x509;
use aibom_fuzz::certs;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SEP: &[u8] = b"\n--SEP--\n";

struct Trust {
    root: Vec<u8>,
    intermediate: Vec<u8>,
}

fn trust() -> &'static Trust {
    static TRUST: OnceLock<Trust> = OnceLock::new();
    TRUST.get_or_init(|| Trust {
        root: certs::der(certs::ROOT_PEM),
        intermediate: certs::der(certs::INTERMEDIATE_PEM),
    })
}

fn split<'a>(mut data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = data.windows(sep.len()).position(|w| w == sep) {
        out.push(&data[..at]);
        data = &data[at + sep.len()..];
    }
    out.push(data);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let text = String::from_utf8_lossy(rest);
        if let Ok(ders) = x509::pem_certificates(&text) {
            let pem: String = ders.iter().map(|d| certs::pem(d)).collect();
            let again = x509::pem_certificates(&pem).expect("certificates written as PEM parse");
            assert_eq!(ders, again, "PEM round trip changed the DER");
        }
        return;
    }
    let t = trust();
    let chain: Vec<Vec<u8>> = split(rest, SEP).into_iter().map(<[u8]>::to_vec).collect();
    let extra = if mode & 2 != 0 {
        vec![t.intermediate.clone()]
    } else {
        Vec::new()
    };
    let at = (mode & 4 != 0).then_some(1_750_000_000);
    let _ = x509::verify_chain(&chain, &extra, std::slice::from_ref(&t.root), at);
});
