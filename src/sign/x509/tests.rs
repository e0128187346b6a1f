//! Vectors: `tests/vectors/oms-v1.1.0/` (model-signing v1.1.0, see its README). The inline
//! EC fixtures were made once with OpenSSL 3.0 (`openssl req`/`openssl x509 -req`, 100-year
//! validity from 2026-11-22):
//! EC_ROOT (P-384, self-signed, ecdsa-with-SHA384) -> EC_INT (P-256 CA, signed with
//! ecdsa-with-SHA256 by the P-384 root) -> EC_LEAF (P-256, EKU codeSigning only, no
//! keyUsage, signed with ecdsa-with-SHA384 by the P-256 intermediate). Also under EC_INT:
//! NO_USAGE (neither keyUsage nor EKU), CRITICAL (critical extension 1.2.3.4), RSA_LEAF
//! (RSA-2048 key, keyUsage digitalSignature); UNDER_LEAF is signed by EC_LEAF (CA:FALSE);
//! FAKE_ROOT_CA is a self-signed RSA CA named `CN=root-ca` like the vectors' root.
//! ED_ROOT (Ed25519, self-signed) -> PSS_INT (RSA-2048 CA, signed with Ed25519) -> PSS_LEAF
//! (P-256, keyUsage digitalSignature, signed with RSASSA-PSS SHA-256, salt 32) were made the
//! same way on 2026-12-05 (`openssl x509 -req -sigopt rsa_padding_mode:pss`).
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use rustls_pki_types::CertificateDer;
use webpki::EndEntityCert;

const ROOT: &str = include_str!("../../../tests/vectors/oms-v1.1.0/keys/ca-cert.pem");
const INT: &str = include_str!("../../../tests/vectors/oms-v1.1.0/keys/int-ca-cert.pem");
const LEAF: &str = include_str!("../../../tests/vectors/oms-v1.1.0/keys/signing-key-cert.pem");
const BUNDLE: &str = include_str!("../../../tests/vectors/oms-v1.1.0/certificate/model.sig");

const EC_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBvjCCAUOgAwIBAgIUXWPUjEaowpCrq28B3qO2AyOr4bowCgYIKoZIzj0EAwMw
HTEbMBkGA1UEAwwSYWlib20tdGVzdC1lYy1yb290MCAXDTI2MTEyMjAwMzA0N1oY
DzIxMjYxMDI5MDAzMDQ3WjAdMRswGQYDVQQDDBJhaWJvbS10ZXN0LWVjLXJvb3Qw
djAQBgcqhkjOPQIBBgUrgQQAIgNiAAQr/JcpXza13dD9qXWvwTxzY7xBpWoD135E
JqSxv/kNyAV4Ppu6l1qCvzu6ob6cc1TZGTTRYxQZX63KM8jjWwBhp8m2C/R3jFQV
h2CXLlXLFA1WBWCaeUHInnNyE9kWMmyjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYD
VR0PAQH/BAQDAgIEMB0GA1UdDgQWBBREWhoDsy1tfMjPBtH7K/R108DBjTAKBggq
hkjOPQQDAwNpADBmAjEA+EyrssWOc+UlwJ7XmtbTuCVZhQJD0aBg4WNX0bdz9AxT
+OS8Jz7Lpc7mMjuuBnxwAjEAnJuj8CfpE7P21yziQ7dbbtk/EG6BEGiRSYbWInnq
8E6p6g3kPe5JrQFg9VvoO1/h
-----END CERTIFICATE-----
";
const EC_INT: &str = "-----BEGIN CERTIFICATE-----
MIIBrjCCATOgAwIBAgIBAjAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJhaWJvbS10
ZXN0LWVjLXJvb3QwIBcNMjYxMTIyMDAzMDQ3WhgPMjEyNjEwMjkwMDMwNDdaMBwx
GjAYBgNVBAMMEWFpYm9tLXRlc3QtZWMtaW50MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEwWOWCtpmr6561jv2IBymd7Lv/02p/BcwCJq7n2iuzpblOlinbdIVFh4h
xwFu9G+N+7FsL7kCbE+NkzQgecX6BKNjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNV
HQ8BAf8EBAMCAgQwHQYDVR0OBBYEFFur88X3wtwUxIQIK0jMUyWN3vZ5MB8GA1Ud
IwQYMBaAFERaGgOzLW18yM8G0fsr9HXTwMGNMAoGCCqGSM49BAMCA2kAMGYCMQD5
JVvh9C5t3tQFRkmgZeUriUcOZn5b6llY8PVSOYBcN8IleFHGkLDDvLEtT1hsbtgC
MQDTAVsXIKPBlQqPtYP6zWM4XZx8nnUCE+MUqF7dGwwia24CthgkBzW227v+4Xkw
mvY=
-----END CERTIFICATE-----
";
const EC_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgICZvYwCgYIKoZIzj0EAwMwHDEaMBgGA1UEAwwRYWlib20t
dGVzdC1lYy1pbnQwIBcNMjYxMTIyMDAzMDQ3WhgPMjEyNjEwMjkwMDMwNDdaMB0x
GzAZBgNVBAMMEmFpYm9tLXRlc3QtZWMtbGVhZjBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABD076kN5n5KTYeWn07gIDOE3wNuTvRUOTmqFhMmaqwh5WRFqeU0K4+PI
FQ+lKmK0YPjJKWr/CC8NTQw00pZzNOOjZTBjMAwGA1UdEwEB/wQCMAAwEwYDVR0l
BAwwCgYIKwYBBQUHAwMwHQYDVR0OBBYEFLxKt3q2RDrRt6/x9o++hC2sllgFMB8G
A1UdIwQYMBaAFFur88X3wtwUxIQIK0jMUyWN3vZ5MAoGCCqGSM49BAMDA0cAMEQC
IHzWdkweibKiFefGV1m/tx2eBnFISChrefRw0Wx+xZD2AiAj8svI9xRWyc+ZvjTs
znjjnzDYIuvrfyYl/QNObhWLKQ==
-----END CERTIFICATE-----
";
const NO_USAGE: &str = "-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgICK0IwCgYIKoZIzj0EAwIwHDEaMBgGA1UEAwwRYWlib20t
dGVzdC1lYy1pbnQwIBcNMjYxMTIyMDAzMDQ3WhgPMjEyNjEwMjkwMDMwNDdaMB4x
HDAaBgNVBAMME2FpYm9tLXRlc3Qtbm8tdXNhZ2UwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ9O+pDeZ+Sk2Hlp9O4CAzhN8Dbk70VDk5qhYTJmqsIeVkRanlNCuPj
yBUPpSpitGD4ySlq/wgvDU0MNNKWczTjo00wSzAJBgNVHRMEAjAAMB0GA1UdDgQW
BBS8Srd6tkQ60bev8faPvoQtrJZYBTAfBgNVHSMEGDAWgBRbq/PF98LcFMSECCtI
zFMljd72eTAKBggqhkjOPQQDAgNHADBEAiB/7JeBqrhZ4e1w1ebTr17mUdG9rgTO
hBqYVvLEim1qjgIgEztlHxEQluzxOBkE9MwCj8kavJhG37+9AkKSBPvDxTg=
-----END CERTIFICATE-----
";
const CRITICAL: &str = "-----BEGIN CERTIFICATE-----
MIIBjDCCATKgAwIBAgICE+gwCgYIKoZIzj0EAwIwHDEaMBgGA1UEAwwRYWlib20t
dGVzdC1lYy1pbnQwIBcNMjYxMTIyMDAzMDQ3WhgPMjEyNjEwMjkwMDMwNDdaMB4x
HDAaBgNVBAMME2FpYm9tLXRlc3QtY3JpdGljYWwwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ9O+pDeZ+Sk2Hlp9O4CAzhN8Dbk70VDk5qhYTJmqsIeVkRanlNCuPj
yBUPpSpitGD4ySlq/wgvDU0MNNKWczTjo2AwXjAOBgNVHQ8BAf8EBAMCB4AwDAYD
KgMEAQH/BAIFADAdBgNVHQ4EFgQUvEq3erZEOtG3r/H2j76ELayWWAUwHwYDVR0j
BBgwFoAUW6vzxffC3BTEhAgrSMxTJY3e9nkwCgYIKoZIzj0EAwIDSAAwRQIhAPgB
jWYCnp+EP0Kvh7YWgu9TVYZdd9T8Op+3nGbAInm/AiBqV1hNDSX9LtFSgX1pgi7k
ekInYVI29RaBvjO638cmTg==
-----END CERTIFICATE-----
";
const UNDER_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIBYTCCAQagAwIBAgICaaswCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSYWlib20t
dGVzdC1lYy1sZWFmMCAXDTI2MTEyMjAwMzA0N1oYDzIxMjYxMDI5MDAzMDQ3WjAg
MR4wHAYDVQQDDBVhaWJvbS10ZXN0LXVuZGVyLWxlYWYwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAAQ9O+pDeZ+Sk2Hlp9O4CAzhN8Dbk70VDk5qhYTJmqsIeVkRanlN
CuPjyBUPpSpitGD4ySlq/wgvDU0MNNKWczTjozEwLzAOBgNVHQ8BAf8EBAMCB4Aw
HQYDVR0OBBYEFLxKt3q2RDrRt6/x9o++hC2sllgFMAoGCCqGSM49BAMCA0kAMEYC
IQDUnB8n3hAo/kLlb8UJXLYqNlCgcIyouFJrsfRGJDryOAIhAMr9MpyaqXtTOogh
SVMPT+mBI6WeqGwjw7oSpJFZgZfm
-----END CERTIFICATE-----
";
const RSA_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIICSDCCAe+gAwIBAgICRGEwCgYIKoZIzj0EAwIwHDEaMBgGA1UEAwwRYWlib20t
dGVzdC1lYy1pbnQwIBcNMjYxMTIyMDAzMDQ4WhgPMjEyNjEwMjkwMDMwNDhaMB4x
HDAaBgNVBAMME2FpYm9tLXRlc3QtcnNhLWxlYWYwggEiMA0GCSqGSIb3DQEBAQUA
A4IBDwAwggEKAoIBAQCsEvL/peCvzWP68V9jS2px3x3NKjBvKOK3wAza+I+4upQe
vme4K9bsdQHS8IrIdoqRWlRKxLnISm8eNMh1ne5avF6O++JFql14p6SOch0EtBdy
OGswUPd3x0f3re81oGu5vtN74ytE66/hSfMmNYCt9ETRgsAD7G/q6o+vx0n+v9yF
StgHyp9xR+TA6QY6SiH1wB4VfeIA8tozyk/J7cnHNdZzT3Jdn6OcpK5TE6Nb4C8b
lJ2MQgSirrph2YNi+MQLxBIRZFp2g0WfOtKPIEjNTqOuVhdUoRMdCZos8rryemYL
ux8D4HLwcK6Y7+UPFsIirP8tBorPXrBP7QmA99fHAgMBAAGjUjBQMA4GA1UdDwEB
/wQEAwIHgDAdBgNVHQ4EFgQUbwJBZFxc8NDuIf7PPnl3Mpdm1JcwHwYDVR0jBBgw
FoAUW6vzxffC3BTEhAgrSMxTJY3e9nkwCgYIKoZIzj0EAwIDRwAwRAIgJ3LVKUSr
0pPv7AgaVCnaeWwGnb1peM2rdNiQIBPcFeoCIExblQgcTAgyGeTqBpZGu79Dnh4d
stHZgpqrI3WrsF5N
-----END CERTIFICATE-----
";
const FAKE_ROOT_CA: &str = "-----BEGIN CERTIFICATE-----
MIIC9jCCAd6gAwIBAgIUMXlDZ0mp11mIexrAd/N0p+HfDkYwDQYJKoZIhvcNAQEL
BQAwEjEQMA4GA1UEAxMHcm9vdC1jYTAgFw0yNjExMjIwMDMyNDJaGA8yMTI2MTAy
OTAwMzI0MlowEjEQMA4GA1UEAxMHcm9vdC1jYTCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBAKwS8v+l4K/NY/rxX2NLanHfHc0qMG8o4rfADNr4j7i6lB6+
Z7gr1ux1AdLwish2ipFaVErEuchKbx40yHWd7lq8Xo774kWqXXinpI5yHQS0F3I4
azBQ93fHR/et7zWga7m+03vjK0Trr+FJ8yY1gK30RNGCwAPsb+rqj6/HSf6/3IVK
2AfKn3FH5MDpBjpKIfXAHhV94gDy2jPKT8ntycc11nNPcl2fo5ykrlMTo1vgLxuU
nYxCBKKuumHZg2L4xAvEEhFkWnaDRZ860o8gSM1Oo65WF1ShEx0JmizyuvJ6Zgu7
HwPgcvBwrpjv5Q8WwiKs/y0Gis9esE/tCYD318cCAwEAAaNCMEAwDwYDVR0TAQH/
BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAgQwHQYDVR0OBBYEFG8CQWRcXPDQ7iH+zz55
dzKXZtSXMA0GCSqGSIb3DQEBCwUAA4IBAQCRTg3eTpJZqQ7S/WYLFxdVul7c3APB
mAbDI3ifHdnzTzhfwsWVmYzDPXBfx08kcUv3DwaWm+wcvK/JiBp0SAHZa1MAYUxW
oFbxV7ZALH+C8Po+uYTpLMEI5Y1jI63LajnpIZxfKjs14YmoBfue87g3OZvTo3B4
kpq4iHyfKIARDrul+NKxYekRkRPB9u4EwJlIXQlaBxX5e8TOibzA9Zswp6zJRYG/
QOyI95QbYkGqBpXTInol5s2ORzl9hGGwsHPK/MNGZQnqHkBTo8zhPKmMyUJ4bdpC
C4NAZJIlFvE2nzoHb5W4p1c/LYdluIYB3GGftVHezBWKo/ZiL7QrEZ/q
-----END CERTIFICATE-----
";

const ED_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBazCCAR2gAwIBAgIUL8PfgTAOqhJNPMk0lUNZ5LstSrswBQYDK2VwMCIxIDAe
BgNVBAMMF2FpYm9tLXRlc3QtZWQyNTUxOS1yb290MCAXDTI2MTIwNTA4MzEwMloY
DzIxMjYxMTExMDgzMTAyWjAiMSAwHgYDVQQDDBdhaWJvbS10ZXN0LWVkMjU1MTkt
cm9vdDAqMAUGAytlcAMhAHDjsoPXB+Q6kfi3jBVe5CYQ/UE1b/A14GG6xJ8G4bGG
o2MwYTAdBgNVHQ4EFgQUHYLO1VCZS/HBrWJIAMKbIFhszWswHwYDVR0jBBgwFoAU
HYLO1VCZS/HBrWJIAMKbIFhszWswDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8E
BAMCAgQwBQYDK2VwA0EAIWkWFCIXSqutyZewUL6tRqF2ygNXihaeNSbp7Wpi1tHF
ujDszRaDrCk874cZahUvcGvNu7+5mnDVYfd9VMM9DQ==
-----END CERTIFICATE-----
";
const PSS_INT: &str = "-----BEGIN CERTIFICATE-----
MIICUjCCAgSgAwIBAgICUAEwBQYDK2VwMCIxIDAeBgNVBAMMF2FpYm9tLXRlc3Qt
ZWQyNTUxOS1yb290MCAXDTI2MTIwNTA4MzEwM1oYDzIxMjYxMTExMDgzMTAzWjAh
MR8wHQYDVQQDDBZhaWJvbS10ZXN0LXJzYS1wc3MtaW50MIIBIjANBgkqhkiG9w0B
AQEFAAOCAQ8AMIIBCgKCAQEAuLM2hMS03qdJDhnqpA3A0t1e2MvjEdIOLnWWo4Kz
3hVDgHXYCvL5PtaukL6+btlaBCFsiWkygOsMbPH+Iu5Vlb77RgwJcDONqrmf8ckx
/adi2y+YV68XvM8ySjjhEzHVaP4TFIu9ca4rhlbL8AUsod9EnEvpz+ME+8nOjNAp
MWK4so3Njx4qqlHFU+Oyx7abY9r1sOaMiSTOsPY5tFaQnr45VPBzXLCxgD4NY42Y
FzBI70IJ64KdU5m6WY6EBJJadoWTp9CCZIBfo/pEbp7zvSeQPFzF65Lc6GMbixOI
3y1A+NcMZewADaIEPFWQKXD6g3zX6UTdc7tfkcJ8NKLg2wIDAQABo2MwYTAPBgNV
HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAdBgNVHQ4EFgQU8NvWiH+Z4l8O
d4kCqVymgtk14TYwHwYDVR0jBBgwFoAUHYLO1VCZS/HBrWJIAMKbIFhszWswBQYD
K2VwA0EA2tkEUARAm8pPFHa4fyKdb3xvrcJQOBmq87DLj9tn6GFX5MR8Nq7+ZaDI
c/YNx7bxXiuKqu7TFfL0/UfnA3uqBA==
-----END CERTIFICATE-----
";
const PSS_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIICujCCAW6gAwIBAgICUAIwQQYJKoZIhvcNAQEKMDSgDzANBglghkgBZQMEAgEF
AKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEgMCExHzAdBgNVBAMM
FmFpYm9tLXRlc3QtcnNhLXBzcy1pbnQwIBcNMjYxMjA1MDgzMTAzWhgPMjEyNjEx
MTEwODMxMDNaMB4xHDAaBgNVBAMME2FpYm9tLXRlc3QtcHNzLWxlYWYwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAASAXjUWYY4VidzP3YMSol7qV/9rodwknhou9IFK
qopsy1s/lomkMqYlDKkt9JyomV3NWxx5sfgenRIG9XHpVkXno2AwXjAMBgNVHRMB
Af8EAjAAMA4GA1UdDwEB/wQEAwIHgDAdBgNVHQ4EFgQU+zk5no4kzPyP7w8kFDGB
4sQNgSgwHwYDVR0jBBgwFoAU8NvWiH+Z4l8Od4kCqVymgtk14TYwQQYJKoZIhvcN
AQEKMDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQME
AgEFAKIDAgEgA4IBAQAsZoI88/6OBFU+o6QmLbJNJEt/HLIloZjgifXpWmjQbqGy
mosLLfz0qlW0XkUrYH4kATr+HN0+xQKLmKsFGPxfw/aoJlmCM7flarVB9ulPIOgm
U+5cZV/S0/TUSd9I3bTON4hFDqiOWE6Z2sRfQJzYTncEZXQE3l/ry5Q0G1RsqvSz
cvC72LsiwKzthhVuzG1SVdMy6pEBQRGPDQQLrgOSeL524prDDSKuVsR0abcGpaWJ
OrSZHMqTSjiDxM40MrWWhQh00RMwwYumuEM3rDiSIntxTXJYSA9mkG6PAxUbLO1q
Ld9wUdQjV80l8bL20hhhy54Nfsgpbm0G2CTQY8K5
-----END CERTIFICATE-----
";

/// notAfter of every OMS v1.1.0 certificate (2035-04-30T23:36:28Z) and notBefore
/// (2025-05-02T23:36:28Z).
const OMS_NOT_AFTER: u64 = 2_061_588_988;
const OMS_NOT_BEFORE: u64 = 1_746_228_988;

fn der(pem: &str) -> Vec<u8> {
    let mut v = pem_certificates(pem).expect("PEM");
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn oms_path() -> Vec<String> {
    ["CN=intermediate-ca", "CN=intermediate-ca", "CN=root-ca"]
        .map(String::from)
        .to_vec()
}

#[test]
fn oms_chain_verifies_with_root_anchor_and_intermediate_extra() {
    let v = verify_chain(&[der(LEAF)], &[der(INT)], &[der(ROOT)], None).expect("verifies");
    assert!(matches!(v.key, VerifyingKey::P384(_)));
    assert_eq!(v.subject, "CN=intermediate-ca");
    assert_eq!(v.path, oms_path());
    // Inside the validity window at an explicit time, too.
    verify_chain(&[der(LEAF)], &[der(INT)], &[der(ROOT)], Some(OMS_NOT_AFTER))
        .expect("at notAfter");
}

#[test]
fn oms_bundle_chain_verifies_against_root() {
    let bundle: serde_json::Value = serde_json::from_str(BUNDLE).expect("JSON");
    let chain: Vec<Vec<u8>> =
        bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
            .as_array()
            .expect("certificates")
            .iter()
            .map(|c| {
                STANDARD
                    .decode(c["rawBytes"].as_str().expect("rawBytes"))
                    .expect("base64")
            })
            .collect();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain.first(), Some(&der(LEAF)));
    let v = verify_chain(&chain, &[], &[der(ROOT)], None).expect("verifies");
    assert_eq!(v.path, oms_path());
    assert!(matches!(v.key, VerifyingKey::P384(_)));
    // The bundle's own chain is not trusted by itself.
    let e = verify_chain(&chain, &[], &[], None).unwrap_err();
    assert!(matches!(e, ChainError::NoAnchors), "{e}");
}

#[test]
fn chain_may_carry_the_root_and_an_intermediate_may_be_the_anchor() {
    let v =
        verify_chain(&[der(LEAF), der(INT), der(ROOT)], &[], &[der(ROOT)], None).expect("verifies");
    assert_eq!(v.path, oms_path());
    let v = verify_chain(&[der(LEAF)], &[], &[der(INT)], None).expect("intermediate anchor");
    assert_eq!(v.path.len(), 2);
    // Duplicates are harmless.
    verify_chain(
        &[der(LEAF), der(LEAF)],
        &[der(INT), der(INT)],
        &[der(ROOT), der(ROOT)],
        None,
    )
    .expect("dups");
}

#[test]
fn fails_without_anchors() {
    let e = verify_chain(&[der(LEAF)], &[der(INT)], &[], None).unwrap_err();
    assert!(matches!(e, ChainError::NoAnchors), "{e}");
    let e = verify_chain(&[], &[der(INT)], &[der(ROOT)], None).unwrap_err();
    assert!(matches!(e, ChainError::EmptyChain), "{e}");
}

#[test]
fn fails_with_another_self_signed_anchor() {
    let e = verify_chain(&[der(LEAF)], &[der(INT)], &[der(EC_ROOT)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::NoIssuer { subject, issuer } if subject == "CN=intermediate-ca" && issuer == "CN=root-ca"),
        "{e}"
    );
    // Same name (and string type) as the real root, other key; at a time it is valid.
    let e = verify_chain(
        &[der(LEAF)],
        &[der(INT)],
        &[der(FAKE_ROOT_CA)],
        Some(OMS_NOT_AFTER),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChainError::BadSignature { subject, issuer, .. } if subject == "CN=intermediate-ca" && issuer == "CN=root-ca"),
        "{e}"
    );
}

#[test]
fn fails_with_flipped_byte_in_leaf_signature() {
    let mut leaf = der(LEAF);
    if let Some(b) = leaf.last_mut() {
        *b ^= 0x01;
    }
    let e = verify_chain(&[leaf], &[der(INT)], &[der(ROOT)], None).unwrap_err();
    assert!(matches!(&e, ChainError::BadSignature { .. }), "{e}");
}

#[test]
fn fails_outside_validity() {
    let e = verify_chain(
        &[der(LEAF)],
        &[der(INT)],
        &[der(ROOT)],
        Some(OMS_NOT_AFTER + 1),
    )
    .unwrap_err();
    assert!(matches!(&e, ChainError::Expired { .. }), "{e}");
    assert!(e.to_string().contains("2035-04-30"), "{e}");
    let e = verify_chain(
        &[der(LEAF)],
        &[der(INT)],
        &[der(ROOT)],
        Some(OMS_NOT_BEFORE - 1),
    )
    .unwrap_err();
    assert!(matches!(&e, ChainError::NotYetValid { .. }), "{e}");
    // An anchor not yet valid at the leaf's notBefore (the fake root dates from 2026).
    let e = verify_chain(&[der(LEAF)], &[der(INT)], &[der(FAKE_ROOT_CA)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::NotYetValid { subject, .. } if subject == "CN=root-ca"),
        "{e}"
    );
}

#[test]
fn a_signer_checks_its_leaf_as_the_verifier_would_at_the_signing_time() {
    let ok = check_signing_leaf(&der(LEAF), OMS_NOT_BEFORE + 1).unwrap();
    assert_eq!(ok.subject, "CN=intermediate-ca");
    assert_eq!(ok.key.curve_name(), "P-384");
    let e = check_signing_leaf(&der(LEAF), OMS_NOT_AFTER + 1).unwrap_err();
    assert!(matches!(&e, ChainError::Expired { .. }), "{e}");
    let e = check_signing_leaf(&der(LEAF), OMS_NOT_BEFORE - 1).unwrap_err();
    assert!(matches!(&e, ChainError::NotYetValid { .. }), "{e}");
    let now = 1_796_000_000; // 2026-12, inside the EC fixtures' validity
    assert!(check_signing_leaf(&der(EC_LEAF), now).is_ok());
    let e = check_signing_leaf(&der(NO_USAGE), now).unwrap_err();
    assert!(matches!(&e, ChainError::LeafUsage { .. }), "{e}");
    let e = check_signing_leaf(&der(CRITICAL), now).unwrap_err();
    assert!(
        matches!(&e, ChainError::UnknownCriticalExtension { .. }),
        "{e}"
    );
    let e = check_signing_leaf(&der(RSA_LEAF), now).unwrap_err();
    assert!(matches!(&e, ChainError::UnsupportedKey { .. }), "{e}");
}

#[test]
fn fails_when_the_intermediate_is_missing() {
    let e = verify_chain(&[der(LEAF)], &[], &[der(ROOT)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::NoIssuer { issuer, .. } if issuer == "CN=intermediate-ca"),
        "{e}"
    );
}

#[test]
fn garbage_der_errors_without_panicking() {
    let leaf = der(LEAF);
    let garbage: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        vec![0x30, 0x03, 0x30, 0x01, 0x00],
        b"not a certificate".to_vec(),
        [leaf.as_slice(), &[0u8]].concat(),
    ];
    let prefixes = (0..leaf.len())
        .filter_map(|n| leaf.get(..n))
        .map(<[u8]>::to_vec);
    for g in garbage.into_iter().chain(prefixes) {
        let e =
            verify_chain(std::slice::from_ref(&g), &[der(INT)], &[der(ROOT)], None).unwrap_err();
        assert!(matches!(e, ChainError::Malformed { .. }), "{e}");
        let e = verify_chain(
            std::slice::from_ref(&leaf),
            std::slice::from_ref(&g),
            &[der(ROOT)],
            None,
        )
        .unwrap_err();
        assert!(matches!(e, ChainError::Malformed { .. }), "{e}");
        let e = verify_chain(
            std::slice::from_ref(&leaf),
            &[der(INT)],
            std::slice::from_ref(&g),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, ChainError::Malformed { .. }), "{e}");
    }
    // Every single-byte corruption of the leaf is an error, never a panic or a success.
    for i in 0..leaf.len() {
        let mut bad = leaf.clone();
        if let Some(b) = bad.get_mut(i) {
            *b ^= 0x5a;
        }
        assert!(
            verify_chain(&[bad], &[der(INT)], &[der(ROOT)], None).is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn pem_parsing() {
    let both = format!(
        "comment line\n{ROOT}\nmore text\r\n{}",
        INT.replace('\n', "\r\n")
    );
    let ders = pem_certificates(&both).expect("two certificates");
    assert_eq!(ders, vec![der(ROOT), der(INT)]);
    assert!(matches!(
        pem_certificates("nothing here"),
        Err(ChainError::NoPemCertificates)
    ));
    let cut = ROOT.replace("-----END CERTIFICATE-----", "");
    assert!(matches!(pem_certificates(&cut), Err(ChainError::Pem(_))));
    let bad64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(pem_certificates(bad64), Err(ChainError::Pem(_))));
    let notcert = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        pem_certificates(notcert),
        Err(ChainError::Malformed { .. })
    ));
}

#[test]
fn ec_chain_verifies() {
    // ecdsa-with-SHA256 by a P-384 key, ecdsa-with-SHA384 by a P-256 key; the leaf has only
    // extendedKeyUsage codeSigning.
    let v =
        verify_chain(&[der(EC_LEAF), der(EC_INT)], &[], &[der(EC_ROOT)], None).expect("verifies");
    assert!(matches!(v.key, VerifyingKey::P256(_)));
    assert_eq!(
        v.path,
        [
            "CN=aibom-test-ec-leaf",
            "CN=aibom-test-ec-int",
            "CN=aibom-test-ec-root"
        ]
    );
}

#[test]
fn ed25519_and_rsa_pss_issuers_verify() {
    let v =
        verify_chain(&[der(PSS_LEAF), der(PSS_INT)], &[], &[der(ED_ROOT)], None).expect("verifies");
    assert!(matches!(v.key, VerifyingKey::P256(_)));
    assert_eq!(v.path.len(), 3);
    // A flipped bit in the PSS signature is caught.
    let mut leaf = der(PSS_LEAF);
    if let Some(b) = leaf.last_mut() {
        *b ^= 0x01;
    }
    let e = verify_chain(&[leaf, der(PSS_INT)], &[], &[der(ED_ROOT)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::BadSignature { subject, .. } if subject == "CN=aibom-test-pss-leaf"),
        "{e}"
    );
}

#[test]
fn leaf_needs_signing_usage() {
    let e = verify_chain(&[der(NO_USAGE)], &[der(EC_INT)], &[der(EC_ROOT)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::LeafUsage { subject } if subject == "CN=aibom-test-no-usage"),
        "{e}"
    );
    // A CA certificate with keyUsage keyCertSign only cannot sign models.
    let e = verify_chain(&[der(INT)], &[], &[der(ROOT)], None).unwrap_err();
    assert!(matches!(&e, ChainError::LeafUsage { .. }), "{e}");
}

#[test]
fn unknown_critical_extension_is_rejected() {
    let e = verify_chain(&[der(CRITICAL)], &[der(EC_INT)], &[der(EC_ROOT)], None).unwrap_err();
    assert!(
        matches!(&e, ChainError::UnknownCriticalExtension { oid, .. } if oid == "1.2.3.4"),
        "{e}"
    );
}

#[test]
fn issuer_must_be_a_ca() {
    let e = verify_chain(
        &[der(UNDER_LEAF), der(EC_LEAF), der(EC_INT)],
        &[],
        &[der(EC_ROOT)],
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChainError::NotCa { subject, .. } if subject == "CN=aibom-test-ec-leaf"),
        "{e}"
    );
}

#[test]
fn leaf_key_must_be_p256_or_p384() {
    let e = verify_chain(&[der(RSA_LEAF)], &[der(EC_INT)], &[der(EC_ROOT)], None).unwrap_err();
    assert!(matches!(&e, ChainError::UnsupportedKey { .. }), "{e}");
}

/// Why this module builds paths itself: rustls-webpki refuses model-signing's own
/// certificate-method signer, whose certificate has basicConstraints CA=true, with no
/// option to accept it. If a webpki release changes this, path building can move there.
#[test]
fn webpki_refuses_the_oms_ca_leaf_so_paths_are_built_here() {
    let (leaf, int, root) = (der(LEAF), der(INT), der(ROOT));
    let root = CertificateDer::from(root.as_slice());
    let anchor = webpki::anchor_from_trusted_cert(&root).expect("anchor");
    let leaf = CertificateDer::from(leaf.as_slice());
    let ee = EndEntityCert::try_from(&leaf).expect("webpki parses the leaf");
    // id-kp-codeSigning, 1.3.6.1.5.5.7.3.3, as OID contents.
    const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
    let e = ee
        .verify_for_usage(
            SIGNATURE_ALGORITHMS,
            &[anchor],
            &[CertificateDer::from(int.as_slice())],
            rustls_pki_types::UnixTime::since_unix_epoch(Duration::from_secs(OMS_NOT_BEFORE)),
            webpki::KeyUsage::required_if_present(CODE_SIGNING),
            None,
            None,
        )
        .err();
    assert!(matches!(e, Some(webpki::Error::CaUsedAsEndEntity)), "{e:?}");
    // The same chain passes here.
    verify_chain(&[der(LEAF)], &[der(INT)], &[der(ROOT)], None).expect("verifies");
}

/// Replaces every occurrence of `from` in `der`, `limit` times at most.
fn patch(der: &[u8], from: &[u8], to: &[u8], limit: usize) -> Vec<u8> {
    let mut out = der.to_vec();
    let mut done = 0;
    let mut i = 0;
    while done < limit && i + from.len() <= out.len() {
        if out.get(i..i + from.len()) == Some(from) {
            out.splice(i..i + from.len(), to.iter().copied());
            done += 1;
        }
        i += 1;
    }
    assert!(done > 0);
    out
}

#[test]
fn unsupported_or_inconsistent_signature_algorithm() {
    // EC_INT is signed with ecdsa-with-SHA256 (1.2.840.10045.4.3.2); make it SHA-512.
    let sha256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let sha512 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    let int = der(EC_INT);
    let e = verify_chain(
        &[der(EC_LEAF), patch(&int, &sha256, &sha512, 2)],
        &[],
        &[der(EC_ROOT)],
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChainError::UnsupportedAlgorithm { subject, algorithm, .. }
            if subject == "CN=aibom-test-ec-int" && algorithm.contains("SHA512")),
        "{e}"
    );
    let e = verify_chain(
        &[der(EC_LEAF), patch(&int, &sha256, &sha512, 1)],
        &[],
        &[der(EC_ROOT)],
        None,
    )
    .unwrap_err();
    assert!(matches!(&e, ChainError::AlgorithmMismatch { .. }), "{e}");
}
